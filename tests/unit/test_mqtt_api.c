/* SPDX-License-Identifier: Apache-2.0 */
/* The MQTT client's argument checks: every option iot_connect refuses before
 * it opens a socket, and every call on a NULL client. The protocol itself
 * runs against a real broker in tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corstone_iot/config.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/tls.h>

static iot_tls_config_t g_tls = IOT_TLS_CONFIG_INIT;

static void noop_cb(iot_client_t *client, const iot_message_t *msg, void *user)
{
    (void)client;
    (void)msg;
    (void)user;
}

/* A loopback port nobody listens on: bound once by the kernel's choice, then
 * released. */
static uint16_t closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Options that pass every check: plain TCP to a port nobody listens on. */
static iot_connect_options_t good_options(void)
{
    iot_connect_options_t o = IOT_CONNECT_OPTIONS_INIT;

    g_tls.mode = IOT_TLS_NONE;
    o.host = "127.0.0.1";
    o.port = closed_port();
    o.client_id = "api-test";
    o.tls = &g_tls;
    o.connect_timeout_ms = 2000;
    return o;
}

/* iot_connect refuses `o` with `want`, and leaves *client NULL. */
static void expect_refused(const iot_connect_options_t *o, iot_status_t want)
{
    static int sentinel;
    iot_client_t *client = (iot_client_t *)(void *)&sentinel;

    assert_int_equal(iot_connect(o, &client), want);
    assert_null(client);
}

static void test_connect_refuses_bad_options(void **state)
{
    static uint8_t buf[128];
    static const uint8_t pw[] = { 'p', 'w' };
    char long_host[IOT_CONFIG_MQTT_MAX_HOST_LEN + 2];
    char long_id[IOT_CONFIG_MQTT_MAX_CLIENT_ID_LEN + 2];
    iot_client_t *client = NULL;
    iot_connect_options_t o;

    (void)state;
    o = good_options();
    assert_int_equal(iot_connect(NULL, &client), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_connect(&o, NULL), IOT_ERR_INVALID_ARG);

    o = good_options();
    o.struct_size = 2;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.host = NULL;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.port = 0;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.client_id = NULL;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.tls = NULL;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    /* An empty client id only with a clean session (MQTT 3.1.1, 3.1.3.1). */
    o = good_options();
    o.client_id = "";
    o.clean_session = false;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.password = pw;
    o.password_len = sizeof(pw);
    expect_refused(&o, IOT_ERR_INVALID_ARG); /* a password needs a user name */
    o = good_options();
    o.will_qos = (iot_qos_t)3;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.will_payload_len = 4; /* with no payload */
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.rx_buffer = buf;
    expect_refused(&o, IOT_ERR_INVALID_ARG); /* a buffer without its size */
    o = good_options();
    o.rx_buffer_size = sizeof(buf);
    expect_refused(&o, IOT_ERR_INVALID_ARG); /* a size without its buffer */
    o = good_options();
    o.rx_buffer = buf;
    o.rx_buffer_size = 16;
    expect_refused(&o, IOT_ERR_INVALID_ARG); /* too small for any packet */
    o = good_options();
    o.queue_buffer = buf;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    o = good_options();
    o.queue_buffer_size = sizeof(buf);
    expect_refused(&o, IOT_ERR_INVALID_ARG);

    memset(long_host, 'h', sizeof(long_host) - 1u);
    long_host[sizeof(long_host) - 1u] = '\0';
    o = good_options();
    o.host = long_host;
    expect_refused(&o, IOT_ERR_INVALID_ARG);
    memset(long_id, 'c', sizeof(long_id) - 1u);
    long_id[sizeof(long_id) - 1u] = '\0';
    o = good_options();
    o.client_id = long_id;
    expect_refused(&o, IOT_ERR_INVALID_ARG);

#if IOT_CONFIG_MQTT_WILL
    o = good_options();
    o.will_topic = "a/+/b"; /* wildcards are not allowed in a topic name */
    expect_refused(&o, IOT_ERR_BAD_TOPIC);
    o = good_options();
    o.will_topic = "";
    expect_refused(&o, IOT_ERR_BAD_TOPIC);
#endif

    /* Checks passed: the refusal is now the network's. */
    o = good_options();
    expect_refused(&o, IOT_ERR_NET_CONNECT);
}

static void test_calls_on_no_client(void **state)
{
    (void)state;
    assert_int_equal(iot_publish(NULL, "t", "x", 1, IOT_QOS0, false), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_subscribe(NULL, "t", IOT_QOS0, noop_cb, NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_unsubscribe(NULL, "t"), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_process(NULL, 0), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_flush(NULL, 0), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_disconnect(NULL), IOT_OK); /* like free(NULL) */
    assert_false(iot_is_connected(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_refuses_bad_options),
        cmocka_unit_test(test_calls_on_no_client),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
