/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the key store's own parsers, without PSA: PEM armour and
 * base64, PKCS#8 / SEC1 / PKCS#1 private keys, SubjectPublicKeyInfo and the
 * outer structure of X.509 certificates. A public key that parses must be
 * written back as a SubjectPublicKeyInfo that parses to the same key. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "keys/iot_keys_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool in_input_or_pad(const iot_parsed_key_t *k, const uint8_t *data, size_t size)
{
    const uint8_t *m = k->material;
    if (m >= data && m + k->material_len <= data + size) {
        return true;
    }
    return m >= k->pad && m + k->material_len <= k->pad + sizeof(k->pad);
}

static void check_public(const uint8_t *der, size_t len)
{
    iot_parsed_key_t key;
    iot_parsed_key_t again;
    static uint8_t out[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE + 64];
    iot_dw_t w;

    if (iot_key_parse_public_der(der, len, &key) != IOT_OK) {
        return;
    }
    FUZZ_CHECK(in_input_or_pad(&key, der, len));
    iot_dw_init(&w, out, sizeof(out));
    FUZZ_CHECK(iot_key_write_spki(&w, key.type, key.material, key.material_len) == IOT_OK);
    FUZZ_CHECK(!w.overflow);
    FUZZ_CHECK(iot_key_parse_public_der(iot_dw_data(&w), iot_dw_used(&w), &again) == IOT_OK);
    FUZZ_CHECK(again.type == key.type && again.material_len == key.material_len);
    FUZZ_CHECK(memcmp(again.material, key.material, key.material_len) == 0);
}

static void parse_all(const uint8_t *der, size_t len)
{
    iot_parsed_key_t key;
    if (iot_key_parse_private_der(der, len, &key) == IOT_OK) {
        FUZZ_CHECK(in_input_or_pad(&key, der, len));
        FUZZ_CHECK(iot_key_type_bits(key.type) > 0u);
    }
    check_public(der, len);
    (void)iot_key_check_certificate_der(der, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t der[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE];
    char label[64];
    size_t der_len = 0;

    if (iot_pem_detect(data, size)) {
        iot_status_t st = iot_pem_decode(data, size, label, sizeof(label), der, sizeof(der), &der_len);
        FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_BAD_PEM || st == IOT_ERR_TRUNCATED ||
                   st == IOT_ERR_NOT_SUPPORTED || st == IOT_ERR_STORAGE_FULL);
        if (st == IOT_OK) {
            FUZZ_CHECK(der_len <= sizeof(der));
            FUZZ_CHECK(memchr(label, '\0', sizeof(label)) != NULL);
            parse_all(der, der_len);
        }
        return 0;
    }
    parse_all(data, size);
    return 0;
}
