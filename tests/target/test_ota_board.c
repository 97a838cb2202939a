/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA updates on the board, in QEMU: src/ota over the port's firmware slots
 * (ports/common/fwu/port_fw_fwu.c) on the PSA Firmware Update API, served by
 * the RAM stand-in (fwu_ram.c), with the board boot step
 * (iot_board_ota_boot()) where a device would reboot. The images are the
 * imgtool-signed vectors of tests/ota, compiled in as C arrays; their
 * verification key is imported into the key store (in-image PSA Crypto, RAM
 * object store, INSECURE test entropy: no TRNG, no TF-M).
 *
 * Checks: the port contract on its own; a rejected and an unconfirmed trial
 * roll back; an update written in odd chunks is verified, activated, test
 * booted and confirmed; a changed payload byte (HASH_MISMATCH), a changed
 * signature byte (BAD_SIGNATURE), a trailing byte (TOO_LONG), an image
 * larger than the slot, an unexpected version and an older version
 * (DOWNGRADE) are refused and leave the running image, the counter and the
 * slot as they were; a staged image changed before the boot is dropped.
 * It prints the emulated cycles of the verification. The exit status is the
 * number of failed checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/status.h>

#include <psa/crypto.h>

#include "cortex_m.h"
#include "iot_board_ota.h"
#include "iot_fwu.h"
#include "target_check.h"

/* Generated from tests/ota by bin2c.cmake. */
extern const uint8_t g_img_v123[];   /* imgtool-1.2.3+4-sc7.bin */
extern const size_t g_img_v123_len;
extern const uint8_t g_img_v200[];   /* imgtool-2.0.0.bin */
extern const size_t g_img_v200_len;
extern const uint8_t g_signer_pem[]; /* test-key-p256.pub.pem */
extern const size_t g_signer_pem_len;

#define C IOT_OTA_COMPONENT_NONSECURE
#define PC ((iot_port_fw_component_t)IOT_OTA_COMPONENT_NONSECURE)

/* Data Watchpoint and Trace unit (Armv8-M ARM, C1.8) and DEMCR. */
#define DEMCR IOT_CM_REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL IOT_CM_REG(0xE0001000u)
#define DWT_CYCCNT IOT_CM_REG(0xE0001004u)

static uint8_t g_buf[8192];

static int same_version(const iot_ota_version_t *v, unsigned major, unsigned minor,
                        unsigned revision)
{
    return v->major == major && v->minor == minor && v->revision == revision;
}

static void print_info(const char *when)
{
    iot_ota_info_t info;

    if (iot_ota_get_info(C, &info) != IOT_OK) {
        printf("     %s: no info\n", when);
        return;
    }
    printf("     %s: state %d, running %u.%u.%u, pending %u.%u.%u, written %lu/%lu, counter %lu, "
           "last failure %s\n",
           when, (int)info.state, (unsigned)info.running.major, (unsigned)info.running.minor,
           (unsigned)info.running.revision, (unsigned)info.pending.major,
           (unsigned)info.pending.minor, (unsigned)info.pending.revision,
           (unsigned long)info.written, (unsigned long)info.total_size,
           (unsigned long)info.security_counter, iot_ota_reason_name(info.last_failure));
}

/* Writes img[0..len) in chunks of odd sizes, some larger than
 * PSA_FWU_MAX_WRITE_SIZE; checks the resume point after each one. */
static iot_status_t write_chunks(const uint8_t *img, size_t len)
{
    static const size_t sizes[] = { 1u, 7u, 13u, 251u, 509u, 1021u, 2039u, 3u };
    size_t off = 0;
    size_t i = 0;
    int progress_ok = 1;

    while (off < len) {
        size_t n = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
        iot_ota_info_t info;
        iot_status_t st;

        i++;
        if (n > len - off) {
            n = len - off;
        }
        st = iot_ota_write(C, (uint32_t)off, img + off, n);
        if (st != IOT_OK) {
            return st;
        }
        off += n;
        if (iot_ota_get_info(C, &info) != IOT_OK || info.written != off) {
            progress_ok = 0;
        }
    }
    check("resume point follows every chunk", progress_ok);
    return IOT_OK;
}

