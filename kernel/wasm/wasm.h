/* kos WebAssembly 2.0 interpreter (without SIMD): the public API.
 *
 * Life cycle:
 *   wasm_module *m = wasm_module_parse(bytes, len, WASM_FEATURES_2_0, err, sizeof err);  // decode + validate
 *   wasm_instance *i = wasm_instantiate(m, &limits, resolve, ctx, err, sizeof err);
 *   wasm_func *f = wasm_instance_export_func(i, wasm_name_str("main"));
 *   int trap = wasm_invoke(i, f, args, nargs, results, nresults);   // WASM_OK or a trap code
 *   wasm_instance_free(i); wasm_module_free(m);
 *
 * There is no global mutable state: any number of modules and instances may
 * coexist.
 *
 * Who owns what:
 *   - The caller owns the bytes given to wasm_module_parse (not kept) and
 *     one reference on the module it returns; each instance holds another,
 *     so wasm_module_free may be called as soon as instantiation is done.
 *   - Host-created externs (wasm_host_func_new, wasm_memory_new,
 *     wasm_table_new, wasm_global_new) start with the creator's reference;
 *     each instance importing one takes its own, and wasm_extern_release
 *     drops the creator's.
 *   - An instance owns its defined functions, memory, table and globals.
 *     Those exported to and imported by another instance, and functions
 *     written into a table (element segments, possibly an imported table),
 *     hold no reference on it: it must outlive every instance that imports
 *     them and every table holding its functions. A caller that frees
 *     instances independently gives each one its own imported table (as
 *     kos-wasm fuzz does). (If a start function traps after element segments
 *     were written into an imported table, the failed instance is kept alive
 *     by that table, as WebAssembly requires.)
 *   - Strings and types returned by wasm_module_* and wasm_func_* point into
 *     the module or function and live as long as it does.
 * Linear memory is little-endian (the host CPU's order: x86-64). */
#pragma once
#include <stdint.h>
#include <stddef.h>

/* Value types (their binary encodings). */
#define WASM_I32 0x7f
#define WASM_I64 0x7e
#define WASM_F32 0x7d
#define WASM_F64 0x7c
#define WASM_FUNCREF 0x70   /* bits: a wasm_func pointer, 0 = null */
#define WASM_EXTERNREF 0x6f /* bits: the embedder's, 0 = null */

/* Extern kinds (import/export descriptors). */
#define WASM_EXTERN_FUNC 0
#define WASM_EXTERN_TABLE 1
#define WASM_EXTERN_MEMORY 2
#define WASM_EXTERN_GLOBAL 3

#define WASM_PAGE_SIZE 65536u

/* A value: its type and raw bits (f32 bits in the low 32; NaN payloads kept). */
typedef struct wasm_value {
    uint8_t type;
    uint64_t bits;
} wasm_value;

/* Results of wasm_invoke: WASM_OK or the trap that ended the call. */
enum wasm_trap {
    WASM_OK = 0,
    WASM_TRAP_UNREACHABLE,
    WASM_TRAP_DIV_ZERO,
    WASM_TRAP_INT_OVERFLOW,
    WASM_TRAP_INVALID_CONVERSION,
    WASM_TRAP_OOB_MEMORY,
    WASM_TRAP_UNDEFINED_ELEMENT,     /* call_indirect index outside the table */
    WASM_TRAP_UNINITIALIZED_ELEMENT, /* call_indirect through an empty slot */
    WASM_TRAP_INDIRECT_MISMATCH,     /* call_indirect signature mismatch */
    WASM_TRAP_CALL_STACK_EXHAUSTED,  /* call depth or value stack limit */
    WASM_TRAP_OUT_OF_FUEL,           /* step limit reached */
    WASM_TRAP_HOST,                  /* a host function failed */
    WASM_TRAP_BAD_ARGS,              /* invoke: wrong argument count/types */
    WASM_TRAP_OUT_OF_MEMORY,         /* the interpreter could not allocate its stack */
    WASM_TRAP_INTERRUPTED,           /* the limits' poll hook asked to stop (e.g. the process was killed) */
    WASM_TRAP_OOB_TABLE,             /* table.get/set/fill/copy/init outside the table */
    WASM_TRAP_COUNT
};
const char *wasm_trap_string(int trap);
/* The KOS_WASM_TRAP_* number (kos/wasm.h) SYS_wasm_exec reports for a trap;
 * what the ABI does not name (a host failure, bad arguments) is KOS_WASM_TRAP_HOST. */
int wasm_trap_abi(int trap);

/* Called by a running invoke about every poll_interval instructions, at a
 * taken branch or a call (never inside a straight-line run). The embedder
 * may let interrupts in, yield the CPU, or return nonzero to end the call
 * with WASM_TRAP_INTERRUPTED. */
typedef int (*wasm_poll_fn)(void *ctx);

/* Per-instance limits; a zero field means "use the default". They apply to
 * every invoke and to the start function run by wasm_instantiate. */
typedef struct wasm_limits {
    uint32_t max_memory_pages; /* cap on memory.grow and initial size (default 256 = 16 MiB) */
    uint64_t fuel;             /* executed instructions per invoke (default 0 = unlimited); the call
                                  traps before a straight-line run that would go over it */
    uint32_t max_call_depth;   /* default 1024 */
    uint32_t stack_slots;      /* 64-bit operand/local slots (default 16384 = 128 KiB) */
    wasm_poll_fn poll;         /* optional (NULL: never called) */
    void *poll_ctx;
    uint32_t poll_interval;    /* instructions between polls (default 65536) */
    uint32_t max_table_elems;  /* cap on a table's initial size and table.grow (default 10 000 000) */
} wasm_limits;

