/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the iot_ota_* state machine on the posix slots, the verifying
 * boot step, and power cuts: a child process killed (SIGKILL) at every step
 * and stopped at every file operation of a download / activate / boot /
 * confirm sequence, then restarted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "ota/ota_checkpoint.h"
#include "ota/ota_image.h"
#include "posix_fw_internal.h"

#include <psa/crypto.h>

#ifndef IOT_TEST_OTA_VECTORS
#error "IOT_TEST_OTA_VECTORS must name tests/ota"
#endif
#ifndef IOT_TEST_IMGSIGN
#error "IOT_TEST_IMGSIGN must name the iot-imgsign tool"
#endif
#ifndef IOT_TEST_IOT_BOOT
#error "IOT_TEST_IOT_BOOT must name the iot-boot tool"
#endif

#define VEC(name) IOT_TEST_OTA_VECTORS "/" name
#define NS IOT_OTA_COMPONENT_NONSECURE
#define IMAGE_MAX 8192
#define CHUNK 1024u

typedef struct {
    uint8_t b[IMAGE_MAX];
    size_t len;
} image_t;

static char g_root[64];
static char g_fw[160];
static int g_fw_serial;
static iot_ota_config_t g_cfg;
static image_t g_factory; /* 1.0.0, security counter 1: the image the device ships with */
static image_t g_v2;      /* 2.0.0, counter 2 */
static image_t g_old;     /* 0.9.0, counter 2: a downgrade */
static image_t g_low;     /* 3.0.0, counter 1: newer, but a lower counter than 2 */
static image_t g_v3;      /* 3.0.0, counter 3 */

static const iot_ota_version_t k_v1 = { 1, 0, 0, 0 };
static const iot_ota_version_t k_v2 = { 2, 0, 0, 0 };

/* ---- helpers --------------------------------------------------------- */

static void sign_into(const char *args, const char *name, image_t *img)
{
    char out[160];
    char cmd[1024];
    FILE *f;

    snprintf(out, sizeof(out), "%s/%s", g_root, name);
    snprintf(cmd, sizeof(cmd), "'%s' sign --key '%s' --header-size 0x400 --pad-header %s '%s' '%s'",
             IOT_TEST_IMGSIGN, VEC("test-key-p256.pem"), args, VEC("payload.bin"), out);
    assert_int_equal(system(cmd), 0);
    f = fopen(out, "rb");
    assert_non_null(f);
    img->len = fread(img->b, 1, sizeof(img->b), f);
    assert_true(img->len > 0 && img->len < sizeof(img->b));
    fclose(f);
}

static void put_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A fresh device: a new slot directory whose active image is the factory
 * image, no OTA records, default slot size. */
static void fresh_device(void)
{
    char path[200];

    snprintf(g_fw, sizeof(g_fw), "%s/fw%d", g_root, ++g_fw_serial);
    assert_int_equal(iot_posix_fw_set_dir(g_fw), IOT_OK);
    assert_int_equal(iot_posix_fw_set_slot_size(IOT_POSIX_FW_DEFAULT_SLOT_SIZE), IOT_OK);
    (void)iot_port_store_remove(IOT_CONFIG_OTA_STORE_UID_BASE + 0u);
    (void)iot_port_store_remove(IOT_CONFIG_OTA_STORE_UID_BASE + 1u);
    snprintf(path, sizeof(path), "%s/c1.active", g_fw);
    put_file(path, g_factory.b, g_factory.len);
}

static void assert_version(const iot_ota_version_t *v, const iot_ota_version_t *want)
{
    assert_int_equal(v->major, want->major);
    assert_int_equal(v->minor, want->minor);
    assert_int_equal(v->revision, want->revision);
}

static iot_ota_info_t info_of(iot_ota_component_t c)
{
    iot_ota_info_t info;

    assert_int_equal(iot_ota_get_info(c, &info), IOT_OK);
    return info;
}

static void assert_running(const iot_ota_version_t *want)
{
    iot_ota_info_t info = info_of(NS);

    assert_version(&info.running, want);
}

static void write_all(const image_t *img, uint32_t from)
{
    uint32_t off;

    for (off = from; off < img->len; off += CHUNK) {
        size_t n = img->len - off < CHUNK ? img->len - off : CHUNK;
        assert_int_equal(iot_ota_write(NS, off, img->b + off, n), IOT_OK);
    }
}

/* begin + write + finalize; returns finalize's status and reason. */
static iot_status_t download(const image_t *img, const iot_ota_version_t *expected,
                             iot_ota_reason_t *reason)
{
    assert_int_equal(iot_ota_begin(NS, (uint32_t)img->len, expected), IOT_OK);
    write_all(img, 0);
    return iot_ota_finalize(NS, reason);
}

static iot_posix_boot_result_t boot(void)
{
    iot_posix_boot_result_t r = IOT_POSIX_BOOT_NONE;

    assert_int_equal(iot_posix_ota_boot(NS, &r, NULL), IOT_OK);
    return r;
}

/* Update to `img` up to a trial boot. */
static void update_to_trial(const image_t *img)
{
    iot_ota_reason_t reason = IOT_OTA_REASON_STORAGE;

    assert_int_equal(download(img, NULL, &reason), IOT_OK);
    assert_int_equal(reason, IOT_OTA_REASON_NONE);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(boot(), IOT_POSIX_BOOT_TRIAL);
}

