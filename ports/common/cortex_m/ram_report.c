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

/* The linker symbols bound separate regions, so they are compared and
 * subtracted as addresses (uintptr_t), not as pointers into one object. */
static void report(void)
{
    uintptr_t stack_limit = (uintptr_t)__iot_stack_limit;
    uintptr_t stack_top = (uintptr_t)__iot_stack_top;
    uintptr_t heap_start = (uintptr_t)__iot_heap_start;
    uintptr_t heap_end = (uintptr_t)__iot_heap_end;
    uintptr_t a = stack_limit;
    size_t heap_used = (size_t)((uintptr_t)_sbrk(0) - heap_start);

    while (a < stack_top && *(const volatile uint8_t *)a == PAINT) {
        a++;
    }
    printf("ram report: stack peak %u of %u bytes, heap peak %u of %u bytes\n",
           (unsigned)(stack_top - a), (unsigned)(stack_top - stack_limit), (unsigned)heap_used,
           (unsigned)(heap_end - heap_start));
}

__attribute__((constructor)) static void paint_stack(void)
{
    uintptr_t a = (uintptr_t)__iot_stack_limit;
    /* Up to a margin below the current frame. */
    uintptr_t end = (uintptr_t)__builtin_frame_address(0) - 256u;

    while (a < end) {
        *(volatile uint8_t *)a = PAINT;
        a++;
    }
    (void)atexit(report);
}
