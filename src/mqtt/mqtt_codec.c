/* SPDX-License-Identifier: Apache-2.0 */
/* MQTT 3.1.1 codec: builds and parses control packets in caller-owned buffers. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "iot_internal.h"
#include "mqtt_codec.h"

/* With IOT_CONFIG_MQTT_SERVER_CODEC 0 (device builds) the parts only a
 * server needs are left out: CONNECT, SUBSCRIBE and UNSUBSCRIBE decoding,
 * CONNACK and SUBACK encoding, and the checked PUBLISH encoders (the client
 * checks a PUBLISH once, in iot_publish, and uses the unchecked writer). */

#define PROTOCOL_LEVEL_311 4u
/* Protocol name field, level, connect flags and keep alive (3.1.2). */
#define CONNECT_VARIABLE_HEADER_LEN 10u

/* Connect flags (3.1.2.3). */
#define CONNECT_RESERVED 0x01u
#define CONNECT_CLEAN_SESSION 0x02u
#define CONNECT_WILL 0x04u
#define CONNECT_WILL_QOS_SHIFT 3u
#define CONNECT_WILL_QOS_MASK 0x18u
#define CONNECT_WILL_RETAIN 0x20u
#define CONNECT_PASSWORD 0x40u
#define CONNECT_USERNAME 0x80u

/* Flags in the low nibble of a PUBLISH first byte (3.3.1). */
#define PUBLISH_RETAIN 0x01u
#define PUBLISH_QOS_SHIFT 1u
#define PUBLISH_DUP 0x08u

#define CONNACK_SESSION_PRESENT 0x01u
#define CONNACK_MAX_RETURN_CODE 5u
#define SUBACK_FAILURE 0x80u

#define TYPE_BIT(t) (1u << (unsigned)(t))
/* A client built without QoS 2 or UNSUBSCRIBE never asks for their
 * acknowledgements, so a broker that sends one breaks the protocol. */
#if IOT_CONFIG_MQTT_QOS2
#define CLIENT_RECEIVES_QOS2 (TYPE_BIT(MQTT_PUBREC) | TYPE_BIT(MQTT_PUBREL) | TYPE_BIT(MQTT_PUBCOMP))
#else
#define CLIENT_RECEIVES_QOS2 0u
#endif
#if IOT_CONFIG_MQTT_UNSUBSCRIBE
#define CLIENT_RECEIVES_UNSUBACK TYPE_BIT(MQTT_UNSUBACK)
#else
#define CLIENT_RECEIVES_UNSUBACK 0u
#endif
#define CLIENT_RECEIVES                                                                            \
    (TYPE_BIT(MQTT_CONNACK) | TYPE_BIT(MQTT_PUBLISH) | TYPE_BIT(MQTT_PUBACK) |                     \
     TYPE_BIT(MQTT_SUBACK) | TYPE_BIT(MQTT_PINGRESP) | CLIENT_RECEIVES_QOS2 | CLIENT_RECEIVES_UNSUBACK)
#define SERVER_RECEIVES                                                                             \
    (TYPE_BIT(MQTT_CONNECT) | TYPE_BIT(MQTT_PUBLISH) | TYPE_BIT(MQTT_PUBACK) | TYPE_BIT(MQTT_PUBREC) | \
     TYPE_BIT(MQTT_PUBREL) | TYPE_BIT(MQTT_PUBCOMP) | TYPE_BIT(MQTT_SUBSCRIBE) |                     \
     TYPE_BIT(MQTT_UNSUBSCRIBE) | TYPE_BIT(MQTT_PINGREQ) | TYPE_BIT(MQTT_DISCONNECT))

static const uint8_t protocol_name[] = { 'M', 'Q', 'T', 'T' };

/* ---- Shared checks ------------------------------------------------------- */

/* Well-formed UTF-8 per RFC 3629's table, without U+0000 (1.5.3). The
 * bounds [lo, hi] of the byte after a lead byte rule out over-long forms,
 * surrogates and code points above U+10FFFF. */
bool mqtt_utf8_valid(const uint8_t *d, size_t len)
{
    size_t i = 0u;

    if (len > 0u && d == NULL) {
        return false;
    }
    while (i < len) {
        uint8_t b = d[i++];
        uint8_t lo = 0x80u;
        uint8_t hi = 0xBFu;
        size_t more;

        if (b >= 0x01u && b <= 0x7Fu) {
            continue;
        }
        if (b < 0xC2u || b > 0xF4u) {
            return false; /* U+0000, a continuation byte, an over-long or too high lead */
        }
        more = (b < 0xE0u) ? 1u : ((b < 0xF0u) ? 2u : 3u);
        lo = (b == 0xE0u) ? 0xA0u : ((b == 0xF0u) ? 0x90u : lo);
        hi = (b == 0xEDu) ? 0x9Fu : ((b == 0xF4u) ? 0x8Fu : hi);
        if (more > len - i || d[i] < lo || d[i] > hi) {
            return false;
        }
        while (--more > 0u) {
            if ((d[++i] & 0xC0u) != 0x80u) {
                return false;
            }
        }
        i++;
    }
    return true;
}

