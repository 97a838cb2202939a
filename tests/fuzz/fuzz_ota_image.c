/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the MCUboot image parser and verifier (src/ota/ota_image.c),
 * both straight from memory and through the OTA module's streaming path.
 *
 * Input: byte 0 and 1 seed the chunk sizes and the read failure; byte 2
 * chooses what runs; the rest (at most IMAGE_MAX bytes) is the image.
 *
 *  - ota_image_read_info() and ota_image_verify() read the image from
 *    memory, optionally with one read failing (a storage error);
 *  - every fourth input also goes through iot_ota_begin(), iot_ota_write()
 *    in chunks of 1 to 1024 bytes (sizes from a generator seeded by bytes 0
 *    and 1) into the posix staging slot, and iot_ota_finalize().
 *
 * Invariants: only documented reasons; a failed read is STORAGE with the
 * reader's status, and nothing else is; a verified image also parses with
 * read_info to the same header and counter; the streaming path reaches the
 * same verdict as the in-memory one (plus the version and counter rules of
 * iot_ota_finalize()), and a refused image leaves the component FAILED with
 * that reason. The trusted key is tests/ota/test-key-p256.pub.pem. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/log.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "fuzz_common.h"
#include "ota/ota_image.h"

#include <psa/crypto.h>

#ifndef IOT_FUZZ_OTA_KEY
#error "IOT_FUZZ_OTA_KEY must name tests/ota/test-key-p256.pub.pem"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define IMAGE_MAX 8192u
#define PREFIX 3u
#define NS IOT_OTA_COMPONENT_NONSECURE

static char g_dir[64];
static iot_key_id_t g_key;
static uint8_t g_key_hash[1][32];

typedef struct {
    const uint8_t *img;
    size_t len;
    unsigned reads;
    unsigned fail_at; /* 0: never; n: the n-th read fails */
} mem_reader_t;

static iot_status_t mem_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
    mem_reader_t *m = ctx;

    m->reads++;
    if (m->fail_at != 0u && m->reads == m->fail_at) {
        return IOT_ERR_IO;
    }
    /* The verifier must never read outside the size it was given. */
    FUZZ_CHECK(offset <= m->len && len <= m->len - offset);
    memcpy(buf, m->img + offset, len);
    return IOT_OK;
}

static void remove_dir(void)
{
    char cmd[96];

    iot_keystore_deinit();
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_ota_image: could not remove %s\n", g_dir);
    }
}

static void load_key(void)
{
    static uint8_t pem[1024];
    uint8_t spki[128];
    size_t spki_len = 0;
    size_t hlen = 0;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    FILE *f = fopen(IOT_FUZZ_OTA_KEY, "rb");
    size_t n;

    FUZZ_CHECK(f != NULL);
    n = fread(pem, 1, sizeof(pem) - 1u, f);
    (void)fclose(f);
    o.label = "ota-fuzz";
    o.persistent = false;
    FUZZ_CHECK(iot_key_import_public(pem, n, &o, &g_key) == IOT_OK);
    FUZZ_CHECK(iot_key_export_public(g_key, IOT_KEY_FORMAT_DER, spki, sizeof(spki), &spki_len) ==
               IOT_OK);
    FUZZ_CHECK(psa_hash_compute(PSA_ALG_SHA_256, spki, spki_len, g_key_hash[0], 32, &hlen) ==
               PSA_SUCCESS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char sub[96];
    struct stat st;
    const char *tmp = getenv("TMPDIR");
    iot_ota_config_t cfg;

    (void)argc;
    (void)argv;
    /* The staging slot is fsynced on every write: prefer memory-backed storage. */
    if (tmp == NULL) {
        tmp = (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) ? "/dev/shm" : "/tmp";
    }
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-fuzz-ota.XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(g_dir) != NULL);
    atexit(remove_dir);
    (void)snprintf(sub, sizeof(sub), "%s/store", g_dir);
    FUZZ_CHECK(iot_posix_store_set_dir(sub) == IOT_OK);
    (void)snprintf(sub, sizeof(sub), "%s/fw", g_dir);
    FUZZ_CHECK(iot_posix_fw_set_dir(sub) == IOT_OK);
    FUZZ_CHECK(iot_keystore_init() == IOT_OK);
    iot_log_set_level(IOT_LOG_ERROR);
    load_key();
    memset(&cfg, 0, sizeof(cfg));
    cfg.keys[0] = g_key;
    cfg.key_count = 1;
    FUZZ_CHECK(iot_ota_init(&cfg) == IOT_OK);
    return 0;
}

static bool reason_documented(iot_ota_reason_t r)
{
    return r >= IOT_OTA_REASON_NONE && r <= IOT_OTA_REASON_STORAGE;
}

