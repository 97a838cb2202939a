/* SPDX-License-Identifier: Apache-2.0 */
/* MQTT session state: packet ids, the outgoing QoS 1/2 queue and inbound QoS 2 ids. */
#include <string.h>

#include "mqtt_session.h"

#define MAX_ENTRIES IOT_CONFIG_MQTT_MAX_INFLIGHT

void mqtt_session_init(mqtt_session_t *s, uint8_t *buf, size_t cap)
{
    memset(s, 0, sizeof(*s));
    s->buf = buf;
    s->cap = cap;
}

static mqtt_out_entry_t *entry_at(mqtt_session_t *s, size_t nth)
{
    return &s->entries[(s->first + nth) % MAX_ENTRIES];
}

static bool id_in_use(const mqtt_session_t *s, uint16_t id, const uint16_t *extra, size_t n)
{
    size_t i;

    /* Every slot outside the ring is FREE (entries leave it only when
     * released), so the slots are checked in array order, id first: the
     * common answer, "not in use", costs one compare per slot. */
    for (i = 0; i < MAX_ENTRIES; i++) {
        if (s->entries[i].packet_id == id && s->entries[i].state != MQTT_OUT_FREE) {
            return true;
        }
    }
    for (i = 0; i < n; i++) {
        if (extra[i] == id) {
            return true;
        }
    }
    return false;
}

uint16_t mqtt_session_next_id(mqtt_session_t *s, const uint16_t *extra_in_use, size_t n)
{
    /* At most MAX_ENTRIES + n ids are taken, so this ends quickly. */
    do {
        s->last_id = (uint16_t)(s->last_id + 1u);
        /* cppcheck-suppress knownConditionTrueFalse ; false positive: 65535 + 1 wraps to 0 in uint16_t */
        if (s->last_id == 0u) {
            s->last_id = 1u;
        }
    } while (id_in_use(s, s->last_id, extra_in_use, n));
    return s->last_id;
}

/* Where len bytes fit now, or cap when they do not. */
static size_t find_room(const mqtt_session_t *s, size_t len)
{
    if (s->count == 0u) {
        return (len <= s->cap) ? 0u : s->cap;
    }
    if (s->tail > s->head) {
        if (s->cap - s->tail >= len) {
            return s->tail;
        }
        /* Wrap: the end of the buffer stays unused until the head passes it. */
        return (s->head >= len) ? 0u : s->cap;
    }
    /* Wrapped already (tail <= head): the gap is [tail, head). */
    return (s->head - s->tail >= len) ? s->tail : s->cap;
}

bool mqtt_session_has_room(const mqtt_session_t *s, size_t len)
{
    if (len == 0u || len > s->cap || s->count == MAX_ENTRIES) {
        return false;
    }
    return find_room(s, len) != s->cap;
}

iot_status_t mqtt_session_alloc(mqtt_session_t *s, size_t len, mqtt_out_entry_t **entry,
                                uint8_t **bytes)
{
    size_t at;
    mqtt_out_entry_t *e;

    if (len == 0u || len > s->cap || len > UINT32_MAX) {
        return IOT_ERR_PACKET_TOO_LARGE;
    }
    if (s->count == MAX_ENTRIES) {
        return IOT_ERR_QUEUE_FULL;
    }
    if (s->count == 0u) {
        s->head = 0;
        s->tail = 0;
    }
    at = find_room(s, len);
    if (at == s->cap) {
        return IOT_ERR_QUEUE_FULL;
    }
    e = entry_at(s, s->count);
    memset(e, 0, sizeof(*e));
    e->offset = (uint32_t)at;
    e->len = (uint32_t)len;
    e->state = MQTT_OUT_UNSENT;
    s->count++;
    s->live++;
    s->unsent++;
    s->tail = at + len;
    *entry = e;
    *bytes = s->buf + at;
    return IOT_OK;
}

mqtt_out_entry_t *mqtt_session_find(mqtt_session_t *s, uint16_t packet_id)
{
    size_t i;

    for (i = 0; i < s->count; i++) {
        mqtt_out_entry_t *e = entry_at(s, i);
        if (e->state != MQTT_OUT_FREE && e->packet_id == packet_id) {
            return e;
        }
    }
    return NULL;
}

void mqtt_session_release(mqtt_session_t *s, mqtt_out_entry_t *entry)
{
    if (entry == NULL || entry->state == MQTT_OUT_FREE) {
        return;
    }
    if (entry->state == MQTT_OUT_UNSENT) {
        s->unsent--;
    }
    entry->state = MQTT_OUT_FREE;
    s->live--;
    while (s->count > 0u && entry_at(s, 0)->state == MQTT_OUT_FREE) {
        s->first = (s->first + 1u) % MAX_ENTRIES;
        s->count--;
    }
    if (s->count == 0u) {
        s->first = 0;
        s->head = 0;
        s->tail = 0;
    } else {
        s->head = entry_at(s, 0)->offset;
    }
}

mqtt_out_entry_t *mqtt_session_next_live(mqtt_session_t *s, size_t *cursor)
{
    while (*cursor < s->count) {
        mqtt_out_entry_t *e = entry_at(s, *cursor);
        (*cursor)++;
        if (e->state != MQTT_OUT_FREE) {
            return e;
        }
    }
    return NULL;
}

uint8_t *mqtt_session_bytes(mqtt_session_t *s, const mqtt_out_entry_t *entry)
{
    return s->buf + entry->offset;
}

#if IOT_CONFIG_MQTT_QOS2
bool mqtt_session_inbound_qos2_seen(mqtt_session_t *s, uint16_t packet_id, bool *full)
{
    size_t i;

    *full = false;
    for (i = 0; i < s->in_qos2_count; i++) {
        if (s->in_qos2[i] == packet_id) {
            return true;
        }
    }
    if (s->in_qos2_count == IOT_CONFIG_MQTT_MAX_INBOUND_QOS2) {
        *full = true;
        return false;
    }
    s->in_qos2[s->in_qos2_count++] = packet_id;
    return false;
}

void mqtt_session_inbound_qos2_release(mqtt_session_t *s, uint16_t packet_id)
{
    size_t i;

    for (i = 0; i < s->in_qos2_count; i++) {
        if (s->in_qos2[i] == packet_id) {
            s->in_qos2[i] = s->in_qos2[s->in_qos2_count - 1u];
            s->in_qos2_count--;
            return;
        }
    }
}

void mqtt_session_clear_inbound(mqtt_session_t *s)
{
    s->in_qos2_count = 0;
}
#endif /* IOT_CONFIG_MQTT_QOS2 */
