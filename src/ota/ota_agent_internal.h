/* SPDX-License-Identifier: Apache-2.0 */
/* OTA agent: test hooks (private; not installed, not exported).
 *
 * The agent's wire and record formats (doc/ota-protocol.md) are parsed by
 * static functions of ota_agent.c; the unit tests and the fuzz target
 * tests/fuzz/fuzz_ota_protocol.c reach them through the thin wrappers
 * below. They are built with the library but, like every symbol without
 * IOT_API, hidden: the shared library does not export them. */
#ifndef IOT_OTA_AGENT_INTERNAL_H
#define IOT_OTA_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/ota.h>
#include <corstone_iot/ota_agent.h>
#include <corstone_iot/status.h>

/* Sizes of the formats. */
#define IOT_OTA_AGENT_JOB_FIXED_LEN 57u    /* job notification without the image id */
#define IOT_OTA_AGENT_JOB_IMAGE_ID_MAX 64u /* longest image id */
#define IOT_OTA_AGENT_BLOCK_HEADER_LEN 8u  /* block message header */
#define IOT_OTA_AGENT_RECORD_LEN 56u       /* persisted job record */

/* A job, as a notification announces it and the record keeps it. */
typedef struct iot_ota_agent_job {
    uint32_t job_id;
    iot_ota_component_t component;
    iot_ota_agent_phase_t phase;
    iot_ota_reason_t reason;
    uint32_t size;
    iot_ota_version_t version;
    uint8_t sha256[32];
} iot_ota_agent_job_t;

/* The header of a block message and where its image bytes are. */
typedef struct iot_ota_agent_block {
    uint32_t job_id;
    uint32_t offset;
    const uint8_t *data; /* inside the message */
    uint32_t len;        /* at least 1 */
} iot_ota_agent_block_t;

/* A job notification: IOT_OK, or IOT_ERR_BAD_FORMAT for anything the
 * protocol says to ignore (magic, format, length, component, job id 0,
 * size 0). On success phase is DOWNLOADING and reason NONE. */
iot_status_t iot_ota_agent_test_parse_job(const uint8_t *p, size_t len, iot_ota_agent_job_t *job);

/* A block message: IOT_OK, or IOT_ERR_BAD_FORMAT when it carries no image byte. */
iot_status_t iot_ota_agent_test_parse_block(const uint8_t *p, size_t len,
                                            iot_ota_agent_block_t *block);

/* Whether the agent writes `block` of job `job` with `written` bytes
 * durably written in phase DOWNLOADING: the same job, the next offset,
 * nothing past the announced size. */
bool iot_ota_agent_test_block_accepted(const iot_ota_agent_job_t *job, uint32_t written,
                                       const iot_ota_agent_block_t *block);

/* The persisted job record: IOT_OK, or IOT_ERR_STORAGE_CORRUPT. */
iot_status_t iot_ota_agent_test_decode_record(const uint8_t *b, size_t len,
                                              iot_ota_agent_job_t *job);

/* Encode a record as the agent saves it (IOT_OTA_AGENT_RECORD_LEN bytes). */
void iot_ota_agent_test_encode_record(const iot_ota_agent_job_t *job,
                                      uint8_t b[IOT_OTA_AGENT_RECORD_LEN]);

#endif /* IOT_OTA_AGENT_INTERNAL_H */
