/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key store benchmarks (built and run by bench/run_key_bench.sh):
 *
 *   key_bench sign --store DIR --key KEY.pem [--ops N]
 *     Signatures per second through iot_key_sign_hash() against a direct
 *     psa_sign_hash() on a PSA key holding the same private key (imported
 *     from the same PEM file, same algorithm), in one process: N signatures
 *     of a SHA-256 hash on each side, interleaved one by one (sdk, psa, psa,
 *     sdk, ...) and each timed alone; the rate is 1 / the median time per
 *     signature (the mean-based rate is printed too), and their ratio.
 *
 *   key_bench handshake --store DIR --pki DIR --port P [--count N]
 *     Full TLS 1.2 mutual-auth handshake time (TCP connect + handshake, as
 *     iot_transport_connect() does it, then close) against a broker's mutual
 *     TLS listener on 127.0.0.1: the client key held in the key store
 *     (CertificateVerify signed by the store) against the same key as a PEM
 *     file parsed by Mbed TLS. Connections alternate; median and ratio.
 *
 * Output: one "result" line per measurement (key=value), on stdout.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "iot_transport.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <psa/crypto.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(v[0]), cmp_double);
    return (n % 2u) ? v[n / 2u] : (v[n / 2u - 1u] + v[n / 2u]) / 2.0;
}

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
    int i;
    for (i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return def;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "key_bench: cannot read %s\n", path);
        exit(2);
    }
    buf = calloc(1, (size_t)n + 1u);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "key_bench: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void start_store(const char *dir)
{
    iot_log_set_level(IOT_LOG_ERROR);
    if (iot_posix_store_set_dir(dir) != IOT_OK || iot_keystore_init() != IOT_OK) {
        fprintf(stderr, "key_bench: cannot start the key store in %s\n", dir);
        exit(2);
    }
}

/* The same private key as a PSA key of our own (non-exportable), for the
 * direct calls: the EC scalar from Mbed TLS's parse of the PEM file. */
static psa_key_id_t direct_key(const char *pem, size_t len, size_t *bits)
{
    mbedtls_pk_context pk;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    uint8_t d[66];
    size_t n;
    psa_key_id_t id = 0;
    const mbedtls_ecp_keypair *ec;

    mbedtls_pk_init(&pk);
    if (mbedtls_pk_parse_key(&pk, (const unsigned char *)pem, len + 1u, NULL, 0) != 0 ||
        !mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY)) {
        fprintf(stderr, "key_bench: the key must be an EC key in PEM\n");
        exit(2);
    }
    ec = mbedtls_pk_ec(pk);
    n = (ec->grp.pbits + 7u) / 8u;
    *bits = ec->grp.pbits;
    if (mbedtls_mpi_write_binary(&ec->d, d, n) != 0) {
        exit(2);
    }
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, *bits);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_SIGN_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    if (psa_import_key(&a, d, n, &id) != PSA_SUCCESS) {
        fprintf(stderr, "key_bench: psa_import_key failed\n");
        exit(2);
    }
    memset(d, 0, sizeof(d));
    mbedtls_pk_free(&pk);
    return id;
}

static int cmd_sign(int argc, char **argv)
{
    const char *store = arg(argc, argv, "--store", NULL);
    const char *keyfile = arg(argc, argv, "--key", NULL);
    int ops = atoi(arg(argc, argv, "--ops", "3000"));
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    psa_key_id_t direct;
    uint8_t hash[32];
    uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    double *sdk_s;
    double *psa_s;
    double sdk_total = 0.0;
    double psa_total = 0.0;
    size_t bits = 0;
    size_t len = 0;
    size_t sig_len = 0;
    char *pem;
    int i;

    if (store == NULL || keyfile == NULL || ops < 1) {
        fprintf(stderr, "usage: key_bench sign --store DIR --key KEY.pem [--ops N]\n");
        return 2;
    }
    start_store(store);
    pem = read_all(keyfile, &len);
    o.label = "bench";
    o.persistent = false;
    if (iot_key_import_private(pem, len + 1u, &o, &id) != IOT_OK) {
        fprintf(stderr, "key_bench: import failed\n");
        return 1;
    }
    direct = direct_key(pem, len, &bits);
    memset(hash, 0x5a, sizeof(hash));
    sdk_s = calloc((size_t)ops, sizeof(double));
    psa_s = calloc((size_t)ops, sizeof(double));
    /* Warm-up: loads the stored key into PSA, fills caches. */
    for (i = 0; i < 20; i++) {
        if (iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, hash, 32, sig, sizeof(sig), &sig_len) != IOT_OK ||
            psa_sign_hash(direct, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig, sizeof(sig),
                          &sig_len) != PSA_SUCCESS) {
            fprintf(stderr, "key_bench: signing failed\n");
            return 1;
        }
    }
    /* One signature on each side in turn, each timed on its own: on a
     * shared, loaded machine the median time per signature is robust
     * against the preemptions that hit whole rounds of one side. */
    for (i = 0; i < 2 * ops; i++) {
        int sdk = ((i & 1) == ((i / 2) & 1)); /* sdk, psa, psa, sdk, sdk, psa, ... */
        double t0;
        double dt;
        int ok;

        hash[0] = (uint8_t)i;
        hash[1] = (uint8_t)(i >> 8);
        t0 = now_s();
        ok = sdk ? iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, hash, 32, sig, sizeof(sig),
                                     &sig_len) == IOT_OK
                 : psa_sign_hash(direct, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, sig,
                                 sizeof(sig), &sig_len) == PSA_SUCCESS;
        dt = now_s() - t0;
        if (!ok) {
            fprintf(stderr, "key_bench: signing failed\n");
            return 1;
        }
        if (sdk) {
            sdk_s[i / 2] = dt;
            sdk_total += dt;
        } else {
            psa_s[i / 2] = dt;
            psa_total += dt;
        }
    }
    {
        double s = 1.0 / median(sdk_s, (size_t)ops);
        double p = 1.0 / median(psa_s, (size_t)ops);
        printf("result sign curve=P-%u ops=%d sdk_ops_s=%.1f psa_ops_s=%.1f "
               "ratio_sdk_over_psa=%.4f overhead_pct=%.2f sdk_mean_ops_s=%.1f psa_mean_ops_s=%.1f\n",
               (unsigned)bits, ops, s, p, s / p, (p / s - 1.0) * 100.0, ops / sdk_total,
               ops / psa_total);
    }
    psa_destroy_key(direct);
    iot_keystore_deinit();
    free(pem);
    free(sdk_s);
    free(psa_s);
    return 0;
}

