/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA sample for Linux: a device that boots through the verifying boot
 * step, connects to the broker, takes an update over MQTT with the OTA
 * agent, restarts into the new image (a fresh process image through
 * execv), self-tests, confirms and reports. See the README's "OTA update"
 * section and doc/ota-protocol.md.
 *
 * On posix an "image" is a signed MCUboot-format file; the running version
 * is the one in the active slot's header. The device keeps its firmware
 * slots in DIR/fw and its key store (verification key, OTA and agent
 * records) in DIR/store.
 *
 * Hooks for the fault tests (tests/ota_e2e): --stop-at PHASE and
 * --stop-after-bytes N make the process stop itself (SIGSTOP) at that
 * point, where the test kills it with SIGKILL.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/ota_agent.h>
#include <corstone_iot/posix.h>

#define KEY_LABEL "ota-verify"
#define COMPONENT IOT_OTA_COMPONENT_NONSECURE

typedef struct {
    const char *host;
    uint16_t port;
    const char *ca;
    const char *id;
    const char *dir;
    const char *pubkey;
    const char *factory_image;
    uint32_t block;
    uint32_t window;
    uint32_t checkpoint;
    bool self_test_fails;
    bool once;
    const char *stop_at;
    long stop_after_bytes;
    uint32_t slot_size;
} options_t;

static options_t g_opt = { "127.0.0.1", 1883, NULL, "device-1", NULL, NULL, NULL,
                           0, 0, 0, false, false, NULL, -1, 0 };
static char **g_argv;
static iot_client_t *g_client;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ota_device[%ld]: ", (long)getpid());
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
}

/* The fault tests' stopping points: freeze here until killed or continued. */
static void stop_here(const char *what)
{
    say("STOPPED at %s", what);
    raise(SIGSTOP);
}

static void on_progress(iot_ota_agent_phase_t phase, uint32_t written, uint32_t total, void *user)
{
    (void)user;
    if (phase == IOT_OTA_AGENT_DOWNLOADING && g_opt.stop_after_bytes >= 0 &&
        (long)written >= g_opt.stop_after_bytes && written < total) {
        g_opt.stop_after_bytes = -1;
        stop_here("bytes");
        return;
    }
    if (phase != IOT_OTA_AGENT_DOWNLOADING) {
        say("PHASE %s %lu/%lu", iot_ota_agent_phase_name(phase), (unsigned long)written,
            (unsigned long)total);
        if (g_opt.stop_at != NULL && strcmp(g_opt.stop_at, iot_ota_agent_phase_name(phase)) == 0) {
            stop_here(g_opt.stop_at);
        }
    }
}

/* The new image's self-test: it must reach the broker, and the operator may force a failure. */
static bool self_test(void *user)
{
    (void)user;
    say("self-test: %s", g_opt.self_test_fails ? "forced failure" : "connected to the broker");
    return !g_opt.self_test_fails && iot_is_connected(g_client);
}

/* Reboot: a fresh process image runs main() again, boot step first. */
static void reboot(void *user)
{
    (void)user;
    say("rebooting");
    (void)iot_disconnect(g_client);
    g_client = NULL;
    execv("/proc/self/exe", g_argv);
    perror("execv");
    exit(1);
}

static int fail(const char *what, iot_status_t st)
{
    say("%s: %s (%s)", what, iot_status_name(st), iot_strerror(st));
    return 1;
}

static bool copy_file(const char *from, const char *to)
{
    char tmp[700];
    char buf[8192];
    FILE *in = fopen(from, "rb");
    FILE *out;
    size_t n;
    bool ok = true;

    snprintf(tmp, sizeof(tmp), "%s.factory", to);
    if (in == NULL || (out = fopen(tmp, "wb")) == NULL) {
        if (in != NULL) {
            fclose(in);
        }
        return false;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        ok = ok && fwrite(buf, 1, n, out) == n;
    }
    fclose(in);
    ok = (fflush(out) == 0) && ok && fsync(fileno(out)) == 0;
    fclose(out);
    return ok && rename(tmp, to) == 0;
}

