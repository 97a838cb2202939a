/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file config.h
 * @brief Compile-time configuration: documented defaults for every limit.
 *
 * To change a value, write a header that defines the macros you want and
 * build the SDK (and your application) with `-DIOT_CONFIG_FILE="my_iot_config.h"`.
 * Your header is included first; every macro it leaves undefined takes the
 * default below. All RAM the portable core uses is sized by these values:
 * the core never allocates from a heap.
 */
#ifndef CORSTONE_IOT_CONFIG_H
#define CORSTONE_IOT_CONFIG_H

#ifdef IOT_CONFIG_FILE
#include IOT_CONFIG_FILE
#endif

/** @name Logging
 *  @{ */

/**
 * @brief Compile-time log floor: messages below this level are compiled out.
 *
 * One of the ::iot_log_level_t values as a number: 0 = error, 1 = warning,
 * 2 = info, 3 = debug. Default 2 (info).
 */
#ifndef IOT_CONFIG_LOG_LEVEL
#define IOT_CONFIG_LOG_LEVEL 2
#endif

/** @brief Longest formatted log line in bytes, including the NUL; longer lines are cut. */
#ifndef IOT_CONFIG_LOG_LINE_MAX
#define IOT_CONFIG_LOG_LINE_MAX 160
#endif
/** @} */

/** @name MQTT
 *  @{ */

/** @brief Most MQTT clients that can exist at once (a static pool; no heap). */
#ifndef IOT_CONFIG_MQTT_MAX_CLIENTS
#define IOT_CONFIG_MQTT_MAX_CLIENTS 2
#endif

/**
 * @brief Bytes of each client's static receive buffer: the largest incoming
 *        packet (topic + payload + 7). Larger messages are dropped and
 *        reported. A client can lend its own buffer instead.
 */
#ifndef IOT_CONFIG_MQTT_RX_BUFFER_SIZE
#define IOT_CONFIG_MQTT_RX_BUFFER_SIZE 4096
#endif

/**
 * @brief Bytes of each client's static outgoing queue, which keeps QoS 1 and
 *        2 messages (topic + payload + 9 bytes each) until acknowledged. A
 *        client can lend its own buffer instead.
 */
#ifndef IOT_CONFIG_MQTT_QUEUE_SIZE
#define IOT_CONFIG_MQTT_QUEUE_SIZE 8192
#endif

/**
 * @brief Bytes of each client's transmit scratch buffer: a QoS 0 publish that
 *        fits is sent as one write; longer ones are sent in two parts.
 *        Also bounds the topic length of a QoS 0 publish (this value - 9).
 *        Must be at least ::IOT_CONFIG_MQTT_MAX_FILTER_LEN + 10, so that every
 *        SUBSCRIBE fits; the build checks it.
 */
#ifndef IOT_CONFIG_MQTT_TX_BUFFER_SIZE
#define IOT_CONFIG_MQTT_TX_BUFFER_SIZE 512
#endif

/** @brief Longest client identifier a client stores (copied at iot_connect), in bytes. */
#ifndef IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN
#define IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN 64
#endif

/** @brief Longest broker host name a client stores (copied at iot_connect), in bytes. */
#ifndef IOT_CONFIG_MQTT_MAX_HOST_LEN
#define IOT_CONFIG_MQTT_MAX_HOST_LEN 128
#endif

/** @brief Most subscriptions (filter + callback) one client holds at a time. */
#ifndef IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS
#define IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS 8
#endif

/** @brief Longest topic filter a subscription stores, in bytes (without NUL). */
#ifndef IOT_CONFIG_MQTT_MAX_FILTER_LEN
#define IOT_CONFIG_MQTT_MAX_FILTER_LEN 64
#endif

/** @brief Most outgoing QoS 1 and 2 messages a client holds (queued or awaiting acknowledgement). */
#ifndef IOT_CONFIG_MQTT_MAX_INFLIGHT
#define IOT_CONFIG_MQTT_MAX_INFLIGHT 32
#endif

/** @brief Most incoming QoS 2 packet ids awaiting PUBREL per client. */
#ifndef IOT_CONFIG_MQTT_MAX_INBOUND_QOS2
#define IOT_CONFIG_MQTT_MAX_INBOUND_QOS2 8
#endif

/**
 * @brief Build the server half of the MQTT codec (CONNECT and SUBSCRIBE
 *        decoding, CONNACK and SUBACK encoding) and its general-purpose
 *        checked encoders (PUBLISH, multi-filter SUBSCRIBE and UNSUBSCRIBE),
 *        which gateways need.
 *
 * 1 (default) builds it; device firmware sets 0 to save about 1.8 KiB of
 * code (the client does not use it; it writes its acknowledgements,
 * PINGREQ and DISCONNECT without the checked ack and empty-packet encoders,
 * which come with the server half too).
 */
#ifndef IOT_CONFIG_MQTT_SERVER_CODEC
#define IOT_CONFIG_MQTT_SERVER_CODEC 1
#endif

/** @brief Default time an API call waits for the broker's answer, in milliseconds. */
#ifndef IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS
#define IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS 10000
#endif

