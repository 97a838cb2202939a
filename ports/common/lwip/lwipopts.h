/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lwIP 2.1 options of the board builds: one Ethernet interface, IPv4, DHCP,
 * TCP client connections through the raw API, no operating system
 * (NO_SYS=1: the port polls the driver and runs lwIP's timers from the
 * thread that waits for the network, see port_tcp_lwip.c). What is not
 * listed keeps lwIP's default (lwip/opt.h). RAM of each pool is noted; the
 * total is in doc/boards.md.
 */
#ifndef IOT_LWIPOPTS_H
#define IOT_LWIPOPTS_H

/* No RTOS: no threads, no semaphores, no sequential or socket API. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0 /* lwIP is never entered from an interrupt */
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0

/* Memory: lwIP's own heap (MEM_SIZE) holds outgoing TCP segments (copied by
 * tcp_write) and the DHCP messages; the pbuf pool holds received frames. */
#define MEM_ALIGNMENT 4
#define MEM_SIZE (6 * 1024)             /* 6 KiB */
#define MEMP_NUM_PBUF 4                 /* references to ROM data: few */
#define MEMP_NUM_TCP_PCB 2              /* the MQTT connection and one closing */
#define MEMP_NUM_TCP_PCB_LISTEN 0       /* a client: no listening sockets */
#define MEMP_NUM_TCP_SEG 16             /* queued segments, >= TCP_SND_QUEUELEN */
#define MEMP_NUM_UDP_PCB 1              /* DHCP */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL)
#define PBUF_POOL_SIZE 5                /* 5 frames of 1536 + headers: about 7.8 KiB */
#define PBUF_POOL_BUFSIZE 1536

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ARP_TABLE_SIZE 4
#define ARP_QUEUEING 0
#define LWIP_ICMP 1                     /* answers pings: handy when debugging */
#define LWIP_RAW 0
#define LWIP_UDP 1                      /* DHCP only */
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK 0           /* no 2 s address conflict probe */
#define LWIP_DNS 0                      /* hosts are given as IPv4 addresses */
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 0                 /* TCP segments fit in one frame */
#define IP_FRAG 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1

/* TCP: one full-size segment in flight each way keeps RAM small; the MQTT
 * traffic of a device is a few hundred bytes at a time. */
#define TCP_MSS 1460
#define TCP_WND (2 * TCP_MSS)           /* receive window: what the pool can hold */
#define TCP_SND_BUF (2 * TCP_MSS)       /* send buffer in MEM_SIZE */
#define TCP_SND_QUEUELEN 8
#define TCP_QUEUE_OOSEQ 0               /* drop out-of-order segments: the peer resends */
#define LWIP_TCP_KEEPALIVE 0            /* MQTT has its own keep-alive */
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1

/* Checksums are computed in software (the LAN9118 offload is not used). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1

/* No statistics, no debug output. LWIP_NOASSERT drops lwIP's internal
 * consistency assertions (about 6 KiB of messages and 2 KiB of code);
 * argument checks (LWIP_ERROR) stay and return errors instead of asserting. */
#define LWIP_STATS 0
#define LWIP_NOASSERT 1
#define LWIP_NOASSERT_ON_ERROR 1

/* Random numbers for DHCP transaction ids and the first local port: not
 * security relevant (TLS protects the connection), taken from the port. */
#include <stdint.h>
uint32_t iot_lwip_rand(void);
#define LWIP_RAND() iot_lwip_rand()

#endif /* IOT_LWIPOPTS_H */
