/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA sample for the boards: the device side of an update over MQTT
 * (doc/ota-protocol.md), with the OTA agent, on the firmware slots of the
 * board port (PSA Firmware Update API; RAM stand-in without TF-M, see
 * doc/boards.md).
 *
 *   1. Factory programming: the factory image (1.0.0, signed, compiled in)
 *      is written into the component's active image area, as a programmer
 *      would before the first boot.
 *   2. Boot: the verification key goes into the key store, the OTA module
 *      starts and the board boot step runs (nothing to do on a fresh device).
 *   3. The network comes up (DHCP), the device connects to the broker
 *      (TLS-PSK) and starts the OTA agent for its device id.
 *   4. A job arrives (iot-ota-serve on the broker): the agent downloads the
 *      image block by block into the staging area, checks the transfer hash,
 *      verifies it (iot_ota_finalize(): hash, signature, version, counter)
 *      and activates it (pending).
 *   5. The agent asks for a reboot; the reboot hook flags it and the main
 *      loop stops the agent, disconnects and asks the firmware-update
 *      service to reboot (iot_port_fw_request_reboot()).
 *      - Semihost storage (IOT_BOARD_STORAGE=semihost, or the
 *        ota_device_flash_insecure_test image): images, state and keys are
 *        in the emulator's flash file, so the run ends there with exit
 *        status 4 ("reboot requested", IOT_BOARD_EXIT_REBOOT) and the
 *        harness starts the emulator again on the same file: step 1 finds
 *        the board programmed, the key is in the key store, and the boot
 *        step (verify again, the new image on trial) runs at start-up.
 *      - RAM storage (the default): a reset would lose the image areas, so
 *        the service refuses and the main loop does what a reboot does: it
 *        runs the board boot step, connects again and starts the agent
 *        again, which takes up the job from the OTA state.
 *   6. The self-test (the device is connected to the broker again) passes,
 *      the agent confirms the image and reports success.
 *
 * The exit status is the verdict (semihosting exit under an emulator):
 * 0 when the job succeeded and 2.x runs (or, after a restart, the job had
 * already finished), 3 when the job failed (the device keeps the image it
 * had), 1 on a set-up error, 2 when no job finished in OTA_JOB_TIMEOUT_MS,
 * 4 when the run ended on a reboot request (semihost storage).
 *
 * Settings (compile definitions from samples/ota/CMakeLists.txt): OTA_HOST
 * (numeric IPv4), OTA_PORT, OTA_DEVICE_ID, OTA_BLOCK_SIZE, OTA_WINDOW,
 * OTA_JOB_TIMEOUT_MS, OTA_CREDENTIALS_HEADER (defines TELEMETRY_PSK_IDENTITY
 * and TELEMETRY_PSK_HEX: the board samples share the test credentials the
 * build generates). The factory image and the verification key are C arrays
 * generated at build time (g_ota_factory_image, g_ota_verify_key_pem).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/ota_agent.h>
#include <corstone_iot/port.h>
#include <corstone_iot/tls.h>

#include "board.h"
#include "iot_board_ota.h"
#include "iot_fwu.h"
#include "sample_hex.h"
#ifdef OTA_BOARD_FLASH_OPS
#include "iot_flash.h" /* iot_flash_op_count(): semihosting calls per block */
#endif

#ifdef OTA_CREDENTIALS_HEADER
#include OTA_CREDENTIALS_HEADER
#endif

#ifndef OTA_HOST
#define OTA_HOST "10.0.2.100"
#endif
#ifndef OTA_PORT
#define OTA_PORT 8883
#endif
#ifndef OTA_DEVICE_ID
#define OTA_DEVICE_ID "device-1"
#endif
#ifndef OTA_BLOCK_SIZE
#define OTA_BLOCK_SIZE 1024
#endif
#ifndef OTA_WINDOW
#define OTA_WINDOW 2
#endif
#ifndef OTA_JOB_TIMEOUT_MS
#define OTA_JOB_TIMEOUT_MS 600000u
#endif

/* The broker sends each block message in one TLS record, and the board's
 * Mbed TLS takes records of at most 4 KiB of plaintext
 * (MBEDTLS_SSL_IN_CONTENT_LEN, ports/common/mbedtls/iot_mbedtls_config.h):
 * a larger message ends the connection (record too long) at every attempt. */
