/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iot-provision: put a device's identity into the key store (posix hosts).
 *
 *   iot-provision --store DIR import --key KEY.pem [--cert CERT.pem] --label LABEL
 *   iot-provision --store DIR import --cert CERT.pem --label LABEL
 *   iot-provision --store DIR import --psk PSK.hex --label LABEL
 *   iot-provision --store DIR generate --label LABEL --subject SUBJECT [--type TYPE]
 *   iot-provision --store DIR csr --label LABEL --subject SUBJECT
 *   iot-provision --store DIR list
 *   iot-provision --store DIR delete (--label LABEL | --id ID)
 *
 * `generate` and `csr` print a PKCS#10 request (PEM) on standard output for
 * the fleet's CA; the private key never leaves the store. The store
 * directory may also come from the IOT_STORE_DIR environment variable.
 * Exit status: 0 done, 1 refused or failed (with a message), 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define FILE_MAX 16384

typedef struct {
    const char *store;
    const char *command;
    const char *key;
    const char *cert;
    const char *label;
    const char *subject;
    const char *type;
    const char *id;
    const char *psk;
} args_t;

static void usage(void)
{
    fprintf(stderr,
            "usage: iot-provision [--store DIR] COMMAND [options]\n"
            "  import   --key KEY.pem [--cert CERT.pem] --label LABEL\n"
            "           import a private key (PKCS#8, SEC1 or PKCS#1; PEM or DER) and\n"
            "           optionally its certificate, under one label\n"
            "  import   --cert CERT.pem --label LABEL\n"
            "           store a certificate alone: the one the CA issued for a generated\n"
            "           key of that label (checked against it), or a CA certificate\n"
            "  import   --psk PSK.hex --label LABEL\n"
            "           import a TLS pre-shared key (1 to 64 bytes, as hex text)\n"
            "  generate --label LABEL --subject SUBJECT [--type p256|p384|rsa2048|rsa3072]\n"
            "           generate a key in the store and print a CSR (PEM)\n"
            "  csr      --label LABEL --subject SUBJECT\n"
            "           print a CSR for a stored key\n"
            "  list     list the objects in the store\n"
            "  delete   --label LABEL | --id ID\n"
            "           delete objects (by label: the key, certificate and public key)\n"
            "SUBJECT is e.g. \"C=GB,O=Acme,CN=device-1\" (most significant first).\n"
            "DIR defaults to $IOT_STORE_DIR; it is created with mode 0700.\n");
}

/* A one-line explanation of a failure, naming what failed. */
static int fail(const char *what, iot_status_t st)
{
    const char *why;

    switch (st) {
    case IOT_ERR_BAD_PEM:
        why = "not valid PEM (missing BEGIN/END line or bad base64)";
        break;
    case IOT_ERR_TRUNCATED:
        why = "the data is truncated";
        break;
    case IOT_ERR_BAD_FORMAT:
        why = "the data is malformed";
        break;
    case IOT_ERR_WRONG_KEY_TYPE:
        why = "wrong key type: it holds another kind of object than expected";
        break;
    case IOT_ERR_UNSUPPORTED_KEY:
        why = "unsupported key (supported: EC P-256, P-384; RSA 2048, 3072, 4096)";
        break;
    case IOT_ERR_NOT_SUPPORTED:
        why = "encrypted keys are not supported; decrypt it first";
        break;
    case IOT_ERR_ALREADY_EXISTS:
        why = "duplicate label: an object of that kind already has it (delete it first)";
        break;
    case IOT_ERR_STORAGE_FULL:
        why = "the key store is full; delete objects first";
        break;
    case IOT_ERR_BAD_LABEL:
        why = "bad label: at most 64 printable characters";
        break;
    case IOT_ERR_NOT_FOUND:
        why = "no such object";
        break;
    case IOT_ERR_NOT_PERMITTED:
        why = "not permitted (check the store directory's owner and mode 0700)";
        break;
    default:
        why = iot_strerror(st);
        break;
    }
    fprintf(stderr, "iot-provision: %s: %s [%s]\n", what, why, iot_status_name(st));
    return 1;
}

