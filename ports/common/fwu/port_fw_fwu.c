/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port's firmware slots (iot_port_fw_*, port.h) on the PSA Firmware
 * Update API (psa_fwu_*, iot_fwu.h): the same code over the stand-in
 * (fwu_service.c, RAM or semihost backend) and over a TF-M Firmware Update
 * service.
 *
 * Port call        PSA calls
 * query            psa_fwu_query (UPDATED reads as READY: the new image is active)
 * start            psa_fwu_clean if FAILED or UPDATED, then psa_fwu_start (no detached manifest)
 * write            psa_fwu_write, in blocks of at most PSA_FWU_MAX_WRITE_SIZE
 * read             iot_fwu_read_second (board extension: the PSA API cannot read back)
 * finish           psa_fwu_finish
 * install          psa_fwu_install (refused while another component is a candidate too:
 *                  it installs every candidate, the port installs one component)
 * cancel           psa_fwu_cancel (WRITING, CANDIDATE) or psa_fwu_reject (STAGED), then psa_fwu_clean
 * accept           psa_fwu_accept, then psa_fwu_clean (erases the previous image)
 * reject           psa_fwu_reject(0); psa_fwu_clean when that ends in FAILED
 * request_reboot   psa_fwu_request_reboot
 * read_active      iot_fwu_read_active (board extension)
 * (resume point)   iot_fwu_written (board extension)
 *
 * The PSA API leaves it to the caller to count what it wrote; the port
 * takes the resume point (bytes written from offset 0 without a gap) from
 * the service's board extension iot_fwu_written(), which a persistent
 * service stores with the bytes, so a download in WRITING resumes after a
 * reset (with the RAM stand-in the staging area is gone anyway).
 * psa_fwu_install(), psa_fwu_accept() and psa_fwu_reject() act on
 * every component in the state they apply to; as the API allows one
 * installation at a time, at most one component is ever STAGED, on TRIAL or
 * REJECTED, so the port's per-component calls keep their meaning. Not
 * thread-safe: the board ports run one thread.
 */
#include <corstone_iot/port.h>

#include "iot_fwu.h"

_Static_assert(IOT_FWU_COMPONENT_COUNT == IOT_PORT_FW_COMPONENT_COUNT,
               "one PSA firmware component per port component");

static iot_status_t from_psa(psa_status_t st)
{
    switch (st) {
    case PSA_SUCCESS:
    case PSA_SUCCESS_REBOOT:
    case PSA_SUCCESS_RESTART:
        return IOT_OK;
    case PSA_ERROR_DOES_NOT_EXIST:
        return IOT_ERR_NOT_FOUND;
    case PSA_ERROR_BAD_STATE:
        return IOT_ERR_BAD_STATE;
    case PSA_ERROR_INVALID_ARGUMENT:
        return IOT_ERR_INVALID_ARG;
    case PSA_ERROR_NOT_SUPPORTED:
        return IOT_ERR_NOT_SUPPORTED;
    case PSA_ERROR_NOT_PERMITTED:
        return IOT_ERR_NOT_PERMITTED;
    case PSA_ERROR_INSUFFICIENT_STORAGE:
        return IOT_ERR_STORAGE_FULL;
    case PSA_ERROR_DATA_CORRUPT:
        return IOT_ERR_STORAGE_CORRUPT;
    case PSA_ERROR_INVALID_SIGNATURE:
        return IOT_ERR_BAD_SIGNATURE;
    default:
        return IOT_ERR_IO; /* storage, communication or other platform failure */
    }
}

static iot_status_t query(iot_port_fw_component_t component, psa_fwu_component_info_t *info)
{
    if (component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_NOT_FOUND;
    }
    return from_psa(psa_fwu_query((psa_fwu_component_t)component, info));
}

static int image_in_slot(uint8_t state)
{
    return state == PSA_FWU_WRITING || state == PSA_FWU_CANDIDATE || state == PSA_FWU_STAGED;
}

