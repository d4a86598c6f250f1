#include "lib/printf.h"
#include "lib/string.h"
#include <stdint.h>
#include <stdbool.h>

struct outbuf {
    char *buf;
    size_t cap;
    size_t len;     /* would-be length, may exceed cap */
};

static void out_char(struct outbuf *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void out_padded(struct outbuf *o, const char *s, size_t len, int width, bool left, char pad)
{
    int fill = width > (int)len ? width - (int)len : 0;
    if (!left)
        while (fill-- > 0)
            out_char(o, pad);
    for (size_t i = 0; i < len; i++)
        out_char(o, s[i]);
    if (left)
        while (fill-- > 0)
            out_char(o, ' ');
}

static void out_number(struct outbuf *o, uint64_t v, bool neg, unsigned base, bool upper,
                       int width, bool left, char pad, const char *prefix)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    size_t plen = prefix ? strlen(prefix) : 0;
    int total = n + (neg ? 1 : 0) + (int)plen;
    int fill = width > total ? width - total : 0;
    if (!left && pad == ' ')
        while (fill-- > 0)
            out_char(o, ' ');
    if (neg)
        out_char(o, '-');
    for (size_t i = 0; i < plen; i++)
        out_char(o, prefix[i]);
    if (!left && pad == '0')
        while (fill-- > 0)
            out_char(o, '0');
    while (n)
        out_char(o, tmp[--n]);
    if (left)
        while (fill-- > 0)
            out_char(o, ' ');
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct outbuf o = { buf, n, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            out_char(&o, *p);
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
        int width = 0;
        if (*p == '*') {
            width = va_arg(ap, int);
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        int prec = -1;
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
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
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            out_number(&o, mag, v < 0, 10, false, width, left, pad, NULL);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            out_number(&o, v, false, base, *p == 'X', width, left, pad, NULL);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            out_number(&o, v, false, 16, false, width, left, pad, "0x");
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t len = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            out_padded(&o, s, len, width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_padded(&o, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            out_char(&o, '%');
            break;
        case 0:
            p--;    /* lone '%' at the end: stop at the terminator */
            break;
        default:
            out_char(&o, '%');
            out_char(&o, *p);
            break;
        }
    }
    if (n)
        buf[o.len < n ? o.len : n - 1] = 0;
    return (int)o.len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

int kvprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int r = kvsnprintf(buf, sizeof buf, fmt, ap);
    size_t len = r < (int)sizeof buf ? (size_t)r : sizeof buf - 1;
    console_write(buf, len);
    return r;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = kvprintf(fmt, ap);
    va_end(ap);
    return r;
}