static int read_file(const char *path, unsigned char *buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "iot-provision: %s: %s\n", path, strerror(errno));
        return 1;
    }
    n = fread(buf, 1, FILE_MAX, f);
    if (n == FILE_MAX || ferror(f)) {
        fprintf(stderr, "iot-provision: %s: unreadable or larger than %d bytes\n", path, FILE_MAX - 1);
        (void)fclose(f);
        return 1;
    }
    (void)fclose(f);
    buf[n] = '\0'; /* PEM parsers want the terminator */
    *len = n;
    return 0;
}

static const char *class_name(iot_obj_class_t c)
{
    switch (c) {
    case IOT_OBJ_PRIVATE_KEY:
        return "private-key";
    case IOT_OBJ_PUBLIC_KEY:
        return "public-key";
    case IOT_OBJ_SECRET_KEY:
        return "secret-key";
    case IOT_OBJ_CERTIFICATE:
        return "certificate";
    case IOT_OBJ_DATA:
        return "data";
    default:
        return "?";
    }
}

static const char *type_name(iot_key_type_t t)
{
    switch (t) {
    case IOT_KEY_TYPE_EC_P256:
        return "ec-p256";
    case IOT_KEY_TYPE_EC_P384:
        return "ec-p384";
    case IOT_KEY_TYPE_RSA_2048:
        return "rsa-2048";
    case IOT_KEY_TYPE_RSA_3072:
        return "rsa-3072";
    case IOT_KEY_TYPE_RSA_4096:
        return "rsa-4096";
    case IOT_KEY_TYPE_PSK:
        return "psk";
    default:
        return "-";
    }
}

/* Does the certificate carry the public key of `key`? */
static int cert_matches_key(const unsigned char *cert, size_t cert_len, iot_key_id_t key,
                            int *matches)
{
    mbedtls_x509_crt crt;
    unsigned char spki[1024];
    unsigned char ours[1024];
    size_t ours_len = 0;
    int n;
    iot_status_t st;

    mbedtls_x509_crt_init(&crt);
    if (mbedtls_x509_crt_parse(&crt, cert, cert_len + 1u) != 0 &&
        mbedtls_x509_crt_parse_der(&crt, cert, cert_len) != 0) {
        mbedtls_x509_crt_free(&crt);
        return -1;
    }
    n = mbedtls_pk_write_pubkey_der(&crt.pk, spki, sizeof(spki));
    mbedtls_x509_crt_free(&crt);
    if (n <= 0) {
        return -1;
    }
    st = iot_key_export_public(key, IOT_KEY_FORMAT_DER, ours, sizeof(ours), &ours_len);
    if (st != IOT_OK) {
        return -1;
    }
    *matches = (ours_len == (size_t)n && memcmp(ours, spki + sizeof(spki) - (size_t)n, ours_len) == 0);
    return 0;
}

/* A pre-shared key from a file of hex digits (white space around them allowed). */
static int import_psk(const args_t *a)
{
    static unsigned char text[FILE_MAX];
    unsigned char psk[IOT_KEY_PSK_MAX];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = 0;
    size_t text_len = 0;
    size_t start = 0;
    size_t end;
    size_t n;
    size_t i;
    iot_status_t st;

    if (read_file(a->psk, text, &text_len) != 0) {
        return 1;
    }
    end = text_len;
    while (start < end && strchr(" \t\r\n", text[start]) != NULL) {
        start++;
    }
    while (end > start && strchr(" \t\r\n", text[end - 1u]) != NULL) {
        end--;
    }
    n = (end - start) / 2u;
    if (end == start || (end - start) % 2u != 0u || n > sizeof(psk)) {
        memset(text, 0, sizeof(text));
        fprintf(stderr, "iot-provision: %s: expected 2 to %u hex digits (1 to %u bytes)\n", a->psk,
                (unsigned)(2u * sizeof(psk)), (unsigned)sizeof(psk));
        return 1;
    }
    for (i = 0; i < n; i++) {
        unsigned v = 0;
        char pair[3] = { (char)text[start + 2u * i], (char)text[start + 2u * i + 1u], '\0' };
        char *stop = NULL;

        if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1])) {
            stop = NULL;
        } else {
            v = (unsigned)strtoul(pair, &stop, 16);
        }
        if (stop != pair + 2) {
            memset(text, 0, sizeof(text));
            memset(psk, 0, sizeof(psk));
            fprintf(stderr, "iot-provision: %s: not hex text\n", a->psk);
            return 1;
        }
        psk[i] = (unsigned char)v;
    }
    memset(text, 0, sizeof(text));
    o.label = a->label;
    st = iot_key_import_psk(psk, n, &o, &id);
    memset(psk, 0, sizeof(psk));
    if (st != IOT_OK) {
        return fail(a->psk, st);
    }
    printf("imported pre-shared key id %u (%u bytes) as '%s'\n", (unsigned)id, (unsigned)n,
           a->label);
    return 0;
}

