/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file tls.h
 * @brief How a connection is secured: server verification, client
 *        certificate, pre-shared key, ALPN and SNI.
 *
 * Secrets are named by reference (::iot_cred_t), never copied into the
 * configuration: a reference points at caller-owned memory, at a file, or
 * at an object in the key store.
 */
#ifndef CORSTONE_IOT_TLS_H
#define CORSTONE_IOT_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Where a credential (certificate, key or PSK) comes from. */
typedef enum iot_cred_source {
    IOT_CRED_NONE = 0,   /**< No credential. */
    IOT_CRED_BUFFER = 1, /**< Bytes in caller-owned memory (PEM with its NUL, DER, or raw PSK). */
    IOT_CRED_FILE = 2,   /**< A file path (hosts only): PEM or DER. */
    IOT_CRED_STORE = 3   /**< An object in the key store, by id; the secret never leaves it. */
} iot_cred_source_t;

/**
 * @brief A reference to a certificate, private key or pre-shared key.
 *
 * Build one with ::IOT_CRED_FROM_BUFFER, ::IOT_CRED_FROM_FILE or
 * ::IOT_CRED_FROM_STORE. The referenced memory must stay valid while the
 * connection that uses it exists (the SDK re-reads it when it reconnects).
 */
typedef struct iot_cred {
    iot_cred_source_t source; /**< Which of the fields below is meaningful. */
    const void *data;         /**< IOT_CRED_BUFFER: the bytes; IOT_CRED_FILE: the path (NUL-terminated). */
    size_t len;               /**< IOT_CRED_BUFFER: number of bytes (for PEM, include the NUL). */
    uint32_t store_id;        /**< IOT_CRED_STORE: key store id. */
} iot_cred_t;

/** @brief An empty credential reference. */
#define IOT_CRED_NONE_INIT { IOT_CRED_NONE, NULL, 0u, 0u }
/** @brief Reference @p len bytes at @p ptr (PEM including its NUL terminator, DER, or a raw PSK). */
#define IOT_CRED_FROM_BUFFER(ptr, len) { IOT_CRED_BUFFER, (ptr), (len), 0u }
/** @brief Reference the file at @p path (PEM or DER). */
#define IOT_CRED_FROM_FILE(path) { IOT_CRED_FILE, (path), 0u, 0u }
/**
 * @brief Reference the key store object @p id (<corstone_iot/keys.h>; the
 *        store must be started with iot_keystore_init()).
 *
 * - @c ca and @c client_cert: a certificate object.
 * - @c client_key: a private key (EC P-256 or P-384, RSA) with
 *   ::IOT_KEY_USAGE_SIGN, the one whose public key the client certificate
 *   carries. The handshake signature is made inside the store by key id;
 *   the TLS layer never holds the private key.
 * - @c psk: a persistent pre-shared key. With Mbed TLS 2.28 the TLS layer
 *   needs the key bytes to derive the session keys: they are handed to the
 *   handshake only, and wiped when it ends (doc/keys.md).
 *
 * Besides the TLS statuses, connecting then reports ::IOT_ERR_NOT_FOUND for
 * an unknown id, ::IOT_ERR_WRONG_KEY_TYPE for an object of another class or
 * a key of another type than the certificate's, ::IOT_ERR_NOT_PERMITTED for
 * a key without sign usage, ::IOT_ERR_TLS_CREDENTIALS for a key that is not
 * the certificate's, ::IOT_ERR_NOT_SUPPORTED for a volatile PSK, and
 * ::IOT_ERR_BAD_STATE when the store is not started.
 */
#define IOT_CRED_FROM_STORE(id) { IOT_CRED_STORE, NULL, 0u, (id) }

/** @brief How the connection is secured. */
typedef enum iot_tls_mode {
    IOT_TLS_CERT = 0, /**< TLS 1.2, server certificate verified against @c ca; optional client certificate. */
    IOT_TLS_PSK = 1,  /**< TLS 1.2 with a pre-shared key (PSK or ECDHE-PSK suites). */
    IOT_TLS_NONE = 2  /**< Plain TCP, no security at all. Only when explicitly chosen. */
} iot_tls_mode_t;

/** @brief Only ECDHE-PSK suites (forward secrecy) in ::IOT_TLS_PSK mode; plain PSK suites refused. */
#define IOT_TLS_FLAG_PSK_ECDHE_ONLY 0x1u

/**
 * @brief Security settings of one connection. Initialise with ::IOT_TLS_CONFIG_INIT
 *        and set the fields you need.
 */
typedef struct iot_tls_config {
    uint32_t struct_size;      /**< sizeof(iot_tls_config_t) at compile time; set by the INIT macro. */
    iot_tls_mode_t mode;       /**< Certificate TLS (default), PSK, or plain TCP. */
    iot_cred_t ca;             /**< Trust anchors for the server certificate (IOT_TLS_CERT; required). */
    iot_cred_t client_cert;    /**< Client certificate chain for mutual TLS (optional). */
    iot_cred_t client_key;     /**< Private key matching @c client_cert. */
    const char *psk_identity;  /**< PSK identity (IOT_TLS_PSK; required). */
    iot_cred_t psk;            /**< The pre-shared key (IOT_TLS_PSK; required). */
    const char *server_name;   /**< Name for SNI and certificate check; NULL means the host name connected to. */
    const char *const *alpn;   /**< NULL-terminated ALPN protocol list (e.g. "x-amzn-mqtt-ca"), or NULL. */
    uint32_t flags;            /**< IOT_TLS_FLAG_* bits. */
} iot_tls_config_t;

/** @brief Default settings: certificate TLS with no credentials set yet. */
#define IOT_TLS_CONFIG_INIT                                                                  \
    { sizeof(iot_tls_config_t), IOT_TLS_CERT, IOT_CRED_NONE_INIT, IOT_CRED_NONE_INIT,        \
      IOT_CRED_NONE_INIT, NULL, IOT_CRED_NONE_INIT, NULL, NULL, 0u }

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_TLS_H */
