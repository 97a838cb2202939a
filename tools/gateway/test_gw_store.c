/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's device database in its own key store (gw_store.c), built
 * against the gateway's copy of the key store (32768 objects):
 * - 300 devices imported (600 objects, far more than PSA's 32 key slots),
 *   indexed after a restart of the store; every PSK reaches a handshake with
 *   the right bytes and every attestation MAC is right (checked against
 *   Mbed TLS with the known keys), in an order that makes the store drop and
 *   reload PSA copies again and again;
 * - import refusals: duplicate identity, bad lines; a device whose PSK
 *   object is damaged is refused with IOT_ERR_STORAGE_CORRUPT while the
 *   others keep working; remove. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/md.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>

#include <corstone_iot/keys.h>

#include "gateway.h"

#define DEVICES 300

static char g_dir[256];

static void key_of(unsigned i, uint8_t tag, uint8_t out[32])
{
    for (unsigned b = 0; b < 32u; b++) {
        out[b] = (uint8_t)(tag ^ (i * 31u + b * 7u) ^ (i >> 8));
    }
}

static void write_db(const char *path, unsigned from, unsigned to)
{
    FILE *f = fopen(path, "w");
    char hex[65];
    uint8_t k[32];

    assert_non_null(f);
    fprintf(f, "# test devices\n\n");
    for (unsigned i = from; i < to; i++) {
        fprintf(f, "dev-%u ", i);
        key_of(i, 0xA5u, k);
        gw_hex_encode(k, 32, hex);
        fprintf(f, "%s hmac:", hex);
        key_of(i, 0x3Cu, k);
        gw_hex_encode(k, 32, hex);
        fprintf(f, "%s\n", hex);
    }
    fclose(f);
}

static gw_config_t make_cfg(void)
{
    gw_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    (void)snprintf(cfg.key_store, sizeof(cfg.key_store), "%s/store", g_dir);
    return cfg;
}

static int run_cmd(const char *a0, const char *a1)
{
    gw_config_t cfg = make_cfg();
    char *argv[2] = { (char *)a0, (char *)a1 };
    return gw_store_command(&cfg, a1 != NULL ? 2 : 1, argv);
}

static void test_fleet_store(void **state)
{
    char db[300];
    gw_config_t cfg = make_cfg();
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    uint8_t msg[100];
    char reason[160];

    (void)state;
    (void)snprintf(db, sizeof(db), "%s/devices.txt", g_dir);
    write_db(db, 0, DEVICES);
    assert_int_equal(run_cmd("import", db), 0);

    assert_int_equal(gw_store_open(&cfg), 0);
    assert_int_equal(cfg.device_count, DEVICES);
    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    assert_int_equal(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT), 0);
    assert_int_equal(mbedtls_ssl_setup(&ssl, &conf), 0);
    memset(msg, 0x42, sizeof(msg));
    /* Two passes with a stride, so PSA's slots are refilled many times. */
    for (unsigned pass = 0; pass < 2u; pass++) {
        for (unsigned n = 0; n < DEVICES; n++) {
            unsigned i = (n * 37u + pass) % DEVICES;
            char id[32];
            uint8_t want[32];
            uint8_t mac[32];
            uint8_t ref[32];
            const gw_device_t *d;

            (void)snprintf(id, sizeof(id), "dev-%u", i);
            d = gw_config_find_device(&cfg, id, strlen(id));
            assert_non_null(d);
            assert_int_equal(d->attest_kind, GW_ATTEST_HMAC);
            assert_int_equal(d->psk_len, 0);        /* the index holds no secret */
            assert_int_equal(d->attest_key_len, 0);
            assert_int_equal(gw_store_set_hs_psk(d, &ssl, reason, sizeof(reason)), 0);
            key_of(i, 0xA5u, want);
            assert_int_equal(ssl.handshake->psk_len, 32);
            assert_memory_equal(ssl.handshake->psk, want, 32);
            assert_int_equal(gw_store_attest_hmac(d, msg, sizeof(msg), mac), 0);
            key_of(i, 0x3Cu, want);
            assert_int_equal(mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), want, 32, msg,
                                             sizeof(msg), ref), 0);
            assert_memory_equal(mac, ref, 32);
        }
    }
    assert_null(gw_config_find_device(&cfg, "dev-300", 7));
    assert_null(gw_config_find_device(&cfg, "dev-1\0x", 7));

    /* A damaged PSK object: that device refused with the store's reason. */
    {
        const gw_device_t *d = gw_config_find_device(&cfg, "dev-299", 7);
        const gw_device_t *other = gw_config_find_device(&cfg, "dev-298", 7);
        char cmd[600];
        assert_non_null(d);
        (void)snprintf(cmd, sizeof(cmd),
                       "f=$(grep -l 'psk:dev-299' %s/store/*.obj) && [ $(echo \"$f\" | wc -l) -eq 1 ] && "
                       "printf '\\377' | dd of=\"$f\" bs=1 seek=$(($(stat -c %%s \"$f\") - 1)) conv=notrunc status=none",
                       g_dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(gw_store_set_hs_psk(d, &ssl, reason, sizeof(reason)), -1);
        assert_non_null(strstr(reason, "IOT_ERR_STORAGE_CORRUPT"));
        assert_int_equal(gw_store_set_hs_psk(other, &ssl, reason, sizeof(reason)), 0);
    }
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    gw_store_close(&cfg);
    gw_config_free(&cfg);

    /* Restarted over the damaged object: dev-299 is left out, the rest stay. */
    cfg = make_cfg();
    assert_int_equal(gw_store_open(&cfg), 0);
    assert_int_equal(cfg.device_count, DEVICES - 1);
    assert_null(gw_config_find_device(&cfg, "dev-299", 7));
    assert_non_null(gw_config_find_device(&cfg, "dev-298", 7));
    gw_store_close(&cfg);
    gw_config_free(&cfg);
}

