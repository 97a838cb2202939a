/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paho_peer: an MQTT 3.1.1 client built on Eclipse Paho (MQTTAsync) and on
 * nothing of this SDK. The integration tests use it as the other end of a
 * conversation with the SDK's client, so that a bug shared by our encoder and
 * our decoder cannot hide itself.
 *
 *   paho_peer sub  --port P [TLS] [--topic T ...] [--qos Q] [--count N]
 *                  [--timeout-ms MS] [--seq] [--size BYTES] [--print]
 *                  [--client-id ID] [--clean 0|1] [--reconnect]
 *                  [--ready-file F] [--keepalive S]
 *   paho_peer pub  --port P [TLS] --topic T [--qos Q] [--retain]
 *                  [--message M | --size BYTES] [--seq] [--count N]
 *                  [--timeout-ms MS] [--client-id ID] [--keepalive S]
 *   paho_peer will --port P [TLS] --will-topic WT --will-message WM
 *                  [--qos Q] [--retain] [--topic T [--message M]] [--client-id ID]
 *
 *   TLS: --tls   ssl://, server verified against --cafile (default
 *                $IOT_TEST_PKI/ca.crt), host name 127.0.0.1 checked
 *        --mtls  as --tls, plus the client certificate --cert/--key
 *                (default $IOT_TEST_PKI/client.crt and client.key);
 *                giving --cert implies --mtls
 *        --tls12 offer TLS 1.2 only (the TLS12 listener refuses TLS 1.3
 *                offers); implies --tls, combines with --mtls
 *
 * The server is always 127.0.0.1:P. Exit status: 0 success, 1 timeout or
 * failure of the check, 2 usage or connection error.
 *
 * Payloads. --seq makes the publisher prefix payload i (0-based) with "i", or
 * "i:" when more follows; the subscriber then counts distinct sequence numbers
 * 0..N-1 and succeeds only when all arrived. --size BYTES on the publisher
 * fills the payload up to BYTES bytes with the pattern byte(k) = k % 251,
 * where k is the offset in the payload (after the "i:" prefix, if any); on the
 * subscriber it requires every payload to be exactly BYTES bytes carrying that
 * pattern.
 *
 * The subscriber stops at --count messages (--seq: once 0..N-1 all arrived) or
 * after --timeout-ms from its SUBACK; with --count 0 (the default) it listens
 * for the whole timeout and succeeds. Paho acknowledges QoS 1/2 messages as
 * they arrive, so one arriving between the end and the DISCONNECT is
 * acknowledged but neither counted nor printed.
 *
 * --ready-file F is (re)written with "ready" after every SUBACK: remove it and
 * wait for it to learn that a --reconnect subscriber has subscribed again.
 */
#include <MQTTAsync.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CHECK 1
#define EXIT_USAGE 2
#define MAX_TOPICS 16
#define CONNECT_TIMEOUT_S 10
#define PUB_WINDOW 1000
#define SEQ_PREFIX_MAX 24
#define MISSING_SHOWN 10

enum mode { MODE_SUB, MODE_PUB, MODE_WILL };

struct options {
    enum mode mode;
    long port;
    bool tls;
    bool mtls;
    bool tls12;
    const char *cafile;
    const char *cert;
    const char *key;
    const char *topics[MAX_TOPICS];
    int ntopics;
    int qos;
    long count;
    bool count_given;
    long timeout_ms;
    bool seq;
    bool print;
    const char *client_id;
    int clean;
    bool reconnect;
    const char *ready_file;
    bool retain;
    const char *message;
    long size;
    bool size_given;
    const char *will_topic;
    const char *will_message;
    int keepalive;
};

/* Everything the Paho callback threads and the main thread share; guarded by lock. */
struct state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool connected;
    bool connect_failed;
    bool subscribed;
    bool subscribe_failed;
    bool lost;
    bool disconnected;
    bool finished; /* the result is out: later messages are not counted or printed */
    int connects;  /* connections made (with --reconnect) */
    char error[256];
    /* sub */
    long received;
    long distinct;
    long duplicates;
    long invalid;
    long out_of_order;
    long last_seq;
    long bad_payload;
    unsigned char *seen;
    /* pub */
    long completed;
    long failed;
    long outstanding;
};

