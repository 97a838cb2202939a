/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the board object store (port_store.c) keeps its pool between
 * resets: one backend is linked.
 *   port_store_ram.c       nowhere (RAM only: a reset loses every record)
 *   port_store_semihost.c  two copies in the semihost "flash" file
 *                          (IOT_BOARD_STORAGE=semihost; emulator only)
 * Internal to the board ports.
 */
#ifndef IOT_PORT_STORE_H
#define IOT_PORT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/status.h>

#ifndef IOT_BOARD_STORE_SIZE
#define IOT_BOARD_STORE_SIZE 4096u
#endif

/**
 * Fill @p pool (@p size bytes) with the stored records and set @p used to
 * the bytes they take; called before the first store call, and again to
 * return to the stored state after a failed commit. Bytes past @p used
 * must be zero.
 * @retval IOT_OK Loaded (or nothing stored: @p used 0).
 * @retval IOT_ERR_STORAGE_CORRUPT The stored records fail their check.
 * @retval IOT_ERR_IO The storage could not be read.
 */
iot_status_t iot_board_store_load(uint8_t *pool, size_t size, size_t *used);

/**
 * Make the first @p used bytes of @p pool the stored records, whole or not
 * at all, durable on return.
 * @retval IOT_OK Stored.
 * @retval IOT_ERR_IO Not stored: the previous records stay.
 */
iot_status_t iot_board_store_commit(const uint8_t *pool, size_t used);

#endif /* IOT_PORT_STORE_H */
