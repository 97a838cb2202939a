/* SPDX-License-Identifier: Apache-2.0 */
/* Initial attestation: the PSA attestation token (claims from the port,
 * CBOR encoded here) protected as COSE_Sign1/ES256 or COSE_Mac0/HMAC-SHA256
 * with the attestation key of the key store.
 *
 * Claim keys are the IANA-registered ones of the PSA attestation token
 * (RFC 9783), profile "tag:psacertified.org,2023:psa#tfm"; doc/attestation.md
 * lists them. The payload is built in a static buffer, then the COSE
 * structure to be protected (Sig_structure / MAC_structure, RFC 9052 4.4 and
 * 6.3) in a second one; the token goes straight into the caller's buffer. */
#include <stdatomic.h>
#include <string.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>

#include "cbor_enc.h"
#include "iot_internal.h"
#include "keys/iot_keys_internal.h"

#include <psa/crypto.h>

#define LOG_MOD "attest"

/* Claim keys (RFC 9783 / IANA CWT claims registry). */
#define CLAIM_NONCE 10
#define CLAIM_INSTANCE_ID 256
#define CLAIM_PROFILE 265
#define CLAIM_BOOT_SEED 268
#define CLAIM_CLIENT_ID 2394
#define CLAIM_LIFECYCLE 2395
#define CLAIM_IMPLEMENTATION_ID 2396
#define CLAIM_SW_COMPONENTS 2399
/* Keys inside one software component map. */
#define SW_MEASUREMENT_TYPE 1
#define SW_MEASUREMENT_VALUE 2
#define SW_VERSION 4
#define SW_SIGNER_ID 5

/* COSE (RFC 9052/9053). */
#define COSE_TAG_MAC0 17u
#define COSE_TAG_SIGN1 18u
#define COSE_HDR_ALG 1
#define COSE_ALG_ES256 (-7)
#define COSE_ALG_HMAC256 5

#define INSTANCE_ID_LEN 33u
#define TAG_MAX 64u

typedef enum { KEY_SIGN = 1, KEY_MAC = 2 } key_kind_t;

/* The structure to be signed or MACed; the payload is encoded in place
 * inside it (the token copies it from there), so no second buffer. */
static uint8_t g_tbs[IOT_CONFIG_ATTEST_TOKEN_MAX + 32u];
static iot_port_attest_claims_t g_claims;

static iot_port_mutex_t g_mutex;
static atomic_int g_mutex_state; /* 0 none, 1 being created, 2 ready */

static void lock(void)
{
    int expected = 0;

    if (atomic_load(&g_mutex_state) != 2) {
        if (atomic_compare_exchange_strong(&g_mutex_state, &expected, 1)) {
            if (iot_port_mutex_init(&g_mutex) != IOT_OK) {
                IOT_LOGE(LOG_MOD, "cannot create the attestation lock");
            }
            atomic_store(&g_mutex_state, 2);
        } else {
            while (atomic_load(&g_mutex_state) != 2) {
                iot_port_sleep_ms(1);
            }
        }
    }
    iot_port_mutex_lock(&g_mutex);
}

static void unlock(void)
{
    iot_port_mutex_unlock(&g_mutex);
}

static iot_status_t check_challenge(size_t len)
{
    return (len == 32u || len == 48u || len == 64u) ? IOT_OK : IOT_ERR_ATTEST_CHALLENGE;
}

/* Find the attestation key: a P-256 key pair signs, a secret key MACs. */
static iot_status_t find_key(iot_key_id_t *id, key_kind_t *kind)
{
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_status_t st = iot_keystore_find(IOT_OBJ_PRIVATE_KEY, IOT_ATTEST_KEY_LABEL, id);

    if (st == IOT_OK) {
        st = iot_keystore_get_info(*id, &info);
        if (st != IOT_OK) {
            return st;
        }
        if (info.key_type != IOT_KEY_TYPE_EC_P256 || (info.usage & IOT_KEY_USAGE_SIGN) == 0u) {
            return IOT_ERR_ATTEST_NO_KEY;
        }
        *kind = KEY_SIGN;
        return IOT_OK;
    }
    if (st != IOT_ERR_NOT_FOUND) {
        return st;
    }
    st = iot_keystore_find(IOT_OBJ_SECRET_KEY, IOT_ATTEST_KEY_LABEL, id);
    if (st == IOT_OK) {
        st = iot_keystore_get_info(*id, &info);
        if (st != IOT_OK) {
            return st;
        }
        if (!info.persistent) {
            return IOT_ERR_ATTEST_NO_KEY; /* its bytes exist only inside PSA as a TLS key */
        }
        *kind = KEY_MAC;
        return IOT_OK;
    }
    return (st == IOT_ERR_NOT_FOUND) ? IOT_ERR_ATTEST_NO_KEY : st;
}

