/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file port.h
 * @brief The port contract: everything the portable core needs from a platform.
 *
 * The portable core reaches the outside world only through the functions
 * declared here and through the PSA Functional APIs. A port (ports/posix,
 * ports/corstone300, ...) implements every function in this header; nothing
 * else. doc/porting.md explains each function's contract and how to test it.
 *
 * Applications normally do not call these functions; they are public so
 * that products can add their own ports without patching the SDK.
 */
#ifndef CORSTONE_IOT_PORT_H
#define CORSTONE_IOT_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/log.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Clock
 *  @{ */

/**
 * @brief Milliseconds from a monotonic clock.
 *
 * Never goes backwards and is not affected by wall-clock changes. The
 * origin is arbitrary (boot, for instance).
 * @return The current monotonic time in milliseconds.
 */
uint64_t iot_port_time_ms(void);

/**
 * @brief Block the calling thread for at least @p ms milliseconds.
 * @param ms Time to sleep; 0 yields.
 */
void iot_port_sleep_ms(uint32_t ms);
/** @} */

/** @name Mutex
 *  @{ */

/**
 * @brief Storage for one port mutex, owned by the caller.
 *
 * The port keeps its native mutex inside @c storage (at most
 * ::IOT_CONFIG_PORT_MUTEX_SIZE bytes). Ports without threads implement the
 * mutex functions as no-ops that succeed.
 */
typedef struct iot_port_mutex {
    /** Opaque, suitably aligned storage for the port's native mutex. */
    union {
        void *align_ptr;                                 /**< Forces pointer alignment. */
        unsigned long long align_u64;                    /**< Forces 64-bit alignment. */
        unsigned char bytes[IOT_CONFIG_PORT_MUTEX_SIZE]; /**< The port's native mutex. */
    } storage;
} iot_port_mutex_t;

/**
 * @brief Initialise a (non-recursive) mutex in caller-owned storage.
 * @param mutex Storage to initialise.
 * @retval IOT_OK Success.
 * @retval IOT_ERR_INVALID_ARG @p mutex is NULL.
 * @retval IOT_ERR_NO_MEMORY The platform could not create a mutex.
 */
iot_status_t iot_port_mutex_init(iot_port_mutex_t *mutex);

/** @brief Lock a mutex initialised by iot_port_mutex_init(); blocks until taken.
 *  @param mutex The mutex. */
void iot_port_mutex_lock(iot_port_mutex_t *mutex);

/** @brief Unlock a mutex held by the calling thread.
 *  @param mutex The mutex. */
void iot_port_mutex_unlock(iot_port_mutex_t *mutex);

/** @brief Release a mutex's platform resources; it must not be locked.
 *  @param mutex The mutex; may be used again after iot_port_mutex_init(). */
void iot_port_mutex_destroy(iot_port_mutex_t *mutex);
/** @} */

/** @name Thread
 *
 * Optional: only the background thread of the MQTT client uses it. Ports
 * without threads return ::IOT_ERR_NOT_SUPPORTED.
 *  @{ */

/** @brief A thread handle, port-defined. */
typedef struct iot_port_thread {
    uintptr_t handle; /**< Port-defined; 0 when no thread. */
} iot_port_thread_t;

/** @brief Entry point of a port thread. */
typedef void (*iot_port_thread_fn_t)(void *arg);

/**
 * @brief Start a thread running @p fn(@p arg).
 * @param thread Receives the handle.
 * @param fn     Entry point.
 * @param arg    Passed to @p fn.
 * @retval IOT_OK Started.
 * @retval IOT_ERR_INVALID_ARG NULL @p thread or @p fn.
 * @retval IOT_ERR_NO_MEMORY The platform could not create a thread.
 * @retval IOT_ERR_NOT_SUPPORTED The port has no threads.
 */
iot_status_t iot_port_thread_start(iot_port_thread_t *thread, iot_port_thread_fn_t fn, void *arg);

/**
 * @brief An identifier of the calling thread, unique among live threads.
 * @return A non-zero id; ports without threads return 1.
 */
uintptr_t iot_port_thread_id(void);

/**
 * @brief Wait for a thread started by iot_port_thread_start() to return.
 * @param thread The thread; its handle is reset to 0.
 */
void iot_port_thread_join(iot_port_thread_t *thread);
/** @} */

/** @name TCP socket
 *  @{ */

/** @brief A TCP connection; @c handle is the port's (a descriptor, a pointer). */
typedef struct iot_port_socket {
    intptr_t handle; /**< Port-defined; -1 when not connected. */
} iot_port_socket_t;

/** @brief Initialiser for an unconnected ::iot_port_socket_t. */
#define IOT_PORT_SOCKET_INIT { -1 }

/**
 * @brief Open a TCP connection.
 * @param sock       Receives the connection.
 * @param host       Host name or numeric address, NUL-terminated.
 * @param port       TCP port, 1..65535.
 * @param timeout_ms Limit for name resolution plus connection.
 * @retval IOT_OK Connected.
 * @retval IOT_ERR_INVALID_ARG NULL pointer or port 0.
 * @retval IOT_ERR_NET_RESOLVE The host name could not be resolved.
 * @retval IOT_ERR_NET_CONNECT The connection was refused or failed.
 * @retval IOT_ERR_TIMEOUT No connection within @p timeout_ms.
 */
iot_status_t iot_port_tcp_connect(iot_port_socket_t *sock, const char *host, uint16_t port,
                                  uint32_t timeout_ms);

/**
 * @brief Send bytes; returns as soon as at least one byte was sent.
 * @param sock       A connected socket.
 * @param data       Bytes to send.
 * @param len        Number of bytes, at least 1.
 * @param timeout_ms Longest wait for room in the send buffer.
 * @param sent       Receives the number of bytes sent (1..len) on success.
 * @retval IOT_OK At least one byte sent.
 * @retval IOT_ERR_TIMEOUT Nothing could be sent in time.
 * @retval IOT_ERR_NET_CLOSED The peer closed or reset the connection.
 * @retval IOT_ERR_NET_IO Another socket error.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, zero length or closed socket.
 */
iot_status_t iot_port_tcp_send(iot_port_socket_t *sock, const uint8_t *data, size_t len,
                               uint32_t timeout_ms, size_t *sent);

/**
 * @brief Receive bytes; returns as soon as at least one byte arrived.
 * @param sock       A connected socket.
 * @param buf        Destination.
 * @param len        Capacity of @p buf, at least 1.
 * @param timeout_ms Longest wait for the first byte; 0 only polls.
 * @param received   Receives the number of bytes stored (1..len) on success.
 * @retval IOT_OK At least one byte received.
 * @retval IOT_ERR_TIMEOUT Nothing arrived in time.
 * @retval IOT_ERR_NET_CLOSED The peer closed the connection (orderly or reset).
 * @retval IOT_ERR_NET_IO Another socket error.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, zero length or closed socket.
 */
iot_status_t iot_port_tcp_recv(iot_port_socket_t *sock, uint8_t *buf, size_t len,
                               uint32_t timeout_ms, size_t *received);

/**
 * @brief Wait until data can be read from @p sock without blocking.
 *
 * Lets one thread wait for input while another thread sends, without
 * holding the lock that serialises the connection.
 * @param sock       A connected socket.
 * @param timeout_ms Longest wait; 0 only polls.
 * @retval IOT_OK Readable (data or end of stream is pending).
 * @retval IOT_ERR_TIMEOUT Nothing to read within @p timeout_ms.
 * @retval IOT_ERR_NET_IO The wait itself failed.
 * @retval IOT_ERR_INVALID_ARG NULL or closed socket.
 */
iot_status_t iot_port_tcp_wait_readable(iot_port_socket_t *sock, uint32_t timeout_ms);

/**
 * @brief Close the connection and mark @p sock unconnected. Safe to call twice.
 * @param sock The socket; NULL is ignored.
 */
void iot_port_tcp_close(iot_port_socket_t *sock);
/** @} */

/** @name Entropy
 *  @{ */

/**
 * @brief Fill @p buf with bytes from a cryptographically secure source.
 * @param buf Destination.
 * @param len Number of bytes.
 * @retval IOT_OK Filled.
 * @retval IOT_ERR_INVALID_ARG NULL with a non-zero length.
 * @retval IOT_ERR_ENTROPY The platform has no secure entropy source. A port
 *         must never substitute predictable bytes silently.
 */
iot_status_t iot_port_entropy(uint8_t *buf, size_t len);
/** @} */

/** @name Log sink
 *  @{ */

/**
 * @brief The port's default log output (stderr, a UART, ...).
 * @param level  Severity.
 * @param module Module name, static.
 * @param line   NUL-terminated text without trailing newline.
 * @param len    strlen(line).
 */
void iot_port_log_write(iot_log_level_t level, const char *module, const char *line, size_t len);
/** @} */

/** @name Firmware slots
 *
 * Modelled on the PSA Firmware Update API: each component (for example the
 * secure and the non-secure image) has an active image and a staging slot.
 * A new image is written into the staging slot, finished, installed for a
 * trial boot, and then accepted or rejected. On boards the port maps these
 * calls onto psa_fwu_*; on posix the slots are files.
 *
 * Besides the codes listed with each function, every iot_port_fw_* call may
 * return ::IOT_ERR_BAD_STATE when the port's storage is not configured yet
 * (posix: no directory set) and ::IOT_ERR_STORAGE_CORRUPT when the persisted
 * state record fails its integrity check (the record is left as it is).
 *  @{ */

/** @brief Identifies an updatable firmware component. */
typedef uint8_t iot_port_fw_component_t;

/** @brief The secure-world image (TF-M on Corstone). */
#define IOT_PORT_FW_COMPONENT_SECURE ((iot_port_fw_component_t)0)
/** @brief The non-secure (application) image. */
#define IOT_PORT_FW_COMPONENT_NONSECURE ((iot_port_fw_component_t)1)
/** @brief Number of components a port supports at most. */
#define IOT_PORT_FW_COMPONENT_COUNT 2

/** @brief State of a component's update, as in the PSA Firmware Update API. */
typedef enum iot_port_fw_state {
    IOT_PORT_FW_READY = 0,     /**< No update in progress; staging slot free. */
    IOT_PORT_FW_WRITING = 1,   /**< An image is being written into the staging slot. */
    IOT_PORT_FW_CANDIDATE = 2, /**< The staging slot holds a complete image. */
    IOT_PORT_FW_STAGED = 3,    /**< Installed: the next boot test-boots the candidate. */
    IOT_PORT_FW_TRIAL = 4,     /**< Running the new image on trial; accept or reject it. */
    IOT_PORT_FW_REJECTED = 5,  /**< The trial image was rejected; the next boot reverts. */
    IOT_PORT_FW_FAILED = 6     /**< The last update failed; start a new one or cancel. */
} iot_port_fw_state_t;

/** @brief What iot_port_fw_query() reports about a component. */
typedef struct iot_port_fw_info {
    iot_port_fw_state_t state; /**< Current update state. */
    uint32_t slot_size;        /**< Capacity of the staging slot in bytes. */
    uint32_t written;          /**< Bytes durably written to the staging slot (resume point). */
} iot_port_fw_info_t;

/**
 * @brief Report a component's state.
 * @param component Component id.
 * @param info      Receives the state.
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL @p info.
 * @retval IOT_ERR_NOT_FOUND No such component on this port.
 * @retval IOT_ERR_STORAGE_CORRUPT The persisted state record is damaged.
 * @retval IOT_ERR_IO The storage could not be read.
 */
iot_status_t iot_port_fw_query(iot_port_fw_component_t component, iot_port_fw_info_t *info);

/**
 * @brief Begin writing a new image: erase the staging slot (READY or FAILED to WRITING).
 * @param component Component id.
 * @retval IOT_OK Ready for iot_port_fw_write().
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE An image is staged or on trial.
 * @retval IOT_ERR_IO The slot could not be erased.
 */
iot_status_t iot_port_fw_start(iot_port_fw_component_t component);

/**
 * @brief Write bytes into the staging slot at @p offset (WRITING state).
 *
 * When it returns ::IOT_OK the bytes are durable: they survive a power cut.
 * @param component Component id.
 * @param offset    Byte offset in the slot.
 * @param data      Bytes to write.
 * @param len       Number of bytes.
 * @retval IOT_OK Written and durable.
 * @retval IOT_ERR_INVALID_ARG NULL @p data with non-zero @p len.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the WRITING state.
 * @retval IOT_ERR_STORAGE_FULL @p offset + @p len exceeds the slot size.
 * @retval IOT_ERR_IO The write failed.
 */
iot_status_t iot_port_fw_write(iot_port_fw_component_t component, uint32_t offset,
                               const uint8_t *data, size_t len);

/*
 * Optional pair: iot_port_fw_write_unsynced() and iot_port_fw_sync(). A port
 * that implements them defines IOT_PORT_FW_HAS_SYNC to 1 for the SDK's
 * sources (its port.cmake lists it in IOT_PORT_DEFINITIONS; posix does).
 * Without it the OTA module makes every write durable with
 * iot_port_fw_write(), which is always correct and costs what the storage
 * charges per durable write (on a file system: an fsync of the data and of
 * the state record). With it the OTA agent writes blocks unsynced and makes
 * them durable once per IOT_CONFIG_OTA_CHECKPOINT_BYTES.
 */

/**
 * @brief Optional (@c IOT_PORT_FW_HAS_SYNC): write bytes into the staging slot
 *        at @p offset without making them durable (WRITING state).
 *
 * The bytes can be read back at once, but a power cut may lose them (or
 * leave any mixture of old and new bytes where they were written), and the
 * resume point (iot_port_fw_info_t::written) does not move. The next
 * iot_port_fw_sync() (or iot_port_fw_write(), or iot_port_fw_finish())
 * makes them durable and moves the resume point over the bytes written
 * contiguously from it.
 * @param component Component id.
 * @param offset    Byte offset in the slot.
 * @param data      Bytes to write.
 * @param len       Number of bytes.
 * @retval IOT_OK Written (not yet durable).
 * @retval IOT_ERR_INVALID_ARG NULL @p data with non-zero @p len.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the WRITING state.
 * @retval IOT_ERR_STORAGE_FULL @p offset + @p len exceeds the slot size.
 * @retval IOT_ERR_IO The write failed.
 */
iot_status_t iot_port_fw_write_unsynced(iot_port_fw_component_t component, uint32_t offset,
                                        const uint8_t *data, size_t len);

/**
 * @brief Optional (@c IOT_PORT_FW_HAS_SYNC): make every byte written with
 *        iot_port_fw_write_unsynced() durable, then move the resume point
 *        over the bytes written contiguously from it (WRITING state).
 *
 * Data first, resume point second: the resume point never covers bytes a
 * power cut can still lose. With nothing unsynced it does nothing.
 * @param component Component id.
 * @retval IOT_OK Durable; iot_port_fw_query() reports the new resume point.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the WRITING state.
 * @retval IOT_ERR_IO The data or the state could not be made durable; the
 *         resume point stays where it was (the bytes may be written again).
 */
iot_status_t iot_port_fw_sync(iot_port_fw_component_t component);

/**
 * @brief Read back bytes from the staging slot (to verify or to resume).
 * @param component Component id.
 * @param offset    Byte offset in the slot.
 * @param buf       Destination.
 * @param len       Number of bytes.
 * @retval IOT_OK Read.
 * @retval IOT_ERR_INVALID_ARG NULL @p buf with non-zero @p len, or range outside the slot.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_IO The read failed.
 */
iot_status_t iot_port_fw_read(iot_port_fw_component_t component, uint32_t offset, uint8_t *buf,
                              size_t len);

/**
 * @brief Mark the written image complete (WRITING to CANDIDATE).
 * @param component Component id.
 * @retval IOT_OK Done.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the WRITING state.
 * @retval IOT_ERR_IO The state could not be saved.
 */
iot_status_t iot_port_fw_finish(iot_port_fw_component_t component);

/**
 * @brief Stage the candidate for a trial boot (CANDIDATE to STAGED).
 * @param component Component id.
 * @retval IOT_OK The next boot test-boots the candidate.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the CANDIDATE state.
 * @retval IOT_ERR_IO The state could not be saved.
 */
iot_status_t iot_port_fw_install(iot_port_fw_component_t component);

/**
 * @brief Abandon an update in progress (WRITING, CANDIDATE, STAGED or FAILED to READY).
 * @param component Component id.
 * @retval IOT_OK Back to READY.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE The component is on trial or rejected (use accept/reject).
 * @retval IOT_ERR_IO The state could not be saved.
 */
iot_status_t iot_port_fw_cancel(iot_port_fw_component_t component);

/**
 * @brief Accept the image running on trial (TRIAL to READY): it becomes permanent.
 * @param component Component id.
 * @retval IOT_OK Accepted.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Not in the TRIAL state.
 * @retval IOT_ERR_IO The state could not be saved.
 */
iot_status_t iot_port_fw_accept(iot_port_fw_component_t component);

/**
 * @brief Reject the trial or staged image (TRIAL or STAGED to REJECTED or READY).
 * @param component Component id.
 * @retval IOT_OK Rejected: the next boot runs the previous image.
 * @retval IOT_ERR_NOT_FOUND No such component.
 * @retval IOT_ERR_BAD_STATE Neither on trial nor staged.
 * @retval IOT_ERR_IO The state could not be saved.
 */
iot_status_t iot_port_fw_reject(iot_port_fw_component_t component);

/**
 * @brief Ask the platform to reboot so that a staged or rejected image takes effect.
 * @retval IOT_OK The reboot was requested (on posix: the host boot step runs at next start).
 * @retval IOT_ERR_NOT_SUPPORTED The platform cannot reboot itself.
 */
iot_status_t iot_port_fw_request_reboot(void);

/**
 * @brief Read bytes of the image a component runs now (the primary slot),
 *        so that the OTA module can learn its version and security counter.
 *
 * On boards with a memory-mapped primary slot this is a copy; with TF-M the
 * port may serve the header from psa_fwu_query(). Bytes past the end of the
 * image read as zero.
 * @param component Component id.
 * @param offset    Byte offset in the image.
 * @param buf       Destination.
 * @param len       Number of bytes.
 * @param size      Receives the size of the active image in bytes (may be NULL).
 * @retval IOT_OK Read.
 * @retval IOT_ERR_INVALID_ARG NULL @p buf with non-zero @p len.
 * @retval IOT_ERR_NOT_FOUND No such component, or it has no active image.
 * @retval IOT_ERR_NOT_SUPPORTED The port cannot read the active image.
 * @retval IOT_ERR_IO The read failed.
 */
iot_status_t iot_port_fw_read_active(iot_port_fw_component_t component, uint32_t offset,
                                     uint8_t *buf, size_t len, uint32_t *size);
/** @} */


/** @name Object store
 *
 * A small persistent store of numbered objects, modelled on the PSA
 * Internal Trusted Storage API (psa_its_set, psa_its_get,
 * psa_its_get_info, psa_its_remove): a uid names a byte string, and
 * setting a uid replaces its whole value atomically. The key store keeps
 * its persistent objects here. On boards a port maps these calls onto
 * psa_its_* (or psa_ps_*); on posix each object is one file in the
 * directory set by iot_posix_store_set_dir().
 *
 * Only the key store (src/keys) uses these functions; a port that does not
 * build it need not implement them.
 *
 * Every call may also return ::IOT_ERR_BAD_STATE when the port's storage is
 * not configured yet (posix: no directory set). Calls are thread-safe.
 *  @{ */

/** @brief Names one object of the port store; 0 is never a valid uid. */
typedef uint64_t iot_port_store_uid_t;

/**
 * @brief Create or replace an object.
 *
 * Atomic: if the platform loses power during the call, a later get finds
 * the old value (or no object, if there was none) or the new value, never a
 * mixture. When it returns ::IOT_OK the new value is durable.
 * @param uid  Object uid, not 0.
 * @param data The value (may be NULL when @p len is 0).
 * @param len  Number of bytes.
 * @retval IOT_OK Stored.
 * @retval IOT_ERR_INVALID_ARG @p uid is 0, or NULL @p data with a length.
 * @retval IOT_ERR_STORAGE_FULL No room for the value; the old value is kept.
 * @retval IOT_ERR_IO The storage failed; the old value is kept.
 */
iot_status_t iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len);

