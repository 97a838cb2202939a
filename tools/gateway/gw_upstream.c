/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: the upstream link, Eclipse Paho MQTTAsync over mutual TLS.
 *
 * Paho runs its own threads. Publishes from the main loop go through a send
 * window: at most GW_SEND_WINDOW (1024) messages are in Paho at once (queued or
 * awaiting their PUBACK); the rest wait, in order, in the gateway's own FIFO
 * and are handed over as Paho completes earlier ones (its onSuccess /
 * onFailure callbacks wake the main loop through the eventfd). Paho 1.3
 * walks its whole command list on every MQTTAsync_sendMessage() (the
 * buffered-message count, the search for a free message id) under the lock
 * its send thread needs, so a backlog inside Paho makes every further send
 * slower and a short stall at a high rate never recovers
 * (bench/gateway/paho_send.c measures it); the window keeps Paho's lists
 * short and a backlog costs O(1) per message in the FIFO. The FIFO and the
 * window together hold at most upstream_buffer messages (the bounded
 * buffer); while the link is down Paho keeps the window's messages
 * (sendWhileDisconnected) and sends them after it reconnects by itself. The session is persistent (cleansession 0), so
 * QoS 1 messages in flight at a loss are sent again. Messages from upstream
 * and "connected again" events go to the main loop through a locked list
 * and an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include <MQTTAsync.h>

#include "gateway.h"

static MQTTAsync g_client;
static int g_efd = -1;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static gw_downlink_t *g_head;
static gw_downlink_t *g_tail;
static bool g_reconnected;
static bool g_connected;
static unsigned long g_sent;
static unsigned long g_dropped;

/* The send window (see the file comment). */
#define GW_SEND_WINDOW 1024
typedef struct pending {
    struct pending *next;
    char *topic;
    size_t len;
    int qos;
    uint8_t payload[];
} pending_t;
static pending_t *g_fifo_head;
static pending_t *g_fifo_tail;
static size_t g_fifo_len;
static size_t g_in_paho;          /* handed to Paho, not completed */
static size_t g_window;           /* min(GW_SEND_WINDOW, upstream_buffer) */
static size_t g_buffer;           /* upstream_buffer */
static size_t g_fifo_max;         /* high-water mark of the FIFO, for the log */
static uint64_t g_last_done_ms;   /* last completion, for the stall guard */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake(void)
{
    uint64_t one = 1;
    ssize_t n = write(g_efd, &one, sizeof(one));
    (void)n;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    gw_downlink_t *d = calloc(1, sizeof(*d));
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);

    (void)ctx;
    if (d != NULL) {
        d->topic = malloc(tl + 1u);
        d->payload = malloc(m->payloadlen > 0 ? (size_t)m->payloadlen : 1u);
        if (d->topic == NULL || d->payload == NULL) {
            gw_downlink_free(d);
            d = NULL;
        }
    }
    if (d != NULL) {
        memcpy(d->topic, topic, tl);
        d->topic[tl] = '\0';
        if (m->payloadlen > 0) {
            memcpy(d->payload, m->payload, (size_t)m->payloadlen);
        }
        d->payload_len = (size_t)(m->payloadlen > 0 ? m->payloadlen : 0);
        d->qos = m->qos;
        pthread_mutex_lock(&g_lock);
        if (g_tail != NULL) {
            g_tail->next = d;
        } else {
            g_head = d;
        }
        g_tail = d;
        pthread_mutex_unlock(&g_lock);
        wake();
    } else {
        gw_log(GW_LOG_ERROR, "upstream: out of memory, message on %s dropped", topic);
    }
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_connection_lost(void *ctx, char *cause)
{
    (void)ctx;
    pthread_mutex_lock(&g_lock);
    g_connected = false;
    pthread_mutex_unlock(&g_lock);
    gw_log(GW_LOG_WARN, "upstream: connection lost (%s); reconnecting, buffering publishes",
           cause != NULL ? cause : "no reason given");
}

static void on_connected(void *ctx, char *cause)
{
    (void)ctx;
    (void)cause;
    pthread_mutex_lock(&g_lock);
    g_connected = true;
    g_reconnected = true;
    pthread_mutex_unlock(&g_lock);
    gw_log(GW_LOG_INFO, "upstream: connected");
    wake();
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
    (void)ctx;
    gw_log(GW_LOG_WARN, "upstream: connect failed (%d %s); retrying",
           resp != NULL ? resp->code : 0, resp != NULL && resp->message != NULL ? resp->message : "");
}

