/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the outgoing QoS 1/2 queue, packet ids and inbound QoS 2 ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt_session.h"

static uint8_t g_buf[1000];

static mqtt_out_entry_t *push(mqtt_session_t *s, size_t len, uint8_t fill)
{
    mqtt_out_entry_t *e = NULL;
    uint8_t *bytes = NULL;

    assert_int_equal(mqtt_session_alloc(s, len, &e, &bytes), IOT_OK);
    memset(bytes, fill, len);
    e->packet_id = mqtt_session_next_id(s, NULL, 0);
    e->qos = 1;
    return e;
}

static void test_alloc_release_in_order(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *a;
    mqtt_out_entry_t *b;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    a = push(&s, 400, 0xaa);
    b = push(&s, 400, 0xbb);
    assert_int_equal(s.live, 2);
    assert_int_equal(a->offset, 0);
    assert_int_equal(b->offset, 400);
    assert_ptr_equal(mqtt_session_find(&s, a->packet_id), a);
    assert_int_equal(mqtt_session_bytes(&s, b)[0], 0xbb);
    mqtt_session_release(&s, a);
    assert_null(mqtt_session_find(&s, 1));
    assert_int_equal(s.head, 400);
    mqtt_session_release(&s, b);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.count, 0);
    assert_int_equal(s.head, 0);
    assert_int_equal(s.tail, 0);
}

static void test_full_and_too_large(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *e = NULL;
    uint8_t *bytes = NULL;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    assert_int_equal(mqtt_session_alloc(&s, sizeof(g_buf) + 1u, &e, &bytes),
                     IOT_ERR_PACKET_TOO_LARGE);
    assert_int_equal(mqtt_session_alloc(&s, 0, &e, &bytes), IOT_ERR_PACKET_TOO_LARGE);
    assert_false(mqtt_session_has_room(&s, sizeof(g_buf) + 1u));
    assert_true(mqtt_session_has_room(&s, sizeof(g_buf)));
    (void)push(&s, 600, 1);
    assert_false(mqtt_session_has_room(&s, 401));
    assert_int_equal(mqtt_session_alloc(&s, 401, &e, &bytes), IOT_ERR_QUEUE_FULL);
    /* Asking changes nothing: the room is still there afterwards. */
    assert_true(mqtt_session_has_room(&s, 400));
    assert_true(mqtt_session_has_room(&s, 400));
    assert_int_equal(s.count, 1);
    (void)push(&s, 400, 2);
    assert_false(mqtt_session_has_room(&s, 1));
    assert_int_equal(mqtt_session_alloc(&s, 1, &e, &bytes), IOT_ERR_QUEUE_FULL);
}

static void test_out_of_order_release_and_wrap(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *a;
    mqtt_out_entry_t *b;
    mqtt_out_entry_t *c;
    mqtt_out_entry_t *d;
    mqtt_out_entry_t *e = NULL;
    uint8_t *bytes = NULL;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    a = push(&s, 300, 'a');
    b = push(&s, 300, 'b');
    c = push(&s, 300, 'c');
    /* b acknowledged first: its bytes cannot be reused before a's. */
    mqtt_session_release(&s, b);
    assert_int_equal(s.live, 2);
    assert_int_equal(s.head, 0);
    assert_int_equal(mqtt_session_alloc(&s, 200, &e, &bytes), IOT_ERR_QUEUE_FULL);
    mqtt_session_release(&s, a);
    /* a and b reclaimed together: head jumps to c. */
    assert_int_equal(s.head, 600);
    /* 100 bytes remain at the end; 200 wraps to the front. */
    d = push(&s, 200, 'd');
    assert_int_equal(d->offset, 0);
    assert_int_equal(mqtt_session_alloc(&s, 401, &e, &bytes), IOT_ERR_QUEUE_FULL);
    e = push(&s, 400, 'e');
    assert_int_equal(e->offset, 200);
    assert_int_equal(mqtt_session_bytes(&s, c)[299], 'c');
    assert_int_equal(mqtt_session_bytes(&s, d)[0], 'd');
    mqtt_session_release(&s, c);
    assert_int_equal(s.head, 0);
    mqtt_session_release(&s, d);
    mqtt_session_release(&s, e);
    assert_int_equal(s.count, 0);
    /* Releasing twice or NULL is harmless. */
    mqtt_session_release(&s, e);
    mqtt_session_release(&s, NULL);
    assert_int_equal(s.live, 0);
}

