/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the posix port's firmware slots (files) and its host boot step,
 * including crashes between any two file operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "posix_fw_internal.h"

#define C0 IOT_PORT_FW_COMPONENT_SECURE
#define C1 IOT_PORT_FW_COMPONENT_NONSECURE
#define BAD_COMPONENT ((iot_port_fw_component_t)IOT_PORT_FW_COMPONENT_COUNT)

static char g_tmp[64];  /* the test's temporary directory */
static char g_slots[128]; /* the slot directory inside it */

/* ---- helpers --------------------------------------------------------- */

/* CRC-32 as the record format specifies (IEEE 802.3, reflected), written
 * independently of the port so the test checks the on-disk format. */
static uint32_t test_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
    }
    return ~crc;
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void slot_path(char *buf, size_t cap, iot_port_fw_component_t c, const char *what)
{
    int n = snprintf(buf, cap, "%s/c%u.%s", g_slots, (unsigned)c, what);
    assert_true(n > 0 && (size_t)n < cap);
}

static void put_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len > 0u) {
        assert_int_equal(fwrite(data, 1, len, f), len);
    }
    assert_int_equal(fclose(f), 0);
}

/* Returns the file's length, or -1 if it does not exist. */
static long get_file(const char *path, void *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        assert_int_equal(errno, ENOENT);
        return -1;
    }
    n = fread(buf, 1, cap, f);
    assert_int_equal(ferror(f), 0);
    assert_int_equal(fclose(f), 0);
    return (long)n;
}

static int slot_exists(iot_port_fw_component_t c, const char *what)
{
    char path[256];
    struct stat sb;

    slot_path(path, sizeof(path), c, what);
    return stat(path, &sb) == 0;
}

static void put_slot(iot_port_fw_component_t c, const char *what, const char *text)
{
    char path[256];

    slot_path(path, sizeof(path), c, what);
    put_file(path, text, strlen(text));
}

static void remove_slot(iot_port_fw_component_t c, const char *what)
{
    char path[256];

    slot_path(path, sizeof(path), c, what);
    assert_int_equal(unlink(path), 0);
}

/* Asserts that slot file `what` holds exactly `text`. */
static void assert_slot(iot_port_fw_component_t c, const char *what, const char *text)
{
    char path[256];
    char buf[512];
    long n;

    slot_path(path, sizeof(path), c, what);
    n = get_file(path, buf, sizeof(buf));
    assert_true(n >= 0);
    assert_int_equal((size_t)n, strlen(text));
    assert_memory_equal(buf, text, strlen(text));
}

static iot_port_fw_state_t state_of(iot_port_fw_component_t c)
{
    iot_port_fw_info_t info;

    assert_int_equal(iot_port_fw_query(c, &info), IOT_OK);
    return info.state;
}

static void write_record(iot_port_fw_component_t c, uint32_t magic, uint16_t version,
                         uint8_t state, uint8_t flags, uint32_t written, uint32_t slot)
{
    char path[256];
    uint8_t rec[20];

    le32(rec, magic);
    rec[4] = (uint8_t)version;
    rec[5] = (uint8_t)(version >> 8);
    rec[6] = state;
    rec[7] = flags;
    le32(rec + 8, written);
    le32(rec + 12, slot);
    le32(rec + 16, test_crc32(rec, 16));
    slot_path(path, sizeof(path), c, "state");
    put_file(path, rec, sizeof(rec));
}

/* Writes `text` as a new image and installs it (ends in STAGED). */
static void stage_image(iot_port_fw_component_t c, const char *text)
{
    size_t len = strlen(text);
    size_t half = len / 2u;

    assert_int_equal(iot_port_fw_start(c), IOT_OK);
    assert_int_equal(iot_port_fw_write(c, 0, (const uint8_t *)text, half), IOT_OK);
    assert_int_equal(iot_port_fw_write(c, (uint32_t)half, (const uint8_t *)text + half, len - half),
                     IOT_OK);
    assert_int_equal(iot_port_fw_finish(c), IOT_OK);
    assert_int_equal(iot_port_fw_install(c), IOT_OK);
    assert_int_equal(state_of(c), IOT_PORT_FW_STAGED);
}

/* rm -r: the trees here are small and hold no symbolic links. */
static void remove_tree(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;

    assert_int_equal(lstat(path, &sb), 0);
    if (S_ISDIR(sb.st_mode)) {
        d = opendir(path);
        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
            char sub[512];

            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            assert_true((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < sizeof(sub));
            remove_tree(sub);
        }
        assert_int_equal(closedir(d), 0);
        assert_int_equal(rmdir(path), 0);
    } else {
        assert_int_equal(unlink(path), 0);
    }
}

