/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the TLS / key store glue (src/net/tls_store.c) without a
 * network: the delegating pk context signs through the store and Mbed TLS
 * verifies every signature with the public key (DER re-encoding of r and s
 * included: short and 0x00-padded integers are both forced to occur);
 * RSA-ALT the same; a store failure during signing is remembered for the
 * transport; refused set-ups leave the pk context empty; the PSK reaches the
 * handshake only and the configuration holds a placeholder; certificates
 * come out of the store or are refused with their own status. */
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
#include <corstone_iot/log.h>
#include <corstone_iot/posix.h>

#include "iot_tls_store.h"

#include <mbedtls/ssl_internal.h> /* the handshake state, to look at its PSK */

static char g_root[256];
static char g_dir[300];

static int setup(void **state)
{
    (void)state;
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-tls-store-unit.XXXXXX",
                   getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    (void)snprintf(g_dir, sizeof(g_dir), "%s/store", g_root);
    iot_log_set_level(IOT_LOG_ERROR);
    if (iot_posix_store_set_dir(g_dir) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return -1;
    }
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

static iot_key_id_t gen(iot_key_type_t type, bool persistent)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;

    o.persistent = persistent;
    assert_int_equal(iot_key_generate(type, &o, &id), IOT_OK);
    return id;
}

/* The public key of `id` as Mbed TLS sees a certificate's key. */
static void public_pk(iot_key_id_t id, mbedtls_pk_context *pub)
{
    uint8_t der[600];
    size_t len = 0;

    assert_int_equal(iot_key_export_public(id, IOT_KEY_FORMAT_DER, der, sizeof(der), &len), IOT_OK);
    mbedtls_pk_init(pub);
    assert_int_equal(mbedtls_pk_parse_public_key(pub, der, len), 0);
}

/* Length of the DER INTEGER at p (short form only: EC sizes here). */
static size_t int_len(const uint8_t *p)
{
    assert_int_equal(p[0], 0x02);
    return p[1];
}

static void check_ecdsa(iot_key_type_t type, size_t n, mbedtls_md_type_t md, size_t hash_len)
{
    struct iot_tls_store_key sk;
    mbedtls_pk_context pk;
    mbedtls_pk_context pub;
    iot_key_id_t id = gen(type, false);
    uint8_t hash[64];
    uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    bool seen_short = false;
    bool seen_padded = false;
    int i;

    public_pk(id, &pub);
    mbedtls_pk_init(&pk);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub, id), IOT_OK);
    /* What the TLS layer can learn about the key: a type, a size, ECDSA. */
    assert_int_equal(mbedtls_pk_get_type(&pk), MBEDTLS_PK_OPAQUE);
    assert_ptr_equal(pk.pk_ctx, &sk);
    assert_int_equal(mbedtls_pk_get_bitlen(&pk), n * 8u);
    assert_true(mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA));
    assert_false(mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY));
    assert_false(mbedtls_pk_can_do(&pk, MBEDTLS_PK_RSA));
    assert_null(mbedtls_pk_ec(pk));

    for (i = 0; i < 4000 && (i < 40 || !seen_short || !seen_padded); i++) {
        size_t len = 0;
        size_t r;
        size_t s;

        memset(hash, 0, sizeof(hash));
        memcpy(hash, &i, sizeof(i));
        assert_int_equal(mbedtls_pk_sign(&pk, md, hash, hash_len, sig, &len, NULL, NULL), 0);
        assert_int_equal(mbedtls_pk_verify(&pub, md, hash, hash_len, sig, len), 0);
        assert_int_equal(sig[0], 0x30);
        assert_int_equal(sig[1], len - 2u);
        r = int_len(&sig[2]);
        s = int_len(&sig[4 + r]);
        assert_int_equal(4u + r + s, len - 2u);
        seen_short = seen_short || r < n || s < n;
        seen_padded = seen_padded || r == n + 1u || s == n + 1u;
    }
    assert_true(seen_short);
    assert_true(seen_padded);
    assert_int_equal(sk.sign_status, 0);
    mbedtls_pk_free(&pk);
    mbedtls_pk_free(&pub);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
}

static void test_ecdsa_p256_signatures_verify(void **state)
{
    (void)state;
    check_ecdsa(IOT_KEY_TYPE_EC_P256, 32u, MBEDTLS_MD_SHA256, 32u);
    check_ecdsa(IOT_KEY_TYPE_EC_P256, 32u, MBEDTLS_MD_SHA384, 48u);
}

