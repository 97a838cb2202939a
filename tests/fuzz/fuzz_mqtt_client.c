/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: every MQTT decoder a client runs on bytes from the network
 * (fixed header with the remaining length, then the whole packet), and the
 * encoders on what the decoder accepted: a packet that decodes must encode
 * back to the same bytes, since 3.1.1 allows one encoding only. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqtt_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const uint8_t *data, size_t size, const mqtt_packet_t *pkt)
{
    static uint8_t out[65536 + 16];
    size_t len = 0;
    iot_status_t st = IOT_ERR_INVALID_ARG;

    switch (pkt->type) {
    case MQTT_PUBLISH:
        if (size > sizeof(out)) {
            return;
        }
        st = mqtt_encode_publish(&pkt->u.publish, out, sizeof(out), &len);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_UNSUBACK:
        st = mqtt_encode_ack(pkt->type, pkt->u.packet_id, out, sizeof(out), &len);
        break;
    case MQTT_PINGRESP:
        st = mqtt_encode_empty(pkt->type, out, sizeof(out), &len);
        break;
#if IOT_CONFIG_MQTT_SERVER_CODEC
    case MQTT_CONNACK:
        st = mqtt_encode_connack(pkt->u.connack.session_present, pkt->u.connack.return_code, out,
                                 sizeof(out), &len);
        break;
    case MQTT_SUBACK:
        if (size > sizeof(out)) {
            return;
        }
        st = mqtt_encode_suback(pkt->u.suback.packet_id, pkt->u.suback.return_codes,
                                pkt->u.suback.count, out, sizeof(out), &len);
        break;
#endif
    default:
        return;
    }
    FUZZ_CHECK(st == IOT_OK);
    FUZZ_CHECK(len == size);
    FUZZ_CHECK(memcmp(out, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t first = 0;
    size_t remaining = 0;
    size_t header = 0;
    iot_status_t st = mqtt_decode_fixed_header(data, size, &first, &remaining, &header);
    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_INCOMPLETE || st == IOT_ERR_MQTT_PROTOCOL);
    if (st == IOT_ERR_INCOMPLETE) {
        FUZZ_CHECK(size < MQTT_MAX_FIXED_HEADER);
    }
    if (st != IOT_OK) {
        return 0;
    }
    FUZZ_CHECK(header >= 2u && header <= MQTT_MAX_FIXED_HEADER);
    FUZZ_CHECK(remaining <= MQTT_MAX_REMAINING_LENGTH);
    FUZZ_CHECK(first == data[0]);

    /* The packet as framed, and the whole input (the decoder must reject
     * trailing or missing bytes by itself). */
    size_t framed = header + remaining;
    mqtt_packet_t pkt;
    if (framed <= size) {
        st = mqtt_decode_packet(data, framed, &pkt);
        FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_MQTT_PROTOCOL);
        if (st == IOT_OK) {
            FUZZ_CHECK((uint8_t)((unsigned)pkt.type << 4) == (first & 0xF0u));
            check_round_trip(data, framed, &pkt);
        }
    }
    if (framed != size) {
        /* Short: the same answer as the fixed header gives; long: garbage. */
        st = mqtt_decode_packet(data, size, &pkt);
        FUZZ_CHECK(st == ((framed > size) ? IOT_ERR_INCOMPLETE : IOT_ERR_MQTT_PROTOCOL));
    }
    return 0;
}
