/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STAND-IN for a TF-M Firmware Update service: psa_fwu_* (iot_fwu.h) over
 * the image areas and state of a backend (fwu_backend.h): RAM (fwu_ram.c,
 * NOT PERSISTENT, the default) or the emulator's semihost "flash" file
 * (fwu_semihost.c, persistent, emulator only). NO ISOLATION with either:
 * any code in the image can read and write the areas. With the RAM backend
 * there is NO REAL REBOOT (psa_fwu_request_reboot() answers
 * PSA_ERROR_NOT_SUPPORTED); with the semihost one the reboot request ends
 * the emulated run and the harness starts it again. iot_fwu_boot_transition()
 * makes the state changes a boot loader makes at a reboot. It exists so
 * that the OTA module runs and is tested on the emulated boards until a
 * TF-M Firmware Update service is linked instead (configure with
 * -DIOT_BOARD_FWU=external; see ports/common/net.cmake).
 *
 * Two image areas per component, A and B, like the primary and secondary
 * slots of an A/B boot loader (the specification's "active" and "second"
 * locations): one holds the active image, the other is the staging area.
 * Installing at the reboot swaps their roles without copying; a rollback
 * swaps them back.
 *
 * State: g_comp, loaded from the backend at the first call and stored after
 * every change (a persistent backend stores it whole or not at all); when
 * storing fails the change is undone in RAM and the call fails with
 * PSA_ERROR_STORAGE_FAILURE. Image bytes are written before the state that
 * counts them, so the resume point (iot_fwu_written()) never covers bytes a
 * power cut can lose. A damaged stored state makes every call fail with
 * PSA_ERROR_DATA_CORRUPT (nothing is guessed or overwritten).
 *
 * Images are not verified here (the OTA module verifies them before it
 * installs, and the board boot step verifies a staged image again):
 * psa_fwu_finish() and psa_fwu_install() only change the state, as the
 * specification allows for an update service that defers verification.
 * Writes need no alignment (PSA_FWU_LOG2_WRITE_ALIGN 0). Not thread-safe:
 * the board ports run one thread.
 */
#include <string.h>

#include "fwu_backend.h"
#include "iot_fwu.h"

#define MCUBOOT_MAGIC 0x96f3b83du
#define DIRTY_STEP 0x10000u

typedef struct {
    uint8_t state;        /* PSA_FWU_* */
    uint8_t active;       /* index (0 or 1) of the area that holds the active image */
    uint8_t has_active;   /* the active area holds an image */
    uint8_t has_previous; /* TRIAL, REJECTED, UPDATED: the second area holds the previous image */
    psa_status_t error;   /* reason recorded for a FAILED or REJECTED image */
    uint32_t written;     /* bytes of the second area covered by writes since start */
    uint32_t contiguous;  /* of those, written from offset 0 without a gap (resume point) */
    uint32_t active_size; /* bytes of the active image */
    uint32_t previous_size;
    uint32_t dirty[IOT_FWU_AREAS_PER_COMPONENT]; /* bytes of each area that may be non-zero */
} fwu_component_t;

static fwu_component_t g_comp[IOT_FWU_COMPONENT_COUNT];

/* The active image's version, read once per active image (a read of the
 * semihost file costs two semihosting calls, and every port call queries). */
typedef struct {
    psa_fwu_image_version_t version;
    uint32_t size;
    uint8_t active;
    uint8_t valid;
} version_cache_t;
static version_cache_t g_ver[IOT_FWU_COMPONENT_COUNT];
static fwu_component_t g_saved[IOT_FWU_COMPONENT_COUNT]; /* before the change being made */
static int g_initialised;

static uint32_t area_size(void)
{
    return iot_fwu_be_area_size();
}

/* Load the state once. Nothing stored (a fresh board, or RAM): every
 * component READY with no image, and every area counts as dirty (its
 * content is unknown) until the first start() erases it. */
static psa_status_t load(void)
{
    psa_status_t st;
    unsigned c;

    if (g_initialised) {
        return PSA_SUCCESS;
    }
    st = iot_fwu_be_state_load(g_comp, sizeof(g_comp));
    if (st == PSA_SUCCESS) {
        for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
            const fwu_component_t *k = &g_comp[c];

            if (k->state > PSA_FWU_UPDATED || k->active > 1u || k->written > area_size() ||
                k->contiguous > k->written || k->active_size > area_size() ||
                k->previous_size > area_size() || k->dirty[0] > area_size() ||
                k->dirty[1] > area_size()) {
                memset(g_comp, 0, sizeof(g_comp));
                return PSA_ERROR_DATA_CORRUPT;
            }
        }
    } else if (st == PSA_ERROR_DOES_NOT_EXIST) {
        for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
            memset(&g_comp[c], 0, sizeof(g_comp[c]));
            g_comp[c].state = PSA_FWU_READY;
            g_comp[c].dirty[0] = area_size();
            g_comp[c].dirty[1] = area_size();
        }
    } else {
        memset(g_comp, 0, sizeof(g_comp));
        return st; /* damaged or unreadable: every call fails, nothing is guessed */
    }
    g_initialised = 1;
    return PSA_SUCCESS;
}

