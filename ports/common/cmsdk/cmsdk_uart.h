/* SPDX-License-Identifier: Apache-2.0 */
/* Arm CMSDK APB UART, transmit side (polled). */
#ifndef IOT_CMSDK_UART_H
#define IOT_CMSDK_UART_H

#include <stddef.h>
#include <stdint.h>

/** Program the baud divider (clamped to the UART's minimum of 16) and enable the transmitter. */
void iot_cmsdk_uart_init(uintptr_t base, uint32_t clk_hz, uint32_t baud);

/** Send @p len bytes, waiting for room in the transmit buffer before each one. */
void iot_cmsdk_uart_write(uintptr_t base, const char *data, size_t len);

#endif /* IOT_CMSDK_UART_H */
