/* SPDX-License-Identifier: Apache-2.0 */
/* Answers a gateway's attestation challenge on behalf of the application
 * (doc/gateway.md: the challenge/token exchange over MQTT). */
#include <string.h>

#include <corstone_iot/attest.h>
#include <corstone_iot/config.h>

#include "iot_attest_internal.h"
#include "iot_internal.h"

#define LOG_MOD "attest"

bool iot_attest_mqtt_answer(iot_client_t *client, const uint8_t *topic, size_t topic_len,
                            const uint8_t *payload, size_t payload_len)
{
    /* On the stack so that clients in several threads answer at once. */
    uint8_t token[IOT_CONFIG_ATTEST_TOKEN_MAX];
    size_t len = 0;
    iot_status_t st;

    if (topic_len != sizeof(IOT_ATTEST_TOPIC_CHALLENGE) - 1u ||
        memcmp(topic, IOT_ATTEST_TOPIC_CHALLENGE, topic_len) != 0) {
        return false;
    }
    st = iot_attest_get_token(payload, payload_len, token, sizeof(token), &len);
    if (st != IOT_OK) {
        /* Without a token the gateway closes the connection; say why here. */
        IOT_LOGE(LOG_MOD, "cannot answer the attestation challenge: %s", iot_status_name(st));
        return true;
    }
    st = iot_publish(client, IOT_ATTEST_TOPIC_TOKEN, token, len, IOT_QOS0, false);
    if (st != IOT_OK) {
        IOT_LOGE(LOG_MOD, "cannot send the attestation token: %s", iot_status_name(st));
    } else {
        IOT_LOGI(LOG_MOD, "answered the attestation challenge (%u-byte token)", (unsigned)len);
    }
    return true;
}

void iot_attest_mqtt_attach(void)
{
    iot_attest_mqtt_hook = iot_attest_mqtt_answer;
}
