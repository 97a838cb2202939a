/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cipher_cost_openssl: the same measurement as cipher_cost.c with OpenSSL's
 * EVP AEADs, the library Paho and libmosquitto use in bench/. Run by
 * cipher_cost.sh.
 *
 *   cipher_cost_openssl aes-256-gcm|aes-128-gcm|chacha20-poly1305 COUNT BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MAX_BYTES 16384

static unsigned char g_in[MAX_BYTES];
static unsigned char g_out[MAX_BYTES + 16];

int main(int argc, char **argv)
{
    const EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *ctx;
    unsigned char key[32];
    unsigned char nonce[12];
    unsigned char ad[13];
    unsigned char tag[16];
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
        cipher = EVP_aes_256_gcm();
    } else if (strcmp(argv[1], "aes-128-gcm") == 0) {
        cipher = EVP_aes_128_gcm();
    } else if (strcmp(argv[1], "chacha20-poly1305") == 0) {
        cipher = EVP_chacha20_poly1305();
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
    memset(key, 0x11, sizeof(key));
    memset(nonce, 0x22, sizeof(nonce));
    memset(ad, 0x33, sizeof(ad));
    for (i = 0; i < bytes; i++) {
        g_in[i] = (unsigned char)i;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, cipher, NULL, key, NULL) != 1) {
        fprintf(stderr, "%s: cipher set-up failed\n", argv[0]);
        return 1;
    }
    for (i = 0; i < count; i++) {
        int n = 0;
        int fin = 0;
        nonce[11] = (unsigned char)i; /* a new nonce per record, as TLS does */
        if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
            EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)sizeof(ad)) != 1 ||
            EVP_EncryptUpdate(ctx, g_out, &n, g_in, (int)bytes) != 1 ||
            EVP_EncryptFinal_ex(ctx, g_out + n, &fin) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)sizeof(tag), tag) != 1) {
            fprintf(stderr, "%s: encryption failed\n", argv[0]);
            return 1;
        }
        check += tag[0];
    }
    EVP_CIPHER_CTX_free(ctx);
    printf("%s records=%ld bytes=%ld check=%lu\n", argv[1], count, bytes, check);
    return 0;
}
