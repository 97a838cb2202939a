/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the key store (keys.h) on the posix port: every call, bad
 * input, persistence across a restart, secrets that never leave, CSRs
 * checked by openssl, damaged files, crash safety and concurrent use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/log.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include <psa/crypto.h>

#include "keys_test_vectors.h"
#include "port_faults.h"
#include "posix_store_internal.h"

static char g_root[256];
static char g_dir[300];
static char g_cwd_before[1024];

static const uint8_t k_hash32[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t k_hash48[48] = { 0x48 };

/* ---- Fixture ----------------------------------------------------------------------- */

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char p[700];

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            (void)snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            remove_tree(p);
        }
        (void)closedir(d);
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

static void quiet_sink(iot_log_level_t level, const char *module, const char *line, size_t len,
                       void *user)
{
    (void)level;
    (void)module;
    (void)line;
    (void)len;
    (void)user;
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char work[400];

    (void)state;
    iot_log_set_sink(quiet_sink, NULL);
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-keys-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    /* Work in an empty directory, to prove nothing is written to the cwd. */
    (void)snprintf(work, sizeof(work), "%s/cwd", g_root);
    if (getcwd(g_cwd_before, sizeof(g_cwd_before)) == NULL || mkdir(work, 0700) != 0 ||
        chdir(work) != 0) {
        return -1;
    }
    (void)snprintf(g_dir, sizeof(g_dir), "%s/store", g_root);
    iot_posix_store_test_crash_after = -1;
    if (iot_posix_store_set_dir(g_dir) != IOT_OK) {
        return -1;
    }
    return (iot_keystore_init() == IOT_OK) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    iot_keystore_deinit();
    if (chdir(g_cwd_before) != 0) {
        return -1;
    }
    remove_tree(g_root);
    return 0;
}

static void restart(void)
{
    iot_keystore_deinit();
    assert_int_equal(iot_keystore_init(), IOT_OK);
}

static size_t object_count(void)
{
    size_t n = 0;
    iot_status_t st = iot_keystore_list(NULL, 0, &n);
    assert_true(st == IOT_OK || st == IOT_ERR_BUFFER_TOO_SMALL);
    return n;
}

/* A fingerprint of every file in the store directory: names, sizes, bytes. */
static uint64_t dir_fingerprint(void)
{
    DIR *d = opendir(g_dir);
    struct dirent *e;
    uint64_t h = 1469598103934665603ull;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char p[700];
        FILE *f;
        int c;
        const char *s;
        uint64_t fh = 1469598103934665603ull;
        if (e->d_name[0] == '.') {
            continue;
        }
        for (s = e->d_name; *s != '\0'; s++) {
            fh = (fh ^ (uint8_t)*s) * 1099511628211ull;
        }
        (void)snprintf(p, sizeof(p), "%s/%s", g_dir, e->d_name);
        f = fopen(p, "rb");
        assert_non_null(f);
        while ((c = fgetc(f)) != EOF) {
            fh = (fh ^ (uint8_t)c) * 1099511628211ull;
        }
        (void)fclose(f);
        h ^= fh; /* order-independent */
    }
    (void)closedir(d);
    return h;
}

static void slot_file(size_t slot, char *buf, size_t cap)
{
    (void)snprintf(buf, cap, "%s/%016llx.obj", g_dir,
                   (unsigned long long)IOT_CONFIG_KEYS_STORE_UID_BASE + 1ull + slot);
}

static iot_key_options_t opts_label(const char *label, bool persistent)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    o.label = label;
    o.persistent = persistent;
    return o;
}

static void assert_sign_verify(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *hash,
                               size_t hash_len)
{
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t sig_len = 0;

    assert_int_equal(iot_key_sign_hash(id, alg, hash, hash_len, sig, sizeof(sig), &sig_len),
                     IOT_OK);
    assert_true(sig_len > 0u);
    assert_int_equal(iot_key_verify_hash(id, alg, hash, hash_len, sig, sig_len), IOT_OK);
    sig[sig_len / 2u] ^= 0x01u;
    assert_int_equal(iot_key_verify_hash(id, alg, hash, hash_len, sig, sig_len),
                     IOT_ERR_BAD_SIGNATURE);
}

/* ---- Tests ---------------------------------------------------------------------------- */

/* Runs first: nothing works before init, and init needs the store directory. */
static void test_calls_before_init(void **state)
{
    iot_key_id_t id = 0;
    uint8_t buf[8];
    size_t n = 0;

    (void)state;
    iot_log_set_sink(quiet_sink, NULL);
    assert_int_equal(iot_keystore_init(), IOT_ERR_BAD_STATE); /* no directory yet */
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &id), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_keystore_list(NULL, 0, &n), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_keystore_random(buf, sizeof(buf)), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_keystore_destroy(1u), IOT_ERR_BAD_STATE);
    iot_keystore_deinit(); /* harmless when not started */
}

static void test_generate_ec_sign_verify(void **state)
{
    iot_key_id_t p256 = 0;
    iot_key_id_t p384 = 0;
    iot_key_options_t o = opts_label("device", true);
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t sig_len = 0;
    static const uint8_t msg[] = "telemetry 21.5";

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &p256), IOT_OK);
    assert_int_not_equal(p256, IOT_KEY_ID_NONE);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P384, NULL, &p384), IOT_OK);
    assert_int_not_equal(p384, p256);

    assert_int_equal(iot_keystore_get_info(p256, &info), IOT_OK);
    assert_int_equal(info.id, p256);
    assert_int_equal(info.obj_class, IOT_OBJ_PRIVATE_KEY);
    assert_int_equal(info.key_type, IOT_KEY_TYPE_EC_P256);
    assert_int_equal(info.bits, 256);
    assert_int_equal(info.usage, IOT_KEY_USAGE_SIGN | IOT_KEY_USAGE_VERIFY);
    assert_true(info.persistent);
    assert_string_equal(info.label, "device");
    assert_int_equal(iot_keystore_get_info(p384, &info), IOT_OK);
    assert_int_equal(info.bits, 384);
    assert_string_equal(info.label, "");

    assert_sign_verify(p256, IOT_SIGN_ECDSA_SHA256, k_hash32, sizeof(k_hash32));
    assert_sign_verify(p384, IOT_SIGN_ECDSA_SHA384, k_hash48, sizeof(k_hash48));
    assert_int_equal(iot_key_sign_hash(p256, IOT_SIGN_ECDSA_SHA256, k_hash32, sizeof(k_hash32),
                                       sig, sizeof(sig), &sig_len), IOT_OK);
    assert_int_equal(sig_len, 64u); /* r || s */

    /* messages */
    assert_int_equal(iot_key_sign_message(p384, IOT_SIGN_ECDSA_SHA384, msg, sizeof(msg), sig,
                                          sizeof(sig), &sig_len), IOT_OK);
    assert_int_equal(sig_len, 96u);
    assert_int_equal(iot_key_verify_message(p384, IOT_SIGN_ECDSA_SHA384, msg, sizeof(msg), sig,
                                            sig_len), IOT_OK);
    assert_int_equal(iot_key_verify_message(p384, IOT_SIGN_ECDSA_SHA384, msg, sizeof(msg) - 1u,
                                            sig, sig_len), IOT_ERR_BAD_SIGNATURE);
    assert_int_equal(iot_key_verify_message(p256, IOT_SIGN_ECDSA_SHA384, msg, sizeof(msg), sig,
                                            sig_len), IOT_ERR_BAD_SIGNATURE);

    /* wrong hash length, wrong algorithm family, small buffer, unknown id */
    assert_int_equal(iot_key_sign_hash(p256, IOT_SIGN_ECDSA_SHA256, k_hash32, 31u, sig,
                                       sizeof(sig), &sig_len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_hash(p256, IOT_SIGN_RSA_PKCS1_SHA256, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_sign_hash(p256, (iot_sign_alg_t)77, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_hash(p256, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, 10u,
                                       &sig_len), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(iot_key_sign_hash(999u, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_key_sign_hash(p256, IOT_SIGN_ECDSA_SHA256, NULL, 32u, sig, sizeof(sig),
                                       &sig_len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_PSK, NULL, &p256), IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_RSA_4096, NULL, &p256),
                     IOT_ERR_UNSUPPORTED_KEY);
}

static void test_generate_rsa_sign_verify(void **state)
{
    iot_key_id_t id = 0;
    iot_key_options_t o = opts_label("rsa", false);
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t sig_len = 0;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_RSA_2048, &o, &id), IOT_OK);
    assert_sign_verify(id, IOT_SIGN_RSA_PKCS1_SHA256, k_hash32, sizeof(k_hash32));
    assert_sign_verify(id, IOT_SIGN_RSA_PSS_SHA256, k_hash32, sizeof(k_hash32));
    assert_int_equal(iot_key_sign_message(id, IOT_SIGN_RSA_PKCS1_SHA512, (const uint8_t *)"m", 1u,
                                          sig, sizeof(sig), &sig_len), IOT_OK);
    assert_int_equal(sig_len, 256u);
    assert_int_equal(iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sizeof(sig),
                                       &sig_len), IOT_ERR_WRONG_KEY_TYPE);
}

