/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RAM backend of the board object store (port_store.c): the pool is
 * kept nowhere else. NOT PERSISTENT: a reset loses every record. The
 * default (IOT_BOARD_STORAGE=ram).
 */
#include "port_store.h"

iot_status_t iot_board_store_load(uint8_t *pool, size_t size, size_t *used)
{
    (void)pool;
    (void)size;
    *used = 0; /* static RAM starts zeroed: an empty store */
    return IOT_OK;
}

iot_status_t iot_board_store_commit(const uint8_t *pool, size_t used)
{
    (void)pool;
    (void)used;
    return IOT_OK;
}
