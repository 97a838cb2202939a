/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#11 objects over key store objects: attributes, search, creation,
 * key pair generation and destruction.
 *
 * Every key store object is one PKCS#11 object and its handle is the
 * object's iot_key_id_t, so handles stay valid across sessions and
 * restarts. CKA_LABEL is the store's label (unique within a class) and
 * CKA_ID the store's tag of the object. A generated key pair is two store
 * objects: the private key, and its public key imported as a public key
 * object, so each half can be found, read and destroyed on its own.
 */
#include <string.h>

#include "iot_internal.h"
#include "iot_pkcs11_internal.h"
#include "keys/iot_keys_internal.h"

#include <mbedtls/platform_util.h>

#define LOG_MOD "pkcs11"

/* Room for the longest attribute: a certificate or data value. */
#define ATTR_CAP IOT_CONFIG_KEYS_MAX_OBJECT_SIZE

/* An attribute's value, as computed by attr_get (module lock held). */
static uint8_t g_attr[ATTR_CAP];
/* A certificate being taken apart for CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER. */
static uint8_t g_cert[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE];

/* DER of the namedCurve OIDs, as CKA_EC_PARAMS holds them. */
static const uint8_t k_params_p256[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t k_params_p384[] = { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22 };

static const CK_MECHANISM_TYPE k_ec_mechs[] = { CKM_ECDSA, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
                                                CKM_ECDSA_SHA512 };
static const CK_MECHANISM_TYPE k_rsa_mechs[] = { CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
                                                 CKM_SHA512_RSA_PKCS };

/* The only RSA public exponent the store generates: 65537. */
static const uint8_t k_f4[] = { 0x01, 0x00, 0x01 };

size_t p11_sig_len(iot_key_type_t type)
{
    switch (type) {
    case IOT_KEY_TYPE_EC_P256:
        return 64u;
    case IOT_KEY_TYPE_EC_P384:
        return 96u;
    default:
        return iot_key_type_is_rsa(type) ? iot_key_type_bits(type) / 8u : 0u;
    }
}

static CK_OBJECT_CLASS class_of(iot_obj_class_t c)
{
    switch (c) {
    case IOT_OBJ_PRIVATE_KEY:
        return CKO_PRIVATE_KEY;
    case IOT_OBJ_PUBLIC_KEY:
        return CKO_PUBLIC_KEY;
    case IOT_OBJ_SECRET_KEY:
        return CKO_SECRET_KEY;
    case IOT_OBJ_CERTIFICATE:
        return CKO_CERTIFICATE;
    default:
        return CKO_DATA;
    }
}

static CK_KEY_TYPE key_type_of(iot_key_type_t t)
{
    if (iot_key_type_is_ec(t)) {
        return CKK_EC;
    }
    if (iot_key_type_is_rsa(t)) {
        return CKK_RSA;
    }
    return CKK_GENERIC_SECRET;
}

CK_RV p11_obj_get(CK_OBJECT_HANDLE h, p11_obj_t *o)
{
    iot_status_t st;

    memset(o, 0, sizeof(*o));
    o->info.struct_size = sizeof(o->info);
    if (h == CK_INVALID_HANDLE || h > UINT32_MAX) {
        return CKR_OBJECT_HANDLE_INVALID;
    }
    st = iot_keystore_get_info((iot_key_id_t)h, &o->info);
    if (st != IOT_OK) {
        return (st == IOT_ERR_NOT_FOUND) ? CKR_OBJECT_HANDLE_INVALID : p11_from_status(st);
    }
    o->cls = class_of(o->info.obj_class);
    o->is_private = o->cls == CKO_PRIVATE_KEY || o->cls == CKO_SECRET_KEY;
    if (o->is_private && !p11_logged_in()) {
        return CKR_USER_NOT_LOGGED_IN;
    }
    return CKR_OK;
}

/* ---- Attribute values --------------------------------------------------------------- */

static CK_RV put(const void *v, size_t n, size_t *len)
{
    if (n > ATTR_CAP) {
        return CKR_DEVICE_ERROR;
    }
    if (n > 0u) {
        if (v == NULL) {
            return CKR_GENERAL_ERROR;
        }
        memcpy(g_attr, v, n);
    }
    *len = n;
    return CKR_OK;
}

static CK_RV put_bool(bool v, size_t *len)
{
    CK_BBOOL b = v ? CK_TRUE : CK_FALSE;
    return put(&b, sizeof(b), len);
}

static CK_RV put_ulong(CK_ULONG v, size_t *len)
{
    return put(&v, sizeof(v), len);
}

/* The public key in PSA's raw format (EC point, or RSAPublicKey DER) into g_attr. */
static CK_RV public_raw(const p11_obj_t *o, size_t *len)
{
    return p11_from_status(iot_key_export_public(o->info.id, IOT_KEY_FORMAT_RAW, g_attr, ATTR_CAP,
                                                 len));
}

/* One INTEGER of an RSAPublicKey (0: modulus, 1: exponent), as big-endian
 * bytes without the sign byte. */
static CK_RV rsa_part(const p11_obj_t *o, int which, size_t *len)
{
    iot_der_t d;
    iot_der_t seq;
    iot_der_t num;
    size_t raw_len = 0;
    int i;
    CK_RV rv = public_raw(o, &raw_len);

    if (rv != CKR_OK) {
        return rv;
    }
    d.p = g_attr;
    d.end = g_attr + raw_len;
    if (iot_der_get(&d, IOT_DER_SEQUENCE, &seq) != IOT_OK) {
        return CKR_DEVICE_ERROR;
    }
    for (i = 0; i <= which; i++) {
        if (iot_der_get(&seq, IOT_DER_INTEGER, &num) != IOT_OK) {
            return CKR_DEVICE_ERROR;
        }
    }
    while (num.end - num.p > 1 && num.p[0] == 0u) {
        num.p++;
    }
    *len = (size_t)(num.end - num.p);
    memmove(g_attr, num.p, *len);
    return CKR_OK;
}

/* The TLVs of a certificate's serial number (INTEGER), issuer and subject
 * (SEQUENCE: Name), found in its TBSCertificate (RFC 5280 4.1). The
 * certificate must be one SEQUENCE covering `len` exactly. IOT_OK, or
 * IOT_ERR_BAD_FORMAT when it is not shaped so. */
static iot_status_t cert_fields(const uint8_t *der, size_t len, iot_der_t fields[3])
{
    /* Element positions in TBSCertificate after the optional [0] version:
     * serial, signature, issuer, validity, subject. */
    static const int positions[3] = { 0, 2, 4 };
    static const uint8_t tags[3] = { IOT_DER_INTEGER, IOT_DER_SEQUENCE, IOT_DER_SEQUENCE };
    iot_der_t d;
    iot_der_t cert;
    iot_der_t tbs;
    iot_der_t skip;
    int f = 0;
    int i;

    d.p = der;
    d.end = der + len;
    if (iot_der_get(&d, IOT_DER_SEQUENCE, &cert) != IOT_OK || d.p != d.end ||
        iot_der_get(&cert, IOT_DER_SEQUENCE, &tbs) != IOT_OK) {
        return IOT_ERR_BAD_FORMAT;
    }
    if (iot_der_peek(&tbs) == (int)IOT_DER_CONTEXT(0) &&
        iot_der_get(&tbs, IOT_DER_CONTEXT(0), &skip) != IOT_OK) {
        return IOT_ERR_BAD_FORMAT;
    }
    for (i = 0; i <= positions[2]; i++) {
        int tag = iot_der_peek(&tbs);
        const uint8_t *start = tbs.p;

        if (tag < 0 || iot_der_get(&tbs, (uint8_t)tag, &skip) != IOT_OK) {
            return IOT_ERR_BAD_FORMAT;
        }
        if (i == positions[f]) {
            if (tag != (int)tags[f]) {
                return IOT_ERR_BAD_FORMAT;
            }
            fields[f].p = start;
            fields[f].end = tbs.p;
            f++;
        }
    }
    return IOT_OK;
}

/* The TLV of one element of a stored certificate: 0 serial number, 1
 * issuer, 2 subject. C_CreateObject accepts only values cert_fields()
 * can take apart, so a failure here means a damaged store. */
static CK_RV cert_field(const p11_obj_t *o, int which, size_t *len)
{
    iot_der_t fields[3];
    size_t cert_len = 0;
    iot_status_t st;

    st = iot_keystore_load(o->info.id, g_cert, sizeof(g_cert), &cert_len);
    if (st != IOT_OK) {
        return p11_from_status(st);
    }
    if (cert_fields(g_cert, cert_len, fields) != IOT_OK) {
        return CKR_DEVICE_ERROR;
    }
    return put(fields[which].p, (size_t)(fields[which].end - fields[which].p), len);
}

static CK_RV ec_params(const p11_obj_t *o, size_t *len)
{
    if (o->info.key_type == IOT_KEY_TYPE_EC_P256) {
        return put(k_params_p256, sizeof(k_params_p256), len);
    }
    return put(k_params_p384, sizeof(k_params_p384), len);
}

/* CKA_EC_POINT: the uncompressed point as a DER OCTET STRING. */
static CK_RV ec_point(const p11_obj_t *o, size_t *len)
{
    size_t raw_len = 0;
    CK_RV rv = public_raw(o, &raw_len);

    if (rv != CKR_OK) {
        return rv;
    }
    if (raw_len > 127u || raw_len + 2u > ATTR_CAP) {
        return CKR_DEVICE_ERROR;
    }
    memmove(&g_attr[2], g_attr, raw_len);
    g_attr[0] = IOT_DER_OCTET_STRING;
    g_attr[1] = (uint8_t)raw_len;
    *len = raw_len + 2u;
    return CKR_OK;
}

/* Attributes every key has. CKR_ATTRIBUTE_TYPE_INVALID for the others. */
static CK_RV key_common_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    bool ec = iot_key_type_is_ec(o->info.key_type);

    switch (t) {
    case CKA_KEY_TYPE:
        return put_ulong(key_type_of(o->info.key_type), len);
    case CKA_DERIVE:
        return put_bool(o->cls == CKO_SECRET_KEY, len);
    case CKA_LOCAL:
        return put_bool(false, len); /* the store does not record where a key came from */
    case CKA_START_DATE:
    case CKA_END_DATE:
        return put(NULL, 0u, len);
    case CKA_KEY_GEN_MECHANISM:
        return put_ulong(CK_UNAVAILABLE_INFORMATION, len);
    case CKA_ALLOWED_MECHANISMS:
        if (o->cls == CKO_SECRET_KEY) {
            return put(NULL, 0u, len);
        }
        return ec ? put(k_ec_mechs, sizeof(k_ec_mechs), len)
                  : put(k_rsa_mechs, sizeof(k_rsa_mechs), len);
    default:
        break;
    }
    if (o->cls == CKO_SECRET_KEY) {
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    switch (t) {
    case CKA_SUBJECT:
        return put(NULL, 0u, len);
    case CKA_PUBLIC_KEY_INFO:
        return p11_from_status(iot_key_export_public(o->info.id, IOT_KEY_FORMAT_DER, g_attr,
                                                     ATTR_CAP, len));
    case CKA_EC_PARAMS:
        return ec ? ec_params(o, len) : CKR_ATTRIBUTE_TYPE_INVALID;
    case CKA_EC_POINT:
        return ec ? ec_point(o, len) : CKR_ATTRIBUTE_TYPE_INVALID;
    case CKA_MODULUS:
        return ec ? CKR_ATTRIBUTE_TYPE_INVALID : rsa_part(o, 0, len);
    case CKA_PUBLIC_EXPONENT:
        return ec ? CKR_ATTRIBUTE_TYPE_INVALID : rsa_part(o, 1, len);
    case CKA_MODULUS_BITS:
        return ec ? CKR_ATTRIBUTE_TYPE_INVALID : put_ulong(o->info.bits, len);
    default:
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV private_key_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_SIGN:
        return put_bool((o->info.usage & IOT_KEY_USAGE_SIGN) != 0u, len);
    case CKA_SIGN_RECOVER:
    case CKA_DECRYPT:
    case CKA_UNWRAP:
    case CKA_ALWAYS_SENSITIVE:   /* imported keys were not, and the store does not */
    case CKA_NEVER_EXTRACTABLE:  /* tell them apart from generated ones */
    case CKA_ALWAYS_AUTHENTICATE:
    case CKA_WRAP_WITH_TRUSTED:
    case CKA_EXTRACTABLE:
        return put_bool(false, len);
    case CKA_SENSITIVE:
        return put_bool(true, len);
    case CKA_VALUE:
    case CKA_PRIVATE_EXPONENT:
    case CKA_PRIME_1:
    case CKA_PRIME_2:
    case CKA_EXPONENT_1:
    case CKA_EXPONENT_2:
    case CKA_COEFFICIENT:
        return CKR_ATTRIBUTE_SENSITIVE;
    default:
        return key_common_attr(o, t, len);
    }
}

static CK_RV public_key_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_VERIFY:
        return put_bool((o->info.usage & IOT_KEY_USAGE_VERIFY) != 0u, len);
    case CKA_VERIFY_RECOVER:
    case CKA_ENCRYPT:
    case CKA_WRAP:
    case CKA_TRUSTED:
        return put_bool(false, len);
    default:
        return key_common_attr(o, t, len);
    }
}

