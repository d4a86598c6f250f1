/* The kernel side of the WebAssembly syscalls (ABI: kos/wasm.h). */
#pragma once
#include <kos/wasm.h>

struct proc;

/* Registers the release of a process's modules at its exit and exec. */
void sys_wasm_init(void);

/* The slot table without user pointers (the syscalls and ktest_wasm use
 * these). owner_pid identifies the owner; owner may be NULL (kernel tests).
 * Same return values as the syscalls; lim NULL: the defaults. */
int64_t wasm_slot_load(int owner_pid, struct proc *owner, const uint8_t *bytes, size_t len, const char *name,
                       const struct kos_wasm_limits *lim);
int64_t wasm_slot_exec(int caller_pid, int64_t id, const char *func, const int64_t *args, uint64_t nargs,
                       int64_t *result, int *has_result);
int64_t wasm_slot_unload(int caller_pid, int64_t id);
/* Frees every slot owned by pid; returns how many. */
int wasm_slot_release_pid(int pid);
/* Number of slots in use (after dropping those of exited processes). */
int wasm_slot_count(void);
