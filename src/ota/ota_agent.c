/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA agent: the device side of OTA delivery over MQTT (doc/ota-protocol.md).
 *
 * Message callbacks (the client's reading thread) take jobs and write
 * blocks; iot_ota_agent_step() (the application's thread) does the slow or
 * final work: re-requests after silence, the transfer hash, finalize,
 * activate, reboot, self-test and confirm. One port mutex guards the
 * agent; MQTT publishes are built under it and sent after releasing it, so
 * a callback never waits on a thread that waits on the client.
 *
 * Blocks are written unsynced and made durable at checkpoints (every
 * checkpoint_bytes and at the end of the image; ota_checkpoint.h): the
 * resume point, and the "written" of reports, moves at checkpoints only,
 * and a power cut repeats what came after the last one.
 *
 * Crash safety: the job record (uid IOT_CONFIG_OTA_AGENT_STORE_UID) is
 * saved before each step that changes the OTA module's state, and after a
 * restart the phase is derived from the OTA module's state (the truth for
 * the image) together with the record (the truth for the job). So a crash
 * between the two only repeats a step, never skips one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <corstone_iot/ota.h>
#include <corstone_iot/ota_agent.h>
#include <corstone_iot/port.h>

#include "iot_format.h"
#include "iot_internal.h"
#include "ota/ota_agent_internal.h"
#include "ota_checkpoint.h"

#include <psa/crypto.h>

#define MOD "ota_agent"

/* Wire formats (doc/ota-protocol.md); every integer little-endian. */
#define JOB_MAGIC "OTAJ"
#define JOB_FORMAT 1u
#define JOB_FIXED_LEN IOT_OTA_AGENT_JOB_FIXED_LEN
#define JOB_IMAGE_ID_MAX IOT_OTA_AGENT_JOB_IMAGE_ID_MAX
/* Block request magic "OTAR" (4 bytes, no terminator on the wire). */
static const uint8_t REQ_MAGIC[4] = {0x4Fu, 0x54u, 0x41u, 0x52u};
#define REQ_FORMAT 1u
#define REQ_LEN 24u
#define BLOCK_HEADER_LEN IOT_OTA_AGENT_BLOCK_HEADER_LEN

/* MQTT's largest remaining length, less the PUBLISH topic and block header room. */
#define MQTT_MAX_REMAINING 268435455u

/* Persisted job record. */
#define REC_MAGIC 0x4741544Fu /* "OTAG" */
#define REC_FORMAT 1u
#define REC_LEN IOT_OTA_AGENT_RECORD_LEN

/* Status reports on progress: one per this many percent. */
#define PROGRESS_STEP_PCT 10u

/* How long the agent waits for the broker to take its last report before a reboot. */
#define REBOOT_FLUSH_MS 3000u

typedef iot_ota_agent_job_t job_record_t;

/* A report or a request built under the lock and published after it. */
typedef struct {
    bool request;
    uint32_t req_offset;
    uint32_t req_length;
    bool report;
    iot_qos_t report_qos;
    char report_text[256];
    bool reboot;
} outbox_t;

struct iot_ota_agent {
    bool used;
    iot_client_t *client;
    iot_ota_agent_config_t cfg;
    iot_port_mutex_t lock;
    char t_job[IOT_CONFIG_OTA_AGENT_TOPIC_MAX];
    char t_block[IOT_CONFIG_OTA_AGENT_TOPIC_MAX];
    char t_req[IOT_CONFIG_OTA_AGENT_TOPIC_MAX];
    char t_status[IOT_CONFIG_OTA_AGENT_TOPIC_MAX];
    bool have_record;
    job_record_t rec;
    bool rec_stored_known;      /* rec_stored holds what the store has */
    uint8_t rec_stored[REC_LEN];
    iot_ota_agent_phase_t phase;
    iot_ota_reason_t reason;
    iot_status_t error;
    uint32_t written;  /* durable: the resume point after a power cut */
    uint32_t received; /* written in order, durable or not; the next block's offset */
    uint32_t requested_end;
    uint64_t last_rx_ms;
    uint32_t reported_pct;
    /* The transfer hash, fed block by block while a download runs from byte 0
     * in this process; after a resume the bytes are read back instead. */
    bool hash_live;
    psa_hash_operation_t hash;
};

static iot_ota_agent_t g_agents[IOT_CONFIG_OTA_AGENT_MAX];

/* ---- little-endian helpers ---- */

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static bool version_equal(const iot_ota_version_t *a, const iot_ota_version_t *b)
{
    return a->major == b->major && a->minor == b->minor && a->revision == b->revision &&
           a->build == b->build;
}

/* ---- job record ---- */

static void record_encode(const job_record_t *r, uint8_t *b)
{
    memset(b, 0, REC_LEN);
    put_u32(b, REC_MAGIC);
    b[4] = REC_FORMAT;
    b[5] = (uint8_t)r->component;
    b[6] = (uint8_t)r->phase;
    b[7] = (uint8_t)r->reason;
    put_u32(b + 8, r->job_id);
    put_u32(b + 12, r->size);
    b[16] = r->version.major;
    b[17] = r->version.minor;
    put_u16(b + 18, r->version.revision);
    put_u32(b + 20, r->version.build);
    memcpy(b + 24, r->sha256, 32);
}

static iot_status_t record_decode(const uint8_t *b, size_t len, job_record_t *r)
{
    if (len != REC_LEN || get_u32(b) != REC_MAGIC || b[4] != REC_FORMAT || b[5] > 1u ||
        b[6] > (uint8_t)IOT_OTA_AGENT_FAILED || b[7] > (uint8_t)IOT_OTA_REASON_STORAGE) {
        return IOT_ERR_STORAGE_CORRUPT;
    }
    r->component = (iot_ota_component_t)b[5];
    r->phase = (iot_ota_agent_phase_t)b[6];
    r->reason = (iot_ota_reason_t)b[7];
    r->job_id = get_u32(b + 8);
    r->size = get_u32(b + 12);
    r->version.major = b[16];
    r->version.minor = b[17];
    r->version.revision = get_u16(b + 18);
    r->version.build = get_u32(b + 20);
    memcpy(r->sha256, b + 24, 32);
    return IOT_OK;
}

static iot_status_t record_save(iot_ota_agent_t *a)
{
    uint8_t b[REC_LEN];
    iot_status_t st;

    a->rec.phase = a->phase;
    a->rec.reason = a->reason;
    record_encode(&a->rec, b);
    if (a->rec_stored_known && memcmp(b, a->rec_stored, sizeof(b)) == 0) {
        return IOT_OK; /* the store has these very bytes: a durable write saved */
    }
    a->rec_stored_known = false;
    st = iot_port_store_set(IOT_CONFIG_OTA_AGENT_STORE_UID, b, sizeof(b));
    if (st == IOT_OK) {
        memcpy(a->rec_stored, b, sizeof(b));
        a->rec_stored_known = true;
    }
    return st;
}

static iot_status_t record_load(job_record_t *r, bool *found)
{
    uint8_t b[REC_LEN + 1];
    size_t n = 0;
    iot_status_t st;

    *found = false;
    st = iot_port_store_get(IOT_CONFIG_OTA_AGENT_STORE_UID, 0, sizeof(b), b, &n);
    if (st == IOT_ERR_NOT_FOUND) {
        return IOT_OK;
    }
    if (st != IOT_OK) {
        return st;
    }
    st = record_decode(b, n, r);
    if (st == IOT_OK) {
        *found = true;
    }
    return st;
}

/* ---- outgoing messages ---- */

const char *iot_ota_agent_phase_name(iot_ota_agent_phase_t phase)
{
    switch (phase) {
    case IOT_OTA_AGENT_IDLE: return "idle";
    case IOT_OTA_AGENT_DOWNLOADING: return "downloading";
    case IOT_OTA_AGENT_VERIFYING: return "verifying";
    case IOT_OTA_AGENT_ACTIVATING: return "activating";
    case IOT_OTA_AGENT_REBOOTING: return "rebooting";
    case IOT_OTA_AGENT_TESTING: return "testing";
    case IOT_OTA_AGENT_SUCCEEDED: return "succeeded";
    case IOT_OTA_AGENT_FAILED: return "failed";
    }
    return "unknown";
}

static bool phase_is_final(iot_ota_agent_phase_t p)
{
    return p == IOT_OTA_AGENT_SUCCEEDED || p == IOT_OTA_AGENT_FAILED;
}

/* Queue a status report of the current state (QoS 1 for phase changes, 0 for progress). */
static void build_report(iot_ota_agent_t *a, outbox_t *out, iot_qos_t qos)
{
    iot_ota_info_t info;
    iot_ota_version_t run = { 0, 0, 0, 0 };
    iot_ota_component_t comp = a->have_record ? a->rec.component : IOT_OTA_COMPONENT_NONSECURE;

    if (iot_ota_get_info(comp, &info) == IOT_OK) {
        run = info.running;
    }
    (void)iot_internal_format(
        out->report_text, sizeof(out->report_text),
        "{\"job\":%lu,\"state\":\"%s\",\"written\":%lu,\"total\":%lu,"
        "\"version\":\"%u.%u.%u+%lu\",\"running\":\"%u.%u.%u+%lu\",\"reason\":\"%s\","
        "\"error\":\"%s\"}",
        (unsigned long)(a->have_record ? a->rec.job_id : 0u), iot_ota_agent_phase_name(a->phase),
        (unsigned long)a->written, (unsigned long)(a->have_record ? a->rec.size : 0u),
        (unsigned)a->rec.version.major, (unsigned)a->rec.version.minor,
        (unsigned)a->rec.version.revision, (unsigned long)a->rec.version.build,
        (unsigned)run.major, (unsigned)run.minor, (unsigned)run.revision,
        (unsigned long)run.build, iot_ota_reason_name(a->reason), iot_status_name(a->error));
    out->report = true;
    if (qos > out->report_qos) {
        out->report_qos = qos;
    }
}

/* Ask for up to @p blocks blocks from requested_end. */
static void build_request(iot_ota_agent_t *a, outbox_t *out, uint32_t blocks)
{
    uint32_t left = a->rec.size - a->requested_end;
    uint64_t want = (uint64_t)blocks * a->cfg.block_size;

    if (left == 0u || blocks == 0u) {
        return;
    }
    if (want > left) {
        want = left;
    }
    if (out->request) {
        /* Already asking from an earlier offset: extend that request. */
        out->req_length += (uint32_t)want;
    } else {
        out->request = true;
        out->req_offset = a->requested_end;
        out->req_length = (uint32_t)want;
    }
    a->requested_end += (uint32_t)want;
}

static void send_outbox(iot_ota_agent_t *a, const outbox_t *out)
{
    if (out->request) {
        uint8_t r[REQ_LEN];
        memset(r, 0, sizeof(r));
        memcpy(r, REQ_MAGIC, sizeof(REQ_MAGIC));
        r[4] = REQ_FORMAT;
        put_u32(r + 8, a->rec.job_id);
        put_u32(r + 12, out->req_offset);
        put_u32(r + 16, out->req_length);
        put_u32(r + 20, a->cfg.block_size);
        /* QoS 0: a lost request is repeated after request_timeout_ms. */
        iot_status_t st = iot_publish(a->client, a->t_req, r, sizeof(r), IOT_QOS0, false);
        if (st != IOT_OK) {
            IOT_LOGD(MOD, "request at %lu: %s", (unsigned long)out->req_offset,
                     iot_status_name(st));
        }
    }
    if (out->report) {
        iot_status_t st = iot_publish(a->client, a->t_status, out->report_text,
                                      strlen(out->report_text), out->report_qos, false);
        if (st != IOT_OK) {
            IOT_LOGW(MOD, "status report: %s", iot_status_name(st));
        }
    }
}

/* ---- phase changes (lock held) ---- */

static void hash_stop(iot_ota_agent_t *a)
{
    if (a->hash_live) {
        (void)psa_hash_abort(&a->hash);
        a->hash_live = false;
    }
}

/* A download from byte 0 hashes its blocks as they arrive (no read-back). */
static void hash_start(iot_ota_agent_t *a)
{
    hash_stop(a);
    a->hash = psa_hash_operation_init();
    if (a->received == 0u && psa_crypto_init() == PSA_SUCCESS &&
        psa_hash_setup(&a->hash, PSA_ALG_SHA_256) == PSA_SUCCESS) {
        a->hash_live = true;
    }
}


static void enter_phase(iot_ota_agent_t *a, iot_ota_agent_phase_t phase, outbox_t *out)
{
    a->phase = phase;
    if (a->have_record) {
        iot_status_t st = record_save(a);
        if (st != IOT_OK) {
            IOT_LOGE(MOD, "job record not saved: %s", iot_status_name(st));
        }
    }
    IOT_LOGI(MOD, "job %lu: %s", (unsigned long)a->rec.job_id, iot_ota_agent_phase_name(phase));
    build_report(a, out, IOT_QOS1);
    if (a->cfg.progress != NULL) {
        a->cfg.progress(phase, a->written, a->rec.size, a->cfg.progress_user);
    }
}

static void fail(iot_ota_agent_t *a, iot_ota_reason_t reason, iot_status_t error, outbox_t *out)
{
    hash_stop(a);
    a->reason = reason;
    a->error = error;
    enter_phase(a, IOT_OTA_AGENT_FAILED, out);
}

/* Bytes between two checkpoints: the configured value, or the default. */
static uint32_t checkpoint_bytes(const iot_ota_agent_t *a)
{
    return (a->cfg.checkpoint_bytes != 0u) ? a->cfg.checkpoint_bytes
                                           : (uint32_t)IOT_CONFIG_OTA_CHECKPOINT_BYTES;
}

static void start_window(iot_ota_agent_t *a, outbox_t *out)
{
    a->requested_end = a->received;
    a->last_rx_ms = iot_port_time_ms();
    build_request(a, out, a->cfg.window);
}

/* Begin (or resume) the record's download in the OTA module. */
static void begin_download(iot_ota_agent_t *a, outbox_t *out)
{
    iot_ota_info_t info;
    iot_status_t st = iot_ota_begin(a->rec.component, a->rec.size, &a->rec.version);

    if (st == IOT_OK) {
        st = iot_ota_get_info(a->rec.component, &info);
    }
    if (st != IOT_OK) {
        fail(a, st == IOT_ERR_STORAGE_FULL ? IOT_OTA_REASON_TOO_LARGE : IOT_OTA_REASON_STORAGE, st,
             out);
        return;
    }
    a->written = info.written;
    a->received = info.written;
    a->reported_pct = (uint32_t)(((uint64_t)a->written * 100u) / a->rec.size);
    a->reason = IOT_OTA_REASON_NONE;
    a->error = IOT_OK;
    if (a->written >= a->rec.size) {
        enter_phase(a, IOT_OTA_AGENT_VERIFYING, out);
        return;
    }
    enter_phase(a, IOT_OTA_AGENT_DOWNLOADING, out);
    if (a->written > 0u) {
        IOT_LOGI(MOD, "job %lu: resuming at %lu of %lu bytes", (unsigned long)a->rec.job_id,
                 (unsigned long)a->written, (unsigned long)a->rec.size);
    }
    hash_start(a);
    start_window(a, out);
}

/* After a restart: where does the recorded job stand? The OTA module's state decides. */
static void resume_record(iot_ota_agent_t *a, outbox_t *out)
{
    iot_ota_info_t info;
    iot_status_t st = iot_ota_get_info(a->rec.component, &info);

    a->phase = a->rec.phase;
    a->reason = a->rec.reason;
    a->written = (a->rec.phase == IOT_OTA_AGENT_SUCCEEDED) ? a->rec.size : 0u;
    if (st != IOT_OK) {
        fail(a, IOT_OTA_REASON_STORAGE, st, out);
        return;
    }
    if (phase_is_final(a->rec.phase)) {
        a->written = info.written;
        if (a->rec.phase == IOT_OTA_AGENT_SUCCEEDED) {
            a->written = a->rec.size;
        }
        build_report(a, out, IOT_QOS1);
        return;
    }
    switch (info.state) {
    case IOT_OTA_STATE_DOWNLOADING:
    case IOT_OTA_STATE_IDLE:
        if (info.state == IOT_OTA_STATE_IDLE &&
            a->rec.phase != IOT_OTA_AGENT_DOWNLOADING && a->rec.phase != IOT_OTA_AGENT_VERIFYING) {
            /* Past activation and no longer pending: it was confirmed or reverted. */
            a->written = a->rec.size;
            if (version_equal(&info.running, &a->rec.version)) {
                enter_phase(a, IOT_OTA_AGENT_SUCCEEDED, out);
            } else {
                fail(a, info.last_failure != IOT_OTA_REASON_NONE ? info.last_failure
                                                                 : IOT_OTA_REASON_REVERTED,
                     IOT_OK, out);
            }
            return;
        }
        begin_download(a, out);
        return;
    case IOT_OTA_STATE_VERIFIED:
        a->written = a->rec.size;
        enter_phase(a, IOT_OTA_AGENT_ACTIVATING, out);
        return;
    case IOT_OTA_STATE_PENDING:
        a->written = a->rec.size;
        enter_phase(a, IOT_OTA_AGENT_REBOOTING, out);
        out->reboot = true;
        return;
    case IOT_OTA_STATE_TRIAL:
        a->written = a->rec.size;
        enter_phase(a, IOT_OTA_AGENT_TESTING, out);
        return;
    case IOT_OTA_STATE_FAILED:
        a->written = info.written;
        if (version_equal(&info.running, &a->rec.version)) {
            enter_phase(a, IOT_OTA_AGENT_SUCCEEDED, out);
        } else {
            fail(a, info.last_failure, IOT_OK, out);
        }
        return;
    }
    fail(a, IOT_OTA_REASON_STORAGE, IOT_ERR_INTERNAL, out);
}

/* ---- incoming messages ---- */

static iot_status_t parse_job(const uint8_t *p, size_t len, job_record_t *job)
{
    size_t id_len;

    if (len < JOB_FIXED_LEN || memcmp(p, JOB_MAGIC, 4) != 0 || p[4] != JOB_FORMAT) {
        return IOT_ERR_BAD_FORMAT;
    }
    id_len = p[56];
    if (id_len > JOB_IMAGE_ID_MAX || len != JOB_FIXED_LEN + id_len || p[5] > 1u) {
        return IOT_ERR_BAD_FORMAT;
    }
    memset(job, 0, sizeof(*job));
    job->component = (iot_ota_component_t)p[5];
    job->job_id = get_u32(p + 8);
    job->size = get_u32(p + 12);
    job->version.major = p[16];
    job->version.minor = p[17];
    job->version.revision = get_u16(p + 18);
    job->version.build = get_u32(p + 20);
    memcpy(job->sha256, p + 24, 32);
    if (job->job_id == 0u || job->size == 0u) {
        return IOT_ERR_BAD_FORMAT;
    }
    job->phase = IOT_OTA_AGENT_DOWNLOADING;
    return IOT_OK;
}

static void on_job(iot_client_t *client, const iot_message_t *msg, void *user)
{
    iot_ota_agent_t *a = user;
    outbox_t out;
    job_record_t job;
    iot_status_t st;

    (void)client;
    memset(&out, 0, sizeof(out));
    iot_port_mutex_lock(&a->lock);
    if (msg->payload_len == 0u) {
        /* Cancellation: only a download not yet activated can be dropped. */
        if (a->phase == IOT_OTA_AGENT_DOWNLOADING || a->phase == IOT_OTA_AGENT_VERIFYING ||
            a->phase == IOT_OTA_AGENT_ACTIVATING) {
            st = iot_ota_abort(a->rec.component);
            fail(a, IOT_OTA_REASON_ABORTED, st, &out);
        }
        goto done;
    }
    st = parse_job(msg->payload, msg->payload_len, &job);
    if (st != IOT_OK) {
        IOT_LOGW(MOD, "malformed job (%lu bytes) ignored", (unsigned long)msg->payload_len);
        goto done;
    }
    if (a->have_record && job.job_id == a->rec.job_id) {
        if (a->phase == IOT_OTA_AGENT_DOWNLOADING) {
            /* The job again (a reconnect): ask for the window now instead of waiting. */
            start_window(a, &out);
        } else {
            build_report(a, &out, IOT_QOS1);
        }
        goto done;
    }
    if (a->phase == IOT_OTA_AGENT_REBOOTING || a->phase == IOT_OTA_AGENT_TESTING ||
        a->phase == IOT_OTA_AGENT_ACTIVATING || a->phase == IOT_OTA_AGENT_VERIFYING) {
        IOT_LOGW(MOD, "job %lu ignored: job %lu is %s", (unsigned long)job.job_id,
                 (unsigned long)a->rec.job_id, iot_ota_agent_phase_name(a->phase));
        goto done;
    }
    if (a->phase == IOT_OTA_AGENT_DOWNLOADING && job.component != a->rec.component) {
        (void)iot_ota_abort(a->rec.component);
    }
    a->rec = job;
    a->have_record = true;
    a->written = 0;
    {
        iot_ota_info_t info;
        if (iot_ota_get_info(job.component, &info) == IOT_OK) {
            if (version_equal(&info.running, &job.version)) {
                /* Already running it (a job delivered again after the update). */
                a->written = job.size;
                a->reason = IOT_OTA_REASON_NONE;
                a->error = IOT_OK;
                enter_phase(a, IOT_OTA_AGENT_SUCCEEDED, &out);
                goto done;
            }
            if (info.state == IOT_OTA_STATE_VERIFIED ||
                (info.state == IOT_OTA_STATE_DOWNLOADING &&
                 (info.total_size != job.size || !version_equal(&info.pending, &job.version)))) {
                (void)iot_ota_abort(job.component);
            }
        }
    }
    /* Record first: a crash after it resumes this job; before it, the retained job restarts it. */
    a->phase = IOT_OTA_AGENT_DOWNLOADING;
    st = record_save(a);
    if (st != IOT_OK) {
        fail(a, IOT_OTA_REASON_STORAGE, st, &out);
        goto done;
    }
    begin_download(a, &out);
done:
    iot_port_mutex_unlock(&a->lock);
    send_outbox(a, &out);
}

static iot_status_t parse_block(const uint8_t *p, size_t len, iot_ota_agent_block_t *blk)
{
    /* Only the header, or (where size_t is wider) a length whose image
     * bytes do not fit 32 bits. */
    if (len <= BLOCK_HEADER_LEN) {
        return IOT_ERR_BAD_FORMAT;
    }
#if SIZE_MAX > UINT32_MAX
    if (len - BLOCK_HEADER_LEN > UINT32_MAX) {
        return IOT_ERR_BAD_FORMAT;
    }
#endif
    blk->job_id = get_u32(p);
    blk->offset = get_u32(p + 4);
    blk->data = p + BLOCK_HEADER_LEN;
    blk->len = (uint32_t)(len - BLOCK_HEADER_LEN);
    return IOT_OK;
}

/* Strictly in order: a block after a gap waits for the re-request, a
 * repeated one is dropped. The resume point then is one number. */
static bool block_accepted(const job_record_t *job, uint32_t written,
                           const iot_ota_agent_block_t *blk)
{
    return blk->job_id == job->job_id && blk->offset == written && written <= job->size &&
           blk->len <= job->size - written;
}

static void on_block(iot_client_t *client, const iot_message_t *msg, void *user)
{
    iot_ota_agent_t *a = user;
    outbox_t out;
    iot_ota_agent_block_t blk;
    iot_status_t st;

    (void)client;
    if (parse_block(msg->payload, msg->payload_len, &blk) != IOT_OK) {
        return;
    }
    memset(&out, 0, sizeof(out));
    iot_port_mutex_lock(&a->lock);
    /* In order after the bytes received so far (block_accepted). */
    if (a->phase != IOT_OTA_AGENT_DOWNLOADING || !block_accepted(&a->rec, a->received, &blk)) {
        iot_port_mutex_unlock(&a->lock);
        return;
    }
    st = ota_write_unsynced(a->rec.component, blk.offset, blk.data, blk.len);
    if (st != IOT_OK) {
        fail(a, IOT_OTA_REASON_STORAGE, st, &out);
        goto done;
    }
    a->received += blk.len;
    a->last_rx_ms = iot_port_time_ms();
    if (a->hash_live && psa_hash_update(&a->hash, blk.data, blk.len) != PSA_SUCCESS) {
        hash_stop(a); /* verification reads the bytes back instead */
    }
    if (a->received == a->rec.size || a->received - a->written >= checkpoint_bytes(a)) {
        /* A checkpoint: the bytes so far become durable and the resume point moves. */
        st = ota_checkpoint(a->rec.component);
        if (st != IOT_OK) {
            fail(a, IOT_OTA_REASON_STORAGE, st, &out);
            goto done;
        }
        a->written = a->received;
    }
    if (a->cfg.progress != NULL) {
        a->cfg.progress(a->phase, a->received, a->rec.size, a->cfg.progress_user);
    }
    if (a->written == a->rec.size) {
        enter_phase(a, IOT_OTA_AGENT_VERIFYING, &out);
        goto done;
    }
    {
        /* Progress reports name durable bytes, so they change at checkpoints only. */
        uint32_t pct = (uint32_t)(((uint64_t)a->written * 100u) / a->rec.size);
        if (pct >= a->reported_pct + PROGRESS_STEP_PCT) {
            a->reported_pct = pct - pct % PROGRESS_STEP_PCT;
            build_report(a, &out, IOT_QOS0);
        }
    }
    /* Slide the window: refill by half a window when half of it has arrived. */
    {
        uint32_t half = a->cfg.window / 2u;
        uint64_t ahead = (uint64_t)(a->requested_end - a->received);
        if (half == 0u) {
            half = 1u;
        }
        if (ahead <= (uint64_t)(a->cfg.window - half) * a->cfg.block_size) {
            build_request(a, &out, half);
        }
    }
done:
    iot_port_mutex_unlock(&a->lock);
    send_outbox(a, &out);
}

/* ---- the application's side ---- */

/* SHA-256 of the whole downloaded image against the job's (transfer check):
 * from the hash fed while the blocks arrived, or else read back from the slot. */
static iot_status_t check_transfer_hash(iot_ota_agent_t *a)
{
    psa_hash_operation_t op = PSA_HASH_OPERATION_INIT;
    uint8_t buf[IOT_CONFIG_OTA_AGENT_READ_CHUNK];
    uint8_t digest[32];
    size_t dlen = 0;
    uint32_t off = 0;
    iot_status_t st = IOT_OK;

    if (a->hash_live && a->received == a->rec.size) {
        a->hash_live = false;
        if (psa_hash_finish(&a->hash, digest, sizeof(digest), &dlen) != PSA_SUCCESS) {
            (void)psa_hash_abort(&a->hash);
            return IOT_ERR_CRYPTO;
        }
        return (dlen == sizeof(digest) && memcmp(digest, a->rec.sha256, 32) == 0)
                   ? IOT_OK
                   : IOT_ERR_BAD_SIGNATURE;
    }
    hash_stop(a);
    if (psa_crypto_init() != PSA_SUCCESS || psa_hash_setup(&op, PSA_ALG_SHA_256) != PSA_SUCCESS) {
        return IOT_ERR_CRYPTO;
    }
    while (off < a->rec.size && st == IOT_OK) {
        size_t n = a->rec.size - off < sizeof(buf) ? a->rec.size - off : sizeof(buf);
        st = iot_port_fw_read((iot_port_fw_component_t)a->rec.component, off, buf, n);
        if (st == IOT_OK && psa_hash_update(&op, buf, n) != PSA_SUCCESS) {
            st = IOT_ERR_CRYPTO;
        }
        off += (uint32_t)n;
    }
    if (st == IOT_OK && psa_hash_finish(&op, digest, sizeof(digest), &dlen) != PSA_SUCCESS) {
        st = IOT_ERR_CRYPTO;
    }
    (void)psa_hash_abort(&op);
    if (st == IOT_OK && (dlen != sizeof(digest) || memcmp(digest, a->rec.sha256, 32) != 0)) {
        st = IOT_ERR_BAD_SIGNATURE;
    }
    return st;
}

static void step_verify(iot_ota_agent_t *a, outbox_t *out)
{
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    iot_status_t st = check_transfer_hash(a);

    if (st != IOT_OK) {
        (void)iot_ota_abort(a->rec.component);
        fail(a, st == IOT_ERR_BAD_SIGNATURE ? IOT_OTA_REASON_HASH_MISMATCH : IOT_OTA_REASON_STORAGE,
             st, out);
        return;
    }
    st = iot_ota_finalize(a->rec.component, &reason);
    if (st != IOT_OK) {
        fail(a, reason != IOT_OTA_REASON_NONE ? reason : IOT_OTA_REASON_STORAGE, st, out);
        return;
    }
    enter_phase(a, IOT_OTA_AGENT_ACTIVATING, out);
}

static void step_activate(iot_ota_agent_t *a, outbox_t *out)
{
    /* Record REBOOTING first: after a crash the OTA state (VERIFIED or PENDING) decides. */
    iot_status_t st;

    a->phase = IOT_OTA_AGENT_REBOOTING;
    (void)record_save(a);
    st = iot_ota_activate(a->rec.component);
    if (st != IOT_OK) {
        fail(a, IOT_OTA_REASON_STORAGE, st, out);
        return;
    }
    enter_phase(a, IOT_OTA_AGENT_REBOOTING, out);
    out->reboot = true;
}

static void step_trial(iot_ota_agent_t *a, outbox_t *out)
{
    bool ok = true;
    iot_status_t st;

    if (a->cfg.self_test != NULL) {
        /* The self-test may take long; the callbacks see TESTING and ignore blocks. */
        iot_port_mutex_unlock(&a->lock);
        ok = a->cfg.self_test(a->cfg.self_test_user);
        iot_port_mutex_lock(&a->lock);
        if (a->phase != IOT_OTA_AGENT_TESTING) {
            return;
        }
    }
    if (ok) {
        st = iot_ota_confirm(a->rec.component);
        if (st != IOT_OK) {
            fail(a, IOT_OTA_REASON_STORAGE, st, out);
            return;
        }
        a->reason = IOT_OTA_REASON_NONE;
        a->error = IOT_OK;
        enter_phase(a, IOT_OTA_AGENT_SUCCEEDED, out);
        return;
    }
    st = iot_ota_reject(a->rec.component);
    fail(a, IOT_OTA_REASON_REJECTED, st, out);
    if (st == IOT_OK) {
        out->reboot = true; /* back to the previous image */
    }
}

static void do_reboot(iot_ota_agent_t *a)
{
    (void)iot_flush(a->client, REBOOT_FLUSH_MS);
    if (a->cfg.reboot != NULL) {
        a->cfg.reboot(a->cfg.reboot_user);
    } else {
        iot_status_t st = iot_port_fw_request_reboot();
        if (st != IOT_OK) {
            IOT_LOGE(MOD, "reboot request: %s", iot_status_name(st));
        }
    }
}

iot_status_t iot_ota_agent_step(iot_ota_agent_t *a)
{
    outbox_t out;
    iot_status_t result = IOT_OK;

    IOT_CHECK_ARG(a != NULL && a->used);
    memset(&out, 0, sizeof(out));
    iot_port_mutex_lock(&a->lock);
    switch (a->phase) {
    case IOT_OTA_AGENT_DOWNLOADING:
        if (iot_port_time_ms() - a->last_rx_ms >= a->cfg.request_timeout_ms) {
            IOT_LOGI(MOD, "job %lu: no block for %lu ms; asking again from %lu",
                     (unsigned long)a->rec.job_id, (unsigned long)a->cfg.request_timeout_ms,
                     (unsigned long)a->received);
            start_window(a, &out);
        }
        break;
    case IOT_OTA_AGENT_VERIFYING:
        step_verify(a, &out);
        break;
    case IOT_OTA_AGENT_ACTIVATING:
        step_activate(a, &out);
        break;
    case IOT_OTA_AGENT_TESTING:
        step_trial(a, &out);
        break;
    default:
        break;
    }
    if (a->phase == IOT_OTA_AGENT_FAILED && out.report) {
        result = a->error;
    }
    iot_port_mutex_unlock(&a->lock);
    send_outbox(a, &out);
    if (out.reboot) {
        do_reboot(a);
    }
    return result;
}

static bool device_id_valid(const char *id)
{
    size_t i;

    if (id == NULL || id[0] == '\0') {
        return false;
    }
    for (i = 0; id[i] != '\0'; i++) {
        if (id[i] == '/' || id[i] == '+' || id[i] == '#') {
            return false;
        }
    }
    return true;
}

static iot_status_t make_topic(char *buf, const char *id, const char *leaf)
{
    size_t n = iot_internal_format(buf, IOT_CONFIG_OTA_AGENT_TOPIC_MAX, "devices/%s/ota/%s", id,
                                   leaf);
    return n < IOT_CONFIG_OTA_AGENT_TOPIC_MAX ? IOT_OK : IOT_ERR_BUFFER_TOO_SMALL;
}

iot_status_t iot_ota_agent_start(iot_client_t *client, const iot_ota_agent_config_t *config,
                                 iot_ota_agent_t **agent)
{
    iot_ota_agent_t *a = NULL;
    iot_ota_info_t info;
    outbox_t out;
    size_t i;
    size_t n;
    iot_status_t st;

    IOT_CHECK_ARG(client != NULL && config != NULL && agent != NULL);
    *agent = NULL;
    IOT_CHECK_ARG(config->struct_size >= offsetof(iot_ota_agent_config_t, device_id) +
                                             sizeof(config->device_id));
    IOT_CHECK_ARG(device_id_valid(config->device_id));
    st = iot_ota_get_info(IOT_OTA_COMPONENT_NONSECURE, &info);
    if (st != IOT_OK) {
        return st == IOT_ERR_INVALID_ARG ? IOT_ERR_INTERNAL : st;
    }
    for (i = 0; i < IOT_CONFIG_OTA_AGENT_MAX; i++) {
        if (!g_agents[i].used) {
            a = &g_agents[i];
            break;
        }
    }
    if (a == NULL) {
        return IOT_ERR_NO_MEMORY;
    }
    hash_stop(a); /* an operation an earlier agent in this slot left running */
    memset(a, 0, sizeof(*a));
    n = config->struct_size < sizeof(a->cfg) ? config->struct_size : sizeof(a->cfg);
    memcpy(&a->cfg, config, n);
    a->cfg.struct_size = sizeof(a->cfg);
    if (a->cfg.block_size == 0u) {
        a->cfg.block_size = IOT_CONFIG_OTA_AGENT_BLOCK_SIZE;
    }
    if (a->cfg.window == 0u) {
        a->cfg.window = IOT_CONFIG_OTA_AGENT_WINDOW;
    }
    if (a->cfg.request_timeout_ms == 0u) {
        a->cfg.request_timeout_ms = IOT_CONFIG_OTA_AGENT_REQUEST_TIMEOUT_MS;
    }
    IOT_CHECK_ARG(a->cfg.block_size <= MQTT_MAX_REMAINING - IOT_CONFIG_OTA_AGENT_TOPIC_MAX - 16u);
    IOT_CHECK_ARG(a->cfg.window <= 1024u);
    st = make_topic(a->t_job, config->device_id, "job");
    if (st == IOT_OK) {
        st = make_topic(a->t_block, config->device_id, "block");
    }
    if (st == IOT_OK) {
        st = make_topic(a->t_req, config->device_id, "req");
    }
    if (st == IOT_OK) {
        st = make_topic(a->t_status, config->device_id, "status");
    }
    if (st != IOT_OK) {
        return st;
    }
    a->cfg.device_id = NULL; /* not kept: the topics carry it */
    st = record_load(&a->rec, &a->have_record);
    if (st != IOT_OK) {
        return st;
    }
    st = iot_port_mutex_init(&a->lock);
    if (st != IOT_OK) {
        return st;
    }
    a->client = client;
    a->used = true;

    memset(&out, 0, sizeof(out));
    if (a->have_record) {
        resume_record(a, &out);
    } else {
        a->phase = IOT_OTA_AGENT_IDLE;
        build_report(a, &out, IOT_QOS1);
    }
    /* Subscribe without the lock: a retained job may be delivered on this thread. */
    st = iot_subscribe(client, a->t_block, IOT_QOS0, on_block, a);
    if (st == IOT_OK) {
        st = iot_subscribe(client, a->t_job, IOT_QOS1, on_job, a);
    }
    if (st != IOT_OK) {
        (void)iot_unsubscribe(client, a->t_block);
        iot_port_mutex_destroy(&a->lock);
        a->used = false;
        return st;
    }
    send_outbox(a, &out);
    *agent = a;
    if (out.reboot) {
        do_reboot(a);
    }
    return IOT_OK;
}

iot_status_t iot_ota_agent_get_status(iot_ota_agent_t *a, iot_ota_agent_status_t *status)
{
    IOT_CHECK_ARG(a != NULL && a->used && status != NULL);
    iot_port_mutex_lock(&a->lock);
    status->phase = a->phase;
    status->job_id = a->have_record ? a->rec.job_id : 0u;
    status->component = a->rec.component;
    status->version = a->rec.version;
    status->written = a->written;
    status->total = a->have_record ? a->rec.size : 0u;
    status->reason = a->reason;
    status->error = a->error;
    iot_port_mutex_unlock(&a->lock);
    return IOT_OK;
}

iot_status_t iot_ota_agent_stop(iot_ota_agent_t *a)
{
    if (a == NULL || !a->used) {
        return IOT_OK;
    }
    (void)iot_unsubscribe(a->client, a->t_job);
    (void)iot_unsubscribe(a->client, a->t_block);
    iot_port_mutex_destroy(&a->lock);
    a->used = false;
    return IOT_OK;
}

/* ---- test hooks (ota_agent_internal.h): thin wrappers, not exported ---- */

iot_status_t iot_ota_agent_test_parse_job(const uint8_t *p, size_t len, iot_ota_agent_job_t *job)
{
    return parse_job(p, len, job);
}

iot_status_t iot_ota_agent_test_parse_block(const uint8_t *p, size_t len,
                                            iot_ota_agent_block_t *block)
{
    return parse_block(p, len, block);
}

bool iot_ota_agent_test_block_accepted(const iot_ota_agent_job_t *job, uint32_t written,
                                       const iot_ota_agent_block_t *block)
{
    return block_accepted(job, written, block);
}

iot_status_t iot_ota_agent_test_decode_record(const uint8_t *b, size_t len,
                                              iot_ota_agent_job_t *job)
{
    return record_decode(b, len, job);
}

void iot_ota_agent_test_encode_record(const iot_ota_agent_job_t *job,
                                      uint8_t b[IOT_OTA_AGENT_RECORD_LEN])
{
    record_encode(job, b);
}