static int setup(void **state)
{
    char dir[128];
    uint8_t pem[1024];
    size_t len;
    FILE *f;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;

    (void)state;
    strcpy(g_root, "/tmp/iot-ota-XXXXXX");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/store", g_root);
    if (iot_posix_store_set_dir(dir) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return -1;
    }
    f = fopen(VEC("test-key-p256.pub.pem"), "rb");
    if (f == NULL) {
        return -1;
    }
    len = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    o.persistent = false;
    o.usage = IOT_KEY_USAGE_VERIFY;
    memset(&g_cfg, 0, sizeof(g_cfg));
    if (iot_key_import_public(pem, len, &o, &g_cfg.keys[0]) != IOT_OK) {
        return -1;
    }
    g_cfg.key_count = 1;
    sign_into("--version 1.0.0 --security-counter 1", "v1.bin", &g_factory);
    sign_into("--version 2.0.0 --security-counter 2", "v2.bin", &g_v2);
    sign_into("--version 0.9.0 --security-counter 2", "old.bin", &g_old);
    sign_into("--version 3.0.0 --security-counter 1", "low.bin", &g_low);
    sign_into("--version 3.0.0 --security-counter 3", "v3.bin", &g_v3);
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

static int per_test(void **state)
{
    (void)state;
    fresh_device();
    return iot_ota_init(&g_cfg) == IOT_OK ? 0 : -1;
}

/* ---- the happy path and the trial outcomes ------------------------------ */

static void test_update_confirm(void **state)
{
    iot_ota_info_t info;
    iot_ota_reason_t reason = IOT_OTA_REASON_STORAGE;

    (void)state;
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
    assert_version(&info.running, &k_v1);
    assert_int_equal(info.security_counter, 1); /* taken from the running image */
    assert_int_equal(info.last_failure, IOT_OTA_REASON_NONE);

    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_DOWNLOADING);
    assert_version(&info.pending, &k_v2);
    assert_int_equal(info.total_size, g_v2.len);
    assert_int_equal(info.written, 0);
    write_all(&g_v2, 0);
    assert_int_equal(info_of(NS).written, g_v2.len);
    assert_int_equal(iot_ota_finalize(NS, &reason), IOT_OK);
    assert_int_equal(reason, IOT_OTA_REASON_NONE);
    assert_int_equal(info_of(NS).state, IOT_OTA_STATE_VERIFIED);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(info_of(NS).state, IOT_OTA_STATE_PENDING);
    assert_running(&k_v1);

    assert_int_equal(boot(), IOT_POSIX_BOOT_TRIAL);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_TRIAL);
    assert_version(&info.running, &k_v2);
    assert_int_equal(info.security_counter, 1); /* not before confirm */

    assert_int_equal(iot_ota_confirm(NS), IOT_OK);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
    assert_version(&info.running, &k_v2);
    assert_int_equal(info.security_counter, 2);
    assert_int_equal(boot(), IOT_POSIX_BOOT_NONE);
    assert_running(&k_v2);
    /* The other component was never touched. */
    assert_int_equal(info_of(IOT_OTA_COMPONENT_SECURE).state, IOT_OTA_STATE_IDLE);
}

static void test_unconfirmed_reverts(void **state)
{
    iot_ota_info_t info;

    (void)state;
    update_to_trial(&g_v2);
    assert_int_equal(boot(), IOT_POSIX_BOOT_REVERTED); /* rebooted without confirm */
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_REVERTED);
    assert_version(&info.running, &k_v1);
    assert_int_equal(info.security_counter, 1);
    assert_int_equal(iot_ota_confirm(NS), IOT_ERR_BAD_STATE);
    /* A new update may start from FAILED. */
    update_to_trial(&g_v2);
    assert_int_equal(iot_ota_confirm(NS), IOT_OK);
}

