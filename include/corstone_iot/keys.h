/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file keys.h
 * @brief The key store: keys, certificates and data objects over PSA Crypto.
 *
 * Objects are named by a numeric ::iot_key_id_t and, optionally, a label.
 * Key operations (generate, import, sign, verify, export of the public
 * part) run in the PSA Crypto service by key id: private keys and
 * pre-shared keys are created non-exportable and their secret never leaves
 * the store; asking for it returns ::IOT_ERR_NOT_PERMITTED.
 *
 * Persistent objects keep their ids and labels across restarts. They live
 * in the port object store (port.h; on posix the directory named with
 * iot_posix_store_set_dir(), which must be set before iot_keystore_init()).
 * Volatile keys live until they are destroyed or iot_keystore_deinit().
 *
 * Supported keys: ECDSA on NIST P-256 and P-384, RSA 2048, 3072 and 4096
 * (generation: 2048 and 3072), and pre-shared keys of 1 to 64 bytes.
 * Private keys are imported from PKCS#8 (RFC 5208), SEC1 (RFC 5915) or
 * PKCS#1 RSAPrivateKey, public keys from SubjectPublicKeyInfo (RFC 5280),
 * each as PEM or DER; encrypted PEM is not supported.
 *
 * @par Memory
 * The store never allocates from a heap: objects take entries of a static
 * table of ::IOT_CONFIG_KEYS_MAX_OBJECTS, and two static work buffers of
 * about ::IOT_CONFIG_KEYS_MAX_OBJECT_SIZE bytes each serve every call (they
 * are wiped before the call returns). Input buffers are only read during the
 * call; output buffers are the caller's. (PSA Crypto itself may allocate
 * through Mbed TLS's allocator, as the TLS layer does.)
 *
 * @par Threads
 * Every function is thread-safe: one lock serialises all calls, and with
 * them every PSA Crypto call the SDK makes (Mbed TLS 2.28's PSA core is not
 * thread-safe). A call that creates or changes a persistent object writes
 * it durably before it returns.
 */
#ifndef CORSTONE_IOT_KEYS_H
#define CORSTONE_IOT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/export.h>
#include <corstone_iot/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Names an object of the key store. Ids are never reused within one store. */
typedef uint32_t iot_key_id_t;

/** @brief No object; never the id of a real one. */
#define IOT_KEY_ID_NONE 0u

/** @brief Longest object label in bytes, without the NUL terminator. */
#define IOT_KEY_LABEL_MAX 64

/** @brief Longest application tag of an object in bytes (iot_keystore_set_tag()). */
#define IOT_KEY_TAG_MAX 64

/** @brief What an object is. */
typedef enum iot_obj_class {
    IOT_OBJ_NONE = 0,        /**< No object (used as "any class" by iot_keystore_find()). */
    IOT_OBJ_PRIVATE_KEY = 1, /**< A key pair; the private part never leaves the store. */
    IOT_OBJ_PUBLIC_KEY = 2,  /**< A public key. */
    IOT_OBJ_SECRET_KEY = 3,  /**< A pre-shared key (TLS-PSK); never leaves the store. */
    IOT_OBJ_CERTIFICATE = 4, /**< An X.509 certificate, kept as DER. */
    IOT_OBJ_DATA = 5         /**< Opaque application bytes. */
} iot_obj_class_t;

/** @brief Type and size of a key. */
typedef enum iot_key_type {
    IOT_KEY_TYPE_NONE = 0,     /**< Not a key (certificates and data objects). */
    IOT_KEY_TYPE_EC_P256 = 1,  /**< ECDSA on NIST P-256 (secp256r1). */
    IOT_KEY_TYPE_EC_P384 = 2,  /**< ECDSA on NIST P-384 (secp384r1). */
    IOT_KEY_TYPE_RSA_2048 = 3, /**< RSA, 2048-bit modulus. */
    IOT_KEY_TYPE_RSA_3072 = 4, /**< RSA, 3072-bit modulus. */
    IOT_KEY_TYPE_RSA_4096 = 5, /**< RSA, 4096-bit modulus (import only). */
    IOT_KEY_TYPE_PSK = 6       /**< A TLS pre-shared key, 1 to ::IOT_KEY_PSK_MAX bytes. */
} iot_key_type_t;

/** @brief Longest pre-shared key in bytes. */
#define IOT_KEY_PSK_MAX 64

