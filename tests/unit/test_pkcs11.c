/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the PKCS#11 module: the built libcorstone_iot_pkcs11.so is
 * loaded with dlopen and reached only through C_GetFunctionList, as any
 * PKCS#11 application would. Every function, and its bad inputs. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <pthread.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/config.h>
#include <p11-kit/pkcs11.h>
#include <psa/crypto.h>

#include "keys_test_vectors.h"

#ifndef IOT_PKCS11_MODULE
#error "IOT_PKCS11_MODULE names the module under test (tests/CMakeLists.txt)"
#endif

#define PIN "246810"
#define PIN_LEN 6u

/* PKCS#11 templates take non-const pointers even for values only read. */
#define S(lit) ((void *)(uintptr_t)(lit))

static CK_FUNCTION_LIST_PTR f;
static void *g_module;
static char g_root[512];
static char g_store[600];

static CK_BBOOL k_true = CK_TRUE;
static CK_BBOOL k_false = CK_FALSE;
static const uint8_t k_p256_params[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t k_p384_params[] = { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t k_k1_params[] = { 0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A }; /* secp256k1 */

/* ---- Fixture ------------------------------------------------------------------------ */

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    char p[900];

    if (d != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            (void)snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            remove_tree(p);
        }
        (void)closedir(d);
        (void)rmdir(path);
    } else {
        (void)unlink(path);
    }
}

