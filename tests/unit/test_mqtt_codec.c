/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: MQTT 3.1.1 codec encoding, decoding, validation and topic matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt_codec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define U8(s) ((const uint8_t *)(s))
/* A span over a string literal that may contain NUL bytes. */
#define LIT(s) { U8(s), sizeof(s) - 1u }
#define CANARY 0xA5u

/* ---- Reference packets ---------------------------------------------------
 * Built by hand from the specification text, several from its non-normative
 * examples (3.1.2.10, 3.3.2.3, 3.8.3, 3.9.3, 3.10.3). */

/* CONNECT with will (QoS 1), user name and password: flags 0xCE, keep
 * alive 10, exactly the variable header of the 3.1.2.10 example. */
static const uint8_t connect_spec[] = {
    0x10, 0x24,                                          /* CONNECT, remaining 36 */
    0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xCE, 0x00, 0x0A, /* name, level, flags, keep alive */
    0x00, 0x04, 'c', 'i', 'd', '1',                      /* client id */
    0x00, 0x03, 'w', '/', 't',                           /* will topic */
    0x00, 0x03, 'b', 'y', 'e',                           /* will message */
    0x00, 0x04, 'u', 's', 'e', 'r',                      /* user name */
    0x00, 0x02, 0x00, 0xFF,                              /* password (binary) */
};
static const uint8_t password_bytes[] = { 0x00, 0xFF };

/* Empty client id, clean session, keep alive 0. */
static const uint8_t connect_min[] = { 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t connack_sp[] = { 0x20, 0x02, 0x01, 0x00 };
static const uint8_t connack_refused[] = { 0x20, 0x02, 0x00, 0x05 };
/* QoS 1, DUP, RETAIN, topic "a/b", packet id 10, payload "hi". */
static const uint8_t publish_spec[] = { 0x3B, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i' };
static const uint8_t publish_q0[] = { 0x31, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i' };
static const uint8_t publish_q2[] = { 0x34, 0x08, 0x00, 0x04, 0xE2, 0x82, 0xAC, '/', 0xFF, 0xFF };
static const uint8_t puback_vec[] = { 0x40, 0x02, 0x12, 0x34 };
static const uint8_t pubrec_vec[] = { 0x50, 0x02, 0x12, 0x34 };
static const uint8_t pubrel_vec[] = { 0x62, 0x02, 0x12, 0x34 };
static const uint8_t pubcomp_vec[] = { 0x70, 0x02, 0x12, 0x34 };
static const uint8_t subscribe_spec[] = { 0x82, 0x0E, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x01,
                                          0x00, 0x03, 'c', '/', 'd', 0x02 };
static const uint8_t suback_spec[] = { 0x90, 0x05, 0x00, 0x0A, 0x00, 0x02, 0x80 };
static const uint8_t unsubscribe_spec[] = { 0xA2, 0x0C, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b',
                                            0x00, 0x03, 'c', '/', 'd' };
static const uint8_t unsuback_vec[] = { 0xB0, 0x02, 0x00, 0x0A };
static const uint8_t pingreq_vec[] = { 0xC0, 0x00 };
static const uint8_t pingresp_vec[] = { 0xD0, 0x00 };
static const uint8_t disconnect_vec[] = { 0xE0, 0x00 };

typedef struct vec {
    const uint8_t *bytes;
    size_t len;
    bool to_client; /* a client may receive it (else a server) */
} vec_t;

#define VEC(a, c) { a, sizeof(a), c }
static const vec_t corpus[] = {
    VEC(connect_spec, false),   VEC(connect_min, false),    VEC(connack_sp, true),
    VEC(connack_refused, true), VEC(publish_spec, true),    VEC(publish_q0, true),
    VEC(publish_q2, true),      VEC(puback_vec, true),      VEC(pubrec_vec, true),
    VEC(pubrel_vec, true),      VEC(pubcomp_vec, true),     VEC(subscribe_spec, false),
    VEC(suback_spec, true),     VEC(unsubscribe_spec, false), VEC(unsuback_vec, true),
    VEC(pingreq_vec, false),    VEC(pingresp_vec, true),    VEC(disconnect_vec, false),
};

/* ---- Helpers ------------------------------------------------------------- */

static mqtt_span_t span_str(const char *s)
{
    mqtt_span_t sp = { U8(s), strlen(s) };
    return sp;
}

static mqtt_span_t span_of(const uint8_t *data, size_t len)
{
    mqtt_span_t sp = { data, len };
    return sp;
}

static void assert_span_equal(mqtt_span_t got, const void *expect, size_t len)
{
    assert_int_equal(got.len, len);
    if (len > 0u) {
        assert_non_null(got.data);
        assert_memory_equal(got.data, expect, len);
    }
}

static void assert_span_str(mqtt_span_t got, const char *expect)
{
    assert_span_equal(got, expect, strlen(expect));
}

/* Copy into a heap block of exactly n bytes so AddressSanitizer flags any
 * read past the end. */
static uint8_t *dup_exact(const uint8_t *b, size_t n)
{
    uint8_t *p = malloc(n > 0u ? n : 1u);

    assert_non_null(p);
    if (n > 0u) {
        memcpy(p, b, n);
    }
    return p;
}

/* This file is built twice: with the default configuration and with
 * tests/config/mqtt_minimal.h, which leaves out wills, QoS 2 and
 * UNSUBSCRIBE. Without them the client side never expects PUBREC, PUBREL,
 * PUBCOMP or UNSUBACK (a broker that sends one breaks the protocol), and
 * the CONNECT encoder refuses a will with IOT_ERR_NOT_SUPPORTED, before
 * the fields after it are looked at. */
static bool client_expects(unsigned type)
{
    if (type == MQTT_PUBREC || type == MQTT_PUBREL || type == MQTT_PUBCOMP) {
        return IOT_CONFIG_MQTT_QOS2;
    }
    return type != MQTT_UNSUBACK || IOT_CONFIG_MQTT_UNSUBSCRIBE;
}

#if IOT_CONFIG_MQTT_WILL
#define WITH_WILL(status) (status)
#else
#define WITH_WILL(status) IOT_ERR_NOT_SUPPORTED
#endif

static iot_status_t client_status(const uint8_t *b, size_t n)
{
    mqtt_packet_t pkt;
    uint8_t *copy = dup_exact(b, n);
    iot_status_t st = mqtt_decode_packet(copy, n, &pkt);

    free(copy);
    return st;
}

static iot_status_t server_status(const uint8_t *b, size_t n)
{
    mqtt_packet_t pkt;
    uint8_t *copy = dup_exact(b, n);
    iot_status_t st = mqtt_decode_server_packet(copy, n, &pkt);

    free(copy);
    return st;
}

#define EXPECT_CLIENT(status, ...)                                         \
    do {                                                                   \
        static const uint8_t b_[] = { __VA_ARGS__ };                       \
        assert_int_equal(client_status(b_, sizeof(b_)), (status));         \
    } while (0)
#define EXPECT_SERVER(status, ...)                                         \
    do {                                                                   \
        static const uint8_t b_[] = { __VA_ARGS__ };                       \
        assert_int_equal(server_status(b_, sizeof(b_)), (status));         \
    } while (0)
#define EXPECT_BOTH(status, ...)                                           \
    do {                                                                   \
        static const uint8_t b_[] = { __VA_ARGS__ };                       \
        assert_int_equal(client_status(b_, sizeof(b_)), (status));         \
        assert_int_equal(server_status(b_, sizeof(b_)), (status));         \
    } while (0)

typedef iot_status_t (*encode_fn)(uint8_t *buf, size_t cap, size_t *out_len);

/* Exact bytes at exact capacity; BUFFER_TOO_SMALL with the needed size and
 * nothing written past cap at every smaller capacity; a size query with no
 * buffer; and out_len may be omitted. */
static void check_encoder(encode_fn fn, const uint8_t *expect, size_t n)
{
    uint8_t buf[128];
    size_t cap;
    size_t i;
    size_t out_len;

    assert_true(n + 8u <= sizeof(buf));
    for (cap = 0; cap <= n; cap++) {
        memset(buf, CANARY, sizeof(buf));
        out_len = 9999u;
        assert_int_equal(fn(buf, cap, &out_len), cap < n ? IOT_ERR_BUFFER_TOO_SMALL : IOT_OK);
        assert_int_equal(out_len, n);
        for (i = cap; i < sizeof(buf); i++) {
            assert_int_equal(buf[i], CANARY);
        }
    }
    assert_memory_equal(buf, expect, n);
    out_len = 0u;
    assert_int_equal(fn(NULL, 0u, &out_len), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(out_len, n);
    assert_int_equal(fn(NULL, n, &out_len), IOT_ERR_INVALID_ARG);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(fn(buf, sizeof(buf), NULL), IOT_OK);
    assert_memory_equal(buf, expect, n);
}

static mqtt_connect_t spec_connect(void)
{
    mqtt_connect_t c;

    memset(&c, 0, sizeof(c));
    c.client_id = span_str("cid1");
    c.keep_alive_s = 10u;
    c.clean_session = true;
    c.has_will = true;
    c.will_topic = span_str("w/t");
    c.will_payload = span_str("bye");
    c.will_qos = 1u;
    c.has_username = true;
    c.username = span_str("user");
    c.has_password = true;
    c.password = span_of(password_bytes, sizeof(password_bytes));
    return c;
}

static mqtt_publish_t spec_publish(void)
{
    mqtt_publish_t p;

    memset(&p, 0, sizeof(p));
    p.topic = span_str("a/b");
    p.payload = span_str("hi");
    p.qos = 1u;
    p.retain = true;
    p.dup = true;
    p.packet_id = 10u;
    return p;
}

static const mqtt_subscription_t spec_subs[] = { { { U8("a/b"), 3u }, 1u }, { { U8("c/d"), 3u }, 2u } };
static const mqtt_span_t spec_unsubs[] = { { U8("a/b"), 3u }, { U8("c/d"), 3u } };
static const uint8_t spec_suback_codes[] = { 0x00, 0x02, 0x80 };

static iot_status_t enc_connect(uint8_t *b, size_t cap, size_t *n)
{
    mqtt_connect_t c = spec_connect();
    return mqtt_encode_connect(&c, b, cap, n);
}

static iot_status_t enc_connect_min(uint8_t *b, size_t cap, size_t *n)
{
    mqtt_connect_t c;

    memset(&c, 0, sizeof(c));
    c.clean_session = true;
    return mqtt_encode_connect(&c, b, cap, n);
}

static iot_status_t enc_publish(uint8_t *b, size_t cap, size_t *n)
{
    mqtt_publish_t p = spec_publish();
    return mqtt_encode_publish(&p, b, cap, n);
}

static iot_status_t enc_publish_header(uint8_t *b, size_t cap, size_t *n)
{
    mqtt_publish_t p = spec_publish();

    p.payload.data = NULL; /* must not be read */
    return mqtt_encode_publish_header(&p, b, cap, n);
}

static iot_status_t enc_pubrel(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_ack(MQTT_PUBREL, 0x1234u, b, cap, n);
}

static iot_status_t enc_unsuback(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_ack(MQTT_UNSUBACK, 10u, b, cap, n);
}

static iot_status_t enc_subscribe(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_subscribe(10u, spec_subs, ARRAY_LEN(spec_subs), b, cap, n);
}

static iot_status_t enc_unsubscribe(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_unsubscribe(10u, spec_unsubs, ARRAY_LEN(spec_unsubs), b, cap, n);
}

static iot_status_t enc_suback(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_suback(10u, spec_suback_codes, ARRAY_LEN(spec_suback_codes), b, cap, n);
}

static iot_status_t enc_connack(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_connack(true, 0u, b, cap, n);
}

static iot_status_t enc_pingreq(uint8_t *b, size_t cap, size_t *n)
{
    return mqtt_encode_empty(MQTT_PINGREQ, b, cap, n);
}

/* ---- Fixed header and remaining length ---------------------------------- */

typedef struct rl_case {
    size_t value;
    uint8_t bytes[4];
    size_t n;
} rl_case_t;

/* 2.2.3: the boundaries of each encoded length. */
static const rl_case_t rl_cases[] = {
    { 0u, { 0x00 }, 1u },
    { 127u, { 0x7F }, 1u },
    { 128u, { 0x80, 0x01 }, 2u },
    { 16383u, { 0xFF, 0x7F }, 2u },
    { 16384u, { 0x80, 0x80, 0x01 }, 3u },
    { 2097151u, { 0xFF, 0xFF, 0x7F }, 3u },
    { 2097152u, { 0x80, 0x80, 0x80, 0x01 }, 4u },
    { 268435455u, { 0xFF, 0xFF, 0xFF, 0x7F }, 4u },
};

static void test_fixed_header_decodes_length_edges(void **state)
{
    size_t i;
    size_t cut;

    (void)state;
    for (i = 0; i < ARRAY_LEN(rl_cases); i++) {
        uint8_t b[5] = { 0x3D };
        uint8_t first = 0u;
        size_t rl = 1u;
        size_t hl = 0u;

        memcpy(&b[1], rl_cases[i].bytes, rl_cases[i].n);
        assert_int_equal(mqtt_decode_fixed_header(b, 1u + rl_cases[i].n, &first, &rl, &hl), IOT_OK);
        assert_int_equal(first, 0x3D);
        assert_int_equal(rl, rl_cases[i].value);
        assert_int_equal(hl, 1u + rl_cases[i].n);
        /* Bytes after the header are not part of it. */
        assert_int_equal(mqtt_decode_fixed_header(b, sizeof(b), &first, &rl, &hl), IOT_OK);
        assert_int_equal(rl, rl_cases[i].value);
        for (cut = 0; cut <= rl_cases[i].n; cut++) {
            uint8_t *copy = dup_exact(b, cut);

            assert_int_equal(mqtt_decode_fixed_header(copy, cut, &first, &rl, &hl), IOT_ERR_INCOMPLETE);
            free(copy);
        }
    }
}

static void test_fixed_header_rejects_malformed_lengths(void **state)
{
    static const struct {
        uint8_t b[6];
        size_t n;
    } bad[] = {
        { { 0x30, 0x80, 0x80, 0x80, 0x80 }, 5u },       /* fifth length byte needed */
        { { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, 6u }, /* five length bytes */
        { { 0x30, 0x80, 0x00 }, 3u },                   /* 0 in two bytes */
        { { 0x30, 0xFF, 0x00 }, 3u },                   /* 127 in two bytes */
        { { 0x30, 0x80, 0x80, 0x00 }, 4u },
        { { 0x30, 0xFF, 0xFF, 0x00 }, 4u },
        { { 0x30, 0x80, 0x80, 0x80, 0x00 }, 5u },
        { { 0x30, 0xFF, 0xFF, 0xFF, 0x00 }, 5u },
    };
    size_t i;
    uint8_t first;
    size_t rl;
    size_t hl;

    (void)state;
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        uint8_t *copy = dup_exact(bad[i].b, bad[i].n);

        assert_int_equal(mqtt_decode_fixed_header(copy, bad[i].n, &first, &rl, &hl), IOT_ERR_MQTT_PROTOCOL);
        assert_int_equal(mqtt_decode_packet(copy, bad[i].n, &(mqtt_packet_t){ 0 }), IOT_ERR_MQTT_PROTOCOL);
        assert_int_equal(mqtt_decode_server_packet(copy, bad[i].n, &(mqtt_packet_t){ 0 }),
                         IOT_ERR_MQTT_PROTOCOL);
        free(copy);
    }
    assert_int_equal(mqtt_decode_fixed_header(NULL, 0u, &first, &rl, &hl), IOT_ERR_INCOMPLETE);
    assert_int_equal(mqtt_decode_fixed_header(NULL, 2u, &first, &rl, &hl), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_fixed_header(pingreq_vec, 2u, NULL, &rl, &hl), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_fixed_header(pingreq_vec, 2u, &first, NULL, &hl), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_fixed_header(pingreq_vec, 2u, &first, &rl, NULL), IOT_ERR_INVALID_ARG);
}

/* Large remaining lengths through mqtt_encode_publish_header: the payload
 * is only counted, never touched, so nothing large is allocated. */
static void test_publish_header_length_edges(void **state)
{
    size_t i;
    mqtt_publish_t p;
    uint8_t buf[16];
    size_t n = 0u;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.topic = span_str("t");
    for (i = 1; i < ARRAY_LEN(rl_cases); i++) {
        uint8_t first;
        size_t rl;
        size_t hl;

        p.payload.len = rl_cases[i].value - 3u; /* topic length prefix and "t" */
        memset(buf, CANARY, sizeof(buf));
        assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_OK);
        assert_int_equal(n, 1u + rl_cases[i].n + 3u);
        assert_int_equal(buf[0], 0x30);
        assert_memory_equal(&buf[1], rl_cases[i].bytes, rl_cases[i].n);
        assert_memory_equal(&buf[1u + rl_cases[i].n], "\x00\x01t", 3u);
        assert_int_equal(buf[n], CANARY);
        assert_int_equal(mqtt_decode_fixed_header(buf, n, &first, &rl, &hl), IOT_OK);
        assert_int_equal(rl, rl_cases[i].value);
        assert_int_equal(hl, 1u + rl_cases[i].n);
    }
    /* One past the MQTT maximum, and a length that would wrap size_t. */
    p.payload.len = MQTT_MAX_REMAINING_LENGTH - 3u + 1u;
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_PACKET_TOO_LARGE);
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG); /* data NULL */
    p.payload.len = SIZE_MAX;
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_PACKET_TOO_LARGE);
    /* QoS 1 adds the packet id to the remaining length. */
    p.qos = 1u;
    p.packet_id = 7u;
    p.payload.len = MQTT_MAX_REMAINING_LENGTH - 5u;
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 10u);
    assert_memory_equal(buf, "\x32\xFF\xFF\xFF\x7F\x00\x01t\x00\x07", 10u);
    p.payload.len++;
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_PACKET_TOO_LARGE);
    /* Remaining length 0 exists only for the empty packets. */
    assert_int_equal(mqtt_encode_empty(MQTT_PINGREQ, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 2u);
    assert_memory_equal(buf, "\xC0\x00", 2u);
}

