/* SPDX-License-Identifier: Apache-2.0 */
/* A misbehaving (or honest) device for the gateway test, speaking TLS-PSK
 * and MQTT by hand so that it can do what the SDK never does: answer with a
 * token for another challenge, publish outside its namespace, send garbage,
 * or vanish in the middle of a packet.
 *
 *   gw_peer MODE PORT IDENTITY PSK_HEX STORE_DIR ATTEST_KEY_HEX
 *
 * MODE: ok, stale, outside, lifecycle, vanish, garbage-tls, garbage-tcp,
 * garbage-after-handshake, truncated-token, no-token (never answers the
 * challenge). Exit 0 when the gateway did what it must (ok:
 * accepted and acknowledged a publish; every other mode: closed the
 * connection within 10 s), 1 otherwise, 2 on a local error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "mqtt_codec.h"

static mbedtls_ssl_context g_ssl;
static mbedtls_net_context g_net;
static mbedtls_ssl_config g_conf;
static mbedtls_entropy_context g_ent;
static mbedtls_ctr_drbg_context g_drbg;
static uint8_t g_rx[8192];
static size_t g_rx_len;

/* Every exit path releases everything (the test runs under LeakSanitizer too). */
static void release(void)
{
    mbedtls_net_free(&g_net);
    mbedtls_ssl_free(&g_ssl);
    mbedtls_ssl_config_free(&g_conf);
    mbedtls_ctr_drbg_free(&g_drbg);
    mbedtls_entropy_free(&g_ent);
    iot_keystore_deinit();
}

static int hex(const char *h, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(h) / 2u;
    size_t i;
    if (n > cap || strlen(h) % 2u) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    *len = n;
    return 0;
}

static int send_all(const uint8_t *b, size_t n)
{
    while (n > 0) {
        int r = mbedtls_ssl_write(&g_ssl, b, n);
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Read one MQTT packet into *pkt (spans into g_rx). 0 ok, 1 closed, -1 timeout/error. */
static int read_packet(mqtt_packet_t *pkt, size_t *consumed)
{
    for (;;) {
        uint8_t first;
        size_t rem = 0;
        size_t hl = 0;
        int r;
        if (g_rx_len > 0 &&
            mqtt_decode_fixed_header(g_rx, g_rx_len, &first, &rem, &hl) == IOT_OK &&
            g_rx_len >= hl + rem) {
            *consumed = hl + rem;
            return mqtt_decode_packet(g_rx, hl + rem, pkt) == IOT_OK ? 0 : -1;
        }
        r = mbedtls_ssl_read(&g_ssl, g_rx + g_rx_len, sizeof(g_rx) - g_rx_len);
        if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
            return -1;
        }
        if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == MBEDTLS_ERR_NET_CONN_RESET ||
            r == MBEDTLS_ERR_SSL_CONN_EOF) {
            return 1;
        }
        if (r < 0) {
            return 1; /* any TLS failure ends the connection too */
        }
        g_rx_len += (size_t)r;
    }
}

static void consume(size_t n)
{
    memmove(g_rx, g_rx + n, g_rx_len - n);
    g_rx_len -= n;
}

/* Wait up to the read timeout (15 s) for the gateway to close. */
static int expect_closed(void)
{
    for (;;) {
        mqtt_packet_t p;
        size_t n = 0;
        int r = read_packet(&p, &n);
        if (r == 1) {
            printf("gw_peer: closed by the gateway, as expected\n");
            return 0;
        }
        if (r < 0) {
            fprintf(stderr, "gw_peer: the gateway did not close the connection\n");
            return 1;
        }
        consume(n);
    }
}

