/* SPDX-License-Identifier: Apache-2.0 */
/* MQTT 3.1.1 codec: pure serialisation and parsing of control packets (no I/O, no clock). */
#ifndef MQTT_CODEC_H
#define MQTT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/status.h>

/* Control packet types (MQTT 3.1.1 section 2.2.1). */
typedef enum mqtt_packet_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14
} mqtt_packet_type_t;

/* Largest remaining length MQTT can encode (4 length bytes). */
#define MQTT_MAX_REMAINING_LENGTH 268435455u
/* Longest string or binary field (16-bit length prefix, 1.5.3). */
#define MQTT_STRING_MAX 65535u
/* Fixed header is 1 type byte + 1..4 length bytes. */
#define MQTT_MAX_FIXED_HEADER 5u
/* Bytes before the payload of a PUBLISH at most: fixed header, topic length
 * prefix and packet id, plus the topic itself. */
#define MQTT_PUBLISH_HEADER_MAX(topic_len) (MQTT_MAX_FIXED_HEADER + 2u + (topic_len) + 2u)

/* A byte string that is not NUL-terminated. data may be NULL when len is 0. */
typedef struct mqtt_span {
    const uint8_t *data;
    size_t len;
} mqtt_span_t;

typedef struct mqtt_connect {
    mqtt_span_t client_id;    /* may be empty only with clean_session */
    uint16_t keep_alive_s;
    bool clean_session;
    bool has_will;
    mqtt_span_t will_topic;
    mqtt_span_t will_payload;
    uint8_t will_qos;
    bool will_retain;
    bool has_username;
    mqtt_span_t username;
    bool has_password;        /* only together with has_username (3.1.2.9) */
    mqtt_span_t password;
} mqtt_connect_t;

typedef struct mqtt_publish {
    mqtt_span_t topic;
    mqtt_span_t payload;
    uint8_t qos;              /* 0, 1 or 2 */
    bool retain;
    bool dup;
    uint16_t packet_id;       /* non-zero when qos > 0; ignored for qos 0 */
} mqtt_publish_t;

typedef struct mqtt_subscription {
    mqtt_span_t filter;
    uint8_t qos;              /* requested maximum QoS, 0..2 */
} mqtt_subscription_t;

/* A parsed packet. Spans point into the caller's input buffer. */
typedef struct mqtt_packet {
    mqtt_packet_type_t type;
    uint8_t flags;            /* low nibble of the first byte */
    union {
        struct {
            bool session_present;
            uint8_t return_code; /* 0 accepted, 1..5 refused */
        } connack;
        mqtt_publish_t publish;  /* PUBLISH */
        uint16_t packet_id;      /* PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK */
        struct {
            uint16_t packet_id;
            const uint8_t *return_codes; /* count bytes: 0x00, 0x01, 0x02 or 0x80 */
            size_t count;
        } suback;
        mqtt_connect_t connect;  /* CONNECT (server side: gateway, tests) */
        struct {
            uint16_t packet_id;
            const uint8_t *filters;  /* raw payload: repeated (len16, filter[, qos]) */
            size_t filters_len;
            size_t count;            /* number of filters, validated */
        } subscribe;                 /* SUBSCRIBE and UNSUBSCRIBE (server side) */
    } u;
} mqtt_packet_t;

/* ---- Encoding -------------------------------------------------------------
 * Every encoder writes one whole packet into buf (capacity cap) and stores
 * its length in *out_len. Errors: IOT_ERR_INVALID_ARG (NULL pointer, qos > 2,
 * packet id 0 where one is required, password without user name, empty
 * client id without clean session, zero filters), IOT_ERR_BAD_TOPIC (topic
 * empty, not valid UTF-8 per 1.5.3, contains U+0000, a PUBLISH topic with
 * '+' or '#', a filter misusing wildcards per 4.7.1), IOT_ERR_PACKET_TOO_LARGE
 * (a string over 65535 bytes or remaining length over the MQTT maximum),
 * IOT_ERR_BUFFER_TOO_SMALL (cap too small; *out_len then holds the size
 * needed). Nothing is written past cap. */