/* Whole packets across the one/two/three byte length boundaries. */
static void test_publish_length_edges_round_trip(void **state)
{
    static uint8_t payload[16384];
    static uint8_t buf[16384 + 16];
    static const size_t lengths[] = { 127u, 128u, 16383u, 16384u };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7u);
    }
    for (i = 0; i < ARRAY_LEN(lengths); i++) {
        mqtt_publish_t p;
        mqtt_packet_t pkt;
        size_t n = 0u;
        size_t hl = (lengths[i] < 128u) ? 2u : (lengths[i] < 16384u ? 3u : 4u);

        memset(&p, 0, sizeof(p));
        p.topic = span_str("t");
        p.payload = span_of(payload, lengths[i] - 3u);
        assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_OK);
        assert_int_equal(n, hl + lengths[i]);
        assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
        assert_int_equal(pkt.type, MQTT_PUBLISH);
        assert_span_str(pkt.u.publish.topic, "t");
        assert_span_equal(pkt.u.publish.payload, payload, lengths[i] - 3u);
        assert_true(pkt.u.publish.payload.data == buf + hl + 3u);
    }
}

/* The client's unchecked PUBLISH writer gives the bytes of the checked
 * encoder, for every QoS and flag and across the length boundaries, and
 * writes nothing past the size it announces (remaining lengths 127/128 and
 * 16383/16384 with the 9 or 11 header bytes of "a/topic"). */
