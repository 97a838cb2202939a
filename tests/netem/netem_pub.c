/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netem_pub: the SDK side of the network fault test (run.sh). Publishes
 * --count QoS 1 messages whose payloads are the sequence numbers 0..N-1
 * (paho_peer --seq counts them at the broker), at --rate messages a second,
 * over TLS with keep-alive and automatic reconnect, while run.sh degrades
 * and cuts the link. Then waits for every acknowledgement (iot_flush).
 *
 *   netem_pub --host H --port P --ca FILE --topic T --count N --rate R
 *             --keepalive S [--flush-ms MS]
 *
 * Prints one line per connection event and a summary; exits 0 when every
 * message was queued and acknowledged, 1 otherwise, 2 on usage errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/mqtt.h>

typedef struct {
    const char *host;
    unsigned port;
    const char *ca;
    const char *topic;
    long count;
    long rate;
    unsigned keepalive;
    unsigned flush_ms;
} options_t;

static volatile long g_connects;
static volatile long g_disconnects;
static struct timespec g_start;

static double elapsed_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - g_start.tv_sec) + (double)(now.tv_nsec - g_start.tv_nsec) / 1e9;
}

static void on_event(iot_client_t *client, iot_event_t event, iot_status_t status, void *user)
{
    (void)client;
    (void)user;
    if (event == IOT_EVENT_CONNECTED) {
        g_connects++;
    } else if (event == IOT_EVENT_DISCONNECTED) {
        g_disconnects++;
    }
    printf("netem_pub: %7.2f s event %d (%s)\n", elapsed_s(), (int)event, iot_strerror(status));
    fflush(stdout);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int usage(void)
{
    fprintf(stderr, "usage: netem_pub --host H --port P --ca FILE --topic T --count N --rate R "
                    "--keepalive S [--flush-ms MS]\n");
    return 2;
}

static bool parse(int argc, char **argv, options_t *o)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (strcmp(k, "--host") == 0) {
            o->host = v;
        } else if (strcmp(k, "--port") == 0) {
            o->port = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--ca") == 0) {
            o->ca = v;
        } else if (strcmp(k, "--topic") == 0) {
            o->topic = v;
        } else if (strcmp(k, "--count") == 0) {
            o->count = strtol(v, NULL, 10);
        } else if (strcmp(k, "--rate") == 0) {
            o->rate = strtol(v, NULL, 10);
        } else if (strcmp(k, "--keepalive") == 0) {
            o->keepalive = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--flush-ms") == 0) {
            o->flush_ms = (unsigned)strtoul(v, NULL, 10);
        } else {
            return false;
        }
    }
    return (argc % 2) == 1 && o->host && o->port && o->ca && o->topic && o->count > 0 &&
           o->rate > 0 && o->keepalive > 0;
}

int main(int argc, char **argv)
{
    options_t o = { .flush_ms = 180000u };
    if (!parse(argc, argv, &o)) {
        return usage();
    }
    clock_gettime(CLOCK_MONOTONIC, &g_start);

    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_cred_t ca = IOT_CRED_FROM_FILE(o.ca);
    tls.ca = ca;
    tls.server_name = "localhost"; /* the test broker's certificate name */

    iot_connect_options_t opts = IOT_CONNECT_OPTIONS_INIT;
    opts.host = o.host;
    opts.port = (uint16_t)o.port;
    opts.client_id = "netem-pub";
    opts.tls = &tls;
    opts.keep_alive_s = (uint16_t)o.keepalive;
    opts.clean_session = false; /* unacknowledged messages survive a reconnect */
    opts.ping_timeout_ms = 2000u;
    opts.connect_timeout_ms = 8000u;
    opts.command_timeout_ms = 60000u;
    opts.auto_reconnect = true;
    opts.backoff_base_ms = 250u;
    opts.backoff_max_ms = 2000u;
    opts.background_thread = true;
    opts.on_event = on_event;

    iot_client_t *client = NULL;
    iot_status_t st = iot_connect(&opts, &client);
    if (st != IOT_OK) {
        fprintf(stderr, "netem_pub: connect: %s\n", iot_strerror(st));
        return 1;
    }
    long queue_full = 0;
    for (long i = 0; i < o.count; i++) {
        char payload[24];
        int n = snprintf(payload, sizeof(payload), "%ld", i);
        /* Pace: message i is due at i / rate seconds. */
        double due = (double)i / (double)o.rate;
        double now = elapsed_s();
        if (due > now) {
            sleep_ms((long)((due - now) * 1000.0));
        }
        for (;;) {
            st = iot_publish(client, o.topic, payload, (size_t)n, IOT_QOS1, false);
            if (st != IOT_ERR_QUEUE_FULL) {
                break;
            }
            queue_full++;
        }
        if (st != IOT_OK) {
            fprintf(stderr, "netem_pub: publish %ld: %s\n", i, iot_strerror(st));
            (void)iot_disconnect(client);
            return 1;
        }
    }
    printf("netem_pub: %7.2f s all %ld queued (queue full %ld times); flushing\n", elapsed_s(),
           o.count, queue_full);
    fflush(stdout);
    st = iot_flush(client, o.flush_ms);
    printf("netem_pub: %7.2f s flush: %s; connects %ld, disconnects %ld\n", elapsed_s(),
           iot_strerror(st), (long)g_connects, (long)g_disconnects);
    iot_status_t dst = iot_disconnect(client);
    if (dst != IOT_OK) {
        fprintf(stderr, "netem_pub: disconnect: %s\n", iot_strerror(dst));
    }
    return (st == IOT_OK) ? 0 : 1;
}
