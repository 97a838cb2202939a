/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iot-boot: the posix host boot step, run before the application starts.
 *
 *   iot-boot --fw-dir DIR --store-dir DIR --key PUB.pem [--key PUB2.pem ...]
 *            [--component secure|nonsecure|all] [--slot-size BYTES]
 *
 * For each component it does what MCUboot does at reset: a pending image is
 * verified (hash, signature with one of the given public keys, version not
 * older than the running one, security counter not lower than the stored
 * one) and swapped in for a trial run; a trial that was not confirmed is
 * reverted; a confirmed image raises the stored security counter. It prints
 * one line per component and the path of the image to run, and exits 0, or
 * 1 when a step failed (the next run resumes it).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/posix.h>

static void usage(void)
{
    fputs("usage: iot-boot --fw-dir DIR --store-dir DIR --key PUB.pem [--key PUB.pem ...]\n"
          "                [--component secure|nonsecure|all] [--slot-size BYTES]\n",
          stderr);
    exit(2);
}

static iot_status_t import_key(const char *path, iot_key_id_t *id)
{
    static unsigned char pem[8192];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    size_t len;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "iot-boot: cannot open %s\n", path);
        exit(1);
    }
    len = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    o.persistent = false;
    o.usage = IOT_KEY_USAGE_VERIFY;
    return iot_key_import_public(pem, len, &o, id);
}

static const char *result_name(iot_posix_boot_result_t r)
{
    switch (r) {
    case IOT_POSIX_BOOT_TRIAL:
        return "trial";
    case IOT_POSIX_BOOT_REVERTED:
        return "reverted";
    default:
        return "none";
    }
}

int main(int argc, char **argv)
{
    const char *fw_dir = NULL;
    const char *store_dir = NULL;
    const char *keys[IOT_OTA_MAX_KEYS];
    size_t key_count = 0;
    int first = 0;
    int last = 1;
    int rc = 0;
    int i;
    iot_ota_config_t cfg;
    iot_status_t st;

    for (i = 1; i < argc; i += 2) {
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

        if (v == NULL) {
            usage();
        }
        if (strcmp(argv[i], "--fw-dir") == 0) {
            fw_dir = v;
        } else if (strcmp(argv[i], "--store-dir") == 0) {
            store_dir = v;
        } else if (strcmp(argv[i], "--key") == 0) {
            if (key_count == IOT_OTA_MAX_KEYS) {
                fputs("iot-boot: too many keys\n", stderr);
                return 2;
            }
            keys[key_count++] = v;
        } else if (strcmp(argv[i], "--component") == 0) {
            if (strcmp(v, "secure") == 0) {
                first = last = 0;
            } else if (strcmp(v, "nonsecure") == 0) {
                first = last = 1;
            } else if (strcmp(v, "all") != 0) {
                usage();
            }
        } else if (strcmp(argv[i], "--slot-size") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 0);

            if (*end != '\0' || iot_posix_fw_set_slot_size((uint32_t)n) != IOT_OK) {
                usage();
            }
        } else {
            usage();
        }
    }
    if (fw_dir == NULL || store_dir == NULL || key_count == 0u) {
        usage();
    }
    if ((st = iot_posix_fw_set_dir(fw_dir)) != IOT_OK ||
        (st = iot_posix_store_set_dir(store_dir)) != IOT_OK ||
        (st = iot_keystore_init()) != IOT_OK) {
        fprintf(stderr, "iot-boot: %s\n", iot_status_name(st));
        return 1;
    }
    memset(&cfg, 0, sizeof(cfg));
    for (i = 0; i < (int)key_count; i++) {
        st = import_key(keys[i], &cfg.keys[i]);
        if (st != IOT_OK) {
            fprintf(stderr, "iot-boot: key %s: %s\n", keys[i], iot_status_name(st));
            return 1;
        }
    }
    cfg.key_count = key_count;
    st = iot_ota_init(&cfg);
    if (st != IOT_OK) {
        fprintf(stderr, "iot-boot: %s\n", iot_status_name(st));
        return 1;
    }
    for (i = first; i <= last; i++) {
        iot_posix_boot_result_t result = IOT_POSIX_BOOT_NONE;
        iot_ota_reason_t reason = IOT_OTA_REASON_NONE;
        iot_ota_info_t info;
        char path[512];
        char note[64];

        st = iot_posix_ota_boot((iot_port_fw_component_t)i, &result, &reason);
        if (st == IOT_OK) {
            st = iot_ota_get_info((iot_ota_component_t)i, &info);
        }
        if (st == IOT_OK) {
            st = iot_posix_fw_active_path((iot_port_fw_component_t)i, path, sizeof(path));
        }
        if (st != IOT_OK) {
            fprintf(stderr, "iot-boot: component %d: %s\n", i, iot_status_name(st));
            rc = 1;
            continue;
        }
        note[0] = '\0';
        if (reason != IOT_OTA_REASON_NONE) {
            snprintf(note, sizeof(note), " (refused: %s)", iot_ota_reason_name(reason));
        }
        printf("component %d: %s%s, running %u.%u.%u+%lu, security counter %lu, image %s\n", i,
               result_name(result), note, (unsigned)info.running.major,
               (unsigned)info.running.minor, (unsigned)info.running.revision,
               (unsigned long)info.running.build, (unsigned long)info.security_counter, path);
    }
    iot_keystore_deinit();
    return rc;
}
