/* SPDX-License-Identifier: Apache-2.0 */
/* MQTT client: connect, publish, subscribe, keep-alive and reconnect over the transport. */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <corstone_iot/mqtt.h>
#include <corstone_iot/port.h>

#include "iot_backoff.h"
#include "iot_internal.h"
#include "iot_transport.h"
/* Set to 1 by the build when the port builds attest/ (src/CMakeLists.txt). */
#ifndef IOT_HAVE_ATTEST
#define IOT_HAVE_ATTEST 0
#endif
#if IOT_HAVE_ATTEST
#include <corstone_iot/attest.h> /* IOT_ATTEST_TOPIC_CHALLENGE */

#include "attest/iot_attest_internal.h"
#endif
#include "mqtt_codec.h"
#include "mqtt_session.h"

#define LOG_MODULE "mqtt"
#define DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define DEFAULT_PING_TIMEOUT_MS 5000u
#define DEFAULT_STABLE_AFTER_MS 30000u
/* Longest one reader round waits for input before the caller re-checks its
 * condition, the clock and closing. Input ends a round at once, so this
 * bounds only idle wake-ups (iot_process, the background thread, waiting
 * calls) and how long iot_disconnect may wait for a reader in another thread. */
#define READ_SLICE_MS 200u
#define RECORD_TIMEOUT_MS 2000u /* rest of a TLS record once its first byte arrived */
#define MAX_PENDING 4u          /* SUBSCRIBE/UNSUBSCRIBE awaiting their ack at once */
/* Queued PUBLISHes go out at once while at most this many are unacknowledged;
 * beyond it they wait and leave together (one write, one TLS record) as soon
 * as acknowledgements bring the count down to it again. */
#define SEND_WINDOW_LOW (IOT_CONFIG_MQTT_MAX_INFLIGHT / 2u)

typedef enum { LINK_DOWN = 0, LINK_CONNECTING, LINK_UP } link_state_t;

typedef struct {
    char filter[IOT_CONFIG_MQTT_MAX_FILTER_LEN + 1];
    uint8_t qos;
    bool used;
    iot_message_cb_t cb;
    void *user;
} subscription_t;

/* A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement. */
typedef struct {
    uint16_t packet_id;  /* 0: slot free */
    uint8_t type;        /* MQTT_SUBACK or MQTT_UNSUBACK expected */
    bool done;
    bool internal;       /* a resubscription after reconnect: nobody waits */
    uint8_t return_code;
} pending_t;

/* Field order is for code size: Thumb's 16-bit loads and stores reach only
 * 31 bytes (bytes), 62 (halfwords) and 124 (words) into a struct, and 32-bit
 * ones 4095; so the flags and words the code touches most come first and
 * the large arrays (the transport with its TLS state) last. */
struct iot_client {
    bool in_use;
    uint8_t link;               /* link_state_t */
    bool closing;
    /* Only the thread holding the reader token touches rx. */
    bool reading;
    bool ping_outstanding;
    bool lost_unreported;
    volatile bool thread_stop;
    uint8_t *rx;
    size_t rx_cap;
    size_t rx_len;
    size_t rx_discard;
    uintptr_t reader_thread;
    uint32_t last_tx_ms;        /* times: 32-bit milliseconds, compared by difference */
    uint32_t ping_sent_ms;
    uint32_t connected_at_ms;
    uint32_t lost_at_ms;        /* the next reconnect is due reconnect_delay_ms after it */
    uint32_t reconnect_delay_ms;
    iot_status_t lost_status;   /* why the link went down; reported by the reader */
    iot_connect_options_t opts; /* host and client_id point into the copies below */
    iot_port_mutex_t lock;
    iot_backoff_t backoff;
    pending_t pending[MAX_PENDING];
    mqtt_session_t session;
    iot_port_thread_t thread;
    subscription_t subs[IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS];
    char host[IOT_CONFIG_MQTT_MAX_HOST_LEN + 1];
    char client_id[IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN + 1];
    iot_tls_config_t tls;
    uint8_t tx[IOT_CONFIG_MQTT_TX_BUFFER_SIZE];
    iot_transport_t transport;
};

/* PINGREQ and DISCONNECT are two fixed bytes each (3.12, 3.14). */
static const uint8_t pingreq_packet[2] = { (uint8_t)(MQTT_PINGREQ << 4), 0u };
static const uint8_t disconnect_packet[2] = { (uint8_t)(MQTT_DISCONNECT << 4), 0u };

/* One pool slot: a client, its static buffers and the flag that claims it.
 * Slots are claimed with an atomic exchange: iot_connect may race with
 * itself, and no lock can be created before the first client exists. */
typedef struct {
    iot_client_t client; /* first: a client's address is its slot's */
    atomic_bool claimed;
    uint8_t rx[IOT_CONFIG_MQTT_RX_BUFFER_SIZE];
    uint8_t queue[IOT_CONFIG_MQTT_QUEUE_SIZE];
} pool_slot_t;

static pool_slot_t g_pool[IOT_CONFIG_MQTT_MAX_CLIENTS];

static mqtt_span_t span_of(const void *data, size_t len)
{
    mqtt_span_t s;
    s.data = (const uint8_t *)data;
    s.len = len;
    return s;
}

/* A string whose length the caller has checked against dst's size, with its NUL. */
static void copy_string(char *dst, const char *src)
{
    memcpy(dst, src, strlen(src) + 1u);
}

static mqtt_span_t span_str(const char *str)
{
    return span_of(str, (str != NULL) ? strlen(str) : 0u);
}

/* The port's clock cut to 32 bits: every use takes a difference of two
 * readings, which stays right across the wrap (every 49.7 days). */
static uint32_t now_ms(void)
{
    return (uint32_t)iot_port_time_ms();
}

/* What is left of a wait of total_ms that began at start (0 once over). */
static uint32_t ms_left(uint32_t start, uint32_t total_ms)
{
    uint32_t gone = now_ms() - start;

    return (gone < total_ms) ? total_ms - gone : 0u;
}

static void emit_event(iot_client_t *c, iot_event_t event, iot_status_t status)
{
    if (c->opts.on_event != NULL) {
        c->opts.on_event(c, event, status, c->opts.event_user);
    }
}

/* ---- Sending (lock held) ------------------------------------------------ */

static void link_lost(iot_client_t *c, iot_status_t why);

static iot_status_t send_bytes(iot_client_t *c, const uint8_t *data, size_t len)
{
    iot_status_t st;

    if (c->link != LINK_UP) {
        return IOT_ERR_NOT_CONNECTED;
    }
    st = iot_transport_send(&c->transport, data, len, c->opts.command_timeout_ms);
    if (st != IOT_OK) {
        link_lost(c, st);
        return st;
    }
    c->last_tx_ms = now_ms();
    return IOT_OK;
}

