/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: TLS with credentials held in the key store
 * (IOT_CRED_FROM_STORE), against a real mosquitto.
 *
 * Mutual TLS signs CertificateVerify inside the store (keys imported from
 * PEM, and keys generated in the store whose certificate the test CA issues
 * from the store's CSR: P-256, P-384, RSA-2048); TLS-PSK takes the key by
 * id. Refusals: unknown ids, objects of the wrong class, a key of another
 * type than the certificate's, a key that is not the certificate's, a key
 * without sign usage, a wrong stored PSK, a volatile PSK, a stored key the
 * broker does not trust, a damaged key file, the store not started.
 * White-box checks show what the TLS layer holds: a pk context that is only
 * a key id, and a configuration PSK that is not the real one.
 *
 * Run under with_broker.sh (it exports IOT_TEST_*). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "iot_transport.h"

static char g_pki[512];
static char g_dir[512];   /* scratch: CSRs, certificates */
static char g_store[600]; /* the key store, inside g_dir */
static uint8_t g_psk[64];
static size_t g_psk_len;

/* Objects the tests share. */
static iot_key_id_t g_key;      /* client.key, imported */
static iot_key_id_t g_cert;     /* client.crt */
static iot_key_id_t g_ca;       /* ca.crt */
static iot_key_id_t g_psk_id;   /* the device-1 PSK */

/* ---- utilities ------------------------------------------------------------ */

static const char *pki(const char *file)
{
    static char paths[8][600];
    static int next;
    char *p = paths[next++ % 8];
    (void)snprintf(p, sizeof(paths[0]), "%s/%s", g_pki, file);
    return p;
}

static uint16_t env_port(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fail_msg("%s not set: run under with_broker.sh", name);
    }
    return (uint16_t)atoi(v);
}

