/* WebAssembly syscalls: the ABI shared by the kernel (kernel/sys/sys_wasm.c)
 * and user space (user/lib/wasm.h wraps the calls). Only plain C types here.
 *
 *   SYS_wasm_load   (13) load(bytes, len, name, limits)
 *       limits: a struct kos_wasm_limits the caller sets for this module (a
 *       daemon running other peers' code tightens them), or 0 for the defaults.
 *       -> module id 0..KOS_WASM_MAX_MODULES-1, or -EFAULT (bad pointer),
 *          -EINVAL (malformed/invalid module, unknown import, over a limit, empty name,
 *          limits out of range; the reason is logged on the console),
 *          -E2BIG (the module's initial memory is over the page limit),
 *          -EFBIG (len > KOS_WASM_MAX_MODULE_BYTES),
 *          -ENAMETOOLONG (name >= KOS_WASM_NAME_MAX), -ENOSPC (all slots used),
 *          -ENOMEM, -EINTR (killed while the start function ran).
 *   SYS_wasm_exec   (14) exec(id, func, args, nargs, result, has_result)
 *       args: int64_t[nargs] (i32 params take the low 32 bits, f32/f64 raw bits);
 *       result: int64_t slot written when the function returns a value
 *       (i32 sign-extended, f32/f64 raw bits); may be 0 when not wanted.
 *       has_result: an int32_t set to 1 when the function returned a value and
 *       0 when it has none (on a normal return); may be 0.
 *       -> 0 (returned normally, *result written), a positive KOS_WASM_TRAP_*
 *          code (the call trapped; the module stays usable), or -EBADF (no such
 *          module), -EPERM (another process's module), -ENOENT (no exported
 *          function of that name), -EINVAL (nargs differs from the function's
 *          parameter count), -EFAULT, -ENAMETOOLONG.
 *   SYS_wasm_unload (27) unload(id) -> 0, -EBADF or -EPERM.
 *
 * A process's modules are freed when it exits. */
#pragma once

#include <stdint.h>
#include <stddef.h>

#define KOS_WASM_MAX_MODULES 8
#define KOS_WASM_MAX_MODULE_BYTES (1024u * 1024u)
#define KOS_WASM_NAME_MAX 32            /* module and function names, with the NUL */
#define KOS_WASM_MAX_ARGS 16
/* Per-module limits: none of them can stop the kernel. A call runs with
 * interrupts off between preemption points (taken branches and calls, about
 * every KOS_WASM_POLL_INTERVAL instructions), where the timer preempts it as
 * it would preempt user code and a kill() ends it. */
#define KOS_WASM_MAX_PAGES 16           /* linear memory: 1 MiB */
#define KOS_WASM_FUEL 20000000ull       /* executed instructions per exec (and for the start function) */
#define KOS_WASM_MAX_FUEL 4000000000ull /* the most a caller may ask for in kos_wasm_limits.fuel */
#define KOS_WASM_POLL_INTERVAL 16384    /* instructions between preemption points */
#define KOS_WASM_MAX_CALL_DEPTH 256
#define KOS_WASM_STACK_SLOTS 8192       /* 64 KiB value stack */
#define KOS_WASM_MAX_TABLE_ELEMS 65536  /* entries per table, initial and after table.grow (512 KiB) */
#define KOS_WASM_CONSOLE_BUDGET 16384   /* env.log/print_i32 bytes per exec (and per load) */

/* Trap codes SYS_wasm_exec returns (positive; errors are negative). */
#define KOS_WASM_TRAP_UNREACHABLE 1
#define KOS_WASM_TRAP_DIV_ZERO 2
#define KOS_WASM_TRAP_INT_OVERFLOW 3
#define KOS_WASM_TRAP_INVALID_CONVERSION 4
#define KOS_WASM_TRAP_OOB_MEMORY 5
#define KOS_WASM_TRAP_UNDEFINED_ELEMENT 6      /* call_indirect index outside the table */
#define KOS_WASM_TRAP_UNINITIALIZED_ELEMENT 7  /* call_indirect through an empty slot */
#define KOS_WASM_TRAP_INDIRECT_MISMATCH 8      /* call_indirect signature mismatch */
#define KOS_WASM_TRAP_CALL_STACK_EXHAUSTED 9
#define KOS_WASM_TRAP_OUT_OF_FUEL 10           /* step limit: a runaway loop */
#define KOS_WASM_TRAP_HOST 11                  /* a host import failed (console budget used up) */
#define KOS_WASM_TRAP_OUT_OF_MEMORY 12         /* the kernel could not allocate the call's stack */
#define KOS_WASM_TRAP_INTERRUPTED 13           /* the process was killed during the call */
#define KOS_WASM_TRAP_OOB_TABLE 14             /* table.get/set/fill/copy/init out of bounds */

/* Per-module limits for SYS_wasm_load (a zero field: the default above). */
struct kos_wasm_limits {
    uint64_t fuel;      /* instructions per exec: 1..KOS_WASM_MAX_FUEL (default KOS_WASM_FUEL) */
    uint32_t max_pages; /* linear memory pages: 1..KOS_WASM_MAX_PAGES (default KOS_WASM_MAX_PAGES) */
    uint32_t flags;     /* must be 0 */
};