static iot_status_t send_ack(iot_client_t *c, mqtt_packet_type_t type, uint16_t id)
{
    uint8_t pkt[4];

    mqtt_write_ack(type, id, pkt);
    return send_bytes(c, pkt, sizeof(pkt));
}

/* Without QoS 2 no entry gets this far. */
#if IOT_CONFIG_MQTT_QOS2
#define AWAITS_PUBCOMP(e) ((e)->state == MQTT_OUT_AWAIT_PUBCOMP)
#else
#define AWAITS_PUBCOMP(e) false
#endif

/* Send the live queue entries from the cursor on, oldest first: PUBLISHes
 * not sent yet, PUBLISHes sent before a reconnect again with DUP (3.3.1.1),
 * and PUBREL for QoS 2 messages the broker has received. PUBLISHes that lie
 * back to back in the queue (all but a wrap) go out in one write: one TLS
 * record instead of one per message. */
static void send_queued(iot_client_t *c, size_t cursor)
{
    const uint8_t *run = NULL;
    size_t run_len = 0;
    mqtt_out_entry_t *e;

    while (c->link == LINK_UP && (e = mqtt_session_next_live(&c->session, &cursor)) != NULL) {
        uint8_t *bytes = mqtt_session_bytes(&c->session, e);
        if (run != NULL && (bytes != run + run_len || AWAITS_PUBCOMP(e))) {
            if (send_bytes(c, run, run_len) != IOT_OK) {
                return; /* link lost: the rest waits for the reconnect */
            }
            run = NULL;
        }
        if (AWAITS_PUBCOMP(e)) {
            (void)send_ack(c, MQTT_PUBREL, e->packet_id);
            continue;
        }
        if (e->state == MQTT_OUT_UNSENT) {
            c->session.unsent--;
        } else {
            bytes[0] |= 0x08u;
        }
        e->state = (!IOT_CONFIG_MQTT_QOS2 || e->qos == 1u) ? MQTT_OUT_AWAIT_PUBACK : MQTT_OUT_AWAIT_PUBREC;
        if (run == NULL) {
            run = bytes;
            run_len = 0;
        }
        run_len += e->len;
    }
    if (run != NULL) {
        (void)send_bytes(c, run, run_len);
    }
}

/* The PUBLISHes not sent yet: always the newest entries. */
static void send_unsent(iot_client_t *c)
{
    send_queued(c, c->session.count - c->session.unsent);
}

/* Send what waits when few enough messages are unacknowledged. */
static void refill_window(iot_client_t *c)
{
    if (c->session.unsent > 0u && c->link == LINK_UP &&
        c->session.live - c->session.unsent <= SEND_WINDOW_LOW) {
        send_unsent(c);
    }
}

/* ---- Link state --------------------------------------------------------- */

static void schedule_reconnect(iot_client_t *c)
{
    c->lost_at_ms = now_ms();
    c->reconnect_delay_ms = iot_backoff_next(&c->backoff);
}

static void link_lost(iot_client_t *c, iot_status_t why)
{
    if (c->link != LINK_UP) {
        return;
    }
    IOT_LOGW(LOG_MODULE, "%s: connection lost: %s", c->opts.client_id, iot_status_name(why));
    iot_transport_close(&c->transport);
    c->link = LINK_DOWN;
    c->rx_len = 0;
    c->rx_discard = 0;
    c->ping_outstanding = false;
    c->lost_status = why;
    c->lost_unreported = true;
    /* A connection that stayed up long enough earns a fresh back-off. */
    if (now_ms() - c->connected_at_ms >= c->opts.stable_after_ms) {
        iot_backoff_reset(&c->backoff);
    }
    schedule_reconnect(c);
}

static iot_status_t connack_status(uint8_t rc)
{
    static const iot_status_t map[] = { IOT_OK,
                                        IOT_ERR_MQTT_REFUSED_VERSION,
                                        IOT_ERR_MQTT_REFUSED_ID,
                                        IOT_ERR_MQTT_SERVER_UNAVAILABLE,
                                        IOT_ERR_MQTT_BAD_CREDENTIALS,
                                        IOT_ERR_MQTT_NOT_AUTHORIZED };
    return (rc < sizeof(map) / sizeof(map[0])) ? map[rc] : IOT_ERR_MQTT_PROTOCOL;
}

static iot_status_t read_exact(iot_client_t *c, uint8_t *buf, size_t len, uint32_t start,
                               uint32_t total_ms)
{
    size_t got = 0;

    while (got < len) {
        size_t n = 0;
        uint32_t left = ms_left(start, total_ms);
        iot_status_t st;
        if (left == 0u) {
            return IOT_ERR_TIMEOUT;
        }
        st = iot_transport_recv(&c->transport, buf + got, len - got, left, &n);
        if (st != IOT_OK) {
            return st;
        }
        got += n;
    }
    return IOT_OK;
}

/* CONNECT and wait for CONNACK. The transport is ours alone meanwhile. */
static iot_status_t mqtt_handshake(iot_client_t *c, uint32_t start, bool *session_present)
{
    mqtt_connect_t cn;
    mqtt_packet_t pkt;
    uint8_t ack[4];
    size_t len = 0;
    iot_status_t st;

    memset(&cn, 0, sizeof(cn));
    cn.client_id = span_str(c->opts.client_id);
    cn.keep_alive_s = c->opts.keep_alive_s;
    cn.clean_session = c->opts.clean_session;
#if IOT_CONFIG_MQTT_WILL
    if (c->opts.will_topic != NULL) {
        cn.has_will = true;
        cn.will_topic = span_str(c->opts.will_topic);
        cn.will_payload = span_of(c->opts.will_payload, c->opts.will_payload_len);
        cn.will_qos = (uint8_t)c->opts.will_qos;
        cn.will_retain = c->opts.will_retain;
    }
#endif
    if (c->opts.username != NULL) {
        cn.has_username = true;
        cn.username = span_str(c->opts.username);
    }
    if (c->opts.password != NULL) {
        cn.has_password = true;
        cn.password = span_of(c->opts.password, c->opts.password_len);
    }
    /* Nothing is being received yet, so the receive buffer holds CONNECT;
     * check_options checked its fields. */
    len = mqtt_write_connect(&cn, c->rx, c->rx_cap);
    if (len > c->rx_cap) {
        return IOT_ERR_BUFFER_TOO_SMALL;
    }
    st = iot_transport_send(&c->transport, c->rx, len, ms_left(start, c->opts.connect_timeout_ms));
    if (st != IOT_OK) {
        return st;
    }
    st = read_exact(c, ack, sizeof(ack), start, c->opts.connect_timeout_ms);
    if (st != IOT_OK) {
        return st;
    }
    if (mqtt_decode_packet(ack, sizeof(ack), &pkt) != IOT_OK || pkt.type != MQTT_CONNACK) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    *session_present = pkt.u.connack.session_present;
    return connack_status(pkt.u.connack.return_code);
}

/* TCP + TLS + MQTT, without the lock: the link is LINK_CONNECTING meanwhile,
 * which keeps every other thread away from the transport. */
