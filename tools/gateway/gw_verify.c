/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: verifies a device's PSA attestation token with libcbor and
 * Mbed TLS, independently of the SDK code that builds tokens.
 *
 * Order of checks: COSE structure and algorithm, MAC or signature (nothing
 * in an unauthenticated token is looked at), profile, nonce, lifecycle,
 * software measurements.
 *
 * Every buffer is walked by cbor_precheck() before libcbor decodes it:
 * libcbor allocates an array or map for the count its head announces
 * before it reads a single element, so a few bytes claiming 2^32 elements
 * would cost gigabytes. The walk allocates nothing and refuses counts and
 * lengths that the bytes left cannot hold, and nesting deeper than
 * GW_CBOR_MAX_DEPTH. */
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

/* Deepest nesting of arrays, maps, tags and indefinite strings accepted
 * (a PSA token needs 3: COSE array, claims map, software components). */
#define GW_CBOR_MAX_DEPTH 16

static int fail(char *reason, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *reason, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* Items still expected at one nesting level; INDEF: until a break (0xff). */
#define INDEF UINT64_MAX

/* Walk one CBOR data item at the start of p[0, len) (RFC 8949 3) without
 * allocating. Every array needs at least one byte per element, a map two
 * per pair, a string its length: counts larger than the bytes left are
 * refused, as are reserved heads, a misplaced break and nesting deeper
 * than GW_CBOR_MAX_DEPTH. 0 when the item is well-formed in these terms
 * (libcbor still checks the rest), -1 with `why` set otherwise. */
static int cbor_precheck(const uint8_t *p, size_t len, const char **why)
{
    uint64_t pending[GW_CBOR_MAX_DEPTH + 1];
    uint8_t string_major[GW_CBOR_MAX_DEPTH + 1]; /* indefinite string: chunks' major type */
    int depth = 0;
    size_t pos = 0;

    pending[0] = 1;
    string_major[0] = 0;
    while (depth >= 0) {
        uint8_t ib;
        unsigned major;
        unsigned ai;
        uint64_t val = 0;
        uint64_t items = 0;
        bool indefinite = false;

        if (pending[depth] == 0u) {
            depth--;
            continue;
        }
        if (pos >= len) {
            *why = "truncated";
            return -1;
        }
        ib = p[pos++];
        if (ib == 0xFFu) {
            if (pending[depth] != INDEF) {
                *why = "break outside an indefinite-length item";
                return -1;
            }
            depth--;
            continue;
        }
        major = ib >> 5;
        ai = ib & 0x1Fu;
        if (pending[depth] != INDEF) {
            pending[depth]--;
        } else if (string_major[depth] != 0u && (major != string_major[depth] || ai == 31u)) {
            *why = "bad chunk in an indefinite-length string";
            return -1;
        }
        if (ai < 24u) {
            val = ai;
        } else if (ai <= 27u) {
            size_t n = (size_t)1u << (ai - 24u);
            size_t i;

            if (len - pos < n) {
                *why = "truncated";
                return -1;
            }
            for (i = 0; i < n; i++) {
                val = (val << 8) | p[pos + i];
            }
            pos += n;
        } else if (ai == 31u && major >= 2u && major <= 5u) {
            indefinite = true;
        } else {
            *why = "reserved or invalid head";
            return -1;
        }
        switch (major) {
        case 2u:
        case 3u:
            if (!indefinite) {
                if (val > len - pos) {
                    *why = "string longer than the input";
                    return -1;
                }
                pos += (size_t)val;
                continue;
            }
            items = INDEF;
            break;
        case 4u:
        case 5u:
            if (indefinite) {
                items = INDEF;
                break;
            }
            /* One byte at least per element, two per map entry. */
            if (val > len - pos || (major == 5u && val > (len - pos) / 2u)) {
                *why = "array or map count larger than the input";
                return -1;
            }
            items = (major == 5u) ? val * 2u : val;
            break;
        case 6u:
            items = 1; /* a tag: one item follows */
            break;
        default:
            continue; /* integers and simple values: the head is all */
        }
        if (items == 0u) {
            continue;
        }
        if (depth == GW_CBOR_MAX_DEPTH) {
            *why = "nested too deep";
            return -1;
        }
        depth++;
        pending[depth] = items;
        string_major[depth] = (uint8_t)((items == INDEF && major <= 3u) ? major : 0u);
    }
    return 0;
}

/* cbor_load() after cbor_precheck(): NULL with `why` set when the walk
 * refused the bytes (res untouched), else what cbor_load() returns. */
static cbor_item_t *load_checked(const uint8_t *p, size_t len, struct cbor_load_result *res,
                                 const char **why)
{
    *why = NULL;
    if (cbor_precheck(p, len, why) != 0) {
        return NULL;
    }
    return cbor_load(p, len, res);
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
    const char *why = NULL;
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
    cose = load_checked(token + hl, len - hl, &res, &why);
    if (why != NULL) {
        fail(reason, cap, "malformed token: CBOR %s", why);
        goto out;
    }
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

        hdr = load_checked(cbor_bytestring_handle(prot), cbor_bytestring_length(prot), &res, &why);
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
        claims = load_checked(cbor_bytestring_handle(payload), cbor_bytestring_length(payload), &res,
                              &why);
        if (why != NULL) {
            fail(reason, cap, "malformed token: payload CBOR %s", why);
            goto out;
        }
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
