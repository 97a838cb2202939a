/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmocka's build configuration for bare-metal Cortex-M with newlib, in place
 * of the header its own build generates by probing the host. No signals, no
 * clocks, no thread-local storage: a failed check returns through longjmp.
 * newlib's signal() only records handlers (nothing raises hardware faults as
 * signals here: the port's fault handler ends the run instead).
 */
#define HAVE_INTTYPES_H 1
#define HAVE_SETJMP_H 1
#define HAVE_SIGNAL_H 1
#define HAVE_STDARG_H 1
#define HAVE_STDDEF_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDIO_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1

#define HAVE_CALLOC 1
#define HAVE_EXIT 1
#define HAVE_FPRINTF 1
#define HAVE_FREE 1
#define HAVE_LONGJMP 1
#define HAVE_MALLOC 1
#define HAVE_MEMCPY 1
#define HAVE_MEMSET 1
#define HAVE_PRINTF 1
#define HAVE_SETJMP 1
#define HAVE_SIGNAL 1
#define HAVE_SNPRINTF 1
#define HAVE_STRCMP 1
#define HAVE_STRCPY 1
#define HAVE_VSNPRINTF 1

#define WORDS_SIZEOF_VOID_P 4
