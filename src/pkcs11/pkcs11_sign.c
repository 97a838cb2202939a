/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#11 signing and verification by key id in the key store: CKM_ECDSA
 * (the caller hashed), CKM_ECDSA_SHA256/384/512 and CKM_SHA256/384/512_RSA_PKCS
 * (single- or multi-part). ECDSA signatures are r || s, each as long as the
 * curve order, which is both what PKCS#11 specifies and what PSA Crypto
 * produces; RSA signatures are as long as the modulus.
 */
#include <string.h>

#include "iot_internal.h"
#include "iot_pkcs11_internal.h"
#include "keys/iot_keys_internal.h"

/* The signature mechanisms: the hash the module computes (0: the caller
 * did), the store's algorithm, and whether the key is RSA. */
static const struct {
    CK_MECHANISM_TYPE mech;
    psa_algorithm_t hash;
    iot_sign_alg_t alg;
    bool rsa;
} k_sign_mechs[] = {
    { CKM_ECDSA, 0u, IOT_SIGN_DEFAULT, false },
    { CKM_ECDSA_SHA256, PSA_ALG_SHA_256, IOT_SIGN_ECDSA_SHA256, false },
    { CKM_ECDSA_SHA384, PSA_ALG_SHA_384, IOT_SIGN_ECDSA_SHA384, false },
    { CKM_ECDSA_SHA512, PSA_ALG_SHA_512, IOT_SIGN_ECDSA_SHA512, false },
    { CKM_SHA256_RSA_PKCS, PSA_ALG_SHA_256, IOT_SIGN_RSA_PKCS1_SHA256, true },
    { CKM_SHA384_RSA_PKCS, PSA_ALG_SHA_384, IOT_SIGN_RSA_PKCS1_SHA384, true },
    { CKM_SHA512_RSA_PKCS, PSA_ALG_SHA_512, IOT_SIGN_RSA_PKCS1_SHA512, true },
};
#define SIGN_MECH_COUNT (sizeof(k_sign_mechs) / sizeof(k_sign_mechs[0]))

static int sign_mech(CK_MECHANISM_TYPE mech)
{
    size_t i;

    for (i = 0; i < SIGN_MECH_COUNT; i++) {
        if (k_sign_mechs[i].mech == mech) {
            return (int)i;
        }
    }
    return -1;
}

/* Start a sign or verify operation on `op` with key `h`. */
static CK_RV op_init(p11_op_t *op, const CK_MECHANISM *m, CK_OBJECT_HANDLE h, bool sign)
{
    int mi = sign_mech(m->mechanism);
    p11_obj_t o;
    psa_status_t ps;
    CK_RV rv;

    if (op->state != OP_NONE) {
        return CKR_OPERATION_ACTIVE;
    }
    if (mi < 0) {
        return CKR_MECHANISM_INVALID;
    }
    if (m->pParameter != NULL || m->ulParameterLen != 0u) {
        return CKR_MECHANISM_PARAM_INVALID;
    }
    rv = p11_obj_get(h, &o);
    if (rv == CKR_OBJECT_HANDLE_INVALID) {
        return CKR_KEY_HANDLE_INVALID;
    }
    if (rv != CKR_OK) {
        return rv;
    }
    if (sign ? o.cls != CKO_PRIVATE_KEY : (o.cls != CKO_PUBLIC_KEY && o.cls != CKO_PRIVATE_KEY)) {
        return (o.cls == CKO_CERTIFICATE || o.cls == CKO_DATA) ? CKR_KEY_HANDLE_INVALID
                                                               : CKR_KEY_TYPE_INCONSISTENT;
    }
    if (k_sign_mechs[mi].rsa ? !iot_key_type_is_rsa(o.info.key_type)
                             : !iot_key_type_is_ec(o.info.key_type)) {
        return CKR_KEY_TYPE_INCONSISTENT;
    }
    if ((o.info.usage & (sign ? IOT_KEY_USAGE_SIGN : IOT_KEY_USAGE_VERIFY)) == 0u) {
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    }
    memset(op, 0, sizeof(*op));
    if (k_sign_mechs[mi].hash != 0u) {
        op->hash = psa_hash_operation_init();
        iot_keys_internal_lock();
        ps = psa_hash_setup(&op->hash, k_sign_mechs[mi].hash);
        iot_keys_internal_unlock();
        if (ps != PSA_SUCCESS) {
            return CKR_FUNCTION_FAILED;
        }
        op->hash_live = true;
    }
    op->state = OP_ACTIVE;
    op->mech = m->mechanism;
    op->key = o.info.id;
    return CKR_OK;
}