/* The component's record (NULL and *st set when there is no such component
 * or the state cannot be loaded); remembers the state before the change. */
static fwu_component_t *component_get_st(psa_fwu_component_t component, psa_status_t *st)
{
    *st = load();
    if (*st != PSA_SUCCESS) {
        return NULL;
    }
    if (component >= IOT_FWU_COMPONENT_COUNT) {
        *st = PSA_ERROR_DOES_NOT_EXIST;
        return NULL;
    }
    memcpy(g_saved, g_comp, sizeof(g_comp));
    return &g_comp[component];
}

/* Store the changed state; on failure undo the change. */
static psa_status_t commit(void)
{
    if (iot_fwu_be_state_save(g_comp, sizeof(g_comp)) != PSA_SUCCESS) {
        memcpy(g_comp, g_saved, sizeof(g_comp));
        return PSA_ERROR_STORAGE_FAILURE;
    }
    return PSA_SUCCESS;
}

/* For the calls that act on every component. */
static psa_status_t load_all(void)
{
    psa_status_t st = load();

    if (st == PSA_SUCCESS) {
        memcpy(g_saved, g_comp, sizeof(g_comp));
    }
    return st;
}

static unsigned second_index(const fwu_component_t *comp)
{
    return (unsigned)comp->active ^ 1u;
}

/* offset + len <= cap without overflow. */
static int range_ok(size_t offset, size_t len, uint32_t cap)
{
    return offset <= cap && len <= (size_t)cap - offset;
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Version of the active image, from its MCUboot header (zero when there is
 * none or it is not an MCUboot image). */
static psa_status_t active_version(psa_fwu_component_t component, const fwu_component_t *comp,
                                   psa_fwu_image_version_t *version)
{
    version_cache_t *vc = &g_ver[component];
    uint8_t img[32];
    psa_status_t st;

    memset(version, 0, sizeof(*version));
    if (!comp->has_active || comp->active_size < 32u) {
        return PSA_SUCCESS;
    }
    /* The service never writes the active area: its header changes only
     * when another area (or another image size) becomes active. */
    if (vc->valid && vc->active == comp->active && vc->size == comp->active_size) {
        *version = vc->version;
        return PSA_SUCCESS;
    }
    st = iot_fwu_be_read(component, comp->active, 0, img, sizeof(img));
    if (st != PSA_SUCCESS) {
        return st;
    }
    if (get_le32(img) == MCUBOOT_MAGIC) {
        version->major = img[20];
        version->minor = img[21];
        version->patch = (uint16_t)(img[22] | (img[23] << 8));
        version->build = get_le32(img + 24);
    }
    vc->version = *version;
    vc->active = comp->active;
    vc->size = comp->active_size;
    vc->valid = 1;
    return PSA_SUCCESS;
}

static int any_in_state(uint8_t a, uint8_t b, uint8_t c)
{
    unsigned i;

    for (i = 0; i < IOT_FWU_COMPONENT_COUNT; i++) {
        uint8_t s = g_comp[i].state;
        if (s == a || s == b || s == c) {
            return 1;
        }
    }
    return 0;
}

psa_status_t psa_fwu_query(psa_fwu_component_t component, psa_fwu_component_info_t *info)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if (info == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof(*info));
    info->state = comp->state;
    info->error = comp->error;
    st = active_version(component, comp, &info->version);
    if (st != PSA_SUCCESS) {
        return st;
    }
    info->max_size = area_size();
    info->flags = iot_fwu_be_flags();
    info->location = iot_fwu_be_location(component, comp->active);
    info->impl.second_location = iot_fwu_be_location(component, second_index(comp));
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_start(psa_fwu_component_t component, const void *manifest,
                           size_t manifest_size)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);
    unsigned second;

    if (comp == NULL) {
        return st;
    }
    if (comp->state != PSA_FWU_READY) {
        return PSA_ERROR_BAD_STATE;
    }
    /* The manifest is bundled with the image (MCUboot TLVs): none detached. */
    if (manifest != NULL || manifest_size != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    /* Erase what may hold an older image, so that unwritten bytes read as
     * zero; the state says WRITING only once that is done. */
    second = second_index(comp);
    st = iot_fwu_be_erase(component, second, comp->dirty[second]);
    if (st != PSA_SUCCESS) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    comp->dirty[second] = 0;
    comp->written = 0;
    comp->contiguous = 0;
    comp->error = PSA_SUCCESS;
    comp->has_previous = 0;
    comp->state = PSA_FWU_WRITING;
    return commit();
}

