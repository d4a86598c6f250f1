/* The interpreter loop. Operands and locals live in one array of untyped
 * 64-bit slots (i32/f32 in the low half); a frame's locals start at fp and
 * its operand stack follows them. Dispatch is computed goto under GCC/clang
 * (one indirect jump per instruction), a switch elsewhere. */
#include "wasm/wasm_internal.h"

typedef struct frame {
    const uint32_t *ip;
    uint64_t *fp;
    wasm_func *func;
} frame;

#define U32(x) ((uint32_t)(x))
#define S32(x) ((int32_t)(uint32_t)(x))
#define S64(x) ((int64_t)(x))
#define F32(x) wasm_bits_f32((uint32_t)(x))
#define F64(x) wasm_bits_f64(x)
#define BF32(v) ((uint64_t)wasm_f32_bits(v))
#define BF64(v) wasm_f64_bits(v)

static inline uint32_t popcnt64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}
static inline uint32_t clz32(uint32_t x) { return x ? (uint32_t)__builtin_clz(x) : 32; }
static inline uint32_t ctz32(uint32_t x) { return x ? (uint32_t)__builtin_ctz(x) : 32; }
static inline uint64_t clz64(uint64_t x) { return x ? (uint64_t)__builtin_clzll(x) : 64; }
static inline uint64_t ctz64(uint64_t x) { return x ? (uint64_t)__builtin_ctzll(x) : 64; }
static inline uint32_t rotl32(uint32_t x, uint32_t n) { n &= 31; return n ? (x << n) | (x >> (32 - n)) : x; }
static inline uint32_t rotr32(uint32_t x, uint32_t n) { n &= 31; return n ? (x >> n) | (x << (32 - n)) : x; }
static inline uint64_t rotl64(uint64_t x, uint64_t n) { n &= 63; return n ? (x << n) | (x >> (64 - n)) : x; }
static inline uint64_t rotr64(uint64_t x, uint64_t n) { n &= 63; return n ? (x >> n) | (x << (64 - n)) : x; }
/* The top n values move down to dst (a branch or return dropping what is
 * between); returns the new stack top. */
static inline uint64_t *keep(uint64_t *dst, uint64_t *sp, uint32_t n)
{
    uint64_t *src = sp - n;
    if (src != dst)
        for (uint32_t i = 0; i < n; i++)
            dst[i] = src[i];
    return dst + n;
}

static inline float f32_copysign(float a, float b)
{
    return wasm_bits_f32((wasm_f32_bits(a) & 0x7fffffffu) | (wasm_f32_bits(b) & 0x80000000u));
}
static inline double f64_copysign(double a, double b)
{
    return wasm_bits_f64((wasm_f64_bits(a) & ~(1ull << 63)) | (wasm_f64_bits(b) & (1ull << 63)));
}

/* Fuel beyond the current quantum, and the poll hook between quanta. */
typedef struct fuel_state {
    int64_t bank, quantum;
    wasm_poll_fn poll;
    void *ctx;
    int trap;
} fuel_state;

/* The quantum ran out (fuel < 0): poll, then move fuel from the bank; the
 * new fuel comes back by value so the loop keeps it in a register. */
static __attribute__((noinline)) int64_t refuel(fuel_state *fs, int64_t fuel)
{
    if (fs->poll && fs->poll(fs->ctx)) {
        fs->trap = WASM_TRAP_INTERRUPTED;
        return fuel;
    }
    while (fuel < 0 && fs->bank > 0) {
        int64_t take = fs->bank < fs->quantum ? fs->bank : fs->quantum;
        fuel += take;
        fs->bank -= take;
    }
    if (fuel < 0)
        fs->trap = WASM_TRAP_OUT_OF_FUEL;
    return fuel;
}

#define FUEL_UNLIMITED (INT64_MAX / 4)

/* The call's own stack, in memory (the guard path below reads it after a longjmp). */
typedef struct exec_stack {
    uint64_t *stack;
    int own;
} exec_stack;

static int execute(wasm_instance *inst, wasm_func *entry, uint64_t *args_results, exec_stack *es);

#if defined(__GNUC__) || defined(__clang__)
/* Each handler's offset from L_UNREACHABLE, filled by execute(NULL, ...). */
static int32_t thread_offsets[OP__COUNT];
static int threaded;

void wasm_thread_code(uint32_t *words, const uint32_t *at, uint32_t n)
{
    if (!threaded)
        execute(NULL, NULL, NULL, NULL);
    for (uint32_t i = 0; i < n; i++)
        words[at[i]] = (uint32_t)thread_offsets[words[at[i]]];
}
#else
void wasm_thread_code(uint32_t *words, const uint32_t *at, uint32_t n)
{
    (void)words, (void)at, (void)n;
}
#endif

int wasm_execute(wasm_instance *inst, wasm_func *entry, uint64_t *args_results)
{
    exec_stack es = {NULL, 0};
#if WASM_MEM_GUARDED
    /* A load or store past the memory's size faults on its guard pages and
     * comes back here (tools/wasm/guard.c) as the call's trap. */
    wasm_guard_frame guard;
    int running = inst->running;
    if (WASM_GUARD_ENTER(&guard) != 0) {
        WASM_GUARD_LEAVE(&guard);
        inst->running = running;
        if (es.own)
            wasm_free(es.stack);
        return WASM_TRAP_OOB_MEMORY;
    }
    int trap = execute(inst, entry, args_results, &es);
    WASM_GUARD_LEAVE(&guard);
    return trap;
#else
    return execute(inst, entry, args_results, &es);
#endif
}

