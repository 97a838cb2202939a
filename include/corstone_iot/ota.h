/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ota.h
 * @brief Over-the-air update of signed MCUboot-format images.
 *
 * An update moves one component (the secure or the non-secure image)
 * through these steps:
 *
 *   iot_ota_begin() -> iot_ota_write()... -> iot_ota_finalize() (verify)
 *   -> iot_ota_activate() (pending: the next boot test-boots it)
 *   -> reboot -> self-test -> iot_ota_confirm() or iot_ota_reject().
 *
 * Images use MCUboot's format: a 32-byte header (magic 0x96f3b83d), the
 * image, then TLV areas carrying the SHA-256 of header + image + protected
 * TLVs, the SHA-256 of the signing public key, an ECDSA-P256 signature and
 * a security counter. Verification streams over the staging slot with a
 * constant amount of RAM, whatever the image size. The verification keys
 * are public keys held in the key store (see keys.h) and named by
 * iot_ota_init().
 *
 * Writes are durable when iot_ota_write() returns: after a power cut or a
 * restart, iot_ota_get_info() reports how many bytes are kept, and the
 * download resumes from there with the same iot_ota_begin() arguments.
 *
 * A rejected image never becomes pending; the reason is kept and reported
 * by iot_ota_get_info(). The functions are not thread-safe: call them from
 * one thread (the OTA agent's).
 */
#ifndef CORSTONE_IOT_OTA_H
#define CORSTONE_IOT_OTA_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief An updatable firmware component. */
typedef enum iot_ota_component {
    IOT_OTA_COMPONENT_SECURE = 0,   /**< The secure-world image (TF-M on Corstone). */
    IOT_OTA_COMPONENT_NONSECURE = 1 /**< The non-secure (application) image. */
} iot_ota_component_t;

/** @brief An image version, as in the MCUboot header. */
typedef struct iot_ota_version {
    uint8_t major;     /**< Major number. */
    uint8_t minor;     /**< Minor number. */
    uint16_t revision; /**< Revision number. */
    uint32_t build;    /**< Build number (not used for ordering). */
} iot_ota_version_t;

/** @brief Where a component's update stands. */
typedef enum iot_ota_state {
    IOT_OTA_STATE_IDLE = 0,        /**< No update in progress. */
    IOT_OTA_STATE_DOWNLOADING = 1, /**< iot_ota_begin() was called; bytes are being written. */
    IOT_OTA_STATE_VERIFIED = 2,    /**< iot_ota_finalize() accepted the image. */
    IOT_OTA_STATE_PENDING = 3,     /**< Activated: the next boot test-boots the new image. */
    IOT_OTA_STATE_TRIAL = 4,       /**< Running the new image on trial: confirm or reject it. */
    IOT_OTA_STATE_FAILED = 5       /**< The last update failed; see iot_ota_info_t::last_failure. */
} iot_ota_state_t;

/** @brief Why an image or an update was refused. */
typedef enum iot_ota_reason {
    IOT_OTA_REASON_NONE = 0,             /**< No failure recorded. */
    IOT_OTA_REASON_BAD_HEADER = 1,       /**< Bad magic, header size or flags in the image header. */
    IOT_OTA_REASON_TRUNCATED = 2,        /**< The image ends before its header and TLVs say it does. */
    IOT_OTA_REASON_TOO_LONG = 3,         /**< Bytes follow the TLV areas, or more bytes than announced. */
    IOT_OTA_REASON_BAD_TLV = 4,          /**< A TLV area is malformed, out of bounds or lacks a required entry. */
    IOT_OTA_REASON_HASH_MISMATCH = 5,    /**< The SHA-256 TLV does not match the image. */
    IOT_OTA_REASON_UNKNOWN_KEY = 6,      /**< The key-hash TLV names no configured verification key. */
    IOT_OTA_REASON_BAD_SIGNATURE = 7,    /**< The signature does not verify. */
    IOT_OTA_REASON_TOO_LARGE = 8,        /**< The image does not fit the staging slot. */
    IOT_OTA_REASON_DOWNGRADE = 9,        /**< The version is older than the running one. */
    IOT_OTA_REASON_SECURITY_COUNTER = 10, /**< The security counter is lower than the stored one. */
    IOT_OTA_REASON_VERSION_MISMATCH = 11, /**< The version is not the one iot_ota_begin() expected. */
    IOT_OTA_REASON_SIZE_MISMATCH = 12,   /**< Reserved: an image whose own size disagrees with the announced one is reported as ::IOT_OTA_REASON_TRUNCATED or ::IOT_OTA_REASON_TOO_LONG. */
    IOT_OTA_REASON_ABORTED = 13,         /**< iot_ota_abort() cancelled the update. */
    IOT_OTA_REASON_REJECTED = 14,        /**< iot_ota_reject() refused the image on trial. */
    IOT_OTA_REASON_REVERTED = 15,        /**< The image on trial was not confirmed before a reboot. */
    IOT_OTA_REASON_STORAGE = 16          /**< The slot or the state record could not be written. */
} iot_ota_reason_t;

/** @brief Largest number of verification keys iot_ota_init() accepts. */
#define IOT_OTA_MAX_KEYS 4

/** @brief Configuration for iot_ota_init(). */
typedef struct iot_ota_config {
    /** Public keys (ECDSA P-256) in the key store that may sign images. */
    iot_key_id_t keys[IOT_OTA_MAX_KEYS];
    /** Number of entries used in @ref keys (1 to ::IOT_OTA_MAX_KEYS). */
    size_t key_count;
} iot_ota_config_t;

/** @brief What iot_ota_get_info() reports about a component. */
typedef struct iot_ota_info {
    iot_ota_state_t state;          /**< Current state. */
    iot_ota_version_t running;      /**< Version of the image running now. */
    iot_ota_version_t pending;      /**< Version of the new image (DOWNLOADING with an expected version, and later). */
    uint32_t total_size;            /**< Announced size of the image being downloaded. */
    uint32_t written;               /**< Bytes durably written from offset 0 without a gap: resume the download from here. */
    uint32_t slot_size;             /**< Capacity of the staging slot. */
    uint32_t security_counter;      /**< Stored anti-rollback security counter. */
    iot_ota_reason_t last_failure;  /**< Why the last update failed, or ::IOT_OTA_REASON_NONE. */
} iot_ota_info_t;

/**
 * @brief Start the OTA module: name the verification keys and load each
 *        component's persisted state.
 * @param config Keys that may sign images. The key store must be initialised.
 * @retval IOT_OK Ready.
 * @retval IOT_ERR_INVALID_ARG NULL @p config, or a key count of 0 or above ::IOT_OTA_MAX_KEYS.
 * @retval IOT_ERR_NOT_FOUND A key id is not in the key store.
 * @retval IOT_ERR_WRONG_KEY_TYPE A key is not an ECDSA P-256 public key or key pair.
 * @retval IOT_ERR_BAD_STATE The key store is not started, or the port's firmware slots are not configured.
 * @retval IOT_ERR_STORAGE_CORRUPT A persisted state record fails its integrity check.
 * @retval IOT_ERR_IO A state record could not be read or written.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 */
IOT_API iot_status_t iot_ota_init(const iot_ota_config_t *config);

/**
 * @brief Begin (or resume) downloading an image into a component's staging slot.
 *
 * When a download of the same @p total_size and @p expected version is
 * already in progress (for example before a restart), it is resumed: the
 * bytes already written are kept and iot_ota_get_info() reports them.
 * Otherwise the staging slot is erased and a new download starts.
 * @param component  The component to update.
 * @param total_size Exact size of the signed image, TLVs included.
 * @param expected   Version the image must carry, or NULL to accept any newer one.
 * @retval IOT_OK Ready for iot_ota_write().
 * @retval IOT_ERR_INVALID_ARG Unknown component or zero @p total_size.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() not called, or an image is pending, on trial or rejected.
 * @retval IOT_ERR_STORAGE_FULL @p total_size exceeds the staging slot; nothing changed.
 * @retval IOT_ERR_IO The slot could not be erased or the state saved.
 */
IOT_API iot_status_t iot_ota_begin(iot_ota_component_t component, uint32_t total_size,
                                   const iot_ota_version_t *expected);

/**
 * @brief Write image bytes at @p offset (any chunk size).
 *
 * The bytes are durable when the call returns ::IOT_OK. The resume point
 * (iot_ota_info_t::written) advances over bytes written without a gap from
 * offset 0, so write in order to make progress survive a restart.
 * @param component The component being downloaded.
 * @param offset    Offset in the image.
 * @param data      Bytes.
 * @param len       Number of bytes.
 * @retval IOT_OK Written.
 * @retval IOT_ERR_INVALID_ARG NULL @p data with non-zero @p len, or @p offset + @p len beyond the announced size.
 * @retval IOT_ERR_BAD_STATE No download in progress.
 * @retval IOT_ERR_IO The write failed; the bytes before @p offset are kept.
 */
IOT_API iot_status_t iot_ota_write(iot_ota_component_t component, uint32_t offset,
                                   const uint8_t *data, size_t len);

/**
 * @brief Verify the downloaded image: format, hash, signature, version and
 *        security counter.
 * @param component The component being downloaded.
 * @param reason    Receives why the image was refused (may be NULL).
 * @retval IOT_OK The image is valid; the component is VERIFIED.
 * @retval IOT_ERR_INCOMPLETE Not all announced bytes are written yet (state unchanged).
 * @retval IOT_ERR_BAD_FORMAT Refused for format, size or TLV reasons; the component is FAILED.
 * @retval IOT_ERR_BAD_SIGNATURE Refused: hash, key or signature; the component is FAILED.
 * @retval IOT_ERR_NOT_PERMITTED Refused: downgrade or security counter; the component is FAILED.
 * @retval IOT_ERR_BAD_STATE No download in progress.
 * @retval IOT_ERR_IO The slot or the running image could not be read; nothing changed.
 */
IOT_API iot_status_t iot_ota_finalize(iot_ota_component_t component, iot_ota_reason_t *reason);

/**
 * @brief Mark the verified image pending: the next boot test-boots it.
 * @param component The component.
 * @retval IOT_OK Pending; reboot (iot_port_fw_request_reboot()) to run it.
 * @retval IOT_ERR_BAD_STATE The component is not VERIFIED.
 * @retval IOT_ERR_IO The state could not be saved.
 */
IOT_API iot_status_t iot_ota_activate(iot_ota_component_t component);

/**
 * @brief Accept the image running on trial after its self-test: it becomes
 *        permanent and the stored security counter is raised to its own.
 * @param component The component.
 * @retval IOT_OK Confirmed.
 * @retval IOT_ERR_BAD_STATE The component is not on trial.
 * @retval IOT_ERR_IO The state could not be saved.
 */
IOT_API iot_status_t iot_ota_confirm(iot_ota_component_t component);

/**
 * @brief Refuse the image on trial (or a pending one): the next boot runs
 *        the previous image.
 * @param component The component.
 * @retval IOT_OK Rejected.
 * @retval IOT_ERR_BAD_STATE The component is neither on trial nor pending.
 * @retval IOT_ERR_IO The state could not be saved.
 */
IOT_API iot_status_t iot_ota_reject(iot_ota_component_t component);

/**
 * @brief Abandon a download or a verified image that is not activated yet.
 * @param component The component.
 * @retval IOT_OK Back to IDLE (last failure ::IOT_OTA_REASON_ABORTED).
 * @retval IOT_ERR_BAD_STATE The component is pending or on trial.
 * @retval IOT_ERR_IO The state could not be saved.
 */
IOT_API iot_status_t iot_ota_abort(iot_ota_component_t component);

/**
 * @brief Verify the staged (pending) image again, as a boot loader does
 *        before it swaps the image in.
 *
 * Host boot steps call it before iot_posix_fw_boot(); on boards MCUboot
 * does the same check. The image must still be the one iot_ota_finalize()
 * accepted, signed by a configured key, not older than the running image
 * and with a security counter not lower than the stored one. An image that
 * fails is dropped: the component goes back to the running image and
 * reports FAILED with the reason.
 * @param component The component.
 * @param reason    Receives why the image was refused (may be NULL).
 * @retval IOT_OK The staged image may be test-booted.
 * @retval IOT_ERR_INVALID_ARG Unknown component.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() not called, or no image is pending.
 * @retval IOT_ERR_BAD_FORMAT Refused for format reasons; the image was dropped.
 * @retval IOT_ERR_BAD_SIGNATURE Refused: hash, key or signature; the image was dropped.
 * @retval IOT_ERR_NOT_PERMITTED Refused: downgrade or security counter; the image was dropped.
 * @retval IOT_ERR_IO The slot could not be read.
 */
IOT_API iot_status_t iot_ota_check_staged(iot_ota_component_t component,
                                          iot_ota_reason_t *reason);

/**
 * @brief Report a component's versions, state, progress and last failure.
 * @param component The component.
 * @param info      Receives the report.
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL @p info or unknown component.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() not called.
 * @retval IOT_ERR_IO The slot state or the running image could not be read.
 */
IOT_API iot_status_t iot_ota_get_info(iot_ota_component_t component, iot_ota_info_t *info);

/**
 * @brief Name of a failure reason, e.g. "BAD_SIGNATURE" (never NULL).
 * @param reason A reason.
 * @return A static string.
 */
IOT_API const char *iot_ota_reason_name(iot_ota_reason_t reason);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_OTA_H */
