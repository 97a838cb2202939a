/* SPDX-License-Identifier: Apache-2.0 */
/* PSK device sample: a sensor without certificates that reaches the cloud
 * through iot-gateway. It connects with TLS-PSK (nothing else differs from a
 * direct connection: the SDK answers the gateway's attestation challenge by
 * itself with the attestation key of its key store), publishes simulated
 * temperature/humidity readings on devices/<identity>/telemetry and prints
 * commands it receives on devices/<identity>/cmd. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/posix.h>
#include "sample_hex.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: psk_device --port P --identity ID --psk-hex HEX --store DIR\n"
            "                  [--attest-key-hex HEX] [--host H] [--count N] [--interval-ms MS]\n"
            "                  [--qos 0|1] [--payload-bytes N] [--lifecycle 0xNNNN]\n"
            "                  [--subscribe-extra FILTER]\n"
            "       psk_device --store DIR --make-es256-key PUB_HEX_FILE\n"
            "  (creates a P-256 attestation key, writes its public point as hex, exits)\n"
            "  The attestation key is imported into the key store in DIR on first use\n"
            "  (label \"attestation\"); later runs find it there.\n");
}

static void on_command(iot_client_t *c, const iot_message_t *m, void *user)
{
    (void)c;
    (void)user;
    printf("command %.*s: %.*s\n", (int)m->topic_len, m->topic, (int)m->payload_len,
           (const char *)m->payload);
    fflush(stdout);
}

/* Provisioning step for a device that attests with ES256 (COSE_Sign1): a
 * P-256 key pair generated inside the key store; the public point is what
 * the gateway's database lists for the device. */
static int make_es256_key(const char *pub_file)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;
    uint8_t pub[65];
    size_t n = 0;
    size_t i;
    FILE *f;
    iot_status_t st = iot_keystore_find(IOT_OBJ_PRIVATE_KEY, IOT_ATTEST_KEY_LABEL, &id);

    o.label = IOT_ATTEST_KEY_LABEL;
    if (st == IOT_ERR_NOT_FOUND) {
        st = iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id);
    }
    if (st == IOT_OK) {
        st = iot_key_export_public(id, IOT_KEY_FORMAT_RAW, pub, sizeof(pub), &n);
    }
    f = st == IOT_OK ? fopen(pub_file, "w") : NULL;
    if (f == NULL) {
        fprintf(stderr, "psk_device: no ES256 attestation key: %s\n", iot_strerror(st));
        return 1;
    }
    for (i = 0; i < n; i++) {
        fprintf(f, "%02x", pub[i]);
    }
    fprintf(f, "\n");
    return fclose(f) == 0 ? 0 : 1;
}