/* A certificate alone: if a private key has the label, it must be its certificate. */
static int import_cert_only(const args_t *a)
{
    static unsigned char cert[FILE_MAX];
    size_t cert_len = 0;
    iot_key_id_t key_id = 0;
    iot_key_id_t cert_id = 0;
    iot_status_t st;
    int matches = 0;

    if (read_file(a->cert, cert, &cert_len) != 0) {
        return 1;
    }
    st = iot_keystore_find(IOT_OBJ_PRIVATE_KEY, a->label, &key_id);
    if (st == IOT_OK) {
        if (cert_matches_key(cert, cert_len, key_id, &matches) != 0 || !matches) {
            fprintf(stderr, "iot-provision: %s: the certificate does not carry the public key of "
                            "private key '%s' (or is not a certificate); nothing imported\n",
                    a->cert, a->label);
            return 1;
        }
    } else if (st != IOT_ERR_NOT_FOUND) {
        return fail(a->label, st);
    }
    st = iot_keystore_save(IOT_OBJ_CERTIFICATE, a->label, cert, cert_len + 1u, 0u, &cert_id);
    if (st != IOT_OK) {
        return fail(a->cert, st);
    }
    printf("imported certificate id %u as '%s'", (unsigned)cert_id, a->label);
    if (key_id != 0u) {
        printf(" for private key id %u", (unsigned)key_id);
    }
    printf("\n");
    return 0;
}

static int cmd_import(const args_t *a)
{
    static unsigned char key[FILE_MAX];
    static unsigned char cert[FILE_MAX];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    size_t key_len = 0;
    size_t cert_len = 0;
    iot_key_id_t key_id = 0;
    iot_key_id_t cert_id = 0;
    iot_status_t st;
    int matches = 0;

    if (a->psk != NULL && a->key == NULL && a->cert == NULL && a->label != NULL) {
        return import_psk(a);
    }
    if (a->psk != NULL) {
        usage();
        return 2;
    }
    if (a->key == NULL && a->cert != NULL && a->label != NULL) {
        return import_cert_only(a);
    }
    if (a->key == NULL || a->label == NULL) {
        usage();
        return 2;
    }
    if (read_file(a->key, key, &key_len) != 0 ||
        (a->cert != NULL && read_file(a->cert, cert, &cert_len) != 0)) {
        return 1;
    }
    o.label = a->label;
    st = iot_key_import_private(key, key_len + 1u, &o, &key_id);
    memset(key, 0, sizeof(key));
    if (st != IOT_OK) {
        return fail(a->key, st);
    }
    if (a->cert != NULL) {
        if (cert_matches_key(cert, cert_len, key_id, &matches) != 0 || !matches) {
            (void)iot_keystore_destroy(key_id);
            fprintf(stderr, "iot-provision: %s: %s\n", a->cert,
                    matches ? "" : "the certificate does not carry this key's public key "
                                   "(or is not a certificate); nothing imported");
            return 1;
        }
        st = iot_keystore_save(IOT_OBJ_CERTIFICATE, a->label, cert, cert_len + 1u, 0u, &cert_id);
        if (st != IOT_OK) {
            (void)iot_keystore_destroy(key_id);
            return fail(a->cert, st);
        }
    }
    printf("imported private key id %u", (unsigned)key_id);
    if (a->cert != NULL) {
        printf(" and certificate id %u", (unsigned)cert_id);
    }
    printf(" as '%s'\n", a->label);
    return 0;
}

