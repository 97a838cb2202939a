/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port object store of the board builds without TF-M: objects live in a
 * static RAM region of this image. NO ISOLATION and NO PERSISTENCE: any code
 * in the image can read the key store's records (private keys included), and
 * a reset loses them. It lets the key store (src/keys) run on the emulated
 * board, over the PSA Crypto core of the in-image Mbed TLS; a product maps
 * these calls onto TF-M's Internal Trusted Storage (psa_its_*) instead.
 *
 * Layout: records packed from the start of one pool of IOT_BOARD_STORE_SIZE
 * bytes, each a header (uid, length) followed by the value. A set checks
 * that the new value fits (counting the room the old value frees) before it
 * changes anything, then removes the old record and appends the new one: a
 * value is replaced as a whole or not at all.
 * RAM: IOT_BOARD_STORE_SIZE bytes, linked only into images that use the key
 * store.
 */
#include <string.h>

#include <corstone_iot/port.h>

#ifndef IOT_BOARD_STORE_SIZE
#define IOT_BOARD_STORE_SIZE 4096u
#endif

typedef struct rec_hdr {
    iot_port_store_uid_t uid;
    uint32_t len;
    uint32_t reserved; /* keeps values 8-byte aligned */
} rec_hdr_t;

static uint8_t g_pool[IOT_BOARD_STORE_SIZE] __attribute__((aligned(8)));
static size_t g_used; /* bytes of g_pool holding records */

static size_t rec_size(uint32_t len)
{
    return sizeof(rec_hdr_t) + (((size_t)len + 7u) & ~(size_t)7u);
}

/* Offset of the record of @p uid, or g_used when there is none. */
static size_t find(iot_port_store_uid_t uid, rec_hdr_t *hdr)
{
    size_t at = 0;

    while (at < g_used) {
        memcpy(hdr, g_pool + at, sizeof(*hdr));
        if (hdr->uid == uid) {
            return at;
        }
        at += rec_size(hdr->len);
    }
    return g_used;
}

static void remove_at(size_t at, const rec_hdr_t *hdr)
{
    size_t n = rec_size(hdr->len);

    memmove(g_pool + at, g_pool + at + n, g_used - at - n);
    g_used -= n;
    memset(g_pool + g_used, 0, n); /* no stale copies of secrets */
}

iot_status_t iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len)
{
    rec_hdr_t old;
    rec_hdr_t hdr = { uid, 0u, 0u };
    size_t at;
    size_t room;

    if (uid == 0u || (data == NULL && len != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    at = find(uid, &old);
    room = sizeof(g_pool) - g_used + ((at < g_used) ? rec_size(old.len) : 0u);
    if (len > UINT32_MAX || rec_size((uint32_t)len) > room) {
        return IOT_ERR_STORAGE_FULL; /* the old value, if any, is kept */
    }
    if (at < g_used) {
        remove_at(at, &old);
    }
    hdr.len = (uint32_t)len;
    memcpy(g_pool + g_used, &hdr, sizeof(hdr));
    if (len != 0u) {
        memcpy(g_pool + g_used + sizeof(hdr), data, len);
    }
    g_used += rec_size(hdr.len);
    return IOT_OK;
}

iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len)
{
    rec_hdr_t hdr;
    size_t at;
    size_t n;

    if (uid == 0u || buf == NULL || read_len == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    at = find(uid, &hdr);
    if (at == g_used) {
        return IOT_ERR_NOT_FOUND;
    }
    if (offset > hdr.len) {
        return IOT_ERR_INVALID_ARG;
    }
    n = (len < hdr.len - offset) ? len : hdr.len - offset;
    memcpy(buf, g_pool + at + sizeof(hdr) + offset, n);
    *read_len = n;
    return IOT_OK;
}

iot_status_t iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size)
{
    rec_hdr_t hdr;

    if (uid == 0u || size == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    if (find(uid, &hdr) == g_used) {
        return IOT_ERR_NOT_FOUND;
    }
    *size = hdr.len;
    return IOT_OK;
}

iot_status_t iot_port_store_remove(iot_port_store_uid_t uid)
{
    rec_hdr_t hdr;
    size_t at;

    if (uid == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    at = find(uid, &hdr);
    if (at == g_used) {
        return IOT_ERR_NOT_FOUND;
    }
    remove_at(at, &hdr);
    return IOT_OK;
}
