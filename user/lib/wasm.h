/* User-side WebAssembly syscalls. The ABI (return values, trap codes,
 * limits) is kos/wasm.h, shared with the kernel. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <kos/wasm.h>

/* Module id (>= 0) or -E... */
long wasm_load(const void *bytes, size_t len, const char *name);
/* The same with the caller's own fuel and page limits (NULL: the defaults). */
long wasm_load_limits(const void *bytes, size_t len, const char *name, const struct kos_wasm_limits *lim);
/* 0 (result in *result when the function returns a value), a positive
 * KOS_WASM_TRAP_* code, or -E... */
long wasm_exec(long id, const char *func, const int64_t *args, size_t nargs, int64_t *result);
/* The same, and *has_result says whether the function returned a value (1) or has none (0). */
long wasm_exec_result(long id, const char *func, const int64_t *args, size_t nargs, int64_t *result, int32_t *has_result);
long wasm_unload(long id);

/* Reads path (e.g. "/wasm/test.wasm") and loads it under name: a module id,
 * -E... from open/read/malloc, or the load's own error. */
long wasm_load_file(const char *path, const char *name);
long wasm_load_file_limits(const char *path, const char *name, const struct kos_wasm_limits *lim);
/* "unreachable", "integer divide by zero", ... for a KOS_WASM_TRAP_* code. */
const char *wasm_trap_name(long code);
