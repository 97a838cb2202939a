/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file posix.h
 * @brief Settings of the posix (Linux host) port and its host boot step.
 *
 * On posix the firmware slots of port.h are files in one directory, which
 * the application names with iot_posix_fw_set_dir() before it uses any
 * iot_port_fw_*() function. For each component N (0 secure, 1 non-secure)
 * the directory holds:
 *
 * - `cN.active`: the image the host runs;
 * - `cN.staging`: the staging slot that iot_port_fw_write() fills;
 * - `cN.previous`: the image that ran before the one on trial;
 * - `cN.state`: the update state, replaced atomically on every change.
 *
 * A host launcher plays the boot loader: before it starts the application
 * it calls iot_posix_fw_boot() for each component, which swaps an installed
 * image in for a trial run or reverts a trial that was not accepted, and
 * then runs the file named by iot_posix_fw_active_path().
 *
 * The port object store of port.h (which holds the key store) is also a
 * directory of files, named with iot_posix_store_set_dir().
 *
 * Only the posix port implements the functions declared here.
 */
#ifndef CORSTONE_IOT_POSIX_H
#define CORSTONE_IOT_POSIX_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Longest firmware directory path in bytes (without NUL), after resolution. */
#define IOT_POSIX_FW_DIR_MAX 255

/** @brief Default capacity of each staging slot in bytes (32 MiB). */
#define IOT_POSIX_FW_DEFAULT_SLOT_SIZE (32u * 1024u * 1024u)

/** @brief Largest staging slot capacity iot_posix_fw_set_slot_size() accepts, in bytes. */
#define IOT_POSIX_FW_MAX_SLOT_SIZE 0x7FFFFFFFu

/** @brief What iot_posix_fw_boot() did to a component. */
typedef enum iot_posix_boot_result {
    IOT_POSIX_BOOT_NONE = 0,    /**< Nothing to do: the active image runs unchanged. */
    IOT_POSIX_BOOT_TRIAL = 1,   /**< The staged image became active for a trial run (state TRIAL). */
    IOT_POSIX_BOOT_REVERTED = 2 /**< The trial image was not accepted: the previous image is active again (state READY). */
} iot_posix_boot_result_t;

/**
 * @brief Called by iot_port_fw_request_reboot() to restart the application.
 *
 * The hook may restart the process (for example with execv() of the host
 * launcher) and not return; if it returns, iot_port_fw_request_reboot()
 * returns ::IOT_OK and the restart is the hook's business.
 * @param user The pointer given to iot_posix_fw_set_reboot_hook().
 */
typedef void (*iot_posix_reboot_hook_t)(void *user);

/**
 * @brief Name the directory that holds the firmware slots.
 *
 * Missing directories on the path are created with mode 0700. The path is
 * resolved to an absolute path and copied, so later changes of the working
 * directory do not matter. Until this succeeds every iot_port_fw_*()
 * function and iot_posix_fw_boot() return ::IOT_ERR_BAD_STATE: the slots
 * never default to the working directory.
 * @param dir Directory path, NUL-terminated.
 * @retval IOT_OK The directory exists and is now in use.
 * @retval IOT_ERR_INVALID_ARG @p dir is NULL or empty, or it (or its
 *         resolved form) is longer than ::IOT_POSIX_FW_DIR_MAX bytes.
 * @retval IOT_ERR_IO The directory could not be created or is not a directory.
 * @par Thread safety
 * Safe from any thread; call it during start-up.
 */
IOT_API iot_status_t iot_posix_fw_set_dir(const char *dir);

/**
 * @brief Set the capacity of the staging slots.
 *
 * Takes effect at the next iot_port_fw_start(); an update in progress keeps
 * the capacity it started with. The default is ::IOT_POSIX_FW_DEFAULT_SLOT_SIZE.
 * @param bytes Capacity in bytes, 1 to ::IOT_POSIX_FW_MAX_SLOT_SIZE.
 * @retval IOT_OK Set.
 * @retval IOT_ERR_INVALID_ARG @p bytes is 0 or above ::IOT_POSIX_FW_MAX_SLOT_SIZE.
 * @par Thread safety
 * Safe from any thread.
 */
IOT_API iot_status_t iot_posix_fw_set_slot_size(uint32_t bytes);

/**
 * @brief Install the function that iot_port_fw_request_reboot() calls.
 *
 * Without a hook iot_port_fw_request_reboot() returns ::IOT_ERR_NOT_SUPPORTED.
 * @param hook The hook, or NULL to remove it.
 * @param user Passed unchanged to @p hook.
 * @par Thread safety
 * Safe from any thread.
 */
IOT_API void iot_posix_fw_set_reboot_hook(iot_posix_reboot_hook_t hook, void *user);

