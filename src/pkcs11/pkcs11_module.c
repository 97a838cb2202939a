/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PKCS#11 v2.40 module over the key store: library, slot, token, sessions,
 * login, digest, random, the function list, and CKR_FUNCTION_NOT_SUPPORTED
 * for the functions the module does not offer.
 *
 * One slot (id 0) holds one token: the key store. Sessions come from a
 * static table of IOT_CONFIG_PKCS11_MAX_SESSIONS entries. The login state
 * belongs to the application, as PKCS#11 says: logging in on one session
 * logs in all of them. One module lock serialises every call; key store
 * and PSA calls made under it take the store's own lock after it.
 */
#include <stdatomic.h>
#include <string.h>

#include <corstone_iot/port.h>

#include "iot_internal.h"
#include "iot_pkcs11_internal.h"
#include "keys/iot_keys_internal.h"

#include <mbedtls/platform_util.h>

#define LOG_MOD "pkcs11"

_Static_assert(IOT_CONFIG_PKCS11_MAX_SESSIONS >= 1 && IOT_CONFIG_PKCS11_MAX_SESSIONS <= 1024,
               "IOT_CONFIG_PKCS11_MAX_SESSIONS out of range");
_Static_assert(IOT_CONFIG_PKCS11_MAX_PIN_LEN >= 4 && IOT_CONFIG_PKCS11_MAX_PIN_LEN <= 255,
               "IOT_CONFIG_PKCS11_MAX_PIN_LEN out of range");

#define PIN_MIN_LEN 4u

static p11_session_t g_sessions[IOT_CONFIG_PKCS11_MAX_SESSIONS];
static bool g_initialized;
static bool g_token_present;
static bool g_started_store; /* C_Finalize stops the store only if C_Initialize started it */
static bool g_logged_in;
static CK_SESSION_HANDLE g_next_handle = 1u;
static uint8_t g_pin[IOT_CONFIG_PKCS11_MAX_PIN_LEN];
static size_t g_pin_len; /* 0: no PIN configured */

static iot_port_mutex_t g_lock;
static atomic_int g_lock_state; /* 0 none, 1 being created, 2 ready */

/* ---- Lock and entry ---------------------------------------------------------- */

static void lock(void)
{
    int expected = 0;

    if (atomic_load(&g_lock_state) != 2) {
        if (atomic_compare_exchange_strong(&g_lock_state, &expected, 1)) {
            if (iot_port_mutex_init(&g_lock) != IOT_OK) {
                IOT_LOGE(LOG_MOD, "cannot create the module lock");
            }
            atomic_store(&g_lock_state, 2);
        } else {
            while (atomic_load(&g_lock_state) != 2) {
                iot_port_sleep_ms(1);
            }
        }
    }
    iot_port_mutex_lock(&g_lock);
}

CK_RV p11_leave(CK_RV rv)
{
    iot_port_mutex_unlock(&g_lock);
    return rv;
}

CK_RV p11_enter(void)
{
    lock();
    if (!g_initialized) {
        return p11_leave(CKR_CRYPTOKI_NOT_INITIALIZED);
    }
    return CKR_OK;
}

static p11_session_t *find_session(CK_SESSION_HANDLE h)
{
    size_t i;

    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        if (g_sessions[i].used && g_sessions[i].handle == h) {
            return &g_sessions[i];
        }
    }
    return NULL;
}

CK_RV p11_enter_session(CK_SESSION_HANDLE h, p11_session_t **s)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK) {
        return rv;
    }
    *s = find_session(h);
    if (*s == NULL) {
        return p11_leave(CKR_SESSION_HANDLE_INVALID);
    }
    return CKR_OK;
}

bool p11_logged_in(void)
{
    return g_logged_in;
}

void p11_op_end(p11_op_t *op)
{
    if (op->hash_live) {
        iot_keys_internal_lock();
        (void)psa_hash_abort(&op->hash);
        iot_keys_internal_unlock();
    }
    memset(op, 0, sizeof(*op));
}

static void session_close(p11_session_t *s)
{
    p11_op_end(&s->sign);
    p11_op_end(&s->verify);
    p11_op_end(&s->digest);
    memset(s, 0, sizeof(*s));
}

static size_t open_sessions(void)
{
    size_t n = 0;
    size_t i;

    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        n += g_sessions[i].used ? 1u : 0u;
    }
    return n;
}

