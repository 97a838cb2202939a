/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port store over PSA Internal Trusted Storage (ports/common/psa/
 * port_store_its.c) and the entropy over psa_generate_random
 * (ports/common/psa/port_entropy_psa.c): the store and entropy source of a
 * build whose PSA services come from the platform (a board with TF-M).
 * Here the ITS provider is the one Mbed TLS builds in (files in the current
 * directory, IOT_PSA_ITS_MBEDTLS_BUILTIN), so this test runs in an empty
 * directory of its own. Both files replace the posix port's store and
 * entropy in this executable (the linker takes them before the library's).
 *
 * Checked: the port store contract (port.h) call by call, damaged and
 * truncated ITS objects reported as IOT_ERR_STORAGE_CORRUPT and left as
 * they are, a failing ITS write reported as IOT_ERR_IO with the old value
 * kept, and the key store (src/keys) over it across a restart.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>

#include <psa/crypto.h>

#define UID_A 0x4B000101u
#define UID_B 0x4B000102u

static char g_root[256];
static char g_cwd_before[512];

static void quiet_sink(iot_log_level_t level, const char *module, const char *line, size_t len,
                       void *user)
{
    (void)level;
    (void)module;
    (void)line;
    (void)len;
    (void)user;
}

/* The file Mbed TLS's ITS keeps an object in (current directory). */
static void its_file(iot_port_store_uid_t uid, char *name, size_t cap)
{
    (void)snprintf(name, cap, "%08x%08x.psa_its", (unsigned)(uid >> 32),
                   (unsigned)(uid & 0xffffffffu));
}

static void remove_all(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char p[600];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        (void)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (rmdir(p) != 0) {
            (void)unlink(p);
        }
    }
    (void)closedir(d);
}

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    iot_log_set_sink(quiet_sink, NULL);
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-its-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL || getcwd(g_cwd_before, sizeof(g_cwd_before)) == NULL ||
        chdir(g_root) != 0) {
        return -1;
    }
    return (psa_crypto_init() == PSA_SUCCESS) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (chdir(g_cwd_before) != 0) {
        return -1;
    }
    remove_all(g_root);
    return rmdir(g_root);
}

static void test_set_get_info_remove(void **state)
{
    static const char v1[] = "first value of the object";
    static const char v2[] = "second";
    char buf[64];
    size_t n = 99;
    size_t size = 0;

    (void)state;
    assert_int_equal(iot_port_store_get_info(UID_A, &size), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_remove(UID_A), IOT_ERR_NOT_FOUND);

    assert_int_equal(iot_port_store_set(UID_A, v1, sizeof(v1)), IOT_OK);
    assert_int_equal(iot_port_store_get_info(UID_A, &size), IOT_OK);
    assert_int_equal(size, sizeof(v1));
    memset(buf, 0, sizeof(buf));
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_OK);
    assert_int_equal(n, sizeof(v1)); /* clamped to the object's size */
    assert_memory_equal(buf, v1, sizeof(v1));

    /* part of it, from an offset */
    assert_int_equal(iot_port_store_get(UID_A, 6, 5, buf, &n), IOT_OK);
    assert_int_equal(n, 5u);
    assert_memory_equal(buf, "value", 5);
    /* at the end: nothing; past the end: refused */
    assert_int_equal(iot_port_store_get(UID_A, sizeof(v1), 4, buf, &n), IOT_OK);
    assert_int_equal(n, 0u);
    assert_int_equal(iot_port_store_get(UID_A, sizeof(v1) + 1u, 4, buf, &n), IOT_ERR_INVALID_ARG);

    /* replaced by a shorter value, whole */
    assert_int_equal(iot_port_store_set(UID_A, v2, sizeof(v2)), IOT_OK);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_OK);
    assert_int_equal(n, sizeof(v2));
    assert_memory_equal(buf, v2, sizeof(v2));

    /* a second object does not disturb the first; an empty object exists */
    assert_int_equal(iot_port_store_set(UID_B, NULL, 0), IOT_OK);
    assert_int_equal(iot_port_store_get_info(UID_B, &size), IOT_OK);
    assert_int_equal(size, 0u);
    assert_int_equal(iot_port_store_get(UID_B, 0, sizeof(buf), buf, &n), IOT_OK);
    assert_int_equal(n, 0u);

    assert_int_equal(iot_port_store_remove(UID_A), IOT_OK);
    assert_int_equal(iot_port_store_get_info(UID_A, &size), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_get_info(UID_B, &size), IOT_OK);
    assert_int_equal(iot_port_store_remove(UID_B), IOT_OK);
}