static int execute(wasm_instance *inst, wasm_func *entry, uint64_t *args_results, exec_stack *es)
{
#if defined(__GNUC__) || defined(__clang__)
#define WASM_LABEL_ADDR(name) &&L_##name,
#define WASM_FUSE_BIN_ADDR(name, expr) &&L_##name##_LL, &&L_##name##_LC, &&L_##name##_SC, &&L_##name##_LS, &&L_##name##_SL,
#define WASM_FUSE_CMP_ADDR(name, expr) &&L_BRC_##name##_LL, &&L_BRC_##name##_LC,
#define WASM_FUSE_LOAD_ADDR(name, ctype, n, conv) &&L_##name##_L,
#define WASM_FUSE_SET_ADDR(name, expr)                                                                         \
    &&L_##name##_LL_SET, &&L_##name##_LC_SET, &&L_##name##_SC_SET, &&L_##name##_LS_SET, &&L_##name##_SL_SET,   \
        &&L_##name##_SS_SET,
#define WASM_FUSE_STORE_ADDR(name, ctype, n) &&L_##name##_LL, &&L_##name##_LC, &&L_##name##_SL,
    static const void *const labels[OP__COUNT] = {
        WASM_OPS(WASM_LABEL_ADDR) WASM_FUSE_BIN(WASM_FUSE_BIN_ADDR) WASM_FUSE_CMP(WASM_FUSE_CMP_ADDR)
            WASM_FUSE_LOAD(WASM_FUSE_LOAD_ADDR) WASM_FUSE_BIN(WASM_FUSE_SET_ADDR)
                WASM_FUSE_STORE(WASM_FUSE_STORE_ADDR)};
    /* Threaded code: each opcode word is its handler's offset from
     * L_UNREACHABLE (wasm_thread_code), one add before the jump instead of
     * a load from the table. */
    const char *const handlers = (const char *)&&L_UNREACHABLE;
    if (!inst) {
        for (uint32_t i = 0; i < OP__COUNT; i++)
            thread_offsets[i] = (int32_t)((const char *)labels[i] - handlers);
        threaded = 1;
        return 0;
    }
#define NEXT() goto *(const void *)(handlers + (int32_t)*ip++)
#define OPC(name) L_##name:
#else
#define NEXT() goto dispatch
#define OPC(name) case OP_##name:
#endif

    uint32_t slots = inst->limits.stack_slots, max_depth = inst->limits.max_call_depth;
    uint64_t *stack;
    int own_stack = 0;
    if (inst->running || !inst->stack) {
        stack = wasm_alloc((size_t)slots * sizeof(uint64_t) + (size_t)max_depth * sizeof(frame));
        if (!stack)
            return WASM_TRAP_OUT_OF_MEMORY;
        own_stack = 1;
        es->stack = stack;
        es->own = 1;
    } else {
        stack = inst->stack;
    }
    inst->running++;
    frame *frames = (frame *)(stack + slots);
    uint64_t *stack_end = stack + slots;
    uint32_t depth = 0;
    int trap = WASM_OK;
    fuel_state fs;
    int64_t limit = inst->limits.fuel && inst->limits.fuel < (uint64_t)FUEL_UNLIMITED ? (int64_t)inst->limits.fuel
                                                                                      : FUEL_UNLIMITED;
    fs.poll = inst->limits.poll;
    fs.ctx = inst->limits.poll_ctx;
    fs.trap = WASM_OK;
    fs.quantum = fs.poll ? (int64_t)inst->limits.poll_interval : limit;
    int64_t fuel = limit < fs.quantum ? limit : fs.quantum;
    fs.bank = limit - fuel;

    wasm_instance *ci = entry->inst;
    wasm_func *cur = entry;
    wasm_func **funcs = ci->funcs;
    wasm_global **globals = ci->globals;
    wasm_memory *memobj = ci->mem ? ci->mem : &ci->nomem;
    uint8_t *mem = memobj->data;
    uint64_t memsize = memobj->size;
    uint64_t *fp = stack, *sp;
    const uint32_t *ip, *base;
    wasm_func *f;

#define RELOAD_INSTANCE()                                                                                      \
    do {                                                                                                       \
        funcs = ci->funcs;                                                                                     \
        globals = ci->globals;                                                                                 \
        memobj = ci->mem ? ci->mem : &ci->nomem;                                                               \
        mem = memobj->data;                                                                                    \
        memsize = memobj->size;                                                                                \
    } while (0)
#define TRAP(code)                                                                                             \
    do {                                                                                                       \
        trap = (code);                                                                                         \
        goto out;                                                                                              \
    } while (0)
#define CHARGE(delta)                                                                                          \
    do {                                                                                                       \
        fuel -= (int64_t)(int32_t)(delta);                                                                     \
        if (__builtin_expect(fuel < 0, 0)) {                                                                   \
            fuel = refuel(&fs, fuel);                                                                          \
            if (fs.trap != WASM_OK) {                                                                          \
                trap = fs.trap;                                                                                \
                goto out;                                                                                      \
            }                                                                                                  \
        }                                                                                                      \
    } while (0)

    {
        const wasm_code *code = entry->code;
        uint32_t np = code->nparams;
        if ((uint64_t)code->max_height > slots)
            TRAP(WASM_TRAP_CALL_STACK_EXHAUSTED);
        CHARGE(code->entry_cost);
        for (uint32_t i = 0; i < np; i++)
            fp[i] = args_results[i];
        for (uint32_t i = np; i < code->nlocals; i++)
            fp[i] = 0;
        sp = fp + code->nlocals;
        base = ip = code->words;
    }

#if !(defined(__GNUC__) || defined(__clang__))
dispatch:
    switch (*ip++) {
#else
    NEXT();
#endif

    OPC(UNREACHABLE) TRAP(WASM_TRAP_UNREACHABLE);

    OPC(FUEL)
    {
        CHARGE(ip[1]);
        ip += 2;
        NEXT();
    }
    OPC(BR)
    {
        CHARGE(ip[1]);
        ip = base + ip[0];
        NEXT();
    }
    OPC(BR_ADJ)
    {
        CHARGE(ip[3]);
        sp = keep(fp + ip[1], sp, ip[2]);
        ip = base + ip[0];
        NEXT();
    }
    /* A conditional branch to word ip[t] charging ip[t + 1]; not taken, it
     * skips its skip immediates. */
#define BRANCH_IF(cond, t, skip)                                                                               \
    do {                                                                                                       \
        if (cond) {                                                                                            \
            CHARGE(ip[(t) + 1]);                                                                               \
            ip = base + ip[t];                                                                                 \
        } else {                                                                                               \
            ip += (skip);                                                                                      \
        }                                                                                                      \
        NEXT();                                                                                                \
    } while (0)
    OPC(BR_IF) BRANCH_IF(U32(*--sp), 0, 2);
    OPC(BR_IF_ADJ)
    {
        if (U32(*--sp)) {
            CHARGE(ip[3]);
            sp = keep(fp + ip[1], sp, ip[2]);
            ip = base + ip[0];
        } else {
            ip += 4;
        }
        NEXT();
    }
    OPC(BR_UNLESS) BRANCH_IF(!U32(*--sp), 0, 2);
    OPC(BR_TABLE)
    {
        uint32_t n = ip[0], idx = U32(*--sp);
        if (idx > n)
            idx = n;
        const uint32_t *e = ip + 1 + 4 * idx;
        CHARGE(e[3]);
        sp = keep(fp + e[1], sp, e[2]);
        ip = base + e[0];
        NEXT();
    }
    OPC(RETURN)
    {
        sp = keep(fp, sp, cur->code->result_arity);
        if (depth == 0)
            goto out;
        depth--;
        ip = frames[depth].ip;
        fp = frames[depth].fp;
        cur = frames[depth].func;
        base = cur->code->words;
        if (cur->inst != ci) {
            ci = cur->inst;
            RELOAD_INSTANCE();
        } else {
            mem = memobj->data;
            memsize = memobj->size;
        }
        NEXT();
    }
    OPC(CALL)
    {
        f = funcs[*ip++];
        goto do_call;
    }
    OPC(CALL_INDIRECT)
    {
        const wasm_functype *want = &ci->module->types[ip[0]];
        wasm_table *t = ci->tables[ip[1]];
        ip += 2;
        uint32_t idx = U32(*--sp);
        if (idx >= t->size)
            TRAP(WASM_TRAP_UNDEFINED_ELEMENT);
        f = (wasm_func *)(uintptr_t)t->elems[idx];
        if (!f)
            TRAP(WASM_TRAP_UNINITIALIZED_ELEMENT);
        if (!wasm_functype_equal(f->type, want))
            TRAP(WASM_TRAP_INDIRECT_MISMATCH);
        goto do_call;
    }
    OPC(DROP)
    {
        sp--;
        NEXT();
    }
    OPC(SELECT)
    {
        uint32_t c = U32(sp[-1]);
        sp -= 2;
        if (!c)
            sp[-1] = sp[0];
        NEXT();
    }
    OPC(LOCAL_GET)
    {
        *sp++ = fp[*ip++];
        NEXT();
    }
    OPC(LOCAL_SET)
    {
        fp[*ip++] = *--sp;
        NEXT();
    }
    OPC(LOCAL_TEE)
    {
        fp[*ip++] = sp[-1];
        NEXT();
    }
    OPC(GLOBAL_GET)
    {
        *sp++ = globals[*ip++]->bits;
        NEXT();
    }
    OPC(GLOBAL_SET)
    {
        globals[*ip++]->bits = *--sp;
        NEXT();
    }

    /* A linear-memory access at ea of N bytes: checked unless the memory's
     * guard pages catch it (WASM_MEM_GUARDED). */
#define MEM_CHECK(ea, N)                                                                                       \
    do {                                                                                                       \
        if (!WASM_MEM_GUARDED && __builtin_expect((ea) + (N) > memsize, 0))                                  \
            TRAP(WASM_TRAP_OOB_MEMORY);                                                                        \
    } while (0)
#define LOAD_AT(ea, ctype, N, conv, dst)                                                                           \
    do {                                                                                                       \
        MEM_CHECK(ea, N);                                                                                      \
        ctype v;                                                                                               \
        WASM_COPY(&v, mem + (ea), N);                                                                          \
        dst = conv;                                                                                            \
        NEXT();                                                                                                \
    } while (0)
#define STORE_AT(ea, v, N)                                                                                     \
    do {                                                                                                       \
        MEM_CHECK(ea, N);                                                                                      \
        WASM_COPY(mem + (ea), &(v), N);                                                                        \
        NEXT();                                                                                                \
    } while (0)
#define LOAD(name, ctype, N, conv)                                                                             \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(sp[-1]) + *ip++;                                                          \
        LOAD_AT(ea, ctype, N, conv, sp[-1]);                                                                     \
    }
    LOAD(I32_LOAD, uint32_t, 4, (uint64_t)v)
    LOAD(I64_LOAD, uint64_t, 8, v)
    LOAD(F32_LOAD, uint32_t, 4, (uint64_t)v)
    LOAD(F64_LOAD, uint64_t, 8, v)
    LOAD(I32_LOAD8_S, int8_t, 1, (uint64_t)(uint32_t)(int32_t)v)
    LOAD(I32_LOAD8_U, uint8_t, 1, (uint64_t)v)
    LOAD(I32_LOAD16_S, int16_t, 2, (uint64_t)(uint32_t)(int32_t)v)
    LOAD(I32_LOAD16_U, uint16_t, 2, (uint64_t)v)
    LOAD(I64_LOAD8_S, int8_t, 1, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD8_U, uint8_t, 1, (uint64_t)v)
    LOAD(I64_LOAD16_S, int16_t, 2, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD16_U, uint16_t, 2, (uint64_t)v)
    LOAD(I64_LOAD32_S, int32_t, 4, (uint64_t)(int64_t)v)
    LOAD(I64_LOAD32_U, uint32_t, 4, (uint64_t)v)

#define STORE(name, ctype, N)                                                                                  \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(sp[-2]) + *ip++;                                                          \
        ctype v = (ctype)sp[-1];                                                                               \
        sp -= 2;                                                                                               \
        STORE_AT(ea, v, N);                                                                                    \
    }
    STORE(I32_STORE, uint32_t, 4)
    STORE(I64_STORE, uint64_t, 8)
    STORE(F32_STORE, uint32_t, 4)
    STORE(F64_STORE, uint64_t, 8)
    STORE(I32_STORE8, uint8_t, 1)
    STORE(I32_STORE16, uint16_t, 2)
    STORE(I64_STORE8, uint8_t, 1)
    STORE(I64_STORE16, uint16_t, 2)
    STORE(I64_STORE32, uint32_t, 4)

    OPC(MEMORY_SIZE)
    {
        *sp++ = memobj->pages;
        NEXT();
    }
    OPC(MEMORY_GROW)
    {
        uint32_t delta = U32(sp[-1]), old = memobj->pages;
        uint64_t want = (uint64_t)old + delta;
        if (memobj == &ci->nomem || want > memobj->max_pages) {
            sp[-1] = 0xffffffffu;
            NEXT();
        }
        if (delta) {
            uint64_t nsize = want * WASM_PAGE_SIZE;
            uint8_t *nd = wasm_mem_grow(memobj->data, memobj->size, nsize);
            if (!nd) {
                sp[-1] = 0xffffffffu;
                NEXT();
            }
            memobj->data = nd;
            memobj->size = nsize;
            memobj->pages = (uint32_t)want;
            mem = nd;
            memsize = nsize;
        }
        sp[-1] = old;
        NEXT();
    }
    OPC(I32_CONST)
    {
        *sp++ = *ip++;
        NEXT();
    }
    OPC(I64_CONST)
    {
        *sp++ = (uint64_t)ip[0] | ((uint64_t)ip[1] << 32);
        ip += 2;
        NEXT();
    }
    OPC(F32_CONST)
    {
        *sp++ = *ip++;
        NEXT();
    }
    OPC(F64_CONST)
    {
        *sp++ = (uint64_t)ip[0] | ((uint64_t)ip[1] << 32);
        ip += 2;
        NEXT();
    }

