/* SPDX-License-Identifier: Apache-2.0 */
/* OTA agent: argument checks and names (the protocol itself runs in tests/ota_e2e). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <corstone_iot/ota_agent.h>

/* Never dereferenced: every call below fails its checks before it uses the client. */
static int g_fake_client_storage;
#define FAKE_CLIENT ((iot_client_t *)(void *)&g_fake_client_storage)

static void test_start_rejects_bad_arguments(void **state)
{
    iot_ota_agent_config_t cfg = IOT_OTA_AGENT_CONFIG_INIT;
    iot_ota_agent_t *agent = (iot_ota_agent_t *)(void *)&cfg;

    (void)state;
    cfg.device_id = "dev-1";
    assert_int_equal(iot_ota_agent_start(NULL, &cfg, &agent), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, NULL, &agent), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, &cfg, NULL), IOT_ERR_INVALID_ARG);

    /* The agent is cleared on any failure. */
    agent = (iot_ota_agent_t *)(void *)&cfg;
    cfg.device_id = NULL;
    assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, &cfg, &agent), IOT_ERR_INVALID_ARG);
    assert_null(agent);
}

static void test_start_rejects_bad_device_ids(void **state)
{
    static const char *const bad[] = { "", "a/b", "dev+", "#", "devices/x" };
    iot_ota_agent_config_t cfg = IOT_OTA_AGENT_CONFIG_INIT;
    iot_ota_agent_t *agent = NULL;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.device_id = bad[i];
        assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, &cfg, &agent), IOT_ERR_INVALID_ARG);
        assert_null(agent);
    }
}

static void test_start_rejects_truncated_config(void **state)
{
    iot_ota_agent_config_t cfg = IOT_OTA_AGENT_CONFIG_INIT;
    iot_ota_agent_t *agent = NULL;

    (void)state;
    cfg.device_id = "dev-1";
    cfg.struct_size = 4; /* too small to hold the device id */
    assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, &cfg, &agent), IOT_ERR_INVALID_ARG);
}

static void test_start_needs_ota_init(void **state)
{
    iot_ota_agent_config_t cfg = IOT_OTA_AGENT_CONFIG_INIT;
    iot_ota_agent_t *agent = NULL;

    (void)state;
    cfg.device_id = "dev-1";
    /* iot_ota_init() was never called in this process. */
    assert_int_equal(iot_ota_agent_start(FAKE_CLIENT, &cfg, &agent), IOT_ERR_BAD_STATE);
    assert_null(agent);
}

static void test_null_agent(void **state)
{
    iot_ota_agent_status_t st;

    (void)state;
    assert_int_equal(iot_ota_agent_step(NULL), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_agent_get_status(NULL, &st), IOT_ERR_INVALID_ARG);
    assert_int_equal(iot_ota_agent_stop(NULL), IOT_OK);
}

static void test_phase_names(void **state)
{
    (void)state;
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_IDLE), "idle");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_DOWNLOADING), "downloading");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_VERIFYING), "verifying");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_ACTIVATING), "activating");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_REBOOTING), "rebooting");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_TESTING), "testing");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_SUCCEEDED), "succeeded");
    assert_string_equal(iot_ota_agent_phase_name(IOT_OTA_AGENT_FAILED), "failed");
    assert_string_equal(iot_ota_agent_phase_name((iot_ota_agent_phase_t)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_rejects_bad_arguments),
        cmocka_unit_test(test_start_rejects_bad_device_ids),
        cmocka_unit_test(test_start_rejects_truncated_config),
        cmocka_unit_test(test_start_needs_ota_init),
        cmocka_unit_test(test_null_agent),
        cmocka_unit_test(test_phase_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
