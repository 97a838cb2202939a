/* SPDX-License-Identifier: Apache-2.0 */
/* Private interfaces of the key store: DER and PEM codecs, key parsing,
 * SubjectPublicKeyInfo and CSR encoding, and the store's lock. */
#ifndef IOT_KEYS_INTERNAL_H
#define IOT_KEYS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/status.h>

/* ---- DER reading (key_der.c) -------------------------------------------- */

#define IOT_DER_INTEGER 0x02u
#define IOT_DER_BIT_STRING 0x03u
#define IOT_DER_OCTET_STRING 0x04u
#define IOT_DER_NULL 0x05u
#define IOT_DER_OID 0x06u
#define IOT_DER_UTF8_STRING 0x0Cu
#define IOT_DER_PRINTABLE_STRING 0x13u
#define IOT_DER_IA5_STRING 0x16u
#define IOT_DER_SEQUENCE 0x30u
#define IOT_DER_SET 0x31u
#define IOT_DER_CONTEXT(n) (0xA0u | (n)) /* constructed, context-specific [n] */

/* A window over DER bytes; reading advances p. */
typedef struct iot_der {
    const uint8_t *p;
    const uint8_t *end;
} iot_der_t;

/* Read one element of tag `tag` (strict DER lengths). Its content window
 * goes to `content`. IOT_ERR_TRUNCATED when the element's length runs past
 * the window, IOT_ERR_BAD_FORMAT for any other mismatch. */
iot_status_t iot_der_get(iot_der_t *d, uint8_t tag, iot_der_t *content);

/* The tag of the next element, or -1 at the end of the window. */
int iot_der_peek(const iot_der_t *d);

/* True when the window holds exactly the given OID content bytes. */
bool iot_der_oid_equal(const iot_der_t *oid, const uint8_t *expected, size_t len);

/* ---- DER writing, backwards from the end of a buffer (key_der.c) -------- */

typedef struct iot_dw {
    uint8_t *buf;
    size_t pos; /* data occupies buf[pos .. cap) */
    size_t cap;
    bool overflow;
} iot_dw_t;

void iot_dw_init(iot_dw_t *w, uint8_t *buf, size_t cap);
size_t iot_dw_used(const iot_dw_t *w);
const uint8_t *iot_dw_data(const iot_dw_t *w);
void iot_dw_raw(iot_dw_t *w, const uint8_t *data, size_t len);
void iot_dw_byte(iot_dw_t *w, uint8_t b);
/* Prefix the `content_len` bytes written last with a tag and length. */
void iot_dw_wrap(iot_dw_t *w, uint8_t tag, size_t content_len);
/* An element with the given content. */
void iot_dw_element(iot_dw_t *w, uint8_t tag, const uint8_t *content, size_t len);
/* A non-negative INTEGER from big-endian magnitude bytes. */
void iot_dw_unsigned(iot_dw_t *w, const uint8_t *be, size_t len);

/* ---- PEM (key_der.c) ------------------------------------------------------ */

/* True when the data starts (after white space) with "-----BEGIN". */
bool iot_pem_detect(const uint8_t *data, size_t len);

/* Decode the first PEM block whose label is not "EC PARAMETERS" into out.
 * Its label (NUL-terminated) goes to label[label_cap]. IOT_ERR_BAD_PEM,
 * IOT_ERR_TRUNCATED (no END line), IOT_ERR_NOT_SUPPORTED (encrypted),
 * IOT_ERR_STORAGE_FULL (the decoded data does not fit `cap`). */
iot_status_t iot_pem_decode(const uint8_t *data, size_t len, char *label, size_t label_cap,
                            uint8_t *out, size_t cap, size_t *out_len);

/* Encode DER as PEM with the given label, NUL-terminated; *len excludes the NUL. */
iot_status_t iot_pem_encode(const char *label, const uint8_t *der, size_t der_len, char *out,
                            size_t cap, size_t *len);

/* ---- Keys (key_parse.c) ---------------------------------------------------- */

/* A parsed key: its type and its material in PSA import format (EC private:
 * the scalar, left-padded; RSA private: RSAPrivateKey DER; EC public: the
 * uncompressed point; RSA public: RSAPublicKey DER). `material` points into
 * the parsed input or into `pad`. */
typedef struct iot_parsed_key {
    iot_key_type_t type;
    const uint8_t *material;
    size_t material_len;
    uint8_t pad[66];
} iot_parsed_key_t;

