/* Platform glue for the WebAssembly interpreter: the same C builds inside the
 * kernel and on the host (cc -DKOS_HOST, build/host/kos-wasm). Everything the
 * interpreter needs from its environment goes through this header. */
#pragma once
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

/* Linear memory storage. WASM_MEM_GUARDED is 1 when the storage is a
 * reservation of the whole reachable range (4 GiB + a 32-bit offset + 8)
 * where everything past the committed size faults, and the fault becomes the
 * trap of the running invoke (tools/wasm/guard.c, on a Linux host without
 * sanitizers): loads and stores then need no bounds check. Otherwise each
 * access is checked and the storage is a plain allocation.
 *   wasm_mem_alloc(size): zeroed storage for size bytes (NULL for 0 is fine)
 *   wasm_mem_grow(data, old, new): the same bytes and zeros up to new (may move), NULL on failure
 *   wasm_mem_free(data, size) */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KOS_WASM_ASAN 1             /* clang names ASan this way, not __SANITIZE_ADDRESS__ */
#endif
#endif
#if defined(KOS_HOST) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(KOS_WASM_ASAN) && !defined(KOS_WASM_NO_GUARD)
#define WASM_MEM_GUARDED 1
#include <setjmp.h>
uint8_t *wasm_mem_alloc(uint64_t size);
uint8_t *wasm_mem_grow(uint8_t *data, uint64_t old_size, uint64_t new_size);
void wasm_mem_free(uint8_t *data, uint64_t size);
/* An invoke that may fault on a guard page: a frame per wasm_execute. */
typedef struct wasm_guard_frame {
    sigjmp_buf jb;
    struct wasm_guard_frame *prev;
} wasm_guard_frame;
extern wasm_guard_frame *wasm_guard_top;
void wasm_guard_install(void);
/* 0 when entered, nonzero when a guard-page fault came back here. */
#define WASM_GUARD_ENTER(gf) (wasm_guard_install(), (gf)->prev = wasm_guard_top, wasm_guard_top = (gf), sigsetjmp((gf)->jb, 0))
#define WASM_GUARD_LEAVE(gf) (wasm_guard_top = (gf)->prev)
#else
#define WASM_MEM_GUARDED 0
static inline uint8_t *wasm_mem_alloc(uint64_t size)
{
    if (!size)
        return NULL;
    uint8_t *p = wasm_alloc((size_t)size);
    if (p)
        wasm_memset(p, 0, (size_t)size);
    return p;
}
static inline uint8_t *wasm_mem_grow(uint8_t *data, uint64_t old_size, uint64_t new_size)
{
    uint8_t *nd = wasm_alloc((size_t)new_size);
    if (!nd)
        return NULL;
    if (old_size)
        wasm_memcpy(nd, data, (size_t)old_size);
    wasm_memset(nd + old_size, 0, (size_t)(new_size - old_size));
    wasm_free(data);
    return nd;
}
static inline void wasm_mem_free(uint8_t *data, uint64_t size)
{
    (void)size;
    wasm_free(data);
}
#endif

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