/*
 * Feature switches. Each defaults to 1 (built in); device firmware that does
 * not need a feature sets it to 0 to save code (sizes per switch, Cortex-M4
 * -Os: doc/sizes.md). A left-out feature's API answers ::IOT_ERR_NOT_SUPPORTED.
 */

/**
 * @brief Build QoS 2 (exactly once) publishing and receiving.
 *
 * With 0, iot_publish() and iot_subscribe() answer ::IOT_ERR_NOT_SUPPORTED
 * for ::IOT_QOS2, and a QoS 2 PUBLISH, PUBREC, PUBREL or PUBCOMP from the
 * broker (which it cannot send when nothing asked for QoS 2) closes the
 * connection as a protocol error. The inbound QoS 2 table
 * (::IOT_CONFIG_MQTT_MAX_INBOUND_QOS2) is not allocated.
 */
#ifndef IOT_CONFIG_MQTT_QOS2
#define IOT_CONFIG_MQTT_QOS2 1
#endif

/**
 * @brief Build the last will (iot_connect_options_t::will_topic).
 *
 * With 0, iot_connect() answers ::IOT_ERR_NOT_SUPPORTED when a will topic
 * is set.
 */
#ifndef IOT_CONFIG_MQTT_WILL
#define IOT_CONFIG_MQTT_WILL 1
#endif

/**
 * @brief Build iot_unsubscribe().
 *
 * With 0, iot_unsubscribe() answers ::IOT_ERR_NOT_SUPPORTED: a device that
 * subscribes once, for the life of the connection, does not need it.
 */
#ifndef IOT_CONFIG_MQTT_UNSUBSCRIBE
#define IOT_CONFIG_MQTT_UNSUBSCRIBE 1
#endif

/**
 * @brief Subscribe again after a reconnect when the broker lost the session.
 *
 * With 0, a reconnect that finds no session on the broker (a clean session,
 * or a broker that lost it) leaves the client without its subscriptions
 * until the application subscribes again: after each ::IOT_EVENT_CONNECTED
 * that follows ::IOT_EVENT_DISCONNECTED it calls iot_subscribe() again from
 * its own thread (not from the event callback, where the call answers
 * ::IOT_ERR_BAD_STATE); subscribing again to a filter it holds is harmless.
 * Messages queued for sending are resent either way.
 */
#ifndef IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS
#define IOT_CONFIG_MQTT_RESTORE_SUBSCRIPTIONS 1
#endif

/**
 * @brief Build the background thread (iot_connect_options_t::background_thread).
 *
 * With 0, iot_connect() answers ::IOT_ERR_NOT_SUPPORTED when a background
 * thread is asked for; the application drives I/O with iot_process(), as
 * on ports without threads.
 */
#ifndef IOT_CONFIG_MQTT_BACKGROUND_THREAD
#define IOT_CONFIG_MQTT_BACKGROUND_THREAD 1
#endif
/** @} */

/** @name Transport
 *  @{ */

/**
 * @brief Bytes each connection reads ahead from its socket below TLS.
 *
 * One socket read fills this buffer with every TLS record that has arrived
 * (a burst of acknowledgements, say), instead of two reads per record
 * (header, then body). Records larger than the buffer are read directly.
 * Part of each client's static state; 0 turns read-ahead off.
 */
#ifndef IOT_CONFIG_TLS_READ_AHEAD_SIZE
#define IOT_CONFIG_TLS_READ_AHEAD_SIZE 1024
#endif
/** @} */

/** @name Reconnect back-off
 *  @{ */

/** @brief First reconnect delay ceiling in milliseconds (full jitter picks 0..this). */
#ifndef IOT_CONFIG_BACKOFF_BASE_MS
#define IOT_CONFIG_BACKOFF_BASE_MS 500
#endif

/** @brief Largest reconnect delay ceiling in milliseconds. */
#ifndef IOT_CONFIG_BACKOFF_MAX_MS
#define IOT_CONFIG_BACKOFF_MAX_MS 60000
#endif
/** @} */

/** @name Port
 *  @{ */

/** @brief Bytes of storage a port mutex may use (must hold the port's native mutex). */
#ifndef IOT_CONFIG_PORT_MUTEX_SIZE
#define IOT_CONFIG_PORT_MUTEX_SIZE 64
#endif

/** @brief Longest firmware component name a port accepts, in bytes (without NUL). */
#ifndef IOT_CONFIG_FW_COMPONENT_NAME_MAX
#define IOT_CONFIG_FW_COMPONENT_NAME_MAX 15
#endif
/** @} */

/** @name Key store
 *  @{ */

/**
 * @brief Most objects (keys, certificates, data) the key store holds at once,
 *        persistent and volatile together. Each takes one entry of a static
 *        table (about 170 bytes with its tag) and, when persistent, one port store object.
 */
#ifndef IOT_CONFIG_KEYS_MAX_OBJECTS
#define IOT_CONFIG_KEYS_MAX_OBJECTS 16
#endif