/* xorshift32: the chunk sizes of one input, reproducible from its seed. */
static uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* The same bytes through iot_ota_begin / _write (chunked) / _finalize. */
static void stream(const uint8_t *img, size_t len, uint32_t seed, iot_ota_reason_t mem_reason)
{
    iot_ota_info_t info;
    iot_ota_reason_t why = IOT_OTA_REASON_NONE;
    size_t off = 0;
    iot_status_t st;

    st = iot_ota_begin(NS, (uint32_t)len, NULL);
    FUZZ_CHECK(st == IOT_OK);
    while (off < len) {
        /* Mostly small chunks, sometimes up to 1 KiB. */
        uint32_t r = next_rand(&seed);
        size_t n = (r & 0x100u) ? 1u + (r >> 22) : 1u + ((r >> 24) & 0x3Fu);

        if (n > len - off) {
            n = len - off;
        }
        FUZZ_CHECK(iot_ota_write(NS, (uint32_t)off, img + off, n) == IOT_OK);
        off += n;
        FUZZ_CHECK(iot_ota_get_info(NS, &info) == IOT_OK);
        FUZZ_CHECK(info.written == off);
    }
    /* Nothing may be written past the announced size. */
    FUZZ_CHECK(iot_ota_write(NS, (uint32_t)len, img, 1) == IOT_ERR_INVALID_ARG);
    st = iot_ota_finalize(NS, &why);
    FUZZ_CHECK(reason_documented(why));
    if (mem_reason == IOT_OTA_REASON_NONE) {
        /* Valid: accepted unless older than what runs or below the stored counter. */
        FUZZ_CHECK(why == IOT_OTA_REASON_NONE || why == IOT_OTA_REASON_DOWNGRADE ||
                   why == IOT_OTA_REASON_SECURITY_COUNTER);
    } else {
        FUZZ_CHECK(why == mem_reason);
    }
    FUZZ_CHECK((st == IOT_OK) == (why == IOT_OTA_REASON_NONE));
    FUZZ_CHECK(iot_ota_get_info(NS, &info) == IOT_OK);
    if (why == IOT_OTA_REASON_NONE) {
        FUZZ_CHECK(info.state == IOT_OTA_STATE_VERIFIED);
        FUZZ_CHECK(iot_ota_abort(NS) == IOT_OK);
    } else {
        FUZZ_CHECK(info.state == IOT_OTA_STATE_FAILED && info.last_failure == why);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ota_image_result_t res;
    ota_image_result_t info;
    mem_reader_t m;
    iot_status_t io = IOT_OK;
    iot_ota_reason_t reason;
    iot_ota_reason_t info_reason;
    uint32_t seed;
    uint8_t mode;

    if (size < PREFIX || size - PREFIX > IMAGE_MAX) {
        return 0;
    }
    seed = 0x9E3779B9u ^ ((uint32_t)data[0] << 8) ^ data[1];
    mode = data[2];
    memset(&m, 0, sizeof(m));
    m.img = data + PREFIX;
    m.len = size - PREFIX;

    /* From memory, every read succeeding. */
    reason = ota_image_verify(mem_read, &m, (uint32_t)m.len, &g_key,
                              (const uint8_t(*)[32])g_key_hash, 1, &res, &io);
    FUZZ_CHECK(reason_documented(reason));
    FUZZ_CHECK(io == IOT_OK);
    FUZZ_CHECK(reason != IOT_OTA_REASON_STORAGE);
    m.reads = 0;
    info_reason = ota_image_read_info(mem_read, &m, (uint32_t)m.len, &info, &io);
    FUZZ_CHECK(io == IOT_OK && info_reason != IOT_OTA_REASON_STORAGE);
    if (reason == IOT_OTA_REASON_NONE) {
        FUZZ_CHECK(info_reason == IOT_OTA_REASON_NONE);
        FUZZ_CHECK(memcmp(&info.header, &res.header, sizeof(info.header)) == 0);
        FUZZ_CHECK(info.has_security_counter == res.has_security_counter &&
                   info.security_counter == res.security_counter);
        FUZZ_CHECK(res.header.hdr_size >= OTA_IMAGE_HEADER_SIZE &&
                   (uint64_t)res.header.hdr_size + res.header.img_size <= m.len);
    }

    /* The same with one read failing (mode bits 2..7: which one). */
    if ((mode >> 2) != 0u) {
        m.reads = 0;
        m.fail_at = mode >> 2;
        io = IOT_OK;
        reason = ota_image_verify(mem_read, &m, (uint32_t)m.len, &g_key,
                                  (const uint8_t(*)[32])g_key_hash, 1, &res, &io);
        FUZZ_CHECK(reason_documented(reason));
        FUZZ_CHECK((reason == IOT_OTA_REASON_STORAGE) == (io != IOT_OK));
        FUZZ_CHECK(io == IOT_OK || io == IOT_ERR_IO);
        FUZZ_CHECK(io == IOT_ERR_IO || m.reads < m.fail_at);
        m.fail_at = 0;
        m.reads = 0;
        io = IOT_OK;
        reason = ota_image_verify(mem_read, &m, (uint32_t)m.len, &g_key,
                                  (const uint8_t(*)[32])g_key_hash, 1, &res, &io);
    }

    if ((mode & 3u) == 0u && m.len > 0u) {
        stream(m.img, m.len, seed == 0u ? 1u : seed, reason);
    }
    return 0;
}
