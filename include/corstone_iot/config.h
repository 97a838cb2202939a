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
 *        decoding, CONNACK and SUBACK encoding), which gateways need.
 *
 * 1 (default) builds it; device firmware sets 0 to save about 1 KiB of code.
 */
#ifndef IOT_CONFIG_MQTT_SERVER_CODEC
#define IOT_CONFIG_MQTT_SERVER_CODEC 1
#endif

/** @brief Default time an API call waits for the broker's answer, in milliseconds. */
#ifndef IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS
#define IOT_CONFIG_MQTT_DEFAULT_TIMEOUT_MS 10000
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
 *        table (about 100 bytes) and, when persistent, one port store object.
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

/** @name Over-the-air update
 *  @{ */

/**
 * @brief Bytes of the OTA verifier's one static read buffer: the staging
 *        slot is hashed in blocks of this size. RAM used by OTA does not
 *        depend on the image size; larger blocks mean fewer slot reads.
 */
#ifndef IOT_CONFIG_OTA_BLOCK_SIZE
#define IOT_CONFIG_OTA_BLOCK_SIZE 512
#endif

/**
 * @brief Port store uid of component 0's OTA record (state, resume
 *        parameters, anti-rollback security counter); component @c n uses
 *        this value + @c n. Change it when other code shares the port store.
 */
#ifndef IOT_CONFIG_OTA_STORE_UID_BASE
#define IOT_CONFIG_OTA_STORE_UID_BASE 0x4F000000u
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

#endif /* CORSTONE_IOT_CONFIG_H */