/* The hash to sign or verify, and the store's algorithm for it. CKM_ECDSA
 * takes the caller's hash as it is; its length picks the algorithm PSA is
 * told (ECDSA itself only uses the hash's leftmost bits). */
static CK_RV op_hash(p11_op_t *op, const uint8_t *data, size_t len, bool final, uint8_t *hash,
                     size_t *hash_len, iot_sign_alg_t *alg)
{
    int mi = sign_mech(op->mech);
    psa_algorithm_t h;
    size_t got = 0;
    psa_status_t ps;

    if (mi < 0) {
        return CKR_GENERAL_ERROR;
    }
    h = k_sign_mechs[mi].hash;
    if (h == 0u) {
        switch (len) {
        case 32u:
            *alg = IOT_SIGN_ECDSA_SHA256;
            break;
        case 48u:
            *alg = IOT_SIGN_ECDSA_SHA384;
            break;
        case 64u:
            *alg = IOT_SIGN_ECDSA_SHA512;
            break;
        default:
            return CKR_DATA_LEN_RANGE;
        }
        memcpy(hash, data, len);
        *hash_len = len;
        return CKR_OK;
    }
    *alg = k_sign_mechs[mi].alg;
    *hash_len = PSA_HASH_LENGTH(h);
    if (!final) {
        return p11_hash(h, data, len, hash);
    }
    iot_keys_internal_lock();
    ps = psa_hash_finish(&op->hash, hash, *hash_len, &got);
    iot_keys_internal_unlock();
    op->hash_live = false;
    return (ps == PSA_SUCCESS && got == *hash_len) ? CKR_OK : CKR_FUNCTION_FAILED;
}

static CK_RV op_update(p11_op_t *op, const uint8_t *part, size_t len)
{
    psa_status_t ps;

    if (!op->hash_live) {
        return CKR_DATA_LEN_RANGE; /* CKM_ECDSA is single-part only */
    }
    iot_keys_internal_lock();
    ps = psa_hash_update(&op->hash, part, len);
    iot_keys_internal_unlock();
    op->state = OP_UPDATING;
    return (ps == PSA_SUCCESS) ? CKR_OK : CKR_FUNCTION_FAILED;
}

static size_t sig_len_of(const p11_op_t *op)
{
    iot_key_info_t info = IOT_KEY_INFO_INIT;

    if (iot_keystore_get_info(op->key, &info) != IOT_OK) {
        return 0u;
    }
    return p11_sig_len(info.key_type);
}

/* Sign: the length protocol, then the signature; ends the operation
 * unless only the length was asked for or the buffer is short. */
