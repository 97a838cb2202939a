/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corstone-310 in the MPS3 FPGA image AN555 (Cortex-M85, SSE-310). Built and
 * sized only: there is no emulator model of this board here. The image runs in
 * Secure state; with the SAU disabled every access is Secure whichever alias
 * it uses.
 */
#ifndef IOT_BOARD_H
#define IOT_BOARD_H

#define IOT_BOARD_NAME "Corstone-310 (AN555, Cortex-M85)"

/* The processor clock, which also clocks SysTick. */
#define IOT_BOARD_CPU_HZ 25000000u

/* External interrupts wired on the AN555. */
#define IOT_BOARD_IRQ_COUNT 128

/* Console: CMSDK APB UART0 (Secure alias 0x59303000), on the 25 MHz
 * peripheral clock. */
#define IOT_BOARD_UART_BASE 0x49303000u
#define IOT_BOARD_UART_CLK_HZ 25000000u
#define IOT_BOARD_UART_BAUD 115200u

/* LAN9118 Ethernet controller at the address of the other MPS3 images
 * (not verified on this board: no emulator model), polled. */
#define IOT_BOARD_ETH_BASE 0x41400000u

#endif /* IOT_BOARD_H */