static void test_reject(void **state)
{
    iot_ota_info_t info;

    (void)state;
    update_to_trial(&g_v2);
    assert_int_equal(iot_ota_reject(NS), IOT_OK);
    assert_int_equal(info_of(NS).last_failure, IOT_OTA_REASON_REJECTED);
    assert_int_equal(boot(), IOT_POSIX_BOOT_REVERTED);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_REJECTED);
    assert_version(&info.running, &k_v1);

    /* Rejecting a pending image drops it before it ever runs. */
    assert_int_equal(download(&g_v2, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(iot_ota_reject(NS), IOT_OK);
    assert_int_equal(boot(), IOT_POSIX_BOOT_NONE);
    assert_running(&k_v1);
    assert_int_equal(info_of(NS).state, IOT_OTA_STATE_FAILED);
}

/* The secure and the non-secure image are updated independently. */
static void test_components_independent(void **state)
{
    const iot_ota_component_t S = IOT_OTA_COMPONENT_SECURE;
    iot_posix_boot_result_t r = IOT_POSIX_BOOT_NONE;
    iot_ota_info_t info;
    uint32_t off;

    (void)state;
    /* The secure component has no image yet: running 0.0.0, counter 0. */
    info = info_of(S);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
    assert_int_equal(info.running.major, 0);
    assert_int_equal(info.security_counter, 0);

    /* Non-secure pending, secure downloading at the same time. */
    assert_int_equal(download(&g_v2, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(iot_ota_begin(S, (uint32_t)g_v3.len, NULL), IOT_OK);
    for (off = 0; off < g_v3.len; off += CHUNK) {
        size_t n = g_v3.len - off < CHUNK ? g_v3.len - off : CHUNK;
        assert_int_equal(iot_ota_write(S, off, g_v3.b + off, n), IOT_OK);
    }
    assert_int_equal(iot_ota_finalize(S, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(S), IOT_OK);

    assert_int_equal(iot_posix_ota_boot(IOT_PORT_FW_COMPONENT_SECURE, &r, NULL), IOT_OK);
    assert_int_equal(r, IOT_POSIX_BOOT_TRIAL);
    assert_int_equal(boot(), IOT_POSIX_BOOT_TRIAL);
    assert_int_equal(iot_ota_confirm(S), IOT_OK);
    assert_int_equal(iot_ota_reject(NS), IOT_OK);
    assert_int_equal(boot(), IOT_POSIX_BOOT_REVERTED);
    assert_int_equal(iot_posix_ota_boot(IOT_PORT_FW_COMPONENT_SECURE, &r, NULL), IOT_OK);
    assert_int_equal(r, IOT_POSIX_BOOT_NONE);

    info = info_of(S);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
    assert_int_equal(info.running.major, 3);
    assert_int_equal(info.security_counter, 3);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_REJECTED);
    assert_int_equal(info.running.major, 1);
    assert_int_equal(info.security_counter, 1);
}

/* ---- rejections ------------------------------------------------------------ */

static void expect_refused(const image_t *img, const iot_ota_version_t *expected,
                           iot_status_t st, iot_ota_reason_t why)
{
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    iot_ota_info_t before = info_of(NS);
    iot_ota_info_t info;

    assert_int_equal(download(img, expected, &reason), st);
    assert_int_equal(reason, why);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, why);
    /* Never pending: activate refuses, and a boot changes nothing. */
    assert_int_equal(iot_ota_activate(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(boot(), IOT_POSIX_BOOT_NONE);
    assert_running(&before.running);
    assert_int_equal(info_of(NS).security_counter, before.security_counter);
}

static void test_downgrade_rejected(void **state)
{
    (void)state;
    expect_refused(&g_old, NULL, IOT_ERR_NOT_PERMITTED, IOT_OTA_REASON_DOWNGRADE);
}

static void test_lower_security_counter_rejected(void **state)
{
    (void)state;
    update_to_trial(&g_v2);
    assert_int_equal(iot_ota_confirm(NS), IOT_OK); /* stored counter: 2 */
    expect_refused(&g_low, NULL, IOT_ERR_NOT_PERMITTED, IOT_OTA_REASON_SECURITY_COUNTER);
    assert_int_equal(info_of(NS).security_counter, 2);
    /* The same version with a proper counter is fine. */
    update_to_trial(&g_v3);
    assert_int_equal(iot_ota_confirm(NS), IOT_OK);
    assert_int_equal(info_of(NS).security_counter, 3);
}

static void test_version_mismatch_and_bad_images_rejected(void **state)
{
    image_t *bad = malloc(sizeof(*bad));
    iot_ota_version_t other = { 2, 0, 1, 0 };

    (void)state;
    assert_non_null(bad);
    expect_refused(&g_v2, &other, IOT_ERR_BAD_FORMAT, IOT_OTA_REASON_VERSION_MISMATCH);
    *bad = g_v2;
    bad->b[0x400 + 7] ^= 0x10;
    expect_refused(bad, NULL, IOT_ERR_BAD_SIGNATURE, IOT_OTA_REASON_HASH_MISMATCH);
    *bad = g_v2;
    bad->b[bad->len - 2] ^= 0x01;
    expect_refused(bad, NULL, IOT_ERR_BAD_SIGNATURE, IOT_OTA_REASON_BAD_SIGNATURE);
    *bad = g_v2;
    bad->b[bad->len] = 0;
    bad->len += 1;
    expect_refused(bad, NULL, IOT_ERR_BAD_FORMAT, IOT_OTA_REASON_TOO_LONG);
    *bad = g_v2;
    bad->len -= 1;
    expect_refused(bad, NULL, IOT_ERR_BAD_FORMAT, IOT_OTA_REASON_TRUNCATED);
    free(bad);
}

static void test_full_slot_reported(void **state)
{
    iot_ota_info_t info;

    (void)state;
    assert_int_equal(iot_posix_fw_set_slot_size(4096), IOT_OK);
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, NULL), IOT_ERR_STORAGE_FULL);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE); /* untouched */
    assert_int_equal(info.slot_size, 4096);
    /* A download that fits the slot cannot write past its announced size. */
    assert_int_equal(iot_ota_begin(NS, 4000, NULL), IOT_OK);
    assert_int_equal(iot_ota_write(NS, 3000, g_v2.b, 1001), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_write(NS, 4001, g_v2.b, 0), IOT_ERR_INVALID_ARG);
    assert_int_equal(info_of(NS).written, 0);
    assert_int_equal(iot_ota_abort(NS), IOT_OK);
    assert_int_equal(info_of(NS).last_failure, IOT_OTA_REASON_ABORTED);
}

static void test_tampered_staged_image_dropped_at_boot(void **state)
{
    char path[200];
    iot_posix_boot_result_t r = IOT_POSIX_BOOT_TRIAL;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    image_t *bad = malloc(sizeof(*bad));
    iot_ota_info_t info;

    (void)state;
    assert_non_null(bad);
    assert_int_equal(download(&g_v2, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    *bad = g_v2;
    bad->b[0x400 + 99] ^= 0xFF;
    snprintf(path, sizeof(path), "%s/c1.staging", g_fw);
    put_file(path, bad->b, bad->len);
    assert_int_equal(iot_posix_ota_boot(NS, &r, &reason), IOT_OK);
    assert_int_equal(r, IOT_POSIX_BOOT_NONE);
    assert_int_equal(reason, IOT_OTA_REASON_HASH_MISMATCH);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_HASH_MISMATCH);
    assert_version(&info.running, &k_v1);
    free(bad);
}

static void test_resume_after_restart(void **state)
{
    iot_ota_info_t info;

    (void)state;
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
    assert_int_equal(iot_ota_write(NS, 0, g_v2.b, 2000), IOT_OK);
    /* A write ahead of the resume point does not move it. */
    assert_int_equal(iot_ota_write(NS, 3000, g_v2.b + 3000, 100), IOT_OK);
    assert_int_equal(info_of(NS).written, 2000);
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK); /* a restart reloads the state */
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_DOWNLOADING);
    assert_int_equal(info.written, 2000);
    assert_int_equal(iot_ota_finalize(NS, NULL), IOT_ERR_INCOMPLETE);
    assert_int_equal(info_of(NS).state, IOT_OTA_STATE_DOWNLOADING);
    write_all(&g_v2, 2000);
    assert_int_equal(iot_ota_finalize(NS, NULL), IOT_OK);

    /* Other arguments start over. */
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, NULL), IOT_OK);
    assert_int_equal(info_of(NS).written, 0);
    assert_int_equal(iot_ota_write(NS, 0, g_v2.b, 100), IOT_OK);
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
    assert_int_equal(info_of(NS).written, 0);
}

/* A slot that cannot be read: finalize reports IOT_ERR_IO and keeps the state. */
static void test_unreadable_slot_keeps_state(void **state)
{
    char path[200];
    char moved[220];
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    iot_ota_info_t info;

    (void)state;
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, NULL), IOT_OK);
    write_all(&g_v2, 0);
    snprintf(path, sizeof(path), "%s/c1.staging", g_fw);
    snprintf(moved, sizeof(moved), "%s/moved", g_fw);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(mkdir(path, 0700), 0); /* opens, but reads fail */
    assert_int_equal(iot_ota_finalize(NS, &reason), IOT_ERR_IO);
    assert_int_equal(reason, IOT_OTA_REASON_NONE);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_DOWNLOADING);
    assert_int_equal(info.written, g_v2.len);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_NONE);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rename(moved, path), 0);
    assert_int_equal(iot_ota_finalize(NS, &reason), IOT_OK);
}