static void test_publish_writer_matches_encoder(void **state)
{
    static uint8_t payload[16384];
    static uint8_t want[16384 + 32];
    static uint8_t got[16384 + 32];
    static const size_t lengths[] = { 0u,     1u,     116u,   117u,   118u,  119u,
                                      16372u, 16373u, 16374u, 16375u, 16384u };
    size_t i;
    unsigned qos;
    unsigned flags;

    (void)state;
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 13u + 1u);
    }
    for (i = 0; i < ARRAY_LEN(lengths); i++) {
        for (qos = 0; qos <= 2u; qos++) {
            for (flags = 0; flags < 4u; flags++) {
                mqtt_publish_t p;
                size_t n = 0u;
                size_t size;
                uint8_t *end;

                memset(&p, 0, sizeof(p));
                p.topic = span_str("a/topic");
                p.payload = span_of(lengths[i] ? payload : NULL, lengths[i]);
                p.qos = (uint8_t)qos;
                p.packet_id = (qos > 0u) ? (uint16_t)(0x1234u + i) : 0u;
                p.retain = (flags & 1u) != 0u;
                p.dup = (qos > 0u) && (flags & 2u) != 0u;
                assert_int_equal(mqtt_encode_publish(&p, want, sizeof(want), &n), IOT_OK);
                size = mqtt_publish_size(&p);
                assert_int_equal(size, n);
                memset(got, CANARY, sizeof(got));
                end = mqtt_write_publish_header(&p, got);
                assert_ptr_equal(end, got + size - lengths[i]);
                if (lengths[i] > 0u) {
                    memcpy(end, payload, lengths[i]);
                }
                assert_memory_equal(got, want, size);
                assert_int_equal(got[size], CANARY);
            }
        }
    }
}

/* ---- CONNECT ------------------------------------------------------------- */

static void test_connect_matches_hand_written_bytes(void **state)
{
    mqtt_packet_t pkt;
    const mqtt_connect_t *c = &pkt.u.connect;

    (void)state;
#if IOT_CONFIG_MQTT_WILL
    check_encoder(enc_connect, connect_spec, sizeof(connect_spec));
#else
    {
        uint8_t buf[128];
        size_t n = 9999u;

        memset(buf, CANARY, sizeof(buf));
        assert_int_equal(enc_connect(buf, sizeof(buf), &n), IOT_ERR_NOT_SUPPORTED);
        assert_int_equal(buf[0], CANARY);
    }
#endif
    /* The server side (gateways) decodes a will in every configuration. */
    assert_int_equal(mqtt_decode_server_packet(connect_spec, sizeof(connect_spec), &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_CONNECT);
    assert_int_equal(pkt.flags, 0);
    assert_span_str(c->client_id, "cid1");
    assert_int_equal(c->keep_alive_s, 10);
    assert_true(c->clean_session);
    assert_true(c->has_will);
    assert_span_str(c->will_topic, "w/t");
    assert_span_str(c->will_payload, "bye");
    assert_int_equal(c->will_qos, 1);
    assert_false(c->will_retain);
    assert_true(c->has_username);
    assert_span_str(c->username, "user");
    assert_true(c->has_password);
    assert_span_equal(c->password, password_bytes, sizeof(password_bytes));
    /* The client side never accepts a CONNECT. */
    assert_int_equal(client_status(connect_spec, sizeof(connect_spec)), IOT_ERR_MQTT_PROTOCOL);
}

static void test_connect_round_trips(void **state)
{
    uint8_t buf[128];
    size_t n = 0u;
    mqtt_connect_t c;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_connect_min, connect_min, sizeof(connect_min));
    assert_int_equal(mqtt_decode_server_packet(connect_min, sizeof(connect_min), &pkt), IOT_OK);
    assert_int_equal(pkt.u.connect.client_id.len, 0u);
    assert_true(pkt.u.connect.clean_session);
    assert_false(pkt.u.connect.has_will || pkt.u.connect.has_username || pkt.u.connect.has_password);

    /* Will with retain and QoS 2, user name without password, no clean session. */
    memset(&c, 0, sizeof(c));
    c.client_id = span_str("dev-\xC3\xA9");
    c.keep_alive_s = 0xFFFFu;
    c.has_will = true;
    c.will_topic = span_str("status/dev");
    c.will_qos = 2u;
    c.will_retain = true;
    c.has_username = true;
    c.username = span_str("u");
#if !IOT_CONFIG_MQTT_WILL
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_NOT_SUPPORTED);
    c.has_will = false;
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 2u + 10u + 8u + 3u);
    assert_int_equal(buf[9], 0x80); /* user only: the will fields are ignored */
    assert_int_equal(mqtt_decode_server_packet(buf, n, &pkt), IOT_OK);
    assert_false(pkt.u.connect.has_will);
    assert_span_str(pkt.u.connect.username, "u");
#else
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 2u + 10u + 8u + 12u + 2u + 3u);
    assert_int_equal(buf[9], 0xB4); /* user, will retain, will QoS 2, will */
    assert_int_equal(mqtt_decode_server_packet(buf, n, &pkt), IOT_OK);
    assert_span_str(pkt.u.connect.client_id, "dev-\xC3\xA9");
    assert_int_equal(pkt.u.connect.keep_alive_s, 0xFFFF);
    assert_false(pkt.u.connect.clean_session);
    assert_true(pkt.u.connect.has_will && pkt.u.connect.will_retain);
    assert_int_equal(pkt.u.connect.will_qos, 2);
    assert_span_str(pkt.u.connect.will_topic, "status/dev");
    assert_int_equal(pkt.u.connect.will_payload.len, 0u);
    assert_true(pkt.u.connect.has_username);
    assert_false(pkt.u.connect.has_password);
#endif

    /* Will fields are ignored without a will. */
    memset(&c, 0, sizeof(c));
    c.clean_session = true;
    c.will_qos = 3u;
    c.will_retain = true;
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, sizeof(connect_min));
    assert_memory_equal(buf, connect_min, n);
}

static void test_connect_encode_errors(void **state)
{
    uint8_t buf[128];
    size_t n = 0u;
    mqtt_connect_t c;

    (void)state;
    c = spec_connect();
    assert_int_equal(mqtt_encode_connect(NULL, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_connect(&c, NULL, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c.has_username = false;
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c = spec_connect();
    c.client_id.len = 0u;
    c.clean_session = false;
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c = spec_connect();
    c.will_qos = 3u;
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_INVALID_ARG));
    c = spec_connect();
    c.will_topic = span_str("w/#");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_BAD_TOPIC));
    c.will_topic = span_str("+");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_BAD_TOPIC));
    c.will_topic = span_str("");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_BAD_TOPIC));
    c = spec_connect();
    c.client_id = span_str("bad\xC0\x80");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c = spec_connect();
    c.username = span_str("\xED\xA0\x80");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_INVALID_ARG));
    c = spec_connect();
    c.password = span_of(NULL, 3u);
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_INVALID_ARG));
    c = spec_connect();
    c.will_payload = span_of(NULL, 1u);
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_ERR_INVALID_ARG));
    /* Binary password bytes that are not UTF-8 are fine. */
    c = spec_connect();
    c.password = span_str("\xFF\xFE");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), WITH_WILL(IOT_OK));
#if !IOT_CONFIG_MQTT_WILL
    /* Without a will the fields after it are checked as before. */
    c = spec_connect();
    c.has_will = false;
    c.username = span_str("\xED\xA0\x80");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c.username = span_str("user");
    c.password = span_of(NULL, 3u);
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    c.password = span_str("\xFF\xFE");
    assert_int_equal(mqtt_encode_connect(&c, buf, sizeof(buf), &n), IOT_OK);
#endif
}

static void test_connect_decode_errors(void **state)
{
    uint8_t b[sizeof(connect_spec)];

    (void)state;
    /* MQTT 3.1 ("MQIsdp", level 3) and unknown levels: refused version. */
    EXPECT_SERVER(IOT_ERR_MQTT_REFUSED_VERSION, 0x10, 0x0E, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03,
                  0x02, 0x00, 0x3C, 0x00, 0x00);
    memcpy(b, connect_spec, sizeof(b));
    b[8] = 3u;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_REFUSED_VERSION);
    b[8] = 5u;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_REFUSED_VERSION);
    memcpy(b, connect_spec, sizeof(b));
    b[7] = 'X';
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_REFUSED_VERSION);
    /* Reserved connect flag, will QoS 3. */
    memcpy(b, connect_spec, sizeof(b));
    b[9] |= 0x01u;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_PROTOCOL);
    b[9] = 0xDE;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_PROTOCOL);
    /* Will QoS or will retain without a will. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x0A, 0x00, 0x00,
                  0x00, 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x22, 0x00, 0x00,
                  0x00, 0x00);
    /* Password flag without user name flag. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42, 0x00, 0x00,
                  0x00, 0x00, 0x00, 0x00);
    /* ... and fine with the user name flag and field added. */
    EXPECT_SERVER(IOT_OK, 0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xC2, 0x00, 0x00, 0x00, 0x00,
                  0x00, 0x00, 0x00, 0x00);
    /* Empty client id without clean session: identifier rejected. */
    EXPECT_SERVER(IOT_ERR_MQTT_REFUSED_ID, 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x00, 0x00, 0x00,
                  0x00, 0x00);
    /* Fixed header flags must be 0. */
    memcpy(b, connect_spec, sizeof(b));
    b[0] = 0x11;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_PROTOCOL);
    /* A byte after the last field, inside the remaining length. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00,
                  0x00, 0x00, 0x00);
    /* User name flag but no user name field. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x82, 0x00, 0x00,
                  0x00, 0x00);
    /* Client id that is not UTF-8 (overlong NUL). */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00,
                  0x00, 0x02, 0xC0, 0x80);
    /* Will topic with a wildcard. */
    memcpy(b, connect_spec, sizeof(b));
    b[21] = '+';
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_PROTOCOL);
    /* Client id length running past the packet. */
    memcpy(b, connect_spec, sizeof(b));
    b[13] = 0x40;
    assert_int_equal(server_status(b, sizeof(b)), IOT_ERR_MQTT_PROTOCOL);
    /* Remaining length too short for the variable header. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x10, 0x07, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04);
}

/* ---- CONNACK ------------------------------------------------------------- */

static void test_connack(void **state)
{
    uint8_t buf[8];
    size_t n = 0u;
    uint8_t rc;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_connack, connack_sp, sizeof(connack_sp));
    for (rc = 0; rc <= 5u; rc++) {
        assert_int_equal(mqtt_encode_connack(false, rc, buf, sizeof(buf), &n), IOT_OK);
        assert_int_equal(n, 4u);
        assert_memory_equal(buf, ((const uint8_t[]){ 0x20, 0x02, 0x00, rc }), 4u);
        assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
        assert_int_equal(pkt.type, MQTT_CONNACK);
        assert_false(pkt.u.connack.session_present);
        assert_int_equal(pkt.u.connack.return_code, rc);
    }
    assert_int_equal(mqtt_decode_packet(connack_sp, sizeof(connack_sp), &pkt), IOT_OK);
    assert_true(pkt.u.connack.session_present);
    assert_int_equal(pkt.u.connack.return_code, 0);
    assert_int_equal(mqtt_encode_connack(false, 6u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_connack(true, 1u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);

    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x02, 0x00); /* reserved ack flag */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x80, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x00, 0x06); /* return code > 5 */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x00, 0xFF);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x01, 0x01); /* session present on refusal */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x03, 0x00, 0x00, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x01, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x21, 0x02, 0x00, 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x00, 0x00);
}

