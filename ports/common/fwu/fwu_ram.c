/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STAND-IN for a TF-M Firmware Update service: psa_fwu_* (iot_fwu.h) over
 * image areas in RAM. NOT PERSISTENT: a reset loses every image area and
 * every state (all components come back READY, with no active image). NO
 * ISOLATION: any code in the image can read and write the areas. NO REAL
 * REBOOT: psa_fwu_request_reboot() answers PSA_ERROR_NOT_SUPPORTED, and
 * iot_fwu_boot_transition() makes the state changes a boot loader makes at
 * a reboot. It exists so that the OTA module runs and is tested on the
 * emulated boards until a TF-M Firmware Update service is linked instead
 * (configure with -DIOT_BOARD_FWU=external; see ports/common/net.cmake).
 *
 * Memory: the board's linker script reserves the region IOT_FW_SLOTS and
 * sections.ld exports its bounds (iot_fw_slots_start/_end). The region is
 * cut into two image areas per component, A and B, like the primary and
 * secondary slots of an A/B boot loader (the specification's "active" and
 * "second" locations): one holds the active image, the other is the
 * staging area. Installing at the (emulated) reboot swaps their roles
 * without copying; a rollback swaps them back.
 *
 * Images are not verified here (the OTA module verifies them before it
 * installs, and the board boot step verifies a staged image again):
 * psa_fwu_finish() and psa_fwu_install() only change the state, as the
 * specification allows for an update service that defers verification.
 * Writes need no alignment (PSA_FWU_LOG2_WRITE_ALIGN 0). Not thread-safe:
 * the board ports run one thread.
 */
#include <string.h>

#include "iot_fwu.h"

/* Linker-script symbols (ports/common/cortex_m/sections.ld). */
extern uint8_t iot_fw_slots_start[];
extern uint8_t iot_fw_slots_end[];

#define AREAS_PER_COMPONENT 2u
#define MCUBOOT_MAGIC 0x96f3b83du

typedef struct {
    uint8_t state;        /* PSA_FWU_* */
    uint8_t active;       /* index (0 or 1) of the area that holds the active image */
    uint8_t has_active;   /* the active area holds an image */
    uint8_t has_previous; /* TRIAL, REJECTED, UPDATED: the second area holds the previous image */
    psa_status_t error;   /* reason recorded for a FAILED or REJECTED image */
    uint32_t written;     /* bytes of the second area covered by writes since start */
    uint32_t active_size; /* bytes of the active image */
    uint32_t previous_size;
    uint32_t dirty[AREAS_PER_COMPONENT]; /* bytes of each area that may be non-zero */
} fwu_component_t;

static fwu_component_t g_comp[IOT_FWU_COMPONENT_COUNT];
static int g_initialised;

static uint32_t area_size(void)
{
    uintptr_t bytes = (uintptr_t)iot_fw_slots_end - (uintptr_t)iot_fw_slots_start;

    /* Whole words, so that every area starts aligned. */
    return (uint32_t)(bytes / (IOT_FWU_COMPONENT_COUNT * AREAS_PER_COMPONENT)) & ~3u;
}

static uint8_t *area(psa_fwu_component_t component, unsigned index)
{
    return iot_fw_slots_start +
           ((size_t)component * AREAS_PER_COMPONENT + index) * (size_t)area_size();
}

/* The component's record, or NULL when there is no such component. RAM
 * content is unknown at power-on, so every area counts as dirty until the
 * first start() erases it. */