#define UN(name, expr)                                                                                         \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        uint64_t a = sp[-1];                                                                                   \
        (void)a;                                                                                               \
        sp[-1] = (expr);                                                                                       \
        NEXT();                                                                                                \
    }
#define BIN(name, expr)                                                                                        \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        uint64_t b = sp[-1], a = sp[-2];                                                                       \
        sp--;                                                                                                  \
        sp[-1] = (expr);                                                                                       \
        NEXT();                                                                                                \
    }
    UN(I32_EQZ, U32(a) == 0)
    BIN(I32_EQ, U32(a) == U32(b))
    BIN(I32_NE, U32(a) != U32(b))
    BIN(I32_LT_S, S32(a) < S32(b))
    BIN(I32_LT_U, U32(a) < U32(b))
    BIN(I32_GT_S, S32(a) > S32(b))
    BIN(I32_GT_U, U32(a) > U32(b))
    BIN(I32_LE_S, S32(a) <= S32(b))
    BIN(I32_LE_U, U32(a) <= U32(b))
    BIN(I32_GE_S, S32(a) >= S32(b))
    BIN(I32_GE_U, U32(a) >= U32(b))
    UN(I64_EQZ, a == 0)
    BIN(I64_EQ, a == b)
    BIN(I64_NE, a != b)
    BIN(I64_LT_S, S64(a) < S64(b))
    BIN(I64_LT_U, a < b)
    BIN(I64_GT_S, S64(a) > S64(b))
    BIN(I64_GT_U, a > b)
    BIN(I64_LE_S, S64(a) <= S64(b))
    BIN(I64_LE_U, a <= b)
    BIN(I64_GE_S, S64(a) >= S64(b))
    BIN(I64_GE_U, a >= b)
