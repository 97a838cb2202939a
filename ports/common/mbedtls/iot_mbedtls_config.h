/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mbed TLS 2.28 configuration of the board builds (MBEDTLS_CONFIG_FILE): a
 * TLS 1.2 client and nothing else. Every option is listed with the reason it
 * is here; what is not listed is off. The full list of what a product can
 * change is in doc/boards.md.
 *
 * Cipher suites this enables (src/net/transport.c offers them in this order
 * and drops the ones that are not compiled in):
 *   certificates: TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256 (P-256)
 *   PSK:          TLS-ECDHE-PSK-WITH-AES-128-CBC-SHA256 (forward secrecy;
 *                 Mbed TLS 2.28 has no ECDHE-PSK AEAD suite), then
 *                 TLS-PSK-WITH-AES-128-GCM-SHA256 and TLS-PSK-WITH-AES-128-CCM
 */
#ifndef IOT_MBEDTLS_CONFIG_H
#define IOT_MBEDTLS_CONFIG_H

/* ---- System ---- */
/* Inline assembly for the bignum multiply (Thumb-2 UMAAL): the P-256
 * arithmetic of ECDHE and ECDSA is several times faster with it. */
#define MBEDTLS_HAVE_ASM
/* No wall clock on the board: certificate validity dates are not checked
 * (MBEDTLS_HAVE_TIME_DATE off); the server is identified by its chain and
 * its name. */
/* Allocation: newlib's calloc/free, whose heap is a fixed region reserved
 * by the linker script (__iot_heap_size, sized per image), so the peak is
 * visible as the extent _sbrk reached (ports/common/cortex_m/ram_report.c).
 * A product that wants a separate pool defines MBEDTLS_PLATFORM_MEMORY and
 * MBEDTLS_MEMORY_BUFFER_ALLOC_C instead. */
#define MBEDTLS_PLATFORM_C
/* Entropy: no /dev/urandom. mbedtls_hardware_poll() forwards to
 * iot_port_entropy(), which refuses when the board has no secure source. */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_MAX_SOURCES 2
#define MBEDTLS_CTR_DRBG_C
/* Drop the deprecated 2.x entry points: smaller, and nothing here uses them. */
#define MBEDTLS_DEPRECATED_REMOVED

/* ---- Symmetric crypto: AES-128 in GCM and CCM (and CBC for ECDHE-PSK) ---- */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES   /* tables in flash, not 8 KiB of RAM */
#define MBEDTLS_AES_FEWER_TABLES /* one table instead of four: 6 KiB less flash */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_GCM_C
#define MBEDTLS_CCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* rolled loop: about 2 KiB less flash */

/* ---- Public-key crypto: ECDHE and ECDSA on P-256 only ---- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_MAX_SIZE 32   /* 256-bit numbers: no RSA */
#define MBEDTLS_MPI_WINDOW_SIZE 2
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2        /* fewer precomputed points: less RAM */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0  /* no 9 KiB precomputed table in flash */
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
/* Writing public keys as DER: the TLS glue of the key store hands a stored
 * key's public half to Mbed TLS that way. */
#define MBEDTLS_PK_WRITE_C
/* Certificates and keys can be given as PEM as well as DER. */
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 4

/* ---- PSA Crypto core (the API the key store uses); built in, linked only
 * by images that call psa_*. Not in a build against TF-M (IOT_BOARD_TFM,
 * ports/common/tfm.cmake): there psa_* are TF-M's Crypto service. ---- */
#ifndef IOT_BOARD_TFM
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_KEY_SLOT_COUNT 8
#endif

/* ---- TLS 1.2 client ---- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC        /* RFC 7366, for the CBC suite */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET  /* RFC 7627 */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION  /* SNI */
#define MBEDTLS_SSL_ALPN
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH     /* RFC 6066, for servers that honour it */
/* Record buffers: 16 KiB each by default. MQTT packets of this SDK fit in
 * IOT_CONFIG_MQTT_RX_BUFFER_SIZE, and brokers send records no larger than the
 * data they carry (certificate chains of a few KiB during the handshake), so
 * 4 KiB in and 2 KiB out. A server that sends a larger record makes the
 * connection fail with a record-overflow error. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048
/* Readable messages for failures in the log (about 8 KiB of flash): off;
 * the SDK logs the numeric code. */

#include "mbedtls/check_config.h"

#endif /* IOT_MBEDTLS_CONFIG_H */
