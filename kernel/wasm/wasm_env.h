/* Platform glue for the WebAssembly interpreter: the same C builds inside the
 * kernel and on the host (cc -DKOS_HOST, build/host/kos-wasm). Everything the
 * interpreter needs from its environment goes through this header. */
#ifndef KOS_WASM_ENV_H
#define KOS_WASM_ENV_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#ifdef KOS_HOST
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
static inline void *wasm_alloc(size_t n) { return malloc(n ? n : 1); }
static inline void wasm_free(void *p) { free(p); }
static inline void wasm_log(const char *s, size_t n) { fwrite(s, 1, n, stderr); }
#else
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/heap.h"
static inline void *wasm_alloc(size_t n) { return kmalloc(n ? n : 1); }
static inline void wasm_free(void *p) { kfree(p); }
static inline void wasm_log(const char *s, size_t n) { console_write(s, n); }
#endif

#define wasm_memcpy memcpy
#define wasm_memmove memmove
#define wasm_memset memset
#define wasm_memcmp memcmp

static inline void *wasm_zalloc(size_t n)
{
    void *p = wasm_alloc(n);
    if (p)
        wasm_memset(p, 0, n);
    return p;
}

/* Fixed-size copies the compiler turns into single moves (no call, even under
 * -fno-builtin); used for unaligned linear-memory access and bit casts. */
#if defined(__GNUC__) || defined(__clang__)
#define WASM_COPY(dst, src, n) __builtin_memcpy((dst), (src), (n))
#else
#define WASM_COPY(dst, src, n) wasm_memcpy((dst), (src), (n))
#endif

#endif
