/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RAM high-water marks of a test image, printed when it exits: the stack
 * (painted with a pattern before main() and scanned at exit) and the C heap
 * (how far _sbrk moved: newlib's stdio buffers and every Mbed TLS allocation).
 * An image links this file by naming it (tools/size_boards.sh reads the
 * line from the QEMU run of the telemetry test image).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cortex_m.h"

#define PAINT 0xA5u

extern char __iot_stack_limit[];
extern char __iot_stack_top[];
extern char __iot_heap_start[];
extern char __iot_heap_end[];
void *_sbrk(ptrdiff_t incr);

static void report(void)
{
    const uint8_t *p = (const uint8_t *)__iot_stack_limit;
    size_t heap_used = (size_t)((char *)_sbrk(0) - __iot_heap_start);

    while (p < (const uint8_t *)__iot_stack_top && *p == PAINT) {
        p++;
    }
    printf("ram report: stack peak %u of %u bytes, heap peak %u of %u bytes\n",
           (unsigned)((const uint8_t *)__iot_stack_top - p),
           (unsigned)(__iot_stack_top - __iot_stack_limit), (unsigned)heap_used,
           (unsigned)(__iot_heap_end - __iot_heap_start));
}

__attribute__((constructor)) static void paint_stack(void)
{
    uint8_t *p = (uint8_t *)__iot_stack_limit;
    /* Up to a margin below the current frame. */
    uint8_t *end = (uint8_t *)__builtin_frame_address(0) - 256;

    while (p < end) {
        *p++ = PAINT;
    }
    (void)atexit(report);
}