static void test_arguments_and_states(void **state)
{
    iot_ota_config_t cfg = g_cfg;
    iot_ota_info_t info;
    uint8_t b = 0;

    (void)state;
    assert_int_equal(iot_ota_init(NULL), IOT_ERR_INVALID_ARG);
    cfg.key_count = 0;
    assert_int_equal(iot_ota_init(&cfg), IOT_ERR_INVALID_ARG);
    cfg.key_count = IOT_OTA_MAX_KEYS + 1;
    assert_int_equal(iot_ota_init(&cfg), IOT_ERR_INVALID_ARG);
    cfg.key_count = 1;
    cfg.keys[0] = 0x7777u;
    assert_int_equal(iot_ota_init(&cfg), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_ota_get_info(NS, &info), IOT_ERR_BAD_STATE); /* failed init */
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);

    assert_int_equal(iot_ota_get_info(NS, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_get_info((iot_ota_component_t)2, &info), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_begin(NS, 0, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_begin((iot_ota_component_t)5, 10, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_write(NS, 0, &b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_write(NS, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_finalize(NS, NULL), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_activate(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_confirm(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_reject(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_check_staged(NS, NULL), IOT_ERR_BAD_STATE);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_NONE);

    /* While an image is pending, no new download may start. */
    assert_int_equal(download(&g_v2, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(iot_ota_begin(NS, 10, NULL), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_abort(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_ota_check_staged(NS, NULL), IOT_OK);

    assert_string_equal(iot_ota_reason_name(IOT_OTA_REASON_BAD_SIGNATURE), "BAD_SIGNATURE");
    assert_string_equal(iot_ota_reason_name(IOT_OTA_REASON_STORAGE), "STORAGE");
    assert_string_equal(iot_ota_reason_name((iot_ota_reason_t)99), "UNKNOWN");
}

static void test_corrupt_record_reported(void **state)
{
    uint8_t junk[36];

    (void)state;
    memset(junk, 0xA5, sizeof(junk));
    assert_int_equal(iot_port_store_set(IOT_CONFIG_OTA_STORE_UID_BASE + 1u, junk, sizeof(junk)),
                     IOT_OK);
    assert_int_equal(iot_ota_init(&g_cfg), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_store_set(IOT_CONFIG_OTA_STORE_UID_BASE + 1u, junk, 5), IOT_OK);
    assert_int_equal(iot_ota_init(&g_cfg), IOT_ERR_STORAGE_CORRUPT);
    (void)iot_port_store_remove(IOT_CONFIG_OTA_STORE_UID_BASE + 1u);
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
}

/* ---- port failures ---------------------------------------------------------- */

/* port_faults.h: the test executable is linked with --wrap for every slot
 * and store call of the port (tests/CMakeLists.txt). */
#define PORT_FAULTS_FW 1
#include "port_faults.h"

/* One step of the update sequence; false once a step failed. */
static bool fault_step(iot_status_t st, bool *ok)
{
    if (!*ok) {
        return false;
    }
    if (st != IOT_OK) {
        /* A failed step reports a status of its own, never a silent success. */
        assert_true(st == IOT_ERR_IO || st == IOT_ERR_STORAGE_FULL ||
                    st == IOT_ERR_BAD_STATE || st == IOT_ERR_STORAGE_CORRUPT);
        *ok = false;
    }
    return *ok;
}

/* Blocks written durably (iot_ota_write) or unsynced with a checkpoint
 * every two blocks and at the end (as the OTA agent writes them). */
static bool g_fault_checkpointed;

/* The whole sequence: init (a restart), download, activate, trial boot, confirm. */
static bool fault_sequence(void)
{
    iot_posix_boot_result_t r = IOT_POSIX_BOOT_NONE;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    bool ok = true;
    uint32_t off;

    (void)fault_step(iot_ota_init(&g_cfg), &ok);
    (void)fault_step(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), &ok);
    for (off = 0; ok && off < g_v2.len; off += CHUNK) {
        size_t n = g_v2.len - off < CHUNK ? g_v2.len - off : CHUNK;
        if (!g_fault_checkpointed) {
            (void)fault_step(iot_ota_write(NS, off, g_v2.b + off, n), &ok);
        } else if (fault_step(ota_write_unsynced(NS, off, g_v2.b + off, n), &ok) &&
                   ((off / CHUNK) % 2u == 1u || off + n == g_v2.len)) {
            (void)fault_step(ota_checkpoint(NS), &ok);
        }
    }
    if (fault_step(iot_ota_finalize(NS, &reason), &ok)) {
        assert_int_equal(reason, IOT_OTA_REASON_NONE);
    }
    (void)fault_step(iot_ota_activate(NS), &ok);
    if (fault_step(iot_posix_ota_boot(NS, &r, NULL), &ok)) {
        assert_int_equal(r, IOT_POSIX_BOOT_TRIAL);
    }
    (void)fault_step(iot_ota_confirm(NS), &ok);
    return ok;
}

/* Any slot or store call may fail: the call that met the failure reports it,
 * nothing is lost or half-done, and once the storage works again (a restart,
 * the boot step) the same update runs to completion or has already landed. */
static void port_failure_at_every_call(bool checkpointed)
{
    int n;

    g_fault_checkpointed = checkpointed;
    for (n = 0; n < 1000; n++) {
        iot_posix_boot_result_t r = IOT_POSIX_BOOT_NONE;
        iot_ota_info_t info;
        bool done;

        fresh_device();
        fault_arm(n);
        done = fault_sequence();
        g_fault_at = -1;
        if (g_faults_hit == 0) {
            assert_true(done);
            break; /* the sequence made fewer than n + 1 calls */
        }
        if (done) {
            fail_msg("a failure of call %d (%s) went unreported", n, g_fault_name);
        }

        /* Restart: the boot step, then the application. */
        assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
        assert_int_equal(iot_posix_ota_boot(NS, &r, NULL), IOT_OK);
        info = info_of(NS);
        if (info.state == IOT_OTA_STATE_TRIAL) {
            assert_int_equal(iot_ota_confirm(NS), IOT_OK);
            info = info_of(NS);
        }
        if (!(info.state == IOT_OTA_STATE_IDLE && info.running.major == 2)) {
            /* Not landed: v1 still runs with its counter, and the update
             * can be done again from wherever it stands. */
            assert_version(&info.running, &k_v1);
            assert_int_equal(info.security_counter, 1);
            if (info.state == IOT_OTA_STATE_PENDING) {
                assert_int_equal(iot_ota_reject(NS), IOT_OK);
                assert_int_equal(boot(), IOT_POSIX_BOOT_NONE);
            } else if (info.state != IOT_OTA_STATE_IDLE && info.state != IOT_OTA_STATE_FAILED) {
                (void)iot_ota_abort(NS);
            }
            update_to_trial(&g_v2);
            assert_int_equal(iot_ota_confirm(NS), IOT_OK);
            info = info_of(NS);
        }
        assert_int_equal(info.state, IOT_OTA_STATE_IDLE);
        assert_version(&info.running, &k_v2);
        assert_int_equal(info.security_counter, 2);
        assert_int_equal(boot(), IOT_POSIX_BOOT_NONE);
        assert_running(&k_v2);
    }
    assert_true(n > 30 && n < 1000);
    print_message("a port failure at each of %d calls (%s writes): reported, recovered\n", n,
                  checkpointed ? "checkpointed" : "durable");
}

static void test_port_failure_at_every_call(void **state)
{
    (void)state;
    port_failure_at_every_call(false);
    port_failure_at_every_call(true);
}

/* ---- the boot command (a separate process, as a launcher runs it) ----------- */

/* Runs iot-boot for the non-secure component; returns its exit status and
 * its output line in `line`. */
static int run_boot_command(const char *extra, char *line, size_t cap)
{
    char cmd[1024];
    char out[200];
    FILE *f;
    int rc;

    snprintf(out, sizeof(out), "%s/boot.out", g_root);
    snprintf(cmd, sizeof(cmd),
             "'%s' --fw-dir '%s' --store-dir '%s/store' --key '%s' --component nonsecure %s "
             "> '%s' 2>/dev/null",
             IOT_TEST_IOT_BOOT, g_fw, g_root, VEC("test-key-p256.pub.pem"), extra, out);
    rc = system(cmd);
    line[0] = '\0';
    f = fopen(out, "r");
    assert_non_null(f);
    if (fgets(line, (int)cap, f) == NULL) {
        line[0] = '\0';
    }
    fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_boot_command(void **state)
{
    char line[512];
    char path[200];
    image_t *bad = malloc(sizeof(*bad));
    iot_ota_info_t info;

    (void)state;
    assert_non_null(bad);
    assert_int_equal(download(&g_v2, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    assert_int_equal(run_boot_command("", line, sizeof(line)), 0);
    assert_non_null(strstr(line, "component 1: trial, running 2.0.0+0, security counter 1, image "));
    /* The application restarts: it finds the trial and confirms it. */
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
    assert_int_equal(info_of(NS).state, IOT_OTA_STATE_TRIAL);
    assert_int_equal(iot_ota_confirm(NS), IOT_OK);
    assert_int_equal(run_boot_command("", line, sizeof(line)), 0);
    assert_non_null(strstr(line, "component 1: none, running 2.0.0+0, security counter 2"));

    /* A staged image altered before the boot is refused by the command. */
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
    assert_int_equal(download(&g_v3, NULL, NULL), IOT_OK);
    assert_int_equal(iot_ota_activate(NS), IOT_OK);
    *bad = g_v3;
    bad->b[0x400] ^= 0x01;
    snprintf(path, sizeof(path), "%s/c1.staging", g_fw);
    put_file(path, bad->b, bad->len);
    assert_int_equal(run_boot_command("", line, sizeof(line)), 0);
    assert_non_null(strstr(line, "component 1: none (refused: HASH_MISMATCH), running 2.0.0+0"));
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
    info = info_of(NS);
    assert_int_equal(info.state, IOT_OTA_STATE_FAILED);
    assert_int_equal(info.last_failure, IOT_OTA_REASON_HASH_MISMATCH);

    /* Usage errors. */
    assert_int_equal(run_boot_command("--component both", line, sizeof(line)), 2);
    free(bad);
}

/* ---- power cuts -------------------------------------------------------------- */

/* Where the interrupted run had got to: bytes iot_ota_write() acknowledged. */
static char g_ack_path[200];
static int g_kill_at;
static int g_points;
/* 0: every block durable (iot_ota_write). N: blocks written unsynced and a
 * checkpoint after every N blocks and at the end (as the OTA agent does). */
static int g_ckpt_every;

static void point(void)
{
    if (++g_points == g_kill_at) {
        (void)kill(getpid(), SIGKILL);
    }
}

static void ack(uint32_t upto)
{
    int fd = open(g_ack_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || write(fd, &upto, sizeof(upto)) != (ssize_t)sizeof(upto)) {
        _exit(90);
    }
    (void)close(fd);
}

static uint32_t acked(void)
{
    uint32_t v = 0;
    int fd = open(g_ack_path, O_RDONLY);

    if (fd >= 0) {
        if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
            v = 0;
        }
        (void)close(fd);
    }
    return v;
}

#define CHECK(cond, code) \
    do {                  \
        if (!(cond)) {    \
            _exit(code);  \
        }                 \
    } while (0)

/* The whole update, as the device does it; dies where it is told to. */
static void child_update(void)
{
    iot_posix_boot_result_t r;
    uint32_t off;

    CHECK(iot_ota_init(&g_cfg) == IOT_OK, 20);
    point();
    CHECK(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2) == IOT_OK, 21);
    point();
    for (off = 0; off < g_v2.len; off += CHUNK) {
        size_t n = g_v2.len - off < CHUNK ? g_v2.len - off : CHUNK;
        int blocks = (int)(off / CHUNK) + 1;

        if (g_ckpt_every == 0) {
            CHECK(iot_ota_write(NS, off, g_v2.b + off, n) == IOT_OK, 22);
            ack(off + (uint32_t)n);
        } else {
            CHECK(ota_write_unsynced(NS, off, g_v2.b + off, n) == IOT_OK, 22);
            if (blocks % g_ckpt_every == 0 || off + n == g_v2.len) {
                CHECK(ota_checkpoint(NS) == IOT_OK, 28);
                ack(off + (uint32_t)n); /* durable only now */
            }
        }
        point();
    }
    CHECK(iot_ota_finalize(NS, NULL) == IOT_OK, 23);
    point();
    CHECK(iot_ota_activate(NS) == IOT_OK, 24);
    point();
    CHECK(iot_posix_ota_boot(NS, &r, NULL) == IOT_OK && r == IOT_POSIX_BOOT_TRIAL, 25); /* reboot */
    point();
    CHECK(iot_ota_init(&g_cfg) == IOT_OK, 26);
    point();
    CHECK(iot_ota_confirm(NS) == IOT_OK, 27);
    point();
    _exit(0);
}

static iot_status_t read_image(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
    const image_t *img = ctx;

    if (offset > img->len || len > img->len - offset) {
        return IOT_ERR_IO;
    }
    memcpy(buf, img->b + offset, len);
    return IOT_OK;
}

/* The major version of the valid signed image in the active slot file, or
 * -1 when there is none or it does not verify. */
static int active_image_major(void)
{
    static image_t img;
    char path[200];
    ota_image_result_t res;
    iot_status_t io = IOT_OK;
    uint8_t hash[1][32];
    uint8_t spki[128];
    size_t len = 0;
    size_t hlen = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/c1.active", g_fw);
    f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    img.len = fread(img.b, 1, sizeof(img.b), f);
    fclose(f);
    if (iot_key_export_public(g_cfg.keys[0], IOT_KEY_FORMAT_DER, spki, sizeof(spki), &len) !=
            IOT_OK ||
        psa_hash_compute(PSA_ALG_SHA_256, spki, len, hash[0], 32, &hlen) != PSA_SUCCESS) {
        return -1;
    }
    if (ota_image_verify(read_image, &img, (uint32_t)img.len, g_cfg.keys,
                         (const uint8_t(*)[32])hash, 1, &res, &io) != IOT_OTA_REASON_NONE) {
        return -1;
    }
    return res.header.version.major;
}

/* After the cut: boot as a restarted device does, check that a valid image
 * runs, then finish the update from wherever it stands. Exits 0 when the
 * update ended confirmed, 10 when the trial was reverted. */
static void child_recover(void)
{
    iot_posix_boot_result_t r;
    iot_ota_info_t info;
    int steps;

    CHECK(iot_ota_init(&g_cfg) == IOT_OK, 30);
    CHECK(iot_posix_ota_boot(NS, &r, NULL) == IOT_OK, 31);
    /* Old or new, never neither. */
    {
        int major = active_image_major();
        CHECK(major == 1 || major == 2, 32);
    }
    for (steps = 0; steps < 12; steps++) {
        CHECK(iot_ota_get_info(NS, &info) == IOT_OK, 33);
        CHECK(info.running.major == (uint8_t)active_image_major(), 34);
        switch (info.state) {
        case IOT_OTA_STATE_IDLE:
            if (info.running.major == 2) {
                CHECK(info.security_counter == 2, 35);
                _exit(0);
            }
            /* Nothing durable yet: acknowledged bytes would have been kept. */
            CHECK(acked() == 0, 36);
            CHECK(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2) == IOT_OK, 37);
            break;
        case IOT_OTA_STATE_DOWNLOADING: {
            uint32_t off;

            CHECK(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2) == IOT_OK, 38);
            CHECK(iot_ota_get_info(NS, &info) == IOT_OK, 39);
            /* Resumed, not restarted: everything acknowledged is still there. */
            CHECK(info.state == IOT_OTA_STATE_DOWNLOADING && info.written >= acked(), 40);
            for (off = info.written; off < g_v2.len; off += CHUNK) {
                size_t n = g_v2.len - off < CHUNK ? g_v2.len - off : CHUNK;
                if (g_ckpt_every == 0) {
                    CHECK(iot_ota_write(NS, off, g_v2.b + off, n) == IOT_OK, 41);
                } else {
                    CHECK(ota_write_unsynced(NS, off, g_v2.b + off, n) == IOT_OK, 41);
                }
            }
            CHECK(g_ckpt_every == 0 || ota_checkpoint(NS) == IOT_OK, 50);
            CHECK(iot_ota_finalize(NS, NULL) == IOT_OK, 42);
            break;
        }
        case IOT_OTA_STATE_VERIFIED:
            CHECK(iot_ota_activate(NS) == IOT_OK, 43);
            break;
        case IOT_OTA_STATE_PENDING:
            CHECK(iot_posix_ota_boot(NS, &r, NULL) == IOT_OK && r == IOT_POSIX_BOOT_TRIAL, 44);
            break;
        case IOT_OTA_STATE_TRIAL:
            CHECK(iot_ota_confirm(NS) == IOT_OK, 45);
            break;
        case IOT_OTA_STATE_FAILED:
            /* Only an unconfirmed trial may end like this: the old image runs
             * and the counter did not move. */
            CHECK(info.last_failure == IOT_OTA_REASON_REVERTED, 46);
            CHECK(info.running.major == 1 && info.security_counter == 1, 47);
            _exit(10);
        default:
            _exit(48);
        }
    }
    _exit(49);
}

/* What a power cut may do to bytes that were not durable: every byte of a
 * download in progress past its resume point turns to junk. (A killed
 * process leaves them in the page cache; a power cut does not.) */
static void power_cut(void)
{
    iot_port_fw_info_t slot;
    char path[200];
    struct stat sb;
    FILE *f;
    long i;

    assert_int_equal(iot_port_fw_query(NS, &slot), IOT_OK);
    snprintf(path, sizeof(path), "%s/c1.staging", g_fw);
    if (slot.state != IOT_PORT_FW_WRITING || stat(path, &sb) != 0 ||
        sb.st_size <= (off_t)slot.written) {
        return;
    }
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)slot.written, SEEK_SET), 0);
    for (i = (long)slot.written; i < (long)sb.st_size; i++) {
        assert_int_not_equal(fputc(0xA5 ^ (int)(i & 0x3F), f), EOF);
    }
    assert_int_equal(fclose(f), 0);
}

/* Runs child_update() cut by `kill_at` (SIGKILL at a step) or `crash_after`
 * (stopped inside the n-th file operation), then child_recover(). Returns
 * 1 when the update ran to its end uncut, else 0; counts the outcomes. */
static int cut_and_recover(int kill_at, int crash_after, int *confirmed, int *reverted)
{
    pid_t pid;
    int status = 0;

    fresh_device();
    snprintf(g_ack_path, sizeof(g_ack_path), "%s/acked", g_fw);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        g_kill_at = kill_at;
        g_points = 0;
        iot_posix_fw_test_crash_after = crash_after;
        child_update();
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 1;
    }
    if (kill_at > 0) {
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    } else {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != IOT_POSIX_FW_TEST_CRASH_EXIT) {
            fail_msg("update child at crash point %d: status 0x%x", crash_after, status);
        }
    }
    power_cut();
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        iot_posix_fw_test_crash_after = -1;
        child_recover();
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 10)) {
        fail_msg("recovery after cut (kill at step %d, crash point %d) failed: status 0x%x",
                 kill_at, crash_after, status);
    }
    if (WEXITSTATUS(status) == 0) {
        (*confirmed)++;
    } else {
        (*reverted)++;
    }
    return 0;
}

