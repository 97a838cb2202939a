/* SPDX-License-Identifier: Apache-2.0 */
/* Board hooks: the console is CMSDK UART0. */
#include "cmsdk_uart.h"
#include "cortex_m.h"

void iot_board_init(void)
{
    iot_cmsdk_uart_init(IOT_BOARD_UART_BASE, IOT_BOARD_UART_CLK_HZ, IOT_BOARD_UART_BAUD);
}

void iot_board_console_write(const char *data, size_t len)
{
    iot_cmsdk_uart_write(IOT_BOARD_UART_BASE, data, len);
}