static CK_RV sign_out(p11_op_t *op, const uint8_t *data, size_t len, bool final, CK_BYTE_PTR sig,
                      CK_ULONG_PTR sig_len)
{
    uint8_t hash[PSA_HASH_MAX_SIZE];
    size_t hash_len = 0;
    size_t out_len = 0;
    size_t need = sig_len_of(op);
    iot_sign_alg_t alg = IOT_SIGN_DEFAULT;
    CK_RV rv;

    if (need == 0u) {
        p11_op_end(op);
        return CKR_KEY_HANDLE_INVALID; /* destroyed since the operation began */
    }
    if (sig == NULL) {
        *sig_len = need;
        return CKR_OK;
    }
    if (*sig_len < need) {
        *sig_len = need;
        return CKR_BUFFER_TOO_SMALL;
    }
    rv = op_hash(op, data, len, final, hash, &hash_len, &alg);
    if (rv == CKR_OK) {
        rv = p11_from_status(iot_key_sign_hash(op->key, alg, hash, hash_len, sig, *sig_len,
                                               &out_len));
    }
    if (rv == CKR_OK) {
        *sig_len = out_len;
    }
    p11_op_end(op);
    return rv;
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    p11_session_t *s;
    CK_RV rv;

    if (pMechanism == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    return p11_leave(op_init(&s->sign, pMechanism, hKey, true));
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
             CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->sign.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (s->sign.state == OP_UPDATING) {
        return p11_leave(CKR_OPERATION_ACTIVE);
    }
    if (pulSignatureLen == NULL || (pData == NULL && ulDataLen > 0u)) {
        p11_op_end(&s->sign);
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    return p11_leave(sign_out(&s->sign, pData, ulDataLen, false, pSignature, pulSignatureLen));
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->sign.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    rv = (pPart == NULL && ulPartLen > 0u) ? CKR_ARGUMENTS_BAD
                                           : op_update(&s->sign, pPart, ulPartLen);
    if (rv != CKR_OK) {
        p11_op_end(&s->sign);
    }
    return p11_leave(rv);
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature,
                  CK_ULONG_PTR pulSignatureLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->sign.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (pulSignatureLen == NULL || s->sign.mech == CKM_ECDSA) {
        p11_op_end(&s->sign);
        return p11_leave(pulSignatureLen == NULL ? CKR_ARGUMENTS_BAD : CKR_OPERATION_ACTIVE);
    }
    return p11_leave(sign_out(&s->sign, NULL, 0u, true, pSignature, pulSignatureLen));
}

/* Verify and end the operation. */
static CK_RV verify_out(p11_op_t *op, const uint8_t *data, size_t len, bool final,
                        const uint8_t *sig, size_t sig_len)
{
    uint8_t hash[PSA_HASH_MAX_SIZE];
    size_t hash_len = 0;
    size_t need = sig_len_of(op);
    iot_sign_alg_t alg = IOT_SIGN_DEFAULT;
    CK_RV rv;

    if (need == 0u) {
        rv = CKR_KEY_HANDLE_INVALID;
    } else if (sig_len != need) {
        rv = CKR_SIGNATURE_LEN_RANGE;
    } else {
        rv = op_hash(op, data, len, final, hash, &hash_len, &alg);
    }
    if (rv == CKR_OK) {
        rv = p11_from_status(iot_key_verify_hash(op->key, alg, hash, hash_len, sig, sig_len));
    }
    p11_op_end(op);
    return rv;
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    p11_session_t *s;
    CK_RV rv;

    if (pMechanism == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    return p11_leave(op_init(&s->verify, pMechanism, hKey, false));
}

CK_RV C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->verify.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (s->verify.state == OP_UPDATING) {
        return p11_leave(CKR_OPERATION_ACTIVE);
    }
    if (pSignature == NULL || (pData == NULL && ulDataLen > 0u)) {
        p11_op_end(&s->verify);
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    return p11_leave(verify_out(&s->verify, pData, ulDataLen, false, pSignature, ulSignatureLen));
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->verify.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    rv = (pPart == NULL && ulPartLen > 0u) ? CKR_ARGUMENTS_BAD
                                           : op_update(&s->verify, pPart, ulPartLen);
    if (rv != CKR_OK) {
        p11_op_end(&s->verify);
    }
    return p11_leave(rv);
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->verify.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (pSignature == NULL || s->verify.mech == CKM_ECDSA) {
        p11_op_end(&s->verify);
        return p11_leave(pSignature == NULL ? CKR_ARGUMENTS_BAD : CKR_OPERATION_ACTIVE);
    }
    return p11_leave(verify_out(&s->verify, NULL, 0u, true, pSignature, ulSignatureLen));
}
