/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file ota_agent.h
 * @brief The device side of OTA delivery over MQTT (doc/ota-protocol.md).
 *
 * The agent rides on an MQTT client the application connected with
 * iot_connect(). It subscribes to the device's job and block topics, takes
 * a job notification, requests the image block by block (a sliding window
 * of requests), writes the blocks into the staging slot and makes them
 * durable every ::IOT_CONFIG_OTA_CHECKPOINT_BYTES and at the end (each block
 * on a port without unsynced writes), verifies the image with
 * iot_ota_finalize(), activates it and asks for a reboot. After the reboot
 * it runs the application's self-test on the image on trial and confirms
 * or rejects it. It reports every step on the device's status topic.
 *
 * A restart at any point resumes: the agent keeps a small job record in
 * the port object store (iot_port_store_set(), uid
 * ::IOT_CONFIG_OTA_AGENT_STORE_UID) and the OTA module keeps the bytes
 * written, so the download continues from the last durable checkpoint
 * (see ::iot_ota_agent_config_t::checkpoint_bytes).
 *
 * @par Memory
 * No heap: one agent from a static pool of ::IOT_CONFIG_OTA_AGENT_MAX
 * entries, about 450 bytes each (a PSA hash operation for the transfer
 * hash included) plus its topic strings (4 x
 * ::IOT_CONFIG_OTA_AGENT_TOPIC_MAX bytes): 840 bytes of static RAM with the
 * defaults on Cortex-M55, whatever the image size. The stack peaks at
 * ::IOT_CONFIG_OTA_AGENT_READ_CHUNK plus about 650 bytes while the transfer
 * hash is checked. Blocks are written straight from
 * the client's receive buffer, which must hold one block message: block
 * size + topic length + 15 bytes (lend a larger @c rx_buffer in
 * ::iot_connect_options_t for large blocks).
 *
 * @par Threads
 * Message callbacks (on the client's reading thread) write blocks and
 * request more; iot_ota_agent_step() (on the application's thread) handles
 * time-outs, verification, activation, reboot and the trial. The agent
 * serialises the two with a port mutex, so a background client thread is
 * fine.
 */
#ifndef CORSTONE_IOT_OTA_AGENT_H
#define CORSTONE_IOT_OTA_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/export.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name OTA agent configuration (override with IOT_CONFIG_FILE)
 *  @{ */

/** @brief Most OTA agents that exist at once (a static pool). */
#ifndef IOT_CONFIG_OTA_AGENT_MAX
#define IOT_CONFIG_OTA_AGENT_MAX 1
#endif

/** @brief Default bytes per block the agent requests (fits the default 4 KiB receive buffer). */
#ifndef IOT_CONFIG_OTA_AGENT_BLOCK_SIZE
#define IOT_CONFIG_OTA_AGENT_BLOCK_SIZE 3072
#endif

/** @brief Default number of blocks requested ahead of the last one written (the window). */
#ifndef IOT_CONFIG_OTA_AGENT_WINDOW
#define IOT_CONFIG_OTA_AGENT_WINDOW 8
#endif

/** @brief Default silence, in milliseconds, after which requested blocks are requested again. */
#ifndef IOT_CONFIG_OTA_AGENT_REQUEST_TIMEOUT_MS
#define IOT_CONFIG_OTA_AGENT_REQUEST_TIMEOUT_MS 2000
#endif

/** @brief Longest topic the agent builds, in bytes with the NUL ("devices/\<id\>/ota/status"). */
#ifndef IOT_CONFIG_OTA_AGENT_TOPIC_MAX
#define IOT_CONFIG_OTA_AGENT_TOPIC_MAX 96
#endif

/**
 * @brief Bytes of stack the agent uses to read the downloaded image back for
 *        its transfer SHA-256 check (one iot_port_fw_read() per chunk).
 */
#ifndef IOT_CONFIG_OTA_AGENT_READ_CHUNK
#define IOT_CONFIG_OTA_AGENT_READ_CHUNK 1024
#endif

/** @brief Port store uid of the agent's persisted job record. */
#ifndef IOT_CONFIG_OTA_AGENT_STORE_UID
#define IOT_CONFIG_OTA_AGENT_STORE_UID 0x4F544100u
#endif
/** @} */

/** @brief An OTA agent; opaque. Obtained from iot_ota_agent_start(). */
typedef struct iot_ota_agent iot_ota_agent_t;

/** @brief Where the agent's current job stands. */
typedef enum iot_ota_agent_phase {
    IOT_OTA_AGENT_IDLE = 0,        /**< No job, or the last one is finished. */
    IOT_OTA_AGENT_DOWNLOADING = 1, /**< Requesting and writing blocks. */
    IOT_OTA_AGENT_VERIFYING = 2,   /**< All bytes written; iot_ota_finalize() is due. */
    IOT_OTA_AGENT_ACTIVATING = 3,  /**< Verified; activation and reboot are due. */
    IOT_OTA_AGENT_REBOOTING = 4,   /**< Pending image; waiting for the reboot. */
    IOT_OTA_AGENT_TESTING = 5,     /**< Running the new image on trial; self-test due. */
    IOT_OTA_AGENT_SUCCEEDED = 6,   /**< The new image is confirmed. */
    IOT_OTA_AGENT_FAILED = 7       /**< The job failed; see ::iot_ota_agent_status_t::reason. */
} iot_ota_agent_phase_t;

/**
 * @brief The application's self-test of an image on trial.
 * @param user ::iot_ota_agent_config_t::self_test_user.
 * @return true to confirm the image, false to reject it (the next boot reverts).
 */
typedef bool (*iot_ota_agent_self_test_t)(void *user);

/**
 * @brief Restarts the device so that a pending image is test-booted.
 * @param user ::iot_ota_agent_config_t::reboot_user.
 * @return Normally does not return. If it returns, the agent stays in
 *         ::IOT_OTA_AGENT_REBOOTING and the restart is the application's business.
 */
typedef void (*iot_ota_agent_reboot_t)(void *user);

/**
 * @brief Told about every phase change and written block.
 * @param phase   The current phase.
 * @param written Bytes of the image written so far, in order from the
 *                start; durable up to the last checkpoint (see
 *                ::iot_ota_agent_config_t::checkpoint_bytes; the durable
 *                count is ::iot_ota_agent_status_t::written).
 * @param total   Size of the image.
 * @param user    ::iot_ota_agent_config_t::progress_user.
 */
typedef void (*iot_ota_agent_progress_t)(iot_ota_agent_phase_t phase, uint32_t written,
                                         uint32_t total, void *user);

/**
 * @brief How the agent works. Initialise with ::IOT_OTA_AGENT_CONFIG_INIT,
 *        then set at least @c device_id.
 */
typedef struct iot_ota_agent_config {
    uint32_t struct_size;                /**< sizeof(iot_ota_agent_config_t); set by the INIT macro. */
    const char *device_id;               /**< Names the topics: devices/\<device_id\>/ota/...; no '/', '+', '#' (copied). */
    uint32_t block_size;                 /**< Bytes per block; 0 gives ::IOT_CONFIG_OTA_AGENT_BLOCK_SIZE. */
    uint32_t window;                     /**< Blocks requested ahead; 0 gives ::IOT_CONFIG_OTA_AGENT_WINDOW. */
    uint32_t request_timeout_ms;         /**< Re-request after this silence; 0 gives ::IOT_CONFIG_OTA_AGENT_REQUEST_TIMEOUT_MS. */
    iot_ota_agent_self_test_t self_test; /**< Self-test of an image on trial; NULL confirms it. */
    void *self_test_user;                /**< Passed to @c self_test. */
    iot_ota_agent_reboot_t reboot;       /**< Restart; NULL uses iot_port_fw_request_reboot(). */
    void *reboot_user;                   /**< Passed to @c reboot. */
    iot_ota_agent_progress_t progress;   /**< Progress hook, or NULL. */
    void *progress_user;                 /**< Passed to @c progress. */
    uint32_t checkpoint_bytes;           /**< Make the download durable every this many bytes (and at its end); 0 gives ::IOT_CONFIG_OTA_CHECKPOINT_BYTES. A power cut repeats at most this many bytes. Ports without @c IOT_PORT_FW_HAS_SYNC make every block durable. */
} iot_ota_agent_config_t;

/** @brief Defaults for ::iot_ota_agent_config_t. */
#define IOT_OTA_AGENT_CONFIG_INIT                                                              \
    { sizeof(iot_ota_agent_config_t), NULL, 0u, 0u, 0u, NULL, NULL, NULL, NULL, NULL, NULL, 0u }

/** @brief What iot_ota_agent_get_status() reports. */
typedef struct iot_ota_agent_status {
    iot_ota_agent_phase_t phase;  /**< Current phase. */
    uint32_t job_id;              /**< The current or last job, 0 if none. */
    iot_ota_component_t component; /**< Component of that job. */
    iot_ota_version_t version;    /**< Version the job installs. */
    uint32_t written;             /**< Bytes durably written. */
    uint32_t total;               /**< Image size. */
    iot_ota_reason_t reason;      /**< Why the job failed (::IOT_OTA_AGENT_FAILED). */
    iot_status_t error;           /**< The status code of the failing call, or ::IOT_OK. */
} iot_ota_agent_status_t;

/**
 * @brief Start an agent on a connected client.
 *
 * iot_ota_init() must have succeeded. Loads the persisted job record,
 * subscribes to devices/\<id\>/ota/job (QoS 1) and devices/\<id\>/ota/block
 * (QoS 0) and publishes the device's state. If the device runs an image on
 * trial, the next iot_ota_agent_step() runs the self-test.
 * @param client The client (it must outlive the agent).
 * @param config Settings (copied).
 * @param agent  Receives the agent.
 * @retval IOT_OK Started.
 * @retval IOT_ERR_INVALID_ARG NULL argument, a missing or invalid device id,
 *         a block size that leaves no room in MQTT's packet limit.
 * @retval IOT_ERR_BUFFER_TOO_SMALL A topic does not fit ::IOT_CONFIG_OTA_AGENT_TOPIC_MAX.
 * @retval IOT_ERR_NO_MEMORY ::IOT_CONFIG_OTA_AGENT_MAX agents are running.
 * @retval IOT_ERR_BAD_STATE iot_ota_init() was not called.
 * @retval IOT_ERR_STORAGE_CORRUPT The job record fails its integrity check (it is left alone).
 * @return Or a status of iot_subscribe() (e.g. ::IOT_ERR_NOT_CONNECTED, ::IOT_ERR_TIMEOUT).
 */
IOT_API iot_status_t iot_ota_agent_start(iot_client_t *client, const iot_ota_agent_config_t *config,
                                         iot_ota_agent_t **agent);

/**
 * @brief Do the work that does not fit in a message callback: re-request
 *        blocks after a silence, verify, activate, reboot, self-test and
 *        confirm. Call it regularly (for example after each iot_process()).
 * @param agent The agent.
 * @retval IOT_OK Nothing failed (the job may still be running or may have failed by policy; see iot_ota_agent_get_status()).
 * @retval IOT_ERR_INVALID_ARG NULL @p agent.
 * @return Or the status of a failed OTA call (e.g. ::IOT_ERR_IO); the job is then FAILED and reported.
 */
IOT_API iot_status_t iot_ota_agent_step(iot_ota_agent_t *agent);

/**
 * @brief Report the agent's job.
 * @param agent  The agent.
 * @param status Receives the report.
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL argument.
 */
IOT_API iot_status_t iot_ota_agent_get_status(iot_ota_agent_t *agent, iot_ota_agent_status_t *status);

/**
 * @brief Name of a phase as used in status reports, e.g. "downloading" (never NULL).
 * @param phase A phase.
 * @return A static string.
 */
IOT_API const char *iot_ota_agent_phase_name(iot_ota_agent_phase_t phase);

/**
 * @brief Stop the agent: unsubscribe and release it. The job record stays,
 *        so a later agent resumes the job.
 * Call it from the application's thread, not from a message callback.
 * @param agent The agent; NULL is ignored.
 * @retval IOT_OK Released.
 */
IOT_API iot_status_t iot_ota_agent_stop(iot_ota_agent_t *agent);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_OTA_AGENT_H */
