/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the MQTT client's whole read path (mqtt_client.c: framing of
 * a TCP byte stream into packets, the receive buffer, dispatch, the session's
 * acknowledgements) against a broker that answers CONNECT with CONNACK and
 * then sends the input, in chunks whose sizes the input's first byte picks,
 * over plain TCP on 127.0.0.1. The client must end with a documented status
 * and release everything; libFuzzer's sanitizers watch the rest. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/log.h>
#include <corstone_iot/mqtt.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int g_listen = -1;
static uint16_t g_port;

typedef struct {
    const uint8_t *data;
    size_t size;
} server_arg_t;

/* The client logs every refused packet; the fuzzer's output is what matters. */
static void quiet(iot_log_level_t level, const char *module, const char *line, size_t len,
                  void *user)
{
    (void)level;
    (void)module;
    (void)line;
    (void)len;
    (void)user;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The broker thread writes to a client that may have hung up already. */
    FUZZ_CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    iot_log_set_sink(quiet, NULL);
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_listen = socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(g_listen >= 0);
    FUZZ_CHECK(bind(g_listen, (struct sockaddr *)&a, sizeof(a)) == 0);
    FUZZ_CHECK(listen(g_listen, 4) == 0);
    FUZZ_CHECK(getsockname(g_listen, (struct sockaddr *)&a, &len) == 0);
    g_port = ntohs(a.sin_port);
    return 0;
}

/* Reads the client's CONNECT (fixed header, then its remaining length). */
static int read_connect(int fd)
{
    uint8_t b[512];
    size_t have = 0;
    while (have < sizeof(b)) {
        ssize_t n = read(fd, b + have, sizeof(b) - have);
        if (n <= 0) {
            return -1;
        }
        have += (size_t)n;
        size_t rem = 0;
        unsigned shift = 0;
        for (size_t i = 1; i < have && i < 5u; i++) {
            rem |= (size_t)(b[i] & 0x7Fu) << shift;
            shift += 7u;
            if ((b[i] & 0x80u) == 0u) {
                if (have >= i + 1u + rem) {
                    return 0;
                }
                break;
            }
        }
    }
    return -1;
}

static void *serve(void *p)
{
    const server_arg_t *arg = p;
    static const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };
    int fd = accept(g_listen, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    if (read_connect(fd) == 0 && write(fd, connack, sizeof(connack)) == (ssize_t)sizeof(connack) &&
        arg->size > 0u) {
        size_t chunk = (size_t)arg->data[0] % 64u + 1u;
        for (size_t off = 1; off < arg->size; off += chunk) {
            size_t n = (arg->size - off < chunk) ? arg->size - off : chunk;
            if (write(fd, arg->data + off, n) != (ssize_t)n) {
                break;
            }
        }
    }
    shutdown(fd, SHUT_WR);
    uint8_t sink[256];
    while (read(fd, sink, sizeof(sink)) > 0) {
    }
    close(fd);
    return NULL;
}

static void on_message(iot_client_t *client, const iot_message_t *msg, void *user)
{
    (void)client;
    (void)user;
    FUZZ_CHECK(msg->topic != NULL && msg->topic_len > 0u);
    FUZZ_CHECK(msg->qos <= IOT_QOS2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    server_arg_t arg = { data, size };
    pthread_t server;
    FUZZ_CHECK(pthread_create(&server, NULL, serve, &arg) == 0);

    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    tls.mode = IOT_TLS_NONE;
    iot_connect_options_t opts = IOT_CONNECT_OPTIONS_INIT;
    opts.host = "127.0.0.1";
    opts.port = g_port;
    opts.client_id = "fuzz";
    opts.tls = &tls;
    opts.keep_alive_s = 0;
    opts.auto_reconnect = false;
    opts.connect_timeout_ms = 5000u;
    opts.command_timeout_ms = 200u;
    opts.on_message = on_message;

    iot_client_t *client = NULL;
    iot_status_t st = iot_connect(&opts, &client);
    FUZZ_CHECK(st == IOT_OK);
    for (int i = 0; i < 50 && st == IOT_OK; i++) {
        st = iot_process(client, 20u);
    }
    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_NOT_CONNECTED);
    FUZZ_CHECK(iot_disconnect(client) == IOT_OK);
    FUZZ_CHECK(pthread_join(server, NULL) == 0);
    return 0;
}