static void test_import_formats(void **state)
{
    iot_key_id_t ids[6];
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_key_options_t o = opts_label("a", true);
    char labels[6][4] = { "a", "b", "c", "d", "e", "f" };
    struct {
        const void *data;
        size_t len;
        iot_key_type_t type;
        iot_sign_alg_t alg;
    } cases[6] = {
        { k_p256_sec1_params_pem, sizeof(k_p256_sec1_params_pem), IOT_KEY_TYPE_EC_P256,
          IOT_SIGN_ECDSA_SHA256 },
        { k_p256_sec1_pem, strlen(k_p256_sec1_pem), IOT_KEY_TYPE_EC_P256, IOT_SIGN_ECDSA_SHA256 },
        { k_p256_pkcs8_pem, sizeof(k_p256_pkcs8_pem), IOT_KEY_TYPE_EC_P256, IOT_SIGN_ECDSA_SHA256 },
        { k_p384_pkcs8_der, sizeof(k_p384_pkcs8_der), IOT_KEY_TYPE_EC_P384, IOT_SIGN_ECDSA_SHA384 },
        { k_rsa2048_pkcs1_pem, sizeof(k_rsa2048_pkcs1_pem), IOT_KEY_TYPE_RSA_2048,
          IOT_SIGN_RSA_PKCS1_SHA256 },
        { k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der), IOT_KEY_TYPE_RSA_2048,
          IOT_SIGN_RSA_PSS_SHA384 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < 6; i++) {
        o.label = labels[i];
        assert_int_equal(iot_key_import_private(cases[i].data, cases[i].len, &o, &ids[i]), IOT_OK);
        assert_int_equal(iot_keystore_get_info(ids[i], &info), IOT_OK);
        assert_int_equal(info.key_type, cases[i].type);
        assert_int_equal(info.obj_class, IOT_OBJ_PRIVATE_KEY);
        if (cases[i].alg == IOT_SIGN_ECDSA_SHA384 || cases[i].alg == IOT_SIGN_RSA_PSS_SHA384) {
            assert_sign_verify(ids[i], cases[i].alg, k_hash48, sizeof(k_hash48));
        } else {
            assert_sign_verify(ids[i], cases[i].alg, k_hash32, sizeof(k_hash32));
        }
    }
}

/* The public key exported from an imported private key is byte for byte
 * what openssl derives, and a public key import verifies its signatures. */
