/* SPDX-License-Identifier: Apache-2.0 */
/* lwIP compiler and platform definitions for arm-none-eabi-gcc with newlib. */
#ifndef IOT_LWIP_ARCH_CC_H
#define IOT_LWIP_ARCH_CC_H

#include <stdint.h>

/* newlib provides struct timeval in <sys/time.h>; lwIP must not redefine it. */
#define LWIP_TIMEVAL_PRIVATE 0
#include <sys/time.h>

/* Little-endian Cortex-M (newlib's <machine/endian.h> says so already). */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

void iot_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) iot_lwip_assert((x), __FILE__, __LINE__)

#endif /* IOT_LWIP_ARCH_CC_H */