static int load_module(void **state)
{
    CK_C_GetFunctionList get;

    (void)state;
    g_module = dlopen(IOT_PKCS11_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (g_module == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    *(void **)&get = dlsym(g_module, "C_GetFunctionList");
    if (get == NULL || get(&f) != CKR_OK || f == NULL) {
        return -1;
    }
    return 0;
}

static int unload_module(void **state)
{
    (void)state;
    return dlclose(g_module) == 0 ? 0 : -1;
}

/* A fresh store directory and the PIN in the environment; not initialised. */
static int setup_env(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    (void)snprintf(g_root, sizeof(g_root), "%s/iot-p11-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        return -1;
    }
    (void)snprintf(g_store, sizeof(g_store), "%s/store", g_root);
    setenv("CORSTONE_IOT_PKCS11_STORE", g_store, 1);
    setenv("CORSTONE_IOT_PKCS11_PIN", PIN, 1);
    setenv("CORSTONE_IOT_PKCS11_LOG", "0", 1);
    return 0;
}

static int setup(void **state)
{
    if (setup_env(state) != 0) {
        return -1;
    }
    return f->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

static int teardown_env(void **state)
{
    (void)state;
    remove_tree(g_root);
    return 0;
}

static int teardown(void **state)
{
    CK_RV rv = f->C_Finalize(NULL);
    (void)teardown_env(state);
    return rv == CKR_OK ? 0 : -1;
}

static CK_SESSION_HANDLE open_rw(bool login)
{
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;

    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h),
                     CKR_OK);
    if (login) {
        assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    }
    return h;
}

static CK_RV gen_pair(CK_SESSION_HANDLE h, const uint8_t *params, size_t params_len,
                      const char *label, const char *id, CK_OBJECT_HANDLE *pub,
                      CK_OBJECT_HANDLE *priv)
{
    CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub_t[] = {
        { CKA_EC_PARAMS, (void *)params, params_len },
        { CKA_TOKEN, &k_true, 1 },
        { CKA_VERIFY, &k_true, 1 },
        { CKA_LABEL, (void *)label, strlen(label) },
        { CKA_ID, (void *)id, strlen(id) },
    };
    CK_ATTRIBUTE priv_t[] = {
        { CKA_TOKEN, &k_true, 1 },
        { CKA_PRIVATE, &k_true, 1 },
        { CKA_SENSITIVE, &k_true, 1 },
        { CKA_SIGN, &k_true, 1 },
        { CKA_LABEL, (void *)label, strlen(label) },
        { CKA_ID, (void *)id, strlen(id) },
    };
    return f->C_GenerateKeyPair(h, &m, pub_t, 5, priv_t, 6, pub, priv);
}

/* Every object handle the session can see. */
static CK_ULONG count_objects(CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
    CK_OBJECT_HANDLE found[64];
    CK_ULONG count = 0;

    assert_int_equal(f->C_FindObjectsInit(h, tmpl, n), CKR_OK);
    assert_int_equal(f->C_FindObjects(h, found, 64, &count), CKR_OK);
    assert_int_equal(f->C_FindObjectsFinal(h), CKR_OK);
    return count;
}

/* The DER of the test certificate, made by the openssl CLI from its PEM. */
static size_t cert_der(uint8_t *buf, size_t cap)
{
    char pem[700];
    char der[700];
    char cmd[1600];
    FILE *fp;
    size_t n;

    (void)snprintf(pem, sizeof(pem), "%s/cert.pem", g_root);
    (void)snprintf(der, sizeof(der), "%s/cert.der", g_root);
    fp = fopen(pem, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(k_cert_pem, 1, strlen(k_cert_pem), fp), strlen(k_cert_pem));
    assert_int_equal(fclose(fp), 0);
    (void)snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -outform DER -out '%s'", pem, der);
    assert_int_equal(system(cmd), 0);
    fp = fopen(der, "rb");
    assert_non_null(fp);
    n = fread(buf, 1, cap, fp);
    assert_int_equal(fclose(fp), 0);
    assert_true(n > 100u && n < cap);
    return n;
}

/* Mutex callbacks an application could offer; the module must not need them. */
static CK_RV app_create_mutex(void **mutex)
{
    *mutex = NULL;
    return CKR_OK;
}

static CK_RV app_mutex_op(void *mutex)
{
    (void)mutex;
    return CKR_OK;
}

/* ---- Library ------------------------------------------------------------------------- */

static void test_function_list_and_initialize(void **state)
{
    CK_C_INITIALIZE_ARGS args;
    CK_INFO info;
    CK_FUNCTION_LIST_PTR again = NULL;
    CK_C_GetFunctionList get;
    void **fn;
    size_t i;

    (void)state;
    assert_int_equal(f->version.major, 2);
    assert_int_equal(f->version.minor, 40);
    /* every entry is set: the list is all function pointers after the version */
    fn = (void **)&f->C_Initialize;
    for (i = 0; i < (sizeof(*f) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void *);
         i++) {
        assert_non_null(fn[i]);
    }
    *(void **)&get = dlsym(g_module, "C_GetFunctionList");
    assert_int_equal(get(NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(get(&again), CKR_OK);
    assert_ptr_equal(again, f);
    /* the C_* symbols are exported too, and the SDK's are not */
    assert_non_null(dlsym(g_module, "C_Sign"));
    assert_null(dlsym(g_module, "iot_keystore_init"));

    assert_int_equal(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
    memset(&args, 0, sizeof(args));
    args.pReserved = &args;
    assert_int_equal(f->C_Initialize(&args), CKR_ARGUMENTS_BAD);
    memset(&args, 0, sizeof(args));
    args.CreateMutex = app_create_mutex; /* only one of four */
    assert_int_equal(f->C_Initialize(&args), CKR_ARGUMENTS_BAD);
    args.DestroyMutex = app_mutex_op;
    args.LockMutex = app_mutex_op;
    args.UnlockMutex = app_mutex_op;
    assert_int_equal(f->C_Initialize(&args), CKR_CANT_LOCK);
    args.flags = CKF_OS_LOCKING_OK;
    assert_int_equal(f->C_Initialize(&args), CKR_OK);
    assert_int_equal(f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    assert_int_equal(f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetInfo(&info), CKR_OK);
    assert_int_equal(info.cryptokiVersion.major, 2);
    assert_int_equal(info.cryptokiVersion.minor, 40);
    assert_memory_equal(info.manufacturerID, "corstone-iot    ", 16);
    assert_int_equal(info.flags, 0);
    assert_int_equal(f->C_Finalize(&args), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void test_slot_token_mechanisms(void **state)
{
    CK_SLOT_ID slots[2];
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_MECHANISM_TYPE mechs[16];
    CK_MECHANISM_INFO mi;
    CK_ULONG n = 0;

    (void)state;
    assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 1);
    n = 2;
    assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(slots[0], 0);

    assert_int_equal(f->C_GetSlotInfo(1, &si), CKR_SLOT_ID_INVALID);
    assert_int_equal(f->C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetSlotInfo(0, &si), CKR_OK);
    assert_true((si.flags & CKF_TOKEN_PRESENT) != 0u);

    assert_int_equal(f->C_GetTokenInfo(7, &ti), CKR_SLOT_ID_INVALID);
    assert_int_equal(f->C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_OK);
    assert_memory_equal(ti.label, "corstone-iot", 12);
    assert_int_equal(ti.label[12], ' ');
    assert_int_equal(ti.flags & (CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_RNG |
                                 CKF_TOKEN_INITIALIZED | CKF_WRITE_PROTECTED),
                     CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_RNG |
                         CKF_TOKEN_INITIALIZED);
    assert_int_equal(ti.ulSessionCount, 0);
    assert_int_equal(ti.ulMinPinLen, 4);

    assert_int_equal(f->C_GetMechanismList(0, NULL, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetMechanismList(3, NULL, &n), CKR_SLOT_ID_INVALID);
    assert_int_equal(f->C_GetMechanismList(0, NULL, &n), CKR_OK);
    assert_int_equal(n, 12);
    n = 11;
    assert_int_equal(f->C_GetMechanismList(0, mechs, &n), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(n, 12);
    assert_int_equal(f->C_GetMechanismList(0, mechs, &n), CKR_OK);
    assert_int_equal(mechs[0], CKM_EC_KEY_PAIR_GEN);
    assert_int_equal(mechs[1], CKM_ECDSA);
    assert_int_equal(mechs[2], CKM_ECDSA_SHA256);
    assert_int_equal(mechs[3], CKM_ECDSA_SHA384);
    assert_int_equal(mechs[4], CKM_ECDSA_SHA512);
    assert_int_equal(mechs[5], CKM_RSA_PKCS_KEY_PAIR_GEN);
    assert_int_equal(mechs[6], CKM_SHA256_RSA_PKCS);
    assert_int_equal(mechs[7], CKM_SHA384_RSA_PKCS);
    assert_int_equal(mechs[8], CKM_SHA512_RSA_PKCS);
    assert_int_equal(mechs[9], CKM_SHA256);
    assert_int_equal(mechs[10], CKM_SHA384);
    assert_int_equal(mechs[11], CKM_SHA512);
    assert_int_equal(f->C_GetMechanismInfo(0, CKM_RSA_PKCS_KEY_PAIR_GEN, &mi), CKR_OK);
    assert_int_equal(mi.ulMinKeySize, 2048);
    assert_int_equal(mi.ulMaxKeySize, 3072);
    assert_int_equal(f->C_GetMechanismInfo(0, CKM_ECDSA_SHA256, &mi), CKR_OK);
    assert_int_equal(mi.ulMinKeySize, 256);
    assert_int_equal(mi.ulMaxKeySize, 384);
    assert_true((mi.flags & (CKF_SIGN | CKF_VERIFY)) == (CKF_SIGN | CKF_VERIFY));
    assert_int_equal(f->C_GetMechanismInfo(0, CKM_SHA256, &mi), CKR_OK);
    assert_int_equal(mi.flags, CKF_DIGEST);
    assert_int_equal(f->C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi), CKR_MECHANISM_INVALID);
    assert_int_equal(f->C_GetMechanismInfo(0, CKM_SHA256, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetMechanismInfo(1, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID);
}

static void test_no_store_configured(void **state)
{
    CK_SESSION_HANDLE h = 0;
    CK_SLOT_INFO si;
    CK_TOKEN_INFO ti;
    CK_ULONG n = 9;

    (void)state;
    unsetenv("CORSTONE_IOT_PKCS11_STORE");
    unsetenv("CORSTONE_IOT_PKCS11_PIN");
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f->C_GetSlotInfo(0, &si), CKR_OK);
    assert_int_equal(si.flags & CKF_TOKEN_PRESENT, 0);
    assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h),
                     CKR_TOKEN_NOT_PRESENT);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    /* nothing was created anywhere */
    assert_int_equal(access(g_store, F_OK), -1);
}

/* ---- Sessions and login ---------------------------------------------------------------- */

static void test_sessions(void **state)
{
    CK_SESSION_HANDLE h[IOT_CONFIG_PKCS11_MAX_SESSIONS + 1];
    CK_SESSION_HANDLE ro = 0;
    CK_SESSION_INFO si;
    CK_TOKEN_INFO ti;
    size_t i;

    (void)state;
    assert_int_equal(f->C_OpenSession(0, CKF_RW_SESSION, NULL, NULL, &ro),
                     CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION | 0x100u, NULL, NULL, &ro),
                     CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL),
                     CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_OpenSession(5, CKF_SERIAL_SESSION, NULL, NULL, &ro),
                     CKR_SLOT_ID_INVALID);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(f->C_GetSessionInfo(ro, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
    assert_int_equal(si.slotID, 0);
    assert_int_equal(f->C_GetSessionInfo(ro, NULL), CKR_ARGUMENTS_BAD);
    for (i = 1; i < IOT_CONFIG_PKCS11_MAX_SESSIONS; i++) {
        h[i] = open_rw(false);
        assert_true(h[i] != ro);
    }
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h[0]),
                     CKR_SESSION_COUNT);
    assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.ulSessionCount, IOT_CONFIG_PKCS11_MAX_SESSIONS);
    assert_int_equal(ti.ulRwSessionCount, IOT_CONFIG_PKCS11_MAX_SESSIONS - 1);
    assert_int_equal(f->C_GetSessionInfo(h[1], &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);

    /* handles are not reused: a closed one stays invalid */
    assert_int_equal(f->C_CloseSession(h[1]), CKR_OK);
    assert_int_equal(f->C_CloseSession(h[1]), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_GetSessionInfo(h[1], &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_CloseSession(0), CKR_SESSION_HANDLE_INVALID);
    h[1] = open_rw(false);
    assert_int_equal(f->C_CloseAllSessions(9), CKR_SLOT_ID_INVALID);
    assert_int_equal(f->C_CloseAllSessions(0), CKR_OK);
    assert_int_equal(f->C_GetSessionInfo(ro, &si), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.ulSessionCount, 0);
}

static void test_login(void **state)
{
    CK_SESSION_HANDLE a = open_rw(false);
    CK_SESSION_HANDLE b = 0;
    CK_SESSION_INFO si;

    (void)state;
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &b), CKR_OK);
    assert_int_equal(f->C_Logout(a), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR) "135790", 6), CKR_PIN_INCORRECT);
    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR) "24681", 5), CKR_PIN_INCORRECT);
    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR) "2468100", 7), CKR_PIN_INCORRECT);
    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR) "246", 3), CKR_PIN_LEN_RANGE);
    assert_int_equal(f->C_Login(a, CKU_USER, NULL, 6), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_Login(a, CKU_SO, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_USER_TYPE_INVALID);
    assert_int_equal(f->C_Login(a, 77, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_USER_TYPE_INVALID);
    assert_int_equal(f->C_Login(a, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_Login(999, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
                     CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_GetSessionInfo(a, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);

    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    assert_int_equal(f->C_Login(b, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
                     CKR_USER_ALREADY_LOGGED_IN);
    /* the login belongs to the application: every session sees it */
    assert_int_equal(f->C_GetSessionInfo(a, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
    assert_int_equal(f->C_GetSessionInfo(b, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
    assert_int_equal(f->C_Logout(b), CKR_OK);
    assert_int_equal(f->C_GetSessionInfo(a, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
    /* closing the last session logs out */
    assert_int_equal(f->C_Login(a, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    assert_int_equal(f->C_CloseSession(a), CKR_OK);
    assert_int_equal(f->C_CloseSession(b), CKR_OK);
    a = open_rw(false);
    assert_int_equal(f->C_GetSessionInfo(a, &si), CKR_OK);
    assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
}

static void test_login_without_configured_pin(void **state)
{
    CK_SESSION_HANDLE h;
    CK_TOKEN_INFO ti;

    (void)state;
    unsetenv("CORSTONE_IOT_PKCS11_PIN");
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_OK);
    assert_int_equal(ti.flags & CKF_USER_PIN_INITIALIZED, 0);
    h = open_rw(false);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
                     CKR_USER_PIN_NOT_INITIALIZED);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    /* a PIN shorter than four bytes is not a PIN */
    setenv("CORSTONE_IOT_PKCS11_PIN", "123", 1);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    h = open_rw(false);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "123", 3),
                     CKR_USER_PIN_NOT_INITIALIZED);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
}

/* ---- Keys, signatures -------------------------------------------------------------------- */

/* Verify an r||s signature with PSA directly (not through the module). */
static void psa_verify(const uint8_t *point, size_t point_len, size_t bits, const uint8_t *hash,
                       size_t hash_len, const uint8_t *sig, size_t sig_len, bool expect_ok)
{
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t key = 0;
    psa_algorithm_t alg = PSA_ALG_ECDSA(hash_len == 48u ? PSA_ALG_SHA_384 : PSA_ALG_SHA_256);
    psa_status_t ps;

    assert_int_equal(psa_crypto_init(), PSA_SUCCESS);
    psa_set_key_type(&a, PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1));
    psa_set_key_bits(&a, bits);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&a, alg);
    assert_int_equal(psa_import_key(&a, point, point_len, &key), PSA_SUCCESS);
    ps = psa_verify_hash(key, alg, hash, hash_len, sig, sig_len);
    assert_int_equal(psa_destroy_key(key), PSA_SUCCESS);
    assert_int_equal(ps, expect_ok ? PSA_SUCCESS : PSA_ERROR_INVALID_SIGNATURE);
}

static void sha256(const void *msg, size_t len, uint8_t out[32])
{
    size_t got = 0;
    assert_int_equal(psa_crypto_init(), PSA_SUCCESS);
    assert_int_equal(psa_hash_compute(PSA_ALG_SHA_256, msg, len, out, 32, &got), PSA_SUCCESS);
}

static void test_generate_sign_verify(void **state)
{
    static const char msg[] = "temperature=21.5";
    CK_SESSION_HANDLE h = open_rw(true);
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_MECHANISM sha_mech = { CKM_ECDSA_SHA256, NULL, 0 };
    CK_MECHANISM raw_mech = { CKM_ECDSA, NULL, 0 };
    uint8_t point[80];
    uint8_t params[16];
    uint8_t value[64];
    uint8_t sig[100];
    uint8_t hash[32];
    CK_BBOOL sensitive = CK_FALSE;
    CK_BBOOL extractable = CK_TRUE;
    CK_OBJECT_CLASS cls = 0;
    CK_KEY_TYPE kt = 0;
    CK_ULONG sig_len;
    CK_ATTRIBUTE get_pub[] = {
        { CKA_EC_POINT, point, sizeof(point) },
        { CKA_EC_PARAMS, params, sizeof(params) },
        { CKA_CLASS, &cls, sizeof(cls) },
        { CKA_KEY_TYPE, &kt, sizeof(kt) },
    };
    CK_ATTRIBUTE get_priv[] = {
        { CKA_SENSITIVE, &sensitive, 1 },
        { CKA_EXTRACTABLE, &extractable, 1 },
        { CKA_VALUE, value, sizeof(value) },
        { CKA_CLASS, &cls, sizeof(cls) },
    };
    CK_ATTRIBUTE q = { CKA_EC_POINT, NULL, 0 };

    (void)state;
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "device", "\x01\x02",
                              &pub, &priv),
                     CKR_OK);
    assert_true(pub != priv && pub != CK_INVALID_HANDLE && priv != CK_INVALID_HANDLE);

    /* public half: the uncompressed point as a DER OCTET STRING */
    assert_int_equal(f->C_GetAttributeValue(h, pub, get_pub, 4), CKR_OK);
    assert_int_equal(get_pub[0].ulValueLen, 67);
    assert_int_equal(point[0], 0x04);
    assert_int_equal(point[1], 65);
    assert_int_equal(point[2], 0x04);
    assert_int_equal(get_pub[1].ulValueLen, sizeof(k_p256_params));
    assert_memory_equal(params, k_p256_params, sizeof(k_p256_params));
    assert_int_equal(cls, CKO_PUBLIC_KEY);
    assert_int_equal(kt, CKK_EC);
    /* the length protocol: NULL asks, a short buffer is refused */
    assert_int_equal(f->C_GetAttributeValue(h, pub, &q, 1), CKR_OK);
    assert_int_equal(q.ulValueLen, 67);
    q.pValue = point;
    q.ulValueLen = 66;
    assert_int_equal(f->C_GetAttributeValue(h, pub, &q, 1), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(q.ulValueLen, CK_UNAVAILABLE_INFORMATION);

    /* private half: sensitive, not extractable; its value is refused but
     * the other attributes of the same call are answered */
    assert_int_equal(f->C_GetAttributeValue(h, priv, get_priv, 4), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(sensitive, CK_TRUE);
    assert_int_equal(extractable, CK_FALSE);
    assert_int_equal(get_priv[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(cls, CKO_PRIVATE_KEY);
    get_priv[2].type = 0x8000AB01ul; /* a vendor attribute the module does not know */
    assert_int_equal(f->C_GetAttributeValue(h, priv, &get_priv[2], 1), CKR_ATTRIBUTE_TYPE_INVALID);
    assert_int_equal(get_priv[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(f->C_GetAttributeValue(h, priv, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GetAttributeValue(h, 0, get_pub, 1), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(f->C_GetAttributeValue(h, 0xFFFFFF, get_pub, 1), CKR_OBJECT_HANDLE_INVALID);

    /* sign with ECDSA-SHA256: length query, short buffer, then the signature */
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, NULL, &sig_len), CKR_OK);
    assert_int_equal(sig_len, 64);
    sig_len = 63;
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &sig_len),
                     CKR_BUFFER_TOO_SMALL);
    assert_int_equal(sig_len, 64);
    sig_len = sizeof(sig);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &sig_len), CKR_OK);
    assert_int_equal(sig_len, 64);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &sig_len),
                     CKR_OPERATION_NOT_INITIALIZED); /* the signature ended the operation */
    sha256(msg, sizeof(msg) - 1, hash);
    psa_verify(&point[2], 65, 256, hash, 32, sig, 64, true);

    /* the module verifies it, with either half; a changed one fails */
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 64), CKR_OK);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 64), CKR_OK);
    sig[10] ^= 1u;
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 64),
                     CKR_SIGNATURE_INVALID);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 63),
                     CKR_SIGNATURE_LEN_RANGE);

    /* multi-part signing equals hashing the whole message */
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, sizeof(msg) - 6), CKR_OK);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, 1, sig, &sig_len), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_SignFinal(h, NULL, &sig_len), CKR_OK);
    assert_int_equal(sig_len, 64);
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OK);
    psa_verify(&point[2], 65, 256, hash, 32, sig, 64, true);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_VerifyUpdate(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1), CKR_OK);
    assert_int_equal(f->C_VerifyFinal(h, sig, 64), CKR_OK);

    /* plain ECDSA signs the caller's hash; other lengths are refused */
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    sig_len = sizeof(sig);
    assert_int_equal(f->C_Sign(h, hash, 32, sig, &sig_len), CKR_OK);
    psa_verify(&point[2], 65, 256, hash, 32, sig, 64, true);
    assert_int_equal(f->C_VerifyInit(h, &raw_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, hash, 32, sig, 64), CKR_OK);
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, hash, 20, sig, &sig_len), CKR_DATA_LEN_RANGE);
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, hash, 32), CKR_DATA_LEN_RANGE); /* single-part only */
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
}

