/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: TLS-PSK front end for devices without certificates.
 *
 * One process, one thread for all devices: non-blocking sockets in epoll,
 * one Mbed TLS server context per device. Per device:
 *   HANDSHAKE  TLS-PSK; the identity picks the key from the device database
 *   CONNECT    the first MQTT packet must be CONNECT with client id == identity
 *   ATTEST     CONNACK, then a fresh 32-byte challenge on $attest/challenge;
 *              other packets are held (bounded) until the token on
 *              $attest/token verifies; any failure closes the connection
 *   ACTIVE     PUBLISH/SUBSCRIBE confined to devices/<identity>/..., relayed
 *              upstream (gw_upstream.c); upstream messages relayed down
 * Every refusal is logged as "refused <peer> identity=<id>: <reason>". */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include <corstone_iot/attest.h>

#include "gateway.h"
#include "mqtt_codec.h"

#define MAX_PACKET (256u * 1024u)
#define MAX_TX (1024u * 1024u)
#define NONCE_LEN 32u
#define BUCKETS 16384u

enum { S_HANDSHAKE, S_CONNECT, S_ATTEST, S_ACTIVE };

typedef struct session {
    int fd;
    int state;
    mbedtls_ssl_context ssl;
    mbedtls_net_context net;
    const gw_device_t *dev;
    char identity[GW_MAX_IDENTITY + 1]; /* as offered, for the log */
    char peer[64];
    uint64_t deadline_ms;   /* handshake + attestation; then keep-alive */
    uint32_t keep_alive_ms;
    uint8_t *rx;
    size_t rx_len;
    size_t rx_cap;
    uint8_t *tx;
    size_t tx_len;
    size_t tx_off;
    size_t tx_chunk;        /* length of a write that returned WANT_WRITE */
    bool want_out;
    uint8_t *held;          /* packets received before the token verified */
    size_t held_len;
    uint8_t nonce[NONCE_LEN];
    char **filters;
    size_t nfilters;
    uint16_t next_id;
    struct session *prev;
    struct session *next;
    struct session *hnext;  /* identity table chain (ACTIVE/ATTEST sessions) */
    struct session *closed_next; /* the list freed after each event batch */
    bool hashed;
    bool closing;
} session_t;

static gw_config_t g_cfg;
static mbedtls_ssl_config g_conf;
static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static int g_ep = -1;
static session_t *g_sessions;
static session_t *g_table[BUCKETS];
static session_t *g_closed;
static size_t g_count;
static unsigned long g_accepted;
static unsigned long g_attested;
static unsigned long g_refused;
static unsigned long g_forwarded;
static unsigned long g_downlinked;
static unsigned long g_qos0_dropped;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s != '\0') {
        h = (h ^ (uint8_t)*s++) * 16777619u;
    }
    return h % BUCKETS;
}

static session_t *find_identity(const char *id)
{
    session_t *s;
    for (s = g_table[hash_id(id)]; s != NULL; s = s->hnext) {
        if (strcmp(s->identity, id) == 0) {
            return s;
        }
    }
    return NULL;
}

static void unhash(session_t *s)
{
    session_t **pp;
    if (!s->hashed) {
        return;
    }
    for (pp = &g_table[hash_id(s->identity)]; *pp != NULL; pp = &(*pp)->hnext) {
        if (*pp == s) {
            *pp = s->hnext;
            break;
        }
    }
    s->hashed = false;
}