#if OTA_BLOCK_SIZE + 256 > 4096
#error "OTA_BLOCK_SIZE: a block message must fit one 4 KiB TLS record"
#endif

/* Generated at build time (samples/ota/CMakeLists.txt, bin2c.cmake). */
extern const uint8_t g_ota_factory_image[]; /* the factory image, signed (1.0.0) */
extern const size_t g_ota_factory_image_len;
extern const uint8_t g_ota_verify_key_pem[]; /* the public key that signs images */
extern const size_t g_ota_verify_key_pem_len;

#define COMPONENT IOT_OTA_COMPONENT_NONSECURE
#define PORT_COMPONENT ((iot_port_fw_component_t)IOT_OTA_COMPONENT_NONSECURE)

/* A block message holds the block, its topic and the MQTT and protocol
 * headers: blocks too large for the client's receive buffer need a larger
 * one, lent at connect. */
#define OTA_RX_NEEDED (OTA_BLOCK_SIZE + 256)
#if OTA_RX_NEEDED > IOT_CONFIG_MQTT_RX_BUFFER_SIZE
static uint8_t g_rx[OTA_RX_NEEDED];
#endif
static iot_client_t *g_client;
static bool g_reboot;
static uint32_t g_t_download;  /* first block requested (ms) */
static uint32_t g_t_verify;    /* every byte written (ms) */
static uint32_t g_t_activate;  /* verified (ms) */
static uint32_t g_from;        /* where this run's download started (resume point) */
#ifdef OTA_BOARD_FLASH_OPS
static uint32_t g_ops_download; /* flash-file calls when the download (re)started */
static uint32_t g_ops_verify;   /* ... and when every byte was written */
#endif

/* TLS-PSK settings; 0 when the credentials are missing. */
static int set_credentials(iot_tls_config_t *tls)
{
#if defined(TELEMETRY_PSK_IDENTITY) && defined(TELEMETRY_PSK_HEX)
    static uint8_t psk[32];

    return sample_set_psk(tls, TELEMETRY_PSK_IDENTITY, TELEMETRY_PSK_HEX, psk, sizeof(psk));
#else
    (void)tls;
    return 0;
#endif
}

static int fail(const char *what, iot_status_t st)
{
    printf("ota: %s: %s (%s)\n", what, iot_status_name(st), iot_strerror(st));
    return 1;
}

/*
 * Factory programming: the factory image becomes the component's active
 * image, through the firmware-update service, as a programmer writes it
 * before the device first boots (start, write, finish, install, the boot
 * loader's install at the next boot, accept). A device with TF-M and
 * MCUboot would get it by flashing; the RAM stand-in starts empty at every
 * reset.
 */
static iot_status_t factory_program(void)
{
    const psa_fwu_component_t c = (psa_fwu_component_t)COMPONENT;
    psa_fwu_component_info_t info;
    size_t off = 0;

    psa_status_t ps = psa_fwu_query(c, &info);

    if (ps != PSA_SUCCESS) {
        printf("ota: firmware-update service: error %ld%s\n", (long)ps,
               ps == PSA_ERROR_DATA_CORRUPT ? " (stored state damaged)" : "");
        return IOT_ERR_IO;
    }
    printf("ota: storage: %s\n", (info.flags & PSA_FWU_FLAG_VOLATILE_STAGING) != 0u
                                     ? "RAM (not persistent)"
                                     : "semihost flash file (persistent, NO ISOLATION, emulator only)");
    if (info.state != PSA_FWU_READY || info.version.major != 0u || info.version.minor != 0u ||
        info.version.patch != 0u) {
        printf("ota: FACTORY already programmed (active %u.%u.%u)\n", (unsigned)info.version.major,
               (unsigned)info.version.minor, (unsigned)info.version.patch);
        return IOT_OK;
    }
    printf("ota: FACTORY programming 1.0.0 (%lu bytes)\n", (unsigned long)g_ota_factory_image_len);
    if (psa_fwu_start(c, NULL, 0) != PSA_SUCCESS) {
        return IOT_ERR_IO;
    }
    while (off < g_ota_factory_image_len) {
        size_t n = g_ota_factory_image_len - off;

        if (n > PSA_FWU_MAX_WRITE_SIZE) {
            n = PSA_FWU_MAX_WRITE_SIZE;
        }
        if (psa_fwu_write(c, off, g_ota_factory_image + off, n) != PSA_SUCCESS) {
            (void)psa_fwu_cancel(c);
            (void)psa_fwu_clean(c);
            return IOT_ERR_IO;
        }
        off += n;
    }
    if (psa_fwu_finish(c) != PSA_SUCCESS || psa_fwu_install() != PSA_SUCCESS_REBOOT ||
        iot_fwu_boot_transition() != PSA_SUCCESS || psa_fwu_accept() != PSA_SUCCESS ||
        psa_fwu_clean(c) != PSA_SUCCESS) {
        return IOT_ERR_IO;
    }
    return IOT_OK;
}