static void test_export_and_import_public(void **state)
{
    iot_key_id_t priv = 0;
    iot_key_id_t pub = 0;
    iot_key_options_t o = opts_label("dev", true);
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    char pem[512];
    uint8_t der[256];
    uint8_t raw[256];
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t len = 0;
    size_t der_len = 0;
    size_t sig_len = 0;

    (void)state;
    assert_int_equal(iot_key_import_private(k_p256_pkcs8_pem, sizeof(k_p256_pkcs8_pem), &o, &priv),
                     IOT_OK);
    assert_int_equal(iot_key_export_public(priv, IOT_KEY_FORMAT_PEM, pem, sizeof(pem), &len),
                     IOT_OK);
    assert_int_equal(len, strlen(k_p256_pub_pem));
    assert_string_equal(pem, k_p256_pub_pem);
    assert_int_equal(iot_key_export_public(priv, IOT_KEY_FORMAT_DER, der, sizeof(der), &der_len),
                     IOT_OK);
    assert_int_equal(der_len, 91u);
    assert_int_equal(iot_key_export_public(priv, IOT_KEY_FORMAT_RAW, raw, sizeof(raw), &len),
                     IOT_OK);
    assert_int_equal(len, 65u);
    assert_int_equal(raw[0], 0x04);
    assert_memory_equal(der + der_len - 65u, raw, 65u);
    assert_int_equal(iot_key_export_public(priv, IOT_KEY_FORMAT_PEM, pem, 100u, &len),
                     IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(iot_key_export_public(priv, IOT_KEY_FORMAT_DER, der, 90u, &len),
                     IOT_ERR_BUFFER_TOO_SMALL);

    o.label = "dev"; /* same label, other class: allowed */
    assert_int_equal(iot_key_import_public(k_p256_pub_pem, sizeof(k_p256_pub_pem), &o, &pub), IOT_OK);
    assert_int_equal(iot_keystore_get_info(pub, &info), IOT_OK);
    assert_int_equal(info.obj_class, IOT_OBJ_PUBLIC_KEY);
    assert_int_equal(info.usage, IOT_KEY_USAGE_VERIFY);
    assert_int_equal(iot_key_sign_hash(priv, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_OK);
    assert_int_equal(iot_key_verify_hash(pub, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sig_len),
                     IOT_OK);
    assert_int_equal(iot_key_sign_hash(pub, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_ERR_WRONG_KEY_TYPE);
    /* DER import and load of the raw key */
    o.label = "pub-der";
    assert_int_equal(iot_key_import_public(der, der_len, &o, &pub), IOT_OK);
    assert_int_equal(iot_keystore_load(pub, raw, sizeof(raw), &len), IOT_OK);
    assert_int_equal(len, 65u);
    assert_memory_equal(der + der_len - 65u, raw, 65u);
    /* usage SIGN is not a public key's */
    o.label = "x";
    o.usage = IOT_KEY_USAGE_SIGN;
    assert_int_equal(iot_key_import_public(der, der_len, &o, &pub), IOT_ERR_INVALID_ARG);
}

/* Secrets never leave: the API refuses, and the PSA keys behind the store
 * are not exportable either. */
static void test_secrets_are_not_exportable(void **state)
{
    iot_key_id_t gen = 0;
    iot_key_id_t imp = 0;
    iot_key_id_t psk = 0;
    iot_key_id_t vol = 0;
    iot_key_options_t o = opts_label("k", true);
    iot_key_options_t v = opts_label("v", false);
    static const uint8_t secret[16] = { 0xAA, 0xBB, 0xCC };
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    uint8_t buf[4096];
    size_t len = 0;
    psa_key_id_t kid;
    int pairs = 0;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &gen), IOT_OK);
    o.label = "i";
    assert_int_equal(iot_key_import_private(k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der), &o,
                                            &imp), IOT_OK);
    o.label = "psk";
    assert_int_equal(iot_key_import_psk(secret, sizeof(secret), &o, &psk), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P384, &v, &vol), IOT_OK);

    assert_int_equal(iot_keystore_load(gen, buf, sizeof(buf), &len), IOT_ERR_NOT_PERMITTED);
    assert_int_equal(iot_keystore_load(imp, buf, sizeof(buf), &len), IOT_ERR_NOT_PERMITTED);
    assert_int_equal(iot_keystore_load(psk, buf, sizeof(buf), &len), IOT_ERR_NOT_PERMITTED);
    assert_int_equal(iot_keystore_load(vol, buf, sizeof(buf), &len), IOT_ERR_NOT_PERMITTED);
    assert_int_equal(len, 0u);
    assert_int_equal(iot_key_export_public(psk, IOT_KEY_FORMAT_RAW, buf, sizeof(buf), &len),
                     IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_keystore_get_info(psk, &info), IOT_OK);
    assert_int_equal(info.obj_class, IOT_OBJ_SECRET_KEY);
    assert_int_equal(info.key_type, IOT_KEY_TYPE_PSK);
    assert_int_equal(info.bits, 128u);
    assert_int_equal(info.usage, IOT_KEY_USAGE_DERIVE);
    assert_int_equal(iot_key_sign_hash(psk, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, buf, 512u, &len),
                     IOT_ERR_WRONG_KEY_TYPE);

    /* Use every key once so it is loaded, then ask PSA directly. */
    assert_sign_verify(gen, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);
    assert_sign_verify(imp, IOT_SIGN_RSA_PKCS1_SHA256, k_hash32, 32u);
    assert_sign_verify(vol, IOT_SIGN_ECDSA_SHA384, k_hash48, 48u);
    {
        iot_key_id_t tmp;
        o.label = "psk2"; /* a PSK is loaded when imported */
        assert_int_equal(iot_key_import_psk(secret, 8u, &o, &tmp), IOT_OK);
    }
    /* Mbed TLS 2.28 numbers volatile keys down from PSA_KEY_ID_VENDOR_MAX. */
    for (kid = PSA_KEY_ID_VENDOR_MAX - MBEDTLS_PSA_KEY_SLOT_COUNT + 1u;
         kid != 0u && kid <= PSA_KEY_ID_VENDOR_MAX; kid++) {
        psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
        if (psa_get_key_attributes(kid, &a) != PSA_SUCCESS) {
            continue;
        }
        if (PSA_KEY_TYPE_IS_KEY_PAIR(psa_get_key_type(&a)) ||
            psa_get_key_type(&a) == PSA_KEY_TYPE_DERIVE) {
            pairs++;
            assert_int_equal(psa_get_key_usage_flags(&a) & PSA_KEY_USAGE_EXPORT, 0);
            assert_int_equal(psa_export_key(kid, buf, sizeof(buf), &len), PSA_ERROR_NOT_PERMITTED);
        }
        psa_reset_key_attributes(&a);
    }
    assert_int_equal(pairs, 5); /* gen, imp, vol, psk2 and psk (loaded at import) */
}

/* Persistent objects survive a restart with their ids and labels; volatile
 * ones do not; ids are not reused. */
static void test_persistence_across_restart(void **state)
{
    iot_key_id_t key = 0;
    iot_key_id_t psk = 0;
    iot_key_id_t cert = 0;
    iot_key_id_t vol = 0;
    iot_key_id_t found = 0;
    iot_key_id_t next = 0;
    iot_key_id_t ids[8];
    iot_key_options_t o = opts_label("device-key", true);
    iot_key_options_t v = opts_label("session", false);
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    uint8_t buf[2048];
    size_t sig_len = 0;
    size_t n = 0;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &key), IOT_OK);
    o.label = "psk";
    assert_int_equal(iot_key_import_psk("0123456789abcdef", 16u, &o, &psk), IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "device-cert", k_cert_pem,
                                       sizeof(k_cert_pem), 0u, &cert), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &v, &vol), IOT_OK);
    assert_int_equal(iot_key_sign_hash(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig,
                                       sizeof(sig), &sig_len), IOT_OK);
    assert_int_equal(object_count(), 4u);

    restart();

    assert_int_equal(iot_keystore_list(ids, 8u, &n), IOT_OK);
    assert_int_equal(n, 3u);
    assert_int_equal(iot_keystore_get_info(vol, &info), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "device-key", &found), IOT_OK);
    assert_int_equal(found, key);
    assert_int_equal(iot_keystore_find(IOT_OBJ_NONE, "psk", &found), IOT_OK);
    assert_int_equal(found, psk);
    assert_int_equal(iot_keystore_find(IOT_OBJ_CERTIFICATE, "device-cert", &found), IOT_OK);
    assert_int_equal(found, cert);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "session", &found), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_keystore_get_info(key, &info), IOT_OK);
    assert_string_equal(info.label, "device-key");
    assert_true(info.persistent);
    assert_int_equal(info.key_type, IOT_KEY_TYPE_EC_P256);
    assert_int_equal(iot_keystore_get_info(psk, &info), IOT_OK);
    assert_int_equal(info.bits, 128u);
    assert_int_equal(iot_keystore_get_info(cert, &info), IOT_OK);
    assert_int_equal(info.obj_class, IOT_OBJ_CERTIFICATE);
    assert_int_equal(iot_keystore_load(cert, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, info.size);
    assert_int_equal(buf[0], 0x30);

    /* the same key: it verifies the signature made before the restart */
    assert_int_equal(iot_key_verify_hash(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sig_len),
                     IOT_OK);
    assert_sign_verify(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);

    /* new ids are above every id handed out before, volatile ones included */
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &next), IOT_OK);
    assert_true(next > vol && next > cert && next > key);

    /* destroying is permanent, also across a restart */
    assert_int_equal(iot_keystore_destroy(key), IOT_OK);
    assert_int_equal(iot_keystore_destroy(key), IOT_ERR_NOT_FOUND);
    restart();
    assert_int_equal(iot_keystore_get_info(key, &info), IOT_ERR_NOT_FOUND);
    assert_int_equal(object_count(), 3u);
    assert_int_equal(iot_keystore_init(), IOT_OK); /* idempotent */
    assert_int_equal(object_count(), 3u);
}