static void update_events(session_t *s)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (s->want_out ? EPOLLOUT : 0u);
    ev.data.ptr = s;
    (void)epoll_ctl(g_ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static void session_free(session_t *s)
{
    size_t i;

    unhash(s);
    for (i = 0; i < s->nfilters; i++) {
        if (s->state == S_ACTIVE) {
            gw_upstream_unsubscribe(s->filters[i]);
        }
        free(s->filters[i]);
    }
    free(s->filters);
    if (s->fd >= 0) {
        (void)epoll_ctl(g_ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
    }
    mbedtls_ssl_free(&s->ssl);
    free(s->rx);
    free(s->tx);
    free(s->held);
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        g_sessions = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    g_count--;
    free(s);
}

/* Close with a reason; a refusal counts and is logged as such. */
static void drop(session_t *s, bool refusal, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void drop(session_t *s, bool refusal, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (refusal) {
        g_refused++;
        gw_log(GW_LOG_WARN, "refused %s identity=%s: %s", s->peer,
               s->identity[0] != '\0' ? s->identity : "-", reason);
    } else {
        gw_log(GW_LOG_INFO, "closed %s identity=%s: %s", s->peer,
               s->identity[0] != '\0' ? s->identity : "-", reason);
    }
    if (!s->closing) {
        s->closing = true;
        s->closed_next = g_closed;
        g_closed = s;
    }
}

/* ---- Output --------------------------------------------------------------- */

static void flush(session_t *s)
{
    while (!s->closing && s->tx_off < s->tx_len) {
        size_t chunk = s->tx_chunk != 0u ? s->tx_chunk : s->tx_len - s->tx_off;
        int ret = mbedtls_ssl_write(&s->ssl, s->tx + s->tx_off, chunk);
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
            s->tx_chunk = chunk; /* Mbed TLS wants the same call again */
            if (!s->want_out) {
                s->want_out = true;
                update_events(s);
            }
            return;
        }
        if (ret < 0) {
            drop(s, false, "write failed (-0x%04x)", (unsigned)-ret);
            return;
        }
        s->tx_chunk = 0;
        s->tx_off += (size_t)ret;
    }
    s->tx_off = s->tx_len = 0;
    if (s->want_out) {
        s->want_out = false;
        update_events(s);
    }
}

static uint8_t *tx_reserve(session_t *s, size_t n)
{
    if (s->tx_off > 0 && s->tx_chunk == 0u) {
        memmove(s->tx, s->tx + s->tx_off, s->tx_len - s->tx_off);
        s->tx_len -= s->tx_off;
        s->tx_off = 0;
    }
    if (s->tx_len + n > MAX_TX) {
        drop(s, false, "device does not read (%zu bytes waiting)", s->tx_len);
        return NULL;
    }
    uint8_t *grown = realloc(s->tx, s->tx_len + n);
    if (grown == NULL) {
        drop(s, false, "out of memory");
        return NULL;
    }
    s->tx = grown;
    return s->tx + s->tx_len;
}

static void send_publish(session_t *s, const char *topic, const uint8_t *payload, size_t len, int qos)
{
    mqtt_publish_t p;
    size_t need = MQTT_PUBLISH_HEADER_MAX(strlen(topic)) + len;
    size_t out = 0;
    uint8_t *buf = tx_reserve(s, need);

    if (buf == NULL) {
        return;
    }
    memset(&p, 0, sizeof(p));
    p.topic.data = (const uint8_t *)topic;
    p.topic.len = strlen(topic);
    p.payload.data = payload;
    p.payload.len = len;
    p.qos = (uint8_t)(qos > 0 ? 1 : 0);
    if (p.qos > 0u) {
        s->next_id = (uint16_t)(s->next_id == 0xFFFFu ? 1u : s->next_id + 1u);
        p.packet_id = s->next_id;
    }
    if (mqtt_encode_publish(&p, buf, need, &out) == IOT_OK) {
        s->tx_len += out;
    }
}

static void send_simple(session_t *s, const uint8_t *bytes, size_t n)
{
    uint8_t *buf = tx_reserve(s, n);
    if (buf != NULL) {
        memcpy(buf, bytes, n);
        s->tx_len += n;
    }
}

static void send_ack(session_t *s, mqtt_packet_type_t type, uint16_t id)
{
    uint8_t b[4];
    size_t n = 0;
    if (mqtt_encode_ack(type, id, b, sizeof(b), &n) == IOT_OK) {
        send_simple(s, b, n);
    }
}

/* ---- MQTT ------------------------------------------------------------------- */

/* devices/<identity>/ followed by at least one character. */
static bool in_namespace(const session_t *s, const uint8_t *t, size_t len)
{
    size_t il = strlen(s->identity);
    return len > 8u + il + 1u && memcmp(t, "devices/", 8) == 0 && memcmp(t + 8, s->identity, il) == 0 &&
           t[8 + il] == '/';
}

static void handle_active(session_t *s, const uint8_t *pkt, size_t len);

static void start_active(session_t *s)
{
    uint8_t *held = s->held;
    size_t held_len = s->held_len;
    size_t off = 0;

    s->state = S_ACTIVE;
    s->held = NULL;
    s->held_len = 0;
    g_attested++;
    /* Keep-alive from now on: 1.5 x the device's interval (MQTT 3.1.2.10). */
    s->deadline_ms = s->keep_alive_ms != 0u ? now_ms() + s->keep_alive_ms * 3u / 2u : 0u;
    while (!s->closing && off < held_len) {
        uint8_t first;
        size_t rem = 0;
        size_t hl = 0;
        (void)mqtt_decode_fixed_header(held + off, held_len - off, &first, &rem, &hl);
        handle_active(s, held + off, hl + rem);
        off += hl + rem;
    }
    free(held);
}

static void on_connect(session_t *s, const mqtt_connect_t *c)
{
    uint8_t b[4];
    size_t n = 0;
    session_t *old;

    if (c->client_id.len != strlen(s->identity) ||
        memcmp(c->client_id.data, s->identity, c->client_id.len) != 0) {
        if (mqtt_encode_connack(false, 2u, b, sizeof(b), &n) == IOT_OK) {
            send_simple(s, b, n);
            flush(s);
        }
        drop(s, true, "client id \"%.*s\" is not the PSK identity", (int)(c->client_id.len > 64 ? 64 : c->client_id.len),
             (const char *)c->client_id.data);
        return;
    }
    old = find_identity(s->identity);
    if (old != NULL) {
        drop(old, false, "replaced by a new connection from %s", s->peer);
        unhash(old);
    }
    s->hashed = true;
    s->hnext = g_table[hash_id(s->identity)];
    g_table[hash_id(s->identity)] = s;
    s->keep_alive_ms = (uint32_t)c->keep_alive_s * 1000u;
    if (mqtt_encode_connack(false, 0u, b, sizeof(b), &n) == IOT_OK) {
        send_simple(s, b, n);
    }
    if (mbedtls_ctr_drbg_random(&g_drbg, s->nonce, sizeof(s->nonce)) != 0) {
        drop(s, false, "no random challenge");
        return;
    }
    send_publish(s, IOT_ATTEST_TOPIC_CHALLENGE, s->nonce, sizeof(s->nonce), 0);
    s->state = S_ATTEST;
}

static void on_token(session_t *s, const uint8_t *token, size_t len)
{
    char reason[256];

    if (gw_verify_token(token, len, s->dev, s->nonce, sizeof(s->nonce), &g_cfg, reason,
                        sizeof(reason)) != 0) {
        drop(s, true, "attestation failed: %s", reason);
        return;
    }
    gw_log(GW_LOG_INFO, "attested %s identity=%s", s->peer, s->identity);
    start_active(s);
}

static bool add_filter(session_t *s, const mqtt_span_t *f)
{
    char **grown = realloc(s->filters, (s->nfilters + 1u) * sizeof(*grown));
    char *copy = malloc(f->len + 1u);
    size_t i;

    if (grown == NULL || copy == NULL) {
        free(copy);
        if (grown != NULL) {
            s->filters = grown;
        }
        return false;
    }
    s->filters = grown;
    memcpy(copy, f->data, f->len);
    copy[f->len] = '\0';
    for (i = 0; i < s->nfilters; i++) {
        if (strcmp(s->filters[i], copy) == 0) {
            free(copy);
            return false; /* already subscribed */
        }
    }
    s->filters[s->nfilters++] = copy;
    return true;
}

static void remove_filter(session_t *s, const mqtt_span_t *f)
{
    size_t i;
    for (i = 0; i < s->nfilters; i++) {
        if (strlen(s->filters[i]) == f->len && memcmp(s->filters[i], f->data, f->len) == 0) {
            gw_upstream_unsubscribe(s->filters[i]);
            free(s->filters[i]);
            s->filters[i] = s->filters[--s->nfilters];
            return;
        }
    }
}

static void on_subscribe(session_t *s, const mqtt_packet_t *p)
{
    uint8_t codes[64];
    uint8_t out[80];
    size_t n = 0;
    size_t off = 0;
    size_t count = 0;
    mqtt_span_t f;
    uint8_t qos = 0;

    /* Check every filter before acting on any. */
    while (mqtt_next_filter(p, &off, &f, &qos) == IOT_OK) {
        if (!in_namespace(s, f.data, f.len)) {
            drop(s, true, "subscribe outside its namespace: \"%.*s\"", (int)(f.len > 128 ? 128 : f.len),
                 (const char *)f.data);
            return;
        }
    }
    off = 0;
    while (mqtt_next_filter(p, &off, &f, &qos) == IOT_OK && count < sizeof(codes)) {
        uint8_t granted = qos > 1u ? 1u : qos;
        if (add_filter(s, &f)) {
            gw_upstream_subscribe(s->filters[s->nfilters - 1u], granted);
        }
        codes[count++] = granted;
    }
    if (mqtt_encode_suback(p->u.subscribe.packet_id, codes, count, out, sizeof(out), &n) == IOT_OK) {
        send_simple(s, out, n);
    }
}

static void handle_active(session_t *s, const uint8_t *pkt, size_t len)
{
    static const uint8_t pingresp[2] = { 0xD0, 0x00 };
    mqtt_packet_t p;
    iot_status_t st = mqtt_decode_server_packet(pkt, len, &p);
    char topic[1024];

    if (st != IOT_OK) {
        drop(s, true, "malformed MQTT packet (type %u): %s", (unsigned)(pkt[0] >> 4), iot_status_name(st));
        return;
    }
    switch (p.type) {
    case MQTT_PUBLISH:
        if (!in_namespace(s, p.u.publish.topic.data, p.u.publish.topic.len)) {
            if (p.u.publish.topic.len == sizeof(IOT_ATTEST_TOPIC_TOKEN) - 1u &&
                memcmp(p.u.publish.topic.data, IOT_ATTEST_TOPIC_TOKEN, p.u.publish.topic.len) == 0) {
                return; /* a late duplicate answer: harmless */
            }
            drop(s, true, "publish outside its namespace: \"%.*s\"",
                 (int)(p.u.publish.topic.len > 128 ? 128 : p.u.publish.topic.len),
                 (const char *)p.u.publish.topic.data);
            return;
        }
        if (p.u.publish.topic.len >= sizeof(topic)) {
            drop(s, true, "topic longer than %zu bytes", sizeof(topic) - 1u);
            return;
        }
        memcpy(topic, p.u.publish.topic.data, p.u.publish.topic.len);
        topic[p.u.publish.topic.len] = '\0';
        if (gw_upstream_publish(topic, p.u.publish.payload.data, p.u.publish.payload.len,
                                p.u.publish.qos > 0u ? 1 : 0) != 0) {
            if (p.u.publish.qos > 0u) {
                /* Not acknowledged; the device keeps it and sends it again
                 * when it reconnects (after its back-off). */
                drop(s, false, "upstream buffer full (%d messages): QoS %u message on %s not taken",
                     g_cfg.upstream_buffer, (unsigned)p.u.publish.qos, topic);
                return;
            }
            if ((g_qos0_dropped++ & 1023u) == 0u) {
                gw_log(GW_LOG_WARN, "upstream buffer full: QoS 0 messages dropped (%lu so far, e.g. %s)",
                       g_qos0_dropped, topic);
            }
            return;
        } else {
            g_forwarded++;
        }
        if (p.u.publish.qos == 1u) {
            send_ack(s, MQTT_PUBACK, p.u.publish.packet_id);
        } else if (p.u.publish.qos == 2u) {
            send_ack(s, MQTT_PUBREC, p.u.publish.packet_id);
        }
        break;
    case MQTT_PUBREL:
        send_ack(s, MQTT_PUBCOMP, p.u.packet_id);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
        if (p.type == MQTT_PUBREC) {
            send_ack(s, MQTT_PUBREL, p.u.packet_id);
        }
        break;
    case MQTT_SUBSCRIBE:
        on_subscribe(s, &p);
        break;
    case MQTT_UNSUBSCRIBE: {
        size_t off = 0;
        mqtt_span_t f;
        uint8_t q;
        while (mqtt_next_filter(&p, &off, &f, &q) == IOT_OK) {
            remove_filter(s, &f);
        }
        send_ack(s, MQTT_UNSUBACK, p.u.subscribe.packet_id);
        break;
    }
    case MQTT_PINGREQ:
        send_simple(s, pingresp, sizeof(pingresp));
        break;
    case MQTT_DISCONNECT:
        drop(s, false, "device disconnected");
        break;
    default:
        drop(s, true, "unexpected MQTT packet type %u", (unsigned)p.type);
        break;
    }
}

static void handle_packet(session_t *s, const uint8_t *pkt, size_t len)
{
    mqtt_packet_t p;
    iot_status_t st;

    if (s->state == S_ACTIVE) {
        handle_active(s, pkt, len);
        return;
    }
    st = mqtt_decode_server_packet(pkt, len, &p);
    if (st != IOT_OK) {
        drop(s, true, "malformed MQTT packet (type %u): %s", (unsigned)(pkt[0] >> 4), iot_status_name(st));
        return;
    }
    if (s->state == S_CONNECT) {
        if (p.type != MQTT_CONNECT) {
            drop(s, true, "first packet is type %u, not CONNECT", (unsigned)p.type);
            return;
        }
        on_connect(s, &p.u.connect);
        return;
    }
    /* S_ATTEST */
    if (p.type == MQTT_PUBLISH && p.u.publish.topic.len == sizeof(IOT_ATTEST_TOPIC_TOKEN) - 1u &&
        memcmp(p.u.publish.topic.data, IOT_ATTEST_TOPIC_TOKEN, p.u.publish.topic.len) == 0) {
        on_token(s, p.u.publish.payload.data, p.u.publish.payload.len);
        return;
    }
    if (p.type == MQTT_CONNECT) {
        drop(s, true, "second CONNECT");
        return;
    }
    if (p.type == MQTT_DISCONNECT) {
        drop(s, false, "device disconnected before attestation");
        return;
    }
    if (s->held_len + len > g_cfg.pre_attest_bytes) {
        drop(s, true, "more than %zu bytes before the attestation token", g_cfg.pre_attest_bytes);
        return;
    }
    uint8_t *grown = realloc(s->held, s->held_len + len);
    if (grown == NULL) {
        drop(s, false, "out of memory");
        return;
    }
    s->held = grown;
    memcpy(s->held + s->held_len, pkt, len);
    s->held_len += len;
}

/* Split rx into packets. */
static void parse_rx(session_t *s)
{
    size_t off = 0;

    while (!s->closing && s->rx_len - off >= 2u) {
        uint8_t first;
        size_t rem = 0;
        size_t hl = 0;
        iot_status_t st = mqtt_decode_fixed_header(s->rx + off, s->rx_len - off, &first, &rem, &hl);
        if (st == IOT_ERR_INCOMPLETE) {
            break;
        }
        if (st != IOT_OK) {
            drop(s, true, "malformed MQTT fixed header");
            return;
        }
        if (hl + rem > MAX_PACKET) {
            drop(s, true, "packet of %zu bytes exceeds %u", hl + rem, MAX_PACKET);
            return;
        }
        if (s->rx_len - off < hl + rem) {
            if (s->rx_cap < hl + rem) {
                uint8_t *grown;
                memmove(s->rx, s->rx + off, s->rx_len - off);
                s->rx_len -= off;
                off = 0;
                grown = realloc(s->rx, hl + rem);
                if (grown == NULL) {
                    drop(s, false, "out of memory");
                    return;
                }
                s->rx = grown;
                s->rx_cap = hl + rem;
            }
            break;
        }
        handle_packet(s, s->rx + off, hl + rem);
        off += hl + rem;
    }
    if (off > 0) {
        memmove(s->rx, s->rx + off, s->rx_len - off);
        s->rx_len -= off;
    }
}

/* ---- TLS ---------------------------------------------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    session_t *s = ctx;
    return mbedtls_net_send(&s->net, buf, len);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    session_t *s = ctx;
    return mbedtls_net_recv(&s->net, buf, len);
}

/* Why psk_cb refused a known identity; set inside mbedtls_ssl_handshake()
 * and read by do_handshake() right after (one thread). */
static char g_psk_reason[160];

/* The identity is looked up in the index built from the key store (binary
 * search); its PSK goes from the store into this handshake only
 * (gw_store_set_hs_psk, doc/gateway.md "What is copied, for how long"). */
static int psk_cb(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *id, size_t len)
{
    session_t *s = ssl->p_bio; /* the session itself is the I/O context */
    const gw_device_t *d = gw_config_find_device(&g_cfg, (const char *)id, len);
    size_t i;

    (void)ctx;
    for (i = 0; i < len && i < GW_MAX_IDENTITY; i++) {
        unsigned char c = id[i];
        s->identity[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    s->identity[i] = '\0';
    if (d == NULL) {
        return -1;
    }
    if (gw_store_set_hs_psk(d, ssl, g_psk_reason, sizeof(g_psk_reason)) != 0) {
        return -1;
    }
    s->dev = d;
    return 0;
}

static void do_handshake(session_t *s)
{
    int ret;
    char err[128];

    g_psk_reason[0] = '\0';
    ret = mbedtls_ssl_handshake(&s->ssl);

    if (ret == 0) {
        s->state = S_CONNECT;
        gw_log(GW_LOG_DEBUG, "handshake done %s identity=%s (%s)", s->peer, s->identity,
               mbedtls_ssl_get_ciphersuite(&s->ssl));
        if (s->want_out) {
            s->want_out = false;
            update_events(s);
        }
        return;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        bool out = ret == MBEDTLS_ERR_SSL_WANT_WRITE;
        if (out != s->want_out) {
            s->want_out = out;
            update_events(s);
        }
        return;
    }
    if (ret == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY && g_psk_reason[0] != '\0') {
        drop(s, true, "%s", g_psk_reason);
        return;
    }
    if (ret == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY) {
        drop(s, true, "unknown PSK identity");
        return;
    }
    if (ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == MBEDTLS_ERR_NET_CONN_RESET) {
        drop(s, false, "connection closed during the TLS handshake");
        return;
    }
    mbedtls_strerror(ret, err, sizeof(err));
    if (s->dev != NULL && (ret == MBEDTLS_ERR_SSL_INVALID_MAC || ret == MBEDTLS_ERR_SSL_BAD_HS_FINISHED)) {
        drop(s, true, "wrong PSK (TLS handshake failed: %s)", err);
    } else {
        drop(s, true, "TLS handshake failed: %s (-0x%04x)", err, (unsigned)-ret);
    }
}

static void on_readable(session_t *s)
{
    for (;;) {
        int ret;
        if (s->closing) {
            return;
        }
        if (s->state == S_HANDSHAKE) {
            do_handshake(s);
            if (s->state == S_HANDSHAKE) {
                return;
            }
            continue;
        }
        if (s->rx_cap - s->rx_len < 4096u) {
            size_t cap = s->rx_cap < 4096u ? 8192u : s->rx_cap * 2u;
            uint8_t *grown;
            if (cap > MAX_PACKET + 16384u) {
                cap = MAX_PACKET + 16384u;
            }
            if (cap <= s->rx_len) {
                drop(s, false, "receive buffer full");
                return;
            }
            grown = realloc(s->rx, cap);
            if (grown == NULL) {
                drop(s, false, "out of memory");
                return;
            }
            s->rx = grown;
            s->rx_cap = cap;
        }
        ret = mbedtls_ssl_read(&s->ssl, s->rx + s->rx_len, s->rx_cap - s->rx_len);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            break;
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_NET_CONN_RESET) {
            if (s->rx_len > 0) {
                drop(s, false, "device vanished mid-packet (%zu bytes of it received)", s->rx_len);
            } else {
                drop(s, false, "device closed the connection");
            }
            return;
        }
        if (ret < 0) {
            char err[128];
            mbedtls_strerror(ret, err, sizeof(err));
            drop(s, true, "TLS error: %s (-0x%04x)", err, (unsigned)-ret);
            return;
        }
        s->rx_len += (size_t)ret;
        parse_rx(s);
    }
    /* Idle sessions give their receive buffer back. */
    if (s->rx_len == 0 && s->rx_cap > 0) {
        free(s->rx);
        s->rx = NULL;
        s->rx_cap = 0;
    }
    if (s->state == S_ACTIVE && s->keep_alive_ms != 0u) {
        s->deadline_ms = now_ms() + s->keep_alive_ms * 3u / 2u;
    }
}

static uint64_t g_accept_paused_until; /* out of descriptors: stop accepting briefly */

static void accept_all(int lfd)
{
    for (;;) {
        struct sockaddr_in a;
        socklen_t al = sizeof(a);
        int fd = accept4(lfd, (struct sockaddr *)&a, &al, SOCK_NONBLOCK | SOCK_CLOEXEC);
        session_t *s;
        struct epoll_event ev;
        int one = 1;
        char ip[INET_ADDRSTRLEN];

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* The listen socket stays readable: without a pause the loop
                 * would spin. Pending connections wait in the backlog. */
                gw_log(GW_LOG_WARN, "accept: %s with %zu sessions; pausing new connections for 200 ms",
                       strerror(errno), g_count);
                (void)epoll_ctl(g_ep, EPOLL_CTL_DEL, lfd, NULL);
                g_accept_paused_until = now_ms() + 200u;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                gw_log(GW_LOG_WARN, "accept: %s", strerror(errno));
            }
            return;
        }
        if (g_count >= g_cfg.max_sessions) {
            gw_log(GW_LOG_WARN, "refused a connection: %zu sessions already (max_sessions)", g_count);
            close(fd);
            continue;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
            close(fd);
            continue;
        }
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        s->fd = fd;
        s->net.fd = fd;
        (void)snprintf(s->peer, sizeof(s->peer), "%s:%u",
                       inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)) != NULL ? ip : "?",
                       (unsigned)ntohs(a.sin_port));
        mbedtls_ssl_init(&s->ssl);
        if (mbedtls_ssl_setup(&s->ssl, &g_conf) != 0) {
            mbedtls_ssl_free(&s->ssl);
            close(fd);
            free(s);
            continue;
        }
        mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
        s->state = S_HANDSHAKE;
        s->deadline_ms = now_ms() + g_cfg.attest_timeout_ms;
        s->next = g_sessions;
        if (g_sessions != NULL) {
            g_sessions->prev = s;
        }
        g_sessions = s;
        g_count++;
        g_accepted++;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = s;
        if (epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            session_free(s);
        }
    }
}

