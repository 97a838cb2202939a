/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port object store (iot_port_store_*, port.h) over PSA Internal
 * Trusted Storage (psa_its_*): the store of a build whose PSA services come
 * from the platform, such as a board with TF-M, where the objects then live
 * in the secure world's ITS service (isolated, persistent, atomic writes,
 * integrity checked by TF-M).
 *
 * Mapping (uid for uid, no table of our own):
 *   iot_port_store_set       psa_its_set (flags NONE: replaceable)
 *   iot_port_store_get       psa_its_get_info, then psa_its_get of the bytes
 *                            that exist (the API 1.0 text and Mbed TLS's ITS
 *                            differ on reads past the end, so the read is
 *                            clamped here)
 *   iot_port_store_get_info  psa_its_get_info
 *   iot_port_store_remove    psa_its_remove
 * The port API's atomicity and durability are the ITS service's: psa_its_set
 * replaces an object as a whole.
 *
 * The uids are the SDK's own (IOT_CONFIG_KEYS_STORE_UID_BASE and
 * IOT_CONFIG_OTA_STORE_UID_BASE ranges). Under TF-M each client has its own
 * ITS namespace; with Mbed TLS's built-in ITS the namespace is shared with
 * PSA persistent keys (file name = key id), which the SDK does not create.
 *
 * Status codes:
 *   PSA_ERROR_DOES_NOT_EXIST           IOT_ERR_NOT_FOUND
 *   PSA_ERROR_INSUFFICIENT_STORAGE     IOT_ERR_STORAGE_FULL
 *   PSA_ERROR_DATA_CORRUPT,
 *   PSA_ERROR_INVALID_SIGNATURE        IOT_ERR_STORAGE_CORRUPT
 *   anything else                      IOT_ERR_IO (STORAGE_FAILURE, a
 *                                      write-once object, ...)
 * No RAM of its own (a few words of stack).
 */
#include <corstone_iot/port.h>

#include "iot_psa_its.h"

static iot_status_t from_psa(psa_status_t st)
{
    switch (st) {
    case PSA_SUCCESS:
        return IOT_OK;
    case PSA_ERROR_DOES_NOT_EXIST:
        return IOT_ERR_NOT_FOUND;
    case PSA_ERROR_INSUFFICIENT_STORAGE:
        return IOT_ERR_STORAGE_FULL;
    case PSA_ERROR_DATA_CORRUPT:
    case PSA_ERROR_INVALID_SIGNATURE:
        return IOT_ERR_STORAGE_CORRUPT;
    default:
        return IOT_ERR_IO;
    }
}

iot_status_t iot_port_store_set(iot_port_store_uid_t uid, const void *data, size_t len)
{
    static const uint8_t empty = 0u;

    if (uid == 0u || (data == NULL && len != 0u)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (len > IOT_ITS_LEN_MAX) {
        return IOT_ERR_STORAGE_FULL;
    }
    return from_psa(psa_its_set(uid, len, (len != 0u) ? data : &empty, PSA_STORAGE_FLAG_NONE));
}

iot_status_t iot_port_store_get_info(iot_port_store_uid_t uid, size_t *size)
{
    struct psa_storage_info_t info;
    psa_status_t st;

    if (uid == 0u || size == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = psa_its_get_info(uid, &info);
    if (st != PSA_SUCCESS) {
        return from_psa(st);
    }
    *size = (size_t)info.size;
    return IOT_OK;
}

iot_status_t iot_port_store_get(iot_port_store_uid_t uid, size_t offset, size_t len, void *buf,
                                size_t *read_len)
{
    size_t size = 0u;
    size_t want;
    size_t got = 0u;
    iot_status_t st;
    psa_status_t pst;

    if (uid == 0u || buf == NULL || read_len == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = iot_port_store_get_info(uid, &size);
    if (st != IOT_OK) {
        return st;
    }
    if (offset > size) {
        return IOT_ERR_INVALID_ARG;
    }
    want = (len < size - offset) ? len : size - offset;
    if (want != 0u) {
        pst = psa_its_get(uid, offset, want, buf, &got);
        if (pst != PSA_SUCCESS) {
            return from_psa(pst);
        }
        if (got != want) {
            return IOT_ERR_STORAGE_CORRUPT; /* shorter than its own size */
        }
    }
    *read_len = want;
    return IOT_OK;
}

iot_status_t iot_port_store_remove(iot_port_store_uid_t uid)
{
    if (uid == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    return from_psa(psa_its_remove(uid));
}
