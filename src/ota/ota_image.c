/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCUboot image format: the header, the TLV areas and the streaming verifier.
 *
 * Layout (all fields little-endian):
 *
 *   0                header, 32 bytes, then zeros up to hdr_size
 *   hdr_size         the image, img_size bytes
 *   P = hdr_size + img_size
 *                    protected TLV area, protect_tlv_size bytes (absent when
 *                    0): info {u16 magic 0x6908, u16 total incl. info}, TLVs
 *   U = P + protect_tlv_size
 *                    unprotected TLV area: info {u16 magic 0x6907, u16 total
 *                    incl. info}, TLVs
 *   U + total        end of the image: nothing may follow
 *
 * Each TLV is {u16 type, u16 len, len bytes}. SHA-256 (0x10) covers bytes
 * [0, U); the key hash (0x01) is the SHA-256 of the signing key's
 * SubjectPublicKeyInfo DER; the signature (0x22) is an ECDSA-P256
 * Ecdsa-Sig-Value DER over the SHA-256 value. The security counter (0x50)
 * must sit in the protected area, where the hash covers it.
 *
 * The verifier reads the image once, front to back, in blocks of
 * IOT_CONFIG_OTA_BLOCK_SIZE bytes into one static buffer; the TLV areas are
 * then walked entry by entry with small reads. RAM does not depend on the
 * image size.
 */
#include <string.h>

#include <corstone_iot/keys.h>

#include "ota_image.h"

#include <psa/crypto.h>

static uint8_t g_block[IOT_CONFIG_OTA_BLOCK_SIZE];

static uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

iot_ota_reason_t ota_image_parse_header(const uint8_t raw[OTA_IMAGE_HEADER_SIZE],
                                        ota_image_header_t *header)
{
    if (get_le32(raw) != OTA_IMAGE_MAGIC) {
        return IOT_OTA_REASON_BAD_HEADER;
    }
    header->load_addr = get_le32(raw + 4);
    header->hdr_size = get_le16(raw + 8);
    header->protect_tlv_size = get_le16(raw + 10);
    header->img_size = get_le32(raw + 12);
    header->flags = get_le32(raw + 16);
    header->version.major = raw[20];
    header->version.minor = raw[21];
    header->version.revision = get_le16(raw + 22);
    header->version.build = get_le32(raw + 24);
    /* raw[28..31] is padding. */
    if (header->hdr_size < OTA_IMAGE_HEADER_SIZE ||
        (header->flags & OTA_IMAGE_F_ENCRYPTED_MASK) != 0u) {
        return IOT_OTA_REASON_BAD_HEADER;
    }
    return IOT_OTA_REASON_NONE;
}

int ota_version_compare(const iot_ota_version_t *a, const iot_ota_version_t *b)
{
    if (a->major != b->major) {
        return (a->major < b->major) ? -1 : 1;
    }
    if (a->minor != b->minor) {
        return (a->minor < b->minor) ? -1 : 1;
    }
    if (a->revision != b->revision) {
        return (a->revision < b->revision) ? -1 : 1;
    }
    return 0;
}

/* Reads through the caller's function; a failure becomes REASON_STORAGE. */
typedef struct {
    ota_read_fn_t read;
    void *ctx;
    iot_status_t *io_status;
} reader_t;

static bool rd(const reader_t *r, uint32_t offset, uint8_t *buf, size_t len)
{
    iot_status_t st = r->read(r->ctx, offset, buf, len);

    if (st != IOT_OK) {
        *r->io_status = st;
        return false;
    }
    return true;
}

/* Where the areas are, from the header and the image's total size. */
typedef struct {
    uint32_t prot;   /* P: start of the protected area */
    uint32_t unprot; /* U: start of the unprotected area = end of the hashed bytes */
    uint32_t end;    /* end of the unprotected area */
} layout_t;

