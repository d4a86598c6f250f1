/* The KTAP v1 diagnostic lines both producers print: the kernel's
 * (kernel/lib/ktap.c, at its current depth) and a user test program's
 * (user/lib/ktap.c, inside the subtest the kernel opened for it). Each
 * library defines them with its own output functions:
 *   KOS_DEFINE_KTAP_DIAG(indent, bufsize, vsnprintf, printf)
 * gives ktap_diag(fmt, ...), "<indent># text" with the text cut at
 * bufsize - 1 bytes, and ktap_metric(name, value, unit),
 * "<indent># metric name value unit" (the form src/ktap reads). */
#pragma once
#include <stdarg.h>
#include <stdint.h>

#define KOS_DEFINE_KTAP_DIAG(indent, bufsize, vsnprintf_fn, printf_fn)            \
    void ktap_diag(const char *fmt, ...)                                          \
    {                                                                             \
        char buf[bufsize];                                                        \
        va_list ap;                                                               \
        va_start(ap, fmt);                                                        \
        vsnprintf_fn(buf, sizeof buf, fmt, ap);                                   \
        va_end(ap);                                                               \
        printf_fn("%s# %s\n", indent, buf);                                       \
    }                                                                             \
    void ktap_metric(const char *name, uint64_t value, const char *unit)         \
    {                                                                             \
        printf_fn("%s# metric %s %lu %s\n", indent, name, value, unit);           \
    }
