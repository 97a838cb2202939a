/* SPDX-License-Identifier: Apache-2.0 */
/* Telemetry sample for Linux: reads settings from the command line, runs the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>
#include <corstone_iot/tls.h>

#include "telemetry.h"
#include "sample_hex.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: telemetry --host H --port P --ca CA.crt [--cert C.crt --key C.key]\n"
            "                 [--server-name NAME] [--store DIR --store-label LABEL]\n"
            "                 [--psk-identity ID --store DIR --store-psk LABEL]\n"
            "                 [--psk-identity ID --psk-hex HEX] [--id DEVICE] [--count N]\n"
            "                 [--interval-ms MS] [--commands N]\n"
            "--store/--store-label: client certificate and private key from the key store\n"
            "in DIR (put there with iot-provision), both under LABEL; the handshake is\n"
            "signed inside the store. --store-psk: the PSK from the key store.\n");
}

/* Open the key store and point the client certificate and key at the
 * objects labelled `label`, or the PSK at the one labelled `psk_label`. */
static int use_store(const char *dir, const char *label, const char *psk_label,
                     iot_tls_config_t *tls)
{
    iot_key_id_t key = IOT_KEY_ID_NONE;
    iot_key_id_t cert = IOT_KEY_ID_NONE;
    iot_status_t st = iot_posix_store_set_dir(dir);

    if (st == IOT_OK) {
        st = iot_keystore_init();
    }
    if (st == IOT_OK && psk_label != NULL) {
        st = iot_keystore_find(IOT_OBJ_SECRET_KEY, psk_label, &key);
        if (st == IOT_OK) {
            iot_cred_t p = IOT_CRED_FROM_STORE(key);
            tls->psk = p;
            return 0;
        }
        label = psk_label; /* for the message */
    }
    if (st == IOT_OK) {
        st = iot_keystore_find(IOT_OBJ_PRIVATE_KEY, label, &key);
    }
    if (st == IOT_OK) {
        st = iot_keystore_find(IOT_OBJ_CERTIFICATE, label, &cert);
    }
    if (st != IOT_OK) {
        fprintf(stderr, "telemetry: key store %s, label '%s': %s\n", dir, label,
                iot_status_name(st));
        return 1;
    }
    {
        iot_cred_t k = IOT_CRED_FROM_STORE(key);
        iot_cred_t c = IOT_CRED_FROM_STORE(cert);
        tls->client_key = k;
        tls->client_cert = c;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned char psk[64];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    telemetry_config_t cfg = { "device-1", "127.0.0.1", 8883, NULL, 1000, 10, 0 };
    const char *store = NULL;
    const char *store_label = NULL;
    const char *store_psk = NULL;
    int rc;
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
            iot_cred_t c = IOT_CRED_FROM_BUFFER(psk, sample_hex_to_bytes(v, psk, sizeof(psk)));
            tls.psk = c;
        } else if (strcmp(k, "--store") == 0) {
            store = v;
        } else if (strcmp(k, "--store-label") == 0) {
            store_label = v;
        } else if (strcmp(k, "--store-psk") == 0) {
            store_psk = v;
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
    if (i != argc || (store == NULL) != (store_label == NULL && store_psk == NULL) ||
        (store_label != NULL && store_psk != NULL)) {
        usage();
        return 2;
    }
    if (store != NULL && use_store(store, store_label, store_psk, &tls) != 0) {
        return 1;
    }
    cfg.tls = &tls;
    rc = telemetry_run(&cfg);
    iot_keystore_deinit(); /* nothing to do when it was not started */
    return rc;
}