CK_RV p11_from_status(iot_status_t st)
{
    switch (st) {
    case IOT_OK:
        return CKR_OK;
    case IOT_ERR_NOT_FOUND:
        return CKR_OBJECT_HANDLE_INVALID;
    case IOT_ERR_INVALID_ARG:
        return CKR_ARGUMENTS_BAD;
    case IOT_ERR_ALREADY_EXISTS:
        return CKR_TEMPLATE_INCONSISTENT; /* labels are unique within a class */
    case IOT_ERR_BAD_LABEL:
    case IOT_ERR_BAD_FORMAT:
    case IOT_ERR_TRUNCATED:
    case IOT_ERR_BAD_PEM:
    case IOT_ERR_WRONG_KEY_TYPE:
        return CKR_ATTRIBUTE_VALUE_INVALID;
    case IOT_ERR_UNSUPPORTED_KEY:
        return CKR_CURVE_NOT_SUPPORTED;
    case IOT_ERR_STORAGE_FULL:
    case IOT_ERR_NO_MEMORY:
        return CKR_DEVICE_MEMORY;
    case IOT_ERR_NOT_PERMITTED:
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    case IOT_ERR_BAD_SIGNATURE:
        return CKR_SIGNATURE_INVALID;
    case IOT_ERR_BUFFER_TOO_SMALL:
        return CKR_BUFFER_TOO_SMALL;
    case IOT_ERR_ENTROPY:
    case IOT_ERR_CRYPTO:
        return CKR_FUNCTION_FAILED;
    case IOT_ERR_STORAGE_CORRUPT:
    case IOT_ERR_IO:
    default:
        return CKR_DEVICE_ERROR;
    }
}

/* Copy a string into a blank-padded, unterminated PKCS#11 text field. */
static void pad_copy(CK_UTF8CHAR *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    memset(dst, ' ', cap);
    memcpy(dst, src, n < cap ? n : cap);
}

/* ---- Library ------------------------------------------------------------------- */

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    const char *pin = NULL;
    size_t pin_len = 0;
    iot_status_t st;

    if (pInitArgs != NULL) {
        const CK_C_INITIALIZE_ARGS *a = pInitArgs;
        bool any = a->CreateMutex != NULL || a->DestroyMutex != NULL || a->LockMutex != NULL ||
                   a->UnlockMutex != NULL;
        bool all = a->CreateMutex != NULL && a->DestroyMutex != NULL && a->LockMutex != NULL &&
                   a->UnlockMutex != NULL;
        if (a->pReserved != NULL || (any && !all)) {
            return CKR_ARGUMENTS_BAD;
        }
        /* The module locks with the port's mutexes; it cannot use the
         * application's instead. */
        if (all && (a->flags & CKF_OS_LOCKING_OK) == 0u) {
            return CKR_CANT_LOCK;
        }
    }
    lock();
    if (g_initialized) {
        return p11_leave(CKR_CRYPTOKI_ALREADY_INITIALIZED);
    }
    memset(g_sessions, 0, sizeof(g_sessions));
    g_logged_in = false;
    g_pin_len = 0;
    g_token_present = false;
    g_started_store = false;
    st = iot_pkcs11_platform_init(&pin, &pin_len);
    if (st == IOT_OK) {
        iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
        /* Firmware that links the module may have started the store itself. */
        g_started_store = iot_keystore_get_stats(&stats) == IOT_ERR_BAD_STATE;
        st = iot_keystore_init();
        if (st != IOT_OK) {
            IOT_LOGE(LOG_MOD, "key store cannot start: %s; the token is absent",
                     iot_status_name(st));
        }
    } else {
        IOT_LOGW(LOG_MOD, "no key store configured (%s); the token is absent",
                 iot_status_name(st));
    }
    g_token_present = (st == IOT_OK);
    if (pin != NULL && pin_len >= PIN_MIN_LEN && pin_len <= sizeof(g_pin)) {
        memcpy(g_pin, pin, pin_len);
        g_pin_len = pin_len;
    } else if (pin != NULL) {
        IOT_LOGW(LOG_MOD, "the configured PIN is not %u to %u bytes long; login is disabled",
                 (unsigned)PIN_MIN_LEN, (unsigned)sizeof(g_pin));
    }
    g_initialized = true;
    return p11_leave(CKR_OK);
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    size_t i;
    CK_RV rv;

    if (pReserved != NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter();
    if (rv != CKR_OK) {
        return rv;
    }
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        if (g_sessions[i].used) {
            session_close(&g_sessions[i]);
        }
    }
    if (g_token_present && g_started_store) {
        iot_keystore_deinit();
    }
    mbedtls_platform_zeroize(g_pin, sizeof(g_pin));
    g_pin_len = 0;
    g_logged_in = false;
    g_token_present = false;
    g_initialized = false;
    return p11_leave(CKR_OK);
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    CK_RV rv;

    if (pInfo == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter();
    if (rv != CKR_OK) {
        return rv;
    }
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion.major = 2;
    pInfo->cryptokiVersion.minor = 40;
    pad_copy(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "corstone-iot");
    pad_copy(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
             "corstone-iot key store");
    pInfo->libraryVersion.major = 0;
    pInfo->libraryVersion.minor = 1;
    return p11_leave(CKR_OK);
}

