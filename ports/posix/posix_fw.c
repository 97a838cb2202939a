/* SPDX-License-Identifier: Apache-2.0 */
/*
 * posix port: firmware slots as files, and the host boot step.
 *
 * Files of component N in the directory set by iot_posix_fw_set_dir():
 *   cN.active     the image the host runs
 *   cN.staging    the staging slot written by iot_port_fw_write()
 *   cN.previous   the image that ran before the one on trial
 *   cN.state      the state record (cN.state.tmp while it is replaced)
 *
 * State record: 20 bytes, every field little-endian.
 *   offset 0   u32  magic 0x57464943 ("CIFW")
 *          4   u16  format version, 1
 *          6   u8   state (iot_port_fw_state_t)
 *          7   u8   flags; bit 0: the image on trial has a previous image
 *          8   u32  written: resume point in the staging slot
 *         12   u32  slot size the update in progress started with
 *         16   u32  CRC-32 (IEEE 802.3, reflected, init and final xor
 *                   0xFFFFFFFF) of bytes 0..15
 * A record of any other length, with a wrong magic, version or CRC, an
 * unknown state or flag, or written > slot size is corrupt: every call
 * reports IOT_ERR_STORAGE_CORRUPT and leaves the file as it is. No record
 * means READY with nothing written.
 *
 * Crash safety
 * ------------
 * A crash may stop the process between any two file operations.
 *
 * 1. The record is replaced atomically: write cN.state.tmp, fsync it,
 *    rename() it over cN.state, fsync the directory. rename() replaces the
 *    name in one step, so a reader sees the old or the new record, never a
 *    mixture; a torn cN.state.tmp is never read and the next save
 *    truncates it. Every rename() and unlink() is followed by an fsync of
 *    the directory before the next step, so the steps also reach the disk
 *    in program order.
 *
 * 2. Invariant P: in WRITING, CANDIDATE and STAGED there is no cN.previous.
 *    start() deletes it (and fsyncs the directory) before it records
 *    WRITING; only the boot swap creates it, and the swap begins in STAGED
 *    and its last step records TRIAL.
 *
 * 3. Boot in STAGED. The record says STAGED until the last step:
 *      S1  rename active -> previous   (skipped when there is no active image)
 *      S2  rename staging -> active
 *      S3  record TRIAL; flag = "previous exists"
 *    On entry the files tell which steps are done:
 *      staging and active present   nothing done: S1, S2, S3
 *      staging present, no active   S1 done, or there was never an active
 *                                   image: S2, S3
 *      no staging, active present   S2 done: S3
 *      neither                      no crash of S1..S3 leaves this (the
 *                                   staged image was removed from outside):
 *                                   previous, if any, becomes active again
 *                                   and the record says FAILED.
 *    S3 reads the flag from the files: by P a cN.previous present at that
 *    point can only be the image S1 moved.
 *
 * 4. Boot in TRIAL or REJECTED (revert). The record keeps its state and
 *    flag until the last step:
 *      flag set:   R1  rename previous -> active (replaces the trial image
 *                      in one step); no cN.previous means R1 is done, as
 *                      nothing else removes it while the record says TRIAL
 *                      or REJECTED (accept() records READY first)
 *      flag clear: R1' unlink active (already missing means done)
 *      R2  record READY
 *    A crash after R2 leaves READY, for which boot does nothing.
 *
 * 5. The other transitions write the record only, or order their file
 *    operations so that every intermediate state is one that the rules
 *    above already handle:
 *    - start(): delete previous, truncate staging, then record WRITING; a
 *      crash before the record leaves READY or FAILED and start() is simply
 *      called again.
 *    - cancel() and reject() of a staged image: record READY first, then
 *      delete staging. The other order could leave STAGED without staging,
 *      which the boot step would take for a completed S2.
 *    - accept(): record READY, then delete previous (start() deletes a
 *      leftover).
 *    - write(): the data is fsynced before the record advances `written`,
 *      so the resume point never covers bytes that are not durable.
 *    - write_unsynced() writes the data and only notes in memory what it
 *      wrote; sync() fsyncs the staging file and then advances `written`
 *      over the bytes written contiguously from it (as write() does), and
 *      finish() fsyncs what is still unsynced before it records CANDIDATE.
 *      A crash forgets the note together with the bytes it may lose; the
 *      record never names them, so they are simply written again.
 *
 * crash_point() runs before every operation that changes the disk, so the
 * unit tests (posix_fw_internal.h) can stop the process at each of the
 * points above and check that the next call finishes the same decision.
 *
 * The module mutex serialises the calls of one process. The boot step is
 * meant to run before the application, in the process that owns the
 * directory; two processes must not use one directory at the same time.
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
#include "posix_fw_internal.h"

#define REC_MAGIC 0x57464943u
#define REC_VERSION 1u
#define REC_SIZE 20u
#define REC_FLAG_HAS_PREVIOUS 0x01u
#define REC_FLAGS_KNOWN REC_FLAG_HAS_PREVIOUS

/* Longest slot file path: the directory, '/', "cN.state.tmp", NUL. */
#define FW_PATH_CAP (IOT_POSIX_FW_DIR_MAX + 32)