static bool span_ok(mqtt_span_t s)
{
    return s.len == 0u || s.data != NULL;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* A field an encoder will copy: present and short enough for its prefix. */
static iot_status_t check_field(mqtt_span_t s)
{
    if (!span_ok(s)) {
        return IOT_ERR_INVALID_ARG;
    }
    return (s.len > MQTT_STRING_MAX) ? IOT_ERR_PACKET_TOO_LARGE : IOT_OK;
}

/* A UTF-8 string field that is not a topic (client id, user name). */
static iot_status_t check_utf8_field(mqtt_span_t s)
{
    iot_status_t st = check_field(s);

    if (st == IOT_OK && !mqtt_utf8_valid(s.data, s.len)) {
        st = IOT_ERR_INVALID_ARG;
    }
    return st;
}

static iot_status_t check_topic_field(mqtt_span_t s, bool is_filter)
{
    iot_status_t st = check_field(s);

    if (st != IOT_OK) {
        return st;
    }
    return is_filter ? mqtt_validate_topic_filter(s) : mqtt_validate_topic_name(s);
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- Encoding helpers ---------------------------------------------------- */

static size_t varint_size(size_t value)
{
    size_t n = 1u;

    while (value > 127u) {
        value >>= 7;
        n++;
    }
    return n;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* Bytes of a whole packet with this remaining length, or PACKET_TOO_LARGE. */
static iot_status_t packet_size(size_t remaining, size_t *total)
{
    if (remaining > MQTT_MAX_REMAINING_LENGTH) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    *total = 1u + varint_size(remaining) + remaining;
    return IOT_OK;
}

/* buf may be NULL only with cap 0, which lets a caller ask for the size. */
static bool output_ok(const uint8_t *buf, size_t cap)
{
    return buf != NULL || cap == 0u;
}

static iot_status_t reserve(size_t need, size_t cap, size_t *out_len)
{
    if (out_len != NULL) {
        *out_len = need;
    }
    return (need > cap) ? IOT_ERR_BUFFER_TOO_SMALL : IOT_OK;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

static uint8_t *put_u8(uint8_t *p, unsigned v)
{
    *p = (uint8_t)v;
    return p + 1;
}

static uint8_t *put_u16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xFFu);
    return p + 2;
}

static uint8_t *put_bytes(uint8_t *p, const uint8_t *data, size_t len)
{
    /* memcpy with a NULL source is undefined even for zero bytes. */
    if (len > 0u) {
        memcpy(p, data, len);
    }
    return p + len;
}

static uint8_t *put_field(uint8_t *p, mqtt_span_t s)
{
    return put_bytes(put_u16(p, s.len), s.data, s.len);
}

static uint8_t *put_fixed_header(uint8_t *p, unsigned first_byte, size_t remaining)
{
    p = put_u8(p, first_byte);
    do {
        unsigned digit = (unsigned)(remaining & 0x7Fu);

        remaining >>= 7;
        p = put_u8(p, (remaining > 0u) ? (digit | 0x80u) : digit);
    } while (remaining > 0u);
    return p;
}

/* ---- CONNECT ------------------------------------------------------------- */

#if IOT_CONFIG_MQTT_SERVER_CODEC
#if IOT_CONFIG_MQTT_WILL
static iot_status_t check_connect_will(const mqtt_connect_t *c)
{
    iot_status_t st;

    if (!c->has_will) {
        return IOT_OK;
    }
    if (c->will_qos > 2u) {
        return IOT_ERR_INVALID_ARG;
    }
    st = check_topic_field(c->will_topic, false);
    return (st == IOT_OK) ? check_field(c->will_payload) : st;
}
#else
static iot_status_t check_connect_will(const mqtt_connect_t *c)
{
    return c->has_will ? IOT_ERR_NOT_SUPPORTED : IOT_OK;
}
#endif

static iot_status_t check_connect(const mqtt_connect_t *c)
{
    iot_status_t st;

    if (c->has_password && !c->has_username) {
        return IOT_ERR_INVALID_ARG;
    }
    if (c->client_id.len == 0u && !c->clean_session) {
        return IOT_ERR_INVALID_ARG;
    }
    st = check_utf8_field(c->client_id);
    if (st == IOT_OK) {
        st = check_connect_will(c);
    }
    if (st == IOT_OK && c->has_username) {
        st = check_utf8_field(c->username);
    }
    if (st == IOT_OK && c->has_password) {
        st = check_field(c->password);
    }
    return st;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

static size_t connect_remaining(const mqtt_connect_t *c)
{
    size_t n = CONNECT_VARIABLE_HEADER_LEN + 2u + c->client_id.len;

    if (IOT_CONFIG_MQTT_WILL && c->has_will) {
        n += 2u + c->will_topic.len + 2u + c->will_payload.len;
    }
    if (c->has_username) {
        n += 2u + c->username.len;
    }
    if (c->has_password) {
        n += 2u + c->password.len;
    }
    return n;
}

static unsigned connect_flags(const mqtt_connect_t *c)
{
    unsigned f = c->clean_session ? CONNECT_CLEAN_SESSION : 0u;

    if (IOT_CONFIG_MQTT_WILL && c->has_will) {
        f |= CONNECT_WILL | ((unsigned)c->will_qos << CONNECT_WILL_QOS_SHIFT);
        f |= c->will_retain ? CONNECT_WILL_RETAIN : 0u;
    }
    f |= c->has_username ? CONNECT_USERNAME : 0u;
    f |= c->has_password ? CONNECT_PASSWORD : 0u;
    return f;
}

static void write_connect(const mqtt_connect_t *c, size_t remaining, uint8_t *p)
{
    p = put_fixed_header(p, (unsigned)MQTT_CONNECT << 4, remaining);
    p = put_u16(p, sizeof(protocol_name));
    p = put_bytes(p, protocol_name, sizeof(protocol_name));
    p = put_u8(p, PROTOCOL_LEVEL_311);
    p = put_u8(p, connect_flags(c));
    p = put_u16(p, c->keep_alive_s);
    p = put_field(p, c->client_id);
    if (IOT_CONFIG_MQTT_WILL && c->has_will) {
        p = put_field(p, c->will_topic);
        p = put_field(p, c->will_payload);
    }
    if (c->has_username) {
        p = put_field(p, c->username);
    }
    if (c->has_password) {
        (void)put_field(p, c->password);
    }
}

size_t mqtt_write_connect(const mqtt_connect_t *c, uint8_t *buf, size_t cap)
{
    size_t remaining = connect_remaining(c);
    size_t total = 1u + varint_size(remaining) + remaining;

    if (total <= cap) {
        write_connect(c, remaining, buf);
    }
    return total;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_encode_connect(const mqtt_connect_t *c, uint8_t *buf, size_t cap, size_t *out_len)
{
    iot_status_t st;
    size_t remaining;
    size_t total = 0u;

    if (c == NULL || !output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = check_connect(c);
    if (st != IOT_OK) {
        return st;
    }
    remaining = connect_remaining(c);
    st = packet_size(remaining, &total);
    if (st == IOT_OK) {
        st = reserve(total, cap, out_len);
    }
    if (st == IOT_OK) {
        write_connect(c, remaining, buf);
    }
    return st;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- PUBLISH ------------------------------------------------------------- */

/* Everything after the fixed header up to the payload. */
static size_t publish_variable_header_len(const mqtt_publish_t *p)
{
    return 2u + p->topic.len + ((p->qos > 0u) ? 2u : 0u);
}

static uint8_t *write_publish_header(const mqtt_publish_t *p, size_t remaining, uint8_t *out)
{
    unsigned first = ((unsigned)MQTT_PUBLISH << 4) | ((unsigned)p->qos << PUBLISH_QOS_SHIFT);

    first |= p->dup ? PUBLISH_DUP : 0u;
    first |= p->retain ? PUBLISH_RETAIN : 0u;
    out = put_fixed_header(out, first, remaining);
    out = put_field(out, p->topic);
    if (p->qos > 0u) {
        out = put_u16(out, p->packet_id);
    }
    return out;
}

size_t mqtt_publish_size(const mqtt_publish_t *p)
{
    size_t remaining = publish_variable_header_len(p) + p->payload.len;

    return 1u + varint_size(remaining) + remaining;
}

uint8_t *mqtt_write_publish_header(const mqtt_publish_t *p, uint8_t *buf)
{
    return write_publish_header(p, publish_variable_header_len(p) + p->payload.len, buf);
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
static iot_status_t check_publish(const mqtt_publish_t *p)
{
    if (p->qos > 2u) {
        return IOT_ERR_INVALID_ARG;
    }
    if (p->qos > 0u && p->packet_id == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    /* 3.3.1.1: DUP must be 0 for QoS 0; refuse rather than send a packet
     * the broker has to treat as malformed. */
    if (p->qos == 0u && p->dup) {
        return IOT_ERR_INVALID_ARG;
    }
    return check_topic_field(p->topic, false);
}

static iot_status_t publish_remaining(const mqtt_publish_t *p, size_t *remaining)
{
    size_t head = publish_variable_header_len(p);

    /* Compared by subtraction so a huge payload.len cannot wrap around. */
    if (p->payload.len > MQTT_MAX_REMAINING_LENGTH - head) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    *remaining = head + p->payload.len;
    return IOT_OK;
}

/* with_payload: the payload bytes will be copied, so they must exist. */
static iot_status_t prepare_publish(const mqtt_publish_t *p, const uint8_t *buf, size_t cap,
                                    bool with_payload, size_t *remaining)
{
    iot_status_t st;

    if (p == NULL || !output_ok(buf, cap) || (with_payload && !span_ok(p->payload))) {
        return IOT_ERR_INVALID_ARG;
    }
    st = check_publish(p);
    return (st == IOT_OK) ? publish_remaining(p, remaining) : st;
}

iot_status_t mqtt_encode_publish(const mqtt_publish_t *p, uint8_t *buf, size_t cap, size_t *out_len)
{
    size_t remaining = 0u;
    iot_status_t st = prepare_publish(p, buf, cap, true, &remaining);

    if (st == IOT_OK) {
        st = reserve(mqtt_publish_size(p), cap, out_len);
    }
    if (st == IOT_OK) {
        (void)put_bytes(mqtt_write_publish_header(p, buf), p->payload.data, p->payload.len);
    }
    return st;
}

iot_status_t mqtt_encode_publish_header(const mqtt_publish_t *p, uint8_t *buf, size_t cap,
                                        size_t *out_len)
{
    size_t remaining = 0u;
    iot_status_t st = prepare_publish(p, buf, cap, false, &remaining);

    if (st == IOT_OK) {
        size_t header = 1u + varint_size(remaining) + publish_variable_header_len(p);

        st = reserve(header, cap, out_len);
    }
    if (st == IOT_OK) {
        (void)write_publish_header(p, remaining, buf);
    }
    return st;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- Fixed-size packets -------------------------------------------------- */

void mqtt_write_ack(mqtt_packet_type_t type, uint16_t packet_id, uint8_t *buf)
{
    /* 2.2.2: PUBREL carries the fixed flags 0010. */
    buf[0] = (uint8_t)(((unsigned)type << 4) | ((type == MQTT_PUBREL) ? 0x2u : 0u));
    buf[1] = 2u;
    (void)put_u16(buf + 2, packet_id);
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_encode_ack(mqtt_packet_type_t type, uint16_t packet_id, uint8_t *buf, size_t cap,
                             size_t *out_len)
{
    iot_status_t st;
    unsigned flags = (type == MQTT_PUBREL) ? 0x2u : 0u;

    if (type != MQTT_PUBACK && type != MQTT_PUBREC && type != MQTT_PUBREL && type != MQTT_PUBCOMP &&
        type != MQTT_UNSUBACK) {
        return IOT_ERR_INVALID_ARG;
    }
    if (packet_id == 0u || !output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = reserve(4u, cap, out_len);
    if (st == IOT_OK) {
        (void)put_u16(put_fixed_header(buf, ((unsigned)type << 4) | flags, 2u), packet_id);
    }
    return st;
}

iot_status_t mqtt_encode_empty(mqtt_packet_type_t type, uint8_t *buf, size_t cap, size_t *out_len)
{
    iot_status_t st;

    if (type != MQTT_PINGREQ && type != MQTT_PINGRESP && type != MQTT_DISCONNECT) {
        return IOT_ERR_INVALID_ARG;
    }
    if (!output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = reserve(2u, cap, out_len);
    if (st == IOT_OK) {
        (void)put_fixed_header(buf, (unsigned)type << 4, 0u);
    }
    return st;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_encode_connack(bool session_present, uint8_t return_code, uint8_t *buf, size_t cap,
                                 size_t *out_len)
{
    iot_status_t st;

    /* 3.2.2.2: a refusal never claims a stored session. */
    if (return_code > CONNACK_MAX_RETURN_CODE || (session_present && return_code != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (!output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = reserve(4u, cap, out_len);
    if (st == IOT_OK) {
        uint8_t *p = put_fixed_header(buf, (unsigned)MQTT_CONNACK << 4, 2u);

        (void)put_u8(put_u8(p, session_present ? CONNACK_SESSION_PRESENT : 0u), return_code);
    }
    return st;
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- SUBSCRIBE, UNSUBSCRIBE, SUBACK ------------------------------------- */

size_t mqtt_write_filter_packet(mqtt_packet_type_t type, uint16_t packet_id, mqtt_span_t filter,
                                uint8_t qos, uint8_t *buf, size_t cap)
{
    bool sub = (type == MQTT_SUBSCRIBE);
    size_t remaining = 4u + filter.len + (sub ? 1u : 0u); /* packet id, filter, QoS */
    size_t total = 1u + varint_size(remaining) + remaining;

    if (total <= cap) {
        /* 2.2.2: both types carry the fixed flags 0010. */
        uint8_t *p = put_fixed_header(buf, ((unsigned)type << 4) | 0x2u, remaining);

        p = put_field(put_u16(p, packet_id), filter);
        if (sub) {
            *p = qos;
        }
    }
    return total;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* SUBSCRIBE and UNSUBSCRIBE share one layout; subs is set for SUBSCRIBE
 * (filter followed by a QoS byte) and spans for UNSUBSCRIBE. */
typedef struct filter_list {
    const mqtt_subscription_t *subs;
    const mqtt_span_t *spans;
    size_t count;
} filter_list_t;

static mqtt_span_t filter_at(const filter_list_t *l, size_t i)
{
    return (l->subs != NULL) ? l->subs[i].filter : l->spans[i];
}

static iot_status_t filters_remaining(const filter_list_t *l, size_t *remaining)
{
    size_t i;
    size_t n = 2u; /* packet id */
    size_t per_filter_extra = (l->subs != NULL) ? 3u : 2u;

    for (i = 0; i < l->count; i++) {
        mqtt_span_t f = filter_at(l, i);
        iot_status_t st = check_topic_field(f, true);

        if (st != IOT_OK) {
            return st;
        }
        if (l->subs != NULL && l->subs[i].qos > 2u) {
            return IOT_ERR_INVALID_ARG;
        }
        /* Each step adds at most 65538, so checking as we go cannot wrap. */
        n += per_filter_extra + f.len;
        if (n > MQTT_MAX_REMAINING_LENGTH) {
            return IOT_ERR_PACKET_TOO_LARGE;
        }
    }
    *remaining = n;
    return IOT_OK;
}

static void write_filters(const filter_list_t *l, uint8_t *p)
{
    size_t i;

    for (i = 0; i < l->count; i++) {
        p = put_field(p, filter_at(l, i));
        if (l->subs != NULL) {
            p = put_u8(p, l->subs[i].qos);
        }
    }
}

static iot_status_t encode_filter_packet(mqtt_packet_type_t type, uint16_t packet_id,
                                         const filter_list_t *l, uint8_t *buf, size_t cap,
                                         size_t *out_len)
{
    iot_status_t st;
    size_t remaining = 0u;
    size_t total = 0u;

    if (packet_id == 0u || l->count == 0u || !output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = filters_remaining(l, &remaining);
    if (st == IOT_OK) {
        st = packet_size(remaining, &total);
    }
    if (st == IOT_OK) {
        st = reserve(total, cap, out_len);
    }
    if (st == IOT_OK) {
        /* 2.2.2: both types carry the fixed flags 0010. */
        uint8_t *p = put_fixed_header(buf, ((unsigned)type << 4) | 0x2u, remaining);

        write_filters(l, put_u16(p, packet_id));
    }
    return st;
}

iot_status_t mqtt_encode_subscribe(uint16_t packet_id, const mqtt_subscription_t *subs, size_t count,
                                   uint8_t *buf, size_t cap, size_t *out_len)
{
    filter_list_t l = { subs, NULL, count };

    if (subs == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    return encode_filter_packet(MQTT_SUBSCRIBE, packet_id, &l, buf, cap, out_len);
}

iot_status_t mqtt_encode_unsubscribe(uint16_t packet_id, const mqtt_span_t *filters, size_t count,
                                     uint8_t *buf, size_t cap, size_t *out_len)
{
    filter_list_t l = { NULL, filters, count };

    if (filters == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    return encode_filter_packet(MQTT_UNSUBSCRIBE, packet_id, &l, buf, cap, out_len);
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

static bool suback_code_ok(uint8_t code)
{
    return code <= 2u || code == SUBACK_FAILURE;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_encode_suback(uint16_t packet_id, const uint8_t *return_codes, size_t count,
                                uint8_t *buf, size_t cap, size_t *out_len)
{
    size_t i;
    size_t total = 0u;
    iot_status_t st;

    if (packet_id == 0u || return_codes == NULL || count == 0u || !output_ok(buf, cap)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (count > MQTT_MAX_REMAINING_LENGTH - 2u) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    for (i = 0; i < count; i++) {
        if (!suback_code_ok(return_codes[i])) {
            return IOT_ERR_INVALID_ARG;
        }
    }
    st = packet_size(2u + count, &total);
    if (st == IOT_OK) {
        st = reserve(total, cap, out_len);
    }
    if (st == IOT_OK) {
        uint8_t *p = put_fixed_header(buf, (unsigned)MQTT_SUBACK << 4, 2u + count);

        (void)put_bytes(put_u16(p, packet_id), return_codes, count);
    }
    return st;
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- Decoding helpers ---------------------------------------------------- */

/* Cursor over the unread part of a packet; every take_* checks the bound
 * first, so a lying length field can only make a take fail. */
typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader_t;

static bool take_bytes(reader_t *r, size_t n, const uint8_t **out)
{
    if (n > r->left) {
        return false;
    }
    *out = r->p;
    r->p += n;
    r->left -= n;
    return true;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
static bool take_u8(reader_t *r, uint8_t *v)
{
    const uint8_t *b = NULL;

    if (!take_bytes(r, 1u, &b)) {
        return false;
    }
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): a reader has p NULL only with left 0 */
    *v = b[0];
    return true;
}
#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

static bool take_u16(reader_t *r, uint16_t *v)
{
    const uint8_t *b = NULL;

    if (!take_bytes(r, 2u, &b)) {
        return false;
    }
    *v = (uint16_t)(((unsigned)b[0] << 8) | b[1]);
    return true;
}

static bool take_field(reader_t *r, mqtt_span_t *s)
{
    uint16_t n = 0u;

    if (!take_u16(r, &n)) {
        return false;
    }
    s->len = n;
    return take_bytes(r, n, &s->data);
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
static bool take_utf8_field(reader_t *r, mqtt_span_t *s)
{
    return take_field(r, s) && mqtt_utf8_valid(s->data, s->len);
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* A non-zero packet identifier (2.3.1). */
static bool take_packet_id(reader_t *r, uint16_t *id)
{
    return take_u16(r, id) && *id != 0u;
}

/* ---- Fixed header -------------------------------------------------------- */

iot_status_t mqtt_decode_fixed_header(const uint8_t *buf, size_t len, uint8_t *first_byte,
                                      size_t *remaining_len, size_t *header_len)
{
    size_t i;
    size_t value = 0u;

    if ((buf == NULL && len > 0u) || first_byte == NULL || remaining_len == NULL || header_len == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    for (i = 1u; i <= 4u; i++) {
        uint8_t b;

        if (i >= len) {
            return IOT_ERR_INCOMPLETE;
        }
        b = buf[i];
        value |= (size_t)(b & 0x7Fu) << (7u * (i - 1u));
        if ((b & 0x80u) == 0u) {
            /* A zero final byte after others means a shorter form existed. */
            if (i > 1u && b == 0u) {
                return IOT_ERR_MQTT_PROTOCOL;
            }
            *first_byte = buf[0];
            *remaining_len = value;
            *header_len = i + 1u;
            return IOT_OK;
        }
    }
    return IOT_ERR_MQTT_PROTOCOL;
}

/* ---- Packet bodies ------------------------------------------------------- */

static iot_status_t decode_publish(mqtt_packet_t *pkt, reader_t *r)
{
    mqtt_publish_t *p = &pkt->u.publish;

    p->qos = (uint8_t)((pkt->flags >> PUBLISH_QOS_SHIFT) & 0x3u);
    p->dup = (pkt->flags & PUBLISH_DUP) != 0u;
    p->retain = (pkt->flags & PUBLISH_RETAIN) != 0u;
    if (p->qos > 2u || (p->qos == 0u && p->dup)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    if (!take_field(r, &p->topic) || mqtt_validate_topic_name(p->topic) != IOT_OK) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    if (p->qos > 0u && !take_packet_id(r, &p->packet_id)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    p->payload.data = r->p;
    p->payload.len = r->left;
    return IOT_OK;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* SUBSCRIBE and UNSUBSCRIBE: validates every filter now so that
 * mqtt_next_filter only has to walk them. */
static iot_status_t decode_filters(mqtt_packet_t *pkt, reader_t *r, bool with_qos)
{
    mqtt_span_t f;

    if (!take_packet_id(r, &pkt->u.subscribe.packet_id) || r->left == 0u) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    pkt->u.subscribe.filters = r->p;
    pkt->u.subscribe.filters_len = r->left;
    while (r->left > 0u) {
        uint8_t qos = 0u;

        if (!take_field(r, &f) || mqtt_validate_topic_filter(f) != IOT_OK) {
            return IOT_ERR_MQTT_PROTOCOL;
        }
        /* 3.8.3.1: a set reserved bit also makes the byte exceed 2. */
        if (with_qos && (!take_u8(r, &qos) || qos > 2u)) {
            return IOT_ERR_MQTT_PROTOCOL;
        }
        pkt->u.subscribe.count++;
    }
    return IOT_OK;
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

static iot_status_t decode_empty(reader_t *r)
{
    return (r->left == 0u) ? IOT_OK : IOT_ERR_MQTT_PROTOCOL;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* ---- CONNECT (server side) ----------------------------------------------- */

static bool connect_flags_ok(uint8_t f)
{
    unsigned will_qos = ((unsigned)f & CONNECT_WILL_QOS_MASK) >> CONNECT_WILL_QOS_SHIFT;

    if ((f & CONNECT_RESERVED) != 0u || will_qos > 2u) {
        return false;
    }
    /* 3.1.2.5..3.1.2.7: will QoS and retain are zero without a will. */
    if ((f & CONNECT_WILL) == 0u && (f & (CONNECT_WILL_QOS_MASK | CONNECT_WILL_RETAIN)) != 0u) {
        return false;
    }
    return (f & CONNECT_PASSWORD) == 0u || (f & CONNECT_USERNAME) != 0u;
}

/* Name and level come first: another level may lay out the rest
 * differently, so it is refused before anything else is parsed. */
static iot_status_t decode_connect_header(mqtt_connect_t *c, reader_t *r, uint8_t *flags)
{
    mqtt_span_t name;
    uint8_t level = 0u;

    if (!take_field(r, &name) || !take_u8(r, &level)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    if (name.len != sizeof(protocol_name) || memcmp(name.data, protocol_name, name.len) != 0 ||
        level != PROTOCOL_LEVEL_311) {
        return IOT_ERR_MQTT_REFUSED_VERSION;
    }
    if (!take_u8(r, flags) || !take_u16(r, &c->keep_alive_s) || !connect_flags_ok(*flags)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    c->clean_session = (*flags & CONNECT_CLEAN_SESSION) != 0u;
    c->has_will = (*flags & CONNECT_WILL) != 0u;
    c->will_qos = (uint8_t)((*flags & CONNECT_WILL_QOS_MASK) >> CONNECT_WILL_QOS_SHIFT);
    c->will_retain = (*flags & CONNECT_WILL_RETAIN) != 0u;
    c->has_username = (*flags & CONNECT_USERNAME) != 0u;
    c->has_password = (*flags & CONNECT_PASSWORD) != 0u;
    return IOT_OK;
}

static bool decode_connect_payload(mqtt_connect_t *c, reader_t *r)
{
    if (!take_utf8_field(r, &c->client_id)) {
        return false;
    }
    if (c->has_will) {
        if (!take_field(r, &c->will_topic) || mqtt_validate_topic_name(c->will_topic) != IOT_OK ||
            !take_field(r, &c->will_payload)) {
            return false;
        }
    }
    if (c->has_username && !take_utf8_field(r, &c->username)) {
        return false;
    }
    if (c->has_password && !take_field(r, &c->password)) {
        return false;
    }
    return r->left == 0u;
}

static iot_status_t decode_connect(mqtt_packet_t *pkt, reader_t *r)
{
    mqtt_connect_t *c = &pkt->u.connect;
    uint8_t flags = 0u;
    iot_status_t st = decode_connect_header(c, r, &flags);

    if (st != IOT_OK) {
        return st;
    }
    if (!decode_connect_payload(c, r)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    /* 3.1.3.1: answered with CONNACK 2, so it gets its own status. */
    if (c->client_id.len == 0u && !c->clean_session) {
        return IOT_ERR_MQTT_REFUSED_ID;
    }
    return IOT_OK;
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- Packet dispatch ----------------------------------------------------- */

/* 2.2.2: these types carry the fixed flags 0010, the others but PUBLISH 0000. */
#define FLAGS_0010_TYPES (TYPE_BIT(MQTT_PUBREL) | TYPE_BIT(MQTT_SUBSCRIBE) | TYPE_BIT(MQTT_UNSUBSCRIBE))
#define EMPTY_TYPES (TYPE_BIT(MQTT_PINGREQ) | TYPE_BIT(MQTT_PINGRESP) | TYPE_BIT(MQTT_DISCONNECT))

/* CONNACK (3.2.2): acknowledge flags and return code. */
static bool connack_ok(uint8_t ack_flags, uint8_t code)
{
    /* A refusal never claims a session (3.2.2.2). */
    return ack_flags <= CONNACK_SESSION_PRESENT && code <= CONNACK_MAX_RETURN_CODE &&
           (code == 0u || ack_flags == 0u);
}

static iot_status_t decode_body(mqtt_packet_t *pkt, reader_t *r)
{
    uint16_t v = 0u;
    size_t i;

    if (pkt->type == MQTT_PUBLISH) {
        return decode_publish(pkt, r);
    }
    if ((TYPE_BIT(pkt->type) & EMPTY_TYPES) != 0u) {
        return decode_empty(r);
    }
    /* The rest start with two bytes: CONNACK's flags and return code, the
     * others' packet id. */
    if (!take_u16(r, &v)) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    if (pkt->type == MQTT_CONNACK) {
        pkt->u.connack.session_present = (v >> 8) != 0u;
        pkt->u.connack.return_code = (uint8_t)v;
        return (connack_ok((uint8_t)(v >> 8), (uint8_t)v) && r->left == 0u) ? IOT_OK
                                                                           : IOT_ERR_MQTT_PROTOCOL;
    }
    if (v == 0u) {
        return IOT_ERR_MQTT_PROTOCOL; /* 2.3.1 */
    }
    if (pkt->type != MQTT_SUBACK) {
        /* PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: the id alone. */
        pkt->u.packet_id = v;
        return decode_empty(r);
    }
    pkt->u.suback.packet_id = v;
    for (i = 0; i < r->left; i++) {
        if (!suback_code_ok(r->p[i])) {
            return IOT_ERR_MQTT_PROTOCOL;
        }
    }
    pkt->u.suback.return_codes = r->p;
    pkt->u.suback.count = r->left;
    return (r->left > 0u) ? IOT_OK : IOT_ERR_MQTT_PROTOCOL;
}

/* The fixed header, checked against the types `allowed`; `body` is then
 * the rest. A buffer shorter than its fixed header announces gives
 * IOT_ERR_INCOMPLETE (the same answer mqtt_decode_fixed_header gives, so a
 * caller can tell a short read from garbage); trailing bytes give
 * IOT_ERR_MQTT_PROTOCOL. The bodies are decoded by the caller: the client's
 * decoder does not reach the server's CONNECT and SUBSCRIBE decoding, which
 * the link then leaves out of device firmware. */
static iot_status_t decode_frame(const uint8_t *buf, size_t len, mqtt_packet_t *pkt,
                                 unsigned allowed, reader_t *body)
{
    uint8_t first = 0u;
    size_t remaining = 0u;
    size_t header = 0u;
    iot_status_t st;

    if (pkt == NULL || (buf == NULL && len > 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    memset(pkt, 0, sizeof(*pkt));
    st = mqtt_decode_fixed_header(buf, len, &first, &remaining, &header);
    if (st != IOT_OK) {
        return st;
    }
    if (len - header != remaining) {
        return (len - header < remaining) ? IOT_ERR_INCOMPLETE : IOT_ERR_MQTT_PROTOCOL;
    }
    pkt->type = (mqtt_packet_type_t)(first >> 4);
    pkt->flags = (uint8_t)(first & 0x0Fu);
    if ((allowed & TYPE_BIT(first >> 4)) == 0u ||
        (pkt->type != MQTT_PUBLISH &&
         pkt->flags != (((FLAGS_0010_TYPES & TYPE_BIT(first >> 4)) != 0u) ? 0x2u : 0u))) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    body->p = buf + header;
    body->left = remaining;
    return IOT_OK;
}

iot_status_t mqtt_decode_packet(const uint8_t *buf, size_t len, mqtt_packet_t *pkt)
{
    reader_t body;
    iot_status_t st = decode_frame(buf, len, pkt, CLIENT_RECEIVES, &body);

    return (st == IOT_OK) ? decode_body(pkt, &body) : st;
}

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_decode_server_packet(const uint8_t *buf, size_t len, mqtt_packet_t *pkt)
{
    reader_t body;
    iot_status_t st = decode_frame(buf, len, pkt, SERVER_RECEIVES, &body);

    if (st != IOT_OK) {
        return st;
    }
    switch (pkt->type) {
    case MQTT_CONNECT:
        return decode_connect(pkt, &body);
    case MQTT_SUBSCRIBE:
        return decode_filters(pkt, &body, true);
    case MQTT_UNSUBSCRIBE:
        return decode_filters(pkt, &body, false);
    default:
        return decode_body(pkt, &body);
    }
}

iot_status_t mqtt_next_filter(const mqtt_packet_t *pkt, size_t *offset, mqtt_span_t *filter,
                              uint8_t *qos)
{
    reader_t r;
    uint8_t q = 0u;
    bool with_qos;

    if (pkt == NULL || offset == NULL || filter == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    if (pkt->type != MQTT_SUBSCRIBE && pkt->type != MQTT_UNSUBSCRIBE) {
        return IOT_ERR_INVALID_ARG;
    }
    if (*offset >= pkt->u.subscribe.filters_len) {
        return IOT_ERR_NOT_FOUND;
    }
    if (pkt->u.subscribe.filters == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    with_qos = (pkt->type == MQTT_SUBSCRIBE);
    r.p = pkt->u.subscribe.filters + *offset;
    r.left = pkt->u.subscribe.filters_len - *offset;
    /* Only a packet not produced by the decoder can fail here. */
    if (!take_field(&r, filter) || (with_qos && !take_u8(&r, &q))) {
        return IOT_ERR_MQTT_PROTOCOL;
    }
    if (qos != NULL) {
        *qos = q;
    }
    *offset = pkt->u.subscribe.filters_len - r.left;
    return IOT_OK;
}

#endif /* IOT_CONFIG_MQTT_SERVER_CODEC */

/* ---- Topics -------------------------------------------------------------- */

/* 4.7.1: a wildcard fills its whole level, and '#' is also the last level. */
static bool wildcard_ok(const uint8_t *f, size_t len, size_t i)
{
    bool starts_level = (i == 0u) || f[i - 1u] == '/';
    bool ends_level = (i + 1u == len) || f[i + 1u] == '/';

    if (f[i] == '#') {
        return starts_level && i + 1u == len;
    }
    return starts_level && ends_level;
}

/* A topic name (no wildcards) or filter (wildcards per 4.7.1). */
static IOT_NOINLINE iot_status_t validate_topic(const uint8_t *t, size_t len, bool is_filter)
{
    size_t i;

    /* 4.7.3: at least one character; 1.5.3: fits the length prefix. */
    if (len == 0u || len > MQTT_STRING_MAX || !mqtt_utf8_valid(t, len)) {
        return IOT_ERR_BAD_TOPIC;
    }
    for (i = 0; i < len; i++) {
        if ((t[i] == '+' || t[i] == '#') && (!is_filter || !wildcard_ok(t, len, i))) {
            return IOT_ERR_BAD_TOPIC;
        }
    }
    return IOT_OK;
}

iot_status_t mqtt_validate_topic_name(mqtt_span_t name)
{
    return validate_topic(name.data, name.len, false);
}

iot_status_t mqtt_validate_topic_filter(mqtt_span_t filter)
{
    return validate_topic(filter.data, filter.len, true);
}

/* One pass over both strings, for a valid filter (4.7.1: '+' and '#'
 * fill a whole level, '#' only the last): '+' skips one level of the
 * name, '#' matches the rest, anything else must be equal. */
bool mqtt_topic_matches(mqtt_span_t filter, mqtt_span_t name)
{
    size_t f = 0u;
    size_t n = 0u;

    if (!span_ok(filter) || !span_ok(name)) {
        return false;
    }
    /* 4.7.2: wildcards at the first level never match '$' topics. */
    if (name.len > 0u && name.data[0] == '$' && filter.len > 0u &&
        (filter.data[0] == '+' || filter.data[0] == '#')) {
        return false;
    }
    while (f < filter.len) {
        uint8_t c = filter.data[f++];

        if (c == '#') {
            return true;
        }
        if (c == '+') {
            while (n < name.len && name.data[n] != '/') {
                n++;
            }
        } else if (n < name.len && name.data[n] == c) {
            n++;
        } else {
            /* "a/#" also matches the parent level "a" (4.7.1.2). */
            return n == name.len && c == '/' && f + 1u == filter.len && filter.data[f] == '#';
        }
    }
    return n == name.len;
}
