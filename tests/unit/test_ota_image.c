/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the MCUboot image verifier (src/ota/ota_image.c) against
 * images signed by MCUboot's imgtool and by iot-imgsign, every rejection
 * reason, and 100 random single-byte corruptions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "ota/ota_image.h"

#include <psa/crypto.h>

#ifndef IOT_TEST_OTA_VECTORS
#error "IOT_TEST_OTA_VECTORS must name tests/ota"
#endif
#ifndef IOT_TEST_IMGSIGN
#error "IOT_TEST_IMGSIGN must name the iot-imgsign tool"
#endif

#define VEC(name) IOT_TEST_OTA_VECTORS "/" name
#define IMAGE_MAX 8192

static char g_root[64];
static iot_key_id_t g_key;
static uint8_t g_key_hash[1][32];

/* An image in memory. */
typedef struct {
    uint8_t b[IMAGE_MAX];
    size_t len;
} image_t;

static image_t g_img;

/* ---- helpers --------------------------------------------------------- */

static size_t load_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap, f);
    assert_true(n < cap); /* the whole file fits */
    fclose(f);
    return n;
}

static iot_status_t read_mem(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
    const image_t *img = ctx;

    if (offset > img->len || len > img->len - offset) {
        memset(buf, 0, len); /* like a slot: past the end reads as erased */
        if (offset < img->len) {
            memcpy(buf, img->b + offset, img->len - offset);
        }
        return IOT_OK;
    }
    memcpy(buf, img->b + offset, len);
    return IOT_OK;
}

static iot_ota_reason_t verify(const image_t *img, ota_image_result_t *res)
{
    iot_status_t io = IOT_ERR_INTERNAL;
    ota_image_result_t local;
    iot_ota_reason_t r = ota_image_verify(read_mem, (void *)img, (uint32_t)img->len, &g_key,
                                          (const uint8_t(*)[32])g_key_hash, 1,
                                          res ? res : &local, &io);

    if (r != IOT_OTA_REASON_STORAGE) {
        assert_int_equal(io, IOT_OK);
    }
    return r;
}

/* Run iot-imgsign with `args` on payload.bin into `out`. */
static void imgsign(const char *key, const char *args, const char *out)
{
    char cmd[1024];
    int n = snprintf(cmd, sizeof(cmd), "'%s' sign --key '%s' %s '%s' '%s'", IOT_TEST_IMGSIGN, key,
                     args, VEC("payload.bin"), out);

    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    assert_int_equal(system(cmd), 0);
}

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Offset of the unprotected TLV area of a well-formed image. */
static size_t unprot_off(const image_t *img)
{
    return (size_t)rd16(img->b + 8) + rd32(img->b + 12) + rd16(img->b + 10);
}

static int setup(void **state)
{
    char dir[128];
    uint8_t pem[1024];
    uint8_t spki[128];
    size_t len;
    size_t hlen;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;

    (void)state;
    strcpy(g_root, "/tmp/iot-ota-img-XXXXXX");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/store", g_root);
    if (iot_posix_store_set_dir(dir) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return -1;
    }
    len = load_file(VEC("test-key-p256.pub.pem"), pem, sizeof(pem));
    o.persistent = false;
    o.usage = IOT_KEY_USAGE_VERIFY;
    if (iot_key_import_public(pem, len, &o, &g_key) != IOT_OK) {
        return -1;
    }
    if (iot_key_export_public(g_key, IOT_KEY_FORMAT_DER, spki, sizeof(spki), &len) != IOT_OK ||
        psa_hash_compute(PSA_ALG_SHA_256, spki, len, g_key_hash[0], 32, &hlen) != PSA_SUCCESS) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    iot_keystore_deinit();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_root);
    return system(cmd) == 0 ? 0 : -1;
}

static void load_vector(const char *name)
{
    g_img.len = load_file(name, g_img.b, sizeof(g_img.b));
}

/* ---- imgtool compatibility -------------------------------------------- */

