/* SPDX-License-Identifier: Apache-2.0 */
/* The MQTT client's one hook into attestation: answering a gateway's challenge. */
#ifndef IOT_ATTEST_INTERNAL_H
#define IOT_ATTEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/mqtt.h>

/* Called by the client (its lock released) for each inbound PUBLISH before
 * delivery. On IOT_ATTEST_TOPIC_CHALLENGE it publishes the token for the
 * payload on IOT_ATTEST_TOPIC_TOKEN (QoS 0) and returns true: the message is
 * consumed, the application never sees it. Any other topic: false. */
bool iot_attest_mqtt_answer(iot_client_t *client, const uint8_t *topic, size_t topic_len,
                            const uint8_t *payload, size_t payload_len);

#endif /* IOT_ATTEST_INTERNAL_H */
