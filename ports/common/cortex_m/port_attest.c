/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation claims of the Cortex-M board ports (iot_port_attest_claims(),
 * port.h): the no-TF-M STAND-IN. With TF-M the whole token comes from the
 * secure side (psa_initial_attest_get_token()), signed or MACed by a key the
 * non-secure image never sees, and the claims come from the secure boot
 * loader's measurements. Without TF-M the image that answers a challenge
 * builds the token itself (src/attest) from what this file reports, so the
 * token is only as trustworthy as the image: nothing isolates the key store
 * or these claims from the application (doc/attestation.md).
 *
 * - implementation id: SHA-256 of IOT_BOARD_ATTEST_IMPLEMENTATION (board
 *   configuration; default names the SDK port and the board);
 * - lifecycle: IOT_BOARD_ATTEST_LIFECYCLE (board configuration; default
 *   secured). A configured value, not read from lifecycle fuses;
 * - boot seed: 32 bytes from iot_port_entropy(), drawn once per boot. The
 *   product port has no secure entropy source without TF-M and refuses
 *   (IOT_ERR_ENTROPY), so the token is refused too; emulator test images
 *   link the INSECURE test generator, which says so on the console;
 * - measurements: when a firmware component has an active image in the
 *   firmware slots (PSA Firmware Update API, iot_port_fw_read_active()), the
 *   SHA-256 of each such image (type "SPE" for component 0, "NSPE" for 1,
 *   version from its MCUboot header), as the posix port measures its slot
 *   images. Otherwise the one component is the running image itself: the
 *   SHA-256 of its load image in the code region, from the start of the
 *   vector table to the end of the initial values of .data (linker symbols;
 *   the bytes "objcopy -O binary" writes for the ELF file), measured once
 *   per boot; type "APP", version = the SDK version;
 * - signer id: 32 zero bytes (unsigned, or the signer is not reported yet).
 *
 * Called by src/attest with its lock held; the board ports run one thread.
 */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/port.h>
#include <corstone_iot/version.h>

#include <mbedtls/sha256.h>

#include "board.h"

#ifndef IOT_BOARD_ATTEST_IMPLEMENTATION
#define IOT_BOARD_ATTEST_IMPLEMENTATION "corstone-iot board port without TF-M: " IOT_BOARD_NAME
#endif
#ifndef IOT_BOARD_ATTEST_LIFECYCLE
#define IOT_BOARD_ATTEST_LIFECYCLE IOT_ATTEST_LIFECYCLE_SECURED
#endif

#define MCUBOOT_MAGIC 0x96f3b83du
#define READ_CHUNK 256u

/* The load image (sections.ld): the vector table is first in the code
 * region; the initial values of .data are its last bytes. */
extern void (*const iot_cm_vectors[])(void);
extern const uint8_t __iot_data_load[];
extern uint8_t __iot_data_start[];
extern uint8_t __iot_data_end[];

static uint8_t g_boot_seed[32];
static int g_seeded;
static uint8_t g_image_measurement[32];
static int g_image_measured;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void version_from_header(const uint8_t *head, char *out, size_t cap)
{
    /* MCUboot image_header: magic (4), load_addr (4), hdr_size (2),
     * protect_tlv_size (2), img_size (4), flags (4), then the version:
     * major (1), minor (1), revision (2), build_num (4). */
    if (le32(head) == MCUBOOT_MAGIC) {
        (void)snprintf(out, cap, "%u.%u.%u+%lu", (unsigned)head[20], (unsigned)head[21],
                       (unsigned)((unsigned)head[22] | ((unsigned)head[23] << 8)),
                       (unsigned long)le32(head + 24));
    } else {
        (void)snprintf(out, cap, "0.0.0");
    }
}

/* SHA-256 of a component's active image, read through the firmware slots.
 * IOT_ERR_NOT_FOUND: the component has no active image. */
