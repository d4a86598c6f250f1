/* What the portable p2p code needs from a C library: memcpy and friends,
 * fixed-width integers. The guest gets them from user/lib, the host build
 * from the system's libc (KOS_HOST); code built with no library at all
 * (KOS_NO_LIBC: bench/wasm) brings its own memcpy and memset. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#ifdef KOS_HOST
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#elif defined(KOS_NO_LIBC)
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
#else
#include "libc.h"
#endif

/* A decimal number (optionally negative); stops at the first non-digit. */
static inline long p2p_atol(const char *s)
{
    long v = 0, sign = 1;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    while (*s >= '0' && *s <= '9' && v < 100000000000L)
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

/* Feeds n bytes to a block function through a partial-block buffer (hashes
 * and MACs): whole blocks straight from the input, the rest buffered. */
static inline void p2p_absorb(uint8_t *buf, size_t *used, size_t bs, const uint8_t *p, size_t n,
                              void (*block)(void *ctx, const uint8_t *blk), void *ctx)
{
    while (n > 0) {
        if (*used == 0 && n >= bs) {
            block(ctx, p);
            p += bs;
            n -= bs;
            continue;
        }
        size_t k = bs - *used;
        if (k > n)
            k = n;
        memcpy(buf + *used, p, k);
        *used += k;
        p += k;
        n -= k;
        if (*used == bs) {
            block(ctx, buf);
            *used = 0;
        }
    }
}

/* Clears a secret so the compiler cannot drop the stores. */
static inline void p2p_wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--)
        *v++ = 0;
}

/* Compares in time that depends only on n. Returns 0 when equal. */
static inline int p2p_ct_cmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d;
}

static inline uint32_t p2p_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void p2p_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline uint64_t p2p_le64(const uint8_t *p)
{
    return (uint64_t)p2p_le32(p) | (uint64_t)p2p_le32(p + 4) << 32;
}
static inline void p2p_put_le64(uint8_t *p, uint64_t v)
{
    p2p_put_le32(p, (uint32_t)v);
    p2p_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t p2p_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void p2p_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint64_t p2p_be64(const uint8_t *p)
{
    return (uint64_t)p2p_be32(p) << 32 | p2p_be32(p + 4);
}
static inline void p2p_put_be64(uint8_t *p, uint64_t v)
{
    p2p_put_be32(p, (uint32_t)(v >> 32));
    p2p_put_be32(p + 4, (uint32_t)v);
}
static inline uint16_t p2p_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline void p2p_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

#ifdef __x86_64__
/* The CPU's time-stamp counter, for cycle figures (# metric lines). */
static inline uint64_t p2p_cycles(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
#endif