static void test_accepts_imgtool_images(void **state)
{
    ota_image_result_t res;
    size_t i;

    (void)state;
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    assert_int_equal(verify(&g_img, &res), IOT_OTA_REASON_NONE);
    assert_int_equal(res.header.hdr_size, 0x400);
    assert_int_equal(res.header.img_size, 3000);
    assert_int_equal(res.header.protect_tlv_size, 12);
    assert_int_equal(res.header.version.major, 1);
    assert_int_equal(res.header.version.minor, 2);
    assert_int_equal(res.header.version.revision, 3);
    assert_int_equal(res.header.version.build, 4);
    assert_true(res.has_security_counter);
    assert_int_equal(res.security_counter, 7);
    for (i = 32; i < 0x400; i++) {
        assert_int_equal(g_img.b[i], 0xFF); /* imgtool pads with the erased value */
    }

    load_vector(VEC("imgtool-2.0.0.bin"));
    assert_int_equal(verify(&g_img, &res), IOT_OTA_REASON_NONE);
    assert_int_equal(res.header.protect_tlv_size, 0);
    assert_false(res.has_security_counter);
    assert_int_equal(res.security_counter, 0);
    assert_int_equal(res.header.version.major, 2);
}

/* iot-imgsign with imgtool's arguments: the same bytes but the signature. */
static void compare_with_imgtool(const char *vector, const char *args)
{
    char out[160];
    image_t *ours = malloc(sizeof(*ours));
    size_t u;
    size_t sig_off;

    assert_non_null(ours);
    snprintf(out, sizeof(out), "%s/ours.bin", g_root);
    imgsign(VEC("test-key-p256.pem"), args, out);
    ours->len = load_file(out, ours->b, sizeof(ours->b));
    load_vector(vector);

    u = unprot_off(&g_img);
    assert_int_equal(unprot_off(ours), u);
    /* Header, padding, image and protected TLVs: identical. */
    assert_memory_equal(ours->b, g_img.b, u);
    /* Unprotected area: magic; length differs only by the signature length. */
    assert_int_equal(rd16(ours->b + u), 0x6907);
    sig_off = u + 4 + (4 + 32) + (4 + 32);
    assert_int_equal(rd16(ours->b + u + 2), 4 + 36 + 36 + 4 + rd16(ours->b + sig_off + 2));
    assert_int_equal(rd16(g_img.b + u + 2), 4 + 36 + 36 + 4 + rd16(g_img.b + sig_off + 2));
    /* SHA-256 and key hash entries: identical. */
    assert_memory_equal(ours->b + u + 4, g_img.b + u + 4, 72);
    /* Signature entry: type 0x22, a DER ECDSA signature; both verify. */
    assert_int_equal(rd16(ours->b + sig_off), 0x22);
    assert_int_equal(ours->len, sig_off + 4 + rd16(ours->b + sig_off + 2));
    assert_int_equal(verify(ours, NULL), IOT_OTA_REASON_NONE);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_NONE);
    free(ours);
}

static void test_imgsign_matches_imgtool(void **state)
{
    (void)state;
    compare_with_imgtool(VEC("imgtool-1.2.3+4-sc7.bin"),
                         "--version 1.2.3+4 --header-size 0x400 --pad-header "
                         "--security-counter 7 --slot-size 0x20000");
    compare_with_imgtool(VEC("imgtool-2.0.0.bin"),
                         "--version 2.0.0 --header-size 0x400 --pad-header --slot-size 0x20000");
}

/* An independent check of iot-imgsign's signature and key hash: OpenSSL
 * verifies the DER signature over the SHA-256 of [0, U) with the public
 * key, and hashes the key's DER SubjectPublicKeyInfo. */