static void test_certificates_and_data(void **state)
{
    iot_key_id_t cert = 0;
    iot_key_id_t again = 0;
    iot_key_id_t data = 0;
    iot_key_id_t ids[2];
    uint8_t der[1024];
    uint8_t buf[1024];
    size_t der_len = 0;
    size_t n = 0;

    (void)state;
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c", k_cert_pem, sizeof(k_cert_pem),
                                       0u, &cert), IOT_OK);
    assert_int_equal(iot_keystore_load(cert, der, sizeof(der), &der_len), IOT_OK);
    assert_true(der_len > 300u);
    /* the DER form is accepted as well; the label is taken */
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c", der, der_len, 0u, &again),
                     IOT_ERR_ALREADY_EXISTS);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c2", der, der_len, 0u, &again),
                     IOT_OK);
    assert_int_equal(iot_keystore_load(cert, buf, 10u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, der_len);

    /* data objects: save, replace atomically keeping the id, load */
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "cfg", "v1", 2u, 0u, &data), IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "cfg", "version-2", 9u,
                                       IOT_KEYSTORE_SAVE_REPLACE, &again), IOT_OK);
    assert_int_equal(again, data);
    assert_int_equal(iot_keystore_load(data, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 9u);
    assert_memory_equal(buf, "version-2", 9u);
    restart();
    assert_int_equal(iot_keystore_load(data, buf, sizeof(buf), &n), IOT_OK);
    assert_memory_equal(buf, "version-2", 9u);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "empty", NULL, 0u, 0u, NULL), IOT_OK);

    /* list with a small array */
    assert_int_equal(iot_keystore_list(ids, 2u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 4u);
    assert_int_equal(ids[0], cert);

    /* argument checks */
    assert_int_equal(iot_keystore_save(IOT_OBJ_PRIVATE_KEY, "k", "x", 1u, 0u, NULL),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "k", "x", 1u, 0x80u, NULL),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "", "x", 1u, 0u, NULL), IOT_ERR_BAD_LABEL);
    {
        static uint8_t big[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE + 1u];
        assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "big", big, sizeof(big), 0u, NULL),
                         IOT_ERR_STORAGE_FULL);
        assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "big", big, sizeof(big) - 1u, 0u, NULL),
                         IOT_OK);
    }
    assert_int_equal(iot_keystore_destroy(cert), IOT_OK);
    assert_int_equal(iot_keystore_load(cert, buf, sizeof(buf), &n), IOT_ERR_NOT_FOUND);
}

/* Each kind of bad input has its own status and leaves the store as it was. */
static void test_bad_input_leaves_store_intact(void **state)
{
    iot_key_id_t id = 0;
    iot_key_id_t keep = 0;
    iot_key_options_t o = opts_label("keep", true);
    char text[2048];
    uint8_t der[2048];
    char label[IOT_KEY_LABEL_MAX + 2];
    uint64_t before;
    size_t before_count;
    size_t cut;

    (void)state;
    assert_int_equal(iot_key_import_private(k_p256_sec1_pem, sizeof(k_p256_sec1_pem), &o, &keep),
                     IOT_OK);
    before = dir_fingerprint();
    before_count = object_count();
    o.label = "new";

    /* PEM: no BEGIN line, bad base64, mismatched END, truncated, encrypted */
    assert_int_equal(iot_key_import_private("-----BEGIN", 10u, &o, &id), IOT_ERR_BAD_PEM);
    assert_int_equal(iot_key_import_private("  -----BEGIN PRIVATE KEY-----\n", 30u, &o, &id),
                     IOT_ERR_TRUNCATED);
    assert_int_equal(iot_key_import_private("-----BEGIN PRIVATE KEY-----\nMIG!!!\n-----END PRIVATE KEY-----\n",
                                            60u, &o, &id), IOT_ERR_BAD_PEM);
    (void)snprintf(text, sizeof(text), "%s", k_p256_pkcs8_pem);
    memcpy(strstr(text, "-----END PRIVATE KEY"), "-----END PUBLIC KEY-----\n", 26u);
    assert_int_equal(iot_key_import_private(text, strlen(text), &o, &id), IOT_ERR_BAD_PEM);
    cut = (size_t)(strstr(k_p256_pkcs8_pem, "-----END") - k_p256_pkcs8_pem);
    assert_int_equal(iot_key_import_private(k_p256_pkcs8_pem, cut, &o, &id), IOT_ERR_TRUNCATED);
    assert_int_equal(iot_key_import_private(k_p256_pkcs8_pem, cut + 12u, &o, &id),
                     IOT_ERR_TRUNCATED);
    /* a PEM whose base64 body was cut by whole lines: the DER inside is short */
    (void)snprintf(text, sizeof(text), "-----BEGIN RSA PRIVATE KEY-----\n%.*s\n-----END RSA PRIVATE KEY-----\n",
                   65 * 10, strchr(k_rsa2048_pkcs1_pem, '\n') + 1); /* 10 whole lines */
    assert_int_equal(iot_key_import_private(text, strlen(text), &o, &id), IOT_ERR_TRUNCATED);
    assert_int_equal(iot_key_import_private("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                                            80u, &o, &id), IOT_ERR_NOT_SUPPORTED);

    /* DER: truncated, malformed (a tag changed), trailing garbage */
    assert_int_equal(iot_key_import_private(k_rsa2048_pkcs1_der, 600u, &o, &id), IOT_ERR_TRUNCATED);
    assert_int_equal(iot_key_import_private(k_p384_pkcs8_der, 1u, &o, &id), IOT_ERR_TRUNCATED);
    memcpy(der, k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der));
    der[4] = 0x05; /* version INTEGER becomes NULL */
    assert_int_equal(iot_key_import_private(der, sizeof(k_rsa2048_pkcs1_der), &o, &id),
                     IOT_ERR_BAD_FORMAT);
    memcpy(der, k_p384_pkcs8_der, sizeof(k_p384_pkcs8_der));
    der[sizeof(k_p384_pkcs8_der)] = 0x00;
    assert_int_equal(iot_key_import_private(der, sizeof(k_p384_pkcs8_der) + 1u, &o, &id),
                     IOT_ERR_BAD_FORMAT);
    assert_int_equal(iot_key_import_private("\x30\x03\x02\x01", 4u, &o, &id), IOT_ERR_TRUNCATED);
    assert_int_equal(iot_key_import_private("\x30\x80\x02\x01\x00\x00\x00", 7u, &o, &id),
                     IOT_ERR_BAD_FORMAT);

    /* unsupported curves, algorithms and sizes */
    assert_int_equal(iot_key_import_private(k_secp256k1_pem, sizeof(k_secp256k1_pem), &o, &id),
                     IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_import_private(k_ed25519_pem, sizeof(k_ed25519_pem), &o, &id),
                     IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_import_private(k_rsa1024_pem, sizeof(k_rsa1024_pem), &o, &id),
                     IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_import_psk("x", 0u, &o, &id), IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_import_psk(der, IOT_KEY_PSK_MAX + 1u, &o, &id),
                     IOT_ERR_UNSUPPORTED_KEY);

    /* wrong kinds of object */
    assert_int_equal(iot_key_import_private(k_cert_pem, sizeof(k_cert_pem), &o, &id),
                     IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_import_private(k_p256_pub_pem, sizeof(k_p256_pub_pem), &o, &id),
                     IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_import_public(k_p256_pkcs8_pem, sizeof(k_p256_pkcs8_pem), &o, &id),
                     IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_key_import_public(k_rsa2048_pkcs1_der, sizeof(k_rsa2048_pkcs1_der), &o,
                                           &id), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c", k_p256_pkcs8_pem,
                                       sizeof(k_p256_pkcs8_pem), 0u, &id), IOT_ERR_WRONG_KEY_TYPE);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c", k_rsa2048_pkcs1_der,
                                       sizeof(k_rsa2048_pkcs1_der), 0u, &id),
                     IOT_ERR_WRONG_KEY_TYPE);
    cut = strlen(k_cert_pem) - 40u;
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "c", k_cert_pem, cut, 0u, &id),
                     IOT_ERR_TRUNCATED);

    /* labels: too long, control characters, duplicate */
    memset(label, 'L', sizeof(label) - 1u);
    label[sizeof(label) - 1u] = '\0';
    o.label = label;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_ERR_BAD_LABEL);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, label, "x", 1u, 0u, &id), IOT_ERR_BAD_LABEL);
    assert_int_equal(iot_keystore_find(IOT_OBJ_NONE, label, &id), IOT_ERR_BAD_LABEL);
    label[IOT_KEY_LABEL_MAX] = '\0'; /* exactly the maximum is fine (volatile: no file) */
    o.persistent = false;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
    o.persistent = true;
    o.label = "tab\there";
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_ERR_BAD_LABEL);
    o.label = "keep";
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_ERR_ALREADY_EXISTS);
    assert_int_equal(iot_key_import_private(k_p256_pkcs8_pem, sizeof(k_p256_pkcs8_pem), &o, &id),
                     IOT_ERR_ALREADY_EXISTS);
    o.label = "u";
    o.usage = IOT_KEY_USAGE_DERIVE;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_ERR_INVALID_ARG);

    /* nothing changed on disk or in the table; the kept key still works */
    assert_int_equal(dir_fingerprint(), before);
    assert_int_equal(object_count(), before_count);
    assert_sign_verify(keep, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);
}