static iot_status_t hash_active(iot_port_fw_component_t comp, uint8_t out[32], uint8_t head[32])
{
    uint8_t buf[READ_CHUNK];
    uint32_t size = 0;
    uint32_t off;
    mbedtls_sha256_context ctx;
    iot_status_t st = iot_port_fw_read_active(comp, 0, head, 32u, &size);

    if (st != IOT_OK) {
        return st;
    }
    mbedtls_sha256_init(&ctx);
    if (mbedtls_sha256_starts_ret(&ctx, 0) != 0) {
        return IOT_ERR_CRYPTO;
    }
    for (off = 0; off < size && st == IOT_OK;) {
        size_t n = (size - off < READ_CHUNK) ? (size_t)(size - off) : READ_CHUNK;

        st = iot_port_fw_read_active(comp, off, buf, n, NULL);
        if (st == IOT_OK && mbedtls_sha256_update_ret(&ctx, buf, n) != 0) {
            st = IOT_ERR_CRYPTO;
        }
        off += (uint32_t)n;
    }
    if (st == IOT_OK && mbedtls_sha256_finish_ret(&ctx, out) != 0) {
        st = IOT_ERR_CRYPTO;
    }
    mbedtls_sha256_free(&ctx);
    /* The image was there a moment ago: any failure now is a read error. */
    return (st == IOT_OK || st == IOT_ERR_CRYPTO) ? st : IOT_ERR_IO;
}

static iot_status_t measure_slots(iot_port_attest_claims_t *c)
{
    static const char *const roles[] = { "SPE", "NSPE" };
    iot_port_fw_component_t i;

    for (i = 0; i < IOT_PORT_FW_COMPONENT_COUNT && c->component_count < IOT_CONFIG_ATTEST_MAX_COMPONENTS;
         i++) {
        uint8_t head[32];
        iot_port_attest_component_t *sw = &c->components[c->component_count];
        iot_status_t st;

        memset(sw, 0, sizeof(*sw));
        st = hash_active(i, sw->measurement, head);
        if (st == IOT_ERR_NOT_FOUND || st == IOT_ERR_NOT_SUPPORTED) {
            continue; /* no active image in this slot (or no slots at all) */
        }
        if (st != IOT_OK) {
            return st;
        }
        (void)snprintf(sw->measurement_type, sizeof(sw->measurement_type), "%s",
                       i < sizeof(roles) / sizeof(roles[0]) ? roles[i] : "SW");
        version_from_header(head, sw->version, sizeof(sw->version));
        c->component_count++;
    }
    return IOT_OK;
}

/* The running image: its load image in the code region, hashed once per boot
 * (nothing writes to it while it runs). */
static iot_status_t measure_image(iot_port_attest_component_t *sw)
{
    if (!g_image_measured) {
        /* The linker symbols bound separate objects and regions: compared
         * and subtracted as addresses, not as pointers into one object. */
        uintptr_t start = (uintptr_t)iot_cm_vectors;
        uintptr_t end = (uintptr_t)__iot_data_load +
                        ((uintptr_t)__iot_data_end - (uintptr_t)__iot_data_start);

        if (end <= start || mbedtls_sha256_ret((const unsigned char *)start, (size_t)(end - start),
                                               g_image_measurement, 0) != 0) {
            return IOT_ERR_CRYPTO;
        }
        g_image_measured = 1;
    }
    memset(sw, 0, sizeof(*sw));
    memcpy(sw->measurement, g_image_measurement, sizeof(sw->measurement));
    (void)snprintf(sw->measurement_type, sizeof(sw->measurement_type), "APP");
    (void)snprintf(sw->version, sizeof(sw->version), "%s", IOT_VERSION_STRING);
    return IOT_OK;
}

iot_status_t iot_port_attest_claims(iot_port_attest_claims_t *claims)
{
    static const char impl[] = IOT_BOARD_ATTEST_IMPLEMENTATION;
    iot_status_t st;

    if (claims == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    memset(claims, 0, sizeof(*claims));
    if (!g_seeded) {
        /* The port's policy decides: no secure source, no boot seed, no token. */
        st = iot_port_entropy(g_boot_seed, sizeof(g_boot_seed));
        if (st != IOT_OK) {
            return st;
        }
        g_seeded = 1;
    }
    if (mbedtls_sha256_ret((const unsigned char *)impl, sizeof(impl) - 1u,
                           claims->implementation_id, 0) != 0) {
        return IOT_ERR_CRYPTO;
    }
    memcpy(claims->boot_seed, g_boot_seed, sizeof(g_boot_seed));
    claims->lifecycle = (uint16_t)IOT_BOARD_ATTEST_LIFECYCLE;
    claims->client_id = 1;

    st = measure_slots(claims);
    if (st != IOT_OK) {
        return st;
    }
    if (claims->component_count == 0u) {
        st = measure_image(&claims->components[0]);
        if (st != IOT_OK) {
            return st;
        }
        claims->component_count = 1;
    }
    return IOT_OK;
}
