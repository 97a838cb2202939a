/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the public key import API end to end (PEM or DER, private
 * and public, through PSA Crypto into a key store in a temporary directory).
 * The first input byte picks private or public and volatile or persistent;
 * every import that succeeds is exported and destroyed again, so the store
 * never fills up and a leaked key would show. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/posix.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char g_dir[64];

static void remove_dir(void)
{
    iot_keystore_deinit();
    char cmd[96];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_key_import: could not remove %s\n", g_dir);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    (void)snprintf(g_dir, sizeof(g_dir), "%s/iot-fuzz-keys.XXXXXX", tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(g_dir) != NULL);
    FUZZ_CHECK(iot_posix_store_set_dir(g_dir) == IOT_OK);
    FUZZ_CHECK(iot_keystore_init() == IOT_OK);
    atexit(remove_dir);
    return 0;
}

static bool expected_failure(iot_status_t st)
{
    return st == IOT_ERR_BAD_PEM || st == IOT_ERR_TRUNCATED || st == IOT_ERR_BAD_FORMAT ||
           st == IOT_ERR_WRONG_KEY_TYPE || st == IOT_ERR_UNSUPPORTED_KEY ||
           st == IOT_ERR_NOT_SUPPORTED || st == IOT_ERR_INVALID_ARG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iot_key_options_t opts = IOT_KEY_OPTIONS_INIT;
    iot_keystore_stats_t before = IOT_KEYSTORE_STATS_INIT;
    iot_keystore_stats_t after = IOT_KEYSTORE_STATS_INIT;
    iot_key_id_t id = 0;
    iot_status_t st;
    static uint8_t out[4096];
    size_t len = 0;

    if (size < 1u) {
        return 0;
    }
    bool is_private = (data[0] & 1u) == 0u;
    opts.persistent = (data[0] & 2u) != 0u;
    FUZZ_CHECK(iot_keystore_get_stats(&before) == IOT_OK);
    if (is_private) {
        st = iot_key_import_private(data + 1, size - 1u, &opts, &id);
    } else {
        st = iot_key_import_public(data + 1, size - 1u, &opts, &id);
    }
    if (st != IOT_OK) {
        if (!expected_failure(st)) {
            fprintf(stderr, "unexpected status %s\n", iot_strerror(st));
        }
        FUZZ_CHECK(expected_failure(st));
        FUZZ_CHECK(iot_keystore_get_stats(&after) == IOT_OK);
        FUZZ_CHECK(memcmp(&before, &after, sizeof(before)) == 0); /* state intact */
        return 0;
    }
    st = iot_key_export_public(id, IOT_KEY_FORMAT_DER, out, sizeof(out), &len);
    FUZZ_CHECK(st == IOT_OK);
    /* What we export, we import again. */
    iot_key_id_t id2 = 0;
    st = iot_key_import_public(out, len, NULL, &id2);
    FUZZ_CHECK(st == IOT_OK);
    FUZZ_CHECK(iot_keystore_destroy(id2) == IOT_OK);
    FUZZ_CHECK(iot_keystore_destroy(id) == IOT_OK);
    return 0;
}
