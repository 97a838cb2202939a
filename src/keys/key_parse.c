/* SPDX-License-Identifier: Apache-2.0 */
/* Key store: private keys (PKCS#8, SEC1, PKCS#1) and SubjectPublicKeyInfo in
 * and out of DER, and the outer shape of an X.509 certificate. */
#include <string.h>

#include "iot_keys_internal.h"

/* OID content bytes. */
static const uint8_t k_oid_ec_public_key[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
static const uint8_t k_oid_secp256r1[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t k_oid_secp384r1[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t k_oid_rsa_encryption[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                                0x0D, 0x01, 0x01, 0x01 };

uint32_t iot_key_type_bits(iot_key_type_t type)
{
    switch (type) {
    case IOT_KEY_TYPE_EC_P256:
        return 256u;
    case IOT_KEY_TYPE_EC_P384:
        return 384u;
    case IOT_KEY_TYPE_RSA_2048:
        return 2048u;
    case IOT_KEY_TYPE_RSA_3072:
        return 3072u;
    case IOT_KEY_TYPE_RSA_4096:
        return 4096u;
    default:
        return 0u;
    }
}

bool iot_key_type_is_ec(iot_key_type_t type)
{
    return type == IOT_KEY_TYPE_EC_P256 || type == IOT_KEY_TYPE_EC_P384;
}

bool iot_key_type_is_rsa(iot_key_type_t type)
{
    return type == IOT_KEY_TYPE_RSA_2048 || type == IOT_KEY_TYPE_RSA_3072 ||
           type == IOT_KEY_TYPE_RSA_4096;
}

/* Inside a complete outer element, running out of bytes means malformed. */
static iot_status_t inner(iot_status_t st)
{
    return (st == IOT_ERR_TRUNCATED) ? IOT_ERR_BAD_FORMAT : st;
}

static iot_status_t get_inner(iot_der_t *d, uint8_t tag, iot_der_t *content)
{
    return inner(iot_der_get(d, tag, content));
}

/* INTEGER holding a small non-negative value. */
static iot_status_t get_small_int(iot_der_t *d, uint32_t *value)
{
    iot_der_t c;
    iot_status_t st = get_inner(d, IOT_DER_INTEGER, &c);

    if (st != IOT_OK) {
        return st;
    }
    if (c.p == c.end || (c.end - c.p) > 4 || (c.p[0] & 0x80u) != 0u) {
        return IOT_ERR_BAD_FORMAT;
    }
    *value = 0;
    while (c.p < c.end) {
        *value = (*value << 8) | *c.p++;
    }
    return IOT_OK;
}

static iot_status_t curve_from_oid(const iot_der_t *oid, iot_key_type_t *type)
{
    if (iot_der_oid_equal(oid, k_oid_secp256r1, sizeof(k_oid_secp256r1))) {
        *type = IOT_KEY_TYPE_EC_P256;
        return IOT_OK;
    }
    if (iot_der_oid_equal(oid, k_oid_secp384r1, sizeof(k_oid_secp384r1))) {
        *type = IOT_KEY_TYPE_EC_P384;
        return IOT_OK;
    }
    return IOT_ERR_UNSUPPORTED_KEY;
}

/* Bits of an unsigned big-endian INTEGER content (the RSA modulus). */
static iot_status_t rsa_type_from_modulus(const iot_der_t *n, iot_key_type_t *type)
{
    const uint8_t *p = n->p;
    size_t len;
    uint32_t bits;
    uint8_t top;

    while (p < n->end && *p == 0u) {
        p++;
    }
    len = (size_t)(n->end - p);
    /* cppcheck-suppress knownConditionTrueFalse ; false positive: the loop stops at the first non-zero byte */
    if (len == 0u) {
        return IOT_ERR_BAD_FORMAT;
    }
    top = *p;
    bits = (uint32_t)(len - 1u) * 8u;
    while (top != 0u) {
        bits++;
        top >>= 1;
    }
    switch (bits) {
    case 2048u:
        *type = IOT_KEY_TYPE_RSA_2048;
        return IOT_OK;
    case 3072u:
        *type = IOT_KEY_TYPE_RSA_3072;
        return IOT_OK;
    case 4096u:
        *type = IOT_KEY_TYPE_RSA_4096;
        return IOT_OK;
    default:
        return IOT_ERR_UNSUPPORTED_KEY;
    }
}

/* Both private-key structures are a SEQUENCE filling the whole input that
 * starts with a small version INTEGER. `outer` says whether the bytes came
 * straight from the caller (errors as they are) or from inside a PKCS#8
 * wrapper (see inner()). */
static iot_status_t open_versioned(const uint8_t *der, size_t len, bool outer, iot_der_t *seq,
                                   uint32_t *version)
{
    iot_der_t d = { der, der + len };
    iot_status_t st = iot_der_get(&d, IOT_DER_SEQUENCE, seq);

    if (!outer) {
        st = inner(st);
    }
    if (st != IOT_OK) {
        return st;
    }
    if (d.p != d.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    return get_small_int(seq, version);
}

/* RSAPrivateKey (RFC 8017, A.1.2): version 0, then n, e, d, p, q, dp, dq, qinv. */
static iot_status_t parse_pkcs1(const uint8_t *der, size_t len, iot_parsed_key_t *key,
                                bool outer)
{
    iot_der_t seq;
    iot_der_t n;
    iot_der_t tmp;
    uint32_t version;
    iot_status_t st;
    int i;

    st = open_versioned(der, len, outer, &seq, &version);
    if (st != IOT_OK) {
        return st;
    }
    if (version != 0u) {
        return IOT_ERR_UNSUPPORTED_KEY; /* multi-prime */
    }
    st = get_inner(&seq, IOT_DER_INTEGER, &n);
    if (st != IOT_OK) {
        return st;
    }
    for (i = 0; i < 7; i++) {
        st = get_inner(&seq, IOT_DER_INTEGER, &tmp);
        if (st != IOT_OK) {
            return st;
        }
    }
    if (seq.p != seq.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    st = rsa_type_from_modulus(&n, &key->type);
    if (st != IOT_OK) {
        return st;
    }
    key->material = der;
    key->material_len = len;
    return IOT_OK;
}

/* ECPrivateKey (RFC 5915): version 1, privateKey, [0] parameters, [1] publicKey.
 * `curve` is the curve named outside (PKCS#8), or NONE. */
static iot_status_t parse_sec1(const uint8_t *der, size_t len, iot_key_type_t curve,
                               iot_parsed_key_t *key, bool outer)
{
    iot_der_t seq;
    iot_der_t priv;
    iot_der_t tmp;
    iot_der_t oid;
    uint32_t version;
    size_t size;
    size_t priv_len;
    iot_status_t st;

    st = open_versioned(der, len, outer, &seq, &version);
    if (st != IOT_OK) {
        return st;
    }
    if (version != 1u) {
        return IOT_ERR_BAD_FORMAT;
    }
    st = get_inner(&seq, IOT_DER_OCTET_STRING, &priv);
    if (st != IOT_OK) {
        return st;
    }
    if (iot_der_peek(&seq) == (int)IOT_DER_CONTEXT(0)) {
        iot_key_type_t named;
        st = get_inner(&seq, IOT_DER_CONTEXT(0), &tmp);
        if (st != IOT_OK) {
            return st;
        }
        if (iot_der_peek(&tmp) != (int)IOT_DER_OID) {
            return IOT_ERR_UNSUPPORTED_KEY; /* explicit curve parameters */
        }
        st = get_inner(&tmp, IOT_DER_OID, &oid);
        if (st != IOT_OK) {
            return st;
        }
        if (tmp.p != tmp.end) {
            return IOT_ERR_BAD_FORMAT;
        }
        st = curve_from_oid(&oid, &named);
        if (st != IOT_OK) {
            return st;
        }
        if (curve != IOT_KEY_TYPE_NONE && curve != named) {
            return IOT_ERR_BAD_FORMAT;
        }
        curve = named;
    }
    if (iot_der_peek(&seq) == (int)IOT_DER_CONTEXT(1)) {
        st = get_inner(&seq, IOT_DER_CONTEXT(1), &tmp);
        if (st != IOT_OK) {
            return st;
        }
    }
    if (seq.p != seq.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    if (curve == IOT_KEY_TYPE_NONE) {
        return IOT_ERR_BAD_FORMAT; /* SEC1 without parameters needs them from PKCS#8 */
    }
    size = iot_key_type_bits(curve) / 8u;
    priv_len = (size_t)(priv.end - priv.p);
    if (priv_len == 0u || priv_len > size) {
        return IOT_ERR_BAD_FORMAT;
    }
    /* PSA wants the scalar at full length; some encoders drop leading zeros. */
    memset(key->pad, 0, sizeof(key->pad));
    memcpy(key->pad + (size - priv_len), priv.p, priv_len);
    key->type = curve;
    key->material = key->pad;
    key->material_len = size;
    return IOT_OK;
}

/* AlgorithmIdentifier of a key: ecPublicKey with a named curve, or rsaEncryption. */
static iot_status_t parse_key_alg(iot_der_t *d, bool *is_rsa, iot_key_type_t *curve)
{
    iot_der_t alg;
    iot_der_t oid;
    iot_der_t params;
    iot_status_t st;

    st = get_inner(d, IOT_DER_SEQUENCE, &alg);
    if (st != IOT_OK) {
        return st;
    }
    st = get_inner(&alg, IOT_DER_OID, &oid);
    if (st != IOT_OK) {
        return st;
    }
    if (iot_der_oid_equal(&oid, k_oid_rsa_encryption, sizeof(k_oid_rsa_encryption))) {
        if (alg.p != alg.end) {
            st = get_inner(&alg, IOT_DER_NULL, &params);
            if (st != IOT_OK || params.p != params.end || alg.p != alg.end) {
                return IOT_ERR_BAD_FORMAT;
            }
        }
        *is_rsa = true;
        *curve = IOT_KEY_TYPE_NONE;
        return IOT_OK;
    }
    if (!iot_der_oid_equal(&oid, k_oid_ec_public_key, sizeof(k_oid_ec_public_key))) {
        return IOT_ERR_UNSUPPORTED_KEY; /* Ed25519, DSA, ... */
    }
    if (iot_der_peek(&alg) != (int)IOT_DER_OID) {
        return IOT_ERR_UNSUPPORTED_KEY; /* explicit or implicit curve parameters */
    }
    st = get_inner(&alg, IOT_DER_OID, &params);
    if (st != IOT_OK) {
        return st;
    }
    if (alg.p != alg.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    *is_rsa = false;
    return curve_from_oid(&params, curve);
}

/* PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958). */
static iot_status_t parse_pkcs8(iot_der_t *seq, iot_parsed_key_t *key)
{
    iot_der_t priv;
    iot_key_type_t curve = IOT_KEY_TYPE_NONE;
    bool is_rsa = false;
    uint32_t version;
    iot_status_t st;

    st = get_small_int(seq, &version);
    if (st != IOT_OK) {
        return st;
    }
    if (version > 1u) {
        return IOT_ERR_BAD_FORMAT;
    }
    st = parse_key_alg(seq, &is_rsa, &curve);
    if (st != IOT_OK) {
        return st;
    }
    st = get_inner(seq, IOT_DER_OCTET_STRING, &priv);
    if (st != IOT_OK) {
        return st;
    }
    /* [0] attributes and [1] publicKey may follow; nothing we need. */
    if (is_rsa) {
        return parse_pkcs1(priv.p, (size_t)(priv.end - priv.p), key, false);
    }
    return parse_sec1(priv.p, (size_t)(priv.end - priv.p), curve, key, false);
}

iot_status_t iot_key_parse_private_der(const uint8_t *der, size_t len, iot_parsed_key_t *key)
{
    iot_der_t d = { der, der + len };
    iot_der_t seq;
    iot_der_t probe;
    uint32_t version;
    iot_status_t st;

    st = iot_der_get(&d, IOT_DER_SEQUENCE, &seq);
    if (st != IOT_OK) {
        return st;
    }
    if (d.p != d.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    if (iot_der_peek(&seq) == (int)IOT_DER_SEQUENCE) {
        return IOT_ERR_WRONG_KEY_TYPE; /* a certificate, CSR or public key */
    }
    /* Tell the three formats apart by what follows the version. */
    probe = seq;
    st = get_small_int(&probe, &version);
    if (st != IOT_OK) {
        return st;
    }
    switch (iot_der_peek(&probe)) {
    case IOT_DER_SEQUENCE:
        return parse_pkcs8(&seq, key);
    case IOT_DER_OCTET_STRING:
        return parse_sec1(der, len, IOT_KEY_TYPE_NONE, key, true);
    case IOT_DER_INTEGER:
        return parse_pkcs1(der, len, key, true);
    default:
        return IOT_ERR_BAD_FORMAT;
    }
}

iot_status_t iot_key_parse_public_der(const uint8_t *der, size_t len, iot_parsed_key_t *key)
{
    iot_der_t d = { der, der + len };
    iot_der_t seq;
    iot_der_t bits;
    iot_key_type_t curve = IOT_KEY_TYPE_NONE;
    bool is_rsa = false;
    iot_status_t st;

    st = iot_der_get(&d, IOT_DER_SEQUENCE, &seq);
    if (st != IOT_OK) {
        return st;
    }
    if (d.p != d.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    if (iot_der_peek(&seq) == (int)IOT_DER_INTEGER) {
        return IOT_ERR_WRONG_KEY_TYPE; /* a private key */
    }
    {
        /* A certificate's or CSR's first element holds more than an OID. */
        iot_der_t probe = seq;
        iot_der_t alg;
        st = get_inner(&probe, IOT_DER_SEQUENCE, &alg);
        if (st != IOT_OK) {
            return st;
        }
        if (iot_der_peek(&alg) != (int)IOT_DER_OID || iot_der_peek(&probe) != (int)IOT_DER_BIT_STRING) {
            return IOT_ERR_WRONG_KEY_TYPE;
        }
    }
    st = parse_key_alg(&seq, &is_rsa, &curve);
    if (st != IOT_OK) {
        return st;
    }
    st = get_inner(&seq, IOT_DER_BIT_STRING, &bits);
    if (st != IOT_OK) {
        return st;
    }
    if (seq.p != seq.end || bits.p == bits.end || bits.p[0] != 0u) {
        return IOT_ERR_BAD_FORMAT;
    }
    bits.p++;
    if (is_rsa) {
        iot_der_t rsa = bits;
        iot_der_t body;
        iot_der_t n;
        iot_der_t e;
        st = get_inner(&rsa, IOT_DER_SEQUENCE, &body);
        if (st != IOT_OK || rsa.p != rsa.end) {
            return IOT_ERR_BAD_FORMAT;
        }
        st = get_inner(&body, IOT_DER_INTEGER, &n);
        if (st == IOT_OK) {
            st = get_inner(&body, IOT_DER_INTEGER, &e);
        }
        if (st != IOT_OK || body.p != body.end) {
            return IOT_ERR_BAD_FORMAT;
        }
        st = rsa_type_from_modulus(&n, &key->type);
        if (st != IOT_OK) {
            return st;
        }
    } else {
        size_t size = iot_key_type_bits(curve) / 8u;
        if ((size_t)(bits.end - bits.p) != 1u + 2u * size || bits.p[0] != 0x04u) {
            return IOT_ERR_BAD_FORMAT; /* only uncompressed points */
        }
        key->type = curve;
    }
    key->material = bits.p;
    key->material_len = (size_t)(bits.end - bits.p);
    return IOT_OK;
}

iot_status_t iot_key_check_certificate_der(const uint8_t *der, size_t len)
{
    iot_der_t d = { der, der + len };
    iot_der_t seq;
    iot_der_t part;
    iot_status_t st;

    st = iot_der_get(&d, IOT_DER_SEQUENCE, &seq);
    if (st != IOT_OK) {
        return st;
    }
    if (d.p != d.end) {
        return IOT_ERR_BAD_FORMAT;
    }
    if (iot_der_peek(&seq) != (int)IOT_DER_SEQUENCE) {
        return IOT_ERR_WRONG_KEY_TYPE; /* a private key */
    }
    st = get_inner(&seq, IOT_DER_SEQUENCE, &part); /* tbsCertificate */
    if (st != IOT_OK) {
        return st;
    }
    if (iot_der_peek(&part) != (int)IOT_DER_CONTEXT(0) && iot_der_peek(&part) != (int)IOT_DER_INTEGER) {
        return IOT_ERR_WRONG_KEY_TYPE; /* a public key */
    }
    st = get_inner(&seq, IOT_DER_SEQUENCE, &part); /* signatureAlgorithm */
    if (st != IOT_OK) {
        return st;
    }
    st = get_inner(&seq, IOT_DER_BIT_STRING, &part); /* signatureValue */
    if (st != IOT_OK) {
        return st;
    }
    return (seq.p == seq.end) ? IOT_OK : IOT_ERR_BAD_FORMAT;
}

iot_status_t iot_key_write_spki(iot_dw_t *w, iot_key_type_t type, const uint8_t *pub,
                                size_t pub_len)
{
    size_t start = iot_dw_used(w);
    size_t mark;

    iot_dw_raw(w, pub, pub_len);
    iot_dw_byte(w, 0u); /* no unused bits */
    iot_dw_wrap(w, IOT_DER_BIT_STRING, pub_len + 1u);
    mark = iot_dw_used(w);
    if (iot_key_type_is_ec(type)) {
        if (type == IOT_KEY_TYPE_EC_P256) {
            iot_dw_element(w, IOT_DER_OID, k_oid_secp256r1, sizeof(k_oid_secp256r1));
        } else {
            iot_dw_element(w, IOT_DER_OID, k_oid_secp384r1, sizeof(k_oid_secp384r1));
        }
        iot_dw_element(w, IOT_DER_OID, k_oid_ec_public_key, sizeof(k_oid_ec_public_key));
    } else if (iot_key_type_is_rsa(type)) {
        iot_dw_element(w, IOT_DER_NULL, NULL, 0u);
        iot_dw_element(w, IOT_DER_OID, k_oid_rsa_encryption, sizeof(k_oid_rsa_encryption));
    } else {
        return IOT_ERR_WRONG_KEY_TYPE;
    }
    iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - mark);
    iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - start);
    return w->overflow ? IOT_ERR_BUFFER_TOO_SMALL : IOT_OK;
}