int gw_upstream_start(const gw_config_t *cfg, int *events_fd)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    char uri[320];
    int rc;

    g_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g_efd < 0) {
        return -1;
    }
    (void)snprintf(uri, sizeof(uri), "ssl://%s:%u", cfg->upstream_host, (unsigned)cfg->upstream_port);
    g_buffer = cfg->upstream_buffer > 0 ? (size_t)cfg->upstream_buffer : 1u;
    g_window = g_buffer < GW_SEND_WINDOW ? g_buffer : GW_SEND_WINDOW;
    g_last_done_ms = mono_ms();
    co.sendWhileDisconnected = 1;
    co.maxBufferedMessages = (int)g_window;
    co.deleteOldestMessages = 0;
    rc = MQTTAsync_createWithOptions(&g_client, uri, cfg->upstream_client_id,
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        gw_log(GW_LOG_ERROR, "upstream: cannot create the client (%d)", rc);
        return -1;
    }
    (void)MQTTAsync_setCallbacks(g_client, NULL, on_connection_lost, on_message, NULL);
    (void)MQTTAsync_setConnected(g_client, NULL, on_connected);

    ssl.trustStore = cfg->upstream_ca;
    ssl.keyStore = cfg->upstream_cert[0] != '\0' ? cfg->upstream_cert : NULL;
    ssl.privateKey = cfg->upstream_key[0] != '\0' ? cfg->upstream_key : NULL;
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;
    opts.ssl = &ssl;
    opts.keepAliveInterval = 20;
    opts.maxInflight = (int)g_window;
    opts.cleansession = 0;
    opts.automaticReconnect = 1;
    opts.minRetryInterval = 1;
    opts.maxRetryInterval = 4;
    opts.connectTimeout = 10;
    opts.onFailure = on_connect_failure;
    if (cfg->upstream_username[0] != '\0') {
        opts.username = cfg->upstream_username;
        opts.password = cfg->upstream_password;
    }
    rc = MQTTAsync_connect(g_client, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
        gw_log(GW_LOG_ERROR, "upstream: cannot start connecting (%d)", rc);
        MQTTAsync_destroy(&g_client);
        return -1;
    }
    *events_fd = g_efd;
    return 0;
}

/* Paho's threads: one message left the window. */
static void on_done(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_in_paho > 0u) {
        g_in_paho--;
    }
    g_last_done_ms = mono_ms();
    pthread_mutex_unlock(&g_lock);
    wake();
}

static void on_sent(void *ctx, MQTTAsync_successData *r)
{
    (void)ctx;
    (void)r;
    on_done();
}

static void on_send_failed(void *ctx, MQTTAsync_failureData *r)
{
    (void)ctx;
    (void)r;
    pthread_mutex_lock(&g_lock);
    g_dropped++;
    pthread_mutex_unlock(&g_lock);
    on_done();
}

/* Main loop only. Called with the window slot already counted. */
static int paho_send(const char *topic, const uint8_t *payload, size_t len, int qos)
{
    MQTTAsync_message m = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    m.payload = (void *)(uintptr_t)payload;
    m.payloadlen = (int)len;
    m.qos = qos;
    ro.onSuccess = on_sent;
    ro.onFailure = on_send_failed;
    rc = MQTTAsync_sendMessage(g_client, topic, &m, &ro);
    pthread_mutex_lock(&g_lock);
    if (rc == MQTTASYNC_SUCCESS) {
        g_sent++;
    } else {
        g_dropped++;
        g_in_paho--;
    }
    pthread_mutex_unlock(&g_lock);
    return rc == MQTTASYNC_SUCCESS ? 0 : -1;
}

/* Main loop only: move waiting messages into the window while it has room. */
void gw_upstream_pump(void)
{
    for (;;) {
        pending_t *p = NULL;
        pthread_mutex_lock(&g_lock);
        if (g_fifo_head != NULL && g_in_paho >= g_window && g_connected &&
            mono_ms() - g_last_done_ms > 10000u) {
            /* Stall guard: a connected link and no completion for 10 s.
             * Paho never lost a completion in testing; should it, the
             * window must not stop the gateway for good. */
            gw_log(GW_LOG_WARN, "upstream: no completion for 10 s with %zu messages in Paho; reopening the window",
                   g_in_paho);
            g_in_paho = 0;
            g_last_done_ms = mono_ms();
        }
        if (g_fifo_head != NULL && g_in_paho < g_window) {
            p = g_fifo_head;
            g_fifo_head = p->next;
            if (g_fifo_head == NULL) {
                g_fifo_tail = NULL;
            }
            g_fifo_len--;
            g_in_paho++;
        }
        pthread_mutex_unlock(&g_lock);
        if (p == NULL) {
            return;
        }
        (void)paho_send(p->topic, p->payload, p->len, p->qos);
        free(p->topic);
        free(p);
    }
}

