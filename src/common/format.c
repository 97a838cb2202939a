/* SPDX-License-Identifier: Apache-2.0 */
/* A small bounded printf-style formatter, so the core needs no libc stdio. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "iot_format.h"

typedef struct {
    char *buf;
    size_t cap;
    size_t len; /* length the full output would have */
} out_t;

static void put_char(out_t *o, char c)
{
    if (o->len + 1u < o->cap) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void put_padded(out_t *o, const char *s, size_t n, unsigned width, int left, char pad)
{
    size_t i;
    size_t fill = (width > n) ? (size_t)width - n : 0u;

    if (!left) {
        /* With zero padding a sign goes before the zeros. */
        if (pad == '0' && n > 0u && s[0] == '-') {
            put_char(o, '-');
            s++;
            n--;
        }
        for (i = 0; i < fill; i++) {
            put_char(o, pad);
        }
    }
    for (i = 0; i < n; i++) {
        put_char(o, s[i]);
    }
    if (left) {
        for (i = 0; i < fill; i++) {
            put_char(o, ' ');
        }
    }
}

static size_t to_digits(uintmax_t v, unsigned base, int upper, int negative, char *tmp, size_t tmp_len)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i = tmp_len;

    do {
        tmp[--i] = digits[v % base];
        v /= base;
    } while (v != 0u && i > 1u);
    if (negative) {
        tmp[--i] = '-';
    }
    return i;
}

size_t iot_internal_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    out_t o = { buf, cap, 0u };
    char tmp[24];

    while (*fmt != '\0') {
        int left = 0;
        char pad = ' ';
        unsigned width = 0;
        int precision = -1;
        int lmod = 0; /* 0 int, 1 long, 2 long long, 3 size_t */

        if (*fmt != '%') {
            put_char(&o, *fmt++);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                left = 1;
            } else if (*fmt == '0') {
                pad = '0';
            } else {
                break;
            }
        }
        /* cppcheck-suppress knownConditionTrueFalse ; false positive: the loop above leaves at any character but '-' and '0' */
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10u + (unsigned)(*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                fmt++;
            } else {
                precision = 0;
                while (*fmt >= '0' && *fmt <= '9') {
                    precision = precision * 10 + (*fmt++ - '0');
                }
            }
        }
        if (*fmt == 'l') {
            fmt++;
            lmod = 1;
            if (*fmt == 'l') {
                fmt++;
                lmod = 2;
            }
        } else if (*fmt == 'z') {
            fmt++;
            lmod = 3;
        } else if (*fmt == 'h') {
            fmt++;
            if (*fmt == 'h') {
                fmt++;
            }
        }
        switch (*fmt) {
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X': {
            /* One path for the integer conversions: the value as a
             * magnitude and a sign, then its digits. */
            uintmax_t v;
            int negative = 0;
            size_t start;
            if (*fmt == 'd' || *fmt == 'i') {
                intmax_t sv;
                if (lmod == 1) {
                    sv = va_arg(ap, long);
                } else if (lmod == 2) {
                    sv = va_arg(ap, long long);
                } else if (lmod == 3) {
                    sv = (intmax_t)va_arg(ap, size_t);
                } else {
                    sv = va_arg(ap, int);
                }
                negative = sv < 0;
                v = negative ? (uintmax_t)0 - (uintmax_t)sv : (uintmax_t)sv;
            } else if (lmod == 1) {
                v = va_arg(ap, unsigned long);
            } else if (lmod == 2) {
                v = va_arg(ap, unsigned long long);
            } else if (lmod == 3) {
                v = va_arg(ap, size_t);
            } else {
                v = va_arg(ap, unsigned int);
            }
            start = to_digits(v, (*fmt == 'x' || *fmt == 'X') ? 16u : 10u, *fmt == 'X', negative,
                              tmp, sizeof(tmp));
            put_padded(&o, tmp + start, sizeof(tmp) - start, width, left, pad);
            break;
        }
        case 'p': {
            size_t start = to_digits((uintmax_t)(uintptr_t)va_arg(ap, void *), 16u, 0, 0, tmp,
                                     sizeof(tmp));
            put_char(&o, '0');
            put_char(&o, 'x');
            put_padded(&o, tmp + start, sizeof(tmp) - start, 0u, 0, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1u, width, left, ' ');
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n = 0;
            if (s == NULL) {
                s = "(null)";
            }
            while ((precision < 0 || n < (size_t)precision) && s[n] != '\0') {
                n++;
            }
            put_padded(&o, s, n, width, left, ' ');
            break;
        }
        case '%':
            put_char(&o, '%');
            break;
        case '\0':
            fmt--; /* a lone '%' at the end prints nothing */
            break;
        default:
            /* Unknown conversion: print it as is, so the mistake is visible. */
            put_char(&o, '%');
            put_char(&o, *fmt);
            break;
        }
        fmt++;
    }
    if (cap > 0u) {
        buf[(o.len < cap) ? o.len : cap - 1u] = '\0';
    }
    return o.len;
}

size_t iot_internal_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = iot_internal_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