typedef struct wasm_module wasm_module;
typedef struct wasm_instance wasm_instance;
typedef struct wasm_func wasm_func;
typedef struct wasm_memory wasm_memory;
typedef struct wasm_table wasm_table;
typedef struct wasm_global wasm_global;

/* Host function: args/results are raw value bits in the signature's order
 * (at most 16 results).
 * `caller` is the instance whose code made the call (for its memory).
 * Returns WASM_OK or a trap code (WASM_TRAP_HOST for a generic failure). */
typedef int (*wasm_host_fn)(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results);

/* A name: len bytes, any bytes (import and export names are UTF-8 and may
 * hold NUL). The module's own names (wasm_module_*_name) also have a NUL
 * after the last byte, for messages. */
typedef struct wasm_name {
    const char *data;
    uint32_t len;
} wasm_name;

/* The name of a NUL-terminated C string. */
static inline wasm_name wasm_name_str(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    wasm_name r = {s, n};
    return r;
}

static inline int wasm_name_eq(wasm_name a, wasm_name b)
{
    if (a.len != b.len)
        return 0;
    for (uint32_t i = 0; i < a.len; i++)
        if (a.data[i] != b.data[i])
            return 0;
    return 1;
}

/* n bytes are well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF), as the binary and text formats require of names. */
int wasm_utf8_valid(const uint8_t *s, size_t n);

/* An import or export target. */
typedef struct wasm_extern {
    uint8_t kind; /* WASM_EXTERN_* */
    union {
        wasm_func *func;
        wasm_table *table;
        wasm_memory *memory;
        wasm_global *global;
    } u;
} wasm_extern;

/* Import resolver: fill *out for (module, name, kind) and return 0, or return
 * -1 when unknown (instantiation then fails naming the import). */
typedef int (*wasm_resolver)(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out);

/* Feature sets for wasm_module_parse. */
#define WASM_FEATURES_2_0 0 /* WebAssembly 2.0 without SIMD: sign extension, non-trapping float-to-int,
                               multi-value, bulk memory, reference types */
#define WASM_FEATURES_MVP 1 /* WebAssembly 1.0 only (what its test suite expects refused is refused,
                               segments are bounds-checked before any is written) */

/* Decode and validate a binary module. NULL on failure with the reason in err.
 * The module keeps no pointer into bytes. */
wasm_module *wasm_module_parse(const uint8_t *bytes, size_t len, int features, char *err, size_t errlen);
/* Drops the caller's reference; the module is freed with its last instance. */
void wasm_module_free(wasm_module *m);
/* The module's exports, by position: name and kind ({NULL, 0} past the end). */
uint32_t wasm_module_export_count(const wasm_module *m);
wasm_name wasm_module_export_name(const wasm_module *m, uint32_t i, uint8_t *kind);
/* Its imports, by position (module name, field name, kind). */
uint32_t wasm_module_import_count(const wasm_module *m);
wasm_name wasm_module_import_name(const wasm_module *m, uint32_t i, wasm_name *module, uint8_t *kind);

/* Resolve imports, allocate memory/table/globals, apply data and element
 * segments and run the start function. NULL on failure with the reason in err
 * ("unknown import env.foo", "incompatible import type ...", "start: <trap>"). */
wasm_instance *wasm_instantiate(const wasm_module *m, const wasm_limits *limits, wasm_resolver resolve,
                                void *resolve_ctx, char *err, size_t errlen);
void wasm_instance_free(wasm_instance *inst);

/* Exports. wasm_instance_export returns 0 and fills *out, or -1 if absent. */
int wasm_instance_export(wasm_instance *inst, wasm_name name, wasm_extern *out);
wasm_func *wasm_instance_export_func(wasm_instance *inst, wasm_name name);

/* A function's signature (types point into storage owned by the function). */
uint32_t wasm_func_param_count(const wasm_func *f);
uint32_t wasm_func_result_count(const wasm_func *f);
uint8_t wasm_func_param_type(const wasm_func *f, uint32_t i);
uint8_t wasm_func_result_type(const wasm_func *f, uint32_t i);

/* Call f. args must match its parameters (count and types); results gets
 * wasm_func_result_count(f) values. Returns WASM_OK or the trap code. */
int wasm_invoke(wasm_instance *inst, wasm_func *f, const wasm_value *args, uint32_t nargs, wasm_value *results,
                uint32_t nresults);

/* The instance's linear memory (NULL/0 when it has none). Host functions use
 * this to read guest buffers: check ptr+len <= *size first. */
uint8_t *wasm_instance_memory(wasm_instance *inst, uint64_t *size);
/* Opaque pointer for the embedder (e.g. the owning process). */
void wasm_instance_set_user(wasm_instance *inst, void *user);
void *wasm_instance_user(wasm_instance *inst);

/* Host-created externs (for the resolver). They are reference counted: each
 * instance that imports one holds a reference; wasm_extern_release drops the
 * creator's. */
wasm_func *wasm_host_func_new(const uint8_t *params, uint32_t nparams, const uint8_t *results, uint32_t nresults,
                              wasm_host_fn fn, void *ctx);
wasm_memory *wasm_memory_new(uint32_t min_pages, uint32_t max_pages);
wasm_table *wasm_table_new(uint8_t reftype, uint32_t min, uint32_t max);
wasm_global *wasm_global_new(uint8_t type, int mutable_, uint64_t bits);
void wasm_extern_release(wasm_extern *e);
uint64_t wasm_global_get(const wasm_global *g);
uint8_t wasm_global_type(const wasm_global *g);

/* kos programs' host imports: env.log(ptr i32, len i32) writes guest bytes to
 * the log hook, env.print_i32(v i32) prints a decimal line. wasm_env_resolve
 * is a wasm_resolver (ctx unused) that knows only these two. */
int wasm_env_resolve(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out);
