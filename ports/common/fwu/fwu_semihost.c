/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semihost backend of the PSA Firmware Update stand-in (fwu_service.c),
 * IOT_BOARD_STORAGE=semihost: the image areas and the service's state live
 * in the board "flash" file (ports/common/storage/iot_flash.h), so an
 * update survives a reset, a reboot request and the emulator being killed.
 *
 * !!! EMULATOR / DEBUG ONLY, NO ISOLATION: on a board without a debugger
 * attached the first semihosting call is a HardFault; any code in the image
 * and anyone on the host can read and change the images and the state. A
 * product runs TF-M's Firmware Update service and MCUboot instead.
 *
 * State: one two-copy record (flash_record.c): every state change is
 * stored whole or not at all. Image bytes are written before the state that
 * counts them. psa_fwu_request_reboot() ends the emulated run with exit
 * status IOT_BOARD_EXIT_REBOOT (4): the test harness starts the emulator
 * again on the same file, and the boot step runs as after a reset. RAM: the
 * record descriptor (24 bytes).
 */
#include "cortex_m.h"
#include "fwu_backend.h"
#include "iot_flash.h"

#define FWU_MAGIC 0x31555746u /* "FWU1" */

static iot_flash_rec_t g_rec = { { IOT_FLASH_FWU_STATE_0, IOT_FLASH_FWU_STATE_1 }, 0u, FWU_MAGIC,
                                 0u, 0u, 0u };

uint32_t iot_fwu_be_area_size(void)
{
    return IOT_BOARD_FLASH_AREA_SIZE;
}

uint32_t iot_fwu_be_flags(void)
{
    return 0u; /* persistent staging */
}

uint32_t iot_fwu_be_location(psa_fwu_component_t component, unsigned index)
{
    return IOT_FLASH_AREAS +
           ((uint32_t)component * IOT_FWU_AREAS_PER_COMPONENT + index) * IOT_BOARD_FLASH_AREA_SIZE;
}

psa_status_t iot_fwu_be_read(psa_fwu_component_t component, unsigned index, uint32_t offset,
                             void *buf, size_t len)
{
    return (iot_flash_read(iot_fwu_be_location(component, index) + offset, buf, len) == 0)
               ? PSA_SUCCESS
               : PSA_ERROR_STORAGE_FAILURE;
}

psa_status_t iot_fwu_be_write(psa_fwu_component_t component, unsigned index, uint32_t offset,
                              const void *data, size_t len)
{
    return (iot_flash_write(iot_fwu_be_location(component, index) + offset, data, len) == 0)
               ? PSA_SUCCESS
               : PSA_ERROR_STORAGE_FAILURE;
}

psa_status_t iot_fwu_be_erase(psa_fwu_component_t component, unsigned index, uint32_t len)
{
    return (iot_flash_erase(iot_fwu_be_location(component, index), len) == 0)
               ? PSA_SUCCESS
               : PSA_ERROR_STORAGE_FAILURE;
}

psa_status_t iot_fwu_be_state_load(void *state, size_t len)
{
    size_t n = 0;
    int r;

    if (len > IOT_FLASH_FWU_STATE_CAP) {
        return PSA_ERROR_STORAGE_FAILURE;
    }
    g_rec.cap = (uint32_t)len; /* a longer stored record is another layout */
    r = iot_flash_rec_load(&g_rec, state, &n);
    if (r == IOT_FLASH_REC_BLANK) {
        return PSA_ERROR_DOES_NOT_EXIST;
    }
    if (r == IOT_FLASH_REC_CORRUPT || (r == IOT_FLASH_REC_FOUND && n != len)) {
        return PSA_ERROR_DATA_CORRUPT; /* damaged, or another layout */
    }
    return (r == IOT_FLASH_REC_FOUND) ? PSA_SUCCESS : PSA_ERROR_STORAGE_FAILURE;
}

psa_status_t iot_fwu_be_state_save(const void *state, size_t len)
{
    return (iot_flash_rec_save(&g_rec, state, len) == 0) ? PSA_SUCCESS
                                                          : PSA_ERROR_STORAGE_FAILURE;
}

psa_status_t iot_fwu_be_reboot(void)
{
    /* Everything is in the file already: end the run; the harness boots
     * the board again on the same file. */
    iot_cm_semihost_exit(IOT_BOARD_EXIT_REBOOT);
}
