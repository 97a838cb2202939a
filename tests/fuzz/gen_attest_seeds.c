/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the seed corpus of fuzz_attest_verify: real tokens of the SDK
 * (iot_attest_get_token on the posix port) for the keys, challenge and
 * firmware of fuzz_attest_common.h, each behind the mode byte the target
 * reads, and the claims payload of one of them for mode CLAIMS.
 *
 *   gen_attest_seeds OUT_DIR WORK_DIR
 *
 * WORK_DIR is scratch space (key store and firmware slots; removed by the
 * caller). Built in the posix-fuzz tree; run it again when the token format
 * changes and commit what it writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "fuzz_attest_common.h"

static int put(const char *dir, const char *name, uint8_t mode, const uint8_t *data, size_t len)
{
    char path[512];
    FILE *f;
    int ok;

    (void)snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    ok = fwrite(&mode, 1, 1, f) == 1 && fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : -1;
}

/* The payload (element 2 of the COSE array after the one-byte tag). */
static int put_payload(const char *dir, const char *name, const uint8_t *tok, size_t len)
{
    struct cbor_load_result res;
    cbor_item_t *cose = cbor_load(tok + 1, len - 1u, &res);
    int rc = -1;

    if (cose != NULL && cbor_isa_array(cose) && cbor_array_size(cose) == 4u) {
        cbor_item_t *p = cbor_array_handle(cose)[2];
        if (cbor_isa_bytestring(p)) {
            rc = put(dir, name, 2u, cbor_bytestring_handle(p), cbor_bytestring_length(p));
        }
    }
    if (cose != NULL) {
        cbor_decref(&cose);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const uint8_t sec1_head[] = { 0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20 };
    static const uint8_t sec1_tail[] = { 0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48,
                                         0xCE, 0x3D, 0x03, 0x01, 0x07 };
    uint8_t sec1[sizeof(sec1_head) + 32 + sizeof(sec1_tail)];
    uint8_t nonce[ATTEST_NONCE_LEN];
    uint8_t tok[2048];
    size_t len = 0;
    char path[512];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    FILE *f;

    if (argc != 3) {
        fprintf(stderr, "usage: gen_attest_seeds OUT_DIR WORK_DIR\n");
        return 2;
    }
    (void)snprintf(path, sizeof(path), "%s/store", argv[2]);
    if (iot_posix_store_set_dir(path) != IOT_OK || iot_keystore_init() != IOT_OK) {
        fprintf(stderr, "gen_attest_seeds: no key store in %s\n", path);
        return 1;
    }
    /* The firmware the port measures: the non-secure slot's active image. */
    (void)snprintf(path, sizeof(path), "%s/fw", argv[2]);
    if (iot_posix_fw_set_dir(path) != IOT_OK) {
        return 1;
    }
    (void)snprintf(path, sizeof(path), "%s/fw/c1.active", argv[2]);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(k_attest_firmware, 1, sizeof(k_attest_firmware) - 1u, f) !=
                         sizeof(k_attest_firmware) - 1u) {
        perror(path);
        return 1;
    }
    (void)fclose(f);
    memset(nonce, ATTEST_NONCE_BYTE, sizeof(nonce));
    o.label = IOT_ATTEST_KEY_LABEL; /* persistent: a MAC key must be, to be read back */

    /* COSE_Mac0 under the HMAC key. */
    if (iot_key_import_psk(k_attest_hmac_key, sizeof(k_attest_hmac_key), &o, &id) != IOT_OK ||
        iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len) != IOT_OK ||
        put(argv[1], "mac0-token", 0u, tok, len) != 0 ||
        put_payload(argv[1], "mac0-claims", tok, len) != 0) {
        fprintf(stderr, "gen_attest_seeds: COSE_Mac0 token failed\n");
        return 1;
    }
    /* A decommissioned device: well-formed, refused for its lifecycle. */
    if (iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_DECOMMISSIONED) != IOT_OK ||
        iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len) != IOT_OK ||
        put(argv[1], "mac0-decommissioned", 0u, tok, len) != 0 ||
        iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_SECURED) != IOT_OK) {
        return 1;
    }
    (void)iot_keystore_destroy(id);

    /* COSE_Sign1 under the P-256 key (SEC1 ECPrivateKey around the scalar). */
    memcpy(sec1, sec1_head, sizeof(sec1_head));
    memcpy(sec1 + sizeof(sec1_head), k_attest_p256_scalar, 32);
    memcpy(sec1 + sizeof(sec1_head) + 32, sec1_tail, sizeof(sec1_tail));
    if (iot_key_import_private(sec1, sizeof(sec1), &o, &id) != IOT_OK ||
        iot_attest_get_token(nonce, sizeof(nonce), tok, sizeof(tok), &len) != IOT_OK ||
        put(argv[1], "sign1-token", 1u, tok, len) != 0) {
        fprintf(stderr, "gen_attest_seeds: COSE_Sign1 token failed\n");
        return 1;
    }
    iot_keystore_deinit();
    return 0;
}
