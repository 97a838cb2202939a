/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key store: a bounded table of objects over PSA Crypto and the port
 * object store (doc/keys.md explains the design).
 *
 * Persistent objects: table entry n is kept under port store uid
 * IOT_CONFIG_KEYS_STORE_UID_BASE + 1 + n as one record (all fields
 * little-endian):
 *   offset 0   u32  magic 0x534B4943 ("CIKS")
 *          4   u8   format version, 1
 *          5   u8   class (iot_obj_class_t)
 *          6   u8   key type (iot_key_type_t)
 *          7   u8   label length (0..IOT_KEY_LABEL_MAX)
 *          8   u32  id
 *         12   u32  usage (IOT_KEY_USAGE_*)
 *         16   u32  bits
 *         20   u32  value length
 *         24        label, then value
 * Format version 2 is version 1 followed by an application tag: u8 length
 * (1..IOT_KEY_TAG_MAX), then its bytes. Objects without a tag are written
 * as version 1, so stores that never use tags stay readable by releases
 * that know only version 1.
 * The value of a key is its material in PSA import format; of a certificate
 * its DER; of a data object its bytes. The port store checks integrity
 * (CRC on posix, the secure storage service on boards); this module checks
 * that every field is consistent and treats anything else as corrupt.
 *
 * The id counter lives under uid IOT_CONFIG_KEYS_STORE_UID_BASE: 8 bytes,
 * magic 0x434B4943 ("CIKC") and the first id not yet reserved. Ids are
 * reserved in blocks, and a restart continues after the block, so an id is
 * never handed out twice even if the process dies between the reservation
 * and the object write.
 *
 * Keys are held in PSA as volatile, non-exportable keys: a persistent key
 * is imported from its record the first time it is used and stays loaded
 * until it is destroyed or the store stops. A generated persistent key is
 * generated exportable, exported once into the work buffer for its record,
 * imported again non-exportable, and the exportable copy destroyed, all
 * under the lock; work buffers that held secrets are wiped before the lock
 * is released.
 */
#include <stdatomic.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>

#include "iot_internal.h"
#include "iot_keys_internal.h"

#include <mbedtls/platform_util.h>
#include <psa/crypto.h>

#define LOG_MOD "keys"

#define REC_MAGIC 0x534B4943u
#define REC_VERSION 1u
#define REC_VERSION_TAG 2u
#define REC_HDR 24u
#define REC_CAP (REC_HDR + IOT_KEY_LABEL_MAX + IOT_CONFIG_KEYS_MAX_OBJECT_SIZE + 1u + IOT_KEY_TAG_MAX)
#define CTR_MAGIC 0x434B4943u
#define CTR_SIZE 8u
#define ID_BLOCK 32u
#define CTR_UID ((iot_port_store_uid_t)IOT_CONFIG_KEYS_STORE_UID_BASE)
#define SLOT_UID(i) ((iot_port_store_uid_t)IOT_CONFIG_KEYS_STORE_UID_BASE + 1u + (i))

/* Up to 65536: a gateway keeps a fleet's PSKs in one store (doc/gateway.md). */
_Static_assert(IOT_CONFIG_KEYS_MAX_OBJECTS >= 1 && IOT_CONFIG_KEYS_MAX_OBJECTS <= 65536,
               "IOT_CONFIG_KEYS_MAX_OBJECTS out of range");
_Static_assert(IOT_CONFIG_KEYS_MAX_OBJECT_SIZE >= 2048,
               "IOT_CONFIG_KEYS_MAX_OBJECT_SIZE must be at least 2048");
_Static_assert(IOT_KEY_LABEL_MAX < 256, "labels are stored with a one-byte length");
_Static_assert(IOT_KEY_TAG_MAX < 256, "tags are stored with a one-byte length");

typedef enum { SLOT_FREE = 0, SLOT_USED = 1, SLOT_CORRUPT = 2 } slot_state_t;

typedef struct {
    uint8_t state;      /* slot_state_t */
    uint8_t obj_class;  /* iot_obj_class_t */
    uint8_t key_type;   /* iot_key_type_t */
    bool persistent;
    iot_key_id_t id;
    uint32_t usage;
    uint32_t bits;
    uint32_t size;      /* value length of certificates and data */
    psa_key_id_t psa;   /* 0 while not loaded */
    char label[IOT_KEY_LABEL_MAX + 1];
    uint8_t tag_len;
    uint8_t tag[IOT_KEY_TAG_MAX];
} obj_t;

static obj_t g_objs[IOT_CONFIG_KEYS_MAX_OBJECTS];
/* Records as read or written; also the output side of a CSR. */
static uint8_t g_rec[REC_CAP];
/* Decoded PEM input, exported key material, the CSR's signed part. */
static uint8_t g_work[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE];
static bool g_ready;
static uint32_t g_next_id;
static uint32_t g_reserved;
static uint32_t g_corrupt;

static iot_port_mutex_t g_mutex;
static atomic_int g_mutex_state; /* 0 none, 1 being created, 2 ready */

/* ---- Lock ------------------------------------------------------------------- */

void iot_keys_internal_lock(void)
{
    int expected = 0;

    if (atomic_load(&g_mutex_state) != 2) {
        if (atomic_compare_exchange_strong(&g_mutex_state, &expected, 1)) {
            if (iot_port_mutex_init(&g_mutex) != IOT_OK) {
                IOT_LOGE(LOG_MOD, "cannot create the key store lock");
            }
            atomic_store(&g_mutex_state, 2);
        } else {
            while (atomic_load(&g_mutex_state) != 2) {
                iot_port_sleep_ms(1);
            }
        }
    }
    iot_port_mutex_lock(&g_mutex);
}

void iot_keys_internal_unlock(void)
{
    iot_port_mutex_unlock(&g_mutex);
}

static iot_status_t enter(void)
{
    iot_keys_internal_lock();
    if (!g_ready) {
        iot_keys_internal_unlock();
        return IOT_ERR_BAD_STATE;
    }
    return IOT_OK;
}

/* Wipe the work buffers (they may have held secrets) and unlock. */
static iot_status_t leave(iot_status_t st)
{
    mbedtls_platform_zeroize(g_rec, sizeof(g_rec));
    mbedtls_platform_zeroize(g_work, sizeof(g_work));
    iot_keys_internal_unlock();
    return st;
}

/* ---- Helpers ------------------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static iot_status_t from_psa(psa_status_t s)
{
    switch (s) {
    case PSA_SUCCESS:
        return IOT_OK;
    case PSA_ERROR_INVALID_SIGNATURE:
        return IOT_ERR_BAD_SIGNATURE;
    case PSA_ERROR_NOT_PERMITTED:
        return IOT_ERR_NOT_PERMITTED;
    case PSA_ERROR_BUFFER_TOO_SMALL:
        return IOT_ERR_BUFFER_TOO_SMALL;
    case PSA_ERROR_NOT_SUPPORTED:
        return IOT_ERR_UNSUPPORTED_KEY;
    case PSA_ERROR_INVALID_ARGUMENT:
        return IOT_ERR_INVALID_ARG;
    case PSA_ERROR_INSUFFICIENT_MEMORY:
        return IOT_ERR_NO_MEMORY;
    case PSA_ERROR_INSUFFICIENT_ENTROPY:
        return IOT_ERR_ENTROPY;
    default:
        return IOT_ERR_CRYPTO;
    }
}

static bool label_char_ok(uint8_t c)
{
    return c >= 0x20u && c != 0x7Fu;
}

/* len receives the label's length; NULL is "". */
static iot_status_t check_label(const char *label, bool required, size_t *len)
{
    size_t n;
    size_t i;

    *len = 0;
    if (label == NULL) {
        return required ? IOT_ERR_BAD_LABEL : IOT_OK;
    }
    for (n = 0; n <= IOT_KEY_LABEL_MAX && label[n] != '\0'; n++) {
    }
    if (n > IOT_KEY_LABEL_MAX || (n == 0u && required)) {
        return IOT_ERR_BAD_LABEL;
    }
    for (i = 0; i < n; i++) {
        if (!label_char_ok((uint8_t)label[i])) {
            return IOT_ERR_BAD_LABEL;
        }
    }
    *len = n;
    return IOT_OK;
}

