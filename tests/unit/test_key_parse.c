/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the key store's DER parsers (key_parse.c) on their own, with
 * keys built element by element: every structure each parser accepts,
 * each field it checks, and two properties over every element of every
 * valid key: a changed tag and a cut-short input are always refused with a
 * documented status, never accepted. Also the CSR subject writer
 * (key_csr.c), byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys/iot_keys_internal.h"
#include "keys_test_vectors.h"

static const uint8_t k_oid_ec[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01 };
static const uint8_t k_oid_p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t k_oid_p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t k_oid_k256[] = { 0x2B, 0x81, 0x04, 0x00, 0x0A };
static const uint8_t k_oid_rsa[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01 };
static const uint8_t k_oid_ed25519[] = { 0x2B, 0x65, 0x70 };

#define MAX_DER 2048u

typedef struct {
    uint8_t bytes[MAX_DER];
    size_t len;
} blob_t;

/* The P-256 test key's scalar and public point, and the RSA key's n and e. */
static uint8_t g_scalar[32];
static uint8_t g_point[65];
static const uint8_t *g_rsa_n;
static size_t g_rsa_n_len;
static const uint8_t *g_rsa_e;
static size_t g_rsa_e_len;

/* ---- DER building (backwards, with the store's own writer) ---------------- */

static void finish(iot_dw_t *w, blob_t *out)
{
    assert_false(w->overflow);
    out->len = iot_dw_used(w);
    memcpy(out->bytes, iot_dw_data(w), out->len);
}

static void wrap_from(iot_dw_t *w, uint8_t tag, size_t start)
{
    iot_dw_wrap(w, tag, iot_dw_used(w) - start);
}

static void small_int(iot_dw_t *w, uint8_t v)
{
    iot_dw_unsigned(w, &v, 1u);
}

/* ECPrivateKey: version, scalar, optional [0] curve, optional [1] point. */
static void sec1(blob_t *out, uint8_t version, const uint8_t *scalar, size_t scalar_len,
                 const uint8_t *curve, size_t curve_len, bool with_point)
{
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    size_t start = iot_dw_used(&w);
    if (with_point) {
        size_t s = iot_dw_used(&w);
        iot_dw_raw(&w, g_point, sizeof(g_point));
        iot_dw_byte(&w, 0u);
        wrap_from(&w, IOT_DER_BIT_STRING, s);
        wrap_from(&w, IOT_DER_CONTEXT(1), s);
    }
    if (curve != NULL) {
        size_t s = iot_dw_used(&w);
        iot_dw_element(&w, IOT_DER_OID, curve, curve_len);
        wrap_from(&w, IOT_DER_CONTEXT(0), s);
    }
    iot_dw_element(&w, IOT_DER_OCTET_STRING, scalar, scalar_len);
    small_int(&w, version);
    wrap_from(&w, IOT_DER_SEQUENCE, start);
    finish(&w, out);
}

/* AlgorithmIdentifier: algorithm OID, then a curve OID, NULL or nothing. */
static void alg_id(iot_dw_t *w, const uint8_t *alg, size_t alg_len, const uint8_t *params,
                   size_t params_len, bool null_params)
{
    size_t s = iot_dw_used(w);
    if (params != NULL) {
        iot_dw_element(w, IOT_DER_OID, params, params_len);
    } else if (null_params) {
        iot_dw_element(w, IOT_DER_NULL, NULL, 0u);
    }
    iot_dw_element(w, IOT_DER_OID, alg, alg_len);
    wrap_from(w, IOT_DER_SEQUENCE, s);
}

static void pkcs8(blob_t *out, uint8_t version, const uint8_t *alg, size_t alg_len,
                  const uint8_t *params, size_t params_len, const blob_t *inner)
{
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    iot_dw_element(&w, IOT_DER_OCTET_STRING, inner->bytes, inner->len);
    alg_id(&w, alg, alg_len, params, params_len, alg == k_oid_rsa);
    small_int(&w, version);
    wrap_from(&w, IOT_DER_SEQUENCE, 0u);
    finish(&w, out);
}

