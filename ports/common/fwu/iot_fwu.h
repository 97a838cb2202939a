/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firmware-update interface of the Cortex-M board ports: the function
 * names, types, component states and status codes of the PSA Certified
 * Firmware Update API 1.0 (psa_fwu_*), written from that specification, plus
 * three board extensions (iot_fwu_*) that the API does not have.
 *
 * Who provides what:
 *  - With IOT_FWU_EXTERNAL defined, this header takes the declarations from
 *    the platform's own <psa/update.h> (TF-M's non-secure interface), and the
 *    platform links psa_fwu_* and the iot_fwu_* extensions.
 *  - Otherwise fwu_service.c implements everything below as a STAND-IN for
 *    a TF-M Firmware Update service, no isolation, over a backend
 *    (fwu_backend.h): image areas in RAM (the linker region IOT_FW_SLOTS;
 *    fwu_ram.c: NOT PERSISTENT, no real reboot) or in the emulator's
 *    semihost flash file (fwu_semihost.c: persistent, emulator only).
 *
 * port_fw_fwu.c maps the port's iot_port_fw_* calls onto these functions;
 * it is the same code for both providers.
 *
 * The state model (specification, section "State model"):
 *
 *   READY --start--> WRITING --finish--> CANDIDATE --install--> STAGED
 *   WRITING, CANDIDATE --cancel--> FAILED;  FAILED, UPDATED --clean--> READY
 *   STAGED --reject--> FAILED;   STAGED --reboot, installed--> TRIAL
 *   TRIAL --accept--> UPDATED;   TRIAL --reject--> REJECTED
 *   TRIAL, REJECTED --reboot--> FAILED (the previous image is active again)
 *
 * start, write, finish, cancel and clean act on one component; install,
 * accept and reject act on every component in the state they apply to.
 */
#ifndef IOT_FWU_H
#define IOT_FWU_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h> /* psa_status_t, PSA_SUCCESS, PSA_ERROR_* */

#ifdef IOT_FWU_EXTERNAL
#include <psa/update.h>
#else

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the specification these declarations follow. */
#define PSA_FWU_API_VERSION_MAJOR 1
#define PSA_FWU_API_VERSION_MINOR 0

/** Identifies a firmware component (implementation defined numbering). */
typedef uint8_t psa_fwu_component_t;

/** Version of a firmware image (semantic versioning, as in an MCUboot header). */
typedef struct psa_fwu_image_version_t {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
} psa_fwu_image_version_t;

/** Implementation-specific part of the component information: here the
 *  address of the second image area (the one being prepared). */
typedef struct {
    uint32_t second_location; /**< Address of the second image area. */
} psa_fwu_impl_info_t;

/** What psa_fwu_query() reports about a component. */
typedef struct psa_fwu_component_info_t {
    uint8_t state;                   /**< One of PSA_FWU_READY ... PSA_FWU_UPDATED. */
    psa_status_t error;              /**< Why the second image is FAILED or REJECTED. */
    psa_fwu_image_version_t version; /**< Version of the active image. */
    uint32_t max_size;               /**< Largest image, in bytes. */
    uint32_t flags;                  /**< PSA_FWU_FLAG_*. */
    uint32_t location;               /**< Implementation defined: address of the active image. */
    psa_fwu_impl_info_t impl;        /**< Implementation-specific information. */
} psa_fwu_component_info_t;

/* Component states. */
#define PSA_FWU_READY 0u     /**< No update in progress. */
#define PSA_FWU_WRITING 1u   /**< A new image is being written. */
#define PSA_FWU_CANDIDATE 2u /**< The new image is complete. */
#define PSA_FWU_STAGED 3u    /**< Queued for installation at the next reboot. */
#define PSA_FWU_FAILED 4u    /**< Cancelled or failed; clean before the next update. */
#define PSA_FWU_TRIAL 5u     /**< The new image runs on trial: accept or reject it. */
#define PSA_FWU_REJECTED 6u  /**< Rejected on trial; the next reboot rolls back. */
#define PSA_FWU_UPDATED 7u   /**< Accepted; clean to erase the previous image. */

/* Component flags. */
#define PSA_FWU_FLAG_VOLATILE_STAGING 0x00000001u /**< The staging area is lost at reset. */
#define PSA_FWU_FLAG_ENCRYPTION 0x00000002u       /**< Images must be encrypted. */

