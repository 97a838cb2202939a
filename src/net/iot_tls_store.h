/* SPDX-License-Identifier: Apache-2.0 */
/* TLS credentials held in the key store (tls_store.c): certificates by id,
 * a client private key that signs through the store, a PSK by id.
 * doc/keys.md ("TLS with stored credentials") explains the design. */
#ifndef IOT_TLS_STORE_H
#define IOT_TLS_STORE_H

#include <stdint.h>

#include <corstone_iot/status.h>

#include "iot_transport_impl.h"

/* Append the certificate object `id` (DER) to `crt`. IOT_ERR_NOT_FOUND,
 * IOT_ERR_WRONG_KEY_TYPE (not a certificate), IOT_ERR_TLS_CREDENTIALS (Mbed
 * TLS cannot parse it), IOT_ERR_BAD_STATE (store not started),
 * IOT_ERR_STORAGE_CORRUPT, IOT_ERR_IO. */
iot_status_t iot_tls_store_parse_crt(mbedtls_x509_crt *crt, uint32_t id, const char *what);

/* Set up `pk` (initialised, empty) as a key whose signatures are made by
 * the key store with private key `id`; `sk` (in the same connection state)
 * is its context. The key must be the one whose public key `cert_pk` holds.
 * IOT_ERR_NOT_FOUND, IOT_ERR_WRONG_KEY_TYPE (not a private key, or not of
 * the certificate's key type), IOT_ERR_NOT_PERMITTED (no sign usage),
 * IOT_ERR_TLS_CREDENTIALS (another key than the certificate's),
 * IOT_ERR_NOT_SUPPORTED (Mbed TLS without a way to delegate), and the key
 * store's own statuses. */
iot_status_t iot_tls_store_setup_key(struct iot_tls_store_key *sk, mbedtls_pk_context *pk,
                                     const mbedtls_pk_context *cert_pk, uint32_t id);

/* Before mbedtls_ssl_setup(): configure `identity` with a random placeholder
 * key of the stored PSK's length (the real key is given to the handshake
 * only, by iot_tls_store_handshake_psk()). IOT_ERR_NOT_FOUND,
 * IOT_ERR_WRONG_KEY_TYPE (not a PSK), IOT_ERR_NOT_SUPPORTED (a volatile PSK),
 * IOT_ERR_TLS_CREDENTIALS, IOT_ERR_BAD_STATE. */
iot_status_t iot_tls_store_conf_psk(mbedtls_ssl_config *conf, uint32_t id, const char *identity);

/* After mbedtls_ssl_setup(): hand the stored PSK to this handshake. Mbed TLS
 * keeps its copy in the handshake state, which it wipes and frees when the
 * handshake ends (or the context is freed). */
iot_status_t iot_tls_store_handshake_psk(mbedtls_ssl_context *ssl, uint32_t id);

/* The four calls above, as the transport reaches them. The transport holds
 * no reference to tls_store.c (nor, through it, to the key store): the
 * table is attached by iot_keystore_init() (iot_tls_store_attach(), declared
 * in keys/iot_keys_internal.h), so firmware that never starts the key store
 * links neither. Until then a stored credential is refused with
 * IOT_ERR_BAD_STATE, which is what the store itself answers when it is not
 * started. */
typedef struct iot_tls_store_ops {
    iot_status_t (*parse_crt)(mbedtls_x509_crt *crt, uint32_t id, const char *what);
    iot_status_t (*setup_key)(struct iot_tls_store_key *sk, mbedtls_pk_context *pk,
                              const mbedtls_pk_context *cert_pk, uint32_t id);
    iot_status_t (*conf_psk)(mbedtls_ssl_config *conf, uint32_t id, const char *identity);
    iot_status_t (*handshake_psk)(mbedtls_ssl_context *ssl, uint32_t id);
} iot_tls_store_ops_t;

/* NULL until iot_tls_store_attach(); written with the same value every
 * time. Defined in a file of its own (tls_store_ops.c), so that neither
 * the transport nor the glue pulls the other into a link. */
extern const iot_tls_store_ops_t *iot_tls_store_ops;

#endif /* IOT_TLS_STORE_H */