static void test_imgsign_checked_by_openssl(void **state)
{
    char path[160];
    char cmd[1024];
    image_t *img = malloc(sizeof(*img));
    uint8_t keyhash[32];
    size_t u;
    size_t sig_off;
    FILE *f;

    (void)state;
    assert_non_null(img);
    snprintf(path, sizeof(path), "%s/ossl.bin", g_root);
    imgsign(VEC("test-key-p256.pem"),
            "--version 3.1.4+1 --header-size 0x200 --pad-header --security-counter 9", path);
    img->len = load_file(path, img->b, sizeof(img->b));
    u = unprot_off(img);
    sig_off = u + 4 + 36 + 36;
    assert_int_equal(rd16(img->b + sig_off), 0x22);

    snprintf(path, sizeof(path), "%s/ossl.signed", g_root);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img->b, 1, u, f), u);
    fclose(f);
    snprintf(path, sizeof(path), "%s/ossl.sig", g_root);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img->b + sig_off + 4, 1, rd16(img->b + sig_off + 2), f),
                     rd16(img->b + sig_off + 2));
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -verify '%s' -signature '%s/ossl.sig' '%s/ossl.signed' "
             "> /dev/null",
             VEC("test-key-p256.pub.pem"), g_root, g_root);
    assert_int_equal(system(cmd), 0);

    snprintf(cmd, sizeof(cmd),
             "openssl pkey -pubin -in '%s' -outform DER | openssl dgst -sha256 -binary > "
             "'%s/ossl.keyhash'",
             VEC("test-key-p256.pub.pem"), g_root);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/ossl.keyhash", g_root);
    assert_int_equal(load_file(path, keyhash, sizeof(keyhash) + 1), 32);
    assert_int_equal(rd16(img->b + u + 4 + 36), 0x01);
    assert_memory_equal(img->b + u + 4 + 36 + 4, keyhash, 32);
    assert_int_equal(verify(img, NULL), IOT_OTA_REASON_NONE);

    /* The same check fails on a changed byte (the check can fail). */
    snprintf(path, sizeof(path), "%s/ossl.signed", g_root);
    img->b[100] ^= 1;
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(img->b, 1, u, f), u);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -verify '%s' -signature '%s/ossl.sig' '%s/ossl.signed' "
             "> /dev/null 2>&1",
             VEC("test-key-p256.pub.pem"), g_root, g_root);
    assert_int_not_equal(system(cmd), 0);
    free(img);
}

static void test_imgsign_rejects_bad_arguments(void **state)
{
    char cmd[512];
    char out[160];

    (void)state;
    snprintf(out, sizeof(out), "%s/bad.bin", g_root);
    /* Image + trailer larger than the slot. */
    snprintf(cmd, sizeof(cmd),
             "'%s' sign --key '%s' --version 1.0.0 --header-size 0x400 --pad-header "
             "--slot-size 0x1000 '%s' '%s' 2>/dev/null",
             IOT_TEST_IMGSIGN, VEC("test-key-p256.pem"), VEC("payload.bin"), out);
    assert_int_not_equal(system(cmd), 0);
    /* A malformed version. */
    snprintf(cmd, sizeof(cmd),
             "'%s' sign --key '%s' --version 1.x --header-size 0x400 --pad-header '%s' '%s' "
             "2>/dev/null",
             IOT_TEST_IMGSIGN, VEC("test-key-p256.pem"), VEC("payload.bin"), out);
    assert_int_not_equal(system(cmd), 0);
    /* Without --pad-header the input must start with header-size zeros. */
    snprintf(cmd, sizeof(cmd),
             "'%s' sign --key '%s' --version 1.0.0 --header-size 0x400 '%s' '%s' 2>/dev/null",
             IOT_TEST_IMGSIGN, VEC("test-key-p256.pem"), VEC("payload.bin"), out);
    assert_int_not_equal(system(cmd), 0);
}

/* ---- rejections ----------------------------------------------------------- */

static void test_rejects_truncated_and_overlong(void **state)
{
    (void)state;
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.len -= 1;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_TRUNCATED);
    g_img.len = 31;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_TRUNCATED);
    g_img.len = 0x400 + 100; /* ends inside the image */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_TRUNCATED);

    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[g_img.len] = 0;
    g_img.len += 1;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_TOO_LONG);
}

static void test_rejects_bad_header(void **state)
{
    (void)state;
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[0] ^= 1; /* magic */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_HEADER);

    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    le16(g_img.b + 8, 16); /* header size below 32 */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_HEADER);

    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[16] |= 0x04; /* encrypted (AES-128) */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_HEADER);
}