/* ---- PUBLISH ------------------------------------------------------------- */

static void test_publish_round_trips(void **state)
{
    static const struct {
        uint8_t qos;
        bool dup;
        bool retain;
        uint16_t id;
        uint8_t first;
    } cases[] = {
        { 0u, false, false, 0u, 0x30 }, { 0u, false, true, 0u, 0x31 },  { 1u, false, false, 1u, 0x32 },
        { 1u, true, false, 2u, 0x3A },  { 2u, false, true, 0xFFFFu, 0x35 }, { 2u, true, true, 9u, 0x3D },
    };
    size_t i;
    uint8_t buf[64];
    uint8_t head[64];
    size_t n = 0u;
    size_t hn = 0u;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_publish, publish_spec, sizeof(publish_spec));
    check_encoder(enc_publish_header, publish_spec, sizeof(publish_spec) - 2u);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        mqtt_publish_t p = spec_publish();
        size_t id_len = cases[i].qos > 0u ? 2u : 0u;

        p.qos = cases[i].qos;
        p.dup = cases[i].dup;
        p.retain = cases[i].retain;
        p.packet_id = cases[i].id;
        assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_OK);
        assert_int_equal(n, 9u + id_len);
        assert_int_equal(buf[0], cases[i].first);
        assert_int_equal(buf[1], 7u + id_len);
        assert_int_equal(mqtt_encode_publish_header(&p, head, sizeof(head), &hn), IOT_OK);
        assert_int_equal(hn, n - 2u);
        assert_memory_equal(head, buf, hn);
        assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
        assert_int_equal(pkt.type, MQTT_PUBLISH);
        assert_int_equal(pkt.flags, cases[i].first & 0x0Fu);
        assert_int_equal(pkt.u.publish.qos, cases[i].qos);
        assert_int_equal(pkt.u.publish.dup, cases[i].dup);
        assert_int_equal(pkt.u.publish.retain, cases[i].retain);
        assert_int_equal(pkt.u.publish.packet_id, cases[i].id);
        assert_span_str(pkt.u.publish.topic, "a/b");
        assert_span_str(pkt.u.publish.payload, "hi");
        assert_true(pkt.u.publish.payload.data == buf + n - 2u);
        assert_int_equal(mqtt_decode_server_packet(buf, n, &pkt), IOT_OK);
        assert_span_str(pkt.u.publish.payload, "hi");
    }
    /* Empty payload; multi-byte topic. */
    assert_int_equal(mqtt_decode_packet(publish_q2, sizeof(publish_q2), &pkt), IOT_OK);
    assert_int_equal(pkt.u.publish.qos, 2);
    assert_int_equal(pkt.u.publish.packet_id, 0xFFFF);
    assert_span_str(pkt.u.publish.topic, "\xE2\x82\xAC/");
    assert_int_equal(pkt.u.publish.payload.len, 0u);
}

static void test_publish_encode_errors(void **state)
{
    uint8_t buf[64];
    size_t n = 0u;
    mqtt_publish_t p;

    (void)state;
    assert_int_equal(mqtt_encode_publish(NULL, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_publish_header(NULL, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p = spec_publish();
    p.qos = 3u;
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p = spec_publish();
    p.packet_id = 0u;
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p.qos = 2u;
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p.qos = 0u; /* no id needed at QoS 0, but DUP must then be 0 */
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p.dup = false;
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_OK);
    p.topic = span_str("");
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    p.topic = span_str("a/+");
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    p.topic = span_str("#");
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    p.topic = span_str("a\xF4\x90\x80\x80");
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    p.topic = span_of(NULL, 3u);
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    p = spec_publish();
    p.payload = span_of(NULL, 2u);
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_publish_header(&p, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 9u);
    p.payload = span_of(NULL, 0u);
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 9u);
    assert_int_equal(buf[1], 7u);
}

static void test_publish_decode_errors(void **state)
{
    (void)state;
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x36, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A); /* QoS 3 */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x3E, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A); /* QoS 3 + DUP */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x38, 0x05, 0x00, 0x03, 'a', '/', 'b');             /* DUP at QoS 0 */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x32, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x00); /* id 0 */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x34, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x00);
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x32, 0x05, 0x00, 0x03, 'a', '/', 'b');             /* no id */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x32, 0x06, 0x00, 0x03, 'a', '/', 'b', 0x00);       /* half id */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x03, 0x00, 0x05, 'a');                       /* topic past end */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x02, 0x00, 0x00);                            /* empty topic */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x05, 0x00, 0x03, 'a', '/', '+');
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x05, 0x00, 0x03, 'a', '/', '#');
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x05, 0x00, 0x03, 'a', 0x00, 'b');
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x01, 0x00);
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x30, 0x00);
    /* Valid neighbours of the cases above. */
    EXPECT_BOTH(IOT_OK, 0x3A, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x01);
    EXPECT_BOTH(IOT_OK, 0x30, 0x03, 0x00, 0x01, '$');
}

/* ---- Acknowledgements and empty packets --------------------------------- */

static void test_acks_round_trip(void **state)
{
    static const struct {
        mqtt_packet_type_t type;
        uint8_t first;
        bool to_server;
    } acks[] = {
        { MQTT_PUBACK, 0x40, true },  { MQTT_PUBREC, 0x50, true },    { MQTT_PUBREL, 0x62, true },
        { MQTT_PUBCOMP, 0x70, true }, { MQTT_UNSUBACK, 0xB0, false },
    };
    static const mqtt_packet_type_t not_acks[] = { MQTT_CONNECT, MQTT_CONNACK,  MQTT_PUBLISH,
                                                   MQTT_SUBSCRIBE, MQTT_SUBACK, MQTT_UNSUBSCRIBE,
                                                   MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT,
                                                   (mqtt_packet_type_t)0, (mqtt_packet_type_t)15 };
    size_t i;
    uint8_t buf[8];
    size_t n = 0u;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_pubrel, pubrel_vec, sizeof(pubrel_vec));
    check_encoder(enc_unsuback, unsuback_vec, sizeof(unsuback_vec));
    for (i = 0; i < ARRAY_LEN(acks); i++) {
        assert_int_equal(mqtt_encode_ack(acks[i].type, 0xBEEFu, buf, sizeof(buf), &n), IOT_OK);
        assert_int_equal(n, 4u);
        assert_memory_equal(buf, ((const uint8_t[]){ acks[i].first, 0x02, 0xBE, 0xEF }), 4u);
        if (client_expects(acks[i].type)) {
            assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
            assert_int_equal(pkt.type, acks[i].type);
            assert_int_equal(pkt.u.packet_id, 0xBEEF);
        } else {
            assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_ERR_MQTT_PROTOCOL);
        }
        assert_int_equal(mqtt_decode_server_packet(buf, n, &pkt), acks[i].to_server ? IOT_OK : IOT_ERR_MQTT_PROTOCOL);
        assert_int_equal(mqtt_encode_ack(acks[i].type, 0u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
        /* Packet id 0, one byte short, one byte long. */
        buf[2] = 0u;
        buf[3] = 0u;
        assert_int_equal(client_status(buf, 4u), IOT_ERR_MQTT_PROTOCOL);
        buf[1] = 1u;
        assert_int_equal(client_status(buf, 3u), IOT_ERR_MQTT_PROTOCOL);
        buf[1] = 3u;
        buf[2] = 0x12;
        buf[4] = 0x00;
        assert_int_equal(client_status(buf, 5u), IOT_ERR_MQTT_PROTOCOL);
    }
    for (i = 0; i < ARRAY_LEN(not_acks); i++) {
        assert_int_equal(mqtt_encode_ack(not_acks[i], 1u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    }
}

/* The client's unchecked ack writer gives the checked encoder's bytes. */
static void test_ack_writer_matches_encoder(void **state)
{
    static const mqtt_packet_type_t types[] = { MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP };
    static const uint16_t ids[] = { 1u, 0x00FFu, 0x1234u, 0xFFFFu };
    uint8_t want[4];
    uint8_t got[6];
    size_t n = 0u;
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < ARRAY_LEN(types); i++) {
        for (j = 0; j < ARRAY_LEN(ids); j++) {
            assert_int_equal(mqtt_encode_ack(types[i], ids[j], want, sizeof(want), &n), IOT_OK);
            memset(got, CANARY, sizeof(got));
            mqtt_write_ack(types[i], ids[j], got);
            assert_memory_equal(got, want, sizeof(want));
            assert_int_equal(got[4], CANARY);
        }
    }
}

static void test_empty_packets(void **state)
{
    static const mqtt_packet_type_t not_empty[] = { MQTT_CONNECT, MQTT_PUBLISH, MQTT_PUBACK, MQTT_SUBACK,
                                                    (mqtt_packet_type_t)0, (mqtt_packet_type_t)15 };
    uint8_t buf[4];
    size_t n = 0u;
    size_t i;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_pingreq, pingreq_vec, sizeof(pingreq_vec));
    assert_int_equal(mqtt_encode_empty(MQTT_PINGRESP, buf, sizeof(buf), &n), IOT_OK);
    assert_memory_equal(buf, pingresp_vec, 2u);
    assert_int_equal(mqtt_encode_empty(MQTT_DISCONNECT, buf, sizeof(buf), &n), IOT_OK);
    assert_memory_equal(buf, disconnect_vec, 2u);
    for (i = 0; i < ARRAY_LEN(not_empty); i++) {
        assert_int_equal(mqtt_encode_empty(not_empty[i], buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    }
    assert_int_equal(mqtt_decode_packet(pingresp_vec, 2u, &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_PINGRESP);
    assert_int_equal(mqtt_decode_server_packet(pingreq_vec, 2u, &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_PINGREQ);
    assert_int_equal(mqtt_decode_server_packet(disconnect_vec, 2u, &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_DISCONNECT);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0xD0, 0x01, 0x00); /* PINGRESP remaining length must be 0 */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xC0, 0x01, 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xE0, 0x02, 0x00, 0x00);
}

/* ---- SUBSCRIBE, SUBACK, UNSUBSCRIBE ------------------------------------- */

static void test_subscribe_round_trip(void **state)
{
    mqtt_packet_t pkt;
    size_t off = 0u;
    mqtt_span_t f;
    uint8_t qos = 9u;

    (void)state;
    check_encoder(enc_subscribe, subscribe_spec, sizeof(subscribe_spec));
    assert_int_equal(mqtt_decode_server_packet(subscribe_spec, sizeof(subscribe_spec), &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_SUBSCRIBE);
    assert_int_equal(pkt.flags, 2);
    assert_int_equal(pkt.u.subscribe.packet_id, 10);
    assert_int_equal(pkt.u.subscribe.count, 2u);
    assert_true(pkt.u.subscribe.filters == subscribe_spec + 4);
    assert_int_equal(pkt.u.subscribe.filters_len, 12u);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_OK);
    assert_span_str(f, "a/b");
    assert_int_equal(qos, 1);
    assert_int_equal(off, 6u);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_OK);
    assert_span_str(f, "c/d");
    assert_int_equal(qos, 2);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_ERR_NOT_FOUND);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_ERR_NOT_FOUND);
    off = 0u;
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, NULL), IOT_OK);
    assert_int_equal(client_status(subscribe_spec, sizeof(subscribe_spec)), IOT_ERR_MQTT_PROTOCOL);
}