static void test_ecdsa_p384_signatures_verify(void **state)
{
    (void)state;
    check_ecdsa(IOT_KEY_TYPE_EC_P384, 48u, MBEDTLS_MD_SHA384, 48u);
}

static void test_rsa_signatures_verify(void **state)
{
    struct iot_tls_store_key sk;
    mbedtls_pk_context pk;
    mbedtls_pk_context pub;
    iot_key_id_t id = gen(IOT_KEY_TYPE_RSA_2048, false);
    uint8_t hash[48] = { 1, 2, 3 };
    uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t len = 0;

    (void)state;
    public_pk(id, &pub);
    mbedtls_pk_init(&pk);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub, id), IOT_OK);
    assert_int_equal(mbedtls_pk_get_type(&pk), MBEDTLS_PK_RSA_ALT);
    assert_true(mbedtls_pk_can_do(&pk, MBEDTLS_PK_RSA));
    assert_int_equal(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, &len, NULL, NULL), 0);
    assert_int_equal(len, 256u);
    assert_int_equal(mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA256, hash, 32, sig, len), 0);
    assert_int_equal(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA384, hash, 48, sig, &len, NULL, NULL), 0);
    assert_int_equal(mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA384, hash, 48, sig, len), 0);
    /* Signing a raw hash (no DigestInfo) is outside the key's policy. */
    assert_int_not_equal(mbedtls_pk_sign(&pk, MBEDTLS_MD_NONE, hash, 32, sig, &len, NULL, NULL), 0);
    assert_int_equal(sk.sign_status, IOT_ERR_NOT_SUPPORTED);
    mbedtls_pk_free(&pk);
    mbedtls_pk_free(&pub);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
}

/* The key disappears between set-up and the handshake's signature: the
 * store's status is kept for the transport to report. */
static void test_sign_failure_is_remembered(void **state)
{
    struct iot_tls_store_key sk;
    mbedtls_pk_context pk;
    mbedtls_pk_context pub;
    iot_key_id_t id = gen(IOT_KEY_TYPE_EC_P256, true);
    uint8_t hash[32] = { 0 };
    uint8_t sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t len = 0;

    (void)state;
    public_pk(id, &pub);
    mbedtls_pk_init(&pk);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub, id), IOT_OK);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
    assert_int_not_equal(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, &len, NULL, NULL), 0);
    assert_int_equal(sk.sign_status, IOT_ERR_NOT_FOUND);
    mbedtls_pk_free(&pk);
    mbedtls_pk_free(&pub);
}

static void test_setup_refusals_leave_pk_empty(void **state)
{
    struct iot_tls_store_key sk;
    mbedtls_pk_context pk;
    mbedtls_pk_context pub256;
    mbedtls_pk_context pub384;
    iot_key_id_t a = gen(IOT_KEY_TYPE_EC_P256, false);
    iot_key_id_t b = gen(IOT_KEY_TYPE_EC_P256, false);
    iot_key_id_t c = gen(IOT_KEY_TYPE_EC_P384, false);
    iot_key_id_t cert = IOT_KEY_ID_NONE;
    iot_key_id_t pubkey = IOT_KEY_ID_NONE;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    uint8_t der[600];
    size_t len = 0;
    static const uint8_t data[] = "not a key";

    (void)state;
    public_pk(a, &pub256);
    public_pk(c, &pub384);
    mbedtls_pk_init(&pk);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub256, 0x7ffffff0u), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub256, b), IOT_ERR_TLS_CREDENTIALS);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub384, a), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub256, c), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "blob", data, sizeof(data), 0u, &cert),
                     IOT_OK);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub256, cert), IOT_ERR_WRONG_KEY_TYPE);
    /* The public half alone cannot sign. */
    assert_int_equal(iot_key_export_public(a, IOT_KEY_FORMAT_DER, der, sizeof(der), &len), IOT_OK);
    o.persistent = false;
    assert_int_equal(iot_key_import_public(der, len, &o, &pubkey), IOT_OK);
    assert_int_equal(iot_tls_store_setup_key(&sk, &pk, &pub256, pubkey), IOT_ERR_WRONG_KEY_TYPE);
    assert_null(pk.pk_info);
    assert_null(pk.pk_ctx);
    mbedtls_pk_free(&pub256);
    mbedtls_pk_free(&pub384);
    assert_int_equal(iot_keystore_destroy(a), IOT_OK);
    assert_int_equal(iot_keystore_destroy(b), IOT_OK);
    assert_int_equal(iot_keystore_destroy(c), IOT_OK);
    assert_int_equal(iot_keystore_destroy(cert), IOT_OK);
    assert_int_equal(iot_keystore_destroy(pubkey), IOT_OK);
}