typedef enum {
    FW_ACTIVE,
    FW_STAGING,
    FW_PREVIOUS,
    FW_STATE,
    FW_STATE_TMP
} fw_file_t;

typedef struct {
    iot_port_fw_state_t state;
    uint8_t flags;
    uint32_t written;
    uint32_t slot_size;
} fw_record_t;

int iot_posix_fw_test_crash_after = -1;

/* What iot_port_fw_write_unsynced() wrote since the last sync, per
 * component. Process memory on purpose: a power cut forgets it together
 * with the bytes it describes. */
typedef struct {
    int dirty;       /* bytes were written since the last sync */
    uint32_t lo;     /* lowest offset written since */
    uint32_t hi;     /* highest end written since */
    uint32_t contig; /* end of the bytes written contiguously from the resume point */
} fw_unsynced_t;

static fw_unsynced_t g_unsynced[IOT_PORT_FW_COMPONENT_COUNT];

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_dir[IOT_POSIX_FW_DIR_MAX + 1];
static int g_dir_set;
static uint32_t g_slot_size = IOT_POSIX_FW_DEFAULT_SLOT_SIZE;
static iot_posix_reboot_hook_t g_reboot_hook;
static void *g_reboot_user;

/* Called before every file operation that changes something on disk. */
static void crash_point(void)
{
    if (iot_posix_fw_test_crash_after == 0) {
        _exit(IOT_POSIX_FW_TEST_CRASH_EXIT);
    }
    if (iot_posix_fw_test_crash_after > 0) {
        iot_posix_fw_test_crash_after--;
    }
}

static void fw_path(iot_port_fw_component_t component, fw_file_t file, char *buf)
{
    static const char *const suffix[] = { "active", "staging", "previous", "state", "state.tmp" };

    /* g_dir is at most IOT_POSIX_FW_DIR_MAX bytes, so this never truncates. */
    (void)snprintf(buf, FW_PATH_CAP, "%s/c%u.%s", g_dir, (unsigned)component, suffix[file]);
}

/* Common checks of every slot call, in the order the contract lists them. */
static iot_status_t fw_check(iot_port_fw_component_t component)
{
    if (component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_NOT_FOUND;
    }
    if (!g_dir_set) {
        return IOT_ERR_BAD_STATE;
    }
    return IOT_OK;
}

static int has_image_in_slot(iot_port_fw_state_t state)
{
    return state == IOT_PORT_FW_WRITING || state == IOT_PORT_FW_CANDIDATE ||
           state == IOT_PORT_FW_STAGED;
}

/* Capacity of the staging slot: fixed by start() while an image occupies
 * the slot, the configured size otherwise. */
static uint32_t slot_capacity(const fw_record_t *rec)
{
    return has_image_in_slot(rec->state) ? rec->slot_size : g_slot_size;
}

/* offset + len <= cap, without overflow for any size_t. */
static int range_fits(uint32_t offset, size_t len, uint32_t cap)
{
    return offset <= cap && len <= (size_t)(cap - offset);
}

static iot_status_t fsync_dir(void)
{
    crash_point();
    return posix_fsync_dir(g_dir);
}