/* Every pointer argument, one at a time: NULL is refused with
 * IOT_ERR_INVALID_ARG, and the store is unchanged. */
static void test_null_arguments(void **state)
{
    const iot_sign_alg_t es = IOT_SIGN_ECDSA_SHA256;
    iot_key_options_t o = opts_label("nulls", true);
    iot_csr_options_t csr = IOT_CSR_OPTIONS_INIT;
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    iot_key_id_t key = 0;
    iot_key_id_t id = 0;
    uint8_t hash[32] = { 1 };
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    uint8_t buf[1024];
    uint8_t psk[16] = { 7 };
    size_t len = 0;
    size_t before;
    uint64_t print;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &key), IOT_OK);
    assert_int_equal(iot_key_sign_hash(key, es, hash, 32, sig, sizeof(sig), &len), IOT_OK);
    before = object_count();
    print = dir_fingerprint();
    csr.subject = "CN=nulls";

    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_generate((iot_key_type_t)99, &o, &id), IOT_ERR_UNSUPPORTED_KEY);
    assert_int_equal(iot_key_import_private(NULL, 10, &o, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_private(buf, 0, &o, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_private(buf, 10, &o, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_public(NULL, 10, &o, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_public(buf, 0, &o, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_public(buf, 10, &o, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_psk(NULL, sizeof(psk), &o, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_import_psk(psk, sizeof(psk), &o, NULL), IOT_ERR_INVALID_ARG);

    assert_int_equal(iot_key_export_public(key, IOT_KEY_FORMAT_PEM, buf, sizeof(buf), NULL),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_export_public(key, IOT_KEY_FORMAT_PEM, NULL, sizeof(buf), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_export_public(key, (iot_key_format_t)9, buf, sizeof(buf), &len),
                     IOT_ERR_INVALID_ARG);

    assert_int_equal(iot_key_sign_hash(key, es, NULL, 32, sig, sizeof(sig), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_hash(key, es, hash, 32, NULL, sizeof(sig), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_hash(key, es, hash, 32, sig, sizeof(sig), NULL),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_message(key, es, NULL, 5, sig, sizeof(sig), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_message(key, es, hash, 5, NULL, sizeof(sig), &len),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_sign_message(key, es, hash, 5, sig, sizeof(sig), NULL),
                     IOT_ERR_INVALID_ARG);
    /* An empty message is a message. */
    assert_int_equal(iot_key_sign_message(key, es, NULL, 0, sig, sizeof(sig), &len), IOT_OK);
    assert_int_equal(iot_key_verify_message(key, es, NULL, 0, sig, len), IOT_OK);
    assert_int_equal(iot_key_verify_hash(key, es, NULL, 32, sig, len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_verify_hash(key, es, hash, 32, NULL, len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_verify_message(key, es, NULL, 5, sig, len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_verify_message(key, es, hash, 5, NULL, len), IOT_ERR_INVALID_ARG);

    assert_int_equal(iot_key_csr(key, NULL, buf, sizeof(buf), &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_csr(key, &csr, NULL, sizeof(buf), &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_key_csr(key, &csr, buf, sizeof(buf), NULL), IOT_ERR_INVALID_ARG);
    csr.format = (iot_key_format_t)9;
    assert_int_equal(iot_key_csr(key, &csr, buf, sizeof(buf), &len), IOT_ERR_INVALID_ARG);

    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, NULL, buf, 4, 0, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "d", NULL, 4, 0, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_load(key, NULL, sizeof(buf), &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_load(key, buf, sizeof(buf), NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_list(NULL, 4, &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_list(&id, 1, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_info(key, NULL), IOT_ERR_INVALID_ARG);
    info.struct_size = 4;
    assert_int_equal(iot_keystore_get_info(key, &info), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, NULL, &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "nulls", NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_find((iot_obj_class_t)99, "nulls", &id), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_stats(NULL), IOT_ERR_INVALID_ARG);
    stats.struct_size = 4;
    assert_int_equal(iot_keystore_get_stats(&stats), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_random(NULL, 4), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_tag(key, NULL, 4, &len), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_tag(key, buf, sizeof(buf), NULL), IOT_ERR_INVALID_ARG);

    assert_int_equal(object_count(), before);
    assert_true(dir_fingerprint() == print);
    /* Still usable. */
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "nulls", &id), IOT_OK);
    assert_int_equal(id, key);
}

/* ---- storage failures ------------------------------------------------------ */

static const uint8_t k_fault_data[100] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static iot_status_t fault_sequence(void)
{
    iot_key_options_t ok = opts_label("f-key", true);
    iot_key_options_t op = opts_label("f-psk", true);
    uint8_t psk[16] = { 9 };
    uint8_t buf[128];
    size_t len = 0;
    iot_key_id_t k = 0;
    iot_key_id_t p = 0;
    iot_key_id_t d = 0;
    iot_status_t st;

    op.usage = 0;
    st = iot_key_generate(IOT_KEY_TYPE_EC_P256, &ok, &k);
    if (st == IOT_OK) {
        st = iot_key_import_psk(psk, sizeof(psk), &op, &p);
    }
    if (st == IOT_OK) {
        st = iot_keystore_save(IOT_OBJ_DATA, "f-data", k_fault_data, sizeof(k_fault_data), 0, &d);
    }
    if (st == IOT_OK) {
        st = iot_keystore_set_tag(k, "tag", 3);
    }
    if (st == IOT_OK) {
        st = iot_keystore_load(d, buf, sizeof(buf), &len);
    }
    if (st == IOT_OK) {
        st = iot_keystore_get_tag(k, buf, sizeof(buf), &len);
    }
    if (st == IOT_OK) {
        st = iot_keystore_destroy(p);
    }
    if (st == IOT_OK) {
        iot_keystore_deinit();
        st = iot_keystore_init();
    }
    return st;
}

/* An object is there whole, usable, or not at all. */
static void assert_whole_or_absent(iot_obj_class_t cls, const char *label)
{
    uint8_t hash[32] = { 3 };
    uint8_t buf[IOT_KEY_SIGNATURE_MAX];
    size_t len = 0;
    iot_key_id_t id = 0;
    iot_status_t st = iot_keystore_find(cls, label, &id);

    if (st == IOT_ERR_NOT_FOUND) {
        return;
    }
    assert_int_equal(st, IOT_OK);
    if (cls == IOT_OBJ_PRIVATE_KEY) {
        assert_int_equal(iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, hash, 32, buf, sizeof(buf),
                                           &len), IOT_OK);
    } else if (cls == IOT_OBJ_DATA) {
        assert_int_equal(iot_keystore_load(id, buf, sizeof(buf), &len), IOT_OK);
        assert_int_equal(len, sizeof(k_fault_data));
        assert_memory_equal(buf, k_fault_data, len);
    }
}

/* Any store call may fail: the call that met the failure says so, and after
 * a restart with working storage every object is whole or absent, none is
 * reported damaged, and the store works. */
static void test_storage_failure_at_every_call(void **state)
{
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    int n;

    (void)state;
    for (n = 0; n < 500; n++) {
        char dir[600];
        iot_status_t st;

        iot_keystore_deinit();
        (void)snprintf(dir, sizeof(dir), "%s/f%d", g_root, n);
        assert_int_equal(iot_posix_store_set_dir(dir), IOT_OK);
        assert_int_equal(iot_keystore_init(), IOT_OK);
        fault_arm(n);
        st = fault_sequence();
        g_fault_at = -1;
        if (g_faults_hit == 0) {
            assert_int_equal(st, IOT_OK);
            break;
        }
        if (st == IOT_OK) {
            fail_msg("a failure of store call %d (%s) went unreported", n, g_fault_name);
        }
        iot_keystore_deinit();
        assert_int_equal(iot_keystore_init(), IOT_OK);
        assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
        assert_int_equal(stats.corrupt, 0);
        assert_whole_or_absent(IOT_OBJ_PRIVATE_KEY, "f-key");
        assert_whole_or_absent(IOT_OBJ_SECRET_KEY, "f-psk");
        assert_whole_or_absent(IOT_OBJ_DATA, "f-data");
        /* And the store takes new objects. */
        {
            iot_key_id_t id = 0;
            uint8_t buf[sizeof(k_fault_data)];
            size_t len = 0;

            assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "after", k_fault_data,
                                               sizeof(k_fault_data), 0, &id), IOT_OK);
            assert_int_equal(iot_keystore_load(id, buf, sizeof(buf), &len), IOT_OK);
            assert_int_equal(len, sizeof(k_fault_data));
        }
    }
    assert_true(n > 10 && n < 500);
    print_message("a store failure at each of %d calls: reported, nothing half-made\n", n);
}

static void test_full_store(void **state)
{
    iot_key_id_t id = 0;
    iot_key_id_t first = 0;
    iot_key_options_t o = opts_label(NULL, false);
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    uint64_t before;
    char label[16];
    size_t i;

    (void)state;
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        (void)snprintf(label, sizeof(label), "d%u", (unsigned)i);
        assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, label, label, strlen(label), 0u, &id),
                         IOT_OK);
        if (i == 0u) {
            first = id;
        }
    }
    assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
    assert_int_equal(stats.objects, IOT_CONFIG_KEYS_MAX_OBJECTS);
    assert_int_equal(stats.capacity, IOT_CONFIG_KEYS_MAX_OBJECTS);
    assert_int_equal(stats.corrupt, 0u);
    before = dir_fingerprint();
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_ERR_STORAGE_FULL);
    o.persistent = true;
    assert_int_equal(iot_key_import_private(k_p256_sec1_pem, sizeof(k_p256_sec1_pem), &o, &id),
                     IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_key_import_psk("k", 1u, &o, &id), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "more", "x", 1u, 0u, &id),
                     IOT_ERR_STORAGE_FULL);
    assert_int_equal(dir_fingerprint(), before);
    /* replacing needs no new entry */
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "d0", "new", 3u, IOT_KEYSTORE_SAVE_REPLACE,
                                       &id), IOT_OK);
    assert_int_equal(id, first);
    /* room again after a destroy */
    assert_int_equal(iot_keystore_destroy(first), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
}

/* A damaged file is reported, skipped and never overwritten; the rest of
 * the store keeps working. */
static void test_corrupted_store_file(void **state)
{
    iot_key_id_t key = 0;
    iot_key_id_t cert = 0;
    iot_key_id_t id = 0;
    iot_key_options_t o = opts_label("key", true);
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    uint8_t bytes[2048];
    uint8_t after[2048];
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t len;
    size_t sig_len = 0;
    char path[700];
    char key_path[700];
    FILE *f;
    int byte;
    size_t i;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &key), IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "cert", k_cert_pem, sizeof(k_cert_pem),
                                       0u, &cert), IOT_OK);
    iot_keystore_deinit();

    /* damage the certificate (slot 1) */
    slot_file(1u, path, sizeof(path));
    f = fopen(path, "r+b");
    assert_non_null(f);
    len = fread(bytes, 1, sizeof(bytes), f);
    assert_true(len > 100u);
    bytes[len - 7u] ^= 0x40u;
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);

    assert_int_equal(iot_keystore_init(), IOT_OK);
    assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
    assert_int_equal(stats.corrupt, 1u);
    assert_int_equal(stats.objects, 1u);
    assert_int_equal(iot_keystore_get_info(cert, &info), IOT_ERR_NOT_FOUND);
    assert_sign_verify(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);

    /* fill the store: the damaged slot is never reused */
    for (i = 0; i < IOT_CONFIG_KEYS_MAX_OBJECTS; i++) {
        char label[16];
        (void)snprintf(label, sizeof(label), "x%u", (unsigned)i);
        if (iot_keystore_save(IOT_OBJ_DATA, label, "y", 1u, 0u, &id) != IOT_OK) {
            break;
        }
    }
    assert_int_equal(i, IOT_CONFIG_KEYS_MAX_OBJECTS - 2u);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(after, 1, sizeof(after), f), len);
    (void)fclose(f);
    assert_memory_equal(after, bytes, len);

    /* a key damaged while the store runs (not yet loaded) */
    restart();
    slot_file(0u, key_path, sizeof(key_path));
    f = fopen(key_path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    byte = fgetc(f); /* flipped, not overwritten: it may hold 0x99 already */
    assert_true(byte != EOF);
    assert_int_equal(fseek(f, 40, SEEK_SET), 0);
    assert_int_equal(fputc(byte ^ 0x99, f), byte ^ 0x99);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(iot_key_sign_hash(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sizeof(sig),
                                       &sig_len), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_key_export_public(key, IOT_KEY_FORMAT_RAW, sig, sizeof(sig), &sig_len),
                     IOT_ERR_STORAGE_CORRUPT);

    /* explicit clean-up of damaged slots */
    assert_int_equal(iot_keystore_erase_corrupt(), IOT_OK);
    assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
    assert_int_equal(stats.corrupt, 0u);
    assert_true(access(path, F_OK) != 0);
}

/* A damaged id counter stops init without touching anything. */
static void test_corrupted_counter(void **state)
{
    char path[700];
    iot_key_id_t id = 0;
    uint64_t before;
    FILE *f;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &id), IOT_OK);
    iot_keystore_deinit();
    (void)snprintf(path, sizeof(path), "%s/%016llx.obj", g_dir,
                   (unsigned long long)IOT_CONFIG_KEYS_STORE_UID_BASE);
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 20, SEEK_SET), 0);
    assert_int_equal(fputc(0x7F, f), 0x7F);
    assert_int_equal(fclose(f), 0);
    before = dir_fingerprint();
    assert_int_equal(iot_keystore_init(), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(dir_fingerprint(), before);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &id), IOT_ERR_BAD_STATE);
}

