/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS credentials from the key store: the glue between Mbed TLS and
 * <corstone_iot/keys.h>.
 *
 * Client private key. Debian's Mbed TLS 2.28 is built without
 * MBEDTLS_USE_PSA_CRYPTO, so mbedtls_pk_setup_opaque() (a pk context over a
 * PSA key id) does not exist. The TLS layer only ever asks its own key two
 * things during a client handshake: "can you do ECDSA / RSA?"
 * (mbedtls_pk_can_do) and "sign this hash" (mbedtls_pk_sign, for
 * CertificateVerify). So the pk context is given a pk_info of our own (2.28
 * installs its definition in <mbedtls/pk_internal.h>) whose sign function
 * calls iot_key_sign_hash() by key id; the context pointer is a small
 * record of that id in the connection state, never key material. RSA keys
 * use the public mbedtls_pk_setup_rsa_alt() with the same delegation.
 * Whether the stored key belongs to the certificate is checked once, before
 * any network traffic, by comparing the SubjectPublicKeyInfo of the
 * certificate with the one the store exports (iot_keys_internal_export_spki():
 * the DER of iot_key_export_public()). Mbed TLS's own mbedtls_pk_check_pair()
 * cannot: it wants both keys of the same pk_info, and for RSA-ALT it signs a
 * raw hash, which the key's PSA policy forbids.
 *
 * Pre-shared key. Mbed TLS 2.28 computes the TLS 1.2 premaster secret from
 * the PSK bytes itself (mbedtls_ssl_conf_psk_opaque() also needs
 * MBEDTLS_USE_PSA_CRYPTO), so the bytes must reach it. They are given only
 * to the handshake (mbedtls_ssl_set_hs_psk(), which takes precedence over the
 * configuration's key): Mbed TLS copies them into its handshake state and
 * wipes and frees that copy when the handshake ends. The configuration holds
 * a random placeholder of the same length, because the client offers PSK
 * suites only when the configuration has a key. The bytes come from the
 * store's record buffer under the store's lock and are wiped there at once.
 *
 * Certificates (CA and client) are parsed from their stored DER directly
 * out of the store's record buffer, under its lock; Mbed TLS keeps a copy.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <corstone_iot/keys.h>

#include "iot_internal.h"
#include "iot_tls_store.h"
#include "keys/iot_keys_internal.h"

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#if defined(IOT_HAVE_KEYSTORE)

/* The delegating EC key needs the pk_info definition, public in 2.28 only. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000 && defined(MBEDTLS_ECDSA_C)
#include <mbedtls/pk_internal.h>
#define IOT_TLS_STORE_EC 1
#endif
#if MBEDTLS_VERSION_NUMBER < 0x03000000 && defined(MBEDTLS_PK_RSA_ALT_SUPPORT) && \
    defined(MBEDTLS_RSA_C)
#include <mbedtls/rsa.h>
#define IOT_TLS_STORE_RSA 1
#endif

#define LOG_MOD "tls"

/* Largest SubjectPublicKeyInfo of a supported key (RSA-4096: 550 bytes). */
#define SPKI_MAX 600u

/* ------------------------------------------------------------ certificates */

typedef struct {
    mbedtls_x509_crt *crt;
    int ret;
} crt_job_t;

static iot_status_t parse_stored_crt(void *ctx, const uint8_t *der, size_t len)
{
    crt_job_t *job = ctx;

    job->ret = mbedtls_x509_crt_parse_der(job->crt, der, len);
    return (job->ret == 0) ? IOT_OK : IOT_ERR_TLS_CREDENTIALS;
}

iot_status_t iot_tls_store_parse_crt(mbedtls_x509_crt *crt, uint32_t id, const char *what)
{
    crt_job_t job = { crt, 0 };
    iot_status_t st = iot_keys_internal_use_value(id, IOT_OBJ_CERTIFICATE, parse_stored_crt, &job);

    (void)what; /* only logged */
    if (st != IOT_OK) {
        if (job.ret != 0) {
            IOT_LOGE(LOG_MOD, "%s: stored certificate %u could not be parsed: -0x%04x", what,
                     (unsigned)id, (unsigned)-job.ret);
        } else {
            IOT_LOGE(LOG_MOD, "%s: key store object %u: %s", what, (unsigned)id,
                     iot_status_name(st));
        }
    }
    return st;
}

/* ------------------------------------------------------------- private key */

#if defined(IOT_TLS_STORE_EC) || defined(IOT_TLS_STORE_RSA)
/* The signature algorithm for a TLS hash. */
static iot_status_t sign_alg_for(const struct iot_tls_store_key *sk, mbedtls_md_type_t md,
                                 iot_sign_alg_t *alg)
{
    int ec = iot_key_type_is_ec((iot_key_type_t)sk->key_type);

    switch (md) {
    case MBEDTLS_MD_SHA256:
        *alg = ec ? IOT_SIGN_ECDSA_SHA256 : IOT_SIGN_RSA_PKCS1_SHA256;
        return IOT_OK;
    case MBEDTLS_MD_SHA384:
        *alg = ec ? IOT_SIGN_ECDSA_SHA384 : IOT_SIGN_RSA_PKCS1_SHA384;
        return IOT_OK;
    case MBEDTLS_MD_SHA512:
        *alg = ec ? IOT_SIGN_ECDSA_SHA512 : IOT_SIGN_RSA_PKCS1_SHA512;
        return IOT_OK;
    default:
        return IOT_ERR_NOT_SUPPORTED; /* TLS 1.2 with our suites signs SHA-256/384 only */
    }
}
#endif

#if defined(IOT_TLS_STORE_EC)
/* One DER INTEGER from a big-endian unsigned value of n bytes; returns the
 * bytes written at out (room for n + 3 is enough). */
static size_t der_uint(uint8_t *out, const uint8_t *v, size_t n)
{
    size_t pos = 0;

    while (n > 1u && v[0] == 0u) {
        v++;
        n--;
    }
    out[pos++] = 0x02u;
    out[pos++] = (uint8_t)(n + ((v[0] & 0x80u) != 0u ? 1u : 0u));
    if ((v[0] & 0x80u) != 0u) {
        out[pos++] = 0x00u;
    }
    memcpy(&out[pos], v, n);
    return pos + n;
}

/* pk_info sign: TLS wants an Ecdsa-Sig-Value (RFC 5480); PSA makes r || s. */
static int store_ecdsa_sign(void *ctx, mbedtls_md_type_t md_alg, const unsigned char *hash,
                            size_t hash_len, unsigned char *sig, size_t *sig_len,
                            int (*f_rng)(void *, unsigned char *, size_t), void *p_rng)
{
    struct iot_tls_store_key *sk = ctx;
    uint8_t raw[2u * 48u];
    uint8_t body[2u * (48u + 3u)];
    size_t raw_len = 0;
    size_t half;
    size_t n;
    iot_sign_alg_t alg = IOT_SIGN_DEFAULT;
    iot_status_t st;

    (void)f_rng; /* PSA has its own generator */
    (void)p_rng;
    st = sign_alg_for(sk, md_alg, &alg);
    if (st == IOT_OK) {
        st = iot_key_sign_hash(sk->id, alg, hash, hash_len, raw, sizeof(raw), &raw_len);
    }
    if (st == IOT_OK && (raw_len == 0u || (raw_len % 2u) != 0u)) {
        st = IOT_ERR_CRYPTO;
    }
    if (st != IOT_OK) {
        sk->sign_status = (int32_t)st;
        IOT_LOGE(LOG_MOD, "key store object %u could not sign the handshake: %s",
                 (unsigned)sk->id, iot_status_name(st));
        return MBEDTLS_ERR_PK_BAD_INPUT_DATA;
    }
    half = raw_len / 2u;
    n = der_uint(body, raw, half);
    n += der_uint(&body[n], &raw[half], half);
    /* n <= 102 for P-384: a one-byte length. */
    sig[0] = 0x30u;
    sig[1] = (uint8_t)n;
    memcpy(&sig[2], body, n);
    *sig_len = n + 2u;
    return 0;
}

static size_t store_get_bitlen(const void *ctx)
{
    return ((const struct iot_tls_store_key *)ctx)->bits;
}

/* Only ECDSA: not ECKEY, whose users may read the context as an
 * mbedtls_ecp_keypair (static ECDH), which it is not. */
static int store_ecdsa_can_do(mbedtls_pk_type_t type)
{
    return type == MBEDTLS_PK_ECDSA;
}

static void *store_ctx_alloc(void)
{
    return NULL; /* never set up through mbedtls_pk_setup() */
}

static void store_ctx_free(void *ctx)
{
    (void)ctx; /* the context lives in the connection state */
}

/* MBEDTLS_PK_OPAQUE as the type: mbedtls_pk_ec() of it is NULL. */
static const mbedtls_pk_info_t k_store_ecdsa_info = {
    .type = MBEDTLS_PK_OPAQUE,
    .name = "ECDSA (key store)",
    .get_bitlen = store_get_bitlen,
    .can_do = store_ecdsa_can_do,
    .verify_func = NULL,
    .sign_func = store_ecdsa_sign,
    .decrypt_func = NULL,
    .encrypt_func = NULL,
    .check_pair_func = NULL,
    .ctx_alloc_func = store_ctx_alloc,
    .ctx_free_func = store_ctx_free,
    .debug_func = NULL,
};
#endif /* IOT_TLS_STORE_EC */

#if defined(IOT_TLS_STORE_RSA)
static int store_rsa_sign(void *ctx, int (*f_rng)(void *, unsigned char *, size_t), void *p_rng,
                          int mode, mbedtls_md_type_t md_alg, unsigned int hashlen,
                          const unsigned char *hash, unsigned char *sig)
{
    struct iot_tls_store_key *sk = ctx;
    size_t sig_len = 0;
    iot_sign_alg_t alg = IOT_SIGN_DEFAULT;
    iot_status_t st;

    (void)f_rng;
    (void)p_rng;
    if (mode != MBEDTLS_RSA_PRIVATE) {
        return MBEDTLS_ERR_RSA_BAD_INPUT_DATA;
    }
    st = sign_alg_for(sk, md_alg, &alg);
    if (st == IOT_OK) {
        /* Mbed TLS gives room for the modulus length (key_len below). */
        st = iot_key_sign_hash(sk->id, alg, hash, hashlen, sig, sk->bits / 8u, &sig_len);
    }
    if (st == IOT_OK && sig_len != sk->bits / 8u) {
        st = IOT_ERR_CRYPTO;
    }
    if (st != IOT_OK) {
        sk->sign_status = (int32_t)st;
        IOT_LOGE(LOG_MOD, "key store object %u could not sign the handshake: %s",
                 (unsigned)sk->id, iot_status_name(st));
        return MBEDTLS_ERR_RSA_PRIVATE_FAILED;
    }
    return 0;
}

static size_t store_rsa_key_len(void *ctx)
{
    return ((const struct iot_tls_store_key *)ctx)->bits / 8u;
}
#endif /* IOT_TLS_STORE_RSA */

#if defined(IOT_TLS_STORE_EC) || defined(IOT_TLS_STORE_RSA)
/* The key store type of the certificate's public key, or NONE. */
static iot_key_type_t cert_key_type(const mbedtls_pk_context *cert_pk)
{
    if (mbedtls_pk_can_do(cert_pk, MBEDTLS_PK_ECKEY)) {
        switch (mbedtls_pk_ec(*cert_pk)->grp.id) {
        case MBEDTLS_ECP_DP_SECP256R1:
            return IOT_KEY_TYPE_EC_P256;
        case MBEDTLS_ECP_DP_SECP384R1:
            return IOT_KEY_TYPE_EC_P384;
        default:
            return IOT_KEY_TYPE_NONE;
        }
    }
    if (mbedtls_pk_can_do(cert_pk, MBEDTLS_PK_RSA)) {
        switch (mbedtls_pk_get_bitlen(cert_pk)) {
        case 2048:
            return IOT_KEY_TYPE_RSA_2048;
        case 3072:
            return IOT_KEY_TYPE_RSA_3072;
        case 4096:
            return IOT_KEY_TYPE_RSA_4096;
        default:
            return IOT_KEY_TYPE_NONE;
        }
    }
    return IOT_KEY_TYPE_NONE;
}

/* The certificate carries the stored key's public key (byte-exact SPKI). */
static iot_status_t check_same_key(const mbedtls_pk_context *cert_pk, uint32_t id)
{
    uint8_t mine[SPKI_MAX];
    uint8_t theirs[SPKI_MAX];
    size_t mine_len = 0;
    int n;
    iot_status_t st = iot_keys_internal_export_spki(id, mine, sizeof(mine), &mine_len);

    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "client key: key store object %u: no public key (%s)", (unsigned)id,
                 iot_status_name(st));
        return st;
    }
    /* Writes at the end of the buffer; the const cast is Mbed TLS 2.28's
     * signature (it does not modify the context). */
    n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)(uintptr_t)cert_pk, theirs,
                                    sizeof(theirs));
    if (n <= 0) {
        IOT_LOGE(LOG_MOD, "client certificate: public key could not be encoded: -0x%04x",
                 (unsigned)-n);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    if ((size_t)n != mine_len || memcmp(mine, &theirs[sizeof(theirs) - (size_t)n], mine_len) != 0) {
        IOT_LOGE(LOG_MOD, "client key (key store object %u) does not match the client certificate",
                 (unsigned)id);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    return IOT_OK;
}
#endif

iot_status_t iot_tls_store_setup_key(struct iot_tls_store_key *sk, mbedtls_pk_context *pk,
                                     const mbedtls_pk_context *cert_pk, uint32_t id)
{
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_status_t st = iot_keystore_get_info(id, &info);

    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "client key: key store object %u: %s", (unsigned)id,
                 iot_status_name(st));
        return st;
    }
    if (info.obj_class != IOT_OBJ_PRIVATE_KEY) {
        IOT_LOGE(LOG_MOD, "client key: key store object %u is not a private key", (unsigned)id);
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    if ((info.usage & IOT_KEY_USAGE_SIGN) == 0u) {
        IOT_LOGE(LOG_MOD, "client key: key store object %u may not sign", (unsigned)id);
        return IOT_ERR_NOT_PERMITTED;
    }
#if !defined(IOT_TLS_STORE_EC) && !defined(IOT_TLS_STORE_RSA)
    (void)sk;
    (void)pk;
    (void)cert_pk;
#else
    if (cert_key_type(cert_pk) != info.key_type) {
        IOT_LOGE(LOG_MOD,
                 "client key: key store object %u is of another key type than the certificate's",
                 (unsigned)id);
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    st = check_same_key(cert_pk, id);
    if (st != IOT_OK) {
        return st;
    }
    memset(sk, 0, sizeof(*sk));
    sk->id = id;
    sk->bits = info.bits;
    sk->key_type = (uint8_t)info.key_type;

    if (iot_key_type_is_ec(info.key_type)) {
#if defined(IOT_TLS_STORE_EC)
        /* What mbedtls_pk_setup() does, with our context instead of an
         * allocated one (its ctx_alloc takes no argument). */
        pk->pk_info = &k_store_ecdsa_info;
        pk->pk_ctx = sk;
        return IOT_OK;
#endif
    } else {
#if defined(IOT_TLS_STORE_RSA)
        int ret = mbedtls_pk_setup_rsa_alt(pk, sk, NULL, store_rsa_sign, store_rsa_key_len);

        if (ret != 0) {
            IOT_LOGE(LOG_MOD, "client key: RSA key context failed: -0x%04x", (unsigned)-ret);
            return (ret == MBEDTLS_ERR_PK_ALLOC_FAILED) ? IOT_ERR_NO_MEMORY
                                                        : IOT_ERR_TLS_CREDENTIALS;
        }
        return IOT_OK;
#endif
    }
#endif /* IOT_TLS_STORE_EC || IOT_TLS_STORE_RSA */
    IOT_LOGE(LOG_MOD, "client key: signing through the key store is not supported with this "
                      "Mbed TLS version or configuration");
    return IOT_ERR_NOT_SUPPORTED;
}

/* -------------------------------------------------------------- pre-shared key */

iot_status_t iot_tls_store_conf_psk(mbedtls_ssl_config *conf, uint32_t id, const char *identity)
{
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    uint8_t placeholder[IOT_KEY_PSK_MAX];
    size_t len;
    int ret;
    iot_status_t st = iot_keystore_get_info(id, &info);

    if (st == IOT_OK && (info.obj_class != IOT_OBJ_SECRET_KEY || info.key_type != IOT_KEY_TYPE_PSK)) {
        st = IOT_ERR_WRONG_KEY_TYPE;
    }
    if (st == IOT_OK && !info.persistent) {
        /* Its bytes exist only inside PSA, and Mbed TLS 2.28 needs them. */
        st = IOT_ERR_NOT_SUPPORTED;
    }
    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "PSK: key store object %u: %s", (unsigned)id, iot_status_name(st));
        return st;
    }
    len = info.bits / 8u;
    if (len == 0u || len > sizeof(placeholder) || len > MBEDTLS_PSK_MAX_LEN) {
        IOT_LOGE(LOG_MOD, "PSK: key store object %u: %u bytes, at most %u supported", (unsigned)id,
                 (unsigned)len, (unsigned)MBEDTLS_PSK_MAX_LEN);
        return IOT_ERR_TLS_CREDENTIALS;
    }
    st = iot_keystore_random(placeholder, len);
    if (st != IOT_OK) {
        return st;
    }
    ret = mbedtls_ssl_conf_psk(conf, placeholder, len, (const unsigned char *)identity,
                               strlen(identity));
    if (ret != 0) {
        IOT_LOGE(LOG_MOD, "PSK identity rejected: -0x%04x", (unsigned)-ret);
        return (ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) ? IOT_ERR_NO_MEMORY : IOT_ERR_TLS_CREDENTIALS;
    }
    return IOT_OK;
}

