/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMSC/Microchip LAN9118 Ethernet controller (MPS3 boards, QEMU's
 * mps3-an547): a polled driver for one controller, written from the LAN9118
 * datasheet. Frames go through the TX data FIFO (command words A and B, then
 * the data as 32-bit words) and come back through the RX status and data
 * FIFOs. MAC registers are reached through MAC_CSR_CMD / MAC_CSR_DATA, PHY
 * registers through the MAC's MII_ACC / MII_DATA. Internal to ports/.
 */
#ifndef IOT_LAN9118_H
#define IOT_LAN9118_H

#include <stddef.h>
#include <stdint.h>

/* Results of the driver functions. */
typedef enum lan9118_result {
    LAN9118_OK = 0,
    LAN9118_ERR_NO_DEVICE = -1, /* BYTE_TEST or ID_REV does not read as a LAN9118 */
    LAN9118_ERR_TIMEOUT = -2,   /* the controller did not finish a reset or a register access */
    LAN9118_ERR_TOO_LONG = -3,  /* frame longer than the FIFOs take */
    LAN9118_ERR_FULL = -4,      /* no room in the TX FIFO for the frame now */
    LAN9118_ERR_RX = -5         /* the received frame had an error and was dropped */
} lan9118_result_t;

/* Longest frame without the FCS, as the MAC sends and receives it. */
#define LAN9118_MAX_FRAME 1514u

/* Resets the controller at @p base, checks its identity, sets the MAC
 * address and enables the transmitter and receiver (full duplex, accepting
 * frames to @p mac and broadcasts). */
lan9118_result_t lan9118_init(uintptr_t base, const uint8_t mac[6]);

/* The chip id and revision (ID_REV: 0x0118 in the upper half for a LAN9118). */
uint32_t lan9118_id_rev(uintptr_t base);

/* Queues one frame (without FCS; the MAC appends it), given as @p count
 * pieces of @p lens[i] bytes (lwIP's pbuf chain). */
lan9118_result_t lan9118_send(uintptr_t base, const uint8_t *const *pieces, const size_t *lens,
                              size_t count);

/* Length of the next received frame without FCS, 0 when none is waiting.
 * Frames received with an error are dropped here (LAN9118_ERR_RX is not
 * returned; the next good frame's length is). */
size_t lan9118_rx_peek(uintptr_t base);

/* Copies the frame announced by lan9118_rx_peek() into @p buf (@p len
 * bytes, the length it returned) and removes it from the FIFO. */
void lan9118_rx_read(uintptr_t base, uint8_t *buf, size_t len);

/* Drops the frame announced by lan9118_rx_peek() (no buffer for it). */
void lan9118_rx_drop(uintptr_t base, size_t len);

/* 1 when the PHY reports the link up. */
int lan9118_link_up(uintptr_t base);

#endif /* IOT_LAN9118_H */
