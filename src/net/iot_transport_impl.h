/* SPDX-License-Identifier: Apache-2.0 */
/* Transport internals: the Mbed TLS state of one connection. Included by
 * iot_transport.h; only transport.c (and white-box tests) look inside. */
#ifndef IOT_TRANSPORT_IMPL_H
#define IOT_TRANSPORT_IMPL_H

#include <stdint.h>

/* version.h pulls in the library configuration in both 2.28 and 3.x; the
 * explicit includes below only make the dependency visible. */
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <mbedtls/build_info.h>
#elif defined(MBEDTLS_CONFIG_FILE)
#include MBEDTLS_CONFIG_FILE
#else
#include <mbedtls/config.h>
#endif

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

/* Most ALPN protocols one connection offers, and the bytes their names may
 * take together (each name plus its NUL). The names are copied because Mbed
 * TLS keeps pointers to them for the lifetime of the connection. */
#ifndef IOT_TRANSPORT_ALPN_MAX
#define IOT_TRANSPORT_ALPN_MAX 4
#endif
#ifndef IOT_TRANSPORT_ALPN_BUF_SIZE
#define IOT_TRANSPORT_ALPN_BUF_SIZE 64
#endif

/* Room for the cipher suite list handed to Mbed TLS (it keeps the pointer). */
#define IOT_TRANSPORT_MAX_SUITES 12

/*
 * Everything Mbed TLS needs for one TLS client connection, in the caller's
 * (static) storage. Our code never allocates; Mbed TLS itself allocates the
 * record buffers (about 2 x 16.5 KiB with the default MBEDTLS_SSL_*_CONTENT_LEN),
 * the handshake state, parsed certificates and copies of the PSK and host
 * name through its configured calloc/free. A zeroed struct is a valid
 * "nothing set up" state.
 */
struct iot_transport_impl {
    mbedtls_ssl_context ssl;       /* the session */
    mbedtls_ssl_config conf;       /* its configuration (referenced by ssl) */
    mbedtls_x509_crt ca;           /* trust anchors for the server certificate */
    mbedtls_x509_crt cert;         /* our client certificate chain (mutual TLS) */
    mbedtls_pk_context key;        /* the private key of cert */
    struct iot_tls_store_key {     /* context of `key` when it is held in the key store */
        uint32_t id;               /* key store id */
        uint32_t bits;             /* key size */
        int32_t sign_status;       /* iot_status_t of a failed signature (0: none) */
        uint8_t key_type;          /* iot_key_type_t */
    } store_key;                   /* (tls_store.c) */

    int ciphersuites[IOT_TRANSPORT_MAX_SUITES + 1];      /* 0-terminated */
    const char *alpn[IOT_TRANSPORT_ALPN_MAX + 1];        /* NULL-terminated, into alpn_names */
    char alpn_names[IOT_TRANSPORT_ALPN_BUF_SIZE];

    int32_t fatal;       /* iot_status_t of a fatal send/recv error (0: none); the
                          * session must not be used again, only closed */
    uint8_t tls_ready;   /* the Mbed TLS contexts above are initialised and must be freed */
    uint8_t sock_open;   /* the port socket is open and must be closed */
    uint8_t have_cert;   /* a client certificate is configured */
    uint8_t handshaken;  /* the handshake completed (close_notify is meaningful) */
};

#endif /* IOT_TRANSPORT_IMPL_H */