static iot_status_t open_link(iot_client_t *c, bool *session_present)
{
    uint32_t start = now_ms();
    iot_status_t st;

    st = iot_transport_connect(&c->transport, c->opts.host, c->opts.port, &c->tls,
                               c->opts.connect_timeout_ms);
    if (st != IOT_OK) {
        return st;
    }
    st = mqtt_handshake(c, start, session_present);
    if (st != IOT_OK) {
        iot_transport_close(&c->transport);
    }
    return st;
}

static uint16_t next_packet_id(iot_client_t *c)
{
    uint16_t busy[MAX_PENDING];
    size_t i;

    for (i = 0; i < MAX_PENDING; i++) {
        busy[i] = c->pending[i].packet_id;
    }
    return mqtt_session_next_id(&c->session, busy, MAX_PENDING);
}

/* Every SUBSCRIBE fits the transmit scratch: fixed header (2 bytes while
 * the remaining length is under 128, 3 up to 16383), packet id, length
 * prefix, filter and QoS byte. So writing one never fails. */
_Static_assert(IOT_CONFIG_MQTT_TX_BUFFER_SIZE >= IOT_CONFIG_MQTT_MAX_FILTER_LEN + 10u,
               "IOT_CONFIG_MQTT_TX_BUFFER_SIZE must be at least IOT_CONFIG_MQTT_MAX_FILTER_LEN + 10");

/* Send a SUBSCRIBE (at the subscription's QoS) or UNSUBSCRIBE of a stored,
 * validated filter, recorded as pending under packet id id (lock held).
 * NULL with IOT_ERR_NO_MEMORY when MAX_PENDING requests are waiting. */
static pending_t *send_filter(iot_client_t *c, mqtt_packet_type_t type, uint16_t id,
                              const subscription_t *s, bool internal, iot_status_t *st)
{
    pending_t *p;

    for (p = c->pending; p < c->pending + MAX_PENDING; p++) {
        if (p->packet_id == 0u) {
            memset(p, 0, sizeof(*p));
            p->packet_id = id;
            p->type = (uint8_t)(type + 1); /* SUBACK, UNSUBACK */
            p->internal = internal;
            *st = send_bytes(c, c->tx,
                             mqtt_write_filter_packet(type, id, span_str(s->filter), s->qos, c->tx,
                                                      sizeof(c->tx)));
            return p;
        }
    }
    *st = IOT_ERR_NO_MEMORY;
    return NULL;
}

#if IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS
/* After a reconnect the broker may have lost the session: subscribe again,
 * one filter per packet, without waiting (the reader sees the SUBACKs). */
static void restore_subscriptions(iot_client_t *c)
{
    size_t i;

    for (i = 0; i < IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS && c->link == LINK_UP; i++) {
        iot_status_t st;
        if (c->subs[i].used) {
            (void)send_filter(c, MQTT_SUBSCRIBE, next_packet_id(c), &c->subs[i], true, &st);
        }
    }
}
#endif

/* The link just came up (lock held): resend what the broker has not acknowledged. */
static void link_up(iot_client_t *c, bool session_present)
{
    c->link = LINK_UP;
    c->connected_at_ms = now_ms();
    c->last_tx_ms = c->connected_at_ms;
    c->ping_outstanding = false;
    c->rx_len = 0;
    c->rx_discard = 0;
    memset(c->pending, 0, sizeof(c->pending));
    if (!session_present) {
#if IOT_CONFIG_MQTT_QOS2
        mqtt_session_clear_inbound(&c->session);
#endif
#if IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS
        restore_subscriptions(c);
#endif
    }
    send_queued(c, 0);
}

/* ---- Receiving (reader token held) -------------------------------------- */

static void deliver(iot_client_t *c, const mqtt_publish_t *p)
{
    iot_message_t msg;
    bool matched = false;
    size_t i;

    msg.topic = (const char *)p->topic.data;
    msg.topic_len = p->topic.len;
    msg.payload = p->payload.data;
    msg.payload_len = p->payload.len;
    msg.qos = (iot_qos_t)p->qos;
    msg.retain = p->retain;
    msg.dup = p->dup;
    for (i = 0; i < IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS; i++) {
        iot_message_cb_t cb;
        void *user;
        iot_port_mutex_lock(&c->lock);
        cb = c->subs[i].used && mqtt_topic_matches(span_str(c->subs[i].filter), p->topic)
                 ? c->subs[i].cb
                 : NULL;
        user = c->subs[i].user;
        iot_port_mutex_unlock(&c->lock);
        if (cb != NULL) {
            matched = true;
            cb(c, &msg, user);
        }
    }
    if (!matched && c->opts.on_message != NULL) {
        c->opts.on_message(c, &msg, c->opts.message_user);
    }
}

#if IOT_HAVE_ATTEST
/* Set by iot_attest_mqtt_attach() (iot_keystore_init()); see iot_attest_internal.h. */
iot_attest_mqtt_answer_fn iot_attest_mqtt_hook;

/* Whether `p` was a gateway's attestation challenge, answered (or, without
 * the key store, refused) instead of delivered. */
static bool answer_challenge(iot_client_t *c, const mqtt_publish_t *p)
{
    iot_attest_mqtt_answer_fn answer = iot_attest_mqtt_hook;

    if (answer != NULL) {
        return answer(c, p->topic.data, p->topic.len, p->payload.data, p->payload.len);
    }
    if (p->topic.len != sizeof(IOT_ATTEST_TOPIC_CHALLENGE) - 1u ||
        memcmp(p->topic.data, IOT_ATTEST_TOPIC_CHALLENGE, p->topic.len) != 0) {
        return false;
    }
    IOT_LOGE("attest", "cannot answer the attestation challenge: %s",
             iot_status_name(IOT_ERR_BAD_STATE));
    return true;
}
#endif

/* Handle one inbound PUBLISH: acknowledge and deliver (QoS 2 method of 4.3.3:
 * deliver on receipt, remember the id until PUBREL so duplicates are dropped).
 * Called with the lock held; delivers without it and returns with it. */
static void on_publish(iot_client_t *c, const mqtt_publish_t *p)
{
    bool duplicate = false;

    if (p->qos == 1u) {
        (void)send_ack(c, MQTT_PUBACK, p->packet_id);
    }
#if IOT_CONFIG_MQTT_QOS2
    else if (p->qos == 2u) {
        bool full = false;
        duplicate = mqtt_session_inbound_qos2_seen(&c->session, p->packet_id, &full);
        if (full) {
            IOT_LOGW(LOG_MODULE, "%s: inbound QoS 2 table full", c->opts.client_id);
        }
        (void)send_ack(c, MQTT_PUBREC, p->packet_id);
    }
#endif
    iot_port_mutex_unlock(&c->lock);
#if IOT_HAVE_ATTEST
    /* A gateway's attestation challenge is answered here, never delivered. */
    if (!duplicate && answer_challenge(c, p)) {
        iot_port_mutex_lock(&c->lock);
        return;
    }
#endif
    if (!duplicate) {
        deliver(c, p);
    }
    iot_port_mutex_lock(&c->lock);
}

