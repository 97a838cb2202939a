/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port object store of the board builds without TF-M: objects live in a
 * static RAM region of this image. NO ISOLATION and NO PERSISTENCE: any code
 * in the image can read the key store's records (private keys included), and
 * a reset loses them. It lets the key store (src/keys) run on the emulated
 * board, over the PSA Crypto core of the in-image Mbed TLS; a product maps
 * these calls onto TF-M's Internal Trusted Storage (psa_its_*) instead.
 *
 * Layout: IOT_BOARD_STORE_SLOTS slots of IOT_BOARD_STORE_SLOT_SIZE bytes,
 * one object per slot; by default enough for the key store's table
 * (IOT_CONFIG_KEYS_MAX_OBJECTS records of at most
 * IOT_CONFIG_KEYS_MAX_OBJECT_SIZE bytes plus header and label, its id
 * counter, and one spare slot for replacing a value). A set writes the new value into a free slot and only
 * then releases the old one, so a value is replaced as a whole.
 * RAM: IOT_BOARD_STORE_SLOTS * (IOT_BOARD_STORE_SLOT_SIZE + 16) bytes, linked
 * only into images that use the key store.
 */
#include <string.h>

#include <corstone_iot/port.h>

#ifndef IOT_BOARD_STORE_SLOTS
#define IOT_BOARD_STORE_SLOTS (IOT_CONFIG_KEYS_MAX_OBJECTS + 2)
#endif
#ifndef IOT_BOARD_STORE_SLOT_SIZE
#define IOT_BOARD_STORE_SLOT_SIZE (IOT_CONFIG_KEYS_MAX_OBJECT_SIZE + 128)
#endif

typedef struct slot {
    iot_port_store_uid_t uid; /* 0: free */
    size_t len;
    uint8_t data[IOT_BOARD_STORE_SLOT_SIZE];
} slot_t;

static slot_t g_slots[IOT_BOARD_STORE_SLOTS];

static slot_t *find(iot_port_store_uid_t uid)
{
    for (size_t i = 0; i < IOT_BOARD_STORE_SLOTS; i++) {
        if (g_slots[i].uid == uid) {
            return &g_slots[i];
        }
    }
    return NULL;
}

iot_status_t iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len)
{
    slot_t *old;
    slot_t *fresh;

    if (uid == 0u || (data == NULL && len != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (len > IOT_BOARD_STORE_SLOT_SIZE) {
        return IOT_ERR_STORAGE_FULL;
    }
    old = find(uid);
    fresh = find(0u);
    if (fresh == NULL) {
        if (old == NULL) {
            return IOT_ERR_STORAGE_FULL;
        }
        fresh = old; /* no spare slot: replace in place */
    }
    if (len != 0u) {
        memcpy(fresh->data, data, len);
    }
    fresh->len = len;
    fresh->uid = uid;
    if (old != NULL && old != fresh) {
        memset(old, 0, sizeof(*old));
    }
    return IOT_OK;
}

iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len)
{
    const slot_t *s;
    size_t n;

    if (uid == 0u || buf == NULL || read_len == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    s = find(uid);
    if (s == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    if (offset > s->len) {
        return IOT_ERR_INVALID_ARG;
    }
    n = (len < s->len - offset) ? len : s->len - offset;
    memcpy(buf, s->data + offset, n);
    *read_len = n;
    return IOT_OK;
}

iot_status_t iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size)
{
    const slot_t *s;

    if (uid == 0u || size == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    s = find(uid);
    if (s == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    *size = s->len;
    return IOT_OK;
}

iot_status_t iot_port_store_remove(iot_port_store_uid_t uid)
{
    slot_t *s;

    if (uid == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    s = find(uid);
    if (s == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    memset(s, 0, sizeof(*s));
    return IOT_OK;
}