static int setup(void **state)
{
    (void)state;
    iot_posix_fw_test_crash_after = -1;
    (void)snprintf(g_tmp, sizeof(g_tmp), "/tmp/iot_fw_test_XXXXXX");
    if (mkdtemp(g_tmp) == NULL) {
        return -1;
    }
    (void)snprintf(g_slots, sizeof(g_slots), "%s/slots", g_tmp);
    if (iot_posix_fw_set_dir(g_slots) != IOT_OK) {
        return -1;
    }
    if (iot_posix_fw_set_slot_size(IOT_POSIX_FW_DEFAULT_SLOT_SIZE) != IOT_OK) {
        return -1;
    }
    iot_posix_fw_set_reboot_hook(NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    iot_posix_fw_test_crash_after = -1;
    remove_tree(g_tmp);
    return 0;
}

/* Empties the slot directory, for the next round of a crash loop. */
static void clear_slots(void)
{
    remove_tree(g_slots);
    assert_int_equal(mkdir(g_slots, 0700), 0);
}

/* ---- configuration --------------------------------------------------- */

/* Runs first, before any test has named a directory. */
static void test_unconfigured_is_bad_state(void **state)
{
    iot_port_fw_info_t info;
    iot_posix_boot_result_t res = IOT_POSIX_BOOT_TRIAL;
    uint8_t b = 0;
    char path[64];

    (void)state;
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_start(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_write(C0, 0, &b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_write_unsynced(C0, 0, &b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_sync(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_posix_fw_test_lose_unsynced(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_read(C0, 0, &b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_finish(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_install(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_cancel(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_accept(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_reject(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_request_reboot(), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_ERR_BAD_STATE);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_int_equal(iot_posix_fw_active_path(C0, path, sizeof(path)), IOT_ERR_BAD_STATE);
    /* An unknown component is reported as such even before configuration. */
    assert_int_equal(iot_port_fw_query(BAD_COMPONENT, &info), IOT_ERR_NOT_FOUND);
    /* A failed set_dir does not configure anything. */
    assert_int_equal(iot_posix_fw_set_dir(""), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_posix_fw_set_dir("/dev/null"), IOT_ERR_IO);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_ERR_BAD_STATE);
}

static void test_set_dir(void **state)
{
    char longdir[IOT_POSIX_FW_DIR_MAX + 2];
    char nested[256];
    char path[512];
    char expect[512];
    char cwd[PATH_MAX];
    struct stat sb;
    iot_port_fw_info_t info;

    (void)state;
    assert_int_equal(iot_posix_fw_set_dir(NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_posix_fw_set_dir(""), IOT_ERR_INVALID_ARG);
    memset(longdir, 'a', sizeof(longdir) - 1u);
    longdir[0] = '/';
    longdir[sizeof(longdir) - 1u] = '\0';
    assert_int_equal(iot_posix_fw_set_dir(longdir), IOT_ERR_INVALID_ARG);

    /* A regular file is not a directory. */
    (void)snprintf(path, sizeof(path), "%s/plain", g_tmp);
    put_file(path, "x", 1);
    assert_int_equal(iot_posix_fw_set_dir(path), IOT_ERR_IO);

    /* Missing directories are created, mode 0700. */
    (void)snprintf(nested, sizeof(nested), "%s/a/b/c", g_tmp);
    assert_int_equal(iot_posix_fw_set_dir(nested), IOT_OK);
    assert_int_equal(stat(nested, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    (void)snprintf(path, sizeof(path), "%s/c0.state", nested);
    assert_int_equal(stat(path, &sb), 0);

    /* An existing directory is used as it is. */
    assert_int_equal(iot_posix_fw_set_dir(g_slots), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_READY);

    /* A relative path is resolved once: a later chdir does not move the slots. */
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(g_tmp), 0);
    assert_int_equal(iot_posix_fw_set_dir("rel"), IOT_OK);
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(iot_posix_fw_active_path(C1, path, sizeof(path)), IOT_OK);
    assert_non_null(realpath(g_tmp, expect));
    strcat(expect, "/rel/c1.active");
    assert_string_equal(path, expect);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    (void)snprintf(path, sizeof(path), "%s/rel/c1.state", g_tmp);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(chdir(cwd), 0);
}

static void test_set_slot_size(void **state)
{
    iot_port_fw_info_t info;

    (void)state;
    assert_int_equal(iot_posix_fw_set_slot_size(0), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_posix_fw_set_slot_size(IOT_POSIX_FW_MAX_SLOT_SIZE + 1u),
                     IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.slot_size, IOT_POSIX_FW_DEFAULT_SLOT_SIZE);
    assert_int_equal(info.slot_size, 32u * 1024u * 1024u);
    assert_int_equal(iot_posix_fw_set_slot_size(IOT_POSIX_FW_MAX_SLOT_SIZE), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.slot_size, IOT_POSIX_FW_MAX_SLOT_SIZE);
    assert_int_equal(iot_posix_fw_set_slot_size(1), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.slot_size, 1u);
}

static int g_hook_calls;
static void *g_hook_user;

static void reboot_hook(void *user)
{
    g_hook_calls++;
    g_hook_user = user;
}

static void test_request_reboot(void **state)
{
    int token;

    (void)state;
    g_hook_calls = 0;
    assert_int_equal(iot_port_fw_request_reboot(), IOT_ERR_NOT_SUPPORTED);
    iot_posix_fw_set_reboot_hook(reboot_hook, &token);
    assert_int_equal(iot_port_fw_request_reboot(), IOT_OK);
    assert_int_equal(g_hook_calls, 1);
    assert_ptr_equal(g_hook_user, &token);
    iot_posix_fw_set_reboot_hook(NULL, NULL);
    assert_int_equal(iot_port_fw_request_reboot(), IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(g_hook_calls, 1);
}

static void test_active_path(void **state)
{
    char expect[512];
    char buf[512];
    size_t len;

    (void)state;
    assert_non_null(realpath(g_slots, expect));
    strcat(expect, "/c1.active");
    len = strlen(expect);
    assert_int_equal(iot_posix_fw_active_path(C1, buf, sizeof(buf)), IOT_OK);
    assert_string_equal(buf, expect);
    assert_int_equal(iot_posix_fw_active_path(C1, buf, len + 1u), IOT_OK);
    assert_string_equal(buf, expect);
    assert_int_equal(iot_posix_fw_active_path(C1, buf, len), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(iot_posix_fw_active_path(C1, buf, 0), IOT_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(iot_posix_fw_active_path(C1, NULL, sizeof(buf)), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_posix_fw_active_path(BAD_COMPONENT, buf, sizeof(buf)),
                     IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_posix_fw_active_path(C0, buf, sizeof(buf)), IOT_OK);
    expect[len - strlen("c1.active")] = '\0';
    strcat(expect, "c0.active");
    assert_string_equal(buf, expect);
}

/* ---- arguments ------------------------------------------------------- */

static void test_bad_component_and_args(void **state)
{
    iot_port_fw_info_t info;
    iot_posix_boot_result_t res;
    uint8_t b = 0;
    iot_port_fw_component_t bad[] = { BAD_COMPONENT, 3, 255 };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(iot_port_fw_query(bad[i], &info), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_start(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_write(bad[i], 0, &b, 1), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_write_unsynced(bad[i], 0, &b, 1), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_sync(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_posix_fw_test_lose_unsynced(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_read(bad[i], 0, &b, 1), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_finish(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_install(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_cancel(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_accept(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_port_fw_reject(bad[i]), IOT_ERR_NOT_FOUND);
        assert_int_equal(iot_posix_fw_boot(bad[i], &res), IOT_ERR_NOT_FOUND);
    }
    assert_int_equal(iot_port_fw_query(C0, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_posix_fw_boot(C0, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_write_unsynced(C0, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_read(C0, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    /* Zero lengths with NULL are fine and do nothing. */
    assert_int_equal(iot_port_fw_write(C0, 0, NULL, 0), IOT_OK);
    assert_int_equal(iot_port_fw_write_unsynced(C0, 0, NULL, 0), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C0), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 0, NULL, 0), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.written, 0u);
    /* Nothing was created for the unknown components. */
    assert_false(slot_exists(BAD_COMPONENT, "state"));
}

static void test_fresh_query(void **state)
{
    iot_port_fw_info_t info;
    iot_posix_boot_result_t res = IOT_POSIX_BOOT_TRIAL;

    (void)state;
    memset(&info, 0xA5, sizeof(info));
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_READY);
    assert_int_equal(info.written, 0u);
    assert_int_equal(info.slot_size, IOT_POSIX_FW_DEFAULT_SLOT_SIZE);
    /* Querying and booting a fresh component writes nothing. */
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_false(slot_exists(C0, "state"));
    assert_false(slot_exists(C0, "active"));
}

/* ---- the normal life of an update ------------------------------------ */

static void test_update_trial_accept(void **state)
{
    iot_posix_boot_result_t res;
    iot_port_fw_info_t info;
    uint8_t buf[32];
    const char *img = "new image, version 2";

    (void)state;
    put_slot(C1, "active", "old image, version 1");
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_WRITING);
    assert_int_equal(info.written, 0u);
    assert_int_equal(iot_port_fw_write(C1, 0, (const uint8_t *)img, 10), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 10u);
    assert_int_equal(iot_port_fw_write(C1, 10, (const uint8_t *)img + 10, strlen(img) - 10u),
                     IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, strlen(img));
    assert_int_equal(iot_port_fw_read(C1, 0, buf, strlen(img)), IOT_OK);
    assert_memory_equal(buf, img, strlen(img));
    assert_int_equal(iot_port_fw_finish(C1), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_CANDIDATE);
    assert_int_equal(info.written, strlen(img));
    assert_int_equal(iot_port_fw_install(C1), IOT_OK);
    assert_int_equal(state_of(C1), IOT_PORT_FW_STAGED);
    /* Nothing moves before the boot step; the other component is untouched. */
    assert_slot(C1, "active", "old image, version 1");
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);

    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_TRIAL);
    assert_int_equal(info.written, 0u);
    assert_slot(C1, "active", img);
    assert_slot(C1, "previous", "old image, version 1");
    assert_false(slot_exists(C1, "staging"));

    assert_int_equal(iot_port_fw_accept(C1), IOT_OK);
    assert_int_equal(state_of(C1), IOT_PORT_FW_READY);
    assert_false(slot_exists(C1, "previous"));
    assert_slot(C1, "active", img);
    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_slot(C1, "active", img);
    assert_int_equal(state_of(C1), IOT_PORT_FW_READY);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);
}

static void test_trial_not_accepted_reverts(void **state)
{
    iot_posix_boot_result_t res;

    (void)state;
    put_slot(C0, "active", "OLD");
    stage_image(C0, "NEW-IMAGE");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_slot(C0, "active", "NEW-IMAGE");
    /* Rebooted without accepting: the trial failed. */
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);
    assert_slot(C0, "active", "OLD");
    assert_false(slot_exists(C0, "previous"));
    assert_false(slot_exists(C0, "staging"));
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_slot(C0, "active", "OLD");
    /* A new update can follow. */
    stage_image(C0, "THIRD");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_int_equal(iot_port_fw_accept(C0), IOT_OK);
    assert_slot(C0, "active", "THIRD");
}

static void test_reject_reverts(void **state)
{
    iot_posix_boot_result_t res;

    (void)state;
    put_slot(C1, "active", "OLD");
    stage_image(C1, "BROKEN");
    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_int_equal(iot_port_fw_reject(C1), IOT_OK);
    assert_int_equal(state_of(C1), IOT_PORT_FW_REJECTED);
    /* Still running the rejected image until the reboot. */
    assert_slot(C1, "active", "BROKEN");
    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
    assert_int_equal(state_of(C1), IOT_PORT_FW_READY);
    assert_slot(C1, "active", "OLD");
    assert_false(slot_exists(C1, "previous"));
}

static void test_reject_staged_and_cancel(void **state)
{
    iot_posix_boot_result_t res;
    iot_port_fw_info_t info;

    (void)state;
    put_slot(C0, "active", "OLD");
    stage_image(C0, "NEVER-BOOTED");
    assert_int_equal(iot_port_fw_reject(C0), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_READY);
    assert_int_equal(info.written, 0u);
    assert_false(slot_exists(C0, "staging"));
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_slot(C0, "active", "OLD");

    /* cancel from WRITING, CANDIDATE and STAGED */
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 0, (const uint8_t *)"abc", 3), IOT_OK);
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_READY);
    assert_int_equal(info.written, 0u);
    assert_false(slot_exists(C0, "staging"));

    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_finish(C0), IOT_OK);
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);

    stage_image(C0, "STAGED");
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);
    assert_false(slot_exists(C0, "staging"));
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_slot(C0, "active", "OLD");
    /* cancel in READY changes nothing */
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);
}

static void test_first_image_without_active(void **state)
{
    iot_posix_boot_result_t res;

    (void)state;
    /* No image ever ran: the trial has no previous image to return to. */
    stage_image(C0, "FIRST");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_slot(C0, "active", "FIRST");
    assert_false(slot_exists(C0, "previous"));
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
    assert_false(slot_exists(C0, "active"));
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);

    stage_image(C0, "FIRST");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(iot_port_fw_accept(C0), IOT_OK);
    assert_slot(C0, "active", "FIRST");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_slot(C0, "active", "FIRST");
}

/* A stale previous image (left by an accept whose clean-up was lost) must
 * not be mistaken for the image the swap moved. */
static void test_stale_previous_is_not_restored(void **state)
{
    iot_posix_boot_result_t res;

    (void)state;
    put_slot(C1, "previous", "STALE");
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_false(slot_exists(C1, "previous"));
    assert_int_equal(iot_port_fw_cancel(C1), IOT_OK);
    put_slot(C1, "previous", "STALE");
    stage_image(C1, "NEW");
    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    assert_false(slot_exists(C1, "previous"));
    assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
    assert_false(slot_exists(C1, "active"));
}

/* The staged image disappears from outside: the update fails, the previous
 * image (if the swap had moved it) is put back, and FAILED can restart. */
static void test_staged_image_lost_fails(void **state)
{
    iot_posix_boot_result_t res;
    iot_port_fw_info_t info;
    char from[256];
    char to[256];
    uint8_t b = 1;

    (void)state;
    stage_image(C0, "LOST");
    remove_slot(C0, "staging");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.state, IOT_PORT_FW_FAILED);
    assert_int_equal(info.written, 0u);
    assert_false(slot_exists(C0, "active"));
    /* FAILED: no writing, finishing, installing, accepting or rejecting. */
    assert_int_equal(iot_port_fw_write(C0, 0, &b, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_finish(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_install(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_accept(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_reject(C0), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_int_equal(state_of(C0), IOT_PORT_FW_FAILED);
    /* cancel() leaves FAILED ... */
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(state_of(C0), IOT_PORT_FW_READY);

    /* ... and so does start(); this time the swap had moved the old image. */
    put_slot(C0, "active", "OLD");
    stage_image(C0, "LOST");
    slot_path(from, sizeof(from), C0, "active");
    slot_path(to, sizeof(to), C0, "previous");
    assert_int_equal(rename(from, to), 0); /* as the swap's first step does */
    remove_slot(C0, "staging");
    assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    assert_int_equal(state_of(C0), IOT_PORT_FW_FAILED);
    assert_slot(C0, "active", "OLD");
    assert_false(slot_exists(C0, "previous"));
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(state_of(C0), IOT_PORT_FW_WRITING);
    assert_int_equal(iot_port_fw_write(C0, 0, &b, 1), IOT_OK);
}

/* ---- every call in every state --------------------------------------- */

static void bring_to(iot_port_fw_component_t c, iot_port_fw_state_t target)
{
    iot_posix_boot_result_t res;

    clear_slots();
    put_slot(c, "active", "OLD");
    switch (target) {
    case IOT_PORT_FW_READY:
        break;
    case IOT_PORT_FW_WRITING:
        assert_int_equal(iot_port_fw_start(c), IOT_OK);
        break;
    case IOT_PORT_FW_CANDIDATE:
        assert_int_equal(iot_port_fw_start(c), IOT_OK);
        assert_int_equal(iot_port_fw_write(c, 0, (const uint8_t *)"NEW", 3), IOT_OK);
        assert_int_equal(iot_port_fw_finish(c), IOT_OK);
        break;
    case IOT_PORT_FW_STAGED:
        stage_image(c, "NEW");
        break;
    case IOT_PORT_FW_TRIAL:
    case IOT_PORT_FW_REJECTED:
        stage_image(c, "NEW");
        assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
        assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
        if (target == IOT_PORT_FW_REJECTED) {
            assert_int_equal(iot_port_fw_reject(c), IOT_OK);
        }
        break;
    case IOT_PORT_FW_FAILED:
        stage_image(c, "NEW");
        remove_slot(c, "staging");
        remove_slot(c, "active");
        assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
        break;
    }
    assert_int_equal(state_of(c), target);
}

typedef iot_status_t (*fw_call_t)(iot_port_fw_component_t c);

static iot_status_t call_write(iot_port_fw_component_t c)
{
    return iot_port_fw_write(c, 0, (const uint8_t *)"X", 1);
}

static void test_state_machine(void **state)
{
    static const struct {
        const char *name;
        fw_call_t call;
    } calls[] = {
        { "start", iot_port_fw_start },   { "write", call_write },
        { "finish", iot_port_fw_finish }, { "install", iot_port_fw_install },
        { "cancel", iot_port_fw_cancel }, { "accept", iot_port_fw_accept },
        { "reject", iot_port_fw_reject },
    };
    /* next[state][call]: the state after the call, or -1 for IOT_ERR_BAD_STATE */
    static const int next[7][7] = {
        /*            start write finish install cancel accept reject */
        /* READY */ { 1, -1, -1, -1, 0, -1, -1 },
        /* WRITING */ { -1, 1, 2, -1, 0, -1, -1 },
        /* CANDIDATE */ { -1, -1, -1, 3, 0, -1, -1 },
        /* STAGED */ { -1, -1, -1, -1, 0, -1, 0 },
        /* TRIAL */ { -1, -1, -1, -1, -1, 0, 5 },
        /* REJECTED */ { -1, -1, -1, -1, -1, -1, -1 },
        /* FAILED */ { 1, -1, -1, -1, 0, -1, -1 },
    };
    int s;
    size_t k;
    iot_port_fw_component_t c;

    (void)state;
    for (c = 0; c < IOT_PORT_FW_COMPONENT_COUNT; c++) {
        for (s = 0; s <= (int)IOT_PORT_FW_FAILED; s++) {
            for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
                iot_status_t st;

                bring_to(c, (iot_port_fw_state_t)s);
                st = calls[k].call(c);
                if (next[s][k] < 0) {
                    if (st != IOT_ERR_BAD_STATE) {
                        fail_msg("%s in state %d: %d, expected BAD_STATE", calls[k].name, s, st);
                    }
                    assert_int_equal(state_of(c), s);
                } else {
                    if (st != IOT_OK) {
                        fail_msg("%s in state %d: %d, expected OK", calls[k].name, s, st);
                    }
                    assert_int_equal(state_of(c), next[s][k]);
                }
                /* The other component never moves. */
                assert_int_equal(state_of((iot_port_fw_component_t)(1u - c)), IOT_PORT_FW_READY);
            }
        }
    }
}

/* ---- write, read and the resume point ---------------------------------- */

static void test_write_resume_point(void **state)
{
    iot_port_fw_info_t info;
    uint8_t data[64];
    uint8_t back[64];
    uint8_t rec[32];
    char path[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i + 1u);
    }
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_write(C1, 0, data, 10), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 10u);
    /* A write past the mark leaves a gap: the mark stays. */
    assert_int_equal(iot_port_fw_write(C1, 20, data + 20, 10), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 10u);
    /* Filling the gap moves the mark to the end of this write only. */
    assert_int_equal(iot_port_fw_write(C1, 10, data + 10, 10), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 20u);
    /* Rewriting below the mark does not move it. */
    assert_int_equal(iot_port_fw_write(C1, 0, data, 5), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 20u);
    /* Overlapping the mark extends it. */
    assert_int_equal(iot_port_fw_write(C1, 15, data + 15, 25), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 40u);
    /* Starting exactly at the mark extends it. */
    assert_int_equal(iot_port_fw_write(C1, 40, data + 40, 24), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 64u);
    assert_int_equal(iot_port_fw_read(C1, 0, back, sizeof(back)), IOT_OK);
    assert_memory_equal(back, data, sizeof(data));

    /* The mark is in the persisted record. */
    slot_path(path, sizeof(path), C1, "state");
    assert_int_equal(get_file(path, rec, sizeof(rec)), 20);
    assert_int_equal(rd32(rec + 8), 64u);

    /* start() again is refused while writing; after cancel it erases. */
    assert_int_equal(iot_port_fw_start(C1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_cancel(C1), IOT_OK);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
    assert_int_equal(info.written, 0u);
    memset(back, 0xEE, sizeof(back));
    assert_int_equal(iot_port_fw_read(C1, 0, back, sizeof(back)), IOT_OK);
    for (i = 0; i < sizeof(back); i++) {
        assert_int_equal(back[i], 0);
    }
}

static void test_storage_full(void **state)
{
    iot_port_fw_info_t info;
    uint8_t data[16];
    uint8_t back[64];
    char path[256];
    struct stat sb;

    (void)state;
    memset(data, 0x5A, sizeof(data));
    assert_int_equal(iot_posix_fw_set_slot_size(64), IOT_OK);
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.slot_size, 64u);
    assert_int_equal(iot_port_fw_write(C0, 0, data, 16), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 60, data, 5), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write(C0, 64, data, 1), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write(C0, UINT32_MAX, data, 1), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write(C0, 0, data, 65), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write(C0, 16, data, SIZE_MAX), IOT_ERR_STORAGE_FULL);
    /* Nothing was written by the refused calls. */
    slot_path(path, sizeof(path), C0, "staging");
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 16);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.written, 16u);
    assert_int_equal(info.state, IOT_PORT_FW_WRITING);
    /* The last byte of the slot, and an empty write at its end, are fine. */
    assert_int_equal(iot_port_fw_write(C0, 48, data, 16), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 64, data, 0), IOT_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 64);

    /* A new slot size does not shrink the update in progress. */
    assert_int_equal(iot_posix_fw_set_slot_size(8), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.slot_size, 64u);
    assert_int_equal(iot_port_fw_write(C0, 16, data, 16), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 0, back, 64), IOT_OK);
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
    assert_int_equal(info.slot_size, 8u);
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 0, data, 9), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write(C0, 0, data, 8), IOT_OK);
}

static void test_read(void **state)
{
    uint8_t back[16];
    size_t i;

    (void)state;
    assert_int_equal(iot_posix_fw_set_slot_size(16), IOT_OK);
    /* READY: the slot is empty and reads as zeros. */
    memset(back, 0xEE, sizeof(back));
    assert_int_equal(iot_port_fw_read(C0, 0, back, 16), IOT_OK);
    for (i = 0; i < sizeof(back); i++) {
        assert_int_equal(back[i], 0);
    }
    assert_int_equal(iot_port_fw_read(C0, 0, back, 17), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_read(C0, 16, back, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_read(C0, UINT32_MAX, back, 2), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_read(C0, 1, back, SIZE_MAX), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_fw_read(C0, 16, back, 0), IOT_OK);

    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 4, (const uint8_t *)"abcd", 4), IOT_OK);
    memset(back, 0xEE, sizeof(back));
    assert_int_equal(iot_port_fw_read(C0, 2, back, 10), IOT_OK);
    assert_memory_equal(back, "\0\0abcd\0\0\0\0", 10);
    assert_int_equal(back[10], 0xEE);
    assert_int_equal(iot_port_fw_read(C0, 5, back, 2), IOT_OK);
    assert_memory_equal(back, "bc", 2);
    assert_int_equal(iot_port_fw_read(C0, 15, back, 1), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 15, back, 2), IOT_ERR_INVALID_ARG);
    /* Readable in CANDIDATE and STAGED too (to verify before installing). */
    assert_int_equal(iot_port_fw_finish(C0), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 4, back, 4), IOT_OK);
    assert_memory_equal(back, "abcd", 4);
    assert_int_equal(iot_port_fw_install(C0), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 4, back, 4), IOT_OK);
    assert_memory_equal(back, "abcd", 4);
}

