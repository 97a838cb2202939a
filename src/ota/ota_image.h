/* SPDX-License-Identifier: Apache-2.0 */
/* MCUboot image format: header parsing and the streaming verifier (private). */
#ifndef IOT_OTA_IMAGE_H
#define IOT_OTA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/status.h>

/* Layout facts of MCUboot's image format (bootutil/image.h). */
#define OTA_IMAGE_MAGIC 0x96f3b83du
#define OTA_IMAGE_HEADER_SIZE 32u
#define OTA_TLV_INFO_MAGIC 0x6907u      /* unprotected TLV area */
#define OTA_TLV_PROT_INFO_MAGIC 0x6908u /* protected TLV area */
#define OTA_TLV_INFO_SIZE 4u
#define OTA_TLV_HEADER_SIZE 4u
#define OTA_TLV_KEYHASH 0x01u
#define OTA_TLV_SHA256 0x10u
#define OTA_TLV_ECDSA_SIG 0x22u
#define OTA_TLV_SEC_CNT 0x50u
#define OTA_TLV_BOOT_RECORD 0x60u
/* Header flags of encrypted images, which this verifier does not decrypt. */
#define OTA_IMAGE_F_ENCRYPTED_MASK 0x0000000Cu
/* Longest DER ECDSA-P256 signature: SEQUENCE of two INTEGERs of 33 bytes. */
#define OTA_ECDSA_P256_DER_MAX 72u

/* The fields of the 32-byte header. */
typedef struct ota_image_header {
    uint32_t load_addr;
    uint16_t hdr_size;
    uint16_t protect_tlv_size;
    uint32_t img_size;
    uint32_t flags;
    iot_ota_version_t version;
} ota_image_header_t;

/* Reads `len` bytes at `offset` of the image under verification. */
typedef iot_status_t (*ota_read_fn_t)(void *ctx, uint32_t offset, uint8_t *buf, size_t len);

/* What the verifier learned about a valid image. */
typedef struct ota_image_result {
    ota_image_header_t header;
    uint32_t security_counter; /* 0 when the image has no security counter TLV */
    bool has_security_counter;
} ota_image_result_t;

/* Decode and check the 32-byte header (magic, header size, flags).
 * IOT_OTA_REASON_NONE or IOT_OTA_REASON_BAD_HEADER. */
iot_ota_reason_t ota_image_parse_header(const uint8_t raw[OTA_IMAGE_HEADER_SIZE],
                                        ota_image_header_t *header);

/* Parse the header and the protected TLVs of an image of `total_size`
 * bytes without hashing it (the running image's version and counter). */
iot_ota_reason_t ota_image_read_info(ota_read_fn_t read, void *ctx, uint32_t total_size,
                                     ota_image_result_t *result, iot_status_t *io_status);

/* Verify a whole image of exactly `total_size` bytes: layout, TLVs, SHA-256,
 * key hash against `key_hashes` (SHA-256 of each key's SubjectPublicKeyInfo
 * DER, `key_count` of them) and the ECDSA-P256 signature with the matching
 * key in `keys`. Reads the image once in blocks of IOT_CONFIG_OTA_BLOCK_SIZE
 * bytes through `read`. Returns IOT_OTA_REASON_NONE for a valid image, or
 * the reason it is refused; IOT_OTA_REASON_STORAGE with *io_status set when
 * `read` failed. */
iot_ota_reason_t ota_image_verify(ota_read_fn_t read, void *ctx, uint32_t total_size,
                                  const iot_key_id_t *keys, const uint8_t (*key_hashes)[32],
                                  size_t key_count, ota_image_result_t *result,
                                  iot_status_t *io_status);

/* -1, 0 or 1 as a is older, equal to or newer than b (the build number is
 * not compared, as in MCUboot by default). */
int ota_version_compare(const iot_ota_version_t *a, const iot_ota_version_t *b);

/* ECDSA Ecdsa-Sig-Value DER to the fixed r || s form (64 bytes for P-256). */
iot_status_t ota_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[64]);

#endif /* IOT_OTA_IMAGE_H */
