/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SDK configuration of the board builds (IOT_CONFIG_FILE; a product's own
 * -DIOT_CONFIG_FILE=... replaces it): one MQTT client with buffers sized for
 * a sensor's messages, and a small key store, so that the telemetry firmware
 * (SDK, Mbed TLS, lwIP, port) stays within 64 KiB of RAM. Everything not set here keeps the
 * default of <corstone_iot/config.h>. RAM per setting is in doc/boards.md.
 */
#ifndef IOT_BOARD_CONFIG_H
#define IOT_BOARD_CONFIG_H

#define IOT_CONFIG_MQTT_MAX_CLIENTS 1          /* one broker connection */
#define IOT_CONFIG_MQTT_RX_BUFFER_SIZE 2048    /* largest incoming packet */
#define IOT_CONFIG_MQTT_QUEUE_SIZE 2048        /* outgoing QoS 1/2 messages until acknowledged */
#define IOT_CONFIG_MQTT_MAX_INFLIGHT 8
#define IOT_CONFIG_MQTT_MAX_SUBSCRIPTIONS 4
#define IOT_CONFIG_MQTT_MAX_HOST_LEN 64
/* The board ports run one thread (no iot_port_thread_start), so the
 * background thread could never start: iot_connect() answers
 * IOT_ERR_NOT_SUPPORTED for it either way. */
#define IOT_CONFIG_MQTT_BACKGROUND_THREAD 0
/* Key store over the in-image board object store (port_store.c; RAM or, in
 * the emulator, the semihost flash file: IOT_BOARD_STORAGE). */
#define IOT_CONFIG_KEYS_MAX_OBJECTS 8
#define IOT_CONFIG_KEYS_MAX_OBJECT_SIZE 2048   /* the key store's minimum */
/* Attestation (port_attest.c): at most the two firmware components, or the
 * running image; the largest token (two components, 64-byte challenge,
 * ES256, longest version texts) is at most about 515 bytes
 * (target.attest_board measures 479 with short version texts).
 * Static RAM: one buffer of this size + 32; the token is on the stack of
 * the MQTT client while it answers a challenge. */
#define IOT_CONFIG_ATTEST_TOKEN_MAX 640
#define IOT_CONFIG_ATTEST_MAX_COMPONENTS 2
/* Claims of the board's attestation stand-in (port_attest.c), without TF-M:
 * a configured lifecycle state (not read from fuses) and the text whose
 * SHA-256 is the implementation id. Defaults:
 *   IOT_BOARD_ATTEST_LIFECYCLE       IOT_ATTEST_LIFECYCLE_SECURED (0x3000)
 *   IOT_BOARD_ATTEST_IMPLEMENTATION  "corstone-iot board port without TF-M: " IOT_BOARD_NAME */

#endif /* IOT_BOARD_CONFIG_H */
