/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: PKCS#11 attribute templates (src/pkcs11/) given to
 * C_CreateObject, C_FindObjectsInit and C_GetAttributeValue of the module,
 * linked in (no dlopen), over a key store in a temporary directory.
 *
 * The store holds fixed objects made at start (a certificate, a data
 * object, a P-256 key pair, a secret key). The input is a list of up to
 * MAX_OPS operations, each:
 *
 *   op (mod 3: create, find, get)   object (get: index among the fixed
 *   and the created objects)        count (mod 9: attributes), then per
 *   attribute: type (index into k_types; 0xFF: 4 bytes little-endian of a
 *   raw type), length (0xFF: NULL pValue and one more length byte; 0xFE:
 *   two more bytes, little-endian, up to 4095), and for create and find
 *   the value bytes.
 *
 * Objects created by an input are destroyed at its end.
 *
 * Invariants: each call answers only the statuses doc/pkcs11.md lists for a
 * template (never CKR_DEVICE_ERROR or CKR_GENERAL_ERROR); a created object
 * has the class its template named, and a certificate's CKA_SUBJECT,
 * CKA_ISSUER and CKA_SERIAL_NUMBER can be read; every object a search
 * finds has each searched attribute with the searched value; a read never
 * reports more bytes than the buffer it filled, and CKR_OK means every
 * attribute was answered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "fuzz_common.h"
#include "pkcs11/iot_pkcs11_internal.h"

#ifndef IOT_FUZZ_CERT_DER
#error "IOT_FUZZ_CERT_DER must name a DER certificate (tests/fuzz/corpus/key_der/seed-p256-cert.der)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define PIN "fuzz-pin-1234"
#define MAX_OPS 8u
#define MAX_ATTRS 8u
#define MAX_OBJECTS 16u

/* Attribute types by index (gen_corpus.py writes seeds with these indices). */
static const CK_ATTRIBUTE_TYPE k_types[] = {
    CKA_CLASS,        CKA_TOKEN,           CKA_PRIVATE,          CKA_LABEL,
    CKA_APPLICATION,  CKA_VALUE,           CKA_OBJECT_ID,        CKA_CERTIFICATE_TYPE,
    CKA_ISSUER,       CKA_SERIAL_NUMBER,   CKA_TRUSTED,          CKA_CERTIFICATE_CATEGORY,
    CKA_KEY_TYPE,     CKA_SUBJECT,         CKA_ID,               CKA_SENSITIVE,
    CKA_ENCRYPT,      CKA_DECRYPT,         CKA_WRAP,             CKA_UNWRAP,
    CKA_SIGN,         CKA_VERIFY,          CKA_DERIVE,           CKA_START_DATE,
    CKA_END_DATE,     CKA_MODULUS,         CKA_MODULUS_BITS,     CKA_PUBLIC_EXPONENT,
    CKA_VALUE_LEN,    CKA_EXTRACTABLE,     CKA_LOCAL,            CKA_NEVER_EXTRACTABLE,
    CKA_ALWAYS_SENSITIVE, CKA_MODIFIABLE,  CKA_COPYABLE,         CKA_DESTROYABLE,
    CKA_EC_PARAMS,    CKA_EC_POINT,        CKA_ALWAYS_AUTHENTICATE, CKA_PUBLIC_KEY_INFO,
    CKA_ALLOWED_MECHANISMS,
};
#define N_TYPES (sizeof(k_types) / sizeof(k_types[0]))

/* A string literal as a template value (the module never writes to it). */
#define S(lit) ((void *)(uintptr_t)(lit))

static char g_dir[64];
static bool g_verbose; /* IOT_FUZZ_VERBOSE set: print each call's result (checking seeds) */
static CK_SESSION_HANDLE g_h;
static CK_OBJECT_HANDLE g_fixed[MAX_OBJECTS];
static size_t g_fixed_count;

/* A cursor over the input; reads past the end give zeros and set `end`. */
typedef struct {
    const uint8_t *p;
    size_t left;
    bool end;
} cursor_t;