static void rsa_public(blob_t *out)
{
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    iot_dw_element(&w, IOT_DER_INTEGER, g_rsa_e, g_rsa_e_len);
    iot_dw_element(&w, IOT_DER_INTEGER, g_rsa_n, g_rsa_n_len);
    wrap_from(&w, IOT_DER_SEQUENCE, 0u);
    finish(&w, out);
}

/* SubjectPublicKeyInfo around a raw key (an EC point or an RSAPublicKey). */
static void spki(blob_t *out, const uint8_t *alg, size_t alg_len, const uint8_t *params,
                 size_t params_len, const uint8_t *key, size_t key_len)
{
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    iot_dw_raw(&w, key, key_len);
    iot_dw_byte(&w, 0u);
    wrap_from(&w, IOT_DER_BIT_STRING, 0u);
    alg_id(&w, alg, alg_len, params, params_len, alg == k_oid_rsa);
    wrap_from(&w, IOT_DER_SEQUENCE, 0u);
    finish(&w, out);
}

/* ---- Reading a DER element (independently of the code under test) ------- */

static bool element(const uint8_t *p, size_t avail, size_t *hdr, size_t *len)
{
    if (avail < 2u) {
        return false;
    }
    if (p[1] < 0x80u) {
        *hdr = 2u;
        *len = p[1];
    } else {
        size_t n = p[1] & 0x7Fu;
        if (n == 0u || n > 2u || avail < 2u + n) {
            return false;
        }
        *len = 0;
        for (size_t i = 0; i < n; i++) {
            *len = (*len << 8) | p[2u + i];
        }
        *hdr = 2u + n;
    }
    return *hdr + *len <= avail;
}

static int setup(void **state)
{
    (void)state;
    static uint8_t der[256];
    char label[32];
    size_t len = 0;
    iot_parsed_key_t key;
    const uint8_t *pem = (const uint8_t *)k_p256_sec1_pem;

    if (iot_pem_decode(pem, strlen(k_p256_sec1_pem), label, sizeof(label), der, sizeof(der),
                       &len) != IOT_OK ||
        iot_key_parse_private_der(der, len, &key) != IOT_OK) {
        return -1;
    }
    memcpy(g_scalar, key.material, sizeof(g_scalar));
    /* The point is the last 65 bytes of this SEC1 key ([1] BIT STRING). */
    memcpy(g_point, der + len - sizeof(g_point), sizeof(g_point));
    /* n and e are the second and third INTEGER of the RSAPrivateKey. */
    const uint8_t *p = k_rsa2048_pkcs1_der + 4u;
    size_t hdr = 0;
    size_t flen = 0;
    if (!element(p, 16u, &hdr, &flen)) { /* version */
        return -1;
    }
    p += hdr + flen;
    if (!element(p, 300u, &hdr, &flen)) {
        return -1;
    }
    g_rsa_n = p + hdr;
    g_rsa_n_len = flen;
    p += hdr + flen;
    if (!element(p, 16u, &hdr, &flen)) {
        return -1;
    }
    g_rsa_e = p + hdr;
    g_rsa_e_len = flen;
    return (g_point[0] == 0x04u && g_rsa_n_len == 257u) ? 0 : -1;
}

/* ---- Tests ------------------------------------------------------------------- */