static obj_t *find_id(iot_key_id_t id)
{
    size_t i;

    if (id == IOT_KEY_ID_NONE) {
        return NULL;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_USED && g_objs[i].id == id) {
            return &g_objs[i];
        }
    }
    return NULL;
}

static obj_t *find_label(uint8_t obj_class, const char *label, size_t len)
{
    size_t i;

    if (len == 0u) {
        return NULL;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        obj_t *o = &g_objs[i];
        if (o->state == SLOT_USED && (obj_class == IOT_OBJ_NONE || o->obj_class == obj_class) &&
            strlen(o->label) == len && memcmp(o->label, label, len) == 0) {
            return o;
        }
    }
    return NULL;
}

static obj_t *free_slot(void)
{
    size_t i;

    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_FREE) {
            return &g_objs[i];
        }
    }
    return NULL;
}

static iot_port_store_uid_t uid_of(const obj_t *o)
{
    return SLOT_UID((iot_port_store_uid_t)(o - g_objs));
}

static iot_status_t alloc_id(iot_key_id_t *id)
{
    if (g_next_id == 0u || g_next_id > UINT32_MAX - ID_BLOCK) {
        return IOT_ERR_STORAGE_FULL; /* ids exhausted */
    }
    if (g_next_id >= g_reserved) {
        uint8_t ctr[CTR_SIZE];
        iot_status_t st;
        put_le32(&ctr[0], CTR_MAGIC);
        put_le32(&ctr[4], g_next_id + ID_BLOCK);
        st = iot_port_store_set(CTR_UID, ctr, sizeof(ctr));
        if (st != IOT_OK) {
            return st;
        }
        g_reserved = g_next_id + ID_BLOCK;
    }
    *id = g_next_id++;
    return IOT_OK;
}

/* Default usage of a class when 0 is given; IOT_ERR_INVALID_ARG for bits
 * the class cannot have. */
