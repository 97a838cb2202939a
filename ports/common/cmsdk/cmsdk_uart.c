/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Arm CMSDK APB UART: DATA (0x00), STATE (0x04, bit 0 = transmit buffer full),
 * CTRL (0x08, bit 0 = transmit enable), BAUDDIV (0x10, at least 16). Output is
 * dropped until BAUDDIV and CTRL.TX_EN are set.
 */
#include "cmsdk_uart.h"

#define UART_REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define UART_DATA 0x00u
#define UART_STATE 0x04u
#define UART_CTRL 0x08u
#define UART_BAUDDIV 0x10u

#define UART_STATE_TX_FULL (1u << 0)
#define UART_CTRL_TX_EN (1u << 0)
#define UART_BAUDDIV_MIN 16u

void iot_cmsdk_uart_init(uintptr_t base, uint32_t clk_hz, uint32_t baud)
{
    uint32_t div = (baud != 0u) ? clk_hz / baud : 0u;

    if (div < UART_BAUDDIV_MIN) {
        div = UART_BAUDDIV_MIN;
    }
    UART_REG(base, UART_CTRL) = 0u;
    UART_REG(base, UART_BAUDDIV) = div;
    UART_REG(base, UART_CTRL) = UART_CTRL_TX_EN;
}

void iot_cmsdk_uart_write(uintptr_t base, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while ((UART_REG(base, UART_STATE) & UART_STATE_TX_FULL) != 0u) {
        }
        UART_REG(base, UART_DATA) = (uint8_t)data[i];
    }
}
