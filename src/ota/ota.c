/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OTA state machine (iot_ota_*) over the port's firmware slots.
 *
 * Two sources of truth, each written atomically:
 *  - the port's slot state (iot_port_fw_*: READY, WRITING, CANDIDATE,
 *    STAGED, TRIAL, REJECTED), which decides what the next boot runs;
 *  - one OTA record per component in the port store (uid
 *    IOT_CONFIG_OTA_STORE_UID_BASE + component), holding what the slots do
 *    not: the announced size and expected version (for resume), the
 *    verified image's version and security counter, the stored
 *    anti-rollback counter and the last failure.
 *
 * The state reported to the application is the slot state, refined by the
 * record while the slot is READY (IDLE or FAILED). Every step orders its two
 * writes so that a crash between them leaves a combination the next call
 * handles:
 *  - begin (fresh): cancel the slot, save the record, start the slot. A
 *    download is resumed only when the slot is WRITING and the record
 *    names the same size and version.
 *  - finalize: save the verdict, then finish (CANDIDATE) or cancel the slot.
 *    A crash in between leaves WRITING, and finalize runs again.
 *  - activate: mark the record "activated", then install (STAGED).
 *  - confirm: accept the slot, then raise the stored counter. A crash in
 *    between is repaired at the next iot_ota_init(), which raises the stored
 *    counter to the running image's own (as MCUboot does at boot).
 *  - an activated record found with a READY slot means the trial ended: the
 *    running image is the new one (confirmed) or the old one (reverted).
 *
 * Record (port store object, 36 bytes, little-endian):
 *   0 u32 magic "COTA"   4 u8 format 1   5 u8 state   6 u8 last failure
 *   7 u8 flags           8 u32 announced size
 *  12 version expected (u8 major, u8 minor, u16 revision, u32 build)
 *  20 version of the verified image   28 u32 its security counter
 *  32 u32 stored security counter
 */
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>

#include "iot_internal.h"
#include "keys/iot_keys_internal.h"
#include "ota_checkpoint.h"
#include "ota_image.h"

#include <psa/crypto.h>

#define LOG_MOD "ota"

#define REC_MAGIC 0x41544F43u
#define REC_FORMAT 1u
#define REC_SIZE 36u

#define REC_F_EXPECTED 0x01u  /* the download names an expected version */
#define REC_F_ACTIVATED 0x02u /* activated, trial not yet decided */
#define REC_F_KNOWN (REC_F_EXPECTED | REC_F_ACTIVATED)

#define OTA_COMPONENTS 2u

/* What the record remembers of the application-visible state. */
typedef enum {
    REC_IDLE = 0,
    REC_DOWNLOADING = 1,
    REC_VERIFIED = 2,
    REC_PENDING = 3,
    REC_FAILED = 4
} rec_state_t;

typedef struct {
    uint8_t state;
    uint8_t last_failure;
    uint8_t flags;
    uint32_t total_size;
    iot_ota_version_t expected;
    iot_ota_version_t pending;
    uint32_t pending_counter;
    uint32_t security_counter;
} ota_record_t;

static struct {
    bool ready;
    size_t key_count;
    iot_key_id_t keys[IOT_OTA_MAX_KEYS];
    uint8_t key_hashes[IOT_OTA_MAX_KEYS][32];
    ota_record_t rec[OTA_COMPONENTS];
} g_ota;

/* ---- Record -------------------------------------------------------------- */

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

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

static void put_version(uint8_t *p, const iot_ota_version_t *v)
{
    p[0] = v->major;
    p[1] = v->minor;
    put_le16(p + 2, v->revision);
    put_le32(p + 4, v->build);
}

static void get_version(const uint8_t *p, iot_ota_version_t *v)
{
    v->major = p[0];
    v->minor = p[1];
    v->revision = (uint16_t)(p[2] | (p[3] << 8));
    v->build = get_le32(p + 4);
}

static iot_port_store_uid_t rec_uid(iot_ota_component_t c)
{
    return (iot_port_store_uid_t)IOT_CONFIG_OTA_STORE_UID_BASE + (iot_port_store_uid_t)c;
}

