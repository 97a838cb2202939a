/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the gateway's attestation token verifier
 * (tools/gateway/gw_verify.c, libcbor + Mbed TLS), the first thing the
 * gateway runs on bytes a device sends before it is trusted.
 *
 * Byte 0 (modulo 3) picks the device and how the rest is read
 * (fuzz_attest_common.h): a token for an HMAC device, a token for an ES256
 * device, or a claims payload that this target seals in a COSE_Mac0 with
 * the right MAC, so that the claims checks behind the MAC are reached too.
 * Seeds are real tokens of the SDK (gen_attest_seeds.c).
 *
 * Invariants: the verifier returns 0 or -1; a refusal gives a reason
 * (terminated inside the buffer, non-empty when the buffer has room); the
 * same input gets the same answer; a refused token in mode CLAIMS is never
 * the fault of the MAC. A token that makes libcbor allocate more than the
 * fuzzer's memory limit is a crash (the huge-count bug, see
 * corpus/attest_verify/crash-5171...). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include <psa/crypto.h>

#include "fuzz_attest_common.h"
#include "fuzz_common.h"
#include "gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define PAYLOAD_MAX 4096u

static gw_config_t g_cfg;
static uint8_t g_allow[1][32];
static gw_device_t g_mac_dev;
static gw_device_t g_sig_dev;
static uint8_t g_nonce[ATTEST_NONCE_LEN];
static bool g_verbose; /* IOT_FUZZ_VERBOSE set: print each verdict (checking seeds) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t key = 0;

    (void)argc;
    (void)argv;
    gw_log_level = GW_LOG_ERROR;
    g_verbose = getenv("IOT_FUZZ_VERBOSE") != NULL;
    memset(g_nonce, ATTEST_NONCE_BYTE, sizeof(g_nonce));
    FUZZ_CHECK(mbedtls_sha256_ret((const unsigned char *)k_attest_firmware,
                                  sizeof(k_attest_firmware) - 1u, g_allow[0], 0) == 0);
    memset(&g_cfg, 0, sizeof(g_cfg));
    g_cfg.allow = g_allow;
    g_cfg.allow_count = 1;
    g_cfg.lifecycle_min = 0x3000u;
    g_cfg.lifecycle_max = 0x30FFu;

    memset(&g_mac_dev, 0, sizeof(g_mac_dev));
    (void)snprintf(g_mac_dev.identity, sizeof(g_mac_dev.identity), "mac-device");
    g_mac_dev.attest_kind = GW_ATTEST_HMAC;
    memcpy(g_mac_dev.attest_key, k_attest_hmac_key, sizeof(k_attest_hmac_key));
    g_mac_dev.attest_key_len = sizeof(k_attest_hmac_key);

    /* The ES256 device's public point, from the shared private scalar. */
    memset(&g_sig_dev, 0, sizeof(g_sig_dev));
    (void)snprintf(g_sig_dev.identity, sizeof(g_sig_dev.identity), "sig-device");
    g_sig_dev.attest_kind = GW_ATTEST_ES256;
    FUZZ_CHECK(psa_crypto_init() == PSA_SUCCESS);
    psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&attr, 256);
    psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_EXPORT);
    FUZZ_CHECK(psa_import_key(&attr, k_attest_p256_scalar, sizeof(k_attest_p256_scalar), &key) ==
               PSA_SUCCESS);
    FUZZ_CHECK(psa_export_public_key(key, g_sig_dev.attest_pub, sizeof(g_sig_dev.attest_pub),
                                     &g_sig_dev.attest_pub_len) == PSA_SUCCESS);
    (void)psa_destroy_key(key);
    return 0;
}

/* CBOR head of a major type with a definite length (RFC 8949 3.1). */
static size_t cbor_head(uint8_t *out, uint8_t major, size_t n)
{
    if (n < 24u) {
        out[0] = (uint8_t)((major << 5) | n);
        return 1;
    }
    if (n <= 0xFFu) {
        out[0] = (uint8_t)((major << 5) | 24u);
        out[1] = (uint8_t)n;
        return 2;
    }
    out[0] = (uint8_t)((major << 5) | 25u);
    out[1] = (uint8_t)(n >> 8);
    out[2] = (uint8_t)n;
    return 3;
}