static iot_ota_reason_t read_layout(const reader_t *r, uint32_t total_size,
                                    ota_image_result_t *result, layout_t *lay)
{
    uint8_t buf[OTA_IMAGE_HEADER_SIZE];
    iot_ota_reason_t reason;
    uint64_t prot;
    uint64_t unprot;
    uint64_t end;

    memset(result, 0, sizeof(*result));
    if (total_size < OTA_IMAGE_HEADER_SIZE) {
        return IOT_OTA_REASON_TRUNCATED;
    }
    if (!rd(r, 0, buf, sizeof(buf))) {
        return IOT_OTA_REASON_STORAGE;
    }
    reason = ota_image_parse_header(buf, &result->header);
    if (reason != IOT_OTA_REASON_NONE) {
        return reason;
    }
    prot = (uint64_t)result->header.hdr_size + result->header.img_size;
    unprot = prot + result->header.protect_tlv_size;
    if (unprot + OTA_TLV_INFO_SIZE > total_size) {
        return IOT_OTA_REASON_TRUNCATED;
    }
    if (result->header.protect_tlv_size != 0u) {
        if (result->header.protect_tlv_size < OTA_TLV_INFO_SIZE) {
            return IOT_OTA_REASON_BAD_TLV;
        }
        if (!rd(r, (uint32_t)prot, buf, OTA_TLV_INFO_SIZE)) {
            return IOT_OTA_REASON_STORAGE;
        }
        if (get_le16(buf) != OTA_TLV_PROT_INFO_MAGIC ||
            get_le16(buf + 2) != result->header.protect_tlv_size) {
            return IOT_OTA_REASON_BAD_TLV;
        }
    }
    if (!rd(r, (uint32_t)unprot, buf, OTA_TLV_INFO_SIZE)) {
        return IOT_OTA_REASON_STORAGE;
    }
    if (get_le16(buf) != OTA_TLV_INFO_MAGIC || get_le16(buf + 2) < OTA_TLV_INFO_SIZE) {
        return IOT_OTA_REASON_BAD_TLV;
    }
    end = unprot + get_le16(buf + 2);
    if (end > total_size) {
        return IOT_OTA_REASON_TRUNCATED;
    }
    if (end < total_size) {
        return IOT_OTA_REASON_TOO_LONG;
    }
    lay->prot = (uint32_t)prot;
    lay->unprot = (uint32_t)unprot;
    lay->end = (uint32_t)end;
    return IOT_OTA_REASON_NONE;
}

/* Steps through the TLVs of [start, end): each call yields one entry's
 * type, length and value offset, or BAD_TLV when one overruns the area. */
typedef struct {
    uint32_t off;
    uint32_t end;
} tlv_iter_t;

static iot_ota_reason_t tlv_next(const reader_t *r, tlv_iter_t *it, uint16_t *type,
                                 uint16_t *len, uint32_t *value_off, bool *done)
{
    uint8_t hdr[OTA_TLV_HEADER_SIZE];

    if (it->off == it->end) {
        *done = true;
        return IOT_OTA_REASON_NONE;
    }
    *done = false;
    if (it->end - it->off < OTA_TLV_HEADER_SIZE) {
        return IOT_OTA_REASON_BAD_TLV;
    }
    if (!rd(r, it->off, hdr, sizeof(hdr))) {
        return IOT_OTA_REASON_STORAGE;
    }
    *type = get_le16(hdr);
    *len = get_le16(hdr + 2);
    if (*len > it->end - it->off - OTA_TLV_HEADER_SIZE) {
        return IOT_OTA_REASON_BAD_TLV;
    }
    *value_off = it->off + OTA_TLV_HEADER_SIZE;
    it->off = *value_off + *len;
    return IOT_OTA_REASON_NONE;
}

/* The protected area: the security counter, at most once, 4 bytes. */
static iot_ota_reason_t read_protected(const reader_t *r, const layout_t *lay,
                                       ota_image_result_t *result)
{
    tlv_iter_t it;
    uint8_t value[4];

    if (lay->unprot == lay->prot) {
        return IOT_OTA_REASON_NONE;
    }
    it.off = lay->prot + OTA_TLV_INFO_SIZE;
    it.end = lay->unprot;
    for (;;) {
        uint16_t type = 0;
        uint16_t len = 0;
        uint32_t voff = 0;
        bool done = false;
        iot_ota_reason_t reason = tlv_next(r, &it, &type, &len, &voff, &done);

        if (reason != IOT_OTA_REASON_NONE) {
            return reason;
        }
        if (done) {
            return IOT_OTA_REASON_NONE;
        }
        if (type == OTA_TLV_SEC_CNT) {
            if (len != sizeof(value) || result->has_security_counter) {
                return IOT_OTA_REASON_BAD_TLV;
            }
            if (!rd(r, voff, value, sizeof(value))) {
                return IOT_OTA_REASON_STORAGE;
            }
            result->security_counter = get_le32(value);
            result->has_security_counter = true;
        }
        /* Other protected entries (dependencies, boot record) are covered
         * by the hash and not needed here. */
    }
}