static struct options opt;
static struct state st = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .last_seq = -1,
};
static MQTTAsync client;

static void usage(void)
{
    fputs("usage:\n"
          "  paho_peer sub  --port P [--tls|--mtls] [--topic T ...] [--qos Q] [--count N]\n"
          "                 [--timeout-ms MS] [--seq] [--size BYTES] [--print] [--client-id ID]\n"
          "                 [--clean 0|1] [--reconnect] [--ready-file F] [--keepalive S]\n"
          "  paho_peer pub  --port P [--tls|--mtls] --topic T [--qos Q] [--retain]\n"
          "                 [--message M | --size BYTES] [--seq] [--count N] [--timeout-ms MS]\n"
          "                 [--client-id ID] [--keepalive S]\n"
          "  paho_peer will --port P [--tls|--mtls] --will-topic WT --will-message WM\n"
          "                 [--qos Q] [--retain] [--topic T [--message M]] [--client-id ID]\n"
          "TLS options: --cafile F (default $IOT_TEST_PKI/ca.crt), --cert F --key F\n"
          "(default $IOT_TEST_PKI/client.crt, client.key; --cert implies --mtls),\n"
          "--tls12 (offer TLS 1.2 only; implies --tls)\n"
          "exit: 0 success, 1 timeout or failed check, 2 usage or connection error\n",
          stderr);
}

__attribute__((format(printf, 1, 2))) _Noreturn static void fail_usage(const char *fmt, ...);

static void fail_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("paho_peer: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage();
    exit(EXIT_USAGE);
}

/* Records the first error; the caller holds the lock. */
static void set_error(const char *what, int code, const char *message)
{
    if (st.error[0] == '\0') {
        snprintf(st.error, sizeof st.error, "%s: code %d (%s)%s%s", what, code,
                 MQTTAsync_strerror(code) ? MQTTAsync_strerror(code) : "?",
                 message ? ": " : "", message ? message : "");
    }
}

static long parse_long(const char *name, const char *text, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fail_usage("%s: '%s' is not a number in [%ld, %ld]", name, text, min, max);
    }
    return v;
}

static void parse_args(int argc, char **argv)
{
    if (argc < 2) {
        fail_usage("missing command");
    }
    if (strcmp(argv[1], "sub") == 0) {
        opt.mode = MODE_SUB;
    } else if (strcmp(argv[1], "pub") == 0) {
        opt.mode = MODE_PUB;
    } else if (strcmp(argv[1], "will") == 0) {
        opt.mode = MODE_WILL;
    } else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        exit(0);
    } else {
        fail_usage("unknown command '%s'", argv[1]);
    }
    opt.qos = 1;
    opt.clean = 1;
    opt.timeout_ms = 30000;
    opt.keepalive = 60;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (fail_usage("%s needs a value", a), ""))
        if (strcmp(a, "--port") == 0) {
            opt.port = parse_long(a, VALUE(), 1, 65535);
        } else if (strcmp(a, "--tls") == 0) {
            opt.tls = true;
        } else if (strcmp(a, "--mtls") == 0) {
            opt.tls = true;
            opt.mtls = true;
        } else if (strcmp(a, "--tls12") == 0) {
            opt.tls = true;
            opt.tls12 = true;
        } else if (strcmp(a, "--cafile") == 0) {
            opt.cafile = VALUE();
        } else if (strcmp(a, "--cert") == 0) {
            opt.cert = VALUE();
            opt.tls = true;
            opt.mtls = true;
        } else if (strcmp(a, "--key") == 0) {
            opt.key = VALUE();
        } else if (strcmp(a, "--topic") == 0) {
            if (opt.ntopics == MAX_TOPICS) {
                fail_usage("at most %d topics", MAX_TOPICS);
            }
            opt.topics[opt.ntopics++] = VALUE();
        } else if (strcmp(a, "--qos") == 0) {
            opt.qos = (int)parse_long(a, VALUE(), 0, 2);
        } else if (strcmp(a, "--count") == 0) {
            opt.count = parse_long(a, VALUE(), 0, 100000000L);
            opt.count_given = true;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            opt.timeout_ms = parse_long(a, VALUE(), 0, 24L * 3600 * 1000);
        } else if (strcmp(a, "--seq") == 0) {
            opt.seq = true;
        } else if (strcmp(a, "--print") == 0) {
            opt.print = true;
        } else if (strcmp(a, "--client-id") == 0) {
            opt.client_id = VALUE();
        } else if (strcmp(a, "--clean") == 0) {
            opt.clean = (int)parse_long(a, VALUE(), 0, 1);
        } else if (strcmp(a, "--reconnect") == 0) {
            opt.reconnect = true;
        } else if (strcmp(a, "--ready-file") == 0) {
            opt.ready_file = VALUE();
        } else if (strcmp(a, "--retain") == 0) {
            opt.retain = true;
        } else if (strcmp(a, "--message") == 0) {
            opt.message = VALUE();
        } else if (strcmp(a, "--size") == 0) {
            opt.size = parse_long(a, VALUE(), 0, 256L * 1024 * 1024);
            opt.size_given = true;
        } else if (strcmp(a, "--will-topic") == 0) {
            opt.will_topic = VALUE();
        } else if (strcmp(a, "--will-message") == 0) {
            opt.will_message = VALUE();
        } else if (strcmp(a, "--keepalive") == 0) {
            opt.keepalive = (int)parse_long(a, VALUE(), 0, 65535);
        } else {
            fail_usage("unknown option '%s'", a);
        }
