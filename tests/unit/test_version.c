/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: compile-time and run-time versions agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <corstone_iot/iot.h>

static void test_runtime_matches_headers(void **state)
{
    char expect[32];

    (void)state;
    assert_int_equal(iot_version(), IOT_VERSION);
    assert_string_equal(iot_version_string(), IOT_VERSION_STRING);
    (void)snprintf(expect, sizeof(expect), "%d.%d.%d", IOT_VERSION_MAJOR, IOT_VERSION_MINOR,
                   IOT_VERSION_PATCH);
    assert_string_equal(expect, IOT_VERSION_STRING);
}

static void test_encode_orders_versions(void **state)
{
    (void)state;
    assert_true(IOT_VERSION_ENCODE(1, 0, 0) > IOT_VERSION_ENCODE(0, 255, 255));
    assert_true(IOT_VERSION_ENCODE(0, 2, 0) > IOT_VERSION_ENCODE(0, 1, 9));
    assert_true(IOT_VERSION_ENCODE(0, 1, 2) > IOT_VERSION_ENCODE(0, 1, 1));
    assert_int_equal(IOT_VERSION_ENCODE(1, 2, 3), 0x010203u);
#if !IOT_VERSION_AT_LEAST(0, 1, 0)
    fail_msg("headers older than the first release");
#endif
#if IOT_VERSION_AT_LEAST(IOT_VERSION_MAJOR + 1, 0, 0)
    fail_msg("IOT_VERSION_AT_LEAST accepts a future major");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runtime_matches_headers),
        cmocka_unit_test(test_encode_orders_versions),
    };
    return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
