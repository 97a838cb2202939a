/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: verifies a device's PSA attestation token with libcbor and
 * Mbed TLS, independently of the SDK code that builds tokens.
 *
 * Order of checks: COSE structure and algorithm, MAC or signature (nothing
 * in an unauthenticated token is looked at), profile, nonce, lifecycle,
 * software measurements. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "gateway.h"
#include "keys/iot_keys_internal.h"

#define CLAIM_NONCE 10
#define CLAIM_INSTANCE_ID 256
#define CLAIM_PROFILE 265
#define CLAIM_BOOT_SEED 268
#define CLAIM_LIFECYCLE 2395
#define CLAIM_IMPLEMENTATION_ID 2396
#define CLAIM_SW_COMPONENTS 2399
#define SW_MEASUREMENT_VALUE 2
#define PROFILE "tag:psacertified.org,2023:psa#tfm"

static int fail(char *reason, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *reason, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* An integer item's value (uint or negint), or 0 with *ok false. */
static int64_t int_value(cbor_item_t *it, bool *ok)
{
    *ok = true;
    if (cbor_isa_uint(it)) {
        return (int64_t)cbor_get_int(it);
    }
    if (cbor_isa_negint(it)) {
        return -1 - (int64_t)cbor_get_int(it);
    }
    *ok = false;
    return 0;
}

static cbor_item_t *map_get(cbor_item_t *map, int64_t key)
{
    struct cbor_pair *p = cbor_map_handle(map);
    size_t n = cbor_map_size(map);
    size_t i;

    for (i = 0; i < n; i++) {
        bool ok;
        if (int_value(p[i].key, &ok) == key && ok) {
            return p[i].value;
        }
    }
    return NULL;
}

static bool is_bstr(cbor_item_t *it)
{
    return it != NULL && cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

/* Serialise [context, protected, h'', payload] with libcbor. */
static unsigned char *to_be_protected(const char *context, cbor_item_t *prot, cbor_item_t *payload,
                                      size_t *len)
{
    cbor_item_t *a = cbor_new_definite_array(4);
    unsigned char *buf = NULL;
    size_t cap = 0;
    bool ok;

    if (a == NULL) {
        return NULL;
    }
    ok = cbor_array_push(a, cbor_move(cbor_build_string(context))) &&
         cbor_array_push(a, prot) &&
         cbor_array_push(a, cbor_move(cbor_build_bytestring(NULL, 0))) &&
         cbor_array_push(a, payload);
    *len = ok ? cbor_serialize_alloc(a, &buf, &cap) : 0u;
    cbor_decref(&a);
    if (*len == 0u) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int check_tag(const unsigned char *tbs, size_t tbs_len, cbor_item_t *tag,
                     const gw_device_t *dev, char *reason, size_t cap)
{
    const unsigned char *t = cbor_bytestring_handle(tag);
    size_t t_len = cbor_bytestring_length(tag);

    if (dev->attest_kind == GW_ATTEST_HMAC) {
        unsigned char mac[32];
        unsigned char diff = 0;
        size_t i;

        /* A device from the key store: the HMAC is computed inside the store. */
        if (dev->attest_key_len == 0u ? iot_keys_internal_hmac_sha256(dev->attest_id, tbs, tbs_len, mac) != IOT_OK
                                      : mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                                                        dev->attest_key, dev->attest_key_len, tbs, tbs_len,
                                                        mac) != 0) {
            return fail(reason, cap, "MAC computation failed");
        }
        if (t_len != sizeof(mac)) {
            return fail(reason, cap, "bad MAC (length %zu)", t_len);
        }
        for (i = 0; i < sizeof(mac); i++) {
            diff |= (unsigned char)(mac[i] ^ t[i]);
        }
        return diff == 0 ? 0 : fail(reason, cap, "bad MAC");
    } else {
        unsigned char hash[32];
        mbedtls_ecp_group grp;
        mbedtls_ecp_point q;
        mbedtls_mpi r;
        mbedtls_mpi s;
        int ret;

        if (t_len != 64u) {
            return fail(reason, cap, "bad signature (length %zu)", t_len);
        }
        (void)mbedtls_sha256_ret(tbs, tbs_len, hash, 0);
        mbedtls_ecp_group_init(&grp);
        mbedtls_ecp_point_init(&q);
        mbedtls_mpi_init(&r);
        mbedtls_mpi_init(&s);
        ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
        if (ret == 0) {
            ret = mbedtls_ecp_point_read_binary(&grp, &q, dev->attest_pub, dev->attest_pub_len);
        }
        if (ret == 0) {
            ret = mbedtls_mpi_read_binary(&r, t, 32);
        }
        if (ret == 0) {
            ret = mbedtls_mpi_read_binary(&s, t + 32, 32);
        }
        if (ret == 0) {
            ret = mbedtls_ecdsa_verify(&grp, hash, sizeof(hash), &q, &r, &s);
        }
        mbedtls_ecp_group_free(&grp);
        mbedtls_ecp_point_free(&q);
        mbedtls_mpi_free(&r);
        mbedtls_mpi_free(&s);
        return ret == 0 ? 0 : fail(reason, cap, "bad signature");
    }
}

static int check_claims(cbor_item_t *claims, const uint8_t *nonce, size_t nonce_len,
                        const gw_config_t *cfg, char *reason, size_t cap)
{
    cbor_item_t *it;
    cbor_item_t *sw;
    size_t i;
    bool ok;
    int64_t lc;

    if (!cbor_isa_map(claims) || !cbor_map_is_definite(claims)) {
        return fail(reason, cap, "malformed token: claims are not a map");
    }
    it = map_get(claims, CLAIM_PROFILE);
    if (it == NULL || !cbor_isa_string(it) || !cbor_string_is_definite(it) ||
        cbor_string_length(it) != strlen(PROFILE) ||
        memcmp(cbor_string_handle(it), PROFILE, strlen(PROFILE)) != 0) {
        return fail(reason, cap, "wrong or missing profile claim");
    }
    it = map_get(claims, CLAIM_NONCE);
    if (!is_bstr(it)) {
        return fail(reason, cap, "missing nonce claim");
    }
    if (cbor_bytestring_length(it) != nonce_len ||
        memcmp(cbor_bytestring_handle(it), nonce, nonce_len) != 0) {
        return fail(reason, cap, "stale nonce (the token answers another challenge)");
    }
    it = map_get(claims, CLAIM_INSTANCE_ID);
    if (!is_bstr(it) || cbor_bytestring_length(it) != 33u || cbor_bytestring_handle(it)[0] != 0x01u) {
        return fail(reason, cap, "missing or malformed instance id");
    }
    it = map_get(claims, CLAIM_IMPLEMENTATION_ID);
    if (!is_bstr(it) || cbor_bytestring_length(it) != 32u) {
        return fail(reason, cap, "missing or malformed implementation id");
    }
    it = map_get(claims, CLAIM_BOOT_SEED);
    if (!is_bstr(it) || cbor_bytestring_length(it) < 8u || cbor_bytestring_length(it) > 32u) {
        return fail(reason, cap, "missing or malformed boot seed");
    }
    it = map_get(claims, CLAIM_LIFECYCLE);
    lc = (it != NULL) ? int_value(it, &ok) : 0;
    if (it == NULL || !ok) {
        return fail(reason, cap, "missing lifecycle claim");
    }
    if (lc < cfg->lifecycle_min || lc > cfg->lifecycle_max) {
        return fail(reason, cap, "lifecycle 0x%04llx not accepted (0x%04x..0x%04x)",
                    (unsigned long long)lc, cfg->lifecycle_min, cfg->lifecycle_max);
    }
    sw = map_get(claims, CLAIM_SW_COMPONENTS);
    if (sw == NULL || !cbor_isa_array(sw) || !cbor_array_is_definite(sw) || cbor_array_size(sw) == 0u) {
        return fail(reason, cap, "missing software components");
    }
    for (i = 0; i < cbor_array_size(sw); i++) {
        cbor_item_t *c = cbor_array_handle(sw)[i];
        cbor_item_t *m;
        size_t a;
        bool allowed = false;
        char hex[65];

        if (!cbor_isa_map(c) || !cbor_map_is_definite(c)) {
            return fail(reason, cap, "malformed software component %zu", i);
        }
        m = map_get(c, SW_MEASUREMENT_VALUE);
        if (!is_bstr(m) || cbor_bytestring_length(m) != 32u) {
            return fail(reason, cap, "software component %zu has no SHA-256 measurement", i);
        }
        for (a = 0; a < cfg->allow_count && !allowed; a++) {
            allowed = memcmp(cfg->allow[a], cbor_bytestring_handle(m), 32) == 0;
        }
        if (!allowed) {
            gw_hex_encode(cbor_bytestring_handle(m), 32, hex);
            return fail(reason, cap, "measurement %s not on the allow-list", hex);
        }
    }
    return 0;
}

int gw_verify_token(const uint8_t *token, size_t len, const gw_device_t *dev, const uint8_t *nonce,
                    size_t nonce_len, const gw_config_t *cfg, char *reason, size_t cap)
{
    struct cbor_load_result res;
    cbor_item_t *cose = NULL;
    cbor_item_t *hdr = NULL;
    cbor_item_t *claims = NULL;
    unsigned char *tbs = NULL;
    size_t tbs_len = 0;
    size_t hl;
    unsigned tag;
    int rc = -1;

    /* The COSE tag head is read here: libcbor 0.8 refuses the one-byte heads
     * of tags 17..20 (0xd1..0xd4) as malformed, though RFC 8949 allows them. */
    if (len >= 1u && token[0] >= 0xd1u && token[0] <= 0xd2u) {
        tag = token[0] & 0x1fu;
        hl = 1u;
    } else if (len >= 2u && token[0] == 0xd8u) {
        tag = token[1];
        hl = 2u;
    } else {
        fail(reason, cap, "malformed token: not a tagged COSE message");
        goto out;
    }
    if (tag != (dev->attest_kind == GW_ATTEST_HMAC ? 17u : 18u)) {
        fail(reason, cap, "token is COSE tag %u, expected %s", tag,
             dev->attest_kind == GW_ATTEST_HMAC ? "COSE_Mac0 (17)" : "COSE_Sign1 (18)");
        goto out;
    }
    /* libcbor leaves res.error.position unset on some errors (seen with
     * truncated input): start from zero so the reason never prints garbage. */
    memset(&res, 0, sizeof(res));
    cose = cbor_load(token + hl, len - hl, &res);
    if (cose == NULL || res.error.code != CBOR_ERR_NONE) {
        fail(reason, cap, "malformed token: not CBOR (error %d at byte %zu)", (int)res.error.code,
             res.error.position + hl);
        goto out;
    }
    if (res.read != len - hl) {
        fail(reason, cap, "malformed token: %zu trailing bytes", len - hl - res.read);
        goto out;
    }
    if (!cbor_isa_array(cose) || !cbor_array_is_definite(cose) || cbor_array_size(cose) != 4u ||
        !is_bstr(cbor_array_handle(cose)[0]) || !cbor_isa_map(cbor_array_handle(cose)[1]) ||
        !is_bstr(cbor_array_handle(cose)[2]) || !is_bstr(cbor_array_handle(cose)[3])) {
        fail(reason, cap, "malformed token: not [protected, unprotected, payload, tag]");
        goto out;
    }
    {
        cbor_item_t *prot = cbor_array_handle(cose)[0];
        cbor_item_t *alg;
        bool ok;
        int64_t want = dev->attest_kind == GW_ATTEST_HMAC ? 5 : -7;

        hdr = cbor_load(cbor_bytestring_handle(prot), cbor_bytestring_length(prot), &res);
        if (hdr == NULL || res.error.code != CBOR_ERR_NONE || !cbor_isa_map(hdr) ||
            (alg = map_get(hdr, 1)) == NULL || int_value(alg, &ok) != want || !ok) {
            fail(reason, cap, "protected header does not name %s",
                 dev->attest_kind == GW_ATTEST_HMAC ? "HMAC 256/256" : "ES256");
            goto out;
        }
        tbs = (unsigned char *)to_be_protected(dev->attest_kind == GW_ATTEST_HMAC ? "MAC0" : "Signature1",
                                               prot, cbor_array_handle(cose)[2], &tbs_len);
        if (tbs == NULL) {
            fail(reason, cap, "out of memory");
            goto out;
        }
    }
    if (check_tag(tbs, tbs_len, cbor_array_handle(cose)[3], dev, reason, cap) != 0) {
        goto out;
    }
    {
        cbor_item_t *payload = cbor_array_handle(cose)[2];
        claims = cbor_load(cbor_bytestring_handle(payload), cbor_bytestring_length(payload), &res);
        if (claims == NULL || res.error.code != CBOR_ERR_NONE ||
            res.read != cbor_bytestring_length(payload)) {
            fail(reason, cap, "malformed token: payload is not one CBOR item");
            goto out;
        }
    }
    rc = check_claims(claims, nonce, nonce_len, cfg, reason, cap);
out:
    free(tbs);
    if (claims != NULL) {
        cbor_decref(&claims);
    }
    if (hdr != NULL) {
        cbor_decref(&hdr);
    }
    if (cose != NULL) {
        cbor_decref(&cose);
    }
    return rc;
}
