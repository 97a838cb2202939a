/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corstone-300 in the MPS3 FPGA image AN547 (Cortex-M55, SSE-300), as QEMU's
 * mps3-an547 machine models it. The image runs in Secure state; with the SAU
 * disabled every access is Secure whichever alias it uses.
 */
#ifndef IOT_BOARD_H
#define IOT_BOARD_H

#define IOT_BOARD_NAME "Corstone-300 (AN547, Cortex-M55)"

/* The processor clock (SYSCLK), which also clocks SysTick. */
#define IOT_BOARD_CPU_HZ 32000000u

/* External interrupts of the AN547 (the LAN9118 Ethernet is IRQ 49). */
#define IOT_BOARD_IRQ_COUNT 96

/* Console: CMSDK APB UART0 (Secure alias 0x59303000), on the 25 MHz
 * peripheral clock. */
#define IOT_BOARD_UART_BASE 0x49303000u
#define IOT_BOARD_UART_CLK_HZ 25000000u
#define IOT_BOARD_UART_BAUD 115200u

/* LAN9118 Ethernet controller (Secure alias 0x51400000), polled. */
#define IOT_BOARD_ETH_BASE 0x41400000u

#endif /* IOT_BOARD_H */