static iot_status_t file_exists(iot_port_fw_component_t component, fw_file_t file, int *present)
{
    char path[FW_PATH_CAP];
    struct stat sb;

    fw_path(component, file, path);
    if (stat(path, &sb) == 0) {
        *present = 1;
        return IOT_OK;
    }
    if (errno == ENOENT) {
        *present = 0;
        return IOT_OK;
    }
    return IOT_ERR_IO;
}

static iot_status_t fw_rename(iot_port_fw_component_t component, fw_file_t from, fw_file_t to)
{
    char src[FW_PATH_CAP];
    char dst[FW_PATH_CAP];

    fw_path(component, from, src);
    fw_path(component, to, dst);
    crash_point();
    if (rename(src, dst) != 0) {
        return IOT_ERR_IO;
    }
    return fsync_dir();
}

/* Delete a file; one that is already gone counts as deleted. */
static iot_status_t fw_unlink(iot_port_fw_component_t component, fw_file_t file)
{
    char path[FW_PATH_CAP];

    fw_path(component, file, path);
    crash_point();
    if (unlink(path) != 0) {
        return (errno == ENOENT) ? IOT_OK : IOT_ERR_IO;
    }
    return fsync_dir();
}

static iot_status_t write_all(int fd, const uint8_t *data, size_t len, uint64_t offset)
{
    while (len > 0u) {
        ssize_t n;

        crash_point();
        n = pwrite(fd, data, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return IOT_ERR_IO;
        }
        data += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return IOT_OK;
}

static iot_status_t sync_fd(int fd)
{
    crash_point();
    return (fsync(fd) == 0) ? IOT_OK : IOT_ERR_IO;
}

static iot_status_t load_record(iot_port_fw_component_t component, fw_record_t *rec)
{
    char path[FW_PATH_CAP];
    uint8_t buf[REC_SIZE + 1u];
    size_t got = 0;
    uint32_t state;
    int fd;

    fw_path(component, FW_STATE, path);
    /* O_NONBLOCK: something other than a regular file in its place must not
     * block the caller; it fails to read as a record instead. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            return IOT_ERR_IO;
        }
        rec->state = IOT_PORT_FW_READY;
        rec->flags = 0;
        rec->written = 0;
        rec->slot_size = g_slot_size;
        return IOT_OK;
    }
    /* Read one byte more than a record so that a longer file is noticed. */
    while (got < sizeof(buf)) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - got);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            (void)close(fd);
            return IOT_ERR_IO;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    (void)close(fd);

    if (got != REC_SIZE || posix_get_le32(buf) != REC_MAGIC ||
        ((uint32_t)buf[4] | ((uint32_t)buf[5] << 8)) != REC_VERSION ||
        posix_get_le32(buf + 16) != posix_crc32(buf, 16)) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    state = buf[6];
    rec->flags = buf[7];
    rec->written = posix_get_le32(buf + 8);
    rec->slot_size = posix_get_le32(buf + 12);
    if (state > (uint32_t)IOT_PORT_FW_FAILED || (rec->flags & ~REC_FLAGS_KNOWN) != 0u ||
        rec->written > rec->slot_size) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    rec->state = (iot_port_fw_state_t)state;
    return IOT_OK;
}

static iot_status_t save_record(iot_port_fw_component_t component, const fw_record_t *rec)
{
    char tmp[FW_PATH_CAP];
    uint8_t buf[REC_SIZE];
    iot_status_t st;
    int fd;

    posix_put_le32(buf, REC_MAGIC);
    buf[4] = (uint8_t)REC_VERSION;
    buf[5] = (uint8_t)(REC_VERSION >> 8);
    buf[6] = (uint8_t)rec->state;
    buf[7] = rec->flags;
    posix_put_le32(buf + 8, rec->written);
    posix_put_le32(buf + 12, rec->slot_size);
    posix_put_le32(buf + 16, posix_crc32(buf, 16));

    fw_path(component, FW_STATE_TMP, tmp);
    crash_point();
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return IOT_ERR_IO;
    }
    st = write_all(fd, buf, sizeof(buf), 0);
    if (st == IOT_OK) {
        st = sync_fd(fd);
    }
    if (close(fd) != 0 && st == IOT_OK) {
        st = IOT_ERR_IO;
    }
    if (st != IOT_OK) {
        return st;
    }
    return fw_rename(component, FW_STATE_TMP, FW_STATE);
}