/* A tampered image, downloaded and refused; stopped at every file operation. */
static image_t g_tampered;

static void child_refuse(void)
{
    uint32_t off;

    CHECK(iot_ota_init(&g_cfg) == IOT_OK, 60);
    CHECK(iot_ota_begin(NS, (uint32_t)g_tampered.len, NULL) == IOT_OK, 61);
    for (off = 0; off < g_tampered.len; off += CHUNK) {
        size_t n = g_tampered.len - off < CHUNK ? g_tampered.len - off : CHUNK;
        CHECK(iot_ota_write(NS, off, g_tampered.b + off, n) == IOT_OK, 62);
        ack(off + (uint32_t)n);
    }
    CHECK(iot_ota_finalize(NS, NULL) == IOT_ERR_BAD_SIGNATURE, 63);
    _exit(0);
}

/* After the cut: the refused image must never be pending or run. */
static void child_check_refused(void)
{
    iot_posix_boot_result_t r = IOT_POSIX_BOOT_TRIAL;
    iot_ota_info_t info;

    CHECK(iot_ota_init(&g_cfg) == IOT_OK, 70);
    CHECK(iot_posix_ota_boot(NS, &r, NULL) == IOT_OK && r == IOT_POSIX_BOOT_NONE, 71);
    CHECK(active_image_major() == 1, 72);
    CHECK(iot_ota_get_info(NS, &info) == IOT_OK, 73);
    if (info.state == IOT_OTA_STATE_DOWNLOADING) {
        uint32_t off;

        CHECK(iot_ota_begin(NS, (uint32_t)g_tampered.len, NULL) == IOT_OK, 74);
        CHECK(iot_ota_get_info(NS, &info) == IOT_OK && info.written >= acked(), 75);
        for (off = info.written; off < g_tampered.len; off += CHUNK) {
            size_t n = g_tampered.len - off < CHUNK ? g_tampered.len - off : CHUNK;
            CHECK(iot_ota_write(NS, off, g_tampered.b + off, n) == IOT_OK, 76);
        }
        CHECK(iot_ota_finalize(NS, NULL) == IOT_ERR_BAD_SIGNATURE, 77);
        CHECK(iot_ota_get_info(NS, &info) == IOT_OK, 78);
    }
    if (info.state == IOT_OTA_STATE_IDLE && acked() == 0) {
        _exit(0); /* cut before anything durable */
    }
    CHECK(info.state == IOT_OTA_STATE_FAILED, 79);
    CHECK(info.last_failure == IOT_OTA_REASON_HASH_MISMATCH, 80);
    CHECK(iot_ota_activate(NS) == IOT_ERR_BAD_STATE, 81);
    CHECK(iot_posix_ota_boot(NS, &r, NULL) == IOT_OK && r == IOT_POSIX_BOOT_NONE, 82);
    CHECK(iot_ota_get_info(NS, &info) == IOT_OK && info.running.major == 1, 83);
    /* And a good image can follow. */
    CHECK(iot_ota_begin(NS, (uint32_t)g_v2.len, NULL) == IOT_OK, 84);
    _exit(0);
}

