/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port clock: SysTick interrupts every millisecond, clocked by the
 * processor clock (CLKSOURCE = 1; the boards have no SysTick reference clock),
 * and counts a 64-bit millisecond time. Sleeping waits for interrupts (WFI).
 */
#include <corstone_iot/port.h>

#include "cortex_m.h"

void iot_cm_systick_handler(void);

#define IOT_CM_TICK_HZ 1000u

_Static_assert(IOT_BOARD_CPU_HZ / IOT_CM_TICK_HZ - 1u <= 0x00FFFFFFu,
               "SysTick reload value must fit in 24 bits");

/* Two words so that the interrupt never tears the count: the reader retries
 * if the high word changed while it read the low one. */
static volatile uint32_t g_ms_low;
static volatile uint32_t g_ms_high;

void iot_cm_tick_start(void)
{
    IOT_CM_SYST_CSR = 0u;
    IOT_CM_SYST_RVR = IOT_BOARD_CPU_HZ / IOT_CM_TICK_HZ - 1u;
    IOT_CM_SYST_CVR = 0u;
    IOT_CM_SYST_CSR = IOT_CM_SYST_CSR_CLKSOURCE | IOT_CM_SYST_CSR_TICKINT | IOT_CM_SYST_CSR_ENABLE;
}

void iot_cm_systick_handler(void)
{
    uint32_t low = g_ms_low + 1u;

    g_ms_low = low;
    /* cppcheck-suppress knownConditionTrueFalse ; false positive: the counter wraps after 2^32 ms */
    if (low == 0u) {
        g_ms_high = g_ms_high + 1u;
    }
}

uint64_t iot_port_time_ms(void)
{
    uint32_t high;
    uint32_t low;

    do {
        high = g_ms_high;
        low = g_ms_low;
    } while (high != g_ms_high);
    return ((uint64_t)high << 32) | low;
}

void iot_port_sleep_ms(uint32_t ms)
{
    uint64_t end;

    if (ms == 0u) {
        return; /* nothing else to yield to on a single-threaded port */
    }
    /* The current millisecond has already partly elapsed: wait for one more
     * tick so that at least ms full milliseconds pass. */
    end = iot_port_time_ms() + ms + 1u;
    while (iot_port_time_ms() < end) {
        /* An interrupt between the test and WFI only delays the wake-up to
         * the next tick, 1 ms later. */
        __asm__ volatile("wfi");
    }
}
