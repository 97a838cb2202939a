/* SPDX-License-Identifier: Apache-2.0 */
/* Key store: the parts of a PKCS#10 request (RFC 2986) that do not touch a
 * key: the subject Name (RFC 5280, 4.1.2.4), the signature algorithm, and
 * the signature value. keystore.c assembles and signs the request. */
#include <string.h>

#include "iot_keys_internal.h"

/* Most attributes in a subject, and the longest value of one (the X.520
 * upper bounds are 64 for most types, 128 for emailAddress). */
#define CSR_MAX_ATTRS 16
#define CSR_VALUE_MAX 128

typedef struct {
    const char *name;
    uint8_t oid[10];
    uint8_t oid_len;
    uint8_t string_tag;
} dn_type_t;

static const dn_type_t k_dn_types[] = {
    { "C", { 0x55, 0x04, 0x06 }, 3, IOT_DER_PRINTABLE_STRING },
    { "ST", { 0x55, 0x04, 0x08 }, 3, IOT_DER_UTF8_STRING },
    { "L", { 0x55, 0x04, 0x07 }, 3, IOT_DER_UTF8_STRING },
    { "O", { 0x55, 0x04, 0x0A }, 3, IOT_DER_UTF8_STRING },
    { "OU", { 0x55, 0x04, 0x0B }, 3, IOT_DER_UTF8_STRING },
    { "CN", { 0x55, 0x04, 0x03 }, 3, IOT_DER_UTF8_STRING },
    { "serialNumber", { 0x55, 0x04, 0x05 }, 3, IOT_DER_PRINTABLE_STRING },
    { "emailAddress", { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01 }, 9,
      IOT_DER_IA5_STRING },
    { "DC", { 0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19 }, 10,
      IOT_DER_IA5_STRING },
};

typedef struct {
    const dn_type_t *type;
    const char *value; /* escaped, as in the subject string */
    size_t value_len;
} dn_attr_t;

static const dn_type_t *find_type(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(k_dn_types) / sizeof(k_dn_types[0]); i++) {
        if (strlen(k_dn_types[i].name) == len && memcmp(k_dn_types[i].name, name, len) == 0) {
            return &k_dn_types[i];
        }
    }
    return NULL;
}

static bool printable_char(uint8_t c)
{
    /* X.680 PrintableString */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == ' ' || c == '\'' || c == '(' || c == ')' || c == '+' || c == ',' || c == '-' ||
           c == '.' || c == '/' || c == ':' || c == '=' || c == '?';
}

/* Remove the escapes of one value into out; check it fits its string type. */
static iot_status_t unescape_value(const dn_attr_t *a, uint8_t *out, size_t *out_len)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < a->value_len; i++) {
        uint8_t c = (uint8_t)a->value[i];
        if (c == '\\') {
            i++;
            if (i == a->value_len) {
                return IOT_ERR_BAD_FORMAT;
            }
            c = (uint8_t)a->value[i];
        }
        if (c < 0x20u || c == 0x7Fu || n == CSR_VALUE_MAX) {
            return IOT_ERR_BAD_FORMAT;
        }
        if (a->type->string_tag == IOT_DER_PRINTABLE_STRING && !printable_char(c)) {
            return IOT_ERR_BAD_FORMAT;
        }
        if (a->type->string_tag == IOT_DER_IA5_STRING && c > 0x7Fu) {
            return IOT_ERR_BAD_FORMAT;
        }
        out[n++] = c;
    }
    if (n == 0u || (a->type->oid[2] == 0x06u && a->type->oid_len == 3u && n != 2u)) {
        return IOT_ERR_BAD_FORMAT; /* empty, or a country code that is not two letters */
    }
    *out_len = n;
    return IOT_OK;
}

static iot_status_t split_subject(const char *subject, dn_attr_t *attrs, size_t *count)
{
    const char *p = subject;
    size_t n = 0;

    while (*p != '\0') {
        const char *name = p;
        const char *eq;
        const char *v;

        while (*p == ' ') {
            p++;
            name = p;
        }
        eq = strchr(name, '=');
        if (eq == NULL || n == CSR_MAX_ATTRS) {
            return IOT_ERR_BAD_FORMAT;
        }
        attrs[n].type = find_type(name, (size_t)(eq - name));
        if (attrs[n].type == NULL) {
            return IOT_ERR_BAD_FORMAT;
        }
        v = eq + 1;
        p = v;
        while (*p != '\0' && *p != ',') {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            p++;
        }
        attrs[n].value = v;
        attrs[n].value_len = (size_t)(p - v);
        n++;
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                return IOT_ERR_BAD_FORMAT; /* trailing comma */
            }
        }
    }
    if (n == 0u) {
        return IOT_ERR_BAD_FORMAT;
    }
    *count = n;
    return IOT_OK;
}

