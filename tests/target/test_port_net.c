/* SPDX-License-Identifier: Apache-2.0 */
/*
 * On-target checks of the board port's network and entropy functions, run in
 * QEMU with a user-mode network that forwards nothing (restrict=on): every
 * bad argument gets its documented status, a host name is refused without
 * DNS, the network comes up by DHCP, a refused connection is
 * IOT_ERR_NET_CONNECT, one without time to complete is IOT_ERR_TIMEOUT, and
 * failed attempts leak no connection record. Entropy refuses with IOT_ERR_ENTROPY (no TRNG, no TF-M). The exit
 * status is the number of failed checks.
 */
#include <stdio.h>

#include <corstone_iot/port.h>
#include <corstone_iot/status.h>
#include "target_check.h"

int main(void)
{
    iot_port_socket_t sock = IOT_PORT_SOCKET_INIT;
    iot_port_socket_t bogus = { 99 };
    uint8_t buf[16] = { 0 };
    size_t n = 0;

    expect("connect NULL socket", iot_port_tcp_connect(NULL, "10.0.2.2", 80, 1000),
           IOT_ERR_INVALID_ARG);
    expect("connect NULL host", iot_port_tcp_connect(&sock, NULL, 80, 1000), IOT_ERR_INVALID_ARG);
    expect("connect port 0", iot_port_tcp_connect(&sock, "10.0.2.2", 0, 1000), IOT_ERR_INVALID_ARG);
    expect("connect host name", iot_port_tcp_connect(&sock, "broker.example.com", 8883, 1000),
           IOT_ERR_NET_RESOLVE);
    expect("send unconnected", iot_port_tcp_send(&sock, buf, sizeof(buf), 10, &n),
           IOT_ERR_INVALID_ARG);
    expect("recv unconnected", iot_port_tcp_recv(&sock, buf, sizeof(buf), 10, &n),
           IOT_ERR_INVALID_ARG);
    expect("wait unconnected", iot_port_tcp_wait_readable(&sock, 10), IOT_ERR_INVALID_ARG);
    expect("send bogus handle", iot_port_tcp_send(&bogus, buf, sizeof(buf), 10, &n),
           IOT_ERR_INVALID_ARG);
    iot_port_tcp_close(&bogus); /* must not touch anything */
    iot_port_tcp_close(NULL);

    /* DHCP; then QEMU's restricted network answers a SYN to anything but a
     * forwarded address with a reset: refused. */
    expect("connect refused", iot_port_tcp_connect(&sock, "10.0.2.2", 1883, 5000),
           IOT_ERR_NET_CONNECT);
    if (sock.handle != -1) {
        printf("FAIL socket handle %ld after a failed connect\n", (long)sock.handle);
        g_failures++;
    }
    /* No time to wait for the answer. */
    expect("connect without time", iot_port_tcp_connect(&sock, "10.0.2.2", 1883, 0),
           IOT_ERR_TIMEOUT);
    /* The connection records were released (there are two): more attempts
     * behave the same instead of running out. */
    for (int i = 0; i < 3; i++) {
        expect("connect refused again", iot_port_tcp_connect(&sock, "10.0.2.2", 1883, 5000),
               IOT_ERR_NET_CONNECT);
    }

    expect("entropy NULL buffer", iot_port_entropy(NULL, 4), IOT_ERR_INVALID_ARG);
    expect("entropy without a secure source", iot_port_entropy(buf, sizeof(buf)), IOT_ERR_ENTROPY);

    printf("port net checks: %u failed\n", g_failures);
    return (int)g_failures;
}
