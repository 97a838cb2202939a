/* SPDX-License-Identifier: Apache-2.0 */
/* What one MQTTAsync_sendMessage() costs the caller as Paho's queue grows.
 *
 *   paho_send [--messages N] [--qos Q]
 *
 * A client created as iot-gateway creates its upstream client
 * (sendWhileDisconnected, maxBufferedMessages) but never connected, so every
 * message stays in Paho's command queue: the queue length is the number of
 * messages sent so far. Prints the mean time per call for each block of
 * 1,000 messages. Paho 1.3 walks its whole command list on every send (the
 * buffered-message count, and for QoS > 0 the search for a free message id),
 * under the lock its send thread needs, so the cost grows with the backlog:
 * this is the measurement behind the gateway's send window (doc/gateway.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <MQTTAsync.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    MQTTAsync c;
    long n = 20000;
    int qos = 1;
    char payload[64];
    double block_start;
    long i;

    for (int a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--messages") == 0) {
            n = atol(argv[a + 1]);
        } else if (strcmp(argv[a], "--qos") == 0) {
            qos = atoi(argv[a + 1]);
        }
    }
    co.sendWhileDisconnected = 1;
    co.allowDisconnectedSendAtAnyTime = 1;
    co.maxBufferedMessages = (int)n + 1;
    if (MQTTAsync_createWithOptions(&c, "tcp://127.0.0.1:1", "paho-send-bench", MQTTCLIENT_PERSISTENCE_NONE,
                                    NULL, &co) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "paho_send: create failed\n");
        return 1;
    }
    memset(payload, 'x', sizeof(payload));
    printf("queued before the block   mean us per MQTTAsync_sendMessage (QoS %d)\n", qos);
    block_start = now_us();
    for (i = 0; i < n; i++) {
        MQTTAsync_message m = MQTTAsync_message_initializer;
        m.payload = payload;
        m.payloadlen = (int)sizeof(payload);
        m.qos = qos;
        if (MQTTAsync_sendMessage(c, "devices/bench/telemetry", &m, NULL) != MQTTASYNC_SUCCESS) {
            fprintf(stderr, "paho_send: send %ld refused\n", i);
            return 1;
        }
        if ((i + 1) % 1000 == 0) {
            double t = now_us();
            if ((i + 1) % 5000 == 0 || i < 1000) {
                printf("%24ld   %8.2f\n", i + 1 - 1000, (t - block_start) / 1000.0);
            }
            block_start = t;
        }
    }
    MQTTAsync_destroy(&c);
    return 0;
}
