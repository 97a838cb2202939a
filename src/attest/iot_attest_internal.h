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

/* The client reaches iot_attest_mqtt_answer() through this pointer
 * (mqtt_client.c), which iot_attest_mqtt_attach() sets: iot_keystore_init()
 * calls it, since a token needs the key store. Firmware that never starts
 * the store then links neither attestation nor the store; the client
 * consumes a challenge all the same and logs that it cannot answer it
 * (IOT_ERR_BAD_STATE, what the store answers before it is started). */
typedef bool (*iot_attest_mqtt_answer_fn)(iot_client_t *client, const uint8_t *topic,
                                          size_t topic_len, const uint8_t *payload,
                                          size_t payload_len);
extern iot_attest_mqtt_answer_fn iot_attest_mqtt_hook;
void iot_attest_mqtt_attach(void);

#endif /* IOT_ATTEST_INTERNAL_H */