static void on_ack(iot_client_t *c, const mqtt_packet_t *pkt)
{
    mqtt_out_entry_t *e = mqtt_session_find(&c->session, pkt->u.packet_id);

    switch (pkt->type) {
    case MQTT_PUBACK:
        if (e != NULL && e->state == MQTT_OUT_AWAIT_PUBACK) {
            mqtt_session_release(&c->session, e);
        }
        break;
#if IOT_CONFIG_MQTT_QOS2
    case MQTT_PUBREC:
        if (e != NULL && (e->state == MQTT_OUT_AWAIT_PUBREC || e->state == MQTT_OUT_AWAIT_PUBCOMP)) {
            e->state = MQTT_OUT_AWAIT_PUBCOMP;
        }
        /* Answer even an unknown id, or the broker would resend PUBREC forever. */
        (void)send_ack(c, MQTT_PUBREL, pkt->u.packet_id);
        break;
    case MQTT_PUBCOMP:
        if (e != NULL && e->state == MQTT_OUT_AWAIT_PUBCOMP) {
            mqtt_session_release(&c->session, e);
        }
        break;
    case MQTT_PUBREL:
        mqtt_session_inbound_qos2_release(&c->session, pkt->u.packet_id);
        (void)send_ack(c, MQTT_PUBCOMP, pkt->u.packet_id);
        break;
#endif
    default:
        break;
    }
}

static void on_sub_ack(iot_client_t *c, const mqtt_packet_t *pkt)
{
    uint16_t id = (pkt->type == MQTT_SUBACK) ? pkt->u.suback.packet_id : pkt->u.packet_id;
    pending_t *p;

    for (p = c->pending; p < c->pending + MAX_PENDING; p++) {
        if (p->packet_id != id || p->type != (uint8_t)pkt->type) {
            continue;
        }
        p->return_code = (pkt->type == MQTT_SUBACK) ? pkt->u.suback.return_codes[0] : 0u;
#if IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS
        if (p->internal) {
            if (p->return_code == 0x80u) {
                c->lost_status = IOT_ERR_MQTT_SUBSCRIBE_REFUSED;
            }
            p->packet_id = 0;
            return;
        }
#endif
        p->done = true;
        return;
    }
}

/* Dispatch one complete packet (lock held on entry and exit). */
static iot_status_t handle_packet(iot_client_t *c, const uint8_t *buf, size_t len, bool *resub_failed)
{
    mqtt_packet_t pkt;
    iot_status_t st = mqtt_decode_packet(buf, len, &pkt);

    if (st != IOT_OK) {
        IOT_LOGE(LOG_MODULE, "%s: malformed packet from broker (type %u): %s", c->opts.client_id,
                 (unsigned)(buf[0] >> 4), iot_status_name(st));
        return IOT_ERR_MQTT_PROTOCOL;
    }
    switch (pkt.type) {
    case MQTT_PUBLISH:
        if (!IOT_CONFIG_MQTT_QOS2 && pkt.u.publish.qos == 2u) {
            return IOT_ERR_MQTT_PROTOCOL; /* nothing subscribed at QoS 2 */
        }
        on_publish(c, &pkt.u.publish);
        break;
    case MQTT_PUBACK:
#if IOT_CONFIG_MQTT_QOS2
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
#endif
        on_ack(c, &pkt);
        break;
    case MQTT_SUBACK:
#if IOT_CONFIG_MQTT_UNSUBSCRIBE
    case MQTT_UNSUBACK:
#endif
    {
#if IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS
        iot_status_t before = c->lost_status;
        on_sub_ack(c, &pkt);
        if (c->lost_status == IOT_ERR_MQTT_SUBSCRIBE_REFUSED && before != c->lost_status) {
            *resub_failed = true;
        }
#else
        (void)resub_failed;
        on_sub_ack(c, &pkt);
#endif
        break;
    }
    case MQTT_PINGRESP:
        c->ping_outstanding = false;
        break;
    default:
        /* A CONNACK after the handshake is a protocol violation (3.2). */
        return IOT_ERR_MQTT_PROTOCOL;
    }
    return IOT_OK;
}

/* For an oversized PUBLISH, acknowledge it from its first bytes (if they
 * are here) so the broker does not resend it forever, then skip the rest. */
static void drop_oversized(iot_client_t *c, size_t header_len, size_t total)
{
    const uint8_t *p = c->rx + header_len;
    uint8_t qos = (uint8_t)((c->rx[0] >> 1) & 3u);

    IOT_LOGW(LOG_MODULE, "%s: dropping a %u-byte packet larger than the %u-byte receive buffer",
             c->opts.client_id, (unsigned)total, (unsigned)c->rx_cap);
    if ((c->rx[0] >> 4) == MQTT_PUBLISH && qos > 0u && c->rx_len >= header_len + 2u) {
        size_t topic_len = ((size_t)p[0] << 8) | p[1];
        if (c->rx_len >= header_len + 2u + topic_len + 2u) {
            uint16_t id = (uint16_t)((p[2 + topic_len] << 8) | p[3 + topic_len]);
            if (id != 0u) { /* 2.3.1: never acknowledge packet id 0 */
                (void)send_ack(c, (qos == 1u) ? MQTT_PUBACK : MQTT_PUBREC, id);
            }
        }
    }
    c->rx_discard = total - c->rx_len;
    c->rx_len = 0;
}

/* Parse and dispatch every complete packet in rx (lock held). */
static iot_status_t drain_rx(iot_client_t *c, bool *dropped, bool *resub_failed)
{
    size_t used = 0;
    iot_status_t st = IOT_OK;

    while (c->link == LINK_UP && used < c->rx_len) {
        uint8_t first = 0;
        size_t remaining = 0;
        size_t header = 0;
        st = mqtt_decode_fixed_header(c->rx + used, c->rx_len - used, &first, &remaining, &header);
        if (st == IOT_ERR_INCOMPLETE) {
            st = IOT_OK;
            break;
        }
        if (st != IOT_OK) {
            return IOT_ERR_MQTT_PROTOCOL;
        }
        if (header + remaining > c->rx_cap) {
            memmove(c->rx, c->rx + used, c->rx_len - used);
            c->rx_len -= used;
            drop_oversized(c, header, header + remaining);
            *dropped = true;
            return IOT_OK;
        }
        if (header + remaining > c->rx_len - used) {
            break;
        }
        st = handle_packet(c, c->rx + used, header + remaining, resub_failed);
        if (st != IOT_OK) {
            return st;
        }
        used += header + remaining;
    }
    if (used > 0u && c->link == LINK_UP) {
        memmove(c->rx, c->rx + used, c->rx_len - used);
        c->rx_len -= used;
    }
    return st;
}

