/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the three publish benchmarks (pub_sdk.c, pub_paho.c,
 * pub_mosquitto.c): command line, clock, payload and the result line.
 *
 * Every program publishes --count messages of --size bytes at --qos 0 or 1 to
 * one topic over TLS 1.2 to 127.0.0.1:--port, with the CA, client certificate
 * and key from --pki (default $IOT_TEST_PKI). It subscribes to nothing.
 *
 * The clock starts just before the first publish (after the TCP connect, the
 * TLS handshake and CONNACK) and stops when:
 *   QoS 1: the last of the --count messages is acknowledged (PUBACK);
 *   QoS 0: one extra QoS 1 "marker" message, published after the --count QoS 0
 *          messages on the same connection, is acknowledged. The broker handles
 *          a connection's packets in order, so its PUBACK proves that every
 *          QoS 0 message before it was received and processed. The marker is
 *          not counted in msgs= or rate=; it costs one round trip, the same
 *          for all three clients.
 *
 * Output (stdout), only when every message succeeded:
 *   <client> qos=Q msgs=N bytes=S seconds=T rate=R
 *   <client> cpu qos=Q user_s=U sys_s=S
 * where the second line is the process's CPU time (all threads, user and
 * system) during the same measured interval.
 * Any failure (a publish refused, a connection lost, a missing or failed
 * acknowledgement, a timeout) prints a diagnostic on stderr and exits 1
 * without a result line; a usage or connect error exits 2.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BENCH_EXIT_FAIL 1
#define BENCH_EXIT_USAGE 2
#define BENCH_PATH_MAX 1024

struct bench_opts {
    const char *host;
    long port;
    int qos;
    long count;
    long size;
    const char *topic;
    char ca[BENCH_PATH_MAX];
    char cert[BENCH_PATH_MAX];
    char key[BENCH_PATH_MAX];
    long inflight;       /* client's in-flight window (peers; the SDK's is compile-time) */
    long window;         /* Paho: most messages handed over and not yet completed (0: no limit) */
    int threaded;        /* libmosquitto: 1 = mosquitto_loop_start, 0 = manual loop */
    int nodelay;         /* libmosquitto: TCP_NODELAY (Nagle off) */
    long timeout_ms;     /* whole publish phase */
    int quiet;
};

static void bench_usage(const char *prog, const char *extra)
{
    fprintf(stderr,
            "usage: %s --port P [--host H] [--qos 0|1] [--count N] [--size BYTES]\n"
            "       [--topic T] [--pki DIR] [--timeout-ms MS]%s\n"
            "  --pki DIR: ca.crt, client.crt, client.key (default $IOT_TEST_PKI)\n",
            prog, extra ? extra : "");
}

__attribute__((format(printf, 2, 3))) static void bench_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

static long bench_long(const char *prog, const char *name, const char *text, long min, long max)
{
    char *end = NULL;
    long v;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        bench_die(BENCH_EXIT_USAGE, "%s: %s: '%s' is not a number in [%ld, %ld]", prog, name,
                  text, min, max);
    }
    return v;
}

/* Parses the common options; returns 1 for an option the caller must handle
 * itself (argv[*i] is its name, argv[*i + 1] its value). */
static int bench_parse_common(struct bench_opts *o, const char *prog, int argc, char **argv, int *i,
                              const char *extra_usage)
{
    const char *a = argv[*i];
    const char *v = (*i + 1 < argc) ? argv[*i + 1] : NULL;

    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        bench_usage(prog, extra_usage);
        exit(0);
    }
    if (v == NULL) {
        bench_usage(prog, extra_usage);
        bench_die(BENCH_EXIT_USAGE, "%s: %s needs a value", prog, a);
    }
    if (strcmp(a, "--host") == 0) {
        o->host = v;
    } else if (strcmp(a, "--port") == 0) {
        o->port = bench_long(prog, a, v, 1, 65535);
    } else if (strcmp(a, "--qos") == 0) {
        o->qos = (int)bench_long(prog, a, v, 0, 1);
    } else if (strcmp(a, "--count") == 0) {
        o->count = bench_long(prog, a, v, 1, 100000000);
    } else if (strcmp(a, "--size") == 0) {
        o->size = bench_long(prog, a, v, 0, 1000000);
    } else if (strcmp(a, "--topic") == 0) {
        o->topic = v;
    } else if (strcmp(a, "--timeout-ms") == 0) {
        o->timeout_ms = bench_long(prog, a, v, 1, 3600000);
    } else if (strcmp(a, "--pki") == 0) {
        snprintf(o->ca, sizeof o->ca, "%s/ca.crt", v);
        snprintf(o->cert, sizeof o->cert, "%s/client.crt", v);
        snprintf(o->key, sizeof o->key, "%s/client.key", v);
    } else {
        return 1;
    }
    (*i)++;
    return 0;
}

static void bench_defaults(struct bench_opts *o, const char *topic)
{
    const char *pki = getenv("IOT_TEST_PKI");

    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->qos = 1;
    o->count = 10000;
    o->size = 256;
    o->topic = topic;
    o->inflight = 32;
    o->timeout_ms = 120000;
    o->nodelay = 1;
    if (pki != NULL && pki[0] != '\0') {
        snprintf(o->ca, sizeof o->ca, "%s/ca.crt", pki);
        snprintf(o->cert, sizeof o->cert, "%s/client.crt", pki);
        snprintf(o->key, sizeof o->key, "%s/client.key", pki);
    }
}

static void bench_check(const struct bench_opts *o, const char *prog, const char *extra_usage)
{
    if (o->port == 0 || o->ca[0] == '\0') {
        bench_usage(prog, extra_usage);
        bench_die(BENCH_EXIT_USAGE, "%s: --port and --pki (or IOT_TEST_PKI) are required", prog);
    }
    if (access(o->ca, R_OK) != 0 || access(o->cert, R_OK) != 0 || access(o->key, R_OK) != 0) {
        bench_die(BENCH_EXIT_USAGE, "%s: cannot read %s, %s or %s", prog, o->ca, o->cert, o->key);
    }
}

struct bench_cpu {
    double user;
    double sys;
};

/* CPU time of the whole process (every thread) so far. */
static struct bench_cpu bench_cpu_now(void)
{
    struct rusage ru;
    struct bench_cpu c = { 0.0, 0.0 };
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        c.user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
        c.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    }
    return c;
}

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The payload: byte k is k % 251 (the pattern the integration tests use). */
static unsigned char *bench_payload(long size)
{
    unsigned char *p = malloc(size > 0 ? (size_t)size : 1u);
    long k;
    if (p == NULL) {
        bench_die(BENCH_EXIT_FAIL, "out of memory");
    }
    for (k = 0; k < size; k++) {
        p[k] = (unsigned char)(k % 251);
    }
    return p;
}

/* A client id unique to this process. */
static void bench_client_id(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "bench-%s-%ld", name, (long)getpid());
}

static void bench_report(const char *name, const struct bench_opts *o, double seconds,
                         struct bench_cpu c0, struct bench_cpu c1)
{
    printf("%s qos=%d msgs=%ld bytes=%ld seconds=%.6f rate=%.1f\n", name, o->qos, o->count,
           o->size, seconds, seconds > 0.0 ? (double)o->count / seconds : 0.0);
    printf("%s cpu qos=%d user_s=%.6f sys_s=%.6f\n", name, o->qos, c1.user - c0.user,
           c1.sys - c0.sys);
    fflush(stdout);
}

#endif /* BENCH_COMMON_H */
