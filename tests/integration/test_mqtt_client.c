/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: the MQTT client against a real mosquitto and an independent Paho peer.
 *
 * Run under with_broker.sh, which starts the broker and exports IOT_TEST_*;
 * argv[1] (or IOT_TEST_PAHO_PEER) is the Paho-based peer program. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/port.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

extern char **environ;

static const char *g_peer;
static char g_pki[512];
static char g_psk[64];
static size_t g_psk_len;
static int g_test_no;

/* ---- fixture helpers ------------------------------------------------------ */

static uint16_t env_port(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fail_msg("%s not set: run under with_broker.sh", name);
    }
    return (uint16_t)atoi(v);
}

static const char *pki(const char *file)
{
    static char paths[8][600];
    static int next;
    char *p = paths[next++ % 8];
    (void)snprintf(p, sizeof(paths[0]), "%s/%s", g_pki, file);
    return p;
}

static void load_psk(void)
{
    FILE *f = fopen(pki("psk.hex"), "r");
    char hex[200] = { 0 };
    size_t i;

    assert_non_null(f);
    assert_non_null(fgets(hex, sizeof(hex), f));
    fclose(f);
    g_psk_len = strlen(hex) / 2u;
    for (i = 0; i < g_psk_len; i++) {
        unsigned v = 0;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        g_psk[i] = (char)v;
    }
}

/* A topic unique to this run and test, so tests never see each other's retained messages. */
static const char *topic(const char *suffix)
{
    static char t[8][128];
    static int next;
    char *p = t[next++ % 8];
    (void)snprintf(p, sizeof(t[0]), "it/%d/%d/%s", (int)getpid(), g_test_no, suffix);
    return p;
}

typedef struct {
    pid_t pid;
    int out_fd;
    char ready[256];
} peer_t;

