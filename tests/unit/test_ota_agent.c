/* SPDX-License-Identifier: Apache-2.0 */
/* OTA agent: argument checks and names, and the wire and record formats
 * through the test hooks of ota_agent_internal.h (the protocol itself runs
 * in tests/ota_e2e). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <corstone_iot/ota_agent.h>

#include "ota/ota_agent_internal.h"

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

/* A job notification of doc/ota-protocol.md with an image id of `id_len` bytes. */
static size_t make_job(uint8_t *p, uint8_t id_len)
{
    memset(p, 0, IOT_OTA_AGENT_JOB_FIXED_LEN + 64u);
    memcpy(p, "OTAJ", 4);
    p[4] = 1;                /* format */
    p[5] = 1;                /* non-secure */
    p[8] = 7;                /* job id 7 */
    p[12] = 0x54;            /* size 0x1054 */
    p[13] = 0x10;
    p[16] = 2;               /* version 2.1.3+9 */
    p[17] = 1;
    p[18] = 3;
    p[20] = 9;
    memset(p + 24, 0xAB, 32); /* SHA-256 */
    p[56] = id_len;
    memset(p + 57, 'i', id_len);
    return IOT_OTA_AGENT_JOB_FIXED_LEN + id_len;
}

static void test_job_notification(void **state)
{
    uint8_t p[IOT_OTA_AGENT_JOB_FIXED_LEN + 64u];
    iot_ota_agent_job_t job;
    size_t len;

    (void)state;
    len = make_job(p, 6);
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_OK);
    assert_int_equal(job.job_id, 7);
    assert_int_equal(job.component, IOT_OTA_COMPONENT_NONSECURE);
    assert_int_equal(job.size, 0x1054);
    assert_int_equal(job.version.major, 2);
    assert_int_equal(job.version.minor, 1);
    assert_int_equal(job.version.revision, 3);
    assert_int_equal(job.version.build, 9);
    assert_int_equal(job.sha256[31], 0xAB);
    assert_int_equal(job.phase, IOT_OTA_AGENT_DOWNLOADING);

    /* Length must match the image id exactly; 64 bytes at most. */
    assert_int_equal(iot_ota_agent_test_parse_job(p, len - 1u, &job), IOT_ERR_BAD_FORMAT);
    assert_int_equal(iot_ota_agent_test_parse_job(p, len + 1u, &job), IOT_ERR_BAD_FORMAT);
    len = make_job(p, 64);
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_OK);
    p[56] = 65;
    assert_int_equal(iot_ota_agent_test_parse_job(p, len + 1u, &job), IOT_ERR_BAD_FORMAT);
    /* Magic, format, component, job id 0, size 0. */
    len = make_job(p, 0);
    p[0] = 'X';
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_ERR_BAD_FORMAT);
    len = make_job(p, 0);
    p[4] = 2;
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_ERR_BAD_FORMAT);
    len = make_job(p, 0);
    p[5] = 2;
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_ERR_BAD_FORMAT);
    len = make_job(p, 0);
    p[8] = 0;
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_ERR_BAD_FORMAT);
    len = make_job(p, 0);
    p[12] = 0;
    p[13] = 0;
    assert_int_equal(iot_ota_agent_test_parse_job(p, len, &job), IOT_ERR_BAD_FORMAT);
}

static void test_block_header_and_order(void **state)
{
    uint8_t msg[8 + 16] = { 7, 0, 0, 0, 0x10, 0, 0, 0 };
    iot_ota_agent_block_t blk;
    iot_ota_agent_job_t job;

    (void)state;
    assert_int_equal(iot_ota_agent_test_parse_block(msg, 8, &blk), IOT_ERR_BAD_FORMAT);
    assert_int_equal(iot_ota_agent_test_parse_block(msg, sizeof(msg), &blk), IOT_OK);
    assert_int_equal(blk.job_id, 7);
    assert_int_equal(blk.offset, 0x10);
    assert_ptr_equal(blk.data, msg + 8);
    assert_int_equal(blk.len, 16);

    memset(&job, 0, sizeof(job));
    job.job_id = 7;
    job.size = 0x20;
    assert_true(iot_ota_agent_test_block_accepted(&job, 0x10, &blk));   /* exactly to the end */
    assert_false(iot_ota_agent_test_block_accepted(&job, 0x11, &blk));  /* a repeat */
    assert_false(iot_ota_agent_test_block_accepted(&job, 0x0F, &blk));  /* after a gap */
    job.size = 0x1F;
    assert_false(iot_ota_agent_test_block_accepted(&job, 0x10, &blk));  /* past the size */
    job.size = 0x20;
    job.job_id = 8;
    assert_false(iot_ota_agent_test_block_accepted(&job, 0x10, &blk));  /* another job */
}

static void test_record_round_trip(void **state)
{
    uint8_t p[IOT_OTA_AGENT_JOB_FIXED_LEN + 64u];
    uint8_t rec[IOT_OTA_AGENT_RECORD_LEN];
    iot_ota_agent_job_t job;
    iot_ota_agent_job_t back;

    (void)state;
    assert_int_equal(iot_ota_agent_test_parse_job(p, make_job(p, 3), &job), IOT_OK);
    job.phase = IOT_OTA_AGENT_FAILED;
    job.reason = IOT_OTA_REASON_BAD_SIGNATURE;
    iot_ota_agent_test_encode_record(&job, rec);
    assert_int_equal(iot_ota_agent_test_decode_record(rec, sizeof(rec), &back), IOT_OK);
    assert_memory_equal(&back, &job, sizeof(job));
    assert_int_equal(iot_ota_agent_test_decode_record(rec, sizeof(rec) - 1u, &back),
                     IOT_ERR_STORAGE_CORRUPT);
    rec[6] = (uint8_t)IOT_OTA_AGENT_FAILED + 1u; /* no such phase */
    assert_int_equal(iot_ota_agent_test_decode_record(rec, sizeof(rec), &back),
                     IOT_ERR_STORAGE_CORRUPT);
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
        cmocka_unit_test(test_job_notification),
        cmocka_unit_test(test_block_header_and_order),
        cmocka_unit_test(test_record_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
