/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test: the MQTT client's optional features, built in (default) or left out (mqtt_minimal.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <corstone_iot/mqtt.h>
#include <corstone_iot/port.h>

#include "iot_transport.h"
#include "mqtt_codec.h"

/* This file is built twice (tests/CMakeLists.txt): test_mqtt_features with
 * the default configuration and test_mqtt_features_minimal with
 * tests/config/mqtt_minimal.h. The client runs over a scripted transport
 * that stands in for TLS and plays a broker: it answers CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE, PUBLISH (QoS 1 and 2), PUBREL and PINGREQ, and lets a test
 * put any packet in front of the client or drop the connection. */
#if defined(IOT_TEST_MINIMAL) && (IOT_CONFIG_MQTT_QOS2 || IOT_CONFIG_MQTT_WILL || \
                                  IOT_CONFIG_MQTT_UNSUBSCRIBE ||                 \
                                  IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS ||       \
                                  IOT_CONFIG_MQTT_BACKGROUND_THREAD)
#error "mqtt_minimal.h was not applied"
#endif
#if !defined(IOT_TEST_MINIMAL) && !(IOT_CONFIG_MQTT_QOS2 && IOT_CONFIG_MQTT_WILL &&  \
                                    IOT_CONFIG_MQTT_UNSUBSCRIBE &&                  \
                                    IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS &&        \
                                    IOT_CONFIG_MQTT_BACKGROUND_THREAD)
#error "a feature switch is off by default"
#endif

/* ---- Scripted transport --------------------------------------------------- */

static struct {
    iot_port_mutex_t lock;   /* the background thread reads while the test thread sends */
    bool up;
    int connects;
    uint8_t session_present; /* CONNACK flag for the next connects */
    bool ack_publishes;      /* answer QoS 1/2 PUBLISHes */
    iot_status_t drop;       /* next wait/recv fails with this (IOT_OK: none) */
    uint8_t in[2048];        /* bytes for the client to receive */
    size_t in_len;
    uint8_t out[8192];       /* every byte the client sent, all connections */
    size_t out_len;
    size_t connect_at[4];    /* out offset of each CONNECT */
} g_net;

static void net_queue(const uint8_t *bytes, size_t len)
{
    assert_true(g_net.in_len + len <= sizeof(g_net.in));
    memcpy(g_net.in + g_net.in_len, bytes, len);
    g_net.in_len += len;
}

static void net_answer_packet(const uint8_t *p, size_t len)
{
    uint8_t type = (uint8_t)(p[0] >> 4);
    uint8_t first = 0;
    size_t remaining = 0;
    size_t header = 0;

    assert_int_equal(mqtt_decode_fixed_header(p, len, &first, &remaining, &header), IOT_OK);
    if (type == MQTT_CONNECT) {
        const uint8_t connack[] = { 0x20, 0x02, g_net.session_present, 0x00 };
        if (g_net.connects <= 4) {
            g_net.connect_at[g_net.connects - 1] = g_net.out_len - len;
        }
        net_queue(connack, sizeof(connack));
    } else if (type == MQTT_SUBSCRIBE) {
        const uint8_t suback[] = { 0x90, 0x03, p[header], p[header + 1], p[len - 1] };
        net_queue(suback, sizeof(suback));
    } else if (type == MQTT_UNSUBSCRIBE) {
        const uint8_t unsuback[] = { 0xB0, 0x02, p[header], p[header + 1] };
        net_queue(unsuback, sizeof(unsuback));
    } else if (type == MQTT_PUBLISH && ((p[0] >> 1) & 3u) != 0u && g_net.ack_publishes) {
        size_t at = header + 2u + (((size_t)p[header] << 8) | p[header + 1]);
        const uint8_t ack[] = { (((p[0] >> 1) & 3u) == 1u) ? 0x40 : 0x50, 0x02, p[at], p[at + 1] };
        net_queue(ack, sizeof(ack));
    } else if (type == MQTT_PUBREL) {
        const uint8_t pubcomp[] = { 0x70, 0x02, p[2], p[3] };
        net_queue(pubcomp, sizeof(pubcomp));
    } else if (type == MQTT_PINGREQ) {
        const uint8_t pingresp[] = { 0xD0, 0x00 };
        net_queue(pingresp, sizeof(pingresp));
    }
}