static CK_RV secret_key_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_VALUE:
        return CKR_ATTRIBUTE_SENSITIVE;
    case CKA_VALUE_LEN:
        return put_ulong(o->info.bits / 8u, len);
    case CKA_SENSITIVE:
        return put_bool(true, len);
    case CKA_EXTRACTABLE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE:
    case CKA_SIGN:
    case CKA_VERIFY:
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_WRAP:
    case CKA_UNWRAP:
        return put_bool(false, len);
    default:
        return key_common_attr(o, t, len);
    }
}

static CK_RV value_attr(const p11_obj_t *o, size_t *len)
{
    return p11_from_status(iot_keystore_load(o->info.id, g_attr, ATTR_CAP, len));
}

static CK_RV certificate_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_CERTIFICATE_TYPE:
        return put_ulong(CKC_X_509, len);
    case CKA_CERTIFICATE_CATEGORY:
        return put_ulong(0u, len); /* unspecified */
    case CKA_TRUSTED:
        return put_bool(false, len);
    case CKA_VALUE:
        return value_attr(o, len);
    case CKA_SERIAL_NUMBER:
        return cert_field(o, 0, len);
    case CKA_ISSUER:
        return cert_field(o, 1, len);
    case CKA_SUBJECT:
        return cert_field(o, 2, len);
    default:
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV data_attr(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_VALUE:
        return value_attr(o, len);
    case CKA_APPLICATION:
    case CKA_OBJECT_ID:
        return put(NULL, 0u, len);
    default:
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

/* The value of attribute `t` of `o` into g_attr. CKR_OK, CKR_ATTRIBUTE_SENSITIVE,
 * CKR_ATTRIBUTE_TYPE_INVALID, or a device error. Bool and class attributes
 * need only o->cls, o->info.key_type and o->info.usage. */
static CK_RV attr_get(const p11_obj_t *o, CK_ATTRIBUTE_TYPE t, size_t *len)
{
    switch (t) {
    case CKA_CLASS:
        return put_ulong(o->cls, len);
    case CKA_TOKEN:
    case CKA_DESTROYABLE:
        return put_bool(true, len);
    case CKA_PRIVATE:
        return put_bool(o->is_private, len);
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
        return put_bool(false, len);
    case CKA_LABEL:
        return put(o->info.label, strlen(o->info.label), len);
    case CKA_ID:
        return p11_from_status(iot_keystore_get_tag(o->info.id, g_attr, ATTR_CAP, len));
    default:
        break;
    }
    switch (o->cls) {
    case CKO_PRIVATE_KEY:
        return private_key_attr(o, t, len);
    case CKO_PUBLIC_KEY:
        return public_key_attr(o, t, len);
    case CKO_SECRET_KEY:
        return secret_key_attr(o, t, len);
    case CKO_CERTIFICATE:
        return certificate_attr(o, t, len);
    default:
        return data_attr(o, t, len);
    }
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    p11_session_t *s;
    p11_obj_t o;
    CK_RV result = CKR_OK;
    CK_ULONG i;
    CK_RV rv;

    if (pTemplate == NULL && ulCount > 0u) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    rv = p11_obj_get(hObject, &o);
    if (rv != CKR_OK) {
        return p11_leave(rv);
    }
    for (i = 0; i < ulCount; i++) {
        CK_ATTRIBUTE *a = &pTemplate[i];
        size_t len = 0;
        rv = attr_get(&o, a->type, &len);
        if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID) {
            a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = rv;
        } else if (rv != CKR_OK) {
            mbedtls_platform_zeroize(g_attr, sizeof(g_attr));
            return p11_leave(rv);
        } else if (a->pValue == NULL) {
            a->ulValueLen = len;
        } else if (a->ulValueLen < len) {
            a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = CKR_BUFFER_TOO_SMALL;
        } else {
            memcpy(a->pValue, g_attr, len);
            a->ulValueLen = len;
        }
    }
    return p11_leave(result);
}