static int print_csr(iot_key_id_t id, const char *subject)
{
    static char csr[8192];
    iot_csr_options_t c = IOT_CSR_OPTIONS_INIT;
    size_t len = 0;
    iot_status_t st;

    c.subject = subject;
    st = iot_key_csr(id, &c, csr, sizeof(csr), &len);
    if (st == IOT_ERR_BAD_FORMAT) {
        fprintf(stderr, "iot-provision: subject '%s': malformed (use e.g. C=GB,O=Acme,CN=dev-1)\n",
                subject);
        return 1;
    }
    if (st != IOT_OK) {
        return fail("csr", st);
    }
    fputs(csr, stdout);
    return 0;
}

static int cmd_generate(const args_t *a)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_type_t type = IOT_KEY_TYPE_EC_P256;
    iot_key_id_t id = 0;
    iot_status_t st;

    if (a->label == NULL || a->subject == NULL) {
        usage();
        return 2;
    }
    if (a->type != NULL) {
        if (strcmp(a->type, "p256") == 0) {
            type = IOT_KEY_TYPE_EC_P256;
        } else if (strcmp(a->type, "p384") == 0) {
            type = IOT_KEY_TYPE_EC_P384;
        } else if (strcmp(a->type, "rsa2048") == 0) {
            type = IOT_KEY_TYPE_RSA_2048;
        } else if (strcmp(a->type, "rsa3072") == 0) {
            type = IOT_KEY_TYPE_RSA_3072;
        } else {
            fprintf(stderr, "iot-provision: --type %s: wrong key type (p256, p384, rsa2048, rsa3072)\n",
                    a->type);
            return 2;
        }
    }
    o.label = a->label;
    st = iot_key_generate(type, &o, &id);
    if (st != IOT_OK) {
        return fail("generate", st);
    }
    fprintf(stderr, "generated %s key id %u as '%s'\n", type_name(type), (unsigned)id, a->label);
    if (print_csr(id, a->subject) != 0) {
        (void)iot_keystore_destroy(id); /* no half-provisioned device */
        return 1;
    }
    return 0;
}

static int cmd_csr(const args_t *a)
{
    iot_key_id_t id = 0;
    iot_status_t st;

    if (a->label == NULL || a->subject == NULL) {
        usage();
        return 2;
    }
    st = iot_keystore_find(IOT_OBJ_PRIVATE_KEY, a->label, &id);
    if (st != IOT_OK) {
        return fail(a->label, st);
    }
    return print_csr(id, a->subject);
}

static int cmd_list(void)
{
    iot_key_id_t ids[IOT_CONFIG_KEYS_MAX_OBJECTS];
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    size_t n = 0;
    size_t i;
    iot_status_t st;

    st = iot_keystore_list(ids, IOT_CONFIG_KEYS_MAX_OBJECTS, &n);
    if (st != IOT_OK) {
        return fail("list", st);
    }
    printf("%-6s %-12s %-9s %-5s %-10s %s\n", "ID", "CLASS", "TYPE", "BITS", "STORAGE", "LABEL");
    for (i = 0; i < n; i++) {
        iot_key_info_t info = IOT_KEY_INFO_INIT;
        if (iot_keystore_get_info(ids[i], &info) != IOT_OK) {
            continue;
        }
        printf("%-6u %-12s %-9s %-5u %-10s %s\n", (unsigned)info.id, class_name(info.obj_class),
               type_name(info.key_type), (unsigned)info.bits,
               info.persistent ? "persistent" : "volatile", info.label);
    }
    if (iot_keystore_get_stats(&stats) == IOT_OK) {
        printf("%u of %u entries used", (unsigned)stats.objects, (unsigned)stats.capacity);
        if (stats.corrupt > 0u) {
            printf("; %u damaged stored object(s) kept aside", (unsigned)stats.corrupt);
        }
        printf("\n");
    }
    return 0;
}