static int cmd_handshake(int argc, char **argv)
{
    const char *store = arg(argc, argv, "--store", NULL);
    const char *pki = arg(argc, argv, "--pki", NULL);
    int port = atoi(arg(argc, argv, "--port", "0"));
    int count = atoi(arg(argc, argv, "--count", "31"));
    static char ca_path[600], crt_path[600], key_path[600];
    static iot_transport_t t;
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t key = IOT_KEY_ID_NONE;
    iot_tls_config_t with_store = IOT_TLS_CONFIG_INIT;
    iot_tls_config_t with_pem = IOT_TLS_CONFIG_INIT;
    double *store_ms;
    double *pem_ms;
    size_t len = 0;
    char *pem;
    int i;

    if (store == NULL || pki == NULL || port <= 0 || count < 1) {
        fprintf(stderr, "usage: key_bench handshake --store DIR --pki DIR --port P [--count N]\n");
        return 2;
    }
    (void)snprintf(ca_path, sizeof(ca_path), "%s/ca.crt", pki);
    (void)snprintf(crt_path, sizeof(crt_path), "%s/client.crt", pki);
    (void)snprintf(key_path, sizeof(key_path), "%s/client.key", pki);
    start_store(store);
    pem = read_all(key_path, &len);
    o.label = "bench-tls";
    o.persistent = false;
    if (iot_key_import_private(pem, len + 1u, &o, &key) != IOT_OK) {
        fprintf(stderr, "key_bench: import failed\n");
        return 1;
    }
    {
        iot_cred_t ca = IOT_CRED_FROM_FILE(ca_path);
        iot_cred_t crt = IOT_CRED_FROM_FILE(crt_path);
        iot_cred_t k_file = IOT_CRED_FROM_FILE(key_path);
        iot_cred_t k_store = IOT_CRED_FROM_STORE(key);

        with_pem.ca = ca;
        with_pem.client_cert = crt;
        with_pem.client_key = k_file;
        with_pem.server_name = "localhost";
        with_store = with_pem;
        with_store.client_key = k_store;
    }
    store_ms = calloc((size_t)count, sizeof(double));
    pem_ms = calloc((size_t)count, sizeof(double));
    t.sock.handle = -1;
    for (i = -2; i < count; i++) { /* two warm-up pairs */
        int side;
        for (side = 0; side < 2; side++) {
            const iot_tls_config_t *cfg = (side == 0) ? &with_store : &with_pem;
            double t0 = now_s();
            iot_status_t st = iot_transport_connect(&t, "127.0.0.1", (uint16_t)port, cfg, 10000);
            double ms = (now_s() - t0) * 1000.0;

            if (st != IOT_OK) {
                fprintf(stderr, "key_bench: handshake (%s) failed: %s\n",
                        side == 0 ? "store" : "pem", iot_status_name(st));
                return 1;
            }
            iot_transport_close(&t);
            if (i >= 0) {
                (side == 0 ? store_ms : pem_ms)[i] = ms;
            }
        }
    }
    {
        double s = median(store_ms, (size_t)count);
        double p = median(pem_ms, (size_t)count);
        printf("result handshake count=%d store_median_ms=%.3f pem_median_ms=%.3f "
               "ratio_store_over_pem=%.4f\n",
               count, s, p, s / p);
    }
    iot_keystore_deinit();
    free(pem);
    free(store_ms);
    free(pem_ms);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sign") == 0) {
        return cmd_sign(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "handshake") == 0) {
        return cmd_handshake(argc, argv);
    }
    fprintf(stderr, "usage: key_bench sign|handshake ...\n");
    return 2;
}