static void test_iteration_oldest_first(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *got;
    size_t cursor = 0;
    uint16_t ids[3];

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    ids[0] = push(&s, 10, 0)->packet_id;
    ids[1] = push(&s, 10, 0)->packet_id;
    ids[2] = push(&s, 10, 0)->packet_id;
    mqtt_session_release(&s, mqtt_session_find(&s, ids[1]));
    got = mqtt_session_next_live(&s, &cursor);
    assert_int_equal(got->packet_id, ids[0]);
    got = mqtt_session_next_live(&s, &cursor);
    assert_int_equal(got->packet_id, ids[2]);
    assert_null(mqtt_session_next_live(&s, &cursor));
}

static void test_entry_limit(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *e = NULL;
    uint8_t *bytes = NULL;
    size_t i;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    for (i = 0; i < IOT_CONFIG_MQTT_MAX_INFLIGHT; i++) {
        (void)push(&s, 1, 0);
    }
    assert_int_equal(mqtt_session_alloc(&s, 1, &e, &bytes), IOT_ERR_QUEUE_FULL);
}

static void test_packet_ids_skip_zero_and_busy(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *e;
    uint16_t busy[2] = { 2, 3 };

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    assert_int_equal(mqtt_session_next_id(&s, busy, 2), 1);
    assert_int_equal(mqtt_session_next_id(&s, busy, 2), 4);
    s.last_id = 65534;
    e = push(&s, 1, 0);
    assert_int_equal(e->packet_id, 65535);
    /* Wraps past 0; 65535 is busy. */
    s.last_id = 65534;
    assert_int_equal(mqtt_session_next_id(&s, NULL, 0), 1);
}

/* unsent counts the entries still UNSENT: each allocation adds one, and the
 * client takes one off when it sends an entry; releasing an entry that was
 * never sent takes it off too. */
static void test_unsent_count(void **state)
{
    mqtt_session_t s;
    mqtt_out_entry_t *a;
    mqtt_out_entry_t *b;
    mqtt_out_entry_t *c;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    assert_int_equal(s.unsent, 0);
    a = push(&s, 100, 0xaa);
    b = push(&s, 100, 0xbb);
    c = push(&s, 100, 0xcc);
    assert_int_equal(s.unsent, 3);
    assert_int_equal(a->state, MQTT_OUT_UNSENT);
    a->state = MQTT_OUT_AWAIT_PUBACK; /* sent, as the client does it */
    s.unsent--;
    mqtt_session_release(&s, a);
    assert_int_equal(s.unsent, 2);
    assert_int_equal(s.live, 2);
    mqtt_session_release(&s, c); /* never sent */
    assert_int_equal(s.unsent, 1);
    mqtt_session_release(&s, c); /* twice changes nothing */
    assert_int_equal(s.unsent, 1);
    mqtt_session_release(&s, b);
    assert_int_equal(s.unsent, 0);
    assert_int_equal(s.live, 0);
}

/* Built again with tests/config/mqtt_minimal.h: without QoS 2 the session
 * has no inbound table at all (the client refuses QoS 2 before it would
 * need one). */
#if IOT_CONFIG_MQTT_QOS2
static void test_inbound_qos2(void **state)
{
    mqtt_session_t s;
    bool full = true;
    uint16_t id;

    (void)state;
    mqtt_session_init(&s, g_buf, sizeof(g_buf));
    assert_false(mqtt_session_inbound_qos2_seen(&s, 7, &full));
    assert_false(full);
    assert_true(mqtt_session_inbound_qos2_seen(&s, 7, &full));
    mqtt_session_inbound_qos2_release(&s, 7);
    assert_false(mqtt_session_inbound_qos2_seen(&s, 7, &full));
    for (id = 100; id < 100 + IOT_CONFIG_MQTT_MAX_INBOUND_QOS2 - 1; id++) {
        assert_false(mqtt_session_inbound_qos2_seen(&s, id, &full));
    }
    assert_false(mqtt_session_inbound_qos2_seen(&s, 999, &full));
    assert_true(full);
    mqtt_session_clear_inbound(&s);
    assert_false(mqtt_session_inbound_qos2_seen(&s, 7, &full));
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_release_in_order),
        cmocka_unit_test(test_unsent_count),
        cmocka_unit_test(test_full_and_too_large),
        cmocka_unit_test(test_out_of_order_release_and_wrap),
        cmocka_unit_test(test_iteration_oldest_first),
        cmocka_unit_test(test_entry_limit),
        cmocka_unit_test(test_packet_ids_skip_zero_and_busy),
#if IOT_CONFIG_MQTT_QOS2
        cmocka_unit_test(test_inbound_qos2),
#endif
    };
    return cmocka_run_group_tests_name("mqtt_session", tests, NULL, NULL);
}
