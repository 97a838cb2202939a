/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pub_mosquitto: the publish benchmark through libmosquitto over OpenSSL.
 * See bench_common.h for what is measured.
 *
 *   pub_mosquitto --port P [--qos 0|1] [--count N] [--size BYTES] [--pki DIR]
 *                 [--inflight N] [--loop manual|threaded] [--nodelay 0|1]
 *
 * Settings: mosquitto_tls_set() with the CA, client certificate and key, the
 * server certificate and host name verified (tls_insecure off),
 * mosquitto_tls_opts_set(SSL_VERIFY_PEER, "tlsv1.2") (run it with
 * OPENSSL_CONF pointing at a MaxProtocol = TLSv1.2 configuration as well, as
 * the broker fixture writes), MQTT 3.1.1, clean session.
 *
 * --inflight sets both mosquitto_max_inflight_messages_set() and
 * MOSQ_OPT_SEND_MAXIMUM (default 32, the SDK's window); messages beyond it
 * wait in libmosquitto's own queue and are sent as PUBACKs free the window.
 * --loop manual (default): every publish is written to the socket from the
 * calling thread, and the program drives mosquitto_loop() itself to read
 * the acknowledgements. --loop threaded: mosquitto_loop_start(), the network
 * thread writes and reads, the main thread publishes and then sleeps on a
 * condition variable. --nodelay sets MOSQ_OPT_TCP_NODELAY (default 1).
 *
 * Completion is counted in the on_publish callback (QoS 1: PUBACK received;
 * QoS 0: written). A refused mosquitto_publish(), a disconnect or a missing
 * callback fails the run.
 */
#define _POSIX_C_SOURCE 200809L
#include <mosquitto.h>

#include <pthread.h>
#include <stdbool.h>

#include "bench_common.h"

static const char *const k_prog = "pub_mosquitto";
static const char *const k_extra =
    "\n       [--inflight N] [--loop manual|threaded] [--nodelay 0|1]";

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static long g_published;   /* on_publish callbacks */
static long g_target;
static int g_connack = -1; /* CONNACK return code, -1 until it arrives */
static bool g_disconnected;
static int g_disconnect_rc;

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    (void)m;
    (void)obj;
    pthread_mutex_lock(&g_lock);
    g_connack = rc;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    (void)m;
    (void)obj;
    pthread_mutex_lock(&g_lock);
    g_disconnected = true;
    g_disconnect_rc = rc;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    (void)m;
    (void)obj;
    (void)mid;
    pthread_mutex_lock(&g_lock);
    g_published++;
    if (g_published >= g_target) {
        pthread_cond_broadcast(&g_cond);
    }
    pthread_mutex_unlock(&g_lock);
}

static long published(void)
{
    long n;
    pthread_mutex_lock(&g_lock);
    n = g_published;
    pthread_mutex_unlock(&g_lock);
    return n;
}