static iot_status_t rec_load(iot_ota_component_t c, ota_record_t *rec)
{
    uint8_t buf[REC_SIZE];
    size_t size = 0;
    iot_status_t st = iot_port_store_get_info(rec_uid(c), &size);

    memset(rec, 0, sizeof(*rec));
    if (st == IOT_ERR_NOT_FOUND) {
        return IOT_OK; /* never updated: IDLE, counter 0 */
    }
    if (st != IOT_OK) {
        return st;
    }
    if (size != REC_SIZE) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    st = iot_port_store_get(rec_uid(c), 0, sizeof(buf), buf, &size);
    if (st != IOT_OK) {
        return st;
    }
    if (size != REC_SIZE || get_le32(buf) != REC_MAGIC || buf[4] != REC_FORMAT ||
        buf[5] > REC_FAILED || buf[6] > IOT_OTA_REASON_STORAGE || (buf[7] & ~REC_F_KNOWN) != 0u) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    rec->state = buf[5];
    rec->last_failure = buf[6];
    rec->flags = buf[7];
    rec->total_size = get_le32(buf + 8);
    get_version(buf + 12, &rec->expected);
    get_version(buf + 20, &rec->pending);
    rec->pending_counter = get_le32(buf + 28);
    rec->security_counter = get_le32(buf + 32);
    return IOT_OK;
}

/* Save `rec` for component c; the in-memory copy changes only on success,
 * so a failed save leaves the state as it was. */
static iot_status_t rec_save(iot_ota_component_t c, const ota_record_t *rec)
{
    uint8_t buf[REC_SIZE];
    iot_status_t st;

    put_le32(buf, REC_MAGIC);
    buf[4] = REC_FORMAT;
    buf[5] = rec->state;
    buf[6] = rec->last_failure;
    buf[7] = rec->flags;
    put_le32(buf + 8, rec->total_size);
    put_version(buf + 12, &rec->expected);
    put_version(buf + 20, &rec->pending);
    put_le32(buf + 28, rec->pending_counter);
    put_le32(buf + 32, rec->security_counter);
    st = iot_port_store_set(rec_uid(c), buf, sizeof(buf));
    if (st == IOT_OK) {
        g_ota.rec[c] = *rec;
    }
    return st;
}

/* ---- Slots ----------------------------------------------------------------- */

static iot_status_t read_staging(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
    return iot_port_fw_read((iot_port_fw_component_t)(uintptr_t)ctx, offset, buf, len);
}

static iot_status_t read_active(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
    return iot_port_fw_read_active((iot_port_fw_component_t)(uintptr_t)ctx, offset, buf, len,
                                   NULL);
}

/* Version and security counter of the running image. *found is false when
 * there is none, the port cannot read it, or it is not an image; a read
 * error is returned, so that no check is skipped because storage failed. */
static iot_status_t running_image(iot_ota_component_t c, ota_image_result_t *info, bool *found)
{
    uint8_t probe;
    uint32_t size = 0;
    iot_status_t io = IOT_OK;
    iot_status_t st = iot_port_fw_read_active((iot_port_fw_component_t)c, 0, &probe, 1, &size);

    *found = false;
    if (st == IOT_ERR_NOT_FOUND || st == IOT_ERR_NOT_SUPPORTED) {
        return IOT_OK;
    }
    if (st != IOT_OK) {
        return st;
    }
    if (ota_image_read_info(read_active, (void *)(uintptr_t)c, size, info, &io) ==
        IOT_OTA_REASON_NONE) {
        *found = true;
    }
    return io;
}

static bool component_ok(iot_ota_component_t c)
{
    return (unsigned)c < OTA_COMPONENTS;
}


static iot_status_t reason_status(iot_ota_reason_t reason)
{
    switch (reason) {
    case IOT_OTA_REASON_HASH_MISMATCH:
    case IOT_OTA_REASON_UNKNOWN_KEY:
    case IOT_OTA_REASON_BAD_SIGNATURE:
        return IOT_ERR_BAD_SIGNATURE;
    case IOT_OTA_REASON_DOWNGRADE:
    case IOT_OTA_REASON_SECURITY_COUNTER:
        return IOT_ERR_NOT_PERMITTED;
    default:
        return IOT_ERR_BAD_FORMAT;
    }
}