/**
 * @brief Largest object value the key store keeps, in bytes: a certificate,
 *        a data object or a private key's material (an RSA-4096 key needs
 *        about 2400). Sizes the store's one static work buffer, which also
 *        holds a CSR while it is built, so keep it at least 2048.
 */
#ifndef IOT_CONFIG_KEYS_MAX_OBJECT_SIZE
#define IOT_CONFIG_KEYS_MAX_OBJECT_SIZE 4096
#endif

/**
 * @brief First port store uid the key store uses. Object @c n of the table
 *        is kept under uid IOT_CONFIG_KEYS_STORE_UID_BASE + 1 + n; the uid
 *        IOT_CONFIG_KEYS_STORE_UID_BASE itself holds the id counter. Change
 *        it when other code shares the port store.
 */
#ifndef IOT_CONFIG_KEYS_STORE_UID_BASE
#define IOT_CONFIG_KEYS_STORE_UID_BASE 0x4B000000u
#endif
/** @} */

/** @name PKCS#11 module
 *  @{ */

/**
 * @brief Most PKCS#11 sessions open at once (a static table). Each costs
 *        about 0.9 KiB on x86-64 (three hash states and a search list of
 *        ::IOT_CONFIG_KEYS_MAX_OBJECTS handles).
 */
#ifndef IOT_CONFIG_PKCS11_MAX_SESSIONS
#define IOT_CONFIG_PKCS11_MAX_SESSIONS 4
#endif

/** @brief Longest user PIN the PKCS#11 module accepts, in bytes (at least 4, at most 255). */
#ifndef IOT_CONFIG_PKCS11_MAX_PIN_LEN
#define IOT_CONFIG_PKCS11_MAX_PIN_LEN 64
#endif
/** @} */

/** @name Over-the-air update
 *  @{ */

/**
 * @brief Bytes of the OTA verifier's one static read buffer: the staging
 *        slot is hashed in blocks of this size. RAM used by OTA does not
 *        depend on the image size; larger blocks mean fewer slot reads.
 *
 * Default 512, or the port's choice (@c IOT_PORT_OTA_BLOCK_SIZE, set by the
 * port's build when the SDK is compiled): the posix port takes 16384, since
 * each slot read there is a file operation and a host has the RAM.
 */
#ifndef IOT_CONFIG_OTA_BLOCK_SIZE
#if defined(IOT_PORT_OTA_BLOCK_SIZE)
#define IOT_CONFIG_OTA_BLOCK_SIZE IOT_PORT_OTA_BLOCK_SIZE
#else
#define IOT_CONFIG_OTA_BLOCK_SIZE 512
#endif
#endif

/**
 * @brief Port store uid of component 0's OTA record (state, resume
 *        parameters, anti-rollback security counter); component @c n uses
 *        this value + @c n. Change it when other code shares the port store.
 */
#ifndef IOT_CONFIG_OTA_STORE_UID_BASE
#define IOT_CONFIG_OTA_STORE_UID_BASE 0x4F000000u
#endif

/**
 * @brief Bytes the OTA agent writes between two durable checkpoints of a
 *        download, on a port with @c IOT_PORT_FW_HAS_SYNC (others make
 *        every block durable).
 *
 * Blocks are written unsynced; every this many bytes, and at the end of
 * the image, the agent makes them durable and the resume point moves. A
 * power cut re-requests what came after the last checkpoint: at most this
 * many bytes are downloaded twice. Larger means fewer flushes (faster on
 * storage where a flush is dear), smaller means less to repeat. The
 * agent's iot_ota_agent_config_t::checkpoint_bytes overrides it.
 */
#ifndef IOT_CONFIG_OTA_CHECKPOINT_BYTES
#define IOT_CONFIG_OTA_CHECKPOINT_BYTES (256u * 1024u)
#endif
/** @} */

/** @name Argument checks
 *  @{ */

/**
 * @brief Set to 0 to compile out the precondition checks on public functions.
 *
 * With checks on (the default) every public function returns
 * ::IOT_ERR_INVALID_ARG for NULL pointers and out-of-range values. Turning
 * them off saves code size on boards whose firmware is fully validated.
 */
#ifndef IOT_CONFIG_CHECK_ARGS
#define IOT_CONFIG_CHECK_ARGS 1
#endif
/** @} */


/** @name Attestation
 *  @{ */

/**
 * @brief Largest attestation token iot_attest_get_token() builds, in bytes.
 *
 * The token is built in a static buffer of this size (RAM: this many
 * bytes, plus the same again on the stack of the thread that answers a
 * gateway's challenge). A token with two software components, a 64-byte
 * challenge and an ES256 signature takes about 520 bytes.
 */
#ifndef IOT_CONFIG_ATTEST_TOKEN_MAX
#define IOT_CONFIG_ATTEST_TOKEN_MAX 1024
#endif

/**
 * @brief Most software components a token reports (posix: the secure and
 *        non-secure firmware slots, or the running program).
 */
#ifndef IOT_CONFIG_ATTEST_MAX_COMPONENTS
#define IOT_CONFIG_ATTEST_MAX_COMPONENTS 4
#endif
/** @} */

#endif /* CORSTONE_IOT_CONFIG_H */