static void test_psk_goes_to_the_handshake_only(void **state)
{
    static const uint8_t psk[32] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 1, 2, 3 };
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    iot_key_id_t vol = IOT_KEY_ID_NONE;
    iot_key_id_t key = gen(IOT_KEY_TYPE_EC_P256, false);
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;

    (void)state;
    assert_int_equal(iot_key_import_psk(psk, sizeof(psk), &o, &id), IOT_OK);
    o.persistent = false;
    assert_int_equal(iot_key_import_psk(psk, sizeof(psk), &o, &vol), IOT_OK);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    assert_int_equal(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    assert_int_equal(iot_tls_store_conf_psk(&conf, vol, "dev"), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(iot_tls_store_conf_psk(&conf, key, "dev"), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_tls_store_conf_psk(&conf, 0x7ffffff0u, "dev"), IOT_ERR_NOT_FOUND);
    assert_null(conf.psk);

    assert_int_equal(iot_tls_store_conf_psk(&conf, id, "dev"), IOT_OK);
    assert_int_equal(conf.psk_len, sizeof(psk));
    assert_true(memcmp(conf.psk, psk, sizeof(psk)) != 0); /* a placeholder */
    assert_int_equal(conf.psk_identity_len, 3u);
    assert_int_equal(mbedtls_ssl_setup(&ssl, &conf), 0);
    assert_int_equal(iot_tls_store_handshake_psk(&ssl, vol), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(iot_tls_store_handshake_psk(&ssl, id), IOT_OK);
    assert_non_null(ssl.handshake);
    assert_int_equal(ssl.handshake->psk_len, sizeof(psk));
    assert_memory_equal(ssl.handshake->psk, psk, sizeof(psk));
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
    assert_int_equal(iot_keystore_destroy(vol), IOT_OK);
    assert_int_equal(iot_keystore_destroy(key), IOT_OK);
}

static void test_certificates_from_the_store(void **state)
{
    /* A certificate made by openssl; a data object of the same label. */
    char cmd[1200];
    char path[400];
    char pem[4096];
    size_t n;
    FILE *f;
    iot_key_id_t good = IOT_KEY_ID_NONE;
    iot_key_id_t data = IOT_KEY_ID_NONE;
    mbedtls_x509_crt crt;

    (void)state;
    (void)snprintf(path, sizeof(path), "%s/c.pem", g_root);
    (void)snprintf(cmd, sizeof(cmd),
                   "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout '%s/c.key' -subj /CN=unit -days 1 -out '%s' >/dev/null 2>&1",
                   g_root, path);
    assert_int_equal(system(cmd), 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(pem, 1, sizeof(pem) - 1u, f);
    fclose(f);
    pem[n] = '\0';
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "unit", pem, n + 1u, 0u, &good),
                     IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "unit", "x", 1u, 0u, &data), IOT_OK);

    mbedtls_x509_crt_init(&crt);
    assert_int_equal(iot_tls_store_parse_crt(&crt, good, "test"), IOT_OK);
    assert_int_equal(crt.version, 3);
    assert_true(mbedtls_pk_can_do(&crt.pk, MBEDTLS_PK_ECKEY));
    assert_int_equal(iot_tls_store_parse_crt(&crt, data, "test"), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_tls_store_parse_crt(&crt, 0x7ffffff0u, "test"), IOT_ERR_NOT_FOUND);
    assert_null(crt.next); /* nothing was appended by the refusals */
    mbedtls_x509_crt_free(&crt);
    assert_int_equal(iot_keystore_destroy(good), IOT_OK);
    assert_int_equal(iot_keystore_destroy(data), IOT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa_p256_signatures_verify),
        cmocka_unit_test(test_ecdsa_p384_signatures_verify),
        cmocka_unit_test(test_rsa_signatures_verify),
        cmocka_unit_test(test_sign_failure_is_remembered),
        cmocka_unit_test(test_setup_refusals_leave_pk_empty),
        cmocka_unit_test(test_psk_goes_to_the_handshake_only),
        cmocka_unit_test(test_certificates_from_the_store),
    };
    return cmocka_run_group_tests_name("tls_store", tests, setup, teardown);
}
