/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iot-ota-serve: serve one signed image over an MQTT broker to one or many
 * devices (doc/ota-protocol.md), with a progress bar and a final summary.
 *
 *   iot-ota-serve --host H --port P [--ca CA.crt [--cert C.crt --key C.key]]
 *                 --image FILE --device ID [--device ID ...]
 *                 [--component secure|nonsecure] [--job-id N]
 *                 [--wait downloaded|done] [--timeout S] [--keep-job] [--quiet]
 *
 * Publishes the job (retained) to every device, answers block requests,
 * follows the status reports, and when every device has finished (or the
 * time-out passed) clears the job of each device that is done with it
 * (succeeded, failed or silent; --wait downloaded leaves the job of a device
 * still activating, which an empty job would cancel) and prints one
 * summary line per device:
 *
 *   RESULT device=<id> state=<state> reason=<reason> bytes=<image size>
 *          sent=<bytes sent> seconds=<download time> mbps=<MB/s>
 *
 * If the broker connection drops, the tool connects again (until the
 * time-out), subscribes again and announces the jobs again.
 *
 * Exit status: 0 when every device reached the --wait goal (downloaded:
 * verified and activating or later; done: succeeded), 1 otherwise, 2 on a
 * usage or set-up error. Uses Eclipse Paho MQTT C (synchronous client).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <MQTTClient.h>
#include <mbedtls/sha256.h>

#define MAX_DEVICES 256
#define JOB_FIXED_LEN 57u
#define REQ_LEN 24u
#define BLOCK_HEADER_LEN 8u
#define MCUBOOT_MAGIC 0x96f3b83du

typedef enum { WAIT_DOWNLOADED, WAIT_DONE } wait_goal_t;

typedef struct {
    char id[128];
    char t_job[192];
    char t_block[192];
    char state[24];
    char reason[32];
    char error[48];
    uint32_t written;
    uint64_t sent;
    double t_job_sent;
    double t_first_req;
    double t_downloaded;
    double t_done;
    bool finished;
} device_t;

static device_t g_dev[MAX_DEVICES];
static int g_ndev;
static uint8_t *g_image;
static uint32_t g_size;
static uint32_t g_job_id;
static wait_goal_t g_goal = WAIT_DONE;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static MQTTClient g_client;
static uint8_t *g_msg;
static size_t g_msg_cap;
static volatile int g_lost;
/* One MQTTClient_publish at a time: blocks go out from Paho's receiving
 * thread (in on_message) while the main thread publishes jobs, and two
 * publishes at once on one synchronous client were seen to block each other
 * for good when the socket was full. Held only around the publish call. */
static pthread_mutex_t g_pub_lock = PTHREAD_MUTEX_INITIALIZER;

