/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regression test for an arm-none-eabi-gcc 12.2 miscompile on Armv8.1-M at
 * -Os: with the low-overhead branch (counted loop) optimisation, lwIP's
 * Internet checksum adds the byte after an even-length buffer as if the
 * length were odd. Every TCP segment then carries a wrong checksum and no
 * connection gets past the SYN-ACK. The board builds compile with
 * -fno-branch-count-reg to avoid it.
 *
 * The test checksums buffers of every length from 0 to 64 bytes at every
 * alignment, with the byte after each buffer set to 0xFF, through lwIP's
 * inet_chksum() as the firmware links it, and compares with RFC 1071 computed
 * one byte at a time. The exit status is the number of mismatches. The same
 * source over a checksum built with -fbranch-count-reg and EXPECT_MISCOMPILE
 * (target.branch_count_reg_detects) passes only when it finds mismatches:
 * it shows that the check catches the miscompile with this compiler.
 */
#include <stdint.h>
#include <stdio.h>

#include "lwip/inet_chksum.h"

#define MAX_LEN 64u

/* RFC 1071: the one's complement sum of the data as big-endian 16-bit
 * words, an odd last byte padded with zero; one loop, no trailing case. */
static uint16_t reference_sum(const uint8_t *p, unsigned len)
{
    uint32_t sum = 0;

    for (unsigned i = 0; i < len; i++) {
        sum += (i % 2u == 0u) ? (uint32_t)p[i] << 8 : p[i];
    }
    while (sum > 0xFFFFu) {
        sum = (sum & 0xFFFFu) + (sum >> 16);
    }
    return (uint16_t)sum;
}

int main(void)
{
    static uint8_t buf[MAX_LEN + 8u] __attribute__((aligned(4)));
    unsigned failures = 0;

    for (unsigned align = 0; align < 4u; align++) {
        for (unsigned len = 0; len <= MAX_LEN; len++) {
            uint8_t *data = buf + align;
            uint16_t want;
            uint16_t got;

            for (unsigned i = 0; i < sizeof(buf); i++) {
                buf[i] = (uint8_t)(i * 37u + 11u);
            }
            data[len] = 0xFFu; /* the poisoned next byte */
            /* inet_chksum() returns the complement of the sum, in network
             * byte order as stored in a header. */
            want = (uint16_t)~((uint16_t)(reference_sum(data, len) << 8) |
                               (uint16_t)(reference_sum(data, len) >> 8));
            got = inet_chksum(data, (u16_t)len);
            if (got != want) {
                if (failures < 8u) {
                    printf("checksum of %u bytes at offset %u: 0x%04x, expected 0x%04x\n", len,
                           align, (unsigned)got, (unsigned)want);
                }
                failures++;
            }
        }
    }
    printf("branch-count-reg check: %u mismatches in %u buffers\n", failures,
           4u * (MAX_LEN + 1u));
#ifdef EXPECT_MISCOMPILE
    return (failures > 0u) ? 0 : 1; /* the variant built to show the bug */
#else
    return (failures > 255u) ? 255 : (int)failures;
#endif
}