/* Whole file into buf, NUL-terminated; returns its length. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL) {
        fail_msg("%s: %s", path, strerror(errno));
    }
    n = fread(buf, 1, cap - 1u, f);
    fclose(f);
    assert_true(n < cap - 1u);
    buf[n] = '\0';
    return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void load_psk(void)
{
    char hex[200];
    size_t i;

    read_file(pki("psk.hex"), hex, sizeof(hex));
    g_psk_len = strlen(hex) / 2u;
    assert_true(g_psk_len > 0u && g_psk_len <= sizeof(g_psk));
    for (i = 0; i < g_psk_len; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        g_psk[i] = (uint8_t)v;
    }
}

static iot_key_id_t import_key_file(const char *path, const char *label, uint32_t usage)
{
    char pem[8192];
    size_t n = read_file(path, pem, sizeof(pem));
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t id = IOT_KEY_ID_NONE;

    o.label = label;
    o.usage = usage;
    assert_int_equal(iot_key_import_private(pem, n + 1u, &o, &id), IOT_OK);
    return id;
}

static iot_key_id_t save_cert_file(const char *path, const char *label)
{
    char pem[8192];
    size_t n = read_file(path, pem, sizeof(pem));
    iot_key_id_t id = IOT_KEY_ID_NONE;

    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, label, pem, n + 1u, 0u, &id), IOT_OK);
    return id;
}

static iot_tls_config_t mtls(iot_key_id_t ca, iot_key_id_t cert, iot_key_id_t key)
{
    iot_tls_config_t t = IOT_TLS_CONFIG_INIT;
    iot_cred_t c_ca = IOT_CRED_FROM_STORE(ca);
    iot_cred_t c_cert = IOT_CRED_FROM_STORE(cert);
    iot_cred_t c_key = IOT_CRED_FROM_STORE(key);

    t.ca = c_ca;
    t.client_cert = c_cert;
    t.client_key = c_key;
    t.server_name = "localhost";
    return t;
}

static iot_tls_config_t psk_tls(iot_key_id_t id)
{
    iot_tls_config_t t = IOT_TLS_CONFIG_INIT;
    iot_cred_t c = IOT_CRED_FROM_STORE(id);

    t.mode = IOT_TLS_PSK;
    t.psk_identity = "device-1";
    t.psk = c;
    return t;
}

static iot_connect_options_t options(const char *id, uint16_t port, const iot_tls_config_t *tls)
{
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;
    o.host = "127.0.0.1";
    o.port = port;
    o.client_id = id;
    o.tls = tls;
    o.auto_reconnect = false;
    return o;
}

typedef struct {
    int count;
    char payload[64];
} inbox_t;

static void on_msg(iot_client_t *c, const iot_message_t *m, void *user)
{
    inbox_t *in = user;
    (void)c;
    in->count++;
    (void)snprintf(in->payload, sizeof(in->payload), "%.*s", (int)m->payload_len,
                   (const char *)m->payload);
}

/* Connect, subscribe, publish at QoS 1 and receive it back through the broker. */
static void round_trip(const char *client_id, const char *port_env, const iot_tls_config_t *tls)
{
    iot_connect_options_t o = options(client_id, env_port(port_env), tls);
    iot_client_t *c = NULL;
    inbox_t in = { 0, { 0 } };
    char t[128];
    uint64_t end;
    iot_status_t st = iot_connect(&o, &c);

    if (st != IOT_OK) {
        fail_msg("%s: iot_connect: %s", client_id, iot_status_name(st));
    }
    (void)snprintf(t, sizeof(t), "store/%d/%s", (int)getpid(), client_id);
    assert_int_equal(iot_subscribe(c, t, IOT_QOS1, on_msg, &in), IOT_OK);
    assert_int_equal(iot_publish(c, t, "from the store", 14, IOT_QOS1, false), IOT_OK);
    end = iot_port_time_ms() + 10000u;
    while (in.count < 1 && iot_port_time_ms() < end) {
        assert_int_equal(iot_process(c, 50), IOT_OK);
    }
    assert_int_equal(in.count, 1);
    assert_string_equal(in.payload, "from the store");
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void expect_refused(const char *port_env, const iot_tls_config_t *tls, iot_status_t want)
{
    iot_connect_options_t o = options("it-store-refused", env_port(port_env), tls);
    iot_client_t *c = NULL;
    iot_status_t st = iot_connect(&o, &c);

    if (st != want) {
        if (st == IOT_OK) {
            (void)iot_disconnect(c);
        }
        fail_msg("%s: got %s, want %s", port_env, iot_status_name(st), iot_status_name(want));
    }
    assert_null(c);
}

/* Generate a key of `type` in the store, have the test CA certify its CSR,
 * and store the certificate; returns the key id, the certificate's in *cert. */
static iot_key_id_t enrol(iot_key_type_t type, const char *label, iot_key_id_t *cert)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_csr_options_t co = IOT_CSR_OPTIONS_INIT;
    iot_key_id_t key = IOT_KEY_ID_NONE;
    static char csr[8192];
    size_t len = 0;
    char csr_path[700];
    char crt_path[700];
    char cmd[3000];

    o.label = label;
    assert_int_equal(iot_key_generate(type, &o, &key), IOT_OK);
    co.subject = "O=corstone-iot test,CN=device-1";
    assert_int_equal(iot_key_csr(key, &co, csr, sizeof(csr), &len), IOT_OK);
    (void)snprintf(csr_path, sizeof(csr_path), "%s/%s.csr", g_dir, label);
    (void)snprintf(crt_path, sizeof(crt_path), "%s/%s.crt", g_dir, label);
    write_file(csr_path, csr, len);
    (void)snprintf(cmd, sizeof(cmd),
                   "openssl x509 -req -in '%s' -CA '%s' -CAkey '%s' -CAcreateserial -days 2 "
                   "-sha256 -out '%s' >/dev/null 2>&1",
                   csr_path, pki("ca.crt"), pki("ca.key"), crt_path);
    assert_int_equal(system(cmd), 0);
    *cert = save_cert_file(crt_path, label);
    return key;
}

/* ---- tests ---------------------------------------------------------------- */

