/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PSA Internal Trusted Storage calls (psa_its_*) that port_store_its.c
 * uses, from one of two providers:
 *
 *  - default: the platform's <psa/internal_trusted_storage.h>, PSA Certified
 *    Secure Storage API 1.0. TF-M's non-secure interface ships it (api_ns
 *    interface/include); its calls go to the secure world's ITS service.
 *  - IOT_PSA_ITS_MBEDTLS_BUILTIN: the ITS that Mbed TLS builds in
 *    (MBEDTLS_PSA_ITS_FILE_C, one file per uid in the current directory).
 *    Mbed TLS does not install its header, so the declarations are here,
 *    with the types that implementation uses (32-bit lengths and an info
 *    record of size and flags, without the API 1.0 capacity field).
 *
 * IOT_ITS_LEN_MAX is the largest length the provider's calls take.
 */
#ifndef IOT_PSA_ITS_H
#define IOT_PSA_ITS_H

#include <stddef.h>
#include <stdint.h>

#include <psa/crypto.h> /* psa_status_t and the PSA_ERROR_* codes */

#ifdef IOT_PSA_ITS_MBEDTLS_BUILTIN

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t psa_storage_uid_t;
typedef uint32_t psa_storage_create_flags_t;

struct psa_storage_info_t {
    uint32_t size;
    psa_storage_create_flags_t flags;
};

#define PSA_STORAGE_FLAG_NONE 0u

psa_status_t psa_its_set(psa_storage_uid_t uid, uint32_t data_length, const void *p_data,
                         psa_storage_create_flags_t create_flags);
psa_status_t psa_its_get(psa_storage_uid_t uid, uint32_t data_offset, uint32_t data_length,
                         void *p_data, size_t *p_data_length);
psa_status_t psa_its_get_info(psa_storage_uid_t uid, struct psa_storage_info_t *p_info);
psa_status_t psa_its_remove(psa_storage_uid_t uid);

#ifdef __cplusplus
}
#endif

#define IOT_ITS_LEN_MAX ((size_t)UINT32_MAX)

#else /* PSA Secure Storage API 1.0 */

#include <psa/internal_trusted_storage.h>

#define IOT_ITS_LEN_MAX SIZE_MAX

#endif

#endif /* IOT_PSA_ITS_H */