/** @name Key usage flags (::iot_key_options_t::usage, ::iot_key_info_t::usage)
 *  @{ */
/** @brief The key may sign hashes and messages (private keys). */
#define IOT_KEY_USAGE_SIGN 0x1u
/** @brief The key may verify signatures (private and public keys). */
#define IOT_KEY_USAGE_VERIFY 0x2u
/** @brief The key may derive TLS session keys (pre-shared keys). */
#define IOT_KEY_USAGE_DERIVE 0x4u
/** @} */

/** @brief A signature algorithm: scheme and hash. */
typedef enum iot_sign_alg {
    IOT_SIGN_DEFAULT = 0,           /**< Only in ::iot_csr_options_t: ECDSA or PKCS#1 v1.5 with SHA-256 (SHA-384 for P-384). */
    IOT_SIGN_ECDSA_SHA256 = 1,      /**< ECDSA with SHA-256. */
    IOT_SIGN_ECDSA_SHA384 = 2,      /**< ECDSA with SHA-384. */
    IOT_SIGN_ECDSA_SHA512 = 3,      /**< ECDSA with SHA-512. */
    IOT_SIGN_RSA_PKCS1_SHA256 = 4,  /**< RSASSA-PKCS1-v1_5 with SHA-256. */
    IOT_SIGN_RSA_PKCS1_SHA384 = 5,  /**< RSASSA-PKCS1-v1_5 with SHA-384. */
    IOT_SIGN_RSA_PKCS1_SHA512 = 6,  /**< RSASSA-PKCS1-v1_5 with SHA-512. */
    IOT_SIGN_RSA_PSS_SHA256 = 7,    /**< RSASSA-PSS with SHA-256 (salt as long as the hash). */
    IOT_SIGN_RSA_PSS_SHA384 = 8,    /**< RSASSA-PSS with SHA-384. */
    IOT_SIGN_RSA_PSS_SHA512 = 9     /**< RSASSA-PSS with SHA-512. */
} iot_sign_alg_t;

/** @brief Largest signature any supported key makes, in bytes (RSA-4096). */
#define IOT_KEY_SIGNATURE_MAX 512

/** @brief Encoding of an exported public key or a CSR. */
typedef enum iot_key_format {
    IOT_KEY_FORMAT_PEM = 0, /**< PEM text, NUL-terminated (the length excludes the NUL). */
    IOT_KEY_FORMAT_DER = 1, /**< DER: SubjectPublicKeyInfo for keys, CertificationRequest for CSRs. */
    IOT_KEY_FORMAT_RAW = 2  /**< Public keys only: PSA's format (uncompressed EC point, or RSAPublicKey DER). */
} iot_key_format_t;

/**
 * @brief How a key is created. Initialise with ::IOT_KEY_OPTIONS_INIT and
 *        set the fields you need.
 */
typedef struct iot_key_options {
    uint32_t struct_size; /**< sizeof(iot_key_options_t) at compile time; set by the INIT macro. */
    const char *label;    /**< NUL-terminated label, at most ::IOT_KEY_LABEL_MAX bytes of printable
                               characters (UTF-8 allowed), unique within its class; NULL or "" for none.
                               Copied. */
    uint32_t usage;       /**< IOT_KEY_USAGE_* bits, or 0 for the class default: sign and verify for
                               private keys, verify for public keys, derive for pre-shared keys. */
    bool persistent;      /**< Keep the key across restarts (default true), or volatile. */
} iot_key_options_t;

/** @brief Defaults for ::iot_key_options_t: no label, default usage, persistent. */
#define IOT_KEY_OPTIONS_INIT { sizeof(iot_key_options_t), NULL, 0u, true }

/**
 * @brief What iot_keystore_get_info() reports. Set @c struct_size (use
 *        ::IOT_KEY_INFO_INIT); the store fills only the fields it covers.
 */
typedef struct iot_key_info {
    uint32_t struct_size;                /**< sizeof(iot_key_info_t); set by the INIT macro. */
    iot_key_id_t id;                     /**< The object's id. */
    iot_obj_class_t obj_class;           /**< What it is. */
    iot_key_type_t key_type;             /**< Key type, or ::IOT_KEY_TYPE_NONE. */
    uint32_t bits;                       /**< Key size in bits (PSK: 8 x bytes); 0 for non-keys. */
    uint32_t size;                       /**< Certificates and data: value length in bytes; keys: 0. */
    uint32_t usage;                      /**< IOT_KEY_USAGE_* bits; 0 for non-keys. */
    bool persistent;                     /**< Kept across restarts. */
    char label[IOT_KEY_LABEL_MAX + 1];   /**< The label, NUL-terminated ("" for none). */
} iot_key_info_t;

