/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telemetry sample for the boards: the settings are compiled in (there is no
 * command line), then the same application as on Linux runs (telemetry.c).
 * The exit status is 0 when every reading was acknowledged and the expected
 * commands arrived; under an emulator it ends the run (semihosting).
 *
 * Settings (compile definitions, from the CMake cache variables of
 * samples/telemetry/CMakeLists.txt): TELEMETRY_HOST (numeric IPv4),
 * TELEMETRY_PORT, TELEMETRY_DEVICE_ID, TELEMETRY_COUNT (most readings),
 * TELEMETRY_INTERVAL_MS, TELEMETRY_COMMANDS (stop once that many arrived),
 * TELEMETRY_MTLS (1: mutual TLS with certificates, 0: TLS-PSK) and
 * TELEMETRY_SERVER_NAME (the name the broker's certificate carries).
 * Credentials come from TELEMETRY_CREDENTIALS_HEADER, a header that defines
 * TELEMETRY_CA_PEM, TELEMETRY_CLIENT_CERT_PEM, TELEMETRY_CLIENT_KEY_PEM,
 * TELEMETRY_PSK_IDENTITY and TELEMETRY_PSK_HEX; the build generates one from
 * a test PKI (tools/gen-certs.sh).
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/tls.h>

#include "telemetry.h"
#include "sample_hex.h"

#ifdef TELEMETRY_CREDENTIALS_HEADER
#include TELEMETRY_CREDENTIALS_HEADER
#endif

#ifndef TELEMETRY_HOST
#define TELEMETRY_HOST "10.0.2.100"
#endif
#ifndef TELEMETRY_PORT
#define TELEMETRY_PORT 8883
#endif
#ifndef TELEMETRY_DEVICE_ID
#define TELEMETRY_DEVICE_ID "device-1"
#endif
#ifndef TELEMETRY_COUNT
#define TELEMETRY_COUNT 100
#endif
#ifndef TELEMETRY_INTERVAL_MS
#define TELEMETRY_INTERVAL_MS 500
#endif
#ifndef TELEMETRY_COMMANDS
#define TELEMETRY_COMMANDS 1
#endif
#ifndef TELEMETRY_MTLS
#define TELEMETRY_MTLS 0
#endif
#ifndef TELEMETRY_SERVER_NAME
#define TELEMETRY_SERVER_NAME "localhost"
#endif

/* Fills in the TLS settings; 0 when the credentials are missing. */
static int set_credentials(iot_tls_config_t *tls)
{
#if TELEMETRY_MTLS && defined(TELEMETRY_CA_PEM) && defined(TELEMETRY_CLIENT_CERT_PEM) && \
    defined(TELEMETRY_CLIENT_KEY_PEM)
    /* PEM buffers for Mbed TLS include their terminating NUL. */
    static const char ca[] = TELEMETRY_CA_PEM;
    static const char cert[] = TELEMETRY_CLIENT_CERT_PEM;
    static const char key[] = TELEMETRY_CLIENT_KEY_PEM;
    iot_cred_t c_ca = IOT_CRED_FROM_BUFFER(ca, sizeof(ca));
    iot_cred_t c_cert = IOT_CRED_FROM_BUFFER(cert, sizeof(cert));
    iot_cred_t c_key = IOT_CRED_FROM_BUFFER(key, sizeof(key));

    tls->mode = IOT_TLS_CERT;
    tls->ca = c_ca;
    tls->client_cert = c_cert;
    tls->client_key = c_key;
    tls->server_name = TELEMETRY_SERVER_NAME;
    return 1;
#elif !TELEMETRY_MTLS && defined(TELEMETRY_PSK_IDENTITY) && defined(TELEMETRY_PSK_HEX)
    static uint8_t psk[32];

    return sample_set_psk(tls, TELEMETRY_PSK_IDENTITY, TELEMETRY_PSK_HEX, psk, sizeof(psk));
#else
    (void)tls;
    return 0;
#endif
}

int main(void)
{
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    telemetry_config_t cfg = { TELEMETRY_DEVICE_ID, TELEMETRY_HOST, TELEMETRY_PORT, NULL,
                               TELEMETRY_INTERVAL_MS, TELEMETRY_COUNT, TELEMETRY_COMMANDS };
    int rc;

    if (!set_credentials(&tls)) {
        printf("telemetry: no TLS credentials compiled in (TELEMETRY_CREDENTIALS_HEADER)\n");
        return 2;
    }
    printf("telemetry: TLS with %s\n", TELEMETRY_MTLS ? "certificates (mutual)" : "a pre-shared key");
    cfg.tls = &tls;
    rc = telemetry_run(&cfg);
    /* telemetry_run() stops publishing once the expected commands arrived,
     * and otherwise after TELEMETRY_COUNT readings: then they did not come. */
    if (rc == 0 && telemetry_commands_received() < TELEMETRY_COMMANDS) {
        printf("telemetry: %u of %u commands received\n", (unsigned)telemetry_commands_received(),
               (unsigned)TELEMETRY_COMMANDS);
        rc = 1;
    }
    printf("telemetry: exit %d\n", rc);
    return rc;
}
