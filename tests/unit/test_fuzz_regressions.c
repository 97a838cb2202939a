/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: one test per bug the fuzz targets (tests/fuzz) found, each
 * reproducing the input in a readable form; the raw crash inputs stay in
 * tests/fuzz/corpus/<target>/crash-* and are replayed by every fuzz run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "keys_test_vectors.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-fuzzreg.XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL || iot_posix_store_set_dir(g_dir) != IOT_OK ||
        iot_keystore_init() != IOT_OK) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[96];
    iot_keystore_deinit();
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Offset of the n-th (0-based) INTEGER of an RSAPrivateKey DER (the outer
 * SEQUENCE has a 4-byte header; every field here is short or 0x81/0x82 long). */
static size_t rsa_field(const uint8_t *der, size_t n)
{
    size_t off = 4u;
    for (size_t i = 0; i < n; i++) {
        size_t len_bytes = (der[off + 1u] & 0x80u) ? (der[off + 1u] & 0x7Fu) : 0u;
        size_t len = 0;
        if (len_bytes == 0u) {
            len = der[off + 1u];
        }
        for (size_t k = 0; k < len_bytes; k++) {
            len = (len << 8) | der[off + 2u + k];
        }
        off += 2u + len_bytes + len;
    }
    return off;
}

/* fuzz_key_import: an RSA private key whose prime p is a negative INTEGER
 * (its leading 0x00 became 0x80) passed the SDK's DER checks; Mbed TLS's PSA
 * then failed to re-export it with PSA_ERROR_BUFFER_TOO_SMALL, which reached
 * the caller as IOT_ERR_BUFFER_TOO_SMALL, a status the import does not
 * document. Invalid key values are IOT_ERR_BAD_FORMAT, and the store is
 * unchanged. */
static void test_rsa_negative_prime_is_bad_format(void **state)
{
    (void)state;
    static uint8_t der[sizeof(k_rsa2048_pkcs1_der)];
    iot_keystore_stats_t before = IOT_KEYSTORE_STATS_INIT;
    iot_keystore_stats_t after = IOT_KEYSTORE_STATS_INIT;
    iot_key_id_t id = 0;

    memcpy(der, k_rsa2048_pkcs1_der, sizeof(der));
    size_t p = rsa_field(der, 4u); /* version, n, e, d, p */
    assert_int_equal(der[p], 0x02);
    assert_int_equal(der[p + 1u], 0x81);
    assert_int_equal(der[p + 3u], 0x00); /* the sign byte of a positive 1024-bit prime */
    der[p + 3u] = 0x80u;

    assert_int_equal(iot_keystore_get_stats(&before), IOT_OK);
    for (int persistent = 0; persistent < 2; persistent++) {
        iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
        opts.persistent = persistent != 0;
        assert_int_equal(iot_key_import_private(der, sizeof(der), &opts, &id), IOT_ERR_BAD_FORMAT);
    }
    assert_int_equal(iot_keystore_get_stats(&after), IOT_OK);
    assert_memory_equal(&before, &after, sizeof(before));

    /* The unmodified key still imports: the check is about the value. */
    assert_int_equal(iot_key_import_private(k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der),
                                            NULL, &id),
                     IOT_OK);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rsa_negative_prime_is_bad_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