#undef VALUE
    }

    if (opt.port == 0) {
        fail_usage("--port is required");
    }
    if (opt.key && !opt.cert) {
        fail_usage("--key needs --cert");
    }
    if (opt.message && opt.size_given && opt.mode == MODE_PUB) {
        fail_usage("--message and --size exclude each other");
    }
    switch (opt.mode) {
    case MODE_SUB:
        if (opt.ntopics == 0) {
            opt.topics[opt.ntopics++] = "#";
        }
        if (opt.seq && opt.count == 0) {
            fail_usage("--seq needs --count N > 0");
        }
        break;
    case MODE_PUB:
        if (opt.ntopics != 1) {
            fail_usage("pub needs exactly one --topic");
        }
        if (!opt.count_given) {
            opt.count = 1;
        }
        break;
    case MODE_WILL:
        if (!opt.will_topic || !opt.will_message) {
            fail_usage("will needs --will-topic and --will-message");
        }
        if (opt.ntopics > 1) {
            fail_usage("will takes at most one --topic");
        }
        break;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Waits on the condition until pred() holds or deadline (CLOCK_MONOTONIC ms)
 * passes; the caller holds the lock. Returns pred(). */
static bool wait_until(bool (*pred)(void), double deadline)
{
    while (!pred()) {
        double left = deadline - now_ms();
        if (left <= 0) {
            return pred();
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long long ns = (long long)ts.tv_nsec + (long long)(left * 1e6);
        ts.tv_sec += (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        int rc = pthread_cond_timedwait(&st.cond, &st.lock, &ts);
        if (rc != 0 && rc != ETIMEDOUT) {
            fprintf(stderr, "paho_peer: pthread_cond_timedwait: %s\n", strerror(rc));
            return pred();
        }
    }
    return true;
}

static unsigned char pattern_byte(size_t k)
{
    return (unsigned char)(k % 251u);
}

/* "123" or "123:..." -> 123 and the offset after the prefix; false otherwise. */
static bool parse_seq(const unsigned char *p, size_t len, long *seq, size_t *rest)
{
    size_t i = 0;
    long v = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (i == 18) {
            return false;
        }
        v = v * 10 + (p[i] - '0');
        i++;
    }
    if (i == 0) {
        return false;
    }
    if (i < len) {
        if (p[i] != ':') {
            return false;
        }
        i++;
    }
    *seq = v;
    *rest = i;
    return true;
}

static void print_message(const char *topic, size_t tlen, const MQTTAsync_message *m)
{
    const unsigned char *p = m->payload;
    size_t len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    bool printable = !(len >= 4 && memcmp(p, "hex:", 4) == 0);
    for (size_t i = 0; printable && i < len; i++) {
        printable = p[i] >= 0x20 && p[i] < 0x7f;
    }
    fwrite(topic, 1, tlen, stdout);
    printf("\t%d\t%d\t", m->qos, m->retained ? 1 : 0);
    if (printable) {
        fwrite(p, 1, len, stdout);
    } else {
        static const char hex[] = "0123456789abcdef";
        fputs("hex:", stdout);
        for (size_t i = 0; i < len; i++) {
            putchar(hex[p[i] >> 4]);
            putchar(hex[p[i] & 15]);
        }
    }
    putchar('\n');
    fflush(stdout);
}

/* ---- callbacks (Paho threads) ---- */

static void on_connection_lost(void *ctx, char *cause)
{
    (void)ctx;
    pthread_mutex_lock(&st.lock);
    st.lost = true;
    st.connected = false;
    if (!opt.reconnect) {
        set_error("connection lost", MQTTASYNC_DISCONNECTED, cause);
    }
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
    fprintf(stderr, "paho_peer: connection lost%s%s\n", cause ? ": " : "", cause ? cause : "");
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    (void)ctx;
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    const unsigned char *p = m->payload;
    size_t len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;

    pthread_mutex_lock(&st.lock);
    if (st.finished) {
        pthread_mutex_unlock(&st.lock);
        MQTTAsync_freeMessage(&m);
        MQTTAsync_free(topic);
        return 1;
    }
    st.received++;
    if (opt.print) {
        print_message(topic, tlen, m);
    }
    size_t body = 0;
    if (opt.seq) {
        long n;
        if (parse_seq(p, len, &n, &body) && n < opt.count) {
            if (st.seen[n]) {
                st.duplicates++;
            } else {
                st.seen[n] = 1;
                st.distinct++;
                if (n < st.last_seq) {
                    st.out_of_order++;
                }
                st.last_seq = n;
            }
        } else {
            st.invalid++;
            body = len;
        }
    }
    if (opt.size_given) {
        bool ok = len == (size_t)opt.size;
        for (size_t k = body; ok && k < len; k++) {
            ok = p[k] == pattern_byte(k - body);
        }
        if (!ok) {
            st.bad_payload++;
        }
    }
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);

    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_connect_success(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    pthread_mutex_lock(&st.lock);
    st.connected = true;
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    pthread_mutex_lock(&st.lock);
    st.connect_failed = true;
    set_error("connect failed", r ? r->code : MQTTASYNC_FAILURE, r ? r->message : NULL);
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static bool granted_ok(const MQTTAsync_successData *r)
{
    if (!r) {
        return true;
    }
    if (opt.ntopics == 1) {
        return r->alt.qos != MQTT_BAD_SUBSCRIBE;
    }
    for (int i = 0; r->alt.qosList && i < opt.ntopics; i++) {
        if (r->alt.qosList[i] == MQTT_BAD_SUBSCRIBE) {
            return false;
        }
    }
    return true;
}

static void write_ready_file(void);

static void on_subscribe_success(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    bool ok = granted_ok(r);
    if (ok && opt.ready_file) {
        write_ready_file();
    }
    pthread_mutex_lock(&st.lock);
    if (ok) {
        st.subscribed = true;
    } else {
        st.subscribe_failed = true;
        set_error("subscription refused", MQTTASYNC_FAILURE, "SUBACK 0x80");
    }
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static void on_subscribe_failure(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    pthread_mutex_lock(&st.lock);
    st.subscribe_failed = true;
    set_error("subscribe failed", r ? r->code : MQTTASYNC_FAILURE, r ? r->message : NULL);
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static int subscribe_all(void)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int qos[MAX_TOPICS];
    for (int i = 0; i < opt.ntopics; i++) {
        qos[i] = opt.qos;
    }
    ro.onSuccess = on_subscribe_success;
    ro.onFailure = on_subscribe_failure;
    return MQTTAsync_subscribeMany(client, opt.ntopics, (char *const *)opt.topics, qos, &ro);
}

/* With --reconnect, called on every connection Paho makes. After the first,
 * Paho reconnected by itself: the subscriptions are made again (harmless for a
 * resumed session, needed for a clean one). */
static void on_reconnected(void *ctx, char *cause)
{
    (void)ctx;
    (void)cause;
    pthread_mutex_lock(&st.lock);
    st.connects++;
    bool reconnected = st.connects > 1;
    bool again = reconnected && st.subscribed && opt.mode == MODE_SUB;
    st.connected = true;
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
    if (reconnected) {
        fprintf(stderr, "paho_peer: reconnected\n");
    }
    if (again) {
        int rc = subscribe_all();
        if (rc != MQTTASYNC_SUCCESS) {
            pthread_mutex_lock(&st.lock);
            st.subscribe_failed = true;
            set_error("resubscribe", rc, NULL);
            pthread_cond_broadcast(&st.cond);
            pthread_mutex_unlock(&st.lock);
        }
    }
}

static void on_publish_success(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    pthread_mutex_lock(&st.lock);
    st.completed++;
    st.outstanding--;
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static void on_publish_failure(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    pthread_mutex_lock(&st.lock);
    st.failed++;
    st.outstanding--;
    set_error("publish failed", r ? r->code : MQTTASYNC_FAILURE, r ? r->message : NULL);
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static void on_disconnect_success(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    pthread_mutex_lock(&st.lock);
    st.disconnected = true;
    pthread_cond_broadcast(&st.cond);
    pthread_mutex_unlock(&st.lock);
}

static void on_disconnect_failure(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    (void)r;
    on_disconnect_success(NULL, NULL);
}

static int ssl_error(const char *str, size_t len, void *u)
{
    (void)u;
    fprintf(stderr, "paho_peer: tls: %.*s", (int)len, str);
    return 0;
}

/* ---- predicates for wait_until (lock held) ---- */

static bool connect_done(void)
{
    return st.connected || st.connect_failed;
}

static bool subscribe_done(void)
{
    return st.subscribed || st.subscribe_failed || (st.lost && !opt.reconnect);
}

static bool sub_done(void)
{
    if (st.subscribe_failed || (st.lost && !opt.reconnect)) {
        return true;
    }
    if (opt.seq) {
        return st.distinct >= opt.count;
    }
    return opt.count > 0 && st.received >= opt.count;
}

static bool window_open(void)
{
    return st.outstanding < PUB_WINDOW || (st.lost && !opt.reconnect);
}

static bool pub_done(void)
{
    return st.outstanding == 0 || (st.lost && !opt.reconnect);
}

static bool disconnect_done(void)
{
    return st.disconnected;
}

/* ---- modes ---- */

/* Paho 1.3 reads sslVersion as the lowest version to accept and has no way
 * to cap it; OpenSSL can be capped through its configuration, which it reads
 * when Paho first initialises it. */
static char tls12_conf[4096];

static void remove_tls12_conf(void)
{
    if (tls12_conf[0]) {
        unlink(tls12_conf);
        tls12_conf[0] = '\0';
    }
}

static void cap_openssl_at_tls12(void)
{
    static const char conf[] = "openssl_conf = paho_peer_init\n"
                               "[paho_peer_init]\nssl_conf = paho_peer_ssl\n"
                               "[paho_peer_ssl]\nsystem_default = paho_peer_tls12\n"
                               "[paho_peer_tls12]\nMaxProtocol = TLSv1.2\n";
    const char *dir = getenv("TMPDIR");
    snprintf(tls12_conf, sizeof tls12_conf, "%s/paho_peer-tls12.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tls12_conf);
    if (fd < 0 || write(fd, conf, sizeof conf - 1) != (ssize_t)(sizeof conf - 1) || close(fd) != 0 ||
        setenv("OPENSSL_CONF", tls12_conf, 1) != 0) {
        fprintf(stderr, "paho_peer: --tls12: cannot write %s: %s\n", tls12_conf, strerror(errno));
        exit(EXIT_USAGE);
    }
    atexit(remove_tls12_conf);
}

static char *pki_path(const char *name)
{
    const char *dir = getenv("IOT_TEST_PKI");
    if (!dir || !*dir) {
        fail_usage("--tls needs --cafile/--cert/--key or IOT_TEST_PKI");
    }
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) {
        fputs("paho_peer: out of memory\n", stderr);
        exit(EXIT_USAGE);
    }
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void write_ready_file(void)
{
    size_t n = strlen(opt.ready_file) + 8;
    char *tmp = malloc(n);
    if (!tmp) {
        return;
    }
    snprintf(tmp, n, "%s.tmp", opt.ready_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs("ready\n", f) == EOF || fclose(f) != 0 || rename(tmp, opt.ready_file) != 0) {
        fprintf(stderr, "paho_peer: cannot write %s: %s\n", opt.ready_file, strerror(errno));
    }
    free(tmp);
}

static void disconnect(void)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    d.timeout = 2000;
    d.onSuccess = on_disconnect_success;
    d.onFailure = on_disconnect_failure;
    if (MQTTAsync_disconnect(client, &d) == MQTTASYNC_SUCCESS) {
        pthread_mutex_lock(&st.lock);
        wait_until(disconnect_done, now_ms() + 3000);
        pthread_mutex_unlock(&st.lock);
    }
}

static int run_sub(void)
{
    int rc = subscribe_all();
    if (rc != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "paho_peer: subscribe: %d (%s)\n", rc, MQTTAsync_strerror(rc));
        printf("received 0 messages\n");
        return EXIT_USAGE;
    }
    pthread_mutex_lock(&st.lock);
    wait_until(subscribe_done, now_ms() + CONNECT_TIMEOUT_S * 1000.0);
    bool subscribed = st.subscribed;
    if (!subscribed) {
        st.finished = true;
        fprintf(stderr, "paho_peer: %s\n", st.error[0] ? st.error : "no SUBACK");
        printf("received %ld messages\n", st.received);
    }
    pthread_mutex_unlock(&st.lock);
    if (!subscribed) {
        return EXIT_USAGE;
    }
    pthread_mutex_lock(&st.lock);
    bool done = wait_until(sub_done, now_ms() + (double)opt.timeout_ms);
    st.finished = true;
    int status = 0;
    if (st.error[0]) {
        fprintf(stderr, "paho_peer: %s\n", st.error);
        status = EXIT_CHECK;
    } else if (opt.count > 0 && !done) {
        fprintf(stderr, "paho_peer: timeout after %ld ms\n", opt.timeout_ms);
        status = EXIT_CHECK;
    }
    if (opt.seq) {
        long missing = opt.count - st.distinct;
        printf("seq: received=%ld distinct=%ld missing=%ld duplicates=%ld invalid=%ld out_of_order=%ld\n",
               st.received, st.distinct, missing, st.duplicates, st.invalid, st.out_of_order);
        if (missing > 0) {
            printf("seq: first missing:");
            int shown = 0;
            for (long i = 0; i < opt.count && shown < MISSING_SHOWN; i++) {
                if (!st.seen[i]) {
                    printf(" %ld", i);
                    shown++;
                }
            }
            printf("\n");
        }
        if (missing > 0 || st.invalid > 0) {
            status = EXIT_CHECK;
        }
    }
    if (opt.size_given) {
        printf("size: checked=%ld bad=%ld\n", st.received, st.bad_payload);
        if (st.bad_payload > 0) {
            status = EXIT_CHECK;
        }
    }
    printf("received %ld messages\n", st.received);
    fflush(stdout);
    pthread_mutex_unlock(&st.lock);
    return status;
}

/* Payload i of the stream: "[i[:]][message | pattern up to size]". */
static unsigned char *make_payload(long i, unsigned char *buf, size_t cap, size_t *len)
{
    char prefix[SEQ_PREFIX_MAX] = "";
    size_t plen = 0;
    bool more = opt.message ? opt.message[0] != '\0' : (opt.size_given && opt.size > 0);
    if (opt.seq) {
        plen = (size_t)snprintf(prefix, sizeof prefix, more ? "%ld:" : "%ld", i);
    }
    size_t total;
    if (opt.size_given) {
        if ((size_t)opt.size < plen) {
            return NULL;
        }
        total = (size_t)opt.size;
    } else {
        total = plen + (opt.message ? strlen(opt.message) : 0);
    }
    if (total > cap) {
        return NULL;
    }
    memcpy(buf, prefix, plen);
    if (opt.size_given) {
        for (size_t k = plen; k < total; k++) {
            buf[k] = pattern_byte(k - plen);
        }
    } else if (opt.message) {
        memcpy(buf + plen, opt.message, total - plen);
    }
    *len = total;
    return buf;
}

static int run_pub(void)
{
    size_t cap = (opt.size_given ? (size_t)opt.size : (opt.message ? strlen(opt.message) : 0)) + SEQ_PREFIX_MAX;
    unsigned char *buf = malloc(cap);
    if (!buf) {
        fputs("paho_peer: out of memory\n", stderr);
        return EXIT_USAGE;
    }
    double deadline = now_ms() + (double)opt.timeout_ms;
    int status = 0;
    long sent = 0;
    while (sent < opt.count && status == 0) {
        size_t len = 0;
        if (!make_payload(sent, buf, cap, &len)) {
            fprintf(stderr, "paho_peer: --size %ld leaves no room for the sequence prefix\n", opt.size);
            status = EXIT_USAGE;
            break;
        }
        pthread_mutex_lock(&st.lock);
        bool open = wait_until(window_open, deadline);
        bool broken = st.lost && !opt.reconnect;
        if (open && !broken) {
            st.outstanding++;
        }
        pthread_mutex_unlock(&st.lock);
        if (broken) {
            status = EXIT_CHECK;
            break;
        }
        if (!open) {
            fprintf(stderr, "paho_peer: timeout after %ld ms with %ld messages unsent\n", opt.timeout_ms,
                    opt.count - sent);
            status = EXIT_CHECK;
            break;
        }
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        ro.onSuccess = on_publish_success;
        ro.onFailure = on_publish_failure;
        int rc = MQTTAsync_send(client, opt.topics[0], (int)len, buf, opt.qos, opt.retain ? 1 : 0, &ro);
        if (rc == MQTTASYNC_SUCCESS) {
            sent++;
            continue;
        }
        pthread_mutex_lock(&st.lock);
        st.outstanding--;
        bool busy = (rc == MQTTASYNC_MAX_MESSAGES_INFLIGHT || rc == MQTTASYNC_MAX_BUFFERED_MESSAGES ||
                     rc == MQTTASYNC_NO_MORE_MSGIDS) && st.outstanding > 0;
        if (busy) {
            /* Paho's own limit: wait for one completion, then try again. */
            long before = st.completed + st.failed;
            while (st.completed + st.failed == before && now_ms() < deadline && !(st.lost && !opt.reconnect)) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_nsec += 100 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&st.cond, &st.lock, &ts);
            }
        }
        pthread_mutex_unlock(&st.lock);
        if (!busy) {
            fprintf(stderr, "paho_peer: publish %ld: %d (%s)\n", sent, rc, MQTTAsync_strerror(rc));
            status = EXIT_CHECK;
        }
    }
    free(buf);

    pthread_mutex_lock(&st.lock);
    bool drained = wait_until(pub_done, deadline);
    if (status == 0 && !drained) {
        fprintf(stderr, "paho_peer: timeout after %ld ms: %ld of %ld publications incomplete\n", opt.timeout_ms,
                st.outstanding, opt.count);
        status = EXIT_CHECK;
    }
    if (status == 0 && (st.failed > 0 || st.error[0])) {
        fprintf(stderr, "paho_peer: %s\n", st.error);
        status = EXIT_CHECK;
    }
    printf("published %ld messages (%ld completed, %ld failed)\n", sent, st.completed, st.failed);
    fflush(stdout);
    pthread_mutex_unlock(&st.lock);
    return status;
}

/* Connected with a last will: optionally say so on --topic, then vanish
 * without DISCONNECT so that the broker publishes the will. */
static int run_will(void)
{
    if (opt.ntopics == 1) {
        opt.count = 1;
        opt.seq = false;
        opt.size_given = false;
        if (!opt.message) {
            opt.message = "online";
        }
        int rc = run_pub();
        if (rc != 0) {
            return rc;
        }
    }
    printf("connected; exiting without DISCONNECT\n");
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st.cond, &ca);
    pthread_condattr_destroy(&ca);

    if (opt.mode == MODE_SUB && opt.seq) {
        st.seen = calloc((size_t)opt.count, 1);
        if (!st.seen) {
            fputs("paho_peer: out of memory\n", stderr);
            return EXIT_USAGE;
        }
    }

    char uri[64];
    snprintf(uri, sizeof uri, "%s://127.0.0.1:%ld", opt.tls ? "ssl" : "tcp", opt.port);
    char default_id[64];
    if (!opt.client_id) {
        snprintf(default_id, sizeof default_id, "paho-peer-%ld", (long)getpid());
        opt.client_id = default_id;
    }

    if (opt.tls12) {
        cap_openssl_at_tls12();
    }

    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    co.MQTTVersion = MQTTVERSION_3_1_1;
    co.maxBufferedMessages = PUB_WINDOW * 2;
    int rc = MQTTAsync_createWithOptions(&client, uri, opt.client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "paho_peer: create %s: %d (%s)\n", uri, rc, MQTTAsync_strerror(rc));
        return EXIT_USAGE;
    }
    MQTTAsync_setCallbacks(client, NULL, on_connection_lost, on_message, NULL);
    if (opt.reconnect) {
        MQTTAsync_setConnected(client, NULL, on_reconnected);
    }

    MQTTAsync_connectOptions conn = MQTTAsync_connectOptions_initializer;
    conn.MQTTVersion = MQTTVERSION_3_1_1;
    conn.keepAliveInterval = opt.keepalive;
    conn.cleansession = opt.clean;
    conn.connectTimeout = CONNECT_TIMEOUT_S;
    conn.onSuccess = on_connect_success;
    conn.onFailure = on_connect_failure;
    if (opt.reconnect) {
        conn.automaticReconnect = 1;
        conn.minRetryInterval = 1;
        conn.maxRetryInterval = 2;
    }

    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    if (opt.mode == MODE_WILL) {
        will.topicName = opt.will_topic;
        will.message = opt.will_message;
        will.qos = opt.qos;
        will.retained = opt.retain ? 1 : 0;
        conn.will = &will;
        opt.retain = false; /* --retain is for the will, not for the "online" message */
    }

    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    char *cafile = NULL, *cert = NULL, *key = NULL;
    if (opt.tls) {
        cafile = opt.cafile ? NULL : pki_path("ca.crt");
        ssl.trustStore = opt.cafile ? opt.cafile : cafile;
        ssl.enableServerCertAuth = 1;
        ssl.verify = 1;
        ssl.disableDefaultTrustStore = 1;
        if (opt.tls12) {
            ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2; /* a minimum, in Paho 1.3 */
        }
        ssl.ssl_error_cb = ssl_error;
        if (opt.mtls) {
            cert = opt.cert ? NULL : pki_path("client.crt");
            key = opt.cert ? NULL : pki_path("client.key");
            ssl.keyStore = opt.cert ? opt.cert : cert;
            ssl.privateKey = opt.cert ? (opt.key ? opt.key : opt.cert) : key;
        }
        conn.ssl = &ssl;
    }

    rc = MQTTAsync_connect(client, &conn);
    if (rc != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "paho_peer: connect %s: %d (%s)\n", uri, rc, MQTTAsync_strerror(rc));
        MQTTAsync_destroy(&client);
        return EXIT_USAGE;
    }
    pthread_mutex_lock(&st.lock);
    wait_until(connect_done, now_ms() + (CONNECT_TIMEOUT_S + 2) * 1000.0);
    bool connected = st.connected;
    if (!connected) {
        fprintf(stderr, "paho_peer: %s: %s\n", uri, st.error[0] ? st.error : "connect timed out");
    }
    pthread_mutex_unlock(&st.lock);
    remove_tls12_conf();

    int status;
    if (!connected) {
        if (opt.mode == MODE_SUB) {
            printf("received 0 messages\n");
        }
        status = EXIT_USAGE;
    } else if (opt.mode == MODE_SUB) {
        status = run_sub();
    } else if (opt.mode == MODE_PUB) {
        status = run_pub();
    } else {
        status = run_will();
    }

    if (connected) {
        disconnect();
    }
    MQTTAsync_destroy(&client);
    free(cafile);
    free(cert);
    free(key);
    free(st.seen);
    return status;
}
