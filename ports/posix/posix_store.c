/* SPDX-License-Identifier: Apache-2.0 */
/*
 * posix port: the object store of port.h as one file per uid.
 *
 * Files in the directory set by iot_posix_store_set_dir() (mode 0700):
 *   <uid as 16 hex digits>.obj   the object (mode 0600)
 *   <uid as 16 hex digits>.tmp   its replacement while it is being written
 *
 * Object file: a 16-byte header, then the value; header fields little-endian.
 *   offset 0   u32  magic 0x54534943 ("CIST")
 *          4   u16  format version, 1
 *          6   u16  reserved, 0
 *          8   u32  length of the value
 *         12   u32  CRC-32 (IEEE 802.3) of header bytes 0..11 and the value
 * A file of another size, with a wrong magic, version, reserved field or
 * CRC is corrupt: reads report IOT_ERR_STORAGE_CORRUPT and leave it alone.
 *
 * Atomic replacement: write the .tmp file (header, value), fsync it,
 * rename() it over the .obj file, fsync the directory. rename() swaps the
 * name in one step, so a reader finds the old or the new file; a torn .tmp
 * is never read and the next set of that uid truncates it. Removal unlinks
 * the .obj file and fsyncs the directory.
 *
 * crash_point() runs before every operation that changes the disk, so the
 * unit tests (posix_store_internal.h) can stop the process at each step.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "posix_file.h"
#include "posix_store_internal.h"

#define STORE_MAGIC 0x54534943u
#define STORE_VERSION 1u
#define HDR_SIZE IOT_POSIX_STORE_HEADER_SIZE
/* Largest value a file may hold; keeps lengths within 32 bits and off_t. */
#define STORE_MAX_VALUE 0x7FFFFFF0u

/* Longest object path: the directory, '/', 16 hex digits, ".obj", NUL. */
#define STORE_PATH_CAP (IOT_POSIX_STORE_DIR_MAX + 32)

int iot_posix_store_test_crash_after = -1;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_dir[IOT_POSIX_STORE_DIR_MAX + 1];
static int g_dir_set;

static void crash_point(void)
{
    if (iot_posix_store_test_crash_after == 0) {
        _exit(IOT_POSIX_STORE_TEST_CRASH_EXIT);
    }
    if (iot_posix_store_test_crash_after > 0) {
        iot_posix_store_test_crash_after--;
    }
}

static iot_status_t io_error(int err)
{
    return (err == ENOSPC || err == EDQUOT || err == EFBIG) ? IOT_ERR_STORAGE_FULL : IOT_ERR_IO;
}

/* Caller holds g_lock and has checked g_dir_set. */
static void object_path(iot_port_store_uid_t uid, const char *suffix, char *buf)
{
    (void)snprintf(buf, STORE_PATH_CAP, "%s/%016llx.%s", g_dir, (unsigned long long)uid, suffix);
}

static iot_status_t enter(iot_port_store_uid_t uid)
{
    if (uid == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    (void)pthread_mutex_lock(&g_lock);
    if (!g_dir_set) {
        (void)pthread_mutex_unlock(&g_lock);
        return IOT_ERR_BAD_STATE;
    }
    return IOT_OK;
}

static iot_status_t leave(iot_status_t st)
{
    (void)pthread_mutex_unlock(&g_lock);
    return st;
}

static iot_status_t fsync_dir(void)
{
    crash_point();
    return posix_fsync_dir(g_dir);
}

static iot_status_t write_all(int fd, const uint8_t *data, size_t len)
{
    crash_point();
    while (len > 0u) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_error(errno);
        }
        data += (size_t)n;
        len -= (size_t)n;
    }
    return IOT_OK;
}

static iot_status_t read_all(int fd, uint8_t *buf, size_t len)
{
    while (len > 0u) {
        ssize_t n = read(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return IOT_ERR_IO;
        }
        if (n == 0) {
            return IOT_ERR_STORAGE_CORRUPT; /* shorter than fstat said: changed under us */
        }
        buf += (size_t)n;
        len -= (size_t)n;
    }
    return IOT_OK;
}

/* Open and check an object file completely; copy value bytes
 * [offset, offset + len) into buf (buf may be NULL when len is 0). */
