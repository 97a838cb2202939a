/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OTA module: checkpointed writes (private to the SDK; used by the OTA agent).
 *
 * iot_ota_write() makes every write durable, which on a file system costs
 * an fsync of the data and of the slot's state record per call. The agent
 * writes blocks with ota_write_unsynced() instead and calls ota_checkpoint()
 * every IOT_CONFIG_OTA_CHECKPOINT_BYTES and at the end of the image: the
 * resume point (iot_ota_get_info().written) then moves at checkpoints only,
 * and a power cut repeats at most the bytes written since the last one.
 *
 * On a port without IOT_PORT_FW_HAS_SYNC, ota_write_unsynced() is
 * iot_ota_write() (durable) and ota_checkpoint() checks the state only.
 */
#ifndef CORSTONE_IOT_OTA_CHECKPOINT_H
#define CORSTONE_IOT_OTA_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/ota.h>
#include <corstone_iot/status.h>

/* iot_ota_write() without the durability: same checks and codes. The bytes
 * count for the resume point only after the next ota_checkpoint(). */
iot_status_t ota_write_unsynced(iot_ota_component_t component, uint32_t offset,
                                const uint8_t *data, size_t len);

/* Make every byte written so far durable and move the resume point over
 * them. IOT_ERR_BAD_STATE when no download is under way. */
iot_status_t ota_checkpoint(iot_ota_component_t component);

#endif /* CORSTONE_IOT_OTA_CHECKPOINT_H */
