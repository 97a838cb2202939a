/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation on the board, in QEMU: src/attest over the key store (in-image
 * PSA Crypto, RAM object store) with the claims of the board port
 * (ports/common/cortex_m/port_attest.c), and the INSECURE test entropy (no
 * TRNG, no TF-M). The token is checked here with code of its own (a small
 * CBOR reader and Mbed TLS's HMAC, not the SDK's token code):
 *  - without an attestation key: IOT_ERR_ATTEST_NO_KEY; a bad challenge
 *    length: IOT_ERR_ATTEST_CHALLENGE;
 *  - COSE_Mac0 (tag 17, protected {1: 5}, empty unprotected map), its MAC
 *    over the MAC_structure with the imported key, the size query equal to
 *    the token's length;
 *  - claims: profile, client id 1, lifecycle from the board configuration,
 *    implementation id = SHA-256 of the configured text, a non-zero boot seed
 *    that stays the same for the boot, the nonce, an instance id of type
 *    0x01, one software component "APP" with the SDK version and a zero
 *    signer id; its measurement is printed ("APP measurement: <hex>") and
 *    tests/target/attest_board.cmake compares it with the SHA-256 that the
 *    host computes from the ELF file (objcopy -O binary);
 *  - with an image installed and booted in the firmware slots (component 1,
 *    the signed 1.2.3+4 vector of tests/ota), the component is that image:
 *    type "NSPE", version "1.2.3+4", measurement = SHA-256 of its bytes.
 * It prints the token size and the emulated cycles of building a token. The
 * exit status is the number of failed checks.
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>
#include <corstone_iot/status.h>
#include <corstone_iot/version.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "cortex_m.h"
#include "iot_fwu.h"
#include "target_check.h"

#ifndef IOT_BOARD_ATTEST_IMPLEMENTATION
#define IOT_BOARD_ATTEST_IMPLEMENTATION "corstone-iot board port without TF-M: " IOT_BOARD_NAME
#endif
#ifndef IOT_BOARD_ATTEST_LIFECYCLE
#define IOT_BOARD_ATTEST_LIFECYCLE IOT_ATTEST_LIFECYCLE_SECURED
#endif

extern const unsigned char g_img_v123[];
extern const unsigned long g_img_v123_len;

/* ---- A minimal CBOR reader (definite lengths only) ---- */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t at;
    int bad;
} rd_t;

/* Reads a head: major type and argument. */
static int head(rd_t *r, unsigned *major, uint64_t *arg)
{
    unsigned ai;
    size_t n;

    if (r->bad || r->at >= r->len) {
        r->bad = 1;
        return 0;
    }
    *major = r->p[r->at] >> 5;
    ai = r->p[r->at] & 0x1fu;
    r->at++;
    if (ai < 24u) {
        *arg = ai;
        return 1;
    }
    if (ai > 27u) {
        r->bad = 1;
        return 0;
    }
    n = (size_t)1u << (ai - 24u);
    if (r->len - r->at < n) {
        r->bad = 1;
        return 0;
    }
    *arg = 0;
    while (n-- > 0u) {
        *arg = (*arg << 8) | r->p[r->at++];
    }
    return 1;
}

/* Byte or text string of the given major type: its bytes and length. */
static const uint8_t *string(rd_t *r, unsigned want, size_t *len)
{
    unsigned major;
    uint64_t arg;

    if (!head(r, &major, &arg) || major != want || arg > r->len - r->at) {
        r->bad = 1;
        *len = 0;
        return NULL;
    }
    *len = (size_t)arg;
    r->at += (size_t)arg;
    return r->p + r->at - (size_t)arg;
}

/* Integer (major 0 or 1). */
static int64_t integer(rd_t *r)
{
    unsigned major;
    uint64_t arg;

    if (!head(r, &major, &arg) || major > 1u) {
        r->bad = 1;
        return 0;
    }
    return major == 0u ? (int64_t)arg : -1 - (int64_t)arg;
}

static int same(const uint8_t *a, size_t alen, const void *b, size_t blen)
{
    return a != NULL && alen == blen && memcmp(a, b, blen) == 0;
}