/* ---- Upstream to devices ------------------------------------------------------ */

static void dispatch_downlinks(void)
{
    bool reconnected = false;
    gw_downlink_t *d = gw_upstream_take(&reconnected);
    session_t *s;

    if (reconnected) {
        /* Subscribe again: the broker may have lost the session. */
        for (s = g_sessions; s != NULL; s = s->next) {
            size_t i;
            if (s->state == S_ACTIVE && !s->closing) {
                for (i = 0; i < s->nfilters; i++) {
                    gw_upstream_subscribe(s->filters[i], 1);
                }
            }
        }
    }
    while (d != NULL) {
        gw_downlink_t *next = d->next;
        /* devices/<identity>/...: find the device by the second level. */
        if (strncmp(d->topic, "devices/", 8) == 0) {
            char id[GW_MAX_IDENTITY + 1];
            const char *slash = strchr(d->topic + 8, '/');
            size_t il = slash != NULL ? (size_t)(slash - (d->topic + 8)) : 0u;
            if (il > 0u && il <= GW_MAX_IDENTITY) {
                memcpy(id, d->topic + 8, il);
                id[il] = '\0';
                s = find_identity(id);
                if (s != NULL && s->state == S_ACTIVE && !s->closing) {
                    size_t i;
                    mqtt_span_t name = { (const uint8_t *)d->topic, strlen(d->topic) };
                    for (i = 0; i < s->nfilters; i++) {
                        mqtt_span_t f = { (const uint8_t *)s->filters[i], strlen(s->filters[i]) };
                        if (mqtt_topic_matches(f, name)) {
                            send_publish(s, d->topic, d->payload, d->payload_len, d->qos);
                            flush(s);
                            g_downlinked++;
                            break;
                        }
                    }
                }
            }
        }
        gw_downlink_free(d);
        d = next;
    }
}

