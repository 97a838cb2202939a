/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the key store reading its own records back from storage,
 * which an attacker with access to flash (or a torn write) controls. The
 * input becomes the first object's record; the store starts, and whatever
 * it accepted is listed, described, exported, used and destroyed. A damaged
 * record must be counted as corrupt, never crash or stop the store. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FIRST_SLOT_UID ((iot_port_store_uid_t)IOT_CONFIG_KEYS_STORE_UID_BASE + 1u)

static char g_dir[64];

static void remove_dir(void)
{
    iot_keystore_deinit();
    char cmd[96];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_keystore_record: could not remove %s\n", g_dir);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-fuzz-store.XXXXXX", tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(g_dir) != NULL);
    FUZZ_CHECK(iot_posix_store_set_dir(g_dir) == IOT_OK);
    atexit(remove_dir);
    return 0;
}

static void use_object(iot_key_id_t id)
{
    static uint8_t buf[IOT_CONFIG_KEYS_MAX_OBJECT_SIZE + 64];
    iot_key_info_t info = IOT_KEY_INFO_INIT;
    size_t len = 0;
    uint8_t hash[32] = { 1 };
    uint8_t sig[600];

    FUZZ_CHECK(iot_keystore_get_info(id, &info) == IOT_OK);
    (void)iot_key_export_public(id, IOT_KEY_FORMAT_DER, buf, sizeof(buf), &len);
    (void)iot_keystore_load(id, buf, sizeof(buf), &len);
    (void)iot_key_sign_hash(id, IOT_SIGN_ECDSA_SHA256, hash, sizeof(hash), sig, sizeof(sig), &len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iot_keystore_stats_t stats = IOT_KEYSTORE_STATS_INIT;
    iot_key_id_t ids[IOT_CONFIG_KEYS_MAX_OBJECTS];
    size_t count = 0;

    if (iot_port_store_set(FIRST_SLOT_UID, data, size) != IOT_OK) {
        return 0; /* larger than the port store takes */
    }
    FUZZ_CHECK(iot_keystore_init() == IOT_OK);
    FUZZ_CHECK(iot_keystore_get_stats(&stats) == IOT_OK);
    FUZZ_CHECK(iot_keystore_list(ids, IOT_CONFIG_KEYS_MAX_OBJECTS, &count) == IOT_OK);
    FUZZ_CHECK(count + stats.corrupt == 1u);
    if (count == 1u) {
        use_object(ids[0]);
        FUZZ_CHECK(iot_keystore_destroy(ids[0]) == IOT_OK);
    } else {
        FUZZ_CHECK(iot_keystore_erase_corrupt() == IOT_OK);
    }
    iot_keystore_deinit();
    return 0;
}
