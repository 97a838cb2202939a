/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PSK device sample for the boards: the sensor of main.c with its settings
 * compiled in. It provisions its attestation key (an HMAC key, label
 * "attestation") into the key store, connects to iot-gateway with TLS-PSK,
 * and publishes readings on devices/<identity>/telemetry at QoS 1. The SDK
 * answers the gateway's attestation challenge by itself with a COSE_Mac0
 * token whose claims come from the board port (port_attest.c: without TF-M,
 * the stand-in for its attestation service; doc/attestation.md).
 *
 * Exit status (semihosting; under an emulator it ends the run):
 *   0  every reading was acknowledged by the gateway;
 *   1  set-up failed (no credentials, key store, attestation key);
 *   2  no connection (network, TLS-PSK handshake, MQTT CONNECT);
 *   3  connected, but the gateway closed the connection before it
 *      acknowledged anything: it refused the device after the attestation
 *      exchange (its log says why: bad MAC, measurement not allowed, ...);
 *   4  anything else went wrong after the connection (lost later, no
 *      SUBACK in time, a reading not acknowledged).
 *
 * Settings (compile definitions from samples/psk_device/CMakeLists.txt):
 * PSK_DEVICE_HOST (numeric IPv4), PSK_DEVICE_PORT, PSK_DEVICE_COUNT,
 * PSK_DEVICE_INTERVAL_MS, and PSK_DEVICE_CREDENTIALS_HEADER, a header that
 * defines PSK_DEVICE_IDENTITY, PSK_DEVICE_PSK_HEX and
 * PSK_DEVICE_ATTEST_KEY_HEX (the build generates TEST credentials).
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>

#include "board.h"
#include "sample_hex.h"

#ifdef PSK_DEVICE_CREDENTIALS_HEADER
#include PSK_DEVICE_CREDENTIALS_HEADER
#endif

#ifndef PSK_DEVICE_HOST
#define PSK_DEVICE_HOST "10.0.2.100"
#endif
#ifndef PSK_DEVICE_PORT
#define PSK_DEVICE_PORT 8883
#endif
#ifndef PSK_DEVICE_COUNT
#define PSK_DEVICE_COUNT 5
#endif
#ifndef PSK_DEVICE_INTERVAL_MS
#define PSK_DEVICE_INTERVAL_MS 200
#endif

#define EXIT_SETUP 1
#define EXIT_CONNECT 2
#define EXIT_REFUSED 3
#define EXIT_LOST 4

#if defined(PSK_DEVICE_IDENTITY) && defined(PSK_DEVICE_PSK_HEX) && defined(PSK_DEVICE_ATTEST_KEY_HEX)
static void on_command(iot_client_t *c, const iot_message_t *m, void *user)
{
    (void)c;
    (void)user;
    printf("command %.*s: %.*s\n", (int)m->topic_len, m->topic, (int)m->payload_len,
           (const char *)m->payload);
}

/* The attestation key: a persistent secret key in the key store (COSE_Mac0). */
static int provision_attestation_key(void)
{
    static uint8_t key[64];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;
    size_t n;
    iot_status_t st = iot_keystore_find(IOT_OBJ_SECRET_KEY, IOT_ATTEST_KEY_LABEL, &id);

    if (st == IOT_OK) {
        return 0;
    }
    n = sample_hex_to_bytes(PSK_DEVICE_ATTEST_KEY_HEX, key, sizeof(key));
    o.label = IOT_ATTEST_KEY_LABEL;
    st = (n == 0u) ? IOT_ERR_INVALID_ARG : iot_key_import_psk(key, n, &o, &id);
    memset(key, 0, sizeof(key));
    if (st != IOT_OK) {
        printf("psk_device: cannot store the attestation key: %s\n", iot_status_name(st));
        return -1;
    }
    return 0;
}

