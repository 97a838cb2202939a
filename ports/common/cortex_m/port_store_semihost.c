/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The semihost backend of the board object store (port_store.c): the pool
 * is saved as a two-copy record (ports/common/storage/flash_record.c) in
 * the board "flash" file after every change, and loaded from it at the
 * first store call. IOT_BOARD_STORAGE=semihost.
 *
 * !!! EMULATOR / DEBUG ONLY, NO ISOLATION: the file is on the host, every
 * record (private keys included) readable there and by any code in the
 * image; on a board without a debugger the first semihosting call is a
 * HardFault. A product keeps these records in TF-M's Internal Trusted
 * Storage instead.
 *
 * Atomicity: the whole pool is one record, so a set or a remove is stored
 * whole or not at all (flash_record.c says why); each change writes the
 * used part of the pool (header + at most IOT_BOARD_STORE_SIZE bytes). RAM:
 * the record descriptor (24 bytes); the pool itself is port_store.c's.
 */
#include "iot_flash.h"
#include "port_store.h"

_Static_assert(IOT_FLASH_STORE_BANK >= IOT_BOARD_STORE_SIZE + IOT_FLASH_REC_HDR,
               "a key-store copy holds the whole pool");

#define STORE_MAGIC 0x31534B49u /* "IKS1" */

static iot_flash_rec_t g_rec = { { IOT_FLASH_STORE_0, IOT_FLASH_STORE_1 }, IOT_BOARD_STORE_SIZE,
                                 STORE_MAGIC, 0u, 0u, 0u };

iot_status_t iot_board_store_load(uint8_t *pool, size_t size, size_t *used)
{
    size_t n = 0;
    int r;

    if (size < IOT_BOARD_STORE_SIZE) {
        return IOT_ERR_INTERNAL;
    }
    r = iot_flash_rec_load(&g_rec, pool, &n);
    if (r == IOT_FLASH_REC_CORRUPT) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    if (r == IOT_FLASH_REC_IO) {
        return IOT_ERR_IO;
    }
    *used = n; /* 0 when blank */
    return IOT_OK;
}

iot_status_t iot_board_store_commit(const uint8_t *pool, size_t used)
{
    return (iot_flash_rec_save(&g_rec, pool, used) == 0) ? IOT_OK : IOT_ERR_IO;
}