static void test_accepted_private_keys(void **state)
{
    (void)state;
    blob_t s;
    blob_t p8;
    iot_parsed_key_t key;

    /* SEC1 with and without its optional fields when PKCS#8 names the curve. */
    sec1(&s, 1u, g_scalar, 32u, k_oid_p256, sizeof(k_oid_p256), true);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_EC_P256);
    assert_int_equal(key.material_len, 32u);
    assert_memory_equal(key.material, g_scalar, 32u);

    sec1(&s, 1u, g_scalar, 32u, NULL, 0u, false);
    pkcs8(&p8, 0u, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), &s);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_EC_P256);
    assert_memory_equal(key.material, g_scalar, 32u);

    /* OneAsymmetricKey (version 1) is read like PrivateKeyInfo. */
    pkcs8(&p8, 1u, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), &s);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_OK);

    /* A scalar with its leading zero bytes dropped comes back at full length. */
    uint8_t short_scalar[30];
    memcpy(short_scalar, g_scalar + 2, sizeof(short_scalar));
    sec1(&s, 1u, short_scalar, sizeof(short_scalar), k_oid_p256, sizeof(k_oid_p256), false);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_OK);
    assert_int_equal(key.material_len, 32u);
    assert_int_equal(key.material[0], 0u);
    assert_int_equal(key.material[1], 0u);
    assert_memory_equal(key.material + 2, short_scalar, sizeof(short_scalar));

    /* P-384, and RSA both bare (PKCS#1) and in PKCS#8. */
    uint8_t scalar384[48];
    memset(scalar384, 0x5A, sizeof(scalar384));
    sec1(&s, 1u, scalar384, sizeof(scalar384), k_oid_p384, sizeof(k_oid_p384), false);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_EC_P384);

    assert_int_equal(iot_key_parse_private_der(k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der),
                                               &key),
                     IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_RSA_2048);
    blob_t rsa;
    memcpy(rsa.bytes, k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der));
    rsa.len = sizeof(k_rsa2048_pkcs1_der);
    pkcs8(&p8, 0u, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, &rsa);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_RSA_2048);
    assert_int_equal(key.material_len, sizeof(k_rsa2048_pkcs1_der));
    assert_memory_equal(key.material, k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der));
}

static void test_refused_private_keys(void **state)
{
    (void)state;
    blob_t s;
    blob_t p8;
    iot_parsed_key_t key;
    uint8_t long_scalar[33];
    memset(long_scalar, 1, sizeof(long_scalar));

    /* SEC1: version, scalar length, explicit or unknown curve, no curve at all. */
    sec1(&s, 2u, g_scalar, 32u, k_oid_p256, sizeof(k_oid_p256), true);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_BAD_FORMAT);
    sec1(&s, 1u, long_scalar, sizeof(long_scalar), k_oid_p256, sizeof(k_oid_p256), false);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_BAD_FORMAT);
    sec1(&s, 1u, g_scalar, 0u, k_oid_p256, sizeof(k_oid_p256), false);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_BAD_FORMAT);
    sec1(&s, 1u, g_scalar, 32u, NULL, 0u, true);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_BAD_FORMAT);
    sec1(&s, 1u, g_scalar, 32u, k_oid_k256, sizeof(k_oid_k256), false);
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_UNSUPPORTED_KEY);
    /* [0] holding explicit parameters (a SEQUENCE) instead of a named curve. */
    sec1(&s, 1u, g_scalar, 32u, k_oid_p256, sizeof(k_oid_p256), false);
    size_t ctx0 = s.len - (2u + 2u + sizeof(k_oid_p256));
    assert_int_equal(s.bytes[ctx0], IOT_DER_CONTEXT(0));
    s.bytes[ctx0 + 2u] = IOT_DER_SEQUENCE;
    assert_int_equal(iot_key_parse_private_der(s.bytes, s.len, &key), IOT_ERR_UNSUPPORTED_KEY);

    /* PKCS#8: version, the curve named twice differently, other algorithms. */
    sec1(&s, 1u, g_scalar, 32u, NULL, 0u, false);
    pkcs8(&p8, 2u, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), &s);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_ERR_BAD_FORMAT);
    sec1(&s, 1u, g_scalar, 32u, k_oid_p384, sizeof(k_oid_p384), false);
    pkcs8(&p8, 0u, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), &s);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_ERR_BAD_FORMAT);
    pkcs8(&p8, 0u, k_oid_ed25519, sizeof(k_oid_ed25519), NULL, 0u, &s);
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_ERR_UNSUPPORTED_KEY);
    pkcs8(&p8, 0u, k_oid_ec, sizeof(k_oid_ec), NULL, 0u, &s); /* no curve parameter */
    assert_int_equal(iot_key_parse_private_der(p8.bytes, p8.len, &key), IOT_ERR_UNSUPPORTED_KEY);

    /* PKCS#1: multi-prime (version 1), a 1032-bit modulus, a missing field. */
    blob_t rsa;
    memcpy(rsa.bytes, k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der));
    rsa.len = sizeof(k_rsa2048_pkcs1_der);
    rsa.bytes[6] = 1u; /* version INTEGER's value */
    assert_int_equal(iot_key_parse_private_der(rsa.bytes, rsa.len, &key), IOT_ERR_UNSUPPORTED_KEY);
    rsa.bytes[6] = 0u;
    rsa.bytes[7 + 4] = 0x01u; /* n's sign byte 00 -> 01: 2056 bits */
    assert_int_equal(iot_key_parse_private_der(rsa.bytes, rsa.len, &key), IOT_ERR_UNSUPPORTED_KEY);

    /* Other objects: a public key and a certificate are not private keys. */
    blob_t pub;
    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), g_point,
         sizeof(g_point));
    assert_int_equal(iot_key_parse_private_der(pub.bytes, pub.len, &key), IOT_ERR_WRONG_KEY_TYPE);
}

