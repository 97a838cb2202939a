/* SPDX-License-Identifier: Apache-2.0 */
/* Text and names for every iot_status_t code. */
#include <corstone_iot/status.h>

const char *iot_strerror(iot_status_t status)
{
    switch (status) {
    case IOT_OK:
        return "Success";
    case IOT_ERR_INVALID_ARG:
        return "A pointer was NULL, a size or value out of range";
    case IOT_ERR_BAD_STATE:
        return "The call is not allowed in the object's current state";
    case IOT_ERR_NO_MEMORY:
        return "A configured static pool or table is exhausted";
    case IOT_ERR_BUFFER_TOO_SMALL:
        return "The caller's buffer cannot hold the result";
    case IOT_ERR_TIMEOUT:
        return "The operation did not complete within its time limit";
    case IOT_ERR_QUEUE_FULL:
        return "Back-pressure: the bounded outgoing queue is full; retry later";
    case IOT_ERR_NOT_SUPPORTED:
        return "The feature is not built in or not offered by this port";
    case IOT_ERR_IO:
        return "A port I/O operation (file, flash, device) failed";
    case IOT_ERR_INCOMPLETE:
        return "More input bytes are needed to complete the operation";
    case IOT_ERR_NOT_FOUND:
        return "The named object does not exist";
    case IOT_ERR_ALREADY_EXISTS:
        return "An object with that name or id already exists";
    case IOT_ERR_NOT_PERMITTED:
        return "The operation is forbidden by policy (e.g. exporting a secret)";
    case IOT_ERR_STORAGE_FULL:
        return "Persistent storage has no room for the object";
    case IOT_ERR_STORAGE_CORRUPT:
        return "Persistent storage holds data that fails its integrity check";
    case IOT_ERR_CRYPTO:
        return "A cryptographic service reported a failure";
    case IOT_ERR_ENTROPY:
        return "No (secure) entropy source is available";
    case IOT_ERR_BAD_FORMAT:
        return "Input data (PEM, DER, image, token) is malformed";
    case IOT_ERR_INTERNAL:
        return "An internal invariant failed; please report it";
    case IOT_ERR_NET_RESOLVE:
        return "The host name could not be resolved";
    case IOT_ERR_NET_CONNECT:
        return "The TCP connection was refused or could not be made";
    case IOT_ERR_NET_CLOSED:
        return "The peer closed the connection";
    case IOT_ERR_NET_IO:
        return "Sending or receiving on the socket failed";
    case IOT_ERR_TLS_HANDSHAKE:
        return "The TLS handshake failed for a reason not listed below";
    case IOT_ERR_TLS_CERT_UNTRUSTED:
        return "The server certificate does not chain to the configured CA";
    case IOT_ERR_TLS_CERT_EXPIRED:
        return "The server certificate has expired or is not yet valid";
    case IOT_ERR_TLS_HOSTNAME:
        return "The server certificate does not match the host name";
    case IOT_ERR_TLS_PSK_REJECTED:
        return "The pre-shared key or its identity was rejected";
    case IOT_ERR_TLS_PEER_REFUSED:
        return "The server refused our client certificate";
    case IOT_ERR_TLS_CREDENTIALS:
        return "Our own TLS credentials are missing, unreadable or inconsistent";
    case IOT_ERR_TLS:
        return "A TLS record-layer error after the handshake";
    case IOT_ERR_MQTT_PROTOCOL:
        return "The peer sent a malformed or unexpected MQTT packet";
    case IOT_ERR_MQTT_REFUSED_VERSION:
        return "CONNACK 1: protocol version refused";
    case IOT_ERR_MQTT_REFUSED_ID:
        return "CONNACK 2: client identifier rejected";
    case IOT_ERR_MQTT_SERVER_UNAVAILABLE:
        return "CONNACK 3: server unavailable";
    case IOT_ERR_MQTT_BAD_CREDENTIALS:
        return "CONNACK 4: bad user name or password";
    case IOT_ERR_MQTT_NOT_AUTHORIZED:
        return "CONNACK 5: not authorised";
    case IOT_ERR_MQTT_SUBSCRIBE_REFUSED:
        return "The broker refused a subscription (SUBACK 0x80)";
    case IOT_ERR_NOT_CONNECTED:
        return "The client has no connection to the broker";
    case IOT_ERR_KEEPALIVE:
        return "The broker did not answer a keep-alive ping in time";
    case IOT_ERR_PACKET_TOO_LARGE:
        return "A packet exceeds MQTT's or the configured maximum size";
    case IOT_ERR_BAD_TOPIC:
        return "A topic or filter is empty, not UTF-8, or misuses wildcards";
    case IOT_ERR_BAD_SIGNATURE:
        return "A signature does not verify against the data and the key";
    case IOT_ERR_UNSUPPORTED_KEY:
        return "The key type, curve or size is not supported";
    case IOT_ERR_BAD_LABEL:
        return "An object label is too long or contains control characters";
    case IOT_ERR_TRUNCATED:
        return "Input data (PEM, DER) ends before its declared end";
    case IOT_ERR_BAD_PEM:
        return "PEM armour is malformed: no BEGIN/END line or invalid base64";
    case IOT_ERR_WRONG_KEY_TYPE:
        return "The object or data is of the wrong kind for the operation";
    case IOT_ERR_ATTEST_CHALLENGE:
        return "The attestation challenge is not 32, 48 or 64 bytes long";
    case IOT_ERR_ATTEST_NO_KEY:
        return "The key store holds no usable attestation key";
    default:
        return "unknown status code";
    }
}