static iot_status_t set_state(iot_port_fw_component_t component, fw_record_t *rec,
                              iot_port_fw_state_t state)
{
    rec->state = state;
    return save_record(component, rec);
}

/* Record READY with an empty slot. */
static iot_status_t save_ready(iot_port_fw_component_t component)
{
    fw_record_t rec;

    rec.state = IOT_PORT_FW_READY;
    rec.flags = 0;
    rec.written = 0;
    rec.slot_size = g_slot_size;
    return save_record(component, &rec);
}

/* Locks the module and loads the record of a valid component. On success
 * the caller holds the lock and must call fw_leave(). */
static iot_status_t fw_enter(iot_port_fw_component_t component, fw_record_t *rec)
{
    iot_status_t st;

    (void)pthread_mutex_lock(&g_lock);
    st = fw_check(component);
    if (st == IOT_OK) {
        st = load_record(component, rec);
    }
    if (st != IOT_OK) {
        (void)pthread_mutex_unlock(&g_lock);
    }
    return st;
}

static iot_status_t fw_leave(iot_status_t st)
{
    (void)pthread_mutex_unlock(&g_lock);
    return st;
}

/* fw_enter() for a call that needs one state: IOT_ERR_BAD_STATE (unlocked)
 * in any other. */
static iot_status_t fw_enter_in(iot_port_fw_component_t component, fw_record_t *rec,
                                iot_port_fw_state_t state)
{
    iot_status_t st = fw_enter(component, rec);

    if (st == IOT_OK && rec->state != state) {
        st = fw_leave(IOT_ERR_BAD_STATE);
    }
    return st;
}

/* ---- Configuration (posix.h) ------------------------------------------ */

iot_status_t iot_posix_fw_set_dir(const char *dir)
{
    char resolved[IOT_POSIX_FW_DIR_MAX + 1];
    size_t len;
    iot_status_t st = posix_private_dir(dir, IOT_POSIX_FW_DIR_MAX, resolved);

    if (st != IOT_OK) {
        return st;
    }
    len = strlen(resolved);
    (void)pthread_mutex_lock(&g_lock);
    memset(g_unsynced, 0, sizeof(g_unsynced));
    memcpy(g_dir, resolved, len + 1u);
    g_dir_set = 1;
    (void)pthread_mutex_unlock(&g_lock);
    return IOT_OK;
}

iot_status_t iot_posix_fw_set_slot_size(uint32_t bytes)
{
    if (bytes == 0u || bytes > IOT_POSIX_FW_MAX_SLOT_SIZE) {
        return IOT_ERR_INVALID_ARG;
    }
    (void)pthread_mutex_lock(&g_lock);
    g_slot_size = bytes;
    (void)pthread_mutex_unlock(&g_lock);
    return IOT_OK;
}

void iot_posix_fw_set_reboot_hook(iot_posix_reboot_hook_t hook, void *user)
{
    (void)pthread_mutex_lock(&g_lock);
    g_reboot_hook = hook;
    g_reboot_user = user;
    (void)pthread_mutex_unlock(&g_lock);
}