static void test_p384(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_MECHANISM raw_mech = { CKM_ECDSA, NULL, 0 };
    uint8_t point[120];
    uint8_t hash[48];
    uint8_t sig[120];
    CK_ULONG sig_len = sizeof(sig);
    CK_ATTRIBUTE a = { CKA_EC_POINT, point, sizeof(point) };

    (void)state;
    memset(hash, 0x5C, sizeof(hash));
    assert_int_equal(gen_pair(h, k_p384_params, sizeof(k_p384_params), "p384", "\x07", &pub,
                              &priv),
                     CKR_OK);
    assert_int_equal(f->C_GetAttributeValue(h, pub, &a, 1), CKR_OK);
    assert_int_equal(a.ulValueLen, 99);
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, hash, 48, sig, &sig_len), CKR_OK);
    assert_int_equal(sig_len, 96);
    psa_verify(&point[2], 97, 384, hash, 48, sig, 96, true);
    assert_int_equal(gen_pair(h, k_k1_params, sizeof(k_k1_params), "k1", "\x08", &pub, &priv),
                     CKR_CURVE_NOT_SUPPORTED);
    assert_int_equal(gen_pair(h, (const uint8_t *)"\x13\x03" "abc", 5, "bad", "\x09", &pub, &priv),
                     CKR_DOMAIN_PARAMS_INVALID);
}