/* Generating a persistent key in a process that dies part-way leaves no
 * key or a whole, working one; never a damaged record. */
static void test_crash_while_generating(void **state)
{
    int steps;
    int completed = 0;

    (void)state;
    for (steps = 0; steps < 30 && !completed; steps++) {
        iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
        iot_key_id_t id = 0;
        pid_t pid;
        int status = 0;
        size_t before = object_count();
        char label[16];

        (void)snprintf(label, sizeof(label), "k%d", steps);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            iot_key_options_t o = opts_label(label, true);
            iot_posix_store_test_crash_after = steps;
            _exit(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id) == IOT_OK ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0) {
            completed = 1;
        } else {
            assert_int_equal(WEXITSTATUS(status), IOT_POSIX_STORE_TEST_CRASH_EXIT);
        }
        restart(); /* the parent reads what the child left */
        assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
        assert_int_equal(stats.corrupt, 0u);
        if (iot_keystore_find(IOT_OBJ_PRIVATE_KEY, label, &id) == IOT_OK) {
            assert_int_equal(object_count(), before + 1u);
            assert_sign_verify(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);
            assert_int_equal(iot_keystore_destroy(id), IOT_OK);
        } else {
            assert_false(completed);
            assert_int_equal(object_count(), before);
        }
    }
    assert_true(completed);
    assert_true(steps > 6); /* the counter write and the record write were both interrupted */
}