static iot_status_t resolve_usage(uint8_t obj_class, uint32_t usage, uint32_t *out)
{
    uint32_t allowed;
    uint32_t dflt;

    switch (obj_class) {
    case IOT_OBJ_PRIVATE_KEY:
        allowed = IOT_KEY_USAGE_SIGN | IOT_KEY_USAGE_VERIFY;
        dflt = allowed;
        break;
    case IOT_OBJ_PUBLIC_KEY:
        allowed = IOT_KEY_USAGE_VERIFY;
        dflt = allowed;
        break;
    case IOT_OBJ_SECRET_KEY:
        allowed = IOT_KEY_USAGE_DERIVE;
        dflt = allowed;
        break;
    default:
        allowed = 0u;
        dflt = 0u;
        break;
    }
    if ((usage & ~allowed) != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    *out = (usage == 0u) ? dflt : usage;
    return IOT_OK;
}

static bool class_type_ok(uint8_t obj_class, uint8_t type)
{
    switch (obj_class) {
    case IOT_OBJ_PRIVATE_KEY:
    case IOT_OBJ_PUBLIC_KEY:
        return iot_key_type_is_ec((iot_key_type_t)type) ||
               iot_key_type_is_rsa((iot_key_type_t)type);
    case IOT_OBJ_SECRET_KEY:
        return type == IOT_KEY_TYPE_PSK;
    case IOT_OBJ_CERTIFICATE:
    case IOT_OBJ_DATA:
        return type == IOT_KEY_TYPE_NONE;
    default:
        return false;
    }
}

static void key_attributes(const obj_t *o, bool exportable, psa_key_attributes_t *a)
{
    psa_key_usage_t u = 0;
    psa_ecc_family_t secp_r1 = PSA_ECC_FAMILY_SECP_R1;
    bool ec = iot_key_type_is_ec((iot_key_type_t)o->key_type);

    *a = psa_key_attributes_init();
    if ((o->usage & IOT_KEY_USAGE_SIGN) != 0u) {
        u |= PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_SIGN_MESSAGE;
    }
    if ((o->usage & IOT_KEY_USAGE_VERIFY) != 0u) {
        u |= PSA_KEY_USAGE_VERIFY_HASH | PSA_KEY_USAGE_VERIFY_MESSAGE;
    }
    if ((o->usage & IOT_KEY_USAGE_DERIVE) != 0u) {
        u |= PSA_KEY_USAGE_DERIVE;
    }
    if (exportable) {
        u |= PSA_KEY_USAGE_EXPORT;
    }
    psa_set_key_usage_flags(a, u);
    psa_set_key_bits(a, o->bits);
    if (o->obj_class == IOT_OBJ_SECRET_KEY) {
        psa_set_key_type(a, PSA_KEY_TYPE_DERIVE);
        psa_set_key_algorithm(a, PSA_ALG_TLS12_PSK_TO_MS(PSA_ALG_SHA_256));
        psa_set_key_enrollment_algorithm(a, PSA_ALG_TLS12_PSK_TO_MS(PSA_ALG_SHA_384));
    } else if (ec) {
        psa_set_key_type(a, (o->obj_class == IOT_OBJ_PRIVATE_KEY)
                                ? PSA_KEY_TYPE_ECC_KEY_PAIR(secp_r1)
                                : PSA_KEY_TYPE_ECC_PUBLIC_KEY(secp_r1));
        psa_set_key_algorithm(a, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    } else {
        psa_set_key_type(a, (o->obj_class == IOT_OBJ_PRIVATE_KEY) ? PSA_KEY_TYPE_RSA_KEY_PAIR
                                                                  : PSA_KEY_TYPE_RSA_PUBLIC_KEY);
        psa_set_key_algorithm(a, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(a, PSA_ALG_RSA_PSS(PSA_ALG_ANY_HASH));
    }
}

/* ---- Records ------------------------------------------------------------------- */

static size_t record_encode(const obj_t *o, const uint8_t *value, size_t value_len)
{
    size_t label_len = strlen(o->label);

    put_le32(&g_rec[0], REC_MAGIC);
    g_rec[4] = (uint8_t)(o->tag_len > 0u ? REC_VERSION_TAG : REC_VERSION);
    g_rec[5] = o->obj_class;
    g_rec[6] = o->key_type;
    g_rec[7] = (uint8_t)label_len;
    put_le32(&g_rec[8], o->id);
    put_le32(&g_rec[12], o->usage);
    put_le32(&g_rec[16], o->bits);
    put_le32(&g_rec[20], (uint32_t)value_len);
    memcpy(&g_rec[REC_HDR], o->label, label_len);
    if (value_len > 0u) {
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): callers pass NULL only with length 0 */
        memmove(&g_rec[REC_HDR + label_len], value, value_len);
    }
    if (o->tag_len > 0u) {
        g_rec[REC_HDR + label_len + value_len] = o->tag_len;
        memcpy(&g_rec[REC_HDR + label_len + value_len + 1u], o->tag, o->tag_len);
        return REC_HDR + label_len + value_len + 1u + o->tag_len;
    }
    return REC_HDR + label_len + value_len;
}

/* Check a record in g_rec of `len` bytes; fill `o` (state USED, not loaded)
 * and point at its value. */
static iot_status_t record_decode(size_t len, obj_t *o, const uint8_t **value, size_t *value_len)
{
    uint32_t usage;
    size_t label_len;
    uint32_t vlen;
    size_t tag_len = 0;
    size_t i;

    if (len < REC_HDR || get_le32(&g_rec[0]) != REC_MAGIC ||
        (g_rec[4] != REC_VERSION && g_rec[4] != REC_VERSION_TAG)) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    label_len = g_rec[7];
    vlen = get_le32(&g_rec[20]);
    if (label_len > IOT_KEY_LABEL_MAX || vlen > IOT_CONFIG_KEYS_MAX_OBJECT_SIZE) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    if (g_rec[4] == REC_VERSION_TAG) {
        if (REC_HDR + label_len + vlen + 1u >= len) {
            return IOT_ERR_STORAGE_CORRUPT;
        }
        tag_len = g_rec[REC_HDR + label_len + vlen];
        if (tag_len == 0u || tag_len > IOT_KEY_TAG_MAX) {
            return IOT_ERR_STORAGE_CORRUPT;
        }
        tag_len += 1u; /* with its length byte */
    }
    if (REC_HDR + label_len + vlen + tag_len != len || get_le32(&g_rec[8]) == 0u ||
        !class_type_ok(g_rec[5], g_rec[6])) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    if (resolve_usage(g_rec[5], get_le32(&g_rec[12]), &usage) != IOT_OK ||
        (usage == 0u && g_rec[5] <= IOT_OBJ_SECRET_KEY)) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    for (i = 0; i < label_len; i++) {
        if (!label_char_ok(g_rec[REC_HDR + i])) {
            return IOT_ERR_STORAGE_CORRUPT;
        }
    }
    memset(o, 0, sizeof(*o));
    o->state = SLOT_USED;
    o->obj_class = g_rec[5];
    o->key_type = g_rec[6];
    o->persistent = true;
    o->id = get_le32(&g_rec[8]);
    o->usage = get_le32(&g_rec[12]);
    o->bits = get_le32(&g_rec[16]);
    memcpy(o->label, &g_rec[REC_HDR], label_len);
    o->label[label_len] = '\0';
    if (tag_len > 0u) {
        o->tag_len = (uint8_t)(tag_len - 1u);
        memcpy(o->tag, &g_rec[REC_HDR + label_len + vlen + 1u], o->tag_len);
    }
    if (o->key_type == IOT_KEY_TYPE_PSK) {
        if (vlen == 0u || vlen > IOT_KEY_PSK_MAX || o->bits != vlen * 8u) {
            return IOT_ERR_STORAGE_CORRUPT;
        }
    } else if (o->bits != iot_key_type_bits((iot_key_type_t)o->key_type)) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    if (o->obj_class >= IOT_OBJ_CERTIFICATE) {
        o->usage = 0u;
        o->size = vlen;
    }
    *value = &g_rec[REC_HDR + label_len];
    *value_len = vlen;
    return IOT_OK;
}

/* Read the record of slot `o` into g_rec and check it belongs to `o`. */
static iot_status_t record_read(const obj_t *o, const uint8_t **value, size_t *value_len)
{
    obj_t stored;
    size_t size = 0;
    size_t got = 0;
    iot_status_t st;

    st = iot_port_store_get_info(uid_of(o), &size);
    if (st == IOT_ERR_NOT_FOUND) {
        return IOT_ERR_STORAGE_CORRUPT; /* removed behind the store's back */
    }
    if (st != IOT_OK) {
        return st;
    }
    if (size > sizeof(g_rec)) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    st = iot_port_store_get(uid_of(o), 0, size, g_rec, &got);
    if (st != IOT_OK) {
        return (st == IOT_ERR_NOT_FOUND) ? IOT_ERR_STORAGE_CORRUPT : st;
    }
    st = record_decode(got, &stored, value, value_len);
    if (st != IOT_OK) {
        return st;
    }
    if (stored.id != o->id || stored.obj_class != o->obj_class || stored.key_type != o->key_type ||
        stored.bits != o->bits || strcmp(stored.label, o->label) != 0) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    return IOT_OK;
}

/* PSA has a fixed number of key slots (Mbed TLS 2.28: 32), fewer than a
 * large store (a gateway's) has persistent keys. When PSA runs out, the PSA
 * copies of persistent keys are dropped (they are loaded again from their
 * records on next use) and the import is tried once more. Volatile keys
 * exist only in PSA and are never dropped. Called under the lock. */
static psa_status_t import_evicting(const psa_key_attributes_t *a, const uint8_t *data,
                                    size_t len, psa_key_id_t *key)
{
    psa_status_t ps = psa_import_key(a, data, len, key);
    size_t i;

    if (ps != PSA_ERROR_INSUFFICIENT_MEMORY) {
        return ps;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_USED && g_objs[i].persistent && g_objs[i].psa != 0u) {
            (void)psa_destroy_key(g_objs[i].psa);
            g_objs[i].psa = 0u;
        }
    }
    return psa_import_key(a, data, len, key);
}

/* Make sure the key of `o` is in PSA. */
static iot_status_t ensure_loaded(obj_t *o)
{
    psa_key_attributes_t a;
    const uint8_t *value = NULL;
    size_t value_len = 0;
    psa_status_t ps;
    iot_status_t st;

    if (o->psa != 0u) {
        return IOT_OK;
    }
    if (!o->persistent || o->obj_class > IOT_OBJ_SECRET_KEY) {
        return IOT_ERR_INTERNAL;
    }
    st = record_read(o, &value, &value_len);
    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "object %u: stored key unreadable (%s)", (unsigned)o->id,
                 iot_status_name(st));
        return st;
    }
    key_attributes(o, false, &a);
    ps = import_evicting(&a, value, value_len, &o->psa);
    psa_reset_key_attributes(&a);
    mbedtls_platform_zeroize(g_rec, sizeof(g_rec));
    if (ps != PSA_SUCCESS) {
        o->psa = 0u;
        IOT_LOGE(LOG_MOD, "object %u: PSA refused the stored key (%d)", (unsigned)o->id, (int)ps);
        return (ps == PSA_ERROR_INVALID_ARGUMENT) ? IOT_ERR_STORAGE_CORRUPT : from_psa(ps);
    }
    return IOT_OK;
}

/* ---- Symmetric attestation ------------------------------------------------------- */

iot_status_t iot_keys_internal_hmac_sha256(iot_key_id_t id, const uint8_t *msg, size_t msg_len,
                                           uint8_t mac[32])
{
    psa_key_attributes_t a = psa_key_attributes_init();
    psa_key_id_t k = 0u;
    const uint8_t *value = NULL;
    size_t value_len = 0;
    size_t mac_len = 0;
    psa_status_t ps;
    iot_status_t st;
    obj_t *o;

    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL || o->state != SLOT_USED) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    if (o->obj_class != IOT_OBJ_SECRET_KEY || !o->persistent) {
        return leave(IOT_ERR_WRONG_KEY_TYPE);
    }
    st = record_read(o, &value, &value_len);
    if (st != IOT_OK) {
        return leave(st);
    }
    psa_set_key_type(&a, PSA_KEY_TYPE_HMAC);
    psa_set_key_algorithm(&a, PSA_ALG_HMAC(PSA_ALG_SHA_256));
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_MESSAGE);
    ps = import_evicting(&a, value, value_len, &k);
    psa_reset_key_attributes(&a);
    if (ps == PSA_SUCCESS) {
        ps = psa_mac_compute(k, PSA_ALG_HMAC(PSA_ALG_SHA_256), msg, msg_len, mac, 32u, &mac_len);
        (void)psa_destroy_key(k);
    }
    return leave((ps == PSA_SUCCESS && mac_len == 32u) ? IOT_OK : IOT_ERR_CRYPTO);
}

