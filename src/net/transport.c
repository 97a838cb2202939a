/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transport: a byte stream to the broker. TLS 1.2 client on Mbed TLS, or
 * plain TCP, both over the port's socket functions.
 *
 * Memory: everything lives in the caller's iot_transport_t. This file never
 * allocates; Mbed TLS allocates its record buffers, handshake state, parsed
 * certificates and copies of the PSK and host name through its own
 * configured calloc/free (MBEDTLS_PLATFORM_MEMORY lets a board route that
 * to a static pool). iot_transport_close() releases all of it.
 *
 * Timeouts: every public call computes a deadline with iot_port_time_ms()
 * and stores the time left in t->io_timeout_ms before each Mbed TLS call;
 * the BIO callbacks hand it to the port as the per-call limit. A port
 * timeout becomes MBEDTLS_ERR_SSL_WANT_READ / WANT_WRITE, the codes after
 * which Mbed TLS documents the session as resumable (MBEDTLS_ERR_SSL_TIMEOUT
 * is not: after it mbedtls_ssl_read() requires the context to be dropped).
 * That is what lets iot_transport_recv() return IOT_ERR_TIMEOUT in the
 * middle of a record and continue later.
 *
 * Thread safety: one thread at a time per transport (the client lock),
 * except iot_transport_wait_readable(), which only reads the count of
 * decrypted bytes Mbed TLS holds and the read-ahead counters (which only
 * the receiving thread changes) and waits on the socket.
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>

#include <corstone_iot/port.h>

#include "iot_internal.h"
#include "iot_transport.h"
#if defined(IOT_HAVE_KEYSTORE)
#include "iot_tls_store.h"
#endif

#include <mbedtls/net_sockets.h> /* MBEDTLS_ERR_NET_* codes returned by the BIO callbacks */
#include <mbedtls/platform_util.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl_ciphersuites.h>
#if defined(MBEDTLS_ERROR_C)
#include <mbedtls/error.h>
#endif
/* 3.x wants PSA crypto initialised before TLS whenever it is built in;
 * 2.28 only with MBEDTLS_USE_PSA_CRYPTO. */
#if defined(MBEDTLS_USE_PSA_CRYPTO) || \
    (MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C))
#include <psa/crypto.h>
#define IOT_TLS_INIT_PSA 1
#endif
/* Reading a raw PSK file: mbedtls_pk_load_file() is public up to 3.5. */
#if defined(MBEDTLS_FS_IO) && MBEDTLS_VERSION_NUMBER < 0x03060000
#include <mbedtls/platform.h> /* mbedtls_free for the buffer it returns */
#define IOT_TLS_CAN_READ_PSK_FILE 1
#endif

/* Mbed TLS 3.x marks the context fields we inspect after a failed handshake
 * (the state and the received alert) as private; 2.28 does not. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define IOT_SSL_FIELD(f) MBEDTLS_PRIVATE(f)
#else
#define IOT_SSL_FIELD(f) f
#endif

#define LOG_MOD "tls"

/* Best-effort budget for sending close_notify in iot_transport_close(). */
#define IOT_TRANSPORT_CLOSE_NOTIFY_MS 500u

/* TLS alert descriptions (RFC 5246 7.2, RFC 4279, RFC 8446). */
enum {
    ALERT_BAD_RECORD_MAC = 20,
    ALERT_HANDSHAKE_FAILURE = 40,
    ALERT_NO_CERTIFICATE = 41,
    ALERT_BAD_CERTIFICATE = 42,
    ALERT_UNSUPPORTED_CERTIFICATE = 43,
    ALERT_CERTIFICATE_REVOKED = 44,
    ALERT_CERTIFICATE_EXPIRED = 45,
    ALERT_CERTIFICATE_UNKNOWN = 46,
    ALERT_ILLEGAL_PARAMETER = 47,
    ALERT_UNKNOWN_CA = 48,
    ALERT_ACCESS_DENIED = 49,
    ALERT_DECODE_ERROR = 50,
    ALERT_DECRYPT_ERROR = 51,
    ALERT_PROTOCOL_VERSION = 70,
    ALERT_INSUFFICIENT_SECURITY = 71,
    ALERT_INTERNAL_ERROR = 80,
    ALERT_UNRECOGNIZED_NAME = 112,
    ALERT_UNKNOWN_PSK_IDENTITY = 115,
    ALERT_CERTIFICATE_REQUIRED = 116,
    ALERT_NO_APPLICATION_PROTOCOL = 120
};

static const unsigned char k_personalization[] = "corstone-iot tls client";

/* Certificate mode: ECDHE (forward secrecy) with AEAD only. */
static const int k_cert_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

/* PSK mode, offered first: ECDHE-PSK (TLS 1.2 has no ECDHE-PSK GCM/CCM
 * suites in Mbed TLS, so these are ChaCha20-Poly1305 and CBC with SHA-2 HMAC,
 * sent with encrypt-then-MAC). */
static const int k_ecdhe_psk_suites[] = {
    MBEDTLS_TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384,
};

/* PSK mode, after those unless IOT_TLS_FLAG_PSK_ECDHE_ONLY: plain PSK. */
static const int k_plain_psk_suites[] = {
    MBEDTLS_TLS_PSK_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_PSK_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_PSK_WITH_AES_128_CCM,
    MBEDTLS_TLS_PSK_WITH_AES_256_CCM,
    MBEDTLS_TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_PSK_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_PSK_WITH_AES_256_CBC_SHA384,
};

/* ------------------------------------------------------------------ helpers */

static uint32_t time_left(uint64_t deadline)
{
    uint64_t now = iot_port_time_ms();

    if (now >= deadline) {
        return 0u;
    }
    return (deadline - now > UINT32_MAX) ? UINT32_MAX : (uint32_t)(deadline - now);
}