/* ---- Slot and token -------------------------------------------------------------- */

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
    CK_ULONG n;
    CK_RV rv;

    if (pulCount == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter();
    if (rv != CKR_OK) {
        return rv;
    }
    n = (tokenPresent != CK_FALSE && !g_token_present) ? 0u : 1u;
    if (pSlotList != NULL) {
        if (*pulCount < n) {
            *pulCount = n;
            return p11_leave(CKR_BUFFER_TOO_SMALL);
        }
        if (n == 1u) {
            pSlotList[0] = IOT_P11_SLOT_ID;
        }
    }
    *pulCount = n;
    return p11_leave(CKR_OK);
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    CK_RV rv;

    if (pInfo == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter();
    if (rv != CKR_OK) {
        return rv;
    }
    if (slotID != IOT_P11_SLOT_ID) {
        return p11_leave(CKR_SLOT_ID_INVALID);
    }
    memset(pInfo, 0, sizeof(*pInfo));
    pad_copy(pInfo->slotDescription, sizeof(pInfo->slotDescription), "corstone-iot key store");
    pad_copy(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "corstone-iot");
    pInfo->flags = g_token_present ? CKF_TOKEN_PRESENT : 0u;
    pInfo->hardwareVersion.major = 0;
    pInfo->firmwareVersion.major = 0;
    pInfo->firmwareVersion.minor = 1;
    return p11_leave(CKR_OK);
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    CK_ULONG rw = 0;
    size_t i;
    CK_RV rv;

    if (pInfo == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter();
    if (rv != CKR_OK) {
        return rv;
    }
    if (slotID != IOT_P11_SLOT_ID) {
        return p11_leave(CKR_SLOT_ID_INVALID);
    }
    if (!g_token_present) {
        return p11_leave(CKR_TOKEN_NOT_PRESENT);
    }
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        rw += (g_sessions[i].used && (g_sessions[i].flags & CKF_RW_SESSION) != 0u) ? 1u : 0u;
    }
    (void)iot_keystore_get_stats(&stats);
    memset(pInfo, 0, sizeof(*pInfo));
    pad_copy(pInfo->label, sizeof(pInfo->label), "corstone-iot");
    pad_copy(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "corstone-iot");
    pad_copy(pInfo->model, sizeof(pInfo->model), "key store");
    pad_copy((CK_UTF8CHAR *)pInfo->serialNumber, sizeof(pInfo->serialNumber), "1");
    pInfo->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED;
    if (g_pin_len > 0u) {
        pInfo->flags |= CKF_USER_PIN_INITIALIZED;
    }
    pInfo->ulMaxSessionCount = IOT_CONFIG_PKCS11_MAX_SESSIONS;
    pInfo->ulSessionCount = open_sessions();
    pInfo->ulMaxRwSessionCount = IOT_CONFIG_PKCS11_MAX_SESSIONS;
    pInfo->ulRwSessionCount = rw;
    pInfo->ulMaxPinLen = sizeof(g_pin);
    pInfo->ulMinPinLen = PIN_MIN_LEN;
    pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->hardwareVersion.major = 0;
    pInfo->firmwareVersion.minor = 1;
    return p11_leave(CKR_OK);
}

/* Mechanisms, in the order C_GetMechanismList reports them. */
#define EC_FLAGS (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
static const struct {
    CK_MECHANISM_TYPE type;
    CK_MECHANISM_INFO info;
} k_mechs[] = {
    { CKM_EC_KEY_PAIR_GEN, { 256, 384, CKF_GENERATE_KEY_PAIR | EC_FLAGS } },
    { CKM_ECDSA, { 256, 384, CKF_SIGN | CKF_VERIFY | EC_FLAGS } },
    { CKM_ECDSA_SHA256, { 256, 384, CKF_SIGN | CKF_VERIFY | EC_FLAGS } },
    { CKM_ECDSA_SHA384, { 256, 384, CKF_SIGN | CKF_VERIFY | EC_FLAGS } },
    { CKM_ECDSA_SHA512, { 256, 384, CKF_SIGN | CKF_VERIFY | EC_FLAGS } },
    { CKM_RSA_PKCS_KEY_PAIR_GEN, { 2048, 3072, CKF_GENERATE_KEY_PAIR } },
    { CKM_SHA256_RSA_PKCS, { 2048, 4096, CKF_SIGN | CKF_VERIFY } },
    { CKM_SHA384_RSA_PKCS, { 2048, 4096, CKF_SIGN | CKF_VERIFY } },
    { CKM_SHA512_RSA_PKCS, { 2048, 4096, CKF_SIGN | CKF_VERIFY } },
    { CKM_SHA256, { 0, 0, CKF_DIGEST } },
    { CKM_SHA384, { 0, 0, CKF_DIGEST } },
    { CKM_SHA512, { 0, 0, CKF_DIGEST } },
};
#define MECH_COUNT (sizeof(k_mechs) / sizeof(k_mechs[0]))

static CK_RV enter_slot(CK_SLOT_ID slotID)
{
    CK_RV rv = p11_enter();

    if (rv != CKR_OK) {
        return rv;
    }
    if (slotID != IOT_P11_SLOT_ID) {
        return p11_leave(CKR_SLOT_ID_INVALID);
    }
    if (!g_token_present) {
        return p11_leave(CKR_TOKEN_NOT_PRESENT);
    }
    return CKR_OK;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                         CK_ULONG_PTR pulCount)
{
    size_t i;
    CK_RV rv;

    if (pulCount == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = enter_slot(slotID);
    if (rv != CKR_OK) {
        return rv;
    }
    if (pMechanismList != NULL) {
        if (*pulCount < MECH_COUNT) {
            *pulCount = MECH_COUNT;
            return p11_leave(CKR_BUFFER_TOO_SMALL);
        }
        for (i = 0; i < MECH_COUNT; i++) {
            pMechanismList[i] = k_mechs[i].type;
        }
    }
    *pulCount = MECH_COUNT;
    return p11_leave(CKR_OK);
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
    size_t i;
    CK_RV rv;

    if (pInfo == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = enter_slot(slotID);
    if (rv != CKR_OK) {
        return rv;
    }
    for (i = 0; i < MECH_COUNT; i++) {
        if (k_mechs[i].type == type) {
            *pInfo = k_mechs[i].info;
            return p11_leave(CKR_OK);
        }
    }
    return p11_leave(CKR_MECHANISM_INVALID);
}

/* ---- Sessions ---------------------------------------------------------------------- */

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession)
{
    p11_session_t *s = NULL;
    size_t i;
    CK_RV rv;

    (void)pApplication;
    (void)Notify; /* the module never calls back */
    if (phSession == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = enter_slot(slotID);
    if (rv != CKR_OK) {
        return rv;
    }
    if ((flags & CKF_SERIAL_SESSION) == 0u) {
        return p11_leave(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    }
    if ((flags & ~(CKF_SERIAL_SESSION | CKF_RW_SESSION)) != 0u) {
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS && s == NULL; i++) {
        if (!g_sessions[i].used) {
            s = &g_sessions[i];
        }
    }
    if (s == NULL) {
        return p11_leave(CKR_SESSION_COUNT);
    }
    memset(s, 0, sizeof(*s));
    s->used = true;
    s->flags = flags;
    s->handle = g_next_handle++;
    if (g_next_handle == 0u) {
        g_next_handle = 1u;
    }
    *phSession = s->handle;
    return p11_leave(CKR_OK);
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    session_close(s);
    if (open_sessions() == 0u) {
        g_logged_in = false; /* closing the last session logs out */
    }
    return p11_leave(CKR_OK);
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    size_t i;
    CK_RV rv = enter_slot(slotID);

    if (rv != CKR_OK) {
        return rv;
    }
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        if (g_sessions[i].used) {
            session_close(&g_sessions[i]);
        }
    }
    g_logged_in = false;
    return p11_leave(CKR_OK);
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    p11_session_t *s;
    CK_RV rv;
    bool rw;

    if (pInfo == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    rw = (s->flags & CKF_RW_SESSION) != 0u;
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->slotID = IOT_P11_SLOT_ID;
    if (g_logged_in) {
        pInfo->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    } else {
        pInfo->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    }
    pInfo->flags = s->flags;
    pInfo->ulDeviceError = 0;
    return p11_leave(CKR_OK);
}

/* ---- Login ----------------------------------------------------------------------------- */

/* Compare without an early exit, so the time taken does not reveal how
 * much of a guess was right. */
static bool pin_equal(const uint8_t *pin, size_t len)
{
    uint8_t diff = (uint8_t)(len != g_pin_len);
    size_t i;

    for (i = 0; i < g_pin_len; i++) {
        diff |= (uint8_t)(g_pin[i] ^ (i < len ? pin[i] : 0u));
    }
    return diff == 0u;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
              CK_ULONG ulPinLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (userType == CKU_CONTEXT_SPECIFIC) {
        /* No key needs authentication per use. */
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    /* There is no security officer: the PIN is configured, not set
     * through the token, so CKU_SO is not a user type of this token. */
    if (userType != CKU_USER) {
        return p11_leave(CKR_USER_TYPE_INVALID);
    }
    if (g_logged_in) {
        return p11_leave(CKR_USER_ALREADY_LOGGED_IN);
    }
    if (g_pin_len == 0u) {
        return p11_leave(CKR_USER_PIN_NOT_INITIALIZED);
    }
    if (pPin == NULL && ulPinLen > 0u) {
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    if (ulPinLen < PIN_MIN_LEN || ulPinLen > sizeof(g_pin)) {
        return p11_leave(CKR_PIN_LEN_RANGE);
    }
    if (!pin_equal(pPin, ulPinLen)) {
        IOT_LOGW(LOG_MOD, "login refused: wrong PIN");
        return p11_leave(CKR_PIN_INCORRECT);
    }
    g_logged_in = true;
    return p11_leave(CKR_OK);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    p11_session_t *s;
    size_t i;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (!g_logged_in) {
        return p11_leave(CKR_USER_NOT_LOGGED_IN);
    }
    /* Operations on private keys may not outlive the login. */
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        if (g_sessions[i].used) {
            p11_op_end(&g_sessions[i].sign);
            p11_op_end(&g_sessions[i].verify);
            g_sessions[i].finding = false;
        }
    }
    g_logged_in = false;
    return p11_leave(CKR_OK);
}

/* ---- Digest ------------------------------------------------------------------------------ */

psa_algorithm_t p11_digest_alg(CK_MECHANISM_TYPE mech)
{
    switch (mech) {
    case CKM_SHA256:
        return PSA_ALG_SHA_256;
    case CKM_SHA384:
        return PSA_ALG_SHA_384;
    case CKM_SHA512:
        return PSA_ALG_SHA_512;
    default:
        return 0;
    }
}

CK_RV p11_hash(psa_algorithm_t alg, const uint8_t *data, size_t len, uint8_t *out)
{
    size_t got = 0;
    psa_status_t ps;

    iot_keys_internal_lock();
    ps = psa_hash_compute(alg, data, len, out, PSA_HASH_LENGTH(alg), &got);
    iot_keys_internal_unlock();
    return (ps == PSA_SUCCESS && got == PSA_HASH_LENGTH(alg)) ? CKR_OK : CKR_FUNCTION_FAILED;
}

CK_RV C_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism)
{
    p11_session_t *s;
    psa_algorithm_t alg;
    psa_status_t ps;
    CK_RV rv;

    if (pMechanism == NULL) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    if (s->digest.state != OP_NONE) {
        return p11_leave(CKR_OPERATION_ACTIVE);
    }
    alg = p11_digest_alg(pMechanism->mechanism);
    if (alg == 0u) {
        return p11_leave(CKR_MECHANISM_INVALID);
    }
    if (pMechanism->pParameter != NULL || pMechanism->ulParameterLen != 0u) {
        return p11_leave(CKR_MECHANISM_PARAM_INVALID);
    }
    s->digest.hash = psa_hash_operation_init();
    iot_keys_internal_lock();
    ps = psa_hash_setup(&s->digest.hash, alg);
    iot_keys_internal_unlock();
    if (ps != PSA_SUCCESS) {
        p11_op_end(&s->digest);
        return p11_leave(CKR_FUNCTION_FAILED);
    }
    s->digest.hash_live = true;
    s->digest.state = OP_ACTIVE;
    s->digest.mech = pMechanism->mechanism;
    return p11_leave(CKR_OK);
}

static CK_RV digest_update(p11_session_t *s, const uint8_t *part, size_t len)
{
    psa_status_t ps;

    iot_keys_internal_lock();
    ps = psa_hash_update(&s->digest.hash, part, len);
    iot_keys_internal_unlock();
    if (ps != PSA_SUCCESS) {
        p11_op_end(&s->digest);
        return CKR_FUNCTION_FAILED;
    }
    return CKR_OK;
}

/* The length protocol of every C_* that returns bytes: NULL asks for the
 * length, a short buffer gets CKR_BUFFER_TOO_SMALL; both keep the operation. */
static CK_RV length_check(CK_BYTE_PTR out, CK_ULONG_PTR out_len, CK_ULONG need, bool *done)
{
    *done = true;
    if (out == NULL) {
        *out_len = need;
        return CKR_OK;
    }
    if (*out_len < need) {
        *out_len = need;
        return CKR_BUFFER_TOO_SMALL;
    }
    *done = false;
    return CKR_OK;
}

static size_t digest_len(const p11_session_t *s)
{
    return PSA_HASH_LENGTH(p11_digest_alg(s->digest.mech));
}

static CK_RV digest_finish(p11_session_t *s, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    size_t need = digest_len(s);
    size_t got = 0;
    psa_status_t ps;

    iot_keys_internal_lock();
    ps = psa_hash_finish(&s->digest.hash, pDigest, need, &got);
    iot_keys_internal_unlock();
    s->digest.hash_live = false;
    p11_op_end(&s->digest);
    if (ps != PSA_SUCCESS || got != need) {
        return CKR_FUNCTION_FAILED;
    }
    *pulDigestLen = need;
    return CKR_OK;
}

CK_RV C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen,
               CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    p11_session_t *s;
    bool done;
    CK_RV rv;

    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    if (s->digest.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (s->digest.state == OP_UPDATING) {
        return p11_leave(CKR_OPERATION_ACTIVE); /* single-part after multi-part */
    }
    if (pulDigestLen == NULL || (pData == NULL && ulDataLen > 0u)) {
        p11_op_end(&s->digest);
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    rv = length_check(pDigest, pulDigestLen, digest_len(s), &done);
    if (done) {
        return p11_leave(rv);
    }
    rv = digest_update(s, pData, ulDataLen);
    if (rv != CKR_OK) {
        return p11_leave(rv);
    }
    return p11_leave(digest_finish(s, pDigest, pulDigestLen));
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    p11_session_t *s;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->digest.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (pPart == NULL && ulPartLen > 0u) {
        p11_op_end(&s->digest);
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    s->digest.state = OP_UPDATING;
    return p11_leave(digest_update(s, pPart, ulPartLen));
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
    p11_session_t *s;
    bool done;
    CK_RV rv = p11_enter_session(hSession, &s);

    if (rv != CKR_OK) {
        return rv;
    }
    if (s->digest.state == OP_NONE) {
        return p11_leave(CKR_OPERATION_NOT_INITIALIZED);
    }
    if (pulDigestLen == NULL) {
        p11_op_end(&s->digest);
        return p11_leave(CKR_ARGUMENTS_BAD);
    }
    rv = length_check(pDigest, pulDigestLen, digest_len(s), &done);
    if (done) {
        return p11_leave(rv);
    }
    return p11_leave(digest_finish(s, pDigest, pulDigestLen));
}

/* ---- Random ------------------------------------------------------------------------------- */

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
    p11_session_t *s;
    CK_RV rv;

    (void)pSeed;
    (void)ulSeedLen;
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    /* PSA's generator seeds itself from the platform's entropy source. */
    return p11_leave(CKR_RANDOM_SEED_NOT_SUPPORTED);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
    p11_session_t *s;
    CK_RV rv;

    if (RandomData == NULL && ulRandomLen > 0u) {
        return CKR_ARGUMENTS_BAD;
    }
    rv = p11_enter_session(hSession, &s);
    if (rv != CKR_OK) {
        return rv;
    }
    return p11_leave(p11_from_status(iot_keystore_random(RandomData, ulRandomLen)));
}