/* Receive what is there (lock held) and dispatch it. */
static void receive_some(iot_client_t *c, bool *dropped, bool *resub_failed)
{
    uint8_t scratch[256];
    size_t n = 0;
    iot_status_t st;

    if (c->rx_discard > 0u) {
        size_t want = (c->rx_discard < sizeof(scratch)) ? c->rx_discard : sizeof(scratch);
        st = iot_transport_recv(&c->transport, scratch, want, RECORD_TIMEOUT_MS, &n);
        if (st == IOT_OK) {
            c->rx_discard -= n;
        }
    } else {
        /* Everything that has already arrived, one record per call. */
        do {
            st = iot_transport_recv(&c->transport, c->rx + c->rx_len, c->rx_cap - c->rx_len,
                                    RECORD_TIMEOUT_MS, &n);
            if (st == IOT_OK) {
                c->rx_len += n;
                st = drain_rx(c, dropped, resub_failed);
            }
        } while (st == IOT_OK && c->link == LINK_UP && c->rx_discard == 0u &&
                 c->rx_len < c->rx_cap && iot_transport_pending(&c->transport));
    }
    if (st != IOT_OK && st != IOT_ERR_TIMEOUT) {
        link_lost(c, st);
    }
    refill_window(c);
}

/* Keep-alive (3.1.2.10): ping when idle, declare the broker dead when the
 * answer does not come in time. */
static void keep_alive(iot_client_t *c)
{
    uint32_t now = now_ms();

    if (c->link != LINK_UP || c->opts.keep_alive_s == 0u) {
        return;
    }
    if (c->ping_outstanding) {
        if (now - c->ping_sent_ms >= c->opts.ping_timeout_ms) {
            IOT_LOGW(LOG_MODULE, "%s: no PINGRESP within %u ms", c->opts.client_id,
                     (unsigned)c->opts.ping_timeout_ms);
            link_lost(c, IOT_ERR_KEEPALIVE);
        }
        return;
    }
    if (now - c->last_tx_ms >= (uint32_t)c->opts.keep_alive_s * 1000u) {
        if (send_bytes(c, pingreq_packet, sizeof(pingreq_packet)) == IOT_OK) {
            c->ping_outstanding = true;
            c->ping_sent_ms = now;
        }
    }
}

/* Time until keep-alive needs attention, capped at cap_ms. */
static uint32_t keep_alive_due(const iot_client_t *c, uint32_t cap_ms)
{
    uint32_t left;

    if (c->opts.keep_alive_s == 0u) {
        return cap_ms;
    }
    left = c->ping_outstanding ? ms_left(c->ping_sent_ms, c->opts.ping_timeout_ms)
                               : ms_left(c->last_tx_ms, (uint32_t)c->opts.keep_alive_s * 1000u);
    return (left < cap_ms) ? left : cap_ms;
}

static void try_reconnect(iot_client_t *c)
{
    bool session_present = false;
    iot_status_t st;

    c->link = LINK_CONNECTING;
    iot_port_mutex_unlock(&c->lock);
    st = open_link(c, &session_present);
    iot_port_mutex_lock(&c->lock);
    if (st == IOT_OK && !c->closing) {
        IOT_LOGI(LOG_MODULE, "%s: reconnected (session %s)", c->opts.client_id,
                 session_present ? "resumed" : "new");
        link_up(c, session_present);
        iot_port_mutex_unlock(&c->lock);
        emit_event(c, IOT_EVENT_CONNECTED, IOT_OK);
        iot_port_mutex_lock(&c->lock);
        return;
    }
    if (st == IOT_OK) {
        iot_transport_close(&c->transport);
    }
    c->link = LINK_DOWN;
    schedule_reconnect(c);
    IOT_LOGW(LOG_MODULE, "%s: reconnect failed: %s", c->opts.client_id, iot_status_name(st));
    iot_port_mutex_unlock(&c->lock);
    emit_event(c, IOT_EVENT_RECONNECT_FAILED, st);
    iot_port_mutex_lock(&c->lock);
}

/* One round of reader work for at most wait_ms. Caller holds the lock and
 * the reader token; both are held again on return (released meanwhile). */
static void reader_round(iot_client_t *c, uint32_t wait_ms)
{
    bool dropped = false;
    bool resub_failed = false;
    bool readable;

    if (c->link == LINK_DOWN) {
        uint32_t left = ms_left(c->lost_at_ms, c->reconnect_delay_ms);
        if (c->opts.auto_reconnect && !c->closing && left == 0u) {
            try_reconnect(c);
        } else {
            uint32_t nap = (c->opts.auto_reconnect && left > 0u && left < wait_ms) ? left : wait_ms;
            iot_port_mutex_unlock(&c->lock);
            iot_port_sleep_ms(nap);
            iot_port_mutex_lock(&c->lock);
        }
    } else if (c->link == LINK_UP) {
        keep_alive(c);
        wait_ms = keep_alive_due(c, wait_ms);
        /* Wait for input without the lock, so other threads can send. */
        iot_port_mutex_unlock(&c->lock);
        readable = iot_transport_wait_readable(&c->transport, wait_ms) == IOT_OK;
        iot_port_mutex_lock(&c->lock);
        if (readable && c->link == LINK_UP) {
            receive_some(c, &dropped, &resub_failed);
        }
        keep_alive(c);
    }
    if (c->lost_unreported || dropped || resub_failed) {
        bool lost = c->lost_unreported;
        iot_status_t why = c->lost_status;
        c->lost_unreported = false;
        iot_port_mutex_unlock(&c->lock);
        if (lost) {
            emit_event(c, IOT_EVENT_DISCONNECTED, why);
        }
        if (dropped) {
            emit_event(c, IOT_EVENT_MESSAGE_DROPPED, IOT_ERR_BUFFER_TOO_SMALL);
        }
        if (resub_failed) {
            emit_event(c, IOT_EVENT_RESUBSCRIBE_FAILED, IOT_ERR_MQTT_SUBSCRIBE_REFUSED);
        }
        iot_port_mutex_lock(&c->lock);
    }
}

/* Whether the caller may read now: the token is free and the caller is not
 * inside one of this client's callbacks on the reading thread. */
static bool take_reader_token(iot_client_t *c)
{
    if (c->reading) {
        return false;
    }
    c->reading = true;
    c->reader_thread = iot_port_thread_id();
    return true;
}

static void give_reader_token(iot_client_t *c)
{
    c->reading = false;
    c->reader_thread = 0;
}

static bool on_reader_thread(const iot_client_t *c)
{
    return c->reading && c->reader_thread == iot_port_thread_id();
}

typedef bool (*condition_fn)(iot_client_t *c, const void *arg);

/* Wait (lock held on entry and exit) until cond holds, driving I/O when no
 * other thread does: at least one round, even with a zero timeout, so that
 * iot_process(client, 0) polls. IOT_ERR_TIMEOUT after timeout_ms;
 * IOT_ERR_NOT_CONNECTED when the link is down for good or the client is
 * closing. */