const char *iot_status_name(iot_status_t status)
{
    switch (status) {
    case IOT_OK:
        return "IOT_OK";
    case IOT_ERR_INVALID_ARG:
        return "IOT_ERR_INVALID_ARG";
    case IOT_ERR_BAD_STATE:
        return "IOT_ERR_BAD_STATE";
    case IOT_ERR_NO_MEMORY:
        return "IOT_ERR_NO_MEMORY";
    case IOT_ERR_BUFFER_TOO_SMALL:
        return "IOT_ERR_BUFFER_TOO_SMALL";
    case IOT_ERR_TIMEOUT:
        return "IOT_ERR_TIMEOUT";
    case IOT_ERR_QUEUE_FULL:
        return "IOT_ERR_QUEUE_FULL";
    case IOT_ERR_NOT_SUPPORTED:
        return "IOT_ERR_NOT_SUPPORTED";
    case IOT_ERR_IO:
        return "IOT_ERR_IO";
    case IOT_ERR_INCOMPLETE:
        return "IOT_ERR_INCOMPLETE";
    case IOT_ERR_NOT_FOUND:
        return "IOT_ERR_NOT_FOUND";
    case IOT_ERR_ALREADY_EXISTS:
        return "IOT_ERR_ALREADY_EXISTS";
    case IOT_ERR_NOT_PERMITTED:
        return "IOT_ERR_NOT_PERMITTED";
    case IOT_ERR_STORAGE_FULL:
        return "IOT_ERR_STORAGE_FULL";
    case IOT_ERR_STORAGE_CORRUPT:
        return "IOT_ERR_STORAGE_CORRUPT";
    case IOT_ERR_CRYPTO:
        return "IOT_ERR_CRYPTO";
    case IOT_ERR_ENTROPY:
        return "IOT_ERR_ENTROPY";
    case IOT_ERR_BAD_FORMAT:
        return "IOT_ERR_BAD_FORMAT";
    case IOT_ERR_INTERNAL:
        return "IOT_ERR_INTERNAL";
    case IOT_ERR_NET_RESOLVE:
        return "IOT_ERR_NET_RESOLVE";
    case IOT_ERR_NET_CONNECT:
        return "IOT_ERR_NET_CONNECT";
    case IOT_ERR_NET_CLOSED:
        return "IOT_ERR_NET_CLOSED";
    case IOT_ERR_NET_IO:
        return "IOT_ERR_NET_IO";
    case IOT_ERR_TLS_HANDSHAKE:
        return "IOT_ERR_TLS_HANDSHAKE";
    case IOT_ERR_TLS_CERT_UNTRUSTED:
        return "IOT_ERR_TLS_CERT_UNTRUSTED";
    case IOT_ERR_TLS_CERT_EXPIRED:
        return "IOT_ERR_TLS_CERT_EXPIRED";
    case IOT_ERR_TLS_HOSTNAME:
        return "IOT_ERR_TLS_HOSTNAME";
    case IOT_ERR_TLS_PSK_REJECTED:
        return "IOT_ERR_TLS_PSK_REJECTED";
    case IOT_ERR_TLS_PEER_REFUSED:
        return "IOT_ERR_TLS_PEER_REFUSED";
    case IOT_ERR_TLS_CREDENTIALS:
        return "IOT_ERR_TLS_CREDENTIALS";
    case IOT_ERR_TLS:
        return "IOT_ERR_TLS";
    case IOT_ERR_MQTT_PROTOCOL:
        return "IOT_ERR_MQTT_PROTOCOL";
    case IOT_ERR_MQTT_REFUSED_VERSION:
        return "IOT_ERR_MQTT_REFUSED_VERSION";
    case IOT_ERR_MQTT_REFUSED_ID:
        return "IOT_ERR_MQTT_REFUSED_ID";
    case IOT_ERR_MQTT_SERVER_UNAVAILABLE:
        return "IOT_ERR_MQTT_SERVER_UNAVAILABLE";
    case IOT_ERR_MQTT_BAD_CREDENTIALS:
        return "IOT_ERR_MQTT_BAD_CREDENTIALS";
    case IOT_ERR_MQTT_NOT_AUTHORIZED:
        return "IOT_ERR_MQTT_NOT_AUTHORIZED";
    case IOT_ERR_MQTT_SUBSCRIBE_REFUSED:
        return "IOT_ERR_MQTT_SUBSCRIBE_REFUSED";
    case IOT_ERR_NOT_CONNECTED:
        return "IOT_ERR_NOT_CONNECTED";
    case IOT_ERR_KEEPALIVE:
        return "IOT_ERR_KEEPALIVE";
    case IOT_ERR_PACKET_TOO_LARGE:
        return "IOT_ERR_PACKET_TOO_LARGE";
    case IOT_ERR_BAD_TOPIC:
        return "IOT_ERR_BAD_TOPIC";
    case IOT_ERR_BAD_SIGNATURE:
        return "IOT_ERR_BAD_SIGNATURE";
    case IOT_ERR_UNSUPPORTED_KEY:
        return "IOT_ERR_UNSUPPORTED_KEY";
    case IOT_ERR_BAD_LABEL:
        return "IOT_ERR_BAD_LABEL";
    case IOT_ERR_TRUNCATED:
        return "IOT_ERR_TRUNCATED";
    case IOT_ERR_BAD_PEM:
        return "IOT_ERR_BAD_PEM";
    case IOT_ERR_WRONG_KEY_TYPE:
        return "IOT_ERR_WRONG_KEY_TYPE";
    case IOT_ERR_ATTEST_CHALLENGE:
        return "IOT_ERR_ATTEST_CHALLENGE";
    case IOT_ERR_ATTEST_NO_KEY:
        return "IOT_ERR_ATTEST_NO_KEY";
    default:
        return "IOT_ERR_UNKNOWN";
    }
}
