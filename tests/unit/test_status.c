/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: status codes have distinct names and texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <corstone_iot/iot.h>

static void test_ok_and_unknown(void **state)
{
    (void)state;
    assert_string_equal(iot_status_name(IOT_OK), "IOT_OK");
    assert_string_equal(iot_strerror(IOT_OK), "Success");
    assert_string_equal(iot_status_name((iot_status_t)9999), "IOT_ERR_UNKNOWN");
    assert_string_equal(iot_strerror((iot_status_t)-7), "unknown status code");
}

/* Every code from 0 to 255 either is unknown or has a name and a text that
 * no other code shares. */
static void test_every_code_is_distinct(void **state)
{
    const char *names[256];
    const char *texts[256];
    int known = 0;
    int i;
    int j;

    (void)state;
    for (i = 0; i < 256; i++) {
        names[i] = iot_status_name((iot_status_t)i);
        texts[i] = iot_strerror((iot_status_t)i);
        assert_non_null(names[i]);
        assert_non_null(texts[i]);
        if (strcmp(names[i], "IOT_ERR_UNKNOWN") == 0) {
            assert_string_equal(texts[i], "unknown status code");
            continue;
        }
        known++;
        assert_true(strncmp(names[i], "IOT_", 4) == 0);
        for (j = 0; j < i; j++) {
            if (strcmp(names[j], "IOT_ERR_UNKNOWN") != 0) {
                assert_string_not_equal(names[i], names[j]);
                assert_string_not_equal(texts[i], texts[j]);
            }
        }
    }
    assert_true(known >= 40);
}

static void test_codes_are_stable(void **state)
{
    (void)state;
    /* These numbers are part of the ABI: they must never change. */
    assert_int_equal(IOT_ERR_INVALID_ARG, 1);
    assert_int_equal(IOT_ERR_TIMEOUT, 5);
    assert_int_equal(IOT_ERR_NET_RESOLVE, 32);
    assert_int_equal(IOT_ERR_TLS_HANDSHAKE, 48);
    assert_int_equal(IOT_ERR_MQTT_PROTOCOL, 64);
    assert_string_equal(iot_status_name(IOT_ERR_QUEUE_FULL), "IOT_ERR_QUEUE_FULL");
    assert_string_equal(iot_status_name(IOT_ERR_BAD_TOPIC), "IOT_ERR_BAD_TOPIC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_and_unknown),
        cmocka_unit_test(test_every_code_is_distinct),
        cmocka_unit_test(test_codes_are_stable),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