/* Instance id: 0x01 (UEID type RAND) and 32 bytes bound to the key: the
 * SHA-256 of the public key, or for a secret key an HMAC of a fixed label
 * (unique per key, and it reveals nothing about the key). */
static iot_status_t instance_id(iot_key_id_t id, key_kind_t kind, uint8_t out[INSTANCE_ID_LEN])
{
    static const char label[] = "corstone-iot attestation instance id";
    uint8_t pub[65];
    size_t pub_len = 0;
    size_t hash_len = 0;
    iot_status_t st;

    out[0] = 0x01u;
    if (kind == KEY_MAC) {
        return iot_keys_internal_hmac_sha256(id, (const uint8_t *)label, sizeof(label) - 1u,
                                             out + 1);
    }
    st = iot_key_export_public(id, IOT_KEY_FORMAT_RAW, pub, sizeof(pub), &pub_len);
    if (st != IOT_OK) {
        return st;
    }
    if (psa_hash_compute(PSA_ALG_SHA_256, pub, pub_len, out + 1, 32u, &hash_len) != PSA_SUCCESS ||
        hash_len != 32u) {
        return IOT_ERR_CRYPTO;
    }
    return IOT_OK;
}

static size_t bounded_len(const char *s, size_t cap)
{
    size_t n = 0;

    while (n < cap && s[n] != '\0') {
        n++;
    }
    return n;
}

static void encode_claims(iot_cbor_t *w, const iot_port_attest_claims_t *c, const uint8_t *nonce,
                          size_t nonce_len, const uint8_t *inst)
{
    size_t i;

    iot_cbor_map(w, 8u);
    iot_cbor_int(w, CLAIM_PROFILE);
    iot_cbor_text(w, IOT_ATTEST_PROFILE, sizeof(IOT_ATTEST_PROFILE) - 1u);
    iot_cbor_int(w, CLAIM_CLIENT_ID);
    iot_cbor_int(w, c->client_id);
    iot_cbor_int(w, CLAIM_LIFECYCLE);
    iot_cbor_uint(w, c->lifecycle);
    iot_cbor_int(w, CLAIM_IMPLEMENTATION_ID);
    iot_cbor_bytes(w, c->implementation_id, sizeof(c->implementation_id));
    iot_cbor_int(w, CLAIM_BOOT_SEED);
    iot_cbor_bytes(w, c->boot_seed, sizeof(c->boot_seed));
    iot_cbor_int(w, CLAIM_SW_COMPONENTS);
    iot_cbor_array(w, c->component_count);
    for (i = 0; i < c->component_count; i++) {
        const iot_port_attest_component_t *sw = &c->components[i];
        iot_cbor_map(w, 4u);
        iot_cbor_int(w, SW_MEASUREMENT_TYPE);
        iot_cbor_text(w, sw->measurement_type,
                      bounded_len(sw->measurement_type, sizeof(sw->measurement_type)));
        iot_cbor_int(w, SW_MEASUREMENT_VALUE);
        iot_cbor_bytes(w, sw->measurement, sizeof(sw->measurement));
        iot_cbor_int(w, SW_VERSION);
        iot_cbor_text(w, sw->version, bounded_len(sw->version, sizeof(sw->version)));
        iot_cbor_int(w, SW_SIGNER_ID);
        iot_cbor_bytes(w, sw->signer_id, sizeof(sw->signer_id));
    }
    iot_cbor_int(w, CLAIM_NONCE);
    iot_cbor_bytes(w, nonce, nonce_len);
    iot_cbor_int(w, CLAIM_INSTANCE_ID);
    iot_cbor_bytes(w, inst, INSTANCE_ID_LEN);
}

/* The protected header: a bstr holding {1: alg}. */
static void encode_protected(iot_cbor_t *w, key_kind_t kind)
{
    uint8_t hdr[8];
    iot_cbor_t h;

    iot_cbor_init(&h, hdr, sizeof(hdr));
    iot_cbor_map(&h, 1u);
    iot_cbor_int(&h, COSE_HDR_ALG);
    iot_cbor_int(&h, kind == KEY_SIGN ? COSE_ALG_ES256 : COSE_ALG_HMAC256);
    iot_cbor_bytes(w, hdr, h.len);
}

