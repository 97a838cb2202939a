/* SPDX-License-Identifier: Apache-2.0 */
/* Unit test: IOT_CONFIG_FILE overrides reach the compiled core; other limits keep their defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iot_internal.h"

#if IOT_CONFIG_LOG_LINE_MAX != 40 || IOT_CONFIG_LOG_LEVEL != 1
#error "IOT_CONFIG_FILE was not applied"
#endif
#if IOT_CONFIG_MQTT_MAX_CLIENTS != 2 || IOT_CONFIG_MQTT_RX_BUFFER_SIZE != 4096
#error "a default changed although the configuration file does not set it"
#endif

static size_t g_len;
static int g_calls;

static void sink(iot_log_level_t level, const char *module, const char *line, size_t len, void *user)
{
    (void)level;
    (void)module;
    (void)line;
    (void)user;
    g_len = len;
    g_calls++;
}

static void test_line_bound_follows_the_override(void **state)
{
    char big[200];

    (void)state;
    memset(big, 'x', sizeof(big) - 1u);
    big[sizeof(big) - 1u] = '\0';
    iot_log_set_sink(sink, NULL);
    iot_log_set_level(IOT_LOG_DEBUG);
    IOT_LOGW("cfg", "%s", big);
    assert_int_equal(g_calls, 1);
    assert_int_equal(g_len, 39);
}

static void test_level_floor_follows_the_override(void **state)
{
    (void)state;
    g_calls = 0;
    iot_log_set_sink(sink, NULL);
    iot_log_set_level(IOT_LOG_DEBUG);
    /* Compiled out by the floor of 1 (warnings): the run-time level cannot bring them back. */
    IOT_LOGI("cfg", "info");
    IOT_LOGD("cfg", "debug");
    assert_int_equal(g_calls, 0);
    IOT_LOGE("cfg", "error");
    assert_int_equal(g_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_bound_follows_the_override),
        cmocka_unit_test(test_level_floor_follows_the_override),
    };
    return cmocka_run_group_tests_name("config_file", tests, NULL, NULL);
}