/* ---- Search ---------------------------------------------------------------------------- */

static bool matches(const p11_obj_t *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_ULONG i;

    for (i = 0; i < n; i++) {
        size_t len = 0;
        if (attr_get(o, tmpl[i].type, &len) != CKR_OK || len != tmpl[i].ulValueLen ||
            (len > 0u && memcmp(g_attr, tmpl[i].pValue, len) != 0)) {
            return false;
        }
    }
    return true;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    iot_key_id_t ids[IOT_CONFIG_KEYS_MAX_OBJECTS];
    p11_session_t *s;
    size_t count = 0;
    size_t i;
    CK_RV rv;
    iot_status_t st;

    if (pTemplate == NULL && ulCount > 0u) {
        return CKR_ARGUMENTS_BAD;
    }
    for (i = 0; i < ulCount; i++) {
        if (pTemplate[i].pValue == NULL && pTemplate[i].ulValueLen > 0u) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    if (s->finding) {
        return p11_leave(CKR_OPERATION_ACTIVE);
    }
    st = iot_keystore_list(ids, IOT_CONFIG_KEYS_MAX_OBJECTS, &count);
    if (st != IOT_OK) {
        return p11_leave(p11_from_status(st));
    }
    s->found_count = 0;
    s->found_pos = 0;
    for (i = 0; i < count; i++) {
        p11_obj_t o;
        /* Private objects are invisible before login. */
        if (p11_obj_get(ids[i], &o) == CKR_OK && matches(&o, pTemplate, ulCount)) {
            s->found[s->found_count++] = ids[i];
        }
    }
    mbedtls_platform_zeroize(g_attr, sizeof(g_attr));
    s->finding = true;
    return p11_leave(CKR_OK);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
    p11_session_t *s;
    CK_ULONG n = 0;
    CK_RV rv;

    if (phObject == NULL || pulObjectCount == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    if (!s->finding) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    while (n < ulMaxObjectCount && s->found_pos < s->found_count) {
        p11_obj_t o;
        iot_key_id_t id = s->found[s->found_pos++];
        if (p11_obj_get(id, &o) == CKR_OK) { /* skip objects destroyed since */
            phObject[n++] = id;
        }
    }
    *pulObjectCount = n;
    return p11_leave(CKR_OK);
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (!s->finding) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    s->finding = false;
    return p11_leave(CKR_OK);
}

/* ---- Templates --------------------------------------------------------------------------- */

#define TMPL_MAX_BOOLS 24

typedef struct {
    const uint8_t *p;
    size_t len;
    bool set;
} bytes_t;

typedef struct {
    bool has_class;
    CK_OBJECT_CLASS cls;
    bool has_key_type;
    CK_KEY_TYPE key_type;
    bool has_cert_type;
    CK_CERTIFICATE_TYPE cert_type;
    bool has_modulus_bits;
    CK_ULONG modulus_bits;
    bytes_t public_exponent;
    char label[IOT_KEY_LABEL_MAX + 1];
    bytes_t id;
    bytes_t value;
    bytes_t ec_params;
    bytes_t ec_point;
    bytes_t app; /* CKA_APPLICATION and CKA_OBJECT_ID of data objects */
    bytes_t cert_attr[3]; /* CKA_SERIAL_NUMBER, CKA_ISSUER, CKA_SUBJECT as given */
    size_t nbools;
    struct {
        CK_ATTRIBUTE_TYPE type;
        bool value;
    } bools[TMPL_MAX_BOOLS];
} tmpl_t;

static bool is_bool_attr(CK_ATTRIBUTE_TYPE t)
{
    switch (t) {
    case CKA_TOKEN:
    case CKA_PRIVATE:
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
    case CKA_DESTROYABLE:
    case CKA_SENSITIVE:
    case CKA_EXTRACTABLE:
    case CKA_SIGN:
    case CKA_SIGN_RECOVER:
    case CKA_VERIFY:
    case CKA_VERIFY_RECOVER:
    case CKA_ENCRYPT:
    case CKA_DECRYPT:
    case CKA_WRAP:
    case CKA_UNWRAP:
    case CKA_DERIVE:
    case CKA_TRUSTED:
    case CKA_ALWAYS_AUTHENTICATE:
    case CKA_WRAP_WITH_TRUSTED:
        return true;
    default:
        return false;
    }
}

static CK_RV get_ulong(const CK_ATTRIBUTE *a, CK_ULONG *v)
{
    if (a->ulValueLen != sizeof(CK_ULONG)) {
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    memcpy(v, a->pValue, sizeof(CK_ULONG));
    return CKR_OK;
}

static CK_RV get_bytes(const CK_ATTRIBUTE *a, bytes_t *b)
{
    b->p = a->pValue;
    b->len = a->ulValueLen;
    b->set = true;
    return CKR_OK;
}

static CK_RV get_label(const CK_ATTRIBUTE *a, char *label)
{
    /* The store's rules: at most IOT_KEY_LABEL_MAX bytes; a NUL would cut it. */
    if (a->ulValueLen > IOT_KEY_LABEL_MAX ||
        (a->ulValueLen > 0u && memchr(a->pValue, 0, a->ulValueLen) != NULL)) {
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    if (a->ulValueLen > 0u) {
        memcpy(label, a->pValue, a->ulValueLen);
    }
    label[a->ulValueLen] = '\0';
    return CKR_OK;
}

static CK_RV tmpl_one(const CK_ATTRIBUTE *a, tmpl_t *t)
{
    if (is_bool_attr(a->type)) {
        if (a->ulValueLen != sizeof(CK_BBOOL) || t->nbools == TMPL_MAX_BOOLS) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        t->bools[t->nbools].type = a->type;
        t->bools[t->nbools].value = *(const CK_BBOOL *)a->pValue != CK_FALSE;
        t->nbools++;
        return CKR_OK;
    }
    switch (a->type) {
    case CKA_CLASS:
        t->has_class = true;
        return get_ulong(a, &t->cls);
    case CKA_KEY_TYPE:
        t->has_key_type = true;
        return get_ulong(a, &t->key_type);
    case CKA_CERTIFICATE_TYPE:
        t->has_cert_type = true;
        return get_ulong(a, &t->cert_type);
    case CKA_MODULUS_BITS:
        t->has_modulus_bits = true;
        return get_ulong(a, &t->modulus_bits);
    case CKA_PUBLIC_EXPONENT:
        return get_bytes(a, &t->public_exponent);
    case CKA_LABEL:
        return get_label(a, t->label);
    case CKA_ID:
        return (a->ulValueLen > IOT_KEY_TAG_MAX) ? CKR_ATTRIBUTE_VALUE_INVALID
                                                 : get_bytes(a, &t->id);
    case CKA_VALUE:
        return get_bytes(a, &t->value);
    case CKA_EC_PARAMS:
        return get_bytes(a, &t->ec_params);
    case CKA_EC_POINT:
        return get_bytes(a, &t->ec_point);
    case CKA_APPLICATION:
    case CKA_OBJECT_ID:
        return (a->ulValueLen > 0u) ? get_bytes(a, &t->app) : CKR_OK;
    case CKA_SERIAL_NUMBER:
        return get_bytes(a, &t->cert_attr[0]);
    case CKA_ISSUER:
        return get_bytes(a, &t->cert_attr[1]);
    case CKA_SUBJECT:
        /* Certificates: must match CKA_VALUE (create_stored); keys: not kept. */
        return get_bytes(a, &t->cert_attr[2]);
    case CKA_START_DATE:
    case CKA_END_DATE:
        return CKR_OK;
    default:
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
}

static CK_RV tmpl_parse(const CK_ATTRIBUTE *attrs, CK_ULONG n, tmpl_t *t)
{
    CK_ULONG i;

    memset(t, 0, sizeof(*t));
    if (attrs == NULL && n > 0u) {
        return CKR_ARGUMENTS_BAD;
    }
    for (i = 0; i < n; i++) {
        CK_ULONG j;
        CK_RV rv;
        if (attrs[i].pValue == NULL && attrs[i].ulValueLen > 0u) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        /* The same attribute twice must say the same thing: otherwise the
         * object would not be what one of them asked for. */
        for (j = 0; j < i; j++) {
            if (attrs[j].type == attrs[i].type &&
                (attrs[j].ulValueLen != attrs[i].ulValueLen ||
                 (attrs[i].ulValueLen > 0u &&
                  memcmp(attrs[j].pValue, attrs[i].pValue, attrs[i].ulValueLen) != 0))) {
                return CKR_TEMPLATE_INCONSISTENT;
            }
        }
        rv = tmpl_one(&attrs[i], t);
        if (rv != CKR_OK) {
            return rv;
        }
    }
    return CKR_OK;
}

/* Check the template's booleans against what an object of the class would
 * report; CKA_SIGN may turn signing off for a private key. `usage`
 * receives the store usage (0: the class default). */
static CK_RV tmpl_check_bools(const tmpl_t *t, CK_OBJECT_CLASS cls, iot_key_type_t type,
                              uint32_t *usage)
{
    p11_obj_t shape;
    size_t i;

    memset(&shape, 0, sizeof(shape));
    shape.cls = cls;
    shape.is_private = cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
    shape.info.key_type = type;
    shape.info.usage = (cls == CKO_PRIVATE_KEY)  ? (IOT_KEY_USAGE_SIGN | IOT_KEY_USAGE_VERIFY)
                       : (cls == CKO_PUBLIC_KEY) ? IOT_KEY_USAGE_VERIFY
                                                 : 0u;
    *usage = 0u;
    for (i = 0; i < t->nbools; i++) {
        size_t len = 0;
        CK_RV rv;
        if (cls == CKO_PRIVATE_KEY && t->bools[i].type == CKA_SIGN) {
            *usage = t->bools[i].value ? 0u : IOT_KEY_USAGE_VERIFY;
            continue;
        }
        rv = attr_get(&shape, t->bools[i].type, &len);
        if (rv != CKR_OK) {
            IOT_LOGW(LOG_MOD, "attribute 0x%lx does not apply to class 0x%lx",
                     (unsigned long)t->bools[i].type, (unsigned long)cls);
            return CKR_ATTRIBUTE_TYPE_INVALID;
        }
        if ((g_attr[0] != CK_FALSE) != t->bools[i].value) {
            IOT_LOGW(LOG_MOD, "attribute 0x%lx cannot be %s for class 0x%lx",
                     (unsigned long)t->bools[i].type, t->bools[i].value ? "true" : "false",
                     (unsigned long)cls);
            return CKR_ATTRIBUTE_VALUE_INVALID; /* the token cannot honour it */
        }
    }
    return CKR_OK;
}

/* The curve named by CKA_EC_PARAMS. */
static CK_RV tmpl_curve(const bytes_t *params, iot_key_type_t *type)
{
    if (!params->set) {
        return CKR_TEMPLATE_INCOMPLETE;
    }
    if (params->len == sizeof(k_params_p256) && memcmp(params->p, k_params_p256, params->len) == 0) {
        *type = IOT_KEY_TYPE_EC_P256;
        return CKR_OK;
    }
    if (params->len == sizeof(k_params_p384) && memcmp(params->p, k_params_p384, params->len) == 0) {
        *type = IOT_KEY_TYPE_EC_P384;
        return CKR_OK;
    }
    /* A well-formed OID of another curve, or something else entirely. */
    if (params->len >= 3u && params->p[0] == IOT_DER_OID && params->p[1] == params->len - 2u) {
        return CKR_CURVE_NOT_SUPPORTED;
    }
    return CKR_DOMAIN_PARAMS_INVALID;
}

/* ---- Creating objects --------------------------------------------------------------------- */

static CK_RV set_id(iot_key_id_t id, const bytes_t *tag)
{
    iot_status_t st;

    if (!tag->set || tag->len == 0u) {
        return CKR_OK;
    }
    st = iot_keystore_set_tag(id, tag->p, tag->len);
    if (st != IOT_OK) {
        (void)iot_keystore_destroy(id);
        return p11_from_status(st);
    }
    return CKR_OK;
}

static CK_RV create_ec_private(const tmpl_t *t, iot_key_type_t type, uint32_t usage,
                               iot_key_id_t *id)
{
    iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
    uint8_t der[128];
    const uint8_t *params = (type == IOT_KEY_TYPE_EC_P256) ? k_params_p256 : k_params_p384;
    size_t params_len = (type == IOT_KEY_TYPE_EC_P256) ? sizeof(k_params_p256)
                                                        : sizeof(k_params_p384);
    size_t size = iot_key_type_bits(type) / 8u;
    iot_dw_t w;
    size_t mark;
    iot_status_t st;

    if (!t->value.set) {
        return CKR_TEMPLATE_INCOMPLETE;
    }
    if (t->value.len == 0u || t->value.len > size) {
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    /* ECPrivateKey (RFC 5915): version 1, the scalar, [0] the curve. */
    iot_dw_init(&w, der, sizeof(der));
    iot_dw_raw(&w, params, params_len);
    iot_dw_wrap(&w, IOT_DER_CONTEXT(0), params_len);
    mark = iot_dw_used(&w);
    iot_dw_raw(&w, t->value.p, t->value.len);
    while (iot_dw_used(&w) - mark < size) {
        iot_dw_byte(&w, 0u); /* left-pad to the curve's size */
    }
    iot_dw_wrap(&w, IOT_DER_OCTET_STRING, size);
    iot_dw_byte(&w, 1u);
    iot_dw_wrap(&w, IOT_DER_INTEGER, 1u);
    iot_dw_wrap(&w, IOT_DER_SEQUENCE, iot_dw_used(&w));
    opts.label = t->label;
    opts.usage = usage;
    st = w.overflow ? IOT_ERR_INTERNAL
                    : iot_key_import_private(iot_dw_data(&w), iot_dw_used(&w), &opts, id);
    mbedtls_platform_zeroize(der, sizeof(der));
    return p11_from_status(st);
}

static CK_RV create_ec_public(const tmpl_t *t, iot_key_type_t type, iot_key_id_t *id)
{
    iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
    uint8_t der[160];
    size_t point_len = 1u + 2u * (iot_key_type_bits(type) / 8u);
    const uint8_t *point = t->ec_point.p;
    iot_dw_t w;
    iot_status_t st;

    if (!t->ec_point.set) {
        return CKR_TEMPLATE_INCOMPLETE;
    }
    /* DER OCTET STRING as PKCS#11 asks, or the bare point as some send it. */
    if (t->ec_point.len == point_len + 2u && point[0] == IOT_DER_OCTET_STRING &&
        point[1] == point_len) {
        point += 2;
    } else if (t->ec_point.len != point_len) {
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    iot_dw_init(&w, der, sizeof(der));
    st = iot_key_write_spki(&w, type, point, point_len);
    if (st != IOT_OK) {
        return CKR_GENERAL_ERROR;
    }
    opts.label = t->label;
    return p11_from_status(iot_key_import_public(iot_dw_data(&w), iot_dw_used(&w), &opts, id));
}

static CK_RV create_key(const tmpl_t *t, iot_key_id_t *id)
{
    iot_key_type_t type = IOT_KEY_TYPE_NONE;
    uint32_t usage = 0;
    CK_RV rv;

    if (!t->has_key_type) {
        return CKR_TEMPLATE_INCOMPLETE;
    }
    if (t->cls == CKO_SECRET_KEY) {
        iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
        if (t->key_type != CKK_GENERIC_SECRET) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        rv = tmpl_check_bools(t, t->cls, IOT_KEY_TYPE_PSK, &usage);
        if (rv != CKR_OK) {
            return rv;
        }
        if (!t->value.set) {
            return CKR_TEMPLATE_INCOMPLETE;
        }
        if (t->value.len == 0u || t->value.len > IOT_KEY_PSK_MAX) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        opts.label = t->label;
        return p11_from_status(iot_key_import_psk(t->value.p, t->value.len, &opts, id));
    }
    if (t->key_type != CKK_EC) {
        return CKR_ATTRIBUTE_VALUE_INVALID; /* RSA keys come in through iot-provision */
    }
    rv = tmpl_curve(&t->ec_params, &type);
    if (rv == CKR_OK) {
        rv = tmpl_check_bools(t, t->cls, type, &usage);
    }
    if (rv != CKR_OK) {
        return rv;
    }
    return (t->cls == CKO_PRIVATE_KEY) ? create_ec_private(t, type, usage, id)
                                       : create_ec_public(t, type, id);
}

/* A certificate's CKA_VALUE must be an X.509 certificate whose serial
 * number, issuer and subject can be found: the token derives those three
 * attributes from it on every read (PKCS#11 v2.40 4.6.3 has the
 * application supply CKA_SUBJECT; here it may, and then it, like
 * CKA_ISSUER and CKA_SERIAL_NUMBER, must equal what the certificate says,
 * because the token cannot keep a different value). */
static CK_RV check_cert(const tmpl_t *t)
{
    iot_der_t fields[3];
    size_t i;

    if (t->value.len == 0u || cert_fields(t->value.p, t->value.len, fields) != IOT_OK) {
        IOT_LOGW(LOG_MOD, "CKA_VALUE is not an X.509 certificate");
        return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    for (i = 0; i < 3u; i++) {
        size_t n = (size_t)(fields[i].end - fields[i].p);
        if (t->cert_attr[i].set &&
            (t->cert_attr[i].len != n ||
             (n > 0u && memcmp(t->cert_attr[i].p, fields[i].p, n) != 0))) {
            IOT_LOGW(LOG_MOD, "certificate attribute %u differs from CKA_VALUE", (unsigned)i);
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
    }
    return CKR_OK;
}

static CK_RV create_stored(const tmpl_t *t, iot_key_id_t *id)
{
    uint32_t usage = 0;
    CK_RV rv = tmpl_check_bools(t, t->cls, IOT_KEY_TYPE_NONE, &usage);

    if (rv != CKR_OK) {
        return rv;
    }
    if (t->label[0] == '\0') {
        return CKR_TEMPLATE_INCOMPLETE; /* stored objects are named by their label */
    }
    if (t->cls == CKO_CERTIFICATE) {
        if (!t->has_cert_type || !t->value.set) {
            return CKR_TEMPLATE_INCOMPLETE;
        }
        if (t->cert_type != CKC_X_509) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
        rv = check_cert(t);
        if (rv != CKR_OK) {
            return rv;
        }
        return p11_from_status(iot_keystore_save(IOT_OBJ_CERTIFICATE, t->label, t->value.p,
                                                 t->value.len, 0u, id));
    }
    if (t->app.set) {
        return CKR_ATTRIBUTE_VALUE_INVALID; /* the store keeps no application name */
    }
    return p11_from_status(iot_keystore_save(IOT_OBJ_DATA, t->label, t->value.p, t->value.len,
                                             0u, id));
}

/* Writes need a read/write session. */
static CK_RV check_rw(const p11_session_t *s)
{
    return ((s->flags & CKF_RW_SESSION) != 0u) ? CKR_OK : CKR_SESSION_READ_ONLY;
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject)
{
    p11_session_t *s;
    tmpl_t t;
    iot_key_id_t id = IOT_KEY_ID_NONE;
    CK_RV rv;

    if (phObject == NULL || (pTemplate == NULL && ulCount > 0u)) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    rv = check_rw(s);
    if (rv == CKR_OK) {
        rv = tmpl_parse(pTemplate, ulCount, &t);
    }
    if (rv == CKR_OK && !t.has_class) {
        rv = CKR_TEMPLATE_INCOMPLETE;
    }
    if (rv != CKR_OK) {
        return p11_leave(rv);
    }
    switch (t.cls) {
    case CKO_PRIVATE_KEY:
    case CKO_SECRET_KEY:
        rv = p11_logged_in() ? create_key(&t, &id) : CKR_USER_NOT_LOGGED_IN;
        break;
    case CKO_PUBLIC_KEY:
        rv = create_key(&t, &id);
        break;
    case CKO_CERTIFICATE:
    case CKO_DATA:
        rv = create_stored(&t, &id);
        break;
    default:
        rv = CKR_ATTRIBUTE_VALUE_INVALID;
        break;
    }
    if (rv == CKR_OK) {
        rv = set_id(id, &t.id);
    }
    if (rv == CKR_OK) {
        *phObject = id;
    }
    mbedtls_platform_zeroize(g_attr, sizeof(g_attr));
    return p11_leave(rv);
}

/* Check one half of a key pair template. */
static CK_RV pair_template(const tmpl_t *t, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt)
{
    if ((t->has_class && t->cls != cls) || (t->has_key_type && t->key_type != kt)) {
        return CKR_TEMPLATE_INCONSISTENT;
    }
    if (t->value.set || t->ec_point.set || t->app.set) {
        return CKR_TEMPLATE_INCONSISTENT; /* values come from the generator */
    }
    if (kt == CKK_EC && (t->has_modulus_bits || t->public_exponent.set)) {
        return CKR_TEMPLATE_INCONSISTENT;
    }
    if (kt == CKK_RSA && t->ec_params.set) {
        return CKR_TEMPLATE_INCONSISTENT;
    }
    return CKR_OK;
}

/* The RSA key type a public key template asks for: CKA_MODULUS_BITS 2048 or
 * 3072, and CKA_PUBLIC_EXPONENT, if given, 65537. */
static CK_RV tmpl_rsa(const tmpl_t *pub, iot_key_type_t *type)
{
    const bytes_t *e = &pub->public_exponent;
    size_t skip = 0;

    if (!pub->has_modulus_bits) {
        return CKR_TEMPLATE_INCOMPLETE;
    }
    if (pub->modulus_bits == 2048u) {
        *type = IOT_KEY_TYPE_RSA_2048;
    } else if (pub->modulus_bits == 3072u) {
        *type = IOT_KEY_TYPE_RSA_3072;
    } else {
        return CKR_KEY_SIZE_RANGE;
    }
    if (e->set) {
        while (skip < e->len && e->p[skip] == 0u) {
            skip++; /* leading zero bytes do not change the number */
        }
        if (e->len - skip != sizeof(k_f4) || memcmp(e->p + skip, k_f4, sizeof(k_f4)) != 0) {
            return CKR_ATTRIBUTE_VALUE_INVALID;
        }
    }
    return CKR_OK;
}

static CK_RV generate_pair(CK_MECHANISM_TYPE mech, const tmpl_t *pub, const tmpl_t *priv,
                           CK_OBJECT_HANDLE_PTR phPub, CK_OBJECT_HANDLE_PTR phPriv)
{
    CK_KEY_TYPE kt = (mech == CKM_RSA_PKCS_KEY_PAIR_GEN) ? CKK_RSA : CKK_EC;
    iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
    iot_key_type_t type = IOT_KEY_TYPE_NONE;
    iot_key_id_t priv_id = IOT_KEY_ID_NONE;
    iot_key_id_t pub_id = IOT_KEY_ID_NONE;
    static uint8_t spki[600]; /* an RSA-3072 SubjectPublicKeyInfo is 422 bytes */
    size_t spki_len = 0;
    uint32_t usage = 0;
    uint32_t unused = 0;
    CK_RV rv;

    rv = pair_template(pub, CKO_PUBLIC_KEY, kt);
    if (rv == CKR_OK) {
        rv = pair_template(priv, CKO_PRIVATE_KEY, kt);
    }
    if (rv == CKR_OK && kt == CKK_RSA) {
        rv = tmpl_rsa(pub, &type);
    } else if (rv == CKR_OK) {
        rv = tmpl_curve(pub->ec_params.set ? &pub->ec_params : &priv->ec_params, &type);
    }
    if (rv == CKR_OK) {
        rv = tmpl_check_bools(pub, CKO_PUBLIC_KEY, type, &unused);
    }
    if (rv == CKR_OK) {
        rv = tmpl_check_bools(priv, CKO_PRIVATE_KEY, type, &usage);
    }
    if (rv != CKR_OK) {
        return rv;
    }
    opts.label = priv->label;
    opts.usage = usage;
    rv = p11_from_status(iot_key_generate(type, &opts, &priv_id));
    if (rv == CKR_OK) {
        rv = set_id(priv_id, &priv->id);
    }
    if (rv != CKR_OK) {
        return rv;
    }
    opts.label = pub->label;
    opts.usage = 0u;
    rv = p11_from_status(iot_key_export_public(priv_id, IOT_KEY_FORMAT_DER, spki, sizeof(spki),
                                               &spki_len));
    if (rv == CKR_OK) {
        rv = p11_from_status(iot_key_import_public(spki, spki_len, &opts, &pub_id));
    }
    if (rv == CKR_OK) {
        rv = set_id(pub_id, &pub->id);
    }
    if (rv != CKR_OK) {
        (void)iot_keystore_destroy(priv_id); /* no half pairs */
        return rv;
    }
    *phPub = pub_id;
    *phPriv = priv_id;
    return CKR_OK;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                        CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                        CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                        CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey)
{
    static tmpl_t pub; /* static: two templates are large for a small stack */
    static tmpl_t priv;
    p11_session_t *s;
    CK_RV rv;

    if (pMechanism == NULL || phPublicKey == NULL || phPrivateKey == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    if (pMechanism->mechanism != CKM_EC_KEY_PAIR_GEN &&
        pMechanism->mechanism != CKM_RSA_PKCS_KEY_PAIR_GEN) {
        return p11_leave(CKR_MECHANISM_INVALID);
    }
    if (pMechanism->pParameter != NULL || pMechanism->ulParameterLen != 0u) {
        return p11_leave(CKR_MECHANISM_PARAM_INVALID);
    }
    rv = check_rw(s);
    if (rv == CKR_OK && !p11_logged_in()) {
        rv = CKR_USER_NOT_LOGGED_IN;
    }
    if (rv == CKR_OK) {
        rv = tmpl_parse(pPublicKeyTemplate, ulPublicKeyAttributeCount, &pub);
    }
    if (rv == CKR_OK) {
        rv = tmpl_parse(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, &priv);
    }
    if (rv == CKR_OK) {
        rv = generate_pair(pMechanism->mechanism, &pub, &priv, phPublicKey, phPrivateKey);
    }
    mbedtls_platform_zeroize(g_attr, sizeof(g_attr));
    return p11_leave(rv);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    p11_session_t *s;
    p11_obj_t o;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    rv = p11_obj_get(hObject, &o);
    if (rv == CKR_OK) {
        rv = check_rw(s);
    }
    if (rv == CKR_OK) {
        rv = p11_from_status(iot_keystore_destroy(o.info.id));
    }
    return p11_leave(rv);
}