/* The client's one-filter writer gives the checked encoders' bytes for
 * SUBSCRIBE (each QoS) and UNSUBSCRIBE, across the 127/128 remaining-length
 * boundary, and writes nothing when the packet does not fit. */
static void test_filter_writer_matches_encoders(void **state)
{
    static uint8_t filter[200];
    uint8_t want[256];
    uint8_t got[256];
    size_t len;
    unsigned qos;

    (void)state;
    for (len = 1u; len < sizeof(filter); len += 3u) {
        mqtt_span_t f;
        size_t n = 0u;
        size_t w;

        memset(filter, 'f', len);
        filter[len - 1u] = (len % 2u) ? '#' : '+';
        if (len > 1u) {
            filter[len - 2u] = '/';
        }
        f = span_of(filter, len);
        assert_int_equal(mqtt_validate_topic_filter(f), IOT_OK);
        for (qos = 0; qos <= 2u; qos++) {
            mqtt_subscription_t sub;
            sub.filter = f;
            sub.qos = (uint8_t)qos;
            assert_int_equal(mqtt_encode_subscribe(0x0102u, &sub, 1u, want, sizeof(want), &n), IOT_OK);
            memset(got, CANARY, sizeof(got));
            w = mqtt_write_filter_packet(MQTT_SUBSCRIBE, 0x0102u, f, (uint8_t)qos, got, sizeof(got));
            assert_int_equal(w, n);
            assert_memory_equal(got, want, n);
            assert_int_equal(got[n], CANARY);
        }
        assert_int_equal(mqtt_encode_unsubscribe(0x0304u, &f, 1u, want, sizeof(want), &n), IOT_OK);
        memset(got, CANARY, sizeof(got));
        w = mqtt_write_filter_packet(MQTT_UNSUBSCRIBE, 0x0304u, f, 2u, got, sizeof(got));
        assert_int_equal(w, n);
        assert_memory_equal(got, want, n);
        assert_int_equal(got[n], CANARY);
        /* One byte short: the length is still reported, nothing is written. */
        memset(got, CANARY, sizeof(got));
        assert_int_equal(mqtt_write_filter_packet(MQTT_UNSUBSCRIBE, 0x0304u, f, 0u, got, n - 1u), n);
        assert_int_equal(got[0], CANARY);
    }
}

static void test_subscribe_errors(void **state)
{
    uint8_t buf[64];
    size_t n = 0u;
    mqtt_subscription_t subs[2];

    (void)state;
    memcpy(subs, spec_subs, sizeof(subs));
    assert_int_equal(mqtt_encode_subscribe(0u, subs, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_subscribe(1u, NULL, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 0u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    subs[1].qos = 3u;
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    subs[1].qos = 0u;
    subs[1].filter = span_str("a/#/b");
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 2u, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    subs[1].filter = span_str("");
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 2u, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    subs[1].filter = span_of(NULL, 2u);
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    subs[1].filter = span_str("+/#");
    assert_int_equal(mqtt_encode_subscribe(1u, subs, 2u, buf, sizeof(buf), &n), IOT_OK);

    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x80, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x00); /* flags 0 */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x83, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x02, 0x00, 0x0A);                         /* no filter */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00); /* id 0 */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x03); /* QoS 3 */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x40); /* reserved */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x04);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x05, 0x00, 0x0A, 0x00, 0x01, 'a');       /* no QoS */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x07, 0x00, 0x0A, 0x00, 0x02, 'a', '#', 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x06, 0x00, 0x0A, 0x00, 0x09, 'a', 0x00); /* past end */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x82, 0x05, 0x00, 0x0A, 0x00, 0x00, 0x00);      /* empty filter */
    EXPECT_SERVER(IOT_OK, 0x82, 0x06, 0x00, 0x0A, 0x00, 0x01, '#', 0x02);
}

static void test_unsubscribe_round_trip(void **state)
{
    uint8_t buf[64];
    size_t n = 0u;
    mqtt_packet_t pkt;
    size_t off = 0u;
    mqtt_span_t f;
    uint8_t qos = 9u;
    mqtt_span_t bad[1];

    (void)state;
    check_encoder(enc_unsubscribe, unsubscribe_spec, sizeof(unsubscribe_spec));
    assert_int_equal(mqtt_decode_server_packet(unsubscribe_spec, sizeof(unsubscribe_spec), &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_UNSUBSCRIBE);
    assert_int_equal(pkt.u.subscribe.packet_id, 10);
    assert_int_equal(pkt.u.subscribe.count, 2u);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_OK);
    assert_span_str(f, "a/b");
    assert_int_equal(qos, 0);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_OK);
    assert_span_str(f, "c/d");
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, &qos), IOT_ERR_NOT_FOUND);
    assert_int_equal(client_status(unsubscribe_spec, sizeof(unsubscribe_spec)), IOT_ERR_MQTT_PROTOCOL);

    assert_int_equal(mqtt_encode_unsubscribe(0u, spec_unsubs, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_unsubscribe(1u, NULL, 1u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_unsubscribe(1u, spec_unsubs, 0u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    bad[0] = span_str("sport+");
    assert_int_equal(mqtt_encode_unsubscribe(1u, bad, 1u, buf, sizeof(buf), &n), IOT_ERR_BAD_TOPIC);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xA0, 0x05, 0x00, 0x0A, 0x00, 0x01, 'a');
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xA2, 0x02, 0x00, 0x0A);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xA2, 0x05, 0x00, 0x00, 0x00, 0x01, 'a');
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xA2, 0x06, 0x00, 0x0A, 0x00, 0x01, 'a', 0x00); /* stray byte */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xA2, 0x06, 0x00, 0x0A, 0x00, 0x02, 'a', '#'); /* bad filter */
}

static void test_suback(void **state)
{
    static const uint8_t all_codes[] = { 0x00, 0x01, 0x02, 0x80 };
    static const uint8_t bad_codes[] = { 0x03, 0x04, 0x7F, 0x81, 0xC0, 0xFF };
    uint8_t buf[16];
    size_t n = 0u;
    size_t i;
    mqtt_packet_t pkt;

    (void)state;
    check_encoder(enc_suback, suback_spec, sizeof(suback_spec));
    assert_int_equal(mqtt_encode_suback(0x0102u, all_codes, 4u, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 8u);
    assert_memory_equal(buf, "\x90\x06\x01\x02\x00\x01\x02\x80", 8u);
    assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
    assert_int_equal(pkt.type, MQTT_SUBACK);
    assert_int_equal(pkt.u.suback.packet_id, 0x0102);
    assert_int_equal(pkt.u.suback.count, 4u);
    assert_true(pkt.u.suback.return_codes == buf + 4);
    assert_memory_equal(pkt.u.suback.return_codes, all_codes, 4u);
    assert_int_equal(server_status(buf, n), IOT_ERR_MQTT_PROTOCOL);
    for (i = 0; i < ARRAY_LEN(bad_codes); i++) {
        uint8_t codes[2] = { 0x00, bad_codes[i] };

        assert_int_equal(mqtt_encode_suback(1u, codes, 2u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
        memcpy(buf, "\x90\x04\x00\x01\x00", 5u);
        buf[5] = bad_codes[i];
        assert_int_equal(client_status(buf, 6u), IOT_ERR_MQTT_PROTOCOL);
    }
    assert_int_equal(mqtt_encode_suback(0u, all_codes, 4u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_suback(1u, NULL, 4u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_encode_suback(1u, all_codes, 0u, buf, sizeof(buf), &n), IOT_ERR_INVALID_ARG);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x90, 0x02, 0x00, 0x0A);       /* no return code */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x90, 0x03, 0x00, 0x00, 0x00); /* id 0 */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x92, 0x03, 0x00, 0x0A, 0x00); /* flags */
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0x90, 0x01, 0x00);
}

/* ---- Cross-cutting decoder checks --------------------------------------- */

static void test_unexpected_types(void **state)
{
    (void)state;
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x00, 0x00); /* reserved type 0 */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0x00, 0x02, 0x00, 0x01);
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0xF0, 0x00); /* reserved type 15 */
    EXPECT_BOTH(IOT_ERR_MQTT_PROTOCOL, 0xF2, 0x02, 0x00, 0x01);
    /* Server-to-client types arriving at a server, and the reverse. */
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x20, 0x02, 0x00, 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0x90, 0x03, 0x00, 0x01, 0x00);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xB0, 0x02, 0x00, 0x01);
    EXPECT_SERVER(IOT_ERR_MQTT_PROTOCOL, 0xD0, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0xC0, 0x00);
    EXPECT_CLIENT(IOT_ERR_MQTT_PROTOCOL, 0xE0, 0x00);
    assert_int_equal(client_status(connect_min, sizeof(connect_min)), IOT_ERR_MQTT_PROTOCOL);
    assert_int_equal(client_status(subscribe_spec, sizeof(subscribe_spec)), IOT_ERR_MQTT_PROTOCOL);
    assert_int_equal(client_status(unsubscribe_spec, sizeof(unsubscribe_spec)), IOT_ERR_MQTT_PROTOCOL);
}

