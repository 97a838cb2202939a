/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mbed TLS platform hooks of the board builds: its entropy comes from
 * iot_port_entropy(). (Its allocations use newlib's heap, a fixed region of
 * the linker script: see iot_mbedtls_config.h.)
 */
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/port.h>

#include "mbedtls/entropy.h"
#include "mbedtls/entropy_poll.h" /* declares mbedtls_hardware_poll() */

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