/* ---- Main -------------------------------------------------------------------------- */

static int listen_on(const char *host, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        gw_log(GW_LOG_ERROR, "listen: %s is not an IPv4 address", host);
        close(fd);
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 4096) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        gw_log(GW_LOG_ERROR, "listen on %s:%u: %s", host, (unsigned)port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static void reap(void)
{
    session_t *s = g_sessions;
    uint64_t now = now_ms();

    while (s != NULL) {
        session_t *next = s->next;
        if (!s->closing && s->deadline_ms != 0u && now > s->deadline_ms) {
            if (s->state == S_ACTIVE) {
                drop(s, false, "keep-alive expired");
            } else {
                drop(s, true, "no %s within %u ms",
                     s->state == S_HANDSHAKE ? "TLS handshake"
                                             : (s->state == S_CONNECT ? "CONNECT" : "attestation token"),
                     g_cfg.attest_timeout_ms);
            }
        }
        s = next;
    }
}

static void free_closed(void)
{
    while (g_closed != NULL) {
        session_t *s = g_closed;
        g_closed = s->closed_next;
        session_free(s);
    }
}

static int tls_setup(void)
{
    static const char pers[] = "iot-gateway";
    int ret;

    mbedtls_ssl_config_init(&g_conf);
    mbedtls_entropy_init(&g_entropy);
    mbedtls_ctr_drbg_init(&g_drbg);
    ret = mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy,
                                (const unsigned char *)pers, sizeof(pers) - 1u);
    if (ret == 0) {
        ret = mbedtls_ssl_config_defaults(&g_conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (ret != 0) {
        return -1;
    }
    mbedtls_ssl_conf_rng(&g_conf, mbedtls_ctr_drbg_random, &g_drbg);
    mbedtls_ssl_conf_psk_cb(&g_conf, psk_cb, NULL);
    mbedtls_ssl_conf_min_version(&g_conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: iot-gateway -c CONFIG [--port-file PATH] [-v]\n"
                    "  TLS-PSK gateway: devices attest, then their MQTT traffic is relayed upstream.\n"
                    "       iot-gateway -c CONFIG import FILE|-   (lines \"identity psk-hex hmac:<hex>|es256:<hex>\")\n"
                    "       iot-gateway -c CONFIG remove IDENTITY\n"
                    "       iot-gateway -c CONFIG list\n"
                    "  manage the device database in the gateway's key store (key_store).\n");
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    const char *port_file = NULL;
    struct epoll_event evs[256];
    struct epoll_event ev;
    sigset_t mask;
    int sfd;
    int lfd;
    int ufd = -1;
    uint16_t port = 0;
    bool running = true;
    bool verbose = false;
    uint64_t last_reap = 0;
    int i;
    int command = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else if (argv[i][0] != '-' && command == 0) {
            command = i;
            break;
        } else {
            usage();
            return 2;
        }
    }
    if (config == NULL) {
        usage();
        return 2;
    }
    if (gw_config_load(config, &g_cfg) != 0) {
        return 2;
    }
    if (command != 0) {
        int rc = gw_store_command(&g_cfg, argc - command, argv + command);
        gw_config_free(&g_cfg);
        return rc;
    }
    if (gw_store_open(&g_cfg) != 0) {
        return 2;
    }
    if (verbose) {
        gw_log_level = GW_LOG_DEBUG;
    }
    {
        /* One descriptor per device: use all the process may have. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL); /* before Paho starts its threads */
    sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (tls_setup() != 0) {
        gw_log(GW_LOG_ERROR, "TLS setup failed");
        return 1;
    }
    lfd = listen_on(g_cfg.listen_host, g_cfg.listen_port, &port);
    if (lfd < 0 || sfd < 0) {
        return 1;
    }
    if (gw_upstream_start(&g_cfg, &ufd) != 0) {
        return 1;
    }
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = &lfd;
    (void)epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = &sfd;
    (void)epoll_ctl(g_ep, EPOLL_CTL_ADD, sfd, &ev);
    ev.data.ptr = &ufd;
    (void)epoll_ctl(g_ep, EPOLL_CTL_ADD, ufd, &ev);
    gw_log(GW_LOG_INFO, "listening on %s:%u (%zu devices, %zu allowed measurements), upstream %s:%u",
           g_cfg.listen_host, (unsigned)port, g_cfg.device_count, g_cfg.allow_count,
           g_cfg.upstream_host, (unsigned)g_cfg.upstream_port);
    if (port_file != NULL) {
        char tmp[GW_PATH_MAX + 8];
        FILE *f;
        (void)snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%u\n", (unsigned)port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            gw_log(GW_LOG_ERROR, "cannot write %s", port_file);
            return 1;
        }
    }

    while (running) {
        int n = epoll_wait(g_ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), 250);
        for (i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &lfd) {
                accept_all(lfd);
            } else if (p == &sfd) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                    gw_log(GW_LOG_INFO, "signal %u: shutting down", si.ssi_signo);
                    running = false;
                }
            } else if (p == &ufd) {
                dispatch_downlinks();
            } else {
                session_t *s = p;
                if (s->closing) {
                    continue;
                }
                if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0u) {
                    on_readable(s);
                }
                if (!s->closing && s->state != S_HANDSHAKE) {
                    flush(s);
                } else if (!s->closing && (evs[i].events & EPOLLOUT) != 0u) {
                    do_handshake(s);
                }
            }
        }
        gw_upstream_pump(); /* messages behind the send window, if any */
        /* Check deadlines a few times a second; free what closed. */
        if (now_ms() - last_reap >= 250u) {
            last_reap = now_ms();
            reap();
        }
        if (g_accept_paused_until != 0u && now_ms() >= g_accept_paused_until) {
            g_accept_paused_until = 0u;
            ev.events = EPOLLIN;
            ev.data.ptr = &lfd;
            (void)epoll_ctl(g_ep, EPOLL_CTL_ADD, lfd, &ev);
        }
        free_closed();
    }

    free_closed();
    while (g_sessions != NULL) {
        (void)mbedtls_ssl_close_notify(&g_sessions->ssl);
        session_free(g_sessions);
    }
    gw_upstream_stop();
    {
        unsigned long sent;
        unsigned long dropped;
        bool up;
        gw_upstream_stats(&sent, &dropped, &up);
        gw_log(GW_LOG_INFO,
               "stopped: %lu connections, %lu attested, %lu refused, %lu forwarded, %lu upstream drops, %lu downlinks",
               g_accepted, g_attested, g_refused, g_forwarded, dropped, g_downlinked);
    }
    close(lfd);
    close(sfd);
    close(g_ep);
    mbedtls_ssl_config_free(&g_conf);
    mbedtls_ctr_drbg_free(&g_drbg);
    mbedtls_entropy_free(&g_entropy);
    gw_store_close(&g_cfg);
    gw_config_free(&g_cfg);
    return 0;
}