/* The application-visible state for a slot state and the record. */
static iot_ota_state_t visible_state(iot_port_fw_state_t slot, const ota_record_t *rec)
{
    switch (slot) {
    case IOT_PORT_FW_WRITING:
        /* FAILED: a refusal was recorded but its slot cancel was cut. */
        return (rec->state == REC_FAILED) ? IOT_OTA_STATE_FAILED : IOT_OTA_STATE_DOWNLOADING;
    case IOT_PORT_FW_CANDIDATE:
        return IOT_OTA_STATE_VERIFIED;
    case IOT_PORT_FW_STAGED:
        return IOT_OTA_STATE_PENDING;
    case IOT_PORT_FW_TRIAL:
        return IOT_OTA_STATE_TRIAL;
    case IOT_PORT_FW_REJECTED:
        return IOT_OTA_STATE_FAILED;
    default:
        return (rec->state == REC_FAILED) ? IOT_OTA_STATE_FAILED : IOT_OTA_STATE_IDLE;
    }
}

/* Record a refused image and free the slot (the image never becomes pending). */
static iot_status_t fail_update(iot_ota_component_t c, iot_ota_reason_t reason,
                                bool staged)
{
    ota_record_t rec = g_ota.rec[c];
    iot_status_t st;

    IOT_LOGW(LOG_MOD, "component %u: image refused: %s", (unsigned)c,
             iot_ota_reason_name(reason));
    rec.state = REC_FAILED;
    rec.last_failure = (uint8_t)reason;
    rec.flags &= (uint8_t)~REC_F_ACTIVATED;
    st = rec_save(c, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return staged ? iot_port_fw_reject((iot_port_fw_component_t)c)
                  : iot_port_fw_cancel((iot_port_fw_component_t)c);
}

/* After a restart: settle a trial that ended and raise the stored counter to
 * the confirmed running image's (the repair of a confirm cut short). */
static iot_status_t reconcile(iot_ota_component_t c)
{
    ota_record_t rec = g_ota.rec[c];
    iot_port_fw_info_t slot;
    ota_image_result_t run;
    bool have_run;
    bool changed = false;
    iot_status_t st = iot_port_fw_query((iot_port_fw_component_t)c, &slot);

    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_READY && slot.state != IOT_PORT_FW_FAILED) {
        return IOT_OK; /* an update or a trial is still under way */
    }
    st = running_image(c, &run, &have_run);
    if (st != IOT_OK) {
        return st;
    }
    if ((rec.flags & REC_F_ACTIVATED) != 0u) {
        bool is_new = have_run && ota_version_compare(&run.header.version, &rec.pending) == 0 &&
                      run.header.version.build == rec.pending.build &&
                      run.security_counter == rec.pending_counter;

        rec.flags &= (uint8_t)~REC_F_ACTIVATED;
        if (is_new) {
            rec.state = REC_IDLE;
            rec.last_failure = IOT_OTA_REASON_NONE;
        } else {
            rec.state = REC_FAILED;
            if (rec.last_failure != IOT_OTA_REASON_REJECTED) {
                rec.last_failure = IOT_OTA_REASON_REVERTED;
            }
            IOT_LOGW(LOG_MOD, "component %u: the new image was %s; the previous one runs",
                     (unsigned)c, iot_ota_reason_name((iot_ota_reason_t)rec.last_failure));
        }
        changed = true;
    }
    if (have_run && run.security_counter > rec.security_counter) {
        rec.security_counter = run.security_counter;
        changed = true;
    }
    return changed ? rec_save(c, &rec) : IOT_OK;
}

/* Common entry checks; settles a trial that a boot step ended in this
 * process, then fills the slot state. */
