/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file status.h
 * @brief The single status type returned by every corstone-iot function.
 *
 * Every failure has its own code, so that firmware can react to it and
 * report it without parsing text. Codes are stable: a code keeps its number
 * for the life of the major version, and new codes are only ever appended.
 */
#ifndef CORSTONE_IOT_STATUS_H
#define CORSTONE_IOT_STATUS_H

#include <corstone_iot/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Result of a corstone-iot call.
 *
 * ::IOT_OK (zero) means success; every other value names one failure.
 * Use iot_strerror() to turn a code into text for logs.
 */
typedef enum iot_status {
    IOT_OK = 0,                      /**< Success. */

    /* General (1..31) */
    IOT_ERR_INVALID_ARG = 1,         /**< A pointer was NULL, a size or value out of range. */
    IOT_ERR_BAD_STATE = 2,           /**< The call is not allowed in the object's current state. */
    IOT_ERR_NO_MEMORY = 3,           /**< A configured static pool or table is exhausted. */
    IOT_ERR_BUFFER_TOO_SMALL = 4,    /**< The caller's buffer cannot hold the result. */
    IOT_ERR_TIMEOUT = 5,             /**< The operation did not complete within its time limit. */
    IOT_ERR_QUEUE_FULL = 6,          /**< Back-pressure: the bounded outgoing queue is full; retry later. */
    IOT_ERR_NOT_SUPPORTED = 7,       /**< The feature is not built in or not offered by this port. */
    IOT_ERR_IO = 8,                  /**< A port I/O operation (file, flash, device) failed. */
    IOT_ERR_INCOMPLETE = 9,          /**< More input bytes are needed to complete the operation. */
    IOT_ERR_NOT_FOUND = 10,          /**< The named object does not exist. */
    IOT_ERR_ALREADY_EXISTS = 11,     /**< An object with that name or id already exists. */
    IOT_ERR_NOT_PERMITTED = 12,      /**< The operation is forbidden by policy (e.g. exporting a secret). */
    IOT_ERR_STORAGE_FULL = 13,       /**< Persistent storage has no room for the object. */
    IOT_ERR_STORAGE_CORRUPT = 14,    /**< Persistent storage holds data that fails its integrity check. */
    IOT_ERR_CRYPTO = 15,             /**< A cryptographic service reported a failure. */
    IOT_ERR_ENTROPY = 16,            /**< No (secure) entropy source is available. */
    IOT_ERR_BAD_FORMAT = 17,         /**< Input data (PEM, DER, image, token) is malformed. */
    IOT_ERR_INTERNAL = 18,           /**< An internal invariant failed; please report it. */

    /* Network (32..47) */
    IOT_ERR_NET_RESOLVE = 32,        /**< The host name could not be resolved. */
    IOT_ERR_NET_CONNECT = 33,        /**< The TCP connection was refused or could not be made. */
    IOT_ERR_NET_CLOSED = 34,         /**< The peer closed the connection. */
    IOT_ERR_NET_IO = 35,             /**< Sending or receiving on the socket failed. */

    /* TLS (48..63) */
    IOT_ERR_TLS_HANDSHAKE = 48,      /**< The TLS handshake failed for a reason not listed below. */
    IOT_ERR_TLS_CERT_UNTRUSTED = 49, /**< The server certificate does not chain to the configured CA. */
    IOT_ERR_TLS_CERT_EXPIRED = 50,   /**< The server certificate has expired or is not yet valid. */
    IOT_ERR_TLS_HOSTNAME = 51,       /**< The server certificate does not match the host name. */
    IOT_ERR_TLS_PSK_REJECTED = 52,   /**< The pre-shared key or its identity was rejected. */
    IOT_ERR_TLS_PEER_REFUSED = 53,   /**< The server refused our client certificate. */
    IOT_ERR_TLS_CREDENTIALS = 54,    /**< Our own TLS credentials are missing, unreadable or inconsistent. */
    IOT_ERR_TLS = 55,                /**< A TLS record-layer error after the handshake. */

    /* MQTT (64..95) */
    IOT_ERR_MQTT_PROTOCOL = 64,      /**< The peer sent a malformed or unexpected MQTT packet. */
    IOT_ERR_MQTT_REFUSED_VERSION = 65,  /**< CONNACK 1: protocol version refused. */
    IOT_ERR_MQTT_REFUSED_ID = 66,       /**< CONNACK 2: client identifier rejected. */
    IOT_ERR_MQTT_SERVER_UNAVAILABLE = 67, /**< CONNACK 3: server unavailable. */
    IOT_ERR_MQTT_BAD_CREDENTIALS = 68,  /**< CONNACK 4: bad user name or password. */
    IOT_ERR_MQTT_NOT_AUTHORIZED = 69,   /**< CONNACK 5: not authorised. */
    IOT_ERR_MQTT_SUBSCRIBE_REFUSED = 70, /**< The broker refused a subscription (SUBACK 0x80). */
    IOT_ERR_NOT_CONNECTED = 71,      /**< The client has no connection to the broker. */
    IOT_ERR_KEEPALIVE = 72,          /**< The broker did not answer a keep-alive ping in time. */
    IOT_ERR_PACKET_TOO_LARGE = 73,   /**< A packet exceeds MQTT's or the configured maximum size. */
    IOT_ERR_BAD_TOPIC = 74,          /**< A topic or filter is empty, not UTF-8, or misuses wildcards. */

    /* Key store (96..111) */
    IOT_ERR_BAD_SIGNATURE = 96,      /**< A signature does not verify against the data and the key. */
    IOT_ERR_UNSUPPORTED_KEY = 97,    /**< The key type, curve or size is not supported. */
    IOT_ERR_BAD_LABEL = 98,          /**< An object label is too long or contains control characters. */
    IOT_ERR_TRUNCATED = 99,          /**< Input data (PEM, DER) ends before its declared end. */
    IOT_ERR_BAD_PEM = 100,           /**< PEM armour is malformed: no BEGIN/END line or invalid base64. */
    IOT_ERR_WRONG_KEY_TYPE = 101,    /**< The object or data is of the wrong kind for the operation. */

    /* Attestation (128..143) */
    IOT_ERR_ATTEST_CHALLENGE = 128,  /**< The attestation challenge is not 32, 48 or 64 bytes long. */
    IOT_ERR_ATTEST_NO_KEY = 129      /**< The key store holds no usable attestation key. */
} iot_status_t;

/**
 * @brief Describe a status code.
 *
 * @param status Any value; unknown values are described as such.
 * @return A static, NUL-terminated English text. Never NULL. The caller
 *         must not free or modify it.
 * @par Thread safety
 * Safe to call from any thread at any time.
 */
IOT_API const char *iot_strerror(iot_status_t status);

/**
 * @brief The symbolic name of a status code, e.g. "IOT_ERR_TIMEOUT".
 *
 * @param status Any value.
 * @return A static NUL-terminated name, or "IOT_ERR_UNKNOWN". Never NULL.
 * @par Thread safety
 * Safe to call from any thread at any time.
 */
IOT_API const char *iot_status_name(iot_status_t status);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_STATUS_H */
