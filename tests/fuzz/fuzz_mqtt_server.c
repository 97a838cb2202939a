/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the server half of the MQTT codec (IOT_CONFIG_MQTT_SERVER_CODEC),
 * what a gateway runs on bytes from devices: CONNECT, SUBSCRIBE and
 * UNSUBSCRIBE with their filter iteration, and the packets both sides share.
 * Accepted packets must encode back to the same bytes. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqtt_codec.h"

#if !IOT_CONFIG_MQTT_SERVER_CODEC
#error "fuzz_mqtt_server needs IOT_CONFIG_MQTT_SERVER_CODEC"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILTERS 512u

static void check_filters(const uint8_t *data, size_t size, const mqtt_packet_t *pkt)
{
    static mqtt_subscription_t subs[MAX_FILTERS];
    static mqtt_span_t filters[MAX_FILTERS];
    static uint8_t out[70000];
    size_t offset = 0;
    size_t n = 0;
    mqtt_span_t f;
    uint8_t qos = 0;
    iot_status_t st;

    while ((st = mqtt_next_filter(pkt, &offset, &f, &qos)) == IOT_OK) {
        FUZZ_CHECK(mqtt_validate_topic_filter(f) == IOT_OK);
        FUZZ_CHECK(qos <= 2u);
        FUZZ_CHECK(f.data >= data && f.data + f.len <= data + size);
        if (n < MAX_FILTERS) {
            subs[n].filter = f;
            subs[n].qos = qos;
            filters[n] = f;
        }
        n++;
    }
    FUZZ_CHECK(st == IOT_ERR_NOT_FOUND);
    FUZZ_CHECK(n == pkt->u.subscribe.count);
    if (n > MAX_FILTERS || size > sizeof(out)) {
        return;
    }
    size_t len = 0;
    if (pkt->type == MQTT_SUBSCRIBE) {
        st = mqtt_encode_subscribe(pkt->u.subscribe.packet_id, subs, n, out, sizeof(out), &len);
    } else {
        st = mqtt_encode_unsubscribe(pkt->u.subscribe.packet_id, filters, n, out, sizeof(out), &len);
    }
    FUZZ_CHECK(st == IOT_OK);
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
}

static void check_connect(const uint8_t *data, size_t size, const mqtt_packet_t *pkt)
{
    static uint8_t out[5 * 65540];
    size_t len = 0;
    iot_status_t st = mqtt_encode_connect(&pkt->u.connect, out, sizeof(out), &len);
    FUZZ_CHECK(st == IOT_OK);
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
}

static void check_simple(const uint8_t *data, size_t size, const mqtt_packet_t *pkt)
{
    static uint8_t out[65540];
    size_t len = 0;
    iot_status_t st;
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
        st = mqtt_encode_ack(pkt->type, pkt->u.packet_id, out, sizeof(out), &len);
        break;
    default:
        st = mqtt_encode_empty(pkt->type, out, sizeof(out), &len);
        break;
    }
    FUZZ_CHECK(st == IOT_OK);
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mqtt_packet_t pkt;
    iot_status_t st = mqtt_decode_server_packet(data, size, &pkt);
    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_MQTT_PROTOCOL || st == IOT_ERR_MQTT_REFUSED_VERSION ||
               st == IOT_ERR_MQTT_REFUSED_ID || st == IOT_ERR_INCOMPLETE);
    if (st != IOT_OK) {
        return 0;
    }
    switch (pkt.type) {
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        check_filters(data, size, &pkt);
        break;
    case MQTT_CONNECT:
        check_connect(data, size, &pkt);
        break;
    default:
        check_simple(data, size, &pkt);
        break;
    }
    return 0;
}