/* 2.2.2: every flag nibble other than the one fixed for the type. */
static void test_reserved_flags(void **state)
{
    size_t i;
    unsigned flags;

    (void)state;
    for (i = 0; i < ARRAY_LEN(corpus); i++) {
        uint8_t b[64];
        unsigned type = corpus[i].bytes[0] >> 4;
        unsigned good = corpus[i].bytes[0] & 0x0Fu;

        if (type == MQTT_PUBLISH) {
            continue;
        }
        memcpy(b, corpus[i].bytes, corpus[i].len);
        for (flags = 0; flags < 16u; flags++) {
            iot_status_t expect = (flags == good && (!corpus[i].to_client || client_expects(type)))
                                      ? IOT_OK
                                      : IOT_ERR_MQTT_PROTOCOL;

            b[0] = (uint8_t)((type << 4) | flags);
            if (corpus[i].to_client) {
                assert_int_equal(client_status(b, corpus[i].len), expect);
            } else {
                assert_int_equal(server_status(b, corpus[i].len), expect);
            }
        }
    }
}

static void test_truncated_packets_are_incomplete(void **state)
{
    size_t i;
    size_t cut;

    (void)state;
    for (i = 0; i < ARRAY_LEN(corpus); i++) {
        assert_int_equal(corpus[i].to_client ? client_status(corpus[i].bytes, corpus[i].len)
                                             : server_status(corpus[i].bytes, corpus[i].len),
                         (!corpus[i].to_client || client_expects(corpus[i].bytes[0] >> 4))
                             ? IOT_OK
                             : IOT_ERR_MQTT_PROTOCOL);
        for (cut = 0; cut < corpus[i].len; cut++) {
            assert_int_equal(client_status(corpus[i].bytes, cut), IOT_ERR_INCOMPLETE);
            assert_int_equal(server_status(corpus[i].bytes, cut), IOT_ERR_INCOMPLETE);
        }
    }
}

static void test_trailing_bytes_are_rejected(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(corpus); i++) {
        uint8_t b[64];

        memcpy(b, corpus[i].bytes, corpus[i].len);
        b[corpus[i].len] = 0x00;
        assert_int_equal(client_status(b, corpus[i].len + 1u), IOT_ERR_MQTT_PROTOCOL);
        assert_int_equal(server_status(b, corpus[i].len + 1u), IOT_ERR_MQTT_PROTOCOL);
    }
}

