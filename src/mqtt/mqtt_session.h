/* SPDX-License-Identifier: Apache-2.0 */
/* MQTT session state: packet ids, the outgoing QoS 1/2 queue and inbound QoS 2 ids. */
#ifndef MQTT_SESSION_H
#define MQTT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/status.h>

/* Where an outgoing QoS 1/2 message stands. */
typedef enum mqtt_out_state {
    MQTT_OUT_FREE = 0,      /* slot unused (or freed, waiting for its bytes to be reclaimed) */
    MQTT_OUT_UNSENT = 1,    /* queued while disconnected */
    MQTT_OUT_AWAIT_PUBACK,  /* QoS 1 sent */
    MQTT_OUT_AWAIT_PUBREC,  /* QoS 2 sent */
    MQTT_OUT_AWAIT_PUBCOMP  /* QoS 2, PUBREL sent */
} mqtt_out_state_t;

typedef struct mqtt_out_entry {
    uint32_t offset;    /* of the serialised PUBLISH in the queue buffer */
    uint32_t len;
    uint16_t packet_id;
    uint8_t qos;
    uint8_t state;      /* mqtt_out_state_t */
} mqtt_out_entry_t;

/* The outgoing queue keeps each serialised PUBLISH contiguous in a ring of
 * bytes, in the order they were queued; entries are released in any order
 * (acks may come out of order) and their bytes are reclaimed from the oldest. */
typedef struct mqtt_session {
    uint8_t *buf;
    size_t cap;
    size_t head;        /* offset of the oldest live packet */
    size_t tail;        /* where the next packet goes */
    size_t first;       /* ring index of the oldest entry */
    size_t count;       /* entries from first on, live or freed-not-reclaimed */
    size_t live;        /* entries not yet acknowledged */
    size_t unsent;      /* of those, still UNSENT: always the newest ones */
    uint16_t last_id;
#if IOT_CONFIG_MQTT_QOS2
    size_t in_qos2_count;
    uint16_t in_qos2[IOT_CONFIG_MQTT_MAX_INBOUND_QOS2];
#endif
    /* Last: the scalars above stay within reach of short loads and stores. */
    mqtt_out_entry_t entries[IOT_CONFIG_MQTT_MAX_INFLIGHT];
} mqtt_session_t;

void mqtt_session_init(mqtt_session_t *s, uint8_t *buf, size_t cap);

/* A packet id not used by any live outgoing entry (1..65535, rotating);
 * extra_in_use lists up to n more ids to avoid (pending SUBSCRIBEs). */
uint16_t mqtt_session_next_id(mqtt_session_t *s, const uint16_t *extra_in_use, size_t n);

/* Reserve len contiguous bytes for a new entry. IOT_ERR_PACKET_TOO_LARGE if
 * it could never fit, IOT_ERR_QUEUE_FULL if it does not fit now. On IOT_OK,
 * *entry points at the new entry (state UNSENT) and *bytes at its storage. */
iot_status_t mqtt_session_alloc(mqtt_session_t *s, size_t len, mqtt_out_entry_t **entry,
                                uint8_t **bytes);

/* Whether mqtt_session_alloc(s, len, ...) would succeed now; changes nothing. */
bool mqtt_session_has_room(const mqtt_session_t *s, size_t len);

/* The live entry with this packet id, or NULL. */
mqtt_out_entry_t *mqtt_session_find(mqtt_session_t *s, uint16_t packet_id);

/* Release an entry; reclaims bytes of the oldest released entries. */
void mqtt_session_release(mqtt_session_t *s, mqtt_out_entry_t *entry);

/* Iterate live entries oldest first: pass *cursor = 0 to start. NULL at the end. */
mqtt_out_entry_t *mqtt_session_next_live(mqtt_session_t *s, size_t *cursor);

uint8_t *mqtt_session_bytes(mqtt_session_t *s, const mqtt_out_entry_t *entry);

#if IOT_CONFIG_MQTT_QOS2
/* Inbound QoS 2: remember an id until PUBREL. Returns true if it was already
 * known (a duplicate delivery), false if newly added. IOT_ERR_NO_MEMORY via
 * *full when the table is full (the message is then still delivered). */
bool mqtt_session_inbound_qos2_seen(mqtt_session_t *s, uint16_t packet_id, bool *full);
void mqtt_session_inbound_qos2_release(mqtt_session_t *s, uint16_t packet_id);

/* Forget inbound QoS 2 ids (the broker started a new session). */
void mqtt_session_clear_inbound(mqtt_session_t *s);
#endif

#endif /* MQTT_SESSION_H */
