/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: TCP client sockets with timeouts (non-blocking I/O + poll). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <corstone_iot/port.h>

/* Wait until fd is ready for `events` or the deadline passes. */
static iot_status_t wait_fd(int fd, short events, uint32_t timeout_ms)
{
    uint64_t deadline = iot_port_time_ms() + timeout_ms;

    for (;;) {
        struct pollfd p = { fd, events, 0 };
        uint64_t now = iot_port_time_ms();
        int left = (now >= deadline) ? 0 : (int)(deadline - now);
        int r = poll(&p, 1, left);
        if (r > 0) {
            return IOT_OK;
        }
        if (r == 0) {
            return IOT_ERR_TIMEOUT;
        }
        if (errno != EINTR) {
            return IOT_ERR_NET_IO;
        }
    }
}

static iot_status_t connect_one(const struct addrinfo *ai, uint32_t timeout_ms, int *out_fd)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int one = 1;
    int err = 0;
    socklen_t err_len = sizeof(err);
    iot_status_t st;

    if (fd < 0) {
        return IOT_ERR_NET_CONNECT;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        (void)close(fd);
        return IOT_ERR_NET_IO;
    }
    /* MQTT sends small packets and waits for answers: do not delay them. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            (void)close(fd);
            return IOT_ERR_NET_CONNECT;
        }
        st = wait_fd(fd, POLLOUT, timeout_ms);
        if (st != IOT_OK) {
            (void)close(fd);
            return st;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
            (void)close(fd);
            return IOT_ERR_NET_CONNECT;
        }
    }
    *out_fd = fd;
    return IOT_OK;
}

iot_status_t iot_port_tcp_connect(iot_port_socket_t *sock, const char *host, uint16_t port,
                                  uint32_t timeout_ms)
{
    struct addrinfo hints;
    struct addrinfo *list = NULL;
    struct addrinfo *ai;
    char service[8];
    uint64_t deadline;
    iot_status_t st = IOT_ERR_NET_CONNECT;

    if (sock == NULL || host == NULL || port == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    sock->handle = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    (void)snprintf(service, sizeof(service), "%u", (unsigned)port);
    deadline = iot_port_time_ms() + timeout_ms;
    if (getaddrinfo(host, service, &hints, &list) != 0 || list == NULL) {
        return IOT_ERR_NET_RESOLVE;
    }
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        uint64_t now = iot_port_time_ms();
        int fd = -1;
        if (now >= deadline) {
            st = IOT_ERR_TIMEOUT;
            break;
        }
        st = connect_one(ai, (uint32_t)(deadline - now), &fd);
        if (st == IOT_OK) {
            sock->handle = fd;
            break;
        }
    }
    freeaddrinfo(list);
    return st;
}

static iot_status_t errno_status(void)
{
    switch (errno) {
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
    case ESHUTDOWN:
        return IOT_ERR_NET_CLOSED;
    default:
        return IOT_ERR_NET_IO;
    }
}

iot_status_t iot_port_tcp_send(iot_port_socket_t *sock, const uint8_t *data, size_t len,
                               uint32_t timeout_ms, size_t *sent)
{
    if (sock == NULL || data == NULL || len == 0u || sent == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    for (;;) {
        ssize_t n = send((int)sock->handle, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            *sent = (size_t)n;
            return IOT_OK;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            iot_status_t st = wait_fd((int)sock->handle, POLLOUT, timeout_ms);
            if (st != IOT_OK) {
                return st;
            }
            continue;
        }
        return errno_status();
    }
}

iot_status_t iot_port_tcp_recv(iot_port_socket_t *sock, uint8_t *buf, size_t len,
                               uint32_t timeout_ms, size_t *received)
{
    if (sock == NULL || buf == NULL || len == 0u || received == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    for (;;) {
        ssize_t n = recv((int)sock->handle, buf, len, 0);
        if (n > 0) {
            *received = (size_t)n;
            return IOT_OK;
        }
        if (n == 0) {
            return IOT_ERR_NET_CLOSED;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            iot_status_t st = wait_fd((int)sock->handle, POLLIN, timeout_ms);
            if (st != IOT_OK) {
                return st;
            }
            continue;
        }
        return errno_status();
    }
}

iot_status_t iot_port_tcp_wait_readable(iot_port_socket_t *sock, uint32_t timeout_ms)
{
    if (sock == NULL || sock->handle < 0) {
        return IOT_ERR_INVALID_ARG;
    }
    return wait_fd((int)sock->handle, POLLIN, timeout_ms);
}

void iot_port_tcp_close(iot_port_socket_t *sock)
{
    if (sock != NULL && sock->handle >= 0) {
        (void)close((int)sock->handle);
        sock->handle = -1;
    }
}