/* write() of a slot whose staging file vanished reports an I/O error. */
static void test_write_io_error(void **state)
{
    uint8_t b = 7;

    (void)state;
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    remove_slot(C0, "staging");
    assert_int_equal(iot_port_fw_write(C0, 0, &b, 1), IOT_ERR_IO);
    assert_int_equal(state_of(C0), IOT_PORT_FW_WRITING);
    /* cancel() and start() recover. */
    assert_int_equal(iot_port_fw_cancel(C0), IOT_OK);
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 0, &b, 1), IOT_OK);
}

/* ---- the state record ---------------------------------------------------- */

static void test_record_format(void **state)
{
    uint8_t rec[32];
    char path[256];

    (void)state;
    /* The test's CRC is the standard one. */
    assert_int_equal(test_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);

    assert_int_equal(iot_posix_fw_set_slot_size(4096), IOT_OK);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_write(C1, 0, (const uint8_t *)"0123456789", 10), IOT_OK);
    slot_path(path, sizeof(path), C1, "state");
    assert_int_equal(get_file(path, rec, sizeof(rec)), 20);
    assert_memory_equal(rec, "CIFW", 4);
    assert_int_equal(rec[4] | (rec[5] << 8), 1);
    assert_int_equal(rec[6], IOT_PORT_FW_WRITING);
    assert_int_equal(rec[7], 0);
    assert_int_equal(rd32(rec + 8), 10u);
    assert_int_equal(rd32(rec + 12), 4096u);
    assert_int_equal(rd32(rec + 16), test_crc32(rec, 16));
    /* The temporary file was renamed, not left behind. */
    assert_false(slot_exists(C1, "state.tmp"));

    /* A record written by hand is read back. */
    write_record(C1, 0x57464943u, 1, IOT_PORT_FW_CANDIDATE, 0, 7, 100);
    {
        iot_port_fw_info_t info;
        assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
        assert_int_equal(info.state, IOT_PORT_FW_CANDIDATE);
        assert_int_equal(info.written, 7u);
        assert_int_equal(info.slot_size, 100u);
    }
    /* A leftover temporary file (a crash mid-save) is ignored and replaced. */
    put_slot(C1, "state.tmp", "garbage");
    assert_int_equal(state_of(C1), IOT_PORT_FW_CANDIDATE);
    assert_int_equal(iot_port_fw_install(C1), IOT_OK);
    assert_int_equal(state_of(C1), IOT_PORT_FW_STAGED);
    assert_false(slot_exists(C1, "state.tmp"));

    /* After the swap the record carries the "has previous" flag. */
    put_slot(C1, "active", "OLD");
    put_slot(C1, "staging", "NEW");
    {
        iot_posix_boot_result_t res;
        assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
        assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
    }
    assert_int_equal(get_file(path, rec, sizeof(rec)), 20);
    assert_int_equal(rec[6], IOT_PORT_FW_TRIAL);
    assert_int_equal(rec[7], 1);
}