#if IOT_CONFIG_MQTT_SERVER_CODEC
iot_status_t mqtt_encode_connect(const mqtt_connect_t *c, uint8_t *buf, size_t cap, size_t *out_len);
#endif

/* The client's CONNECT, of fields it has already checked (client id and
 * user name valid UTF-8 per mqtt_utf8_valid, every field at most 65535
 * bytes, a client id only empty with clean_session, a password only with a
 * user name, will QoS <= 2 and will topic valid per
 * mqtt_validate_topic_name; has_will is ignored without
 * IOT_CONFIG_MQTT_WILL): returns the packet's length and writes it at buf
 * when it fits in cap (else writes nothing). No checks; the checked
 * mqtt_encode_connect is built with the server half. */
size_t mqtt_write_connect(const mqtt_connect_t *c, uint8_t *buf, size_t cap);

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* Whole PUBLISH including payload, every field checked. */
iot_status_t mqtt_encode_publish(const mqtt_publish_t *p, uint8_t *buf, size_t cap, size_t *out_len);

/* PUBLISH fixed header + variable header only (the remaining length still
 * counts p->payload.len): the caller then sends the payload bytes itself, so
 * large payloads need no copy. p->payload.data is not read. */
iot_status_t mqtt_encode_publish_header(const mqtt_publish_t *p, uint8_t *buf, size_t cap,
                                        size_t *out_len);
#endif

/* The client's PUBLISH path, for a packet it has already checked (topic
 * with mqtt_validate_topic_name, qos <= 2, packet id set for QoS 1/2,
 * remaining length within MQTT_MAX_REMAINING_LENGTH), so the topic is
 * validated once: the whole packet's size, and writing its fixed and
 * variable headers at buf (the payload goes at the returned pointer, at
 * offset size - payload.len). No checks. The checked encoders above (and
 * the list SUBSCRIBE / UNSUBSCRIBE encoders below) are built with the
 * server half: a device's client does not need them. */
size_t mqtt_publish_size(const mqtt_publish_t *p);
uint8_t *mqtt_write_publish_header(const mqtt_publish_t *p, uint8_t *buf);

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* PUBACK, PUBREC, PUBREL (flags 0x2), PUBCOMP, UNSUBACK: 4 bytes. */
iot_status_t mqtt_encode_ack(mqtt_packet_type_t type, uint16_t packet_id, uint8_t *buf, size_t cap,
                             size_t *out_len);
#endif

/* The client's acknowledgements (PUBACK, PUBREC, PUBREL, PUBCOMP) of a
 * packet id it has checked (non-zero): 4 bytes at buf. No checks; the
 * checked mqtt_encode_ack is built with the server half. */
void mqtt_write_ack(mqtt_packet_type_t type, uint16_t packet_id, uint8_t *buf);

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* SUBSCRIBE / UNSUBSCRIBE of any number of filters, every field checked. */
iot_status_t mqtt_encode_subscribe(uint16_t packet_id, const mqtt_subscription_t *subs, size_t count,
                                   uint8_t *buf, size_t cap, size_t *out_len);

iot_status_t mqtt_encode_unsubscribe(uint16_t packet_id, const mqtt_span_t *filters, size_t count,
                                     uint8_t *buf, size_t cap, size_t *out_len);
#endif

/* The client's SUBSCRIBE (type MQTT_SUBSCRIBE, with qos) or UNSUBSCRIBE
 * (MQTT_UNSUBSCRIBE, qos unused) of one filter it has already checked
 * (mqtt_validate_topic_filter, qos <= 2, packet id != 0): returns the
 * packet's length and writes it at buf when it fits in cap (else writes
 * nothing). No checks. */