static fwu_component_t *component_get(psa_fwu_component_t component)
{
    if (!g_initialised) {
        unsigned c;

        for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
            memset(&g_comp[c], 0, sizeof(g_comp[c]));
            g_comp[c].state = PSA_FWU_READY;
            g_comp[c].dirty[0] = area_size();
            g_comp[c].dirty[1] = area_size();
        }
        g_initialised = 1;
    }
    return (component < IOT_FWU_COMPONENT_COUNT) ? &g_comp[component] : NULL;
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
static void active_version(psa_fwu_component_t component, const fwu_component_t *comp,
                           psa_fwu_image_version_t *version)
{
    const uint8_t *img = area(component, comp->active);

    memset(version, 0, sizeof(*version));
    if (!comp->has_active || comp->active_size < 32u || get_le32(img) != MCUBOOT_MAGIC) {
        return;
    }
    version->major = img[20];
    version->minor = img[21];
    version->patch = (uint16_t)(img[22] | (img[23] << 8));
    version->build = get_le32(img + 24);
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
    fwu_component_t *comp = component_get(component);

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (info == NULL) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof(*info));
    info->state = comp->state;
    info->error = comp->error;
    active_version(component, comp, &info->version);
    info->max_size = area_size();
    info->flags = PSA_FWU_FLAG_VOLATILE_STAGING;
    info->location = (uint32_t)(uintptr_t)area(component, comp->active);
    info->impl.second_location = (uint32_t)(uintptr_t)area(component, second_index(comp));
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_start(psa_fwu_component_t component, const void *manifest,
                           size_t manifest_size)
{
    fwu_component_t *comp = component_get(component);
    unsigned second;

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (comp->state != PSA_FWU_READY) {
        return PSA_ERROR_BAD_STATE;
    }
    /* The manifest is bundled with the image (MCUboot TLVs): none detached. */
    if (manifest != NULL || manifest_size != 0u) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    /* Erase what may hold an older image, so that unwritten bytes read as zero. */
    second = second_index(comp);
    memset(area(component, second), 0, comp->dirty[second]);
    comp->dirty[second] = 0;
    comp->written = 0;
    comp->error = PSA_SUCCESS;
    comp->has_previous = 0;
    comp->state = PSA_FWU_WRITING;
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_write(psa_fwu_component_t component, size_t image_offset, const void *block,
                           size_t block_size)
{
    fwu_component_t *comp = component_get(component);
    unsigned second;
    uint32_t end;

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (comp->state != PSA_FWU_WRITING) {
        return PSA_ERROR_BAD_STATE;
    }
    if (block == NULL || block_size == 0u || block_size > PSA_FWU_MAX_WRITE_SIZE ||
        !range_ok(image_offset, block_size, area_size())) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    second = second_index(comp);
    memcpy(area(component, second) + image_offset, block, block_size);
    end = (uint32_t)(image_offset + block_size);
    if (end > comp->written) {
        comp->written = end;
    }
    if (end > comp->dirty[second]) {
        comp->dirty[second] = end;
    }
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_finish(psa_fwu_component_t component)
{
    fwu_component_t *comp = component_get(component);

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (comp->state != PSA_FWU_WRITING) {
        return PSA_ERROR_BAD_STATE;
    }
    comp->state = PSA_FWU_CANDIDATE;
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_cancel(psa_fwu_component_t component)
{
    fwu_component_t *comp = component_get(component);

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (comp->state != PSA_FWU_WRITING && comp->state != PSA_FWU_CANDIDATE) {
        return PSA_ERROR_BAD_STATE;
    }
    comp->state = PSA_FWU_FAILED;
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_clean(psa_fwu_component_t component)
{
    fwu_component_t *comp = component_get(component);

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (comp->state != PSA_FWU_FAILED && comp->state != PSA_FWU_UPDATED) {
        return PSA_ERROR_BAD_STATE;
    }
    /* The second area (a failed image, or the image an update replaced) is
     * erased by the next start(), which has to erase anyway. */
    comp->has_previous = 0;
    comp->previous_size = 0;
    comp->written = 0;
    comp->error = PSA_SUCCESS;
    comp->state = PSA_FWU_READY;
    return PSA_SUCCESS;
}

psa_status_t psa_fwu_install(void)
{
    unsigned c;

    (void)component_get(0);
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
    return PSA_SUCCESS_REBOOT;
}

psa_status_t psa_fwu_request_reboot(void)
{
    /* A reset would lose the RAM image areas: there is nothing to reboot into. */
    return PSA_ERROR_NOT_SUPPORTED;
}

psa_status_t psa_fwu_reject(psa_status_t error)
{
    psa_status_t st = PSA_SUCCESS;
    unsigned c;

    (void)component_get(0);
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
            st = PSA_SUCCESS_REBOOT;
        } else {
            /* not affected */
        }
    }
    return st;
}

psa_status_t psa_fwu_accept(void)
{
    unsigned c;

    (void)component_get(0);
    if (!any_in_state(PSA_FWU_TRIAL, PSA_FWU_TRIAL, PSA_FWU_TRIAL)) {
        return PSA_ERROR_BAD_STATE;
    }
    for (c = 0; c < IOT_FWU_COMPONENT_COUNT; c++) {
        if (g_comp[c].state == PSA_FWU_TRIAL) {
            g_comp[c].state = PSA_FWU_UPDATED;
        }
    }
    return PSA_SUCCESS;
}

/* ---- Board extensions -------------------------------------------------- */

psa_status_t iot_fwu_read_second(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len)
{
    const fwu_component_t *comp = component_get(component);

    if (comp == NULL) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if ((buf == NULL && len != 0u) || !range_ok(offset, len, area_size())) {
        return PSA_ERROR_INVALID_ARGUMENT;
    }
    if (len != 0u) {
        memcpy(buf, area(component, second_index(comp)) + offset, len);
    }
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_read_active(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len, uint32_t *size)
{
    const fwu_component_t *comp = component_get(component);
    size_t have = 0;

    if (comp == NULL || !comp->has_active) {
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
        memcpy(buf, area(component, comp->active) + offset, have);
    }
    if (len > have) {
        memset((uint8_t *)buf + have, 0, len - have);
    }
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_boot_transition(void)
{
    unsigned c;

    (void)component_get(0);
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
            /* Volatile staging (PSA_FWU_FLAG_VOLATILE_STAGING): what was being
             * prepared or was to be erased is gone after a reset. */
            comp->has_previous = 0;
            comp->previous_size = 0;
            comp->written = 0;
            comp->state = PSA_FWU_READY;
            break;
        default:
            break; /* READY stays READY */
        }
    }
    return PSA_SUCCESS;
}