static void test_import_refusals_and_remove(void **state)
{
    char db[300];
    FILE *f;
    gw_config_t cfg;

    (void)state;
    (void)snprintf(db, sizeof(db), "%s/more.txt", g_dir);
    f = fopen(db, "w");
    assert_non_null(f);
    fprintf(f, "dev-1 0011 hmac:0011\n");                  /* already there */
    fprintf(f, "dev-odd 001 hmac:0011\n");                 /* odd hex */
    fprintf(f, "dev-kind 0011 rsa:0011\n");                /* unknown key kind */
    fprintf(f, "dev-short 0011 es256:0411\n");             /* not a point */
    fprintf(f, "%s 0011 hmac:0011\n",
            "a-name-that-is-much-longer-than-fifty-seven-bytes-allows-x"); /* 58 bytes */
    fprintf(f, "dev-extra 0011 hmac:0011 extra\n");
    fprintf(f, "dev-new 0011 hmac:0011\n");                 /* fine */
    fclose(f);
    assert_int_equal(run_cmd("import", db), 1);
    cfg = make_cfg();
    assert_int_equal(gw_store_open(&cfg), 0);
    assert_int_equal(cfg.device_count, DEVICES); /* DEVICES - 1 (damaged) + dev-new */
    assert_non_null(gw_config_find_device(&cfg, "dev-new", 7));
    assert_null(gw_config_find_device(&cfg, "dev-odd", 7));
    gw_store_close(&cfg);
    gw_config_free(&cfg);

    assert_int_equal(run_cmd("remove", "dev-new"), 0);
    assert_int_equal(run_cmd("remove", "dev-new"), 1);
    assert_int_equal(run_cmd("import", "/nonexistent/file"), 1);
    assert_int_equal(run_cmd("frobnicate", "x"), 2);
    assert_int_equal(run_cmd("list", NULL), 0);
    cfg = make_cfg();
    assert_int_equal(gw_store_open(&cfg), 0);
    assert_int_equal(cfg.device_count, DEVICES - 1);
    gw_store_close(&cfg);
    gw_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet_store),
        cmocka_unit_test(test_import_refusals_and_remove),
    };
    char cmd[300];
    int rc;

    (void)snprintf(g_dir, sizeof(g_dir), "%s/gw-store-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        return 1;
    }
    gw_log_level = GW_LOG_ERROR;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        rc = rc == 0 ? 1 : rc;
    }
    return rc;
}
