/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pub_sdk: the publish benchmark through this SDK (see bench_common.h for
 * what is measured and printed).
 *
 *   pub_sdk --port P [--qos 0|1] [--count N] [--size BYTES] [--pki DIR]
 *
 * Settings: mutual TLS (CA, client certificate and key; server name
 * "localhost", host 127.0.0.1), no background thread, auto-reconnect off (a
 * lost connection fails the run instead of resending after a reconnect),
 * the default in-flight table (IOT_CONFIG_MQTT_MAX_INFLIGHT, 32). The client
 * lends a 64 KiB outgoing queue so that the window is the in-flight table
 * and not the bytes of the default 8 KiB queue (which holds only 30
 * messages of 256 bytes).
 *
 * QoS 1: iot_publish() in a loop (it drives the reading itself and waits for
 * room when 32 messages are queued), then iot_flush(): every message
 * acknowledged. Up to 16 unacknowledged messages each go out at once; beyond
 * that they wait and leave in batches (one TLS record each) as PUBACKs
 * arrive. QoS 0: iot_publish() QoS 0 in a loop (each is written to TLS
 * before the call returns), then one QoS 1 marker and iot_flush().
 *
 * No acknowledgement count is exposed by the SDK; iot_flush() returning
 * IOT_OK means the queue is empty, i.e. every QoS 1 message was acknowledged,
 * and a DISCONNECTED event or any publish status other than IOT_OK fails the
 * run.
 */
#define _POSIX_C_SOURCE 200809L
#include <corstone_iot/iot.h>

#include "bench_common.h"

#define QUEUE_BYTES (64u * 1024u)

static const char *const k_prog = "pub_sdk";
static unsigned long g_lost;
static uint8_t g_queue[QUEUE_BYTES];

static void on_event(iot_client_t *client, iot_event_t event, iot_status_t status, void *user)
{
    (void)client;
    (void)user;
    if (event == IOT_EVENT_DISCONNECTED || event == IOT_EVENT_RECONNECT_FAILED) {
        g_lost++;
        fprintf(stderr, "%s: connection event %d: %s\n", k_prog, (int)event, iot_strerror(status));
    }
}

static long ms_left(double deadline)
{
    double left = deadline - bench_now();
    return (left <= 0.0) ? 0 : (long)(left * 1000.0) + 1;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_connect_options_t opts = IOT_CONNECT_OPTIONS_INIT;
    iot_client_t *client = NULL;
    char id[64];
    unsigned char *payload;
    struct bench_cpu c0, c1;
    double t0, t1, deadline;
    iot_status_t st;
    long i;
    int i_arg;

    bench_defaults(&o, "bench/sdk");
    for (i_arg = 1; i_arg < argc; i_arg++) {
        if (bench_parse_common(&o, k_prog, argc, argv, &i_arg, NULL) != 0) {
            bench_usage(k_prog, NULL);
            bench_die(BENCH_EXIT_USAGE, "%s: unknown option %s", k_prog, argv[i_arg]);
        }
    }
    bench_check(&o, k_prog, NULL);
    iot_log_set_level(IOT_LOG_WARN);

    {
        iot_cred_t ca = IOT_CRED_FROM_FILE(o.ca);
        iot_cred_t cert = IOT_CRED_FROM_FILE(o.cert);
        iot_cred_t key = IOT_CRED_FROM_FILE(o.key);
        tls.ca = ca;
        tls.client_cert = cert;
        tls.client_key = key;
    }
    tls.server_name = "localhost";
    bench_client_id(id, sizeof id, "sdk");
    opts.host = o.host;
    opts.port = (uint16_t)o.port;
    opts.client_id = id;
    opts.tls = &tls;
    opts.keep_alive_s = 60;
    opts.clean_session = true;
    opts.auto_reconnect = false;
    opts.background_thread = false;
    opts.command_timeout_ms = 30000;
    opts.queue_buffer = g_queue;
    opts.queue_buffer_size = sizeof g_queue;
    opts.on_event = on_event;

    st = iot_connect(&opts, &client);
    if (st != IOT_OK) {
        bench_die(BENCH_EXIT_USAGE, "%s: connect to %s:%ld failed: %s", k_prog, o.host, o.port,
                  iot_strerror(st));
    }
    payload = bench_payload(o.size);

    c0 = bench_cpu_now();
    t0 = bench_now();
    deadline = t0 + (double)o.timeout_ms / 1000.0;
    for (i = 0; i < o.count; i++) {
        st = iot_publish(client, o.topic, payload, (size_t)o.size, o.qos ? IOT_QOS1 : IOT_QOS0,
                         false);
        if (st != IOT_OK) {
            bench_die(BENCH_EXIT_FAIL, "%s: publish %ld of %ld failed: %s", k_prog, i + 1, o.count,
                      iot_strerror(st));
        }
    }
    if (o.qos == 0) {
        st = iot_publish(client, o.topic, payload, (size_t)o.size, IOT_QOS1, false);
        if (st != IOT_OK) {
            bench_die(BENCH_EXIT_FAIL, "%s: marker publish failed: %s", k_prog, iot_strerror(st));
        }
    }
    st = iot_flush(client, (uint32_t)ms_left(deadline));
    t1 = bench_now();
    c1 = bench_cpu_now();
    if (st != IOT_OK) {
        bench_die(BENCH_EXIT_FAIL, "%s: flush failed: %s (messages unacknowledged)", k_prog,
                  iot_strerror(st));
    }
    if (g_lost != 0u || !iot_is_connected(client)) {
        bench_die(BENCH_EXIT_FAIL, "%s: the connection was lost during the run", k_prog);
    }
    (void)iot_disconnect(client);
    free(payload);
    bench_report("sdk", &o, t1 - t0, c0, c1);
    return 0;
}