/* Every call on a damaged record: STORAGE_CORRUPT, and the file untouched. */
static void assert_all_corrupt(iot_port_fw_component_t c, const uint8_t *bytes, size_t len)
{
    iot_port_fw_info_t info;
    iot_posix_boot_result_t res = IOT_POSIX_BOOT_TRIAL;
    uint8_t b = 0;
    uint8_t now[64];
    char path[256];

    assert_int_equal(iot_port_fw_query(c, &info), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_start(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_write(c, 0, &b, 1), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_read(c, 0, &b, 1), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_finish(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_install(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_cancel(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_accept(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_port_fw_reject(c), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(iot_posix_fw_boot(c, &res), IOT_ERR_STORAGE_CORRUPT);
    assert_int_equal(res, IOT_POSIX_BOOT_NONE);
    slot_path(path, sizeof(path), c, "state");
    assert_int_equal(get_file(path, now, sizeof(now)), (long)len);
    assert_memory_equal(now, bytes, len);
    /* The images were not touched either. */
    assert_slot(c, "active", "OLD");
    assert_slot(c, "staging", "NEW");
}

static void test_corrupt_record(void **state)
{
    iot_port_fw_info_t info;
    uint8_t good[32];
    uint8_t bad[32];
    char path[256];
    size_t i;
    int bit;

    (void)state;
    put_slot(C0, "active", "OLD");
    stage_image(C0, "NEW");
    slot_path(path, sizeof(path), C0, "state");
    assert_int_equal(get_file(path, good, sizeof(good)), 20);

    /* Truncated at every length, including empty. */
    for (i = 0; i < 20u; i++) {
        put_file(path, good, i);
        assert_all_corrupt(C0, good, i);
    }
    /* One byte too many. */
    memcpy(bad, good, 20);
    bad[20] = 0;
    put_file(path, bad, 21);
    assert_all_corrupt(C0, bad, 21);
    /* Every single flipped bit. */
    for (i = 0; i < 20u; i++) {
        for (bit = 0; bit < 8; bit++) {
            memcpy(bad, good, 20);
            bad[i] ^= (uint8_t)(1u << bit);
            put_file(path, bad, 20);
            if (iot_port_fw_query(C0, &info) != IOT_ERR_STORAGE_CORRUPT) {
                fail_msg("bit %d of byte %zu flipped: not detected", bit, i);
            }
        }
    }
    assert_all_corrupt(C0, bad, 20);
    /* Flipped bytes. */
    memcpy(bad, good, 20);
    bad[3] = (uint8_t)~bad[3];
    bad[9] = (uint8_t)~bad[9];
    put_file(path, bad, 20);
    assert_all_corrupt(C0, bad, 20);

    /* Records with a valid CRC but impossible contents. */
    write_record(C0, 0x57464943u, 2, IOT_PORT_FW_STAGED, 0, 3, 100); /* version */
    assert_int_equal(get_file(path, bad, sizeof(bad)), 20);
    assert_all_corrupt(C0, bad, 20);
    write_record(C0, 0x57464944u, 1, IOT_PORT_FW_STAGED, 0, 3, 100); /* magic */
    assert_int_equal(get_file(path, bad, sizeof(bad)), 20);
    assert_all_corrupt(C0, bad, 20);
    write_record(C0, 0x57464943u, 1, 7, 0, 3, 100); /* state */
    assert_int_equal(get_file(path, bad, sizeof(bad)), 20);
    assert_all_corrupt(C0, bad, 20);
    write_record(C0, 0x57464943u, 1, IOT_PORT_FW_STAGED, 2, 3, 100); /* flag */
    assert_int_equal(get_file(path, bad, sizeof(bad)), 20);
    assert_all_corrupt(C0, bad, 20);
    write_record(C0, 0x57464943u, 1, IOT_PORT_FW_STAGED, 0, 101, 100); /* written */
    assert_int_equal(get_file(path, bad, sizeof(bad)), 20);
    assert_all_corrupt(C0, bad, 20);

    /* The other component is unaffected. */
    assert_int_equal(state_of(C1), IOT_PORT_FW_READY);
    /* Restoring the good record restores the component. */
    put_file(path, good, 20);
    assert_int_equal(state_of(C0), IOT_PORT_FW_STAGED);
}

static void test_unreadable_record_is_io(void **state)
{
    char path[256];
    iot_port_fw_info_t info;

    (void)state;
    /* A directory where the record should be cannot be read as a file. */
    slot_path(path, sizeof(path), C1, "state");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_ERR_IO);
    assert_int_equal(iot_port_fw_start(C1), IOT_ERR_IO);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(iot_port_fw_query(C1, &info), IOT_OK);
}

/* ---- crashes ----------------------------------------------------------- */

typedef iot_status_t (*crash_op_t)(iot_port_fw_component_t c);

static iot_status_t op_boot(iot_port_fw_component_t c)
{
    iot_posix_boot_result_t res;
    return iot_posix_fw_boot(c, &res);
}

/* Runs `op` in a child that is stopped before its (k+1)-th file operation.
 * Returns 1 if the child was stopped, 0 if it completed with IOT_OK. */
static int run_with_crash(crash_op_t op, iot_port_fw_component_t c, int k)
{
    pid_t pid;
    int status = 0;

    (void)fflush(stdout);
    (void)fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        iot_posix_fw_test_crash_after = k;
        _exit(op(c) == IOT_OK ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == IOT_POSIX_FW_TEST_CRASH_EXIT) {
        return 1;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    return 0;
}

/* STAGED with an old image: after a crash at any point, the next boot
 * completes the swap (or, if the child already recorded TRIAL, the next boot
 * is the unaccepted trial's reboot and reverts). */
static void crash_swap(iot_port_fw_component_t c, int with_old)
{
    int k;
    int crashed = 0;
    int saw_staged = 0;
    int saw_trial = 0;

    for (k = 0; k < 100; k++) {
        iot_posix_boot_result_t res;
        iot_port_fw_state_t s;

        clear_slots();
        if (with_old) {
            put_slot(c, "active", "OLD-IMAGE");
        }
        stage_image(c, "NEW-IMAGE-CONTENT");
        if (!run_with_crash(op_boot, c, k)) {
            break;
        }
        crashed++;
        s = state_of(c);
        if (s == IOT_PORT_FW_STAGED) {
            saw_staged = 1;
            assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
            assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
            assert_int_equal(state_of(c), IOT_PORT_FW_TRIAL);
            assert_slot(c, "active", "NEW-IMAGE-CONTENT");
            if (with_old) {
                assert_slot(c, "previous", "OLD-IMAGE");
            } else {
                assert_false(slot_exists(c, "previous"));
            }
            assert_false(slot_exists(c, "staging"));
            /* The recovered trial reverts correctly too. */
            assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
            assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
        } else {
            assert_int_equal(s, IOT_PORT_FW_TRIAL);
            saw_trial = 1;
            assert_slot(c, "active", "NEW-IMAGE-CONTENT");
            assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
            assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
        }
        assert_int_equal(state_of(c), IOT_PORT_FW_READY);
        if (with_old) {
            assert_slot(c, "active", "OLD-IMAGE");
        } else {
            assert_false(slot_exists(c, "active"));
        }
        assert_false(slot_exists(c, "previous"));
    }
    assert_true(k < 100);
    /* Two renames, two directory syncs and the record's steps at least. */
    assert_true(crashed >= (with_old ? 8 : 6));
    assert_true(saw_staged);
    assert_true(saw_trial);
    /* The loop ended with a child that completed: check its result. */
    assert_int_equal(state_of(c), IOT_PORT_FW_TRIAL);
    assert_slot(c, "active", "NEW-IMAGE-CONTENT");
}

static void test_crash_during_swap(void **state)
{
    (void)state;
    crash_swap(C0, 1);
    crash_swap(C1, 1);
}

static void test_crash_during_first_swap(void **state)
{
    (void)state;
    crash_swap(C1, 0);
}

/* TRIAL (or REJECTED): after a crash at any point the revert completes. */
static void crash_revert(iot_port_fw_component_t c, int with_old, int rejected)
{
    int k;
    int crashed = 0;

    for (k = 0; k < 100; k++) {
        iot_posix_boot_result_t res;
        iot_port_fw_state_t s;

        clear_slots();
        if (with_old) {
            put_slot(c, "active", "OLD-IMAGE");
        }
        stage_image(c, "TRIAL-IMAGE");
        assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
        assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
        if (rejected) {
            assert_int_equal(iot_port_fw_reject(c), IOT_OK);
        }
        if (!run_with_crash(op_boot, c, k)) {
            break;
        }
        crashed++;
        s = state_of(c);
        assert_int_equal(iot_posix_fw_boot(c, &res), IOT_OK);
        if (s == IOT_PORT_FW_READY) {
            assert_int_equal(res, IOT_POSIX_BOOT_NONE);
        } else {
            assert_int_equal(s, rejected ? IOT_PORT_FW_REJECTED : IOT_PORT_FW_TRIAL);
            assert_int_equal(res, IOT_POSIX_BOOT_REVERTED);
        }
        assert_int_equal(state_of(c), IOT_PORT_FW_READY);
        if (with_old) {
            assert_slot(c, "active", "OLD-IMAGE");
        } else {
            assert_false(slot_exists(c, "active"));
        }
        assert_false(slot_exists(c, "previous"));
    }
    assert_true(k < 100);
    assert_true(crashed >= 6);
    assert_int_equal(state_of(c), IOT_PORT_FW_READY);
    if (with_old) {
        assert_slot(c, "active", "OLD-IMAGE");
    } else {
        assert_false(slot_exists(c, "active"));
    }
}

static void test_crash_during_revert(void **state)
{
    (void)state;
    crash_revert(C0, 1, 0);
    crash_revert(C1, 1, 1);
    crash_revert(C0, 0, 0);
    crash_revert(C1, 0, 1);
}

/* start(), install() and accept(): a crash never corrupts the record, and
 * the call can simply be repeated. */
static void test_crash_during_transitions(void **state)
{
    int k;
    int crashed;

    (void)state;
    /* start() over a stale previous image */
    for (k = 0, crashed = 0; k < 100; k++) {
        iot_port_fw_state_t s;

        clear_slots();
        put_slot(C0, "active", "OLD");
        put_slot(C0, "previous", "STALE");
        put_slot(C0, "staging", "LEFTOVER");
        if (!run_with_crash(iot_port_fw_start, C0, k)) {
            break;
        }
        crashed++;
        s = state_of(C0);
        if (s == IOT_PORT_FW_READY) {
            assert_int_equal(iot_port_fw_start(C0), IOT_OK);
        } else {
            assert_int_equal(s, IOT_PORT_FW_WRITING);
        }
        assert_int_equal(state_of(C0), IOT_PORT_FW_WRITING);
        assert_false(slot_exists(C0, "previous"));
        assert_slot(C0, "staging", "");
        assert_slot(C0, "active", "OLD");
    }
    assert_true(k < 100);
    assert_true(crashed >= 6);

    /* install() */
    for (k = 0, crashed = 0; k < 100; k++) {
        iot_port_fw_state_t s;

        clear_slots();
        assert_int_equal(iot_port_fw_start(C1), IOT_OK);
        assert_int_equal(iot_port_fw_write(C1, 0, (const uint8_t *)"IMG", 3), IOT_OK);
        assert_int_equal(iot_port_fw_finish(C1), IOT_OK);
        if (!run_with_crash(iot_port_fw_install, C1, k)) {
            break;
        }
        crashed++;
        s = state_of(C1);
        if (s == IOT_PORT_FW_CANDIDATE) {
            assert_int_equal(iot_port_fw_install(C1), IOT_OK);
        } else {
            assert_int_equal(s, IOT_PORT_FW_STAGED);
        }
        assert_int_equal(state_of(C1), IOT_PORT_FW_STAGED);
        assert_slot(C1, "staging", "IMG");
    }
    assert_true(k < 100);
    assert_true(crashed >= 4);

    /* accept() */
    for (k = 0, crashed = 0; k < 100; k++) {
        iot_posix_boot_result_t res;
        iot_port_fw_state_t s;

        clear_slots();
        put_slot(C0, "active", "OLD");
        stage_image(C0, "NEW");
        assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
        if (!run_with_crash(iot_port_fw_accept, C0, k)) {
            break;
        }
        crashed++;
        s = state_of(C0);
        if (s == IOT_PORT_FW_TRIAL) {
            assert_int_equal(iot_port_fw_accept(C0), IOT_OK);
        } else {
            assert_int_equal(s, IOT_PORT_FW_READY);
        }
        assert_int_equal(iot_posix_fw_boot(C0, &res), IOT_OK);
        assert_int_equal(res, IOT_POSIX_BOOT_NONE);
        assert_slot(C0, "active", "NEW");
        /* A previous image left by the interrupted clean-up goes at start(). */
        assert_int_equal(iot_port_fw_start(C0), IOT_OK);
        assert_false(slot_exists(C0, "previous"));
    }
    assert_true(k < 100);
    assert_true(crashed >= 4);
}

/* cancel() or reject() of a staged image: after a crash the image is either
 * still fully staged or dropped, and the next boot never swaps in anything
 * but the staged image. */
static void crash_drop_staged(crash_op_t op)
{
    int k;
    int crashed = 0;

    for (k = 0; k < 100; k++) {
        iot_posix_boot_result_t res;
        iot_port_fw_state_t s;

        clear_slots();
        put_slot(C1, "active", "OLD");
        stage_image(C1, "NEW");
        if (!run_with_crash(op, C1, k)) {
            break;
        }
        crashed++;
        s = state_of(C1);
        if (s == IOT_PORT_FW_STAGED) {
            assert_slot(C1, "staging", "NEW");
            assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
            assert_int_equal(res, IOT_POSIX_BOOT_TRIAL);
            assert_slot(C1, "active", "NEW");
            assert_slot(C1, "previous", "OLD");
        } else {
            assert_int_equal(s, IOT_PORT_FW_READY);
            assert_int_equal(iot_posix_fw_boot(C1, &res), IOT_OK);
            assert_int_equal(res, IOT_POSIX_BOOT_NONE);
            assert_slot(C1, "active", "OLD");
        }
    }
    assert_true(k < 100);
    assert_true(crashed >= 5);
    assert_int_equal(state_of(C1), IOT_PORT_FW_READY);
    assert_false(slot_exists(C1, "staging"));
    assert_slot(C1, "active", "OLD");
}

static void test_crash_during_cancel_and_reject(void **state)
{
    (void)state;
    crash_drop_staged(iot_port_fw_cancel);
    crash_drop_staged(iot_port_fw_reject);
}

/* write(): after a crash the resume point never covers bytes that are not
 * in the slot, and resuming from it yields the whole image. */
static void test_crash_during_write(void **state)
{
    static const char img[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    int k;
    int crashed = 0;

    (void)state;
    for (k = 0; k < 100; k++) {
        iot_port_fw_info_t info;
        uint8_t back[sizeof(img)];
        pid_t pid;
        int status = 0;

        clear_slots();
        assert_int_equal(iot_port_fw_start(C0), IOT_OK);
        assert_int_equal(iot_port_fw_write(C0, 0, (const uint8_t *)img, 10), IOT_OK);
        (void)fflush(stdout);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            iot_posix_fw_test_crash_after = k;
            _exit(iot_port_fw_write(C0, 10, (const uint8_t *)img + 10, 20) == IOT_OK ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0) {
            break;
        }
        assert_int_equal(WEXITSTATUS(status), IOT_POSIX_FW_TEST_CRASH_EXIT);
        crashed++;
        assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
        assert_int_equal(info.state, IOT_PORT_FW_WRITING);
        assert_true(info.written == 10u || info.written == 30u);
        assert_int_equal(iot_port_fw_read(C0, 0, back, info.written), IOT_OK);
        assert_memory_equal(back, img, info.written);
        /* Resume from the mark. */
        assert_int_equal(iot_port_fw_write(C0, info.written, (const uint8_t *)img + info.written,
                                           sizeof(img) - info.written),
                         IOT_OK);
        assert_int_equal(iot_port_fw_query(C0, &info), IOT_OK);
        assert_int_equal(info.written, sizeof(img));
        assert_int_equal(iot_port_fw_read(C0, 0, back, sizeof(img)), IOT_OK);
        assert_memory_equal(back, img, sizeof(img));
    }
    assert_true(k < 100);
    assert_true(crashed >= 6);
}

/* The resume point as the persisted record names it. */
static uint32_t record_written(iot_port_fw_component_t c)
{
    uint8_t rec[32];
    char path[256];

    slot_path(path, sizeof(path), c, "state");
    assert_int_equal(get_file(path, rec, sizeof(rec)), 20);
    return rd32(rec + 8);
}

static uint32_t written_of(iot_port_fw_component_t c)
{
    iot_port_fw_info_t info;

    assert_int_equal(iot_port_fw_query(c, &info), IOT_OK);
    return info.written;
}

/* write_unsynced() does not move the resume point; sync() moves it over the
 * bytes written contiguously from it, as write() does. */
static void test_write_unsynced_and_sync(void **state)
{
    uint8_t data[64];
    uint8_t back[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(0x40u + i);
    }
    /* Only while WRITING. */
    assert_int_equal(iot_port_fw_write_unsynced(C1, 0, data, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_sync(C1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    /* Nothing unsynced: sync() does nothing. */
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 0u);

    assert_int_equal(iot_port_fw_write_unsynced(C1, 0, data, 10), IOT_OK);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 10, data + 10, 6), IOT_OK);
    assert_int_equal(written_of(C1), 0u);
    assert_int_equal(record_written(C1), 0u);
    /* Readable at once. */
    assert_int_equal(iot_port_fw_read(C1, 0, back, 16), IOT_OK);
    assert_memory_equal(back, data, 16);
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 16u);
    assert_int_equal(record_written(C1), 16u);

    /* A gap: the bytes after it do not count, even once the gap is filled
     * in a later batch (only the write that fills it counts). */
    assert_int_equal(iot_port_fw_write_unsynced(C1, 24, data + 24, 8), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 16u);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 16, data + 16, 8), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 24u);
    /* Within one batch, out of order: the contiguous run from the mark counts. */
    assert_int_equal(iot_port_fw_write_unsynced(C1, 32, data + 32, 8), IOT_OK);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 24, data + 24, 8), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 32u);

    /* write() makes the unsynced bytes before it durable too. */
    assert_int_equal(iot_port_fw_write_unsynced(C1, 32, data + 32, 8), IOT_OK);
    assert_int_equal(iot_port_fw_write(C1, 40, data + 40, 8), IOT_OK);
    assert_int_equal(written_of(C1), 48u);
    assert_int_equal(record_written(C1), 48u);

    /* The slot bounds hold as for write(). */
    assert_int_equal(iot_port_fw_write_unsynced(C1, UINT32_MAX, data, 1), IOT_ERR_STORAGE_FULL);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 0, data, SIZE_MAX), IOT_ERR_STORAGE_FULL);

    /* finish() makes the rest durable before it records CANDIDATE. */
    assert_int_equal(iot_port_fw_write_unsynced(C1, 48, data + 48, 16), IOT_OK);
    assert_int_equal(iot_port_fw_finish(C1), IOT_OK);
    assert_int_equal(state_of(C1), IOT_PORT_FW_CANDIDATE);
    assert_int_equal(written_of(C1), 64u);
    assert_int_equal(record_written(C1), 64u);
    assert_int_equal(iot_port_fw_read(C1, 0, back, 64), IOT_OK);
    assert_memory_equal(back, data, 64);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 0, data, 1), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_fw_sync(C1), IOT_ERR_BAD_STATE);

    /* cancel() forgets what was unsynced: a new download starts clean. */
    assert_int_equal(iot_port_fw_cancel(C1), IOT_OK);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_write_unsynced(C1, 0, data, 8), IOT_OK);
    assert_int_equal(iot_port_fw_cancel(C1), IOT_OK);
    assert_int_equal(iot_port_fw_start(C1), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C1), IOT_OK);
    assert_int_equal(written_of(C1), 0u);
}

