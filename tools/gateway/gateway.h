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
/* Longest identity the key store can hold: labels are "attest:<identity>"
 * and at most IOT_KEY_LABEL_MAX (64) bytes. */
#define GW_MAX_STORED_IDENTITY 57

/* ---- Logging (gw_log.c): foreground, one line per event, to stderr ------- */

typedef enum { GW_LOG_ERROR = 0, GW_LOG_WARN = 1, GW_LOG_INFO = 2, GW_LOG_DEBUG = 3 } gw_log_level_t;

extern gw_log_level_t gw_log_level;
void gw_log(gw_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Configuration (gw_config.c) ------------------------------------------ */

typedef enum { GW_ATTEST_HMAC = 1, GW_ATTEST_ES256 = 2 } gw_attest_kind_t;

/* A device. Loaded from the key store, it carries key ids only (psk_len and
 * attest_key_len 0): the secrets stay in the store. Parsed from an import
 * line (gw_db_parse_line), it carries the bytes until they are imported. */
typedef struct gw_device {
    char identity[GW_MAX_IDENTITY + 1];
    uint32_t psk_id;                  /* key store: secret key "psk:<identity>" */
    uint32_t attest_id;               /* key store: "attest:<identity>" (secret or public key) */
    uint8_t psk[GW_MAX_KEY];
    size_t psk_len;
    gw_attest_kind_t attest_kind;
    uint8_t attest_key[GW_MAX_KEY];   /* HMAC key bytes (import and unit tests only) */
    size_t attest_key_len;
    uint8_t attest_pub[65];           /* ES256: uncompressed P-256 point */
    size_t attest_pub_len;
} gw_device_t;

typedef struct gw_config {
    char listen_host[64];
    uint16_t listen_port;
    char key_store[GW_PATH_MAX]; /* the gateway's key store directory (device database) */
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

/* Parse the configuration file. On error prints the file, line and reason
 * and returns -1. The devices come from the key store (gw_store_open). */
int gw_config_load(const char *path, gw_config_t *cfg);
/* One line of the import format "identity psk-hex hmac:<hex>|es256:<hex>"
 * (modified in place): 1 a device, 0 blank or comment, -1 bad identity or
 * PSK, -2 bad attestation key. */
int gw_db_parse_line(char *line, gw_device_t *d);
/* Sort cfg->devices by identity; -1 (logged) if one appears twice. */
int gw_config_sort_devices(gw_config_t *cfg);
void gw_config_free(gw_config_t *cfg);
const gw_device_t *gw_config_find_device(const gw_config_t *cfg, const char *identity, size_t len);
/* Hex to bytes; -1 on odd length or a non-hex character. */
int gw_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len);
void gw_hex_encode(const uint8_t *in, size_t len, char *out);

/* ---- Device database in the gateway's key store (gw_store.c) ------------- */

/* Open the key store in cfg->key_store and index its devices into
 * cfg->devices (identity -> key ids). Damaged objects are logged. */
int gw_store_open(gw_config_t *cfg);
void gw_store_close(gw_config_t *cfg);
/* Hand the device's PSK to this handshake only (mbedtls_ssl_set_hs_psk).
 * 0, or -1 with a reason (e.g. the object is damaged). */
struct mbedtls_ssl_context;
int gw_store_set_hs_psk(const gw_device_t *dev, struct mbedtls_ssl_context *ssl, char *reason,
                        size_t cap);
/* HMAC-SHA256 under the device's stored attestation key, inside the store. */
int gw_store_attest_hmac(const gw_device_t *dev, const uint8_t *msg, size_t len, uint8_t mac[32]);
/* Operator commands: import FILE ("-": stdin), list, remove IDENTITY.
 * Exit status for main(). */
int gw_store_command(gw_config_t *cfg, int argc, char **argv);

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
/* Hand messages waiting behind the send window to Paho while it has room
 * (main loop; also done by gw_upstream_publish and gw_upstream_take). */
void gw_upstream_pump(void);
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