static void test_sign_bad_inputs(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_MECHANISM sha_mech = { CKM_ECDSA_SHA256, NULL, 0 };
    CK_MECHANISM raw_mech = { CKM_ECDSA, NULL, 0 };
    CK_MECHANISM rsa = { CKM_RSA_PKCS, NULL, 0 };
    CK_BYTE param = 1;
    CK_MECHANISM with_param = { CKM_ECDSA_SHA256, &param, 1 };
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_OBJECT_HANDLE data = 0;
    CK_ATTRIBUTE data_t[] = {
        { CKA_CLASS, &data_class, sizeof(data_class) },
        { CKA_LABEL, S("blob"), 4 },
        { CKA_VALUE, S("x"), 1 },
    };
    uint8_t sig[64];
    CK_ULONG sig_len = sizeof(sig);

    (void)state;
    memset(sig, 0x11, sizeof(sig));
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "k", "\x01", &pub, &priv),
                     CKR_OK);
    assert_int_equal(f->C_CreateObject(h, data_t, 3, &data), CKR_OK);
    assert_int_equal(f->C_SignInit(h, NULL, priv), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_SignInit(h, &rsa, priv), CKR_MECHANISM_INVALID);
    assert_int_equal(f->C_SignInit(h, &with_param, priv), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(f->C_SignInit(h, &sha_mech, 0), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(f->C_SignInit(h, &sha_mech, 424242), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(f->C_SignInit(h, &sha_mech, pub), CKR_KEY_TYPE_INCONSISTENT);
    assert_int_equal(f->C_SignInit(h, &sha_mech, data), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, data), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(f->C_VerifyInit(h, &rsa, pub), CKR_MECHANISM_INVALID);
    assert_int_equal(f->C_SignInit(777, &sha_mech, priv), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_Sign(h, sig, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignUpdate(h, sig, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_Verify(h, sig, 1, sig, 64), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_VerifyUpdate(h, sig, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_VerifyFinal(h, sig, 64), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_Sign(h, sig, 1, sig, NULL), CKR_ARGUMENTS_BAD); /* ends it */
    assert_int_equal(f->C_Sign(h, sig, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, NULL, 5, sig, &sig_len), CKR_ARGUMENTS_BAD); /* ends it */
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);

    /* Multi-part: a bad argument ends the operation; single-part calls are
     * refused while it runs; raw ECDSA has no multi-part form. */
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, NULL, 5), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_SignUpdate(h, sig, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, sig, 1), CKR_OK);
    assert_int_equal(f->C_Sign(h, sig, 1, sig, &sig_len), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_SignFinal(h, sig, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_SignFinal(h, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);

    assert_int_equal(f->C_VerifyInit(h, NULL, pub), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, sig, 1, NULL, 64), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_Verify(h, sig, 1, sig, 64), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_VerifyUpdate(h, NULL, 5), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_VerifyUpdate(h, sig, 1), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_VerifyInit(h, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_VerifyUpdate(h, sig, 1), CKR_OK);
    assert_int_equal(f->C_Verify(h, sig, 1, sig, 64), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_VerifyFinal(h, NULL, 64), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_VerifyFinal(h, sig, 64), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_VerifyInit(h, &raw_mech, pub), CKR_OK);
    assert_int_equal(f->C_VerifyFinal(h, sig, 64), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_VerifyFinal(h, sig, 64), CKR_OPERATION_NOT_INITIALIZED);

    /* logging out ends operations on private keys and hides them */
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Logout(h), CKR_OK);
    assert_int_equal(f->C_Sign(h, sig, 1, sig, &sig_len), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_USER_NOT_LOGGED_IN);
    /* public keys verify without a login, in a read-only session too */
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(f->C_VerifyInit(ro, &sha_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(ro, sig, 1, sig, 64), CKR_SIGNATURE_INVALID);
}

/* ---- Objects ------------------------------------------------------------------------------- */

static void test_certificates_and_data(void **state)
{
    CK_SESSION_HANDLE h = open_rw(false);
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    CK_CERTIFICATE_TYPE wtls = CKC_WTLS;
    uint8_t der[1024];
    size_t der_len = cert_der(der, sizeof(der));
    uint8_t back[1024];
    uint8_t subject[200];
    uint8_t issuer[200];
    uint8_t serial[40];
    CK_OBJECT_HANDLE cert = 0;
    CK_OBJECT_HANDLE data = 0;
    CK_OBJECT_HANDLE other = 0;
    char long_label[66];
    CK_ATTRIBUTE cert_t[] = {
        { CKA_CLASS, &cert_class, sizeof(cert_class) },
        { CKA_CERTIFICATE_TYPE, &x509, sizeof(x509) },
        { CKA_TOKEN, &k_true, 1 },
        { CKA_LABEL, S("device"), 6 },
        { CKA_ID, S("\xA1\xB2"), 2 },
        { CKA_VALUE, der, der_len },
    };
    CK_ATTRIBUTE get[] = {
        { CKA_VALUE, back, sizeof(back) },
        { CKA_SUBJECT, subject, sizeof(subject) },
        { CKA_ISSUER, issuer, sizeof(issuer) },
        { CKA_SERIAL_NUMBER, serial, sizeof(serial) },
    };
    CK_ATTRIBUTE data_t[] = {
        { CKA_CLASS, &data_class, sizeof(data_class) },
        { CKA_LABEL, S("config"), 6 },
        { CKA_VALUE, S("interval=60"), 11 },
        { CKA_PRIVATE, &k_false, 1 },
    };
    CK_ATTRIBUTE bad[6];

    (void)state;
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(f->C_CreateObject(ro, cert_t, 6, &cert), CKR_SESSION_READ_ONLY);
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_CreateObject(h, NULL, 6, &cert), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &cert), CKR_OK);
    assert_int_equal(f->C_GetAttributeValue(ro, cert, get, 4), CKR_OK);
    assert_int_equal(get[0].ulValueLen, der_len);
    assert_memory_equal(back, der, der_len);
    /* self-signed: subject and issuer are the same Name, inside the DER */
    assert_int_equal(get[1].ulValueLen, get[2].ulValueLen);
    assert_memory_equal(subject, issuer, get[1].ulValueLen);
    assert_int_equal(subject[0], 0x30);
    assert_non_null(memmem(der, der_len, subject, get[1].ulValueLen));
    assert_int_equal(serial[0], 0x02);
    assert_non_null(memmem(der, der_len, serial, get[3].ulValueLen));

    assert_int_equal(f->C_CreateObject(h, data_t, 4, &data), CKR_OK);
    get[0].ulValueLen = sizeof(back);
    assert_int_equal(f->C_GetAttributeValue(h, data, get, 1), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 11);
    assert_memory_equal(back, "interval=60", 11);
    assert_int_equal(count_objects(h, NULL, 0), 2);

    /* bad templates: each refused, nothing created */
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &other), CKR_TEMPLATE_INCONSISTENT); /* label taken */
    assert_int_equal(f->C_CreateObject(h, &cert_t[1], 5, &other), CKR_TEMPLATE_INCOMPLETE); /* no class */
    memcpy(bad, cert_t, sizeof(cert_t));
    bad[3].pValue = S("other");
    bad[3].ulValueLen = 5;
    bad[1].pValue = &wtls;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[1].pValue = &x509;
    bad[2].pValue = &k_false; /* session objects are not offered */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[2].pValue = &k_true;
    bad[2].ulValueLen = 4; /* a CK_BBOOL is one byte */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[2].ulValueLen = 1;
    bad[2].type = CKA_SENSITIVE; /* not an attribute of certificates */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_TYPE_INVALID);
    bad[2].type = 0x8000F00Dul;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_TYPE_INVALID);
    bad[2].type = CKA_TOKEN;
    bad[5].ulValueLen = der_len - 10; /* truncated DER */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[5].pValue = NULL;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[5].pValue = der;
    bad[5].ulValueLen = der_len;
    memset(long_label, 'L', sizeof(long_label));
    bad[3].pValue = long_label;
    bad[3].ulValueLen = 65;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[3].pValue = S("a\001b");
    bad[3].ulValueLen = 3;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[3].ulValueLen = 0; /* stored objects need a label */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_TEMPLATE_INCOMPLETE);
    bad[3].pValue = S("other");
    bad[3].ulValueLen = 5;
    bad[4].ulValueLen = 65; /* CKA_ID longer than the store's tags */
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[4].ulValueLen = 2;
    bad[0].pValue = &(CK_OBJECT_CLASS){ CKO_DOMAIN_PARAMETERS };
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    bad[0].pValue = &data_class;
    bad[1].type = CKA_APPLICATION;
    bad[1].pValue = S("app");
    bad[1].ulValueLen = 3;
    assert_int_equal(f->C_CreateObject(h, bad, 6, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    data_t[3].pValue = &k_true; /* data objects are public */
    assert_int_equal(f->C_CreateObject(h, data_t, 4, &other), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(f->C_CreateObject(h, bad, 2, &other), CKR_TEMPLATE_INCOMPLETE); /* no label */
    assert_int_equal(count_objects(h, NULL, 0), 2);
    /* the store is intact: a valid template still works afterwards */
    cert_t[3].pValue = S("device-2");
    cert_t[3].ulValueLen = 8;
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &other), CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 3);
}

/* A certificate value the key store's outer check accepts but whose
 * TBSCertificate holds no issuer or subject (only a serial number), once
 * stored, made every later read of CKA_SUBJECT, CKA_ISSUER or
 * CKA_SERIAL_NUMBER fail with CKR_DEVICE_ERROR (fuzz_pkcs11_template found
 * the same with a damaged issuer: corpus crash-03ada265...). C_CreateObject now refuses
 * it, and a given CKA_SUBJECT / CKA_ISSUER / CKA_SERIAL_NUMBER must be the
 * certificate's own. */
static void test_certificate_fields_required(void **state)
{
    /* SEQUENCE { SEQUENCE { INTEGER 1 }, SEQUENCE { OID 1.2 }, BIT STRING '' } */
    static const uint8_t hollow[] = { 0x30, 0x0D, 0x30, 0x03, 0x02, 0x01, 0x01, 0x30, 0x03,
                                      0x06, 0x01, 0x2A, 0x03, 0x01, 0x00 };
    CK_SESSION_HANDLE h = open_rw(false);
    CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    uint8_t der[1024];
    size_t der_len = cert_der(der, sizeof(der));
    uint8_t subject[200];
    uint8_t serial[40];
    CK_OBJECT_HANDLE cert = 0;
    CK_ATTRIBUTE cert_t[] = {
        { CKA_CLASS, &cert_class, sizeof(cert_class) },
        { CKA_CERTIFICATE_TYPE, &x509, sizeof(x509) },
        { CKA_LABEL, S("device"), 6 },
        { CKA_VALUE, (void *)hollow, sizeof(hollow) },
        { CKA_SUBJECT, subject, 0 },
        { CKA_SERIAL_NUMBER, serial, 0 },
    };
    CK_ATTRIBUTE get[] = {
        { CKA_SUBJECT, subject, sizeof(subject) },
        { CKA_SERIAL_NUMBER, serial, sizeof(serial) },
    };

    (void)state;
    assert_int_equal(f->C_CreateObject(h, cert_t, 4, &cert), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(count_objects(h, NULL, 0), 0);

    /* The real certificate: its own subject and serial are read back... */
    cert_t[3].pValue = der;
    cert_t[3].ulValueLen = der_len;
    assert_int_equal(f->C_CreateObject(h, cert_t, 4, &cert), CKR_OK);
    assert_int_equal(f->C_GetAttributeValue(h, cert, get, 2), CKR_OK);
    assert_int_equal(f->C_DestroyObject(h, cert), CKR_OK);
    /* ...accepted when given, and refused when they differ. */
    cert_t[4].ulValueLen = get[0].ulValueLen;
    cert_t[5].ulValueLen = get[1].ulValueLen;
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &cert), CKR_OK);
    assert_int_equal(f->C_DestroyObject(h, cert), CKR_OK);
    subject[get[0].ulValueLen - 1u] ^= 1u;
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &cert), CKR_ATTRIBUTE_VALUE_INVALID);
    subject[get[0].ulValueLen - 1u] ^= 1u;
    cert_t[5].ulValueLen = get[1].ulValueLen - 1u;
    assert_int_equal(f->C_CreateObject(h, cert_t, 6, &cert), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(count_objects(h, NULL, 0), 0);
}