/* The power-cut hook: unsynced bytes turn to junk, the resume point stays,
 * and writing again from it gives the image back. */
static void test_lose_unsynced(void **state)
{
    uint8_t data[40];
    uint8_t back[40];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(0x80u + i);
    }
    assert_int_equal(iot_port_fw_start(C0), IOT_OK);
    assert_int_equal(iot_port_fw_write(C0, 0, data, 10), IOT_OK);
    assert_int_equal(iot_port_fw_write_unsynced(C0, 10, data + 10, 20), IOT_OK);
    assert_int_equal(iot_posix_fw_test_lose_unsynced(C0), IOT_OK);
    assert_int_equal(written_of(C0), 10u);
    assert_int_equal(iot_port_fw_read(C0, 0, back, 30), IOT_OK);
    assert_memory_equal(back, data, 10);
    assert_memory_not_equal(back + 10, data + 10, 20);
    /* Forgotten: a sync now does not claim the junk. */
    assert_int_equal(iot_port_fw_sync(C0), IOT_OK);
    assert_int_equal(written_of(C0), 10u);
    /* Synced bytes survive the hook. */
    assert_int_equal(iot_port_fw_write_unsynced(C0, 10, data + 10, 20), IOT_OK);
    assert_int_equal(iot_port_fw_sync(C0), IOT_OK);
    assert_int_equal(iot_posix_fw_test_lose_unsynced(C0), IOT_OK);
    assert_int_equal(written_of(C0), 30u);
    assert_int_equal(iot_port_fw_read(C0, 0, back, 30), IOT_OK);
    assert_memory_equal(back, data, 30);
    assert_int_equal(iot_port_fw_write_unsynced(C0, 30, data + 30, 10), IOT_OK);
    assert_int_equal(iot_port_fw_finish(C0), IOT_OK);
    assert_int_equal(iot_posix_fw_test_lose_unsynced(C0), IOT_OK);
    assert_int_equal(iot_port_fw_read(C0, 0, back, 40), IOT_OK);
    assert_memory_equal(back, data, 40);
}