static void test_rejects_hash_key_and_signature(void **state)
{
    char out[160];
    size_t u;
    size_t sig_off;

    (void)state;
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[0x400 + 10] ^= 0x80; /* an image byte */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_HASH_MISMATCH);

    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[20] = 9; /* the version in the header is hashed too */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_HASH_MISMATCH);

    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    g_img.b[u + 4 + 4 + 36 + 5] ^= 1; /* key hash value */
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_UNKNOWN_KEY);

    /* Signed by a key the device does not trust. */
    snprintf(out, sizeof(out), "%s/other.bin", g_root);
    imgsign(VEC("other-key-p256.pem"), "--version 1.0.0 --header-size 0x400 --pad-header", out);
    g_img.len = load_file(out, g_img.b, sizeof(g_img.b));
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_UNKNOWN_KEY);

    /* A signature that is valid DER but wrong: flip the last byte of s. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    g_img.b[g_img.len - 1] ^= 0x01;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_SIGNATURE);

    /* A signature that is not DER. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    sig_off = unprot_off(&g_img) + 4 + 36 + 36;
    g_img.b[sig_off + 4] = 0x31;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_SIGNATURE);
}

static void test_rejects_malformed_tlvs(void **state)
{
    size_t u;
    size_t p;

    (void)state;
    /* Unprotected area: wrong magic. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    g_img.b[u] = 0x08;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);

    /* An entry whose length runs past the area. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    le16(g_img.b + u + 4 + 2, 0x7FFF);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);

    /* SHA-256 entry of the wrong length (the rest re-laid to stay in bounds). */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    le16(g_img.b + u + 4 + 2, 31);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);

    /* The SHA-256 entry renamed: a required entry is missing. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    g_img.b[u + 4] = 0x7E;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);

    /* A security counter in the unprotected area (nothing vouches for it). */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    u = unprot_off(&g_img);
    g_img.b[u + 4 + 36] = 0x50;
    le16(g_img.b + u + 4 + 36 + 2, 32);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);

    /* Protected area: wrong magic, then a length that disagrees with the header. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    p = 0x400 + 3000;
    g_img.b[p] = 0x07;
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    le16(g_img.b + p + 2, 16);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);
    /* A security counter of the wrong size. */
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    le16(g_img.b + p + 4 + 2, 3);
    assert_int_equal(verify(&g_img, NULL), IOT_OTA_REASON_BAD_TLV);
}

/* 100 random single-byte corruptions (seeded): every one is refused. */
static void test_random_corruptions_rejected(void **state)
{
    image_t *orig = malloc(sizeof(*orig));
    uint32_t seed = 0x5eed0ca7u;
    int hist[IOT_OTA_REASON_STORAGE + 1];
    int i;

    (void)state;
    assert_non_null(orig);
    memset(hist, 0, sizeof(hist));
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    *orig = g_img;
    for (i = 0; i < 100; i++) {
        uint32_t pos;
        uint8_t flip;
        iot_ota_reason_t r;

        seed = seed * 1103515245u + 12345u;
        pos = (seed >> 8) % (uint32_t)orig->len;
        seed = seed * 1103515245u + 12345u;
        flip = (uint8_t)(1u + ((seed >> 16) % 255u)); /* never 0: the byte changes */
        g_img = *orig;
        g_img.b[pos] ^= flip;
        r = verify(&g_img, NULL);
        if (r == IOT_OTA_REASON_NONE) {
            fail_msg("corruption %d at offset %u (xor 0x%02x) was accepted", i, pos, flip);
        }
        assert_true(r <= IOT_OTA_REASON_STORAGE);
        hist[r]++;
    }
    /* Most bytes are image bytes: the hash catches them. */
    assert_true(hist[IOT_OTA_REASON_HASH_MISMATCH] > 50);
    free(orig);
}

/* 3000 seeded random mutations of several kinds (byte changes, cuts,
 * appended bytes, rewritten header and TLV length fields): never accepted,
 * never a read outside the image (the sanitizer build checks that). */