/* offset + len <= cap without overflow. */
static int range_fits(uint32_t offset, size_t len, uint32_t cap)
{
    return offset <= cap && len <= (size_t)(cap - offset);
}

iot_status_t iot_port_fw_query(iot_port_fw_component_t component, iot_port_fw_info_t *info)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st;

    if (info == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = query(component, &fwu);
    if (st != IOT_OK) {
        return st;
    }
    switch (fwu.state) {
    case PSA_FWU_READY:
    case PSA_FWU_UPDATED:
        info->state = IOT_PORT_FW_READY;
        break;
    case PSA_FWU_WRITING:
        info->state = IOT_PORT_FW_WRITING;
        break;
    case PSA_FWU_CANDIDATE:
        info->state = IOT_PORT_FW_CANDIDATE;
        break;
    case PSA_FWU_STAGED:
        info->state = IOT_PORT_FW_STAGED;
        break;
    case PSA_FWU_TRIAL:
        info->state = IOT_PORT_FW_TRIAL;
        break;
    case PSA_FWU_REJECTED:
        info->state = IOT_PORT_FW_REJECTED;
        break;
    case PSA_FWU_FAILED:
        info->state = IOT_PORT_FW_FAILED;
        break;
    default:
        return IOT_ERR_IO; /* a state this port does not know */
    }
    info->slot_size = fwu.max_size;
    info->written = 0;
    if (image_in_slot(fwu.state)) {
        return from_psa(iot_fwu_written((psa_fwu_component_t)component, &info->written));
    }
    return IOT_OK;
}

iot_status_t iot_port_fw_start(iot_port_fw_component_t component)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st = query(component, &fwu);

    if (st != IOT_OK) {
        return st;
    }
    if (fwu.state == PSA_FWU_FAILED || fwu.state == PSA_FWU_UPDATED) {
        st = from_psa(psa_fwu_clean((psa_fwu_component_t)component));
        if (st != IOT_OK) {
            return st;
        }
    } else if (fwu.state != PSA_FWU_READY) {
        return IOT_ERR_BAD_STATE;
    } else {
        /* READY: nothing to clean */
    }
    return from_psa(psa_fwu_start((psa_fwu_component_t)component, NULL, 0));
}

iot_status_t iot_port_fw_write(iot_port_fw_component_t component, uint32_t offset,
                               const uint8_t *data, size_t len)
{
    psa_fwu_component_info_t fwu;
    size_t done = 0;
    iot_status_t st;

    if (data == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    st = query(component, &fwu);
    if (st != IOT_OK) {
        return st;
    }
    if (fwu.state != PSA_FWU_WRITING) {
        return IOT_ERR_BAD_STATE;
    }
    if (!range_fits(offset, len, fwu.max_size)) {
        return IOT_ERR_STORAGE_FULL;
    }
    while (done < len) {
        size_t n = len - done;

        if (n > PSA_FWU_MAX_WRITE_SIZE) {
            n = PSA_FWU_MAX_WRITE_SIZE;
        }
        st = from_psa(psa_fwu_write((psa_fwu_component_t)component, (size_t)offset + done,
                                    data + done, n));
        if (st != IOT_OK) {
            /* The bytes before offset are kept; the resume point stays. */
            return (st == IOT_ERR_INVALID_ARG) ? IOT_ERR_IO : st;
        }
        done += n;
    }
    /* The service moves the resume point over bytes written without a gap. */
    return IOT_OK;
}

iot_status_t iot_port_fw_read(iot_port_fw_component_t component, uint32_t offset, uint8_t *buf,
                              size_t len)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    st = query(component, &fwu);
    if (st != IOT_OK) {
        return st;
    }
    if (!range_fits(offset, len, fwu.max_size)) {
        return IOT_ERR_INVALID_ARG;
    }
    if (len == 0u) {
        return IOT_OK;
    }
    return from_psa(iot_fwu_read_second((psa_fwu_component_t)component, offset, buf, len));
}