typedef struct {
    mbedtls_ssl_context *ssl;
    int ret;
} psk_job_t;

static iot_status_t give_psk(void *ctx, const uint8_t *psk, size_t len)
{
    psk_job_t *job = ctx;

    job->ret = mbedtls_ssl_set_hs_psk(job->ssl, psk, len);
    return (job->ret == 0) ? IOT_OK : IOT_ERR_TLS_CREDENTIALS;
}

iot_status_t iot_tls_store_handshake_psk(mbedtls_ssl_context *ssl, uint32_t id)
{
    psk_job_t job = { ssl, 0 };
    iot_status_t st = iot_keys_internal_use_value(id, IOT_OBJ_SECRET_KEY, give_psk, &job);

    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "PSK: key store object %u: %s (-0x%04x)", (unsigned)id,
                 iot_status_name(st), (unsigned)-job.ret);
        if (job.ret == MBEDTLS_ERR_SSL_ALLOC_FAILED) {
            st = IOT_ERR_NO_MEMORY;
        }
    }
    return st;
}

static const iot_tls_store_ops_t k_ops = {
    iot_tls_store_parse_crt,
    iot_tls_store_setup_key,
    iot_tls_store_conf_psk,
    iot_tls_store_handshake_psk,
};

void iot_tls_store_attach(void)
{
    iot_tls_store_ops = &k_ops;
}

#endif /* IOT_HAVE_KEYSTORE */