static int run_openssl(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    FILE *p;
    size_t n;

    (void)snprintf(cmd, sizeof(cmd), "openssl %s 2>&1", args);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, cap - 1u, p);
    out[n] = '\0';
    return pclose(p);
}

static void check_csr(iot_key_id_t id, iot_sign_alg_t alg, const char *subject,
                      iot_key_format_t format, const char *expected_subject)
{
    iot_csr_options_t c = IOT_CSR_OPTIONS_INIT;
    char csr[4096];
    char path[700];
    char args[900];
    char out[2048];
    size_t len = 0;
    FILE *f;
    int rc;

    c.subject = subject;
    c.alg = alg;
    c.format = format;
    assert_int_equal(iot_key_csr(id, &c, csr, sizeof(csr), &len), IOT_OK);
    if (format == IOT_KEY_FORMAT_PEM) {
        assert_int_equal(strlen(csr), len);
        assert_true(strncmp(csr, "-----BEGIN CERTIFICATE REQUEST-----\n", 36u) == 0);
    }
    (void)snprintf(path, sizeof(path), "%s/req.csr", g_root);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(csr, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    (void)snprintf(args, sizeof(args), "req -verify -noout -inform %s -in %s",
                   format == IOT_KEY_FORMAT_PEM ? "PEM" : "DER", path);
    rc = run_openssl(args, out, sizeof(out));
    if (rc != 0 || strstr(out, "verify OK") == NULL) {
        print_error("openssl: %s\n", out);
    }
    /* OpenSSL 3.0 exits with 0 even when the signature is wrong: read its verdict. */
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "self-signature verify OK"));
    assert_null(strstr(out, "failure"));
    (void)snprintf(args, sizeof(args), "req -noout -subject -nameopt RFC2253 -inform %s -in %s",
                   format == IOT_KEY_FORMAT_PEM ? "PEM" : "DER", path);
    assert_int_equal(run_openssl(args, out, sizeof(out)), 0);
    assert_string_equal(out, expected_subject);
    /* the request carries this key's public key */
    {
        char pub[1024];
        size_t pub_len = 0;
        assert_int_equal(iot_key_export_public(id, IOT_KEY_FORMAT_PEM, pub, sizeof(pub), &pub_len),
                         IOT_OK);
        (void)snprintf(args, sizeof(args), "req -noout -pubkey -inform %s -in %s",
                       format == IOT_KEY_FORMAT_PEM ? "PEM" : "DER", path);
        assert_int_equal(run_openssl(args, out, sizeof(out)), 0);
        assert_string_equal(out, pub);
    }
}

static void test_csr_verified_by_openssl(void **state)
{
    iot_key_id_t p256 = 0;
    iot_key_id_t p384 = 0;
    iot_key_id_t rsa = 0;
    iot_key_id_t pub = 0;
    iot_key_options_t o = opts_label("rsa", true);
    iot_csr_options_t c = IOT_CSR_OPTIONS_INIT;
    char csr[4096];
    size_t len = 0;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &p256), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P384, NULL, &p384), IOT_OK);
    assert_int_equal(iot_key_import_private(k_rsa2048_pkcs1_pem, sizeof(k_rsa2048_pkcs1_pem), &o,
                                            &rsa), IOT_OK);
    check_csr(p256, IOT_SIGN_DEFAULT, "C=GB,O=Acme Ltd,CN=device-0001", IOT_KEY_FORMAT_PEM,
              "subject=CN=device-0001,O=Acme Ltd,C=GB\n");
    check_csr(p384, IOT_SIGN_DEFAULT, "CN=gw", IOT_KEY_FORMAT_DER, "subject=CN=gw\n");
    check_csr(p256, IOT_SIGN_ECDSA_SHA512,
              "C=DE, ST=Bayern, L=M\\,nchen, OU=Fleet, CN=a.b, serialNumber=42, emailAddress=x@y.z",
              IOT_KEY_FORMAT_PEM,
              "subject=emailAddress=x@y.z,serialNumber=42,CN=a.b,OU=Fleet,L=M\\,nchen,ST=Bayern,C=DE\n");
    check_csr(rsa, IOT_SIGN_RSA_PKCS1_SHA384, "O=Acme,CN=rsa-device", IOT_KEY_FORMAT_PEM,
              "subject=CN=rsa-device,O=Acme\n");
    check_csr(rsa, IOT_SIGN_DEFAULT, "CN=\xc3\xa9t\xc3\xa9", IOT_KEY_FORMAT_DER,
              "subject=CN=\\C3\\A9t\\C3\\A9\n");

    /* bad subjects and keys */
    c.subject = "CN=x,XX=y";
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_BAD_FORMAT);
    c.subject = "C=GBR";
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_BAD_FORMAT);
    c.subject = "CN=";
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_BAD_FORMAT);
    c.subject = "CN=a,";
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_BAD_FORMAT);
    c.subject = "";
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_BAD_FORMAT);
    c.subject = "CN=ok";
    assert_int_equal(iot_key_csr(p256, &c, csr, 100u, &len), IOT_ERR_BUFFER_TOO_SMALL);
    c.alg = IOT_SIGN_RSA_PKCS1_SHA256;
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_WRONG_KEY_TYPE);
    c.alg = IOT_SIGN_RSA_PSS_SHA256;
    assert_int_equal(iot_key_csr(rsa, &c, csr, sizeof(csr), &len), IOT_ERR_NOT_SUPPORTED);
    c.alg = IOT_SIGN_DEFAULT;
    o.label = "pub";
    assert_int_equal(iot_key_import_public(k_p256_pub_pem, sizeof(k_p256_pub_pem), &o, &pub),
                     IOT_OK);
    assert_int_equal(iot_key_csr(pub, &c, csr, sizeof(csr), &len), IOT_ERR_WRONG_KEY_TYPE);
    c.subject = NULL;
    assert_int_equal(iot_key_csr(p256, &c, csr, sizeof(csr), &len), IOT_ERR_INVALID_ARG);
}

