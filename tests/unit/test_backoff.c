/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: exponential back-off with full jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <corstone_iot/config.h>

#include "iot_backoff.h"

static void test_ceiling_doubles_up_to_max(void **state)
{
    iot_backoff_t b;
    uint32_t attempt;

    (void)state;
    iot_backoff_init(&b, 100, 1000, 12345);
    for (attempt = 0; attempt < 40; attempt++) {
        uint32_t ceiling = (attempt >= 4) ? 1000u : (100u << attempt);
        uint32_t max_seen = 0;
        int i;
        /* Sample the same attempt many times: values stay within the ceiling
         * and come close to it (full jitter spans the whole range). */
        for (i = 0; i < 200; i++) {
            iot_backoff_t copy = b;
            copy.rng += (uint32_t)i * 7919u;
            uint32_t d = iot_backoff_next(&copy);
            assert_true(d <= ceiling);
            if (d > max_seen) {
                max_seen = d;
            }
        }
        assert_true(max_seen >= ceiling / 2u);
        (void)iot_backoff_next(&b);
    }
}

static void test_reset_and_defaults(void **state)
{
    iot_backoff_t b;
    int i;

    (void)state;
    iot_backoff_init(&b, 0, 0, 0);
    assert_int_equal(b.base_ms, IOT_CONFIG_BACKOFF_BASE_MS);
    assert_int_equal(b.max_ms, IOT_CONFIG_BACKOFF_MAX_MS);
    for (i = 0; i < 10; i++) {
        (void)iot_backoff_next(&b);
    }
    iot_backoff_reset(&b);
    for (i = 0; i < 100; i++) {
        iot_backoff_t copy = b;
        assert_true(iot_backoff_next(&copy) <= IOT_CONFIG_BACKOFF_BASE_MS);
        b.rng += 13u;
    }
    /* max below base is raised to base. */
    iot_backoff_init(&b, 500, 10, 1);
    assert_int_equal(b.max_ms, 500);
}

static void test_jitter_spreads(void **state)
{
    iot_backoff_t b;
    uint32_t first;
    int differ = 0;
    int i;

    (void)state;
    iot_backoff_init(&b, 1000, 1000, 42);
    first = iot_backoff_next(&b);
    for (i = 0; i < 50; i++) {
        if (iot_backoff_next(&b) != first) {
            differ++;
        }
    }
    assert_true(differ > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_doubles_up_to_max),
        cmocka_unit_test(test_reset_and_defaults),
        cmocka_unit_test(test_jitter_spreads),
    };
    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
