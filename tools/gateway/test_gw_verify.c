/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the gateway's token verifier (gw_verify.c, libcbor + Mbed TLS)
 * against tokens from the SDK (iot_attest_get_token): COSE_Mac0 and
 * COSE_Sign1 accepted; every single-bit flip and every truncation refused
 * without a crash; wrong key kind, nonce, lifecycle and allow-list refused
 * with their reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/sha256.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/log.h>
#include <corstone_iot/posix.h>

#include "gateway.h"

static char g_root[300];
static gw_config_t g_cfg;
static uint8_t g_allow[1][32];

static const uint8_t k_key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void quiet(iot_log_level_t l, const char *m, const char *line, size_t n, void *u)
{
    (void)l;
    (void)m;
    (void)line;
    (void)n;
    (void)u;
}

/* The allow-list holds this test program's own measurement. */
static void measure_self(uint8_t out[32])
{
    FILE *f = fopen("/proc/self/exe", "rb");
    uint8_t buf[4096];
    size_t n;
    mbedtls_sha256_context c;

    assert_non_null(f);
    mbedtls_sha256_init(&c);
    (void)mbedtls_sha256_starts_ret(&c, 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        (void)mbedtls_sha256_update_ret(&c, buf, n);
    }
    fclose(f);
    (void)mbedtls_sha256_finish_ret(&c, out);
    mbedtls_sha256_free(&c);
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char dir[400];

    (void)state;
    iot_log_set_sink(quiet, NULL);
    gw_log_level = GW_LOG_ERROR;
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-gwv-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    (void)snprintf(dir, sizeof(dir), "%s/store", g_root);
    if (iot_posix_store_set_dir(dir) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return -1;
    }
    memset(&g_cfg, 0, sizeof(g_cfg));
    measure_self(g_allow[0]);
    g_cfg.allow = g_allow;
    g_cfg.allow_count = 1;
    g_cfg.lifecycle_min = 0x3000u;
    g_cfg.lifecycle_max = 0x30FFu;
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    iot_keystore_deinit();
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
    return system(cmd) == 0 ? 0 : -1;
}

static void hmac_device(gw_device_t *d)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;

    o.label = IOT_ATTEST_KEY_LABEL;
    assert_int_equal(iot_key_import_psk(k_key, sizeof(k_key), &o, &id), IOT_OK);
    memset(d, 0, sizeof(*d));
    strcpy(d->identity, "dev");
    d->attest_kind = GW_ATTEST_HMAC;
    memcpy(d->attest_key, k_key, sizeof(k_key));
    d->attest_key_len = sizeof(k_key);
}

static void test_mac0_accepted_and_every_flip_refused(void **state)
{
    gw_device_t d;
    uint8_t nonce[32];
    uint8_t tok[1024];
    size_t len = 0;
    char reason[256];
    size_t i;
    unsigned bit;

    (void)state;
    hmac_device(&d);
    memset(nonce, 0x42, sizeof(nonce));
    assert_int_equal(iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len), IOT_OK);
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), 0);

    for (i = 0; i < len; i++) {
        for (bit = 0; bit < 8; bit++) {
            tok[i] ^= (uint8_t)(1u << bit);
            reason[0] = '\0';
            assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason,
                                             sizeof(reason)),
                             -1);
            assert_true(reason[0] != '\0');
            tok[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (i = 0; i < len; i++) {
        assert_int_equal(gw_verify_token(tok, i, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)),
                         -1);
    }
    /* Still the original, still accepted. */
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), 0);
}

static void test_reasons(void **state)
{
    gw_device_t d;
    uint8_t nonce[32];
    uint8_t other[32];
    uint8_t tok[1024];
    size_t len = 0;
    char reason[256];
    uint8_t allow_other[1][32];

    (void)state;
    hmac_device(&d);
    memset(nonce, 0x11, sizeof(nonce));
    memset(other, 0x22, sizeof(other));
    assert_int_equal(iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len), IOT_OK);

    assert_int_equal(gw_verify_token(tok, len, &d, other, sizeof(other), &g_cfg, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "stale nonce"));

    d.attest_key[0] ^= 1u;
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), -1);
    assert_string_equal(reason, "bad MAC");
    d.attest_key[0] ^= 1u;

    d.attest_kind = GW_ATTEST_ES256;
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "expected COSE_Sign1"));
    d.attest_kind = GW_ATTEST_HMAC;

    memset(allow_other, 0, sizeof(allow_other));
    g_cfg.allow = allow_other;
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "not on the allow-list"));
    g_cfg.allow = g_allow;

    assert_int_equal(iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_DECOMMISSIONED), IOT_OK);
    assert_int_equal(iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len), IOT_OK);
    assert_int_equal(iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_SECURED), IOT_OK);
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), -1);
    assert_non_null(strstr(reason, "lifecycle 0x6000 not accepted"));

    assert_int_equal(gw_verify_token((const uint8_t *)"\xff\x00", 2, &d, nonce, sizeof(nonce), &g_cfg,
                                     reason, sizeof(reason)),
                     -1);
    assert_non_null(strstr(reason, "malformed token"));
}

