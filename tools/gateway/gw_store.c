/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: the device database in the gateway's own key store.
 *
 * Every device is two persistent objects of the key store in the directory
 * `key_store` (doc/gateway.md, "Device database"):
 *   secret key  "psk:<identity>"     the TLS PSK (never readable through the API)
 *   secret key  "attest:<identity>"  an HMAC attestation key (COSE_Mac0), or
 *   public key  "attest:<identity>"  a P-256 public key (COSE_Sign1)
 * At start the store is indexed once (identity -> key ids, sorted, binary
 * search); no secret is held by the index. During a handshake the PSK goes
 * from the store's record buffer straight into that handshake's state
 * (mbedtls_ssl_set_hs_psk), and the HMAC of a token is computed inside the
 * store. The gateway is built against its own copy of the key store with
 * IOT_CONFIG_KEYS_MAX_OBJECTS raised (gw_keys_config.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>
#include <corstone_iot/status.h>

#include "gateway.h"
#include "keys/iot_keys_internal.h"

#define PSK_PREFIX "psk:"
#define ATTEST_PREFIX "attest:"

/* SubjectPublicKeyInfo header of an uncompressed P-256 point (RFC 5480). */
static const uint8_t k_p256_spki_head[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                            0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };

static int device_cmp(const void *a, const void *b)
{
    return strcmp(((const gw_device_t *)a)->identity, ((const gw_device_t *)b)->identity);
}

static gw_device_t *find_or_add(gw_config_t *cfg, const char *identity, size_t *cap)
{
    size_t i;

    /* Start-up only; a linear scan from the end is enough because the
     * two objects of a device are usually adjacent in the listing. */
    for (i = cfg->device_count; i > 0u; i--) {
        if (strcmp(cfg->devices[i - 1u].identity, identity) == 0) {
            return &cfg->devices[i - 1u];
        }
        if (cfg->device_count - i > 4u) {
            break;
        }
    }
    if (cfg->device_count == *cap) {
        size_t ncap = *cap == 0u ? 1024u : *cap * 2u;
        gw_device_t *grown = realloc(cfg->devices, ncap * sizeof(*grown));
        if (grown == NULL) {
            return NULL;
        }
        cfg->devices = grown;
        *cap = ncap;
    }
    memset(&cfg->devices[cfg->device_count], 0, sizeof(gw_device_t));
    (void)snprintf(cfg->devices[cfg->device_count].identity, sizeof(cfg->devices[0].identity), "%s",
                   identity);
    return &cfg->devices[cfg->device_count++];
}

/* Merge entries of the same identity that were not adjacent (after sorting). */
static void merge_sorted(gw_config_t *cfg)
{
    size_t out = 0;
    size_t i;

    for (i = 0; i < cfg->device_count; i++) {
        if (out > 0u && strcmp(cfg->devices[out - 1u].identity, cfg->devices[i].identity) == 0) {
            gw_device_t *d = &cfg->devices[out - 1u];
            const gw_device_t *e = &cfg->devices[i];
            if (e->psk_id != 0u) {
                d->psk_id = e->psk_id;
            }
            if (e->attest_id != 0u) {
                d->attest_id = e->attest_id;
                d->attest_kind = e->attest_kind;
                memcpy(d->attest_pub, e->attest_pub, sizeof(d->attest_pub));
                d->attest_pub_len = e->attest_pub_len;
            }
            continue;
        }
        cfg->devices[out++] = cfg->devices[i];
    }
    cfg->device_count = out;
}

static int store_start(const gw_config_t *cfg)
{
    iot_status_t st;

    iot_log_set_level(IOT_LOG_ERROR);
    st = iot_posix_store_set_dir(cfg->key_store);
    if (st == IOT_OK) {
        st = iot_keystore_init();
    }
    if (st != IOT_OK) {
        gw_log(GW_LOG_ERROR, "key store %s cannot start: %s", cfg->key_store, iot_status_name(st));
        return -1;
    }
    return 0;
}

int gw_store_open(gw_config_t *cfg)
{
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    iot_key_id_t *ids = NULL;
    size_t count = 0;
    size_t cap = 0;
    size_t i;
    size_t incomplete = 0;
    size_t out;

    if (store_start(cfg) != 0) {
        return -1;
    }
    (void)iot_keystore_get_stats(&stats);
    if (stats.corrupt > 0u) {
        gw_log(GW_LOG_WARN,
               "key store %s: %u damaged object(s) kept aside; a device whose object is damaged is refused",
               cfg->key_store, (unsigned)stats.corrupt);
    }
    (void)iot_keystore_list(NULL, 0, &count);
    ids = calloc(count + 1u, sizeof(*ids));
    if (ids == NULL || iot_keystore_list(ids, count + 1u, &count) != IOT_OK) {
        free(ids);
        gw_log(GW_LOG_ERROR, "key store %s: cannot list its objects", cfg->key_store);
        return -1;
    }
    for (i = 0; i < count; i++) {
        iot_key_info_t info = IOT_KEY_INFO_INIT;
        gw_device_t *d;
        bool is_psk;

        if (iot_keystore_get_info(ids[i], &info) != IOT_OK) {
            continue;
        }
        is_psk = strncmp(info.label, PSK_PREFIX, strlen(PSK_PREFIX)) == 0;
        if (!is_psk && strncmp(info.label, ATTEST_PREFIX, strlen(ATTEST_PREFIX)) != 0) {
            continue; /* not a device object */
        }
        d = find_or_add(cfg, info.label + (is_psk ? strlen(PSK_PREFIX) : strlen(ATTEST_PREFIX)), &cap);
        if (d == NULL) {
            free(ids);
            return -1;
        }
        if (is_psk && info.obj_class == IOT_OBJ_SECRET_KEY) {
            d->psk_id = info.id;
        } else if (!is_psk && info.obj_class == IOT_OBJ_SECRET_KEY) {
            d->attest_id = info.id;
            d->attest_kind = GW_ATTEST_HMAC;
        } else if (!is_psk && info.obj_class == IOT_OBJ_PUBLIC_KEY &&
                   info.key_type == IOT_KEY_TYPE_EC_P256 &&
                   iot_key_export_public(info.id, IOT_KEY_FORMAT_RAW, d->attest_pub,
                                         sizeof(d->attest_pub), &d->attest_pub_len) == IOT_OK &&
                   d->attest_pub_len == 65u) {
            d->attest_id = info.id;
            d->attest_kind = GW_ATTEST_ES256;
        }
    }
    free(ids);
    qsort(cfg->devices, cfg->device_count, sizeof(*cfg->devices), device_cmp);
    merge_sorted(cfg);
    /* A device needs both objects; one missing (damaged at start, or a
     * half-finished removal) is logged and the device left out. */
    out = 0;
    for (i = 0; i < cfg->device_count; i++) {
        if (cfg->devices[i].psk_id == 0u || cfg->devices[i].attest_id == 0u) {
            gw_log(GW_LOG_WARN, "key store: device %s has no %s; it is refused", cfg->devices[i].identity,
                   cfg->devices[i].psk_id == 0u ? "PSK" : "attestation key");
            incomplete++;
            continue;
        }
        cfg->devices[out++] = cfg->devices[i];
    }
    cfg->device_count = out;
    gw_log(GW_LOG_INFO, "key store %s: %zu devices (%zu incomplete), %u of %u objects used", cfg->key_store,
           cfg->device_count, incomplete, (unsigned)stats.objects, (unsigned)stats.capacity);
    return 0;
}

void gw_store_close(gw_config_t *cfg)
{
    (void)cfg;
    iot_keystore_deinit();
}

/* Runs under the store's lock with the PSK in the store's record buffer,
 * which the store wipes when this returns. Mbed TLS copies the bytes into
 * the handshake state and wipes that copy when the handshake ends. */
static iot_status_t give_psk(void *ctx, const uint8_t *value, size_t len)
{
    return mbedtls_ssl_set_hs_psk(ctx, value, len) == 0 ? IOT_OK : IOT_ERR_NO_MEMORY;
}

int gw_store_set_hs_psk(const gw_device_t *dev, struct mbedtls_ssl_context *ssl, char *reason, size_t cap)
{
    iot_status_t st = iot_keys_internal_use_value(dev->psk_id, IOT_OBJ_SECRET_KEY, give_psk, ssl);

    if (st != IOT_OK) {
        (void)snprintf(reason, cap, "its PSK cannot be used: key store says %s", iot_status_name(st));
        return -1;
    }
    return 0;
}

int gw_store_attest_hmac(const gw_device_t *dev, const uint8_t *msg, size_t len, uint8_t mac[32])
{
    return iot_keys_internal_hmac_sha256(dev->attest_id, msg, len, mac) == IOT_OK ? 0 : -1;
}

/* ---- Operator commands ------------------------------------------------------ */

static iot_status_t import_one(const gw_device_t *d)
{
    char label[IOT_KEY_LABEL_MAX + GW_MAX_IDENTITY]; /* longer than the store takes: it says BAD_LABEL */
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t psk_id = 0;
    iot_key_id_t att_id = 0;
    iot_status_t st;

    (void)snprintf(label, sizeof(label), PSK_PREFIX "%s", d->identity);
    o.label = label;
    st = iot_key_import_psk(d->psk, d->psk_len, &o, &psk_id);
    if (st != IOT_OK) {
        return st;
    }
    (void)snprintf(label, sizeof(label), ATTEST_PREFIX "%s", d->identity);
    if (d->attest_kind == GW_ATTEST_HMAC) {
        st = iot_key_import_psk(d->attest_key, d->attest_key_len, &o, &att_id);
    } else {
        uint8_t spki[sizeof(k_p256_spki_head) + 65];
        memcpy(spki, k_p256_spki_head, sizeof(k_p256_spki_head));
        memcpy(spki + sizeof(k_p256_spki_head), d->attest_pub, 65);
        st = iot_key_import_public(spki, sizeof(spki), &o, &att_id);
    }
    if (st != IOT_OK) {
        (void)iot_keystore_destroy(psk_id); /* all or nothing per device */
    }
    return st;
}

static int cmd_import(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char line[1024];
    unsigned lineno = 0;
    unsigned long imported = 0;
    int rc = 0;

    if (f == NULL) {
        gw_log(GW_LOG_ERROR, "import: cannot open %s: %s", path, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        gw_device_t d;
        int r;
        iot_status_t st;

        lineno++;
        r = gw_db_parse_line(line, &d);
        mbedtls_platform_zeroize(line, sizeof(line));
        if (r == 0) {
            continue;
        }
        if (r < 0) {
            gw_log(GW_LOG_ERROR, "%s:%u: %s", path, lineno,
                   r == -1 ? "expected \"identity psk-hex hmac:<hex>|es256:<hex>\" (identity 1..57 bytes)"
                           : "bad attestation key (hmac:<hex> or es256:<65-byte point hex>)");
            rc = 1;
            continue;
        }
        st = import_one(&d);
        mbedtls_platform_zeroize(&d, sizeof(d));
        if (st == IOT_OK) {
            imported++;
        } else {
            gw_log(GW_LOG_ERROR, "%s:%u: not imported: %s%s", path, lineno, iot_status_name(st),
                   st == IOT_ERR_ALREADY_EXISTS ? " (identity already in the store)" : "");
            rc = 1;
        }
    }
    if (f != stdin) {
        fclose(f);
    }
    gw_log(GW_LOG_INFO, "import: %lu device(s) imported from %s%s", imported, path,
           rc != 0 ? ", some lines refused" : "");
    return rc;
}

static int cmd_remove(const char *identity)
{
    char label[IOT_KEY_LABEL_MAX + GW_MAX_IDENTITY]; /* longer than the store takes: it says BAD_LABEL */
    iot_key_id_t id;
    int found = 0;
    int pass;

    for (pass = 0; pass < 3; pass++) {
        iot_obj_class_t c = pass == 2 ? IOT_OBJ_PUBLIC_KEY : IOT_OBJ_SECRET_KEY;
        (void)snprintf(label, sizeof(label), "%s%s", pass == 0 ? PSK_PREFIX : ATTEST_PREFIX, identity);
        if (iot_keystore_find(c, label, &id) == IOT_OK && iot_keystore_destroy(id) == IOT_OK) {
            found++;
        }
    }
    if (found == 0) {
        gw_log(GW_LOG_ERROR, "remove: no device %s in the key store", identity);
        return 1;
    }
    gw_log(GW_LOG_INFO, "remove: device %s removed (%d objects)", identity, found);
    return 0;
}

int gw_store_command(gw_config_t *cfg, int argc, char **argv)
{
    int rc;

    if (argc < 1 || (strcmp(argv[0], "list") != 0 && argc != 2) ||
        (strcmp(argv[0], "list") == 0 && argc != 1)) {
        fprintf(stderr, "usage: iot-gateway -c CONFIG import FILE|-\n"
                        "       iot-gateway -c CONFIG remove IDENTITY\n"
                        "       iot-gateway -c CONFIG list\n");
        return 2;
    }
    if (strcmp(argv[0], "list") == 0) {
        size_t i;
        if (gw_store_open(cfg) != 0) {
            return 1;
        }
        for (i = 0; i < cfg->device_count; i++) {
            printf("%s %s\n", cfg->devices[i].identity,
                   cfg->devices[i].attest_kind == GW_ATTEST_HMAC ? "hmac" : "es256");
        }
        gw_store_close(cfg);
        free(cfg->devices);
        cfg->devices = NULL;
        cfg->device_count = 0;
        return 0;
    }
    if (store_start(cfg) != 0) {
        return 1;
    }
    if (strcmp(argv[0], "import") == 0) {
        rc = cmd_import(argv[1]);
    } else if (strcmp(argv[0], "remove") == 0) {
        rc = cmd_remove(argv[1]);
    } else {
        fprintf(stderr, "iot-gateway: unknown command %s\n", argv[0]);
        rc = 2;
    }
    iot_keystore_deinit();
    return rc;
}