static void hex(const char *what, const uint8_t *b, size_t n)
{
    size_t i;

    printf("%s: ", what);
    for (i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
    printf("\n");
}

typedef struct {
    uint8_t boot_seed[32];
    char type[16];
    char version[32];
    uint8_t measurement[32];
    size_t components;
} seen_t;

/* Checks a COSE_Mac0 token made with `key` for `nonce`; fills in what it saw. */
static void check_token(const uint8_t *tok, size_t tok_len, const uint8_t *key, size_t key_len,
                        const uint8_t *nonce, size_t nonce_len, seen_t *seen)
{
    static const uint8_t prot[] = { 0xa1, 0x01, 0x05 }; /* {1: 5}: HMAC 256/256 */
    static uint8_t mac_structure[IOT_CONFIG_ATTEST_TOKEN_MAX + 32];
    uint8_t mac[32];
    uint8_t impl[32];
    rd_t r = { tok, tok_len, 0, 0 };
    rd_t s;
    unsigned major;
    uint64_t arg;
    uint64_t n;
    uint64_t k;
    size_t len;
    size_t plen;
    size_t tlen;
    size_t m;
    const uint8_t *b;
    const uint8_t *payload;
    const uint8_t *tag;
    int got_profile = 0;
    int got_client = 0;
    int got_lc = 0;
    int got_impl = 0;
    int got_seed = 0;
    int got_nonce = 0;
    int got_inst = 0;
    int comp_ok = 1;

    memset(seen, 0, sizeof(*seen));
    check("token: tag 17 (COSE_Mac0)", head(&r, &major, &arg) && major == 6u && arg == 17u);
    check("token: array of 4", head(&r, &major, &arg) && major == 4u && arg == 4u);
    b = string(&r, 2u, &len);
    check("token: protected header {1: 5}", same(b, len, prot, sizeof(prot)));
    check("token: empty unprotected map", head(&r, &major, &arg) && major == 5u && arg == 0u);
    payload = string(&r, 2u, &plen);
    tag = string(&r, 2u, &tlen);
    check("token: 32-byte tag, nothing after it", !r.bad && tlen == 32u && r.at == tok_len);
    if (r.bad || payload == NULL || tag == NULL) {
        return;
    }

    /* MAC_structure = ["MAC0", protected, h'', payload] (RFC 9052 6.3). */
    m = 0;
    mac_structure[m++] = 0x84;
    mac_structure[m++] = 0x64;
    memcpy(mac_structure + m, "MAC0", 4);
    m += 4;
    mac_structure[m++] = 0x43;
    memcpy(mac_structure + m, prot, sizeof(prot));
    m += sizeof(prot);
    mac_structure[m++] = 0x40;
    if (plen < 24u) {
        mac_structure[m++] = (uint8_t)(0x40u | plen);
    } else if (plen < 256u) {
        mac_structure[m++] = 0x58;
        mac_structure[m++] = (uint8_t)plen;
    } else {
        mac_structure[m++] = 0x59;
        mac_structure[m++] = (uint8_t)(plen >> 8);
        mac_structure[m++] = (uint8_t)plen;
    }
    memcpy(mac_structure + m, payload, plen);
    m += plen;
    check("token: HMAC-SHA256 over the MAC_structure",
          mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len, mac_structure,
                          m, mac) == 0 &&
              memcmp(mac, tag, 32) == 0);

    (void)mbedtls_sha256_ret((const unsigned char *)IOT_BOARD_ATTEST_IMPLEMENTATION,
                             sizeof(IOT_BOARD_ATTEST_IMPLEMENTATION) - 1u, impl, 0);
    s.p = payload;
    s.len = plen;
    s.at = 0;
    s.bad = 0;
    if (!head(&s, &major, &n) || major != 5u) {
        check("payload: a map", 0);
        return;
    }
    for (k = 0; k < n && !s.bad; k++) {
        int64_t key_id = integer(&s);

        switch (key_id) {
        case 265:
            b = string(&s, 3u, &len);
            got_profile = same(b, len, IOT_ATTEST_PROFILE, sizeof(IOT_ATTEST_PROFILE) - 1u);
            break;
        case 2394:
            got_client = integer(&s) == 1;
            break;
        case 2395:
            got_lc = integer(&s) == (int64_t)IOT_BOARD_ATTEST_LIFECYCLE;
            break;
        case 2396:
            b = string(&s, 2u, &len);
            got_impl = same(b, len, impl, sizeof(impl));
            break;
        case 268:
            b = string(&s, 2u, &len);
            got_seed = b != NULL && len == 32u;
            if (got_seed) {
                memcpy(seen->boot_seed, b, 32);
            }
            break;
        case 10:
            b = string(&s, 2u, &len);
            got_nonce = same(b, len, nonce, nonce_len);
            break;
        case 256:
            b = string(&s, 2u, &len);
            got_inst = b != NULL && len == 33u && b[0] == 0x01u;
            break;
        case 2399: {
            uint64_t c;
            uint64_t fields;
            uint64_t f;

            if (!head(&s, &major, &arg) || major != 4u) {
                comp_ok = 0;
                break;
            }
            seen->components = (size_t)arg;
            for (c = 0; c < arg && !s.bad; c++) {
                if (!head(&s, &major, &fields) || major != 5u || fields != 4u) {
                    comp_ok = 0;
                    break;
                }
                for (f = 0; f < fields && !s.bad; f++) {
                    int64_t fk = integer(&s);
                    b = string(&s, (fk == 1 || fk == 4) ? 3u : 2u, &len);
                    if (b == NULL) {
                        comp_ok = 0;
                    } else if (c == 0u && fk == 1 && len < sizeof(seen->type)) {
                        memcpy(seen->type, b, len);
                    } else if (c == 0u && fk == 4 && len < sizeof(seen->version)) {
                        memcpy(seen->version, b, len);
                    } else if (c == 0u && fk == 2 && len == 32u) {
                        memcpy(seen->measurement, b, 32);
                    } else if (fk == 5) {
                        static const uint8_t zeros[32];
                        comp_ok = comp_ok && same(b, len, zeros, sizeof(zeros));
                    } else if (fk != 1 && fk != 2 && fk != 4) {
                        comp_ok = 0;
                    }
                }
            }
            break;
        }
        default:
            s.bad = 1;
            break;
        }
    }
    check("payload: well-formed, nothing after the map", !s.bad && s.at == plen);
    check("claim: profile " IOT_ATTEST_PROFILE, got_profile);
    check("claim: client id 1", got_client);
    check("claim: lifecycle from the board configuration", got_lc);
    check("claim: implementation id = SHA-256 of \"" IOT_BOARD_ATTEST_IMPLEMENTATION "\"", got_impl);
    check("claim: boot seed, 32 bytes", got_seed);
    check("claim: nonce = the challenge", got_nonce);
    check("claim: instance id, 33 bytes, type 0x01", got_inst);
    check("claim: software components, zero signer ids", comp_ok && seen->components >= 1u);
}

