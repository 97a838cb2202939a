/* SPDX-License-Identifier: Apache-2.0 */
/* Text and names for every iot_status_t code. */
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/status.h>

/*
 * The codes come in runs of consecutive values (status.h groups them by
 * area): each run is one row of k_runs, and its codes take the next entries
 * of the two string tables, in code order. A switch per function would
 * compile into a jump table with one entry for every value from 0 to the
 * largest code (130 words each). Each function has a table of its own, so
 * that firmware calling one of them links only its strings.
 */
typedef struct {
    uint8_t first; /* first code of the run */
    uint8_t count; /* codes in the run */
} status_run_t;

static const status_run_t k_runs[] = {
    { 0u, 19u },
    { 32u, 4u },
    { 48u, 8u },
    { 64u, 11u },
    { 96u, 6u },
    { 128u, 2u },
};

/* Codes in k_runs, and entries in each string table. A new status code
 * goes into k_runs (a new run when it starts one), into both tables at its
 * place in code order, and into this count. */
#define STATUS_COUNT 50u

static const char *const k_text[] = {
    "Success", /* IOT_OK */
    "A pointer was NULL, a size or value out of range", /* IOT_ERR_INVALID_ARG */
    "The call is not allowed in the object's current state", /* IOT_ERR_BAD_STATE */
    "A configured static pool or table is exhausted", /* IOT_ERR_NO_MEMORY */
    "The caller's buffer cannot hold the result", /* IOT_ERR_BUFFER_TOO_SMALL */
    "The operation did not complete within its time limit", /* IOT_ERR_TIMEOUT */
    "Back-pressure: the bounded outgoing queue is full; retry later", /* IOT_ERR_QUEUE_FULL */
    "The feature is not built in or not offered by this port", /* IOT_ERR_NOT_SUPPORTED */
    "A port I/O operation (file, flash, device) failed", /* IOT_ERR_IO */
    "More input bytes are needed to complete the operation", /* IOT_ERR_INCOMPLETE */
    "The named object does not exist", /* IOT_ERR_NOT_FOUND */
    "An object with that name or id already exists", /* IOT_ERR_ALREADY_EXISTS */
    "The operation is forbidden by policy (e.g. exporting a secret)", /* IOT_ERR_NOT_PERMITTED */
    "Persistent storage has no room for the object", /* IOT_ERR_STORAGE_FULL */
    "Persistent storage holds data that fails its integrity check", /* IOT_ERR_STORAGE_CORRUPT */
    "A cryptographic service reported a failure", /* IOT_ERR_CRYPTO */
    "No (secure) entropy source is available", /* IOT_ERR_ENTROPY */
    "Input data (PEM, DER, image, token) is malformed", /* IOT_ERR_BAD_FORMAT */
    "An internal invariant failed; please report it", /* IOT_ERR_INTERNAL */
    "The host name could not be resolved", /* IOT_ERR_NET_RESOLVE */
    "The TCP connection was refused or could not be made", /* IOT_ERR_NET_CONNECT */
    "The peer closed the connection", /* IOT_ERR_NET_CLOSED */
    "Sending or receiving on the socket failed", /* IOT_ERR_NET_IO */
    "The TLS handshake failed for a reason not listed below", /* IOT_ERR_TLS_HANDSHAKE */
    "The server certificate does not chain to the configured CA", /* IOT_ERR_TLS_CERT_UNTRUSTED */
    "The server certificate has expired or is not yet valid", /* IOT_ERR_TLS_CERT_EXPIRED */
    "The server certificate does not match the host name", /* IOT_ERR_TLS_HOSTNAME */
    "The pre-shared key or its identity was rejected", /* IOT_ERR_TLS_PSK_REJECTED */
    "The server refused our client certificate", /* IOT_ERR_TLS_PEER_REFUSED */
    "Our own TLS credentials are missing, unreadable or inconsistent", /* IOT_ERR_TLS_CREDENTIALS */
    "A TLS record-layer error after the handshake", /* IOT_ERR_TLS */
    "The peer sent a malformed or unexpected MQTT packet", /* IOT_ERR_MQTT_PROTOCOL */
    "CONNACK 1: protocol version refused", /* IOT_ERR_MQTT_REFUSED_VERSION */
    "CONNACK 2: client identifier rejected", /* IOT_ERR_MQTT_REFUSED_ID */
    "CONNACK 3: server unavailable", /* IOT_ERR_MQTT_SERVER_UNAVAILABLE */
    "CONNACK 4: bad user name or password", /* IOT_ERR_MQTT_BAD_CREDENTIALS */
    "CONNACK 5: not authorised", /* IOT_ERR_MQTT_NOT_AUTHORIZED */
    "The broker refused a subscription (SUBACK 0x80)", /* IOT_ERR_MQTT_SUBSCRIBE_REFUSED */
    "The client has no connection to the broker", /* IOT_ERR_NOT_CONNECTED */
    "The broker did not answer a keep-alive ping in time", /* IOT_ERR_KEEPALIVE */
    "A packet exceeds MQTT's or the configured maximum size", /* IOT_ERR_PACKET_TOO_LARGE */
    "A topic or filter is empty, not UTF-8, or misuses wildcards", /* IOT_ERR_BAD_TOPIC */
    "A signature does not verify against the data and the key", /* IOT_ERR_BAD_SIGNATURE */
    "The key type, curve or size is not supported", /* IOT_ERR_UNSUPPORTED_KEY */
    "An object label is too long or contains control characters", /* IOT_ERR_BAD_LABEL */
    "Input data (PEM, DER) ends before its declared end", /* IOT_ERR_TRUNCATED */
    "PEM armour is malformed: no BEGIN/END line or invalid base64", /* IOT_ERR_BAD_PEM */
    "The object or data is of the wrong kind for the operation", /* IOT_ERR_WRONG_KEY_TYPE */
    "The attestation challenge is not 32, 48 or 64 bytes long", /* IOT_ERR_ATTEST_CHALLENGE */
    "The key store holds no usable attestation key", /* IOT_ERR_ATTEST_NO_KEY */
};