/* ---- Creating keys ---------------------------------------------------------------- */

typedef struct {
    uint8_t obj_class;
    iot_key_type_t type;
    uint32_t bits;
    const uint8_t *material; /* NULL: generate */
    size_t material_len;
} key_source_t;

static iot_status_t create_key(const key_source_t *src, const iot_key_options_t *options,
                               iot_key_id_t *id)
{
    iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
    psa_key_attributes_t a;
    const uint8_t *material = src->material;
    size_t material_len = src->material_len;
    size_t label_len = 0;
    psa_key_id_t tmp = 0;
    psa_status_t ps;
    obj_t *slot;
    obj_t o;
    iot_status_t st;

    if (options != NULL) {
        size_t n = options->struct_size < sizeof(opts) ? options->struct_size : sizeof(opts);
        memcpy(&opts, options, n);
    }
    memset(&o, 0, sizeof(o));
    st = check_label(opts.label, false, &label_len);
    if (st != IOT_OK) {
        return st;
    }
    st = resolve_usage(src->obj_class, opts.usage, &o.usage);
    if (st != IOT_OK) {
        return st;
    }
    if (find_label(src->obj_class, opts.label, label_len) != NULL) {
        return IOT_ERR_ALREADY_EXISTS;
    }
    slot = free_slot();
    if (slot == NULL) {
        return IOT_ERR_STORAGE_FULL;
    }
    o.state = SLOT_USED;
    o.obj_class = src->obj_class;
    o.key_type = (uint8_t)src->type;
    o.bits = src->bits;
    o.persistent = opts.persistent;
    if (label_len > 0u) {
        /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): check_label gives length 0 for NULL */
        memcpy(o.label, opts.label, label_len);
    }

    if (material == NULL && o.persistent) {
        /* The record needs the material: generate it exportable, once. */
        key_attributes(&o, true, &a);
        ps = psa_generate_key(&a, &tmp);
        psa_reset_key_attributes(&a);
        if (ps != PSA_SUCCESS) {
            return from_psa(ps);
        }
        ps = psa_export_key(tmp, g_work, sizeof(g_work), &material_len);
        (void)psa_destroy_key(tmp);
        if (ps != PSA_SUCCESS) {
            return from_psa(ps);
        }
        material = g_work;
    }
    key_attributes(&o, false, &a);
    if (material == NULL) {
        ps = psa_generate_key(&a, &o.psa);
    } else {
        ps = import_evicting(&a, material, material_len, &o.psa);
    }
    psa_reset_key_attributes(&a);
    if (ps != PSA_SUCCESS) {
        /* For imported data PSA's objections are about the key's values.
         * Mbed TLS re-exports an imported RSA key and reports a value too
         * large for its bit size (say, a negative prime) as BUFFER_TOO_SMALL. */
        bool bad_value = ps == PSA_ERROR_INVALID_ARGUMENT || ps == PSA_ERROR_BUFFER_TOO_SMALL;
        return (material != NULL && bad_value) ? IOT_ERR_BAD_FORMAT : from_psa(ps);
    }
    st = alloc_id(&o.id);
    if (st == IOT_OK && o.persistent) {
        size_t rec_len = record_encode(&o, material, material_len);
        st = iot_port_store_set(uid_of(slot), g_rec, rec_len);
    }
    if (st != IOT_OK) {
        (void)psa_destroy_key(o.psa);
        return st;
    }
    *slot = o;
    *id = o.id;
    IOT_LOGI(LOG_MOD, "object %u created (class %u, %u bits%s)", (unsigned)o.id,
             (unsigned)o.obj_class, (unsigned)o.bits, o.persistent ? ", persistent" : "");
    return IOT_OK;
}

iot_status_t iot_key_generate(iot_key_type_t type, const iot_key_options_t *options,
                              iot_key_id_t *id)
{
    key_source_t src = { IOT_OBJ_PRIVATE_KEY, type, 0u, NULL, 0u };
    iot_status_t st;

    IOT_CHECK_ARG(id != NULL);
    if (type != IOT_KEY_TYPE_EC_P256 && type != IOT_KEY_TYPE_EC_P384 &&
        type != IOT_KEY_TYPE_RSA_2048 && type != IOT_KEY_TYPE_RSA_3072) {
        return IOT_ERR_UNSUPPORTED_KEY;
    }
    src.bits = iot_key_type_bits(type);
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    return leave(create_key(&src, options, id));
}

/* Decode PEM into g_work when the input is PEM; `label` receives its label. */
static iot_status_t unwrap_input(const void *data, size_t len, char *label, size_t label_cap,
                                 const uint8_t **der, size_t *der_len)
{
    label[0] = '\0';
    if (iot_pem_detect(data, len)) {
        iot_status_t st = iot_pem_decode(data, len, label, label_cap, g_work, sizeof(g_work),
                                         der_len);
        if (st == IOT_ERR_STORAGE_FULL) {
            return IOT_ERR_STORAGE_FULL; /* larger than any object the store keeps */
        }
        *der = g_work;
        return st;
    }
    *der = data;
    *der_len = len;
    return IOT_OK;
}

iot_status_t iot_key_import_private(const void *data, size_t len,
                                    const iot_key_options_t *options, iot_key_id_t *id)
{
    key_source_t src = { IOT_OBJ_PRIVATE_KEY, IOT_KEY_TYPE_NONE, 0u, NULL, 0u };
    iot_parsed_key_t key;
    char label[32];
    const uint8_t *der = NULL;
    size_t der_len = 0;
    iot_status_t st;

    IOT_CHECK_ARG(data != NULL && len > 0u && id != NULL);
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    st = unwrap_input(data, len, label, sizeof(label), &der, &der_len);
    if (st == IOT_OK && label[0] != '\0' && strcmp(label, "PRIVATE KEY") != 0 &&
        strcmp(label, "EC PRIVATE KEY") != 0 && strcmp(label, "RSA PRIVATE KEY") != 0) {
        st = IOT_ERR_WRONG_KEY_TYPE;
    }
    if (st == IOT_OK) {
        st = iot_key_parse_private_der(der, der_len, &key);
    }
    if (st == IOT_OK) {
        src.type = key.type;
        src.bits = iot_key_type_bits(key.type);
        src.material = key.material;
        src.material_len = key.material_len;
        st = create_key(&src, options, id);
    }
    mbedtls_platform_zeroize(&key, sizeof(key));
    if (st != IOT_OK) {
        IOT_LOGW(LOG_MOD, "private key import refused: %s", iot_status_name(st));
    }
    return leave(st);
}

iot_status_t iot_key_import_public(const void *data, size_t len,
                                   const iot_key_options_t *options, iot_key_id_t *id)
{
    key_source_t src = { IOT_OBJ_PUBLIC_KEY, IOT_KEY_TYPE_NONE, 0u, NULL, 0u };
    iot_parsed_key_t key;
    char label[32];
    const uint8_t *der = NULL;
    size_t der_len = 0;
    iot_status_t st;

    IOT_CHECK_ARG(data != NULL && len > 0u && id != NULL);
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    st = unwrap_input(data, len, label, sizeof(label), &der, &der_len);
    if (st == IOT_OK && label[0] != '\0' && strcmp(label, "PUBLIC KEY") != 0) {
        st = IOT_ERR_WRONG_KEY_TYPE;
    }
    if (st == IOT_OK) {
        st = iot_key_parse_public_der(der, der_len, &key);
    }
    if (st == IOT_OK) {
        src.type = key.type;
        src.bits = iot_key_type_bits(key.type);
        src.material = key.material;
        src.material_len = key.material_len;
        st = create_key(&src, options, id);
    }
    return leave(st);
}

