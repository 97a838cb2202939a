/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entropy. The boards' true random number generator belongs to the secure
 * world: with TF-M, randomness comes from its crypto service through the PSA
 * API. This image runs without TF-M, and the emulated board has no TRNG, so
 * there is no secure source: the function refuses (IOT_ERR_ENTROPY) rather
 * than returning predictable bytes, and says so once on the console.
 * Placeholder until TF-M (or a board TRNG driver) lands.
 */
#include <corstone_iot/port.h>

#include "cortex_m.h"

iot_status_t iot_port_entropy(uint8_t *buf, size_t len)
{
    static int warned;
    static const char msg[] = "no secure entropy source on this board without TF-M: "
                              "anything that needs random bytes (TLS, key generation) will fail";

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    if (!warned) {
        warned = 1;
        iot_port_log_write(IOT_LOG_ERROR, "port", msg, sizeof(msg) - 1u);
    }
    return IOT_ERR_ENTROPY;
}