psa_status_t psa_fwu_write(psa_fwu_component_t component, size_t image_offset, const void *block,
                           size_t block_size)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);
    unsigned second;
    uint32_t end;

    if (comp == NULL) {
        return st;
    }
    if (comp->state != PSA_FWU_WRITING) {
        return PSA_ERROR_BAD_STATE;
    }
    if (block == NULL || block_size == 0u || block_size > PSA_FWU_MAX_WRITE_SIZE ||
        !range_ok(image_offset, block_size, area_size())) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    second = second_index(comp);
    end = (uint32_t)(image_offset + block_size);
    /* The area may hold these bytes before the state says so (it is dirty
     * up to end first): the data, then the state that counts it. */
    if (end > comp->dirty[second]) {
        /* In steps of 64 KiB, like erase blocks: one extra state write per 64 KiB. */
        uint32_t dirty = (end + (DIRTY_STEP - 1u)) & ~(DIRTY_STEP - 1u);

        comp->dirty[second] = (dirty > area_size() || dirty < end) ? area_size() : dirty;
        if ((st = commit()) != PSA_SUCCESS) {
            return st;
        }
        memcpy(g_saved, g_comp, sizeof(g_comp));
    }
    st = iot_fwu_be_write(component, second, (uint32_t)image_offset, block, block_size);
    if (st != PSA_SUCCESS) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    if (end > comp->written) {
        comp->written = end;
    }
    if (image_offset <= comp->contiguous && end > comp->contiguous) {
        comp->contiguous = end;
    }
    return commit();
}

psa_status_t psa_fwu_finish(psa_fwu_component_t component)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if (comp->state != PSA_FWU_WRITING) {
        return PSA_ERROR_BAD_STATE;
    }
    comp->state = PSA_FWU_CANDIDATE;
    return commit();
}

psa_status_t psa_fwu_cancel(psa_fwu_component_t component)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if (comp->state != PSA_FWU_WRITING && comp->state != PSA_FWU_CANDIDATE) {
        return PSA_ERROR_BAD_STATE;
    }
    comp->state = PSA_FWU_FAILED;
    return commit();
}

psa_status_t psa_fwu_clean(psa_fwu_component_t component)
{
    psa_status_t st;
    fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if (comp->state != PSA_FWU_FAILED && comp->state != PSA_FWU_UPDATED) {
        return PSA_ERROR_BAD_STATE;
    }
    /* The second area (a failed image, or the image an update replaced) is
     * erased by the next start(), which has to erase anyway. */
    comp->has_previous = 0;
    comp->previous_size = 0;
    comp->written = 0;
    comp->contiguous = 0;
    comp->error = PSA_SUCCESS;
    comp->state = PSA_FWU_READY;
    return commit();
}

psa_status_t psa_fwu_install(void)
{
    psa_status_t st = load_all();
    unsigned c;

    if (st != PSA_SUCCESS) {
        return st;
    }
    /* One installation at a time, and at least one candidate. */
    if (any_in_state(PSA_FWU_STAGED, PSA_FWU_TRIAL, PSA_FWU_REJECTED) ||
        !any_in_state(PSA_FWU_CANDIDATE, PSA_FWU_CANDIDATE, PSA_FWU_CANDIDATE)) {
        return PSA_ERROR_BAD_STATE;
    }
    for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
        if (g_comp[c].state == PSA_FWU_CANDIDATE) {
            g_comp[c].state = PSA_FWU_STAGED;
        }
    }
    st = commit();
    return (st == PSA_SUCCESS) ? PSA_SUCCESS_REBOOT : st;
}

psa_status_t psa_fwu_request_reboot(void)
{
    psa_status_t st = load_all();

    /* RAM: a reset would lose the image areas, there is nothing to reboot
     * into (PSA_ERROR_NOT_SUPPORTED). Semihost: the run ends here. */
    return (st == PSA_SUCCESS) ? iot_fwu_be_reboot() : st;
}