/* Before iot_keystore_init() every store reference is IOT_ERR_BAD_STATE. */
static void test_store_not_started(void **state)
{
    iot_tls_config_t t = mtls(1u, 2u, 3u);
    iot_tls_config_t p = psk_tls(4u);

    (void)state;
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_BAD_STATE);
    expect_refused("IOT_TEST_PORT_PSK", &p, IOT_ERR_BAD_STATE);
}

static void test_provision(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;

    (void)state;
    assert_int_equal(iot_posix_store_set_dir(g_store), IOT_OK);
    assert_int_equal(iot_keystore_init(), IOT_OK);
    g_key = import_key_file(pki("client.key"), "device", 0u);
    g_cert = save_cert_file(pki("client.crt"), "device");
    g_ca = save_cert_file(pki("ca.crt"), "ca");
    o.label = "device-1";
    assert_int_equal(iot_key_import_psk(g_psk, g_psk_len, &o, &g_psk_id), IOT_OK);
}

/* CA, certificate and key all from the store. */
static void test_mutual_tls_all_from_store(void **state)
{
    iot_tls_config_t t = mtls(g_ca, g_cert, g_key);

    (void)state;
    round_trip("it-store-mtls", "IOT_TEST_PORT_MTLS", &t);
}

/* Certificate files with the key from the store. */
static void test_mutual_tls_store_key_with_files(void **state)
{
    iot_tls_config_t t = mtls(g_ca, g_cert, g_key);
    iot_cred_t ca = IOT_CRED_FROM_FILE(pki("ca.crt"));
    iot_cred_t cert = IOT_CRED_FROM_FILE(pki("client.crt"));

    (void)state;
    t.ca = ca;
    t.client_cert = cert;
    round_trip("it-store-mixed", "IOT_TEST_PORT_MTLS", &t);
}

/* Keys born in the store: only the store ever had them, so a completed
 * mutual handshake proves CertificateVerify was signed there. */