iot_status_t iot_transport_connect(iot_transport_t *t, const char *host, uint16_t port,
                                   const iot_tls_config_t *cfg, uint32_t timeout_ms)
{
    (void)t;
    (void)host;
    (void)port;
    (void)cfg;
    (void)timeout_ms;
    iot_port_mutex_lock(&g_net.lock);
    g_net.connects++;
    g_net.up = true;
    g_net.in_len = 0;
    g_net.drop = IOT_OK;
    iot_port_mutex_unlock(&g_net.lock);
    return IOT_OK;
}

iot_status_t iot_transport_send(iot_transport_t *t, const uint8_t *data, size_t len, uint32_t timeout_ms)
{
    size_t at;

    (void)t;
    (void)timeout_ms;
    iot_port_mutex_lock(&g_net.lock);
    if (!g_net.up) {
        iot_port_mutex_unlock(&g_net.lock);
        return IOT_ERR_NET_CLOSED;
    }
    assert_true(g_net.out_len + len <= sizeof(g_net.out));
    memcpy(g_net.out + g_net.out_len, data, len);
    g_net.out_len += len;
    /* A send holds whole packets (several when the client batches). */
    for (at = 0; at < len;) {
        uint8_t first = 0;
        size_t remaining = 0;
        size_t header = 0;
        assert_int_equal(mqtt_decode_fixed_header(data + at, len - at, &first, &remaining, &header), IOT_OK);
        net_answer_packet(data + at, header + remaining);
        at += header + remaining;
    }
    iot_port_mutex_unlock(&g_net.lock);
    return IOT_OK;
}

iot_status_t iot_transport_recv(iot_transport_t *t, uint8_t *buf, size_t len, uint32_t timeout_ms,
                                size_t *received)
{
    iot_status_t st = IOT_OK;

    (void)t;
    (void)timeout_ms;
    *received = 0;
    iot_port_mutex_lock(&g_net.lock);
    if (g_net.drop != IOT_OK) {
        st = g_net.drop;
        g_net.drop = IOT_OK;
    } else if (!g_net.up) {
        st = IOT_ERR_NOT_CONNECTED;
    } else if (g_net.in_len == 0u) {
        st = IOT_ERR_TIMEOUT;
    } else {
        size_t n = (len < g_net.in_len) ? len : g_net.in_len;
        memcpy(buf, g_net.in, n);
        memmove(g_net.in, g_net.in + n, g_net.in_len - n);
        g_net.in_len -= n;
        *received = n;
    }
    iot_port_mutex_unlock(&g_net.lock);
    return st;
}

bool iot_transport_pending(const iot_transport_t *t)
{
    bool pending;

    (void)t;
    iot_port_mutex_lock(&g_net.lock);
    pending = g_net.in_len > 0u;
    iot_port_mutex_unlock(&g_net.lock);
    return pending;
}

iot_status_t iot_transport_wait_readable(iot_transport_t *t, uint32_t timeout_ms)
{
    bool ready;

    (void)t;
    iot_port_mutex_lock(&g_net.lock);
    ready = g_net.in_len > 0u || g_net.drop != IOT_OK;
    iot_port_mutex_unlock(&g_net.lock);
    if (!ready) {
        iot_port_sleep_ms(timeout_ms < 2u ? timeout_ms : 2u);
        return IOT_ERR_TIMEOUT;
    }
    return IOT_OK;
}

void iot_transport_close(iot_transport_t *t)
{
    (void)t;
    iot_port_mutex_lock(&g_net.lock);
    g_net.up = false;
    iot_port_mutex_unlock(&g_net.lock);
}

/* ---- Test utilities ------------------------------------------------------- */

static iot_tls_config_t g_tls;
static int g_delivered;
static iot_qos_t g_delivered_qos;
static int g_unmatched;
static int g_connected_events;
static int g_disconnected_events;
static iot_status_t g_disconnect_status;
static iot_status_t g_process_in_callback;

