/* SPDX-License-Identifier: Apache-2.0 */
/* Telemetry sample: simulated sensor readings out, commands in, on any port. */
#include <stdio.h>
#include <string.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/mqtt.h>
#include <corstone_iot/port.h>

#include "telemetry.h"

static volatile uint32_t g_commands;

/* A deterministic "sensor": a slow daily-like wave plus a little noise. */
static void read_sensor(uint32_t n, int *temp_centi, int *humidity_centi)
{
    static uint32_t noise = 2463534242u;
    int wave = (int)((n % 60u) < 30u ? (n % 60u) : 60u - (n % 60u)); /* 0..30..0 */

    noise ^= noise << 13;
    noise ^= noise >> 17;
    noise ^= noise << 5;
    *temp_centi = 2150 + wave * 8 + (int)(noise % 21u) - 10;
    *humidity_centi = 4500 - wave * 12 + (int)((noise >> 8) % 41u) - 20;
}

static void on_command(iot_client_t *client, const iot_message_t *msg, void *user)
{
    (void)client;
    (void)user;
    printf("command on %.*s: %.*s\n", (int)msg->topic_len, msg->topic, (int)msg->payload_len,
           (const char *)msg->payload);
    fflush(stdout);
    g_commands++;
}

static void on_event(iot_client_t *client, iot_event_t event, iot_status_t status, void *user)
{
    (void)client;
    (void)user;
    if (event == IOT_EVENT_DISCONNECTED) {
        printf("connection lost (%s), reconnecting\n", iot_strerror(status));
    } else if (event == IOT_EVENT_CONNECTED) {
        printf("connected\n");
    }
    fflush(stdout);
}

uint32_t telemetry_commands_received(void)
{
    return g_commands;
}

int telemetry_run(const telemetry_config_t *cfg)
{
    iot_connect_options_t opts = IOT_CONNECT_OPTIONS_INIT;
    iot_client_t *client = NULL;
    char telemetry_topic[96];
    char command_topic[96];
    char json[128];
    iot_status_t st;
    uint32_t n;

    (void)snprintf(telemetry_topic, sizeof(telemetry_topic), "devices/%s/telemetry", cfg->device_id);
    (void)snprintf(command_topic, sizeof(command_topic), "devices/%s/commands", cfg->device_id);
    opts.host = cfg->host;
    opts.port = cfg->port;
    opts.client_id = cfg->device_id;
    opts.tls = cfg->tls;
    opts.keep_alive_s = 30;
    opts.on_event = on_event;

    printf("corstone-iot %s telemetry: connecting to %s:%u as %s\n", iot_version_string(),
           cfg->host, (unsigned)cfg->port, cfg->device_id);
    st = iot_connect(&opts, &client);
    if (st != IOT_OK) {
        printf("connect failed: %s (%s)\n", iot_strerror(st), iot_status_name(st));
        return 1;
    }
    st = iot_subscribe(client, command_topic, IOT_QOS1, on_command, NULL);
    if (st != IOT_OK) {
        printf("subscribe failed: %s\n", iot_strerror(st));
        (void)iot_disconnect(client);
        return 1;
    }
    for (n = 0; cfg->count == 0u || n < cfg->count; n++) {
        int t = 0;
        int h = 0;
        read_sensor(n, &t, &h);
        (void)snprintf(json, sizeof(json),
                       "{\"seq\":%u,\"temperature\":%d.%02d,\"humidity\":%d.%02d}", (unsigned)n,
                       t / 100, t % 100, h / 100, h % 100);
        st = iot_publish(client, telemetry_topic, json, strlen(json), IOT_QOS1, false);
        printf("published %s -> %s\n", json, (st == IOT_OK) ? "ok" : iot_strerror(st));
        fflush(stdout);
        /* iot_process drives I/O while we wait for the next reading. */
        (void)iot_process(client, cfg->interval_ms);
        if (cfg->commands_expected != 0u && g_commands >= cfg->commands_expected) {
            n++; /* this reading was published too */
            break;
        }
    }
    st = iot_flush(client, 10000);
    (void)iot_disconnect(client);
    printf("done: %u readings, %u commands, %s\n", (unsigned)n, (unsigned)g_commands,
           (st == IOT_OK) ? "all acknowledged" : iot_strerror(st));
    return (st == IOT_OK) ? 0 : 1;
}