iot_status_t iot_key_import_psk(const void *psk, size_t len, const iot_key_options_t *options,
                                iot_key_id_t *id)
{
    key_source_t src = { IOT_OBJ_SECRET_KEY, IOT_KEY_TYPE_PSK, 0u, NULL, 0u };
    iot_status_t st;

    IOT_CHECK_ARG(psk != NULL && id != NULL);
    if (len == 0u || len > IOT_KEY_PSK_MAX) {
        return IOT_ERR_UNSUPPORTED_KEY;
    }
    src.bits = (uint32_t)len * 8u;
    src.material = psk;
    src.material_len = len;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    return leave(create_key(&src, options, id));
}

/* ---- Using keys ---------------------------------------------------------------------- */

/* PSA algorithm and hash length of `alg`; whether it suits a key type. */
static iot_status_t sign_alg(iot_sign_alg_t alg, iot_key_type_t type, psa_algorithm_t *psa_alg,
                             size_t *hash_len)
{
    static const psa_algorithm_t hashes[3] = { PSA_ALG_SHA_256, PSA_ALG_SHA_384, PSA_ALG_SHA_512 };
    static const size_t lens[3] = { 32u, 48u, 64u };
    int i;

    if (alg >= IOT_SIGN_ECDSA_SHA256 && alg <= IOT_SIGN_ECDSA_SHA512) {
        i = (int)alg - (int)IOT_SIGN_ECDSA_SHA256;
        *psa_alg = PSA_ALG_ECDSA(hashes[i]);
        *hash_len = lens[i];
        return iot_key_type_is_ec(type) ? IOT_OK : IOT_ERR_WRONG_KEY_TYPE;
    }
    if (alg >= IOT_SIGN_RSA_PKCS1_SHA256 && alg <= IOT_SIGN_RSA_PKCS1_SHA512) {
        i = (int)alg - (int)IOT_SIGN_RSA_PKCS1_SHA256;
        *psa_alg = PSA_ALG_RSA_PKCS1V15_SIGN(hashes[i]);
        *hash_len = lens[i];
        return iot_key_type_is_rsa(type) ? IOT_OK : IOT_ERR_WRONG_KEY_TYPE;
    }
    if (alg >= IOT_SIGN_RSA_PSS_SHA256 && alg <= IOT_SIGN_RSA_PSS_SHA512) {
        i = (int)alg - (int)IOT_SIGN_RSA_PSS_SHA256;
        *psa_alg = PSA_ALG_RSA_PSS(hashes[i]);
        *hash_len = lens[i];
        return iot_key_type_is_rsa(type) ? IOT_OK : IOT_ERR_WRONG_KEY_TYPE;
    }
    return IOT_ERR_INVALID_ARG;
}

/* Find a key for signing (sign true) or verifying, check the algorithm,
 * and load it. */
