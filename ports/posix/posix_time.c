/* SPDX-License-Identifier: Apache-2.0 */
/* posix port: monotonic millisecond clock and sleep. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include <corstone_iot/port.h>

uint64_t iot_port_time_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail with a valid pointer on any POSIX host. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void iot_port_sleep_ms(uint32_t ms)
{
    struct timespec req;
    struct timespec rem;

    req.tv_sec = (time_t)(ms / 1000u);
    req.tv_nsec = (long)(ms % 1000u) * 1000000L;
    /* Resume after signals so the sleep is never shorter than asked. */
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) {
        req = rem;
    }
}