static iot_status_t read_object(iot_port_store_uid_t uid, size_t offset, size_t len, uint8_t *buf,
                                size_t *value_size, size_t *copied)
{
    char path[STORE_PATH_CAP];
    uint8_t hdr[HDR_SIZE];
    uint8_t chunk[512];
    struct stat sb;
    uint32_t value_len;
    uint32_t crc;
    size_t pos = 0;
    size_t done = 0;
    iot_status_t st;
    int fd;

    object_path(uid, "obj", path);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return (errno == ENOENT) ? IOT_ERR_NOT_FOUND : IOT_ERR_IO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        (void)close(fd);
        return IOT_ERR_IO;
    }
    if ((uint64_t)sb.st_size < HDR_SIZE || (uint64_t)sb.st_size > STORE_MAX_VALUE + HDR_SIZE) {
        (void)close(fd);
        return IOT_ERR_STORAGE_CORRUPT;
    }
    st = read_all(fd, hdr, sizeof(hdr));
    if (st != IOT_OK) {
        (void)close(fd);
        return st;
    }
    value_len = posix_get_le32(&hdr[8]);
    if (posix_get_le32(&hdr[0]) != STORE_MAGIC || hdr[4] != STORE_VERSION || hdr[5] != 0u ||
        hdr[6] != 0u || hdr[7] != 0u || (uint64_t)value_len + HDR_SIZE != (uint64_t)sb.st_size) {
        (void)close(fd);
        return IOT_ERR_STORAGE_CORRUPT;
    }
    if (offset > value_len) {
        (void)close(fd);
        return IOT_ERR_INVALID_ARG;
    }
    /* The whole value is read to check the CRC, even for a partial get. */
    crc = posix_crc32_update(0xFFFFFFFFu, hdr, 12u);
    while (pos < value_len) {
        size_t n = value_len - pos;
        if (n > sizeof(chunk)) {
            n = sizeof(chunk);
        }
        st = read_all(fd, chunk, n);
        if (st != IOT_OK) {
            (void)close(fd);
            return st;
        }
        crc = posix_crc32_update(crc, chunk, n);
        if (buf != NULL && pos + n > offset && done < len) {
            size_t from = (pos < offset) ? offset - pos : 0u;
            size_t take = n - from;
            if (take > len - done) {
                take = len - done;
            }
            memcpy(buf + done, chunk + from, take);
            done += take;
        }
        pos += n;
    }
    (void)close(fd);
    if ((crc ^ 0xFFFFFFFFu) != posix_get_le32(&hdr[12])) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    *value_size = value_len;
    *copied = done;
    return IOT_OK;
}

iot_status_t iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len)
{
    char tmp[STORE_PATH_CAP];
    char path[STORE_PATH_CAP];
    uint8_t hdr[HDR_SIZE];
    uint32_t crc;
    iot_status_t st;
    int fd;

    if ((data == NULL && len > 0u) || len > STORE_MAX_VALUE) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter(uid);
    if (st != IOT_OK) {
        return st;
    }
    object_path(uid, "tmp", tmp);
    object_path(uid, "obj", path);
    posix_put_le32(&hdr[0], STORE_MAGIC);
    hdr[4] = (uint8_t)STORE_VERSION;
    hdr[5] = 0u;
    hdr[6] = 0u;
    hdr[7] = 0u;
    posix_put_le32(&hdr[8], (uint32_t)len);
    crc = posix_crc32_update(0xFFFFFFFFu, hdr, 12u);
    if (len > 0u) {
        crc = posix_crc32_update(crc, data, len);
    }
    posix_put_le32(&hdr[12], crc ^ 0xFFFFFFFFu);

    crash_point();
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return leave(io_error(errno));
    }
    st = write_all(fd, hdr, sizeof(hdr));
    if (st == IOT_OK && len > 0u) {
        st = write_all(fd, data, len);
    }
    if (st == IOT_OK) {
        crash_point();
        if (fsync(fd) != 0) {
            st = io_error(errno);
        }
    }
    if (close(fd) != 0 && st == IOT_OK) {
        st = io_error(errno);
    }
    if (st == IOT_OK) {
        crash_point();
        if (rename(tmp, path) != 0) {
            st = IOT_ERR_IO;
        }
    }
    if (st != IOT_OK) {
        (void)unlink(tmp); /* the old object is untouched */
        return leave(st);
    }
    return leave(fsync_dir());
}

iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len)
{
    size_t size;
    iot_status_t st;

    if (read_len == NULL || (buf == NULL && len > 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    *read_len = 0;
    st = enter(uid);
    if (st != IOT_OK) {
        return st;
    }
    return leave(read_object(uid, offset, len, buf, &size, read_len));
}

iot_status_t iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size)
{
    size_t copied;
    iot_status_t st;

    if (size == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = enter(uid);
    if (st != IOT_OK) {
        return st;
    }
    return leave(read_object(uid, 0, 0, NULL, size, &copied));
}

iot_status_t iot_port_store_remove(iot_port_store_uid_t uid)
{
    char path[STORE_PATH_CAP];
    iot_status_t st;

    st = enter(uid);
    if (st != IOT_OK) {
        return st;
    }
    object_path(uid, "obj", path);
    crash_point();
    if (unlink(path) != 0) {
        return leave((errno == ENOENT) ? IOT_ERR_NOT_FOUND : IOT_ERR_IO);
    }
    return leave(fsync_dir());
}

iot_status_t iot_posix_store_set_dir(const char *dir)
{
    char resolved[IOT_POSIX_STORE_DIR_MAX + 1];
    struct stat sb;
    size_t len;
    iot_status_t st = posix_private_dir(dir, IOT_POSIX_STORE_DIR_MAX, resolved);

    if (st != IOT_OK) {
        return st;
    }
    if (stat(resolved, &sb) != 0) {
        return IOT_ERR_IO;
    }
    /* Secrets live here: refuse a directory others can read or enter. */
    if ((sb.st_mode & 077u) != 0u || sb.st_uid != geteuid()) {
        return IOT_ERR_NOT_PERMITTED;
    }
    len = strlen(resolved);
    (void)pthread_mutex_lock(&g_lock);
    memcpy(g_dir, resolved, len + 1u);
    g_dir_set = 1;
    (void)pthread_mutex_unlock(&g_lock);
    return IOT_OK;
}
