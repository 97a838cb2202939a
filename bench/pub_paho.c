/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pub_paho: the publish benchmark through Eclipse Paho MQTT C, MQTTAsync
 * over OpenSSL (libpaho-mqtt3as). See bench_common.h for what is measured.
 *
 *   pub_paho --port P [--qos 0|1] [--count N] [--size BYTES] [--pki DIR]
 *            [--inflight N] [--window N]
 *
 * Settings: ssl://127.0.0.1:P with the CA, client certificate and key, the
 * server certificate and its host name (IP SAN) verified, sslVersion
 * TLS 1.2 (a minimum in Paho 1.3; run it with OPENSSL_CONF pointing at a
 * configuration with MaxProtocol = TLSv1.2, as the broker fixture writes, to
 * cap it), MQTT 3.1.1, clean session, no persistence, sendWhileDisconnected
 * off, automatic reconnect off.
 *
 * --inflight sets MQTTAsync_connectOptions.maxInflight (default 32, the SDK's
 * window). --window caps the messages handed to Paho and not yet completed
 * (default 0: no cap; every MQTTAsync_sendMessage() is queued at once and
 * Paho's own maxInflight paces the wire). maxBufferedMessages is raised to
 * fit (Paho refuses sends beyond it even while connected; default 100).
 *
 * Completion is counted in the onSuccess / onFailure callbacks of each
 * MQTTAsync_sendMessage() (QoS 1: PUBACK received; QoS 0: written to the
 * socket); the main thread sleeps on a condition variable that the callback
 * signals when the last one arrives, never in MQTTAsync_waitForCompletion().
 * A failure callback, a refused send or a lost connection fails the run.
 */
#define _POSIX_C_SOURCE 200809L
#include <MQTTAsync.h>

#include <pthread.h>
#include <stdbool.h>

#include "bench_common.h"

static const char *const k_prog = "pub_paho";
static const char *const k_extra = "\n       [--inflight N] [--window N]";

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static long g_ok;          /* onSuccess callbacks */
static long g_failed;      /* onFailure callbacks */
static long g_target;      /* completions that end the run */
static bool g_connected;
static bool g_connect_failed;
static bool g_lost;
static char g_error[256];

static void signal_locked(void)
{
    pthread_cond_broadcast(&g_cond);
}

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
    (void)ctx;
    (void)resp;
    pthread_mutex_lock(&g_lock);
    g_connected = true;
    signal_locked();
    pthread_mutex_unlock(&g_lock);
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
    (void)ctx;
    pthread_mutex_lock(&g_lock);
    g_connect_failed = true;
    snprintf(g_error, sizeof g_error, "connect failed: code %d (%s)", resp ? resp->code : 0,
             resp && resp->message ? resp->message : "");
    signal_locked();
    pthread_mutex_unlock(&g_lock);
}

