/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: the upstream link, Eclipse Paho MQTTAsync over mutual TLS.
 *
 * Paho runs its own threads. Publishes from the main loop are handed to it
 * directly (MQTTAsync is thread-safe); while the link is down Paho keeps up
 * to upstream_buffer messages (sendWhileDisconnected) and sends them after
 * it reconnects by itself. The session is persistent (cleansession 0), so
 * QoS 1 messages in flight at a loss are sent again. Messages from upstream
 * and "connected again" events go to the main loop through a locked list
 * and an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    co.sendWhileDisconnected = 1;
    co.maxBufferedMessages = cfg->upstream_buffer;
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

int gw_upstream_publish(const char *topic, const uint8_t *payload, size_t len, int qos)
{
    MQTTAsync_message m = MQTTAsync_message_initializer;
    int rc;

    m.payload = (void *)(uintptr_t)payload;
    m.payloadlen = (int)len;
    m.qos = qos;
    rc = MQTTAsync_sendMessage(g_client, topic, &m, NULL);
    pthread_mutex_lock(&g_lock);
    if (rc == MQTTASYNC_SUCCESS) {
        g_sent++;
    } else {
        g_dropped++;
    }
    pthread_mutex_unlock(&g_lock);
    return rc == MQTTASYNC_SUCCESS ? 0 : -1;
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
