/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the PSA Firmware Update stand-in (fwu_service.c) keeps its image
 * areas and its state: one backend is linked.
 *   fwu_ram.c       image areas in the RAM region IOT_FW_SLOTS, state in
 *                   RAM: NOT PERSISTENT (the default, IOT_BOARD_STORAGE=ram)
 *   fwu_semihost.c  image areas and a two-copy state record in the semihost
 *                   "flash" file: persistent, emulator only
 *                   (IOT_BOARD_STORAGE=semihost)
 * Both: NO ISOLATION. Internal to the board ports.
 */
#ifndef IOT_FWU_BACKEND_H
#define IOT_FWU_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "iot_fwu.h"

#define IOT_FWU_AREAS_PER_COMPONENT 2u

/** Bytes of each image area (a multiple of 4). */
uint32_t iot_fwu_be_area_size(void);

/** PSA_FWU_FLAG_* the components report (PSA_FWU_FLAG_VOLATILE_STAGING for RAM). */
uint32_t iot_fwu_be_flags(void);

/** Where area @p index of @p component is (an address, or an offset in the file). */
uint32_t iot_fwu_be_location(psa_fwu_component_t component, unsigned index);

/** Read bytes of an area (the range is checked by the caller). */
psa_status_t iot_fwu_be_read(psa_fwu_component_t component, unsigned index, uint32_t offset,
                             void *buf, size_t len);

/** Write bytes into an area, durable on return for a persistent backend. */
psa_status_t iot_fwu_be_write(psa_fwu_component_t component, unsigned index, uint32_t offset,
                              const void *data, size_t len);

/** Make the first @p len bytes of an area read as zero. */
psa_status_t iot_fwu_be_erase(psa_fwu_component_t component, unsigned index, uint32_t len);

/** Load the service's state (@p len bytes). PSA_SUCCESS; PSA_ERROR_DOES_NOT_EXIST
 *  when nothing is stored (a fresh start: every area may hold anything);
 *  PSA_ERROR_DATA_CORRUPT; PSA_ERROR_STORAGE_FAILURE. */
psa_status_t iot_fwu_be_state_load(void *state, size_t len);

/** Store the service's state, whole or not at all, durable on return. */
psa_status_t iot_fwu_be_state_save(const void *state, size_t len);

/** psa_fwu_request_reboot(): PSA_ERROR_NOT_SUPPORTED, or does not return. */
psa_status_t iot_fwu_be_reboot(void);

#endif /* IOT_FWU_BACKEND_H */