/* begin + odd chunks; returns what finalize returned, the reason, and the
 * emulated cycles finalize took. */
static iot_status_t download(const uint8_t *img, size_t len, uint32_t total,
                             const iot_ota_version_t *expected, iot_ota_reason_t *reason,
                             uint64_t *cycles)
{
    iot_status_t st = iot_ota_begin(C, total, expected);
    uint64_t t0;

    *reason = IOT_OTA_REASON_NONE;
    if (st == IOT_OK) {
        st = write_chunks(img, len);
    }
    if (st != IOT_OK) {
        return st;
    }
    t0 = cycles_now();
    st = iot_ota_finalize(C, reason);
    if (cycles != NULL) {
        *cycles = cycles_now() - t0;
    }
    return st;
}

/* Offset of the ECDSA signature TLV's value (0 when not found). */
static size_t signature_offset(const uint8_t *img, size_t len, size_t *sig_len)
{
    uint32_t hdr = (uint32_t)img[8] | ((uint32_t)img[9] << 8);
    uint32_t prot = (uint32_t)img[10] | ((uint32_t)img[11] << 8);
    uint32_t body = (uint32_t)img[12] | ((uint32_t)img[13] << 8) | ((uint32_t)img[14] << 16) |
                    ((uint32_t)img[15] << 24);
    size_t at = (size_t)hdr + body + prot + 4u; /* first entry of the unprotected area */

    while (at + 4u <= len) {
        unsigned type = (unsigned)img[at] | ((unsigned)img[at + 1] << 8);
        size_t n = (size_t)img[at + 2] | ((size_t)img[at + 3] << 8);

        if (type == 0x22u && at + 4u + n <= len) {
            *sig_len = n;
            return at + 4u;
        }
        at += 4u + n;
    }
    return 0;
}

/* The running image, counter and slot are what they were before a refusal. */
static void check_intact(const char *what, unsigned major, iot_ota_reason_t reason)
{
    iot_ota_info_t info;
    iot_port_fw_info_t slot;
    char line[128];

    (void)snprintf(line, sizeof(line), "%s: FAILED (%s), still running %u.x, counter 0, slot READY",
                   what, iot_ota_reason_name(reason), major);
    check(line, iot_ota_get_info(C, &info) == IOT_OK && info.state == IOT_OTA_STATE_FAILED &&
                    info.last_failure == reason && info.running.major == major &&
                    info.security_counter == 0u && iot_port_fw_query(PC, &slot) == IOT_OK &&
                    slot.state == IOT_PORT_FW_READY);
}