/* Key store with the verification key, then the OTA module. */
static iot_status_t start_ota(void)
{
    iot_key_options_t ko = IOT_KEY_OPTIONS_INIT;
    iot_ota_config_t cfg;
    iot_status_t st = iot_keystore_init();

    if (st != IOT_OK) {
        return st;
    }
    memset(&cfg, 0, sizeof(cfg));
    ko.label = "ota-verify";
    ko.usage = IOT_KEY_USAGE_VERIFY;
    st = iot_key_import_public(g_ota_verify_key_pem, g_ota_verify_key_pem_len, &ko, &cfg.keys[0]);
    if (st == IOT_ERR_ALREADY_EXISTS) {
        /* A persistent key store kept it from an earlier boot. */
        st = iot_keystore_find(IOT_OBJ_PUBLIC_KEY, ko.label, &cfg.keys[0]);
        if (st != IOT_OK) {
            return st;
        }
        printf("ota: KEY ota-verify found in the key store\n");
    } else if (st != IOT_OK) {
        return st;
    } else {
        printf("ota: KEY ota-verify imported\n");
    }
    cfg.key_count = 1;
    return iot_ota_init(&cfg);
}

/* "ota: <what>; RUNNING <version> ...": the version the OTA module reads from the active image. */
static void print_running(const char *what)
{
    iot_ota_info_t info;

    if (iot_ota_get_info(COMPONENT, &info) != IOT_OK) {
        printf("ota: %s; no OTA information\n", what);
        return;
    }
    printf("ota: %s; RUNNING %u.%u.%u+%lu (last failure %s)\n", what,
           (unsigned)info.running.major, (unsigned)info.running.minor,
           (unsigned)info.running.revision, (unsigned long)info.running.build,
           iot_ota_reason_name(info.last_failure));
}

/* The board boot step, where the device would reboot. */
static iot_status_t boot_step(void)
{
    iot_board_boot_result_t boot = IOT_BOARD_BOOT_NONE;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    uint32_t t0 = iot_port_time_ms();
    iot_status_t st = iot_board_ota_boot(PORT_COMPONENT, &boot, &reason);

    if (st != IOT_OK) {
        return st;
    }
    if (reason != IOT_OTA_REASON_NONE) {
        printf("ota: boot step refused the staged image (%s)\n", iot_ota_reason_name(reason));
    }
    printf("ota: boot step took %lu ms\n", (unsigned long)(iot_port_time_ms() - t0));
    print_running(boot == IOT_BOARD_BOOT_TRIAL      ? "BOOT trial"
                  : boot == IOT_BOARD_BOOT_REVERTED ? "BOOT reverted"
                                                    : "BOOT normal");
    return IOT_OK;
}

static void on_event(iot_client_t *client, iot_event_t event, iot_status_t status, void *user)
{
    (void)client;
    (void)user;
    if (event == IOT_EVENT_DISCONNECTED) {
        printf("ota: connection lost (%s)\n", iot_status_name(status));
    } else if (event == IOT_EVENT_MESSAGE_DROPPED) {
        printf("ota: a message was larger than the receive buffer\n");
    } else {
        /* connected, reconnect attempts: the log says it */
    }
}

