/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two-copy records on the board "flash" (iot_flash.h): atomic replacement
 * of a small state record against a power cut at any point.
 *
 * Copy layout (little-endian): u32 magic, u32 sequence number, u32 payload
 * length, u32 CRC-32 (IEEE 802.3, reflected, as zlib) of the first 12 header
 * bytes and the payload; then the payload.
 *
 * Why a save is atomic: it writes only the copy that does NOT hold the
 * newest valid record. Until that write has completed, the other copy is
 * untouched and still valid; a write cut short leaves the target copy with
 * old and new bytes mixed, which fails its CRC (or still holds the older
 * record, whose sequence number is lower): either way the load picks the
 * previous record. Once the write has completed, the target copy is valid
 * with the higher sequence number and wins. Sequence numbers are compared
 * modulo 2^32.
 */
#include <string.h>

#include "iot_flash.h"

/* Payloads up to this size go out in one write with their header. */
#define ONE_WRITE_MAX 240u

enum { COPY_UNWRITTEN, COPY_DAMAGED, COPY_VALID };

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* CRC-32, bit by bit (no table: 1 KiB of flash saved, records are small). */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
    size_t i;
    unsigned b;

    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= p[i];
        for (b = 0; b < 8u; b++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

/* Classify one copy; for a valid one, its sequence number and length. */
static int check_copy(const iot_flash_rec_t *rec, uint32_t off, uint32_t *seq, uint32_t *len,
                      int *io)
{
    uint8_t hdr[IOT_FLASH_REC_HDR];
    uint8_t chunk[64];
    uint32_t crc;
    uint32_t done = 0;
    unsigned i;
    int blank = 1;

    if (iot_flash_read(off, hdr, sizeof(hdr)) != 0) {
        *io = 1;
        return COPY_DAMAGED;
    }
    for (i = 0; i < sizeof(hdr); i++) {
        if (hdr[i] != 0u) {
            blank = 0;
        }
    }
    if (blank) {
        return COPY_UNWRITTEN;
    }
    *seq = get_le32(hdr + 4);
    *len = get_le32(hdr + 8);
    if (get_le32(hdr) != rec->magic || *len > rec->cap) {
        return COPY_DAMAGED;
    }
    crc = crc32_update(0, hdr, 12);
    while (done < *len) {
        uint32_t n = (*len - done < sizeof(chunk)) ? *len - done : (uint32_t)sizeof(chunk);

        if (iot_flash_read(off + IOT_FLASH_REC_HDR + done, chunk, n) != 0) {
            *io = 1;
            return COPY_DAMAGED;
        }
        crc = crc32_update(crc, chunk, n);
        done += n;
    }
    return (crc == get_le32(hdr + 12)) ? COPY_VALID : COPY_DAMAGED;
}

int iot_flash_rec_load(iot_flash_rec_t *rec, void *buf, size_t *len)
{
    uint32_t seq[2] = { 0, 0 };
    uint32_t n[2] = { 0, 0 };
    int kind[2];
    int io = 0;
    unsigned i;
    unsigned win;

    *len = 0;
    rec->have = 0;
    rec->seq = 0;
    for (i = 0; i < 2u; i++) {
        kind[i] = check_copy(rec, rec->off[i], &seq[i], &n[i], &io);
    }
    if (io) {
        return IOT_FLASH_REC_IO;
    }
    if (kind[0] != COPY_VALID && kind[1] != COPY_VALID) {
        if (kind[0] == COPY_DAMAGED && kind[1] == COPY_DAMAGED) {
            return IOT_FLASH_REC_CORRUPT;
        }
        /* Never written, or only the first save was cut short: nothing was
         * ever stored. The next save goes into copy 1 if that one is the
         * damaged copy, else into copy 0. */
        rec->cur = (kind[1] == COPY_DAMAGED) ? 0u : 1u;
        return IOT_FLASH_REC_BLANK;
    }
    if (kind[0] == COPY_VALID && kind[1] == COPY_VALID) {
        win = ((int32_t)(seq[1] - seq[0]) > 0) ? 1u : 0u;
    } else {
        win = (kind[0] == COPY_VALID) ? 0u : 1u;
    }
    if (iot_flash_read(rec->off[win] + IOT_FLASH_REC_HDR, buf, n[win]) != 0) {
        return IOT_FLASH_REC_IO;
    }
    rec->have = 1;
    rec->cur = (uint8_t)win;
    rec->seq = seq[win];
    *len = n[win];
    return IOT_FLASH_REC_FOUND;
}

int iot_flash_rec_save(iot_flash_rec_t *rec, const void *data, size_t len)
{
    uint8_t one[IOT_FLASH_REC_HDR + ONE_WRITE_MAX];
    unsigned target = rec->cur ^ 1u;
    uint32_t seq = rec->seq + 1u;
    uint32_t crc;

    if (len > rec->cap || (data == NULL && len != 0u)) {
        return -1;
    }
    put_le32(one, rec->magic);
    put_le32(one + 4, seq);
    put_le32(one + 8, (uint32_t)len);
    crc = crc32_update(0, one, 12);
    crc = crc32_update(crc, data, len);
    put_le32(one + 12, crc);
    if (len <= ONE_WRITE_MAX) {
        if (len != 0u) {
            memcpy(one + IOT_FLASH_REC_HDR, data, len);
        }
        if (iot_flash_write(rec->off[target], one, IOT_FLASH_REC_HDR + len) != 0) {
            return -1;
        }
    } else if (iot_flash_write(rec->off[target], one, IOT_FLASH_REC_HDR) != 0 ||
               iot_flash_write(rec->off[target] + IOT_FLASH_REC_HDR, data, len) != 0) {
        return -1;
    }
    rec->cur = (uint8_t)target;
    rec->seq = seq;
    rec->have = 1;
    return 0;
}