/* Key store and OTA module; the verification key is imported once. */
static iot_status_t start_ota(void)
{
    iot_ota_config_t cfg;
    iot_key_id_t key;
    iot_status_t st = iot_keystore_init();

    if (st != IOT_OK) {
        return st;
    }
    st = iot_keystore_find(IOT_OBJ_PUBLIC_KEY, KEY_LABEL, &key);
    if (st == IOT_ERR_NOT_FOUND && g_opt.pubkey != NULL) {
        static char pem[4096];
        iot_key_options_t ko = IOT_KEY_OPTIONS_INIT;
        FILE *f = fopen(g_opt.pubkey, "rb");
        size_t n;
        if (f == NULL) {
            return IOT_ERR_NOT_FOUND;
        }
        n = fread(pem, 1, sizeof(pem) - 1, f);
        fclose(f);
        pem[n] = '\0';
        ko.label = KEY_LABEL;
        st = iot_key_import_public(pem, n + 1, &ko, &key);
    }
    if (st != IOT_OK) {
        return st;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.keys[0] = key;
    cfg.key_count = 1;
    return iot_ota_init(&cfg);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ota_device --dir DIR [--host H] [--port P] [--ca CA.crt] [--id DEVICE]\n"
            "                  [--pubkey KEY.pem] [--factory-image FILE] [--block BYTES]\n"
            "                  [--window N] [--checkpoint BYTES] [--slot-size BYTES]\n"
            "                  [--self-test pass|fail] [--once]\n"
            "                  [--stop-at PHASE] [--stop-after-bytes N]\n");
    exit(2);
}

static void parse(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *k = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(k, "--once") == 0) {
            g_opt.once = true;
            continue;
        }
        if (v == NULL) {
            usage();
        }
        i++;
        if (strcmp(k, "--host") == 0) {
            g_opt.host = v;
        } else if (strcmp(k, "--port") == 0) {
            g_opt.port = (uint16_t)atoi(v);
        } else if (strcmp(k, "--ca") == 0) {
            g_opt.ca = v;
        } else if (strcmp(k, "--id") == 0) {
            g_opt.id = v;
        } else if (strcmp(k, "--dir") == 0) {
            g_opt.dir = v;
        } else if (strcmp(k, "--pubkey") == 0) {
            g_opt.pubkey = v;
        } else if (strcmp(k, "--factory-image") == 0) {
            g_opt.factory_image = v;
        } else if (strcmp(k, "--block") == 0) {
            g_opt.block = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(k, "--window") == 0) {
            g_opt.window = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(k, "--checkpoint") == 0) {
            g_opt.checkpoint = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(k, "--self-test") == 0) {
            g_opt.self_test_fails = strcmp(v, "fail") == 0;
        } else if (strcmp(k, "--slot-size") == 0) {
            g_opt.slot_size = (uint32_t)strtoul(v, NULL, 0);
        } else if (strcmp(k, "--stop-at") == 0) {
            g_opt.stop_at = v;
        } else if (strcmp(k, "--stop-after-bytes") == 0) {
            g_opt.stop_after_bytes = strtol(v, NULL, 0);
        } else {
            usage();
        }
    }
    if (g_opt.dir == NULL) {
        usage();
    }
}