static void test_random_mutations_rejected(void **state)
{
    image_t *orig = malloc(sizeof(*orig));
    uint32_t seed = 0x0dd5eedu;
    int hist[IOT_OTA_REASON_STORAGE + 1];
    int kinds = 0;
    int i;

    (void)state;
    assert_non_null(orig);
    memset(hist, 0, sizeof(hist));
    load_vector(VEC("imgtool-1.2.3+4-sc7.bin"));
    *orig = g_img;
    for (i = 0; i < 3000; i++) {
        int changes;
        int k;
        iot_ota_reason_t r;

        g_img = *orig;
        seed = seed * 1103515245u + 12345u;
        changes = 1 + (int)((seed >> 16) % 4u);
        for (k = 0; k < changes; k++) {
            uint32_t v;

            seed = seed * 1103515245u + 12345u;
            v = seed >> 8;
            if (g_img.len == 0u) {
                break; /* cut to nothing: nothing more to change */
            }
            switch (v % 5u) {
            case 0: /* a byte anywhere */
                g_img.b[(v >> 3) % g_img.len] ^= (uint8_t)(1u + ((v >> 13) % 255u));
                break;
            case 1: /* cut the image short */
                g_img.len = (v >> 3) % g_img.len;
                break;
            case 2: /* append bytes */
                if (g_img.len + 64u < sizeof(g_img.b)) {
                    memset(g_img.b + g_img.len, (int)(v & 0xFFu), 64);
                    g_img.len += 1u + ((v >> 3) % 64u);
                }
                break;
            case 3: /* a header size field: hdr_size, protected size or img_size */
                le16(g_img.b + 8u + 2u * ((v >> 3) % 3u), (uint16_t)(v >> 9));
                break;
            default: /* a TLV length in the unprotected area */
                if (g_img.len > unprot_off(orig) + 80u) {
                    le16(g_img.b + unprot_off(orig) + 2u + 4u * ((v >> 3) % 3u) +
                             36u * ((v >> 5) % 2u),
                         (uint16_t)(v >> 9));
                }
                break;
            }
        }
        if (g_img.len == orig->len && memcmp(g_img.b, orig->b, g_img.len) == 0) {
            continue; /* the changes cancelled out */
        }
        r = verify(&g_img, NULL);
        if (r == IOT_OTA_REASON_NONE) {
            fail_msg("mutation %d was accepted", i);
        }
        assert_true(r <= IOT_OTA_REASON_STORAGE);
        hist[r]++;
    }
    for (i = 0; i <= IOT_OTA_REASON_STORAGE; i++) {
        if (hist[i] > 0) {
            print_message("  %-16s %d\n", iot_ota_reason_name((iot_ota_reason_t)i), hist[i]);
            kinds++;
        }
    }
    /* The mutations reach every layer: header, layout, TLVs, hash. */
    assert_true(hist[IOT_OTA_REASON_TRUNCATED] > 0 && hist[IOT_OTA_REASON_TOO_LONG] > 0 &&
                hist[IOT_OTA_REASON_BAD_TLV] > 0 && hist[IOT_OTA_REASON_HASH_MISMATCH] > 0);
    assert_true(kinds >= 5);
    free(orig);
}

static void test_der_signature_parsing(void **state)
{
    uint8_t raw[64];
    /* r = 1, s = 0x80 (needs a leading zero). */
    const uint8_t ok[] = { 0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80 };
    const uint8_t negative[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x80 };
    const uint8_t padded[] = { 0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01 };
    const uint8_t trailing[] = { 0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00 };
    const uint8_t zero_len[] = { 0x30, 0x06, 0x02, 0x00, 0x02, 0x02, 0x01, 0x01 };

    (void)state;
    assert_int_equal(ota_ecdsa_der_to_raw(ok, sizeof(ok), raw), IOT_OK);
    assert_int_equal(raw[31], 1);
    assert_int_equal(raw[63], 0x80);
    assert_int_equal(raw[62], 0);
    assert_int_equal(ota_ecdsa_der_to_raw(negative, sizeof(negative), raw), IOT_ERR_BAD_FORMAT);
    assert_int_equal(ota_ecdsa_der_to_raw(padded, sizeof(padded), raw), IOT_ERR_BAD_FORMAT);
    assert_int_equal(ota_ecdsa_der_to_raw(trailing, sizeof(trailing), raw), IOT_ERR_BAD_FORMAT);
    assert_int_equal(ota_ecdsa_der_to_raw(zero_len, sizeof(zero_len), raw), IOT_ERR_BAD_FORMAT);
}

static void test_version_compare(void **state)
{
    iot_ota_version_t a = { 1, 2, 3, 9 };
    iot_ota_version_t b = { 1, 2, 3, 0 };

    (void)state;
    assert_int_equal(ota_version_compare(&a, &b), 0); /* build not compared */
    b.revision = 4;
    assert_int_equal(ota_version_compare(&a, &b), -1);
    b.revision = 300;
    b.minor = 1;
    assert_int_equal(ota_version_compare(&a, &b), 1);
    b.major = 2;
    assert_int_equal(ota_version_compare(&a, &b), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_imgtool_images),
        cmocka_unit_test(test_imgsign_matches_imgtool),
        cmocka_unit_test(test_imgsign_checked_by_openssl),
        cmocka_unit_test(test_imgsign_rejects_bad_arguments),
        cmocka_unit_test(test_rejects_truncated_and_overlong),
        cmocka_unit_test(test_rejects_bad_header),
        cmocka_unit_test(test_rejects_hash_key_and_signature),
        cmocka_unit_test(test_rejects_malformed_tlvs),
        cmocka_unit_test(test_random_corruptions_rejected),
        cmocka_unit_test(test_random_mutations_rejected),
        cmocka_unit_test(test_der_signature_parsing),
        cmocka_unit_test(test_version_compare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