/* Build the token for a challenge; buf == NULL measures only. Lock held. */
static iot_status_t build(const uint8_t *challenge, size_t challenge_len, uint8_t *buf, size_t cap,
                          size_t *len)
{
    uint8_t inst[INSTANCE_ID_LEN];
    uint8_t tag[TAG_MAX];
    size_t tag_len;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    key_kind_t kind = KEY_MAC;
    iot_cbor_t w;
    iot_status_t st;

    st = find_key(&id, &kind);
    if (st != IOT_OK) {
        return st;
    }
    tag_len = (kind == KEY_SIGN) ? 64u : 32u;
    memset(inst, 0, sizeof(inst));
    if (buf != NULL) {
        st = instance_id(id, kind, inst);
        if (st != IOT_OK) {
            return st;
        }
    }
    st = iot_port_attest_claims(&g_claims);
    if (st != IOT_OK) {
        return st;
    }
    if (g_claims.component_count == 0u || g_claims.component_count > IOT_CONFIG_ATTEST_MAX_COMPONENTS) {
        return IOT_ERR_INTERNAL;
    }

    /* The payload's length first (measure only), then the payload itself,
     * encoded in place as the last item of the structure to be protected. */
    iot_cbor_init(&w, NULL, 0u);
    encode_claims(&w, &g_claims, challenge, challenge_len, inst);
    const size_t payload_len = w.len;
    if (payload_len > IOT_CONFIG_ATTEST_TOKEN_MAX) {
        return IOT_ERR_NO_MEMORY;
    }

    /* Sig_structure / MAC_structure: [context, protected, external_aad, payload]. */
    iot_cbor_t t;
    iot_cbor_init(&t, g_tbs, sizeof(g_tbs));
    iot_cbor_array(&t, 4u);
    if (kind == KEY_SIGN) {
        iot_cbor_text(&t, "Signature1", 10u);
    } else {
        iot_cbor_text(&t, "MAC0", 4u);
    }
    encode_protected(&t, kind);
    iot_cbor_bytes(&t, NULL, 0u);
    iot_cbor_bytes_head(&t, payload_len);
    const size_t payload_at = t.len;
    encode_claims(&t, &g_claims, challenge, challenge_len, inst);
    if (t.overflow || t.len - payload_at != payload_len) {
        return IOT_ERR_NO_MEMORY;
    }

    if (buf != NULL) {
        if (kind == KEY_SIGN) {
            size_t sig_len = 0;
            st = iot_key_sign_message(id, IOT_SIGN_ECDSA_SHA256, g_tbs, t.len, tag, sizeof(tag),
                                      &sig_len);
            if (st == IOT_OK && sig_len != 64u) {
                st = IOT_ERR_CRYPTO;
            }
        } else {
            st = iot_keys_internal_hmac_sha256(id, g_tbs, t.len, tag);
        }
        if (st != IOT_OK) {
            return st;
        }
    } else {
        memset(tag, 0, sizeof(tag));
    }

    /* COSE_Sign1 / COSE_Mac0: tag [protected, unprotected {}, payload, tag]. */
    iot_cbor_init(&w, buf, cap);
    iot_cbor_tag(&w, kind == KEY_SIGN ? COSE_TAG_SIGN1 : COSE_TAG_MAC0);
    iot_cbor_array(&w, 4u);
    encode_protected(&w, kind);
    iot_cbor_map(&w, 0u);
    iot_cbor_bytes(&w, g_tbs + payload_at, payload_len);
    iot_cbor_bytes(&w, tag, tag_len);
    *len = w.len;
    if (w.len > IOT_CONFIG_ATTEST_TOKEN_MAX) {
        return IOT_ERR_NO_MEMORY;
    }
    return (buf != NULL && w.overflow) ? IOT_ERR_BUFFER_TOO_SMALL : IOT_OK;
}

iot_status_t iot_attest_get_token(const uint8_t *challenge, size_t challenge_len, uint8_t *buf,
                                  size_t cap, size_t *len)
{
    iot_status_t st;

    IOT_CHECK_ARG(challenge != NULL && buf != NULL && len != NULL);
    st = check_challenge(challenge_len);
    if (st != IOT_OK) {
        return st;
    }
    lock();
    st = build(challenge, challenge_len, buf, cap, len);
    unlock();
    if (st != IOT_OK && st != IOT_ERR_BUFFER_TOO_SMALL) {
        IOT_LOGW(LOG_MOD, "no token: %s", iot_status_name(st));
    }
    return st;
}

iot_status_t iot_attest_get_token_size(size_t challenge_len, size_t *size)
{
    static const uint8_t zeros[64];
    iot_status_t st;

    IOT_CHECK_ARG(size != NULL);
    st = check_challenge(challenge_len);
    if (st != IOT_OK) {
        return st;
    }
    lock();
    st = build(zeros, challenge_len, NULL, 0u, size);
    unlock();
    return st;
}
