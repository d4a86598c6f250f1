/* Private structures shared by the decoder (wasm_decode.c), the runtime
 * (wasm_runtime.c) and the interpreter loop (wasm_interp.c). */
#pragma once
#include "wasm/wasm.h"
#include "wasm/wasm_env.h"

#define WASM_NO_MAX 0xffffffffu
#define WASM_MAX_PAGES 65536u

/* Most results a host function may have (its results come back in an array). */
#define WASM_MAX_HOST_RESULTS 16

typedef struct wasm_functype {
    uint32_t nparams;
    uint32_t nresults;
    uint8_t *params;  /* nparams + nresults bytes: the parameters, then the results */
    uint8_t *results; /* params + nparams */
    uint64_t key;     /* cheap pre-check for signature equality */
} wasm_functype;

static inline int wasm_is_num(uint8_t t) { return t >= WASM_F64 && t <= WASM_I32; }
static inline int wasm_is_ref(uint8_t t) { return t == WASM_FUNCREF || t == WASM_EXTERNREF; }

typedef struct wasm_limits_decl {
    uint32_t min;
    uint32_t max; /* WASM_NO_MAX when absent */
} wasm_limits_decl;

/* Constant expression: one *.const, global.get, ref.null or ref.func. */
typedef struct wasm_constexpr {
    uint8_t op; /* 0x41..0x44, 0x23 (global.get), 0xd0 (ref.null), 0xd2 (ref.func) */
    uint8_t type;
    uint32_t global; /* global.get: the global; ref.func: the function */
    uint64_t bits;
} wasm_constexpr;

typedef struct wasm_tabledecl {
    uint8_t type; /* WASM_FUNCREF or WASM_EXTERNREF */
    wasm_limits_decl limits;
} wasm_tabledecl;

/* Names from the binary: owned bytes, NUL after the last (see wasm_name). */
typedef struct wasm_import {
    wasm_name module;
    wasm_name name;
    uint8_t kind;
    uint32_t type_index;      /* func */
    wasm_limits_decl limits;  /* table / memory */
    uint8_t reftype;          /* table */
    uint8_t gtype, gmut;      /* global */
} wasm_import;

typedef struct wasm_export {
    wasm_name name;
    uint8_t kind;
    uint32_t index;
} wasm_export;

typedef struct wasm_globaldef {
    uint8_t type, mut;
    wasm_constexpr init; /* defined globals only */
} wasm_globaldef;