static iot_status_t key_for(iot_key_id_t id, iot_sign_alg_t alg, bool sign, obj_t **out,
                            psa_algorithm_t *psa_alg, size_t *hash_len)
{
    obj_t *o = find_id(id);
    iot_status_t st;

    if (o == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    if (o->obj_class != IOT_OBJ_PRIVATE_KEY && (sign || o->obj_class != IOT_OBJ_PUBLIC_KEY)) {
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    st = sign_alg(alg, (iot_key_type_t)o->key_type, psa_alg, hash_len);
    if (st != IOT_OK) {
        return st;
    }
    if ((o->usage & (sign ? IOT_KEY_USAGE_SIGN : IOT_KEY_USAGE_VERIFY)) == 0u) {
        return IOT_ERR_NOT_PERMITTED;
    }
    st = ensure_loaded(o);
    if (st != IOT_OK) {
        return st;
    }
    *out = o;
    return IOT_OK;
}

enum { FOR_VERIFY = 0, FOR_SIGN = 1 };

/* Take the lock and find the key for a signature operation; on IOT_OK the
 * lock is held (release it with leave()), on failure it is not. A hash
 * input must be exactly as long as the algorithm's hash. */
static iot_status_t enter_key(iot_key_id_t id, iot_sign_alg_t alg, bool for_sign, bool is_hash,
                              size_t in_len, obj_t **o, psa_algorithm_t *psa_alg)
{
    size_t hash_len = 0;
    iot_status_t st = enter();

    if (st != IOT_OK) {
        return st;
    }
    st = key_for(id, alg, for_sign, o, psa_alg, &hash_len);
    if (st == IOT_OK && is_hash && in_len != hash_len) {
        st = IOT_ERR_INVALID_ARG;
    }
    return (st == IOT_OK) ? IOT_OK : leave(st);
}

static iot_status_t sign_common(iot_key_id_t id, iot_sign_alg_t alg, bool is_hash,
                                const uint8_t *in, size_t in_len, uint8_t *sig, size_t cap,
                                size_t *sig_len)
{
    psa_algorithm_t psa_alg = 0;
    obj_t *o = NULL;
    psa_status_t ps;
    iot_status_t st = enter_key(id, alg, FOR_SIGN, is_hash, in_len, &o, &psa_alg);

    if (st != IOT_OK) {
        return st;
    }
    if (is_hash) {
        ps = psa_sign_hash(o->psa, psa_alg, in, in_len, sig, cap, sig_len);
    } else {
        ps = psa_sign_message(o->psa, psa_alg, in, in_len, sig, cap, sig_len);
    }
    return leave(from_psa(ps));
}

static iot_status_t verify_common(iot_key_id_t id, iot_sign_alg_t alg, bool is_hash,
                                  const uint8_t *in, size_t in_len, const uint8_t *sig,
                                  size_t sig_len)
{
    psa_algorithm_t psa_alg = 0;
    obj_t *o = NULL;
    psa_status_t ps;
    iot_status_t st = enter_key(id, alg, FOR_VERIFY, is_hash, in_len, &o, &psa_alg);

    if (st != IOT_OK) {
        return st;
    }
    if (is_hash) {
        ps = psa_verify_hash(o->psa, psa_alg, in, in_len, sig, sig_len);
    } else {
        ps = psa_verify_message(o->psa, psa_alg, in, in_len, sig, sig_len);
    }
    /* A signature of the wrong length cannot be valid either. */
    if (ps == PSA_ERROR_INVALID_ARGUMENT) {
        ps = PSA_ERROR_INVALID_SIGNATURE;
    }
    return leave(from_psa(ps));
}

iot_status_t iot_key_sign_hash(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *hash,
                               size_t hash_len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    IOT_CHECK_ARG(hash != NULL && sig != NULL && sig_len != NULL);
    return sign_common(id, alg, true, hash, hash_len, sig, cap, sig_len);
}

iot_status_t iot_key_sign_message(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *msg,
                                  size_t msg_len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    static const uint8_t empty[1] = { 0 };

    IOT_CHECK_ARG((msg != NULL || msg_len == 0u) && sig != NULL && sig_len != NULL);
    return sign_common(id, alg, false, (msg != NULL) ? msg : empty, msg_len, sig, cap, sig_len);
}

iot_status_t iot_key_verify_hash(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *hash,
                                 size_t hash_len, const uint8_t *sig, size_t sig_len)
{
    IOT_CHECK_ARG(hash != NULL && sig != NULL);
    return verify_common(id, alg, true, hash, hash_len, sig, sig_len);
}

iot_status_t iot_key_verify_message(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *msg,
                                    size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    static const uint8_t empty[1] = { 0 };

    IOT_CHECK_ARG((msg != NULL || msg_len == 0u) && sig != NULL);
    return verify_common(id, alg, false, (msg != NULL) ? msg : empty, msg_len, sig, sig_len);
}

/* The public key of `o` in PSA format, into buf. */
static iot_status_t public_raw(obj_t *o, uint8_t *buf, size_t cap, size_t *len)
{
    iot_status_t st;

    if (o->obj_class != IOT_OBJ_PRIVATE_KEY && o->obj_class != IOT_OBJ_PUBLIC_KEY) {
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    st = ensure_loaded(o);
    if (st != IOT_OK) {
        return st;
    }
    return from_psa(psa_export_public_key(o->psa, buf, cap, len));
}

/* Copy `der_len` bytes into the caller's buffer. */
static iot_status_t copy_out(const uint8_t *der, size_t der_len, void *buf, size_t cap,
                             size_t *len)
{
    *len = der_len;
    if (der_len > cap) {
        return IOT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(buf, der, der_len);
    return IOT_OK;
}

/* With the lock held: the public key of object `id`, as a
 * SubjectPublicKeyInfo (`spki`) or in PSA format, in the store's work
 * buffers (valid until the lock is released). */
static iot_status_t public_locked(iot_key_id_t id, bool spki, const uint8_t **der,
                                  size_t *der_len)
{
    size_t raw_len = 0;
    obj_t *o = find_id(id);
    iot_dw_t w;
    iot_status_t st;

    if (o == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    st = public_raw(o, g_work, sizeof(g_work), &raw_len);
    if (st != IOT_OK) {
        return st;
    }
    if (!spki) {
        *der = g_work;
        *der_len = raw_len;
        return IOT_OK;
    }
    iot_dw_init(&w, g_rec, sizeof(g_rec));
    if (iot_key_write_spki(&w, (iot_key_type_t)o->key_type, g_work, raw_len) != IOT_OK) {
        return IOT_ERR_INTERNAL;
    }
    *der = iot_dw_data(&w);
    *der_len = iot_dw_used(&w);
    return IOT_OK;
}

/* Copy `len` bytes or PEM-encode them into the caller's buffer. */
static iot_status_t emit(iot_key_format_t format, const char *pem_label, const uint8_t *der,
                         size_t der_len, void *buf, size_t cap, size_t *len)
{
    if (format == IOT_KEY_FORMAT_PEM) {
        return iot_pem_encode(pem_label, der, der_len, buf, cap, len);
    }
    return copy_out(der, der_len, buf, cap, len);
}

iot_status_t iot_key_export_public(iot_key_id_t id, iot_key_format_t format, void *buf,
                                   size_t cap, size_t *len)
{
    const uint8_t *der = NULL;
    size_t der_len = 0;
    iot_status_t st;

    IOT_CHECK_ARG(buf != NULL && len != NULL);
    IOT_CHECK_ARG(format == IOT_KEY_FORMAT_PEM || format == IOT_KEY_FORMAT_DER ||
                  format == IOT_KEY_FORMAT_RAW);
    *len = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    st = public_locked(id, format != IOT_KEY_FORMAT_RAW, &der, &der_len);
    if (st == IOT_OK) {
        st = emit(format, "PUBLIC KEY", der, der_len, buf, cap, len);
    }
    return leave(st);
}

iot_status_t iot_keys_internal_export_spki(iot_key_id_t id, uint8_t *buf, size_t cap, size_t *len)
{
    const uint8_t *der = NULL;
    size_t der_len = 0;
    iot_status_t st;

    *len = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    st = public_locked(id, true, &der, &der_len);
    if (st == IOT_OK) {
        st = copy_out(der, der_len, buf, cap, len);
    }
    return leave(st);
}

iot_status_t iot_key_csr(iot_key_id_t id, const iot_csr_options_t *options, void *buf,
                         size_t cap, size_t *len)
{
    iot_csr_options_t opts = IOT_CSR_OPTIONS_INIT;
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    psa_algorithm_t psa_alg = 0;
    size_t hash_len = 0;
    size_t pub_len = 0;
    size_t sig_len = 0;
    size_t tbs_len;
    static const uint8_t k_zero[1] = { 0 };
    obj_t *o = NULL;
    iot_dw_t w;
    iot_status_t st;

    IOT_CHECK_ARG(options != NULL && buf != NULL && len != NULL);
    memcpy(&opts, options, options->struct_size < sizeof(opts) ? options->struct_size : sizeof(opts));
    IOT_CHECK_ARG(opts.subject != NULL);
    IOT_CHECK_ARG(opts.format == IOT_KEY_FORMAT_PEM || opts.format == IOT_KEY_FORMAT_DER);
    *len = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o != NULL && opts.alg == IOT_SIGN_DEFAULT) {
        if (o->key_type == IOT_KEY_TYPE_EC_P256) {
            opts.alg = IOT_SIGN_ECDSA_SHA256;
        } else if (o->key_type == IOT_KEY_TYPE_EC_P384) {
            opts.alg = IOT_SIGN_ECDSA_SHA384;
        } else {
            opts.alg = IOT_SIGN_RSA_PKCS1_SHA256;
        }
    }
    st = key_for(id, opts.alg, true, &o, &psa_alg, &hash_len);
    if (st == IOT_OK && opts.alg >= IOT_SIGN_RSA_PSS_SHA256) {
        st = IOT_ERR_NOT_SUPPORTED;
    }
    if (st == IOT_OK) {
        /* The public key goes to the front of g_rec, the signed part
         * (CertificationRequestInfo) is built backwards in g_work. */
        st = from_psa(psa_export_public_key(o->psa, g_rec, sizeof(g_rec) / 2u, &pub_len));
    }
    if (st != IOT_OK) {
        return leave(st);
    }
    iot_dw_init(&w, g_work, sizeof(g_work));
    iot_dw_byte(&w, 0x00u); /* attributes [0]: empty */
    iot_dw_byte(&w, (uint8_t)IOT_DER_CONTEXT(0));
    st = iot_key_write_spki(&w, (iot_key_type_t)o->key_type, g_rec, pub_len);
    if (st == IOT_OK) {
        st = iot_csr_write_name(&w, opts.subject);
    }
    if (st != IOT_OK) {
        return leave(st == IOT_ERR_BUFFER_TOO_SMALL ? IOT_ERR_NO_MEMORY : st);
    }
    iot_dw_unsigned(&w, k_zero, 1u); /* version v1 (0) */
    iot_dw_wrap(&w, IOT_DER_SEQUENCE, iot_dw_used(&w));
    if (w.overflow) {
        return leave(IOT_ERR_NO_MEMORY);
    }
    tbs_len = iot_dw_used(&w);
    st = from_psa(psa_sign_message(o->psa, psa_alg, iot_dw_data(&w), tbs_len, sig, sizeof(sig),
                                   &sig_len));
    if (st != IOT_OK) {
        return leave(st);
    }
    /* CertificationRequest ::= SEQUENCE { info, signatureAlgorithm, signature } */
    {
        const uint8_t *tbs = iot_dw_data(&w);
        iot_dw_t out;
        iot_dw_init(&out, g_rec, sizeof(g_rec));
        st = iot_csr_write_signature(&out, opts.alg, sig, sig_len);
        if (st == IOT_OK) {
            st = iot_csr_write_sig_alg(&out, opts.alg);
        }
        if (st != IOT_OK) {
            return leave(st);
        }
        iot_dw_raw(&out, tbs, tbs_len);
        iot_dw_wrap(&out, IOT_DER_SEQUENCE, iot_dw_used(&out));
        if (out.overflow) {
            return leave(IOT_ERR_NO_MEMORY);
        }
        st = emit(opts.format, "CERTIFICATE REQUEST", iot_dw_data(&out), iot_dw_used(&out), buf,
                  cap, len);
    }
    return leave(st);
}

/* ---- Certificates and data ---------------------------------------------------------- */

iot_status_t iot_keystore_save(iot_obj_class_t obj_class, const char *label, const void *data,
                               size_t len, uint32_t flags, iot_key_id_t *id)
{
    char pem_label[32];
    const uint8_t *value = data;
    size_t value_len = len;
    size_t label_len = 0;
    obj_t *existing;
    obj_t *slot;
    obj_t o;
    iot_status_t st;

    IOT_CHECK_ARG(obj_class == IOT_OBJ_CERTIFICATE || obj_class == IOT_OBJ_DATA);
    IOT_CHECK_ARG(label != NULL && (data != NULL || len == 0u));
    IOT_CHECK_ARG((flags & ~IOT_KEYSTORE_SAVE_REPLACE) == 0u);
    st = check_label(label, true, &label_len);
    if (st != IOT_OK) {
        return st;
    }
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    if (obj_class == IOT_OBJ_CERTIFICATE) {
        if (len == 0u) {
            return leave(IOT_ERR_TRUNCATED);
        }
        st = unwrap_input(data, len, pem_label, sizeof(pem_label), &value, &value_len);
        if (st == IOT_OK && pem_label[0] != '\0' && strcmp(pem_label, "CERTIFICATE") != 0) {
            st = IOT_ERR_WRONG_KEY_TYPE;
        }
        if (st == IOT_OK) {
            st = iot_key_check_certificate_der(value, value_len);
        }
        if (st != IOT_OK) {
            return leave(st);
        }
    }
    if (value_len > IOT_CONFIG_KEYS_MAX_OBJECT_SIZE) {
        return leave(IOT_ERR_STORAGE_FULL);
    }
    existing = find_label(obj_class, label, label_len);
    if (existing != NULL && (flags & IOT_KEYSTORE_SAVE_REPLACE) == 0u) {
        return leave(IOT_ERR_ALREADY_EXISTS);
    }
    if (existing != NULL) {
        o = *existing;
        slot = existing;
    } else {
        slot = free_slot();
        if (slot == NULL) {
            return leave(IOT_ERR_STORAGE_FULL);
        }
        memset(&o, 0, sizeof(o));
        o.state = SLOT_USED;
        o.obj_class = (uint8_t)obj_class;
        o.persistent = true;
        memcpy(o.label, label, label_len);
        st = alloc_id(&o.id);
        if (st != IOT_OK) {
            return leave(st);
        }
    }
    o.size = (uint32_t)value_len;
    st = iot_port_store_set(uid_of(slot), g_rec, record_encode(&o, value, value_len));
    if (st != IOT_OK) {
        return leave(st); /* the old object, if any, is unchanged */
    }
    *slot = o;
    if (id != NULL) {
        *id = o.id;
    }
    return leave(IOT_OK);
}

iot_status_t iot_keystore_load(iot_key_id_t id, void *buf, size_t cap, size_t *len)
{
    const uint8_t *value = NULL;
    size_t value_len = 0;
    obj_t *o;
    iot_status_t st;

    IOT_CHECK_ARG(len != NULL && (buf != NULL || cap == 0u));
    *len = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    switch (o->obj_class) {
    case IOT_OBJ_PRIVATE_KEY:
    case IOT_OBJ_SECRET_KEY:
        IOT_LOGW(LOG_MOD, "object %u: refused to reveal a secret", (unsigned)o->id);
        return leave(IOT_ERR_NOT_PERMITTED);
    case IOT_OBJ_PUBLIC_KEY:
        st = public_raw(o, g_work, sizeof(g_work), &value_len);
        value = g_work;
        break;
    default:
        st = record_read(o, &value, &value_len);
        break;
    }
    if (st != IOT_OK) {
        return leave(st);
    }
    *len = value_len;
    if (value_len > cap) {
        return leave(IOT_ERR_BUFFER_TOO_SMALL);
    }
    if (value_len > 0u) {
        memcpy(buf, value, value_len);
    }
    return leave(IOT_OK);
}

/* Hand the stored value of a certificate or a persistent pre-shared key to
 * `use` under the lock, then wipe the record buffer (see iot_keys_internal.h). */
iot_status_t iot_keys_internal_use_value(iot_key_id_t id, iot_obj_class_t obj_class,
                                         iot_keys_value_fn use, void *ctx)
{
    const uint8_t *value = NULL;
    size_t value_len = 0;
    obj_t *o;
    iot_status_t st;

    if (use == NULL ||
        (obj_class != IOT_OBJ_CERTIFICATE && obj_class != IOT_OBJ_SECRET_KEY)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    if (o->obj_class != (uint8_t)obj_class) {
        return leave(IOT_ERR_WRONG_KEY_TYPE);
    }
    if (!o->persistent) {
        /* A volatile key exists only inside PSA, non-exportable. */
        return leave(IOT_ERR_NOT_SUPPORTED);
    }
    st = record_read(o, &value, &value_len);
    if (st == IOT_OK) {
        st = use(ctx, value, value_len);
    }
    return leave(st);
}

/* ---- Objects -------------------------------------------------------------------------- */

iot_status_t iot_keystore_destroy(iot_key_id_t id)
{
    obj_t *o;
    iot_status_t st;

    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    if (o->persistent) {
        st = iot_port_store_remove(uid_of(o));
        if (st != IOT_OK && st != IOT_ERR_NOT_FOUND) {
            return leave(st);
        }
    }
    if (o->psa != 0u) {
        (void)psa_destroy_key(o->psa);
    }
    IOT_LOGI(LOG_MOD, "object %u destroyed", (unsigned)o->id);
    memset(o, 0, sizeof(*o));
    return leave(IOT_OK);
}

iot_status_t iot_keystore_list(iot_key_id_t *ids, size_t cap, size_t *count)
{
    size_t n = 0;
    size_t i;
    iot_status_t st;

    IOT_CHECK_ARG(count != NULL && (ids != NULL || cap == 0u));
    *count = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_USED) {
            if (n < cap) {
                ids[n] = g_objs[i].id;
            }
            n++;
        }
    }
    *count = n;
    return leave(n > cap ? IOT_ERR_BUFFER_TOO_SMALL : IOT_OK);
}

iot_status_t iot_keystore_get_info(iot_key_id_t id, iot_key_info_t *info)
{
    iot_key_info_t out = IOT_KEY_INFO_INIT;
    const obj_t *o;
    uint32_t size;
    iot_status_t st;

    IOT_CHECK_ARG(info != NULL && info->struct_size >= sizeof(iot_key_info_t));
    size = info->struct_size;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    out.id = o->id;
    out.obj_class = (iot_obj_class_t)o->obj_class;
    out.key_type = (iot_key_type_t)o->key_type;
    out.bits = o->bits;
    out.size = o->size;
    out.usage = o->usage;
    out.persistent = o->persistent;
    memcpy(out.label, o->label, sizeof(out.label));
    out.struct_size = size;
    memcpy(info, &out, sizeof(out)); /* later releases copy only what the caller's struct has */
    return leave(IOT_OK);
}

iot_status_t iot_keystore_find(iot_obj_class_t obj_class, const char *label, iot_key_id_t *id)
{
    size_t label_len = 0;
    const obj_t *o;
    iot_status_t st;

    IOT_CHECK_ARG(label != NULL && id != NULL);
    IOT_CHECK_ARG(obj_class >= IOT_OBJ_NONE && obj_class <= IOT_OBJ_DATA);
    st = check_label(label, true, &label_len);
    if (st != IOT_OK) {
        return st;
    }
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_label((uint8_t)obj_class, label, label_len);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    *id = o->id;
    return leave(IOT_OK);
}

iot_status_t iot_keystore_get_stats(iot_keystore_stats_t *stats)
{
    iot_keystore_stats_t out = IOT_KEYSTORE_STATS_INIT;
    size_t i;
    iot_status_t st;

    IOT_CHECK_ARG(stats != NULL && stats->struct_size >= sizeof(iot_keystore_stats_t));
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_USED) {
            out.objects++;
        }
    }
    out.capacity = IOT_CONFIG_KEYS_MAX_OBJECTS;
    out.corrupt = g_corrupt;
    out.struct_size = stats->struct_size;
    *stats = out;
    return leave(IOT_OK);
}

iot_status_t iot_keystore_erase_corrupt(void)
{
    size_t i;
    iot_status_t st;

    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        if (g_objs[i].state == SLOT_CORRUPT) {
            st = iot_port_store_remove(SLOT_UID(i));
            if (st != IOT_OK && st != IOT_ERR_NOT_FOUND) {
                return leave(st);
            }
            memset(&g_objs[i], 0, sizeof(g_objs[i]));
            g_corrupt--;
            IOT_LOGW(LOG_MOD, "damaged object in slot %u erased", (unsigned)i);
        }
    }
    return leave(IOT_OK);
}