static void on_lost(void *ctx, char *cause)
{
    (void)ctx;
    pthread_mutex_lock(&g_lock);
    g_lost = true;
    snprintf(g_error, sizeof g_error, "connection lost: %s", cause ? cause : "?");
    signal_locked();
    pthread_mutex_unlock(&g_lock);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    (void)ctx;
    (void)topic_len;
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_sent(void *ctx, MQTTAsync_successData *resp)
{
    (void)ctx;
    (void)resp;
    pthread_mutex_lock(&g_lock);
    g_ok++;
    if (g_ok + g_failed >= g_target) {
        signal_locked();
    }
    pthread_mutex_unlock(&g_lock);
}

static void on_sent_window(void *ctx, MQTTAsync_successData *resp)
{
    (void)ctx;
    (void)resp;
    pthread_mutex_lock(&g_lock);
    g_ok++;
    signal_locked(); /* the publisher may wait for room in its window */
    pthread_mutex_unlock(&g_lock);
}

static void on_send_failure(void *ctx, MQTTAsync_failureData *resp)
{
    (void)ctx;
    pthread_mutex_lock(&g_lock);
    g_failed++;
    if (g_error[0] == '\0') {
        snprintf(g_error, sizeof g_error, "publish failed: code %d (%s)", resp ? resp->code : 0,
                 resp && resp->message ? resp->message : "");
    }
    signal_locked();
    pthread_mutex_unlock(&g_lock);
}

/* Wait until done() or a failure or the deadline; returns true for done(). */
static bool wait_until(bool (*done)(void), const struct timespec *deadline)
{
    bool ok;
    pthread_mutex_lock(&g_lock);
    while (!done() && !g_lost && g_failed == 0 && !g_connect_failed) {
        if (pthread_cond_timedwait(&g_cond, &g_lock, deadline) == ETIMEDOUT) {
            break;
        }
    }
    ok = done() && !g_lost && g_failed == 0;
    pthread_mutex_unlock(&g_lock);
    return ok;
}

static bool is_connected(void)
{
    return g_connected;
}

static bool all_done(void)
{
    return g_ok + g_failed >= g_target;
}

static long g_room_at; /* completions needed before the next send (window mode) */

static bool has_room(void)
{
    return g_ok + g_failed >= g_room_at;
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    MQTTAsync client;
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    struct timespec deadline;
    char uri[128];
    char id[64];
    unsigned char *payload;
    struct bench_cpu c0, c1;
    double t0, t1;
    long i, total;
    int rc;
    int i_arg;

    bench_defaults(&o, "bench/paho");
    for (i_arg = 1; i_arg < argc; i_arg++) {
        if (bench_parse_common(&o, k_prog, argc, argv, &i_arg, k_extra) == 0) {
            continue;
        }
        if (strcmp(argv[i_arg], "--inflight") == 0) {
            o.inflight = bench_long(k_prog, argv[i_arg], argv[i_arg + 1], 1, 65535);
        } else if (strcmp(argv[i_arg], "--window") == 0) {
            o.window = bench_long(k_prog, argv[i_arg], argv[i_arg + 1], 0, 100000000);
        } else {
            bench_usage(k_prog, k_extra);
            bench_die(BENCH_EXIT_USAGE, "%s: unknown option %s", k_prog, argv[i_arg]);
        }
        i_arg++;
    }
    bench_check(&o, k_prog, k_extra);

    snprintf(uri, sizeof uri, "ssl://%s:%ld", o.host, o.port);
    bench_client_id(id, sizeof id, "paho");
    co.sendWhileDisconnected = 0;
    /* Paho refuses a send while this many are queued, connected or not
     * (default 100): room for the whole window, or for every message. */
    co.maxBufferedMessages = (int)((o.window > 0 ? o.window : o.count) + 2);
    co.MQTTVersion = MQTTVERSION_3_1_1;
    rc = MQTTAsync_createWithOptions(&client, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        bench_die(BENCH_EXIT_USAGE, "%s: create failed: %d", k_prog, rc);
    }
    MQTTAsync_setCallbacks(client, NULL, on_lost, on_message, NULL);

    ssl.trustStore = o.ca;
    ssl.keyStore = o.cert;
    ssl.privateKey = o.key;
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;
    ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
    conn.keepAliveInterval = 60;
    conn.cleansession = 1;
    conn.maxInflight = (int)o.inflight;
    conn.automaticReconnect = 0;
    conn.MQTTVersion = MQTTVERSION_3_1_1;
    conn.connectTimeout = 10;
    conn.ssl = &ssl;
    conn.onSuccess = on_connect;
    conn.onFailure = on_connect_failure;
    rc = MQTTAsync_connect(client, &conn);
    if (rc != MQTTASYNC_SUCCESS) {
        bench_die(BENCH_EXIT_USAGE, "%s: connect failed: %d (%s)", k_prog, rc,
                  MQTTAsync_strerror(rc));
    }
    deadline_in(&deadline, 15000);
    if (!wait_until(is_connected, &deadline)) {
        bench_die(BENCH_EXIT_USAGE, "%s: %s", k_prog, g_error[0] ? g_error : "connect timed out");
    }
    payload = bench_payload(o.size);
    total = o.count + (o.qos == 0 ? 1 : 0); /* QoS 0 ends with a QoS 1 marker */
    pthread_mutex_lock(&g_lock);
    g_target = total;
    pthread_mutex_unlock(&g_lock);

    c0 = bench_cpu_now();
    t0 = bench_now();
    deadline_in(&deadline, o.timeout_ms);
    for (i = 0; i < total; i++) {
        MQTTAsync_message m = MQTTAsync_message_initializer;
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        if (o.window > 0 && i >= o.window) {
            pthread_mutex_lock(&g_lock);
            g_room_at = i - o.window + 1;
            pthread_mutex_unlock(&g_lock);
            if (!wait_until(has_room, &deadline)) {
                bench_die(BENCH_EXIT_FAIL, "%s: %s", k_prog,
                          g_error[0] ? g_error : "timed out waiting for acknowledgements");
            }
        }
        m.payload = payload;
        m.payloadlen = (int)o.size;
        m.qos = (i < o.count) ? o.qos : 1;
        m.retained = 0;
        ro.onSuccess = (o.window > 0) ? on_sent_window : on_sent;
        ro.onFailure = on_send_failure;
        rc = MQTTAsync_sendMessage(client, o.topic, &m, &ro);
        if (rc != MQTTASYNC_SUCCESS) {
            bench_die(BENCH_EXIT_FAIL, "%s: publish %ld of %ld refused: %d (%s)", k_prog, i + 1,
                      total, rc, MQTTAsync_strerror(rc));
        }
    }
    /* QoS 0: the last completion to wait for is the marker's PUBACK. */
    if (!wait_until(all_done, &deadline)) {
        bench_die(BENCH_EXIT_FAIL, "%s: %s (%ld of %ld completed, %ld failed)", k_prog,
                  g_error[0] ? g_error : "timed out", g_ok, total, g_failed);
    }
    t1 = bench_now();
    c1 = bench_cpu_now();
    if (g_ok != total || g_failed != 0 || g_lost) {
        bench_die(BENCH_EXIT_FAIL, "%s: %ld of %ld completed, %ld failed", k_prog, g_ok, total,
                  g_failed);
    }
    {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
        d.timeout = 1000;
        (void)MQTTAsync_disconnect(client, &d);
    }
    /* Give the disconnect a moment, then free the client. */
    {
        struct timespec ts = { 0, 50000000L };
        nanosleep(&ts, NULL);
    }
    MQTTAsync_destroy(&client);
    free(payload);
    bench_report("paho", &o, t1 - t0, c0, c1);
    return 0;
}
