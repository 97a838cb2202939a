/* SPDX-License-Identifier: Apache-2.0 */
/* Telemetry sample for Linux: reads settings from the command line, runs the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/tls.h>

#include "telemetry.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: telemetry --host H --port P --ca CA.crt [--cert C.crt --key C.key]\n"
            "                 [--server-name NAME]\n"
            "                 [--psk-identity ID --psk-hex HEX] [--id DEVICE] [--count N]\n"
            "                 [--interval-ms MS] [--commands N]\n");
}

static size_t hex_to_bytes(const char *hex, unsigned char *out, size_t cap)
{
    size_t n = strlen(hex) / 2u;
    size_t i;

    if (n > cap || strlen(hex) % 2u != 0u) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2u * i, "%2x", &v) != 1) {
            return 0;
        }
        out[i] = (unsigned char)v;
    }
    return n;
}

int main(int argc, char **argv)
{
    static unsigned char psk[64];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    telemetry_config_t cfg = { "device-1", "127.0.0.1", 8883, NULL, 1000, 10, 0 };
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (strcmp(k, "--host") == 0) {
            cfg.host = v;
        } else if (strcmp(k, "--port") == 0) {
            cfg.port = (uint16_t)atoi(v);
        } else if (strcmp(k, "--ca") == 0) {
            iot_cred_t c = IOT_CRED_FROM_FILE(v);
            tls.ca = c;
        } else if (strcmp(k, "--server-name") == 0) {
            /* The name the server certificate must carry, when connecting by
             * address (Mbed TLS 2.28 checks DNS names, not IP addresses). */
            tls.server_name = v;
        } else if (strcmp(k, "--cert") == 0) {
            iot_cred_t c = IOT_CRED_FROM_FILE(v);
            tls.client_cert = c;
        } else if (strcmp(k, "--key") == 0) {
            iot_cred_t c = IOT_CRED_FROM_FILE(v);
            tls.client_key = c;
        } else if (strcmp(k, "--psk-identity") == 0) {
            tls.mode = IOT_TLS_PSK;
            tls.psk_identity = v;
        } else if (strcmp(k, "--psk-hex") == 0) {
            iot_cred_t c = IOT_CRED_FROM_BUFFER(psk, hex_to_bytes(v, psk, sizeof(psk)));
            tls.psk = c;
        } else if (strcmp(k, "--id") == 0) {
            cfg.device_id = v;
        } else if (strcmp(k, "--count") == 0) {
            cfg.count = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--interval-ms") == 0) {
            cfg.interval_ms = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--commands") == 0) {
            cfg.commands_expected = (uint32_t)strtoul(v, NULL, 10);
        } else {
            usage();
            return 2;
        }
    }
    if (i != argc) {
        usage();
        return 2;
    }
    cfg.tls = &tls;
    return telemetry_run(&cfg);
}