static void fail_mosq(const char *what, int rc)
{
    bench_die(BENCH_EXIT_FAIL, "%s: %s: %s", k_prog, what, mosquitto_strerror(rc));
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    struct mosquitto *mosq;
    char id[64];
    unsigned char *payload;
    struct bench_cpu c0, c1;
    double t0, t1, deadline;
    long i, total;
    int rc;
    int i_arg;

    bench_defaults(&o, "bench/mosquitto");
    for (i_arg = 1; i_arg < argc; i_arg++) {
        if (bench_parse_common(&o, k_prog, argc, argv, &i_arg, k_extra) == 0) {
            continue;
        }
        if (strcmp(argv[i_arg], "--inflight") == 0) {
            o.inflight = bench_long(k_prog, argv[i_arg], argv[i_arg + 1], 1, 65535);
        } else if (strcmp(argv[i_arg], "--loop") == 0) {
            if (strcmp(argv[i_arg + 1], "threaded") == 0) {
                o.threaded = 1;
            } else if (strcmp(argv[i_arg + 1], "manual") == 0) {
                o.threaded = 0;
            } else {
                bench_die(BENCH_EXIT_USAGE, "%s: --loop manual|threaded", k_prog);
            }
        } else if (strcmp(argv[i_arg], "--nodelay") == 0) {
            o.nodelay = (int)bench_long(k_prog, argv[i_arg], argv[i_arg + 1], 0, 1);
        } else {
            bench_usage(k_prog, k_extra);
            bench_die(BENCH_EXIT_USAGE, "%s: unknown option %s", k_prog, argv[i_arg]);
        }
        i_arg++;
    }
    bench_check(&o, k_prog, k_extra);

    mosquitto_lib_init();
    bench_client_id(id, sizeof id, "mosq");
    mosq = mosquitto_new(id, true, NULL);
    if (mosq == NULL) {
        bench_die(BENCH_EXIT_USAGE, "%s: mosquitto_new failed", k_prog);
    }
    (void)mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    rc = mosquitto_max_inflight_messages_set(mosq, (unsigned int)o.inflight);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, (int)o.inflight);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, o.nodelay);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_tls_set(mosq, o.ca, NULL, o.cert, o.key, NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_tls_opts_set(mosq, 1 /* SSL_VERIFY_PEER */, "tlsv1.2", NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_tls_insecure_set(mosq, false);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        bench_die(BENCH_EXIT_USAGE, "%s: options: %s", k_prog, mosquitto_strerror(rc));
    }
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_disconnect_callback_set(mosq, on_disconnect);
    mosquitto_publish_callback_set(mosq, on_publish);

    rc = mosquitto_connect(mosq, o.host, (int)o.port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        bench_die(BENCH_EXIT_USAGE, "%s: connect to %s:%ld failed: %s", k_prog, o.host, o.port,
                  mosquitto_strerror(rc));
    }
    /* Until CONNACK, in this thread in both modes. */
    deadline = bench_now() + 15.0;
    while (g_connack < 0 && !g_disconnected && bench_now() < deadline) {
        rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            bench_die(BENCH_EXIT_USAGE, "%s: connect failed: %s", k_prog, mosquitto_strerror(rc));
        }
    }
    if (g_connack != 0) {
        bench_die(BENCH_EXIT_USAGE, "%s: no CONNACK, or refused (%d)", k_prog, g_connack);
    }
    if (o.threaded && (rc = mosquitto_loop_start(mosq)) != MOSQ_ERR_SUCCESS) {
        fail_mosq("loop_start", rc);
    }
    payload = bench_payload(o.size);
    total = o.count + (o.qos == 0 ? 1 : 0); /* QoS 0 ends with a QoS 1 marker */
    pthread_mutex_lock(&g_lock);
    g_target = total;
    pthread_mutex_unlock(&g_lock);

    c0 = bench_cpu_now();
    t0 = bench_now();
    deadline = t0 + (double)o.timeout_ms / 1000.0;
    for (i = 0; i < total; i++) {
        int qos = (i < o.count) ? o.qos : 1;
        rc = mosquitto_publish(mosq, NULL, o.topic, (int)o.size, payload, qos, false);
        if (rc != MOSQ_ERR_SUCCESS) {
            bench_die(BENCH_EXIT_FAIL, "%s: publish %ld of %ld refused: %s", k_prog, i + 1, total,
                      mosquitto_strerror(rc));
        }
        if (!o.threaded) {
            /* Read whatever acknowledgements are there (no waiting); the
             * window refills from libmosquitto's queue as they arrive. */
            rc = mosquitto_loop(mosq, 0, 1);
            if (rc != MOSQ_ERR_SUCCESS) {
                fail_mosq("loop", rc);
            }
        }
    }
    if (o.threaded) {
        struct timespec ts;
        long ms = o.timeout_ms;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&g_lock);
        while (g_published < g_target && !g_disconnected) {
            if (pthread_cond_timedwait(&g_cond, &g_lock, &ts) == ETIMEDOUT) {
                break;
            }
        }
        pthread_mutex_unlock(&g_lock);
    } else {
        while (published() < total && !g_disconnected && bench_now() < deadline) {
            rc = mosquitto_loop(mosq, 100, 1);
            if (rc != MOSQ_ERR_SUCCESS) {
                fail_mosq("loop", rc);
            }
        }
    }
    t1 = bench_now();
    c1 = bench_cpu_now();
    if (g_disconnected) {
        bench_die(BENCH_EXIT_FAIL, "%s: disconnected during the run (%d)", k_prog,
                  g_disconnect_rc);
    }
    if (published() != total) {
        bench_die(BENCH_EXIT_FAIL, "%s: %ld of %ld messages completed", k_prog, published(), total);
    }
    (void)mosquitto_disconnect(mosq);
    if (o.threaded) {
        (void)mosquitto_loop_stop(mosq, false);
    } else {
        (void)mosquitto_loop(mosq, 100, 1);
    }
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    free(payload);
    bench_report("mosquitto", &o, t1 - t0, c0, c1);
    return 0;
}
