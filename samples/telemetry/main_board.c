/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Telemetry sample for the boards: the settings are compiled in (there is no
 * command line), then the same application as on Linux runs (telemetry.c).
 * The exit status is 0 when every reading was acknowledged and the expected
 * commands arrived; under an emulator it ends the run (semihosting).
 *
 * Settings (compile definitions, from the CMake cache variables of
 * samples/telemetry/CMakeLists.txt): TELEMETRY_HOST (numeric IPv4),
 * TELEMETRY_PORT, TELEMETRY_DEVICE_ID, TELEMETRY_PSK_IDENTITY and
 * TELEMETRY_PSK_HEX (TLS-PSK), TELEMETRY_COUNT (most readings),
 * TELEMETRY_INTERVAL_MS and TELEMETRY_COMMANDS (stop once that many arrived).
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/tls.h>

#include "telemetry.h"

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

/* Two hex digits per byte; 0 on a malformed string. */
static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    if (n == 0u || n % 2u != 0u || n / 2u > cap) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = hex[i];
        unsigned v;

        if (ch >= '0' && ch <= '9') {
            v = (unsigned)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            v = (unsigned)(ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            v = (unsigned)(ch - 'A' + 10);
        } else {
            return 0;
        }
        out[i / 2u] = (uint8_t)((i % 2u == 0u) ? v << 4 : (out[i / 2u] | v));
    }
    return n / 2u;
}

int main(void)
{
    static uint8_t psk[32];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    telemetry_config_t cfg = { TELEMETRY_DEVICE_ID, TELEMETRY_HOST, TELEMETRY_PORT, NULL,
                               TELEMETRY_INTERVAL_MS, TELEMETRY_COUNT, TELEMETRY_COMMANDS };
    size_t psk_len;
    int rc;

#if defined(TELEMETRY_PSK_IDENTITY) && defined(TELEMETRY_PSK_HEX)
    psk_len = hex_to_bytes(TELEMETRY_PSK_HEX, psk, sizeof(psk));
    tls.mode = IOT_TLS_PSK;
    tls.psk_identity = TELEMETRY_PSK_IDENTITY;
    {
        iot_cred_t c = IOT_CRED_FROM_BUFFER(psk, psk_len);
        tls.psk = c;
    }
#else
    psk_len = 0;
#endif
    if (psk_len == 0u) {
        printf("telemetry: no TLS credentials compiled in (TELEMETRY_PSK_IDENTITY, "
               "TELEMETRY_PSK_HEX)\n");
        return 2;
    }
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