iot_status_t iot_posix_fw_active_path(iot_port_fw_component_t component, char *buf, size_t cap)
{
    char path[FW_PATH_CAP];
    size_t len;
    iot_status_t st;

    if (buf == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    (void)pthread_mutex_lock(&g_lock);
    st = fw_check(component);
    if (st == IOT_OK) {
        fw_path(component, FW_ACTIVE, path);
    }
    (void)pthread_mutex_unlock(&g_lock);
    if (st != IOT_OK) {
        return st;
    }
    len = strlen(path);
    if (len >= cap) {
        return IOT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(buf, path, len + 1u);
    return IOT_OK;
}

/* ---- Host boot step ---------------------------------------------------- */

/* STAGED: steps S1..S3 of the comment at the top. */
static iot_status_t boot_swap(iot_port_fw_component_t component, fw_record_t *rec,
                              iot_posix_boot_result_t *result)
{
    int staging;
    int active;
    int previous;
    iot_status_t st;

    st = file_exists(component, FW_STAGING, &staging);
    if (st == IOT_OK) {
        st = file_exists(component, FW_ACTIVE, &active);
    }
    if (st != IOT_OK) {
        return st;
    }
    if (!staging && !active) {
        /* The staged image is gone: not a state a crash of S1..S3 leaves.
         * Put the previous image back if S1 moved one, and fail the update. */
        st = file_exists(component, FW_PREVIOUS, &previous);
        if (st == IOT_OK && previous) {
            st = fw_rename(component, FW_PREVIOUS, FW_ACTIVE);
        }
        if (st != IOT_OK) {
            return st;
        }
        rec->flags = 0;
        rec->written = 0;
        return set_state(component, rec, IOT_PORT_FW_FAILED);
    }
    if (staging) {
        if (active) {
            st = fw_rename(component, FW_ACTIVE, FW_PREVIOUS); /* S1 */
        }
        if (st == IOT_OK) {
            st = fw_rename(component, FW_STAGING, FW_ACTIVE); /* S2 */
        }
        if (st != IOT_OK) {
            return st;
        }
    }
    st = file_exists(component, FW_PREVIOUS, &previous);
    if (st != IOT_OK) {
        return st;
    }
    rec->flags = previous ? (uint8_t)REC_FLAG_HAS_PREVIOUS : (uint8_t)0;
    rec->written = 0;
    rec->slot_size = g_slot_size;
    st = set_state(component, rec, IOT_PORT_FW_TRIAL); /* S3 */
    if (st == IOT_OK) {
        *result = IOT_POSIX_BOOT_TRIAL;
    }
    return st;
}

/* TRIAL or REJECTED: steps R1 (or R1') and R2 of the comment at the top. */
static iot_status_t boot_revert(iot_port_fw_component_t component, const fw_record_t *rec,
                                iot_posix_boot_result_t *result)
{
    iot_status_t st;

    if ((rec->flags & REC_FLAG_HAS_PREVIOUS) != 0u) {
        int previous;

        st = file_exists(component, FW_PREVIOUS, &previous);
        if (st == IOT_OK && previous) {
            st = fw_rename(component, FW_PREVIOUS, FW_ACTIVE); /* R1 */
        }
    } else {
        st = fw_unlink(component, FW_ACTIVE); /* R1' */
    }
    if (st == IOT_OK) {
        st = save_ready(component); /* R2 */
    }
    if (st == IOT_OK) {
        *result = IOT_POSIX_BOOT_REVERTED;
    }
    return st;
}

iot_status_t iot_posix_fw_boot(iot_port_fw_component_t component, iot_posix_boot_result_t *result)
{
    fw_record_t rec;
    iot_status_t st;

    if (result == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    *result = IOT_POSIX_BOOT_NONE;
    st = fw_enter(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    switch (rec.state) {
    case IOT_PORT_FW_STAGED:
        st = boot_swap(component, &rec, result);
        break;
    case IOT_PORT_FW_TRIAL:
    case IOT_PORT_FW_REJECTED:
        st = boot_revert(component, &rec, result);
        break;
    default:
        break;
    }
    return fw_leave(st);
}

/* ---- Firmware slots (port.h) ------------------------------------------- */

iot_status_t iot_port_fw_query(iot_port_fw_component_t component, iot_port_fw_info_t *info)
{
    fw_record_t rec;
    iot_status_t st;

    if (info == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = fw_enter(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    info->state = rec.state;
    info->slot_size = slot_capacity(&rec);
    info->written = has_image_in_slot(rec.state) ? rec.written : 0u;
    return fw_leave(IOT_OK);
}

iot_status_t iot_port_fw_start(iot_port_fw_component_t component)
{
    char path[FW_PATH_CAP];
    fw_record_t rec;
    iot_status_t st;
    int fd;

    st = fw_enter(component, &rec);
    if (st != IOT_OK) {
        return st;
    }
    if (rec.state != IOT_PORT_FW_READY && rec.state != IOT_PORT_FW_FAILED) {
        return fw_leave(IOT_ERR_BAD_STATE);
    }
    /* Invariant P: no previous image from here until the boot swap. */
    st = fw_unlink(component, FW_PREVIOUS);
    if (st != IOT_OK) {
        return fw_leave(st);
    }
    fw_path(component, FW_STAGING, path);
    crash_point();
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fw_leave(IOT_ERR_IO);
    }
    st = sync_fd(fd);
    if (close(fd) != 0 && st == IOT_OK) {
        st = IOT_ERR_IO;
    }
    if (st == IOT_OK) {
        st = fsync_dir();
    }
    if (st == IOT_OK) {
        memset(&g_unsynced[component], 0, sizeof(g_unsynced[component]));
        rec.flags = 0;
        rec.written = 0;
        rec.slot_size = g_slot_size;
        st = set_state(component, &rec, IOT_PORT_FW_WRITING);
    }
    return fw_leave(st);
}

/* Note bytes [offset, end) written unsynced over the resume point rec->written. */
static void note_unsynced(iot_port_fw_component_t component, const fw_record_t *rec,
                          uint32_t offset, uint32_t end)
{
    fw_unsynced_t *u = &g_unsynced[component];
    uint32_t cur;

    if (!u->dirty) {
        u->dirty = 1;
        u->lo = offset;
        u->hi = end;
        u->contig = rec->written;
    }
    u->lo = (offset < u->lo) ? offset : u->lo;
    u->hi = (end > u->hi) ? end : u->hi;
    cur = (u->contig > rec->written) ? u->contig : rec->written;
    if (offset <= cur && end > cur) {
        u->contig = end;
    }
}

/* The unsynced bytes are durable now: move the resume point over the
 * contiguous ones (only over durable bytes, see rule 5) and forget them. */
static iot_status_t commit_unsynced(iot_port_fw_component_t component, fw_record_t *rec)
{
    fw_unsynced_t *u = &g_unsynced[component];
    iot_status_t st = IOT_OK;

    if (u->dirty && u->contig > rec->written) {
        rec->written = u->contig;
        st = save_record(component, rec);
    }
    if (st == IOT_OK) {
        memset(u, 0, sizeof(*u));
    }
    return st;
}

/* Common checks of write() and write_unsynced(); on IOT_OK the lock is held. */
static iot_status_t write_enter(iot_port_fw_component_t component, uint32_t offset,
                                const uint8_t *data, size_t len, fw_record_t *rec)
{
    iot_status_t st;

    if (data == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    st = fw_enter(component, rec);
    if (st != IOT_OK) {
        return st;
    }
    if (rec->state != IOT_PORT_FW_WRITING) {
        return fw_leave(IOT_ERR_BAD_STATE);
    }
    if (!range_fits(offset, len, rec->slot_size)) {
        return fw_leave(IOT_ERR_STORAGE_FULL);
    }
    return IOT_OK;
}

/* Write into the staging file (lock held, checks done, len > 0); with
 * `durable`, fsync the file before closing it. */
static iot_status_t staging_write(iot_port_fw_component_t component, const fw_record_t *rec,
                                  uint32_t offset, const uint8_t *data, size_t len, int durable)
{
    char path[FW_PATH_CAP];
    iot_status_t st;
    int fd;

    fw_path(component, FW_STAGING, path);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return IOT_ERR_IO;
    }
    st = write_all(fd, data, len, offset);
    if (st == IOT_OK) {
        note_unsynced(component, rec, offset, (uint32_t)((uint64_t)offset + (uint64_t)len));
        if (durable) {
            st = sync_fd(fd);
        }
    }
    if (close(fd) != 0 && st == IOT_OK) {
        st = IOT_ERR_IO;
    }
    return st;
}

/* fsync the staging file (lock held). */
static iot_status_t staging_sync(iot_port_fw_component_t component)
{
    char path[FW_PATH_CAP];
    iot_status_t st;
    int fd;

    fw_path(component, FW_STAGING, path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return IOT_ERR_IO;
    }
    st = sync_fd(fd);
    if (close(fd) != 0 && st == IOT_OK) {
        st = IOT_ERR_IO;
    }
    return st;
}

iot_status_t iot_port_fw_write(iot_port_fw_component_t component, uint32_t offset,
                               const uint8_t *data, size_t len)
{
    fw_record_t rec;
    iot_status_t st = write_enter(component, offset, data, len, &rec);

    if (st != IOT_OK || len == 0u) {
        return (st != IOT_OK) ? st : fw_leave(IOT_OK);
    }
    /* The fsync covers the whole file, bytes written unsynced before included. */
    st = staging_write(component, &rec, offset, data, len, 1);
    if (st == IOT_OK) {
        st = commit_unsynced(component, &rec);
    }
    return fw_leave(st);
}

iot_status_t iot_port_fw_write_unsynced(iot_port_fw_component_t component, uint32_t offset,
                                        const uint8_t *data, size_t len)
{
    fw_record_t rec;
    iot_status_t st = write_enter(component, offset, data, len, &rec);

    if (st != IOT_OK || len == 0u) {
        return (st != IOT_OK) ? st : fw_leave(IOT_OK);
    }
    return fw_leave(staging_write(component, &rec, offset, data, len, 0));
}

iot_status_t iot_port_fw_sync(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter_in(component, &rec, IOT_PORT_FW_WRITING);

    if (st != IOT_OK) {
        return st;
    }
    if (!g_unsynced[component].dirty) {
        return fw_leave(IOT_OK);
    }
    st = staging_sync(component);
    if (st == IOT_OK) {
        st = commit_unsynced(component, &rec);
    }
    return fw_leave(st);
}

iot_status_t iot_port_fw_read(iot_port_fw_component_t component, uint32_t offset, uint8_t *buf,
                              size_t len)
{
    char path[FW_PATH_CAP];
    fw_record_t rec;
    size_t got = 0;
    int fd;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    {
        iot_status_t st = fw_enter(component, &rec);
        if (st != IOT_OK) {
            return st;
        }
    }
    if (!range_fits(offset, len, slot_capacity(&rec))) {
        return fw_leave(IOT_ERR_INVALID_ARG);
    }
    if (len == 0u) {
        return fw_leave(IOT_OK);
    }
    fw_path(component, FW_STAGING, path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        return fw_leave(IOT_ERR_IO);
    }
    while (fd >= 0 && got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)((uint64_t)offset + got));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            (void)close(fd);
            return fw_leave(IOT_ERR_IO);
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    if (fd >= 0) {
        (void)close(fd);
    }
    /* Bytes of the slot that were never written read as zero, like the
     * holes of a sparse file. */
    memset(buf + got, 0, len - got);
    return fw_leave(IOT_OK);
}

iot_status_t iot_port_fw_finish(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter_in(component, &rec, IOT_PORT_FW_WRITING);

    if (st != IOT_OK) {
        return st;
    }
    if (g_unsynced[component].dirty) {
        /* A candidate is durable: its bytes first, then the record. */
        st = staging_sync(component);
        if (st != IOT_OK) {
            return fw_leave(st);
        }
        if (g_unsynced[component].contig > rec.written) {
            rec.written = g_unsynced[component].contig;
        }
        memset(&g_unsynced[component], 0, sizeof(g_unsynced[component]));
    }
    return fw_leave(set_state(component, &rec, IOT_PORT_FW_CANDIDATE));
}

iot_status_t iot_port_fw_install(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter_in(component, &rec, IOT_PORT_FW_CANDIDATE);

    if (st != IOT_OK) {
        return st;
    }
    return fw_leave(set_state(component, &rec, IOT_PORT_FW_STAGED));
}

/* READY first, then the staging slot is erased; see rule 5 at the top. A
 * failed erase leaves stale bytes that the next start() truncates. */
static iot_status_t drop_staged(iot_port_fw_component_t component)
{
    iot_status_t st = save_ready(component);

    if (st == IOT_OK) {
        memset(&g_unsynced[component], 0, sizeof(g_unsynced[component]));
        (void)fw_unlink(component, FW_STAGING);
    }
    return st;
}

iot_status_t iot_port_fw_cancel(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter(component, &rec);

    if (st != IOT_OK) {
        return st;
    }
    switch (rec.state) {
    case IOT_PORT_FW_WRITING:
    case IOT_PORT_FW_CANDIDATE:
    case IOT_PORT_FW_STAGED:
    case IOT_PORT_FW_FAILED:
        st = drop_staged(component);
        break;
    case IOT_PORT_FW_READY:
        /* Nothing in progress; allowed so that cancel() always ends in READY. */
        break;
    default:
        st = IOT_ERR_BAD_STATE;
        break;
    }
    return fw_leave(st);
}

iot_status_t iot_port_fw_accept(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter_in(component, &rec, IOT_PORT_FW_TRIAL);

    if (st != IOT_OK) {
        return st;
    }
    st = save_ready(component);
    if (st == IOT_OK) {
        /* The previous image is no longer needed; start() removes it if
         * this fails. */
        (void)fw_unlink(component, FW_PREVIOUS);
    }
    return fw_leave(st);
}

iot_status_t iot_port_fw_reject(iot_port_fw_component_t component)
{
    fw_record_t rec;
    iot_status_t st = fw_enter(component, &rec);

    if (st != IOT_OK) {
        return st;
    }
    switch (rec.state) {
    case IOT_PORT_FW_TRIAL:
        /* Keeps the flag: the revert at the next boot needs it. */
        st = set_state(component, &rec, IOT_PORT_FW_REJECTED);
        break;
    case IOT_PORT_FW_STAGED:
        /* Never booted: drop it, the running image stays. */
        st = drop_staged(component);
        break;
    default:
        st = IOT_ERR_BAD_STATE;
        break;
    }
    return fw_leave(st);
}

iot_status_t iot_port_fw_request_reboot(void)
{
    iot_posix_reboot_hook_t hook;
    void *user;
    int dir_set;

    (void)pthread_mutex_lock(&g_lock);
    dir_set = g_dir_set;
    hook = g_reboot_hook;
    user = g_reboot_user;
    (void)pthread_mutex_unlock(&g_lock);
    if (!dir_set) {
        return IOT_ERR_BAD_STATE;
    }
    if (hook == NULL) {
        return IOT_ERR_NOT_SUPPORTED;
    }
    /* Called without the lock: the hook may call back into this module. */
    hook(user);
    return IOT_OK;
}

iot_status_t iot_port_fw_read_active(iot_port_fw_component_t component, uint32_t offset,
                                     uint8_t *buf, size_t len, uint32_t *size)
{
    char path[FW_PATH_CAP];
    struct stat sb;
    size_t got = 0;
    iot_status_t st;
    int fd;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    (void)pthread_mutex_lock(&g_lock);
    st = fw_check(component);
    if (st != IOT_OK) {
        return fw_leave(st);
    }
    fw_path(component, FW_ACTIVE, path);
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return fw_leave((errno == ENOENT) ? IOT_ERR_NOT_FOUND : IOT_ERR_IO);
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        (void)close(fd);
        return fw_leave(IOT_ERR_IO);
    }
    if (size != NULL) {
        *size = (sb.st_size > (off_t)UINT32_MAX) ? UINT32_MAX : (uint32_t)sb.st_size;
    }
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)((uint64_t)offset + got));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            (void)close(fd);
            return fw_leave(IOT_ERR_IO);
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    (void)close(fd);
    if (got < len) {
        memset(buf + got, 0, len - got);
    }
    return fw_leave(IOT_OK);
}

iot_status_t posix_fw_staging_present(iot_port_fw_component_t component, int *present)
{
    iot_status_t st;

    (void)pthread_mutex_lock(&g_lock);
    st = fw_check(component);
    if (st == IOT_OK) {
        st = file_exists(component, FW_STAGING, present);
    }
    (void)pthread_mutex_unlock(&g_lock);
    return st;
}

iot_status_t iot_posix_fw_test_lose_unsynced(iot_port_fw_component_t component)
{
    static const uint8_t junk[256] = { 0xE5u, 0x5Eu, 0xE5u, 0x5Eu };
    char path[FW_PATH_CAP];
    fw_unsynced_t *u;
    iot_status_t st;
    uint32_t off;
    int fd;

    (void)pthread_mutex_lock(&g_lock);
    st = fw_check(component);
    if (st != IOT_OK) {
        return fw_leave(st);
    }
    u = &g_unsynced[component];
    if (u->dirty) {
        fw_path(component, FW_STAGING, path);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            return fw_leave(IOT_ERR_IO);
        }
        for (off = u->lo; off < u->hi && st == IOT_OK;) {
            size_t n = (u->hi - off < sizeof(junk)) ? u->hi - off : sizeof(junk);
            ssize_t w = pwrite(fd, junk, n, (off_t)off);
            if (w <= 0) {
                st = IOT_ERR_IO;
            } else {
                off += (uint32_t)w;
            }
        }
        (void)close(fd);
    }
    memset(u, 0, sizeof(*u));
    return fw_leave(st);
}