static void on_progress(iot_ota_agent_phase_t phase, uint32_t written, uint32_t total, void *user)
{
    static iot_ota_agent_phase_t last = IOT_OTA_AGENT_IDLE;
    static uint32_t next_mark;
    uint32_t now = iot_port_time_ms();

    (void)user;
    if (phase == IOT_OTA_AGENT_DOWNLOADING && written >= next_mark) {
        /* Every 16 KiB: the power-cut test kills the emulator after one. */
        if (next_mark != 0u) {
            printf("ota: PROGRESS %lu/%lu\n", (unsigned long)written, (unsigned long)total);
        }
        next_mark = (written / 16384u + 1u) * 16384u;
    }
    if (phase == last) {
        return; /* one line per phase, not per block */
    }
    last = phase;
    if (phase == IOT_OTA_AGENT_DOWNLOADING) {
        g_t_download = now;
        g_from = written;
#ifdef OTA_BOARD_FLASH_OPS
        g_ops_download = iot_flash_op_count();
#endif
    } else if (phase == IOT_OTA_AGENT_VERIFYING) {
        g_t_verify = now;
#ifdef OTA_BOARD_FLASH_OPS
        g_ops_verify = iot_flash_op_count();
#endif
    } else if (phase == IOT_OTA_AGENT_ACTIVATING) {
        g_t_activate = now;
    } else {
        /* no time stamp */
    }
    printf("ota: PHASE %s %lu/%lu at %lu ms\n", iot_ota_agent_phase_name(phase),
           (unsigned long)written, (unsigned long)total, (unsigned long)now);
}

/* The self-test of the image on trial: it reached the broker again. */
static bool self_test(void *user)
{
    bool ok = g_client != NULL && iot_is_connected(g_client);

    (void)user;
    printf("ota: self-test: %s\n", ok ? "connected to the broker" : "not connected");
    return ok;
}

/* The reboot hook: the main loop does the rest (see the top of the file). */
static void reboot(void *user)
{
    (void)user;
    printf("ota: reboot requested\n");
    g_reboot = true;
}

static iot_status_t connect_broker(const iot_tls_config_t *tls)
{
    iot_connect_options_t co = IOT_CONNECT_OPTIONS_INIT;

    co.host = OTA_HOST;
    co.port = OTA_PORT;
    co.client_id = OTA_DEVICE_ID;
    co.tls = tls;
    co.keep_alive_s = 30;
#if OTA_RX_NEEDED > IOT_CONFIG_MQTT_RX_BUFFER_SIZE
    co.rx_buffer = g_rx;
    co.rx_buffer_size = sizeof(g_rx);
#endif
    co.backoff_base_ms = 200;
    co.backoff_max_ms = 2000;
    co.on_event = on_event;
    return iot_connect(&co, &g_client);
}

static iot_status_t start_agent(iot_ota_agent_t **agent)
{
    iot_ota_agent_config_t ac = IOT_OTA_AGENT_CONFIG_INIT;

    ac.device_id = OTA_DEVICE_ID;
    ac.block_size = OTA_BLOCK_SIZE;
    ac.window = OTA_WINDOW;
    ac.self_test = self_test;
    ac.reboot = reboot;
    ac.progress = on_progress;
    return iot_ota_agent_start(g_client, &ac, agent);
}

static void print_figures(const iot_ota_agent_status_t *as)
{
    static bool printed;

    if (printed) {
        return;
    }
    printed = true;
    if (g_t_download != 0u && g_t_verify > g_t_download && as->total > g_from) {
        uint32_t ms = g_t_verify - g_t_download;
        uint32_t bytes = as->total - g_from; /* this run's part after a resume */

        printf("ota: DOWNLOAD %lu bytes in %lu ms (%lu bytes/s), blocks of %u, window %u\n",
               (unsigned long)bytes, (unsigned long)ms,
               (unsigned long)(((uint64_t)bytes * 1000u) / ms), (unsigned)OTA_BLOCK_SIZE,
               (unsigned)OTA_WINDOW);
    }
#ifdef OTA_BOARD_FLASH_OPS
    if (g_ops_verify > g_ops_download && as->total > g_from) {
        uint32_t blocks = (as->total - g_from + OTA_BLOCK_SIZE - 1u) / OTA_BLOCK_SIZE;
        uint32_t ops = g_ops_verify - g_ops_download;

        printf("ota: FLASH %lu semihosting calls for %lu blocks (%lu.%02lu per block)\n",
               (unsigned long)ops, (unsigned long)blocks, (unsigned long)(ops / blocks),
               (unsigned long)((ops % blocks) * 100u / blocks));
    }
#endif
    if (g_t_activate > g_t_verify && g_t_verify != 0u) {
        printf("ota: VERIFY (transfer hash, finalize) %lu ms\n",
               (unsigned long)(g_t_activate - g_t_verify));
    }
}