/* One attribute twice in a template with different values: the object
 * would contradict one of them (fuzz_pkcs11_template made a certificate
 * while a second CKA_CLASS named another class). The same value twice is
 * harmless and accepted. */
static void test_attribute_given_twice(void **state)
{
    CK_SESSION_HANDLE h = open_rw(false);
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
    CK_OBJECT_HANDLE o = 0;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &data_class, sizeof(data_class) },
        { CKA_LABEL, S("twice"), 5 },
        { CKA_VALUE, S("v"), 1 },
        { CKA_CLASS, &cert_class, sizeof(cert_class) },
    };

    (void)state;
    assert_int_equal(f->C_CreateObject(h, t, 4, &o), CKR_TEMPLATE_INCONSISTENT);
    t[3].type = CKA_LABEL;
    t[3].pValue = S("other");
    t[3].ulValueLen = 5;
    assert_int_equal(f->C_CreateObject(h, t, 4, &o), CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(count_objects(h, NULL, 0), 0);
    t[3].pValue = S("twice");
    assert_int_equal(f->C_CreateObject(h, t, 4, &o), CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 1);
}

/* A P-256 scalar (1..n-1) and its public point, imported as objects. */
static void test_import_keys(void **state)
{
    CK_SESSION_HANDLE h = open_rw(false);
    CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
    CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
    CK_KEY_TYPE ec = CKK_EC;
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_MECHANISM raw_mech = { CKM_ECDSA, NULL, 0 };
    uint8_t scalar[32];
    uint8_t point[67];
    uint8_t hash[32];
    uint8_t sig[64];
    CK_ULONG sig_len = sizeof(sig);
    CK_ULONG value_len = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE gen_pub = 0;
    CK_OBJECT_HANDLE gen_priv = 0;
    CK_OBJECT_HANDLE psk = 0;
    CK_ATTRIBUTE priv_t[] = {
        { CKA_CLASS, &priv_class, sizeof(priv_class) },
        { CKA_KEY_TYPE, &ec, sizeof(ec) },
        { CKA_EC_PARAMS, (void *)k_p256_params, sizeof(k_p256_params) },
        { CKA_VALUE, scalar, sizeof(scalar) },
        { CKA_LABEL, S("imported"), 8 },
        { CKA_SIGN, &k_true, 1 },
    };
    CK_ATTRIBUTE pub_t[] = {
        { CKA_CLASS, &pub_class, sizeof(pub_class) },
        { CKA_KEY_TYPE, &ec, sizeof(ec) },
        { CKA_EC_PARAMS, (void *)k_p256_params, sizeof(k_p256_params) },
        { CKA_EC_POINT, point, sizeof(point) },
        { CKA_LABEL, S("imported"), 8 },
    };
    CK_ATTRIBUTE psk_t[] = {
        { CKA_CLASS, &secret_class, sizeof(secret_class) },
        { CKA_KEY_TYPE, &generic, sizeof(generic) },
        { CKA_VALUE, S("0123456789abcdef"), 16 },
        { CKA_LABEL, S("psk"), 3 },
    };
    CK_ATTRIBUTE get_point = { CKA_EC_POINT, point, sizeof(point) };
    CK_ATTRIBUTE get_secret[] = {
        { CKA_VALUE, scalar, sizeof(scalar) },
        { CKA_VALUE_LEN, &value_len, sizeof(value_len) },
    };

    (void)state;
    memset(hash, 0xA5, sizeof(hash));
    memset(scalar, 0, sizeof(scalar));
    scalar[31] = 0x2A; /* a valid, if poor, private key: d = 42 */
    assert_int_equal(f->C_CreateObject(h, priv_t, 6, &priv), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(f->C_CreateObject(h, psk_t, 4, &psk), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    priv_t[1].pValue = &rsa;
    assert_int_equal(f->C_CreateObject(h, priv_t, 6, &priv), CKR_ATTRIBUTE_VALUE_INVALID);
    priv_t[1].pValue = &ec;
    priv_t[3].ulValueLen = 33; /* longer than the curve */
    assert_int_equal(f->C_CreateObject(h, priv_t, 6, &priv), CKR_ATTRIBUTE_VALUE_INVALID);
    priv_t[3].ulValueLen = 32;
    assert_int_equal(f->C_CreateObject(h, priv_t, 3, &priv), CKR_TEMPLATE_INCOMPLETE); /* no value */
    memset(scalar, 0xFF, sizeof(scalar)); /* above the group order */
    assert_int_equal(f->C_CreateObject(h, priv_t, 6, &priv), CKR_ATTRIBUTE_VALUE_INVALID);
    memset(scalar, 0, sizeof(scalar));
    scalar[31] = 0x2A;
    assert_int_equal(f->C_CreateObject(h, priv_t, 6, &priv), CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 1);

    /* sign with the imported key; its public point (from a generated
     * pair's attribute path) verifies through an imported public key */
    assert_int_equal(f->C_GetAttributeValue(h, priv, &get_point, 1), CKR_OK);
    assert_int_equal(get_point.ulValueLen, 67);
    assert_int_equal(f->C_CreateObject(h, pub_t, 5, &pub), CKR_OK);
    assert_int_equal(f->C_SignInit(h, &raw_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, hash, 32, sig, &sig_len), CKR_OK);
    assert_int_equal(f->C_VerifyInit(h, &raw_mech, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, hash, 32, sig, 64), CKR_OK);
    psa_verify(&point[2], 65, 256, hash, 32, sig, 64, true);
    /* the bare point is accepted too; a point of the wrong size is not */
    pub_t[3].pValue = &point[2];
    pub_t[3].ulValueLen = 65;
    pub_t[4].pValue = S("bare");
    pub_t[4].ulValueLen = 4;
    assert_int_equal(f->C_CreateObject(h, pub_t, 5, &gen_pub), CKR_OK);
    pub_t[3].ulValueLen = 64;
    pub_t[4].pValue = S("short");
    pub_t[4].ulValueLen = 5;
    assert_int_equal(f->C_CreateObject(h, pub_t, 5, &gen_pub), CKR_ATTRIBUTE_VALUE_INVALID);
    point[10] ^= 0x40; /* off the curve */
    pub_t[3].ulValueLen = 65;
    assert_int_equal(f->C_CreateObject(h, pub_t, 5, &gen_pub), CKR_ATTRIBUTE_VALUE_INVALID);

    /* a pre-shared key: its value is sensitive, its length is not */
    assert_int_equal(f->C_CreateObject(h, psk_t, 4, &psk), CKR_OK);
    assert_int_equal(f->C_GetAttributeValue(h, psk, get_secret, 2), CKR_ATTRIBUTE_SENSITIVE);
    assert_int_equal(get_secret[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_int_equal(value_len, 16);

    /* key pair templates: inconsistent halves are refused */
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "imported", "\x01",
                              &gen_pub, &gen_priv),
                     CKR_TEMPLATE_INCONSISTENT); /* the private label is taken */
    assert_int_equal(count_objects(h, NULL, 0), 4);
}

static void test_generate_bad_inputs(void **state)
{
    CK_SESSION_HANDLE h = open_rw(false);
    CK_SESSION_HANDLE ro = 0;
    CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_MECHANISM wrong = { CKM_DSA_KEY_PAIR_GEN, NULL, 0 };
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_ATTRIBUTE pub_t[] = {
        { CKA_EC_PARAMS, (void *)k_p256_params, sizeof(k_p256_params) },
        { CKA_CLASS, &pub_class, sizeof(pub_class) },
    };
    CK_ATTRIBUTE priv_t[] = {
        { CKA_DERIVE, &k_true, 1 }, /* ECDH is not offered */
    };
    CK_ATTRIBUTE priv_class_wrong[] = {
        { CKA_CLASS, &pub_class, sizeof(pub_class) },
    };
    CK_ATTRIBUTE priv_rsa[] = {
        { CKA_KEY_TYPE, &rsa, sizeof(rsa) },
    };

    (void)state;
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 2, NULL, 0, &pub, &priv),
                     CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(f->C_GenerateKeyPair(ro, &m, pub_t, 2, NULL, 0, &pub, &priv),
                     CKR_SESSION_READ_ONLY);
    assert_int_equal(f->C_GenerateKeyPair(h, NULL, pub_t, 2, NULL, 0, &pub, &priv),
                     CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 2, NULL, 0, NULL, &priv),
                     CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GenerateKeyPair(h, &wrong, pub_t, 2, NULL, 0, &pub, &priv),
                     CKR_MECHANISM_INVALID);
    assert_int_equal(f->C_GenerateKeyPair(h, &m, NULL, 0, NULL, 0, &pub, &priv),
                     CKR_TEMPLATE_INCOMPLETE); /* no curve */
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 2, priv_t, 1, &pub, &priv),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 2, priv_class_wrong, 1, &pub, &priv),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 2, priv_rsa, 1, &pub, &priv),
                     CKR_TEMPLATE_INCONSISTENT);
    assert_int_equal(count_objects(h, NULL, 0), 0);
    /* the minimal template is enough */
    assert_int_equal(f->C_GenerateKeyPair(h, &m, pub_t, 1, NULL, 0, &pub, &priv), CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 2);
}