static void test_mutual_tls_generated_keys(void **state)
{
    static const struct {
        iot_key_type_t type;
        const char *label;
    } kinds[] = {
        { IOT_KEY_TYPE_EC_P256, "gen-p256" },
        { IOT_KEY_TYPE_EC_P384, "gen-p384" },
        { IOT_KEY_TYPE_RSA_2048, "gen-rsa2048" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        iot_key_id_t cert = IOT_KEY_ID_NONE;
        iot_key_id_t key = enrol(kinds[i].type, kinds[i].label, &cert);
        iot_tls_config_t t = mtls(g_ca, cert, key);

        round_trip(kinds[i].label, "IOT_TEST_PORT_MTLS", &t);
        /* The table is small (IOT_CONFIG_KEYS_MAX_OBJECTS). */
        assert_int_equal(iot_keystore_destroy(key), IOT_OK);
        assert_int_equal(iot_keystore_destroy(cert), IOT_OK);
    }
}

static void test_psk_from_store(void **state)
{
    iot_tls_config_t p = psk_tls(g_psk_id);
    iot_tls_config_t ecdhe = psk_tls(g_psk_id);

    (void)state;
    round_trip("device-1", "IOT_TEST_PORT_PSK", &p);
    ecdhe.flags = IOT_TLS_FLAG_PSK_ECDHE_ONLY;
    round_trip("device-1", "IOT_TEST_PORT_PSK", &ecdhe);
}

/* What the TLS layer holds after a handshake with stored credentials. */
static void test_tls_layer_holds_no_secret(void **state)
{
    static iot_transport_t tr;
    iot_tls_config_t t = mtls(g_ca, g_cert, g_key);
    iot_tls_config_t p = psk_tls(g_psk_id);

    (void)state;
    memset(&tr, 0, sizeof(tr));
    tr.sock.handle = -1;
    assert_int_equal(iot_transport_connect(&tr, "127.0.0.1", env_port("IOT_TEST_PORT_MTLS"), &t,
                                           10000),
                     IOT_OK);
    /* The private key context is the store id record, nothing else. */
    assert_int_equal(mbedtls_pk_get_type(&tr.impl.key), MBEDTLS_PK_OPAQUE);
    assert_ptr_equal(tr.impl.key.pk_ctx, &tr.impl.store_key);
    assert_int_equal(tr.impl.store_key.id, g_key);
    assert_int_equal(tr.impl.store_key.sign_status, 0);
    iot_transport_close(&tr);

    assert_int_equal(iot_transport_connect(&tr, "127.0.0.1", env_port("IOT_TEST_PORT_PSK"), &p,
                                           10000),
                     IOT_OK);
    /* The handshake copy is gone, the configuration holds a placeholder. */
    assert_null(tr.impl.ssl.handshake);
    assert_non_null(tr.impl.conf.psk);
    assert_int_equal(tr.impl.conf.psk_len, g_psk_len);
    assert_true(memcmp(tr.impl.conf.psk, g_psk, g_psk_len) != 0);
    iot_transport_close(&tr);
}

static void test_refusals(void **state)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t p384 = IOT_KEY_ID_NONE;
    iot_key_id_t other = IOT_KEY_ID_NONE;
    iot_key_id_t verify_only;
    iot_key_id_t wrong_psk = IOT_KEY_ID_NONE;
    iot_key_id_t volatile_psk = IOT_KEY_ID_NONE;
    iot_key_id_t ukey;
    iot_key_id_t ucert;
    uint8_t bad[64];
    iot_tls_config_t t;

    (void)state;
    /* Unknown ids. */
    t = mtls(g_ca, g_cert, 0x7fff0000u);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_NOT_FOUND);
    t = mtls(0x7fff0000u, g_cert, g_key);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_NOT_FOUND);
    t = mtls(g_ca, 0x7fff0000u, g_key);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_NOT_FOUND);
    t = psk_tls(0x7fff0000u);
    expect_refused("IOT_TEST_PORT_PSK", &t, IOT_ERR_NOT_FOUND);

    /* Objects of the wrong class. */
    t = mtls(g_ca, g_cert, g_cert);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_WRONG_KEY_TYPE);
    t = mtls(g_ca, g_cert, g_psk_id);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_WRONG_KEY_TYPE);
    t = mtls(g_key, g_cert, g_key);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_WRONG_KEY_TYPE);
    t = psk_tls(g_key);
    expect_refused("IOT_TEST_PORT_PSK", &t, IOT_ERR_WRONG_KEY_TYPE);

    /* A P-384 key for a P-256 certificate. */
    o.label = "p384";
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P384, &o, &p384), IOT_OK);
    t = mtls(g_ca, g_cert, p384);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_WRONG_KEY_TYPE);

    /* A P-256 key, but not the certificate's. */
    o.label = "other";
    assert_int_equal(iot_key_generate(IOT_KEY_TYPE_EC_P256, &o, &other), IOT_OK);
    t = mtls(g_ca, g_cert, other);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_TLS_CREDENTIALS);

    /* The certificate's key, without sign usage. */
    verify_only = import_key_file(pki("client.key"), "verify-only", IOT_KEY_USAGE_VERIFY);
    t = mtls(g_ca, g_cert, verify_only);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_NOT_PERMITTED);

    /* A stored key and certificate the broker does not trust. */
    ukey = import_key_file(pki("untrusted-client.key"), "untrusted", 0u);
    ucert = save_cert_file(pki("untrusted-client.crt"), "untrusted");
    t = mtls(g_ca, ucert, ukey);
    expect_refused("IOT_TEST_PORT_MTLS", &t, IOT_ERR_TLS_PEER_REFUSED);
    assert_int_equal(iot_keystore_destroy(p384), IOT_OK);
    assert_int_equal(iot_keystore_destroy(other), IOT_OK);
    assert_int_equal(iot_keystore_destroy(verify_only), IOT_OK);
    assert_int_equal(iot_keystore_destroy(ukey), IOT_OK);
    assert_int_equal(iot_keystore_destroy(ucert), IOT_OK);

    /* A wrong PSK in the store, and a volatile one (its bytes are only in PSA). */
    memcpy(bad, g_psk, g_psk_len);
    bad[0] ^= 0x5au;
    o.label = "wrong-psk";
    assert_int_equal(iot_key_import_psk(bad, g_psk_len, &o, &wrong_psk), IOT_OK);
    t = psk_tls(wrong_psk);
    expect_refused("IOT_TEST_PORT_PSK", &t, IOT_ERR_TLS_PSK_REJECTED);
    o.label = "volatile-psk";
    o.persistent = false;
    assert_int_equal(iot_key_import_psk(g_psk, g_psk_len, &o, &volatile_psk), IOT_OK);
    t = psk_tls(volatile_psk);
    expect_refused("IOT_TEST_PORT_PSK", &t, IOT_ERR_NOT_SUPPORTED);
    assert_int_equal(iot_keystore_destroy(wrong_psk), IOT_OK);
    assert_int_equal(iot_keystore_destroy(volatile_psk), IOT_OK);

    /* The good credentials still work after all that. */
    t = mtls(g_ca, g_cert, g_key);
    round_trip("it-store-after", "IOT_TEST_PORT_MTLS", &t);
}

