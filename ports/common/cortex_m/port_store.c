/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port object store of the board builds without TF-M: objects live in a
 * static RAM pool of this image, which a backend (port_store.h) keeps:
 * port_store_ram.c nowhere (NOT PERSISTENT: a reset loses the records; the
 * default) or port_store_semihost.c in the emulator's "flash" file
 * (IOT_BOARD_STORAGE=semihost: persistent, emulator only). NO ISOLATION
 * either way: any code in the image can read the key store's records
 * (private keys included). It lets the key store (src/keys) run on the
 * emulated board, over the PSA Crypto core of the in-image Mbed TLS; a
 * product maps these calls onto TF-M's Internal Trusted Storage (psa_its_*)
 * instead.
 *
 * Layout: records packed from the start of one pool of IOT_BOARD_STORE_SIZE
 * bytes, each a header (uid, length) followed by the value. A set checks
 * that the new value fits (counting the room the old value frees) before it
 * changes anything, then removes the old record, appends the new one and
 * commits the pool to the backend; when the commit fails the pool is loaded
 * back from the backend (the previous records) and the call fails: a value
 * is replaced as a whole or not at all. The pool is loaded at the first
 * call and its record chain checked (a damaged one: IOT_ERR_STORAGE_CORRUPT
 * from every call, nothing changed).
 * RAM: IOT_BOARD_STORE_SIZE bytes, linked only into images that use the key
 * store.
 */
#include <string.h>

#include <corstone_iot/port.h>

#include "port_store.h"

typedef struct rec_hdr {
    iot_port_store_uid_t uid;
    uint32_t len;
    uint32_t reserved; /* keeps values 8-byte aligned */
} rec_hdr_t;

static uint8_t g_pool[IOT_BOARD_STORE_SIZE] __attribute__((aligned(8)));
static size_t g_used; /* bytes of g_pool holding records */
static int g_loaded;  /* g_pool holds the backend's records */

static size_t rec_size(uint32_t len)
{
    return sizeof(rec_hdr_t) + (((size_t)len + 7u) & ~(size_t)7u);
}

/* The record chain fills exactly g_used bytes. */
static int chain_ok(void)
{
    size_t at = 0;

    while (at < g_used) {
        rec_hdr_t hdr;

        if (g_used - at < sizeof(hdr)) {
            return 0;
        }
        memcpy(&hdr, g_pool + at, sizeof(hdr));
        if (hdr.uid == 0u || hdr.len > sizeof(g_pool) || rec_size(hdr.len) > g_used - at) {
            return 0;
        }
        at += rec_size(hdr.len);
    }
    return 1;
}

/* (Re)load the pool from the backend. */
static iot_status_t load(void)
{
    iot_status_t st;

    g_loaded = 0;
    g_used = 0;
    st = iot_board_store_load(g_pool, sizeof(g_pool), &g_used);
    if (st == IOT_OK && (g_used > sizeof(g_pool) || !chain_ok())) {
        st = IOT_ERR_STORAGE_CORRUPT;
    }
    if (st != IOT_OK) {
        memset(g_pool, 0, sizeof(g_pool)); /* no stale copies of secrets */
        g_used = 0;
        return st;
    }
    memset(g_pool + g_used, 0, sizeof(g_pool) - g_used);
    g_loaded = 1;
    return IOT_OK;
}

static iot_status_t ready(void)
{
    return g_loaded ? IOT_OK : load();
}

/* Store the changed pool; on failure go back to the stored one. */
static iot_status_t commit(void)
{
    if (iot_board_store_commit(g_pool, g_used) == IOT_OK) {
        return IOT_OK;
    }
    (void)load();
    return IOT_ERR_IO;
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

    iot_status_t st;

    if (uid == 0u || (data == NULL && len != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    if ((st = ready()) != IOT_OK) {
        return st;
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
    return commit();
}

iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len)
{
    rec_hdr_t hdr;
    size_t at;
    size_t n;
    iot_status_t st;

    if (uid == 0u || buf == NULL || read_len == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    if ((st = ready()) != IOT_OK) {
        return st;
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
    iot_status_t st;

    if (uid == 0u || size == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    if ((st = ready()) != IOT_OK) {
        return st;
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
    iot_status_t st;

    if (uid == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    if ((st = ready()) != IOT_OK) {
        return st;
    }
    at = find(uid, &hdr);
    if (at == g_used) {
        return IOT_ERR_NOT_FOUND;
    }
    remove_at(at, &hdr);
    return commit();
}
