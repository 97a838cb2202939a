/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blinky: the first program on a board. Prints the SDK version, then a
 * heartbeat on the console UART every 500 ms, timed by the port's SysTick
 * clock, and after BLINKY_BEATS beats returns 0 from main(), which ends an
 * emulated run with exit status 0 (semihosting) so CI can run it.
 */
#include <stdint.h>
#include <stdio.h>

#include <corstone_iot/iot.h>
#include <corstone_iot/port.h>

#ifndef BLINKY_BEATS
#define BLINKY_BEATS 10
#endif
#ifndef BLINKY_BOARD
#define BLINKY_BOARD "board"
#endif
#define BLINKY_PERIOD_MS 500u

int main(void)
{
    uint64_t start;
    uint64_t next;

    printf("blinky on %s: corstone-iot %s\n", BLINKY_BOARD, iot_version_string());
    start = iot_port_time_ms();
    next = start;
    for (unsigned beat = 1; beat <= BLINKY_BEATS; beat++) {
        uint64_t now;

        /* Deadlines advance by exactly one period, so beats do not drift. */
        next += BLINKY_PERIOD_MS;
        while ((now = iot_port_time_ms()) < next) {
            iot_port_sleep_ms((uint32_t)(next - now));
        }
        printf("blinky: beat %u at %lu ms\n", beat, (unsigned long)(now - start));
    }
    printf("blinky: done\n");
    return 0;
}
