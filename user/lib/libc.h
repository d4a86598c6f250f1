/* A tiny libc: strings, formatted output to fd 1, malloc over mmap. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "sys.h"

/* memcpy, memmove, memset, memcmp, strlen, strnlen, strcmp, strncmp, strchr, strstr: shared with the kernel library. */
#include <kos/string.h>
char *strcpy(char *dst, const char *src);

/* %d %i %u %x %lx %ld %lu %p %s %c %%, width and '0'/'-' flags. */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s);

/* Heap over anonymous mmap: blocks up to 2 KiB from size-class pages, bigger ones mapped on their own. */
void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void free(void *p);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