static void test_null_arguments(void **state)
{
    mqtt_packet_t pkt;
    mqtt_span_t f;
    size_t off = 0u;

    (void)state;
    assert_int_equal(mqtt_decode_packet(pingresp_vec, 2u, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_server_packet(pingreq_vec, 2u, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_packet(NULL, 2u, &pkt), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_server_packet(NULL, 2u, &pkt), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_decode_packet(NULL, 0u, &pkt), IOT_ERR_INCOMPLETE);
    assert_int_equal(mqtt_decode_server_packet(subscribe_spec, sizeof(subscribe_spec), &pkt), IOT_OK);
    assert_int_equal(mqtt_next_filter(NULL, &off, &f, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_next_filter(&pkt, NULL, &f, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(mqtt_next_filter(&pkt, &off, NULL, NULL), IOT_ERR_INVALID_ARG);
}

static void test_next_filter_rejects_other_packets(void **state)
{
    static const uint8_t lying[] = { 0x00, 0x05, 'a' };
    mqtt_packet_t pkt;
    mqtt_span_t f;
    size_t off = 0u;
    uint8_t *copy;

    (void)state;
    assert_int_equal(mqtt_decode_packet(publish_spec, sizeof(publish_spec), &pkt), IOT_OK);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, NULL), IOT_ERR_INVALID_ARG);
    /* A hand-made packet whose filter length runs past filters_len. */
    copy = dup_exact(lying, sizeof(lying));
    memset(&pkt, 0, sizeof(pkt));
    pkt.type = MQTT_UNSUBSCRIBE;
    pkt.u.subscribe.filters = copy;
    pkt.u.subscribe.filters_len = sizeof(lying);
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, NULL), IOT_ERR_MQTT_PROTOCOL);
    /* A SUBSCRIBE filter missing its QoS byte. */
    copy[1] = 0x01;
    pkt.type = MQTT_SUBSCRIBE;
    assert_int_equal(mqtt_next_filter(&pkt, &off, &f, NULL), IOT_ERR_MQTT_PROTOCOL);
    free(copy);
}

/* ---- Strings: UTF-8 and length limits ----------------------------------- */

static const mqtt_span_t utf8_invalid[] = {
    LIT("\x00"),
    LIT("a\x00" "b"),
    LIT("\xC0\x80"),         /* overlong U+0000 */
    LIT("\xC1\xBF"),         /* overlong U+007F */
    LIT("\xE0\x80\x80"),     /* overlong, 3 bytes */
    LIT("\xE0\x9F\xBF"),     /* overlong U+07FF */
    LIT("\xF0\x80\x80\x80"), /* overlong, 4 bytes */
    LIT("\xF0\x8F\xBF\xBF"), /* overlong U+FFFF */
    LIT("\xED\xA0\x80"),     /* U+D800 */
    LIT("\xED\xBF\xBF"),     /* U+DFFF */
    LIT("\xED\xB0\x80"),     /* U+DC00 */
    LIT("\xF4\x90\x80\x80"), /* U+110000 */
    LIT("\xF5\x80\x80\x80"),
    LIT("\xF8\x88\x80\x80\x80"),
    LIT("\xFE"),
    LIT("\xFF"),
    LIT("\x80"),             /* lone continuation */
    LIT("a\xBF"),
    LIT("a\xC3"),            /* truncated sequences */
    LIT("\xE2\x82"),
    LIT("\xF0\x9F\x98"),
    LIT("\xC3\x28"),         /* bad continuation */
    LIT("\xE2\x28\xA1"),
    LIT("\xE2\x82\x28"),
    LIT("\xF0\x9F\x98\x28"),
};

static const mqtt_span_t utf8_valid_cases[] = {
    LIT("\x01"),
    LIT("\x7F"),
    LIT("\xC2\x80"),         /* U+0080 */
    LIT("\xDF\xBF"),         /* U+07FF */
    LIT("\xE0\xA0\x80"),     /* U+0800 */
    LIT("\xED\x9F\xBF"),     /* U+D7FF */
    LIT("\xEE\x80\x80"),     /* U+E000 */
    LIT("\xEF\xBB\xBF"),     /* U+FEFF is passed through (1.5.3.3) */
    LIT("\xEF\xBF\xBF"),     /* U+FFFF */
    LIT("\xF0\x90\x80\x80"), /* U+10000 */
    LIT("\xF4\x8F\xBF\xBF"), /* U+10FFFF */
    LIT("\xE2\x82\xAC/\xF0\x9F\x98\x80"),
};

/* A raw PUBLISH (QoS 0) or CONNECT around a string, bypassing the encoder. */
static size_t raw_publish(mqtt_span_t topic, uint8_t *b)
{
    b[0] = 0x30;
    b[1] = (uint8_t)(2u + topic.len);
    b[2] = 0x00;
    b[3] = (uint8_t)topic.len;
    memcpy(&b[4], topic.data, topic.len);
    return 4u + topic.len;
}

static size_t raw_connect(mqtt_span_t client_id, uint8_t *b)
{
    memcpy(b, connect_min, sizeof(connect_min));
    b[1] = (uint8_t)(12u + client_id.len);
    b[13] = (uint8_t)client_id.len;
    memcpy(&b[14], client_id.data, client_id.len);
    return 14u + client_id.len;
}

static void test_utf8_validation(void **state)
{
    size_t i;
    uint8_t b[64];
    size_t n = 0u;
    mqtt_publish_t p;
    mqtt_connect_t c;

    (void)state;
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.clean_session = true;
    for (i = 0; i < ARRAY_LEN(utf8_invalid); i++) {
        mqtt_span_t s = utf8_invalid[i];

        assert_int_equal(mqtt_validate_topic_name(s), IOT_ERR_BAD_TOPIC);
        assert_int_equal(mqtt_validate_topic_filter(s), IOT_ERR_BAD_TOPIC);
        assert_int_equal(client_status(b, raw_publish(s, b)), IOT_ERR_MQTT_PROTOCOL);
        assert_int_equal(server_status(b, raw_connect(s, b)), IOT_ERR_MQTT_PROTOCOL);
        p.topic = s;
        assert_int_equal(mqtt_encode_publish(&p, b, sizeof(b), &n), IOT_ERR_BAD_TOPIC);
        c.client_id = s;
        assert_int_equal(mqtt_encode_connect(&c, b, sizeof(b), &n), IOT_ERR_INVALID_ARG);
    }
    for (i = 0; i < ARRAY_LEN(utf8_valid_cases); i++) {
        mqtt_span_t s = utf8_valid_cases[i];
        mqtt_packet_t pkt;

        assert_int_equal(mqtt_validate_topic_name(s), IOT_OK);
        assert_int_equal(mqtt_validate_topic_filter(s), IOT_OK);
        n = raw_publish(s, b);
        assert_int_equal(mqtt_decode_packet(b, n, &pkt), IOT_OK);
        assert_span_equal(pkt.u.publish.topic, s.data, s.len);
        assert_int_equal(server_status(b, raw_connect(s, b)), IOT_OK);
        p.topic = s;
        assert_int_equal(mqtt_encode_publish(&p, b, sizeof(b), &n), IOT_OK);
        assert_memory_equal(&b[4], s.data, s.len);
    }
}

static void test_string_length_limits(void **state)
{
    static uint8_t text[65536];
    mqtt_span_t max = span_of(text, 65535u);
    mqtt_span_t over = span_of(text, 65536u);
    mqtt_connect_t c;
    mqtt_publish_t p;
    mqtt_subscription_t sub = { over, 0u };
    size_t n = 0u;

    (void)state;
    memset(text, 'a', sizeof(text));
    assert_int_equal(mqtt_validate_topic_name(max), IOT_OK);
    assert_int_equal(mqtt_validate_topic_filter(max), IOT_OK);
    assert_int_equal(mqtt_validate_topic_name(over), IOT_ERR_BAD_TOPIC);
    assert_int_equal(mqtt_validate_topic_filter(over), IOT_ERR_BAD_TOPIC);

    c = spec_connect();
    c.client_id = max; /* remaining length 10 + 65537 + 20: three length bytes */
#if IOT_CONFIG_MQTT_WILL
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1u + 3u + 10u + 65537u + 20u);
#else
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_NOT_SUPPORTED);
    c.has_will = false; /* 10 + 65537 + 10 */
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1u + 3u + 10u + 65537u + 10u);
#endif
    c.client_id = over;
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    c = spec_connect();
    c.has_will = IOT_CONFIG_MQTT_WILL; /* a left-out will would be refused first */
    c.username = over;
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    c.username = span_str("user");
    c.password = over;
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    c = spec_connect();
    c.will_payload = over;
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), WITH_WILL(IOT_ERR_PACKET_TOO_LARGE));
    c = spec_connect();
    c.will_topic = over;
    assert_int_equal(mqtt_encode_connect(&c, NULL, 0u, &n), WITH_WILL(IOT_ERR_PACKET_TOO_LARGE));

    p = spec_publish();
    p.topic = max;
    assert_int_equal(mqtt_encode_publish(&p, NULL, 0u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1u + 3u + 2u + 65535u + 2u + 2u);
    p.topic = over;
    assert_int_equal(mqtt_encode_publish(&p, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    assert_int_equal(mqtt_encode_publish_header(&p, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    assert_int_equal(mqtt_encode_subscribe(1u, &sub, 1u, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    assert_int_equal(mqtt_encode_unsubscribe(1u, &over, 1u, NULL, 0u, &n), IOT_ERR_PACKET_TOO_LARGE);
    sub.filter = max;
    assert_int_equal(mqtt_encode_subscribe(1u, &sub, 1u, NULL, 0u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1u + 3u + 2u + 2u + 65535u + 1u);
}

/* A 65535-byte topic survives a full round trip. */
static void test_longest_topic_round_trip(void **state)
{
    static uint8_t topic[65535];
    static uint8_t buf[65535 + 16];
    mqtt_publish_t p;
    mqtt_packet_t pkt;
    size_t n = 0u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(topic); i++) {
        topic[i] = (uint8_t)('a' + i % 26u);
    }
    p = spec_publish();
    p.topic = span_of(topic, sizeof(topic));
    assert_int_equal(mqtt_encode_publish(&p, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 1u + 3u + 2u + 65535u + 2u + 2u);
    assert_memory_equal(buf, "\x3B\x85\x80\x04\xFF\xFF", 6u);
    assert_int_equal(mqtt_decode_packet(buf, n, &pkt), IOT_OK);
    assert_span_equal(pkt.u.publish.topic, topic, sizeof(topic));
    assert_span_str(pkt.u.publish.payload, "hi");
}

/* ---- Topic names, filters and matching ---------------------------------- */

static void test_topic_name_validation(void **state)
{
    static const char *const good[] = { "sport/tennis/player1", "/", "//", "/finance", "$SYS/monitor/Clients",
                                        "Accounts payable", "sport/", "a", "\xE2\x82\xAC", "$" };
    static const char *const bad[] = { "", "+", "#", "sport/+", "sport/#", "a+b", "a#b", "sport/tennis/#" };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(good); i++) {
        assert_int_equal(mqtt_validate_topic_name(span_str(good[i])), IOT_OK);
    }
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(mqtt_validate_topic_name(span_str(bad[i])), IOT_ERR_BAD_TOPIC);
    }
    assert_int_equal(mqtt_validate_topic_name(span_of(NULL, 0u)), IOT_ERR_BAD_TOPIC);
    assert_int_equal(mqtt_validate_topic_name(span_of(NULL, 4u)), IOT_ERR_BAD_TOPIC);
}

static void test_topic_filter_validation(void **state)
{
    /* 4.7.1.2 and 4.7.1.3 give these as valid or invalid. */
    static const char *const good[] = { "#",          "+",          "sport/#",       "sport/tennis/#",
                                        "sport/tennis/player1/#", "+/tennis/#", "sport/+/player1",
                                        "sport/+",    "+/+",        "/+",            "+/",
                                        "/",          "//",         "$SYS/#",        "$SYS/monitor/+",
                                        "a/b/c",      "+/+/+",      "sport/tennis/+", "\xE2\x82\xAC/+",
                                        "/#" };
    static const char *const bad[] = { "",     "sport/tennis#", "sport/tennis/#/ranking", "sport+",
                                       "sport/+x", "x+",        "+x/a",                   "##",
                                       "#/",   "#/a",          "a/#/",                    "++",
                                       "a/b#", "a/+#",         "a/#+",                    "+#" };
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(good); i++) {
        assert_int_equal(mqtt_validate_topic_filter(span_str(good[i])), IOT_OK);
    }
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(mqtt_validate_topic_filter(span_str(bad[i])), IOT_ERR_BAD_TOPIC);
    }
    assert_int_equal(mqtt_validate_topic_filter(span_of(NULL, 2u)), IOT_ERR_BAD_TOPIC);
}

typedef struct match_case {
    const char *filter;
    const char *name;
    bool match;
} match_case_t;

static const match_case_t match_cases[] = {
    /* 4.7.1.2 */
    { "sport/tennis/player1/#", "sport/tennis/player1", true },
    { "sport/tennis/player1/#", "sport/tennis/player1/ranking", true },
    { "sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true },
    { "sport/#", "sport", true },
    { "#", "sport/tennis", true },
    /* 4.7.1.3 */
    { "sport/tennis/+", "sport/tennis/player1", true },
    { "sport/tennis/+", "sport/tennis/player2", true },
    { "sport/tennis/+", "sport/tennis/player1/ranking", false },
    { "sport/+", "sport", false },
    { "sport/+", "sport/", true },
    { "+/+", "/finance", true },
    { "/+", "/finance", true },
    { "+", "/finance", false },
    /* 4.7.2 */
    { "#", "$SYS/monitor/Clients", false },
    { "+/monitor/Clients", "$SYS/monitor/Clients", false },
    { "$SYS/#", "$SYS/monitor/Clients", true },
    { "$SYS/monitor/+", "$SYS/monitor/Clients", true },
    /* 4.7.3: case, spaces and leading '/' are significant. */
    { "ACCOUNTS", "Accounts", false },
    { "Accounts payable", "Accounts payable", true },
    { "/finance", "finance", false },
    { "finance", "/finance", false },
    /* Further edges. */
    { "+", "finance", true },
    { "#", "/", true },
    { "/", "/", true },
    { "+/+", "$SYS/x", false },
    { "$SYS", "$SYS", true },
    { "$SYS/#", "$SYS", true },
    { "#", "$", false },
    { "sport/tennis", "sport/tennis/", false },
    { "sport/tennis/", "sport/tennis", false },
    { "sport/+/player1", "sport//player1", true },
    { "sport/+/player1", "sport/tennis/player2", false },
    { "a/#", "a/", true },
    { "a/+/#", "a/b", true },
    { "a/+/#", "a", false },
    { "+/#", "a", true },
    { "a/b", "a/b/c", false },
    { "a/b/c", "a/b", false },
    { "a/b", "a/bc", false },
    { "a/bc", "a/b", false },
    { "+/+", "a", false },
    { "//", "//", true },
    { "+/+/+", "//", true },
    { "/#", "/", true },
    { "/#", "a", false },
};

static void test_topic_matching(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(match_cases); i++) {
        mqtt_span_t f = span_str(match_cases[i].filter);
        mqtt_span_t n = span_str(match_cases[i].name);

        assert_int_equal(mqtt_validate_topic_filter(f), IOT_OK);
        assert_int_equal(mqtt_validate_topic_name(n), IOT_OK);
        if (mqtt_topic_matches(f, n) != match_cases[i].match) {
            fail_msg("filter \"%s\" name \"%s\": expected %d", match_cases[i].filter, match_cases[i].name,
                     (int)match_cases[i].match);
        }
    }
    /* Filters and names equal to themselves (no wildcards). */
    assert_true(mqtt_topic_matches(span_str("a/b/c"), span_str("a/b/c")));
    assert_false(mqtt_topic_matches(span_of(NULL, 3u), span_str("abc")));
}

/* ---- Randomised checks --------------------------------------------------- */

static uint32_t rng_state;

static uint32_t xorshift32(void)
{
    uint32_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static size_t split_levels(const uint8_t *s, size_t len, size_t start[], size_t end[])
{
    size_t count = 0u;
    size_t i;
    size_t from = 0u;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '/') {
            start[count] = from;
            end[count] = i;
            count++;
            from = i + 1u;
        }
    }
    return count;
}

/* Reference matcher over pre-split level arrays. */
static bool reference_match(mqtt_span_t f, mqtt_span_t n)
{
    size_t fs[16];
    size_t fe[16];
    size_t ns[16];
    size_t ne[16];
    size_t fc = split_levels(f.data, f.len, fs, fe);
    size_t nc = split_levels(n.data, n.len, ns, ne);
    size_t i;

    if (n.data[0] == '$' && (f.data[0] == '+' || f.data[0] == '#')) {
        return false;
    }
    for (i = 0; i < fc; i++) {
        size_t flen = fe[i] - fs[i];

        if (flen == 1u && f.data[fs[i]] == '#') {
            return true;
        }
        if (i >= nc) {
            return false;
        }
        if (flen == 1u && f.data[fs[i]] == '+') {
            continue;
        }
        if (flen != ne[i] - ns[i] || memcmp(f.data + fs[i], n.data + ns[i], flen) != 0) {
            return false;
        }
    }
    return fc == nc;
}

static void random_topic(uint8_t *out, size_t *len)
{
    static const uint8_t alphabet[] = { 'a', 'b', '/', '/', '+', '#', '$' };
    size_t i;

    *len = 1u + xorshift32() % 8u;
    for (i = 0; i < *len; i++) {
        out[i] = alphabet[xorshift32() % sizeof(alphabet)];
    }
}

static void test_topic_matching_against_reference(void **state)
{
    uint8_t fb[8];
    uint8_t nb[8];
    size_t fl;
    size_t nl;
    unsigned i;
    unsigned compared = 0u;
    unsigned matched = 0u;

    (void)state;
    rng_state = 0x2545F491u;
    for (i = 0; i < 200000u; i++) {
        mqtt_span_t f;
        mqtt_span_t n;
        bool got;

        random_topic(fb, &fl);
        random_topic(nb, &nl);
        f = span_of(fb, fl);
        n = span_of(nb, nl);
        /* Matching any pair must be safe even when the filter is invalid. */
        got = mqtt_topic_matches(f, n);
        if (mqtt_validate_topic_filter(f) != IOT_OK || mqtt_validate_topic_name(n) != IOT_OK) {
            continue;
        }
        compared++;
        matched += got ? 1u : 0u;
        assert_int_equal(got, reference_match(f, n));
    }
    assert_true(compared > 10000u);
    assert_true(matched > 1000u);
}

static bool span_inside(mqtt_span_t s, const uint8_t *buf, size_t len)
{
    uintptr_t lo = (uintptr_t)buf;
    uintptr_t p = (uintptr_t)s.data;

    return s.len == 0u || (p >= lo && p - lo <= len && s.len <= len - (p - lo));
}

static void assert_spans_inside(const mqtt_packet_t *pkt, const uint8_t *buf, size_t len)
{
    const mqtt_connect_t *c = &pkt->u.connect;

    if (pkt->type == MQTT_PUBLISH) {
        assert_true(span_inside(pkt->u.publish.topic, buf, len));
        assert_true(span_inside(pkt->u.publish.payload, buf, len));
    } else if (pkt->type == MQTT_CONNECT) {
        assert_true(span_inside(c->client_id, buf, len) && span_inside(c->will_topic, buf, len) &&
                    span_inside(c->will_payload, buf, len) && span_inside(c->username, buf, len) &&
                    span_inside(c->password, buf, len));
    } else if (pkt->type == MQTT_SUBACK) {
        assert_true(span_inside(span_of(pkt->u.suback.return_codes, pkt->u.suback.count), buf, len));
    } else if (pkt->type == MQTT_SUBSCRIBE || pkt->type == MQTT_UNSUBSCRIBE) {
        assert_true(span_inside(span_of(pkt->u.subscribe.filters, pkt->u.subscribe.filters_len), buf, len));
    }
}

static iot_status_t reencode_filters(const mqtt_packet_t *pkt, uint8_t *out, size_t cap, size_t *n)
{
    mqtt_subscription_t subs[64];
    mqtt_span_t spans[64];
    size_t count = 0u;
    size_t off = 0u;

    while (mqtt_next_filter(pkt, &off, &subs[count].filter, &subs[count].qos) == IOT_OK) {
        spans[count] = subs[count].filter;
        count++;
        assert_true(count < ARRAY_LEN(subs));
    }
    assert_int_equal(count, pkt->u.subscribe.count);
    if (pkt->type == MQTT_SUBSCRIBE) {
        return mqtt_encode_subscribe(pkt->u.subscribe.packet_id, subs, count, out, cap, n);
    }
    return mqtt_encode_unsubscribe(pkt->u.subscribe.packet_id, spans, count, out, cap, n);
}

static iot_status_t reencode(const mqtt_packet_t *pkt, uint8_t *out, size_t cap, size_t *n)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
        return mqtt_encode_connect(&pkt->u.connect, out, cap, n);
    case MQTT_CONNACK:
        return mqtt_encode_connack(pkt->u.connack.session_present, pkt->u.connack.return_code, out, cap, n);
    case MQTT_PUBLISH:
        return mqtt_encode_publish(&pkt->u.publish, out, cap, n);
    case MQTT_SUBACK:
        return mqtt_encode_suback(pkt->u.suback.packet_id, pkt->u.suback.return_codes, pkt->u.suback.count,
                                  out, cap, n);
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return reencode_filters(pkt, out, cap, n);
    case MQTT_PINGREQ:
    case MQTT_PINGRESP:
    case MQTT_DISCONNECT:
        return mqtt_encode_empty(pkt->type, out, cap, n);
    default:
        return mqtt_encode_ack(pkt->type, pkt->u.packet_id, out, cap, n);
    }
}