static int ensure_attestation_key(const char *hex)
{
    unsigned char key[64];
    size_t n;
    iot_key_id_t id;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_status_t st = iot_keystore_find(IOT_OBJ_SECRET_KEY, IOT_ATTEST_KEY_LABEL, &id);

    if (st == IOT_OK || iot_keystore_find(IOT_OBJ_PRIVATE_KEY, IOT_ATTEST_KEY_LABEL, &id) == IOT_OK) {
        return 0;
    }
    if (hex == NULL) {
        fprintf(stderr, "psk_device: no attestation key in the store; give --attest-key-hex\n");
        return -1;
    }
    n = sample_hex_to_bytes(hex, key, sizeof(key));
    o.label = IOT_ATTEST_KEY_LABEL;
    st = n == 0 ? IOT_ERR_INVALID_ARG : iot_key_import_psk(key, n, &o, &id);
    if (st != IOT_OK) {
        fprintf(stderr, "psk_device: cannot store the attestation key: %s\n", iot_strerror(st));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned char psk[64];
    static char payload[65536];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;
    const char *host = "127.0.0.1";
    const char *identity = NULL;
    const char *psk_hex = NULL;
    const char *attest_hex = NULL;
    const char *store = NULL;
    const char *extra_filter = NULL;
    const char *es256_pub_file = NULL;
    long count = 10;
    long interval_ms = 1000;
    long payload_bytes = 0;
    int qos = 1;
    int port = 0;
    size_t psk_len;
    char topic[160];
    iot_client_t *c = NULL;
    iot_status_t st;
    long i;

    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (strcmp(k, "--host") == 0) {
            host = v;
        } else if (strcmp(k, "--port") == 0) {
            port = atoi(v);
        } else if (strcmp(k, "--identity") == 0) {
            identity = v;
        } else if (strcmp(k, "--psk-hex") == 0) {
            psk_hex = v;
        } else if (strcmp(k, "--attest-key-hex") == 0) {
            attest_hex = v;
        } else if (strcmp(k, "--store") == 0) {
            store = v;
        } else if (strcmp(k, "--count") == 0) {
            count = atol(v);
        } else if (strcmp(k, "--interval-ms") == 0) {
            interval_ms = atol(v);
        } else if (strcmp(k, "--qos") == 0) {
            qos = atoi(v);
        } else if (strcmp(k, "--payload-bytes") == 0) {
            payload_bytes = atol(v);
        } else if (strcmp(k, "--make-es256-key") == 0) {
            es256_pub_file = v;
        } else if (strcmp(k, "--subscribe-extra") == 0) {
            extra_filter = v;
        } else if (strcmp(k, "--lifecycle") == 0) {
            (void)iot_posix_attest_set_lifecycle((uint16_t)strtoul(v, NULL, 0));
        } else {
            usage();
            return 2;
        }
    }
    if (es256_pub_file != NULL && store != NULL && i == argc) {
        int rc;
        if (iot_posix_store_set_dir(store) != IOT_OK || iot_keystore_init() != IOT_OK) {
            fprintf(stderr, "psk_device: key store %s unusable\n", store);
            return 1;
        }
        rc = make_es256_key(es256_pub_file);
        iot_keystore_deinit();
        return rc;
    }
    if (i != argc || identity == NULL || psk_hex == NULL || store == NULL || port <= 0 ||
        port > 65535 || (qos != 0 && qos != 1) || payload_bytes < 0 ||
        payload_bytes >= (long)sizeof(payload)) {
        usage();
        return 2;
    }
    psk_len = sample_hex_to_bytes(psk_hex, psk, sizeof(psk));
    if (psk_len == 0) {
        fprintf(stderr, "psk_device: --psk-hex is not hex\n");
        return 2;
    }
    st = iot_posix_store_set_dir(store);
    if (st == IOT_OK) {
        st = iot_keystore_init();
    }
    if (st != IOT_OK) {
        fprintf(stderr, "psk_device: key store %s: %s\n", store, iot_strerror(st));
        return 1;
    }
    if (ensure_attestation_key(attest_hex) != 0) {
        return 1;
    }

    tls.mode = IOT_TLS_PSK;
    tls.psk_identity = identity;
    {
        iot_cred_t k = IOT_CRED_FROM_BUFFER(psk, psk_len);
        tls.psk = k;
    }
    o.host = host;
    o.port = (uint16_t)port;
    o.client_id = identity;
    o.tls = &tls;
    o.auto_reconnect = false;
    st = iot_connect(&o, &c);
    if (st != IOT_OK) {
        fprintf(stderr, "psk_device %s: connect failed: %s (%s)\n", identity, iot_status_name(st),
                iot_strerror(st));
        return 1;
    }
    (void)snprintf(topic, sizeof(topic), "devices/%s/cmd", identity);
    st = iot_subscribe(c, topic, IOT_QOS1, on_command, NULL);
    if (st != IOT_OK) {
        fprintf(stderr, "psk_device %s: subscribe failed: %s\n", identity, iot_status_name(st));
        iot_disconnect(c);
        return 1;
    }
    if (extra_filter != NULL) {
        st = iot_subscribe(c, extra_filter, IOT_QOS1, on_command, NULL);
        if (st != IOT_OK) {
            fprintf(stderr, "psk_device %s: subscribe %s failed: %s\n", identity, extra_filter,
                    iot_status_name(st));
            iot_disconnect(c);
            return 1;
        }
    }
    (void)snprintf(topic, sizeof(topic), "devices/%s/telemetry", identity);
    for (i = 0; i < count; i++) {
        /* A slow daily temperature curve and humidity that follows it. */
        double t = 21.0 + 3.0 * sin((double)i / 30.0);
        double h = 45.0 - 5.0 * sin((double)i / 30.0);
        int n = snprintf(payload, sizeof(payload), "{\"device\":\"%s\",\"seq\":%ld,\"temp\":%.2f,\"hum\":%.1f}",
                         identity, i, t, h);
        size_t len = (size_t)n;
        if ((long)len < payload_bytes) {
            memset(payload + len, ' ', (size_t)payload_bytes - len);
            len = (size_t)payload_bytes;
        }
        st = iot_publish(c, topic, payload, len, (iot_qos_t)qos, false);
        if (st != IOT_OK) {
            fprintf(stderr, "psk_device %s: publish %ld failed: %s\n", identity, i, iot_status_name(st));
            iot_disconnect(c);
            return 1;
        }
        st = iot_process(c, (uint32_t)interval_ms);
        if (st != IOT_OK && st != IOT_ERR_TIMEOUT) {
            fprintf(stderr, "psk_device %s: connection lost: %s\n", identity, iot_status_name(st));
            iot_disconnect(c);
            return 1;
        }
    }
    st = iot_flush(c, 15000);
    if (st != IOT_OK) {
        fprintf(stderr, "psk_device %s: flush failed: %s\n", identity, iot_status_name(st));
        iot_disconnect(c);
        return 1;
    }
    printf("psk_device %s: %ld readings sent\n", identity, count);
    iot_disconnect(c);
    iot_keystore_deinit();
    return 0;
}