int main(int argc, char **argv)
{
    static uint8_t rx[256 * 1024 + 512];
    char path[600];
    iot_tls_config_t tls = IOT_TLS_CONFIG_INIT;
    iot_connect_options_t co = IOT_CONNECT_OPTIONS_INIT;
    iot_ota_agent_config_t ac = IOT_OTA_AGENT_CONFIG_INIT;
    iot_ota_agent_t *agent = NULL;
    iot_ota_agent_status_t as;
    iot_posix_boot_result_t boot = IOT_POSIX_BOOT_NONE;
    iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
    iot_ota_info_t info;
    struct sigaction sa;
    iot_status_t st;
    int rc = 0;

    g_argv = argv;
    parse(argc, argv);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    snprintf(path, sizeof(path), "%s/fw", g_opt.dir);
    if ((st = iot_posix_fw_set_dir(path)) != IOT_OK) {
        return fail("firmware directory", st);
    }
    if (g_opt.slot_size != 0u && (st = iot_posix_fw_set_slot_size(g_opt.slot_size)) != IOT_OK) {
        return fail("slot size", st);
    }
    snprintf(path, sizeof(path), "%s/store", g_opt.dir);
    if ((st = iot_posix_store_set_dir(path)) != IOT_OK) {
        return fail("store directory", st);
    }
    /* Factory programming: the first image, when the device has none. */
    if ((st = iot_posix_fw_active_path(COMPONENT, path, sizeof(path))) != IOT_OK) {
        return fail("active slot", st);
    }
    if (g_opt.factory_image != NULL && access(path, F_OK) != 0) {
        if (!copy_file(g_opt.factory_image, path)) {
            say("cannot install the factory image %s", g_opt.factory_image);
            return 1;
        }
        say("factory image installed");
    }
    if ((st = start_ota()) != IOT_OK) {
        return fail("OTA start", st);
    }
    /* The boot loader's part: verify and swap in a staged image, or revert an unconfirmed one. */
    if ((st = iot_posix_ota_boot(COMPONENT, &boot, &reason)) != IOT_OK) {
        return fail("boot step", st);
    }
    if ((st = iot_ota_get_info(COMPONENT, &info)) != IOT_OK) {
        return fail("OTA info", st);
    }
    say("BOOT %s; RUNNING %u.%u.%u+%lu (state %d, last failure %s)",
        boot == IOT_POSIX_BOOT_TRIAL ? "trial" : boot == IOT_POSIX_BOOT_REVERTED ? "reverted" : "normal",
        info.running.major, info.running.minor, info.running.revision,
        (unsigned long)info.running.build, (int)info.state, iot_ota_reason_name(info.last_failure));
    if (g_opt.stop_at != NULL && strcmp(g_opt.stop_at, "boot") == 0 && boot == IOT_POSIX_BOOT_TRIAL) {
        stop_here("boot");
    }

    if (g_opt.ca != NULL) {
        iot_cred_t ca = IOT_CRED_FROM_FILE(g_opt.ca);
        tls.ca = ca;
        tls.server_name = "localhost";
    } else {
        tls.mode = IOT_TLS_NONE;
    }
    co.tls = &tls;
    co.host = g_opt.host;
    co.port = g_opt.port;
    co.client_id = g_opt.id;
    co.keep_alive_s = 30;
    co.rx_buffer = rx;
    co.rx_buffer_size = sizeof(rx);
    co.backoff_base_ms = 200;
    co.backoff_max_ms = 2000;
    if ((st = iot_connect(&co, &g_client)) != IOT_OK) {
        return fail("connect", st);
    }
    ac.device_id = g_opt.id;
    ac.block_size = g_opt.block;
    ac.window = g_opt.window;
    ac.checkpoint_bytes = g_opt.checkpoint;
    ac.self_test = self_test;
    ac.reboot = reboot;
    ac.progress = on_progress;
    if ((st = iot_ota_agent_start(g_client, &ac, &agent)) != IOT_OK) {
        (void)iot_disconnect(g_client);
        return fail("OTA agent", st);
    }
    say("READY device %s", g_opt.id);
    as.phase = IOT_OTA_AGENT_IDLE;
    while (!g_stop) {
        /* iot_process() works for its whole time-out, and verify, activate and
         * the self-test wait for the step after it: keep it short during a job. */
        bool busy = as.phase == IOT_OTA_AGENT_VERIFYING || as.phase == IOT_OTA_AGENT_ACTIVATING ||
                    as.phase == IOT_OTA_AGENT_TESTING;
        bool active = busy || as.phase == IOT_OTA_AGENT_DOWNLOADING;
        (void)iot_process(g_client, busy ? 1u : active ? 5u : 50u);
        (void)iot_ota_agent_step(agent);
        if (iot_ota_agent_get_status(agent, &as) != IOT_OK) {
            break;
        }
        if (g_opt.once &&
            (as.phase == IOT_OTA_AGENT_SUCCEEDED || as.phase == IOT_OTA_AGENT_FAILED)) {
            say("DONE job %lu %s (%s)", (unsigned long)as.job_id, iot_ota_agent_phase_name(as.phase),
                iot_ota_reason_name(as.reason));
            rc = as.phase == IOT_OTA_AGENT_SUCCEEDED ? 0 : 3;
            break;
        }
    }
    (void)iot_flush(g_client, 2000);
    (void)iot_ota_agent_stop(agent);
    (void)iot_disconnect(g_client);
    return rc;
}
