/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: the verifying host boot step (verify a staged image, then
 * decide like MCUboot with iot_posix_fw_boot()). */
#include <stddef.h>

#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "posix_fw_internal.h"

iot_status_t iot_posix_ota_boot(iot_port_fw_component_t component,
                                iot_posix_boot_result_t *result, iot_ota_reason_t *reason)
{
    iot_port_fw_info_t slot;
    iot_status_t st;

    if (reason != NULL) {
        *reason = IOT_OTA_REASON_NONE;
    }
    if (result == NULL || component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_INVALID_ARG;
    }
    *result = IOT_POSIX_BOOT_NONE;
    st = iot_port_fw_query(component, &slot);
    if (st != IOT_OK) {
        return st;
    }
    if (slot.state == IOT_PORT_FW_STAGED) {
        int present = 0;

        st = posix_fw_staging_present(component, &present);
        if (st != IOT_OK) {
            return st;
        }
        if (!present) {
            /* A swap was cut after the image moved in: finish it. */
            return iot_posix_fw_boot(component, result);
        }
        st = iot_ota_check_staged((iot_ota_component_t)component, reason);
        if (st == IOT_ERR_BAD_FORMAT || st == IOT_ERR_BAD_SIGNATURE ||
            st == IOT_ERR_NOT_PERMITTED) {
            return IOT_OK; /* refused and dropped: the running image stays */
        }
        if (st != IOT_OK) {
            return st;
        }
    }
    return iot_posix_fw_boot(component, result);
}
