/* SPDX-License-Identifier: Apache-2.0 */
/* iot-gateway: shared declarations of its parts (configuration, token
 * verifier, upstream link, logging). */
#ifndef IOT_GATEWAY_H
#define IOT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_MAX_IDENTITY 64
#define GW_MAX_KEY 64
#define GW_PATH_MAX 512

/* ---- Logging (gw_log.c): foreground, one line per event, to stderr ------- */

typedef enum { GW_LOG_ERROR = 0, GW_LOG_WARN = 1, GW_LOG_INFO = 2, GW_LOG_DEBUG = 3 } gw_log_level_t;

extern gw_log_level_t gw_log_level;
void gw_log(gw_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Configuration (gw_config.c) ------------------------------------------ */

typedef enum { GW_ATTEST_HMAC = 1, GW_ATTEST_ES256 = 2 } gw_attest_kind_t;

typedef struct gw_device {
    char identity[GW_MAX_IDENTITY + 1];
    uint8_t psk[GW_MAX_KEY];
    size_t psk_len;
    gw_attest_kind_t attest_kind;
    uint8_t attest_key[GW_MAX_KEY];   /* HMAC key bytes */
    size_t attest_key_len;
    uint8_t attest_pub[65];           /* ES256: uncompressed P-256 point */
    size_t attest_pub_len;
} gw_device_t;

typedef struct gw_config {
    char listen_host[64];
    uint16_t listen_port;
    char psk_db[GW_PATH_MAX];
    char upstream_host[256];
    uint16_t upstream_port;
    char upstream_ca[GW_PATH_MAX];
    char upstream_cert[GW_PATH_MAX];
    char upstream_key[GW_PATH_MAX];
    char upstream_client_id[128];
    char upstream_username[128];
    char upstream_password[128];
    int upstream_buffer;        /* messages held while upstream is down */
    uint8_t (*allow)[32];       /* allowed software measurements */
    size_t allow_count;
    uint16_t lifecycle_min;     /* accepted lifecycle range (inclusive) */
    uint16_t lifecycle_max;
    uint32_t attest_timeout_ms; /* handshake + CONNECT + token */
    size_t max_sessions;
    size_t pre_attest_bytes;    /* device data held until the token verifies */
    gw_device_t *devices;
    size_t device_count;
} gw_config_t;

/* Parse the configuration file and the PSK database it names. On error
 * prints the file, line and reason and returns -1. */
int gw_config_load(const char *path, gw_config_t *cfg);
void gw_config_free(gw_config_t *cfg);
const gw_device_t *gw_config_find_device(const gw_config_t *cfg, const char *identity, size_t len);
/* Hex to bytes; -1 on odd length or a non-hex character. */
int gw_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len);
void gw_hex_encode(const uint8_t *in, size_t len, char *out);

/* ---- Token verifier (gw_verify.c), libcbor + Mbed TLS ---------------------- */

/* Verify a PSA attestation token: COSE tag and algorithm matching the
 * device's key, MAC or signature, profile, nonce == the challenge, lifecycle
 * in range, every software measurement on the allow-list. 0 on success;
 * otherwise -1 and a one-line reason. */
int gw_verify_token(const uint8_t *token, size_t len, const gw_device_t *dev, const uint8_t *nonce,
                    size_t nonce_len, const gw_config_t *cfg, char *reason, size_t reason_cap);

/* ---- Upstream link (gw_upstream.c), Paho MQTTAsync over mutual TLS -------- */

/* One message from upstream for the main loop (delivered through a queue). */
typedef struct gw_downlink {
    struct gw_downlink *next;
    char *topic;
    uint8_t *payload;
    size_t payload_len;
    int qos;
} gw_downlink_t;

/* Starts the Paho client; events_fd becomes readable when downlinks or a
 * (re)connection are waiting. -1 on a configuration error. */
int gw_upstream_start(const gw_config_t *cfg, int *events_fd);
/* 0 queued (sent or buffered), -1 dropped (buffer full): the caller logs. */
int gw_upstream_publish(const char *topic, const uint8_t *payload, size_t len, int qos);
void gw_upstream_subscribe(const char *filter, int qos);
void gw_upstream_unsubscribe(const char *filter);
/* Take the waiting downlinks (a list, oldest first) and whether the link
 * (re)connected since the last call (then the caller subscribes again). */
gw_downlink_t *gw_upstream_take(bool *reconnected);
void gw_downlink_free(gw_downlink_t *d);
/* Counters for the log and the bench. */
void gw_upstream_stats(unsigned long *sent, unsigned long *dropped, bool *connected);
void gw_upstream_stop(void);

#endif /* IOT_GATEWAY_H */