static void port_contract(void)
{
    iot_port_fw_info_t slot;
    uint32_t size = 0;
    size_t i;
    int same;

    expect("query: unknown component", iot_port_fw_query(2, &slot), IOT_ERR_NOT_FOUND);
    expect("query: NULL info", iot_port_fw_query(0, NULL), IOT_ERR_INVALID_ARG);
    expect("query component 0", iot_port_fw_query(0, &slot), IOT_OK);
    printf("     slot size %lu bytes\n", (unsigned long)slot.slot_size);
    check("component 0 READY, slot of at least 512 KiB",
          slot.state == IOT_PORT_FW_READY && slot.slot_size >= 512u * 1024u);
    expect("write while READY", iot_port_fw_write(0, 0, g_buf, 1), IOT_ERR_BAD_STATE);
    expect("read_active without an active image", iot_port_fw_read_active(0, 0, g_buf, 4, &size),
           IOT_ERR_NOT_FOUND);
    expect("accept while READY", iot_port_fw_accept(0), IOT_ERR_BAD_STATE);
    expect("reject while READY", iot_port_fw_reject(0), IOT_ERR_BAD_STATE);
    expect("install while READY", iot_port_fw_install(0), IOT_ERR_BAD_STATE);
    expect("cancel while READY", iot_port_fw_cancel(0), IOT_OK);
    expect("request_reboot (no reboot without losing RAM)", iot_port_fw_request_reboot(),
           IOT_ERR_NOT_SUPPORTED);

    expect("start", iot_port_fw_start(0), IOT_OK);
    expect("start again", iot_port_fw_start(0), IOT_ERR_BAD_STATE);
    expect("write nothing", iot_port_fw_write(0, 0, NULL, 0), IOT_OK);
    expect("write NULL", iot_port_fw_write(0, 0, NULL, 1), IOT_ERR_INVALID_ARG);
    expect("write past the slot", iot_port_fw_write(0, slot.slot_size - 1u, g_buf, 2),
           IOT_ERR_STORAGE_FULL);
    for (i = 0; i < 3000u; i++) {
        g_buf[i] = (uint8_t)(i * 7u + 1u);
    }
    /* 3000 bytes: split into blocks of PSA_FWU_MAX_WRITE_SIZE by the port. */
    expect("write 3000 bytes at 100", iot_port_fw_write(0, 100, g_buf, 3000), IOT_OK);
    expect("query", iot_port_fw_query(0, &slot), IOT_OK);
    check("WRITING, resume point 0 (a gap before offset 100)",
          slot.state == IOT_PORT_FW_WRITING && slot.written == 0u);
    expect("write the first 100 bytes", iot_port_fw_write(0, 0, g_buf + 4000, 100), IOT_OK);
    expect("query", iot_port_fw_query(0, &slot), IOT_OK);
    check("resume point 100 (the later bytes are not counted: the write did not start at it)",
          slot.written == 100u);
    expect("read back", iot_port_fw_read(0, 100, g_buf + 4096, 3000), IOT_OK);
    same = memcmp(g_buf, g_buf + 4096, 3000) == 0;
    check("read back equals what was written", same);
    expect("read outside the slot", iot_port_fw_read(0, slot.slot_size, g_buf, 1),
           IOT_ERR_INVALID_ARG);
    expect("install while WRITING", iot_port_fw_install(0), IOT_ERR_BAD_STATE);
    expect("finish", iot_port_fw_finish(0), IOT_OK);
    expect("finish again", iot_port_fw_finish(0), IOT_ERR_BAD_STATE);
    expect("write after finish", iot_port_fw_write(0, 0, g_buf, 1), IOT_ERR_BAD_STATE);
    expect("cancel the candidate", iot_port_fw_cancel(0), IOT_OK);
    expect("query", iot_port_fw_query(0, &slot), IOT_OK);
    check("READY, nothing written", slot.state == IOT_PORT_FW_READY && slot.written == 0u);
}

static void measure(void)
{
    uint8_t hash[32];
    size_t hash_len = 0;
    uint32_t c0;
    uint64_t t0;
    uint64_t dt;

    /* QEMU 7.2 does not model the DWT: its registers read as zero. */
    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;
    c0 = DWT_CYCCNT;
    printf("     DWT CYCCNT %s (read %lu, then %lu)\n",
           (DWT_CYCCNT != c0) ? "counts" : "does not count: cycles from SysTick",
           (unsigned long)c0, (unsigned long)DWT_CYCCNT);

    t0 = cycles_now();
    (void)psa_hash_compute(PSA_ALG_SHA_256, g_img_v200, g_img_v200_len, hash, sizeof(hash),
                           &hash_len);
    dt = cycles_now() - t0;
    printf("CYCLES sha256 of %lu bytes: %lu\n", (unsigned long)g_img_v200_len,
           (unsigned long)dt);
}

