/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The board's "flash" for IOT_BOARD_STORAGE=semihost: a byte-addressed,
 * persistent store that the key store records (port_store_semihost.c) and
 * the firmware-update image areas and state (fwu_semihost.c) live in, and
 * the two-copy records that make their state changes atomic
 * (flash_record.c).
 *
 * flash_semihost.c backs it with a file on the host, reached through Arm
 * semihosting file calls: EMULATOR OR DEBUGGER ONLY (on a board without a
 * debugger attached every semihosting call is a HardFault) and NO ISOLATION
 * (any code in the image, and anyone on the host, can read and change every
 * byte, private keys included). Not for products: see doc/boards.md.
 *
 * Semantics: bytes never written read as zero (a missing or short file is
 * an erased flash); a write is durable when it returns (it has reached the
 * host file, so it survives the emulator being killed); there is no erase
 * granularity (a file, not NOR flash). Not thread-safe: the board ports run
 * one thread.
 *
 * Layout of the file (offsets in bytes):
 *   0x00000  FWU state, copy 0          (4 KiB)
 *   0x01000  FWU state, copy 1          (4 KiB)
 *   0x02000  key store, copy 0          (IOT_FLASH_STORE_BANK)
 *   0x02000 + IOT_FLASH_STORE_BANK      key store, copy 1
 *   0x10000  image areas: component 0 area A, area B, component 1 area A,
 *            area B, IOT_BOARD_FLASH_AREA_SIZE bytes each
 */
#ifndef IOT_FLASH_H
#define IOT_FLASH_H

#include <stddef.h>
#include <stdint.h>

#ifndef IOT_BOARD_STORE_SIZE
#define IOT_BOARD_STORE_SIZE 4096u
#endif
#ifndef IOT_BOARD_FLASH_AREA_SIZE
#define IOT_BOARD_FLASH_AREA_SIZE 0x100000u /* 1 MiB per image area */
#endif

/** Bytes of a record header (flash_record.c). */
#define IOT_FLASH_REC_HDR 16u
#define IOT_FLASH_FWU_STATE_0 0x00000u
#define IOT_FLASH_FWU_STATE_1 0x01000u
#define IOT_FLASH_FWU_STATE_CAP (0x1000u - IOT_FLASH_REC_HDR)
/** One key-store copy: header and pool, rounded up to 4 KiB. */
#define IOT_FLASH_STORE_BANK ((IOT_BOARD_STORE_SIZE + IOT_FLASH_REC_HDR + 0xFFFu) & ~0xFFFu)
#define IOT_FLASH_STORE_0 0x02000u
#define IOT_FLASH_STORE_1 (IOT_FLASH_STORE_0 + IOT_FLASH_STORE_BANK)
#define IOT_FLASH_AREAS 0x10000u

_Static_assert(IOT_FLASH_STORE_1 + IOT_FLASH_STORE_BANK <= IOT_FLASH_AREAS,
               "IOT_BOARD_STORE_SIZE: both key-store copies must fit below the image areas");
_Static_assert((IOT_BOARD_FLASH_AREA_SIZE % 4u) == 0u && IOT_BOARD_FLASH_AREA_SIZE >= 0x1000u &&
                   IOT_BOARD_FLASH_AREA_SIZE <= 0x10000000u,
               "IOT_BOARD_FLASH_AREA_SIZE: a multiple of 4 between 4 KiB and 256 MiB");

/** Exit status of an emulated run that ends on a reboot request (semihost storage). */
#define IOT_BOARD_EXIT_REBOOT 4

/** Read @p len bytes at @p off; bytes past the end of the file read as zero.
 *  0, or -1 when the file cannot be opened or read. */
int iot_flash_read(uint32_t off, void *buf, size_t len);

/** Write @p len bytes at @p off (a file shorter than @p off is first padded
 *  with zeros); durable on return. 0, or -1 (then any mixture of old and
 *  new bytes may be there). */
int iot_flash_write(uint32_t off, const void *data, size_t len);

/** Make @p len bytes at @p off read as zero (writes zeros where the file
 *  has bytes). 0, or -1. */
int iot_flash_erase(uint32_t off, uint32_t len);

/** Semihosting calls made so far (open, seek, read, write, length): the
 *  figure doc/boards.md quotes per OTA block. */
uint32_t iot_flash_op_count(void);

/* ---- Two-copy records (flash_record.c) --------------------------------------
 *
 * A record lives in two copies at fixed offsets. Each copy is a 16-byte
 * header (magic, sequence number, payload length, CRC-32 of the header's
 * first 12 bytes and the payload) followed by the payload. Saving writes the
 * copy that does not hold the newest valid record, with the next sequence
 * number; the newest copy whose CRC checks wins at load. A save cut short
 * (power cut, emulator killed) leaves that copy failing its CRC, so the
 * other copy, the previous state, is loaded: a record changes whole or not
 * at all. No valid copy: BLANK when a copy's header was never written (a
 * fresh file, or the very first save cut short), CORRUPT when both were
 * written and both fail (damage from outside: reported, never guessed).
 */
typedef struct iot_flash_rec {
    uint32_t off[2]; /**< offsets of the two copies */
    uint32_t cap;    /**< largest payload */
    uint32_t magic;  /**< identifies the record kind and format */
    uint32_t seq;    /**< sequence number of the newest valid copy */
    uint8_t cur;     /**< index of the newest valid copy */
    uint8_t have;    /**< a valid copy exists */
} iot_flash_rec_t;

#define IOT_FLASH_REC_FOUND 0
#define IOT_FLASH_REC_BLANK 1
#define IOT_FLASH_REC_CORRUPT (-2)
#define IOT_FLASH_REC_IO (-1)

/** Load the newest valid copy into @p buf (at most rec->cap bytes; @p len
 *  receives its length). IOT_FLASH_REC_FOUND, _BLANK (nothing stored:
 *  @p len is 0), _CORRUPT or _IO. */
int iot_flash_rec_load(iot_flash_rec_t *rec, void *buf, size_t *len);

/** Save @p len bytes (at most rec->cap) as the new newest copy, durable on
 *  return. iot_flash_rec_load() must have run first. 0, or -1: the record
 *  is then still the previous one. */
int iot_flash_rec_save(iot_flash_rec_t *rec, const void *data, size_t len);

#endif /* IOT_FLASH_H */
