/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal CBOR encoder (RFC 8949, section 3): heads with the shortest
 * argument encoding, definite lengths, bounded output. */
#include <string.h>

#include "cbor_enc.h"

#define MAJOR_UINT 0u
#define MAJOR_NINT 1u
#define MAJOR_BYTES 2u
#define MAJOR_TEXT 3u
#define MAJOR_ARRAY 4u
#define MAJOR_MAP 5u
#define MAJOR_TAG 6u

void iot_cbor_init(iot_cbor_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = (buf == NULL) ? 0u : cap;
    w->len = 0u;
    w->overflow = false;
}

void iot_cbor_raw(iot_cbor_t *w, const uint8_t *data, size_t len)
{
    if (w->overflow || len > w->cap - w->len) {
        w->overflow = true;
        w->len += len;
        return;
    }
    if (len > 0u) {
        memcpy(w->buf + w->len, data, len);
    }
    w->len += len;
}

static void head(iot_cbor_t *w, uint8_t major, uint64_t v)
{
    uint8_t b[9];
    size_t n;
    size_t i;

    if (v < 24u) {
        b[0] = (uint8_t)((major << 5) | v);
        n = 1u;
    } else if (v <= 0xFFu) {
        b[0] = (uint8_t)((major << 5) | 24u);
        n = 2u;
    } else if (v <= 0xFFFFu) {
        b[0] = (uint8_t)((major << 5) | 25u);
        n = 3u;
    } else if (v <= 0xFFFFFFFFu) {
        b[0] = (uint8_t)((major << 5) | 26u);
        n = 5u;
    } else {
        b[0] = (uint8_t)((major << 5) | 27u);
        n = 9u;
    }
    for (i = 1u; i < n; i++) {
        b[i] = (uint8_t)(v >> (8u * (n - 1u - i)));
    }
    iot_cbor_raw(w, b, n);
}

void iot_cbor_uint(iot_cbor_t *w, uint64_t v)
{
    head(w, MAJOR_UINT, v);
}

void iot_cbor_int(iot_cbor_t *w, int64_t v)
{
    if (v >= 0) {
        head(w, MAJOR_UINT, (uint64_t)v);
    } else {
        /* -1 - v without overflow for INT64_MIN. */
        head(w, MAJOR_NINT, (uint64_t)(-(v + 1)));
    }
}

void iot_cbor_bytes_head(iot_cbor_t *w, size_t len)
{
    head(w, MAJOR_BYTES, len);
}

void iot_cbor_bytes(iot_cbor_t *w, const uint8_t *data, size_t len)
{
    head(w, MAJOR_BYTES, len);
    iot_cbor_raw(w, data, len);
}

void iot_cbor_text(iot_cbor_t *w, const char *text, size_t len)
{
    head(w, MAJOR_TEXT, len);
    iot_cbor_raw(w, (const uint8_t *)text, len);
}

void iot_cbor_array(iot_cbor_t *w, size_t count)
{
    head(w, MAJOR_ARRAY, count);
}

void iot_cbor_map(iot_cbor_t *w, size_t pairs)
{
    head(w, MAJOR_MAP, pairs);
}

void iot_cbor_tag(iot_cbor_t *w, uint64_t tag)
{
    head(w, MAJOR_TAG, tag);
}
