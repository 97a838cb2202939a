/* SPDX-License-Identifier: Apache-2.0 */
/* Key store codecs: strict DER reading, backwards DER writing, PEM (RFC 7468). */
#include <string.h>

#include "iot_keys_internal.h"

/* ---- DER reading ------------------------------------------------------------- */

iot_status_t iot_der_get(iot_der_t *d, uint8_t tag, iot_der_t *content)
{
    const uint8_t *p = d->p;
    size_t avail;
    size_t len;

    if (p >= d->end) {
        return IOT_ERR_TRUNCATED;
    }
    if (*p != tag) {
        return IOT_ERR_BAD_FORMAT;
    }
    p++;
    if (p >= d->end) {
        return IOT_ERR_TRUNCATED;
    }
    if (*p < 0x80u) {
        len = *p++;
    } else {
        size_t n = *p++ & 0x7Fu;
        size_t i;
        if (n == 0u || n > 3u) {
            return IOT_ERR_BAD_FORMAT; /* indefinite or absurdly long */
        }
        if ((size_t)(d->end - p) < n) {
            return IOT_ERR_TRUNCATED;
        }
        if (p[0] == 0u) {
            return IOT_ERR_BAD_FORMAT; /* not minimal */
        }
        len = 0;
        for (i = 0; i < n; i++) {
            len = (len << 8) | p[i];
        }
        p += n;
        if (len < 0x80u) {
            return IOT_ERR_BAD_FORMAT; /* long form where short would do */
        }
    }
    avail = (size_t)(d->end - p);
    if (len > avail) {
        return IOT_ERR_TRUNCATED;
    }
    content->p = p;
    content->end = p + len;
    d->p = p + len;
    return IOT_OK;
}

int iot_der_peek(const iot_der_t *d)
{
    return (d->p < d->end) ? (int)d->p[0] : -1;
}

bool iot_der_oid_equal(const iot_der_t *oid, const uint8_t *expected, size_t len)
{
    return (size_t)(oid->end - oid->p) == len && memcmp(oid->p, expected, len) == 0;
}

/* ---- DER writing --------------------------------------------------------------- */

void iot_dw_init(iot_dw_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->pos = cap;
    w->cap = cap;
    w->overflow = false;
}

size_t iot_dw_used(const iot_dw_t *w)
{
    return w->cap - w->pos;
}

const uint8_t *iot_dw_data(const iot_dw_t *w)
{
    return w->buf + w->pos;
}

void iot_dw_raw(iot_dw_t *w, const uint8_t *data, size_t len)
{
    if (w->overflow || len > w->pos) {
        w->overflow = true;
        return;
    }
    w->pos -= len;
    if (len > 0u) {
        memmove(w->buf + w->pos, data, len);
    }
}

void iot_dw_byte(iot_dw_t *w, uint8_t b)
{
    iot_dw_raw(w, &b, 1u);
}

void iot_dw_wrap(iot_dw_t *w, uint8_t tag, size_t content_len)
{
    uint8_t hdr[5];
    size_t n = 0;

    if (content_len < 0x80u) {
        hdr[n++] = (uint8_t)content_len;
    } else if (content_len <= 0xFFu) {
        hdr[n++] = 0x81u;
        hdr[n++] = (uint8_t)content_len;
    } else if (content_len <= 0xFFFFu) {
        hdr[n++] = 0x82u;
        hdr[n++] = (uint8_t)(content_len >> 8);
        hdr[n++] = (uint8_t)content_len;
    } else {
        w->overflow = true; /* nothing the key store writes is this long */
        return;
    }
    iot_dw_raw(w, hdr, n);
    iot_dw_byte(w, tag);
}

void iot_dw_element(iot_dw_t *w, uint8_t tag, const uint8_t *content, size_t len)
{
    iot_dw_raw(w, content, len);
    iot_dw_wrap(w, tag, len);
}

void iot_dw_unsigned(iot_dw_t *w, const uint8_t *be, size_t len)
{
    size_t mark;

    while (len > 1u && be[0] == 0u) {
        be++;
        len--;
    }
    mark = iot_dw_used(w);
    iot_dw_raw(w, be, len);
    if (len == 0u || (be[0] & 0x80u) != 0u) {
        iot_dw_byte(w, 0u);
    }
    iot_dw_wrap(w, IOT_DER_INTEGER, iot_dw_used(w) - mark);
}

/* ---- PEM ------------------------------------------------------------------------ */

/* The 64 digits, then the pad character at index 64. */
static const char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
#define B64_PAD 64u

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Find `needle` in [p, end); NULL if absent. */
static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *needle)
{
    size_t n = strlen(needle);

    while ((size_t)(end - p) >= n) {
        if (memcmp(p, needle, n) == 0) {
            return p;
        }
        p++;
    }
    return NULL;
}

bool iot_pem_detect(const uint8_t *data, size_t len)
{
    const uint8_t *end = data + len;

    while (data < end && is_space(*data)) {
        data++;
    }
    /* cppcheck-suppress knownConditionTrueFalse ; false positive: the loop stops at the first non-space byte */
    return (size_t)(end - data) >= 10u && memcmp(data, "-----BEGIN", 10u) == 0;
}