int main(void)
{
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_ota_agent_t *agent = NULL;
    iot_ota_agent_status_t as;
    uint32_t t_start;
    iot_status_t st;
    int rc = 2;

    printf("ota: %s, device %s, broker %s:%u\n", IOT_BOARD_NAME, OTA_DEVICE_ID, OTA_HOST,
           (unsigned)OTA_PORT);
    if (!set_credentials(&tls)) {
        printf("ota: no TLS credentials compiled in (OTA_CREDENTIALS_HEADER)\n");
        return 1;
    }
    if ((st = factory_program()) != IOT_OK) {
        return fail("factory programming", st);
    }
    if ((st = start_ota()) != IOT_OK) {
        return fail("OTA start", st);
    }
    if ((st = boot_step()) != IOT_OK) {
        return fail("boot step", st);
    }
    if ((st = connect_broker(&tls)) != IOT_OK) {
        return fail("connect", st);
    }
    if ((st = start_agent(&agent)) != IOT_OK) {
        (void)iot_disconnect(g_client);
        return fail("OTA agent", st);
    }
    printf("ota: READY device %s\n", OTA_DEVICE_ID);

    t_start = iot_port_time_ms();
    as.phase = IOT_OTA_AGENT_IDLE;
    as.job_id = 0;
    while (iot_port_time_ms() - t_start < OTA_JOB_TIMEOUT_MS) {
        /* iot_process() works for its whole time-out; the steps after the
         * download wait for the next iot_ota_agent_step(): keep it short then. */
        bool busy = as.phase == IOT_OTA_AGENT_VERIFYING || as.phase == IOT_OTA_AGENT_ACTIVATING ||
                    as.phase == IOT_OTA_AGENT_TESTING;

        (void)iot_process(g_client, busy ? 1u : as.phase == IOT_OTA_AGENT_DOWNLOADING ? 5u : 50u);
        (void)iot_ota_agent_step(agent);
        if (g_reboot) {
            /* What a reboot does: the application stops, the boot loader
             * runs, the application starts again and connects. */
            g_reboot = false;
            print_figures(&as);
            (void)iot_flush(g_client, 5000); /* the "rebooting" report */
            (void)iot_ota_agent_stop(agent);
            agent = NULL;
            (void)iot_disconnect(g_client);
            g_client = NULL;
            /* Semihost storage: does not return (the run ends with exit
             * status 4 and starts again on the same flash file). RAM: refused,
             * the image areas would not survive a reset. */
            printf("ota: REBOOT\n");
            st = iot_port_fw_request_reboot();
            printf("ota: no reboot (%s): the boot step runs in place\n", iot_status_name(st));
            if ((st = boot_step()) != IOT_OK) {
                return fail("boot step", st);
            }
            if ((st = connect_broker(&tls)) != IOT_OK) {
                return fail("connect after the boot step", st);
            }
            if ((st = start_agent(&agent)) != IOT_OK) {
                (void)iot_disconnect(g_client);
                return fail("OTA agent after the boot step", st);
            }
            printf("ota: READY again\n");
        }
        if ((st = iot_ota_agent_get_status(agent, &as)) != IOT_OK) {
            rc = fail("OTA agent status", st);
            break;
        }
        if (as.job_id != 0u &&
            (as.phase == IOT_OTA_AGENT_SUCCEEDED || as.phase == IOT_OTA_AGENT_FAILED)) {
            printf("ota: DONE job %lu %s (%s, %s)\n", (unsigned long)as.job_id,
                   iot_ota_agent_phase_name(as.phase), iot_ota_reason_name(as.reason),
                   iot_status_name(as.error));
            print_figures(&as);
            rc = as.phase == IOT_OTA_AGENT_SUCCEEDED ? 0 : 3;
            break;
        }
    }
    if (rc == 2) {
        printf("ota: no job finished within %lu ms\n", (unsigned long)OTA_JOB_TIMEOUT_MS);
    }
    /* The final report must reach the broker before the device stops. */
    (void)iot_flush(g_client, 5000);
    (void)iot_ota_agent_stop(agent);
    (void)iot_disconnect(g_client);
    print_running("END");
    iot_keystore_deinit();
    printf("ota: exit %d\n", rc);
    return rc;
}