/* Start the Paho peer with the given arguments; for "sub", wait until it is subscribed. */
static void peer_start(peer_t *p, const char *const *args)
{
    const char *argv[40];
    int pipefd[2];
    posix_spawn_file_actions_t fa;
    size_t n = 0;
    int i;

    memset(p, 0, sizeof(*p));
    argv[n++] = g_peer;
    for (i = 0; args[i] != NULL; i++) {
        argv[n++] = args[i];
    }
    if (strcmp(args[0], "sub") == 0) {
        (void)snprintf(p->ready, sizeof(p->ready), "/tmp/iot-peer-ready-%d-%d-%d", (int)getpid(),
                       g_test_no, rand());
        argv[n++] = "--ready-file";
        argv[n++] = p->ready;
    }
    argv[n] = NULL;
    assert_int_equal(pipe(pipefd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    assert_int_equal(posix_spawn(&p->pid, g_peer, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    p->out_fd = pipefd[0];
    if (p->ready[0] != '\0') {
        int waited;
        for (waited = 0; waited < 10000; waited += 10) {
            if (access(p->ready, F_OK) == 0) {
                break;
            }
            usleep(10000);
        }
        assert_int_equal(access(p->ready, F_OK), 0);
        unlink(p->ready);
    }
}

/* Wait for the peer; returns its exit code and its stdout in out. */
static int peer_wait(peer_t *p, char *out, size_t cap)
{
    size_t len = 0;
    int status = 0;
    ssize_t r;

    while (cap > 0 && len + 1 < cap && (r = read(p->out_fd, out + len, cap - 1 - len)) > 0) {
        len += (size_t)r;
    }
    if (cap > 0) {
        out[len] = '\0';
    }
    close(p->out_fd);
    assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void broker_ctl(const char *verb)
{
    const char *ctl = getenv("IOT_TEST_BROKER_CTL");
    const char *state = getenv("IOT_TEST_BROKER_STATE");
    char cmd[1200];

    assert_non_null(ctl);
    assert_non_null(state);
    (void)snprintf(cmd, sizeof(cmd), "bash '%s' %s '%s' >/dev/null", ctl, verb, state);
    assert_int_equal(system(cmd), 0);
}

/* ---- client helpers ------------------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    int count;
    char last_topic[256];
    char last_payload[256];
    size_t last_len;
    iot_qos_t last_qos;
    bool last_retain;
    uint8_t *big;      /* when set, large payloads are copied here */
    size_t big_len;
} inbox_t;

static void inbox_init(inbox_t *in)
{
    memset(in, 0, sizeof(*in));
    pthread_mutex_init(&in->lock, NULL);
}

static void on_msg(iot_client_t *c, const iot_message_t *m, void *user)
{
    inbox_t *in = user;
    (void)c;
    pthread_mutex_lock(&in->lock);
    in->count++;
    (void)snprintf(in->last_topic, sizeof(in->last_topic), "%.*s", (int)m->topic_len, m->topic);
    in->last_len = m->payload_len;
    if (m->payload_len < sizeof(in->last_payload)) {
        memcpy(in->last_payload, m->payload, m->payload_len);
        in->last_payload[m->payload_len] = '\0';
    }
    if (in->big != NULL && m->payload_len <= in->big_len) {
        memcpy(in->big, m->payload, m->payload_len);
    }
    in->last_qos = m->qos;
    in->last_retain = m->retain;
    pthread_mutex_unlock(&in->lock);
}

static int inbox_count(inbox_t *in)
{
    int n;
    pthread_mutex_lock(&in->lock);
    n = in->count;
    pthread_mutex_unlock(&in->lock);
    return n;
}

/* Drive the client until the inbox holds n messages or ms pass. */
static void wait_messages(iot_client_t *c, inbox_t *in, int n, uint32_t ms)
{
    uint64_t end = iot_port_time_ms() + ms;
    while (inbox_count(in) < n && iot_port_time_ms() < end) {
        assert_int_equal(iot_process(c, 20), IOT_OK);
    }
    assert_int_equal(inbox_count(in), n);
}

static iot_tls_config_t g_tls_server_auth = IOT_TLS_CONFIG_INIT;
static iot_tls_config_t g_tls_mutual = IOT_TLS_CONFIG_INIT;
static iot_tls_config_t g_tls_psk = IOT_TLS_CONFIG_INIT;

/* With IOT_TEST_CREDS=store every TLS configuration takes its credentials
 * from a key store made for this run: CA and client certificate by id, the
 * client key signing inside the store, the PSK by id. */
static char g_store_dir[300];

static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1u, f);
    fclose(f);
    assert_true(n > 0u && n < cap - 1u);
    buf[n] = '\0';
    return n + 1u; /* PEM with its NUL */
}

static void setup_store_creds(void)
{
    static char pem[8192];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_key_id_t key = 0;
    iot_key_id_t cert = 0;
    iot_key_id_t ca = 0;
    iot_key_id_t psk = 0;

    (void)snprintf(g_store_dir, sizeof(g_store_dir), "%s/iot-it-store.XXXXXX",
                   getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(g_store_dir));
    assert_int_equal(iot_posix_store_set_dir(g_store_dir), IOT_OK);
    assert_int_equal(iot_keystore_init(), IOT_OK);
    o.label = "device";
    assert_int_equal(iot_key_import_private(pem, slurp(pki("client.key"), pem, sizeof(pem)), &o, &key),
                     IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "device", pem,
                                       slurp(pki("client.crt"), pem, sizeof(pem)), 0u, &cert),
                     IOT_OK);
    assert_int_equal(iot_keystore_save(IOT_OBJ_CERTIFICATE, "ca", pem,
                                       slurp(pki("ca.crt"), pem, sizeof(pem)), 0u, &ca),
                     IOT_OK);
    assert_int_equal(iot_key_import_psk(g_psk, g_psk_len, &o, &psk), IOT_OK);
    {
        iot_cred_t c_ca = IOT_CRED_FROM_STORE(ca);
        iot_cred_t c_cert = IOT_CRED_FROM_STORE(cert);
        iot_cred_t c_key = IOT_CRED_FROM_STORE(key);
        iot_cred_t c_psk = IOT_CRED_FROM_STORE(psk);

        g_tls_server_auth.ca = c_ca;
        g_tls_mutual.ca = c_ca;
        g_tls_mutual.client_cert = c_cert;
        g_tls_mutual.client_key = c_key;
        g_tls_psk.psk = c_psk;
    }
    fprintf(stderr, "credentials from the key store in %s\n", g_store_dir);
}

static void teardown_store_creds(void)
{
    char cmd[400];

    if (g_store_dir[0] == '\0') {
        return;
    }
    iot_keystore_deinit();
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_store_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", g_store_dir);
    }
}

static void setup_tls(void)
{
    iot_cred_t ca = IOT_CRED_FROM_FILE(pki("ca.crt"));
    iot_cred_t cert = IOT_CRED_FROM_FILE(pki("client.crt"));
    iot_cred_t key = IOT_CRED_FROM_FILE(pki("client.key"));
    iot_cred_t psk = IOT_CRED_FROM_BUFFER(g_psk, g_psk_len);

    g_tls_server_auth.ca = ca;
    g_tls_server_auth.server_name = "localhost";
    g_tls_mutual = g_tls_server_auth;
    g_tls_mutual.client_cert = cert;
    g_tls_mutual.client_key = key;
    g_tls_psk.mode = IOT_TLS_PSK;
    g_tls_psk.psk_identity = "device-1";
    g_tls_psk.psk = psk;
    if (getenv("IOT_TEST_CREDS") != NULL && strcmp(getenv("IOT_TEST_CREDS"), "store") == 0) {
        setup_store_creds();
    }
}