size_t mqtt_write_filter_packet(mqtt_packet_type_t type, uint16_t packet_id, mqtt_span_t filter,
                                uint8_t qos, uint8_t *buf, size_t cap);

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* PINGREQ, PINGRESP, DISCONNECT: 2 bytes. */
iot_status_t mqtt_encode_empty(mqtt_packet_type_t type, uint8_t *buf, size_t cap, size_t *out_len);
#endif

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* Server side (gateway, test brokers): CONNACK and SUBACK. */
iot_status_t mqtt_encode_connack(bool session_present, uint8_t return_code, uint8_t *buf, size_t cap,
                                 size_t *out_len);
iot_status_t mqtt_encode_suback(uint16_t packet_id, const uint8_t *return_codes, size_t count,
                                uint8_t *buf, size_t cap, size_t *out_len);
#endif

/* ---- Decoding ------------------------------------------------------------- */

/* Parse the fixed header at the start of buf[0..len). On IOT_OK, *first_byte,
 * *remaining_len and *header_len (2..5) are set, and the whole packet is
 * header_len + remaining_len bytes. IOT_ERR_INCOMPLETE: more bytes needed
 * (at most 5 are ever needed). IOT_ERR_MQTT_PROTOCOL: a length byte sequence
 * longer than 4 bytes, or a non-minimal (over-long) encoding. */
iot_status_t mqtt_decode_fixed_header(const uint8_t *buf, size_t len, uint8_t *first_byte,
                                      size_t *remaining_len, size_t *header_len);

/* Parse one complete packet that the client side may receive (CONNACK,
 * PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP).
 * buf must hold exactly the whole packet (fixed header included, len bytes).
 * Validates everything 3.1.1 requires: reserved flag bits per type (2.2.2),
 * exact remaining lengths, PUBLISH qos 3, packet id 0, topic UTF-8 and no
 * wildcards, SUBACK return codes, CONNACK reserved bits and return code <= 5.
 * IOT_ERR_MQTT_PROTOCOL for anything malformed or a type a client must not
 * receive (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, 0, 15).
 * Never reads outside buf[0..len). */
iot_status_t mqtt_decode_packet(const uint8_t *buf, size_t len, mqtt_packet_t *pkt);

#if IOT_CONFIG_MQTT_SERVER_CODEC
/* Server side: parse a complete packet a server may receive (CONNECT,
 * PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, PINGREQ,
 * DISCONNECT), with the same validation (CONNECT: protocol name "MQTT" level
 * 4 else IOT_ERR_MQTT_REFUSED_VERSION, reserved flag, will flags, user/password
 * flags; SUBSCRIBE/UNSUBSCRIBE: at least one filter, valid filters). */
iot_status_t mqtt_decode_server_packet(const uint8_t *buf, size_t len, mqtt_packet_t *pkt);

/* Iterate the filters of a decoded SUBSCRIBE/UNSUBSCRIBE: *offset starts at
 * 0; each call yields the next filter (and qos for SUBSCRIBE, 0 otherwise).
 * IOT_ERR_NOT_FOUND when done. */
iot_status_t mqtt_next_filter(const mqtt_packet_t *pkt, size_t *offset, mqtt_span_t *filter,
                              uint8_t *qos);
#endif

/* ---- Topics --------------------------------------------------------------- */

/* True when data[0..len) is well-formed UTF-8 without U+0000 (1.5.3), as
 * MQTT's strings must be; data may be NULL only with len 0. */
bool mqtt_utf8_valid(const uint8_t *data, size_t len);

/* IOT_OK if name is a valid PUBLISH topic name, else IOT_ERR_BAD_TOPIC. */
iot_status_t mqtt_validate_topic_name(mqtt_span_t name);
/* IOT_OK if filter is a valid topic filter (wildcards per 4.7.1), else IOT_ERR_BAD_TOPIC. */
iot_status_t mqtt_validate_topic_filter(mqtt_span_t filter);
/* True when the topic name matches the (valid) filter, per 4.7 including the
 * rule that '#' and '+' at the first level do not match names starting with '$'. */
bool mqtt_topic_matches(mqtt_span_t filter, mqtt_span_t name);

#endif /* MQTT_CODEC_H */