static uint64_t deadline_after(uint32_t timeout_ms)
{
    return iot_port_time_ms() + timeout_ms;
}

#if IOT_CONFIG_LOG_LEVEL >= 0 /* helpers of the error log lines */
static unsigned int err_code(int ret)
{
    return (ret < 0) ? (unsigned int)(-ret) : (unsigned int)ret;
}

/* Logs "<what>: -0xNNNN (<Mbed TLS reason>)". */
static void log_mbedtls(const char *what, int ret)
{
#if defined(MBEDTLS_ERROR_C)
    char reason[100];

    mbedtls_strerror(ret, reason, sizeof(reason));
    IOT_LOGE(LOG_MOD, "%s: -0x%04x (%s)", what, err_code(ret), reason);
#else
    IOT_LOGE(LOG_MOD, "%s: -0x%04x", what, err_code(ret));
#endif
}
#else
static void log_mbedtls(const char *what, int ret)
{
    (void)what;
    (void)ret;
}
#endif

#if IOT_CONFIG_LOG_LEVEL >= 0
/* Names of the alerts above, for the log: two tables rather than a switch,
 * which GCC compiles into a jump table over every value from 20 to 120. */
static const uint8_t k_alert_codes[] = {
    ALERT_BAD_RECORD_MAC,
    ALERT_HANDSHAKE_FAILURE,
    ALERT_NO_CERTIFICATE,
    ALERT_BAD_CERTIFICATE,
    ALERT_UNSUPPORTED_CERTIFICATE,
    ALERT_CERTIFICATE_REVOKED,
    ALERT_CERTIFICATE_EXPIRED,
    ALERT_CERTIFICATE_UNKNOWN,
    ALERT_ILLEGAL_PARAMETER,
    ALERT_UNKNOWN_CA,
    ALERT_ACCESS_DENIED,
    ALERT_DECODE_ERROR,
    ALERT_DECRYPT_ERROR,
    ALERT_PROTOCOL_VERSION,
    ALERT_INSUFFICIENT_SECURITY,
    ALERT_INTERNAL_ERROR,
    ALERT_UNRECOGNIZED_NAME,
    ALERT_UNKNOWN_PSK_IDENTITY,
    ALERT_CERTIFICATE_REQUIRED,
    ALERT_NO_APPLICATION_PROTOCOL,
};
static const char *const k_alert_names[] = {
    "bad_record_mac",
    "handshake_failure",
    "no_certificate",
    "bad_certificate",
    "unsupported_certificate",
    "certificate_revoked",
    "certificate_expired",
    "certificate_unknown",
    "illegal_parameter",
    "unknown_ca",
    "access_denied",
    "decode_error",
    "decrypt_error",
    "protocol_version",
    "insufficient_security",
    "internal_error",
    "unrecognized_name",
    "unknown_psk_identity",
    "certificate_required",
    "no_application_protocol",
};
_Static_assert(sizeof(k_alert_codes) == sizeof(k_alert_names) / sizeof(k_alert_names[0]),
               "one name per alert code");

static const char *alert_name(unsigned int alert)
{
    size_t i;

    for (i = 0; i < sizeof(k_alert_codes); i++) {
        if (k_alert_codes[i] == alert) {
            return k_alert_names[i];
        }
    }
    return "other";
}
#endif

/* Alerts with which a server refuses the client certificate it asked for
 * (handshake_failure is what TLS 1.2 servers send for a missing one). */