static void test_find_objects(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_OBJECT_HANDLE pub_a = 0;
    CK_OBJECT_HANDLE priv_a = 0;
    CK_OBJECT_HANDLE pub_b = 0;
    CK_OBJECT_HANDLE priv_b = 0;
    CK_OBJECT_HANDLE found[8];
    CK_ULONG n = 0;
    CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE ec = CKK_EC;
    CK_KEY_TYPE rsa = CKK_RSA;
    CK_ATTRIBUTE by_class = { CKA_CLASS, &priv_class, sizeof(priv_class) };
    CK_ATTRIBUTE by_label = { CKA_LABEL, S("beta"), 4 };
    CK_ATTRIBUTE by_id = { CKA_ID, S("\xAA"), 1 };
    CK_ATTRIBUTE by_ec = { CKA_KEY_TYPE, &ec, sizeof(ec) };
    CK_ATTRIBUTE by_rsa = { CKA_KEY_TYPE, &rsa, sizeof(rsa) };
    CK_ATTRIBUTE class_and_id[] = { by_class, by_id };
    CK_ATTRIBUTE bad = { CKA_LABEL, NULL, 4 };

    (void)state;
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "alpha", "\xAA", &pub_a,
                              &priv_a),
                     CKR_OK);
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "beta", "\xBB", &pub_b,
                              &priv_b),
                     CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 4);
    assert_int_equal(count_objects(h, &by_class, 1), 2);
    assert_int_equal(count_objects(h, &by_label, 1), 2);
    assert_int_equal(count_objects(h, &by_id, 1), 2);
    assert_int_equal(count_objects(h, &by_ec, 1), 4);
    assert_int_equal(count_objects(h, &by_rsa, 1), 0);
    assert_int_equal(f->C_FindObjectsInit(h, class_and_id, 2), CKR_OK);
    assert_int_equal(f->C_FindObjects(h, found, 8, &n), CKR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(found[0], priv_a);
    assert_int_equal(f->C_FindObjectsFinal(h), CKR_OK);

    /* the protocol: one search at a time, results in chunks */
    assert_int_equal(f->C_FindObjects(h, found, 8, &n), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_FindObjectsFinal(h), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_FindObjectsInit(h, &bad, 1), CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(f->C_FindObjectsInit(h, NULL, 1), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_FindObjectsInit(h, NULL, 0), CKR_OK);
    assert_int_equal(f->C_FindObjectsInit(h, NULL, 0), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_FindObjects(h, NULL, 8, &n), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_FindObjects(h, found, 3, &n), CKR_OK);
    assert_int_equal(n, 3);
    /* an object destroyed during the search is not returned */
    assert_int_equal(f->C_DestroyObject(h, pub_b), CKR_OK);
    assert_int_equal(f->C_FindObjects(h, found, 3, &n), CKR_OK);
    assert_true(n <= 1);
    assert_int_equal(f->C_FindObjects(h, found, 3, &n), CKR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(f->C_FindObjectsFinal(h), CKR_OK);

    /* private objects are invisible before login */
    assert_int_equal(f->C_Logout(h), CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), 1);
    assert_int_equal(count_objects(h, &by_class, 1), 0);
}

static void test_destroy_and_persistence(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_SESSION_HANDLE ro = 0;
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_OBJECT_HANDLE found[4];
    CK_ULONG n = 0;
    char label[16];
    uint8_t id[8];
    CK_ATTRIBUTE get[] = {
        { CKA_LABEL, label, sizeof(label) },
        { CKA_ID, id, sizeof(id) },
    };
    CK_ATTRIBUTE by_label = { CKA_LABEL, S("kept"), 4 };
    CK_MECHANISM sha_mech = { CKM_ECDSA_SHA256, NULL, 0 };
    uint8_t sig[64];
    CK_ULONG sig_len = sizeof(sig);
    struct stat st;

    (void)state;
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "kept", "\x10\x20\x30",
                              &pub, &priv),
                     CKR_OK);
    assert_int_equal(stat(g_store, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* the module starts again from the store: same handles, labels, ids */
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    h = open_rw(true);
    assert_int_equal(f->C_FindObjectsInit(h, &by_label, 1), CKR_OK);
    assert_int_equal(f->C_FindObjects(h, found, 4, &n), CKR_OK);
    assert_int_equal(f->C_FindObjectsFinal(h), CKR_OK);
    assert_int_equal(n, 2);
    assert_true((found[0] == pub && found[1] == priv) || (found[0] == priv && found[1] == pub));
    assert_int_equal(f->C_GetAttributeValue(h, priv, get, 2), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 4);
    assert_memory_equal(label, "kept", 4);
    assert_int_equal(get[1].ulValueLen, 3);
    assert_memory_equal(id, "\x10\x20\x30", 3);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR) "m", 1, sig, &sig_len), CKR_OK);

    /* destroying: read-only sessions, bad handles, login */
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
    assert_int_equal(f->C_DestroyObject(ro, pub), CKR_SESSION_READ_ONLY);
    assert_int_equal(f->C_DestroyObject(h, 0), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(f->C_DestroyObject(h, 123456), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(f->C_Logout(h), CKR_OK);
    assert_int_equal(f->C_DestroyObject(h, priv), CKR_USER_NOT_LOGGED_IN);
    assert_int_equal(f->C_DestroyObject(h, pub), CKR_OK);
    assert_int_equal(f->C_DestroyObject(h, pub), CKR_OBJECT_HANDLE_INVALID);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN), CKR_OK);
    assert_int_equal(f->C_DestroyObject(h, priv), CKR_OK);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    h = open_rw(true);
    assert_int_equal(count_objects(h, NULL, 0), 0);
}

/* ---- Digest, random, the rest --------------------------------------------------------------- */

static void test_digest(void **state)
{
    static const uint8_t abc_sha256[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    CK_SESSION_HANDLE h = open_rw(false);
    CK_MECHANISM sha = { CKM_SHA256, NULL, 0 };
    CK_MECHANISM md5 = { CKM_MD5, NULL, 0 };
    CK_BYTE param = 0;
    CK_MECHANISM sha_param = { CKM_SHA256, &param, 1 };
    uint8_t out[40];
    CK_ULONG len = 0;

    (void)state;
    assert_int_equal(f->C_DigestInit(h, NULL), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_DigestInit(h, &md5), CKR_MECHANISM_INVALID);
    assert_int_equal(f->C_DigestInit(h, &sha_param), CKR_MECHANISM_PARAM_INVALID);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len),
                     CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_DigestUpdate(h, (CK_BYTE_PTR) "abc", 3), CKR_OPERATION_NOT_INITIALIZED);
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED);

    assert_int_equal(f->C_DigestInit(h, &sha), CKR_OK);
    assert_int_equal(f->C_DigestInit(h, &sha), CKR_OPERATION_ACTIVE);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, NULL, &len), CKR_OK);
    assert_int_equal(len, 32);
    len = 31;
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 32);
    len = sizeof(out);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OK);
    assert_int_equal(len, 32);
    assert_memory_equal(out, abc_sha256, 32);

    assert_int_equal(f->C_DigestInit(h, &sha), CKR_OK);
    assert_int_equal(f->C_DigestUpdate(h, (CK_BYTE_PTR) "a", 1), CKR_OK);
    assert_int_equal(f->C_DigestUpdate(h, (CK_BYTE_PTR) "bc", 2), CKR_OK);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OPERATION_ACTIVE);
    len = 10;
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_BUFFER_TOO_SMALL);
    memset(out, 0, sizeof(out));
    len = sizeof(out);
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_OK);
    assert_memory_equal(out, abc_sha256, 32);
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_OPERATION_NOT_INITIALIZED);
    /* an operation left open is released when the session closes */
    assert_int_equal(f->C_DigestInit(h, &sha), CKR_OK);
    assert_int_equal(f->C_CloseSession(h), CKR_OK);
}