static iot_status_t wait_for(iot_client_t *c, condition_fn cond, const void *arg, uint32_t timeout_ms)
{
    uint32_t start = now_ms();
    uint32_t left = timeout_ms;

    for (;;) {
        if (cond(c, arg)) {
            return IOT_OK;
        }
        if (c->closing || (c->link == LINK_DOWN && !c->opts.auto_reconnect)) {
            return IOT_ERR_NOT_CONNECTED;
        }
        if (on_reader_thread(c)) {
            /* Inside a callback on the reading thread: nobody else will read. */
            return IOT_ERR_BAD_STATE;
        }
        if (take_reader_token(c)) {
            reader_round(c, (left < READ_SLICE_MS) ? left : READ_SLICE_MS);
            give_reader_token(c);
        } else {
            iot_port_mutex_unlock(&c->lock);
            iot_port_sleep_ms(1);
            iot_port_mutex_lock(&c->lock);
        }
        left = ms_left(start, timeout_ms);
        if (left == 0u && !cond(c, arg)) {
            return IOT_ERR_TIMEOUT;
        }
    }
}

/* ---- Public API ----------------------------------------------------------- */

static void apply_defaults(iot_connect_options_t *o)
{
    if (o->connect_timeout_ms == 0u) {
        o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    }
    if (o->command_timeout_ms == 0u) {
        o->command_timeout_ms = IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS;
    }
    if (o->ping_timeout_ms == 0u) {
        o->ping_timeout_ms = DEFAULT_PING_TIMEOUT_MS;
    }
    if (o->stable_after_ms == 0u) {
        o->stable_after_ms = DEFAULT_STABLE_AFTER_MS;
    }
}

/* A CONNECT string (NULL: absent). */
static iot_status_t check_string(const char *str)
{
    size_t len = (str != NULL) ? strlen(str) : 0u;

    if (len > MQTT_STRING_MAX) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    return mqtt_utf8_valid((const uint8_t *)str, len) ? IOT_OK : IOT_ERR_INVALID_ARG;
}

static iot_status_t check_options(const iot_connect_options_t *o)
{
    iot_status_t st;

    IOT_CHECK_ARG(o->struct_size >= sizeof(uint32_t) && o->host != NULL && o->port != 0u);
    IOT_CHECK_ARG(o->client_id != NULL && o->tls != NULL);
    IOT_CHECK_ARG(o->client_id[0] != '\0' || o->clean_session);
    IOT_CHECK_ARG(o->password == NULL || o->username != NULL);
    IOT_CHECK_ARG((unsigned)o->will_qos <= 2u);
    IOT_CHECK_ARG(o->will_payload != NULL || o->will_payload_len == 0u);
    IOT_CHECK_ARG((o->rx_buffer == NULL) == (o->rx_buffer_size == 0u));
    IOT_CHECK_ARG((o->queue_buffer == NULL) == (o->queue_buffer_size == 0u));
    IOT_CHECK_ARG(o->rx_buffer == NULL || o->rx_buffer_size >= 64u);
    /* Not a removable precondition: these bound the copies iot_connect makes. */
    if (strlen(o->host) > IOT_CONFIG_MQTT_MAX_HOST_LEN ||
        strlen(o->client_id) > IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN) {
        return IOT_ERR_INVALID_ARG;
    }
#if IOT_CONFIG_MQTT_WILL
    if (o->will_topic != NULL && mqtt_validate_topic_name(span_str(o->will_topic)) != IOT_OK) {
        return IOT_ERR_BAD_TOPIC;
    }
#else
    if (o->will_topic != NULL) {
        return IOT_ERR_NOT_SUPPORTED;
    }
#endif
#if !IOT_CONFIG_MQTT_BACKGROUND_THREAD
    if (o->struct_size > offsetof(iot_connect_options_t, background_thread) && o->background_thread) {
        return IOT_ERR_NOT_SUPPORTED;
    }
#endif
    /* What CONNECT carries (3.1.3): UTF-8 strings, and every field within
     * its 16-bit length prefix; mqtt_write_connect checks nothing. */
    st = check_string(o->client_id);
    if (st == IOT_OK && o->will_topic != NULL && o->will_payload_len > MQTT_STRING_MAX) {
        st = IOT_ERR_PACKET_TOO_LARGE;
    }
    if (st == IOT_OK) {
        st = check_string(o->username);
    }
    if (st == IOT_OK && o->password != NULL && o->password_len > MQTT_STRING_MAX) {
        st = IOT_ERR_PACKET_TOO_LARGE;
    }
    return st;
}

static pool_slot_t *claim_slot(void)
{
    pool_slot_t *s;

    for (s = g_pool; s < g_pool + IOT_CONFIG_MQTT_MAX_CLIENTS; s++) {
        bool expected = false;
        if (atomic_compare_exchange_strong(&s->claimed, &expected, true)) {
            memset(&s->client, 0, sizeof(s->client));
            s->client.in_use = true;
            return s;
        }
    }
    return NULL;
}

static void release_client(iot_client_t *c)
{
    c->in_use = false;
    atomic_store(&((pool_slot_t *)(void *)c)->claimed, false);
}

#if IOT_CONFIG_MQTT_BACKGROUND_THREAD
static void thread_main(void *arg);
#endif

iot_status_t iot_connect(const iot_connect_options_t *options, iot_client_t **client)
{
    pool_slot_t *slot;
    iot_client_t *c;
    size_t copy;
    bool session_present = false;
    uint32_t seed = 0;
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL);
    *client = NULL;
    IOT_CHECK_ARG(options != NULL);
    st = check_options(options);
    if (st != IOT_OK) {
        return st;
    }
    slot = claim_slot();
    if (slot == NULL) {
        return IOT_ERR_NO_MEMORY;
    }
    c = &slot->client;
    /* Older callers pass a smaller struct: fields they do not know keep the
     * defaults of IOT_CONNECT_OPTIONS_INIT (zero, except these three). */
    c->opts.keep_alive_s = 60u;
    c->opts.clean_session = true;
    c->opts.auto_reconnect = true;
    copy = (options->struct_size < sizeof(c->opts)) ? options->struct_size : sizeof(c->opts);
    memcpy(&c->opts, options, copy);
    c->opts.struct_size = sizeof(c->opts);
    /* check_options bounded both lengths. */
    copy_string(c->host, options->host);
    copy_string(c->client_id, options->client_id);
    c->opts.host = c->host;
    c->opts.client_id = c->client_id;
    apply_defaults(&c->opts);
    c->tls = *options->tls;
    c->rx = slot->rx;
    c->rx_cap = IOT_CONFIG_MQTT_RX_BUFFER_SIZE;
    if (options->rx_buffer != NULL) {
        c->rx = options->rx_buffer;
        c->rx_cap = options->rx_buffer_size;
    }
    if (options->queue_buffer != NULL) {
        mqtt_session_init(&c->session, options->queue_buffer, options->queue_buffer_size);
    } else {
        mqtt_session_init(&c->session, slot->queue, IOT_CONFIG_MQTT_QUEUE_SIZE);
    }
    /* Jitter only: the seed's byte order does not matter, and on failure a
     * fixed seed is still correct. */
    if (iot_port_entropy((uint8_t *)&seed, sizeof(seed)) != IOT_OK) {
        seed = 0;
    }
    iot_backoff_init(&c->backoff, c->opts.backoff_base_ms, c->opts.backoff_max_ms, seed);
    st = iot_port_mutex_init(&c->lock);
    if (st == IOT_OK) {
        c->link = LINK_CONNECTING;
        st = open_link(c, &session_present);
        if (st != IOT_OK) {
            iot_port_mutex_destroy(&c->lock);
        }
    }
    if (st != IOT_OK) {
        IOT_LOGE(LOG_MODULE, "%s: connect to %s:%u failed: %s", options->client_id, options->host,
                 (unsigned)options->port, iot_status_name(st));
        release_client(c);
        return st;
    }
    iot_port_mutex_lock(&c->lock);
    link_up(c, session_present);
    iot_port_mutex_unlock(&c->lock);
    IOT_LOGI(LOG_MODULE, "%s: connected to %s:%u", c->opts.client_id, c->opts.host,
             (unsigned)c->opts.port);
