/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the posix port's clock, mutex, threads, entropy, log sink and
 * TCP sockets (against listeners the test creates on 127.0.0.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <corstone_iot/port.h>

/* Generous upper bounds: CI machines are slow and noisy. */
#define SLACK_MS 3000u

/* ---- clock ------------------------------------------------------------ */

static uint64_t mono_ms(void)
{
    struct timespec ts;

    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_clock_monotonic(void **state)
{
    uint64_t prev;
    uint64_t before;
    uint64_t now;
    uint64_t after;
    int i;

    (void)state;
    /* It is CLOCK_MONOTONIC in milliseconds, not the wall clock. */
    before = mono_ms();
    now = iot_port_time_ms();
    after = mono_ms();
    assert_true(now >= before);
    assert_true(now <= after);

    prev = iot_port_time_ms();
    for (i = 0; i < 200000; i++) {
        now = iot_port_time_ms();
        assert_true(now >= prev);
        prev = now;
    }
}

static void test_sleep(void **state)
{
    uint64_t t0;
    uint64_t dt;

    (void)state;
    t0 = iot_port_time_ms();
    iot_port_sleep_ms(20);
    dt = iot_port_time_ms() - t0;
    assert_true(dt >= 20u);
    assert_true(dt < 20u + SLACK_MS);

    t0 = iot_port_time_ms();
    iot_port_sleep_ms(1100); /* whole seconds and a remainder */
    dt = iot_port_time_ms() - t0;
    assert_true(dt >= 1100u);
    assert_true(dt < 1100u + SLACK_MS);

    t0 = iot_port_time_ms();
    iot_port_sleep_ms(0);
    assert_true(iot_port_time_ms() - t0 < SLACK_MS);
}

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    g_signals++;
}

typedef struct {
    pthread_t target;
    int count;
} kicker_t;

static void *kicker(void *p)
{
    kicker_t *k = p;
    int i;

    for (i = 0; i < k->count; i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        (void)nanosleep(&ts, NULL);
        (void)pthread_kill(k->target, SIGUSR1);
    }
    return NULL;
}

/* Signals interrupt nanosleep(); the sleep must still last as long as asked. */
static void test_sleep_survives_signals(void **state)
{
    struct sigaction sa;
    struct sigaction old;
    kicker_t k;
    pthread_t th;
    uint64_t t0;
    uint64_t dt;

    (void)state;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART */
    assert_int_equal(sigemptyset(&sa.sa_mask), 0);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    g_signals = 0;
    k.target = pthread_self();
    k.count = 3;
    t0 = iot_port_time_ms();
    assert_int_equal(pthread_create(&th, NULL, kicker, &k), 0);
    iot_port_sleep_ms(200);
    dt = iot_port_time_ms() - t0;
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_true(g_signals >= 1);
    assert_true(dt >= 200u);
    assert_true(dt < 200u + SLACK_MS);
}

/* ---- mutex ------------------------------------------------------------ */

#define WORKERS 4
#define ROUNDS 100000

typedef struct {
    iot_port_mutex_t mutex;
    volatile long counter;
    volatile int inside;
    atomic_int overlaps;
} shared_t;

static void *worker(void *p)
{
    shared_t *s = p;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        iot_port_mutex_lock(&s->mutex);
        if (++s->inside != 1) {
            atomic_fetch_add(&s->overlaps, 1);
        }
        s->counter = s->counter + 1;
        s->inside--;
        iot_port_mutex_unlock(&s->mutex);
    }
    return NULL;
}

static void test_mutex_basic(void **state)
{
    iot_port_mutex_t m;

    (void)state;
    assert_int_equal(iot_port_mutex_init(NULL), IOT_ERR_INVALID_ARG);
    assert_true(sizeof(m.storage) >= IOT_CONFIG_PORT_MUTEX_SIZE);
    assert_int_equal(iot_port_mutex_init(&m), IOT_OK);
    iot_port_mutex_lock(&m);
    iot_port_mutex_unlock(&m);
    iot_port_mutex_lock(&m);
    iot_port_mutex_unlock(&m);
    iot_port_mutex_destroy(&m);
    /* Usable again after a new init; destroy(NULL) is ignored. */
    assert_int_equal(iot_port_mutex_init(&m), IOT_OK);
    iot_port_mutex_lock(&m);
    iot_port_mutex_unlock(&m);
    iot_port_mutex_destroy(&m);
    iot_port_mutex_destroy(NULL);
}