int gw_upstream_publish(const char *topic, const uint8_t *payload, size_t len, int qos)
{
    pending_t *p;
    size_t tl;

    gw_upstream_pump();
    pthread_mutex_lock(&g_lock);
    if (g_fifo_head == NULL && g_in_paho < g_window) {
        g_in_paho++;
        pthread_mutex_unlock(&g_lock);
        return paho_send(topic, payload, len, qos);
    }
    if (g_fifo_len + g_in_paho >= g_buffer) {
        g_dropped++;
        pthread_mutex_unlock(&g_lock);
        return -1;
    }
    pthread_mutex_unlock(&g_lock);
    tl = strlen(topic);
    p = malloc(sizeof(*p) + len);
    if (p == NULL || (p->topic = malloc(tl + 1u)) == NULL) {
        free(p);
        pthread_mutex_lock(&g_lock);
        g_dropped++;
        pthread_mutex_unlock(&g_lock);
        return -1;
    }
    memcpy(p->topic, topic, tl + 1u);
    memcpy(p->payload, payload, len);
    p->len = len;
    p->qos = qos;
    p->next = NULL;
    pthread_mutex_lock(&g_lock);
    if (g_fifo_tail != NULL) {
        g_fifo_tail->next = p;
    } else {
        g_fifo_head = p;
    }
    g_fifo_tail = p;
    g_fifo_len++;
    if (g_fifo_len > g_fifo_max) {
        g_fifo_max = g_fifo_len;
    }
    pthread_mutex_unlock(&g_lock);
    return 0;
}

void gw_upstream_subscribe(const char *filter, int qos)
{
    int rc = MQTTAsync_subscribe(g_client, filter, qos, NULL);

    if (rc != MQTTASYNC_SUCCESS) {
        /* Not connected: the subscription is made when the link comes back. */
        gw_log(GW_LOG_DEBUG, "upstream: subscribe %s deferred (%d)", filter, rc);
    }
}

void gw_upstream_unsubscribe(const char *filter)
{
    (void)MQTTAsync_unsubscribe(g_client, filter, NULL);
}

gw_downlink_t *gw_upstream_take(bool *reconnected)
{
    gw_downlink_t *d;
    uint64_t v;
    ssize_t n = read(g_efd, &v, sizeof(v));

    (void)n;
    pthread_mutex_lock(&g_lock);
    d = g_head;
    g_head = g_tail = NULL;
    *reconnected = g_reconnected;
    g_reconnected = false;
    pthread_mutex_unlock(&g_lock);
    return d;
}

void gw_downlink_free(gw_downlink_t *d)
{
    if (d != NULL) {
        free(d->topic);
        free(d->payload);
        free(d);
    }
}

void gw_upstream_stats(unsigned long *sent, unsigned long *dropped, bool *connected)
{
    pthread_mutex_lock(&g_lock);
    *sent = g_sent;
    *dropped = g_dropped;
    *connected = g_connected;
    pthread_mutex_unlock(&g_lock);
}

void gw_upstream_stop(void)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    gw_downlink_t *l;
    bool r;

    if (g_client == NULL) {
        return;
    }
    /* Hand what still waits in the FIFO to Paho, for up to 3 s. */
    for (int i = 0; i < 300; i++) {
        bool empty;
        gw_upstream_pump();
        pthread_mutex_lock(&g_lock);
        empty = g_fifo_head == NULL;
        pthread_mutex_unlock(&g_lock);
        if (empty) {
            break;
        }
        usleep(10000);
    }
    pthread_mutex_lock(&g_lock);
    if (g_fifo_len > 0u) {
        gw_log(GW_LOG_WARN, "upstream: %zu messages not handed over before the shutdown", g_fifo_len);
    }
    while (g_fifo_head != NULL) {
        pending_t *p = g_fifo_head;
        g_fifo_head = p->next;
        free(p->topic);
        free(p);
    }
    g_fifo_tail = NULL;
    g_fifo_len = 0;
    gw_log(GW_LOG_INFO, "upstream: send window %zu, most messages waiting behind it %zu", g_window, g_fifo_max);
    pthread_mutex_unlock(&g_lock);
    d.timeout = 3000; /* let messages in flight finish */
    (void)MQTTAsync_disconnect(g_client, &d);
    for (int i = 0; i < 35 && MQTTAsync_isConnected(g_client); i++) {
        usleep(100000);
    }
    MQTTAsync_destroy(&g_client);
    l = gw_upstream_take(&r);
    while (l != NULL) {
        gw_downlink_t *next = l->next;
        gw_downlink_free(l);
        l = next;
    }
    close(g_efd);
    g_efd = -1;
}