static void broker_ctl(const char *verb)
{
    const char *ctl = getenv("IOT_TEST_BROKER_CTL");
    const char *st = getenv("IOT_TEST_BROKER_STATE");
    char cmd[1200];

    assert_non_null(ctl);
    assert_non_null(st);
    (void)snprintf(cmd, sizeof(cmd), "bash '%s' %s '%s' >/dev/null", ctl, verb, st);
    assert_int_equal(system(cmd), 0);
}

/* After the broker restarts, the client reconnects by itself: every new
 * handshake takes the PSK from the store again, and signs with the stored
 * key again (the handshake copy of the PSK is gone after each one). */
static void test_reconnect_with_stored_credentials(void **state)
{
    iot_tls_config_t m = mtls(g_ca, g_cert, g_key);
    iot_tls_config_t p = psk_tls(g_psk_id);
    const iot_tls_config_t *cfgs[2] = { &m, &p };
    const char *ports[2] = { "IOT_TEST_PORT_MTLS", "IOT_TEST_PORT_PSK" };
    const char *ids[2] = { "it-store-re-mtls", "device-1" };
    iot_client_t *c[2] = { NULL, NULL };
    inbox_t in[2];
    char t[2][128];
    int k;

    (void)state;
    memset(in, 0, sizeof(in));
    for (k = 0; k < 2; k++) {
        iot_connect_options_t o = options(ids[k], env_port(ports[k]), cfgs[k]);
        o.auto_reconnect = true;
        o.clean_session = false;
        o.backoff_base_ms = 100;
        o.backoff_max_ms = 500;
        assert_int_equal(iot_connect(&o, &c[k]), IOT_OK);
        (void)snprintf(t[k], sizeof(t[k]), "store/%d/re/%d", (int)getpid(), k);
        assert_int_equal(iot_subscribe(c[k], t[k], IOT_QOS1, on_msg, &in[k]), IOT_OK);
    }
    broker_ctl("restart");
    for (k = 0; k < 2; k++) {
        uint64_t end = iot_port_time_ms() + 20000u;

        /* The publish waits in the queue until the client is back. */
        assert_int_equal(iot_publish(c[k], t[k], "after restart", 13, IOT_QOS1, false), IOT_OK);
        while (in[k].count < 1 && iot_port_time_ms() < end) {
            iot_status_t st = iot_process(c[k], 50);
            assert_true(st == IOT_OK || st == IOT_ERR_NOT_CONNECTED || st == IOT_ERR_NET_CLOSED);
        }
        assert_int_equal(in[k].count, 1);
        assert_string_equal(in[k].payload, "after restart");
        assert_true(iot_is_connected(c[k]));
        assert_int_equal(iot_disconnect(c[k]), IOT_OK);
    }
}

