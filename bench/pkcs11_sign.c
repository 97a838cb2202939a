/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ECDSA P-256 signatures per second through the PKCS#11 module
 * (C_SignInit + C_Sign with CKM_ECDSA on a 32-byte hash, the key in the key
 * store) against psa_sign_hash on a volatile PSA key called directly, in the
 * same process and the same Mbed TLS library, runs interleaved.
 *
 *   pkcs11_sign <module.so> <store dir> [signatures per run] [runs]
 *
 * Output, one line per run and a summary:
 *   run=I pkcs11_per_s=A psa_per_s=B
 *   median pkcs11_per_s=A psa_per_s=B ratio=A/B
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>
#include <psa/crypto.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, unsigned long rv)
{
    fprintf(stderr, "pkcs11_sign: %s failed (0x%lx)\n", what, rv);
    exit(1);
}

int main(int argc, char **argv)
{
    static const CK_BYTE params[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
    CK_BBOOL yes = CK_TRUE;
    CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_MECHANISM ecdsa = { CKM_ECDSA, NULL, 0 };
    CK_ATTRIBUTE pub_t[] = { { CKA_EC_PARAMS, (void *)params, sizeof(params) } };
    CK_ATTRIBUTE priv_t[] = { { CKA_SIGN, &yes, 1 } };
    CK_FUNCTION_LIST_PTR f;
    CK_C_GetFunctionList get;
    CK_SESSION_HANDLE h;
    CK_OBJECT_HANDLE pub, priv;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t key = 0;
    unsigned char hash[32], sig[64];
    double p11_rate[64], psa_rate[64];
    int n, runs, i, r;
    void *mod;

    if (argc < 3) {
        fprintf(stderr, "usage: pkcs11_sign <module.so> <store dir> [n] [runs]\n");
        return 2;
    }
    n = argc > 3 ? atoi(argv[3]) : 500;
    runs = argc > 4 ? atoi(argv[4]) : 15;
    if (n < 1 || runs < 1 || runs > 64) {
        return 2;
    }
    memset(hash, 0x42, sizeof(hash));
    setenv("CORSTONE_IOT_PKCS11_STORE", argv[2], 1);
    setenv("CORSTONE_IOT_PKCS11_PIN", "bench-pin", 1);
    mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (mod == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    *(void **)&get = dlsym(mod, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK) die("C_GetFunctionList", 0);
    CK_RV rv = f->C_Initialize(NULL);
    if (rv != CKR_OK) die("C_Initialize", rv);
    rv = f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h);
    if (rv != CKR_OK) die("C_OpenSession", rv);
    rv = f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "bench-pin", 9);
    if (rv != CKR_OK) die("C_Login", rv);
    rv = f->C_GenerateKeyPair(h, &gen, pub_t, 1, priv_t, 1, &pub, &priv);
    if (rv != CKR_OK) die("C_GenerateKeyPair", rv);

    /* The peer: the same signature with PSA directly (the module has
     * initialised PSA in this process's Mbed TLS already). */
    if (psa_crypto_init() != PSA_SUCCESS) die("psa_crypto_init", 0);
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, 256);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
    if (psa_generate_key(&a, &key) != PSA_SUCCESS) die("psa_generate_key", 0);

    for (r = 0; r < runs; r++) {
        double t0 = now();
        for (i = 0; i < n; i++) {
            CK_ULONG len = sizeof(sig);
            rv = f->C_SignInit(h, &ecdsa, priv);
            if (rv == CKR_OK) rv = f->C_Sign(h, hash, sizeof(hash), sig, &len);
            if (rv != CKR_OK || len != 64) die("C_Sign", rv);
        }
        double t1 = now();
        for (i = 0; i < n; i++) {
            size_t len = 0;
            if (psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, sizeof(hash), sig,
                              sizeof(sig), &len) != PSA_SUCCESS || len != 64)
                die("psa_sign_hash", 0);
        }
        double t2 = now();
        p11_rate[r] = n / (t1 - t0);
        psa_rate[r] = n / (t2 - t1);
        printf("run=%d pkcs11_per_s=%.0f psa_per_s=%.0f\n", r + 1, p11_rate[r], psa_rate[r]);
    }
    qsort(p11_rate, (size_t)runs, sizeof(double), cmp);
    qsort(psa_rate, (size_t)runs, sizeof(double), cmp);
    printf("median pkcs11_per_s=%.0f psa_per_s=%.0f ratio=%.3f\n", p11_rate[runs / 2],
           psa_rate[runs / 2], p11_rate[runs / 2] / psa_rate[runs / 2]);
    (void)psa_destroy_key(key);
    f->C_DestroyObject(h, priv);
    f->C_DestroyObject(h, pub);
    f->C_Finalize(NULL);
    return 0;
}