static void test_mutex_exclusion(void **state)
{
    static shared_t s; /* static: keeps the large struct off the stack */
    pthread_t th[WORKERS];
    int i;

    (void)state;
    memset(&s, 0, sizeof(s));
    atomic_init(&s.overlaps, 0);
    assert_int_equal(iot_port_mutex_init(&s.mutex), IOT_OK);
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, worker, &s), 0);
    }
    for (i = 0; i < WORKERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
    }
    assert_int_equal(s.counter, (long)WORKERS * ROUNDS);
    assert_int_equal(atomic_load(&s.overlaps), 0);
    iot_port_mutex_destroy(&s.mutex);
}

typedef struct {
    iot_port_mutex_t *mutex;
    atomic_int acquired;
} blocker_t;

static void *take_lock(void *p)
{
    blocker_t *b = p;

    iot_port_mutex_lock(b->mutex);
    atomic_store(&b->acquired, 1);
    iot_port_mutex_unlock(b->mutex);
    return NULL;
}

/* A held mutex blocks another thread until it is released. */
static void test_mutex_blocks(void **state)
{
    iot_port_mutex_t m;
    blocker_t b;
    pthread_t th;

    (void)state;
    assert_int_equal(iot_port_mutex_init(&m), IOT_OK);
    b.mutex = &m;
    atomic_init(&b.acquired, 0);
    iot_port_mutex_lock(&m);
    assert_int_equal(pthread_create(&th, NULL, take_lock, &b), 0);
    iot_port_sleep_ms(100);
    assert_int_equal(atomic_load(&b.acquired), 0);
    iot_port_mutex_unlock(&m);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(atomic_load(&b.acquired), 1);
    iot_port_mutex_destroy(&m);
}

/* ---- threads ---------------------------------------------------------- */

typedef struct {
    int runs;
    uintptr_t id;
    void *arg_seen;
} thread_probe_t;

static void probe(void *arg)
{
    thread_probe_t *p = arg;

    p->runs++;
    p->id = iot_port_thread_id();
    p->arg_seen = arg;
}