static void test_refusal_stopped_at_every_file_operation(void **state)
{
    int n;

    (void)state;
    g_tampered = g_v2;
    g_tampered.b[0x400 + 1234] ^= 0x40;
    for (n = 0; n < 2000; n++) {
        pid_t pid;
        int status = 0;

        fresh_device();
        snprintf(g_ack_path, sizeof(g_ack_path), "%s/acked", g_fw);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            iot_posix_fw_test_crash_after = n;
            child_refuse();
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            break;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != IOT_POSIX_FW_TEST_CRASH_EXIT) {
            fail_msg("refusing child at crash point %d: status 0x%x", n, status);
        }
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            iot_posix_fw_test_crash_after = -1;
            child_check_refused();
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fail_msg("after a cut at file operation %d of a refusal: status 0x%x", n, status);
        }
    }
    assert_true(n > 20 && n < 2000);
}

static void test_killed_at_every_step(void **state)
{
    int confirmed = 0;
    int reverted = 0;
    int n;

    (void)state;
    for (n = 1; n < 100; n++) {
        if (cut_and_recover(n, -1, &confirmed, &reverted)) {
            break;
        }
    }
    /* init, begin, 5 blocks, finalize, activate, boot, init, confirm. */
    assert_int_equal(n, 13);
    /* Cut before the trial boot: finished and confirmed; cut during the
     * trial (before confirm): reverted. */
    assert_true(confirmed >= 9);
    assert_true(reverted >= 1);
}