/* A crash at every file operation of sync(): the mark is the old or the
 * new one, and the bytes up to it are the image's. */
static void test_crash_during_sync(void **state)
{
    static const char img[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    int k;
    int crashed = 0;
    int saw_old = 0;

    (void)state;
    for (k = 0; k < 100; k++) {
        uint8_t back[sizeof(img)];
        uint32_t w;
        pid_t pid;
        int status = 0;

        clear_slots();
        assert_int_equal(iot_port_fw_start(C0), IOT_OK);
        assert_int_equal(iot_port_fw_write(C0, 0, (const uint8_t *)img, 10), IOT_OK);
        (void)fflush(stdout);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            iot_posix_fw_test_crash_after = k;
            _exit(iot_port_fw_write_unsynced(C0, 10, (const uint8_t *)img + 10, 20) == IOT_OK &&
                          iot_port_fw_sync(C0) == IOT_OK
                      ? 0
                      : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0) {
            break;
        }
        assert_int_equal(WEXITSTATUS(status), IOT_POSIX_FW_TEST_CRASH_EXIT);
        crashed++;
        w = written_of(C0);
        assert_true(w == 10u || w == 30u);
        saw_old |= (w == 10u);
        assert_int_equal(iot_port_fw_read(C0, 0, back, w), IOT_OK);
        assert_memory_equal(back, img, w);
    }
    assert_true(k < 100);
    /* The write, the data fsync and the record's steps at least. */
    assert_true(crashed >= 5);
    assert_true(saw_old);
    assert_int_equal(written_of(C0), 30u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* Must stay first: no directory has been named yet. */
        cmocka_unit_test(test_unconfigured_is_bad_state),
        cmocka_unit_test_setup_teardown(test_set_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_slot_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_reboot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_component_and_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_trial_accept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trial_not_accepted_reverts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_reverts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_staged_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_image_without_active, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_previous_is_not_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staged_image_lost_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_machine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_resume_point, setup, teardown),
        cmocka_unit_test_setup_teardown(test_storage_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_io_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_record_is_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_first_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_revert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_cancel_and_reject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_unsynced_and_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lose_unsynced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_sync, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