/**
 * @brief Read part of an object.
 * @param uid      Object uid.
 * @param offset   First byte to read; at most the object's size.
 * @param len      Bytes wanted.
 * @param buf      Destination of at least @p len bytes.
 * @param read_len Receives the number of bytes stored: the smaller of @p len
 *                 and size - @p offset.
 * @retval IOT_OK Read.
 * @retval IOT_ERR_INVALID_ARG @p uid is 0, NULL pointer, or @p offset beyond the object.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_STORAGE_CORRUPT The object fails its integrity check; it is left as it is.
 * @retval IOT_ERR_IO The storage could not be read.
 */
iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len);

/**
 * @brief Report an object's size.
 * @param uid  Object uid.
 * @param size Receives the size of the value in bytes.
 * @retval IOT_OK Found.
 * @retval IOT_ERR_INVALID_ARG @p uid is 0 or @p size is NULL.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_STORAGE_CORRUPT The object fails its integrity check.
 * @retval IOT_ERR_IO The storage could not be read.
 */
iot_status_t iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size);

/**
 * @brief Delete an object. When it returns ::IOT_OK the removal is durable.
 * @param uid Object uid.
 * @retval IOT_OK Removed.
 * @retval IOT_ERR_INVALID_ARG @p uid is 0.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_IO The storage failed.
 */