/** @brief Initialiser for ::iot_key_info_t. */
#define IOT_KEY_INFO_INIT { sizeof(iot_key_info_t), 0u, IOT_OBJ_NONE, IOT_KEY_TYPE_NONE, 0u, 0u, 0u, false, { 0 } }

/** @brief What iot_keystore_get_stats() reports. Initialise with ::IOT_KEYSTORE_STATS_INIT. */
typedef struct iot_keystore_stats {
    uint32_t struct_size; /**< sizeof(iot_keystore_stats_t); set by the INIT macro. */
    uint32_t objects;     /**< Objects in the store (persistent and volatile). */
    uint32_t capacity;    /**< ::IOT_CONFIG_KEYS_MAX_OBJECTS. */
    uint32_t corrupt;     /**< Stored objects found damaged at iot_keystore_init(); each keeps its
                               table entry and its bytes until iot_keystore_erase_corrupt(). */
} iot_keystore_stats_t;

/** @brief Initialiser for ::iot_keystore_stats_t. */
#define IOT_KEYSTORE_STATS_INIT { sizeof(iot_keystore_stats_t), 0u, 0u, 0u }

/**
 * @brief How a CSR is made. Initialise with ::IOT_CSR_OPTIONS_INIT and set @c subject.
 */
typedef struct iot_csr_options {
    uint32_t struct_size;    /**< sizeof(iot_csr_options_t); set by the INIT macro. */
    const char *subject;     /**< Subject name as comma-separated type=value pairs in the order
                                  they appear in the Name, most significant first, e.g.
                                  "C=GB,O=Acme,CN=device-1". Types: C, ST, L, O, OU, CN,
                                  serialNumber, emailAddress, DC. A backslash escapes the next
                                  character (write "\," for a comma in a value). */
    iot_sign_alg_t alg;      /**< Signature algorithm, or ::IOT_SIGN_DEFAULT. */
    iot_key_format_t format; /**< ::IOT_KEY_FORMAT_PEM (default) or ::IOT_KEY_FORMAT_DER. */
} iot_csr_options_t;

/** @brief Defaults for ::iot_csr_options_t: no subject yet, default algorithm, PEM. */
#define IOT_CSR_OPTIONS_INIT { sizeof(iot_csr_options_t), NULL, IOT_SIGN_DEFAULT, IOT_KEY_FORMAT_PEM }

/** @brief Flag for iot_keystore_save(): replace an object of the same class and label atomically. */
#define IOT_KEYSTORE_SAVE_REPLACE 0x1u

/**
 * @brief Start the key store: initialise PSA Crypto and load the index of
 *        the persistent objects.
 *
 * Key material is not read here; each persistent key is loaded into PSA
 * the first time it is used. A stored object that fails its integrity
 * check is skipped with a warning, counted in ::iot_keystore_stats_t::corrupt,
 * and left on storage untouched. Calling it again while started does
 * nothing and returns ::IOT_OK.
 * @retval IOT_OK Ready.
 * @retval IOT_ERR_BAD_STATE The port store is not configured (posix: call
 *         iot_posix_store_set_dir() first).
 * @retval IOT_ERR_STORAGE_CORRUPT The store's id counter is damaged; nothing was changed.
 * @retval IOT_ERR_CRYPTO PSA Crypto could not be initialised.
 * @retval IOT_ERR_IO The port store could not be read.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_init(void);

/**
 * @brief Stop the key store: volatile keys are destroyed, persistent
 *        objects stay on storage and come back with iot_keystore_init().
 *
 * Does nothing when the store is not started.
 * @par Thread safety
 * Thread-safe; no other key store call may be in progress on another thread.
 */
IOT_API void iot_keystore_deinit(void);