static void test_public_keys(void **state)
{
    (void)state;
    blob_t pub;
    blob_t rsa;
    iot_parsed_key_t key;

    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), g_point,
         sizeof(g_point));
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_EC_P256);
    assert_int_equal(key.material_len, sizeof(g_point));
    assert_memory_equal(key.material, g_point, sizeof(g_point));

    rsa_public(&rsa);
    spki(&pub, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, rsa.bytes, rsa.len);
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_OK);
    assert_int_equal(key.type, IOT_KEY_TYPE_RSA_2048);
    assert_int_equal(key.material_len, rsa.len);
    assert_memory_equal(key.material, rsa.bytes, rsa.len);

    /* The writer produces what the parser reads. */
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_key_write_spki(&w, IOT_KEY_TYPE_RSA_2048, rsa.bytes, rsa.len), IOT_OK);
    assert_int_equal(iot_dw_used(&w), pub.len);
    assert_memory_equal(iot_dw_data(&w), pub.bytes, pub.len);

    /* Compressed points, a wrong point length, a nonzero unused-bits count. */
    uint8_t compressed[33];
    memcpy(compressed, g_point, sizeof(compressed));
    compressed[0] = 0x02u;
    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), compressed,
         sizeof(compressed));
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_ERR_BAD_FORMAT);
    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p384, sizeof(k_oid_p384), g_point,
         sizeof(g_point));
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_ERR_BAD_FORMAT);
    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), g_point,
         sizeof(g_point));
    pub.bytes[pub.len - sizeof(g_point) - 1u] = 0x01u;
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_ERR_BAD_FORMAT);

    /* RSA: a 1032-bit modulus; a BIT STRING that is not an RSAPublicKey. */
    static uint8_t n_bad[129];
    memset(n_bad, 0xC3, sizeof(n_bad));
    n_bad[0] = 0x00u;
    static uint8_t kbuf[MAX_DER];
    iot_dw_init(&w, kbuf, sizeof(kbuf));
    iot_dw_element(&w, IOT_DER_INTEGER, g_rsa_e, g_rsa_e_len);
    iot_dw_element(&w, IOT_DER_INTEGER, n_bad, sizeof(n_bad));
    wrap_from(&w, IOT_DER_SEQUENCE, 0u);
    blob_t small;
    finish(&w, &small);
    spki(&pub, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, small.bytes, small.len);
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_ERR_UNSUPPORTED_KEY);
    spki(&pub, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, g_point, sizeof(g_point));
    assert_int_equal(iot_key_parse_public_der(pub.bytes, pub.len, &key), IOT_ERR_BAD_FORMAT);

    /* Private keys are not public keys. */
    assert_int_equal(iot_key_parse_public_der(k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der),
                                              &key),
                     IOT_ERR_WRONG_KEY_TYPE);
}

static void cert_der(blob_t *out)
{
    char label[32];
    assert_int_equal(iot_pem_decode((const uint8_t *)k_cert_pem, strlen(k_cert_pem), label,
                                    sizeof(label), out->bytes, sizeof(out->bytes), &out->len),
                     IOT_OK);
}