static void test_threads(void **state)
{
    iot_port_thread_t t = { 0 };
    thread_probe_t p[3];
    iot_port_thread_t ts[3];
    uintptr_t me;
    int i;

    (void)state;
    assert_int_equal(iot_port_thread_start(NULL, probe, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_thread_start(&t, NULL, NULL), IOT_ERR_INVALID_ARG);
    me = iot_port_thread_id();
    assert_true(me != 0u);
    assert_true(iot_port_thread_id() == me);

    memset(p, 0, sizeof(p));
    for (i = 0; i < 3; i++) {
        assert_int_equal(iot_port_thread_start(&ts[i], probe, &p[i]), IOT_OK);
        assert_true(ts[i].handle != 0u);
    }
    for (i = 0; i < 3; i++) {
        iot_port_thread_join(&ts[i]);
        assert_int_equal(ts[i].handle, 0u);
        assert_int_equal(p[i].runs, 1);
        assert_ptr_equal(p[i].arg_seen, &p[i]);
        assert_true(p[i].id != 0u);
        assert_true(p[i].id != me);
    }
    /* Joining an empty handle, or NULL, does nothing. */
    iot_port_thread_join(&ts[0]);
    iot_port_thread_join(NULL);
}

/* ---- entropy ---------------------------------------------------------- */

static void test_entropy(void **state)
{
    uint8_t a[64];
    uint8_t b[64];
    uint8_t untouched[8];
    static uint8_t big[1 << 20];
    static unsigned seen[256];
    size_t i;

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(iot_port_entropy(a, sizeof(a)), IOT_OK);
    assert_int_equal(iot_port_entropy(b, sizeof(b)), IOT_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    for (i = 0; i < sizeof(a) && a[i] == 0; i++) {
    }
    assert_true(i < sizeof(a));

    assert_int_equal(iot_port_entropy(NULL, 1), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_entropy(NULL, 0), IOT_OK);
    memset(untouched, 0xC3, sizeof(untouched));
    assert_int_equal(iot_port_entropy(untouched, 0), IOT_OK);
    for (i = 0; i < sizeof(untouched); i++) {
        assert_int_equal(untouched[i], 0xC3);
    }

    /* A large request is filled completely: every byte value shows up
     * (each is expected 4096 times in 1 MiB). */
    memset(big, 0, sizeof(big));
    memset(seen, 0, sizeof(seen));
    assert_int_equal(iot_port_entropy(big, sizeof(big)), IOT_OK);
    for (i = 0; i < sizeof(big); i++) {
        seen[big[i]]++;
    }
    for (i = 0; i < 256u; i++) {
        assert_true(seen[i] > 2048u && seen[i] < 8192u);
    }
    /* The tail in particular was written. */
    for (i = sizeof(big) - 64u; i < sizeof(big) && big[i] == 0; i++) {
    }
    assert_true(i < sizeof(big));
}

/* ---- log sink --------------------------------------------------------- */

/* Runs the port's log sink with stderr redirected to a file; returns what
 * it wrote. */
static size_t capture_log(iot_log_level_t level, const char *module, const char *line,
                          char *out, size_t cap)
{
    char path[] = "/tmp/iot_port_log_XXXXXX";
    int fd = mkstemp(path);
    int saved;
    ssize_t n;

    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(fflush(stderr), 0);
    saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    iot_port_log_write(level, module, line, strlen(line));
    (void)fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    assert_int_equal(close(saved), 0);
    n = pread(fd, out, cap - 1u, 0);
    assert_true(n >= 0);
    out[n] = '\0';
    assert_int_equal(close(fd), 0);
    return (size_t)n;
}

static void test_log_sink(void **state)
{
    static const struct {
        iot_log_level_t level;
        const char *tag;
    } levels[] = {
        { IOT_LOG_ERROR, "E" }, { IOT_LOG_WARN, "W" }, { IOT_LOG_INFO, "I" },
        { IOT_LOG_DEBUG, "D" }, { (iot_log_level_t)7, "?" },
    };
    char out[1024];
    char expect[1024];
    char long_line[400];
    size_t i;

    (void)state;
    capture_log(IOT_LOG_INFO, "mod", "text", out, sizeof(out));
    assert_string_equal(out, "[I] mod: text\n");

    for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        capture_log(levels[i].level, "mqtt", "connected to broker:8883", out, sizeof(out));
        (void)snprintf(expect, sizeof(expect), "[%s] mqtt: connected to broker:8883\n",
                       levels[i].tag);
        assert_string_equal(out, expect);
    }
    capture_log(IOT_LOG_WARN, "x", "", out, sizeof(out));
    assert_string_equal(out, "[W] x: \n");
    /* The sink does not cut lines; the core bounds them before. */
    memset(long_line, 'z', sizeof(long_line) - 1u);
    long_line[sizeof(long_line) - 1u] = '\0';
    assert_int_equal(capture_log(IOT_LOG_ERROR, "tls", long_line, out, sizeof(out)),
                     strlen("[E] tls: ") + strlen(long_line) + 1u);
    /* printf conversions in the text are not interpreted. */
    capture_log(IOT_LOG_DEBUG, "fmt", "%s %n %d", out, sizeof(out));
    assert_string_equal(out, "[D] fmt: %s %n %d\n");
}

/* ---- sockets ---------------------------------------------------------- */

/* A listening socket on 127.0.0.1 and an ephemeral port. */
static int listen_local(uint16_t *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

typedef struct {
    int listener;
    int server; /* accepted end */
    iot_port_socket_t client;
} conn_t;

static void open_conn(conn_t *c)
{
    uint16_t port;

    c->listener = listen_local(&port);
    c->client.handle = -1;
    assert_int_equal(iot_port_tcp_connect(&c->client, "127.0.0.1", port, 2000), IOT_OK);
    assert_true(c->client.handle >= 0);
    c->server = accept(c->listener, NULL, NULL);
    assert_true(c->server >= 0);
}

static void close_conn(conn_t *c)
{
    iot_port_tcp_close(&c->client);
    if (c->server >= 0) {
        (void)close(c->server);
    }
    (void)close(c->listener);
}

static void send_all(iot_port_socket_t *s, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0u) {
        size_t sent = 0;
        assert_int_equal(iot_port_tcp_send(s, p, len, 2000, &sent), IOT_OK);
        assert_true(sent >= 1u && sent <= len);
        p += sent;
        len -= sent;
    }
}

static void recv_all(iot_port_socket_t *s, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0u) {
        size_t got = 0;
        assert_int_equal(iot_port_tcp_recv(s, p, len, 2000, &got), IOT_OK);
        assert_true(got >= 1u && got <= len);
        p += got;
        len -= got;
    }
}

