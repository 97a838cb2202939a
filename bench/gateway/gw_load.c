/* SPDX-License-Identifier: Apache-2.0 */
/* Load generator for the gateway bench: many TLS-PSK MQTT devices in one
 * epoll thread, and an upstream subscriber (Paho MQTTAsync, mutual TLS) that
 * measures device -> upstream latency.
 *
 *   gw_load --port P --count N --psk-hex HEX --attest-key-hex HEX --store DIR
 *           [--prefix bench-] [--rate MSG_PER_S] [--seconds S] [--payload BYTES]
 *           [--hold-seconds H] [--pid PID] [--sub-port P --ca F --cert F --key F]
 *
 * Phase 1 connects N devices (at most 64 handshakes in flight). A device is
 * "up" when a PINGREQ sent right after its CONNECT (and after its token, if
 * challenged) is answered: the gateway holds it until the token verifies, so
 * this times TLS + MQTT + attestation. Prints the rate. Phase 2 (--hold-seconds)
 * keeps them idle and prints the RSS of --pid. Phase 3 (--rate) publishes QoS 1
 * at the aggregate rate for --seconds, round-robin over the devices, each
 * payload carrying its send time; the subscriber prints throughput and
 * p50/p99/max latency. Works against iot-gateway and against a plain
 * mosquitto PSK listener (which sends no challenge). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/resource.h>

#include <MQTTAsync.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "mqtt_codec.h"

enum { C_IDLE, C_HANDSHAKE, C_WAIT, C_UP, C_DEAD };

typedef struct conn {
    int state;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf; /* per connection: the client's PSK identity lives in the config */
    mbedtls_net_context net;
    char id[48];
    uint8_t rx[2048];
    size_t rx_len;
    uint16_t next_id;
    bool want_out;
} conn_t;

static mbedtls_ctr_drbg_context g_drbg;
static mbedtls_entropy_context g_ent;
static int g_ep;
static conn_t *g_conns;
static size_t g_up;
static size_t g_dead;
static size_t g_tokens; /* challenges answered */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int hex(const char *h, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(h) / 2u;
    size_t i;
    if (n > cap || strlen(h) % 2u) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    *len = n;
    return 0;
}

static void events(conn_t *c, bool out)
{
    struct epoll_event ev;
    if (out == c->want_out) {
        return;
    }
    c->want_out = out;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.ptr = c;
    (void)epoll_ctl(g_ep, EPOLL_CTL_MOD, c->net.fd, &ev);
}

static void kill_conn(conn_t *c, const char *why)
{
    if (c->state == C_DEAD) {
        return;
    }
    if (g_dead < 5) {
        fprintf(stderr, "gw_load: %s: %s\n", c->id, why);
    }
    if (c->state == C_UP) {
        g_up--;
    }
    c->state = C_DEAD;
    g_dead++;
    (void)epoll_ctl(g_ep, EPOLL_CTL_DEL, c->net.fd, NULL);
    mbedtls_net_free(&c->net);
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
}

