/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semihosting (Arm semihosting specification, v2): the BKPT 0xAB call with the
 * operation in r0 and a parameter block in r1. Only SYS_EXIT_EXTENDED is used:
 * it ends an emulated run (QEMU: -semihosting-config enable=on,target=native)
 * with the firmware's exit status, which is how on-target tests report their
 * verdict. On hardware without a debugger attached the BKPT becomes a
 * HardFault, so product firmware must not call exit().
 */
#include "cortex_m.h"

#define IOT_SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define IOT_SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uintptr_t semihost_call(uint32_t op, const void *block)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = (uintptr_t)block;

    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void iot_cm_semihost_exit(int code)
{
    /* Reason and subcode: the subcode is the process exit status. */
    const uint32_t block[2] = { IOT_SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code };

    (void)semihost_call(IOT_SEMIHOST_SYS_EXIT_EXTENDED, block);
    /* Only reached when the host ignored the request: stop here. */
    for (;;) {
        __asm__ volatile("wfi");
    }
}