static void test_certificates(void **state)
{
    (void)state;
    blob_t cert;
    blob_t pub;
    iot_parsed_key_t key;

    cert_der(&cert);
    assert_int_equal(iot_key_check_certificate_der(cert.bytes, cert.len), IOT_OK);
    assert_int_equal(iot_key_parse_public_der(cert.bytes, cert.len, &key), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_parse_private_der(cert.bytes, cert.len, &key), IOT_ERR_WRONG_KEY_TYPE);

    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), g_point,
         sizeof(g_point));
    assert_int_equal(iot_key_check_certificate_der(pub.bytes, pub.len), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_check_certificate_der(k_rsa2048_pkcs1_der,
                                                   sizeof(k_rsa2048_pkcs1_der)),
                     IOT_ERR_WRONG_KEY_TYPE);
}

/* ---- Properties over every element of every valid key --------------------- */

typedef iot_status_t (*parse_fn)(const uint8_t *der, size_t len);

static iot_status_t parse_private(const uint8_t *der, size_t len)
{
    iot_parsed_key_t key;
    return iot_key_parse_private_der(der, len, &key);
}

static iot_status_t parse_public(const uint8_t *der, size_t len)
{
    iot_parsed_key_t key;
    return iot_key_parse_public_der(der, len, &key);
}

static bool documented_refusal(iot_status_t st)
{
    return st == IOT_ERR_BAD_FORMAT || st == IOT_ERR_TRUNCATED || st == IOT_ERR_WRONG_KEY_TYPE ||
           st == IOT_ERR_UNSUPPORTED_KEY;
}

/* Change the tag of every element in key->bytes[off, off+avail) and below,
 * one at a time, and parse the whole key; descend into constructed elements
 * and into OCTET/BIT STRINGs that hold DER. Returns the elements tried. */
static size_t retag_all(blob_t *key, size_t off, size_t avail, parse_fn parse)
{
    static const uint8_t other_tags[] = { IOT_DER_INTEGER, IOT_DER_OCTET_STRING, IOT_DER_SEQUENCE,
                                          IOT_DER_NULL, IOT_DER_CONTEXT(0) };
    size_t tried = 0;
    size_t end = off + avail;
    while (off < end) {
        size_t hdr = 0;
        size_t len = 0;
        if (!element(key->bytes + off, end - off, &hdr, &len)) {
            return tried;
        }
        uint8_t tag = key->bytes[off];
        for (size_t i = 0; i < sizeof(other_tags); i++) {
            if (other_tags[i] == tag) {
                continue;
            }
            key->bytes[off] = other_tags[i];
            iot_status_t st = parse(key->bytes, key->len);
            if (!documented_refusal(st)) {
                print_error("tag 0x%02x at offset %zu replaced by 0x%02x: status %d\n", tag, off,
                            other_tags[i], (int)st);
            }
            assert_true(documented_refusal(st));
        }
        key->bytes[off] = tag;
        tried++;
        size_t inner = off + hdr;
        size_t inner_len = len;
        if (tag == IOT_DER_BIT_STRING && len > 0u) {
            inner++;
            inner_len--;
        }
        size_t h2 = 0;
        size_t l2 = 0;
        bool holds_der = (tag == IOT_DER_OCTET_STRING || tag == IOT_DER_BIT_STRING) &&
                         inner_len > 0u && key->bytes[inner] == IOT_DER_SEQUENCE &&
                         element(key->bytes + inner, inner_len, &h2, &l2) && h2 + l2 == inner_len;
        /* SEC1's [1] publicKey is skipped by design (PSA derives the public
         * key from the scalar), so its content is not checked. */
        if (((tag & 0x20u) != 0u || holds_der) && tag != IOT_DER_CONTEXT(1)) {
            tried += retag_all(key, inner, inner_len, parse);
        }
        off += hdr + len;
    }
    return tried;
}