/* Connected: subscribe, publish the readings, wait for their acknowledgements. */
static int run(iot_client_t *c)
{
    static char topic[96];
    static char payload[128];
    iot_status_t st;
    long i;

    (void)snprintf(topic, sizeof(topic), "devices/%s/cmd", PSK_DEVICE_IDENTITY);
    /* The gateway holds the SUBSCRIBE until the token verifies: its SUBACK
     * is the first sign that the device was accepted. */
    st = iot_subscribe(c, topic, IOT_QOS1, on_command, NULL);
    if (st == IOT_ERR_NOT_CONNECTED) {
        printf("psk_device: subscribe failed: %s: the gateway refused the device\n",
               iot_status_name(st));
        return EXIT_REFUSED;
    }
    if (st != IOT_OK) {
        printf("psk_device: subscribe failed: %s\n", iot_status_name(st));
        return EXIT_LOST;
    }
    printf("psk_device: accepted by the gateway (attested)\n");
    (void)snprintf(topic, sizeof(topic), "devices/%s/telemetry", PSK_DEVICE_IDENTITY);
    for (i = 0; i < PSK_DEVICE_COUNT; i++) {
        /* Simulated readings: a slow ramp in tenths of a degree / percent. */
        int n = snprintf(payload, sizeof(payload),
                         "{\"device\":\"%s\",\"seq\":%ld,\"temp\":%ld.%ld,\"hum\":%ld.%ld}",
                         PSK_DEVICE_IDENTITY, i, 21L + (i % 30L) / 10L, (i % 10L),
                         45L - (i % 20L) / 10L, (9L - i % 10L));
        st = iot_publish(c, topic, payload, (size_t)n, IOT_QOS1, false);
        if (st == IOT_OK) {
            st = iot_process(c, PSK_DEVICE_INTERVAL_MS);
        }
        if (st != IOT_OK && st != IOT_ERR_TIMEOUT) {
            printf("psk_device: reading %ld: %s\n", i, iot_status_name(st));
            return EXIT_LOST;
        }
    }
    st = iot_flush(c, 30000);
    if (st != IOT_OK) {
        printf("psk_device: flush failed: %s\n", iot_status_name(st));
        return EXIT_LOST;
    }
    printf("psk_device %s: %d readings sent\n", PSK_DEVICE_IDENTITY, PSK_DEVICE_COUNT);
    return 0;
}

int main(void)
{
    static uint8_t psk[64];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;
    iot_client_t *c = NULL;
    iot_status_t st;
    int rc;

    printf("psk_device %s on %s: TLS-PSK to %s:%d, attestation with COSE_Mac0\n",
           PSK_DEVICE_IDENTITY, IOT_BOARD_NAME, PSK_DEVICE_HOST, PSK_DEVICE_PORT);
    st = iot_keystore_init();
    if (st != IOT_OK) {
        printf("psk_device: key store: %s\n", iot_status_name(st));
        return EXIT_SETUP;
    }
    if (provision_attestation_key() != 0 ||
        !sample_set_psk(&tls, PSK_DEVICE_IDENTITY, PSK_DEVICE_PSK_HEX, psk, sizeof(psk))) {
        return EXIT_SETUP;
    }
    o.host = PSK_DEVICE_HOST;
    o.port = (uint16_t)PSK_DEVICE_PORT;
    o.client_id = PSK_DEVICE_IDENTITY;
    o.tls = &tls;
    o.auto_reconnect = false;
    st = iot_connect(&o, &c);
    if (st != IOT_OK) {
        printf("psk_device: connect failed: %s (%s)\n", iot_status_name(st), iot_strerror(st));
        return EXIT_CONNECT;
    }
    rc = run(c);
    iot_disconnect(c);
    iot_keystore_deinit();
    printf("psk_device: exit %d\n", rc);
    return rc;
}
#else
int main(void)
{
    printf("psk_device: no credentials compiled in (PSK_DEVICE_CREDENTIALS_HEADER)\n");
    return EXIT_SETUP;
}
#endif
