/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA RAM versus image size, measured on the host: for each signed image
 * given on the command line, run iot_ota_begin / write / finalize on a
 * thread whose stack is painted, and print the deepest stack use of the
 * whole sequence (OTA module plus PSA Crypto, key store and port callees)
 * next to the image size. The OTA module's static RAM is the same for
 * every image by construction (it has no heap and sizes nothing by the
 * image); this shows the stack does not grow either.
 *
 *   ota_ram FW_DIR STORE_DIR PUB.pem IMAGE...
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corstone_iot/keys.h>
#include <corstone_iot/ota.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>

#define STACK_BYTES (512u * 1024u)
#define PAINT 0xA5u
#define CHUNK (64u * 1024u)

static uint8_t *g_stack;
static iot_ota_config_t g_cfg;
static int g_ok;
static iot_ota_reason_t g_reason;
static uint8_t *g_data;
static size_t g_size;

/* Only OTA calls run on the painted stack; the image is already in memory. */
static void *run(void *arg)
{
    size_t off;

    (void)arg;
    if (iot_ota_abort(IOT_OTA_COMPONENT_NONSECURE) != IOT_OK ||
        iot_ota_begin(IOT_OTA_COMPONENT_NONSECURE, (uint32_t)g_size, NULL) != IOT_OK) {
        return NULL;
    }
    for (off = 0; off < g_size; off += CHUNK) {
        size_t n = (g_size - off < CHUNK) ? g_size - off : CHUNK;
        if (iot_ota_write(IOT_OTA_COMPONENT_NONSECURE, (uint32_t)off, g_data + off, n) != IOT_OK) {
            return NULL;
        }
    }
    g_ok = iot_ota_finalize(IOT_OTA_COMPONENT_NONSECURE, &g_reason) == IOT_OK;
    return NULL;
}

/* Bytes of the painted stack that were written (the stack grows down). */
static size_t stack_used(void)
{
    size_t i = 0;

    while (i < STACK_BYTES && g_stack[i] == PAINT) {
        i++;
    }
    return STACK_BYTES - i;
}

int main(int argc, char **argv)
{
    static uint8_t pem[4096];
    iot_key_options_t o = IOT_KEY_OPTIONS_INIT;
    size_t len;
    FILE *f;
    int i;

    if (argc < 5) {
        fprintf(stderr, "usage: ota_ram FW_DIR STORE_DIR PUB.pem IMAGE...\n");
        return 2;
    }
    f = fopen(argv[3], "rb");
    if (f == NULL) {
        return 1;
    }
    len = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    o.persistent = false;
    o.usage = IOT_KEY_USAGE_VERIFY;
    if (iot_posix_fw_set_dir(argv[1]) != IOT_OK || iot_posix_store_set_dir(argv[2]) != IOT_OK ||
        iot_keystore_init() != IOT_OK ||
        iot_key_import_public(pem, len, &o, &g_cfg.keys[0]) != IOT_OK) {
        fprintf(stderr, "ota_ram: set-up failed\n");
        return 1;
    }
    g_cfg.key_count = 1;
    if (iot_ota_init(&g_cfg) != IOT_OK) {
        fprintf(stderr, "ota_ram: iot_ota_init failed\n");
        return 1;
    }
    g_stack = aligned_alloc(4096, STACK_BYTES);
    if (g_stack == NULL) {
        return 1;
    }
    printf("%-12s %12s %18s\n", "image", "bytes", "peak stack (bytes)");
    for (i = 4; i < argc; i++) {
        pthread_attr_t attr;
        pthread_t t;
        const char *name = strrchr(argv[i], '/');

        f = fopen(argv[i], "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
            return 1;
        }
        g_size = (size_t)ftell(f);
        rewind(f);
        g_data = malloc(g_size);
        if (g_data == NULL || fread(g_data, 1, g_size, f) != g_size) {
            return 1;
        }
        fclose(f);
        memset(g_stack, PAINT, STACK_BYTES);
        g_ok = 0;
        pthread_attr_init(&attr);
        pthread_attr_setstack(&attr, g_stack, STACK_BYTES);
        if (pthread_create(&t, &attr, run, NULL) != 0 || pthread_join(t, NULL) != 0) {
            return 1;
        }
        pthread_attr_destroy(&attr);
        if (!g_ok) {
            fprintf(stderr, "ota_ram: %s was not accepted (%s)\n", argv[i],
                    iot_ota_reason_name(g_reason));
            return 1;
        }
        printf("%-12s %12zu %18zu\n", name ? name + 1 : argv[i], g_size, stack_used());
        free(g_data);
    }
    free(g_stack);
    iot_keystore_deinit();
    return 0;
}
