/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port's TCP functions over lwIP's raw API (NO_SYS): the network comes
 * up on the first connect (LAN9118 interface, DHCP lease), and every wait in
 * these functions polls the Ethernet controller and runs lwIP's timers, so
 * the stack only moves while the SDK is inside a port call. That suits the
 * single-threaded board port: the MQTT client calls iot_port_tcp_recv() or
 * iot_port_tcp_wait_readable() whenever it waits (iot_process), which keeps
 * TCP acknowledgements and retransmissions going.
 *
 * Host names must be numeric IPv4 addresses (no DNS on the board yet).
 * RAM: IOT_BOARD_TCP_SOCKETS connection records (a few words each) plus
 * lwIP's pools (lwipopts.h).
 */
#include <string.h>

#include <corstone_iot/port.h>

#include "board.h"
#include "cortex_m.h"
#include "iot_internal.h"
#include "lan9118_netif.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#ifndef IOT_BOARD_TCP_SOCKETS
#define IOT_BOARD_TCP_SOCKETS 2
#endif

typedef enum conn_state {
    CONN_FREE = 0,
    CONN_CONNECTING,
    CONN_OPEN,
    CONN_FAILED /* lwIP reported an error and freed the pcb */
} conn_state_t;

typedef struct conn {
    struct tcp_pcb *pcb;
    struct pbuf *rx;   /* received, not yet read by the SDK */
    conn_state_t state;
    err_t error;       /* set with CONN_FAILED */
    uint8_t peer_closed;
} conn_t;

static conn_t g_conns[IOT_BOARD_TCP_SOCKETS];
static struct netif g_netif;
static int g_net_state; /* 0: not started, 1: waiting for DHCP, 2: up, -1: no controller */

uint32_t iot_lwip_rand(void)
{
    /* Not security relevant (DHCP transaction ids, the first local port):
     * a generator seeded from the clock is enough. */
    static uint32_t x;

    if (x == 0u) {
        x = (uint32_t)iot_port_time_ms() ^ IOT_CM_SYST_CVR ^ 0x9E3779B9u;
    }
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

u32_t sys_now(void)
{
    return (u32_t)iot_port_time_ms();
}

/* Moves the stack forward: received frames, then due timers. */
static void net_poll(void)
{
    if (g_net_state > 0) {
        (void)lan9118_netif_poll(&g_netif);
        sys_check_timeouts();
    }
}

static uint32_t left_ms(uint64_t deadline)
{
    uint64_t now = iot_port_time_ms();

    return (now >= deadline) ? 0u : (uint32_t)((deadline - now > UINT32_MAX) ? UINT32_MAX : deadline - now);
}

/* One idle step of a wait: poll, then sleep a tick (the SysTick interrupt
 * wakes the core; frames are picked up on the next poll). */
static void net_wait_step(void)
{
    net_poll();
    iot_port_sleep_ms(1);
}

static iot_status_t net_up(uint64_t deadline)
{
    if (g_net_state == 0) {
        lwip_init();
        if (netif_add(&g_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4,
                      (void *)(uintptr_t)IOT_BOARD_ETH_BASE, lan9118_netif_init,
                      ethernet_input) == NULL) {
            g_net_state = -1;
            IOT_LOGE("net", "no LAN9118 Ethernet controller at 0x%08lx",
                     (unsigned long)IOT_BOARD_ETH_BASE);
            return IOT_ERR_NET_CONNECT;
        }
        netif_set_default(&g_netif);
        netif_set_up(&g_netif);
        netif_set_link_up(&g_netif);
        if (dhcp_start(&g_netif) != ERR_OK) {
            return IOT_ERR_NO_MEMORY;
        }
        g_net_state = 1;
    }
    if (g_net_state < 0) {
        return IOT_ERR_NET_CONNECT;
    }
    while (g_net_state == 1) {
        if (dhcp_supplied_address(&g_netif)) {
            char ip[IP4ADDR_STRLEN_MAX];

            g_net_state = 2;
            (void)ip; /* only logged, at the info level */
            IOT_LOGI("net", "DHCP lease: %s",
                     ip4addr_ntoa_r(netif_ip4_addr(&g_netif), ip, (int)sizeof(ip)));
            break;
        }
        if (left_ms(deadline) == 0u) {
            IOT_LOGE("net", "no DHCP lease yet");
            return IOT_ERR_TIMEOUT;
        }
        net_wait_step();
    }
    return IOT_OK;
}

static conn_t *conn_of(const iot_port_socket_t *sock)
{
    if (sock == NULL || sock->handle < 0 || sock->handle >= IOT_BOARD_TCP_SOCKETS) {
        return NULL;
    }
    conn_t *c = &g_conns[sock->handle];
    return (c->state == CONN_FREE) ? NULL : c;
}

/* ---- lwIP callbacks ---- */

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    conn_t *c = arg;

    (void)pcb;
    c->state = (err == ERR_OK) ? CONN_OPEN : CONN_FAILED;
    c->error = err;
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    conn_t *c = arg;

    (void)pcb;
    (void)err;
    if (p == NULL) {
        c->peer_closed = 1u;
    } else if (c->rx == NULL) {
        c->rx = p;
    } else {
        pbuf_cat(c->rx, p);
    }
    return ERR_OK;
}

