/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Semihosting (Arm semihosting specification, v2): the BKPT 0xAB call with the
 * operation in r0 and a parameter block in r1. SYS_EXIT_EXTENDED ends an
 * emulated run (QEMU: -semihosting-config enable=on,target=native) with the
 * firmware's exit status, which is how on-target tests report their verdict.
 * The file calls (SYS_OPEN, SYS_CLOSE, SYS_WRITE, SYS_READ, SYS_SEEK,
 * SYS_FLEN, SYS_REMOVE) serve the emulator-only "flash" file of
 * IOT_BOARD_STORAGE=semihost (ports/common/storage). On hardware without a
 * debugger attached every BKPT becomes a HardFault, so product firmware must
 * not call exit() nor use the semihost storage.
 */
#include "cortex_m.h"

#define IOT_SEMIHOST_SYS_OPEN 0x01u
#define IOT_SEMIHOST_SYS_CLOSE 0x02u
#define IOT_SEMIHOST_SYS_WRITE 0x05u
#define IOT_SEMIHOST_SYS_READ 0x06u
#define IOT_SEMIHOST_SYS_SEEK 0x0Au
#define IOT_SEMIHOST_SYS_FLEN 0x0Cu
#define IOT_SEMIHOST_SYS_REMOVE 0x0Eu
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

/* The file calls. Every parameter block is an array of words (pointers,
 * handles, lengths); each call returns r0 as the specification defines it. */

int32_t iot_cm_semihost_open(const char *name, uint32_t mode)
{
    size_t len = 0;
    uintptr_t block[3];

    while (name[len] != '\0') {
        len++;
    }
    block[0] = (uintptr_t)name;
    block[1] = mode;
    block[2] = len; /* without the terminator */
    return (int32_t)semihost_call(IOT_SEMIHOST_SYS_OPEN, block);
}

int32_t iot_cm_semihost_close(int32_t handle)
{
    const uintptr_t block[1] = { (uintptr_t)handle };

    return (int32_t)semihost_call(IOT_SEMIHOST_SYS_CLOSE, block);
}

uint32_t iot_cm_semihost_write(int32_t handle, const void *data, uint32_t len)
{
    const uintptr_t block[3] = { (uintptr_t)handle, (uintptr_t)data, len };

    return (uint32_t)semihost_call(IOT_SEMIHOST_SYS_WRITE, block);
}

uint32_t iot_cm_semihost_read(int32_t handle, void *buf, uint32_t len)
{
    const uintptr_t block[3] = { (uintptr_t)handle, (uintptr_t)buf, len };

    return (uint32_t)semihost_call(IOT_SEMIHOST_SYS_READ, block);
}

int32_t iot_cm_semihost_seek(int32_t handle, uint32_t pos)
{
    const uintptr_t block[2] = { (uintptr_t)handle, pos };

    return (int32_t)semihost_call(IOT_SEMIHOST_SYS_SEEK, block);
}

int32_t iot_cm_semihost_flen(int32_t handle)
{
    const uintptr_t block[1] = { (uintptr_t)handle };

    return (int32_t)semihost_call(IOT_SEMIHOST_SYS_FLEN, block);
}

int32_t iot_cm_semihost_remove(const char *name)
{
    size_t len = 0;
    uintptr_t block[2];

    while (name[len] != '\0') {
        len++;
    }
    block[0] = (uintptr_t)name;
    block[1] = len;
    return (int32_t)semihost_call(IOT_SEMIHOST_SYS_REMOVE, block);
}
