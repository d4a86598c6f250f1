/* The formatted output the kernel library (kernel/lib/printf.c: kvsnprintf)
 * and the user C library (user/lib/libc.c: vsnprintf) share: %d %i %u %x %X
 * %o %p %s %c %%, flags '-' and '0', a width and a precision (the least
 * digits of a number, the most bytes of a string), each a number or '*', and
 * the length modifiers l, ll and z, as C11 7.21.6.1 has them. The result is
 * always NUL-terminated when n > 0; the return value is the length the whole
 * output would have. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kos/string.h"

struct kos_outbuf {
    char *buf;
    size_t cap;
    size_t len;     /* would-be length, may exceed cap */
};

static inline void kos_out_char(struct kos_outbuf *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static inline void kos_out_padded(struct kos_outbuf *o, const char *s, size_t len, int width, bool left, char pad)
{
    int fill = width > (int)len ? width - (int)len : 0;
    if (!left)
        while (fill-- > 0)
            kos_out_char(o, pad);
    for (size_t i = 0; i < len; i++)
        kos_out_char(o, s[i]);
    if (left)
        while (fill-- > 0)
            kos_out_char(o, ' ');
}

/* prec: the least number of digits (C11 7.21.6.1: a precision of 0 prints
 * nothing for 0, and the 0 flag is ignored with a precision), -1 when none was given. */
static inline void kos_out_number(struct kos_outbuf *o, uint64_t v, bool neg, unsigned base, bool upper,
                                  int width, int prec, bool left, char pad, const char *prefix)
{
    char tmp[32];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    if (v || prec != 0) {
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v);
    }
    while (n < prec && n < (int)sizeof tmp)
        tmp[n++] = '0';
    if (prec >= 0)
        pad = ' ';
    size_t plen = prefix ? strlen(prefix) : 0;
    int total = n + (neg ? 1 : 0) + (int)plen;
    int fill = width > total ? width - total : 0;
    if (!left && pad == ' ')
        while (fill-- > 0)
            kos_out_char(o, ' ');
    if (neg)
        kos_out_char(o, '-');
    for (size_t i = 0; i < plen; i++)
        kos_out_char(o, prefix[i]);
    if (!left && pad == '0')
        while (fill-- > 0)
            kos_out_char(o, '0');
    while (n)
        kos_out_char(o, tmp[--n]);
    if (left)
        while (fill-- > 0)
            kos_out_char(o, ' ');
}

/* A width or a precision at *p: decimal digits, or '*' for the next int argument. */
static inline int kos_fmt_count(const char **p, va_list *args)
{
    if (**p == '*') {
        (*p)++;
        return va_arg(*args, int);
    }
    int v = 0;
    while (**p >= '0' && **p <= '9')
        v = v * 10 + (*(*p)++ - '0');
    return v;
}

static inline int kos_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct kos_outbuf o = { buf, n, 0 };
    va_list args; /* a copy, so that helpers can take its address */
    va_copy(args, ap);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            kos_out_char(&o, *p);
            continue;
        }
        p++;
        bool left = false;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-')
                left = true;
            else if (*p == '0')
                pad = '0';
            else
                break;
        }
        int width = kos_fmt_count(&p, &args);
        if (width < 0) { /* a negative '*' width is the - flag */
            left = true;
            width = -width;
        }
        int prec = -1;
        if (*p == '.') {
            p++;
            prec = kos_fmt_count(&p, &args);
            if (prec < 0) /* a negative '*' precision: as if none was given */
                prec = -1;
        }
        int lng = 0;
        while (*p == 'l') {
            lng++;
            p++;
        }
        if (*p == 'z') {
            lng = 2;
            p++;
        }
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(args, int64_t) : va_arg(args, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            kos_out_number(&o, mag, v < 0, 10, false, width, prec, left, pad, NULL);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng ? va_arg(args, uint64_t) : va_arg(args, unsigned int);
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            kos_out_number(&o, v, false, base, *p == 'X', width, prec, left, pad, NULL);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(args, void *);
            kos_out_number(&o, v, false, 16, false, width, -1, left, pad, "0x");
            break;
        }
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s)
                s = "(null)";
            size_t len = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            kos_out_padded(&o, s, len, width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(args, int);
            kos_out_padded(&o, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            kos_out_char(&o, '%');
            break;
        case 0:
            p--;    /* lone '%' at the end: stop at the terminator */
            break;
        default:
            kos_out_char(&o, '%');
            kos_out_char(&o, *p);
            break;
        }
    }
    va_end(args);
    if (n)
        buf[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

/* Defines the library's vsnprintf and snprintf under its own names (the
 * kernel's kvsnprintf/ksnprintf, user space's vsnprintf/snprintf). */
#define KOS_DEFINE_SNPRINTF(vname, name)                                          \
    int vname(char *buf, size_t n, const char *fmt, va_list ap)                  \
    {                                                                             \
        return kos_vsnprintf(buf, n, fmt, ap);                                    \
    }                                                                             \
    int name(char *buf, size_t n, const char *fmt, ...)                           \
    {                                                                             \
        va_list ap;                                                               \
        va_start(ap, fmt);                                                        \
        int r = kos_vsnprintf(buf, n, fmt, ap);                                   \
        va_end(ap);                                                               \
        return r;                                                                 \
    }
