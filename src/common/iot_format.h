/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded printf-style formatting for the core (no libc stdio needed). */
#ifndef IOT_FORMAT_H
#define IOT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Formats like vsnprintf for the subset: flags '-' '0', width, precision
 * (".N" and ".*", strings only), length 'hh' 'h' 'l' 'll' 'z', conversions
 * d i u x X c s p %. Always NUL-terminates when cap > 0. Returns the length
 * the whole output would have had (so a result >= cap means it was cut). */
size_t iot_internal_vformat(char *buf, size_t cap, const char *fmt, va_list ap);

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
size_t iot_internal_format(char *buf, size_t cap, const char *fmt, ...);

#endif /* IOT_FORMAT_H */