static void test_sign1_accepted(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id;
    gw_device_t d;
    uint8_t nonce[64];
    uint8_t tok[1024];
    size_t len = 0;
    char reason[256];

    (void)state;
    o.label = IOT_ATTEST_KEY_LABEL;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    memset(&d, 0, sizeof(d));
    d.attest_kind = GW_ATTEST_ES256;
    assert_int_equal(iot_key_export_public(id, IOT_KEY_FORMAT_RAW, d.attest_pub, sizeof(d.attest_pub),
                                           &d.attest_pub_len),
                     IOT_OK);
    memset(nonce, 0x33, sizeof(nonce));
    assert_int_equal(iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len), IOT_OK);
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), 0);
    tok[len - 1] ^= 0x80u; /* last byte of the signature */
    assert_int_equal(gw_verify_token(tok, len, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)), -1);
    assert_string_equal(reason, "bad signature");
}

/* Heads that announce far more elements than the token has bytes (the
 * 2^32-element array a fuzzer found made libcbor ask for gigabytes before
 * it read one element) and nesting deeper than 16 are refused by the walk
 * that runs before libcbor, with its own reason, in the outer token and in
 * the protected header alike. */
static void test_huge_counts_refused_cheaply(void **state)
{
    /* tag 17, array of 2^32 elements, then two bytes */
    static const uint8_t huge_array[] = { 0xD1, 0x9B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                          0x00, 0x00 };
    /* tag 17, array of 4: protected header = a map claiming 2^31 pairs */
    static const uint8_t huge_map_in_header[] = { 0xD1, 0x84, 0x45, 0xBA, 0x80, 0x00, 0x00, 0x00,
                                                  0xA0, 0x40, 0x40 };
    /* tag 17, array of 2^27 elements (1 GiB of pointers): a count libcbor could allocate */
    static const uint8_t big_array[] = { 0xD1, 0x9A, 0x08, 0x00, 0x00, 0x00, 0x00 };
    /* tag 17, a byte string claiming 2^40 bytes */
    static const uint8_t long_string[] = { 0xD1, 0x5B, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 };
    uint8_t deep[64];
    gw_device_t d;
    uint8_t nonce[32];
    char reason[256];
    size_t i;

    (void)state;
    hmac_device(&d);
    memset(nonce, 0x42, sizeof(nonce));

    assert_int_equal(gw_verify_token(huge_array, sizeof(huge_array), &d, nonce, sizeof(nonce), &g_cfg,
                                     reason, sizeof(reason)),
                     -1);
    assert_string_equal(reason, "malformed token: CBOR array or map count larger than the input");
    assert_int_equal(gw_verify_token(big_array, sizeof(big_array), &d, nonce, sizeof(nonce), &g_cfg,
                                     reason, sizeof(reason)),
                     -1);
    assert_string_equal(reason, "malformed token: CBOR array or map count larger than the input");
    assert_int_equal(gw_verify_token(long_string, sizeof(long_string), &d, nonce, sizeof(nonce), &g_cfg,
                                     reason, sizeof(reason)),
                     -1);
    assert_string_equal(reason, "malformed token: CBOR string longer than the input");
    /* The header walk refuses the map: the algorithm is then not found. */
    assert_int_equal(gw_verify_token(huge_map_in_header, sizeof(huge_map_in_header), &d, nonce,
                                     sizeof(nonce), &g_cfg, reason, sizeof(reason)),
                     -1);
    assert_non_null(strstr(reason, "protected header does not name"));

    /* 17 nested one-element arrays: one too deep. 16 pass the walk (and
     * are then refused as not a COSE message). */
    deep[0] = 0xD1;
    for (i = 1; i <= 17; i++) {
        deep[i] = 0x81;
    }
    deep[18] = 0x00;
    assert_int_equal(gw_verify_token(deep, 19, &d, nonce, sizeof(nonce), &g_cfg, reason, sizeof(reason)),
                     -1);
    assert_string_equal(reason, "malformed token: CBOR nested too deep");
    assert_int_equal(gw_verify_token(deep + 1, 18, &d, nonce, sizeof(nonce), &g_cfg, reason,
                                     sizeof(reason)),
                     -1);
    assert_non_null(strstr(reason, "not a tagged COSE message"));
    deep[1] = 0xD1;
    assert_int_equal(gw_verify_token(deep + 1, 18, &d, nonce, sizeof(nonce), &g_cfg, reason,
                                     sizeof(reason)),
                     -1);
    assert_string_equal(reason, "malformed token: not [protected, unprotected, payload, tag]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mac0_accepted_and_every_flip_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign1_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_counts_refused_cheaply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