static void test_tcp_exchange(void **state)
{
    conn_t c;
    char buf[64];
    ssize_t n;
    size_t got = 0;

    (void)state;
    open_conn(&c);
    /* client -> server */
    send_all(&c.client, "hello server", 12);
    n = recv(c.server, buf, 12, MSG_WAITALL);
    assert_int_equal(n, 12);
    assert_memory_equal(buf, "hello server", 12);
    /* server -> client */
    assert_int_equal(send(c.server, "hello client", 12, 0), 12);
    recv_all(&c.client, buf, 12);
    assert_memory_equal(buf, "hello client", 12);
    /* recv returns what is there without waiting for the whole buffer. */
    assert_int_equal(send(c.server, "abc", 3, 0), 3);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 2000), IOT_OK);
    assert_int_equal(iot_port_tcp_recv(&c.client, (uint8_t *)buf, sizeof(buf), 2000, &got),
                     IOT_OK);
    assert_int_equal(got, 3u);
    assert_memory_equal(buf, "abc", 3);
    /* A short buffer gets part, the rest stays. */
    assert_int_equal(send(c.server, "12345", 5, 0), 5);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 2000), IOT_OK);
    assert_int_equal(iot_port_tcp_recv(&c.client, (uint8_t *)buf, 2, 0, &got), IOT_OK);
    assert_int_equal(got, 2u);
    assert_memory_equal(buf, "12", 2);
    recv_all(&c.client, buf, 3);
    assert_memory_equal(buf, "345", 3);
    close_conn(&c);
}

typedef struct {
    int fd;
    size_t len;
    uint8_t *data;
    int ok;
} bulk_reader_t;

static void *bulk_read(void *p)
{
    bulk_reader_t *r = p;
    size_t got = 0;

    while (got < r->len) {
        ssize_t n = recv(r->fd, r->data + got, r->len - got, 0);
        if (n <= 0) {
            return NULL;
        }
        got += (size_t)n;
    }
    r->ok = 1;
    return NULL;
}

/* More than the socket buffers hold: send() has to wait for room. */
static void test_tcp_bulk(void **state)
{
    enum { BULK = 4 * 1024 * 1024 };
    conn_t c;
    bulk_reader_t r;
    pthread_t th;
    uint8_t *out = malloc(BULK);
    uint8_t *in = malloc(BULK);
    size_t i;

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    for (i = 0; i < BULK; i++) {
        out[i] = (uint8_t)(i * 7u + (i >> 12));
    }
    open_conn(&c);
    r.fd = c.server;
    r.len = BULK;
    r.data = in;
    r.ok = 0;
    assert_int_equal(pthread_create(&th, NULL, bulk_read, &r), 0);
    send_all(&c.client, out, BULK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(r.ok, 1);
    assert_memory_equal(in, out, BULK);
    close_conn(&c);
    free(out);
    free(in);
}

static void test_tcp_timeouts(void **state)
{
    conn_t c;
    uint8_t buf[16];
    size_t got = 12345;
    uint64_t t0;
    uint64_t dt;

    (void)state;
    open_conn(&c);
    /* recv: nothing arrives */
    t0 = iot_port_time_ms();
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 150, &got), IOT_ERR_TIMEOUT);
    dt = iot_port_time_ms() - t0;
    assert_true(dt >= 140u);
    assert_true(dt < 150u + SLACK_MS);
    assert_int_equal(got, 12345u);
    /* 0 only polls */
    t0 = iot_port_time_ms();
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 0, &got), IOT_ERR_TIMEOUT);
    assert_true(iot_port_time_ms() - t0 < SLACK_MS);

    /* wait_readable: nothing, then data, then consumed */
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 0), IOT_ERR_TIMEOUT);
    t0 = iot_port_time_ms();
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 120), IOT_ERR_TIMEOUT);
    dt = iot_port_time_ms() - t0;
    assert_true(dt >= 110u);
    assert_true(dt < 120u + SLACK_MS);
    assert_int_equal(send(c.server, "x", 1, 0), 1);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 2000), IOT_OK);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 0), IOT_OK); /* still pending */
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 0, &got), IOT_OK);
    assert_int_equal(got, 1u);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 0), IOT_ERR_TIMEOUT);

    /* send: the peer never reads, so the buffers fill up */
    {
        static uint8_t chunk[64 * 1024];
        size_t total = 0;
        iot_status_t st = IOT_OK;

        while (total < (512u << 20)) {
            size_t sent = 0;
            st = iot_port_tcp_send(&c.client, chunk, sizeof(chunk), 50, &sent);
            if (st != IOT_OK) {
                break;
            }
            total += sent;
        }
        assert_int_equal(st, IOT_ERR_TIMEOUT);
        assert_true(total > 0u);
    }
    close_conn(&c);
}