enum { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

typedef struct wasm_elem {
    uint8_t mode; /* WASM_SEG_* */
    uint8_t type; /* reference type of the items */
    uint32_t table;
    wasm_constexpr offset;
    uint32_t count;
    wasm_constexpr *items;
} wasm_elem;

typedef struct wasm_data {
    uint8_t mode; /* WASM_SEG_ACTIVE or WASM_SEG_PASSIVE */
    wasm_constexpr offset;
    uint32_t size;
    uint8_t *bytes;
} wasm_data;

/* A function body decoded once into internal code (32-bit words, branch
 * targets resolved to word indices).
 *
 * Fuel: one unit per executed instruction, charged ahead by straight-line
 * runs. A run goes from a label (or the function start) to the next
 * unconditional transfer (br, br_table, return, unreachable); R(p) is the
 * number of instructions from p to the end of p's run. Entering a function
 * charges R(entry) (entry_cost); every branch carries a signed delta
 * R(target) - R(after the branch), charged when it is taken. So at any time
 * fuel used = instructions executed + R(current position), whatever the
 * code's shape, and fuel is checked only at taken branches and calls. A run
 * longer than WASM_RUN_MAX instructions is cut by a FUEL instruction (an
 * unconditional transfer to the next word), so the poll hook is reached
 * within about that many instructions whatever the code. */
#define WASM_RUN_MAX 4096u
typedef struct wasm_code {
    uint32_t entry_cost; /* R(entry) */
    uint32_t nparams;
    uint32_t nlocals;    /* params + declared locals */
    uint32_t max_height; /* locals + deepest operand stack, in slots */
    uint32_t result_arity;
    uint32_t len;
    uint32_t *words;
} wasm_code;

struct wasm_module {
    uint32_t refs; /* the parser's reference + one per instance */
    uint32_t ntypes;
    wasm_functype *types;
    uint32_t nimports;
    wasm_import *imports;
    uint32_t nfuncs, nfunc_imports; /* index space: imports first */
    uint32_t *func_types;
    uint32_t ntables, ntable_imports;
    wasm_tabledecl *tables; /* imports first */
    uint32_t nmems, nmem_imports;
    wasm_limits_decl mem;
    uint32_t nglobals, nglobal_imports;
    wasm_globaldef *globals;
    uint32_t nexports;
    wasm_export *exports;
    int has_start;
    uint32_t start;
    uint32_t nelems;
    wasm_elem *elems;
    uint32_t ndatas;
    wasm_data *datas;
    int has_data_count;
    uint32_t data_count;
    uint8_t *declared; /* nfuncs flags: may be named by ref.func */
    int mvp;           /* decoded with WASM_FEATURES_MVP: 1.0 instantiation rules */
    wasm_code *codes;  /* nfuncs - nfunc_imports */
};

struct wasm_func {
    const wasm_functype *type;
    wasm_instance *inst;   /* owning instance; NULL for host functions */
    const wasm_code *code; /* NULL for host functions */
    wasm_host_fn host;
    void *host_ctx;
    uint32_t refs;     /* host functions only */
    wasm_functype own; /* host functions: their signature */
};

struct wasm_memory {
    uint8_t *data;
    uint64_t size; /* bytes */
    uint32_t pages, max_pages; /* max_pages: the effective grow limit */
    uint32_t decl_max;         /* declared maximum (WASM_NO_MAX if none), for import matching */
    uint32_t refs;
};

/* Table elements are reference bits: a funcref is a wasm_func pointer, an
 * externref the embedder's 64 bits; 0 is null for both. */
struct wasm_table {
    uint64_t *elems;
    uint32_t size, max;
    uint8_t type;
    uint32_t refs;
    /* Instances whose start function trapped after their element segments
     * were written here: their functions stay reachable, so they live as
     * long as the table. */
    wasm_instance *retained;
};

struct wasm_global {
    uint8_t type, mut;
    uint64_t bits;
    uint32_t refs;
};

struct wasm_instance {
    const wasm_module *module;
    wasm_func **funcs;    /* index space */
    wasm_func *own_funcs; /* defined functions */
    wasm_table **tables;
    uint64_t **elem_vals; /* per element segment: its references (NULL once dropped) */
    uint32_t *elem_len;   /* 0 once dropped */
    uint32_t *data_len;   /* per data segment: its size, 0 once dropped */
    wasm_memory *mem;
    wasm_global **globals;
    wasm_limits limits;
    void *user;
    int running;       /* the instance's stack is in use (re-entry gets its own) */
    uint64_t *stack;   /* limits.stack_slots slots, then the call frames */
    wasm_memory nomem; /* stands in when the module has no memory: size 0 */
    wasm_instance *next_retained;
    wasm_table *retained_by;
};

/* A C string naming a constant (kos imports: "env", "log"). */
static inline int wasm_name_is(wasm_name n, const char *s)
{
    return wasm_name_eq(n, wasm_name_str(s));
}

uint64_t wasm_functype_key(const wasm_functype *t);
int wasm_functype_equal(const wasm_functype *a, const wasm_functype *b);
int wasm_execute(wasm_instance *inst, wasm_func *f, uint64_t *args_results);
/* Turns the n opcode words at words[at[i]] (enum wasm_op) into what the
 * interpreter dispatches on (its handlers' addresses, as offsets, under
 * GCC/clang; unchanged otherwise). Called once per function body, last. */
void wasm_thread_code(uint32_t *words, const uint32_t *at, uint32_t n);
/* table.grow: the old size, or 0xffffffff past the table's maximum or limit. */
uint32_t wasm_table_grow(wasm_table *t, uint32_t n, uint64_t init, uint32_t limit);

/* Internal opcodes. The numeric block (0x45..0xbf), loads/stores and consts
 * keep the order of their binary opcodes so the decoder maps them by offset. */
#define WASM_OPS(X)                                                                                            \
    X(UNREACHABLE) X(FUEL) X(BR) X(BR_ADJ) X(BR_IF) X(BR_IF_ADJ) X(BR_UNLESS) X(BR_TABLE) X(RETURN) X(CALL)            \
    X(CALL_INDIRECT) X(DROP) X(SELECT) X(LOCAL_GET) X(LOCAL_SET) X(LOCAL_TEE) X(GLOBAL_GET) X(GLOBAL_SET)      \
    X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S)              \
    X(I32_LOAD16_U) X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S)              \
    X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE) X(F32_STORE) X(F64_STORE) X(I32_STORE8) X(I32_STORE16)           \
    X(I64_STORE8) X(I64_STORE16) X(I64_STORE32) X(MEMORY_SIZE) X(MEMORY_GROW) X(I32_CONST) X(I64_CONST)        \
    X(F32_CONST) X(F64_CONST) X(I32_EQZ) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U)   \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) X(I64_EQZ) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U)     \
    X(I64_GT_S) X(I64_GT_U) X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) X(F32_EQ) X(F32_NE) X(F32_LT)      \
    X(F32_GT) X(F32_LE) X(F32_GE) X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE) X(I32_CLZ)       \
    X(I32_CTZ) X(I32_POPCNT) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S)           \
    X(I32_REM_U) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR)  \
    X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT) X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) X(I64_DIV_U)             \
    X(I64_REM_S) X(I64_REM_U) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U)             \
    X(I64_ROTL) X(I64_ROTR) X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST)         \
    X(F32_SQRT) X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN) X(F64_ABS)   \
    X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT) X(F64_ADD) X(F64_SUB)          \
    X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN) X(I32_WRAP_I64) X(I32_TRUNC_F32_S)             \
    X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U) X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U)           \
    X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U) X(F32_CONVERT_I32_S)           \
    X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U) X(F32_DEMOTE_F64) X(F64_CONVERT_I32_S)      \
    X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U) X(F64_PROMOTE_F32)                          \
    X(I32_REINTERPRET_F32) X(I64_REINTERPRET_F64) X(F32_REINTERPRET_I32) X(F64_REINTERPRET_I64)               \
    X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S)                    \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S) X(I32_TRUNC_SAT_F64_U)               \
    X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U)               \
    X(MEMORY_INIT) X(DATA_DROP) X(MEMORY_COPY) X(MEMORY_FILL) X(TABLE_INIT) X(ELEM_DROP) X(TABLE_COPY)        \
    X(TABLE_GROW) X(TABLE_SIZE) X(TABLE_FILL) X(REF_NULL) X(REF_IS_NULL) X(REF_FUNC) X(TABLE_GET)             \
    X(TABLE_SET)