iot_status_t iot_csr_write_name(iot_dw_t *w, const char *subject)
{
    dn_attr_t attrs[CSR_MAX_ATTRS];
    uint8_t value[CSR_VALUE_MAX];
    size_t count = 0;
    size_t start = iot_dw_used(w);
    size_t i;
    iot_status_t st;

    st = split_subject(subject, attrs, &count);
    if (st != IOT_OK) {
        return st;
    }
    /* Written backwards: the last RDN first. Each RDN is a SET holding one
     * AttributeTypeAndValue. */
    for (i = count; i-- > 0u;) {
        size_t len = 0;
        size_t mark = iot_dw_used(w);
        st = unescape_value(&attrs[i], value, &len);
        if (st != IOT_OK) {
            return st;
        }
        iot_dw_element(w, attrs[i].type->string_tag, value, len);
        iot_dw_element(w, IOT_DER_OID, attrs[i].type->oid, attrs[i].type->oid_len);
        iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - mark);
        iot_dw_wrap(w, IOT_DER_SET, iot_dw_used(w) - mark);
    }
    iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - start);
    return w->overflow ? IOT_ERR_NO_MEMORY : IOT_OK;
}

iot_status_t iot_csr_write_sig_alg(iot_dw_t *w, iot_sign_alg_t alg)
{
    /* ecdsa-with-SHA2 family (RFC 5758) and sha*WithRSAEncryption (RFC 8017). */
    static const uint8_t ecdsa[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x00 };
    static const uint8_t rsa[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x00 };
    uint8_t oid[9];
    size_t start = iot_dw_used(w);

    switch (alg) {
    case IOT_SIGN_ECDSA_SHA256:
    case IOT_SIGN_ECDSA_SHA384:
    case IOT_SIGN_ECDSA_SHA512:
        memcpy(oid, ecdsa, sizeof(ecdsa));
        oid[7] = (uint8_t)(2 + (alg - IOT_SIGN_ECDSA_SHA256));
        iot_dw_element(w, IOT_DER_OID, oid, sizeof(ecdsa)); /* no parameters */
        break;
    case IOT_SIGN_RSA_PKCS1_SHA256:
    case IOT_SIGN_RSA_PKCS1_SHA384:
    case IOT_SIGN_RSA_PKCS1_SHA512:
        memcpy(oid, rsa, sizeof(rsa));
        oid[8] = (uint8_t)(11 + (alg - IOT_SIGN_RSA_PKCS1_SHA256));
        iot_dw_element(w, IOT_DER_NULL, NULL, 0u);
        iot_dw_element(w, IOT_DER_OID, oid, sizeof(rsa));
        break;
    default:
        return IOT_ERR_NOT_SUPPORTED;
    }
    iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - start);
    return w->overflow ? IOT_ERR_NO_MEMORY : IOT_OK;
}

iot_status_t iot_csr_write_signature(iot_dw_t *w, iot_sign_alg_t alg, const uint8_t *sig,
                                     size_t sig_len)
{
    size_t start = iot_dw_used(w);

    if (alg >= IOT_SIGN_ECDSA_SHA256 && alg <= IOT_SIGN_ECDSA_SHA512) {
        /* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480) */
        size_t half = sig_len / 2u;
        size_t mark;
        if (sig_len == 0u || (sig_len % 2u) != 0u) {
            return IOT_ERR_INTERNAL;
        }
        mark = iot_dw_used(w);
        iot_dw_unsigned(w, sig + half, half);
        iot_dw_unsigned(w, sig, half);
        iot_dw_wrap(w, IOT_DER_SEQUENCE, iot_dw_used(w) - mark);
    } else {
        iot_dw_raw(w, sig, sig_len);
    }
    iot_dw_byte(w, 0u); /* no unused bits */
    iot_dw_wrap(w, IOT_DER_BIT_STRING, iot_dw_used(w) - start);
    return w->overflow ? IOT_ERR_NO_MEMORY : IOT_OK;
}