static void test_random(void **state)
{
    CK_SESSION_HANDLE h = open_rw(false);
    uint8_t a[32];
    uint8_t b[32];
    uint8_t zero[32] = { 0 };

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(f->C_GenerateRandom(h, a, sizeof(a)), CKR_OK);
    assert_int_equal(f->C_GenerateRandom(h, b, sizeof(b)), CKR_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(f->C_GenerateRandom(h, NULL, 4), CKR_ARGUMENTS_BAD);
    assert_int_equal(f->C_GenerateRandom(h, a, 0), CKR_OK);
    assert_int_equal(f->C_GenerateRandom(999, a, 4), CKR_SESSION_HANDLE_INVALID);
    assert_int_equal(f->C_SeedRandom(h, a, sizeof(a)), CKR_RANDOM_SEED_NOT_SUPPORTED);
    assert_int_equal(f->C_SeedRandom(999, a, sizeof(a)), CKR_SESSION_HANDLE_INVALID);
}

static void test_unsupported_functions(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_MECHANISM m = { CKM_AES_CBC, NULL, 0 };
    CK_BYTE buf[16];
    CK_ULONG len = sizeof(buf);
    CK_OBJECT_HANDLE o = 0;
    CK_SLOT_ID slot = 0;

    (void)state;
    assert_int_equal(f->C_InitToken(0, NULL, 0, NULL), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_InitPIN(h, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SetPIN(h, NULL, 0, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_GetOperationState(h, NULL, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SetOperationState(h, buf, 1, 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_CopyObject(h, 1, NULL, 0, &o), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_GetObjectSize(h, 1, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SetAttributeValue(h, 1, NULL, 0), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_EncryptInit(h, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_Encrypt(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_EncryptUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_EncryptFinal(h, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DecryptInit(h, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_Decrypt(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DecryptUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DecryptFinal(h, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DigestKey(h, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SignRecoverInit(h, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SignRecover(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_VerifyRecoverInit(h, &m, 1), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_VerifyRecover(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DigestEncryptUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DecryptDigestUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_SignEncryptUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DecryptVerifyUpdate(h, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_GenerateKey(h, &m, NULL, 0, &o), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_WrapKey(h, &m, 1, 2, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_UnwrapKey(h, &m, 1, buf, 1, NULL, 0, &o), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_DeriveKey(h, &m, 1, NULL, 0, &o), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_GetFunctionStatus(h), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_CancelFunction(h), CKR_FUNCTION_NOT_SUPPORTED);
    assert_int_equal(f->C_WaitForSlotEvent(0, &slot, NULL), CKR_FUNCTION_NOT_SUPPORTED);
}

/* Calls on a session need an initialised module. */
static void test_calls_after_finalize(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_MECHANISM sha = { CKM_SHA256, NULL, 0 };
    CK_OBJECT_HANDLE o = 0;
    CK_ULONG n = 0;
    uint8_t b[4];

    (void)state;
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h),
                     CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, PIN_LEN),
                     CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_DigestInit(h, &sha), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_FindObjectsInit(h, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_DestroyObject(h, o), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_GenerateRandom(h, b, 4), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK); /* for the teardown */
    /* sessions did not survive */
    assert_int_equal(f->C_CloseSession(h), CKR_SESSION_HANDLE_INVALID);
}

static void test_full_store(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_OBJECT_HANDLE objs[64];
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    char label[16];
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &data_class, sizeof(data_class) },
        { CKA_LABEL, label, 0 },
        { CKA_VALUE, S("v"), 1 },
    };
    CK_ULONG n = 0;
    CK_RV rv = CKR_OK;

    (void)state;
    while (rv == CKR_OK && n < 64) {
        t[1].ulValueLen = (CK_ULONG)snprintf(label, sizeof(label), "d%lu", (unsigned long)n);
        rv = f->C_CreateObject(h, t, 3, &objs[n]);
        n += (rv == CKR_OK) ? 1u : 0u;
    }
    assert_int_equal(rv, CKR_DEVICE_MEMORY);
    assert_int_equal(n, IOT_CONFIG_KEYS_MAX_OBJECTS);
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "k", "\x01", &pub, &priv),
                     CKR_DEVICE_MEMORY);
    /* one free entry: the private half fits, the public one does not, and
     * the private half is taken back (no half pairs) */
    assert_int_equal(f->C_DestroyObject(h, objs[0]), CKR_OK);
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "k", "\x01", &pub, &priv),
                     CKR_DEVICE_MEMORY);
    assert_int_equal(count_objects(h, NULL, 0), IOT_CONFIG_KEYS_MAX_OBJECTS - 1);
    assert_int_equal(f->C_DestroyObject(h, objs[1]), CKR_OK);
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "k", "\x01", &pub, &priv),
                     CKR_OK);
    assert_int_equal(count_objects(h, NULL, 0), IOT_CONFIG_KEYS_MAX_OBJECTS);
}

/* Flip one byte in the middle of the stored object of table entry `slot`. */
static void corrupt_slot(unsigned slot)
{
    char path[700];
    FILE *fp;
    long size;
    int c;

    (void)snprintf(path, sizeof(path), "%s/%016x.obj", g_store, 0x4B000001u + slot);
    fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size > 40);
    assert_int_equal(fseek(fp, size / 2, SEEK_SET), 0);
    c = fgetc(fp);
    assert_int_equal(fseek(fp, size / 2, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0x5A, fp), c ^ 0x5A);
    assert_int_equal(fclose(fp), 0);
}

static void test_corrupted_store_file(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_MECHANISM sha_mech = { CKM_ECDSA_SHA256, NULL, 0 };
    uint8_t point[70];
    CK_ATTRIBUTE a = { CKA_EC_POINT, point, sizeof(point) };
    uint8_t sig[64];
    CK_ULONG sig_len = sizeof(sig);

    (void)state;
    /* the private key is the first object: table entry 0 */
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "c", "\x01", &pub, &priv),
                     CKR_OK);
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    h = open_rw(true);
    /* damaged while the module runs: the key cannot be loaded for use */
    corrupt_slot(0);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR) "m", 1, sig, &sig_len), CKR_DEVICE_ERROR);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR) "m", 1, sig, &sig_len),
                     CKR_OPERATION_NOT_INITIALIZED);
    /* found damaged at start: the object is left out, the rest works */
    assert_int_equal(f->C_Finalize(NULL), CKR_OK);
    assert_int_equal(f->C_Initialize(NULL), CKR_OK);
    h = open_rw(true);
    assert_int_equal(count_objects(h, NULL, 0), 1);
    assert_int_equal(f->C_SignInit(h, &sha_mech, priv), CKR_KEY_HANDLE_INVALID);
    assert_int_equal(f->C_GetAttributeValue(h, pub, &a, 1), CKR_OK);
    assert_int_equal(a.ulValueLen, 67);
}

typedef struct {
    CK_OBJECT_HANDLE priv;
    CK_OBJECT_HANDLE pub;
    int index;
    int ok;
} worker_t;

static void *sign_worker(void *arg)
{
    worker_t *w = arg;
    CK_MECHANISM sha_mech = { CKM_ECDSA_SHA256, NULL, 0 };
    CK_SESSION_HANDLE h = 0;
    uint8_t msg[16];
    uint8_t sig[64];
    int i;

    if (f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK) {
        return NULL;
    }
    for (i = 0; i < 25; i++) {
        CK_ULONG sig_len = sizeof(sig);
        memset(msg, w->index * 32 + i, sizeof(msg));
        if (f->C_SignInit(h, &sha_mech, w->priv) != CKR_OK ||
            f->C_Sign(h, msg, sizeof(msg), sig, &sig_len) != CKR_OK ||
            f->C_VerifyInit(h, &sha_mech, w->pub) != CKR_OK ||
            f->C_Verify(h, msg, sizeof(msg), sig, sig_len) != CKR_OK) {
            return NULL;
        }
        w->ok++;
    }
    return NULL;
}

static void test_concurrent_sessions(void **state)
{
    CK_SESSION_HANDLE h = open_rw(true);
    pthread_t threads[IOT_CONFIG_PKCS11_MAX_SESSIONS - 1];
    worker_t workers[IOT_CONFIG_PKCS11_MAX_SESSIONS - 1];
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    int i;

    (void)state;
    assert_int_equal(gen_pair(h, k_p256_params, sizeof(k_p256_params), "shared", "\x01", &pub,
                              &priv),
                     CKR_OK);
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS - 1; i++) {
        workers[i].priv = priv;
        workers[i].pub = pub;
        workers[i].index = i;
        workers[i].ok = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, sign_worker, &workers[i]), 0);
    }
    for (i = 0; i < IOT_CONFIG_PKCS11_MAX_SESSIONS - 1; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(workers[i].ok, 25);
    }
}