/* Superinstructions the decoder fuses (wasm_decode.c, emit_bin): an i32
 * binary operation with its operands a and b taken from two locals (_LL), a
 * local and a constant (_LC), the stack top and a constant (_SC), a local
 * and the stack top (_LS: the local.get came before the instruction that
 * pushed b), or the stack top and a local (_SL); a load whose address is a
 * local (_L); a store whose address is a local and value a local or a
 * constant (_LL, _LC) or whose address is on the stack and value a local
 * (_SL); a compare-and-branch br_if whose operands are two locals
 * (BRC_..._LL) or a local and a constant (BRC_..._LC); a fused or plain
 * (_SS) operation whose result goes straight into a local (local.set:
 * _SET). expr combines uint32_t a and b. */
#define WASM_FUSE_BIN(X)                                                                                       \
    X(I32_ADD, a + b) X(I32_SUB, a - b) X(I32_MUL, a * b) X(I32_AND, a & b) X(I32_OR, a | b)                 \
    X(I32_XOR, a ^ b) X(I32_SHL, a << (b & 31)) X(I32_SHR_U, a >> (b & 31))                                  \
    X(I32_SHR_S, (uint32_t)((int32_t)a >> (b & 31))) WASM_FUSE_CMP(X)
#define WASM_FUSE_CMP(X)                                                                                       \
    X(I32_EQ, a == b) X(I32_NE, a != b) X(I32_LT_S, (int32_t)a < (int32_t)b) X(I32_LT_U, a < b)              \
    X(I32_GT_S, (int32_t)a > (int32_t)b) X(I32_GT_U, a > b) X(I32_LE_S, (int32_t)a <= (int32_t)b)            \
    X(I32_LE_U, a <= b) X(I32_GE_S, (int32_t)a >= (int32_t)b) X(I32_GE_U, a >= b)
