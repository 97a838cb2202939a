/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key store on the board, in QEMU: src/keys over the in-image PSA Crypto
 * core (Mbed TLS) and the RAM object store (port_store_ram.c), with the
 * INSECURE test entropy (no TRNG, no TF-M). Generates a P-256 key, signs and
 * verifies, rejects a changed hash, exports the public key and verifies with
 * an imported copy, writes a CSR, fills the store until it refuses with
 * IOT_ERR_STORAGE_FULL, finds the key again after a restart of the store, refuses what the board's crypto configuration leaves out (P-384,
 * RSA) and bad arguments with their documented statuses. The exit status is
 * the number of failed checks.
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/status.h>
#include "target_check.h"

int main(void)
{
    static const uint8_t hash[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
    static uint8_t sig[IOT_KEY_SIGNATURE_MAX];
    static uint8_t pub[256];
    static char csr[1024];
    static const char long_label[] = "0123456789012345678901234567890123456789012345678901234567890123456789";
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_options_t vol = IOT_KEY_OPTIONS_INIT;
    iot_csr_options_t csr_opts = IOT_CSR_OPTIONS_INIT;
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    iot_key_id_t key = 0;
    iot_key_id_t other = 0;
    iot_key_id_t imported = 0;
    iot_key_id_t found = 0;
    size_t sig_len = 0;
    size_t pub_len = 0;
    size_t csr_len = 0;
    uint8_t changed[32];

    expect("generate before init", iot_key_generate(IOT_KEY_TYPE_EC_P256, NULL, &key),
           IOT_ERR_BAD_STATE);
    expect("init", iot_keystore_init(), IOT_OK);

    o.label = "device";
    expect("generate P-256", iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &key), IOT_OK);
    expect("generate with the same label", iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &other),
           IOT_ERR_ALREADY_EXISTS);
    expect("get info", iot_keystore_get_info(key, &info), IOT_OK);
    check("info: P-256 private key, 256 bits, persistent, label",
          info.obj_class == IOT_OBJ_PRIVATE_KEY && info.key_type == IOT_KEY_TYPE_EC_P256 &&
              info.bits == 256u && info.persistent && strcmp(info.label, "device") == 0);

    expect("sign", iot_key_sign_hash(key, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sizeof(sig),
                                     &sig_len), IOT_OK);
    expect("verify", iot_key_verify_hash(key, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sig_len),
           IOT_OK);
    memcpy(changed, hash, sizeof(changed));
    changed[0] ^= 1u;
    expect("verify a changed hash",
           iot_key_verify_hash(key, IOT_SIGN_ECDSA_SHA256, changed, sizeof(changed), sig, sig_len),
           IOT_ERR_BAD_SIGNATURE);

    expect("export public (DER)",
           iot_key_export_public(key, IOT_KEY_FORMAT_DER, pub, sizeof(pub), &pub_len), IOT_OK);
    vol.persistent = false;
    expect("import public", iot_key_import_public(pub, pub_len, &vol, &imported), IOT_OK);
    expect("verify with the imported public key",
           iot_key_verify_hash(imported, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sig_len),
           IOT_OK);
    expect("sign with a public key",
           iot_key_sign_hash(imported, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sizeof(sig),
                             &sig_len), IOT_ERR_WRONG_KEY_TYPE);

    csr_opts.subject = "CN=device-1,O=corstone-iot";
    expect("CSR", iot_key_csr(key, &csr_opts, csr, sizeof(csr), &csr_len), IOT_OK);
    check("CSR is PEM", strncmp(csr, "-----BEGIN CERTIFICATE REQUEST-----", 35) == 0);

    /* What the board's Mbed TLS configuration leaves out, and bad input. */
    expect("generate P-384", iot_key_generate(IOT_KEY_TYPE_EC_P384, &vol, &other),
           IOT_ERR_UNSUPPORTED_KEY);
    expect("generate RSA-2048", iot_key_generate(IOT_KEY_TYPE_RSA_2048, &vol, &other),
           IOT_ERR_UNSUPPORTED_KEY);
    expect("generate NULL id", iot_key_generate(IOT_KEY_TYPE_EC_P256, &vol, NULL),
           IOT_ERR_INVALID_ARG);
    vol.label = long_label;
    expect("generate with a long label", iot_key_generate(IOT_KEY_TYPE_EC_P256, &vol, &other),
           IOT_ERR_BAD_LABEL);
    expect("import garbage", iot_key_import_public("not a key", 9u, NULL, &other),
           IOT_ERR_BAD_FORMAT);

    /* Fill the RAM object store with data objects: the first one that does
     * not fit is refused as STORAGE_FULL and changes nothing. */
    {
        static uint8_t blob[1500];
        char label[8] = "data-0";
        iot_status_t st = IOT_OK;
        int saved = 0;

        memset(blob, 0x5A, sizeof(blob));
        while (saved < 16) {
            label[5] = (char)('a' + saved);
            st = iot_keystore_save(IOT_OBJ_DATA, label, blob, sizeof(blob), 0u, &other);
            if (st != IOT_OK) {
                break;
            }
            saved++;
        }
        printf("     %d data objects of %u bytes fit\n", saved, (unsigned)sizeof(blob));
        expect("save into a full store", st, IOT_ERR_STORAGE_FULL);
        check("at least one data object fit", saved >= 1);
        expect("sign with a full store", iot_key_sign_hash(key, IOT_SIGN_ECDSA_SHA256, hash,
                                                           sizeof(hash), sig, sizeof(sig), &sig_len),
               IOT_OK);
        while (saved > 0) {
            saved--;
            label[5] = (char)('a' + saved);
            if (iot_keystore_find(IOT_OBJ_DATA, label, &other) != IOT_OK ||
                iot_keystore_destroy(other) != IOT_OK) {
                check("data object removed", 0);
            }
        }
    }

    /* A restart of the store: the persistent key is found again, by label,
     * and still produces signatures its old public key accepts. */
    iot_keystore_deinit();
    expect("init again", iot_keystore_init(), IOT_OK);
    expect("find by label", iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "device", &found), IOT_OK);
    check("same id after restart", found == key);
    expect("sign after restart", iot_key_sign_hash(found, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash),
                                                   sig, sizeof(sig), &sig_len), IOT_OK);
    expect("import public again", iot_key_import_public(pub, pub_len, NULL, &imported), IOT_OK);
    expect("verify with the old public key",
           iot_key_verify_hash(imported, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sig_len),
           IOT_OK);
    expect("destroy", iot_keystore_destroy(found), IOT_OK);
    expect("find after destroy", iot_keystore_find(IOT_OBJ_PRIVATE_KEY, "device", &found),
           IOT_ERR_NOT_FOUND);
    iot_keystore_deinit();

    printf("key store checks: %u failed\n", g_failures);
    return (int)g_failures;
}
