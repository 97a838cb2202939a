/* SPDX-License-Identifier: Apache-2.0 */
/* What fuzz_attest_verify.c and the seed writer gen_attest_seeds.c agree
 * on: the device's attestation keys, the challenge, the firmware it
 * measures, and the first byte of an input (which device and how the rest
 * is read). Test values only. */
#ifndef FUZZ_ATTEST_COMMON_H
#define FUZZ_ATTEST_COMMON_H

#include <stdint.h>

/* First byte of an input, modulo 3. */
#define ATTEST_MODE_MAC0 0u   /* the rest is a token; HMAC device */
#define ATTEST_MODE_SIGN1 1u  /* the rest is a token; ES256 device */
#define ATTEST_MODE_CLAIMS 2u /* the rest is a claims payload, sealed in a valid COSE_Mac0 */

/* HMAC-SHA256 attestation key. */
static const uint8_t k_attest_hmac_key[32] = {
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf1
};

/* P-256 private scalar of the ES256 attestation key (below the group order). */
static const uint8_t k_attest_p256_scalar[32] = {
    0x3a, 0x61, 0x0c, 0x95, 0x27, 0x4e, 0xd8, 0x13, 0x70, 0xa2, 0x5b, 0x1f, 0xc6, 0x08, 0x99, 0x2d,
    0x44, 0xe3, 0x7b, 0x52, 0x0a, 0xbf, 0x36, 0x81, 0x6c, 0xd5, 0x19, 0xf2, 0x40, 0x8e, 0x27, 0x5b
};

/* The challenge every token answers. */
#define ATTEST_NONCE_BYTE 0x42u
#define ATTEST_NONCE_LEN 32u

/* The non-secure image the posix port measures (the slot's active file). */
static const char k_attest_firmware[] = "corstone-iot fuzz firmware image";

#endif /* FUZZ_ATTEST_COMMON_H */
