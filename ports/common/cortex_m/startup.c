/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Start-up for Armv8-M Mainline / Armv8.1-M: the vector table, the reset
 * handler and the fault reporter. The image runs in Secure state (no TF-M yet),
 * on the main stack, with everything privileged.
 *
 * Reset: enable the FPU (and MVE, which shares CP10/CP11), set the main stack
 * limit so an overflow faults instead of running into the heap, copy .data,
 * zero .bss, point VTOR at this table, enable the separate fault handlers, set
 * up the board (console UART) and the 1 ms SysTick, run the constructors, then
 * exit(main()). Caches, branch prediction and low-power controls are left at
 * their reset state: the emulated board does not model them.
 */
#include <stdlib.h>

#include "cortex_m.h"

typedef void (*iot_cm_vector_t)(void);

/* Linker-script symbols (ports/common/cortex_m/sections.ld). */
extern uint32_t __iot_stack_top[];
extern uint32_t __iot_stack_limit[];
extern uint32_t __iot_data_load[];
extern uint32_t __iot_data_start[];
extern uint32_t __iot_data_end[];
extern uint32_t __iot_bss_start[];
extern uint32_t __iot_bss_end[];
extern iot_cm_vector_t __iot_preinit_array_start[];
extern iot_cm_vector_t __iot_preinit_array_end[];
extern iot_cm_vector_t __iot_init_array_start[];
extern iot_cm_vector_t __iot_init_array_end[];

int main(void);
void iot_cm_reset(void) __attribute__((noreturn));
void iot_cm_systick_handler(void);
void iot_cm_fault_entry(void);
void iot_cm_fault_report(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn));

#define IOT_CM_VECTOR_COUNT (16 + IOT_BOARD_IRQ_COUNT)

/* Exceptions 2..15 and every external interrupt go to the fault reporter
 * unless a driver claims them: on this port an unexpected exception is a bug,
 * and the reporter ends the run with a distinct exit status. */
__attribute__((section(".vectors"), used))
const iot_cm_vector_t iot_cm_vectors[IOT_CM_VECTOR_COUNT] = {
    [0] = (iot_cm_vector_t)(void *)__iot_stack_top,
    [1] = iot_cm_reset,
    [2 ... 14] = iot_cm_fault_entry,
    [15] = iot_cm_systick_handler,
    [16 ... IOT_CM_VECTOR_COUNT - 1] = iot_cm_fault_entry,
};

static void run_array(iot_cm_vector_t *begin, iot_cm_vector_t *end)
{
    for (iot_cm_vector_t *f = begin; f < end; f++) {
        (*f)();
    }
}

void iot_cm_reset(void)
{
    /* The FPU first: compiled code below may already use FP or MVE registers. */
    IOT_CM_CPACR |= IOT_CM_CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    __asm__ volatile("msr msplim, %0" ::"r"(__iot_stack_limit));

    /* cppcheck-suppress comparePointers ; the linker script places both symbols around one section */
    for (uint32_t *src = __iot_data_load, *dst = __iot_data_start; dst < __iot_data_end;) {
        *dst++ = *src++;
    }
    /* cppcheck-suppress comparePointers ; the linker script places both symbols around one section */
    for (uint32_t *dst = __iot_bss_start; dst < __iot_bss_end;) {
        *dst++ = 0u;
    }

    IOT_CM_VTOR = (uint32_t)(uintptr_t)iot_cm_vectors;
    IOT_CM_SHCSR |= IOT_CM_SHCSR_MEMFAULTENA | IOT_CM_SHCSR_BUSFAULTENA |
                    IOT_CM_SHCSR_USGFAULTENA | IOT_CM_SHCSR_SECUREFAULTENA;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    iot_board_init();
    iot_cm_tick_start();
    run_array(__iot_preinit_array_start, __iot_preinit_array_end);
    run_array(__iot_init_array_start, __iot_init_array_end);
    exit(main());
}

/* Finds the stacked exception frame (main or process stack, from EXC_RETURN
 * bit 2) and hands it to the reporter. The stack limit is cleared first so a
 * stack-overflow fault can still be reported. */
__attribute__((naked)) void iot_cm_fault_entry(void)
{
    __asm__ volatile("movs r2, #0\n\t"
                     "msr msplim, r2\n\t"
                     "tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r0, msp\n\t"
                     "mrsne r0, psp\n\t"
                     "mov r1, lr\n\t"
                     "b iot_cm_fault_report\n\t");
}

static void put_str(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    iot_board_console_write(s, n);
}

static void put_hex(const char *label, uint32_t value)
{
    static const char digits[] = "0123456789abcdef";
    char text[11];

    text[0] = '0';
    text[1] = 'x';
    for (int i = 0; i < 8; i++) {
        text[2 + i] = digits[(value >> (28 - 4 * i)) & 0xFu];
    }
    text[10] = '\0';
    put_str(label);
    put_str(text);
}

void iot_cm_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    static const char *const names[16] = {
        "thread",     "reset",      "NMI",      "HardFault", "MemManage", "BusFault",
        "UsageFault", "SecureFault", "reserved", "reserved",  "reserved",  "SVCall",
        "DebugMonitor", "reserved",  "PendSV",   "SysTick",
    };
    uint32_t ipsr;

    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    ipsr &= 0x1FFu;
    put_str("\n*** unexpected exception ");
    put_str(ipsr < 16u ? names[ipsr] : "IRQ");
    put_hex(" #", ipsr);
    put_hex(" pc=", frame[6]);
    put_hex(" lr=", frame[5]);
    put_hex(" exc_return=", exc_return);
    put_hex("\n*** cfsr=", IOT_CM_CFSR);
    put_hex(" hfsr=", IOT_CM_HFSR);
    put_hex(" mmfar=", IOT_CM_MMFAR);
    put_hex(" bfar=", IOT_CM_BFAR);
    put_hex(" sfsr=", IOT_CM_SFSR);
    put_str("\n");
    /* Exit status 128 + exception number, as a shell reports a signal. */
    iot_cm_semihost_exit(128 + (int)(ipsr & 0x7Fu));
}
