/* SPDX-License-Identifier: Apache-2.0 */
/* The cost of the gateway's device database in its key store, at the size
 * the bench provisions (bench/gateway/run.sh):
 *
 *   gw_lookup --store DIR [--lookups K]
 *
 * Opens the store as iot-gateway does (gw_store_open: key store start-up and
 * the identity index) and times it. Then, for K identities picked at random,
 * times what a handshake does per device, each step alone, median and p99:
 *   index    binary search identity -> key ids
 *   psk      the stored PSK into a handshake (gw_store_set_hs_psk: the key
 *            store finds the object, reads and checks its record, and
 *            mbedtls_ssl_set_hs_psk copies it)
 *   hmac     an attestation MAC computed inside the store
 * and, side by side, what the earlier file database did per handshake: the
 * PSK bytes already in memory handed to mbedtls_ssl_set_hs_psk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ssl.h>

#include "gateway.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y ? 1 : 0);
}

static void report(const char *name, uint64_t *t, size_t n)
{
    qsort(t, n, sizeof(*t), cmp_u64);
    printf("%-44s median %8.2f us, p99 %8.2f us\n", name, (double)t[n / 2u] / 1000.0,
           (double)t[(n * 99u) / 100u] / 1000.0);
}

int main(int argc, char **argv)
{
    gw_config_t cfg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    size_t lookups = 2000;
    uint64_t *t_index;
    uint64_t *t_psk;
    uint64_t *t_hmac;
    uint64_t *t_mem;
    uint64_t t0;
    uint8_t msg[256];
    uint8_t mac[32];
    uint8_t mem_psk[32];
    char reason[160];
    size_t i;
    int failures = 0;

    memset(&cfg, 0, sizeof(cfg));
    for (int a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--store") == 0) {
            (void)snprintf(cfg.key_store, sizeof(cfg.key_store), "%s", argv[a + 1]);
        } else if (strcmp(argv[a], "--lookups") == 0) {
            lookups = (size_t)strtoul(argv[a + 1], NULL, 10);
        }
    }
    if (cfg.key_store[0] == '\0' || lookups == 0u) {
        fprintf(stderr, "usage: gw_lookup --store DIR [--lookups K]\n");
        return 2;
    }
    gw_log_level = GW_LOG_WARN;
    t0 = now_ns();
    if (gw_store_open(&cfg) != 0 || cfg.device_count == 0u) {
        fprintf(stderr, "gw_lookup: no devices in %s\n", cfg.key_store);
        return 1;
    }
    printf("store start-up and index, %zu devices: %.1f ms\n", cfg.device_count,
           (double)(now_ns() - t0) / 1e6);

    mbedtls_ssl_config_init(&conf);
    mbedtls_ssl_init(&ssl);
    if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
        mbedtls_ssl_setup(&ssl, &conf) != 0) {
        fprintf(stderr, "gw_lookup: TLS set-up failed\n");
        return 1;
    }
    t_index = calloc(lookups, sizeof(uint64_t));
    t_psk = calloc(lookups, sizeof(uint64_t));
    t_hmac = calloc(lookups, sizeof(uint64_t));
    t_mem = calloc(lookups, sizeof(uint64_t));
    if (t_index == NULL || t_psk == NULL || t_hmac == NULL || t_mem == NULL) {
        return 1;
    }
    memset(msg, 0x5a, sizeof(msg));
    memset(mem_psk, 0x11, sizeof(mem_psk));
    srand(7);
    for (i = 0; i < lookups; i++) {
        const gw_device_t *want = &cfg.devices[(size_t)rand() % cfg.device_count];
        const gw_device_t *d;
        uint64_t a = now_ns();
        d = gw_config_find_device(&cfg, want->identity, strlen(want->identity));
        t_index[i] = now_ns() - a;
        if (d != want) {
            failures++;
            continue;
        }
        a = now_ns();
        if (gw_store_set_hs_psk(d, &ssl, reason, sizeof(reason)) != 0) {
            fprintf(stderr, "gw_lookup: %s: %s\n", d->identity, reason);
            failures++;
        }
        t_psk[i] = now_ns() - a;
        a = now_ns();
        if (d->attest_kind == GW_ATTEST_HMAC && gw_store_attest_hmac(d, msg, sizeof(msg), mac) != 0) {
            failures++;
        }
        t_hmac[i] = now_ns() - a;
        a = now_ns();
        (void)mbedtls_ssl_set_hs_psk(&ssl, mem_psk, sizeof(mem_psk));
        t_mem[i] = now_ns() - a;
    }
    printf("%zu lookups at %zu devices (%zu failed)\n", lookups, cfg.device_count, (size_t)failures);
    report("index: identity -> key ids", t_index, lookups);
    report("key store: PSK into the handshake", t_psk, lookups);
    report("key store: attestation HMAC", t_hmac, lookups);
    report("file database (before): PSK from memory", t_mem, lookups);
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&conf);
    gw_store_close(&cfg);
    gw_config_free(&cfg);
    free(t_index);
    free(t_psk);
    free(t_hmac);
    free(t_mem);
    return failures == 0 ? 0 : 1;
}
