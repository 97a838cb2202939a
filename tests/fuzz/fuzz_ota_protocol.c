/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the OTA-over-MQTT messages the device parses
 * (doc/ota-protocol.md), through the agent's test hooks
 * (src/ota/ota_agent_internal.h): the job notification, the block message
 * header and the persisted job record. Every input is tried as all three.
 *
 * Invariants: an accepted job has exactly 57 + n bytes, a job id and size
 * other than 0, a component of 0 or 1, and its fields are the bytes at the
 * documented offsets; it survives a record round trip. An accepted record
 * is 56 bytes and encodes back to the same bytes. A parsed block points
 * into the message after its 8-byte header; the agent takes a block only
 * for its job, at the resume point, and never past the announced size. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "ota/ota_agent_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void check_job(const uint8_t *p, size_t len)
{
    iot_ota_agent_job_t job;
    iot_ota_agent_job_t back;
    uint8_t rec[IOT_OTA_AGENT_RECORD_LEN];
    iot_status_t st = iot_ota_agent_test_parse_job(p, len, &job);

    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_BAD_FORMAT);
    if (st != IOT_OK) {
        return;
    }
    FUZZ_CHECK(len >= IOT_OTA_AGENT_JOB_FIXED_LEN);
    FUZZ_CHECK(p[56] <= IOT_OTA_AGENT_JOB_IMAGE_ID_MAX);
    FUZZ_CHECK(len == IOT_OTA_AGENT_JOB_FIXED_LEN + p[56]);
    FUZZ_CHECK(memcmp(p, "OTAJ", 4) == 0 && p[4] == 1u);
    FUZZ_CHECK((unsigned)job.component == p[5] && p[5] <= 1u);
    FUZZ_CHECK(job.job_id == le32(p + 8) && job.job_id != 0u);
    FUZZ_CHECK(job.size == le32(p + 12) && job.size != 0u);
    FUZZ_CHECK(job.version.major == p[16] && job.version.minor == p[17]);
    FUZZ_CHECK(job.version.revision == (uint16_t)(p[18] | (p[19] << 8)));
    FUZZ_CHECK(job.version.build == le32(p + 20));
    FUZZ_CHECK(memcmp(job.sha256, p + 24, 32) == 0);
    FUZZ_CHECK(job.phase == IOT_OTA_AGENT_DOWNLOADING && job.reason == IOT_OTA_REASON_NONE);

    /* What the agent saves for the job, it reads back unchanged. */
    iot_ota_agent_test_encode_record(&job, rec);
    FUZZ_CHECK(iot_ota_agent_test_decode_record(rec, sizeof(rec), &back) == IOT_OK);
    FUZZ_CHECK(memcmp(&back, &job, sizeof(job)) == 0);
}

static void check_record(const uint8_t *p, size_t len)
{
    iot_ota_agent_job_t job;
    uint8_t again[IOT_OTA_AGENT_RECORD_LEN];
    iot_status_t st = iot_ota_agent_test_decode_record(p, len, &job);

    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_STORAGE_CORRUPT);
    if (st != IOT_OK) {
        return;
    }
    FUZZ_CHECK(len == IOT_OTA_AGENT_RECORD_LEN);
    FUZZ_CHECK((unsigned)job.component <= 1u);
    FUZZ_CHECK(job.phase >= IOT_OTA_AGENT_IDLE && job.phase <= IOT_OTA_AGENT_FAILED);
    FUZZ_CHECK(job.reason >= IOT_OTA_REASON_NONE && job.reason <= IOT_OTA_REASON_STORAGE);
    iot_ota_agent_test_encode_record(&job, again);
    FUZZ_CHECK(memcmp(again, p, sizeof(again)) == 0);
}

static void check_block(const uint8_t *p, size_t len)
{
    iot_ota_agent_block_t blk;
    iot_ota_agent_job_t job;
    iot_status_t st = iot_ota_agent_test_parse_block(p, len, &blk);
    uint32_t written;

    FUZZ_CHECK(st == IOT_OK || st == IOT_ERR_BAD_FORMAT);
    if (st != IOT_OK) {
        FUZZ_CHECK(len <= IOT_OTA_AGENT_BLOCK_HEADER_LEN);
        return;
    }
    FUZZ_CHECK(len > IOT_OTA_AGENT_BLOCK_HEADER_LEN);
    FUZZ_CHECK(blk.data == p + IOT_OTA_AGENT_BLOCK_HEADER_LEN);
    FUZZ_CHECK(blk.len == len - IOT_OTA_AGENT_BLOCK_HEADER_LEN && blk.len >= 1u);
    FUZZ_CHECK(blk.job_id == le32(p) && blk.offset == le32(p + 4));

    /* A job whose size comes from the message's last four bytes (when it
     * has them), with the resume point at the block's offset. */
    memset(&job, 0, sizeof(job));
    job.job_id = blk.job_id;
    job.size = (len >= 12u) ? le32(p + len - 4u) : blk.offset + blk.len;
    written = blk.offset;
    FUZZ_CHECK(iot_ota_agent_test_block_accepted(&job, written, &blk) ==
               ((uint64_t)written + blk.len <= job.size));
    /* Another job, a repeat, a gap: never taken. */
    job.job_id = blk.job_id + 1u;
    FUZZ_CHECK(!iot_ota_agent_test_block_accepted(&job, written, &blk));
    job.job_id = blk.job_id;
    FUZZ_CHECK(!iot_ota_agent_test_block_accepted(&job, written + 1u, &blk));
    FUZZ_CHECK(written == 0u || !iot_ota_agent_test_block_accepted(&job, written - 1u, &blk));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_job(data, size);
    check_record(data, size);
    check_block(data, size);
    return 0;
}
