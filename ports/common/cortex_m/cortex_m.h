/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared Cortex-M (Armv8-M Mainline / Armv8.1-M) support for the board ports:
 * the system registers the port touches, the hooks each board provides, and
 * the semihosting calls. Internal to ports/; the portable core never sees it.
 *
 * Each board folder has a board.h with its constants:
 *   IOT_BOARD_NAME         printable board name
 *   IOT_BOARD_CPU_HZ       processor clock, which clocks SysTick (CLKSOURCE=1)
 *   IOT_BOARD_IRQ_COUNT    external interrupts in the vector table
 *   IOT_BOARD_UART_BASE    console UART (CMSDK APB UART)
 *   IOT_BOARD_UART_CLK_HZ  clock of the console UART
 *   IOT_BOARD_UART_BAUD    console baud rate
 */
#ifndef IOT_CORTEX_M_H
#define IOT_CORTEX_M_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"

#define IOT_CM_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System Control Block and SysTick (Armv8-M ARM, B3 / B11). */
#define IOT_CM_SYST_CSR IOT_CM_REG(0xE000E010u)  /* control and status */
#define IOT_CM_SYST_RVR IOT_CM_REG(0xE000E014u)  /* reload value */
#define IOT_CM_SYST_CVR IOT_CM_REG(0xE000E018u)  /* current value */
#define IOT_CM_ICSR IOT_CM_REG(0xE000ED04u)      /* interrupt control and state */
#define IOT_CM_VTOR IOT_CM_REG(0xE000ED08u)      /* vector table offset */
#define IOT_CM_SHCSR IOT_CM_REG(0xE000ED24u)     /* system handler control and state */
#define IOT_CM_CFSR IOT_CM_REG(0xE000ED28u)      /* configurable fault status */
#define IOT_CM_HFSR IOT_CM_REG(0xE000ED2Cu)      /* HardFault status */
#define IOT_CM_MMFAR IOT_CM_REG(0xE000ED34u)     /* MemManage fault address */
#define IOT_CM_BFAR IOT_CM_REG(0xE000ED38u)      /* BusFault address */
#define IOT_CM_CPACR IOT_CM_REG(0xE000ED88u)     /* coprocessor access control */
#define IOT_CM_SFSR IOT_CM_REG(0xE000EDE4u)      /* SecureFault status */

#define IOT_CM_SYST_CSR_ENABLE (1u << 0)
#define IOT_CM_SYST_CSR_TICKINT (1u << 1)
#define IOT_CM_SYST_CSR_CLKSOURCE (1u << 2) /* 1: processor clock */

#define IOT_CM_SHCSR_MEMFAULTENA (1u << 16)
#define IOT_CM_SHCSR_BUSFAULTENA (1u << 17)
#define IOT_CM_SHCSR_USGFAULTENA (1u << 18)
#define IOT_CM_SHCSR_SECUREFAULTENA (1u << 19)

/* CP10 and CP11 (FPU and MVE) full access. */
#define IOT_CM_CPACR_CP10_CP11_FULL (0xFu << 20)

/* ---- Hooks each board implements (ports/<board>/board.c) ---- */

/** Early board set-up, called by the reset handler before main(): console UART. */
void iot_board_init(void);

/** Write @p len bytes to the console; blocks until they are queued in the UART. */
void iot_board_console_write(const char *data, size_t len);

/* ---- Shared Cortex-M services (ports/common/cortex_m) ---- */

/** Start SysTick at 1 kHz from the processor clock (IOT_BOARD_CPU_HZ). */
void iot_cm_tick_start(void);

/** Semihosting SYS_EXIT_EXTENDED: ends the run with @p code as the exit status.
 *  Needs a debugger or an emulator with semihosting enabled; without one the
 *  BKPT instruction escalates to a HardFault. */
void iot_cm_semihost_exit(int code) __attribute__((noreturn));

/* Semihosting file calls (Arm semihosting specification, v2). The same
 * warning: without a debugger or an emulator every call is a HardFault. */
#define IOT_SEMIHOST_MODE_RB 1u   /**< SYS_OPEN mode "rb" */
#define IOT_SEMIHOST_MODE_RPB 3u  /**< SYS_OPEN mode "r+b": read and write, must exist */
#define IOT_SEMIHOST_MODE_WPB 7u  /**< SYS_OPEN mode "w+b": create or truncate */

/** SYS_OPEN: a handle, or -1. */
int32_t iot_cm_semihost_open(const char *name, uint32_t mode);
/** SYS_CLOSE: 0, or -1. */
int32_t iot_cm_semihost_close(int32_t handle);
/** SYS_WRITE at the file position: the number of bytes NOT written (0: all). */
uint32_t iot_cm_semihost_write(int32_t handle, const void *data, uint32_t len);
/** SYS_READ at the file position: the number of bytes NOT read (@p len at end of file). */
uint32_t iot_cm_semihost_read(int32_t handle, void *buf, uint32_t len);
/** SYS_SEEK to an absolute position: 0, or negative. */
int32_t iot_cm_semihost_seek(int32_t handle, uint32_t pos);
/** SYS_FLEN: the file's length, or -1. */
int32_t iot_cm_semihost_flen(int32_t handle);
/** SYS_REMOVE: 0, or the host's error number. */
int32_t iot_cm_semihost_remove(const char *name);

#endif /* IOT_CORTEX_M_H */
