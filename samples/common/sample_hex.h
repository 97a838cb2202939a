/* SPDX-License-Identifier: Apache-2.0 */
/* Samples: hex text (e.g. a PSK as mosquitto's psk_file writes it) to bytes. */
#ifndef CORSTONE_IOT_SAMPLE_HEX_H
#define CORSTONE_IOT_SAMPLE_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

#endif /* CORSTONE_IOT_SAMPLE_HEX_H */