static iot_connect_options_t options(const char *id, uint16_t port, const iot_tls_config_t *tls)
{
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;
    o.host = "127.0.0.1";
    o.port = port;
    o.client_id = id;
    o.tls = tls;
    o.backoff_base_ms = 100;
    o.backoff_max_ms = 1000;
    return o;
}

/* Clients a test opened, so that a failing test does not leave them taking
 * pool slots from the tests after it. */
static iot_client_t *g_opened[32];

static iot_client_t *connect_ok(const iot_connect_options_t *o)
{
    iot_client_t *c = NULL;
    iot_status_t st = iot_connect(o, &c);
    size_t i;

    if (st != IOT_OK) {
        fail_msg("iot_connect: %s", iot_status_name(st));
    }
    assert_non_null(c);
    for (i = 0; i < sizeof(g_opened) / sizeof(g_opened[0]); i++) {
        if (g_opened[i] == NULL) {
            g_opened[i] = c;
            break;
        }
    }
    return c;
}

static int setup_each(void **state)
{
    (void)state;
    g_test_no++;
    memset(g_opened, 0, sizeof(g_opened));
    return 0;
}

/* Releases what a failing test left open. Calling iot_disconnect again on a
 * client the test already released returns at once: the slot is free, and
 * nothing reuses it between the test and this teardown. */