/**
 * @brief Generate a key pair inside the store.
 * @param type    ::IOT_KEY_TYPE_EC_P256, ::IOT_KEY_TYPE_EC_P384,
 *                ::IOT_KEY_TYPE_RSA_2048 or ::IOT_KEY_TYPE_RSA_3072.
 * @param options Label, usage, persistence; NULL means ::IOT_KEY_OPTIONS_INIT.
 * @param id      Receives the new key's id.
 * @retval IOT_OK Generated (and stored, when persistent).
 * @retval IOT_ERR_INVALID_ARG NULL @p id, or usage bits the key type cannot have.
 * @retval IOT_ERR_UNSUPPORTED_KEY @p type cannot be generated.
 * @retval IOT_ERR_BAD_LABEL The label is too long or has control characters.
 * @retval IOT_ERR_ALREADY_EXISTS A private key with that label exists.
 * @retval IOT_ERR_STORAGE_FULL The table or the port store has no room.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @retval IOT_ERR_IO The port store failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_generate(iot_key_type_t type, const iot_key_options_t *options,
                                      iot_key_id_t *id);

/**
 * @brief Import a private key; it becomes non-exportable.
 *
 * Accepts PKCS#8 PrivateKeyInfo ("PRIVATE KEY"), SEC1 ECPrivateKey
 * ("EC PRIVATE KEY") or PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY"), as PEM
 * (text from "-----BEGIN", a trailing NUL allowed) or DER.
 * @param data    The encoded key; read only during the call. The caller
 *                should wipe it afterwards.
 * @param len     Its length in bytes.
 * @param options Label, usage, persistence; NULL means ::IOT_KEY_OPTIONS_INIT.
 * @param id      Receives the new key's id.
 * @retval IOT_OK Imported.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, zero length, or bad usage bits.
 * @retval IOT_ERR_BAD_PEM PEM armour without a BEGIN line, with a mismatched
 *         END line or with invalid base64.
 * @retval IOT_ERR_TRUNCATED The PEM has no END line or the DER ends early.
 * @retval IOT_ERR_BAD_FORMAT The DER is malformed or the key values are invalid.
 * @retval IOT_ERR_WRONG_KEY_TYPE The data is another kind of object (a
 *         certificate, a public key, ...).
 * @retval IOT_ERR_UNSUPPORTED_KEY Another curve, algorithm or key size.
 * @retval IOT_ERR_NOT_SUPPORTED Encrypted PEM.
 * @retval IOT_ERR_BAD_LABEL The label is too long or has control characters.
 * @retval IOT_ERR_ALREADY_EXISTS A private key with that label exists.
 * @retval IOT_ERR_STORAGE_FULL The table or the port store has no room.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @retval IOT_ERR_IO The port store failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_import_private(const void *data, size_t len,
                                            const iot_key_options_t *options, iot_key_id_t *id);

/**
 * @brief Import a public key (SubjectPublicKeyInfo, "PUBLIC KEY", as PEM or DER).
 * @param data    The encoded key; read only during the call.
 * @param len     Its length in bytes.
 * @param options Label, usage (verify only), persistence; NULL means ::IOT_KEY_OPTIONS_INIT.
 * @param id      Receives the new key's id.
 * @retval IOT_OK Imported.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, zero length, or bad usage bits.
 * @retval IOT_ERR_BAD_PEM Malformed PEM armour.
 * @retval IOT_ERR_TRUNCATED The PEM or the DER ends early.
 * @retval IOT_ERR_BAD_FORMAT Malformed DER or an invalid point or modulus.
 * @retval IOT_ERR_WRONG_KEY_TYPE The data is another kind of object (e.g. a private key).
 * @retval IOT_ERR_UNSUPPORTED_KEY Another curve, algorithm or key size.
 * @retval IOT_ERR_BAD_LABEL The label is too long or has control characters.
 * @retval IOT_ERR_ALREADY_EXISTS A public key with that label exists.
 * @retval IOT_ERR_STORAGE_FULL The table or the port store has no room.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @retval IOT_ERR_IO The port store failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_import_public(const void *data, size_t len,
                                           const iot_key_options_t *options, iot_key_id_t *id);

/**
 * @brief Import a TLS pre-shared key; it becomes non-exportable.
 * @param psk     The key bytes; read only during the call. The caller should wipe them afterwards.
 * @param len     1 to ::IOT_KEY_PSK_MAX bytes.
 * @param options Label, usage (derive only), persistence; NULL means ::IOT_KEY_OPTIONS_INIT.
 * @param id      Receives the new key's id.
 * @retval IOT_OK Imported.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, bad usage bits.
 * @retval IOT_ERR_UNSUPPORTED_KEY @p len is 0 or above ::IOT_KEY_PSK_MAX.
 * @retval IOT_ERR_BAD_LABEL The label is too long or has control characters.
 * @retval IOT_ERR_ALREADY_EXISTS A secret key with that label exists.
 * @retval IOT_ERR_STORAGE_FULL The table or the port store has no room.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @retval IOT_ERR_IO The port store failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_import_psk(const void *psk, size_t len,
                                        const iot_key_options_t *options, iot_key_id_t *id);

/**
 * @brief Export the public part of a private or public key.
 * @param id     A private or public key.
 * @param format ::IOT_KEY_FORMAT_PEM ("PUBLIC KEY"), ::IOT_KEY_FORMAT_DER
 *               (SubjectPublicKeyInfo) or ::IOT_KEY_FORMAT_RAW.
 * @param buf    Destination (caller-owned).
 * @param cap    Capacity of @p buf; for PEM including the NUL.
 * @param len    Receives the length written (PEM: without the NUL).
 * @retval IOT_OK Exported.
 * @retval IOT_ERR_INVALID_ARG NULL pointer or unknown format.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_WRONG_KEY_TYPE The object has no public key (PSK, certificate, data).
 * @retval IOT_ERR_BUFFER_TOO_SMALL @p cap is too small.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored key is damaged.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_export_public(iot_key_id_t id, iot_key_format_t format, void *buf,
                                           size_t cap, size_t *len);

/**
 * @brief Sign a hash with a private key.
 *
 * ECDSA signatures are r || s, each as long as the curve order (PSA's
 * format); RSA signatures are as long as the modulus.
 * @param id       A private key with ::IOT_KEY_USAGE_SIGN.
 * @param alg      An algorithm for the key's type.
 * @param hash     The hash; its length must match the algorithm's hash.
 * @param hash_len Length of @p hash.
 * @param sig      Destination (caller-owned).
 * @param cap      Capacity of @p sig (::IOT_KEY_SIGNATURE_MAX always suffices).
 * @param sig_len  Receives the signature's length.
 * @retval IOT_OK Signed.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, unknown algorithm, or wrong hash length.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_WRONG_KEY_TYPE Not a private key, or @p alg does not fit its type.
 * @retval IOT_ERR_NOT_PERMITTED The key lacks ::IOT_KEY_USAGE_SIGN.
 * @retval IOT_ERR_BUFFER_TOO_SMALL @p cap is too small.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored key is damaged.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_sign_hash(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *hash,
                                       size_t hash_len, uint8_t *sig, size_t cap,
                                       size_t *sig_len);

/**
 * @brief Hash a message and sign it with a private key (as iot_key_sign_hash()).
 * @param id      A private key with ::IOT_KEY_USAGE_SIGN.
 * @param alg     An algorithm for the key's type.
 * @param msg     The message (may be NULL when @p msg_len is 0).
 * @param msg_len Its length.
 * @param sig     Destination (caller-owned).
 * @param cap     Capacity of @p sig.
 * @param sig_len Receives the signature's length.
 * @return As iot_key_sign_hash(), without the hash length check.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_sign_message(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *msg,
                                          size_t msg_len, uint8_t *sig, size_t cap,
                                          size_t *sig_len);

/**
 * @brief Verify a signature of a hash with a private or public key.
 * @param id       A key with ::IOT_KEY_USAGE_VERIFY.
 * @param alg      The algorithm the signature was made with.
 * @param hash     The hash; its length must match the algorithm's hash.
 * @param hash_len Length of @p hash.
 * @param sig      The signature, in the format iot_key_sign_hash() makes.
 * @param sig_len  Its length.
 * @retval IOT_OK The signature is valid.
 * @retval IOT_ERR_BAD_SIGNATURE The signature does not match.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, unknown algorithm, or wrong hash length.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_WRONG_KEY_TYPE Not a private or public key, or @p alg does not fit its type.
 * @retval IOT_ERR_NOT_PERMITTED The key lacks ::IOT_KEY_USAGE_VERIFY.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored key is damaged.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_verify_hash(iot_key_id_t id, iot_sign_alg_t alg, const uint8_t *hash,
                                         size_t hash_len, const uint8_t *sig, size_t sig_len);

/**
 * @brief Verify a signature of a message (as iot_key_verify_hash()).
 * @param id      A key with ::IOT_KEY_USAGE_VERIFY.
 * @param alg     The algorithm the signature was made with.
 * @param msg     The message (may be NULL when @p msg_len is 0).
 * @param msg_len Its length.
 * @param sig     The signature.
 * @param sig_len Its length.
 * @return As iot_key_verify_hash(), without the hash length check.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_verify_message(iot_key_id_t id, iot_sign_alg_t alg,
                                            const uint8_t *msg, size_t msg_len,
                                            const uint8_t *sig, size_t sig_len);

/**
 * @brief Make a PKCS#10 certification request (RFC 2986) for a private key,
 *        signed inside the store.
 * @param id      A private key with ::IOT_KEY_USAGE_SIGN.
 * @param options Subject, algorithm and format; required.
 * @param buf     Destination (caller-owned).
 * @param cap     Capacity of @p buf; for PEM including the NUL.
 * @param len     Receives the length written (PEM: without the NUL).
 * @retval IOT_OK Written.
 * @retval IOT_ERR_INVALID_ARG NULL pointer, no subject, unknown format or algorithm.
 * @retval IOT_ERR_NOT_SUPPORTED An RSA-PSS algorithm (CSRs use ECDSA or PKCS#1 v1.5).
 * @retval IOT_ERR_BAD_FORMAT The subject is malformed (unknown type, empty
 *         value, a country that is not two letters, bad escape).
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_WRONG_KEY_TYPE Not a private key, or @p alg does not fit its type.
 * @retval IOT_ERR_NOT_PERMITTED The key lacks ::IOT_KEY_USAGE_SIGN.
 * @retval IOT_ERR_BUFFER_TOO_SMALL @p cap is too small.
 * @retval IOT_ERR_NO_MEMORY The request does not fit the store's work buffer.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored key is damaged.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_CRYPTO PSA Crypto failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_key_csr(iot_key_id_t id, const iot_csr_options_t *options, void *buf,
                                 size_t cap, size_t *len);

/**
 * @brief Save a certificate or a data object (always persistent).
 *
 * A certificate is given as PEM ("CERTIFICATE") or DER and kept as DER;
 * only its outer structure is checked. A data object is kept as given.
 * @param obj_class ::IOT_OBJ_CERTIFICATE or ::IOT_OBJ_DATA.
 * @param label     NUL-terminated label, unique within the class; required
 *                  (1 to ::IOT_KEY_LABEL_MAX bytes).
 * @param data      The value (may be NULL when @p len is 0 for a data object).
 * @param len       Its length; the stored value is at most ::IOT_CONFIG_KEYS_MAX_OBJECT_SIZE bytes.
 * @param flags     0, or ::IOT_KEYSTORE_SAVE_REPLACE to replace an object of
 *                  the same class and label in one atomic step (it keeps its id).
 * @param id        Receives the object's id; may be NULL.
 * @retval IOT_OK Saved.
 * @retval IOT_ERR_INVALID_ARG NULL label, other class, unknown flags.
 * @retval IOT_ERR_BAD_LABEL The label is empty, too long or has control characters.
 * @retval IOT_ERR_BAD_PEM, IOT_ERR_TRUNCATED, IOT_ERR_BAD_FORMAT The certificate is malformed.
 * @retval IOT_ERR_WRONG_KEY_TYPE The PEM holds something other than a certificate.
 * @retval IOT_ERR_ALREADY_EXISTS The label is taken and ::IOT_KEYSTORE_SAVE_REPLACE is not set.
 * @retval IOT_ERR_STORAGE_FULL Too large, or the table or port store has no room.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_IO The port store failed; the old value, if any, is kept.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_save(iot_obj_class_t obj_class, const char *label,
                                       const void *data, size_t len, uint32_t flags,
                                       iot_key_id_t *id);

/**
 * @brief Read an object's value: a certificate (DER), a data object, or a
 *        public key (raw format). Secrets cannot be read.
 * @param id  The object.
 * @param buf Destination (caller-owned); may be NULL when @p cap is 0.
 * @param cap Capacity of @p buf.
 * @param len Receives the value's length (also when @p cap is too small).
 * @retval IOT_OK Read.
 * @retval IOT_ERR_INVALID_ARG NULL @p len, or NULL @p buf with a capacity.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_NOT_PERMITTED The object is a private or pre-shared key.
 * @retval IOT_ERR_BUFFER_TOO_SMALL @p cap is too small; @p len tells the size.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored object is damaged.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_IO The port store failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_load(iot_key_id_t id, void *buf, size_t cap, size_t *len);

/**
 * @brief Destroy an object: its PSA key, if loaded, and its stored copy.
 * @param id The object.
 * @retval IOT_OK Destroyed; the id is never used again.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_IO The stored copy could not be removed; the object stays.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_destroy(iot_key_id_t id);

/**
 * @brief List the ids of all objects, in table order.
 * @param ids   Destination for up to @p cap ids; may be NULL when @p cap is 0.
 * @param cap   Capacity of @p ids.
 * @param count Receives the number of objects in the store.
 * @retval IOT_OK All ids were written.
 * @retval IOT_ERR_INVALID_ARG NULL @p count, or NULL @p ids with a capacity.
 * @retval IOT_ERR_BUFFER_TOO_SMALL More than @p cap objects; the first @p cap were written.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_list(iot_key_id_t *ids, size_t cap, size_t *count);

/**
 * @brief Describe an object.
 * @param id   The object.
 * @param info Receives the description; set its @c struct_size first (::IOT_KEY_INFO_INIT).
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL @p info or a @c struct_size below the first release's.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_get_info(iot_key_id_t id, iot_key_info_t *info);

/**
 * @brief Find an object by label.
 * @param obj_class The class to look in, or ::IOT_OBJ_NONE for the first match of any class.
 * @param label     The label, NUL-terminated.
 * @param id        Receives the id.
 * @retval IOT_OK Found.
 * @retval IOT_ERR_INVALID_ARG NULL pointer.
 * @retval IOT_ERR_BAD_LABEL The label is empty or too long.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_find(iot_obj_class_t obj_class, const char *label,
                                       iot_key_id_t *id);

/**
 * @brief Report how full the store is and whether damaged objects were found.
 * @param stats Receives the numbers; set its @c struct_size first (::IOT_KEYSTORE_STATS_INIT).
 * @retval IOT_OK Filled in.
 * @retval IOT_ERR_INVALID_ARG NULL @p stats or a @c struct_size below the first release's.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_get_stats(iot_keystore_stats_t *stats);

/**
 * @brief Delete the stored objects that iot_keystore_init() found damaged
 *        and free their table entries.
 * @retval IOT_OK Done (also when there were none).
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_IO A damaged object could not be removed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_erase_corrupt(void);

/**
 * @brief Fill a buffer with random bytes from PSA Crypto's generator.
 * @param buf Destination (caller-owned).
 * @param len Number of bytes.
 * @retval IOT_OK Filled.
 * @retval IOT_ERR_INVALID_ARG NULL @p buf with a length.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_ENTROPY The generator failed.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_random(uint8_t *buf, size_t len);

/**
 * @brief Attach an application tag to an object, or remove it.
 *
 * A tag is an opaque byte string the store keeps with the object and does
 * not interpret (the PKCS#11 module keeps an object's CKA_ID in it). It is
 * persisted with a persistent object, in one atomic replace of its record,
 * and comes back after a restart. Tags need not be unique.
 * @param id  The object.
 * @param tag The bytes; may be NULL when @p len is 0.
 * @param len 0 (remove the tag) to ::IOT_KEY_TAG_MAX bytes.
 * @retval IOT_OK Set.
 * @retval IOT_ERR_INVALID_ARG NULL @p tag with a length, or @p len above ::IOT_KEY_TAG_MAX.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_STORAGE_CORRUPT The stored object is damaged; nothing was changed.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @retval IOT_ERR_IO The port store failed; the old tag is kept.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_set_tag(iot_key_id_t id, const void *tag, size_t len);

/**
 * @brief Read an object's application tag (see iot_keystore_set_tag()).
 * @param id  The object.
 * @param buf Destination (caller-owned); may be NULL when @p cap is 0.
 * @param cap Capacity of @p buf (::IOT_KEY_TAG_MAX always suffices).
 * @param len Receives the tag's length (0: no tag), also when @p cap is too small.
 * @retval IOT_OK Read.
 * @retval IOT_ERR_INVALID_ARG NULL @p len, or NULL @p buf with a capacity.
 * @retval IOT_ERR_NOT_FOUND No such object.
 * @retval IOT_ERR_BUFFER_TOO_SMALL @p cap is too small; @p len tells the size.
 * @retval IOT_ERR_BAD_STATE The store is not started.
 * @par Thread safety
 * Thread-safe.
 */
IOT_API iot_status_t iot_keystore_get_tag(iot_key_id_t id, void *buf, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* CORSTONE_IOT_KEYS_H */