static void test_bad_arguments(void **state)
{
    char buf[8];
    size_t n = 0;

    (void)state;
    assert_int_equal(iot_port_store_set(0, "x", 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_set(UID_A, NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get(0, 0, 1, buf, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get(UID_A, 0, 1, NULL, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get(UID_A, 0, 1, buf, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get_info(0, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get_info(UID_A, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_remove(0), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get_info(UID_A, &n), IOT_ERR_NOT_FOUND); /* nothing made */
}

/* Bytes of a file, for "left as it is" checks. */
static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(name, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap, f);
    (void)fclose(f);
    return n;
}

static void write_file(const char *name, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(name, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_damaged_objects(void **state)
{
    static const char value[] = "a value that will be damaged";
    char name[64];
    uint8_t before[256];
    uint8_t after[256];
    char buf[64];
    size_t len;
    size_t n = 0;
    size_t size = 0;

    (void)state;
    its_file(UID_A, name, sizeof(name));
    assert_int_equal(iot_port_store_set(UID_A, value, sizeof(value)), IOT_OK);
    len = read_file(name, before, sizeof(before));
    assert_true(len > sizeof(value)); /* header + value */

    /* truncated: the header promises more bytes than the file holds. Mbed
     * TLS's ITS reports the short read as PSA_ERROR_STORAGE_FAILURE, which
     * the port store passes on as IOT_ERR_IO (port.h: "could not be read"). */
    write_file(name, before, len - 4u);
    assert_int_equal(iot_port_store_get_info(UID_A, &size), IOT_OK);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_ERR_IO);
    assert_int_equal(read_file(name, after, sizeof(after)), len - 4u); /* left as it is */

    /* a damaged header */
    memcpy(after, before, len);
    after[0] ^= 0x5au;
    write_file(name, after, len);
    assert_int_equal(iot_port_store_get_info(UID_A, &size), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(read_file(name, before, sizeof(before)), len);
    assert_memory_equal(before, after, len);

    /* a new value replaces the damaged object */
    assert_int_equal(iot_port_store_set(UID_A, value, sizeof(value)), IOT_OK);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_OK);
    assert_int_equal(n, sizeof(value));
    assert_memory_equal(buf, value, sizeof(value));
    assert_int_equal(iot_port_store_remove(UID_A), IOT_OK);
}

static void test_failed_write_keeps_old_value(void **state)
{
    static const char old_value[] = "old";
    char buf[16];
    size_t n = 0;

    (void)state;
    assert_int_equal(iot_port_store_set(UID_A, old_value, sizeof(old_value)), IOT_OK);
    /* Mbed TLS's ITS writes through one temporary file: a directory in its
     * place makes every write fail (also for root, unlike permissions). It
     * holds a file, because a failed write removes its temporary file, and
     * remove() would take an empty directory with it. */
    assert_int_equal(mkdir("tempfile.psa_its", 0700), 0);
    write_file("tempfile.psa_its/keep", (const uint8_t *)"x", 1);
    assert_int_equal(iot_port_store_set(UID_A, "new value", 10), IOT_ERR_IO);
    assert_int_equal(iot_port_store_set(UID_B, "other", 6), IOT_ERR_IO);
    assert_int_equal(unlink("tempfile.psa_its/keep"), 0);
    assert_int_equal(rmdir("tempfile.psa_its"), 0);
    assert_int_equal(iot_port_store_get(UID_A, 0, sizeof(buf), buf, &n), IOT_OK);
    assert_int_equal(n, sizeof(old_value));
    assert_memory_equal(buf, old_value, sizeof(old_value));
    assert_int_equal(iot_port_store_get_info(UID_B, &n), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_remove(UID_A), IOT_OK);
}

static void test_key_store_over_its(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    iot_key_id_t found = IOT_KEY_ID_NONE;
    uint8_t hash[32];
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    size_t sig_len = 0;
    static const char cert[] = "not parsed: an opaque object";
    iot_key_id_t cert_id = IOT_KEY_ID_NONE;
    char buf[64];
    size_t n = 0;

    (void)state;
    memset(hash, 0x42, sizeof(hash));
    o.label = "device";
    o.persistent = true;
    assert_int_equal(iot_keystore_init(), IOT_OK);
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &id), IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_DATA, "blob", cert, sizeof(cert), 0u, &cert_id),
                     IOT_OK);
    assert_int_equal(iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig,
                                       sizeof(sig), &sig_len), IOT_OK);

    /* a restart reads everything back from ITS */
    iot_keystore_deinit();
    assert_int_equal(iot_keystore_init(), IOT_OK);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "device", &found), IOT_OK);
    assert_int_equal(found, id);
    assert_int_equal(iot_key_verify_hash(id, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig,
                                         sig_len), IOT_OK);
    sig[5] ^= 1u;
    assert_int_equal(iot_key_verify_hash(id, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig,
                                         sig_len), IOT_ERR_BAD_SIGNATURE);
    assert_int_equal(iot_keystore_find(IOT_OBJ_DATA, "blob", &found), IOT_OK);
    assert_int_equal(iot_keystore_load(found, buf, sizeof(buf), &n), IOT_OK);
    assert_int_equal(n, sizeof(cert));
    assert_memory_equal(buf, cert, sizeof(cert));

    assert_int_equal(iot_keystore_destroy(id), IOT_OK);
    assert_int_equal(iot_keystore_destroy(cert_id), IOT_OK);
    iot_keystore_deinit();
    assert_int_equal(iot_keystore_init(), IOT_OK);
    assert_int_equal(iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "device", &found), IOT_ERR_NOT_FOUND);
    iot_keystore_deinit();
}

static void test_entropy_from_psa(void **state)
{
    uint8_t a[32];
    uint8_t b[32];
    static const uint8_t zero[32];

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(iot_port_entropy(a, sizeof(a)), IOT_OK);
    assert_int_equal(iot_port_entropy(b, sizeof(b)), IOT_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(iot_port_entropy(NULL, 0), IOT_OK);
    assert_int_equal(iot_port_entropy(NULL, 1), IOT_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_info_remove),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_damaged_objects),
        cmocka_unit_test(test_failed_write_keeps_old_value),
        cmocka_unit_test(test_key_store_over_its),
        cmocka_unit_test(test_entropy_from_psa),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