static void test_stopped_at_every_file_operation(void **state)
{
    int confirmed = 0;
    int reverted = 0;
    int n;

    (void)state;
    for (n = 0; n < 2000; n++) {
        if (cut_and_recover(0, n, &confirmed, &reverted)) {
            break;
        }
    }
    assert_true(n > 50 && n < 2000);
    assert_true(confirmed > 0 && reverted > 0);
    print_message("cut at %d file operations: %d confirmed, %d reverted\n", n, confirmed,
                  reverted);
}

/* The same cuts with checkpointed writes: a checkpoint every 2 blocks. */
static void test_checkpointed_killed_at_every_step(void **state)
{
    int confirmed = 0;
    int reverted = 0;
    int n;

    (void)state;
    g_ckpt_every = 2;
    for (n = 1; n < 100; n++) {
        if (cut_and_recover(n, -1, &confirmed, &reverted)) {
            break;
        }
    }
    g_ckpt_every = 0;
    assert_int_equal(n, 13);
    assert_true(confirmed >= 9);
    assert_true(reverted >= 1);
}

static void test_checkpointed_stopped_at_every_file_operation(void **state)
{
    int confirmed = 0;
    int reverted = 0;
    int n;

    (void)state;
    g_ckpt_every = 2;
    for (n = 0; n < 2000; n++) {
        if (cut_and_recover(0, n, &confirmed, &reverted)) {
            break;
        }
    }
    g_ckpt_every = 0;
    assert_true(n > 40 && n < 2000);
    assert_true(confirmed > 0 && reverted > 0);
    print_message("checkpointed: cut at %d file operations: %d confirmed, %d reverted\n", n,
                  confirmed, reverted);
}

/* In one process: blocks written unsynced, a checkpoint every 2 blocks, a
 * power cut after each block in turn (the unsynced bytes turn to junk), a
 * restart. The download resumes at the last checkpoint, exactly, and the
 * image verifies: nothing lost was counted. */
