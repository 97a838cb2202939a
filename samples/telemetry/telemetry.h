/* SPDX-License-Identifier: Apache-2.0 */
/* Telemetry sample: the board-independent application. */
#ifndef TELEMETRY_H
#define TELEMETRY_H

#include <stdint.h>

#include <corstone_iot/mqtt.h>

typedef struct telemetry_config {
    const char *device_id;         /* also the MQTT client id */
    const char *host;
    uint16_t port;
    const iot_tls_config_t *tls;
    uint32_t interval_ms;          /* between readings */
    uint32_t count;                /* readings to send; 0 = forever */
    uint32_t commands_expected;    /* stop early once this many commands arrived (0 = ignore) */
} telemetry_config_t;

/* Connects, publishes simulated temperature and humidity as JSON to
 * devices/<id>/telemetry, prints commands received on devices/<id>/commands.
 * Returns 0 on success, 1 on failure. */
int telemetry_run(const telemetry_config_t *cfg);

/* Commands received on devices/<id>/commands since start. */
uint32_t telemetry_commands_received(void);

#endif /* TELEMETRY_H */
