/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board "flash" (iot_flash.h) as a file on the host, over Arm
 * semihosting (SYS_OPEN, SYS_SEEK, SYS_READ, SYS_WRITE, SYS_FLEN).
 *
 * !!! EMULATOR / DEBUG ONLY, NO ISOLATION. On a board without a debugger
 * attached the first semihosting call is a HardFault; with one, any code in
 * the image and anyone on the host can read and change the file (private
 * keys included). It stands in for flash so that key-store records and
 * firmware updates survive a reset of the emulated board (QEMU:
 * -semihosting-config enable=on,target=native; the file is
 * IOT_BOARD_FLASH_FILE, relative to the emulator's working directory).
 *
 * Durability: SYS_WRITE returns once the host has written the bytes to the
 * file, so they survive the emulator being killed at any point. The host's
 * own crash is not covered (semihosting has no call to flush the file to
 * the disk).
 *
 * The file is opened at the first access ("r+b"; created with "w+b" when it
 * does not exist) and stays open. Its length is tracked: reads past the end
 * return zeros without a call, and a write past the end first pads the gap
 * with zeros, so no seek ever goes beyond the end of the file (the
 * specification leaves that undefined). RAM: 12 bytes.
 */
#include <string.h>

#include "cortex_m.h"
#include "iot_flash.h"

#ifndef IOT_BOARD_FLASH_FILE
#define IOT_BOARD_FLASH_FILE "iot-board-flash.bin"
#endif

#define ZERO_CHUNK 1024u

static const uint8_t g_zeros[ZERO_CHUNK]; /* read-only data: flash, not RAM */
static int32_t g_fd = -1;
static uint32_t g_len; /* length of the file */
static uint32_t g_ops; /* semihosting calls */

static int flash_open(void)
{
    int32_t len;

    if (g_fd >= 0) {
        return 0;
    }
    g_ops++;
    g_fd = iot_cm_semihost_open(IOT_BOARD_FLASH_FILE, IOT_SEMIHOST_MODE_RPB);
    if (g_fd < 0) {
        /* No file: an erased flash. */
        g_ops++;
        g_fd = iot_cm_semihost_open(IOT_BOARD_FLASH_FILE, IOT_SEMIHOST_MODE_WPB);
        if (g_fd < 0) {
            return -1;
        }
    }
    g_ops++;
    len = iot_cm_semihost_flen(g_fd);
    if (len < 0) {
        (void)iot_cm_semihost_close(g_fd);
        g_fd = -1;
        return -1;
    }
    g_len = (uint32_t)len;
    return 0;
}

static int seek(uint32_t off)
{
    g_ops++;
    return (iot_cm_semihost_seek(g_fd, off) == 0) ? 0 : -1;
}

/* Write at the current position (within or at the end of the file). */
static int put(const void *data, uint32_t len)
{
    g_ops++;
    return (iot_cm_semihost_write(g_fd, data, len) == 0u) ? 0 : -1;
}

int iot_flash_read(uint32_t off, void *buf, size_t len)
{
    size_t have = 0;

    if (len == 0u) {
        return 0;
    }
    if (buf == NULL || len > UINT32_MAX - off || flash_open() != 0) {
        return -1;
    }
    if (off < g_len) {
        uint32_t left;

        have = (len < (size_t)(g_len - off)) ? len : (size_t)(g_len - off);
        if (seek(off) != 0) {
            return -1;
        }
        g_ops++;
        left = iot_cm_semihost_read(g_fd, buf, (uint32_t)have);
        if (left > have) {
            return -1;
        }
        have -= left; /* a file shortened behind our back: the rest reads as zero */
    }
    memset((uint8_t *)buf + have, 0, len - have);
    return 0;
}

/* Pad the file with zeros up to @p off. */
static int pad_to(uint32_t off)
{
    if (off <= g_len) {
        return 0;
    }
    if (seek(g_len) != 0) {
        return -1;
    }
    while (g_len < off) {
        uint32_t n = (off - g_len < ZERO_CHUNK) ? off - g_len : ZERO_CHUNK;

        if (put(g_zeros, n) != 0) {
            return -1;
        }
        g_len += n;
    }
    return 0;
}

int iot_flash_write(uint32_t off, const void *data, size_t len)
{
    if (len == 0u) {
        return 0;
    }
    if (data == NULL || len > UINT32_MAX - off || flash_open() != 0 || pad_to(off) != 0 ||
        seek(off) != 0 || put(data, (uint32_t)len) != 0) {
        return -1;
    }
    if (off + (uint32_t)len > g_len) {
        g_len = off + (uint32_t)len;
    }
    return 0;
}

int iot_flash_erase(uint32_t off, uint32_t len)
{
    uint32_t end;

    if (len > UINT32_MAX - off || flash_open() != 0) {
        return -1;
    }
    end = off + len;
    if (end > g_len) {
        end = g_len; /* past the end of the file everything reads as zero already */
    }
    if (off >= end) {
        return 0;
    }
    if (seek(off) != 0) {
        return -1;
    }
    while (off < end) {
        uint32_t n = (end - off < ZERO_CHUNK) ? end - off : ZERO_CHUNK;

        if (put(g_zeros, n) != 0) {
            return -1;
        }
        off += n;
    }
    return 0;
}

uint32_t iot_flash_op_count(void)
{
    return g_ops;
}