static void on_message(iot_client_t *c, const iot_message_t *m, void *user)
{
    (void)user;
    g_delivered++;
    g_delivered_qos = m->qos;
    /* A callback runs on the reading thread: it may not wait for I/O. */
    g_process_in_callback = iot_process(c, 0u);
}

static void on_unmatched(iot_client_t *c, const iot_message_t *m, void *user)
{
    (void)c;
    (void)m;
    (void)user;
    g_unmatched++;
}

static void on_event(iot_client_t *c, iot_event_t event, iot_status_t status, void *user)
{
    (void)c;
    (void)user;
    if (event == IOT_EVENT_CONNECTED) {
        g_connected_events++;
    } else if (event == IOT_EVENT_DISCONNECTED) {
        g_disconnected_events++;
        g_disconnect_status = status;
    }
}

static iot_connect_options_t options(void)
{
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;

    o.host = "broker.test";
    o.port = 8883u;
    o.client_id = "dev1";
    o.tls = &g_tls;
    o.command_timeout_ms = 2000u;
    o.backoff_base_ms = 5u;
    o.backoff_max_ms = 10u;
    o.on_message = on_unmatched;
    o.on_event = on_event;
    return o;
}

static int setup(void **state)
{
    (void)state;
    memset(&g_net, 0, sizeof(g_net));
    assert_int_equal(iot_port_mutex_init(&g_net.lock), IOT_OK);
    g_net.ack_publishes = true;
    g_delivered = 0;
    g_unmatched = 0;
    g_connected_events = 0;
    g_disconnected_events = 0;
    g_disconnect_status = IOT_OK;
    g_process_in_callback = IOT_OK;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    iot_port_mutex_destroy(&g_net.lock);
    return 0;
}

static iot_client_t *connect_ok(void)
{
    iot_connect_options_t o = options();
    iot_client_t *c = NULL;

    assert_int_equal(iot_connect(&o, &c), IOT_OK);
    assert_non_null(c);
    return c;
}

/* Put a packet in front of the client and let it read. */
static void inject(iot_client_t *c, const uint8_t *bytes, size_t len)
{
    iot_port_mutex_lock(&g_net.lock);
    net_queue(bytes, len);
    iot_port_mutex_unlock(&g_net.lock);
    (void)iot_process(c, 0u);
}

/* How many packets of this first byte (type and flags) the client sent from offset on. */
static int sent_count(size_t from, uint8_t first)
{
    size_t at = from;
    int n = 0;

    while (at < g_net.out_len) {
        uint8_t f = 0;
        size_t remaining = 0;
        size_t header = 0;
        assert_int_equal(mqtt_decode_fixed_header(g_net.out + at, g_net.out_len - at, &f, &remaining, &header),
                         IOT_OK);
        n += (f == first) ? 1 : 0;
        at += header + remaining;
    }
    return n;
}

static const uint8_t publish_q1_in[] = { 0x32, 0x09, 0x00, 0x05, 'c', 'm', 'd', '/', 'x', 0x00, 0x07 };
static const uint8_t publish_q2_in[] = { 0x34, 0x09, 0x00, 0x05, 'c', 'm', 'd', '/', 'x', 0x00, 0x08 };

/* ---- Tests ----------------------------------------------------------------- */