/* A wait for input while data arrives from another thread later. */
typedef struct {
    int fd;
    unsigned delay_ms;
} late_sender_t;

static void *send_late(void *p)
{
    late_sender_t *s = p;

    iot_port_sleep_ms(s->delay_ms);
    (void)send(s->fd, "late", 4, 0);
    return NULL;
}

static void test_tcp_wait_wakes_up(void **state)
{
    conn_t c;
    late_sender_t s;
    pthread_t th;
    uint8_t buf[8];
    size_t got = 0;
    uint64_t t0;
    uint64_t dt;

    (void)state;
    open_conn(&c);
    s.fd = c.server;
    s.delay_ms = 100;
    t0 = iot_port_time_ms();
    assert_int_equal(pthread_create(&th, NULL, send_late, &s), 0);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 10000), IOT_OK);
    dt = iot_port_time_ms() - t0;
    assert_true(dt >= 90u);
    assert_true(dt < 10000u);
    assert_int_equal(pthread_join(th, NULL), 0);
    recv_all(&c.client, buf, 4);
    assert_memory_equal(buf, "late", 4);

    /* recv with a long timeout also returns as soon as data arrives */
    t0 = iot_port_time_ms();
    assert_int_equal(pthread_create(&th, NULL, send_late, &s), 0);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 10000, &got), IOT_OK);
    assert_true(iot_port_time_ms() - t0 < 10000u);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(got >= 1u);
    close_conn(&c);
}

static void test_tcp_peer_close(void **state)
{
    conn_t c;
    uint8_t buf[8];
    size_t got = 0;

    (void)state;
    open_conn(&c);
    assert_int_equal(send(c.server, "bye", 3, 0), 3);
    assert_int_equal(close(c.server), 0);
    c.server = -1;
    /* Data sent before the close is delivered first. */
    recv_all(&c.client, buf, 3);
    assert_memory_equal(buf, "bye", 3);
    /* End of stream is "readable", then recv reports the close. */
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 2000), IOT_OK);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 2000, &got),
                     IOT_ERR_NET_CLOSED);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 0, &got), IOT_ERR_NET_CLOSED);
    close_conn(&c);
}

static void reset_peer(conn_t *c)
{
    struct linger lg;

    lg.l_onoff = 1;
    lg.l_linger = 0; /* close() sends RST */
    assert_int_equal(setsockopt(c->server, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    assert_int_equal(close(c->server), 0);
    c->server = -1;
}

static void test_tcp_peer_reset(void **state)
{
    conn_t c;
    uint8_t buf[256];
    size_t got = 0;
    iot_status_t st = IOT_OK;
    int i;

    (void)state;
    /* send() to a peer that reset: NET_CLOSED, at the latest after a few
     * attempts (the first may still be accepted by the local stack). */
    open_conn(&c);
    reset_peer(&c);
    memset(buf, 'r', sizeof(buf));
    for (i = 0; i < 100; i++) {
        size_t sent = 0;
        st = iot_port_tcp_send(&c.client, buf, sizeof(buf), 1000, &sent);
        if (st != IOT_OK) {
            break;
        }
        iot_port_sleep_ms(10);
    }
    assert_int_equal(st, IOT_ERR_NET_CLOSED);
    close_conn(&c);

    /* recv() from a peer that reset: NET_CLOSED as well. */
    open_conn(&c);
    reset_peer(&c);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, sizeof(buf), 2000, &got),
                     IOT_ERR_NET_CLOSED);
    close_conn(&c);
}