static int teardown_each(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(g_opened) / sizeof(g_opened[0]); i++) {
        if (g_opened[i] != NULL) {
            (void)iot_disconnect(g_opened[i]);
        }
    }
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void round_trip(const iot_connect_options_t *o)
{
    inbox_t in;
    iot_client_t *c = connect_ok(o);
    const char *t = topic("rt");
    int qos;

    inbox_init(&in);
    assert_true(iot_is_connected(c));
    assert_int_equal(iot_subscribe(c, t, IOT_QOS2, on_msg, &in), IOT_OK);
    for (qos = 0; qos <= 2; qos++) {
        char payload[32];
        (void)snprintf(payload, sizeof(payload), "hello qos %d", qos);
        assert_int_equal(iot_publish(c, t, payload, strlen(payload), (iot_qos_t)qos, false), IOT_OK);
        wait_messages(c, &in, qos + 1, 5000);
        assert_string_equal(in.last_payload, payload);
        assert_int_equal(in.last_qos, qos);
        assert_string_equal(in.last_topic, t);
    }
    assert_int_equal(iot_flush(c, 5000), IOT_OK);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_round_trip_server_auth(void **state)
{
    iot_connect_options_t o = options("it-sa", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    (void)state;
    round_trip(&o);
}

static void test_round_trip_mutual_tls(void **state)
{
    iot_connect_options_t o = options("it-mtls", env_port("IOT_TEST_PORT_MTLS"), &g_tls_mutual);
    (void)state;
    round_trip(&o);
}

static void test_round_trip_psk(void **state)
{
    iot_connect_options_t o = options("device-1", env_port("IOT_TEST_PORT_PSK"), &g_tls_psk);
    (void)state;
    round_trip(&o);
}

/* What the SDK publishes reaches an independent client, at every QoS. */
static void test_paho_receives_every_qos(void **state)
{
    iot_connect_options_t o = options("it-to-paho", env_port("IOT_TEST_PORT_MTLS"), &g_tls_mutual);
    iot_client_t *c;
    const char *t = topic("to-paho");
    char port[8];
    char out[4096];
    peer_t p;
    int i;

    (void)state;
    (void)snprintf(port, sizeof(port), "%u", env_port("IOT_TEST_PORT_MTLS"));
    {
        const char *args[] = { "sub", "--port", port, "--mtls", "--topic", t, "--qos", "2",
                               "--count", "30", "--seq", "--timeout-ms", "20000", NULL };
        peer_start(&p, args);
    }
    c = connect_ok(&o);
    for (i = 0; i < 30; i++) {
        char payload[16];
        (void)snprintf(payload, sizeof(payload), "%d", i);
        assert_int_equal(iot_publish(c, t, payload, strlen(payload), (iot_qos_t)(i % 3), false),
                         IOT_OK);
    }
    assert_int_equal(iot_flush(c, 10000), IOT_OK);
    assert_int_equal(peer_wait(&p, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "missing=0"));
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* What an independent client publishes reaches the SDK. */
static void test_sdk_receives_from_paho(void **state)
{
    iot_connect_options_t o = options("it-from-paho", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c = connect_ok(&o);
    const char *t = topic("from-paho");
    char port[8];
    char out[256];
    inbox_t in;
    peer_t p;

    (void)state;
    inbox_init(&in);
    (void)snprintf(port, sizeof(port), "%u", env_port("IOT_TEST_PORT_TLS"));
    assert_int_equal(iot_subscribe(c, t, IOT_QOS1, on_msg, &in), IOT_OK);
    {
        const char *args[] = { "pub", "--port", port, "--tls", "--topic", t, "--qos", "1",
                               "--message", "from paho", "--count", "5", NULL };
        peer_start(&p, args);
    }
    wait_messages(c, &in, 5, 10000);
    assert_int_equal(peer_wait(&p, out, sizeof(out)), 0);
    assert_string_equal(in.last_payload, "from paho");
    assert_int_equal(in.last_qos, IOT_QOS1);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_retained_message(void **state)
{
    iot_connect_options_t o = options("it-retain", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c = connect_ok(&o);
    const char *t = topic("retained");
    inbox_t in;

    (void)state;
    inbox_init(&in);
    assert_int_equal(iot_publish(c, t, "kept", 4, IOT_QOS1, true), IOT_OK);
    assert_int_equal(iot_flush(c, 5000), IOT_OK);
    assert_int_equal(iot_subscribe(c, t, IOT_QOS1, on_msg, &in), IOT_OK);
    wait_messages(c, &in, 1, 5000);
    assert_true(in.last_retain);
    assert_string_equal(in.last_payload, "kept");
    /* Clear it so the broker's store stays clean. */
    assert_int_equal(iot_publish(c, t, NULL, 0, IOT_QOS1, true), IOT_OK);
    assert_int_equal(iot_flush(c, 5000), IOT_OK);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_wildcards_and_unsubscribe(void **state)
{
    iot_connect_options_t o = options("it-wild", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c = connect_ok(&o);
    char plus[128];
    char hash[128];
    inbox_t a;
    inbox_t b;

    (void)state;
    inbox_init(&a);
    inbox_init(&b);
    (void)snprintf(plus, sizeof(plus), "%s", topic("w/+/temp"));
    (void)snprintf(hash, sizeof(hash), "%s", topic("w/#"));
    assert_int_equal(iot_subscribe(c, plus, IOT_QOS1, on_msg, &a), IOT_OK);
    assert_int_equal(iot_subscribe(c, hash, IOT_QOS1, on_msg, &b), IOT_OK);
    assert_int_equal(iot_publish(c, topic("w/kitchen/temp"), "1", 1, IOT_QOS1, false), IOT_OK);
    assert_int_equal(iot_publish(c, topic("w/kitchen/humidity"), "2", 1, IOT_QOS1, false), IOT_OK);
    wait_messages(c, &b, 2, 5000);
    assert_int_equal(inbox_count(&a), 1);
    assert_int_equal(iot_unsubscribe(c, plus), IOT_OK);
    assert_int_equal(iot_unsubscribe(c, plus), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_publish(c, topic("w/hall/temp"), "3", 1, IOT_QOS1, false), IOT_OK);
    wait_messages(c, &b, 3, 5000);
    /* The '#' subscription saw it; the removed '+' one did not. */
    assert_int_equal(inbox_count(&a), 1);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void test_large_payload_256k(void **state)
{
    static uint8_t rx[300 * 1024];
    static uint8_t queue[300 * 1024];
    static uint8_t payload[256 * 1024];
    static uint8_t got[256 * 1024];
    iot_connect_options_t o = options("it-big", env_port("IOT_TEST_PORT_MTLS"), &g_tls_mutual);
    iot_client_t *c;
    const char *t = topic("big");
    inbox_t in;
    size_t i;

    (void)state;
    o.rx_buffer = rx;
    o.rx_buffer_size = sizeof(rx);
    o.queue_buffer = queue;
    o.queue_buffer_size = sizeof(queue);
    c = connect_ok(&o);
    inbox_init(&in);
    in.big = got;
    in.big_len = sizeof(got);
    for (i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 31u + (i >> 8));
    }
    assert_int_equal(iot_subscribe(c, t, IOT_QOS1, on_msg, &in), IOT_OK);
    assert_int_equal(iot_publish(c, t, payload, sizeof(payload), IOT_QOS1, false), IOT_OK);
    wait_messages(c, &in, 1, 20000);
    assert_int_equal(in.last_len, sizeof(payload));
    assert_memory_equal(got, payload, sizeof(payload));
    /* QoS 0 streams the payload without the queue. */
    memset(got, 0, sizeof(got));
    assert_int_equal(iot_publish(c, t, payload, sizeof(payload), IOT_QOS0, false), IOT_OK);
    wait_messages(c, &in, 2, 20000);
    assert_memory_equal(got, payload, sizeof(payload));
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* An incoming message larger than the receive buffer is dropped and reported,
 * and the connection carries on. */
static void on_event_count(iot_client_t *c, iot_event_t ev, iot_status_t st, void *user)
{
    int *counts = user;
    (void)c;
    (void)st;
    counts[ev]++;
}

static void test_oversized_incoming_is_dropped(void **state)
{
    static uint8_t payload[8000];
    iot_connect_options_t o = options("it-drop", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c;
    const char *t = topic("drop");
    int events[8] = { 0 };
    inbox_t in;

    (void)state;
    inbox_init(&in);
    o.on_event = on_event_count;
    o.event_user = events;
    c = connect_ok(&o);
    assert_int_equal(iot_subscribe(c, t, IOT_QOS1, on_msg, &in), IOT_OK);
    memset(payload, 'x', sizeof(payload));
    /* Larger than IOT_CONFIG_MQTT_RX_BUFFER_SIZE: sent with QoS 0 (no queue needed). */
    assert_int_equal(iot_publish(c, t, payload, sizeof(payload), IOT_QOS0, false), IOT_OK);
    assert_int_equal(iot_publish(c, t, "small", 5, IOT_QOS1, false), IOT_OK);
    wait_messages(c, &in, 1, 5000);
    assert_string_equal(in.last_payload, "small");
    assert_int_equal(events[IOT_EVENT_MESSAGE_DROPPED], 1);
    assert_true(iot_is_connected(c));
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* The last will is published when a client vanishes without DISCONNECT. */
static void test_last_will_on_abrupt_loss(void **state)
{
    iot_connect_options_t o = options("it-will-watch", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *watcher = connect_ok(&o);
    const char *wt = topic("will");
    inbox_t in;
    pid_t child;
    int status = 0;

    (void)state;
    inbox_init(&in);
    assert_int_equal(iot_subscribe(watcher, wt, IOT_QOS1, on_msg, &in), IOT_OK);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        iot_connect_options_t wo = options("it-will-dies", env_port("IOT_TEST_PORT_TLS"),
                                           &g_tls_server_auth);
        iot_client_t *c = NULL;
        wo.will_topic = wt;
        wo.will_payload = (const uint8_t *)"gone";
        wo.will_payload_len = 4;
        wo.will_qos = IOT_QOS1;
        _exit(iot_connect(&wo, &c) == IOT_OK ? 0 : 1); /* no DISCONNECT: the socket just closes */
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(WEXITSTATUS(status), 0);
    wait_messages(watcher, &in, 1, 10000);
    assert_string_equal(in.last_payload, "gone");
    assert_int_equal(iot_disconnect(watcher), IOT_OK);
}

/* A broker that stops answering is detected by keep-alive. */
static void test_keepalive_detects_silent_broker(void **state)
{
    iot_connect_options_t o = options("it-keepalive", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c;
    int events[8] = { 0 };
    uint64_t start;
    iot_status_t st = IOT_OK;

    (void)state;
    o.keep_alive_s = 1;
    o.ping_timeout_ms = 1000;
    o.auto_reconnect = false;
    o.on_event = on_event_count;
    o.event_user = events;
    c = connect_ok(&o);
    broker_ctl("pause");
    start = iot_port_time_ms();
    while (iot_port_time_ms() - start < 8000 && st == IOT_OK) {
        st = iot_process(c, 100);
    }
    broker_ctl("resume");
    assert_int_equal(st, IOT_ERR_NOT_CONNECTED);
    assert_int_equal(events[IOT_EVENT_DISCONNECTED], 1);
    assert_false(iot_is_connected(c));
    assert_true(iot_port_time_ms() - start >= 1000);
    assert_int_equal(iot_publish(c, topic("x"), "x", 1, IOT_QOS1, false), IOT_ERR_NOT_CONNECTED);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void *restart_broker_later(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    broker_ctl("restart");
    return NULL;
}

/* 10,000 QoS 1 messages with the broker restarted in the middle: the Paho
 * subscriber counts every sequence number. */
static void test_broker_restart_during_stream(void **state)
{
    iot_connect_options_t o = options("it-stream", env_port("IOT_TEST_PORT_MTLS"), &g_tls_mutual);
    iot_client_t *c;
    const char *t = topic("stream");
    int events[8] = { 0 };
    char port[8];
    char out[4096];
    pthread_t restarter;
    peer_t p;
    int i;

    (void)state;
    (void)snprintf(port, sizeof(port), "%u", env_port("IOT_TEST_PORT_MTLS"));
    {
        const char *args[] = { "sub", "--port", port, "--mtls", "--topic", t, "--qos", "1",
                               "--count", "10000", "--seq", "--client-id", "it-stream-checker",
                               "--clean", "0", "--reconnect", "--timeout-ms", "120000", NULL };
        peer_start(&p, args);
    }
    o.on_event = on_event_count;
    o.event_user = events;
    o.clean_session = false;
    c = connect_ok(&o);
    assert_int_equal(pthread_create(&restarter, NULL, restart_broker_later, NULL), 0);
    for (i = 0; i < 10000; i++) {
        char payload[32];
        iot_status_t st;
        (void)snprintf(payload, sizeof(payload), "%d:telemetry", i);
        do {
            st = iot_publish(c, t, payload, strlen(payload), IOT_QOS1, false);
        } while (st == IOT_ERR_QUEUE_FULL);
        assert_int_equal(st, IOT_OK);
    }
    pthread_join(restarter, NULL);
    assert_int_equal(iot_flush(c, 60000), IOT_OK);
    assert_int_equal(peer_wait(&p, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "missing=0"));
    assert_true(events[IOT_EVENT_DISCONNECTED] >= 1);
    assert_true(events[IOT_EVENT_CONNECTED] >= 2);
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* A fast QoS 1 stream on a healthy link: the queued messages leave in
 * batches (several PUBLISHes per TLS record once half the in-flight table is
 * unacknowledged), and the Paho subscriber still gets every one, once, in
 * the order published. */
static void test_batched_stream_in_order(void **state)
{
    iot_connect_options_t o = options("it-batch", env_port("IOT_TEST_PORT_MTLS"), &g_tls_mutual);
    iot_client_t *c;
    const char *t = topic("batch");
    char port[8];
    char out[4096];
    peer_t p;
    int i;

    (void)state;
    (void)snprintf(port, sizeof(port), "%u", env_port("IOT_TEST_PORT_MTLS"));
    {
        const char *args[] = { "sub", "--port", port, "--mtls", "--topic", t, "--qos", "1",
                               "--count", "3000", "--seq", "--client-id", "it-batch-checker",
                               "--timeout-ms", "60000", NULL };
        peer_start(&p, args);
    }
    c = connect_ok(&o);
    for (i = 0; i < 3000; i++) {
        char payload[32];
        (void)snprintf(payload, sizeof(payload), "%d:batched", i);
        assert_int_equal(iot_publish(c, t, payload, strlen(payload), IOT_QOS1, false), IOT_OK);
    }
    assert_int_equal(iot_flush(c, 30000), IOT_OK);
    assert_int_equal(peer_wait(&p, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "missing=0 duplicates=0 invalid=0 out_of_order=0"));
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

typedef struct {
    iot_client_t *c;
    const char *topic;
    int first;
    int n;
    int failures;
    iot_status_t last_failure;
} publisher_t;

static void *publish_range(void *arg)
{
    publisher_t *pub = arg;
    int i;
    for (i = pub->first; i < pub->first + pub->n; i++) {
        char payload[16];
        (void)snprintf(payload, sizeof(payload), "%d", i);
        iot_status_t st = iot_publish(pub->c, pub->topic, payload, strlen(payload), IOT_QOS1, false);
        if (st != IOT_OK) {
            pub->failures++;
            pub->last_failure = st;
        }
    }
    return NULL;
}

static void test_threads_publish_at_once(void **state)
{
    iot_connect_options_t o = options("it-threads", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c;
    const char *t = topic("threads");
    publisher_t pubs[4];
    pthread_t th[4];
    char port[8];
    char out[4096];
    peer_t p;
    int i;

    (void)state;
    (void)snprintf(port, sizeof(port), "%u", env_port("IOT_TEST_PORT_TLS"));
    {
        const char *args[] = { "sub", "--port", port, "--tls", "--topic", t, "--qos", "1",
                               "--count", "4000", "--seq", "--timeout-ms", "60000", NULL };
        peer_start(&p, args);
    }
    o.background_thread = true;
    c = connect_ok(&o);
    assert_int_equal(iot_process(c, 10), IOT_ERR_BAD_STATE);
    for (i = 0; i < 4; i++) {
        pubs[i].c = c;
        pubs[i].topic = t;
        pubs[i].first = i * 1000;
        pubs[i].n = 1000;
        pubs[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, publish_range, &pubs[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        if (pubs[i].failures != 0) {
            fail_msg("publisher %d: %d failures, last %s", i, pubs[i].failures,
                     iot_status_name(pubs[i].last_failure));
        }
    }
    assert_int_equal(iot_flush(c, 30000), IOT_OK);
    assert_int_equal(peer_wait(&p, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "missing=0"));
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

static void expect_refused(const char *port_env, const iot_tls_config_t *tls, iot_status_t want)
{
    iot_connect_options_t o = options("it-refused", env_port(port_env), tls);
    iot_client_t *c = (iot_client_t *)&o; /* must be reset to NULL */
    iot_status_t st = iot_connect(&o, &c);

    if (st != want) {
        fail_msg("%s: got %s, want %s", port_env, iot_status_name(st), iot_status_name(want));
    }
    assert_null(c);
}

static void test_refusals(void **state)
{
    iot_tls_config_t tls = g_tls_mutual;
    iot_tls_config_t psk = g_tls_psk;
    iot_tls_config_t untrusted_client = g_tls_mutual;
    iot_tls_config_t other_name = g_tls_server_auth;
    char wrong_psk[64];
    iot_cred_t wrong = IOT_CRED_FROM_BUFFER(wrong_psk, 0);
    iot_cred_t ucert = IOT_CRED_FROM_FILE(pki("untrusted-client.crt"));
    iot_cred_t ukey = IOT_CRED_FROM_FILE(pki("untrusted-client.key"));

    (void)state;
    expect_refused("IOT_TEST_PORT_OTHERCA", &tls, IOT_ERR_TLS_CERT_UNTRUSTED);
    expect_refused("IOT_TEST_PORT_EXPIRED", &tls, IOT_ERR_TLS_CERT_EXPIRED);
    expect_refused("IOT_TEST_PORT_WRONGHOST", &tls, IOT_ERR_TLS_HOSTNAME);
    other_name.server_name = "not-the-broker.example";
    expect_refused("IOT_TEST_PORT_TLS", &other_name, IOT_ERR_TLS_HOSTNAME);
    memcpy(wrong_psk, g_psk, g_psk_len);
    wrong_psk[0] ^= 0x5a;
    wrong.len = g_psk_len;
    psk.psk = wrong;
    expect_refused("IOT_TEST_PORT_PSK", &psk, IOT_ERR_TLS_PSK_REJECTED);
    untrusted_client.client_cert = ucert;
    untrusted_client.client_key = ukey;
    expect_refused("IOT_TEST_PORT_MTLS", &untrusted_client, IOT_ERR_TLS_PEER_REFUSED);
}

static void test_bad_arguments(void **state)
{
    iot_connect_options_t o = options("it-args", env_port("IOT_TEST_PORT_TLS"), &g_tls_server_auth);
    iot_client_t *c = NULL;
    inbox_t in;

    (void)state;
    inbox_init(&in);
    assert_int_equal(iot_connect(NULL, &c), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_connect(&o, NULL), IOT_ERR_INVALID_ARG);
    o.tls = NULL;
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_INVALID_ARG);
    o.tls = &g_tls_server_auth;
    o.port = 0;
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_INVALID_ARG);
    o.port = env_port("IOT_TEST_PORT_TLS");
    o.will_topic = "bad/+/will";
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_BAD_TOPIC);
    o.will_topic = NULL;
    o.password = (const uint8_t *)"pw";
    o.password_len = 2;
    assert_int_equal(iot_connect(&o, &c), IOT_ERR_INVALID_ARG);
    o.password = NULL;
    o.password_len = 0;
    {
        char long_id[IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN + 2];
        char long_host[IOT_CONFIG_MQTT_MAX_HOST_LEN + 2];
        memset(long_id, 'i', sizeof(long_id) - 1u);
        long_id[sizeof(long_id) - 1u] = '\0';
        memset(long_host, 'h', sizeof(long_host) - 1u);
        long_host[sizeof(long_host) - 1u] = '\0';
        o.client_id = long_id;
        assert_int_equal(iot_connect(&o, &c), IOT_ERR_INVALID_ARG);
        o.client_id = "it-args";
        o.host = long_host;
        assert_int_equal(iot_connect(&o, &c), IOT_ERR_INVALID_ARG);
        o.host = "127.0.0.1";
    }
    assert_null(c);

    c = connect_ok(&o);
    assert_int_equal(iot_publish(NULL, "t", "x", 1, IOT_QOS0, false), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_publish(c, NULL, "x", 1, IOT_QOS0, false), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_publish(c, "t", NULL, 1, IOT_QOS0, false), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_publish(c, "t", "x", 1, (iot_qos_t)3, false), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_publish(c, "a/+/b", "x", 1, IOT_QOS0, false), IOT_ERR_BAD_TOPIC);
    assert_int_equal(iot_publish(c, "", "x", 1, IOT_QOS1, false), IOT_ERR_BAD_TOPIC);
    assert_int_equal(iot_publish(c, "bad\xff", "x", 1, IOT_QOS1, false), IOT_ERR_BAD_TOPIC);
    assert_int_equal(iot_subscribe(c, "a/#/b", IOT_QOS0, on_msg, &in), IOT_ERR_BAD_TOPIC);
    assert_int_equal(iot_subscribe(c, "a", IOT_QOS0, NULL, &in), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_subscribe(NULL, "a", IOT_QOS0, on_msg, &in), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_unsubscribe(c, "never/subscribed"), IOT_ERR_NOT_FOUND);
    assert_int_equal(iot_process(NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_flush(NULL, 1), IOT_ERR_INVALID_ARG);
    assert_false(iot_is_connected(NULL));
    assert_int_equal(iot_disconnect(NULL), IOT_OK);
    /* The pool is bounded: more clients than configured are refused. */
    {
        iot_client_t *others[IOT_CONFIG_MQTT_MAX_CLIENTS];
        iot_client_t *extra = NULL;
        int i;
        for (i = 0; i < IOT_CONFIG_MQTT_MAX_CLIENTS - 1; i++) {
            char id[16];
            iot_connect_options_t oo = o;
            (void)snprintf(id, sizeof(id), "it-pool-%d", i);
            oo.client_id = id;
            others[i] = connect_ok(&oo);
        }
        assert_int_equal(iot_connect(&o, &extra), IOT_ERR_NO_MEMORY);
        for (i = 0; i < IOT_CONFIG_MQTT_MAX_CLIENTS - 1; i++) {
            assert_int_equal(iot_disconnect(others[i]), IOT_OK);
        }
    }
    assert_int_equal(iot_disconnect(c), IOT_OK);
}

/* ---- A hostile broker: valid CONNACK, then garbage ----------------------- */

typedef struct {
    int listen_fd;
    uint16_t port;
    const uint8_t *reply;
    size_t reply_len;
} fake_broker_t;

static void *fake_broker_main(void *arg)
{
    fake_broker_t *fb = arg;
    uint8_t buf[512];
    static const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };
    int fd = accept(fb->listen_fd, NULL, NULL);

    if (fd >= 0) {
        (void)read(fd, buf, sizeof(buf)); /* CONNECT */
        (void)write(fd, connack, sizeof(connack));
        usleep(50 * 1000);
        (void)write(fd, fb->reply, fb->reply_len);
        /* Keep the socket open: the client must close on its own. */
        (void)read(fd, buf, sizeof(buf));
        close(fd);
    }
    return NULL;
}

static void fake_broker_start(fake_broker_t *fb, pthread_t *th)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fb->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fb->listen_fd >= 0);
    assert_int_equal(bind(fb->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fb->listen_fd, 1), 0);
    assert_int_equal(getsockname(fb->listen_fd, (struct sockaddr *)&a, &len), 0);
    fb->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(th, NULL, fake_broker_main, fb), 0);
}

static void test_malformed_packets_close_with_protocol_error(void **state)
{
    static const uint8_t bad_length[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01 };
    static const uint8_t bad_type[] = { 0xf0, 0x00 };
    static const uint8_t puback_id0[] = { 0x40, 0x02, 0x00, 0x00 };
    static const uint8_t second_connack[] = { 0x20, 0x02, 0x00, 0x00 };
    static const uint8_t qos3_publish[] = { 0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01 };
    static const struct {
        const uint8_t *bytes;
        size_t len;
    } cases[] = { { bad_length, sizeof(bad_length) },     { bad_type, sizeof(bad_type) },
                  { puback_id0, sizeof(puback_id0) },     { second_connack, sizeof(second_connack) },
                  { qos3_publish, sizeof(qos3_publish) } };
    static iot_tls_config_t plain = IOT_TLS_CONFIG_INIT;
    size_t i;

    (void)state;
    plain.mode = IOT_TLS_NONE;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_broker_t fb;
        pthread_t th;
        iot_connect_options_t o;
        iot_client_t *c;
        int events[8] = { 0 };
        iot_status_t st = IOT_OK;
        uint64_t start;

        memset(&fb, 0, sizeof(fb));
        fb.reply = cases[i].bytes;
        fb.reply_len = cases[i].len;
        fake_broker_start(&fb, &th);
        o = options("it-hostile", fb.port, &plain);
        o.auto_reconnect = false;
        o.on_event = on_event_count;
        o.event_user = events;
        c = connect_ok(&o);
        start = iot_port_time_ms();
        while (st == IOT_OK && iot_port_time_ms() - start < 5000) {
            st = iot_process(c, 50);
        }
        assert_int_equal(st, IOT_ERR_NOT_CONNECTED);
        assert_int_equal(events[IOT_EVENT_DISCONNECTED], 1);
        assert_int_equal(iot_disconnect(c), IOT_OK);
        pthread_join(th, NULL);
        close(fb.listen_fd);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_server_auth, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_round_trip_mutual_tls, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_round_trip_psk, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_paho_receives_every_qos, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_sdk_receives_from_paho, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_retained_message, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_wildcards_and_unsubscribe, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_large_payload_256k, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_oversized_incoming_is_dropped, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_last_will_on_abrupt_loss, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_keepalive_detects_silent_broker, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_broker_restart_during_stream, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_batched_stream_in_order, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_threads_publish_at_once, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_refusals, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup_each, teardown_each),
        cmocka_unit_test_setup_teardown(test_malformed_packets_close_with_protocol_error, setup_each, teardown_each),
    };
    const char *pki_dir = getenv("IOT_TEST_PKI");

    g_peer = (argc > 1) ? argv[1] : getenv("IOT_TEST_PAHO_PEER");
    if (g_peer == NULL || pki_dir == NULL) {
        fprintf(stderr, "usage: run under with_broker.sh with the Paho peer as argument\n");
        return 2;
    }
    (void)snprintf(g_pki, sizeof(g_pki), "%s", pki_dir);
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)getpid());
    load_psk();
    setup_tls();
    if (getenv("IOT_TEST_FILTER") != NULL) {
        cmocka_set_test_filter(getenv("IOT_TEST_FILTER"));
    }
    {
        int rc = cmocka_run_group_tests_name("mqtt_client", tests, NULL, NULL);
        teardown_store_creds();
        return rc;
    }
}
