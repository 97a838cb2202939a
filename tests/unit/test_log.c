/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: log levels, sink, line bound, and the core's formatter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "iot_format.h"
#include "iot_internal.h"

typedef struct {
    int calls;
    iot_log_level_t level;
    char module[16];
    char line[IOT_CONFIG_LOG_LINE_MAX + 8];
    size_t len;
} capture_t;

static void capture_sink(iot_log_level_t level, const char *module, const char *line, size_t len,
                         void *user)
{
    capture_t *c = user;
    c->calls++;
    c->level = level;
    (void)snprintf(c->module, sizeof(c->module), "%s", module);
    memcpy(c->line, line, len + 1u);
    c->len = len;
}

static int reset(void **state)
{
    (void)state;
    iot_log_set_sink(NULL, NULL);
    iot_log_set_level(IOT_LOG_INFO);
    return 0;
}

static void test_sink_receives_lines(void **state)
{
    capture_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    iot_log_set_sink(capture_sink, &c);
    IOT_LOGI("mqtt", "connected to %s:%u", "broker", 8883u);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.level, IOT_LOG_INFO);
    assert_string_equal(c.module, "mqtt");
    assert_string_equal(c.line, "connected to broker:8883");
    assert_int_equal(c.len, strlen("connected to broker:8883"));
}

static void test_level_filters(void **state)
{
    capture_t c;

    (void)state;
    memset(&c, 0, sizeof(c));
    iot_log_set_sink(capture_sink, &c);
    iot_log_set_level(IOT_LOG_WARN);
    assert_int_equal(iot_log_get_level(), IOT_LOG_WARN);
    iot_internal_log(IOT_LOG_INFO, "x", "dropped");
    iot_internal_log(IOT_LOG_DEBUG, "x", "dropped");
    assert_int_equal(c.calls, 0);
    iot_internal_log(IOT_LOG_WARN, "x", "kept");
    iot_internal_log(IOT_LOG_ERROR, "x", "kept");
    assert_int_equal(c.calls, 2);
    /* Out-of-range levels clamp instead of disabling everything. */
    iot_log_set_level((iot_log_level_t)42);
    assert_int_equal(iot_log_get_level(), IOT_LOG_DEBUG);
    iot_log_set_level((iot_log_level_t)-3);
    assert_int_equal(iot_log_get_level(), IOT_LOG_ERROR);
}

static void test_long_line_is_cut(void **state)
{
    capture_t c;
    char big[IOT_CONFIG_LOG_LINE_MAX * 2];

    (void)state;
    memset(&c, 0, sizeof(c));
    memset(big, 'a', sizeof(big) - 1u);
    big[sizeof(big) - 1u] = '\0';
    iot_log_set_sink(capture_sink, &c);
    iot_internal_log(IOT_LOG_ERROR, NULL, "%s", big);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.len, IOT_CONFIG_LOG_LINE_MAX - 1);
    assert_int_equal(strlen(c.line), IOT_CONFIG_LOG_LINE_MAX - 1);
    assert_string_equal(c.module, "iot");
}

static void test_default_sink_does_not_crash(void **state)
{
    (void)state;
    iot_log_set_sink(NULL, NULL);
    IOT_LOGE("test", "default sink line %d", 1);
}

/* The formatter against the C library's snprintf for the supported subset. */
static void check_format(const char *expect, const char *fmt, ...)
{
    char got[64];
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = iot_internal_vformat(got, sizeof(got), fmt, ap);
    va_end(ap);
    assert_string_equal(got, expect);
    assert_int_equal(n, strlen(expect));
}

static void test_format_conversions(void **state)
{
    char ref[64];
    char small[5];

    (void)state;
    check_format("a=-42 b=42 c=ff d=FF", "a=%d b=%u c=%x d=%X", -42, 42u, 255u, 255u);
    check_format("[   7][7   ][007][-07]", "[%4d][%-4d][%03d][%03d]", 7, 7, 7, -7);
    check_format("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
    check_format("18446744073709551615", "%llu", 18446744073709551615ULL);
    check_format("4294967295 123", "%lu %zu", 4294967295UL, (size_t)123);
    check_format("abc|ab|(null)", "%s|%.2s|%s", "abc", "abc", (const char *)NULL);
    check_format("xyz", "%.*s", 3, "xyzzy");
    check_format("100% c", "100%% %c", 'c');
    check_format("%q", "%q");
    (void)snprintf(ref, sizeof(ref), "%p", (void *)0x1234);
    check_format(ref, "%p", (void *)0x1234);
    /* Truncation: NUL-terminated, returns the full length. */
    assert_int_equal(iot_internal_format(small, sizeof(small), "%s", "abcdefgh"), 8);
    assert_string_equal(small, "abcd");
    assert_int_equal(iot_internal_format(NULL, 0, "%d", 12345), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sink_receives_lines, reset, reset),
        cmocka_unit_test_setup_teardown(test_level_filters, reset, reset),
        cmocka_unit_test_setup_teardown(test_long_line_is_cut, reset, reset),
        cmocka_unit_test_setup_teardown(test_default_sink_does_not_crash, reset, reset),
        cmocka_unit_test(test_format_conversions),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
