#pragma once
#include <stdarg.h>
#include <stddef.h>

/* Formats: %d %i %u %x %X %o %p %s %c %%, length l/ll/z, width, '0' and '-' flags, .precision for %s. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
/* Raw console output, no formatting: serial line and screen (drivers/console.c),
 * one writer at a time (interrupt handlers print too). */
void console_write(const char *s, size_t n);