static void test_sha384_and_sha512(void **state)
{
    static const uint8_t abc_sha384_head[8] = { 0xcb, 0x00, 0x75, 0x3f, 0x45, 0xa3, 0x5e, 0x8b };
    static const uint8_t abc_sha512_head[8] = { 0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba };
    CK_SESSION_HANDLE h = open_rw(true);
    CK_MECHANISM sha384 = { CKM_SHA384, NULL, 0 };
    CK_MECHANISM sha512 = { CKM_SHA512, NULL, 0 };
    CK_MECHANISM ecdsa384 = { CKM_ECDSA_SHA384, NULL, 0 };
    CK_MECHANISM ecdsa512 = { CKM_ECDSA_SHA512, NULL, 0 };
    CK_MECHANISM rsa_mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    uint8_t out[64];
    uint8_t hash[64];
    uint8_t point[110];
    uint8_t sig[96];
    CK_ATTRIBUTE a = { CKA_EC_POINT, point, sizeof(point) };
    CK_ULONG len = sizeof(out);
    size_t got = 0;

    (void)state;
    assert_int_equal(f->C_DigestInit(h, &sha384), CKR_OK);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, NULL, &len), CKR_OK);
    assert_int_equal(len, 48);
    assert_int_equal(f->C_Digest(h, (CK_BYTE_PTR) "abc", 3, out, &len), CKR_OK);
    assert_memory_equal(out, abc_sha384_head, 8);
    assert_int_equal(f->C_DigestInit(h, &sha512), CKR_OK);
    assert_int_equal(f->C_DigestUpdate(h, (CK_BYTE_PTR) "ab", 2), CKR_OK);
    assert_int_equal(f->C_DigestUpdate(h, (CK_BYTE_PTR) "c", 1), CKR_OK);
    len = 63;
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_BUFFER_TOO_SMALL);
    assert_int_equal(len, 64);
    assert_int_equal(f->C_DigestFinal(h, out, &len), CKR_OK);
    assert_memory_equal(out, abc_sha512_head, 8);

    /* ECDSA with SHA-384 on P-384, multi-part; SHA-512 on the same key */
    assert_int_equal(gen_pair(h, k_p384_params, sizeof(k_p384_params), "p384", "\x07", &pub,
                              &priv),
                     CKR_OK);
    assert_int_equal(f->C_GetAttributeValue(h, pub, &a, 1), CKR_OK);
    assert_int_equal(f->C_SignInit(h, &ecdsa384, priv), CKR_OK);
    assert_int_equal(f->C_SignUpdate(h, (CK_BYTE_PTR) "telemetry", 9), CKR_OK);
    len = sizeof(sig);
    assert_int_equal(f->C_SignFinal(h, sig, &len), CKR_OK);
    assert_int_equal(len, 96);
    assert_int_equal(psa_hash_compute(PSA_ALG_SHA_384, (const uint8_t *)"telemetry", 9, hash,
                                      sizeof(hash), &got),
                     PSA_SUCCESS);
    psa_verify(&point[2], 97, 384, hash, 48, sig, 96, true);
    assert_int_equal(f->C_VerifyInit(h, &ecdsa512, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR) "telemetry", 9, sig, 96), CKR_SIGNATURE_INVALID);
    assert_int_equal(f->C_SignInit(h, &ecdsa512, priv), CKR_OK);
    len = sizeof(sig);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR) "telemetry", 9, sig, &len), CKR_OK);
    assert_int_equal(f->C_VerifyInit(h, &ecdsa512, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR) "telemetry", 9, sig, 96), CKR_OK);
    /* an RSA mechanism does not take an EC key */
    assert_int_equal(f->C_SignInit(h, &rsa_mech, priv), CKR_KEY_TYPE_INCONSISTENT);
}

static void test_rsa(void **state)
{
    static const CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
    static const CK_BYTE e3[] = { 0x03 };
    static const char msg[] = "firmware manifest";
    CK_SESSION_HANDLE h = open_rw(true);
    CK_MECHANISM gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
    CK_MECHANISM rsa256 = { CKM_SHA256_RSA_PKCS, NULL, 0 };
    CK_MECHANISM rsa384 = { CKM_SHA384_RSA_PKCS, NULL, 0 };
    CK_MECHANISM ecdsa = { CKM_ECDSA_SHA256, NULL, 0 };
    CK_ULONG bits = 2048;
    CK_ULONG odd_bits = 1024;
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    CK_ATTRIBUTE pub_t[] = {
        { CKA_MODULUS_BITS, &bits, sizeof(bits) },
        { CKA_PUBLIC_EXPONENT, S(f4), sizeof(f4) },
        { CKA_VERIFY, &k_true, 1 },
        { CKA_LABEL, S("rsa"), 3 },
    };
    CK_ATTRIBUTE priv_t[] = {
        { CKA_SIGN, &k_true, 1 },
        { CKA_LABEL, S("rsa"), 3 },
        { CKA_ID, S("\x0R"), 2 },
    };
    uint8_t modulus[300];
    uint8_t exponent[8];
    uint8_t spki[400];
    uint8_t hash[32];
    uint8_t sig[300];
    CK_KEY_TYPE kt = 0;
    CK_ULONG mbits = 0;
    CK_ATTRIBUTE get[] = {
        { CKA_MODULUS, modulus, sizeof(modulus) },
        { CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) },
        { CKA_KEY_TYPE, &kt, sizeof(kt) },
        { CKA_MODULUS_BITS, &mbits, sizeof(mbits) },
        { CKA_PUBLIC_KEY_INFO, spki, sizeof(spki) },
    };
    CK_ATTRIBUTE secret = { CKA_PRIVATE_EXPONENT, modulus, sizeof(modulus) };
    CK_ULONG len = 0;
    psa_key_attributes_t a = PSA_KEY_ATTRIBUTES_INIT;
    psa_key_id_t key = 0;

    (void)state;
    /* bad templates first: nothing is generated */
    pub_t[0].pValue = &odd_bits;
    assert_int_equal(f->C_GenerateKeyPair(h, &gen, pub_t, 4, priv_t, 3, &pub, &priv),
                     CKR_KEY_SIZE_RANGE);
    pub_t[0].pValue = &bits;
    pub_t[1].pValue = S(e3);
    pub_t[1].ulValueLen = 1;
    assert_int_equal(f->C_GenerateKeyPair(h, &gen, pub_t, 4, priv_t, 3, &pub, &priv),
                     CKR_ATTRIBUTE_VALUE_INVALID);
    assert_int_equal(f->C_GenerateKeyPair(h, &gen, &pub_t[2], 2, priv_t, 3, &pub, &priv),
                     CKR_TEMPLATE_INCOMPLETE); /* no size */
    assert_int_equal(count_objects(h, NULL, 0), 0);
    pub_t[1].pValue = S(f4);
    pub_t[1].ulValueLen = sizeof(f4);
    assert_int_equal(f->C_GenerateKeyPair(h, &gen, pub_t, 4, priv_t, 3, &pub, &priv), CKR_OK);

    assert_int_equal(f->C_GetAttributeValue(h, pub, get, 5), CKR_OK);
    assert_int_equal(get[0].ulValueLen, 256);
    assert_true(modulus[0] >= 0x80);
    assert_int_equal(get[1].ulValueLen, 3);
    assert_memory_equal(exponent, f4, 3);
    assert_int_equal(kt, CKK_RSA);
    assert_int_equal(mbits, 2048);
    assert_int_equal(f->C_GetAttributeValue(h, priv, &secret, 1), CKR_ATTRIBUTE_SENSITIVE);

    /* sign: the length is the modulus'; PSA verifies it from the SPKI's RSAPublicKey */
    assert_int_equal(f->C_SignInit(h, &rsa256, priv), CKR_OK);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, NULL, &len), CKR_OK);
    assert_int_equal(len, 256);
    len = sizeof(sig);
    assert_int_equal(f->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, &len), CKR_OK);
    assert_int_equal(len, 256);
    sha256(msg, sizeof(msg) - 1, hash);
    assert_int_equal(spki[24], 0x30); /* SEQUENCE, AlgorithmIdentifier, BIT STRING, then RSAPublicKey */
    psa_set_key_type(&a, PSA_KEY_TYPE_RSA_PUBLIC_KEY);
    psa_set_key_usage_flags(&a, PSA_KEY_USAGE_VERIFY_HASH);
    psa_set_key_algorithm(&a, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256));
    assert_int_equal(psa_import_key(&a, &spki[24], get[4].ulValueLen - 24, &key), PSA_SUCCESS);
    assert_int_equal(psa_verify_hash(key, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_SHA_256), hash, 32,
                                     sig, 256),
                     PSA_SUCCESS);
    assert_int_equal(psa_destroy_key(key), PSA_SUCCESS);
    assert_int_equal(f->C_VerifyInit(h, &rsa256, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 256), CKR_OK);
    assert_int_equal(f->C_VerifyInit(h, &rsa384, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 256),
                     CKR_SIGNATURE_INVALID);
    assert_int_equal(f->C_VerifyInit(h, &rsa256, pub), CKR_OK);
    assert_int_equal(f->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig, 255),
                     CKR_SIGNATURE_LEN_RANGE);
    assert_int_equal(f->C_SignInit(h, &ecdsa, priv), CKR_KEY_TYPE_INCONSISTENT);
    /* RSA keys cannot be created from components through this module */
    {
        CK_OBJECT_CLASS c = CKO_PRIVATE_KEY;
        CK_KEY_TYPE rsa = CKK_RSA;
        CK_OBJECT_HANDLE o = 0;
        CK_ATTRIBUTE t[] = { { CKA_CLASS, &c, sizeof(c) }, { CKA_KEY_TYPE, &rsa, sizeof(rsa) } };
        assert_int_equal(f->C_CreateObject(h, t, 2, &o), CKR_ATTRIBUTE_VALUE_INVALID);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_function_list_and_initialize, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_slot_token_mechanisms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_store_configured, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_without_configured_pin, setup_env, teardown_env),
        cmocka_unit_test_setup_teardown(test_generate_sign_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p384, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificates_and_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_fields_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attribute_given_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_bad_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_and_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_after_finalize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_store_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sha384_and_sha512, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rsa, setup, teardown),
    };
    return cmocka_run_group_tests(tests, load_module, unload_module);
}