/* Installs the 1.2.3+4 vector in component 1 and lets the boot step make it active. */
static void install_slot_image(void)
{
    expect("slot: start", iot_port_fw_start(1), IOT_OK);
    expect("slot: write", iot_port_fw_write(1, 0, g_img_v123, (size_t)g_img_v123_len), IOT_OK);
    expect("slot: finish", iot_port_fw_finish(1), IOT_OK);
    expect("slot: install", iot_port_fw_install(1), IOT_OK);
    check("slot: boot step", iot_fwu_boot_transition() == PSA_SUCCESS);
}

int main(void)
{
    static const uint8_t key[32] = { 0x52, 0xa0, 0x11, 0x7e, 0x09, 0x33, 0xc4, 0x5d, 0x61, 0x8f, 0x02,
                                     0x9b, 0xe7, 0x40, 0x15, 0x2a, 0xd3, 0x6c, 0x88, 0x71, 0x0f, 0xb5,
                                     0x24, 0x9e, 0x3a, 0xc0, 0x57, 0x1d, 0xe2, 0x46, 0x93, 0x08 };
    static uint8_t tok[IOT_CONFIG_ATTEST_TOKEN_MAX];
    static const uint8_t zeros[32];
    uint8_t nonce[64];
    uint8_t first_seed[32];
    uint8_t img_hash[32];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = 0;
    size_t len = 0;
    size_t size = 0;
    size_t i;
    uint64_t t0;
    uint64_t first_cycles;
    uint64_t cached_cycles;
    seen_t seen;

    printf("attestation on %s (no TF-M: the board port's stand-in)\n", IOT_BOARD_NAME);
    for (i = 0; i < sizeof(nonce); i++) {
        nonce[i] = (uint8_t)(0xa5u ^ (i * 7u));
    }
    expect("token before the key store", iot_attest_get_token(nonce, 32, tok, sizeof(tok), &len),
           IOT_ERR_BAD_STATE);
    expect("key store init", iot_keystore_init(), IOT_OK);
    expect("token without an attestation key", iot_attest_get_token(nonce, 32, tok, sizeof(tok), &len),
           IOT_ERR_ATTEST_NO_KEY);
    o.label = IOT_ATTEST_KEY_LABEL;
    expect("import the HMAC attestation key", iot_key_import_psk(key, sizeof(key), &o, &id), IOT_OK);
    expect("challenge of 31 bytes", iot_attest_get_token(nonce, 31, tok, sizeof(tok), &len),
           IOT_ERR_ATTEST_CHALLENGE);

    /* The first token of the boot measures the image. */
    t0 = cycles_now();
    expect("token, 32-byte challenge", iot_attest_get_token(nonce, 32, tok, sizeof(tok), &len), IOT_OK);
    first_cycles = cycles_now() - t0;
    expect("token into 16 bytes", iot_attest_get_token(nonce, 32, tok, 16, &len),
           IOT_ERR_BUFFER_TOO_SMALL);
    expect("token, 32-byte challenge, again", iot_attest_get_token(nonce, 32, tok, sizeof(tok), &len),
           IOT_OK);
    expect("size query, 32-byte challenge", iot_attest_get_token_size(32, &size), IOT_OK);
    check("size query = token length", size == len);
    printf("TOKEN %lu bytes (COSE_Mac0, one component, 32-byte challenge)\n", (unsigned long)len);
    check_token(tok, len, key, sizeof(key), nonce, 32, &seen);
    check("component: APP, the SDK version",
          strcmp(seen.type, "APP") == 0 && strcmp(seen.version, IOT_VERSION_STRING) == 0);
    check("boot seed: not all zero", memcmp(seen.boot_seed, zeros, 32) != 0);
    memcpy(first_seed, seen.boot_seed, 32);
    hex("APP measurement", seen.measurement, 32);

    t0 = cycles_now();
    expect("token, 64-byte challenge", iot_attest_get_token(nonce, 64, tok, sizeof(tok), &len), IOT_OK);
    cached_cycles = cycles_now() - t0;
    printf("TOKEN %lu bytes (COSE_Mac0, one component, 64-byte challenge)\n", (unsigned long)len);
    check_token(tok, len, key, sizeof(key), nonce, 64, &seen);
    check("boot seed: the same for the whole boot", memcmp(seen.boot_seed, first_seed, 32) == 0);
    printf("CYCLES first token (measures the image): %lu\n", (unsigned long)first_cycles);
    printf("CYCLES token (image measured): %lu\n", (unsigned long)cached_cycles);

    /* An image in the firmware slots: the token reports it instead. */
    install_slot_image();
    (void)mbedtls_sha256_ret(g_img_v123, (size_t)g_img_v123_len, img_hash, 0);
    t0 = cycles_now();
    expect("token with a slot image", iot_attest_get_token(nonce, 48, tok, sizeof(tok), &len), IOT_OK);
    printf("CYCLES token measuring a %lu-byte slot image: %lu\n", (unsigned long)g_img_v123_len,
           (unsigned long)(cycles_now() - t0));
    printf("TOKEN %lu bytes (COSE_Mac0, slot image, 48-byte challenge)\n", (unsigned long)len);
    check_token(tok, len, key, sizeof(key), nonce, 48, &seen);
    check("slot: one component, NSPE 1.2.3+4", seen.components == 1u &&
                                                   strcmp(seen.type, "NSPE") == 0 &&
                                                   strcmp(seen.version, "1.2.3+4") == 0);
    check("slot: measurement = SHA-256 of the installed image",
          memcmp(seen.measurement, img_hash, 32) == 0);
    check("boot seed: unchanged", memcmp(seen.boot_seed, first_seed, 32) == 0);

    /* The largest token of the board configuration: both components in the
     * slots, a 64-byte challenge, ES256 (a P-256 attestation key is used
     * before a secret key). */
    expect("slot: accept the trial image", iot_port_fw_accept(1), IOT_OK);
    expect("slot 0: start", iot_port_fw_start(0), IOT_OK);
    expect("slot 0: write", iot_port_fw_write(0, 0, g_img_v123, (size_t)g_img_v123_len), IOT_OK);
    expect("slot 0: finish", iot_port_fw_finish(0), IOT_OK);
    expect("slot 0: install", iot_port_fw_install(0), IOT_OK);
    check("slot 0: boot step", iot_fwu_boot_transition() == PSA_SUCCESS);
    expect("generate a P-256 attestation key", iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    expect("size query, ES256, two components, 64-byte challenge", iot_attest_get_token_size(64, &size),
           IOT_OK);
    expect("token, ES256, two components", iot_attest_get_token(nonce, 64, tok, sizeof(tok), &len), IOT_OK);
    printf("TOKEN %lu bytes (COSE_Sign1, two components, 64-byte challenge; board maximum %u)\n",
           (unsigned long)len, (unsigned)IOT_CONFIG_ATTEST_TOKEN_MAX);
    check("ES256 token: tag 18, size query = length", len > 0u && tok[0] == 0xd2u && size == len);
    /* Each version text may be up to 24 bytes ("255.255.65535+4294967295"), 17 more than "1.2.3+4". */
    check("the largest token fits the board's IOT_CONFIG_ATTEST_TOKEN_MAX",
          len + 2u * 17u <= (size_t)IOT_CONFIG_ATTEST_TOKEN_MAX);

    printf("attest board checks: %u failed\n", g_failures);
    return (int)g_failures;
}