static void test_checkpoint_resume_after_power_cut(void **state)
{
    uint32_t blocks = (uint32_t)((g_v2.len + CHUNK - 1u) / CHUNK);
    uint32_t cut;

    (void)state;
    assert_true(blocks >= 4);
    for (cut = 1; cut < blocks; cut++) {
        uint32_t off;
        uint32_t durable = 0;
        iot_ota_info_t info;
        iot_ota_reason_t reason = IOT_OTA_REASON_STORAGE;

        fresh_device();
        assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
        assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
        for (off = 0; off < cut * CHUNK; off += CHUNK) {
            assert_int_equal(ota_write_unsynced(NS, off, g_v2.b + off, CHUNK), IOT_OK);
            if ((off / CHUNK + 1u) % 2u == 0u) {
                assert_int_equal(ota_checkpoint(NS), IOT_OK);
                durable = off + CHUNK;
            }
            /* The resume point moves at checkpoints only. */
            assert_int_equal(info_of(NS).written, durable);
        }
        assert_int_equal(iot_posix_fw_test_lose_unsynced(NS), IOT_OK);
        assert_int_equal(iot_ota_init(&g_cfg), IOT_OK); /* the restart */
        assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
        info = info_of(NS);
        assert_int_equal(info.state, IOT_OTA_STATE_DOWNLOADING);
        assert_int_equal(info.written, durable);
        assert_true(durable == cut * CHUNK || durable == (cut - 1u) * CHUNK);
        for (off = durable; off < g_v2.len; off += CHUNK) {
            size_t n = g_v2.len - off < CHUNK ? g_v2.len - off : CHUNK;
            assert_int_equal(ota_write_unsynced(NS, off, g_v2.b + off, n), IOT_OK);
        }
        /* Not durable yet: finalize refuses to count the bytes. */
        assert_int_equal(iot_ota_finalize(NS, NULL), IOT_ERR_INCOMPLETE);
        assert_int_equal(ota_checkpoint(NS), IOT_OK);
        assert_int_equal(info_of(NS).written, g_v2.len);
        assert_int_equal(iot_ota_finalize(NS, &reason), IOT_OK);
        assert_int_equal(reason, IOT_OTA_REASON_NONE);
        assert_int_equal(info_of(NS).state, IOT_OTA_STATE_VERIFIED);
    }

    /* The loss is real, and counting it would be caught: junk made durable
     * as if it were the image fails the verification. */
    fresh_device();
    assert_int_equal(iot_ota_init(&g_cfg), IOT_OK);
    assert_int_equal(iot_ota_begin(NS, (uint32_t)g_v2.len, &k_v2), IOT_OK);
    {
        static uint8_t back[IMAGE_MAX];
        uint32_t off;
        iot_ota_reason_t reason = IOT_OTA_REASON_NONE;

        for (off = 0; off < g_v2.len; off += CHUNK) {
            size_t n = g_v2.len - off < CHUNK ? g_v2.len - off : CHUNK;
            assert_int_equal(ota_write_unsynced(NS, off, g_v2.b + off, n), IOT_OK);
        }
        assert_int_equal(iot_posix_fw_test_lose_unsynced(NS), IOT_OK);
        assert_int_equal(info_of(NS).written, 0u);
        assert_int_equal(iot_port_fw_read(NS, 0, back, g_v2.len), IOT_OK);
        assert_memory_not_equal(back, g_v2.b, g_v2.len);
        assert_int_equal(iot_ota_write(NS, 0, back, g_v2.len), IOT_OK);
        assert_int_not_equal(iot_ota_finalize(NS, &reason), IOT_OK);
        assert_int_not_equal(reason, IOT_OTA_REASON_NONE);
    }
}

/* Checkpointed writes: the same checks as iot_ota_write(). */
static void test_checkpoint_arguments_and_states(void **state)
{
    (void)state;
    assert_int_equal(ota_write_unsynced(NS, 0, g_v2.b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(ota_checkpoint(NS), IOT_ERR_BAD_STATE);
    assert_int_equal(ota_write_unsynced((iot_ota_component_t)7, 0, g_v2.b, 1),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(ota_checkpoint((iot_ota_component_t)7), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_begin(NS, 100, NULL), IOT_OK);
    assert_int_equal(ota_write_unsynced(NS, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(ota_write_unsynced(NS, 90, g_v2.b, 11), IOT_ERR_INVALID_ARG);
    assert_int_equal(ota_write_unsynced(NS, 101, g_v2.b, 0), IOT_ERR_INVALID_ARG);
    assert_int_equal(ota_write_unsynced(NS, 0, g_v2.b, 100), IOT_OK);
    assert_int_equal(info_of(NS).written, 0u);
    assert_int_equal(ota_checkpoint(NS), IOT_OK);
    assert_int_equal(info_of(NS).written, 100u);
    assert_int_equal(iot_ota_abort(NS), IOT_OK);
    assert_int_equal(ota_checkpoint(NS), IOT_ERR_BAD_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_update_confirm, per_test),
        cmocka_unit_test_setup(test_unconfirmed_reverts, per_test),
        cmocka_unit_test_setup(test_reject, per_test),
        cmocka_unit_test_setup(test_components_independent, per_test),
        cmocka_unit_test_setup(test_downgrade_rejected, per_test),
        cmocka_unit_test_setup(test_lower_security_counter_rejected, per_test),
        cmocka_unit_test_setup(test_version_mismatch_and_bad_images_rejected, per_test),
        cmocka_unit_test_setup(test_full_slot_reported, per_test),
        cmocka_unit_test_setup(test_tampered_staged_image_dropped_at_boot, per_test),
        cmocka_unit_test_setup(test_resume_after_restart, per_test),
        cmocka_unit_test_setup(test_unreadable_slot_keeps_state, per_test),
        cmocka_unit_test_setup(test_arguments_and_states, per_test),
        cmocka_unit_test_setup(test_corrupt_record_reported, per_test),
        cmocka_unit_test_setup(test_boot_command, per_test),
        cmocka_unit_test_setup(test_checkpoint_arguments_and_states, per_test),
        cmocka_unit_test(test_checkpoint_resume_after_power_cut),
        cmocka_unit_test(test_port_failure_at_every_call),
        cmocka_unit_test(test_killed_at_every_step),
        cmocka_unit_test(test_stopped_at_every_file_operation),
        cmocka_unit_test(test_refusal_stopped_at_every_file_operation),
        cmocka_unit_test(test_checkpointed_killed_at_every_step),
        cmocka_unit_test(test_checkpointed_stopped_at_every_file_operation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