iot_status_t iot_port_fw_finish(iot_port_fw_component_t component)
{
    if (component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_NOT_FOUND;
    }
    return from_psa(psa_fwu_finish((psa_fwu_component_t)component));
}

iot_status_t iot_port_fw_install(iot_port_fw_component_t component)
{
    psa_fwu_component_info_t fwu;
    iot_port_fw_component_t other;
    iot_status_t st = query(component, &fwu);

    if (st != IOT_OK) {
        return st;
    }
    if (fwu.state != PSA_FWU_CANDIDATE) {
        return IOT_ERR_BAD_STATE;
    }
    for (other = 0; other < IOT_PORT_FW_COMPONENT_COUNT; other++) {
        if (other != component && query(other, &fwu) == IOT_OK &&
            fwu.state == PSA_FWU_CANDIDATE) {
            return IOT_ERR_BAD_STATE; /* psa_fwu_install() would stage both */
        }
    }
    return from_psa(psa_fwu_install());
}

iot_status_t iot_port_fw_cancel(iot_port_fw_component_t component)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st = query(component, &fwu);

    if (st != IOT_OK) {
        return st;
    }
    switch (fwu.state) {
    case PSA_FWU_READY:
        return IOT_OK; /* nothing in progress: cancel always ends in READY */
    case PSA_FWU_WRITING:
    case PSA_FWU_CANDIDATE:
        st = from_psa(psa_fwu_cancel((psa_fwu_component_t)component));
        break;
    case PSA_FWU_STAGED:
        st = from_psa(psa_fwu_reject(PSA_SUCCESS)); /* only this component is staged */
        break;
    case PSA_FWU_FAILED:
    case PSA_FWU_UPDATED:
        break;
    default:
        return IOT_ERR_BAD_STATE; /* TRIAL or REJECTED: accept or reject */
    }
    if (st == IOT_OK) {
        st = from_psa(psa_fwu_clean((psa_fwu_component_t)component));
    }
    return st;
}

iot_status_t iot_port_fw_accept(iot_port_fw_component_t component)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st = query(component, &fwu);

    if (st != IOT_OK) {
        return st;
    }
    if (fwu.state != PSA_FWU_TRIAL) {
        return IOT_ERR_BAD_STATE;
    }
    st = from_psa(psa_fwu_accept());
    if (st == IOT_OK) {
        /* UPDATED reads as READY; if erasing the previous image fails here,
         * the next start() cleans first. */
        (void)psa_fwu_clean((psa_fwu_component_t)component);
    }
    return st;
}

iot_status_t iot_port_fw_reject(iot_port_fw_component_t component)
{
    psa_fwu_component_info_t fwu;
    iot_status_t st = query(component, &fwu);

    if (st != IOT_OK) {
        return st;
    }
    if (fwu.state != PSA_FWU_TRIAL && fwu.state != PSA_FWU_STAGED) {
        return IOT_ERR_BAD_STATE;
    }
    st = from_psa(psa_fwu_reject(PSA_SUCCESS));
    if (st != IOT_OK) {
        return st;
    }
    /* STAGED (and a TRIAL that needs no reboot to roll back) end in FAILED:
     * clean to READY; a TRIAL that needs a reboot stays REJECTED until then. */
    st = query(component, &fwu);
    if (st == IOT_OK && fwu.state == PSA_FWU_FAILED) {
        st = from_psa(psa_fwu_clean((psa_fwu_component_t)component));
    }
    return st;
}

iot_status_t iot_port_fw_request_reboot(void)
{
    return from_psa(psa_fwu_request_reboot());
}

iot_status_t iot_port_fw_read_active(iot_port_fw_component_t component, uint32_t offset,
                                     uint8_t *buf, size_t len, uint32_t *size)
{
    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    if (component >= IOT_PORT_FW_COMPONENT_COUNT) {
        return IOT_ERR_NOT_FOUND;
    }
    return from_psa(
        iot_fwu_read_active((psa_fwu_component_t)component, offset, buf, len, size));
}