/* Blocking-ish write: small packets; retry on WANT_WRITE. */
static int send_all(conn_t *c, const uint8_t *b, size_t n)
{
    while (n > 0) {
        int r = mbedtls_ssl_write(&c->ssl, b, n);
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void send_connect(conn_t *c)
{
    static const uint8_t ping[2] = { 0xC0, 0x00 };
    mqtt_connect_t m;
    uint8_t buf[128];
    size_t n = 0;

    memset(&m, 0, sizeof(m));
    m.client_id.data = (const uint8_t *)c->id;
    m.client_id.len = strlen(c->id);
    m.clean_session = true;
    m.keep_alive_s = 0;
    if (mqtt_encode_connect(&m, buf, sizeof(buf), &n) != IOT_OK || send_all(c, buf, n) != 0 ||
        send_all(c, ping, sizeof(ping)) != 0) {
        kill_conn(c, "CONNECT not sent");
        return;
    }
    c->state = C_WAIT;
}

static void on_packet(conn_t *c, const uint8_t *pkt, size_t len)
{
    mqtt_packet_t p;

    if (mqtt_decode_packet(pkt, len, &p) != IOT_OK) {
        kill_conn(c, "bad packet");
        return;
    }
    if (p.type == MQTT_PUBLISH && p.u.publish.topic.len == strlen(IOT_ATTEST_TOPIC_CHALLENGE) &&
        memcmp(p.u.publish.topic.data, IOT_ATTEST_TOPIC_CHALLENGE, p.u.publish.topic.len) == 0) {
        uint8_t token[1024];
        uint8_t buf[1200];
        size_t tl = 0;
        size_t n = 0;
        mqtt_publish_t pub;
        if (iot_attest_get_token(p.u.publish.payload.data, p.u.publish.payload.len, token, sizeof(token),
                                 &tl) != IOT_OK) {
            kill_conn(c, "no token");
            return;
        }
        memset(&pub, 0, sizeof(pub));
        pub.topic.data = (const uint8_t *)IOT_ATTEST_TOPIC_TOKEN;
        pub.topic.len = strlen(IOT_ATTEST_TOPIC_TOKEN);
        pub.payload.data = token;
        pub.payload.len = tl;
        if (mqtt_encode_publish(&pub, buf, sizeof(buf), &n) != IOT_OK || send_all(c, buf, n) != 0) {
            kill_conn(c, "token not sent");
        }
        g_tokens++;
        return;
    }
    if (p.type == MQTT_CONNACK && p.u.connack.return_code != 0) {
        kill_conn(c, "CONNACK refused");
        return;
    }
    if (p.type == MQTT_PINGRESP && c->state == C_WAIT) {
        c->state = C_UP;
        g_up++;
    }
    /* PUBACKs of the load are just consumed. */
}

static void on_io(conn_t *c)
{
    if (c->state == C_HANDSHAKE) {
        int r = mbedtls_ssl_handshake(&c->ssl);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            events(c, r == MBEDTLS_ERR_SSL_WANT_WRITE);
            return;
        }
        if (r != 0) {
            kill_conn(c, "handshake failed");
            return;
        }
        events(c, false);
        if (c == &g_conns[0]) {
            printf("cipher suite: %s\n", mbedtls_ssl_get_ciphersuite(&c->ssl));
        }
        send_connect(c);
    }
    for (;;) {
        int r;
        size_t off = 0;
        if (c->state == C_DEAD) {
            return;
        }
        r = mbedtls_ssl_read(&c->ssl, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return;
        }
        if (r <= 0) {
            kill_conn(c, "closed by the server");
            return;
        }
        c->rx_len += (size_t)r;
        while (c->state != C_DEAD) {
            uint8_t first;
            size_t rem = 0;
            size_t hl = 0;
            if (mqtt_decode_fixed_header(c->rx + off, c->rx_len - off, &first, &rem, &hl) != IOT_OK ||
                c->rx_len - off < hl + rem) {
                break;
            }
            on_packet(c, c->rx + off, hl + rem);
            off += hl + rem;
        }
        if (c->state == C_DEAD) {
            return;
        }
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
        if (c->rx_len == sizeof(c->rx)) {
            kill_conn(c, "packet too large");
            return;
        }
    }
}

static int start_conn(conn_t *c, const char *port, const uint8_t *psk, size_t psk_len)
{
    struct epoll_event ev;

    mbedtls_net_init(&c->net);
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    if (mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        return -1;
    }
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &g_drbg);
    if (mbedtls_ssl_conf_psk(&c->conf, psk, psk_len, (const unsigned char *)c->id, strlen(c->id)) != 0 ||
        mbedtls_net_connect(&c->net, "127.0.0.1", port, MBEDTLS_NET_PROTO_TCP) != 0 ||
        mbedtls_net_set_nonblock(&c->net) != 0 || mbedtls_ssl_setup(&c->ssl, &c->conf) != 0) {
        return -1;
    }
    mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, mbedtls_net_recv, NULL);
    c->state = C_HANDSHAKE;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLOUT;
    c->want_out = true;
    ev.data.ptr = c;
    (void)epoll_ctl(g_ep, EPOLL_CTL_ADD, c->net.fd, &ev);
    on_io(c);
    return 0;
}

static void pump(int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(g_ep, evs, 256, timeout_ms);
    int i;
    for (i = 0; i < n; i++) {
        on_io(evs[i].data.ptr);
    }
}

/* ---- Upstream subscriber -------------------------------------------------- */

static pthread_mutex_t g_lat_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *g_lat;
static size_t g_lat_n;
static size_t g_lat_cap;
static volatile int g_sub_ready;