#define WASM_FUSE_LOAD(X)                                                                                      \
    X(I32_LOAD, uint32_t, 4, (uint64_t)v) X(I64_LOAD, uint64_t, 8, v) X(F32_LOAD, uint32_t, 4, (uint64_t)v)  \
    X(F64_LOAD, uint64_t, 8, v) X(I32_LOAD8_S, int8_t, 1, (uint64_t)(uint32_t)(int32_t)v)                     \
    X(I32_LOAD8_U, uint8_t, 1, (uint64_t)v) X(I32_LOAD16_S, int16_t, 2, (uint64_t)(uint32_t)(int32_t)v)       \
    X(I32_LOAD16_U, uint16_t, 2, (uint64_t)v)
#define WASM_FUSE_STORE(X)                                                                                     \
    X(I32_STORE, uint32_t, 4) X(I64_STORE, uint64_t, 8) X(F32_STORE, uint32_t, 4) X(F64_STORE, uint64_t, 8)  \
    X(I32_STORE8, uint8_t, 1) X(I32_STORE16, uint16_t, 2)

#define WASM_OP_ENUM(name) OP_##name,
/* The order of the forms is what the decoder counts on: base + WASM_FORM_*. */
enum { WASM_FORM_LL, WASM_FORM_LC, WASM_FORM_SC, WASM_FORM_LS, WASM_FORM_SL };
#define WASM_FUSE_BIN_ENUM(name, expr) OP_##name##_LL, OP_##name##_LC, OP_##name##_SC, OP_##name##_LS, OP_##name##_SL,
#define WASM_FUSE_CMP_ENUM(name, expr) OP_BRC_##name##_LL, OP_BRC_##name##_LC,
#define WASM_FUSE_SET_ENUM(name, expr)                                                                         \
    OP_##name##_LL_SET, OP_##name##_LC_SET, OP_##name##_SC_SET, OP_##name##_LS_SET, OP_##name##_SL_SET, OP_##name##_SS_SET,
#define WASM_FUSE_LOAD_ENUM(name, ctype, n, conv) OP_##name##_L,
#define WASM_FUSE_STORE_ENUM(name, ctype, n) OP_##name##_LL, OP_##name##_LC, OP_##name##_SL,
enum wasm_op {
    WASM_OPS(WASM_OP_ENUM) WASM_FUSE_BIN(WASM_FUSE_BIN_ENUM) WASM_FUSE_CMP(WASM_FUSE_CMP_ENUM)
        WASM_FUSE_LOAD(WASM_FUSE_LOAD_ENUM) WASM_FUSE_BIN(WASM_FUSE_SET_ENUM) WASM_FUSE_STORE(WASM_FUSE_STORE_ENUM)
            OP__COUNT
};

/* Float helpers (wasm_float.c): exact WebAssembly semantics without libm. */
float wasm_f32_sqrt(float x);
double wasm_f64_sqrt(double x);
float wasm_f32_ceil(float x);
float wasm_f32_floor(float x);
float wasm_f32_trunc(float x);
float wasm_f32_nearest(float x);
double wasm_f64_ceil(double x);
double wasm_f64_floor(double x);
double wasm_f64_trunc(double x);
double wasm_f64_nearest(double x);
float wasm_f32_min(float a, float b);
float wasm_f32_max(float a, float b);
double wasm_f64_min(double a, double b);
double wasm_f64_max(double a, double b);

/* Bit casts between a float and its IEEE 754 pattern (NaN payloads kept). */
static inline uint32_t wasm_f32_bits(float f) { uint32_t u; WASM_COPY(&u, &f, sizeof u); return u; }
static inline float wasm_bits_f32(uint32_t u) { float f; WASM_COPY(&f, &u, sizeof f); return f; }
static inline uint64_t wasm_f64_bits(double f) { uint64_t u; WASM_COPY(&u, &f, sizeof u); return u; }
static inline double wasm_bits_f64(uint64_t u) { double f; WASM_COPY(&f, &u, sizeof f); return f; }