static iot_status_t enter(iot_ota_component_t c, iot_port_fw_info_t *slot)
{
    iot_status_t st;

    if (!component_ok(c)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (!g_ota.ready) {
        return IOT_ERR_BAD_STATE;
    }
    if ((g_ota.rec[c].flags & REC_F_ACTIVATED) != 0u) {
        st = reconcile(c);
        if (st != IOT_OK) {
            return st;
        }
    }
    return iot_port_fw_query((iot_port_fw_component_t)c, slot);
}

/* ---- API --------------------------------------------------------------------- */

static iot_status_t key_hash(iot_key_id_t id, uint8_t hash[32])
{
    /* A P-256 SubjectPublicKeyInfo is 91 bytes. */
    uint8_t spki[128];
    size_t len = 0;
    size_t hlen = 0;
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_status_t st = iot_keystore_get_info(id, &info);

    if (st != IOT_OK) {
        return st;
    }
    if (info.key_type != IOT_KEY_TYPE_EC_P256) {
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    st = iot_keys_internal_export_spki(id, spki, sizeof(spki), &len);
    if (st != IOT_OK) {
        return st;
    }
    if (psa_hash_compute(PSA_ALG_SHA_256, spki, len, hash, 32, &hlen) != PSA_SUCCESS) {
        return IOT_ERR_CRYPTO;
    }
    return IOT_OK;
}

iot_status_t iot_ota_init(const iot_ota_config_t *config)
{
    iot_port_fw_info_t slot;
    iot_status_t st;
    size_t i;
    unsigned c;

    if (config == NULL || config->key_count == 0u || config->key_count > IOT_OTA_MAX_KEYS) {
        return IOT_ERR_INVALID_ARG;
    }
    /* PSA Crypto is started by the key store, which must be running. */
    g_ota.ready = false;
    for (i = 0; i < config->key_count; i++) {
        st = key_hash(config->keys[i], g_ota.key_hashes[i]);
        if (st != IOT_OK) {
            return st;
        }
        g_ota.keys[i] = config->keys[i];
    }
    g_ota.key_count = config->key_count;
    for (c = 0; c < OTA_COMPONENTS; c++) {
        st = iot_port_fw_query((iot_port_fw_component_t)c, &slot);
        if (st == IOT_OK) {
            st = rec_load((iot_ota_component_t)c, &g_ota.rec[c]);
        }
        if (st == IOT_OK) {
            st = reconcile((iot_ota_component_t)c);
        }
        if (st != IOT_OK) {
            return st;
        }
    }
    g_ota.ready = true;
    return IOT_OK;
}

static bool same_download(const ota_record_t *rec, uint32_t total_size,
                          const iot_ota_version_t *expected)
{
    /* VERIFIED with the slot still WRITING: finalize() saved its verdict
     * but was cut before it could finish the slot; the bytes are all there. */
    if ((rec->state != REC_DOWNLOADING && rec->state != REC_VERIFIED) ||
        rec->total_size != total_size) {
        return false;
    }
    if (expected == NULL) {
        return (rec->flags & REC_F_EXPECTED) == 0u;
    }
    return (rec->flags & REC_F_EXPECTED) != 0u &&
           ota_version_compare(expected, &rec->expected) == 0 &&
           expected->build == rec->expected.build;
}

iot_status_t iot_ota_begin(iot_ota_component_t component, uint32_t total_size,
                           const iot_ota_version_t *expected)
{
    iot_port_fw_info_t slot;
    ota_record_t rec;
    iot_status_t st;

    if (!component_ok(component) || total_size == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    if (slot.state == IOT_PORT_FW_STAGED || slot.state == IOT_PORT_FW_TRIAL ||
        slot.state == IOT_PORT_FW_REJECTED) {
        return IOT_ERR_BAD_STATE;
    }
    if (slot.state == IOT_PORT_FW_WRITING &&
        same_download(&g_ota.rec[component], total_size, expected)) {
        return IOT_OK; /* resume: iot_ota_get_info() tells from where */
    }
    if (total_size > slot.slot_size) {
        return IOT_ERR_STORAGE_FULL;
    }
    if (slot.state != IOT_PORT_FW_READY) {
        st = iot_port_fw_cancel((iot_port_fw_component_t)component);
        if (st != IOT_OK) {
            return st;
        }
    }
    rec = g_ota.rec[component];
    rec.state = REC_DOWNLOADING;
    rec.last_failure = IOT_OTA_REASON_NONE;
    rec.flags = (expected != NULL) ? REC_F_EXPECTED : 0u;
    rec.total_size = total_size;
    memset(&rec.expected, 0, sizeof(rec.expected));
    if (expected != NULL) {
        rec.expected = *expected;
    }
    memset(&rec.pending, 0, sizeof(rec.pending));
    rec.pending_counter = 0;
    st = rec_save(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return iot_port_fw_start((iot_port_fw_component_t)component);
}

/* Checks of every write: a download under way and the range inside it. */
static iot_status_t write_check(iot_ota_component_t component, uint32_t offset,
                                const uint8_t *data, size_t len)
{
    iot_port_fw_info_t slot;
    iot_status_t st;

    if (!component_ok(component) || (data == NULL && len != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_WRITING || (g_ota.rec[component].state != REC_DOWNLOADING &&
                                              g_ota.rec[component].state != REC_VERIFIED)) {
        return IOT_ERR_BAD_STATE;
    }
    if (offset > g_ota.rec[component].total_size ||
        len > (size_t)(g_ota.rec[component].total_size - offset)) {
        return IOT_ERR_INVALID_ARG;
    }
    return IOT_OK;
}

iot_status_t iot_ota_write(iot_ota_component_t component, uint32_t offset, const uint8_t *data,
                           size_t len)
{
    iot_status_t st = write_check(component, offset, data, len);

    if (st != IOT_OK) {
        return st;
    }
    st = iot_port_fw_write((iot_port_fw_component_t)component, offset, data, len);
    return (st == IOT_ERR_STORAGE_FULL) ? IOT_ERR_IO : st;
}

iot_status_t ota_write_unsynced(iot_ota_component_t component, uint32_t offset,
                                const uint8_t *data, size_t len)
{
#if defined(IOT_PORT_FW_HAS_SYNC) && IOT_PORT_FW_HAS_SYNC
    iot_status_t st = write_check(component, offset, data, len);

    if (st != IOT_OK) {
        return st;
    }
    st = iot_port_fw_write_unsynced((iot_port_fw_component_t)component, offset, data, len);
    return (st == IOT_ERR_STORAGE_FULL) ? IOT_ERR_IO : st;
#else
    return iot_ota_write(component, offset, data, len);
#endif
}

iot_status_t ota_checkpoint(iot_ota_component_t component)
{
    iot_status_t st = write_check(component, 0, NULL, 0);

    if (st != IOT_OK) {
        return st;
    }
#if defined(IOT_PORT_FW_HAS_SYNC) && IOT_PORT_FW_HAS_SYNC
    return iot_port_fw_sync((iot_port_fw_component_t)component);
#else
    return IOT_OK;
#endif
}

/* Verify the image in the staging slot against the configured keys, the
 * running version and the stored counter. IOT_OTA_REASON_STORAGE with
 * *io set when the slot could not be read. */
static iot_ota_reason_t check_image(iot_ota_component_t c, uint32_t total_size,
                                    uint32_t slot_size, ota_image_result_t *img,
                                    iot_status_t *io)
{
    const ota_record_t *rec = &g_ota.rec[c];
    ota_image_result_t run;
    iot_ota_reason_t reason;
    bool have_run;

    *io = IOT_OK;
    if (total_size > slot_size) {
        return IOT_OTA_REASON_TOO_LARGE;
    }
    reason = ota_image_verify(read_staging, (void *)(uintptr_t)c, total_size, g_ota.keys,
                              (const uint8_t(*)[32])g_ota.key_hashes, g_ota.key_count, img, io);
    if (reason != IOT_OTA_REASON_NONE) {
        return reason;
    }
    if ((rec->flags & REC_F_EXPECTED) != 0u &&
        (ota_version_compare(&img->header.version, &rec->expected) != 0 ||
         img->header.version.build != rec->expected.build)) {
        return IOT_OTA_REASON_VERSION_MISMATCH;
    }
    *io = running_image(c, &run, &have_run);
    if (*io != IOT_OK) {
        return IOT_OTA_REASON_STORAGE;
    }
    if (have_run && ota_version_compare(&img->header.version, &run.header.version) < 0) {
        return IOT_OTA_REASON_DOWNGRADE;
    }
    if (img->security_counter < rec->security_counter) {
        return IOT_OTA_REASON_SECURITY_COUNTER;
    }
    return IOT_OTA_REASON_NONE;
}

iot_status_t iot_ota_finalize(iot_ota_component_t component, iot_ota_reason_t *reason)
{
    iot_port_fw_info_t slot;
    ota_image_result_t img;
    ota_record_t rec;
    iot_ota_reason_t why;
    iot_status_t io = IOT_OK;
    iot_status_t st;

    if (reason != NULL) {
        *reason = IOT_OTA_REASON_NONE;
    }
    st = enter(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    rec = g_ota.rec[component];
    if (slot.state != IOT_PORT_FW_WRITING ||
        (rec.state != REC_DOWNLOADING && rec.state != REC_VERIFIED)) {
        return IOT_ERR_BAD_STATE;
    }
    if (slot.written < rec.total_size) {
        return IOT_ERR_INCOMPLETE;
    }
    why = check_image(component, rec.total_size, slot.slot_size, &img, &io);
    if (why == IOT_OTA_REASON_STORAGE) {
        return (io == IOT_OK) ? IOT_ERR_IO : io;
    }
    if (reason != NULL) {
        *reason = why;
    }
    if (why != IOT_OTA_REASON_NONE) {
        st = fail_update(component, why, false);
        return (st == IOT_OK) ? reason_status(why) : st;
    }
    rec.state = REC_VERIFIED;
    rec.pending = img.header.version;
    rec.pending_counter = img.security_counter;
    st = rec_save(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return iot_port_fw_finish((iot_port_fw_component_t)component);
}

iot_status_t iot_ota_activate(iot_ota_component_t component)
{
    iot_port_fw_info_t slot;
    ota_record_t rec;
    iot_status_t st = enter(component, &slot);

    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_CANDIDATE) {
        return IOT_ERR_BAD_STATE;
    }
    rec = g_ota.rec[component];
    rec.state = REC_PENDING;
    rec.flags |= REC_F_ACTIVATED;
    st = rec_save(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return iot_port_fw_install((iot_port_fw_component_t)component);
}

iot_status_t iot_ota_confirm(iot_ota_component_t component)
{
    iot_port_fw_info_t slot;
    ota_record_t rec;
    iot_status_t st = enter(component, &slot);

    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_TRIAL) {
        return IOT_ERR_BAD_STATE;
    }
    st = iot_port_fw_accept((iot_port_fw_component_t)component);
    if (st != IOT_OK) {
        return st;
    }
    /* Only now may the counter rise: the old image can no longer return. */
    rec = g_ota.rec[component];
    rec.state = REC_IDLE;
    rec.last_failure = IOT_OTA_REASON_NONE;
    rec.flags &= (uint8_t)~REC_F_ACTIVATED;
    if (rec.pending_counter > rec.security_counter) {
        rec.security_counter = rec.pending_counter;
    }
    IOT_LOGI(LOG_MOD, "component %u: %u.%u.%u confirmed, security counter %lu",
             (unsigned)component, (unsigned)rec.pending.major, (unsigned)rec.pending.minor,
             (unsigned)rec.pending.revision, (unsigned long)rec.security_counter);
    return rec_save(component, &rec);
}

iot_status_t iot_ota_reject(iot_ota_component_t component)
{
    iot_port_fw_info_t slot;
    ota_record_t rec;
    iot_status_t st = enter(component, &slot);

    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_TRIAL && slot.state != IOT_PORT_FW_STAGED) {
        return IOT_ERR_BAD_STATE;
    }
    rec = g_ota.rec[component];
    rec.state = REC_FAILED;
    rec.last_failure = IOT_OTA_REASON_REJECTED;
    rec.flags &= (uint8_t)~REC_F_ACTIVATED;
    st = rec_save(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return iot_port_fw_reject((iot_port_fw_component_t)component);
}

iot_status_t iot_ota_abort(iot_ota_component_t component)
{
    iot_port_fw_info_t slot;
    ota_record_t rec;
    iot_status_t st = enter(component, &slot);

    if (st != IOT_OK) {
        return st;
    }
    if (slot.state == IOT_PORT_FW_STAGED || slot.state == IOT_PORT_FW_TRIAL ||
        slot.state == IOT_PORT_FW_REJECTED) {
        return IOT_ERR_BAD_STATE;
    }
    rec = g_ota.rec[component];
    rec.state = REC_IDLE;
    rec.last_failure = IOT_OTA_REASON_ABORTED;
    rec.flags = 0;
    st = rec_save(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    return iot_port_fw_cancel((iot_port_fw_component_t)component);
}

iot_status_t iot_ota_check_staged(iot_ota_component_t component, iot_ota_reason_t *reason)
{
    iot_port_fw_info_t slot;
    ota_image_result_t img;
    iot_ota_reason_t why;
    iot_status_t io = IOT_OK;
    iot_status_t st;

    if (reason != NULL) {
        *reason = IOT_OTA_REASON_NONE;
    }
    st = enter(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    if (slot.state != IOT_PORT_FW_STAGED) {
        return IOT_ERR_BAD_STATE;
    }
    why = check_image(component, g_ota.rec[component].total_size, slot.slot_size, &img, &io);
    if (why == IOT_OTA_REASON_STORAGE) {
        return (io == IOT_OK) ? IOT_ERR_IO : io;
    }
    if (why == IOT_OTA_REASON_NONE &&
        (ota_version_compare(&img.header.version, &g_ota.rec[component].pending) != 0 ||
         img.security_counter != g_ota.rec[component].pending_counter)) {
        /* Not the image finalize() verified: the slot changed since. */
        why = IOT_OTA_REASON_HASH_MISMATCH;
    }
    if (reason != NULL) {
        *reason = why;
    }
    if (why == IOT_OTA_REASON_NONE) {
        return IOT_OK;
    }
    st = fail_update(component, why, true);
    return (st == IOT_OK) ? reason_status(why) : st;
}

iot_status_t iot_ota_get_info(iot_ota_component_t component, iot_ota_info_t *info)
{
    iot_port_fw_info_t slot;
    ota_image_result_t run;
    bool have_run;
    const ota_record_t *rec;
    iot_status_t st;

    if (info == NULL || !component_ok(component)) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    rec = &g_ota.rec[component];
    memset(info, 0, sizeof(*info));
    info->state = visible_state(slot.state, rec);
    st = running_image(component, &run, &have_run);
    if (st != IOT_OK) {
        return st;
    }
    if (have_run) {
        info->running = run.header.version;
    }
    switch (info->state) {
    case IOT_OTA_STATE_DOWNLOADING:
        info->pending = rec->expected;
        info->total_size = rec->total_size;
        info->written = (slot.written < rec->total_size) ? slot.written : rec->total_size;
        break;
    case IOT_OTA_STATE_VERIFIED:
    case IOT_OTA_STATE_PENDING:
    case IOT_OTA_STATE_TRIAL:
        info->pending = rec->pending;
        info->total_size = rec->total_size;
        info->written = rec->total_size;
        break;
    default:
        break;
    }
    info->slot_size = slot.slot_size;
    info->security_counter = rec->security_counter;
    info->last_failure = (slot.state == IOT_PORT_FW_REJECTED) ? IOT_OTA_REASON_REJECTED
                                                              : (iot_ota_reason_t)rec->last_failure;
    return IOT_OK;
}

const char *iot_ota_reason_name(iot_ota_reason_t reason)
{
    static const char *const names[] = {
        "NONE",          "BAD_HEADER",     "TRUNCATED",    "TOO_LONG",
        "BAD_TLV",       "HASH_MISMATCH",  "UNKNOWN_KEY",  "BAD_SIGNATURE",
        "TOO_LARGE",     "DOWNGRADE",      "SECURITY_COUNTER", "VERSION_MISMATCH",
        "SIZE_MISMATCH", "ABORTED",        "REJECTED",     "REVERTED",
        "STORAGE",
    };

    if ((unsigned)reason < sizeof(names) / sizeof(names[0])) {
        return names[reason];
    }
    return "UNKNOWN";
}
