/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: the device claims of attestation tokens and the measurements
 * of the running software.
 *
 * Measurements: when firmware slots are configured (iot_posix_fw_set_dir())
 * and a component has an active image file, the component is that file
 * (SHA-256 of its bytes; version from its MCUboot header when it has one).
 * Otherwise the one component is the running program itself
 * (/proc/self/exe, type "APP", version = the SDK version, measured once per
 * process): on a host, that is the software that answers the challenge. The boot seed is drawn from
 * the entropy source once per process; the implementation id is a fixed
 * hash naming this port. */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/port.h>
#include <corstone_iot/posix.h>
#include <corstone_iot/version.h>

#include <mbedtls/sha256.h>
#include <pthread.h>

#define MCUBOOT_MAGIC 0x96f3b83du

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static uint16_t g_lifecycle = IOT_ATTEST_LIFECYCLE_SECURED;
static uint8_t g_boot_seed[32];
static int g_seeded;
/* The running program cannot change while it runs (the kernel refuses to
 * write to an executing file), so it is measured once per process. */
static uint8_t g_exe_measurement[32];
static int g_exe_measured;

iot_status_t iot_posix_attest_set_lifecycle(uint16_t lifecycle)
{
    if (lifecycle > 0x60FFu) {
        return IOT_ERR_INVALID_ARG;
    }
    pthread_mutex_lock(&g_lock);
    g_lifecycle = lifecycle;
    pthread_mutex_unlock(&g_lock);
    return IOT_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* SHA-256 of a whole file; the first 32 bytes go to head (for the MCUboot header). */
static iot_status_t hash_file(const char *path, uint8_t out[32], uint8_t head[32], size_t *head_len)
{
    uint8_t buf[4096];
    size_t n;
    size_t total = 0;
    mbedtls_sha256_context ctx;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        return IOT_ERR_NOT_FOUND;
    }
    mbedtls_sha256_init(&ctx);
    if (mbedtls_sha256_starts_ret(&ctx, 0) != 0) {
        (void)fclose(f);
        return IOT_ERR_CRYPTO;
    }
    *head_len = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (total == 0) {
            *head_len = n < 32 ? n : 32;
            memcpy(head, buf, *head_len);
        }
        total += n;
        (void)mbedtls_sha256_update_ret(&ctx, buf, n);
    }
    if (ferror(f)) {
        (void)fclose(f);
        mbedtls_sha256_free(&ctx);
        return IOT_ERR_IO;
    }
    (void)fclose(f);
    (void)mbedtls_sha256_finish_ret(&ctx, out);
    mbedtls_sha256_free(&ctx);
    return IOT_OK;
}

static void version_from_header(const uint8_t *head, size_t head_len, char *out, size_t cap)
{
    /* MCUboot image_header: magic (4), load_addr (4), hdr_size (2),
     * protect_tlv_size (2), img_size (4), flags (4), then the version:
     * major (1), minor (1), revision (2), build_num (4). */
    if (head_len >= 28 && le32(head) == MCUBOOT_MAGIC) {
        (void)snprintf(out, cap, "%u.%u.%u+%lu", (unsigned)head[20], (unsigned)head[21],
                       (unsigned)(head[22] | (head[23] << 8)), (unsigned long)le32(head + 24));
    } else {
        (void)snprintf(out, cap, "0.0.0");
    }
}

static iot_status_t measure_slots(iot_port_attest_claims_t *c)
{
    static const char *const roles[IOT_PORT_FW_COMPONENT_COUNT] = { "SPE", "NSPE" };
    iot_port_fw_component_t i;

    for (i = 0; i < IOT_PORT_FW_COMPONENT_COUNT && c->component_count < IOT_CONFIG_ATTEST_MAX_COMPONENTS;
         i++) {
        char path[512];
        uint8_t head[32];
        size_t head_len = 0;
        iot_port_attest_component_t *sw = &c->components[c->component_count];
        iot_status_t st;

        if (iot_posix_fw_active_path(i, path, sizeof(path)) != IOT_OK) {
            return IOT_OK; /* slots not configured: not an error */
        }
        memset(sw, 0, sizeof(*sw));
        st = hash_file(path, sw->measurement, head, &head_len);
        if (st == IOT_ERR_NOT_FOUND) {
            continue;
        }
        if (st != IOT_OK) {
            return st;
        }
        (void)snprintf(sw->measurement_type, sizeof(sw->measurement_type), "%s", roles[i]);
        version_from_header(head, head_len, sw->version, sizeof(sw->version));
        c->component_count++;
    }
    return IOT_OK;
}

iot_status_t iot_port_attest_claims(iot_port_attest_claims_t *claims)
{
    static const char impl[] = "corstone-iot posix port";
    iot_status_t st;

    if (claims == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    memset(claims, 0, sizeof(*claims));
    if (mbedtls_sha256_ret((const unsigned char *)impl, sizeof(impl) - 1u,
                           claims->implementation_id, 0) != 0) {
        return IOT_ERR_CRYPTO;
    }
    pthread_mutex_lock(&g_lock);
    if (!g_seeded) {
        st = iot_port_entropy(g_boot_seed, sizeof(g_boot_seed));
        if (st != IOT_OK) {
            pthread_mutex_unlock(&g_lock);
            return st;
        }
        g_seeded = 1;
    }
    memcpy(claims->boot_seed, g_boot_seed, sizeof(g_boot_seed));
    claims->lifecycle = g_lifecycle;
    pthread_mutex_unlock(&g_lock);
    claims->client_id = 1;

    st = measure_slots(claims);
    if (st != IOT_OK) {
        return st;
    }
    if (claims->component_count == 0) {
        uint8_t head[32];
        size_t head_len = 0;
        iot_port_attest_component_t *sw = &claims->components[0];

        pthread_mutex_lock(&g_lock);
        st = IOT_OK;
        if (!g_exe_measured) {
            st = hash_file("/proc/self/exe", g_exe_measurement, head, &head_len);
            g_exe_measured = (st == IOT_OK);
        }
        memcpy(sw->measurement, g_exe_measurement, sizeof(sw->measurement));
        pthread_mutex_unlock(&g_lock);
        if (st != IOT_OK) {
            return (st == IOT_ERR_NOT_FOUND) ? IOT_ERR_IO : st;
        }
        (void)snprintf(sw->measurement_type, sizeof(sw->measurement_type), "APP");
        (void)snprintf(sw->version, sizeof(sw->version), "%s", IOT_VERSION_STRING);
        claims->component_count = 1;
    }
    return IOT_OK;
}