static int cmd_delete(const args_t *a)
{
    static const iot_obj_class_t classes[] = { IOT_OBJ_PRIVATE_KEY, IOT_OBJ_CERTIFICATE,
                                               IOT_OBJ_PUBLIC_KEY, IOT_OBJ_SECRET_KEY,
                                               IOT_OBJ_DATA };
    iot_key_id_t id = 0;
    int deleted = 0;
    size_t i;
    iot_status_t st;

    if (a->id != NULL) {
        char *end = NULL;
        unsigned long v = strtoul(a->id, &end, 10);
        if (end == a->id || *end != '\0' || v == 0ul || v > 0xFFFFFFFFul) {
            fprintf(stderr, "iot-provision: --id %s: not an object id\n", a->id);
            return 2;
        }
        st = iot_keystore_destroy((iot_key_id_t)v);
        if (st != IOT_OK) {
            return fail(a->id, st);
        }
        printf("deleted object %lu\n", v);
        return 0;
    }
    if (a->label == NULL) {
        usage();
        return 2;
    }
    for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        st = iot_keystore_find(classes[i], a->label, &id);
        if (st == IOT_ERR_NOT_FOUND) {
            continue;
        }
        if (st == IOT_OK) {
            st = iot_keystore_destroy(id);
        }
        if (st != IOT_OK) {
            return fail(a->label, st);
        }
        printf("deleted %s %u '%s'\n", class_name(classes[i]), (unsigned)id, a->label);
        deleted++;
    }
    if (deleted == 0) {
        return fail(a->label, IOT_ERR_NOT_FOUND);
    }
    return 0;
}

int main(int argc, char **argv)
{
    args_t a;
    iot_status_t st;
    int i;
    int rc;

    memset(&a, 0, sizeof(a));
    a.store = getenv("IOT_STORE_DIR");
    for (i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--store") == 0) {
            slot = &a.store;
        } else if (strcmp(argv[i], "--key") == 0) {
            slot = &a.key;
        } else if (strcmp(argv[i], "--cert") == 0) {
            slot = &a.cert;
        } else if (strcmp(argv[i], "--label") == 0) {
            slot = &a.label;
        } else if (strcmp(argv[i], "--subject") == 0) {
            slot = &a.subject;
        } else if (strcmp(argv[i], "--type") == 0) {
            slot = &a.type;
        } else if (strcmp(argv[i], "--id") == 0) {
            slot = &a.id;
        } else if (strcmp(argv[i], "--psk") == 0) {
            slot = &a.psk;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else if (argv[i][0] != '-' && a.command == NULL) {
            a.command = argv[i];
            continue;
        } else {
            fprintf(stderr, "iot-provision: unexpected argument '%s'\n", argv[i]);
            usage();
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "iot-provision: %s needs a value\n", argv[i]);
            return 2;
        }
        *slot = argv[++i];
    }
    if (a.command == NULL || a.store == NULL) {
        usage();
        return 2;
    }
    iot_log_set_level(IOT_LOG_ERROR); /* our own messages say it better */
    st = iot_posix_store_set_dir(a.store);
    if (st != IOT_OK) {
        return fail(a.store, st);
    }
    st = iot_keystore_init();
    if (st != IOT_OK) {
        return fail("key store", st);
    }
    if (strcmp(a.command, "import") == 0) {
        rc = cmd_import(&a);
    } else if (strcmp(a.command, "generate") == 0) {
        rc = cmd_generate(&a);
    } else if (strcmp(a.command, "csr") == 0) {
        rc = cmd_csr(&a);
    } else if (strcmp(a.command, "list") == 0) {
        rc = cmd_list();
    } else if (strcmp(a.command, "delete") == 0) {
        rc = cmd_delete(&a);
    } else {
        fprintf(stderr, "iot-provision: unknown command '%s'\n", a.command);
        usage();
        rc = 2;
    }
    iot_keystore_deinit();
    return rc;
}
