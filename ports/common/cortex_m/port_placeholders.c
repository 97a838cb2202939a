/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PLACEHOLDERS. Firmware slots are not implemented on the board ports yet:
 * they arrive with TF-M's Firmware Update service. Until then every call
 * validates its arguments as port.h documents and otherwise returns
 * IOT_ERR_NOT_SUPPORTED.
 */
#include <corstone_iot/port.h>

/* ---- Firmware slots: placeholder until TF-M's Firmware Update service lands ---- */

iot_status_t iot_port_fw_query(iot_port_fw_component_t component, iot_port_fw_info_t *info)
{
    (void)component;
    return (info == NULL) ? IOT_ERR_INVALID_ARG : IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_start(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_write(iot_port_fw_component_t component, uint32_t offset,
                               const uint8_t *data, size_t len)
{
    (void)component;
    (void)offset;
    return (data == NULL && len != 0u) ? IOT_ERR_INVALID_ARG : IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_read(iot_port_fw_component_t component, uint32_t offset, uint8_t *buf,
                              size_t len)
{
    (void)component;
    (void)offset;
    return (buf == NULL && len != 0u) ? IOT_ERR_INVALID_ARG : IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_finish(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_install(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_cancel(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_accept(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_reject(iot_port_fw_component_t component)
{
    (void)component;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_request_reboot(void)
{
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_fw_read_active(iot_port_fw_component_t component, uint32_t offset,
                                     uint8_t *buf, size_t len, uint32_t *size)
{
    (void)component;
    (void)offset;
    (void)size;
    return (buf == NULL && len != 0u) ? IOT_ERR_INVALID_ARG : IOT_ERR_NOT_SUPPORTED;
}
