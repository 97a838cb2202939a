/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal CBOR encoder (RFC 8949) into a bounded buffer: definite-length
 * items only, which is all a PSA attestation token needs. No heap. */
#ifndef IOT_CBOR_ENC_H
#define IOT_CBOR_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes go to buf[0..cap); len counts every byte asked for, so a writer
 * with buf == NULL and cap == 0 measures. overflow is set when len > cap. */
typedef struct iot_cbor {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
} iot_cbor_t;

void iot_cbor_init(iot_cbor_t *w, uint8_t *buf, size_t cap);
void iot_cbor_uint(iot_cbor_t *w, uint64_t v);
void iot_cbor_int(iot_cbor_t *w, int64_t v);
void iot_cbor_bytes(iot_cbor_t *w, const uint8_t *data, size_t len);
void iot_cbor_text(iot_cbor_t *w, const char *text, size_t len);
void iot_cbor_array(iot_cbor_t *w, size_t count);
void iot_cbor_map(iot_cbor_t *w, size_t pairs);
void iot_cbor_tag(iot_cbor_t *w, uint64_t tag);
/* The head of a byte string of len bytes whose content the caller writes next. */
void iot_cbor_bytes_head(iot_cbor_t *w, size_t len);
void iot_cbor_raw(iot_cbor_t *w, const uint8_t *data, size_t len);

#endif /* IOT_CBOR_ENC_H */