/* COSE_Mac0 (tag 17) over `payload`, protected header {1: 5}, MAC with the
 * device's key over MAC_structure ["MAC0", protected, h'', payload]. */
static size_t seal_mac0(const uint8_t *payload, size_t len, uint8_t *out)
{
    static const uint8_t prot[] = { 0xA1, 0x01, 0x05 };
    static uint8_t tbs[PAYLOAD_MAX + 32];
    uint8_t mac[32];
    size_t t = 0;
    size_t n = 0;

    tbs[t++] = 0x84;
    t += cbor_head(tbs + t, 3, 4);
    memcpy(tbs + t, "MAC0", 4);
    t += 4;
    t += cbor_head(tbs + t, 2, sizeof(prot));
    memcpy(tbs + t, prot, sizeof(prot));
    t += sizeof(prot);
    tbs[t++] = 0x40;
    t += cbor_head(tbs + t, 2, len);
    memcpy(tbs + t, payload, len);
    t += len;
    FUZZ_CHECK(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k_attest_hmac_key,
                               sizeof(k_attest_hmac_key), tbs, t, mac) == 0);

    out[n++] = 0xD1;
    out[n++] = 0x84;
    n += cbor_head(out + n, 2, sizeof(prot));
    memcpy(out + n, prot, sizeof(prot));
    n += sizeof(prot);
    out[n++] = 0xA0;
    n += cbor_head(out + n, 2, len);
    memcpy(out + n, payload, len);
    n += len;
    n += cbor_head(out + n, 2, sizeof(mac));
    memcpy(out + n, mac, sizeof(mac));
    return n + sizeof(mac);
}

static int verify(const uint8_t *tok, size_t len, const gw_device_t *dev, size_t cap,
                  char *reason)
{
    int rc;

    memset(reason, 0x7F, cap + 1u); /* one guard byte past the buffer */
    rc = gw_verify_token(tok, len, dev, g_nonce, sizeof(g_nonce), &g_cfg, reason, cap);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(reason[cap] == 0x7F);
    if (rc != 0) {
        /* Cut to the buffer and terminated; empty only when it holds nothing else. */
        FUZZ_CHECK(memchr(reason, '\0', cap) != NULL);
        FUZZ_CHECK(reason[0] != '\0' || cap == 1u);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sealed[PAYLOAD_MAX + 64];
    char reason[256 + 1];
    char again[256 + 1];
    const uint8_t *tok;
    size_t len;
    unsigned mode;
    size_t cap;
    int rc;

    if (size < 1u || size - 1u > PAYLOAD_MAX) {
        return 0;
    }
    mode = data[0] % 3u;
    /* Short reason buffers now and then: the message must still be cut safely. */
    cap = (data[0] >= 0xF0u) ? 1u + (data[0] & 0x0Fu) : 256u;
    tok = data + 1;
    len = size - 1u;
    if (mode == ATTEST_MODE_CLAIMS) {
        len = seal_mac0(tok, len, sealed);
        tok = sealed;
    }
    rc = verify(tok, len, mode == ATTEST_MODE_SIGN1 ? &g_sig_dev : &g_mac_dev, cap, reason);
    FUZZ_CHECK(verify(tok, len, mode == ATTEST_MODE_SIGN1 ? &g_sig_dev : &g_mac_dev, cap,
                      again) == rc);
    FUZZ_CHECK(rc == 0 || strcmp(reason, again) == 0);
    if (g_verbose) {
        fprintf(stderr, "mode %u: %s\n", mode, rc == 0 ? "accepted" : reason);
    }
    if (mode == ATTEST_MODE_CLAIMS && rc != 0 && cap == 256u) {
        FUZZ_CHECK(strncmp(reason, "bad MAC", 7) != 0);
    }
    return 0;
}