#define FLOAT_CMPS(T, get)                                                                                     \
    BIN(T##_EQ, get(a) == get(b))                                                                              \
    BIN(T##_NE, get(a) != get(b))                                                                              \
    BIN(T##_LT, get(a) < get(b))                                                                               \
    BIN(T##_GT, get(a) > get(b))                                                                               \
    BIN(T##_LE, get(a) <= get(b))                                                                              \
    BIN(T##_GE, get(a) >= get(b))
    FLOAT_CMPS(F32, F32)
    FLOAT_CMPS(F64, F64)
    UN(I32_CLZ, clz32(U32(a)))
    UN(I32_CTZ, ctz32(U32(a)))
    UN(I32_POPCNT, popcnt64(U32(a)))
    BIN(I32_ADD, U32(U32(a) + U32(b)))
    BIN(I32_SUB, U32(U32(a) - U32(b)))
    BIN(I32_MUL, U32(U32(a) * U32(b)))
    /* Integer division and remainder: a zero divisor traps, and so does
     * the one quotient that overflows (the minimum by -1). */
#define DIVREM(name, type, get, expr, overflows)                                                               \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        type b = get(sp[-1]), a = get(sp[-2]);                                                                 \
        if (b == 0)                                                                                            \
            TRAP(WASM_TRAP_DIV_ZERO);                                                                          \
        if (overflows)                                                                                         \
            TRAP(WASM_TRAP_INT_OVERFLOW);                                                                      \
        sp--;                                                                                                  \
        sp[-1] = (expr);                                                                                       \
        NEXT();                                                                                                \
    }
    DIVREM(I32_DIV_S, int32_t, S32, U32(a / b), a == INT32_MIN && b == -1)
    DIVREM(I32_DIV_U, uint32_t, U32, a / b, 0)
    DIVREM(I32_REM_S, int32_t, S32, b == -1 ? 0 : U32(a % b), 0)
    DIVREM(I32_REM_U, uint32_t, U32, a % b, 0)
    BIN(I32_AND, U32(a & b))
    BIN(I32_OR, U32(a | b))
    BIN(I32_XOR, U32(a ^ b))
    BIN(I32_SHL, U32(U32(a) << (b & 31)))
    BIN(I32_SHR_S, U32(S32(a) >> (b & 31)))
    BIN(I32_SHR_U, U32(a) >> (b & 31))
    BIN(I32_ROTL, rotl32(U32(a), U32(b)))
    BIN(I32_ROTR, rotr32(U32(a), U32(b)))
    UN(I64_CLZ, clz64(a))
    UN(I64_CTZ, ctz64(a))
    UN(I64_POPCNT, popcnt64(a))
    BIN(I64_ADD, a + b)
    BIN(I64_SUB, a - b)
    BIN(I64_MUL, a * b)
    DIVREM(I64_DIV_S, int64_t, S64, (uint64_t)(a / b), a == INT64_MIN && b == -1)
    DIVREM(I64_DIV_U, uint64_t, (uint64_t), a / b, 0)
    DIVREM(I64_REM_S, int64_t, S64, b == -1 ? 0 : (uint64_t)(a % b), 0)
    DIVREM(I64_REM_U, uint64_t, (uint64_t), a % b, 0)
    BIN(I64_AND, a & b)
    BIN(I64_OR, a | b)
    BIN(I64_XOR, a ^ b)
    BIN(I64_SHL, a << (b & 63))
    BIN(I64_SHR_S, (uint64_t)(S64(a) >> (b & 63)))
    BIN(I64_SHR_U, a >> (b & 63))
    BIN(I64_ROTL, rotl64(a, b))
    BIN(I64_ROTR, rotr64(a, b))
    /* f32 and f64 arithmetic; abs and neg on the sign bit, as the spec requires for NaNs. */
#define FLOAT_OPS(T, t, get, put, bits, sign)                                                                  \
    UN(T##_ABS, bits(a) & ~(sign))                                                                             \
    UN(T##_NEG, bits(a) ^ (sign))                                                                              \
    UN(T##_CEIL, put(wasm_##t##_ceil(get(a))))                                                                 \
    UN(T##_FLOOR, put(wasm_##t##_floor(get(a))))                                                               \
    UN(T##_TRUNC, put(wasm_##t##_trunc(get(a))))                                                               \
    UN(T##_NEAREST, put(wasm_##t##_nearest(get(a))))                                                           \
    UN(T##_SQRT, put(wasm_##t##_sqrt(get(a))))                                                                 \
    BIN(T##_ADD, put(get(a) + get(b)))                                                                         \
    BIN(T##_SUB, put(get(a) - get(b)))                                                                         \
    BIN(T##_MUL, put(get(a) * get(b)))                                                                         \
    BIN(T##_DIV, put(get(a) / get(b)))                                                                         \
    BIN(T##_MIN, put(wasm_##t##_min(get(a), get(b))))                                                          \
    BIN(T##_MAX, put(wasm_##t##_max(get(a), get(b))))                                                          \
    BIN(T##_COPYSIGN, put(t##_copysign(get(a), get(b))))
    FLOAT_OPS(F32, f32, F32, BF32, U32, 0x80000000u)
    FLOAT_OPS(F64, f64, F64, BF64, (uint64_t), 1ull << 63)
    UN(I32_WRAP_I64, U32(a))

    /* float -> int: NaN and out-of-range inputs trap; the bounds are the
     * first values outside the target range, all exactly representable. */
#define TRUNC(name, ftype, getf, lo, hi, itype, store)                                                         \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        ftype x = getf(sp[-1]);                                                                                \
        if (x != x)                                                                                            \
            TRAP(WASM_TRAP_INVALID_CONVERSION);                                                                \
        if (!(x > lo && x < hi))                                                                               \
            TRAP(WASM_TRAP_INT_OVERFLOW);                                                                      \
        sp[-1] = store((itype)x);                                                                              \
        NEXT();                                                                                                \
    }
#define ST_I32(v) ((uint64_t)(uint32_t)(v))
#define ST_I64(v) ((uint64_t)(v))
    TRUNC(I32_TRUNC_F32_S, float, F32, -2147483904.0f, 2147483648.0f, int32_t, ST_I32)
    TRUNC(I32_TRUNC_F32_U, float, F32, -1.0f, 4294967296.0f, uint32_t, ST_I32)
    TRUNC(I32_TRUNC_F64_S, double, F64, -2147483649.0, 2147483648.0, int32_t, ST_I32)
    TRUNC(I32_TRUNC_F64_U, double, F64, -1.0, 4294967296.0, uint32_t, ST_I32)
    UN(I64_EXTEND_I32_S, (uint64_t)(int64_t)S32(a))
    UN(I64_EXTEND_I32_U, (uint64_t)U32(a))
    TRUNC(I64_TRUNC_F32_S, float, F32, -9223373136366403584.0f, 9223372036854775808.0f, int64_t, ST_I64)
    TRUNC(I64_TRUNC_F32_U, float, F32, -1.0f, 18446744073709551616.0f, uint64_t, ST_I64)
    TRUNC(I64_TRUNC_F64_S, double, F64, -9223372036854777856.0, 9223372036854775808.0, int64_t, ST_I64)
    TRUNC(I64_TRUNC_F64_U, double, F64, -1.0, 18446744073709551616.0, uint64_t, ST_I64)
    UN(F32_CONVERT_I32_S, BF32((float)S32(a)))
    UN(F32_CONVERT_I32_U, BF32((float)U32(a)))
    UN(F32_CONVERT_I64_S, BF32((float)S64(a)))
    UN(F32_CONVERT_I64_U, BF32((float)a))
    UN(F32_DEMOTE_F64, BF32((float)F64(a)))
    UN(F64_CONVERT_I32_S, BF64((double)S32(a)))
    UN(F64_CONVERT_I32_U, BF64((double)U32(a)))
    UN(F64_CONVERT_I64_S, BF64((double)S64(a)))
    UN(F64_CONVERT_I64_U, BF64((double)a))
    UN(F64_PROMOTE_F32, BF64((double)F32(a)))
    UN(I32_REINTERPRET_F32, U32(a))
    UN(I64_REINTERPRET_F64, a)
    UN(F32_REINTERPRET_I32, U32(a))
    UN(F64_REINTERPRET_I64, a)
    UN(I32_EXTEND8_S, U32((int32_t)(int8_t)a))
    UN(I32_EXTEND16_S, U32((int32_t)(int16_t)a))
    UN(I64_EXTEND8_S, (uint64_t)(int64_t)(int8_t)a)
    UN(I64_EXTEND16_S, (uint64_t)(int64_t)(int16_t)a)
    UN(I64_EXTEND32_S, (uint64_t)(int64_t)(int32_t)a)

    /* Saturating float -> int: NaN gives 0, out of range the nearest bound. */
#define TRUNC_SAT(name, ftype, getf, lo, hi, itype, imin, imax, store)                                         \
    OPC(name)                                                                                                  \
    {                                                                                                          \
        ftype x = getf(sp[-1]);                                                                                \
        itype r;                                                                                               \
        if (x != x)                                                                                            \
            r = 0;                                                                                             \
        else if (!(x > lo))                                                                                    \
            r = imin;                                                                                          \
        else if (!(x < hi))                                                                                    \
            r = imax;                                                                                          \
        else                                                                                                   \
            r = (itype)x;                                                                                      \
        sp[-1] = store(r);                                                                                     \
        NEXT();                                                                                                \
    }
    TRUNC_SAT(I32_TRUNC_SAT_F32_S, float, F32, -2147483904.0f, 2147483648.0f, int32_t, INT32_MIN, INT32_MAX, ST_I32)
    TRUNC_SAT(I32_TRUNC_SAT_F32_U, float, F32, -1.0f, 4294967296.0f, uint32_t, 0, UINT32_MAX, ST_I32)
    TRUNC_SAT(I32_TRUNC_SAT_F64_S, double, F64, -2147483649.0, 2147483648.0, int32_t, INT32_MIN, INT32_MAX, ST_I32)
    TRUNC_SAT(I32_TRUNC_SAT_F64_U, double, F64, -1.0, 4294967296.0, uint32_t, 0, UINT32_MAX, ST_I32)
    TRUNC_SAT(I64_TRUNC_SAT_F32_S, float, F32, -9223373136366403584.0f, 9223372036854775808.0f, int64_t, INT64_MIN,
              INT64_MAX, ST_I64)
    TRUNC_SAT(I64_TRUNC_SAT_F32_U, float, F32, -1.0f, 18446744073709551616.0f, uint64_t, 0, UINT64_MAX, ST_I64)
    TRUNC_SAT(I64_TRUNC_SAT_F64_S, double, F64, -9223372036854777856.0, 9223372036854775808.0, int64_t, INT64_MIN,
              INT64_MAX, ST_I64)
    TRUNC_SAT(I64_TRUNC_SAT_F64_U, double, F64, -1.0, 18446744073709551616.0, uint64_t, 0, UINT64_MAX, ST_I64)

    /* Bulk memory: the whole range is checked before anything moves. */
    OPC(MEMORY_INIT)
    {
        uint32_t seg = *ip++;
        uint64_t n = U32(sp[-1]), s = U32(sp[-2]), dst = U32(sp[-3]);
        sp -= 3;
        if (s + n > ci->data_len[seg] || dst + n > memsize)
            TRAP(WASM_TRAP_OOB_MEMORY);
        if (n)
            wasm_memcpy(mem + dst, ci->module->datas[seg].bytes + s, (size_t)n);
        NEXT();
    }
    OPC(DATA_DROP)
    {
        ci->data_len[*ip++] = 0;
        NEXT();
    }
    OPC(MEMORY_COPY)
    {
        uint64_t n = U32(sp[-1]), s = U32(sp[-2]), dst = U32(sp[-3]);
        sp -= 3;
        if (s + n > memsize || dst + n > memsize)
            TRAP(WASM_TRAP_OOB_MEMORY);
        if (n)
            wasm_memmove(mem + dst, mem + s, (size_t)n);
        NEXT();
    }
    OPC(MEMORY_FILL)
    {
        uint64_t n = U32(sp[-1]), dst = U32(sp[-3]);
        uint8_t v = (uint8_t)sp[-2];
        sp -= 3;
        if (dst + n > memsize)
            TRAP(WASM_TRAP_OOB_MEMORY);
        if (n)
            wasm_memset(mem + dst, v, (size_t)n);
        NEXT();
    }
    OPC(TABLE_INIT)
    {
        uint32_t seg = ip[0];
        wasm_table *t = ci->tables[ip[1]];
        ip += 2;
        uint64_t n = U32(sp[-1]), s = U32(sp[-2]), dst = U32(sp[-3]);
        sp -= 3;
        if (s + n > ci->elem_len[seg] || dst + n > t->size)
            TRAP(WASM_TRAP_OOB_TABLE);
        for (uint64_t i = 0; i < n; i++)
            t->elems[dst + i] = ci->elem_vals[seg][s + i];
        NEXT();
    }
    OPC(ELEM_DROP)
    {
        ci->elem_len[*ip++] = 0;
        NEXT();
    }
    OPC(TABLE_COPY)
    {
        wasm_table *td = ci->tables[ip[0]], *ts = ci->tables[ip[1]];
        ip += 2;
        uint64_t n = U32(sp[-1]), s = U32(sp[-2]), dst = U32(sp[-3]);
        sp -= 3;
        if (s + n > ts->size || dst + n > td->size)
            TRAP(WASM_TRAP_OOB_TABLE);
        if (n)
            wasm_memmove(td->elems + dst, ts->elems + s, (size_t)n * sizeof(uint64_t));
        NEXT();
    }
    OPC(TABLE_GROW)
    {
        wasm_table *t = ci->tables[*ip++];
        uint32_t n = U32(sp[-1]);
        uint64_t init = sp[-2];
        sp--;
        sp[-1] = wasm_table_grow(t, n, init, ci->limits.max_table_elems);
        NEXT();
    }
    OPC(TABLE_SIZE)
    {
        *sp++ = ci->tables[*ip++]->size;
        NEXT();
    }
    OPC(TABLE_FILL)
    {
        wasm_table *t = ci->tables[*ip++];
        uint64_t n = U32(sp[-1]), v = sp[-2], dst = U32(sp[-3]);
        sp -= 3;
        if (dst + n > t->size)
            TRAP(WASM_TRAP_OOB_TABLE);
        for (uint64_t i = 0; i < n; i++)
            t->elems[dst + i] = v;
        NEXT();
    }
    OPC(REF_NULL)
    {
        *sp++ = 0;
        NEXT();
    }
    OPC(REF_IS_NULL)
    {
        sp[-1] = sp[-1] == 0;
        NEXT();
    }
    OPC(REF_FUNC)
    {
        *sp++ = (uint64_t)(uintptr_t)funcs[*ip++];
        NEXT();
    }
    OPC(TABLE_GET)
    {
        wasm_table *t = ci->tables[*ip++];
        uint32_t i = U32(sp[-1]);
        if (i >= t->size)
            TRAP(WASM_TRAP_OOB_TABLE);
        sp[-1] = t->elems[i];
        NEXT();
    }
    OPC(TABLE_SET)
    {
        wasm_table *t = ci->tables[*ip++];
        uint32_t i = U32(sp[-2]);
        if (i >= t->size)
            TRAP(WASM_TRAP_OOB_TABLE);
        t->elems[i] = sp[-1];
        sp -= 2;
        NEXT();
    }

    /* Superinstructions (WASM_FUSE_* in wasm_internal.h). */
#define FUSED_BIN(name, expr)                                                                                  \
    OPC(name##_LL)                                                                                             \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = U32(fp[ip[1]]);                                                       \
        ip += 2;                                                                                               \
        *sp++ = U32(expr);                                                                                     \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_LC)                                                                                             \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = ip[1];                                                                \
        ip += 2;                                                                                               \
        *sp++ = U32(expr);                                                                                     \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_SC)                                                                                             \
    {                                                                                                          \
        uint32_t a = U32(sp[-1]), b = *ip++;                                                                   \
        sp[-1] = U32(expr);                                                                                    \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_LS)                                                                                             \
    {                                                                                                          \
        uint32_t a = U32(fp[*ip++]), b = U32(sp[-1]);                                                          \
        sp[-1] = U32(expr);                                                                                    \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_SL)                                                                                             \
    {                                                                                                          \
        uint32_t a = U32(sp[-1]), b = U32(fp[*ip++]);                                                          \
        sp[-1] = U32(expr);                                                                                    \
        NEXT();                                                                                                \
    }
    WASM_FUSE_BIN(FUSED_BIN)
#define FUSED_BRC(name, expr)                                                                                  \
    OPC(BRC_##name##_LL)                                                                                       \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = U32(fp[ip[1]]);                                                       \
        BRANCH_IF(expr, 2, 4);                                                                                 \
    }                                                                                                          \
    OPC(BRC_##name##_LC)                                                                                       \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = ip[1];                                                                \
        BRANCH_IF(expr, 2, 4);                                                                                 \
    }
    WASM_FUSE_CMP(FUSED_BRC)
#define FUSED_LOAD(name, ctype, N, conv)                                                                       \
    OPC(name##_L)                                                                                              \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(fp[ip[0]]) + ip[1];                                                        \
        ip += 2;                                                                                               \
        LOAD_AT(ea, ctype, N, conv, *sp++);                                                                      \
    }
    WASM_FUSE_LOAD(FUSED_LOAD)
#define FUSED_SET(name, expr)                                                                                  \
    OPC(name##_LL_SET)                                                                                         \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = U32(fp[ip[1]]);                                                       \
        fp[ip[2]] = U32(expr);                                                                                 \
        ip += 3;                                                                                               \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_LC_SET)                                                                                         \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = ip[1];                                                                \
        fp[ip[2]] = U32(expr);                                                                                 \
        ip += 3;                                                                                               \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_SC_SET)                                                                                         \
    {                                                                                                          \
        uint32_t a = U32(*--sp), b = ip[0];                                                                    \
        fp[ip[1]] = U32(expr);                                                                                 \
        ip += 2;                                                                                               \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_LS_SET)                                                                                         \
    {                                                                                                          \
        uint32_t a = U32(fp[ip[0]]), b = U32(*--sp);                                                           \
        fp[ip[1]] = U32(expr);                                                                                 \
        ip += 2;                                                                                               \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_SL_SET)                                                                                         \
    {                                                                                                          \
        uint32_t a = U32(*--sp), b = U32(fp[ip[0]]);                                                           \
        fp[ip[1]] = U32(expr);                                                                                 \
        ip += 2;                                                                                               \
        NEXT();                                                                                                \
    }                                                                                                          \
    OPC(name##_SS_SET)                                                                                         \
    {                                                                                                          \
        uint32_t b = U32(sp[-1]), a = U32(sp[-2]);                                                             \
        sp -= 2;                                                                                               \
        fp[*ip++] = U32(expr);                                                                                 \
        NEXT();                                                                                                \
    }
    WASM_FUSE_BIN(FUSED_SET)
    /* Stores: _LL address and value locals, _LC address local and value an
     * i32 constant, _SL address on the stack and value a local; then the offset. */
#define FUSED_STORE(name, ctype, N)                                                                            \
    OPC(name##_LL)                                                                                             \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(fp[ip[0]]) + ip[2];                                                        \
        ctype v = (ctype)fp[ip[1]];                                                                            \
        ip += 3;                                                                                               \
        STORE_AT(ea, v, N);                                                                                    \
    }                                                                                                          \
    OPC(name##_LC)                                                                                             \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(fp[ip[0]]) + ip[2];                                                        \
        ctype v = (ctype)ip[1];                                                                                \
        ip += 3;                                                                                               \
        STORE_AT(ea, v, N);                                                                                    \
    }                                                                                                          \
    OPC(name##_SL)                                                                                             \
    {                                                                                                          \
        uint64_t ea = (uint64_t)U32(*--sp) + ip[1];                                                            \
        ctype v = (ctype)fp[ip[0]];                                                                            \
        ip += 2;                                                                                               \
        STORE_AT(ea, v, N);                                                                                    \
    }
    WASM_FUSE_STORE(FUSED_STORE)

#if !(defined(__GNUC__) || defined(__clang__))
    default:
        TRAP(WASM_TRAP_UNREACHABLE);
    }
#endif

do_call:
    if (!f->code) {
        uint32_t np = f->type->nparams, nr = f->type->nresults;
        uint64_t *args = sp - np, res[WASM_MAX_HOST_RESULTS];
        if (args + nr > stack_end)
            TRAP(WASM_TRAP_CALL_STACK_EXHAUSTED);
        for (uint32_t i = 0; i < nr; i++)
            res[i] = 0;
        int r = f->host(ci, f->host_ctx, args, res);
        if (r != WASM_OK)
            TRAP(r);
        sp = args;
        for (uint32_t i = 0; i < nr; i++)
            *sp++ = res[i];
        mem = memobj->data;
        memsize = memobj->size;
        NEXT();
    }
    {
        const wasm_code *code = f->code;
        uint64_t *nfp = sp - code->nparams;
        if (depth + 1 >= max_depth || nfp + code->max_height > stack_end)
            TRAP(WASM_TRAP_CALL_STACK_EXHAUSTED);
        CHARGE(code->entry_cost);
        frames[depth].ip = ip;
        frames[depth].fp = fp;
        frames[depth].func = cur;
        depth++;
        fp = nfp;
        for (uint32_t i = code->nparams; i < code->nlocals; i++)
            fp[i] = 0;
        sp = fp + code->nlocals;
        cur = f;
        base = ip = code->words;
        if (f->inst != ci) {
            ci = f->inst;
            RELOAD_INSTANCE();
        }
        NEXT();
    }

out:
    if (trap == WASM_OK)
        for (uint32_t i = 0; i < entry->type->nresults; i++)
            args_results[i] = stack[i];
    inst->running--;
    if (own_stack)
        wasm_free(stack);
    es->own = 0;
    return trap;
}
