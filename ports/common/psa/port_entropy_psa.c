/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entropy from the platform's PSA Crypto service (psa_generate_random): the
 * source of a build whose PSA services come from the secure world, such as
 * a board with TF-M, where the random bytes come from TF-M's crypto service
 * and the board's TRNG behind it. The TLS stack's entropy hook and the SDK
 * draw from here.
 * psa_crypto_init() is called on first use, and again on the next call
 * after a failure, until it succeeds (the API allows repeated calls; two
 * threads racing here only call it twice).
 */
#include <corstone_iot/port.h>

#include <psa/crypto.h>

iot_status_t iot_port_entropy(uint8_t *buf, size_t len)
{
    static volatile int initialised;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    if (len == 0u) {
        return IOT_OK;
    }
    if (!initialised) {
        if (psa_crypto_init() != PSA_SUCCESS) {
            return IOT_ERR_ENTROPY;
        }
        initialised = 1;
    }
    if (psa_generate_random(buf, len) != PSA_SUCCESS) {
        return IOT_ERR_ENTROPY;
    }
    return IOT_OK;
}