static int on_msg(void *ctx, char *topic, int tl, MQTTAsync_message *m)
{
    (void)ctx;
    (void)tl;
    if (m->payloadlen >= 8) {
        uint64_t sent;
        uint64_t now = now_ns();
        memcpy(&sent, m->payload, 8);
        pthread_mutex_lock(&g_lat_lock);
        if (g_lat_n < g_lat_cap) {
            g_lat[g_lat_n++] = now - sent;
        }
        pthread_mutex_unlock(&g_lat_lock);
    }
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_sub(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    g_sub_ready = 1;
}

static void on_conn(void *ctx, MQTTAsync_successData *r)
{
    MQTTAsync_responseOptions o = MQTTAsync_responseOptions_initializer;
    (void)r;
    o.onSuccess = on_sub;
    (void)MQTTAsync_subscribe(*(MQTTAsync *)ctx, "devices/+/telemetry", 1, &o);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long rss_kib(long pid, const char *field)
{
    char path[64];
    char line[256];
    long v = -1;
    FILE *f;
    (void)snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, strlen(field)) == 0) {
            v = atol(line + strlen(field) + 1);
        }
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    static const char pers[] = "gw_load";
    const char *port = NULL;
    const char *prefix = "bench-";
    const char *store = NULL;
    const char *sub_port = NULL;
    const char *ca = NULL;
    const char *cert = NULL;
    const char *key = NULL;
    uint8_t psk[64];
    uint8_t akey[64];
    size_t psk_len = 0;
    size_t akey_len = 0;
    long count = 10;
    long rate = 0;
    long seconds = 10;
    long payload = 64;
    long hold = 0;
    long pid = 0;
    size_t i;
    size_t started = 0;
    uint64_t t0;
    uint64_t t1;
    struct rlimit rl;
    iot_key_id_t kid;
    iot_key_options_t ko = IOT_KEY_OPTIONS_INIT;
    int a;

    for (a = 1; a + 1 < argc; a += 2) {
        const char *k = argv[a];
        const char *v = argv[a + 1];
        if (strcmp(k, "--port") == 0) port = v;
        else if (strcmp(k, "--count") == 0) count = atol(v);
        else if (strcmp(k, "--prefix") == 0) prefix = v;
        else if (strcmp(k, "--psk-hex") == 0) { if (hex(v, psk, sizeof(psk), &psk_len)) return 2; }
        else if (strcmp(k, "--attest-key-hex") == 0) { if (hex(v, akey, sizeof(akey), &akey_len)) return 2; }
        else if (strcmp(k, "--store") == 0) store = v;
        else if (strcmp(k, "--rate") == 0) rate = atol(v);
        else if (strcmp(k, "--seconds") == 0) seconds = atol(v);
        else if (strcmp(k, "--payload") == 0) payload = atol(v);
        else if (strcmp(k, "--hold-seconds") == 0) hold = atol(v);
        else if (strcmp(k, "--pid") == 0) pid = atol(v);
        else if (strcmp(k, "--sub-port") == 0) sub_port = v;
        else if (strcmp(k, "--ca") == 0) ca = v;
        else if (strcmp(k, "--cert") == 0) cert = v;
        else if (strcmp(k, "--key") == 0) key = v;
        else { fprintf(stderr, "gw_load: unknown option %s\n", k); return 2; }
    }
    if (port == NULL || store == NULL || psk_len == 0 || akey_len == 0 || count < 1 || payload < 16 ||
        payload > 1024) {
        fprintf(stderr, "gw_load: --port, --store, --psk-hex, --attest-key-hex required\n");
        return 2;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (iot_posix_store_set_dir(store) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return 2;
    }
    ko.label = IOT_ATTEST_KEY_LABEL;
    if (iot_keystore_find(IOT_OBJ_SECRET_KEY, IOT_ATTEST_KEY_LABEL, &kid) != IOT_OK &&
        iot_key_import_psk(akey, akey_len, &ko, &kid) != IOT_OK) {
        return 2;
    }
    mbedtls_entropy_init(&g_ent);
    mbedtls_ctr_drbg_init(&g_drbg);
    if (mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_ent, (const unsigned char *)pers,
                              sizeof(pers) - 1u) != 0) {
        return 2;
    }
    g_ep = epoll_create1(0);
    g_conns = calloc((size_t)count, sizeof(conn_t));
    if (g_conns == NULL) {
        return 2;
    }

    /* Phase 1: connect and attest. */
    t0 = now_ns();
    while (g_up + g_dead < (size_t)count) {
        while (started < (size_t)count && started - g_up - g_dead < 64u) {
            conn_t *c = &g_conns[started];
            (void)snprintf(c->id, sizeof(c->id), "%s%zu", prefix, started);
            if (start_conn(c, port, psk, psk_len) != 0) {
                c->state = C_DEAD;
                g_dead++;
            }
            started++;
        }
        pump(100);
        if (now_ns() - t0 > 600ull * 1000000000ull) {
            fprintf(stderr, "gw_load: connect phase timed out\n");
            break;
        }
    }
    t1 = now_ns();
    printf("connect: %zu up, %zu failed, %zu attested, %.2f s, %.1f sessions/s (TLS-PSK + CONNECT%s)\n",
           g_up, g_dead, g_tokens, (double)(t1 - t0) / 1e9, (double)g_up / ((double)(t1 - t0) / 1e9),
           g_tokens > 0 ? " + attestation" : ", no challenge");
    fflush(stdout);

    if (hold > 0) {
        uint64_t end = now_ns() + (uint64_t)hold * 1000000000ull;
        while (now_ns() < end) {
            pump(200);
        }
        if (pid > 0) {
            printf("idle: %zu sessions held %ld s; server RSS %ld KiB (peak %ld KiB), per-session %.1f KiB\n",
                   g_up, hold, rss_kib(pid, "VmRSS:"), rss_kib(pid, "VmHWM:"),
                   g_up > 0 ? (double)rss_kib(pid, "VmRSS:") / (double)g_up : 0.0);
        }
        fflush(stdout);
    }

    if (rate > 0 && sub_port != NULL) {
        MQTTAsync sub;
        MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
        MQTTAsync_SSLOptions so = MQTTAsync_SSLOptions_initializer;
        char uri[64];
        uint64_t start;
        uint64_t sent = 0;
        uint64_t total = (uint64_t)rate * (uint64_t)seconds;
        uint8_t body[1024];
        uint8_t buf[1200];
        size_t rr = 0;
        size_t got;
        uint64_t wait_end;

        g_lat_cap = (size_t)total + 16u;
        g_lat = calloc(g_lat_cap, sizeof(uint64_t));
        (void)snprintf(uri, sizeof(uri), "ssl://127.0.0.1:%s", sub_port);
        if (g_lat == NULL || MQTTAsync_create(&sub, uri, "gw-load-sub", MQTTCLIENT_PERSISTENCE_NONE, NULL) != 0) {
            return 2;
        }
        (void)MQTTAsync_setCallbacks(sub, NULL, NULL, on_msg, NULL);
        so.trustStore = ca;
        so.keyStore = cert;
        so.privateKey = key;
        co.ssl = &so;
        co.cleansession = 1;
        co.onSuccess = on_conn;
        co.context = &sub;
        if (MQTTAsync_connect(sub, &co) != 0) {
            return 2;
        }
        for (i = 0; i < 100 && !g_sub_ready; i++) {
            usleep(100000);
        }
        if (!g_sub_ready) {
            fprintf(stderr, "gw_load: the upstream subscriber did not come up\n");
            return 1;
        }
        memset(body, 'x', sizeof(body));
        start = now_ns();
        while (sent < total) {
            uint64_t due = (now_ns() - start) * (uint64_t)rate / 1000000000ull;
            while (sent < due && sent < total) {
                conn_t *c = &g_conns[rr++ % (size_t)count];
                mqtt_publish_t pub;
                char topic[96];
                size_t n = 0;
                uint64_t ts;
                if (c->state != C_UP) {
                    if (g_up == 0) {
                        break;
                    }
                    continue;
                }
                ts = now_ns();
                memcpy(body, &ts, 8);
                memcpy(body + 8, &sent, 8);
                (void)snprintf(topic, sizeof(topic), "devices/%s/telemetry", c->id);
                memset(&pub, 0, sizeof(pub));
                pub.topic.data = (const uint8_t *)topic;
                pub.topic.len = strlen(topic);
                pub.payload.data = body;
                pub.payload.len = (size_t)payload;
                pub.qos = 1;
                c->next_id = (uint16_t)(c->next_id == 0xFFFFu ? 1u : c->next_id + 1u);
                pub.packet_id = c->next_id;
                if (mqtt_encode_publish(&pub, buf, sizeof(buf), &n) == IOT_OK && send_all(c, buf, n) == 0) {
                    sent++;
                } else {
                    kill_conn(c, "publish failed");
                }
            }
            if (g_up == 0) {
                break;
            }
            pump(1);
        }
        t1 = now_ns();
        wait_end = now_ns() + 15ull * 1000000000ull;
        do {
            pump(50);
            pthread_mutex_lock(&g_lat_lock);
            got = g_lat_n;
            pthread_mutex_unlock(&g_lat_lock);
        } while (got < sent && now_ns() < wait_end);
        qsort(g_lat, got, sizeof(uint64_t), cmp_u64);
        printf("forward: offered %ld msg/s for %ld s (%lu sent, %ld-byte payloads, QoS 1, %ld devices): "
               "%zu received, %.1f msg/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
               rate, seconds, (unsigned long)sent, payload, count, got,
               (double)got / ((double)(t1 - start) / 1e9),
               got ? (double)g_lat[got / 2] / 1e6 : -1.0,
               got ? (double)g_lat[(got * 99) / 100] / 1e6 : -1.0,
               got ? (double)g_lat[got - 1] / 1e6 : -1.0);
        fflush(stdout);
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
        (void)MQTTAsync_disconnect(sub, &d);
        usleep(200000);
        MQTTAsync_destroy(&sub);
    }
    for (i = 0; i < (size_t)count; i++) {
        if (g_conns[i].state != C_DEAD && g_conns[i].state != C_IDLE) {
            mbedtls_net_free(&g_conns[i].net);
            mbedtls_ssl_free(&g_conns[i].ssl);
            mbedtls_ssl_config_free(&g_conns[i].conf);
        }
    }
    free(g_conns);
    iot_keystore_deinit();
    return g_dead == 0 ? 0 : 1;
}
