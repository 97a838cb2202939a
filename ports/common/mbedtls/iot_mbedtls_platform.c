/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mbed TLS platform hooks of the board builds: its allocations come from a
 * static pool (no C heap), and its entropy from iot_port_entropy().
 */
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/port.h>

#include "mbedtls/entropy.h"
#include "mbedtls/entropy_poll.h" /* declares mbedtls_hardware_poll() */
#include "mbedtls/memory_buffer_alloc.h"

/* One TLS connection: record buffers (MBEDTLS_SSL_IN/OUT_CONTENT_LEN plus
 * overhead, about 6.6 KiB), the session and handshake state, the parsed CA
 * and client certificates and the ECC working memory of the handshake. */
#ifndef IOT_BOARD_MBEDTLS_POOL_SIZE
#define IOT_BOARD_MBEDTLS_POOL_SIZE (20u * 1024u)
#endif

static unsigned char g_pool[IOT_BOARD_MBEDTLS_POOL_SIZE] __attribute__((aligned(8)));

/* Runs from the start-up code's constructor list, before main(). */
__attribute__((constructor)) static void mbedtls_pool_init(void)
{
    mbedtls_memory_buffer_alloc_init(g_pool, sizeof(g_pool));
}

/* MBEDTLS_ENTROPY_HARDWARE_ALT: the port's entropy, which refuses (and says
 * so) on a board without a secure source. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    if (iot_port_entropy(output, len) != IOT_OK) {
        *olen = 0;
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}
