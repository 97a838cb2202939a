/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verdict helpers of the on-target test images (tests/target): each
 * check prints one "ok"/"FAIL" line on the console and counts failures in
 * g_failures, which the image returns as its exit status (semihosting).
 * cycles_now() is there when the image includes cortex_m.h first.
 */
#ifndef IOT_TARGET_CHECK_H
#define IOT_TARGET_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include <corstone_iot/port.h>
#include <corstone_iot/status.h>

static unsigned g_failures;

/* A call's status against the one expected. */
static inline void expect(const char *what, iot_status_t got, iot_status_t want)
{
    if (got != want) {
        printf("FAIL %s: %s, expected %s\n", what, iot_status_name(got), iot_status_name(want));
        g_failures++;
    } else {
        printf("ok   %s: %s\n", what, iot_status_name(got));
    }
}

/* A condition. */
static inline void check(const char *what, int ok)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) {
        g_failures++;
    }
}

#ifdef IOT_CM_SYST_CVR
/* Processor cycles since reset as SysTick counts them (IOT_BOARD_CPU_HZ,
 * 1 ms reload): milliseconds times the reload plus the current count. */
static inline uint64_t cycles_now(void)
{
    uint64_t ms;
    uint32_t cvr;

    do {
        ms = iot_port_time_ms();
        cvr = IOT_CM_SYST_CVR;
    } while (ms != iot_port_time_ms());
    return ms * (uint64_t)(IOT_CM_SYST_RVR + 1u) + (uint64_t)(IOT_CM_SYST_RVR - cvr);
}
#endif

#endif /* IOT_TARGET_CHECK_H */