iot_status_t iot_keystore_random(uint8_t *buf, size_t len)
{
    psa_status_t ps;
    iot_status_t st;

    IOT_CHECK_ARG(buf != NULL || len == 0u);
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    ps = (len > 0u) ? psa_generate_random(buf, len) : PSA_SUCCESS;
    iot_keys_internal_unlock();
    return (ps == PSA_SUCCESS) ? IOT_OK : IOT_ERR_ENTROPY;
}

iot_status_t iot_keystore_set_tag(iot_key_id_t id, const void *tag, size_t len)
{
    const uint8_t *value = NULL;
    size_t value_len = 0;
    obj_t *o;
    obj_t updated;
    iot_status_t st;

    IOT_CHECK_ARG(tag != NULL || len == 0u);
    if (len > IOT_KEY_TAG_MAX) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    updated = *o;
    updated.tag_len = (uint8_t)len;
    memset(updated.tag, 0, sizeof(updated.tag));
    if (len > 0u) {
        memcpy(updated.tag, tag, len);
    }
    if (o->persistent) {
        /* The record is rewritten whole, in one atomic replace. */
        st = record_read(o, &value, &value_len);
        if (st == IOT_OK) {
            st = iot_port_store_set(uid_of(o), g_rec, record_encode(&updated, value, value_len));
        }
        if (st != IOT_OK) {
            return leave(st); /* the old tag stays */
        }
    }
    *o = updated;
    return leave(IOT_OK);
}