/* What every configuration keeps: QoS 0/1 both ways, subscribe, polling. */
static void test_qos1_round_trip(void **state)
{
    iot_client_t *c = connect_ok();
    size_t mark;

    (void)state;
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS1, on_message, NULL), IOT_OK);
    assert_int_equal(sent_count(0, 0x82), 1);
    mark = g_net.out_len;
    /* A zero timeout still polls once, and the message is acknowledged. */
    inject(c, publish_q1_in, sizeof(publish_q1_in));
    assert_int_equal(g_delivered, 1);
    assert_int_equal(g_delivered_qos, IOT_QOS1);
    assert_int_equal(g_process_in_callback, IOT_ERR_BAD_STATE);
    assert_int_equal(sent_count(mark, 0x40), 1);
    assert_int_equal(iot_publish(c, "t/1", "hi", 2u, IOT_QOS1, false), IOT_OK);
    assert_int_equal(iot_publish(c, "t/0", "hi", 2u, IOT_QOS0, false), IOT_OK);
    assert_int_equal(iot_flush(c, 2000u), IOT_OK);
    assert_int_equal(sent_count(mark, 0x32), 1);
    assert_int_equal(sent_count(mark, 0x30), 1);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_qos2(void **state)
{
    iot_client_t *c = connect_ok();
    size_t mark = g_net.out_len;

    (void)state;
#if IOT_CONFIG_MQTT_QOS2
    assert_int_equal(iot_publish(c, "t/2", "hi", 2u, IOT_QOS2, false), IOT_OK);
    assert_int_equal(iot_flush(c, 2000u), IOT_OK);
    assert_int_equal(sent_count(mark, 0x34), 1);
    assert_int_equal(sent_count(mark, 0x62), 1); /* PUBREL after the broker's PUBREC */
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS2, on_message, NULL), IOT_OK);
    inject(c, publish_q2_in, sizeof(publish_q2_in));
    inject(c, publish_q2_in, sizeof(publish_q2_in)); /* a resend before PUBREL: delivered once */
    assert_int_equal(g_delivered, 1);
    assert_int_equal(g_delivered_qos, IOT_QOS2);
    assert_int_equal(sent_count(mark, 0x50), 2);
    assert_true(iot_is_connected(c));
#else
    assert_int_equal(iot_publish(c, "t/2", "hi", 2u, IOT_QOS2, false), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS2, on_message, NULL), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(g_net.out_len, mark); /* nothing went out */
    /* Nothing asked for QoS 2: a broker that sends it breaks the protocol. */
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS1, on_message, NULL), IOT_OK);
    inject(c, publish_q2_in, sizeof(publish_q2_in));
    assert_int_equal(g_delivered, 0);
    assert_false(iot_is_connected(c));
    assert_int_equal(g_disconnected_events, 1);
    assert_int_equal(g_disconnect_status, IOT_ERR_MQTT_PROTOCOL);
#endif
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* A PUBREC that answers nothing: kept (and answered) with QoS 2, a protocol error without. */
static void test_stray_pubrec(void **state)
{
    static const uint8_t pubrec[] = { 0x50, 0x02, 0x00, 0x09 };
    iot_client_t *c = connect_ok();

    (void)state;
    inject(c, pubrec, sizeof(pubrec));
    assert_int_equal(iot_is_connected(c), IOT_CONFIG_MQTT_QOS2);
    assert_int_equal(sent_count(0, 0x62), IOT_CONFIG_MQTT_QOS2 ? 1 : 0);
    assert_int_equal(g_disconnect_status, IOT_CONFIG_MQTT_QOS2 ? IOT_OK : IOT_ERR_MQTT_PROTOCOL);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_will(void **state)
{
    iot_connect_options_t o = options();
    iot_client_t *c = NULL;
    static const uint8_t bye[] = { 'b', 'y', 'e' };

    (void)state;
    o.will_topic = "dev/status";
    o.will_payload = bye;
    o.will_payload_len = sizeof(bye);
#if IOT_CONFIG_MQTT_WILL
    assert_int_equal(iot_connect(&o, &c), IOT_OK);
    assert_int_equal(g_net.out[0], 0x10);
    assert_int_equal(g_net.out[9] & 0x04, 0x04); /* will flag (3.1.2.5) */
    assert_int_equal(iot_disconnect(c), IOT_OK);
#else
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_NOT_SUPPORTED);
    assert_null(c);
    assert_int_equal(g_net.connects, 0); /* refused before any network work */
    o.will_topic = NULL;
    o.will_payload = NULL;
    o.will_payload_len = 0u;
    assert_int_equal(iot_connect(&o, &c), IOT_OK);
    assert_int_equal(g_net.out[9] & 0x04, 0x00);
    assert_int_equal(iot_disconnect(c), IOT_OK);
#endif
}