psa_status_t psa_fwu_reject(psa_status_t error)
{
    psa_status_t st = load_all();
    psa_status_t ok = PSA_SUCCESS;
    unsigned c;

    if (st != PSA_SUCCESS) {
        return st;
    }
    if (!any_in_state(PSA_FWU_STAGED, PSA_FWU_TRIAL, PSA_FWU_TRIAL)) {
        return PSA_ERROR_BAD_STATE;
    }
    for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
        if (g_comp[c].state == PSA_FWU_STAGED) {
            /* Never installed: the active image stays. */
            g_comp[c].state = PSA_FWU_FAILED;
            g_comp[c].error = error;
        } else if (g_comp[c].state == PSA_FWU_TRIAL) {
            /* The previous image comes back at the next reboot. */
            g_comp[c].state = PSA_FWU_REJECTED;
            g_comp[c].error = error;
            ok = PSA_SUCCESS_REBOOT;
        } else {
            /* not affected */
        }
    }
    st = commit();
    return (st == PSA_SUCCESS) ? ok : st;
}

psa_status_t psa_fwu_accept(void)
{
    psa_status_t st = load_all();
    unsigned c;

    if (st != PSA_SUCCESS) {
        return st;
    }
    if (!any_in_state(PSA_FWU_TRIAL, PSA_FWU_TRIAL, PSA_FWU_TRIAL)) {
        return PSA_ERROR_BAD_STATE;
    }
    for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
        if (g_comp[c].state == PSA_FWU_TRIAL) {
            g_comp[c].state = PSA_FWU_UPDATED;
        }
    }
    return commit();
}

/* ---- Board extensions -------------------------------------------------- */

psa_status_t iot_fwu_read_second(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len)
{
    psa_status_t st;
    const fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if ((buf == NULL && len != 0u) || !range_ok(offset, len, area_size())) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (len == 0u) {
        return PSA_SUCCESS;
    }
    return iot_fwu_be_read(component, second_index(comp), (uint32_t)offset, buf, len);
}

psa_status_t iot_fwu_read_active(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len, uint32_t *size)
{
    psa_status_t st;
    const fwu_component_t *comp = component_get_st(component, &st);
    size_t have = 0;

    if (comp == NULL) {
        return st;
    }
    if (!comp->has_active) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (buf == NULL && len != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (size != NULL) {
        *size = comp->active_size;
    }
    if (offset < comp->active_size) {
        have = comp->active_size - offset;
        if (have > len) {
            have = len;
        }
        st = iot_fwu_be_read(component, comp->active, (uint32_t)offset, buf, have);
        if (st != PSA_SUCCESS) {
            return st;
        }
    }
    if (len > have) {
        memset((uint8_t *)buf + have, 0, len - have);
    }
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_written(psa_fwu_component_t component, uint32_t *bytes)
{
    psa_status_t st;
    const fwu_component_t *comp = component_get_st(component, &st);

    if (comp == NULL) {
        return st;
    }
    if (bytes == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    *bytes = (comp->state == PSA_FWU_WRITING || comp->state == PSA_FWU_CANDIDATE ||
              comp->state == PSA_FWU_STAGED)
                 ? comp->contiguous
                 : 0u;
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_boot_transition(void)
{
    psa_status_t st = load_all();
    const int is_volatile = (iot_fwu_be_flags() & PSA_FWU_FLAG_VOLATILE_STAGING) != 0u;
    unsigned c;

    if (st != PSA_SUCCESS) {
        return st;
    }
    for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
        fwu_component_t *comp = &g_comp[c];

        switch (comp->state) {
        case PSA_FWU_STAGED:
            /* Install: the staged image becomes active, the old one is kept. */
            comp->active = (uint8_t)second_index(comp);
            comp->has_previous = comp->has_active;
            comp->previous_size = comp->active_size;
            comp->has_active = 1;
            comp->active_size = comp->written;
            comp->state = PSA_FWU_TRIAL;
            break;
        case PSA_FWU_TRIAL:
        case PSA_FWU_REJECTED:
            /* Roll back: the previous image (or none) is active again. */
            comp->active = (uint8_t)second_index(comp);
            comp->has_active = comp->has_previous;
            comp->active_size = comp->previous_size;
            comp->has_previous = 0;
            comp->previous_size = 0;
            comp->state = PSA_FWU_FAILED;
            break;
        case PSA_FWU_WRITING:
        case PSA_FWU_CANDIDATE:
        case PSA_FWU_FAILED:
        case PSA_FWU_UPDATED:
            if (is_volatile) {
                /* Volatile staging (PSA_FWU_FLAG_VOLATILE_STAGING): what was
                 * being prepared or was to be erased is gone after a reset. */
                comp->has_previous = 0;
                comp->previous_size = 0;
                comp->written = 0;
                comp->contiguous = 0;
                comp->state = PSA_FWU_READY;
            }
            /* Persistent staging: a download in progress survives the reboot. */
            break;
        default:
            break; /* READY stays READY */
        }
    }
    return commit();
}
