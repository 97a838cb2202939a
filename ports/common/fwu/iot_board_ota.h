/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board boot step of OTA updates (board_ota_boot.c): what MCUboot does
 * for a component at a reboot, for the board ports without TF-M and MCUboot.
 * Firmware that uses it adds ports/common/fwu to its include path.
 */
#ifndef IOT_BOARD_OTA_H
#define IOT_BOARD_OTA_H

#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What iot_board_ota_boot() did. */
typedef enum iot_board_boot_result {
    IOT_BOARD_BOOT_NONE = 0,    /**< Nothing to do, or a staged image was refused and dropped. */
    IOT_BOARD_BOOT_TRIAL = 1,   /**< The staged image is now the active one, on trial. */
    IOT_BOARD_BOOT_REVERTED = 2 /**< A trial not confirmed (or rejected) was rolled back. */
} iot_board_boot_result_t;

/**
 * @brief The boot step for one component, as the posix host boot step
 *        (iot_posix_ota_boot()) and MCUboot do it.
 *
 * - STAGED: the image is verified again with iot_ota_check_staged() (hash,
 *   signature, version, security counter); a refused image is dropped
 *   (@p reason says why, @p result is ::IOT_BOARD_BOOT_NONE) and the active
 *   image stays; a valid one becomes the active image on trial
 *   (::IOT_BOARD_BOOT_TRIAL).
 * - TRIAL (not confirmed before this boot) or REJECTED: the previous image
 *   is active again (::IOT_BOARD_BOOT_REVERTED).
 * - any other state: nothing changes.
 *
 * With the RAM storage there is no real reboot on these boards (see
 * ports/common/fwu/fwu_ram.c): the code that runs does not change, only
 * which image area is active, and so the version the OTA module reports as
 * running. Call it at start-up and, with RAM storage, where the device
 * would reboot after iot_ota_activate() or iot_ota_reject(). With the
 * semihost storage (fwu_semihost.c) the reboot request ends the emulated
 * run and the call at the next start-up does the work. The reboot
 * transition applies to every component (as a reboot would), which matters
 * only while another component is downloading: with RAM its download is
 * lost (volatile staging), with the semihost storage it is kept.
 * iot_ota_init() must have been called.
 * @param component Component id.
 * @param result    Receives what was done.
 * @param reason    Receives why a staged image was refused, or
 *                  ::IOT_OTA_REASON_NONE (may be NULL).
 * @retval IOT_OK Done; see @p result and @p reason.
 * @retval IOT_ERR_INVALID_ARG NULL @p result or unknown component.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() was not called.
 * @retval IOT_ERR_IO The firmware-update service failed.
 */
iot_status_t iot_board_ota_boot(iot_port_fw_component_t component,
                                iot_board_boot_result_t *result, iot_ota_reason_t *reason);

#ifdef __cplusplus
}
#endif

#endif /* IOT_BOARD_OTA_H */