static void check_properties(blob_t *key, parse_fn parse, size_t min_elements)
{
    assert_int_equal(parse(key->bytes, key->len), IOT_OK);
    /* Every proper prefix is refused. */
    for (size_t cut = 0; cut < key->len; cut++) {
        iot_status_t st = parse(key->bytes, cut);
        assert_true(st == IOT_ERR_TRUNCATED || st == IOT_ERR_BAD_FORMAT);
    }
    /* A byte after the key is refused. */
    key->bytes[key->len] = 0u;
    assert_int_equal(parse(key->bytes, key->len + 1u), IOT_ERR_BAD_FORMAT);
    /* Every element's tag matters. */
    assert_true(retag_all(key, 0u, key->len, parse) >= min_elements);
    assert_int_equal(parse(key->bytes, key->len), IOT_OK); /* restored */
}

static void test_every_element_is_checked(void **state)
{
    (void)state;
    static blob_t s;
    static blob_t p8;
    static blob_t pub;
    static blob_t rsa;

    sec1(&s, 1u, g_scalar, 32u, k_oid_p256, sizeof(k_oid_p256), true);
    check_properties(&s, parse_private, 6u);
    sec1(&p8, 1u, g_scalar, 32u, NULL, 0u, false);
    pkcs8(&s, 0u, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), &p8);
    check_properties(&s, parse_private, 8u);

    memcpy(rsa.bytes, k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der));
    rsa.len = sizeof(k_rsa2048_pkcs1_der);
    check_properties(&rsa, parse_private, 10u);
    pkcs8(&p8, 0u, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, &rsa);
    check_properties(&p8, parse_private, 15u);

    spki(&pub, k_oid_ec, sizeof(k_oid_ec), k_oid_p256, sizeof(k_oid_p256), g_point,
         sizeof(g_point));
    check_properties(&pub, parse_public, 5u);
    rsa_public(&rsa);
    spki(&pub, k_oid_rsa, sizeof(k_oid_rsa), NULL, 0u, rsa.bytes, rsa.len);
    check_properties(&pub, parse_public, 8u);
}

/* ---- CSR subject names ---------------------------------------------------- */

static iot_status_t write_name(const char *subject, blob_t *out)
{
    static uint8_t buf[MAX_DER];
    iot_dw_t w;
    iot_dw_init(&w, buf, sizeof(buf));
    iot_status_t st = iot_csr_write_name(&w, subject);
    if (st == IOT_OK) {
        finish(&w, out);
    }
    return st;
}

static void test_csr_subject(void **state)
{
    (void)state;
    blob_t name;

    /* C=SE, CN=a\,b: two RDNs, the escape removed, PrintableString for C. */
    static const uint8_t expected[] = {
        0x30, 0x1E,
        0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'S', 'E',
        0x31, 0x0F, 0x30, 0x0D, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x06, 'a', ',', 'b', ' ', 'c', 'd',
    };
    assert_int_equal(write_name("C=SE, CN=a\\,b cd", &name), IOT_OK);
    assert_int_equal(name.len, sizeof(expected));
    assert_memory_equal(name.bytes, expected, sizeof(expected));

    /* Every attribute type is known, with its string type. */
    assert_int_equal(write_name("ST=s,L=l,O=o,OU=u,serialNumber=A1,emailAddress=a@b,DC=d", &name),
                     IOT_OK);
    assert_non_null(memchr(name.bytes, IOT_DER_IA5_STRING, name.len));

    /* Refusals: unknown type, no '=', empty value, a bad country code,
     * characters outside the string type, control characters, a trailing
     * comma or backslash, nothing at all, too many attributes, a long value. */
    static const char *const bad[] = {
        "XX=1",       "CN",        "CN=",         "C=SWE",          "serialNumber=a_b",
        "emailAddress=\xc3\xa9", "CN=a\x01b", "CN=a,",     "CN=a\\",     "",
        "CN=1,CN=2,CN=3,CN=4,CN=5,CN=6,CN=7,CN=8,CN=9,CN=10,CN=11,CN=12,CN=13,CN=14,CN=15,CN=16,CN=17",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        iot_status_t st = write_name(bad[i], &name);
        if (st != IOT_ERR_BAD_FORMAT) {
            print_error("subject \"%s\": status %d\n", bad[i], (int)st);
        }
        assert_int_equal(st, IOT_ERR_BAD_FORMAT);
    }
    char long_cn[3 + 130];
    memcpy(long_cn, "CN=", 3);
    memset(long_cn + 3, 'x', 129);
    long_cn[3 + 129] = '\0';
    assert_int_equal(write_name(long_cn, &name), IOT_ERR_BAD_FORMAT);
    long_cn[3 + 128] = '\0';
    assert_int_equal(write_name(long_cn, &name), IOT_OK);

    /* A writer too small reports it rather than writing past its end. */
    uint8_t tiny[8];
    iot_dw_t w;
    iot_dw_init(&w, tiny, sizeof(tiny));
    assert_int_equal(iot_csr_write_name(&w, "CN=device-0001"), IOT_ERR_NO_MEMORY);
    assert_int_equal(iot_csr_write_sig_alg(&w, IOT_SIGN_ECDSA_SHA256), IOT_ERR_NO_MEMORY);
}