iot_status_t iot_keystore_get_tag(iot_key_id_t id, void *buf, size_t cap, size_t *len)
{
    const obj_t *o;
    iot_status_t st;

    IOT_CHECK_ARG(len != NULL && (buf != NULL || cap == 0u));
    *len = 0;
    st = enter();
    if (st != IOT_OK) {
        return st;
    }
    o = find_id(id);
    if (o == NULL) {
        return leave(IOT_ERR_NOT_FOUND);
    }
    *len = o->tag_len;
    if (o->tag_len > cap) {
        return leave(IOT_ERR_BUFFER_TOO_SMALL);
    }
    if (o->tag_len > 0u) {
        memcpy(buf, o->tag, o->tag_len);
    }
    return leave(IOT_OK);
}

/* ---- Start and stop ------------------------------------------------------------------- */

static iot_status_t load_counter(void)
{
    uint8_t ctr[CTR_SIZE];
    size_t size = 0;
    size_t got = 0;
    iot_status_t st;

    st = iot_port_store_get_info(CTR_UID, &size);
    if (st == IOT_ERR_NOT_FOUND) {
        g_reserved = 1u;
        return IOT_OK;
    }
    if (st != IOT_OK) {
        return st;
    }
    if (size != CTR_SIZE) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    st = iot_port_store_get(CTR_UID, 0, sizeof(ctr), ctr, &got);
    if (st != IOT_OK) {
        return st;
    }
    if (got != CTR_SIZE || get_le32(&ctr[0]) != CTR_MAGIC || get_le32(&ctr[4]) == 0u) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    g_reserved = get_le32(&ctr[4]);
    return IOT_OK;
}

/* Read slot i's record into the table; damaged ones are marked. */
static iot_status_t load_slot(size_t i, uint32_t *max_id)
{
    obj_t o;
    const uint8_t *value = NULL;
    size_t value_len = 0;
    size_t size = 0;
    size_t got = 0;
    iot_status_t st;

    st = iot_port_store_get_info(SLOT_UID(i), &size);
    if (st == IOT_ERR_NOT_FOUND) {
        return IOT_OK;
    }
    if (st == IOT_OK && size > sizeof(g_rec)) {
        st = IOT_ERR_STORAGE_CORRUPT;
    }
    if (st == IOT_OK) {
        st = iot_port_store_get(SLOT_UID(i), 0, size, g_rec, &got);
    }
    if (st == IOT_OK) {
        st = record_decode(got, &o, &value, &value_len);
    }
    if (st == IOT_OK && find_id(o.id) != NULL) {
        st = IOT_ERR_STORAGE_CORRUPT; /* two records claim one id */
    }
    if (st == IOT_ERR_STORAGE_CORRUPT) {
        IOT_LOGW(LOG_MOD, "slot %u: stored object is damaged; left untouched", (unsigned)i);
        g_objs[i].state = SLOT_CORRUPT;
        g_corrupt++;
        return IOT_OK;
    }
    if (st != IOT_OK) {
        return st;
    }
    g_objs[i] = o;
    if (o.id > *max_id) {
        *max_id = o.id;
    }
    return IOT_OK;
}

iot_status_t iot_keystore_init(void)
{
    uint32_t max_id = 0;
    size_t i;
    iot_status_t st;

#if defined(IOT_HAVE_TLS)
    iot_tls_store_attach();
#endif
#if defined(IOT_HAVE_ATTEST) && IOT_HAVE_ATTEST
    iot_attest_mqtt_attach();
#endif
    iot_keys_internal_lock();
    if (g_ready) {
        iot_keys_internal_unlock();
        return IOT_OK;
    }
    if (psa_crypto_init() != PSA_SUCCESS) {
        iot_keys_internal_unlock();
        return IOT_ERR_CRYPTO;
    }
    memset(g_objs, 0, sizeof(g_objs));
    g_corrupt = 0;
    st = load_counter();
    for (i = 0; st == IOT_OK && i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        st = load_slot(i, &max_id);
    }
    if (st != IOT_OK) {
        memset(g_objs, 0, sizeof(g_objs));
        IOT_LOGE(LOG_MOD, "key store cannot start: %s", iot_status_name(st));
        return leave(st);
    }
    g_next_id = (max_id >= g_reserved) ? max_id + 1u : g_reserved;
    g_ready = true;
    return leave(IOT_OK);
}

void iot_keystore_deinit(void)
{
    size_t i;

    iot_keys_internal_lock();
    if (g_ready) {
        for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
            if (g_objs[i].psa != 0u) {
                (void)psa_destroy_key(g_objs[i].psa);
            }
        }
        memset(g_objs, 0, sizeof(g_objs));
        g_ready = false;
    }
    iot_keys_internal_unlock();
}