static int is_client_cert_refusal(unsigned int alert)
{
    switch (alert) {
    case ALERT_HANDSHAKE_FAILURE:
    case ALERT_NO_CERTIFICATE:
    case ALERT_BAD_CERTIFICATE:
    case ALERT_UNSUPPORTED_CERTIFICATE:
    case ALERT_CERTIFICATE_REVOKED:
    case ALERT_CERTIFICATE_EXPIRED:
    case ALERT_CERTIFICATE_UNKNOWN:
    case ALERT_UNKNOWN_CA:
    case ALERT_ACCESS_DENIED:
    case ALERT_CERTIFICATE_REQUIRED:
        return 1;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ BIO callbacks */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    iot_transport_t *t = ctx;
    size_t sent = 0;
    iot_status_t st;

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    st = iot_port_tcp_send(&t->sock, buf, len, t->io_timeout_ms, &sent);
    switch (st) {
    case IOT_OK:
        return (int)sent;
    case IOT_ERR_TIMEOUT:
        return MBEDTLS_ERR_SSL_WANT_WRITE; /* resumable: call again with the same data */
    case IOT_ERR_NET_CLOSED:
        return MBEDTLS_ERR_NET_CONN_RESET;
    default:
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

/* Mbed TLS passes its own read_timeout (conf, left at 0 = none); the limit
 * that applies is the caller's, in t->io_timeout_ms.
 *
 * Mbed TLS asks for exactly what it needs (a 5-byte record header, then the
 * record body), which would cost two socket reads per record. With
 * read-ahead, a small request refills t->ra_buf with whatever has arrived
 * and later requests are served from it; a request at least as large as the
 * buffer (a big record body) goes straight to the socket once the buffer is
 * empty. Bytes are handed over in stream order either way. */
static int bio_recv_timeout(void *ctx, unsigned char *buf, size_t len, uint32_t timeout)
{
    iot_transport_t *t = ctx;
    size_t got = 0;
    iot_status_t st;

    (void)timeout;
    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
#if IOT_CONFIG_TLS_READ_AHEAD_SIZE > 0
    if (t->ra_len == 0u && len < sizeof(t->ra_buf)) {
        st = iot_port_tcp_recv(&t->sock, t->ra_buf, sizeof(t->ra_buf), t->io_timeout_ms, &got);
        if (st == IOT_OK) {
            t->ra_off = 0;
            t->ra_len = got;
        }
    } else if (t->ra_len == 0u) {
        st = iot_port_tcp_recv(&t->sock, buf, len, t->io_timeout_ms, &got);
    } else {
        st = IOT_OK;
    }
    if (st == IOT_OK && t->ra_len > 0u) {
        got = (len < t->ra_len) ? len : t->ra_len;
        memcpy(buf, t->ra_buf + t->ra_off, got);
        t->ra_off += got;
        t->ra_len -= got;
    }
#else
    st = iot_port_tcp_recv(&t->sock, buf, len, t->io_timeout_ms, &got);
#endif
    switch (st) {
    case IOT_OK:
        return (int)got;
    case IOT_ERR_TIMEOUT:
        return MBEDTLS_ERR_SSL_WANT_READ; /* resumable, even in the middle of a record */
    case IOT_ERR_NET_CLOSED:
        return MBEDTLS_ERR_NET_CONN_RESET;
    default:
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

static int entropy_from_port(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    if (iot_port_entropy(output, len) != IOT_OK) {
        *olen = 0;
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}

/* One generator serves every connection: the entropy context alone takes
 * tens of KiB in some Mbed TLS builds (HAVEGE state), and CTR-DRBG locks
 * itself when Mbed TLS is built with threading. Seeded once, on first use,
 * from the port's strong source only; it lives as long as the program. */
static mbedtls_entropy_context g_entropy;
static mbedtls_ctr_drbg_context g_drbg;
static atomic_int g_rng_state; /* RNG_NONE, RNG_SEEDING or RNG_READY */

enum { RNG_NONE = 0, RNG_SEEDING = 1, RNG_READY = 2 };

static iot_status_t seed_shared_rng(void)
{
    int ret;

    mbedtls_entropy_init(&g_entropy);
    mbedtls_ctr_drbg_init(&g_drbg);
    ret = mbedtls_entropy_add_source(&g_entropy, entropy_from_port, NULL, 32,
                                     MBEDTLS_ENTROPY_SOURCE_STRONG);
    if (ret == 0) {
        ret = mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_entropy,
                                    k_personalization, sizeof(k_personalization) - 1u);
    }
    if (ret != 0) {
        log_mbedtls("random generator could not be seeded", ret);
        mbedtls_ctr_drbg_free(&g_drbg);
        mbedtls_entropy_free(&g_entropy);
        return IOT_ERR_ENTROPY;
    }
    return IOT_OK;
}

static iot_status_t shared_rng_ready(void)
{
    int expected = RNG_NONE;

    if (atomic_load(&g_rng_state) == RNG_READY) {
        return IOT_OK;
    }
    if (atomic_compare_exchange_strong(&g_rng_state, &expected, RNG_SEEDING)) {
        iot_status_t st = seed_shared_rng();
        atomic_store(&g_rng_state, (st == IOT_OK) ? RNG_READY : RNG_NONE);
        return st;
    }
    while (atomic_load(&g_rng_state) == RNG_SEEDING) {
        iot_port_sleep_ms(1);
    }
    return (atomic_load(&g_rng_state) == RNG_READY) ? IOT_OK : IOT_ERR_ENTROPY;
}

/* ------------------------------------------------------------- credentials */

#if defined(IOT_HAVE_KEYSTORE)
/* The store's TLS glue, or NULL when the store was never started: its
 * credentials are then refused as the store refuses them before
 * iot_keystore_init(). */
static const iot_tls_store_ops_t *store_ops(const char *what, uint32_t id)
{
    const iot_tls_store_ops_t *ops = iot_tls_store_ops;

    (void)what; /* only logged */
    (void)id;
    if (ops == NULL) {
        IOT_LOGE(LOG_MOD, "%s: key store object %u: key store not started", what, (unsigned)id);
    }
    return ops;
}
#endif

/* Checks a credential reference before anything is set up. */
static iot_status_t check_cred(const iot_cred_t *c, const char *what, int required)
{
    (void)what; /* only logged */
    switch (c->source) {
    case IOT_CRED_NONE:
        if (required) {
            IOT_LOGE(LOG_MOD, "%s: required but not set", what);
            return IOT_ERR_INVALID_ARG;
        }
        return IOT_OK;
    case IOT_CRED_BUFFER:
        if (c->data == NULL || c->len == 0u) {
            IOT_LOGE(LOG_MOD, "%s: empty buffer", what);
            return IOT_ERR_INVALID_ARG;
        }
        return IOT_OK;
    case IOT_CRED_FILE:
        if (c->data == NULL || ((const char *)c->data)[0] == '\0') {
            IOT_LOGE(LOG_MOD, "%s: no file name", what);
            return IOT_ERR_INVALID_ARG;
        }
#if defined(MBEDTLS_FS_IO)
        return IOT_OK;
#else
        IOT_LOGE(LOG_MOD, "%s: files are not available on this port", what);
        return IOT_ERR_NOT_SUPPORTED;
#endif
    case IOT_CRED_STORE:
#if defined(IOT_HAVE_KEYSTORE)
        return IOT_OK; /* the store checks the id when the credential is loaded */
#else
        IOT_LOGE(LOG_MOD, "%s: this build has no key store", what);
        return IOT_ERR_NOT_SUPPORTED;
#endif
    default:
        IOT_LOGE(LOG_MOD, "%s: unknown credential source %d", what, (int)c->source);
        return IOT_ERR_INVALID_ARG;
    }
}

/* Everything that can be rejected without touching Mbed TLS or the network. */
static iot_status_t check_config(const iot_tls_config_t *cfg)
{
    iot_status_t st;

    if (cfg->struct_size < sizeof(iot_tls_config_t)) {
        IOT_LOGE(LOG_MOD, "TLS config not initialised with IOT_TLS_CONFIG_INIT");
        return IOT_ERR_INVALID_ARG;
    }
    switch (cfg->mode) {
    case IOT_TLS_NONE:
        return IOT_OK;
    case IOT_TLS_CERT: {
        int with_cert = cfg->client_cert.source != IOT_CRED_NONE;
        int with_key = cfg->client_key.source != IOT_CRED_NONE;

        st = check_cred(&cfg->ca, "CA certificate", 1);
        if (st == IOT_OK) {
            st = check_cred(&cfg->client_cert, "client certificate", with_key);
        }
        if (st == IOT_OK) {
            st = check_cred(&cfg->client_key, "client key", with_cert);
        }
        break;
    }
    case IOT_TLS_PSK:
        if (cfg->psk_identity == NULL || cfg->psk_identity[0] == '\0') {
            IOT_LOGE(LOG_MOD, "PSK identity: required but not set");
            return IOT_ERR_INVALID_ARG;
        }
        st = check_cred(&cfg->psk, "PSK", 1);
        break;
    default:
        IOT_LOGE(LOG_MOD, "unknown TLS mode %d", (int)cfg->mode);
        return IOT_ERR_INVALID_ARG;
    }
    if (st == IOT_OK && cfg->server_name != NULL && strlen(cfg->server_name) > 255u) {
        IOT_LOGE(LOG_MOD, "server name too long");
        st = IOT_ERR_INVALID_ARG;
    }
    return st;
}

static int parse_crt(mbedtls_x509_crt *crt, const iot_cred_t *c)
{
#if defined(MBEDTLS_FS_IO)
    if (c->source == IOT_CRED_FILE) {
        return mbedtls_x509_crt_parse_file(crt, (const char *)c->data);
    }
#endif
    return mbedtls_x509_crt_parse(crt, (const unsigned char *)c->data, c->len);
}

static int parse_key(struct iot_transport_impl *im, const iot_cred_t *c)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#if defined(MBEDTLS_FS_IO)
    if (c->source == IOT_CRED_FILE) {
        return mbedtls_pk_parse_keyfile(&im->key, (const char *)c->data, NULL,
                                        mbedtls_ctr_drbg_random, &g_drbg);
    }
#endif
    return mbedtls_pk_parse_key(&im->key, (const unsigned char *)c->data, c->len, NULL, 0,
                                mbedtls_ctr_drbg_random, &g_drbg);
#else
#if defined(MBEDTLS_FS_IO)
    if (c->source == IOT_CRED_FILE) {
        return mbedtls_pk_parse_keyfile(&im->key, (const char *)c->data, NULL);
    }
#endif
    return mbedtls_pk_parse_key(&im->key, (const unsigned char *)c->data, c->len, NULL, 0);
#endif
}

static int check_pair(struct iot_transport_impl *im)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_check_pair(&im->cert.pk, &im->key, mbedtls_ctr_drbg_random, &g_drbg);
#else
    return mbedtls_pk_check_pair(&im->cert.pk, &im->key);
#endif
}

static iot_status_t load_cert_creds(struct iot_transport_impl *im, const iot_tls_config_t *cfg)
{
    int ret;

#if defined(IOT_HAVE_KEYSTORE)
    if (cfg->ca.source == IOT_CRED_STORE) {
        const iot_tls_store_ops_t *ops = store_ops("CA certificate", cfg->ca.store_id);
        iot_status_t st = (ops == NULL) ? IOT_ERR_BAD_STATE
                                        : ops->parse_crt(&im->ca, cfg->ca.store_id,
                                                         "CA certificate");
        if (st != IOT_OK) {
            return st;
        }
    }
#endif
    ret = (cfg->ca.source == IOT_CRED_STORE) ? 0 : parse_crt(&im->ca, &cfg->ca);
    if (ret < 0) {
        log_mbedtls("CA certificate could not be loaded", ret);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    if (ret > 0) {
        /* A bundle in which some certificates use unsupported algorithms:
         * the others still serve as trust anchors. */
        IOT_LOGW(LOG_MOD, "%d certificate(s) in the CA list could not be parsed", ret);
    }
    mbedtls_ssl_conf_ca_chain(&im->conf, &im->ca, NULL);

    if (cfg->client_cert.source == IOT_CRED_NONE) {
        return IOT_OK;
    }
#if defined(IOT_HAVE_KEYSTORE)
    if (cfg->client_cert.source == IOT_CRED_STORE) {
        const iot_tls_store_ops_t *ops =
            store_ops("client certificate", cfg->client_cert.store_id);
        iot_status_t st = (ops == NULL) ? IOT_ERR_BAD_STATE
                                        : ops->parse_crt(&im->cert, cfg->client_cert.store_id,
                                                         "client certificate");
        if (st != IOT_OK) {
            return st;
        }
    }
#endif
    ret = (cfg->client_cert.source == IOT_CRED_STORE) ? 0 : parse_crt(&im->cert, &cfg->client_cert);
    if (ret != 0) {
        if (ret < 0) {
            log_mbedtls("client certificate could not be loaded", ret);
        } else {
            IOT_LOGE(LOG_MOD, "client certificate: %d certificate(s) could not be parsed", ret);
        }
        return IOT_ERR_TLS_CREDENTIALS;
    }
#if defined(IOT_HAVE_KEYSTORE)
    if (cfg->client_key.source == IOT_CRED_STORE) {
        /* Signs through the store; checks that it is the certificate's key. */
        const iot_tls_store_ops_t *ops = store_ops("client key", cfg->client_key.store_id);
        iot_status_t st = (ops == NULL) ? IOT_ERR_BAD_STATE
                                        : ops->setup_key(&im->store_key, &im->key, &im->cert.pk,
                                                         cfg->client_key.store_id);
        if (st != IOT_OK) {
            return st;
        }
    }
#endif
    if (cfg->client_key.source != IOT_CRED_STORE) {
        ret = parse_key(im, &cfg->client_key);
        if (ret != 0) {
            log_mbedtls("client key could not be loaded", ret);
            return IOT_ERR_TLS_CREDENTIALS;
        }
        ret = check_pair(im);
        if (ret != 0) {
            log_mbedtls("client key does not match the client certificate", ret);
            return IOT_ERR_TLS_CREDENTIALS;
        }
    }
    ret = mbedtls_ssl_conf_own_cert(&im->conf, &im->cert, &im->key);
    if (ret != 0) {
        log_mbedtls("client certificate rejected", ret);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    im->have_cert = 1u;
    return IOT_OK;
}

static iot_status_t load_psk(struct iot_transport_impl *im, const iot_tls_config_t *cfg)
{
    const unsigned char *psk = (const unsigned char *)cfg->psk.data;
    size_t psk_len = cfg->psk.len;
    unsigned char from_file[MBEDTLS_PSK_MAX_LEN];
    int ret;

#if defined(IOT_HAVE_KEYSTORE)
    if (cfg->psk.source == IOT_CRED_STORE) {
        /* A placeholder now; the key goes to the handshake (tls_setup). */
        const iot_tls_store_ops_t *ops = store_ops("PSK", cfg->psk.store_id);

        return (ops == NULL) ? IOT_ERR_BAD_STATE
                             : ops->conf_psk(&im->conf, cfg->psk.store_id, cfg->psk_identity);
    }
#endif
    if (cfg->psk.source == IOT_CRED_FILE) {
#if defined(IOT_TLS_CAN_READ_PSK_FILE)
        /* The file holds the raw key bytes. Mbed TLS reads it into a buffer
         * of its own, which is wiped and freed here. */
        unsigned char *buf = NULL;
        size_t n = 0;

        ret = mbedtls_pk_load_file((const char *)cfg->psk.data, &buf, &n);
        if (ret != 0) {
            log_mbedtls("PSK file could not be read", ret);
            return IOT_ERR_TLS_CREDENTIALS;
        }
        if (n == 0u || n > sizeof(from_file)) {
            mbedtls_platform_zeroize(buf, n);
            mbedtls_free(buf);
            IOT_LOGE(LOG_MOD, "PSK file: %u bytes, expected 1..%u", (unsigned)n,
                     (unsigned)sizeof(from_file));
            return IOT_ERR_TLS_CREDENTIALS;
        }
        memcpy(from_file, buf, n);
        mbedtls_platform_zeroize(buf, n);
        mbedtls_free(buf);
        psk = from_file;
        psk_len = n;
#else
        IOT_LOGE(LOG_MOD, "PSK files are not supported with this Mbed TLS");
        return IOT_ERR_NOT_SUPPORTED;
#endif
    }
    if (psk_len > sizeof(from_file)) {
        IOT_LOGE(LOG_MOD, "PSK: %u bytes, at most %u supported", (unsigned)psk_len,
                 (unsigned)sizeof(from_file));
        return IOT_ERR_TLS_CREDENTIALS;
    }
    ret = mbedtls_ssl_conf_psk(&im->conf, psk, psk_len, (const unsigned char *)cfg->psk_identity,
                               strlen(cfg->psk_identity));
    mbedtls_platform_zeroize(from_file, sizeof(from_file));
    if (ret != 0) {
        log_mbedtls("PSK rejected", ret);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    return IOT_OK;
}

/* ------------------------------------------------------------------- setup */

static size_t add_suites(int *out, size_t n, const int *list, size_t count)
{
    size_t i;

    for (i = 0; i < count && n < IOT_TRANSPORT_MAX_SUITES; i++) {
        if (mbedtls_ssl_ciphersuite_from_id(list[i]) != NULL) { /* compiled in? */
            out[n++] = list[i];
        }
    }
    return n;
}

static iot_status_t set_suites(struct iot_transport_impl *im, const iot_tls_config_t *cfg)
{
    size_t n = 0;

    if (cfg->mode == IOT_TLS_CERT) {
        n = add_suites(im->ciphersuites, n, k_cert_suites,
                       sizeof(k_cert_suites) / sizeof(k_cert_suites[0]));
    } else {
        n = add_suites(im->ciphersuites, n, k_ecdhe_psk_suites,
                       sizeof(k_ecdhe_psk_suites) / sizeof(k_ecdhe_psk_suites[0]));
        if ((cfg->flags & IOT_TLS_FLAG_PSK_ECDHE_ONLY) == 0u) {
            n = add_suites(im->ciphersuites, n, k_plain_psk_suites,
                           sizeof(k_plain_psk_suites) / sizeof(k_plain_psk_suites[0]));
        }
    }
    if (n == 0u) {
        IOT_LOGE(LOG_MOD, "Mbed TLS is built without any of the cipher suites this mode uses");
        return IOT_ERR_NOT_SUPPORTED;
    }
    im->ciphersuites[n] = 0;
    mbedtls_ssl_conf_ciphersuites(&im->conf, im->ciphersuites);
    return IOT_OK;
}

static iot_status_t set_alpn(struct iot_transport_impl *im, const char *const *list)
{
    if (list == NULL || list[0] == NULL) {
        return IOT_OK;
    }
#if defined(MBEDTLS_SSL_ALPN)
    {
        size_t n;
        size_t used = 0;
        int ret;

        for (n = 0; list[n] != NULL; n++) {
            size_t len = strlen(list[n]);

            if (n == IOT_TRANSPORT_ALPN_MAX || len == 0u || len > 255u ||
                len + 1u > sizeof(im->alpn_names) - used) {
                IOT_LOGE(LOG_MOD, "ALPN list: at most %u names of 1..255 bytes, %u bytes in all",
                         (unsigned)IOT_TRANSPORT_ALPN_MAX,
                         (unsigned)(IOT_TRANSPORT_ALPN_BUF_SIZE - IOT_TRANSPORT_ALPN_MAX));
                return IOT_ERR_INVALID_ARG;
            }
            memcpy(&im->alpn_names[used], list[n], len + 1u);
            im->alpn[n] = &im->alpn_names[used];
            used += len + 1u;
        }
        im->alpn[n] = NULL;
        ret = mbedtls_ssl_conf_alpn_protocols(&im->conf, im->alpn);
        if (ret != 0) {
            log_mbedtls("ALPN list rejected", ret);
            return IOT_ERR_INVALID_ARG;
        }
        return IOT_OK;
    }
#else
    (void)im;
    IOT_LOGE(LOG_MOD, "ALPN requested but Mbed TLS is built without MBEDTLS_SSL_ALPN");
    return IOT_ERR_NOT_SUPPORTED;
#endif
}

static iot_status_t tls_setup(iot_transport_t *t, const char *host, const iot_tls_config_t *cfg)
{
    struct iot_transport_impl *im = &t->impl;
    const char *name = (cfg->server_name != NULL && cfg->server_name[0] != '\0')
                           ? cfg->server_name
                           : host;
    iot_status_t st;
    int ret;

    mbedtls_ssl_init(&im->ssl);
    mbedtls_ssl_config_init(&im->conf);
    mbedtls_x509_crt_init(&im->ca);
    mbedtls_x509_crt_init(&im->cert);
    mbedtls_pk_init(&im->key);
    im->tls_ready = 1u;

#if defined(IOT_TLS_INIT_PSA)
    if (psa_crypto_init() != PSA_SUCCESS) { /* idempotent */
        IOT_LOGE(LOG_MOD, "PSA crypto could not be initialised");
        return IOT_ERR_CRYPTO;
    }
#endif

    st = shared_rng_ready();
    if (st != IOT_OK) {
        return st;
    }

    ret = mbedtls_ssl_config_defaults(&im->conf, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        log_mbedtls("TLS configuration failed", ret);
        return IOT_ERR_TLS_HANDSHAKE;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(&im->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&im->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&im->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&im->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
#endif
    /* Certificate mode needs a verified server; PSK mode offers no
     * certificate suites, so the setting never comes into play there. */
    mbedtls_ssl_conf_authmode(&im->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_rng(&im->conf, mbedtls_ctr_drbg_random, &g_drbg);

    st = set_suites(im, cfg);
    if (st == IOT_OK) {
        st = (cfg->mode == IOT_TLS_CERT) ? load_cert_creds(im, cfg) : load_psk(im, cfg);
    }
    if (st == IOT_OK) {
        st = set_alpn(im, cfg->alpn);
    }
    if (st != IOT_OK) {
        return st;
    }

    ret = mbedtls_ssl_setup(&im->ssl, &im->conf);
    if (ret != 0) {
        log_mbedtls("TLS session setup failed", ret);
        return (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) ? IOT_ERR_NO_MEMORY : IOT_ERR_TLS_HANDSHAKE;
    }
#if defined(IOT_HAVE_KEYSTORE)
    if (cfg->mode == IOT_TLS_PSK && cfg->psk.source == IOT_CRED_STORE) {
        const iot_tls_store_ops_t *ops = iot_tls_store_ops; /* load_psk() found it attached */

        st = (ops == NULL) ? IOT_ERR_BAD_STATE : ops->handshake_psk(&im->ssl, cfg->psk.store_id);
        if (st != IOT_OK) {
            return st;
        }
    }
#endif
    /* One name for SNI and for the certificate check; never NULL (which
     * would turn the name check off). */
    ret = mbedtls_ssl_set_hostname(&im->ssl, name);
    if (ret != 0) {
        log_mbedtls("server name rejected", ret);
        return (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) ? IOT_ERR_NO_MEMORY : IOT_ERR_INVALID_ARG;
    }
    mbedtls_ssl_set_bio(&im->ssl, t, bio_send, NULL, bio_recv_timeout);
    return IOT_OK;
}

/* --------------------------------------------------------------- handshake */

/*
 * Which status a failed certificate check becomes when several flags are
 * set: anything that breaks the chain itself (not trusted, revoked, bad
 * key or usage, ...) wins, because then nothing else about the certificate
 * means anything; next comes the validity period, since a wrong device
 * clock makes every certificate fail that way and is the more urgent fix;
 * the host name comes last.
 */
static iot_status_t verify_failure(uint32_t flags)
{
    const uint32_t time_flags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
    const uint32_t name_flags = MBEDTLS_X509_BADCERT_CN_MISMATCH;

    if ((flags & ~(time_flags | name_flags)) != 0u || flags == 0u) {
        IOT_LOGE(LOG_MOD, "server certificate not trusted (verify flags 0x%08lx%s)",
                 (unsigned long)flags,
                 (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0u
                     ? ": it does not chain to the configured CA"
                     : "");
        return IOT_ERR_TLS_CERT_UNTRUSTED;
    }
    if ((flags & time_flags) != 0u) {
        IOT_LOGE(LOG_MOD, "server certificate %s (verify flags 0x%08lx); check the device clock",
                 (flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0u ? "has expired"
                                                              : "is not valid yet",
                 (unsigned long)flags);
        return IOT_ERR_TLS_CERT_EXPIRED;
    }
    IOT_LOGE(LOG_MOD, "server certificate does not match the server name (verify flags 0x%08lx)",
             (unsigned long)flags);
    return IOT_ERR_TLS_HOSTNAME;
}

/* Whether the server sent a CertificateRequest. 2.28 exposes the flag in
 * the context; 3.x keeps it in the opaque handshake state, so there we can
 * only assume it did when we had a certificate to offer. */
static int server_asked_for_cert(const struct iot_transport_impl *im)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return im->have_cert;
#else
    return im->ssl.client_auth != 0;
#endif
}

static iot_status_t handshake_failure(iot_transport_t *t, int ret)
{
    struct iot_transport_impl *im = &t->impl;
    /* The handshake state is the next step Mbed TLS would have run. Past
     * CLIENT_CERTIFICATE our Certificate message (if asked for) is out;
     * past CLIENT_KEY_EXCHANGE the server has our PSK identity. */
    int state = im->ssl.IOT_SSL_FIELD(state);
    int sent_cert = t->mode == IOT_TLS_CERT && state > MBEDTLS_SSL_CLIENT_CERTIFICATE &&
                    server_asked_for_cert(im);
    int sent_psk = t->mode == IOT_TLS_PSK && state > MBEDTLS_SSL_CLIENT_KEY_EXCHANGE;

    if (im->store_key.sign_status != 0) {
        /* The key store could not sign CertificateVerify (logged there). */
        return (iot_status_t)im->store_key.sign_status;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        log_mbedtls("TLS handshake failed", ret);
        return verify_failure(mbedtls_ssl_get_verify_result(&im->ssl));
    }
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        const unsigned char *msg = im->ssl.IOT_SSL_FIELD(in_msg);
        unsigned int alert = (msg != NULL) ? msg[1] : 0u;

        IOT_LOGE(LOG_MOD, "TLS handshake failed: server sent fatal alert %u (%s)", alert,
                 alert_name(alert));
        if (sent_psk) {
            IOT_LOGE(LOG_MOD, "the server rejected PSK identity or key");
            return IOT_ERR_TLS_PSK_REJECTED;
        }
        if (sent_cert && is_client_cert_refusal(alert)) {
            IOT_LOGE(LOG_MOD, "%s", im->have_cert
                                        ? "the server refused our client certificate"
                                        : "the server requires a client certificate; none set");
            return IOT_ERR_TLS_PEER_REFUSED;
        }
        return IOT_ERR_TLS_HANDSHAKE;
    }
    log_mbedtls("TLS handshake failed", ret);
    if (ret == MBEDTLS_ERR_NET_CONN_RESET || ret == MBEDTLS_ERR_SSL_CONN_EOF) {
        /* Some servers drop the connection instead of sending an alert. */
        if (sent_cert) {
            IOT_LOGE(LOG_MOD, "the server closed the connection after asking for our certificate");
            return IOT_ERR_TLS_PEER_REFUSED;
        }
        if (sent_psk) {
            IOT_LOGE(LOG_MOD, "the server closed the connection after our PSK key exchange");
            return IOT_ERR_TLS_PSK_REJECTED;
        }
    }
    return IOT_ERR_TLS_HANDSHAKE;
}

static iot_status_t run_handshake(iot_transport_t *t, uint64_t deadline)
{
    mbedtls_ssl_context *ssl = &t->impl.ssl;

    for (;;) {
        int ret;

        t->io_timeout_ms = time_left(deadline);
        ret = mbedtls_ssl_handshake(ssl);
        if (ret == 0) {
            break;
        }
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE &&
            ret != MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS) {
            return handshake_failure(t, ret);
        }
        if (time_left(deadline) == 0u) {
            IOT_LOGE(LOG_MOD, "TLS handshake timed out");
            return IOT_ERR_TIMEOUT;
        }
    }
    t->impl.handshaken = 1u;
    IOT_LOGD(LOG_MOD, "TLS 1.2 session established (%s)", mbedtls_ssl_get_ciphersuite(ssl));
    return IOT_OK;
}

/* --------------------------------------------------------------- public API */

iot_status_t iot_transport_connect(iot_transport_t *t, const char *host, uint16_t port,
                                   const iot_tls_config_t *cfg, uint32_t timeout_ms)
{
    uint64_t deadline;
    iot_status_t st;

    /* Checked whatever IOT_CONFIG_CHECK_ARGS says: connecting is not a hot path. */
    if (t == NULL || host == NULL || host[0] == '\0' || port == 0u || cfg == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    iot_transport_close(t); /* whatever an earlier connection left behind */
    st = check_config(cfg);
    if (st != IOT_OK) {
        return st;
    }
    deadline = deadline_after(timeout_ms);
    t->mode = cfg->mode;

    /* Credentials are loaded before any network traffic, so that local
     * mistakes are reported as such even when the server is unreachable. */
    if (cfg->mode != IOT_TLS_NONE) {
        st = tls_setup(t, host, cfg);
        if (st != IOT_OK) {
            goto fail;
        }
    }

    st = iot_port_tcp_connect(&t->sock, host, port, time_left(deadline));
    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "TCP connection to %s:%u failed: %s", host, (unsigned)port,
                 iot_status_name(st));
        goto fail;
    }
    t->impl.sock_open = 1u;

    if (cfg->mode != IOT_TLS_NONE) {
        st = run_handshake(t, deadline);
        if (st != IOT_OK) {
            goto fail;
        }
    }
    t->connected = 1;
    return IOT_OK;

fail:
    iot_transport_close(t);
    return st;
}

/* A failed Mbed TLS read or write: the session is finished. */
static iot_status_t io_failure(iot_transport_t *t, const char *what, int ret)
{
    iot_status_t st;

    switch (ret) {
    case 0: /* end of stream without close_notify */
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_NET_CONN_RESET:
        st = IOT_ERR_NET_CLOSED;
        break;
    case MBEDTLS_ERR_NET_SEND_FAILED:
    case MBEDTLS_ERR_NET_RECV_FAILED:
        st = IOT_ERR_NET_IO;
        break;
    default:
        log_mbedtls(what, ret);
        st = IOT_ERR_TLS;
        break;
    }
    t->impl.fatal = (int32_t)st;
    return st;
}

/* A connection that is open and has not failed; otherwise why not. */
static iot_status_t check_usable(const iot_transport_t *t)
{
    if (!t->connected) {
        return IOT_ERR_NOT_CONNECTED;
    }
    return (t->impl.fatal != 0) ? (iot_status_t)t->impl.fatal : IOT_OK;
}

iot_status_t iot_transport_send(iot_transport_t *t, const uint8_t *data, size_t len,
                                uint32_t timeout_ms)
{
    uint64_t deadline;
    size_t off = 0;
    iot_status_t st;

    IOT_CHECK_ARG(t != NULL && (data != NULL || len == 0u));
    st = check_usable(t);
    if (st != IOT_OK) {
        return st;
    }
    deadline = deadline_after(timeout_ms);

    if (t->mode == IOT_TLS_NONE) {
        while (off < len) {
            size_t sent = 0;
            st = iot_port_tcp_send(&t->sock, data + off, len - off, time_left(deadline), &sent);
            if (st != IOT_OK) {
                return st;
            }
            off += sent;
        }
        return IOT_OK;
    }

    while (off < len) {
        int ret;

        t->io_timeout_ms = time_left(deadline);
        /* After WANT_WRITE the same buffer is offered again, as Mbed TLS requires. */
        ret = mbedtls_ssl_write(&t->impl.ssl, data + off, len - off);
        if (ret > 0) {
            off += (size_t)ret;
            continue;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ ||
            ret == MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS) {
            if (time_left(deadline) == 0u) {
                return IOT_ERR_TIMEOUT;
            }
            continue;
        }
        return io_failure(t, "TLS write failed", ret);
    }
    return IOT_OK;
}

iot_status_t iot_transport_recv(iot_transport_t *t, uint8_t *buf, size_t len, uint32_t timeout_ms,
                                size_t *received)
{
    uint64_t deadline;
    iot_status_t st;

    IOT_CHECK_ARG(t != NULL && buf != NULL && len > 0u && received != NULL);
    *received = 0;
    st = check_usable(t);
    if (st != IOT_OK) {
        return st;
    }
    deadline = deadline_after(timeout_ms);

    if (t->mode == IOT_TLS_NONE) {
        return iot_port_tcp_recv(&t->sock, buf, len, timeout_ms, received);
    }

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    for (;;) {
        int ret;

        t->io_timeout_ms = time_left(deadline);
        ret = mbedtls_ssl_read(&t->impl.ssl, buf, len);
        if (ret > 0) {
            *received = (size_t)ret;
            return IOT_OK;
        }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
            ret == MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS) {
            /* Nothing (or only part of a record) yet; Mbed TLS keeps what
             * it has and continues on the next call. */
            if (time_left(deadline) == 0u) {
                return IOT_ERR_TIMEOUT;
            }
            continue;
        }
        return io_failure(t, "TLS read failed", ret);
    }
}

bool iot_transport_pending(const iot_transport_t *t)
{
    if (t == NULL || !t->connected || t->mode == IOT_TLS_NONE) {
        return false;
    }
    if (t->impl.fatal != 0 || mbedtls_ssl_get_bytes_avail(&t->impl.ssl) > 0u) {
        return true; /* recv returns the bytes (or the error) at once */
    }
#if IOT_CONFIG_TLS_READ_AHEAD_SIZE > 0
    /* A whole record read ahead (5-byte header with the length in bytes 3-4)
     * decrypts without touching the socket. A partial one needs the socket. */
    if (t->ra_len >= 5u) {
        const uint8_t *h = t->ra_buf + t->ra_off;
        return t->ra_len >= 5u + (((size_t)h[3] << 8) | h[4]);
    }
#endif
    return false;
}

iot_status_t iot_transport_wait_readable(iot_transport_t *t, uint32_t timeout_ms)
{
    IOT_CHECK_ARG(t != NULL);
    if (!t->connected) {
        return IOT_ERR_NOT_CONNECTED;
    }
    if (iot_transport_pending(t)) {
        return IOT_OK;
    }
    return iot_port_tcp_wait_readable(&t->sock, timeout_ms);
}

void iot_transport_close(iot_transport_t *t)
{
    struct iot_transport_impl *im;

    if (t == NULL) {
        return;
    }
    im = &t->impl;
    if (im->tls_ready) {
        if (t->connected && im->handshaken && im->sock_open && im->fatal == 0) {
            t->io_timeout_ms = IOT_TRANSPORT_CLOSE_NOTIFY_MS;
            (void)mbedtls_ssl_close_notify(&im->ssl); /* best effort */
        }
        mbedtls_ssl_free(&im->ssl); /* before the config it points to */
        mbedtls_ssl_config_free(&im->conf);
        mbedtls_pk_free(&im->key);
        mbedtls_x509_crt_free(&im->cert);
        mbedtls_x509_crt_free(&im->ca);
    }
    /* Only a socket this code opened: a zeroed struct holds handle 0. */
    if (im->sock_open) {
        iot_port_tcp_close(&t->sock);
    }
    mbedtls_platform_zeroize(im, sizeof(*im));
    t->sock.handle = -1;
    t->connected = 0;
    t->io_timeout_ms = 0;
#if IOT_CONFIG_TLS_READ_AHEAD_SIZE > 0
    t->ra_off = 0;
    t->ra_len = 0;
#endif
}
