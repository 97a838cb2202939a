/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cipher_cost: seals COUNT TLS-record-like messages of BYTES bytes with one
 * AEAD of the Mbed TLS library the SDK links (12-byte nonce, 13 bytes of
 * additional data as in a TLS 1.2 record, 16-byte tag), so that callgrind can
 * count the instructions per record and per byte. Run by cipher_cost.sh.
 *
 *   cipher_cost aes-256-gcm|aes-128-gcm|chacha20-poly1305 COUNT BYTES
 *
 * Prints whether Mbed TLS uses AES-NI and PCLMULQDQ on this CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/aesni.h>
#include <mbedtls/cipher.h>

#define MAX_BYTES 16384

static unsigned char g_in[MAX_BYTES];
static unsigned char g_out[MAX_BYTES + 16];

int main(int argc, char **argv)
{
    mbedtls_cipher_type_t type;
    const mbedtls_cipher_info_t *info;
    mbedtls_cipher_context_t ctx;
    unsigned char key[32];
    unsigned char nonce[12];
    unsigned char ad[13];
    unsigned long check = 0;
    long count;
    long bytes;
    long i;

    if (argc != 4) {
        fprintf(stderr, "usage: %s aes-256-gcm|aes-128-gcm|chacha20-poly1305 COUNT BYTES\n",
                argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "aes-256-gcm") == 0) {
        type = MBEDTLS_CIPHER_AES_256_GCM;
    } else if (strcmp(argv[1], "aes-128-gcm") == 0) {
        type = MBEDTLS_CIPHER_AES_128_GCM;
    } else if (strcmp(argv[1], "chacha20-poly1305") == 0) {
        type = MBEDTLS_CIPHER_CHACHA20_POLY1305;
    } else {
        fprintf(stderr, "%s: unknown cipher %s\n", argv[0], argv[1]);
        return 2;
    }
    count = strtol(argv[2], NULL, 10);
    bytes = strtol(argv[3], NULL, 10);
    if (count < 1 || bytes < 0 || bytes > MAX_BYTES) {
        fprintf(stderr, "%s: COUNT >= 1, 0 <= BYTES <= %d\n", argv[0], MAX_BYTES);
        return 2;
    }
    info = mbedtls_cipher_info_from_type(type);
    if (info == NULL) {
        fprintf(stderr, "%s: %s is not built into this Mbed TLS\n", argv[0], argv[1]);
        return 1;
    }
    memset(key, 0x11, sizeof(key));
    memset(nonce, 0x22, sizeof(nonce));
    memset(ad, 0x33, sizeof(ad));
    for (i = 0; i < bytes; i++) {
        g_in[i] = (unsigned char)i;
    }
    mbedtls_cipher_init(&ctx);
    if (mbedtls_cipher_setup(&ctx, info) != 0 ||
        mbedtls_cipher_setkey(&ctx, key, (int)info->key_bitlen, MBEDTLS_ENCRYPT) != 0) {
        fprintf(stderr, "%s: cipher set-up failed\n", argv[0]);
        return 1;
    }
    for (i = 0; i < count; i++) {
        size_t out_len = 0;
        nonce[11] = (unsigned char)i; /* a new nonce per record, as TLS does */
        if (mbedtls_cipher_auth_encrypt_ext(&ctx, nonce, sizeof(nonce), ad, sizeof(ad), g_in,
                                            (size_t)bytes, g_out, sizeof(g_out), &out_len,
                                            16) != 0) {
            fprintf(stderr, "%s: encryption failed\n", argv[0]);
            return 1;
        }
        check += g_out[out_len - 1u];
    }
    mbedtls_cipher_free(&ctx);
    printf("%s records=%ld bytes=%ld aesni=%d pclmul=%d check=%lu\n", argv[1], count, bytes,
           mbedtls_aesni_has_support(MBEDTLS_AESNI_AES), mbedtls_aesni_has_support(MBEDTLS_AESNI_CLMUL),
           check);
    return 0;
}