static const char *const k_name[] = {
    "IOT_OK",
    "IOT_ERR_INVALID_ARG",
    "IOT_ERR_BAD_STATE",
    "IOT_ERR_NO_MEMORY",
    "IOT_ERR_BUFFER_TOO_SMALL",
    "IOT_ERR_TIMEOUT",
    "IOT_ERR_QUEUE_FULL",
    "IOT_ERR_NOT_SUPPORTED",
    "IOT_ERR_IO",
    "IOT_ERR_INCOMPLETE",
    "IOT_ERR_NOT_FOUND",
    "IOT_ERR_ALREADY_EXISTS",
    "IOT_ERR_NOT_PERMITTED",
    "IOT_ERR_STORAGE_FULL",
    "IOT_ERR_STORAGE_CORRUPT",
    "IOT_ERR_CRYPTO",
    "IOT_ERR_ENTROPY",
    "IOT_ERR_BAD_FORMAT",
    "IOT_ERR_INTERNAL",
    "IOT_ERR_NET_RESOLVE",
    "IOT_ERR_NET_CONNECT",
    "IOT_ERR_NET_CLOSED",
    "IOT_ERR_NET_IO",
    "IOT_ERR_TLS_HANDSHAKE",
    "IOT_ERR_TLS_CERT_UNTRUSTED",
    "IOT_ERR_TLS_CERT_EXPIRED",
    "IOT_ERR_TLS_HOSTNAME",
    "IOT_ERR_TLS_PSK_REJECTED",
    "IOT_ERR_TLS_PEER_REFUSED",
    "IOT_ERR_TLS_CREDENTIALS",
    "IOT_ERR_TLS",
    "IOT_ERR_MQTT_PROTOCOL",
    "IOT_ERR_MQTT_REFUSED_VERSION",
    "IOT_ERR_MQTT_REFUSED_ID",
    "IOT_ERR_MQTT_SERVER_UNAVAILABLE",
    "IOT_ERR_MQTT_BAD_CREDENTIALS",
    "IOT_ERR_MQTT_NOT_AUTHORIZED",
    "IOT_ERR_MQTT_SUBSCRIBE_REFUSED",
    "IOT_ERR_NOT_CONNECTED",
    "IOT_ERR_KEEPALIVE",
    "IOT_ERR_PACKET_TOO_LARGE",
    "IOT_ERR_BAD_TOPIC",
    "IOT_ERR_BAD_SIGNATURE",
    "IOT_ERR_UNSUPPORTED_KEY",
    "IOT_ERR_BAD_LABEL",
    "IOT_ERR_TRUNCATED",
    "IOT_ERR_BAD_PEM",
    "IOT_ERR_WRONG_KEY_TYPE",
    "IOT_ERR_ATTEST_CHALLENGE",
    "IOT_ERR_ATTEST_NO_KEY",
};

_Static_assert(sizeof(k_text) / sizeof(k_text[0]) == STATUS_COUNT, "k_text: one entry per code");
_Static_assert(sizeof(k_name) / sizeof(k_name[0]) == STATUS_COUNT, "k_name: one entry per code");

/* The entry of `status` in the string tables, or STATUS_COUNT for a value
 * that is no status code. */
static size_t status_index(iot_status_t status)
{
    /* Compare as int: the enum's underlying type may be unsigned. */
    int code = (int)status;
    size_t base = 0;
    size_t i;

    for (i = 0; i < sizeof(k_runs) / sizeof(k_runs[0]); i++) {
        int offset = code - (int)k_runs[i].first;

        if (offset >= 0 && offset < (int)k_runs[i].count) {
            return base + (size_t)offset;
        }
        base += k_runs[i].count;
    }
    return STATUS_COUNT;
}

const char *iot_strerror(iot_status_t status)
{
    size_t i = status_index(status);

    return (i < STATUS_COUNT) ? k_text[i] : "unknown status code";
}

const char *iot_status_name(iot_status_t status)
{
    size_t i = status_index(status);

    return (i < STATUS_COUNT) ? k_name[i] : "IOT_ERR_UNKNOWN";
}