static void test_unsubscribe(void **state)
{
    static const uint8_t publish_q0_in[] = { 0x30, 0x07, 0x00, 0x05, 'c', 'm', 'd', '/', 'x' };
    iot_client_t *c = connect_ok();

    (void)state;
    assert_int_equal(iot_subscribe(c, "cmd/+", IOT_QOS0, on_message, NULL), IOT_OK);
#if IOT_CONFIG_MQTT_UNSUBSCRIBE
    assert_int_equal(iot_unsubscribe(c, "cmd/+"), IOT_OK);
    assert_int_equal(sent_count(0, 0xA2), 1);
    assert_int_equal(iot_unsubscribe(c, "cmd/+"), IOT_ERR_NOT_FOUND);
    inject(c, publish_q0_in, sizeof(publish_q0_in));
    assert_int_equal(g_delivered, 0);
    assert_int_equal(g_unmatched, 1);
#else
    assert_int_equal(iot_unsubscribe(c, "cmd/+"), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(sent_count(0, 0xA2), 0);
    /* The subscription stays. */
    inject(c, publish_q0_in, sizeof(publish_q0_in));
    assert_int_equal(g_delivered, 1);
    assert_int_equal(g_unmatched, 0);
    {
        /* Nothing asked for an UNSUBACK: a broker that sends one breaks the protocol. */
        static const uint8_t unsuback[] = { 0xB0, 0x02, 0x00, 0x05 };
        inject(c, unsuback, sizeof(unsuback));
        assert_false(iot_is_connected(c));
        assert_int_equal(g_disconnect_status, IOT_ERR_MQTT_PROTOCOL);
    }
#endif
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_background_thread(void **state)
{
    iot_connect_options_t o = options();
    iot_client_t *c = NULL;

    (void)state;
    o.background_thread = true;
#if IOT_CONFIG_MQTT_BACKGROUND_THREAD
    assert_int_equal(iot_connect(&o, &c), IOT_OK);
    assert_int_equal(iot_process(c, 0u), IOT_ERR_BAD_STATE);
    /* The thread reads the SUBACK for this call. */
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS1, on_message, NULL), IOT_OK);
    assert_int_equal(iot_disconnect(c), IOT_OK);
#else
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_NOT_SUPPORTED);
    assert_null(c);
    assert_int_equal(g_net.connects, 0);
#endif
}

/* After a reconnect into a new session: unacknowledged QoS 1 messages go
 * out again with DUP in every configuration; subscriptions are restored
 * only with IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS. */
static void test_reconnect(void **state)
{
    iot_client_t *c = connect_ok();
    int rounds;

    (void)state;
    assert_int_equal(iot_subscribe(c, "cmd/#", IOT_QOS1, on_message, NULL), IOT_OK);
    g_net.ack_publishes = false;
    assert_int_equal(iot_publish(c, "t/1", "hi", 2u, IOT_QOS1, false), IOT_OK);
    assert_int_equal(sent_count(0, 0x32), 1);
    iot_port_mutex_lock(&g_net.lock);
    g_net.drop = IOT_ERR_NET_CLOSED;
    iot_port_mutex_unlock(&g_net.lock);
    for (rounds = 0; rounds < 200 && g_connected_events < 2; rounds++) {
        assert_int_equal(iot_process(c, 10u), IOT_OK);
    }
    assert_int_equal(g_disconnected_events, 1);
    assert_int_equal(g_disconnect_status, IOT_ERR_NET_CLOSED);
    assert_int_equal(g_net.connects, 2);
    assert_true(iot_is_connected(c));
    assert_int_equal(sent_count(g_net.connect_at[1], 0x3A), 1); /* the same PUBLISH, DUP set */
    assert_int_equal(sent_count(g_net.connect_at[1], 0x82), IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS ? 1 : 0);
    g_net.ack_publishes = true;
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qos1_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qos2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stray_pubrec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_will, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_background_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect, setup, teardown),
    };
#ifdef IOT_TEST_MINIMAL
    return cmocka_run_group_tests_name("mqtt_features_minimal", tests, NULL, NULL);
#else
    return cmocka_run_group_tests_name("mqtt_features", tests, NULL, NULL);
#endif
}
