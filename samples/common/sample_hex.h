/* SPDX-License-Identifier: Apache-2.0 */
/* Samples: hex text (e.g. a PSK as mosquitto's psk_file writes it) to bytes,
 * and TLS-PSK settings from such a text. */
#ifndef CORSTONE_IOT_SAMPLE_HEX_H
#define CORSTONE_IOT_SAMPLE_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <corstone_iot/tls.h>

/* Two hex digits per byte, upper or lower case; returns the number of bytes,
 * or 0 for an empty, odd-length, over-long or non-hex string. */
static inline size_t sample_hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);

    if (n == 0u || n % 2u != 0u || n / 2u > cap) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = hex[i];
        unsigned v;

        if (ch >= '0' && ch <= '9') {
            v = (unsigned)(ch - '0');
        } else if (ch >= 'a' && ch <= 'f') {
            v = (unsigned)(ch - 'a' + 10);
        } else if (ch >= 'A' && ch <= 'F') {
            v = (unsigned)(ch - 'A' + 10);
        } else {
            return 0;
        }
        out[i / 2u] = (uint8_t)((i % 2u == 0u) ? v << 4 : (out[i / 2u] | v));
    }
    return n / 2u;
}

/* TLS-PSK settings from an identity and the PSK as hex, decoded into `buf`
 * (which must outlive the connection); 0 when the hex is not a valid PSK. */
static inline int sample_set_psk(iot_tls_config_t *tls, const char *identity, const char *hex,
                                 uint8_t *buf, size_t cap)
{
    size_t len = sample_hex_to_bytes(hex, buf, cap);
    iot_cred_t psk = IOT_CRED_FROM_BUFFER(buf, len);

    tls->mode = IOT_TLS_PSK;
    tls->psk_identity = identity;
    tls->psk = psk;
    return len != 0u;
}

#endif /* CORSTONE_IOT_SAMPLE_HEX_H */