/* A key file damaged on disk: after a restart of the store the key cannot
 * be loaded, and connecting says so; the other objects still work. */
static void test_damaged_key_file(void **state)
{
    iot_key_id_t before[64];
    iot_key_id_t after[64];
    size_t n_before = 0;
    size_t n_after = 0;
    iot_key_id_t key = IOT_KEY_ID_NONE;
    iot_key_id_t cert = IOT_KEY_ID_NONE;
    char path[700];
    char cmd[1600];
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    iot_tls_config_t t;
    FILE *f;
    long size;
    int byte;

    (void)state;
    key = enrol(IOT_KEY_TYPE_EC_P256, "to-damage", &cert);
    assert_int_equal(iot_keystore_list(before, 64, &n_before), IOT_OK);
    iot_keystore_deinit();

    /* The key's record is the newest object file holding its label. */
    (void)snprintf(cmd, sizeof(cmd), "grep -l 'to-damage' '%s'/*.obj | head -n 1", g_store);
    f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(path, sizeof(path), f));
    pclose(f);
    path[strcspn(path, "\n")] = '\0';
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 40);
    /* Flip bits of a value byte: writing a constant would change nothing
     * when the byte already holds it (1 run in 256). */
    assert_int_equal(fseek(f, size - 5, SEEK_SET), 0);
    byte = fgetc(f);
    assert_true(byte != EOF);
    assert_int_equal(fseek(f, size - 5, SEEK_SET), 0);
    assert_int_equal(fputc(byte ^ 0xA5, f), byte ^ 0xA5);
    assert_int_equal(fclose(f), 0);

    assert_int_equal(iot_keystore_init(), IOT_OK);
    assert_int_equal(iot_keystore_get_stats(&stats), IOT_OK);
    assert_int_equal(stats.corrupt, 1);
    assert_int_equal(iot_keystore_list(after, 64, &n_after), IOT_OK);
    /* Whichever of the two (key or certificate) held the label first is
     * skipped; connecting with the pair fails with a distinct status. */
    t = mtls(g_ca, cert, key);
    {
        iot_connect_options_t co = options("it-damaged", env_port("IOT_TEST_PORT_MTLS"), &t);
        iot_client_t *c = NULL;
        iot_status_t st = iot_connect(&co, &c);
        assert_true(st == IOT_ERR_NOT_FOUND);
        assert_null(c);
    }
    assert_int_equal(n_after, n_before - 1u);
    t = mtls(g_ca, g_cert, g_key);
    round_trip("it-store-intact", "IOT_TEST_PORT_MTLS", &t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_not_started),
        cmocka_unit_test(test_provision),
        cmocka_unit_test(test_mutual_tls_all_from_store),
        cmocka_unit_test(test_mutual_tls_store_key_with_files),
        cmocka_unit_test(test_mutual_tls_generated_keys),
        cmocka_unit_test(test_psk_from_store),
        cmocka_unit_test(test_tls_layer_holds_no_secret),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reconnect_with_stored_credentials),
        cmocka_unit_test(test_damaged_key_file),
    };
    const char *pki_dir = getenv("IOT_TEST_PKI");
    const char *tmp = getenv("TMPDIR");
    int rc;
    char cmd[700];

    (void)argc;
    (void)argv;
    if (pki_dir == NULL) {
        fprintf(stderr, "usage: run under with_broker.sh\n");
        return 2;
    }
    (void)snprintf(g_pki, sizeof(g_pki), "%s", pki_dir);
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-tls-store.XXXXXX",
                   (tmp != NULL && tmp[0] != '\0') ? tmp : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    (void)snprintf(g_store, sizeof(g_store), "%s/store", g_dir);
    load_psk();
    rc = cmocka_run_group_tests_name("tls_store", tests, NULL, NULL);
    iot_keystore_deinit();
    if (rc == 0) {
        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", g_dir);
        }
    } else {
        fprintf(stderr, "store kept in %s\n", g_dir);
    }
    return rc;
}
