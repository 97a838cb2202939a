/* SPDX-License-Identifier: Apache-2.0 */
/* Transport: a byte stream to the broker, TLS (Mbed TLS) or plain TCP over a port socket. */
#ifndef IOT_TRANSPORT_H
#define IOT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <corstone_iot/config.h>
#include <corstone_iot/port.h>
#include <corstone_iot/status.h>
#include <corstone_iot/tls.h>

#include "iot_transport_impl.h" /* defines struct iot_transport_impl (Mbed TLS contexts) */

/* One connection. Lives inside the client's static state; never on the heap
 * of the core (Mbed TLS may allocate its record buffers through its own
 * configured allocator). Zero-initialise before first use. */
typedef struct iot_transport {
    iot_port_socket_t sock;
    iot_tls_mode_t mode;
    int connected;
    uint32_t io_timeout_ms; /* used by the BIO callbacks during one call */
#if IOT_CONFIG_TLS_READ_AHEAD_SIZE > 0
    size_t ra_off;          /* read-ahead: next unread byte of ra_buf */
    size_t ra_len;          /* read-ahead: bytes of ra_buf not yet handed to TLS */
    uint8_t ra_buf[IOT_CONFIG_TLS_READ_AHEAD_SIZE];
#endif
    struct iot_transport_impl impl;
} iot_transport_t;

/* Open TCP to host:port, then (unless cfg->mode is IOT_TLS_NONE) run the TLS
 * handshake, all within timeout_ms. On failure everything is released and a
 * specific status returned:
 *   IOT_ERR_INVALID_ARG     NULL/missing required fields (e.g. no CA in CERT mode)
 *   IOT_ERR_NET_RESOLVE / IOT_ERR_NET_CONNECT / IOT_ERR_TIMEOUT  (from the port)
 *   IOT_ERR_TLS_CREDENTIALS our CA/cert/key/PSK could not be loaded or do not match
 *   IOT_ERR_TLS_CERT_UNTRUSTED / IOT_ERR_TLS_CERT_EXPIRED / IOT_ERR_TLS_HOSTNAME
 *   IOT_ERR_TLS_PSK_REJECTED  (PSK mode: server rejected identity or key)
 *   IOT_ERR_TLS_PEER_REFUSED  (server refused our client certificate)
 *   IOT_ERR_TLS_HANDSHAKE     (anything else)
 *   IOT_ERR_NOT_SUPPORTED     (IOT_CRED_STORE in a build without the key store or with a
 *                              volatile PSK; FILE on a port without files)
 *   IOT_CRED_STORE credentials also give the key store's statuses: IOT_ERR_NOT_FOUND (no such
 *   id), IOT_ERR_WRONG_KEY_TYPE (an object of another class, or a key of another type than
 *   the certificate's), IOT_ERR_NOT_PERMITTED, IOT_ERR_BAD_STATE (store not started),
 *   IOT_ERR_STORAGE_CORRUPT, IOT_ERR_IO; a stored key that is not the certificate's is
 *   IOT_ERR_TLS_CREDENTIALS, as with PEM keys.
 * Thread safety: a transport is used by one thread at a time (the client lock). */
iot_status_t iot_transport_connect(iot_transport_t *t, const char *host, uint16_t port,
                                   const iot_tls_config_t *cfg, uint32_t timeout_ms);

/* Send all len bytes within timeout_ms. IOT_OK, IOT_ERR_TIMEOUT (some bytes
 * may have been sent: the stream is then unusable), IOT_ERR_NET_CLOSED,
 * IOT_ERR_NET_IO, IOT_ERR_TLS, IOT_ERR_NOT_CONNECTED. */
iot_status_t iot_transport_send(iot_transport_t *t, const uint8_t *data, size_t len,
                                uint32_t timeout_ms);

/* Receive 1..len bytes, waiting up to timeout_ms for the first one.
 * IOT_OK with *received >= 1, IOT_ERR_TIMEOUT (nothing yet; the stream stays
 * usable), IOT_ERR_NET_CLOSED (peer closed or close_notify), IOT_ERR_NET_IO,
 * IOT_ERR_TLS (record layer failure), IOT_ERR_NOT_CONNECTED. */
iot_status_t iot_transport_recv(iot_transport_t *t, uint8_t *buf, size_t len, uint32_t timeout_ms,
                                size_t *received);

/* Whether iot_transport_recv would return at once without reading the
 * socket: decrypted bytes are buffered, or a whole TLS record has been read
 * ahead. A reader uses it to take every record that has already arrived in
 * one round. Only the thread that receives may call it. */
bool iot_transport_pending(const iot_transport_t *t);

/* IOT_OK when iot_transport_recv would not block (decrypted bytes are
 * buffered, a whole record was read ahead, or the socket is readable),
 * IOT_ERR_TIMEOUT otherwise. Does not touch the TLS context's state beyond
 * reading its buffered-byte count and the read-ahead counters, so a
 * reader may call it without the lock that serialises send/recv, as long as
 * the connection is not closed meanwhile. */
iot_status_t iot_transport_wait_readable(iot_transport_t *t, uint32_t timeout_ms);

/* Send close_notify (best effort), close the socket and free TLS state.
 * Safe on a closed or zeroed transport. */
void iot_transport_close(iot_transport_t *t);

#endif /* IOT_TRANSPORT_H */
