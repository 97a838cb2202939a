/* SPDX-License-Identifier: Apache-2.0 */
/* LAN9118 lwIP glue: link output from pbuf chains, polled input into pool pbufs. */
#include "lan9118_netif.h"

#include "lan9118.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

/* Most pbufs one outgoing frame is made of (headers, then data). */
#define MAX_PIECES 8

/* A locally administered unicast address. The LAN9118 has no address of its
 * own without an EEPROM; a product programs its assigned one here. */
static const uint8_t k_mac[6] = { 0x02, 0xC0, 0x57, 0x00, 0x03, 0x00 };

static uintptr_t base_of(const struct netif *netif)
{
    return (uintptr_t)netif->state;
}

static err_t link_output(struct netif *netif, struct pbuf *p)
{
    const uint8_t *pieces[MAX_PIECES];
    size_t lens[MAX_PIECES];
    size_t n = 0;

    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        if (n == MAX_PIECES) {
            return ERR_BUF;
        }
        pieces[n] = q->payload;
        lens[n] = q->len;
        n++;
    }
    switch (lan9118_send(base_of(netif), pieces, lens, n)) {
    case LAN9118_OK:
        return ERR_OK;
    case LAN9118_ERR_FULL:
        return ERR_MEM; /* TCP retransmits */
    default:
        return ERR_BUF;
    }
}

err_t lan9118_netif_init(struct netif *netif)
{
    if (lan9118_init(base_of(netif), k_mac) != LAN9118_OK) {
        return ERR_IF;
    }
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = link_output;
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    for (unsigned i = 0; i < ETH_HWADDR_LEN; i++) {
        netif->hwaddr[i] = k_mac[i];
    }
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

unsigned lan9118_netif_poll(struct netif *netif)
{
    uintptr_t base = base_of(netif);
    unsigned frames = 0;
    size_t len;

    while ((len = lan9118_rx_peek(base)) != 0u) {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);

        if (p == NULL || p->next != NULL) {
            /* Pool exhausted (or a frame larger than one pool buffer): drop
             * it; TCP resends. */
            if (p != NULL) {
                pbuf_free(p);
            }
            lan9118_rx_drop(base, len);
            continue;
        }
        lan9118_rx_read(base, p->payload, len);
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
        }
        frames++;
    }
    return frames;
}