/* Anything the decoder accepts is canonical: encoding the parsed packet
 * gives back exactly the input bytes. */
static void check_accepted(const mqtt_packet_t *pkt, const uint8_t *buf, size_t len)
{
    uint8_t out[256];
    size_t n = 0u;

    assert_spans_inside(pkt, buf, len);
    if (!IOT_CONFIG_MQTT_WILL && pkt->type == MQTT_CONNECT && pkt->u.connect.has_will) {
        assert_int_equal(reencode(pkt, out, sizeof(out), &n), IOT_ERR_NOT_SUPPORTED);
        return;
    }
    assert_int_equal(reencode(pkt, out, sizeof(out), &n), IOT_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, buf, len);
}

static size_t mutate(uint8_t *b, size_t len, size_t cap)
{
    static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFF, '+', '#', '/', '$', 0xC0, 0xED };
    size_t pos = xorshift32() % len;

    switch (xorshift32() % 6u) {
    case 0:
        b[pos] ^= (uint8_t)(1u << (xorshift32() % 8u));
        return len;
    case 1:
        b[pos] = (uint8_t)xorshift32();
        return len;
    case 2:
        b[pos] = interesting[xorshift32() % sizeof(interesting)];
        return len;
    case 3:
        return xorshift32() % len; /* truncate */
    case 4: {
        /* Grow, and mostly keep the one-byte remaining length in step so
         * the extra bytes reach the body parsers. */
        size_t extra = 1u + xorshift32() % 3u;

        if (len + extra > cap) {
            return len;
        }
        while (extra-- > 0u) {
            b[len++] = (uint8_t)xorshift32();
            if (b[1] < 0x7Fu && (xorshift32() % 4u) != 0u) {
                b[1]++;
            }
        }
        return len;
    }
    default:
        b[pos] = (uint8_t)(b[pos] + 1u);
        return len;
    }
}

static void test_mutated_packets_are_safe(void **state)
{
    unsigned iter;
    unsigned accepted = 0u;
    unsigned rejected = 0u;

    (void)state;
    rng_state = 0xC0FFEE11u;
    for (iter = 0; iter < 20000u; iter++) {
        const vec_t *v = &corpus[xorshift32() % ARRAY_LEN(corpus)];
        uint8_t b[64];
        size_t len = v->len;
        unsigned rounds = 1u + xorshift32() % 3u;
        uint8_t *copy;
        mqtt_packet_t pkt;
        iot_status_t cs;
        iot_status_t ss;

        memcpy(b, v->bytes, len);
        while (rounds-- > 0u && len > 0u) {
            len = mutate(b, len, sizeof(b));
        }
        copy = dup_exact(b, len);
        cs = mqtt_decode_packet(copy, len, &pkt);
        if (cs == IOT_OK) {
            check_accepted(&pkt, copy, len);
        } else {
            assert_true(cs == IOT_ERR_MQTT_PROTOCOL || cs == IOT_ERR_INCOMPLETE);
        }
        ss = mqtt_decode_server_packet(copy, len, &pkt);
        if (ss == IOT_OK) {
            check_accepted(&pkt, copy, len);
        } else {
            assert_true(ss == IOT_ERR_MQTT_PROTOCOL || ss == IOT_ERR_INCOMPLETE ||
                        ss == IOT_ERR_MQTT_REFUSED_VERSION || ss == IOT_ERR_MQTT_REFUSED_ID);
        }
        /* Only PUBLISH and the PUBxxx acks are valid for both sides. */
        if (cs == IOT_OK && ss == IOT_OK) {
            assert_true(pkt.type >= MQTT_PUBLISH && pkt.type <= MQTT_PUBCOMP);
        }
        accepted += (cs == IOT_OK || ss == IOT_OK) ? 1u : 0u;
        rejected += (cs != IOT_OK && ss != IOT_OK) ? 1u : 0u;
        free(copy);
    }
    /* Both outcomes must be common, or the loop is not exercising much. */
    assert_true(accepted > 1000u);
    assert_true(rejected > 5000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_header_decodes_length_edges),
        cmocka_unit_test(test_fixed_header_rejects_malformed_lengths),
        cmocka_unit_test(test_publish_header_length_edges),
        cmocka_unit_test(test_publish_length_edges_round_trip),
        cmocka_unit_test(test_publish_writer_matches_encoder),
        cmocka_unit_test(test_connect_matches_hand_written_bytes),
        cmocka_unit_test(test_connect_round_trips),
        cmocka_unit_test(test_connect_encode_errors),
        cmocka_unit_test(test_connect_decode_errors),
        cmocka_unit_test(test_connack),
        cmocka_unit_test(test_publish_round_trips),
        cmocka_unit_test(test_publish_encode_errors),
        cmocka_unit_test(test_publish_decode_errors),
        cmocka_unit_test(test_acks_round_trip),
        cmocka_unit_test(test_ack_writer_matches_encoder),
        cmocka_unit_test(test_empty_packets),
        cmocka_unit_test(test_subscribe_round_trip),
        cmocka_unit_test(test_filter_writer_matches_encoders),
        cmocka_unit_test(test_subscribe_errors),
        cmocka_unit_test(test_unsubscribe_round_trip),
        cmocka_unit_test(test_suback),
        cmocka_unit_test(test_unexpected_types),
        cmocka_unit_test(test_reserved_flags),
        cmocka_unit_test(test_truncated_packets_are_incomplete),
        cmocka_unit_test(test_trailing_bytes_are_rejected),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_next_filter_rejects_other_packets),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_string_length_limits),
        cmocka_unit_test(test_longest_topic_round_trip),
        cmocka_unit_test(test_topic_name_validation),
        cmocka_unit_test(test_topic_filter_validation),
        cmocka_unit_test(test_topic_matching),
        cmocka_unit_test(test_topic_matching_against_reference),
        cmocka_unit_test(test_mutated_packets_are_safe),
    };
    return cmocka_run_group_tests_name("mqtt_codec", tests, NULL, NULL);
}