static void test_usage_policy(void **state)
{
    iot_key_id_t id = 0;
    iot_key_options_t o = opts_label("verify-only", true);
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t sig_len = 0;
    iot_csr_options_t c = IOT_CSR_OPTIONS_INIT;

    (void)state;
    o.usage = IOT_KEY_USAGE_VERIFY;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    assert_int_equal(iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sizeof(sig),
                                       &sig_len), IOT_ERR_NOT_PERMITTED);
    c.subject = "CN=x";
    assert_int_equal(iot_key_csr(id, &c, sig, sizeof(sig), &sig_len), IOT_ERR_NOT_PERMITTED);
    o.label = "sign-only";
    o.usage = IOT_KEY_USAGE_SIGN;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    assert_int_equal(iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sizeof(sig),
                                       &sig_len), IOT_OK);
    assert_int_equal(iot_key_verify_hash(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sig_len),
                     IOT_ERR_NOT_PERMITTED);
    restart(); /* the policy is stored too */
    assert_int_equal(iot_key_verify_hash(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sig_len),
                     IOT_ERR_NOT_PERMITTED);
}

static void test_random(void **state)
{
    uint8_t a[32];
    uint8_t b[32];
    uint8_t zero[32];

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    memset(zero, 0, sizeof(zero));
    assert_int_equal(iot_keystore_random(a, sizeof(a)), IOT_OK);
    assert_int_equal(iot_keystore_random(b, sizeof(b)), IOT_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(iot_keystore_random(NULL, 0u), IOT_OK);
    assert_int_equal(iot_keystore_random(NULL, 1u), IOT_ERR_INVALID_ARG);
}

/* No file appears in the working directory (Mbed TLS's own PSA storage
 * would put persistent keys there). */
static void test_nothing_written_to_cwd(void **state)
{
    iot_key_id_t id = 0;
    iot_key_options_t o = opts_label("p", true);
    DIR *d;
    struct dirent *e;
    int files = 0;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    assert_sign_verify(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);
    restart();
    assert_sign_verify(id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);
    d = opendir(".");
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            files++;
        }
    }
    (void)closedir(d);
    assert_int_equal(files, 0);
}

typedef struct {
    iot_key_id_t id;
    int failures;
} worker_t;

static void *sign_worker(void *arg)
{
    worker_t *w = arg;
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    uint8_t rnd[16];
    size_t sig_len = 0;
    int i;

    for (i = 0; i < 40; i++) {
        if (iot_key_sign_hash(w->id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sizeof(sig),
                              &sig_len) != IOT_OK ||
            iot_key_verify_hash(w->id, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u, sig, sig_len) !=
                IOT_OK ||
            iot_keystore_random(rnd, sizeof(rnd)) != IOT_OK) {
            w->failures++;
        }
    }
    return NULL;
}

/* Several threads use the store at once (PSA calls are serialised). */
static void test_concurrent_use(void **state)
{
    pthread_t t[4];
    worker_t w[4];
    iot_key_id_t shared = 0;
    iot_key_id_t own = 0;
    int i;

    (void)state;
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &shared), IOT_OK);
    restart(); /* so that the first uses race to load the key */
    for (i = 0; i < 4; i++) {
        w[i].failures = 0;
        w[i].id = shared;
        if (i >= 2) {
            assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &own), IOT_OK);
            w[i].id = own;
        }
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, sign_worker, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
}

static void test_tags(void **state)
{
    static const uint8_t tag[3] = { 0x01, 0x00, 0xAB };
    uint8_t big[IOT_KEY_TAG_MAX + 1];
    uint8_t buf[IOT_KEY_TAG_MAX];
    iot_key_id_t key = 0;
    iot_key_id_t vol = 0;
    iot_key_id_t cert = 0;
    iot_key_options_t o = opts_label("tagged", true);
    iot_key_options_t v = opts_label("tagged-volatile", false);
    size_t n = 99;
    uint64_t before;

    (void)state;
    memset(big, 0x5A, sizeof(big));
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &key), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &v, &vol), IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "tagged-cert", k_cert_pem,
                                       sizeof(k_cert_pem), 0u, &cert), IOT_OK);
    /* no tag yet */
    assert_int_equal(iot_keystore_get_tag(key, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 0u);
    assert_int_equal(iot_keystore_set_tag(key, tag, sizeof(tag)), IOT_OK);
    assert_int_equal(iot_keystore_set_tag(vol, tag, 2u), IOT_OK);
    assert_int_equal(iot_keystore_set_tag(cert, big, IOT_KEY_TAG_MAX), IOT_OK);

    /* bad input changes nothing, on disk either */
    before = dir_fingerprint();
    assert_int_equal(iot_keystore_set_tag(key, big, sizeof(big)), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_set_tag(key, NULL, 1u), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_set_tag(12345u, tag, 1u), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_keystore_get_tag(key, buf, 2u, &n), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(n, sizeof(tag));
    assert_int_equal(iot_keystore_get_tag(key, NULL, 1u, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_tag(key, buf, sizeof(buf), NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_keystore_get_tag(12345u, buf, sizeof(buf), &n), IOT_ERR_NOT_FOUND);
    assert_true(dir_fingerprint() == before);

    /* persistent tags survive a restart; the key still signs */
    restart();
    assert_int_equal(iot_keystore_get_tag(key, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, sizeof(tag));
    assert_memory_equal(buf, tag, sizeof(tag));
    assert_int_equal(iot_keystore_get_tag(cert, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, IOT_KEY_TAG_MAX);
    assert_memory_equal(buf, big, IOT_KEY_TAG_MAX);
    assert_sign_verify(key, IOT_SIGN_ECDSA_SHA256, k_hash32, 32u);

    /* replacing a certificate keeps its tag; removing the tag is persisted */
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "tagged-cert", k_cert_pem,
                                       sizeof(k_cert_pem), IOT_KEYSTORE_SAVE_REPLACE, NULL),
                     IOT_OK);
    assert_int_equal(iot_keystore_get_tag(cert, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, IOT_KEY_TAG_MAX);
    assert_int_equal(iot_keystore_set_tag(key, NULL, 0u), IOT_OK);
    restart();
    assert_int_equal(iot_keystore_get_tag(key, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, 0u);
    assert_int_equal(iot_keystore_get_tag(vol, buf, sizeof(buf), &n), IOT_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_before_init),
        cmocka_unit_test_setup_teardown(test_generate_ec_sign_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_rsa_sign_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_formats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_and_import_public, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_are_not_exportable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence_across_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificates_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_leaves_store_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_failure_at_every_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_store_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_while_generating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csr_verified_by_openssl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_written_to_cwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags, setup, teardown),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
