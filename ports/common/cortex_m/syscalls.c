/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The system calls newlib needs on bare metal. Standard output and error go
 * to the console UART; there is no file system (open files fail) and no
 * input yet. The heap (_sbrk) is the linker-defined region between
 * __iot_heap_start and __iot_heap_end, used only by newlib (and, later,
 * Mbed TLS): the SDK core never allocates. exit() ends the run through
 * semihosting, so an emulator returns the firmware's exit status.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cortex_m.h"

extern char __iot_heap_start[];
extern char __iot_heap_end[];

int _write(int fd, const void *buf, size_t len);
int _read(int fd, void *buf, size_t len);
void *_sbrk(ptrdiff_t incr);
void _exit(int status) __attribute__((noreturn));
int _open(const char *path, int flags, ...);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
int _kill(int pid, int sig);
int _getpid(void);
void _init(void);
void _fini(void);

int _write(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    iot_board_console_write(buf, len);
    return (int)len;
}

int _read(int fd, void *buf, size_t len)
{
    (void)buf;
    (void)len;
    if (fd != 0) {
        errno = EBADF;
        return -1;
    }
    return 0; /* end of input: the console is output only for now */
}

void *_sbrk(ptrdiff_t incr)
{
    static char *brk = __iot_heap_start;
    char *prev = brk;

    /* cppcheck-suppress comparePointers ; brk moves within the heap the linker script bounds */
    if ((incr > 0 && incr > __iot_heap_end - brk) ||
        (incr < 0 && -incr > brk - __iot_heap_start)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += incr;
    return prev;
}

void _exit(int status)
{
    iot_cm_semihost_exit(status);
}

int _open(const char *path, int flags, ...)
{
    (void)path;
    (void)flags;
    errno = ENOENT; /* no file system */
    return -1;
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    if (fd < 0 || fd > 2) {
        errno = EBADF;
        return -1;
    }
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    if (fd >= 0 && fd <= 2) {
        return 1;
    }
    errno = EBADF;
    return 0;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

/* raise() and abort() end here: report the signal and stop the run. */
int _kill(int pid, int sig)
{
    static const char msg[] = "\n*** abort: signal raised\n";

    (void)pid;
    iot_board_console_write(msg, sizeof(msg) - 1u);
    iot_cm_semihost_exit(128 + sig);
}

int _getpid(void)
{
    return 1;
}

/* The full newlib's exit path calls _fini after the .fini_array entries; the
 * start-up runs the constructors itself (no crt0), so both hooks are empty. */
void _init(void)
{
}

void _fini(void)
{
}