/* DER of a private key: PKCS#8, SEC1 or PKCS#1. */
iot_status_t iot_key_parse_private_der(const uint8_t *der, size_t len, iot_parsed_key_t *key);
/* DER of a SubjectPublicKeyInfo. */
iot_status_t iot_key_parse_public_der(const uint8_t *der, size_t len, iot_parsed_key_t *key);
/* DER of an X.509 certificate: outer structure only. */
iot_status_t iot_key_check_certificate_der(const uint8_t *der, size_t len);

/* Write a SubjectPublicKeyInfo for a public key in PSA format. */
iot_status_t iot_key_write_spki(iot_dw_t *w, iot_key_type_t type, const uint8_t *pub,
                                size_t pub_len);

/* Bits of a key type (0 for PSK and non-keys) and whether it is EC. */
uint32_t iot_key_type_bits(iot_key_type_t type);
bool iot_key_type_is_ec(iot_key_type_t type);
bool iot_key_type_is_rsa(iot_key_type_t type);

/* ---- CSR (key_csr.c) -------------------------------------------------------- */

/* Write the Name for a subject string (see iot_csr_options_t). */
iot_status_t iot_csr_write_name(iot_dw_t *w, const char *subject);

/* Write the signatureAlgorithm AlgorithmIdentifier for `alg`. */
iot_status_t iot_csr_write_sig_alg(iot_dw_t *w, iot_sign_alg_t alg);

/* Write the signature BIT STRING: ECDSA r||s becomes Ecdsa-Sig-Value DER. */
iot_status_t iot_csr_write_signature(iot_dw_t *w, iot_sign_alg_t alg, const uint8_t *sig,
                                     size_t sig_len);

/* ---- Store lock (keystore.c) ---------------------------------------------- */

/* Serialises every PSA Crypto call of the SDK. Other modules that call PSA
 * directly (TLS, PKCS#11) take it too. */
void iot_keys_internal_lock(void);
void iot_keys_internal_unlock(void);

/* ---- Values for the TLS layer (keystore.c) -------------------------------- */

/* Receives a stored value; what it returns is returned by the caller. */
typedef iot_status_t (*iot_keys_value_fn)(void *ctx, const uint8_t *value, size_t len);

/* Call `use` with the stored value of object `id`, which must be of class
 * `obj_class`: IOT_OBJ_CERTIFICATE (its DER) or IOT_OBJ_SECRET_KEY (the raw
 * pre-shared key of a persistent PSK). The value lives in the store's record
 * buffer, under the store's lock, only for the duration of the call, and is
 * wiped before the lock is released; `use` must not call the key store.
 * IOT_ERR_NOT_FOUND, IOT_ERR_WRONG_KEY_TYPE (another class),
 * IOT_ERR_NOT_SUPPORTED (a volatile PSK: its bytes exist only inside PSA),
 * IOT_ERR_STORAGE_CORRUPT, IOT_ERR_BAD_STATE, IOT_ERR_IO, or what `use`
 * returned. */
iot_status_t iot_keys_internal_use_value(iot_key_id_t id, iot_obj_class_t obj_class,
                                         iot_keys_value_fn use, void *ctx);

/* ---- Symmetric attestation (keystore.c) ------------------------------------ */

/* HMAC-SHA256 of msg under the bytes of a persistent secret key; the key
 * material stays inside the store. IOT_ERR_NOT_FOUND, IOT_ERR_WRONG_KEY_TYPE
 * (not a persistent secret key), IOT_ERR_BAD_STATE, IOT_ERR_CRYPTO. */
iot_status_t iot_keys_internal_hmac_sha256(iot_key_id_t id, const uint8_t *msg, size_t msg_len,
                                           uint8_t mac[32]);

/* iot_key_export_public(id, IOT_KEY_FORMAT_DER, ...) without the PEM
 * encoder, for the SDK's own callers (TLS glue, OTA key hashes), so that
 * firmware that never exports PEM does not link it. */
iot_status_t iot_keys_internal_export_spki(iot_key_id_t id, uint8_t *buf, size_t cap, size_t *len);

/* Lets the TLS layer take credentials from the store (src/net/tls_store.c):
 * iot_keystore_init() calls it, so that the transport reaches the store's
 * TLS glue only in firmware that starts the store. Defined where the TLS
 * layer is built (IOT_HAVE_TLS). */
void iot_tls_store_attach(void);

/* Lets the MQTT client answer attestation challenges (src/attest): called
 * by iot_keystore_init() as well, for the same reason. Defined where
 * attestation is built (IOT_HAVE_ATTEST). */
void iot_attest_mqtt_attach(void);

#endif /* IOT_KEYS_INTERNAL_H */
