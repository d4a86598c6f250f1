#include "lib/printf.h"
#include "kos/format.h"

KOS_DEFINE_SNPRINTF(kvsnprintf, ksnprintf)

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