static uint8_t next(cursor_t *c)
{
    if (c->left == 0u) {
        c->end = true;
        return 0;
    }
    c->left--;
    return *c->p++;
}

static void remove_dir(void)
{
    char cmd[96];

    (void)C_Finalize(NULL);
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_pkcs11_template: could not remove %s\n", g_dir);
    }
}

static void fixed_objects(void)
{
    static uint8_t der[4096];
    static const uint8_t p256[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
    static const uint8_t psk[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
    CK_OBJECT_CLASS data_class = CKO_DATA;
    CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
    CK_CERTIFICATE_TYPE x509 = CKC_X_509;
    CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
    CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    FILE *f = fopen(IOT_FUZZ_CERT_DER, "rb");
    size_t der_len;

    FUZZ_CHECK(f != NULL);
    der_len = fread(der, 1, sizeof(der), f);
    (void)fclose(f);
    {
        CK_ATTRIBUTE t[] = { { CKA_CLASS, &cert_class, sizeof(cert_class) },
                             { CKA_CERTIFICATE_TYPE, &x509, sizeof(x509) },
                             { CKA_LABEL, S("device"), 6 },
                             { CKA_ID, S("\xA1\xB2"), 2 },
                             { CKA_VALUE, der, der_len } };
        FUZZ_CHECK(C_CreateObject(g_h, t, 5, &g_fixed[g_fixed_count++]) == CKR_OK);
    }
    {
        CK_ATTRIBUTE t[] = { { CKA_CLASS, &data_class, sizeof(data_class) },
                             { CKA_LABEL, S("config"), 6 },
                             { CKA_VALUE, S("interval=60"), 11 } };
        FUZZ_CHECK(C_CreateObject(g_h, t, 3, &g_fixed[g_fixed_count++]) == CKR_OK);
    }
    {
        CK_ATTRIBUTE t[] = { { CKA_CLASS, &secret_class, sizeof(secret_class) },
                             { CKA_KEY_TYPE, &generic, sizeof(generic) },
                             { CKA_LABEL, S("psk"), 3 },
                             { CKA_VALUE, (void *)psk, sizeof(psk) } };
        FUZZ_CHECK(C_CreateObject(g_h, t, 4, &g_fixed[g_fixed_count++]) == CKR_OK);
    }
    {
        CK_ATTRIBUTE pub[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
                               { CKA_LABEL, S("pair"), 4 } };
        CK_ATTRIBUTE priv[] = { { CKA_LABEL, S("pair"), 4 }, { CKA_ID, S("\x01"), 1 } };
        FUZZ_CHECK(C_GenerateKeyPair(g_h, &gen, pub, 2, priv, 2, &g_fixed[g_fixed_count],
                                     &g_fixed[g_fixed_count + 1u]) == CKR_OK);
        g_fixed_count += 2u;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    struct stat st;

    (void)argc;
    (void)argv;
    /* Every created object is written and synced: prefer memory-backed storage. */
    if (tmp == NULL) {
        tmp = (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) ? "/dev/shm" : "/tmp";
    }
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-fuzz-p11.XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(g_dir) != NULL);
    g_verbose = getenv("IOT_FUZZ_VERBOSE") != NULL;
    FUZZ_CHECK(setenv("CORSTONE_IOT_PKCS11_STORE", g_dir, 1) == 0);
    FUZZ_CHECK(setenv("CORSTONE_IOT_PKCS11_PIN", PIN, 1) == 0);
    FUZZ_CHECK(setenv("CORSTONE_IOT_PKCS11_LOG", "0", 1) == 0);
    FUZZ_CHECK(C_Initialize(NULL) == CKR_OK);
    atexit(remove_dir);
    FUZZ_CHECK(C_OpenSession(IOT_P11_SLOT_ID, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                             &g_h) == CKR_OK);
    FUZZ_CHECK(C_Login(g_h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, strlen(PIN)) == CKR_OK);
    fixed_objects();
    return 0;
}

/* One template from the input. For reads (`fill` false) the values are
 * output buffers of the given lengths; each buffer is its own allocation,
 * so a write past one is an AddressSanitizer report. */
typedef struct {
    CK_ATTRIBUTE a[MAX_ATTRS];
    CK_ULONG n;
    CK_ULONG given_len[MAX_ATTRS];
} tmpl_t;

static void read_template(cursor_t *c, tmpl_t *t, bool fill)
{
    CK_ULONG i;

    memset(t, 0, sizeof(*t));
    t->n = next(c) % (MAX_ATTRS + 1u);
    for (i = 0; i < t->n; i++) {
        uint8_t sel = next(c);
        uint8_t lb = next(c);
        bool null_value = false;
        size_t len;
        size_t k;

        if (sel == 0xFFu) {
            uint32_t raw = 0;
            for (k = 0; k < 4u; k++) {
                raw |= (uint32_t)next(c) << (8u * k);
            }
            t->a[i].type = raw;
        } else {
            t->a[i].type = k_types[sel % N_TYPES];
        }
        if (lb == 0xFFu) {
            null_value = true;
            lb = next(c);
        }
        len = lb;
        if (lb == 0xFEu) {
            /* Longer values (certificates): two more bytes, little-endian, below 4 KiB. */
            len = (size_t)next(c);
            len |= (size_t)(next(c) & 0x0Fu) << 8;
        }
        t->a[i].ulValueLen = len;
        t->given_len[i] = len;
        if (null_value) {
            t->a[i].pValue = NULL;
            continue;
        }
        t->a[i].pValue = malloc(len > 0u ? len : 1u);
        FUZZ_CHECK(t->a[i].pValue != NULL);
        for (k = 0; k < len; k++) {
            ((uint8_t *)t->a[i].pValue)[k] = fill ? next(c) : 0xA5u;
        }
    }
}

static void free_template(tmpl_t *t)
{
    CK_ULONG i;

    for (i = 0; i < t->n; i++) {
        free(t->a[i].pValue);
    }
}

/* The value of one attribute of an object into buf (cap bytes); its length or -1. */
static long read_attr(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, uint8_t *buf, size_t cap)
{
    CK_ATTRIBUTE a = { type, buf, cap };
    CK_RV rv = C_GetAttributeValue(g_h, o, &a, 1);

    FUZZ_CHECK(rv != CKR_DEVICE_ERROR && rv != CKR_GENERAL_ERROR);
    return (rv == CKR_OK) ? (long)a.ulValueLen : -1;
}

static void do_create(cursor_t *c, CK_OBJECT_HANDLE *created, size_t *n_created)
{
    static uint8_t buf[4096];
    tmpl_t t;
    CK_OBJECT_HANDLE h = 0;
    CK_RV rv;
    CK_ULONG i;

    read_template(c, &t, true);
    rv = C_CreateObject(g_h, t.a, t.n, &h);
    if (g_verbose) {
        fprintf(stderr, "C_CreateObject(%lu attributes): 0x%lx\n", (unsigned long)t.n, (unsigned long)rv);
    }
    FUZZ_CHECK(rv == CKR_OK || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
               rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_TEMPLATE_INCOMPLETE ||
               rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_CURVE_NOT_SUPPORTED ||
               rv == CKR_DOMAIN_PARAMS_INVALID || rv == CKR_DEVICE_MEMORY);
    if (rv == CKR_OK) {
        CK_OBJECT_CLASS cls = 0;
        long n;

        created[(*n_created)++] = h;
        n = read_attr(h, CKA_CLASS, buf, sizeof(buf));
        FUZZ_CHECK(n == (long)sizeof(CK_OBJECT_CLASS));
        memcpy(&cls, buf, sizeof(cls));
        for (i = 0; i < t.n; i++) {
            if (t.a[i].type == CKA_CLASS) {
                FUZZ_CHECK(memcmp(t.a[i].pValue, &cls, sizeof(cls)) == 0);
            }
        }
        if (cls == CKO_CERTIFICATE) {
            FUZZ_CHECK(read_attr(h, CKA_SUBJECT, buf, sizeof(buf)) > 0);
            FUZZ_CHECK(read_attr(h, CKA_ISSUER, buf, sizeof(buf)) > 0);
            FUZZ_CHECK(read_attr(h, CKA_SERIAL_NUMBER, buf, sizeof(buf)) > 0);
        }
    }
    free_template(&t);
}

static void do_find(cursor_t *c)
{
    static uint8_t buf[4096];
    tmpl_t t;
    CK_OBJECT_HANDLE found[MAX_OBJECTS * 2u];
    CK_ULONG count = 0;
    CK_ULONG i;
    CK_ULONG k;
    CK_RV rv;

    read_template(c, &t, true);
    rv = C_FindObjectsInit(g_h, t.a, t.n);
    if (g_verbose) {
        fprintf(stderr, "C_FindObjectsInit(%lu attributes): 0x%lx\n", (unsigned long)t.n, (unsigned long)rv);
    }
    FUZZ_CHECK(rv == CKR_OK || rv == CKR_ATTRIBUTE_VALUE_INVALID);
    if (rv == CKR_OK) {
        FUZZ_CHECK(C_FindObjects(g_h, found, MAX_OBJECTS * 2u, &count) == CKR_OK);
        FUZZ_CHECK(count <= MAX_OBJECTS * 2u);
        FUZZ_CHECK(C_FindObjectsFinal(g_h) == CKR_OK);
        for (i = 0; i < count; i++) {
            for (k = 0; k < t.n; k++) {
                long n = read_attr(found[i], t.a[k].type, buf, sizeof(buf));
                FUZZ_CHECK(n == (long)t.a[k].ulValueLen);
                FUZZ_CHECK(n == 0 || memcmp(buf, t.a[k].pValue, (size_t)n) == 0);
            }
        }
    }
    free_template(&t);
}

static void do_get(cursor_t *c, const CK_OBJECT_HANDLE *created, size_t n_created)
{
    uint8_t which = next(c);
    size_t total = g_fixed_count + n_created;
    size_t idx = which % (total + 1u); /* one past the end: a handle that does not exist */
    CK_OBJECT_HANDLE o = (idx < g_fixed_count) ? g_fixed[idx]
                         : (idx < total)       ? created[idx - g_fixed_count]
                                               : (CK_OBJECT_HANDLE)0x7FFFFFF0u;
    tmpl_t t;
    CK_ULONG i;
    CK_RV rv;

    read_template(c, &t, false);
    rv = C_GetAttributeValue(g_h, o, t.a, t.n);
    if (g_verbose) {
        fprintf(stderr, "C_GetAttributeValue(object %zu, %lu attributes): 0x%lx\n", idx,
                (unsigned long)t.n, (unsigned long)rv);
    }
    FUZZ_CHECK(rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
               rv == CKR_BUFFER_TOO_SMALL || rv == CKR_OBJECT_HANDLE_INVALID);
    FUZZ_CHECK(rv != CKR_OBJECT_HANDLE_INVALID || idx == total);
    if (rv != CKR_OBJECT_HANDLE_INVALID) {
        for (i = 0; i < t.n; i++) {
            CK_ULONG len = t.a[i].ulValueLen;
            if (len == CK_UNAVAILABLE_INFORMATION) {
                FUZZ_CHECK(rv != CKR_OK);
            } else if (t.a[i].pValue != NULL) {
                FUZZ_CHECK(len <= t.given_len[i]);
            }
        }
    }
    free_template(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    CK_OBJECT_HANDLE created[MAX_OPS];
    size_t n_created = 0;
    cursor_t c = { data, size, false };
    unsigned ops;
    size_t i;

    for (ops = 0; ops < MAX_OPS && c.left > 0u; ops++) {
        switch (next(&c) % 3u) {
        case 0:
            do_create(&c, created, &n_created);
            break;
        case 1:
            do_find(&c);
            break;
        default:
            do_get(&c, created, n_created);
            break;
        }
    }
    for (i = 0; i < n_created; i++) {
        FUZZ_CHECK(C_DestroyObject(g_h, created[i]) == CKR_OK);
    }
    return 0;
}
