/* SPDX-License-Identifier: Apache-2.0 */
/* The LAN9118 as an lwIP network interface (NO_SYS, polled). Internal to ports/. */
#ifndef IOT_LAN9118_NETIF_H
#define IOT_LAN9118_NETIF_H

#include "lwip/netif.h"

/* netif_add() init function; netif->state is the controller's base address
 * (uintptr_t cast to void *). Fails with ERR_IF when no controller answers. */
err_t lan9118_netif_init(struct netif *netif);

/* Passes every frame waiting in the RX FIFO to lwIP; returns how many. */
unsigned lan9118_netif_poll(struct netif *netif);

#endif /* IOT_LAN9118_NETIF_H */