/* The pcb is already freed when this runs. */
static void on_error(void *arg, err_t err)
{
    conn_t *c = arg;

    c->pcb = NULL;
    c->state = CONN_FAILED;
    c->error = err;
}

static void conn_release(conn_t *c)
{
    if (c->pcb != NULL) {
        tcp_arg(c->pcb, NULL);
        tcp_recv(c->pcb, NULL);
        tcp_err(c->pcb, NULL);
        if (tcp_close(c->pcb) != ERR_OK) {
            tcp_abort(c->pcb);
        }
        c->pcb = NULL;
    }
    if (c->rx != NULL) {
        pbuf_free(c->rx);
        c->rx = NULL;
    }
    memset(c, 0, sizeof(*c));
}

/* ---- port interface ---- */

iot_status_t iot_port_tcp_connect(iot_port_socket_t *sock, const char *host, uint16_t port,
                                  uint32_t timeout_ms)
{
    uint64_t deadline = iot_port_time_ms() + timeout_ms;
    ip4_addr_t addr;
    conn_t *c = NULL;
    iot_status_t st;
    err_t err;
    int i;

    if (sock == NULL || host == NULL || port == 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    sock->handle = -1;
    if (!ip4addr_aton(host, &addr)) {
        IOT_LOGE("net", "%s: not an IPv4 address (no DNS on this board)", host);
        return IOT_ERR_NET_RESOLVE;
    }
    st = net_up(deadline);
    if (st != IOT_OK) {
        return st;
    }
    for (i = 0; i < IOT_BOARD_TCP_SOCKETS && g_conns[i].state != CONN_FREE; i++) {
    }
    if (i == IOT_BOARD_TCP_SOCKETS) {
        return IOT_ERR_NO_MEMORY;
    }
    c = &g_conns[i];
    c->pcb = tcp_new();
    if (c->pcb == NULL) {
        return IOT_ERR_NO_MEMORY;
    }
    c->state = CONN_CONNECTING;
    tcp_arg(c->pcb, c);
    tcp_recv(c->pcb, on_recv);
    tcp_err(c->pcb, on_error);
    err = tcp_connect(c->pcb, &addr, port, on_connected);
    if (err != ERR_OK) {
        conn_release(c);
        return (err == ERR_MEM) ? IOT_ERR_NO_MEMORY : IOT_ERR_NET_CONNECT;
    }
    while (c->state == CONN_CONNECTING) {
        if (left_ms(deadline) == 0u) {
            conn_release(c);
            return IOT_ERR_TIMEOUT;
        }
        net_wait_step();
    }
    if (c->state != CONN_OPEN) {
        conn_release(c); /* refused (RST) or failed */
        return IOT_ERR_NET_CONNECT;
    }
    tcp_nagle_disable(c->pcb); /* MQTT packets are written whole; send them now */
    sock->handle = i;
    return IOT_OK;
}

static iot_status_t failed_status(const conn_t *c)
{
    return (c->error == ERR_RST || c->error == ERR_CLSD || c->error == ERR_ABRT)
               ? IOT_ERR_NET_CLOSED
               : IOT_ERR_NET_IO;
}

iot_status_t iot_port_tcp_send(iot_port_socket_t *sock, const uint8_t *data, size_t len,
                               uint32_t timeout_ms, size_t *sent)
{
    uint64_t deadline = iot_port_time_ms() + timeout_ms;
    conn_t *c = conn_of(sock);

    if (c == NULL || data == NULL || len == 0u || sent == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    for (;;) {
        net_poll();
        if (c->state != CONN_OPEN) {
            return failed_status(c);
        }
        u16_t room = tcp_sndbuf(c->pcb);
        if (room > 0u && tcp_sndqueuelen(c->pcb) < TCP_SND_QUEUELEN) {
            u16_t n = (len < room) ? (u16_t)len : room;
            err_t err = tcp_write(c->pcb, data, n, TCP_WRITE_FLAG_COPY);

            if (err == ERR_OK) {
                (void)tcp_output(c->pcb);
                *sent = n;
                return IOT_OK;
            }
            if (err != ERR_MEM) {
                return IOT_ERR_NET_IO;
            }
        }
        if (left_ms(deadline) == 0u) {
            return IOT_ERR_TIMEOUT;
        }
        net_wait_step();
    }
}

/* Waits until data or the end of the stream is pending; IOT_OK then. */
static iot_status_t wait_input(conn_t *c, uint32_t timeout_ms)
{
    uint64_t deadline = iot_port_time_ms() + timeout_ms;

    for (;;) {
        net_poll();
        if (c->rx != NULL || c->peer_closed || c->state != CONN_OPEN) {
            return IOT_OK;
        }
        if (left_ms(deadline) == 0u) {
            return IOT_ERR_TIMEOUT;
        }
        net_wait_step();
    }
}

iot_status_t iot_port_tcp_recv(iot_port_socket_t *sock, uint8_t *buf, size_t len,
                               uint32_t timeout_ms, size_t *received)
{
    conn_t *c = conn_of(sock);
    iot_status_t st;

    if (c == NULL || buf == NULL || len == 0u || received == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    st = wait_input(c, timeout_ms);
    if (st != IOT_OK) {
        return st;
    }
    if (c->rx != NULL) {
        u16_t n = (len < c->rx->tot_len) ? (u16_t)len : c->rx->tot_len;

        n = pbuf_copy_partial(c->rx, buf, n, 0);
        c->rx = pbuf_free_header(c->rx, n);
        if (c->pcb != NULL) {
            tcp_recved(c->pcb, n); /* reopen the window by what was taken */
        }
        *received = n;
        return IOT_OK;
    }
    return (c->state == CONN_OPEN) ? IOT_ERR_NET_CLOSED : failed_status(c);
}

iot_status_t iot_port_tcp_wait_readable(iot_port_socket_t *sock, uint32_t timeout_ms)
{
    conn_t *c = conn_of(sock);

    if (c == NULL) {
        return IOT_ERR_INVALID_ARG;
    }
    return wait_input(c, timeout_ms);
}

void iot_port_tcp_close(iot_port_socket_t *sock)
{
    conn_t *c = conn_of(sock);

    if (c != NULL) {
        conn_release(c);
        net_poll(); /* send the FIN now */
    }
    if (sock != NULL) {
        sock->handle = -1;
    }
}

void iot_lwip_assert(const char *msg, const char *file, int line)
{
    (void)msg; /* only logged */
    (void)file;
    (void)line;
    IOT_LOGE("net", "lwIP assertion failed: %s (%s:%d)", msg, file, line);
    iot_cm_semihost_exit(134);
}