/* Decode base64 in [p, end), ignoring white space. */
static iot_status_t b64_decode(const uint8_t *p, const uint8_t *end, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    uint32_t acc = 0;
    size_t quad = 0;
    size_t pad = 0;
    size_t n = 0;

    for (; p < end; p++) {
        int v;
        if (is_space(*p)) {
            continue;
        }
        if (*p == '=') {
            pad++;
            v = 0;
            if (quad < 2u) {
                return IOT_ERR_BAD_PEM;
            }
        } else {
            v = b64_value(*p);
            if (v < 0 || pad > 0u) {
                return IOT_ERR_BAD_PEM; /* bad character, or data after padding */
            }
        }
        acc = (acc << 6) | (uint32_t)v;
        quad++;
        if (quad == 4u) {
            size_t take = 3u - pad;
            if (pad > 2u) {
                return IOT_ERR_BAD_PEM;
            }
            if (n + take > cap) {
                return IOT_ERR_STORAGE_FULL;
            }
            out[n++] = (uint8_t)(acc >> 16);
            if (take > 1u) {
                out[n++] = (uint8_t)(acc >> 8);
            }
            if (take > 2u) {
                out[n++] = (uint8_t)acc;
            }
            acc = 0;
            quad = 0;
            if (pad > 0u) {
                /* padding ends the data; only white space may follow */
                for (p++; p < end; p++) {
                    if (!is_space(*p)) {
                        return IOT_ERR_BAD_PEM;
                    }
                }
                break;
            }
        }
    }
    if (quad != 0u || n == 0u) {
        return IOT_ERR_BAD_PEM;
    }
    *out_len = n;
    return IOT_OK;
}

iot_status_t iot_pem_decode(const uint8_t *data, size_t len, char *label, size_t label_cap,
                            uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *end = data + len;
    const uint8_t *p = data;

    /* A PEM buffer may carry its NUL terminator. */
    if (len > 0u && end[-1] == '\0') {
        end--;
    }
    for (;;) {
        const uint8_t *begin = find(p, end, "-----BEGIN ");
        const uint8_t *lab;
        const uint8_t *lab_end;
        const uint8_t *body;
        const uint8_t *footer;
        const uint8_t *q;
        size_t lab_len;

        if (begin == NULL) {
            return (p == data) ? IOT_ERR_BAD_PEM : IOT_ERR_TRUNCATED;
        }
        lab = begin + 11;
        lab_end = find(lab, end, "-----");
        if (lab_end == NULL) {
            return IOT_ERR_TRUNCATED;
        }
        lab_len = (size_t)(lab_end - lab);
        if (lab_len == 0u || lab_len >= label_cap) {
            return IOT_ERR_BAD_PEM;
        }
        for (q = lab; q < lab_end; q++) {
            if (*q < 0x20u || *q > 0x7Eu) {
                return IOT_ERR_BAD_PEM;
            }
        }
        body = lab_end + 5;
        footer = find(body, end, "-----END ");
        if (footer == NULL) {
            return IOT_ERR_TRUNCATED;
        }
        q = footer + 9;
        if ((size_t)(end - q) < lab_len + 5u || memcmp(q, lab, lab_len) != 0 ||
            memcmp(q + lab_len, "-----", 5u) != 0) {
            /* an END line cut short is truncation; another label is malformed */
            if ((size_t)(end - q) < lab_len + 5u && memcmp(q, lab, (size_t)(end - q)) == 0) {
                return IOT_ERR_TRUNCATED;
            }
            return IOT_ERR_BAD_PEM;
        }
        if (lab_len == 13u && memcmp(lab, "EC PARAMETERS", 13u) == 0) {
            p = q + lab_len + 5u; /* printed before the key by some tools */
            continue;
        }
        memcpy(label, lab, lab_len);
        label[lab_len] = '\0';
        if (find(body, footer, "Proc-Type:") != NULL || find(body, footer, "DEK-Info:") != NULL ||
            strcmp(label, "ENCRYPTED PRIVATE KEY") == 0) {
            return IOT_ERR_NOT_SUPPORTED;
        }
        return b64_decode(body, footer, out, cap, out_len);
    }
}

iot_status_t iot_pem_encode(const char *label, const uint8_t *der, size_t der_len, char *out,
                            size_t cap, size_t *len)
{
    size_t label_len = strlen(label);
    size_t b64_len = ((der_len + 2u) / 3u) * 4u;
    size_t lines = (b64_len + 63u) / 64u;
    size_t need = (11u + label_len + 6u) + b64_len + lines + (9u + label_len + 6u);
    size_t n = 0;
    size_t i;
    size_t col = 0;

    *len = need;
    if (need + 1u > cap) {
        return IOT_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(out + n, "-----BEGIN ", 11u);
    n += 11u;
    memcpy(out + n, label, label_len);
    n += label_len;
    memcpy(out + n, "-----\n", 6u);
    n += 6u;
    for (i = 0; i < der_len; i += 3u) {
        uint32_t v = (uint32_t)der[i] << 16;
        size_t rem = der_len - i;
        if (rem > 1u) {
            v |= (uint32_t)der[i + 1u] << 8;
        }
        if (rem > 2u) {
            v |= der[i + 2u];
        }
        out[n++] = k_b64[(v >> 18) & 63u];
        out[n++] = k_b64[(v >> 12) & 63u];
        out[n++] = k_b64[(rem > 1u) ? ((v >> 6) & 63u) : B64_PAD];
        out[n++] = k_b64[(rem > 2u) ? (v & 63u) : B64_PAD];
        col += 4u;
        if (col == 64u) {
            out[n++] = '\n';
            col = 0;
        }
    }
    if (col != 0u) {
        out[n++] = '\n';
    }
    memcpy(out + n, "-----END ", 9u);
    n += 9u;
    memcpy(out + n, label, label_len);
    n += label_len;
    memcpy(out + n, "-----\n", 6u);
    n += 6u;
    out[n] = '\0';
    *len = n;
    return IOT_OK;
}