static int tcp_connect(int port)
{
    char p[16];
    (void)snprintf(p, sizeof(p), "%d", port);
    return mbedtls_net_connect(&g_net, "127.0.0.1", p, MBEDTLS_NET_PROTO_TCP) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const char pers[] = "gw_peer";
    uint8_t psk[64];
    uint8_t akey[64];
    size_t psk_len = 0;
    size_t akey_len = 0;
    const char *mode;
    const char *identity;
    int port;
    uint8_t buf[2048];
    size_t n = 0;
    mqtt_connect_t c;
    mqtt_packet_t p;
    uint8_t challenge[64];
    size_t challenge_len = 0;
    uint8_t token[1024];
    size_t token_len = 0;
    iot_key_id_t id;
    iot_key_options_t ko = IOT_KEY_OPTIONS_INIT;

    if (argc != 7 || hex(argv[4], psk, sizeof(psk), &psk_len) != 0 ||
        hex(argv[6], akey, sizeof(akey), &akey_len) != 0) {
        fprintf(stderr, "usage: gw_peer MODE PORT IDENTITY PSK_HEX STORE_DIR ATTEST_KEY_HEX\n");
        return 2;
    }
    mbedtls_net_init(&g_net);
    mbedtls_ssl_init(&g_ssl);
    mbedtls_ssl_config_init(&g_conf);
    mbedtls_entropy_init(&g_ent);
    mbedtls_ctr_drbg_init(&g_drbg);
    atexit(release);
    mode = argv[1];
    {
        static const char *const modes[] = { "ok", "stale", "outside", "lifecycle", "vanish",
                                             "garbage-tls", "garbage-tcp", "garbage-after-handshake",
                                             "truncated-token", "no-token" };
        size_t m;
        for (m = 0; m < sizeof(modes) / sizeof(modes[0]) && strcmp(mode, modes[m]) != 0; m++) {
        }
        if (m == sizeof(modes) / sizeof(modes[0])) {
            fprintf(stderr, "gw_peer: unknown mode %s\n", mode);
            return 2;
        }
    }
    port = atoi(argv[2]);
    identity = argv[3];
    if (iot_posix_store_set_dir(argv[5]) != IOT_OK || iot_keystore_init() != IOT_OK) {
        return 2;
    }
    ko.label = IOT_ATTEST_KEY_LABEL;
    if (iot_keystore_find(IOT_OBJ_SECRET_KEY, IOT_ATTEST_KEY_LABEL, &id) != IOT_OK &&
        iot_key_import_psk(akey, akey_len, &ko, &id) != IOT_OK) {
        return 2;
    }
    if (tcp_connect(port) != 0) {
        fprintf(stderr, "gw_peer: cannot connect to 127.0.0.1:%d\n", port);
        return 2;
    }
    if (strcmp(mode, "garbage-tcp") == 0) {
        /* Not TLS at all: an HTTP request and binary noise. */
        static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\xfe\x16\x03\x01\x00\x05";
        (void)mbedtls_net_send(&g_net, (const unsigned char *)junk, sizeof(junk));
        {
            unsigned char b[256];
            int r;
            (void)mbedtls_net_set_block(&g_net);
            r = mbedtls_net_recv_timeout(&g_net, b, sizeof(b), 10000);
            while (r > 0) {
                r = mbedtls_net_recv_timeout(&g_net, b, sizeof(b), 10000);
            }
            if (r == 0 || r == MBEDTLS_ERR_NET_CONN_RESET) {
                printf("gw_peer: closed by the gateway, as expected\n");
                return 0;
            }
            fprintf(stderr, "gw_peer: the gateway did not close the connection (%d)\n", r);
            return 1;
        }
    }

    if (mbedtls_ctr_drbg_seed(&g_drbg, mbedtls_entropy_func, &g_ent, (const unsigned char *)pers,
                              sizeof(pers) - 1u) != 0 ||
        mbedtls_ssl_config_defaults(&g_conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0 ||
        mbedtls_ssl_conf_psk(&g_conf, psk, psk_len, (const unsigned char *)identity, strlen(identity)) != 0) {
        return 2;
    }
    mbedtls_ssl_conf_rng(&g_conf, mbedtls_ctr_drbg_random, &g_drbg);
    /* Longer than the gateway's attest_timeout_ms in the test (10 s). */
    mbedtls_ssl_conf_read_timeout(&g_conf, 15000);
    if (mbedtls_ssl_setup(&g_ssl, &g_conf) != 0) {
        return 2;
    }
    mbedtls_ssl_set_bio(&g_ssl, &g_net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    if (mbedtls_ssl_handshake(&g_ssl) != 0) {
        fprintf(stderr, "gw_peer: TLS handshake failed\n");
        return 1;
    }
    if (strcmp(mode, "garbage-after-handshake") == 0) {
        /* Bytes that are not a TLS record, straight on the socket. */
        static const unsigned char junk[64] = { 0x99, 0x98, 0x97, 0x96, 0x95 };
        (void)mbedtls_net_send(&g_net, junk, sizeof(junk));
        return expect_closed();
    }

    memset(&c, 0, sizeof(c));
    c.client_id.data = (const uint8_t *)identity;
    c.client_id.len = strlen(identity);
    c.clean_session = true;
    c.keep_alive_s = 60;
    if (mqtt_encode_connect(&c, buf, sizeof(buf), &n) != IOT_OK || send_all(buf, n) != 0) {
        return 2;
    }
    if (read_packet(&p, &n) != 0 || p.type != MQTT_CONNACK || p.u.connack.return_code != 0) {
        fprintf(stderr, "gw_peer: no CONNACK\n");
        return 1;
    }
    consume(n);
    if (read_packet(&p, &n) != 0 || p.type != MQTT_PUBLISH ||
        p.u.publish.topic.len != strlen(IOT_ATTEST_TOPIC_CHALLENGE) ||
        memcmp(p.u.publish.topic.data, IOT_ATTEST_TOPIC_CHALLENGE, p.u.publish.topic.len) != 0 ||
        p.u.publish.payload.len > sizeof(challenge)) {
        fprintf(stderr, "gw_peer: no challenge\n");
        return 1;
    }
    challenge_len = p.u.publish.payload.len;
    memcpy(challenge, p.u.publish.payload.data, challenge_len);
    consume(n);

    if (strcmp(mode, "no-token") == 0) {
        return expect_closed();
    }
    if (strcmp(mode, "garbage-tls") == 0) {
        memset(buf, 0xFF, 64); /* inside TLS, but no MQTT packet */
        (void)send_all(buf, 64);
        return expect_closed();
    }
    if (strcmp(mode, "stale") == 0) {
        /* A token for an earlier challenge: replayed, not fresh. */
        uint8_t old[32];
        (void)iot_keystore_random(old, sizeof(old));
        if (iot_attest_get_token(old, sizeof(old), token, sizeof(token), &token_len) != IOT_OK) {
            return 2;
        }
    } else {
        if (strcmp(mode, "lifecycle") == 0) {
            (void)iot_posix_attest_set_lifecycle(IOT_ATTEST_LIFECYCLE_NON_PSA_ROT_DEBUG);
        }
        if (iot_attest_get_token(challenge, challenge_len, token, sizeof(token), &token_len) != IOT_OK) {
            return 2;
        }
    }
    {
        mqtt_publish_t pub;
        memset(&pub, 0, sizeof(pub));
        pub.topic.data = (const uint8_t *)IOT_ATTEST_TOPIC_TOKEN;
        pub.topic.len = strlen(IOT_ATTEST_TOPIC_TOKEN);
        pub.payload.data = token;
        /* truncated-token: the honest token without its last 40 bytes. */
        pub.payload.len = strcmp(mode, "truncated-token") == 0 ? token_len - 40u : token_len;
        if (mqtt_encode_publish(&pub, buf, sizeof(buf), &n) != IOT_OK || send_all(buf, n) != 0) {
            return 2;
        }
    }
    if (strcmp(mode, "stale") == 0 || strcmp(mode, "lifecycle") == 0 ||
        strcmp(mode, "truncated-token") == 0) {
        return expect_closed();
    }
    {
        char topic[160];
        mqtt_publish_t pub;
        (void)snprintf(topic, sizeof(topic), "devices/%s/telemetry",
                       strcmp(mode, "outside") == 0 ? "someone-else" : identity);
        memset(&pub, 0, sizeof(pub));
        pub.topic.data = (const uint8_t *)topic;
        pub.topic.len = strlen(topic);
        pub.payload.data = (const uint8_t *)"{\"seq\":0}";
        pub.payload.len = 9;
        pub.qos = 1;
        pub.packet_id = 7;
        if (mqtt_encode_publish(&pub, buf, sizeof(buf), &n) != IOT_OK) {
            return 2;
        }
        if (strcmp(mode, "vanish") == 0) {
            /* Half a packet, then the device is gone: no close_notify, no FIN first. */
            (void)send_all(buf, n / 2u);
            usleep(200000);
            {
                struct linger l = { 1, 0 };
                (void)setsockopt(g_net.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            }
            close(g_net.fd);
            g_net.fd = -1;
            printf("gw_peer: vanished mid-packet\n");
            return 0;
        }
        if (send_all(buf, n) != 0) {
            return 1;
        }
    }
    if (strcmp(mode, "outside") == 0) {
        return expect_closed();
    }
    /* ok: the PUBLISH is acknowledged. */
    if (read_packet(&p, &n) != 0 || p.type != MQTT_PUBACK || p.u.packet_id != 7) {
        fprintf(stderr, "gw_peer: no PUBACK\n");
        return 1;
    }
    printf("gw_peer: accepted and acknowledged\n");
    mbedtls_ssl_close_notify(&g_ssl);
    return 0;
}