int main(void)
{
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    iot_ota_config_t cfg;
    iot_ota_info_t info;
    iot_port_fw_info_t slot;
    iot_board_boot_result_t boot = IOT_BOARD_BOOT_NONE;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    iot_ota_version_t want;
    uint64_t cycles = 0;
    uint64_t t0;
    size_t sig_at;
    size_t sig_len = 0;

    printf("OTA on %s, images %lu and %lu bytes\n", IOT_BOARD_NAME,
           (unsigned long)g_img_v123_len, (unsigned long)g_img_v200_len);
    port_contract();

    /* Provision the verification key into the key store. */
    memset(&cfg, 0, sizeof(cfg));
    expect("key store init", iot_keystore_init(), IOT_OK);
    o.label = "ota-signer";
    o.usage = IOT_KEY_USAGE_VERIFY;
    expect("import the signer's public key",
           iot_key_import_public(g_signer_pem, g_signer_pem_len, &o, &cfg.keys[0]), IOT_OK);
    cfg.key_count = 1;
    expect("ota init", iot_ota_init(&cfg), IOT_OK);
    expect("get info", iot_ota_get_info(C, &info), IOT_OK);
    check("IDLE, nothing running yet (no image in the active area)",
          info.state == IOT_OTA_STATE_IDLE && same_version(&info.running, 0, 0, 0));
    measure();

    /* 1. 1.2.3+4 on trial, rejected: the previous state comes back. */
    want.major = 1;
    want.minor = 2;
    want.revision = 3;
    want.build = 4;
    expect("1.2.3: download and verify",
           download(g_img_v123, g_img_v123_len, (uint32_t)g_img_v123_len, &want, &reason, NULL),
           IOT_OK);
    expect("1.2.3: activate", iot_ota_activate(C), IOT_OK);
    expect("1.2.3: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("1.2.3: PENDING", info.state == IOT_OTA_STATE_PENDING &&
                                same_version(&info.pending, 1, 2, 3));
    expect("1.2.3: request reboot", iot_port_fw_request_reboot(), IOT_ERR_NOT_SUPPORTED);
    expect("1.2.3: boot step", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    check("1.2.3: on trial", boot == IOT_BOARD_BOOT_TRIAL);
    expect("1.2.3: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("1.2.3: TRIAL, running 1.2.3",
          info.state == IOT_OTA_STATE_TRIAL && same_version(&info.running, 1, 2, 3));
    expect("1.2.3: reject", iot_ota_reject(C), IOT_OK);
    expect("1.2.3: query slot", iot_port_fw_query(PC, &slot), IOT_OK);
    check("1.2.3: slot REJECTED until the boot", slot.state == IOT_PORT_FW_REJECTED);
    expect("1.2.3: boot step after reject", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    check("1.2.3: reverted", boot == IOT_BOARD_BOOT_REVERTED);
    expect("1.2.3: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("1.2.3: FAILED (REJECTED), nothing running again, counter 0",
          info.state == IOT_OTA_STATE_FAILED && info.last_failure == IOT_OTA_REASON_REJECTED &&
              same_version(&info.running, 0, 0, 0) && info.security_counter == 0u);
    print_info("after reject");

    /* 2. 1.2.3+4 on trial, not confirmed before the next boot: reverted. */
    expect("1.2.3 again: download and verify",
           download(g_img_v123, g_img_v123_len, (uint32_t)g_img_v123_len, NULL, &reason, NULL),
           IOT_OK);
    expect("1.2.3 again: activate", iot_ota_activate(C), IOT_OK);
    expect("1.2.3 again: boot step", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    check("1.2.3 again: on trial", boot == IOT_BOARD_BOOT_TRIAL);
    expect("1.2.3 again: boot step without confirm", iot_board_ota_boot(PC, &boot, &reason),
           IOT_OK);
    check("1.2.3 again: reverted", boot == IOT_BOARD_BOOT_REVERTED);
    expect("1.2.3 again: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("1.2.3 again: FAILED (REVERTED), nothing running, counter 0",
          info.state == IOT_OTA_STATE_FAILED && info.last_failure == IOT_OTA_REASON_REVERTED &&
              same_version(&info.running, 0, 0, 0) && info.security_counter == 0u);

    /* 3. 2.0.0: the full update, confirmed. */
    want.major = 2;
    want.minor = 0;
    want.revision = 0;
    want.build = 0;
    expect("2.0.0: download and verify",
           download(g_img_v200, g_img_v200_len, (uint32_t)g_img_v200_len, &want, &reason,
                    &cycles),
           IOT_OK);
    printf("CYCLES finalize (verify) of %lu bytes: %lu\n", (unsigned long)g_img_v200_len,
           (unsigned long)cycles);
    expect("2.0.0: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("2.0.0: VERIFIED", info.state == IOT_OTA_STATE_VERIFIED &&
                                 same_version(&info.pending, 2, 0, 0));
    expect("2.0.0: activate", iot_ota_activate(C), IOT_OK);
    t0 = cycles_now();
    expect("2.0.0: boot step", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    cycles = cycles_now() - t0;
    printf("CYCLES boot step (verify again, swap) of %lu bytes: %lu\n",
           (unsigned long)g_img_v200_len, (unsigned long)cycles);
    check("2.0.0: on trial", boot == IOT_BOARD_BOOT_TRIAL && reason == IOT_OTA_REASON_NONE);
    expect("2.0.0: confirm", iot_ota_confirm(C), IOT_OK);
    expect("2.0.0: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("2.0.0: IDLE, running 2.0.0, counter 0",
          info.state == IOT_OTA_STATE_IDLE && same_version(&info.running, 2, 0, 0) &&
              info.security_counter == 0u && info.last_failure == IOT_OTA_REASON_NONE);
    expect("2.0.0: boot step after confirm", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    check("2.0.0: nothing to do", boot == IOT_BOARD_BOOT_NONE);
    expect("2.0.0: confirm again", iot_ota_confirm(C), IOT_ERR_BAD_STATE);
    print_info("after confirm");

    /* 4. Refusals: the running image, counter and slot stay as they are. */
    memcpy(g_buf, g_img_v200, g_img_v200_len);
    g_buf[0x400 + 1234] ^= 0x01u; /* a payload byte */
    expect("changed payload byte",
           download(g_buf, g_img_v200_len, (uint32_t)g_img_v200_len, NULL, &reason, NULL),
           IOT_ERR_BAD_SIGNATURE);
    check_intact("changed payload byte", 2, IOT_OTA_REASON_HASH_MISMATCH);

    memcpy(g_buf, g_img_v200, g_img_v200_len);
    sig_at = signature_offset(g_buf, g_img_v200_len, &sig_len);
    check("signature TLV found", sig_at != 0u && sig_len >= 8u);
    if (sig_at != 0u) {
        g_buf[sig_at + sig_len - 1u] ^= 0x01u; /* last byte of s */
    }
    expect("changed signature byte",
           download(g_buf, g_img_v200_len, (uint32_t)g_img_v200_len, NULL, &reason, NULL),
           IOT_ERR_BAD_SIGNATURE);
    check_intact("changed signature byte", 2, IOT_OTA_REASON_BAD_SIGNATURE);

    memcpy(g_buf, g_img_v200, g_img_v200_len);
    g_buf[g_img_v200_len] = 0xFFu;
    expect("one byte too many",
           download(g_buf, g_img_v200_len + 1u, (uint32_t)g_img_v200_len + 1u, NULL, &reason,
                    NULL),
           IOT_ERR_BAD_FORMAT);
    check_intact("one byte too many", 2, IOT_OTA_REASON_TOO_LONG);

    expect("get info", iot_ota_get_info(C, &info), IOT_OK);
    expect("larger than the slot", iot_ota_begin(C, info.slot_size + 1u, NULL),
           IOT_ERR_STORAGE_FULL);
    check_intact("larger than the slot (nothing changed)", 2, IOT_OTA_REASON_TOO_LONG);
    expect("write past the announced size: begin", iot_ota_begin(C, 100u, NULL), IOT_OK);
    expect("write past the announced size", iot_ota_write(C, 90u, g_img_v200, 11u),
           IOT_ERR_INVALID_ARG);
    expect("abort", iot_ota_abort(C), IOT_OK);

    want.revision = 1; /* expects 2.0.1, gets 2.0.0 */
    expect("unexpected version",
           download(g_img_v200, g_img_v200_len, (uint32_t)g_img_v200_len, &want, &reason, NULL),
           IOT_ERR_BAD_FORMAT);
    check_intact("unexpected version", 2, IOT_OTA_REASON_VERSION_MISMATCH);

    expect("older version (1.2.3 while 2.0.0 runs)",
           download(g_img_v123, g_img_v123_len, (uint32_t)g_img_v123_len, NULL, &reason, NULL),
           IOT_ERR_NOT_PERMITTED);
    check_intact("older version", 2, IOT_OTA_REASON_DOWNGRADE);

    /* 5. A staged image changed before the boot is dropped at the boot. */
    expect("2.0.0 again: download and verify",
           download(g_img_v200, g_img_v200_len, (uint32_t)g_img_v200_len, NULL, &reason, NULL),
           IOT_OK);
    expect("2.0.0 again: activate", iot_ota_activate(C), IOT_OK);
    {
        psa_fwu_component_info_t fwu;

        expect("PSA query", psa_fwu_query((psa_fwu_component_t)PC, &fwu) == PSA_SUCCESS
                                ? IOT_OK : IOT_ERR_IO, IOT_OK);
        check("PSA state STAGED, volatile staging",
              fwu.state == PSA_FWU_STAGED && (fwu.flags & PSA_FWU_FLAG_VOLATILE_STAGING) != 0u);
        /* RAM without isolation: anything in the image can write the area. */
        ((volatile uint8_t *)(uintptr_t)fwu.impl.second_location)[0x400 + 10] ^= 0x80u;
    }
    expect("tampered staged image: boot step", iot_board_ota_boot(PC, &boot, &reason), IOT_OK);
    check("tampered staged image: dropped (HASH_MISMATCH), no trial",
          boot == IOT_BOARD_BOOT_NONE && reason == IOT_OTA_REASON_HASH_MISMATCH);
    check_intact("tampered staged image", 2, IOT_OTA_REASON_HASH_MISMATCH);

    /* 6. Two candidates: the port installs one component at a time. */
    expect("component 0: start", iot_port_fw_start(0), IOT_OK);
    expect("component 0: write", iot_port_fw_write(0, 0, g_img_v200, 64), IOT_OK);
    expect("component 0: finish", iot_port_fw_finish(0), IOT_OK);
    expect("component 1: download and verify",
           download(g_img_v200, g_img_v200_len, (uint32_t)g_img_v200_len, NULL, &reason, NULL),
           IOT_OK);
    expect("component 1: activate while component 0 is a candidate too", iot_ota_activate(C),
           IOT_ERR_BAD_STATE);
    expect("component 0: cancel", iot_port_fw_cancel(0), IOT_OK);
    expect("component 1: activate", iot_ota_activate(C), IOT_OK);
    expect("component 1: reject the pending image", iot_ota_reject(C), IOT_OK);
    expect("component 1: query slot", iot_port_fw_query(PC, &slot), IOT_OK);
    check("component 1: slot READY, nothing to revert", slot.state == IOT_PORT_FW_READY);
    expect("component 1: get info", iot_ota_get_info(C, &info), IOT_OK);
    check("component 1: still running 2.0.0, FAILED (REJECTED)",
          same_version(&info.running, 2, 0, 0) && info.state == IOT_OTA_STATE_FAILED &&
              info.last_failure == IOT_OTA_REASON_REJECTED);

    iot_keystore_deinit();
    printf("ota board checks: %u failed\n", g_failures);
    return (int)g_failures;
}