static int publish(const char *topic, const void *data, size_t len, int qos, int retained,
                   MQTTClient_deliveryToken *tok)
{
    int rc;

    pthread_mutex_lock(&g_pub_lock);
    rc = MQTTClient_publish(g_client, topic, (int)len, (void *)(uintptr_t)data, qos, retained, tok);
    pthread_mutex_unlock(&g_pub_lock);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "iot-ota-serve: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int find_device(const char *topic, int topic_len, const char *leaf)
{
    /* devices/<id>/ota/<leaf> */
    const char *prefix = "devices/";
    size_t plen = strlen(prefix);
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    size_t llen = strlen(leaf);
    size_t idlen;
    int i;

    if (tlen < plen + 5 + llen + 1 || strncmp(topic, prefix, plen) != 0 ||
        strncmp(topic + tlen - llen - 5, "/ota/", 5) != 0 ||
        strncmp(topic + tlen - llen, leaf, llen) != 0) {
        return -1;
    }
    idlen = tlen - plen - 5 - llen;
    for (i = 0; i < g_ndev; i++) {
        if (strlen(g_dev[i].id) == idlen && strncmp(g_dev[i].id, topic + plen, idlen) == 0) {
            return i;
        }
    }
    return -1;
}

/* Copy the string value of "key" from a flat JSON object. */
static void json_str(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    const char *p;
    size_t n = 0;

    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    p = strstr(json, pat);
    if (p == NULL) {
        return;
    }
    p += strlen(pat);
    while (p[n] != '\0' && p[n] != '"' && n + 1 < cap) {
        n++;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

static long json_num(const char *json, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof(pat), "\"%s\":", key);
    p = strstr(json, pat);
    return p == NULL ? -1 : strtol(p + strlen(pat), NULL, 10);
}

static bool goal_reached(const device_t *d)
{
    if (strcmp(d->state, "succeeded") == 0) {
        return true;
    }
    if (g_goal == WAIT_DOWNLOADED) {
        return strcmp(d->state, "activating") == 0 || strcmp(d->state, "rebooting") == 0 ||
               strcmp(d->state, "testing") == 0;
    }
    return false;
}

static void on_status(int i, const char *json)
{
    device_t *d = &g_dev[i];
    long job = json_num(json, "job");
    long written = json_num(json, "written");
    char state[24] = "";

    json_str(json, "state", state, sizeof(state));
    if (job != (long)g_job_id || state[0] == '\0') {
        return; /* the state of another job, e.g. the device's start-up report */
    }
    snprintf(d->state, sizeof(d->state), "%s", state);
    json_str(json, "reason", d->reason, sizeof(d->reason));
    json_str(json, "error", d->error, sizeof(d->error));
    if (written >= 0) {
        d->written = (uint32_t)written;
    }
    if (d->t_downloaded == 0.0 &&
        (strcmp(state, "verifying") == 0 || strcmp(state, "activating") == 0 ||
         strcmp(state, "rebooting") == 0 || strcmp(state, "testing") == 0 ||
         strcmp(state, "succeeded") == 0)) {
        d->t_downloaded = now_s();
    }
    if (!d->finished && (goal_reached(d) || strcmp(state, "failed") == 0)) {
        d->finished = true;
        d->t_done = now_s();
    }
}

/* Answer one request: its range in blocks, in order, QoS 0. Runs on Paho's
 * receiving thread, so that a request is answered without a hand-over to
 * another thread (publish() keeps it from overlapping a job publish). */
static void serve_request(int dev, uint32_t off, uint32_t len, uint32_t blk)
{
    device_t *d = &g_dev[dev];
    uint32_t end;
    size_t need = BLOCK_HEADER_LEN + (blk < g_size ? blk : g_size);

    if (blk == 0 || off >= g_size) {
        return;
    }
    end = off + (len > g_size - off ? g_size - off : len);
    if (need > g_msg_cap) {
        uint8_t *m = realloc(g_msg, need);
        if (m == NULL) {
            return; /* the device asks again */
        }
        g_msg = m;
        g_msg_cap = need;
    }
    while (off < end) {
        uint32_t n = end - off < blk ? end - off : blk;
        put_u32(g_msg, g_job_id);
        put_u32(g_msg + 4, off);
        memcpy(g_msg + BLOCK_HEADER_LEN, g_image + off, n);
        if (publish(d->t_block, g_msg, BLOCK_HEADER_LEN + n, 0, 0, NULL) != MQTTCLIENT_SUCCESS) {
            return; /* the device asks again after its time-out */
        }
        pthread_mutex_lock(&g_lock);
        d->sent += n;
        pthread_mutex_unlock(&g_lock);
        off += n;
    }
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTClient_message *m)
{
    const uint8_t *p = m->payload;
    int i;

    (void)ctx;
    if ((i = find_device(topic, topic_len, "req")) >= 0 && m->payloadlen == (int)REQ_LEN &&
        memcmp(p, "OTAR", 4) == 0 && p[4] == 1 && get_u32(p + 8) == g_job_id) {
        pthread_mutex_lock(&g_lock);
        if (g_dev[i].t_first_req == 0.0) {
            g_dev[i].t_first_req = now_s();
        }
        pthread_mutex_unlock(&g_lock);
        serve_request(i, get_u32(p + 12), get_u32(p + 16), get_u32(p + 20));
    } else if ((i = find_device(topic, topic_len, "status")) >= 0) {
        char json[512];
        size_t n = (size_t)m->payloadlen < sizeof(json) - 1 ? (size_t)m->payloadlen : sizeof(json) - 1;
        memcpy(json, p, n);
        json[n] = '\0';
        pthread_mutex_lock(&g_lock);
        on_status(i, json);
        pthread_cond_broadcast(&g_cond);
        pthread_mutex_unlock(&g_lock);
    }
    MQTTClient_freeMessage(&m);
    MQTTClient_free(topic);
    return 1;
}

static void on_lost(void *ctx, char *cause)
{
    (void)ctx;
    (void)cause;
    g_lost = 1;
    pthread_mutex_lock(&g_lock);
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
}

/* Paho does not turn Nagle's algorithm off and does not expose its socket.
 * Each block is one write smaller than the loopback MSS, so with Nagle on
 * every block after the first of a request waits for the broker's delayed
 * ACK (40 ms on Linux). The tool's only TCP socket is Paho's: set
 * TCP_NODELAY on it after connecting. */
static void set_nodelay_on_tcp_sockets(void)
{
    int fd;

    for (fd = 3; fd < 1024; fd++) {
        int type = 0;
        int one = 1;
        socklen_t len = sizeof(type);
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
            getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 ||
            (sa.ss_family != AF_INET && sa.ss_family != AF_INET6)) {
            continue;
        }
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

static void load_image(const char *path)
{
    FILE *f = fopen(path, "rb");
    long n = 0;

    if (f == NULL) {
        die("%s: %s", path, strerror(errno));
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > 0x7fffffffL ||
        fseek(f, 0, SEEK_SET) != 0) {
        die("%s: empty or unreadable", path);
    }
    g_size = (uint32_t)n;
    g_image = malloc(g_size);
    if (g_image == NULL || fread(g_image, 1, g_size, f) != g_size) {
        die("%s: read failed", path);
    }
    fclose(f);
    if (g_size < 32 || get_u32(g_image) != MCUBOOT_MAGIC) {
        die("%s: not an MCUboot image (no magic 0x96f3b83d)", path);
    }
}

static void publish_or_die(MQTTClient c, const char *topic, const void *data, size_t len, int qos,
                           int retained)
{
    MQTTClient_deliveryToken tok;
    int rc = publish(topic, data, len, qos, retained, &tok);
    if (rc != MQTTCLIENT_SUCCESS) {
        die("publish to %s failed (%d)", topic, rc);
    }
    if (qos > 0) {
        MQTTClient_waitForCompletion(c, tok, 10000);
    }
}

static void draw_progress(bool final)
{
    int i;
    int done = 0;
    uint64_t written = 0;

    for (i = 0; i < g_ndev; i++) {
        uint32_t w = g_dev[i].written;
        if (strcmp(g_dev[i].state, "downloading") != 0 && g_dev[i].t_downloaded > 0.0) {
            w = g_size;
        }
        written += w;
        done += g_dev[i].finished ? 1 : 0;
    }
    {
        double frac = (double)written / ((double)g_size * (double)g_ndev);
        int width = 40;
        int fill = (int)(frac * width + 0.5);
        char bar[64];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %5.1f%%  %d/%d devices finished", bar, frac * 100.0, done, g_ndev);
        if (g_ndev == 1) {
            fprintf(stderr, "  (%s)      ", g_dev[0].state[0] ? g_dev[0].state : "waiting");
        }
        if (final) {
            fprintf(stderr, "\n");
        }
        fflush(stderr);
    }
}

static const uint8_t *g_job;
static size_t g_job_len;

static bool subscribe_all(void)
{
    int i;

    for (i = 0; i < g_ndev; i++) {
        char t[192];
        snprintf(t, sizeof(t), "devices/%.127s/ota/req", g_dev[i].id);
        if (MQTTClient_subscribe(g_client, t, 0) != MQTTCLIENT_SUCCESS) {
            return false;
        }
        snprintf(t, sizeof(t), "devices/%.127s/ota/status", g_dev[i].id);
        if (MQTTClient_subscribe(g_client, t, 1) != MQTTCLIENT_SUCCESS) {
            return false;
        }
    }
    return true;
}

/* One attempt to connect again after the broker was lost; true when the
 * subscriptions and the jobs of unfinished devices are back in place. */
static bool reconnect(MQTTClient_connectOptions *co, bool verbose)
{
    int i;

    if (MQTTClient_connect(g_client, co) != MQTTCLIENT_SUCCESS) {
        return false;
    }
    set_nodelay_on_tcp_sockets();
    if (!subscribe_all()) {
        return false;
    }
    for (i = 0; i < g_ndev; i++) {
        MQTTClient_deliveryToken tok;
        if (g_dev[i].finished) {
            continue;
        }
        if (publish(g_dev[i].t_job, g_job, g_job_len, 1, 1, &tok) != MQTTCLIENT_SUCCESS) {
            return false;
        }
        MQTTClient_waitForCompletion(g_client, tok, 10000);
    }
    if (verbose) {
        fprintf(stderr, "\nreconnected to the broker\n");
    }
    return true;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: iot-ota-serve --host H --port P [--ca CA.crt [--cert C.crt --key C.key]]\n"
            "                     --image FILE --device ID [--device ID ...]\n"
            "                     [--component secure|nonsecure] [--job-id N]\n"
            "                     [--wait downloaded|done] [--timeout S] [--keep-job] [--quiet]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    const char *ca = NULL;
    const char *cert = NULL;
    const char *key = NULL;
    const char *image = NULL;
    int component = 1;
    double timeout_s = 300.0;
    bool keep_job = false;
    bool quiet = false;
    bool tty = isatty(STDERR_FILENO) != 0;
    char uri[300];
    char client_id[64];
    uint8_t job[JOB_FIXED_LEN + 64];
    size_t job_len;
    const char *base;
        MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_SSLOptions so = MQTTClient_SSLOptions_initializer;
    double t_start;
    double last_draw = 0.0;
    int i;
    int ok = 0;
    int rc;

    g_job_id = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "--keep-job") == 0) {
            keep_job = true;
            continue;
        }
        if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(a, "--host") == 0) {
            host = v;
        } else if (strcmp(a, "--port") == 0) {
            port = v;
        } else if (strcmp(a, "--ca") == 0) {
            ca = v;
        } else if (strcmp(a, "--cert") == 0) {
            cert = v;
        } else if (strcmp(a, "--key") == 0) {
            key = v;
        } else if (strcmp(a, "--image") == 0) {
            image = v;
        } else if (strcmp(a, "--device") == 0) {
            if (g_ndev == MAX_DEVICES || strlen(v) >= sizeof(g_dev[0].id) || strpbrk(v, "/+#") || !*v) {
                die("bad or too many device ids: %s", v);
            }
            snprintf(g_dev[g_ndev].id, sizeof(g_dev[0].id), "%s", v);
            g_ndev++;
        } else if (strcmp(a, "--component") == 0) {
            component = strcmp(v, "secure") == 0 ? 0 : strcmp(v, "nonsecure") == 0 ? 1 : -1;
            if (component < 0) {
                usage();
            }
        } else if (strcmp(a, "--job-id") == 0) {
            g_job_id = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(a, "--wait") == 0) {
            if (strcmp(v, "downloaded") == 0) {
                g_goal = WAIT_DOWNLOADED;
            } else if (strcmp(v, "done") == 0) {
                g_goal = WAIT_DONE;
            } else {
                usage();
            }
        } else if (strcmp(a, "--timeout") == 0) {
            timeout_s = atof(v);
        } else {
            usage();
        }
    }
    if (port == NULL || image == NULL || g_ndev == 0 || g_job_id == 0) {
        usage();
    }
    load_image(image);

    /* The job record: doc/ota-protocol.md, "Job notification". */
    base = strrchr(image, '/') ? strrchr(image, '/') + 1 : image;
    memset(job, 0, sizeof(job));
    memcpy(job, "OTAJ", 4);
    job[4] = 1;
    job[5] = (uint8_t)component;
    put_u32(job + 8, g_job_id);
    put_u32(job + 12, g_size);
    memcpy(job + 16, g_image + 20, 8); /* MCUboot ih_ver: major, minor, revision, build */
    if (mbedtls_sha256_ret(g_image, g_size, job + 24, 0) != 0) {
        die("SHA-256 failed");
    }
    job[56] = (uint8_t)(strlen(base) > 64 ? 64 : strlen(base));
    memcpy(job + 57, base, job[56]);
    job_len = JOB_FIXED_LEN + job[56];

    snprintf(uri, sizeof(uri), "%s://%s:%s", ca ? "ssl" : "tcp", host, port);
    snprintf(client_id, sizeof(client_id), "ota-serve-%ld", (long)getpid());
    if (MQTTClient_create(&g_client, uri, client_id, MQTTCLIENT_PERSISTENCE_NONE, NULL) !=
        MQTTCLIENT_SUCCESS) {
        die("cannot create a client for %s", uri);
    }
    MQTTClient_setCallbacks(g_client, NULL, on_lost, on_message, NULL);
    co.keepAliveInterval = 30;
    co.cleansession = 1;
    if (ca != NULL) {
        so.trustStore = ca;
        so.keyStore = cert;
        so.privateKey = key;
        so.enableServerCertAuth = 1;
        co.ssl = &so;
    }
    if ((rc = MQTTClient_connect(g_client, &co)) != MQTTCLIENT_SUCCESS) {
        die("cannot connect to %s (%d)", uri, rc);
    }
    set_nodelay_on_tcp_sockets();
    for (i = 0; i < g_ndev; i++) {
        /* A copy of the id: the topics and the id live in one array element, and
           some compilers cannot tell that the fields do not overlap. */
        char id[sizeof(g_dev[0].id)];
        memcpy(id, g_dev[i].id, sizeof(id));
        snprintf(g_dev[i].t_job, sizeof(g_dev[i].t_job), "devices/%s/ota/job", id);
        snprintf(g_dev[i].t_block, sizeof(g_dev[i].t_block), "devices/%s/ota/block", id);
    }
    if (!subscribe_all()) {
        die("subscribing failed");
    }
    if (!quiet) {
        fprintf(stderr, "serving %s (%lu bytes, version %u.%u.%u+%lu) as job %lu to %d device(s)\n",
                base, (unsigned long)g_size, job[16], job[17], (unsigned)(job[18] | (job[19] << 8)),
                (unsigned long)get_u32(job + 20), (unsigned long)g_job_id, g_ndev);
    }
    t_start = now_s();
    g_job = job;
    g_job_len = job_len;
    for (i = 0; i < g_ndev; i++) {
        g_dev[i].t_job_sent = now_s();
        publish_or_die(g_client, g_dev[i].t_job, job, job_len, 1, 1);
    }

    pthread_mutex_lock(&g_lock);
    for (;;) {
        int finished = 0;
        for (i = 0; i < g_ndev; i++) {
            finished += g_dev[i].finished ? 1 : 0;
        }
        if (finished == g_ndev || now_s() - t_start > timeout_s) {
            break;
        }
        if (g_lost) {
            /* The broker went away: connect again, subscribe again and announce
             * the jobs again (same id: devices take it as a nudge to ask). */
            pthread_mutex_unlock(&g_lock);
            if (reconnect(&co, !quiet)) {
                g_lost = 0;
            } else {
                struct timespec pause = { 0, 200 * 1000 * 1000 };
                nanosleep(&pause, NULL);
            }
            pthread_mutex_lock(&g_lock);
            continue;
        }
        if (!quiet && tty && now_s() - last_draw > 0.2) {
            last_draw = now_s();
            draw_progress(false);
        }
        {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&g_cond, &g_lock, &ts);
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (!quiet) {
        draw_progress(true);
    }

    if (!keep_job) {
        /* Clear the job of every device that is done with it (or that gave no
         * answer in time); an empty job would cancel an activation still under way. */
        for (i = 0; i < g_ndev; i++) {
            bool final = strcmp(g_dev[i].state, "succeeded") == 0 || strcmp(g_dev[i].state, "failed") == 0;
            if (final || !g_dev[i].finished) {
                MQTTClient_deliveryToken tok;
                if (publish(g_dev[i].t_job, "", 0, 1, 1, &tok) == MQTTCLIENT_SUCCESS) {
                    MQTTClient_waitForCompletion(g_client, tok, 10000);
                } else {
                    fprintf(stderr, "iot-ota-serve: could not clear the job of %s\n", g_dev[i].id);
                }
            }
        }
    }
    for (i = 0; i < g_ndev; i++) {
        device_t *d = &g_dev[i];
        double secs = d->t_downloaded > 0.0 ? d->t_downloaded - d->t_job_sent : 0.0;
        bool reached = d->finished && goal_reached(d);
        ok += reached ? 1 : 0;
        printf("RESULT device=%s state=%s reason=%s error=%s bytes=%lu sent=%llu seconds=%.3f "
               "mbps=%.2f first_request=%.3f total_seconds=%.3f\n",
               d->id, d->state[0] ? d->state : (d->finished ? "?" : "timeout"),
               d->reason[0] ? d->reason : "NONE", d->error[0] ? d->error : "-",
               (unsigned long)g_size, (unsigned long long)d->sent, secs,
               secs > 0.0 ? (double)g_size / 1e6 / secs : 0.0,
               d->t_first_req > 0.0 ? d->t_first_req - d->t_job_sent : 0.0,
               d->finished ? d->t_done - d->t_job_sent : now_s() - d->t_job_sent);
    }
    if (!quiet) {
        fprintf(stderr, "summary: %d of %d device(s) %s; %s\n", ok, g_ndev,
                g_goal == WAIT_DONE ? "updated" : "downloaded and verified",
                ok == g_ndev ? "ok" : (g_lost ? "FAILED (broker connection lost)" : "FAILED"));
    }
    MQTTClient_disconnect(g_client, 1000);
    MQTTClient_destroy(&g_client);
    free(g_image);
    free(g_msg);
    return ok == g_ndev ? 0 : 1;
}
