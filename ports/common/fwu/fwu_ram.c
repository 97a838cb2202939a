/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RAM backend of the PSA Firmware Update stand-in (fwu_service.c), the
 * default (IOT_BOARD_STORAGE=ram). NOT PERSISTENT: a reset loses every image
 * area and every state (all components come back READY, with no active
 * image). NO ISOLATION: any code in the image can read and write the areas.
 * NO REAL REBOOT: a reset would lose the areas, so psa_fwu_request_reboot()
 * answers PSA_ERROR_NOT_SUPPORTED.
 *
 * Memory: the board's linker script reserves the region IOT_FW_SLOTS and
 * sections.ld exports its bounds (iot_fw_slots_start/_end). The region is
 * cut into two image areas per component.
 */
#include <string.h>

#include "fwu_backend.h"

/* Linker-script symbols (ports/common/cortex_m/sections.ld). */
extern uint8_t iot_fw_slots_start[];
extern uint8_t iot_fw_slots_end[];

uint32_t iot_fwu_be_area_size(void)
{
    uintptr_t bytes = (uintptr_t)iot_fw_slots_end - (uintptr_t)iot_fw_slots_start;

    /* Whole words, so that every area starts aligned. */
    return (uint32_t)(bytes / (IOT_FWU_COMPONENT_COUNT * IOT_FWU_AREAS_PER_COMPONENT)) & ~3u;
}

static uint8_t *area(psa_fwu_component_t component, unsigned index)
{
    return iot_fw_slots_start +
           ((size_t)component * IOT_FWU_AREAS_PER_COMPONENT + index) *
               (size_t)iot_fwu_be_area_size();
}

uint32_t iot_fwu_be_flags(void)
{
    return PSA_FWU_FLAG_VOLATILE_STAGING;
}

uint32_t iot_fwu_be_location(psa_fwu_component_t component, unsigned index)
{
    return (uint32_t)(uintptr_t)area(component, index);
}

psa_status_t iot_fwu_be_read(psa_fwu_component_t component, unsigned index, uint32_t offset,
                             void *buf, size_t len)
{
    memcpy(buf, area(component, index) + offset, len);
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_be_write(psa_fwu_component_t component, unsigned index, uint32_t offset,
                              const void *data, size_t len)
{
    memcpy(area(component, index) + offset, data, len);
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_be_erase(psa_fwu_component_t component, unsigned index, uint32_t len)
{
    memset(area(component, index), 0, len);
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_be_state_load(void *state, size_t len)
{
    (void)state;
    (void)len;
    return PSA_ERROR_DOES_NOT_EXIST; /* RAM content is unknown at power-on */
}

psa_status_t iot_fwu_be_state_save(const void *state, size_t len)
{
    (void)state;
    (void)len;
    return PSA_SUCCESS;
}

psa_status_t iot_fwu_be_reboot(void)
{
    return PSA_ERROR_NOT_SUPPORTED;
}
