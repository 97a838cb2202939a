/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the posix object store (port.h iot_port_store_*): directory and
 * file modes, set/get/info/remove, damaged files, and crash safety. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "posix_store_internal.h"

static char g_root[256];
static char g_dir[300];

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char p[600];

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

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-store-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    (void)snprintf(g_dir, sizeof(g_dir), "%s/a/b/store", g_root);
    iot_posix_store_test_crash_after = -1;
    return (iot_posix_store_set_dir(g_dir) == IOT_OK) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(g_root);
    return 0;
}

static void object_file(iot_port_store_uid_t uid, const char *suffix, char *buf, size_t cap)
{
    (void)snprintf(buf, cap, "%s/%016llx.%s", g_dir, (unsigned long long)uid, suffix);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap, f);
    (void)fclose(f);
    return n;
}

static void write_file(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_directory_and_file_modes(void **state)
{
    struct stat sb;
    char path[400];
    char sub[400];

    (void)state;
    assert_int_equal(stat(g_dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777u, 0700u);
    (void)snprintf(sub, sizeof(sub), "%s/a", g_root);
    assert_int_equal(stat(sub, &sb), 0);
    assert_int_equal(sb.st_mode & 0777u, 0700u);

    assert_int_equal(iot_port_store_set(7u, "abc", 3u), IOT_OK);
    object_file(7u, "obj", path, sizeof(path));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777u, 0600u);
    assert_int_equal(sb.st_size, (off_t)(IOT_POSIX_STORE_HEADER_SIZE + 3u));
    object_file(7u, "tmp", path, sizeof(path));
    assert_int_not_equal(stat(path, &sb), 0); /* no temporary left behind */
}

static void test_set_dir_refuses_bad_directories(void **state)
{
    char open_dir[400];
    char long_dir[400];

    (void)state;
    assert_int_equal(iot_posix_store_set_dir(NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_posix_store_set_dir(""), IOT_ERR_INVALID_ARG);
    memset(long_dir, 'x', sizeof(long_dir) - 1u);
    long_dir[0] = '/';
    long_dir[sizeof(long_dir) - 1u] = '\0';
    assert_int_equal(iot_posix_store_set_dir(long_dir), IOT_ERR_INVALID_ARG);

    (void)snprintf(open_dir, sizeof(open_dir), "%s/open", g_root);
    assert_int_equal(mkdir(open_dir, 0700), 0);
    assert_int_equal(chmod(open_dir, 0755), 0);
    assert_int_equal(iot_posix_store_set_dir(open_dir), IOT_ERR_NOT_PERMITTED);
    /* the earlier directory stays in use */
    assert_int_equal(iot_port_store_set(1u, "x", 1u), IOT_OK);
    {
        char path[400];
        struct stat sb;
        object_file(1u, "obj", path, sizeof(path));
        assert_int_equal(stat(path, &sb), 0);
    }
}

static void test_set_get_info_remove(void **state)
{
    uint8_t value[1000];
    uint8_t buf[1000];
    size_t size = 0;
    size_t got = 0;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(value); i++) {
        value[i] = (uint8_t)(i * 7u + 3u);
    }
    assert_int_equal(iot_port_store_get_info(42u, &size), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_get(42u, 0, 4, buf, &got), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_port_store_remove(42u), IOT_ERR_NOT_FOUND);

    assert_int_equal(iot_port_store_set(42u, value, sizeof(value)), IOT_OK);
    assert_int_equal(iot_port_store_get_info(42u, &size), IOT_OK);
    assert_int_equal(size, sizeof(value));
    assert_int_equal(iot_port_store_get(42u, 0, sizeof(buf), buf, &got), IOT_OK);
    assert_int_equal(got, sizeof(value));
    assert_memory_equal(buf, value, sizeof(value));

    /* partial reads across the internal chunking */
    assert_int_equal(iot_port_store_get(42u, 510u, 20u, buf, &got), IOT_OK);
    assert_int_equal(got, 20u);
    assert_memory_equal(buf, value + 510, 20u);
    assert_int_equal(iot_port_store_get(42u, 990u, 100u, buf, &got), IOT_OK);
    assert_int_equal(got, 10u);
    assert_memory_equal(buf, value + 990, 10u);
    assert_int_equal(iot_port_store_get(42u, 1000u, 5u, buf, &got), IOT_OK);
    assert_int_equal(got, 0u);
    assert_int_equal(iot_port_store_get(42u, 1001u, 5u, buf, &got), IOT_ERR_INVALID_ARG);

    /* replace with a shorter value, then an empty one */
    assert_int_equal(iot_port_store_set(42u, "hello", 5u), IOT_OK);
    assert_int_equal(iot_port_store_get(42u, 0, sizeof(buf), buf, &got), IOT_OK);
    assert_int_equal(got, 5u);
    assert_memory_equal(buf, "hello", 5u);
    assert_int_equal(iot_port_store_set(42u, NULL, 0u), IOT_OK);
    assert_int_equal(iot_port_store_get_info(42u, &size), IOT_OK);
    assert_int_equal(size, 0u);

    assert_int_equal(iot_port_store_remove(42u), IOT_OK);
    assert_int_equal(iot_port_store_get_info(42u, &size), IOT_ERR_NOT_FOUND);

    /* uid 0 and NULL pointers */
    assert_int_equal(iot_port_store_set(0u, "x", 1u), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_set(1u, NULL, 1u), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get(0u, 0, 1, buf, &got), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get(1u, 0, 1, buf, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_get_info(1u, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_store_remove(0u), IOT_ERR_INVALID_ARG);
}

/* Every damage is reported as IOT_ERR_STORAGE_CORRUPT and the file is left alone. */
static void test_damaged_files_are_reported_and_kept(void **state)
{
    uint8_t good[64];
    uint8_t bad[64];
    uint8_t after[64];
    uint8_t buf[64];
    char path[400];
    size_t n;
    size_t size;
    size_t got;
    size_t pos;

    (void)state;
    assert_int_equal(iot_port_store_set(9u, "certificate bytes", 17u), IOT_OK);
    object_file(9u, "obj", path, sizeof(path));
    n = read_file(path, good, sizeof(good));
    assert_int_equal(n, IOT_POSIX_STORE_HEADER_SIZE + 17u);

    /* a flipped bit anywhere: magic, version, length, CRC, value */
    for (pos = 0; pos < n; pos++) {
        memcpy(bad, good, n);
        bad[pos] ^= 0x10u;
        write_file(path, bad, n);
        assert_int_equal(iot_port_store_get_info(9u, &size), IOT_ERR_STORAGE_CORRUPT);
        assert_int_equal(iot_port_store_get(9u, 0, sizeof(buf), buf, &got),
                         IOT_ERR_STORAGE_CORRUPT);
        assert_int_equal(read_file(path, after, sizeof(after)), n);
        assert_memory_equal(after, bad, n);
    }
    /* truncated, and too short for a header */
    write_file(path, good, n - 1u);
    assert_int_equal(iot_port_store_get_info(9u, &size), IOT_ERR_STORAGE_CORRUPT);
    write_file(path, good, 5u);
    assert_int_equal(iot_port_store_get_info(9u, &size), IOT_ERR_STORAGE_CORRUPT);
    /* restored, it reads again */
    write_file(path, good, n);
    assert_int_equal(iot_port_store_get(9u, 0, sizeof(buf), buf, &got), IOT_OK);
    assert_int_equal(got, 17u);
    assert_memory_equal(buf, "certificate bytes", 17u);
}

/* Run iot_port_store_set(uid, value) in a child that stops after `steps`
 * file operations; return 1 if it crashed, 0 if it completed. */
static int set_in_child(int steps, iot_port_store_uid_t uid, const uint8_t *value, size_t len)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        iot_posix_store_test_crash_after = steps;
        _exit(iot_port_store_set(uid, value, len) == IOT_OK ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == IOT_POSIX_STORE_TEST_CRASH_EXIT) {
        return 1;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    return 0;
}

/* A crash between any two steps of a replacement leaves the old or the new
 * value; the next set completes normally. */
static void test_crash_during_replace_leaves_old_or_new(void **state)
{
    uint8_t old_value[700];
    uint8_t new_value[900];
    uint8_t buf[1000];
    int steps;
    int crashes = 0;
    int saw_old = 0;
    int saw_new = 0;

    (void)state;
    memset(old_value, 0x11, sizeof(old_value));
    memset(new_value, 0x22, sizeof(new_value));
    for (steps = 0; steps < 20; steps++) {
        size_t got = 0;
        size_t size = 0;
        int crashed;

        assert_int_equal(iot_port_store_set(5u, old_value, sizeof(old_value)), IOT_OK);
        crashed = set_in_child(steps, 5u, new_value, sizeof(new_value));
        assert_int_equal(iot_port_store_get_info(5u, &size), IOT_OK);
        assert_int_equal(iot_port_store_get(5u, 0, sizeof(buf), buf, &got), IOT_OK);
        assert_int_equal(got, size);
        if (got == sizeof(old_value) && memcmp(buf, old_value, got) == 0) {
            saw_old++;
        } else {
            assert_int_equal(got, sizeof(new_value));
            assert_memory_equal(buf, new_value, got);
            saw_new++;
        }
        if (!crashed) {
            assert_int_equal(got, sizeof(new_value)); /* completed: the new value */
            break;
        }
        crashes++;
    }
    /* create, header, value, fsync, rename, dir fsync: 6 crash points */
    assert_int_equal(crashes, 6);
    assert_int_equal(saw_old, 5); /* up to and including the rename itself */
    assert_int_equal(saw_new, 2); /* after the rename (before the dir fsync) and completed */
    assert_int_equal(iot_port_store_set(5u, "z", 1u), IOT_OK);
}

/* A crash while creating a new object leaves no object or the whole one. */
static void test_crash_during_create_leaves_nothing_or_new(void **state)
{
    uint8_t value[300];
    uint8_t buf[400];
    int steps;

    (void)state;
    memset(value, 0x5A, sizeof(value));
    for (steps = 0; steps < 20; steps++) {
        size_t got = 0;
        iot_status_t st;
        int crashed;

        (void)iot_port_store_remove(6u);
        crashed = set_in_child(steps, 6u, value, sizeof(value));
        st = iot_port_store_get(6u, 0, sizeof(buf), buf, &got);
        if (st == IOT_OK) {
            assert_int_equal(got, sizeof(value));
            assert_memory_equal(buf, value, got);
        } else {
            assert_int_equal(st, IOT_ERR_NOT_FOUND);
            assert_true(crashed);
        }
        if (!crashed) {
            break;
        }
    }
    assert_true(steps < 20);
}

/* Runs first, before any directory was set in this process. */
static void test_unconfigured_store_is_bad_state(void **state)
{
    uint8_t buf[4];
    size_t n = 0;

    (void)state;
    assert_int_equal(iot_port_store_set(1u, "x", 1u), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_store_get(1u, 0, sizeof(buf), buf, &n), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_store_get_info(1u, &n), IOT_ERR_BAD_STATE);
    assert_int_equal(iot_port_store_remove(1u), IOT_ERR_BAD_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unconfigured_store_is_bad_state),
        cmocka_unit_test_setup_teardown(test_directory_and_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_dir_refuses_bad_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_get_info_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_files_are_reported_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_replace_leaves_old_or_new, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_crash_during_create_leaves_nothing_or_new, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("posix_store", tests, NULL, NULL);
}
