/* SPDX-License-Identifier: Apache-2.0 */
/*
 * INSECURE. A replacement for port_entropy.c for emulator test images only:
 * QEMU's model of the board has no TRNG and there is no TF-M, yet the TLS
 * test needs random bytes for the handshake. The bytes here come from a
 * xorshift generator seeded with the host's clock (semihosting SYS_TIME) and
 * the SysTick counter: anyone can predict them, so session keys derived
 * from them protect nothing. An image links this file only by naming it
 * explicitly (the port library's iot_port_entropy() then stays out), it
 * prints a warning on the console at the first request, and semihosting
 * makes it unusable on a board without a debugger (BKPT faults).
 */
#include <corstone_iot/port.h>

#include "cortex_m.h"

#define SEMIHOST_SYS_TIME 0x11u

static uint32_t host_seconds(void)
{
    register uintptr_t r0 __asm__("r0") = SEMIHOST_SYS_TIME;
    register uintptr_t r1 __asm__("r1") = 0;

    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (uint32_t)r0;
}

iot_status_t iot_port_entropy(uint8_t *buf, size_t len)
{
    static const char msg[] =
        "INSECURE TEST ENTROPY: random bytes are predictable (emulator test image, no TRNG, "
        "no TF-M); TLS keys of this run protect nothing";
    static uint64_t s;

    if (buf == NULL && len != 0u) {
        return IOT_ERR_INVALID_ARG;
    }
    if (s == 0u) {
        iot_port_log_write(IOT_LOG_ERROR, "port", msg, sizeof(msg) - 1u);
        s = ((uint64_t)host_seconds() << 32) ^ IOT_CM_SYST_CVR ^ iot_port_time_ms() ^
            0x9E3779B97F4A7C15ull;
    }
    for (size_t i = 0; i < len; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        buf[i] = (uint8_t)(s >> 24);
    }
    return IOT_OK;
}