static void test_csr_algorithms_and_signatures(void **state)
{
    (void)state;
    static uint8_t buf[256];
    iot_dw_t w;

    /* ecdsa-with-SHA384 (1.2.840.10045.4.3.3), no parameters. */
    static const uint8_t ecdsa384[] = { 0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03 };
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_sig_alg(&w, IOT_SIGN_ECDSA_SHA384), IOT_OK);
    assert_int_equal(iot_dw_used(&w), sizeof(ecdsa384));
    assert_memory_equal(iot_dw_data(&w), ecdsa384, sizeof(ecdsa384));

    /* sha512WithRSAEncryption (1.2.840.113549.1.1.13) with NULL parameters. */
    static const uint8_t rsa512[] = { 0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                      0x0D, 0x01, 0x01, 0x0D, 0x05, 0x00 };
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_sig_alg(&w, IOT_SIGN_RSA_PKCS1_SHA512), IOT_OK);
    assert_int_equal(iot_dw_used(&w), sizeof(rsa512));
    assert_memory_equal(iot_dw_data(&w), rsa512, sizeof(rsa512));
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_sig_alg(&w, (iot_sign_alg_t)99), IOT_ERR_NOT_SUPPORTED);

    /* ECDSA r||s becomes SEQUENCE { INTEGER r, INTEGER s } in a BIT STRING;
     * r's top bit set gets a zero byte, s's leading zero is dropped. */
    static const uint8_t sig[4] = { 0x81, 0x02, 0x00, 0x05 };
    static const uint8_t der[] = { 0x03, 0x0B, 0x00, 0x30, 0x08, 0x02, 0x03, 0x00, 0x81, 0x02,
                                   0x02, 0x01, 0x05 };
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_signature(&w, IOT_SIGN_ECDSA_SHA256, sig, sizeof(sig)), IOT_OK);
    assert_int_equal(iot_dw_used(&w), sizeof(der));
    assert_memory_equal(iot_dw_data(&w), der, sizeof(der));
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_signature(&w, IOT_SIGN_ECDSA_SHA256, sig, 3u), IOT_ERR_INTERNAL);
    /* RSA signatures go in as they are. */
    static const uint8_t rsa_der[] = { 0x03, 0x05, 0x00, 0x81, 0x02, 0x00, 0x05 };
    iot_dw_init(&w, buf, sizeof(buf));
    assert_int_equal(iot_csr_write_signature(&w, IOT_SIGN_RSA_PKCS1_SHA256, sig, sizeof(sig)), IOT_OK);
    assert_memory_equal(iot_dw_data(&w), rsa_der, sizeof(rsa_der));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_private_keys),
        cmocka_unit_test(test_refused_private_keys),
        cmocka_unit_test(test_public_keys),
        cmocka_unit_test(test_certificates),
        cmocka_unit_test(test_every_element_is_checked),
        cmocka_unit_test(test_csr_subject),
        cmocka_unit_test(test_csr_algorithms_and_signatures),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