iot_status_t iot_port_store_remove(iot_port_store_uid_t uid);
/** @} */


/** @name Attestation claims
 *
 * What a port reports about the device for the attestation token
 * (src/attest builds, encodes and protects the token). On Corstone with
 * TF-M the whole token comes from psa_initial_attest_get_token() instead,
 * and a port need not implement these.
 *  @{ */

/** @brief One running software component and its measurement. */
typedef struct iot_port_attest_component {
    char measurement_type[16]; /**< Role of the image, NUL-terminated (e.g. "SPE", "NSPE", "APP"). */
    char version[32];          /**< Version text, NUL-terminated (e.g. "1.2.3+4"). */
    uint8_t measurement[32];   /**< SHA-256 of the image as it runs. */
    uint8_t signer_id[32];     /**< SHA-256 of the key that signed the image; zeros for an unsigned image. */
} iot_port_attest_component_t;

/** @brief The device claims a port reports. */
typedef struct iot_port_attest_claims {
    uint8_t implementation_id[32]; /**< Identifies the implementation of the platform's root of trust. */
    uint8_t boot_seed[32];         /**< Random value chosen at each boot. */
    uint16_t lifecycle;            /**< Security lifecycle state (IOT_ATTEST_LIFECYCLE_*). */
    int32_t client_id;             /**< Caller's partition id (posix: 1, a non-secure caller is negative on TF-M). */
    size_t component_count;        /**< Entries used in @c components (at least 1). */
    iot_port_attest_component_t components[IOT_CONFIG_ATTEST_MAX_COMPONENTS]; /**< The running images. */
} iot_port_attest_claims_t;

/**
 * @brief Report the device claims and measure the running software.
 * @param claims Receives the claims.
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL @p claims.
 * @retval IOT_ERR_IO An image could not be read.
 * @retval IOT_ERR_ENTROPY No random source for the boot seed (iot_port_entropy() refused).
 * @retval IOT_ERR_CRYPTO Hashing failed.
 * @retval IOT_ERR_NOT_SUPPORTED The port has no attestation claims.
 */
iot_status_t iot_port_attest_claims(iot_port_attest_claims_t *claims);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_PORT_H */
