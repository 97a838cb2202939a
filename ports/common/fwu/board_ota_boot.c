/* SPDX-License-Identifier: Apache-2.0 */
/* The board boot step: verify a staged image, then make the reboot
 * transition of the firmware-update service (see iot_board_ota.h). */
#include <stddef.h>

#include "iot_board_ota.h"
#include "iot_fwu.h"

iot_status_t iot_board_ota_boot(iot_port_fw_component_t component,
                                iot_board_boot_result_t *result, iot_ota_reason_t *reason)
{
    iot_port_fw_info_t slot;
    psa_fwu_component_info_t fwu;
    iot_status_t st;

    if (reason != NULL) {
        *reason = IOT_OTA_REASON_NONE;
    }
    if (result == NULL || component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_INVALID_ARG;
    }
    *result = IOT_BOARD_BOOT_NONE;
    st = iot_port_fw_query(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    switch (slot.state) {
    case IOT_PORT_FW_STAGED:
        st = iot_ota_check_staged((iot_ota_component_t)component, reason);
        if (st == IOT_ERR_BAD_FORMAT || st == IOT_ERR_BAD_SIGNATURE ||
            st == IOT_ERR_NOT_PERMITTED) {
            return IOT_OK; /* refused and dropped: the active image stays */
        }
        if (st != IOT_OK) {
            return st;
        }
        break;
    case IOT_PORT_FW_TRIAL:
    case IOT_PORT_FW_REJECTED:
        break;
    default:
        return IOT_OK;
    }
    if (iot_fwu_boot_transition() != PSA_SUCCESS ||
        psa_fwu_query((psa_fwu_component_t)component, &fwu) != PSA_SUCCESS) {
        return IOT_ERR_IO;
    }
    if (fwu.state == PSA_FWU_TRIAL) {
        *result = IOT_BOARD_BOOT_TRIAL;
        return IOT_OK;
    }
    if (fwu.state == PSA_FWU_FAILED) {
        /* Rolled back: erase the rejected image, as the posix step does. */
        if (psa_fwu_clean((psa_fwu_component_t)component) != PSA_SUCCESS) {
            return IOT_ERR_IO;
        }
        *result = IOT_BOARD_BOOT_REVERTED;
        return IOT_OK;
    }
    return IOT_ERR_IO; /* the service did not make the transition */
}