iot_ota_reason_t ota_image_read_info(ota_read_fn_t read, void *ctx, uint32_t total_size,
                                     ota_image_result_t *result, iot_status_t *io_status)
{
    reader_t r = { read, ctx, io_status };
    layout_t lay;
    iot_ota_reason_t reason = read_layout(&r, total_size, result, &lay);

    if (reason != IOT_OTA_REASON_NONE) {
        return reason;
    }
    return read_protected(&r, &lay, result);
}

iot_status_t ota_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t raw[64])
{
    size_t pos = 2;
    int i;

    /* SEQUENCE, short-form length covering the rest exactly. */
    if (der_len < 8u || der_len > OTA_ECDSA_P256_DER_MAX || der[0] != 0x30u ||
        der[1] != der_len - 2u) {
        return IOT_ERR_BAD_FORMAT;
    }
    memset(raw, 0, 64);
    for (i = 0; i < 2; i++) {
        size_t len;
        const uint8_t *v;

        if (der_len - pos < 2u || der[pos] != 0x02u) {
            return IOT_ERR_BAD_FORMAT;
        }
        len = der[pos + 1u];
        v = der + pos + 2u;
        if (len == 0u || len > 33u || len > der_len - pos - 2u) {
            return IOT_ERR_BAD_FORMAT;
        }
        /* Positive and minimal: no sign bit, no needless leading zero. */
        if ((v[0] & 0x80u) != 0u || (len > 1u && v[0] == 0u && (v[1] & 0x80u) == 0u)) {
            return IOT_ERR_BAD_FORMAT;
        }
        if (len == 33u) {
            v++;
            len--;
        }
        memcpy(raw + (size_t)i * 32u + (32u - len), v, len);
        pos += 2u + der[pos + 1u];
    }
    return (pos == der_len) ? IOT_OK : IOT_ERR_BAD_FORMAT;
}

/* SHA-256 of bytes [0, len) of the image, streamed through g_block. */
static iot_ota_reason_t hash_image(const reader_t *r, uint32_t len, uint8_t digest[32])
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
    uint32_t off = 0;
    size_t out_len = 0;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;

    if (psa_hash_setup(&op, PSA_ALG_SHA_256) != PSA_SUCCESS) {
        *r->io_status = IOT_ERR_CRYPTO;
        return IOT_OTA_REASON_STORAGE;
    }
    while (off < len) {
        size_t n = len - off;

        if (n > sizeof(g_block)) {
            n = sizeof(g_block);
        }
        if (!rd(r, off, g_block, n)) {
            reason = IOT_OTA_REASON_STORAGE;
            break;
        }
        if (psa_hash_update(&op, g_block, n) != PSA_SUCCESS) {
            *r->io_status = IOT_ERR_CRYPTO;
            reason = IOT_OTA_REASON_STORAGE;
            break;
        }
        off += (uint32_t)n;
    }
    if (reason == IOT_OTA_REASON_NONE &&
        psa_hash_finish(&op, digest, 32, &out_len) != PSA_SUCCESS) {
        *r->io_status = IOT_ERR_CRYPTO;
        reason = IOT_OTA_REASON_STORAGE;
    }
    if (reason != IOT_OTA_REASON_NONE) {
        (void)psa_hash_abort(&op);
    }
    return reason;
}

/* The unprotected area's entries the verifier needs. */
typedef struct {
    uint8_t sha256[32];
    uint8_t keyhash[32];
    uint8_t sig[OTA_ECDSA_P256_DER_MAX];
    uint16_t sig_len;
    bool has_sha256;
    bool has_keyhash;
    bool has_sig;
} unprot_tlvs_t;

