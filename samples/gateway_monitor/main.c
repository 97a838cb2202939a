/* SPDX-License-Identifier: Apache-2.0 */
/* Gateway monitor sample: subscribes at the upstream broker (mutual TLS) to
 * every device's readings, devices/+/telemetry, and prints each one as
 * "<identity> <payload>". With --count N it exits 0 after N distinct readings (or 1
 * at --timeout-s); with --send-command ID TEXT it first sends TEXT to
 * devices/ID/cmd. Its session is persistent (clean_session off), so readings
 * sent while it reconnects are not lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corstone_iot/iot.h>

static long g_received;

/* QoS 1 may deliver a reading twice (a resend across a reconnect): --count
 * counts distinct readings, remembered by a 64-bit hash of topic and payload. */
#define SEEN_SLOTS 65536u
static unsigned long long g_seen[SEEN_SLOTS];

static unsigned long long fnv1a(unsigned long long h, const void *data, size_t len)
{
    const unsigned char *b = data;
    size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

/* 1 when the reading was not seen before (and remembers it). */
static int first_sighting(const iot_message_t *m)
{
    unsigned long long h = fnv1a(14695981039346656037ull, m->topic, m->topic_len);
    size_t i;
    size_t n;

    h = fnv1a(h ^ 0xffu, m->payload, m->payload_len);
    if (h == 0u) {
        h = 1u; /* 0 marks an empty slot */
    }
    for (n = 0, i = (size_t)(h % SEEN_SLOTS); n < SEEN_SLOTS; n++, i = (i + 1u) % SEEN_SLOTS) {
        if (g_seen[i] == h) {
            return 0;
        }
        if (g_seen[i] == 0u) {
            g_seen[i] = h;
            return 1;
        }
    }
    return 1; /* table full: count it */
}

static void on_reading(iot_client_t *c, const iot_message_t *m, void *user)
{
    const char *id = m->topic + 8; /* after "devices/" */
    size_t id_len = 0;

    (void)c;
    (void)user;
    while (8u + id_len < m->topic_len && id[id_len] != '/') {
        id_len++;
    }
    printf("%.*s %.*s\n", (int)id_len, id, (int)m->payload_len, (const char *)m->payload);
    fflush(stdout);
    if (first_sighting(m)) {
        g_received++;
    }
}

static long now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec;
}

int main(int argc, char **argv)
{
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;
    const char *cmd_id = NULL;
    const char *cmd_text = NULL;
    const char *ready_file = NULL;
    long count = -1;
    long timeout_s = 60;
    iot_client_t *c = NULL;
    iot_status_t st;
    long start;
    int i;

    o.host = "127.0.0.1";
    o.client_id = "gateway-monitor";
    o.clean_session = false;
    o.backoff_base_ms = 200;
    o.backoff_max_ms = 1000;
    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (strcmp(k, "--host") == 0) {
            o.host = v;
        } else if (strcmp(k, "--port") == 0) {
            o.port = (uint16_t)atoi(v);
        } else if (strcmp(k, "--ca") == 0) {
            iot_cred_t cr = IOT_CRED_FROM_FILE(v);
            tls.ca = cr;
        } else if (strcmp(k, "--cert") == 0) {
            iot_cred_t cr = IOT_CRED_FROM_FILE(v);
            tls.client_cert = cr;
        } else if (strcmp(k, "--key") == 0) {
            iot_cred_t cr = IOT_CRED_FROM_FILE(v);
            tls.client_key = cr;
        } else if (strcmp(k, "--server-name") == 0) {
            tls.server_name = v;
        } else if (strcmp(k, "--client-id") == 0) {
            o.client_id = v;
        } else if (strcmp(k, "--count") == 0) {
            count = atol(v);
        } else if (strcmp(k, "--timeout-s") == 0) {
            timeout_s = atol(v);
        } else if (strcmp(k, "--ready-file") == 0) {
            ready_file = v;
        } else if (strcmp(k, "--send-command") == 0 && i + 2 < argc) {
            cmd_id = v;
            cmd_text = argv[i + 2];
            i++;
        } else {
            fprintf(stderr, "usage: gateway_monitor --port P --ca CA --cert C --key K [--host H]\n"
                            "       [--server-name N] [--client-id ID] [--count N] [--timeout-s S]\n"
                            "       [--ready-file PATH] [--send-command IDENTITY TEXT]\n");
            return 2;
        }
    }
    o.tls = &tls;
    st = iot_connect(&o, &c);
    if (st != IOT_OK) {
        fprintf(stderr, "gateway_monitor: connect failed: %s\n", iot_status_name(st));
        return 1;
    }
    st = iot_subscribe(c, "devices/+/telemetry", IOT_QOS1, on_reading, NULL);
    if (st != IOT_OK) {
        fprintf(stderr, "gateway_monitor: subscribe failed: %s\n", iot_status_name(st));
        iot_disconnect(c);
        return 1;
    }
    if (ready_file != NULL) {
        FILE *f = fopen(ready_file, "w");
        if (f != NULL) {
            fclose(f);
        }
    }
    if (cmd_id != NULL) {
        char topic[160];
        (void)snprintf(topic, sizeof(topic), "devices/%s/cmd", cmd_id);
        st = iot_publish(c, topic, cmd_text, strlen(cmd_text), IOT_QOS1, false);
        if (st == IOT_OK) {
            st = iot_flush(c, 5000);
        }
        if (st != IOT_OK) {
            fprintf(stderr, "gateway_monitor: command not sent: %s\n", iot_status_name(st));
        }
    }
    start = now_s();
    while (count < 0 || g_received < count) {
        if (now_s() - start > timeout_s) {
            fprintf(stderr, "gateway_monitor: %ld of %ld readings before the timeout\n", g_received,
                    count);
            iot_disconnect(c);
            return 1;
        }
        st = iot_process(c, 500);
        if (st != IOT_OK && st != IOT_ERR_TIMEOUT && st != IOT_ERR_NOT_CONNECTED) {
            fprintf(stderr, "gateway_monitor: %s\n", iot_status_name(st));
        }
    }
    fprintf(stderr, "gateway_monitor: %ld readings\n", g_received);
    iot_disconnect(c);
    return 0;
}