/**
 * @brief The host boot step for one component, as a boot loader would run it.
 *
 * Decides as MCUboot's swap with a test image does (it moves files; image
 * verification is not part of this step):
 * - STAGED: the staging image becomes the active image, the old active
 *   image is kept as the previous image, the state becomes TRIAL and
 *   @p result ::IOT_POSIX_BOOT_TRIAL;
 * - TRIAL (the trial image was not accepted before this boot) or REJECTED:
 *   the previous image becomes active again (if there was none, the trial
 *   image is removed), the state becomes READY and @p result
 *   ::IOT_POSIX_BOOT_REVERTED;
 * - any other state: nothing changes and @p result is ::IOT_POSIX_BOOT_NONE.
 *
 * Every step is crash-safe: if the process dies part-way, the next call
 * completes the same decision. Call it before the application starts, from
 * the one process that owns the directory.
 * @param component Component id.
 * @param result    Receives what was done.
 * @retval IOT_OK Done; see @p result.
 * @retval IOT_ERR_INVALID_ARG NULL @p result.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE iot_posix_fw_set_dir() was not called.
 * @retval IOT_ERR_STORAGE_CORRUPT The state record is damaged; nothing was changed.
 * @retval IOT_ERR_IO A file operation failed; calling again resumes the step.
 */
IOT_API iot_status_t iot_posix_fw_boot(iot_port_fw_component_t component,
                                       iot_posix_boot_result_t *result);

/**
 * @brief The path of a component's active image file, for a host launcher.
 *
 * The file need not exist (a component that never had an image has none).
 * @param component Component id.
 * @param buf       Receives the NUL-terminated path.
 * @param cap       Capacity of @p buf in bytes.
 * @retval IOT_OK Stored.
 * @retval IOT_ERR_INVALID_ARG NULL @p buf.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE iot_posix_fw_set_dir() was not called.
 * @retval IOT_ERR_BUFFER_TOO_SMALL The path and its NUL do not fit in @p cap bytes.
 */
IOT_API iot_status_t iot_posix_fw_active_path(iot_port_fw_component_t component, char *buf,
                                              size_t cap);

/**
 * @brief The verifying host boot step: check a staged image, then boot.
 *
 * When the component has an image pending, it is verified first with
 * iot_ota_check_staged() (hash, signature, version and security counter);
 * an image that fails is dropped and @p result is ::IOT_POSIX_BOOT_NONE.
 * Then iot_posix_fw_boot() swaps a valid image in for a trial run, or
 * reverts a trial that was not confirmed. iot_ota_init() must have been
 * called (it names the verification keys); iot_ota_get_info() reflects the
 * outcome at once.
 * @param component Component id.
 * @param result    Receives what was done.
 * @param reason    Receives why a staged image was refused, or
 *                  ::IOT_OTA_REASON_NONE (may be NULL).
 * @retval IOT_OK Done; see @p result and @p reason.
 * @retval IOT_ERR_INVALID_ARG NULL @p result or unknown component.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() or iot_posix_fw_set_dir() was not called.
 * @retval IOT_ERR_STORAGE_CORRUPT The state record is damaged; nothing was changed.
 * @retval IOT_ERR_IO A file operation failed; calling again resumes the step.
 */
IOT_API iot_status_t iot_posix_ota_boot(iot_port_fw_component_t component,
                                        iot_posix_boot_result_t *result,
                                        iot_ota_reason_t *reason);

/** @brief Longest object store directory path in bytes (without NUL), after resolution. */
#define IOT_POSIX_STORE_DIR_MAX 255

/**
 * @brief Name the directory of the port object store (the key store's files).
 *
 * Missing directories on the path are created with mode 0700; objects are
 * files of mode 0600 named after their uid. The path is resolved to an
 * absolute path and copied, so later changes of the working directory do
 * not matter. Until this succeeds every iot_port_store_*() function returns
 * ::IOT_ERR_BAD_STATE: the store never defaults to the working directory.
 * Two processes must not use one directory at the same time.
 * @param dir Directory path, NUL-terminated.
 * @retval IOT_OK The directory exists and is now in use.
 * @retval IOT_ERR_INVALID_ARG @p dir is NULL or empty, or it (or its
 *         resolved form) is longer than ::IOT_POSIX_STORE_DIR_MAX bytes.
 * @retval IOT_ERR_NOT_PERMITTED The directory already exists and group or
 *         others may access it (its mode is not 0700 or stricter), or
 *         another user owns it.
 * @retval IOT_ERR_IO The directory could not be created or is not a directory.
 * @par Thread safety
 * Safe from any thread; call it during start-up, before iot_keystore_init().
 */
IOT_API iot_status_t iot_posix_store_set_dir(const char *dir);


/**
 * @brief Set the security lifecycle state the posix port reports in
 *        attestation tokens (default ::IOT_ATTEST_LIFECYCLE_SECURED, 0x3000).
 *
 * A host has no lifecycle fuses; this stands in for them, for example to
 * show a device in debug or decommissioned state to a verifier.
 * @param lifecycle A state of attest.h (IOT_ATTEST_LIFECYCLE_*) or any
 *                  value within 0x0000..0x60FF.
 * @retval IOT_OK Set.
 * @retval IOT_ERR_INVALID_ARG @p lifecycle is above 0x60FF.
 */
IOT_API iot_status_t iot_posix_attest_set_lifecycle(uint16_t lifecycle);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_POSIX_H */