#if IOT_CONFIG_MQTT_BACKGROUND_THREAD
    if (c->opts.background_thread) {
        st = iot_port_thread_start(&c->thread, thread_main, c);
        if (st != IOT_OK) {
            c->opts.background_thread = false;
            (void)iot_disconnect(c);
            return st;
        }
    }
#endif
    *client = c;
    emit_event(c, IOT_EVENT_CONNECTED, IOT_OK);
    return IOT_OK;
}

static bool queue_has_room(iot_client_t *c, const void *arg)
{
    return mqtt_session_has_room(&c->session, *(const size_t *)arg);
}

static iot_status_t publish_qos0(iot_client_t *c, const mqtt_publish_t *p)
{
    size_t hdr = mqtt_publish_size(p) - p->payload.len;
    iot_status_t st;

    if (hdr > sizeof(c->tx)) {
        return IOT_ERR_PACKET_TOO_LARGE; /* the topic does not fit the transmit scratch */
    }
    if (c->link != LINK_UP) {
        return IOT_ERR_NOT_CONNECTED;
    }
    (void)mqtt_write_publish_header(p, c->tx);
    /* Queued messages keep their place ahead of this one. */
    if (c->session.unsent > 0u) {
        send_unsent(c);
    }
    /* One write (one TLS record) when it fits, else header and payload apart. */
    if (hdr + p->payload.len <= sizeof(c->tx)) {
        if (p->payload.len > 0u) {
            memcpy(c->tx + hdr, p->payload.data, p->payload.len);
        }
        return send_bytes(c, c->tx, hdr + p->payload.len);
    }
    st = send_bytes(c, c->tx, hdr);
    if (st == IOT_OK && p->payload.len > 0u) {
        st = send_bytes(c, p->payload.data, p->payload.len);
    }
    return st;
}

static iot_status_t publish_queued(iot_client_t *c, mqtt_publish_t *p)
{
    size_t need = 0;
    mqtt_out_entry_t *e = NULL;
    uint8_t *bytes = NULL;
    iot_status_t st;

    /* iot_publish checked topic and size: encoded once, without checks. */
    need = mqtt_publish_size(p);
    st = mqtt_session_alloc(&c->session, need, &e, &bytes);
    if (st == IOT_ERR_QUEUE_FULL) {
        if (on_reader_thread(c)) {
            return IOT_ERR_QUEUE_FULL; /* inside a callback: cannot wait */
        }
        st = wait_for(c, queue_has_room, &need, c->opts.command_timeout_ms);
        if (st == IOT_ERR_TIMEOUT) {
            return IOT_ERR_QUEUE_FULL;
        }
        if (st != IOT_OK) {
            return st;
        }
        st = mqtt_session_alloc(&c->session, need, &e, &bytes);
    }
    if (st != IOT_OK) {
        return st;
    }
    p->packet_id = next_packet_id(c);
    e->packet_id = p->packet_id;
    e->qos = p->qos;
    need -= p->payload.len;
    if (p->payload.len > 0u) {
        memcpy(bytes + need, p->payload.data, p->payload.len);
    }
    (void)mqtt_write_publish_header(p, bytes);
    /* Sent now, or with the next batch (a send failure leaves it queued for
     * the reconnect). */
    refill_window(c);
    return IOT_OK;
}

iot_status_t iot_publish(iot_client_t *client, const char *topic, const void *payload,
                         size_t payload_len, iot_qos_t qos, bool retain)
{
    mqtt_publish_t p;
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL && client->in_use && topic != NULL);
    IOT_CHECK_ARG((unsigned)qos <= 2u && (payload != NULL || payload_len == 0u));
    if (!IOT_CONFIG_MQTT_QOS2 && qos == IOT_QOS2) {
        return IOT_ERR_NOT_SUPPORTED;
    }
    memset(&p, 0, sizeof(p));
    p.topic = span_str(topic);
    p.payload = span_of(payload, payload_len);
    p.qos = (uint8_t)qos;
    p.retain = retain;
    if (mqtt_validate_topic_name(p.topic) != IOT_OK) {
        return IOT_ERR_BAD_TOPIC;
    }
    if (payload_len > MQTT_MAX_REMAINING_LENGTH - p.topic.len - 4u) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    iot_port_mutex_lock(&client->lock);
    if (client->closing) {
        st = IOT_ERR_NOT_CONNECTED;
    } else if (qos == IOT_QOS0) {
        st = publish_qos0(client, &p);
    } else if (client->link != LINK_UP && !client->opts.auto_reconnect) {
        st = IOT_ERR_NOT_CONNECTED;
    } else {
        st = publish_queued(client, &p);
    }
    iot_port_mutex_unlock(&client->lock);
    return st;
}

/* The subscription to filter, or with filter NULL a free slot; NULL if none. */
static subscription_t *find_subscription(iot_client_t *c, const char *filter)
{
    subscription_t *sub;

    for (sub = c->subs; sub < c->subs + IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS; sub++) {
        if ((filter == NULL) ? !sub->used : (sub->used && strcmp(sub->filter, filter) == 0)) {
            return sub;
        }
    }
    return NULL;
}

static bool pending_done(iot_client_t *c, const void *arg)
{
    (void)c;
    return ((const pending_t *)arg)->done;
}