static iot_ota_reason_t read_unprotected(const reader_t *r, const layout_t *lay,
                                         unprot_tlvs_t *t)
{
    tlv_iter_t it;

    memset(t, 0, sizeof(*t));
    it.off = lay->unprot + OTA_TLV_INFO_SIZE;
    it.end = lay->end;
    for (;;) {
        uint16_t type = 0;
        uint16_t len = 0;
        uint32_t voff = 0;
        bool done = false;
        uint8_t *dst = NULL;
        iot_ota_reason_t reason = tlv_next(r, &it, &type, &len, &voff, &done);

        if (reason != IOT_OTA_REASON_NONE) {
            return reason;
        }
        if (done) {
            break;
        }
        switch (type) {
        case OTA_TLV_SHA256:
            if (len != 32u || t->has_sha256) {
                return IOT_OTA_REASON_BAD_TLV;
            }
            t->has_sha256 = true;
            dst = t->sha256;
            break;
        case OTA_TLV_KEYHASH:
            if (len != 32u || t->has_keyhash) {
                return IOT_OTA_REASON_BAD_TLV;
            }
            t->has_keyhash = true;
            dst = t->keyhash;
            break;
        case OTA_TLV_ECDSA_SIG:
            if (len > OTA_ECDSA_P256_DER_MAX || t->has_sig) {
                return IOT_OTA_REASON_BAD_TLV;
            }
            t->has_sig = true;
            t->sig_len = len;
            dst = t->sig;
            break;
        case OTA_TLV_SEC_CNT:
        case OTA_TLV_BOOT_RECORD:
            /* Only the protected area may carry these: here nothing
             * vouches for them. */
            return IOT_OTA_REASON_BAD_TLV;
        default:
            break; /* other signature or key types: not ours to check */
        }
        if (dst != NULL && !rd(r, voff, dst, len)) {
            return IOT_OTA_REASON_STORAGE;
        }
    }
    if (!t->has_sha256 || !t->has_keyhash || !t->has_sig) {
        return IOT_OTA_REASON_BAD_TLV;
    }
    return IOT_OTA_REASON_NONE;
}

iot_ota_reason_t ota_image_verify(ota_read_fn_t read, void *ctx, uint32_t total_size,
                                  const iot_key_id_t *keys, const uint8_t (*key_hashes)[32],
                                  size_t key_count, ota_image_result_t *result,
                                  iot_status_t *io_status)
{
    reader_t r = { read, ctx, io_status };
    unprot_tlvs_t t;
    layout_t lay;
    uint8_t digest[32];
    uint8_t raw_sig[64];
    size_t k;
    iot_ota_reason_t reason;
    iot_status_t st;

    *io_status = IOT_OK;
    reason = read_layout(&r, total_size, result, &lay);
    if (reason == IOT_OTA_REASON_NONE) {
        reason = read_protected(&r, &lay, result);
    }
    if (reason == IOT_OTA_REASON_NONE) {
        reason = read_unprotected(&r, &lay, &t);
    }
    if (reason == IOT_OTA_REASON_NONE) {
        reason = hash_image(&r, lay.unprot, digest);
    }
    if (reason != IOT_OTA_REASON_NONE) {
        return reason;
    }
    if (memcmp(digest, t.sha256, sizeof(digest)) != 0) {
        return IOT_OTA_REASON_HASH_MISMATCH;
    }
    for (k = 0; k < key_count; k++) {
        if (memcmp(key_hashes[k], t.keyhash, 32) == 0) {
            break;
        }
    }
    if (k == key_count) {
        return IOT_OTA_REASON_UNKNOWN_KEY;
    }
    if (ota_ecdsa_der_to_raw(t.sig, t.sig_len, raw_sig) != IOT_OK) {
        return IOT_OTA_REASON_BAD_SIGNATURE;
    }
    st = iot_key_verify_hash(keys[k], IOT_SIGN_ECDSA_SHA256, digest, sizeof(digest), raw_sig,
                             sizeof(raw_sig));
    if (st == IOT_ERR_BAD_SIGNATURE) {
        return IOT_OTA_REASON_BAD_SIGNATURE;
    }
    if (st != IOT_OK) {
        *io_status = st;
        return IOT_OTA_REASON_BAD_SIGNATURE;
    }
    return IOT_OTA_REASON_NONE;
}
