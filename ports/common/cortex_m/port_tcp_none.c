/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCP sockets of a board build without networking: used when lwIP's source
 * is not available (tools/fetch-board-deps.sh was not run). Every call
 * validates its arguments as port.h documents and otherwise returns
 * IOT_ERR_NOT_SUPPORTED. With lwIP, ports/common/lwip/port_tcp_lwip.c
 * replaces this file.
 */
#include <corstone_iot/port.h>

iot_status_t iot_port_tcp_connect(iot_port_socket_t *sock, const char *host, uint16_t port,
                                  uint32_t timeout_ms)
{
    (void)timeout_ms;
    if (sock == NULL || host == NULL || port == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    sock->handle = -1;
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_tcp_send(iot_port_socket_t *sock, const uint8_t *data, size_t len,
                               uint32_t timeout_ms, size_t *sent)
{
    (void)timeout_ms;
    if (sock == NULL || data == NULL || len == 0u || sent == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_tcp_recv(iot_port_socket_t *sock, uint8_t *buf, size_t len,
                               uint32_t timeout_ms, size_t *received)
{
    (void)timeout_ms;
    if (sock == NULL || buf == NULL || len == 0u || received == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    return IOT_ERR_NOT_SUPPORTED;
}

iot_status_t iot_port_tcp_wait_readable(iot_port_socket_t *sock, uint32_t timeout_ms)
{
    (void)timeout_ms;
    if (sock == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    return IOT_ERR_NOT_SUPPORTED;
}

void iot_port_tcp_close(iot_port_socket_t *sock)
{
    if (sock != NULL) {
        sock->handle = -1;
    }
}