/* SUBSCRIBE or UNSUBSCRIBE s and wait for the acknowledgement (lock held). */
static iot_status_t request(iot_client_t *c, mqtt_packet_type_t type, const subscription_t *s,
                            uint8_t *return_code)
{
    uint16_t id = next_packet_id(c);
    pending_t *p;
    iot_status_t st;

    if (on_reader_thread(c)) {
        return IOT_ERR_BAD_STATE;
    }
    p = send_filter(c, type, id, s, false, &st);
    if (p != NULL) {
        if (st == IOT_OK) {
            st = wait_for(c, pending_done, p, c->opts.command_timeout_ms);
        }
        *return_code = p->return_code;
        p->packet_id = 0;
    }
    return st;
}

iot_status_t iot_subscribe(iot_client_t *client, const char *filter, iot_qos_t qos,
                           iot_message_cb_t cb, void *user)
{
    subscription_t previous;
    subscription_t *sub;
    uint8_t rc = 0;
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL && client->in_use && filter != NULL && cb != NULL);
    IOT_CHECK_ARG((unsigned)qos <= 2u);
    if (!IOT_CONFIG_MQTT_QOS2 && qos == IOT_QOS2) {
        return IOT_ERR_NOT_SUPPORTED;
    }
    if (strlen(filter) > IOT_CONFIG_MQTT_MAX_FILTER_LEN ||
        mqtt_validate_topic_filter(span_str(filter)) != IOT_OK) {
        return IOT_ERR_BAD_TOPIC;
    }
    iot_port_mutex_lock(&client->lock);
    if (client->link != LINK_UP || client->closing) {
        iot_port_mutex_unlock(&client->lock);
        return IOT_ERR_NOT_CONNECTED;
    }
    sub = find_subscription(client, filter);
    if (sub == NULL) {
        sub = find_subscription(client, NULL);
    }
    if (sub == NULL) {
        iot_port_mutex_unlock(&client->lock);
        return IOT_ERR_NO_MEMORY;
    }
    /* Installed before SUBSCRIBE goes out: a retained message can arrive in
     * the same read as the SUBACK and must find its callback. */
    previous = *sub;
    copy_string(sub->filter, filter); /* length checked above */
    sub->qos = (uint8_t)qos;
    sub->cb = cb;
    sub->user = user;
    sub->used = true;
    st = request(client, MQTT_SUBSCRIBE, sub, &rc);
    if (st == IOT_OK && rc == 0x80u) {
        st = IOT_ERR_MQTT_SUBSCRIBE_REFUSED;
    }
    if (st != IOT_OK) {
        *sub = previous;
    } else {
        IOT_LOGI(LOG_MODULE, "%s: subscribed to %s (QoS %u granted)", client->opts.client_id,
                 filter, (unsigned)rc);
    }
    iot_port_mutex_unlock(&client->lock);
    return st;
}

#if IOT_CONFIG_MQTT_UNSUBSCRIBE
iot_status_t iot_unsubscribe(iot_client_t *client, const char *filter)
{
    subscription_t *sub;
    uint8_t rc = 0;
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL && client->in_use && filter != NULL);
    iot_port_mutex_lock(&client->lock);
    sub = find_subscription(client, filter);
    if (sub == NULL) {
        st = IOT_ERR_NOT_FOUND;
    } else if (client->link != LINK_UP || client->closing) {
        st = IOT_ERR_NOT_CONNECTED;
    } else {
        st = request(client, MQTT_UNSUBSCRIBE, sub, &rc);
        if (st == IOT_OK) {
            sub->used = false;
        }
    }
    iot_port_mutex_unlock(&client->lock);
    return st;
}
#else
iot_status_t iot_unsubscribe(iot_client_t *client, const char *filter)
{
    (void)client;
    (void)filter;
    return IOT_ERR_NOT_SUPPORTED;
}
#endif

static bool never(iot_client_t *c, const void *arg)
{
    (void)c;
    (void)arg;
    return false;
}

/* I/O for the whole of timeout_ms: the time running out is the normal end,
 * and so is a disconnect that another thread began. */
static iot_status_t process_for(iot_client_t *c, uint32_t timeout_ms)
{
    iot_status_t st;

    iot_port_mutex_lock(&c->lock);
    st = wait_for(c, never, NULL, timeout_ms);
    if (st == IOT_ERR_TIMEOUT || c->closing) {
        st = IOT_OK;
    }
    iot_port_mutex_unlock(&c->lock);
    return st;
}

#if IOT_CONFIG_MQTT_BACKGROUND_THREAD
static void thread_main(void *arg)
{
    iot_client_t *c = arg;

    while (!c->thread_stop) {
        if (process_for(c, 200u) == IOT_ERR_NOT_CONNECTED) {
            iot_port_sleep_ms(50u);
        }
    }
}
#endif

iot_status_t iot_process(iot_client_t *client, uint32_t timeout_ms)
{
    IOT_CHECK_ARG(client != NULL && client->in_use);
    if (IOT_CONFIG_MQTT_BACKGROUND_THREAD && client->opts.background_thread) {
        return IOT_ERR_BAD_STATE;
    }
    return process_for(client, timeout_ms);
}

static bool queue_empty(iot_client_t *c, const void *arg)
{
    (void)arg;
    return c->session.live == 0u;
}

iot_status_t iot_flush(iot_client_t *client, uint32_t timeout_ms)
{
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL && client->in_use);
    iot_port_mutex_lock(&client->lock);
    st = wait_for(client, queue_empty, NULL, timeout_ms);
    iot_port_mutex_unlock(&client->lock);
    return st;
}

bool iot_is_connected(const iot_client_t *client)
{
    return client != NULL && client->in_use && client->link == LINK_UP;
}

iot_status_t iot_disconnect(iot_client_t *client)
{
    if (client == NULL || !client->in_use) {
        return IOT_OK;
    }
    iot_port_mutex_lock(&client->lock);
    if (on_reader_thread(client)) {
        iot_port_mutex_unlock(&client->lock);
        return IOT_ERR_BAD_STATE;
    }
    client->closing = true;
    client->thread_stop = true;
    iot_port_mutex_unlock(&client->lock);
#if IOT_CONFIG_MQTT_BACKGROUND_THREAD
    if (client->opts.background_thread) {
        iot_port_thread_join(&client->thread);
    }
#endif
    /* Wait for a reader in another thread (iot_process) to leave. */
    iot_port_mutex_lock(&client->lock);
    while (client->reading || client->link == LINK_CONNECTING) {
        iot_port_mutex_unlock(&client->lock);
        iot_port_sleep_ms(1);
        iot_port_mutex_lock(&client->lock);
    }
    if (client->link == LINK_UP) {
        send_unsent(client); /* as if each had gone out when published */
        (void)iot_transport_send(&client->transport, disconnect_packet, sizeof(disconnect_packet), 1000u);
        iot_transport_close(&client->transport);
    }
    client->link = LINK_DOWN;
    iot_port_mutex_unlock(&client->lock);
    IOT_LOGI(LOG_MODULE, "%s: disconnected", client->opts.client_id);
    iot_port_mutex_destroy(&client->lock);
    release_client(client);
    return IOT_OK;
}