/* Status codes the Firmware Update API adds to the PSA ones. */
#define PSA_SUCCESS_REBOOT ((psa_status_t)+1)  /**< Done, but a reboot completes it. */
#define PSA_SUCCESS_RESTART ((psa_status_t)+2) /**< Done, but a component restart completes it. */
#define PSA_ERROR_DEPENDENCY_NEEDED ((psa_status_t)-156)
#define PSA_ERROR_FLASH_ABUSE ((psa_status_t)-160)
#define PSA_ERROR_INSUFFICIENT_POWER ((psa_status_t)-161)

/** Offsets given to psa_fwu_write() are multiples of (1 << this); RAM: none. */
#define PSA_FWU_LOG2_WRITE_ALIGN 0
/** Largest block psa_fwu_write() takes in one call. */
#define PSA_FWU_MAX_WRITE_SIZE 1024u

psa_status_t psa_fwu_query(psa_fwu_component_t component, psa_fwu_component_info_t *info);
psa_status_t psa_fwu_start(psa_fwu_component_t component, const void *manifest,
                           size_t manifest_size);
psa_status_t psa_fwu_write(psa_fwu_component_t component, size_t image_offset, const void *block,
                           size_t block_size);
psa_status_t psa_fwu_finish(psa_fwu_component_t component);
psa_status_t psa_fwu_cancel(psa_fwu_component_t component);
psa_status_t psa_fwu_clean(psa_fwu_component_t component);
psa_status_t psa_fwu_install(void);
psa_status_t psa_fwu_request_reboot(void);
psa_status_t psa_fwu_reject(psa_status_t error);
psa_status_t psa_fwu_accept(void);

#ifdef __cplusplus
}
#endif

#endif /* IOT_FWU_EXTERNAL */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Board extensions (not part of the PSA API) ----------------------------
 * The OTA module verifies images itself, so it reads them back; the PSA API
 * has no read call. A TF-M platform provides these from a staging area that
 * the non-secure side may read, or moves verification into the secure side. */

/** Number of components (ids 0 .. IOT_FWU_COMPONENT_COUNT - 1). */
#define IOT_FWU_COMPONENT_COUNT 2u

/**
 * Read bytes of the image being prepared (WRITING, CANDIDATE or STAGED).
 * PSA_ERROR_DOES_NOT_EXIST: no such component; PSA_ERROR_INVALID_ARGUMENT:
 * the range lies outside the area.
 */
psa_status_t iot_fwu_read_second(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len);

/**
 * Read bytes of the active image and report its size. PSA_ERROR_DOES_NOT_EXIST:
 * no such component, or no image is active (the RAM stand-in starts without
 * one: the firmware that runs is not held in an image area). Bytes past the
 * end of the image read as zero.
 */
psa_status_t iot_fwu_read_active(psa_fwu_component_t component, size_t offset, void *buf,
                                 size_t len, uint32_t *size);

/**
 * What the boot loader does at a reboot, without rebooting: every STAGED
 * component becomes TRIAL (its new image is the active one), every TRIAL or
 * REJECTED component rolls back to its previous image and becomes FAILED,
 * and, when the staging is volatile (RAM backend), WRITING, CANDIDATE,
 * FAILED and UPDATED components lose their second image and become READY
 * (with the persistent semihost backend they keep their state: a download
 * survives the reboot). The stand-in's boot loader is the board boot step,
 * which calls this at start-up and, with the RAM backend, where a product
 * would reboot.
 */
psa_status_t iot_fwu_boot_transition(void);

/**
 * The resume point: bytes of the image being prepared (WRITING, CANDIDATE
 * or STAGED) written from offset 0 without a gap since psa_fwu_start(); 0
 * in the other states. With a persistent backend it is stored with every
 * write, after the bytes it counts, so after a reset it names bytes that
 * are there. (The PSA API leaves this count to the caller, which cannot
 * keep it across a reset without storage of its own.)
 * PSA_ERROR_DOES_NOT_EXIST: no such component.
 */
psa_status_t iot_fwu_written(psa_fwu_component_t component, uint32_t *bytes);

#ifdef __cplusplus
}
#endif

#endif /* IOT_FWU_H */