static void test_tcp_connect_errors(void **state)
{
    iot_port_socket_t s = { 1234 };
    uint16_t port;
    int fd;

    (void)state;
    /* A port with no listener: bind one, note its number, close it. */
    fd = listen_local(&port);
    assert_int_equal(close(fd), 0);
    assert_int_equal(iot_port_tcp_connect(&s, "127.0.0.1", port, 2000), IOT_ERR_NET_CONNECT);
    assert_int_equal(s.handle, -1);

    s.handle = 1234;
    assert_int_equal(iot_port_tcp_connect(&s, "nonexistent.invalid", 80, 5000),
                     IOT_ERR_NET_RESOLVE);
    assert_int_equal(s.handle, -1);
}

static void test_tcp_invalid_args(void **state)
{
    iot_port_socket_t closed = IOT_PORT_SOCKET_INIT;
    conn_t c;
    uint8_t buf[4] = { 1, 2, 3, 4 };
    size_t n = 0;

    (void)state;
    assert_int_equal(closed.handle, -1);
    assert_int_equal(iot_port_tcp_connect(NULL, "127.0.0.1", 80, 100), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_connect(&closed, NULL, 80, 100), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_connect(&closed, "127.0.0.1", 0, 100), IOT_ERR_INVALID_ARG);

    /* on a closed socket */
    assert_int_equal(iot_port_tcp_send(&closed, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(&closed, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_wait_readable(&closed, 10), IOT_ERR_INVALID_ARG);

    /* bad arguments on a live socket */
    open_conn(&c);
    assert_int_equal(iot_port_tcp_send(NULL, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_send(&c.client, NULL, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_send(&c.client, buf, 0, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_send(&c.client, buf, 4, 10, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(NULL, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(&c.client, NULL, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, 0, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, 4, 10, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_wait_readable(NULL, 10), IOT_ERR_INVALID_ARG);
    /* None of that disturbed the connection. */
    send_all(&c.client, buf, 4);
    assert_int_equal(recv(c.server, buf, sizeof(buf), MSG_WAITALL), 4);

    /* close: twice, and NULL, are safe; afterwards the socket is "closed". */
    iot_port_tcp_close(&c.client);
    assert_int_equal(c.client.handle, -1);
    iot_port_tcp_close(&c.client);
    assert_int_equal(c.client.handle, -1);
    iot_port_tcp_close(NULL);
    assert_int_equal(iot_port_tcp_send(&c.client, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_recv(&c.client, buf, 4, 10, &n), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_port_tcp_wait_readable(&c.client, 10), IOT_ERR_INVALID_ARG);
    /* The server sees the close. */
    assert_int_equal(recv(c.server, buf, sizeof(buf), 0), 0);
    close_conn(&c);
}

/* Sockets are not inherited across exec (a host launcher may exec), and
 * small MQTT packets are not delayed. */
static void test_tcp_cloexec_and_nodelay(void **state)
{
    conn_t c;
    int flags;
    int one = 0;
    socklen_t len = sizeof(one);

    (void)state;
    open_conn(&c);
    flags = fcntl((int)c.client.handle, F_GETFD);
    assert_true(flags >= 0);
    assert_true((flags & FD_CLOEXEC) != 0);
    assert_int_equal(getsockopt((int)c.client.handle, IPPROTO_TCP, TCP_NODELAY, &one, &len), 0);
    assert_true(one != 0);
    close_conn(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_monotonic),
        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_sleep_survives_signals),
        cmocka_unit_test(test_mutex_basic),
        cmocka_unit_test(test_mutex_exclusion),
        cmocka_unit_test(test_mutex_blocks),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_entropy),
        cmocka_unit_test(test_log_sink),
        cmocka_unit_test(test_tcp_exchange),
        cmocka_unit_test(test_tcp_bulk),
        cmocka_unit_test(test_tcp_timeouts),
        cmocka_unit_test(test_tcp_wait_wakes_up),
        cmocka_unit_test(test_tcp_peer_close),
        cmocka_unit_test(test_tcp_peer_reset),
        cmocka_unit_test(test_tcp_connect_errors),
        cmocka_unit_test(test_tcp_invalid_args),
        cmocka_unit_test(test_tcp_cloexec_and_nodelay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
