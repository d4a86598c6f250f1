/* WebAssembly syscalls from user space: SYS_wasm_load / EXEC / UNLOAD.
 * One section per argv word (init=/bin/wasm_test:basic): basic, traps, slots,
 * limits, malformed, imports, isolation, exec, fault_loaded, fuzz, preempt. Modules come from the initrd (/wasm/NAME.wasm, built
 * from user/wasm/); malformed binaries are byte arrays here because they
 * cannot be written as valid text. */
#include "libc.h"
#include <kos/xorshift.h>
#include "ktap.h"
#include "wasm.h"

#define KERNEL_PTR ((void *)0xffffffff80100000UL)
#define UNMAPPED_PTR ((void *)0x20000000UL)

/* exec with up to two arguments; returns the syscall's value, *result gets
 * the function's result (or stays at the sentinel). */
static long call(long id, const char *func, int nargs, int64_t a0, int64_t a1, int64_t *result)
{
    int64_t args[2] = {a0, a1};
    *result = -0x5a5a5a5a;
    return wasm_exec(id, func, args, (size_t)nargs, result);
}

/* One subtest: the call returns 0 and its result is want. */
static void expect_result(long id, const char *name, const char *func, int nargs, int64_t a0, int64_t a1,
                          int64_t want)
{
    int64_t r;
    long ret = call(id, func, nargs, a0, a1, &r);
    if (ret != 0)
        ktap_diag("%s: exec returned %ld (%s)", name, ret, wasm_trap_name(ret));
    else
        ktap_diag("%s = %ld", name, (long)r);
    if (ret == 0 && r != want)
        ktap_diag("%s: expected %ld", name, (long)want);
    ktap_ok(ret == 0 && r == want, name);
}

static long load_or_diag(const char *path, const char *name)
{
    long id = wasm_load_file(path, name);
    if (id < 0)
        ktap_diag("loading %s: %ld", path, id);
    return id;
}

/* ---------- basic: the original report's module and the syscall ABI ---------- */

#define TENTH_BITS 0x3fb999999999999aLL /* 1.0 / 10.0 rounded to nearest (toward zero: ...999) */
#define MXCSR_ROUND_TO_ZERO 0x7f80u
#define MXCSR_DEFAULT 0x1f80u

/* exec div(1.0, 10.0) with every XMM register and MXCSR (round toward zero) set by
 * hand, in one asm block so the compiler cannot use XMM in between: the
 * syscall ABI promises them back unchanged, and the interpreter inside the
 * kernel must round to nearest whatever user space chose. */
static void test_sse_state(long id)
{
    static uint8_t xmm_in[16 * 16] __attribute__((aligned(16)));
    static uint8_t xmm_out[16 * 16] __attribute__((aligned(16)));
    for (unsigned i = 0; i < sizeof xmm_in; i++)
        xmm_in[i] = (uint8_t)(i * 37 + 11);
    int64_t args[2] = {0x3ff0000000000000LL, 0x4024000000000000LL}; /* 1.0, 10.0 */
    int64_t result = 0;
    uint32_t mx_in = MXCSR_ROUND_TO_ZERO, mx_out = 0, mx_default = MXCSR_DEFAULT;
    register long r10 __asm__("r10") = 2;
    register long r8 __asm__("r8") = (long)&result;
    register long r9 __asm__("r9") = 0;     /* no has_result pointer: the 6th argument must be set too */
    long ret;
    __asm__ volatile("ldmxcsr %[mxin]\n"
#define LOADX(n) "movdqa " #n "*16(%[in]), %%xmm" #n "\n"
#define SAVEX(n) "movdqa %%xmm" #n ", " #n "*16(%[out])\n"
                     LOADX(0) LOADX(1) LOADX(2) LOADX(3) LOADX(4) LOADX(5) LOADX(6) LOADX(7)
                     LOADX(8) LOADX(9) LOADX(10) LOADX(11) LOADX(12) LOADX(13) LOADX(14) LOADX(15)
                     "int $0x80\n"
                     SAVEX(0) SAVEX(1) SAVEX(2) SAVEX(3) SAVEX(4) SAVEX(5) SAVEX(6) SAVEX(7)
                     SAVEX(8) SAVEX(9) SAVEX(10) SAVEX(11) SAVEX(12) SAVEX(13) SAVEX(14) SAVEX(15)
                     "stmxcsr %[mxout]\n"
                     "ldmxcsr %[mxdef]\n"
                     : "=a"(ret), [mxout] "=m"(mx_out)
                     : "a"((long)SYS_wasm_exec), "D"(id), "S"("div"), "d"(args), "r"(r10), "r"(r8), "r"(r9),
                       [in] "r"(xmm_in), [out] "r"(xmm_out), [mxin] "m"(mx_in), [mxdef] "m"(mx_default)
                     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#undef LOADX
#undef SAVEX
    if (ret != 0 || result != TENTH_BITS)
        ktap_diag("div(1.0,10.0): exec %ld, bits %lx, expected %lx", ret, (unsigned long)result,
                  (unsigned long)TENTH_BITS);
    ktap_ok(ret == 0 && result == TENTH_BITS, "f64_div_rounds_to_nearest");
    int same = memcmp(xmm_in, xmm_out, sizeof xmm_in) == 0;
    for (int i = 0; i < 16 && !same; i++)
        if (memcmp(xmm_in + 16 * i, xmm_out + 16 * i, 16))
            ktap_diag("xmm%d changed by the syscall", i);
    ktap_ok(same, "xmm_registers_preserved");
    if (mx_out != MXCSR_ROUND_TO_ZERO)
        ktap_diag("mxcsr after the syscall: %x, expected %x", mx_out, MXCSR_ROUND_TO_ZERO);
    ktap_ok(mx_out == MXCSR_ROUND_TO_ZERO, "mxcsr_preserved");
}

#define BASIC_PLAN 47

static void section_basic(void)
{
    ktap_begin("wasm_basic", BASIC_PLAN);
    long id = load_or_diag("/wasm/test.wasm", "test");
    ktap_ok(id >= 0 && id < KOS_WASM_MAX_MODULES, "load_test_module");

    expect_result(id, "add(2,3)", "add", 2, 2, 3, 5);
    expect_result(id, "factorial(10)", "factorial", 1, 10, 0, 3628800);
    expect_result(id, "get_magic_number()", "get_magic_number", 0, 0, 0, 42);
    expect_result(id, "add(-7,3)", "add", 2, -7, 3, -4);
    expect_result(id, "add(2147483647,1)", "add", 2, 2147483647, 1, -2147483647L - 1);
    /* i32 parameters take the low 32 bits of each argument. */
    expect_result(id, "add(0x100000002,3)", "add", 2, 0x100000002LL, 3, 5);
    expect_result(id, "add64(2^40,5)", "add64", 2, 1LL << 40, 5, (1LL << 40) + 5);
    expect_result(id, "factorial64(20)", "factorial64", 1, 20, 0, 2432902008176640000LL);
    /* The instance keeps its memory between calls. */
    expect_result(id, "bump()#1", "bump", 0, 0, 0, 1);
    expect_result(id, "bump()#2", "bump", 0, 0, 0, 2);

    test_sse_state(id);

    /* Round trip of a trivial call (syscall + lookup + invoke): a figure for
     * the report, not a pass condition. Every call must still be right. */
    int64_t margs[2] = {20, 22}, msum = 0;
    int right = 0;
    uint64_t t0 = rdtsc();
    for (int i = 0; i < 1000; i++)
        right += wasm_exec(id, "add", margs, 2, &msum) == 0 && msum == 42;
    uint64_t cycles = (rdtsc() - t0) / 1000;
    KTAP_EXPECT_EQ("thousand_calls_right", right, 1000);
    ktap_metric("wasm_exec_add_cycles", (unsigned long)cycles, "cycles");

    int64_t r;
    long ret = call(id, "nothing", 0, 0, 0, &r);
    ktap_ok(ret == 0 && r == -0x5a5a5a5a, "no_result_leaves_slot_alone");
    int64_t args[KOS_WASM_MAX_ARGS + 1] = {2, 3};
    KTAP_EXPECT_EQ("result_pointer_may_be_null", wasm_exec(id, "add", args, 2, NULL), 0);
    KTAP_EXPECT_EQ("missing_export", wasm_exec(id, "subtract", args, 2, &r), -ENOENT);
    KTAP_EXPECT_EQ("too_few_args", wasm_exec(id, "add", args, 1, &r), -EINVAL);
    KTAP_EXPECT_EQ("too_many_args", wasm_exec(id, "add", args, 3, &r), -EINVAL);
    KTAP_EXPECT_EQ("args_over_limit", wasm_exec(id, "add", args, KOS_WASM_MAX_ARGS + 1, &r), -EINVAL);
    KTAP_EXPECT_EQ("func_name_null", wasm_exec(id, NULL, args, 2, &r), -EFAULT);
    KTAP_EXPECT_EQ("func_name_kernel_pointer", wasm_exec(id, KERNEL_PTR, args, 2, &r), -EFAULT);
    KTAP_EXPECT_EQ("args_unmapped_pointer", wasm_exec(id, "add", UNMAPPED_PTR, 2, &r), -EFAULT);
    KTAP_EXPECT_EQ("result_in_code_page", wasm_exec(id, "add", args, 2, (int64_t *)(void *)section_basic),
                   -EFAULT);
    KTAP_EXPECT_EQ("result_kernel_pointer", wasm_exec(id, "add", args, 2, KERNEL_PTR), -EFAULT);
    KTAP_EXPECT_EQ("exec_negative_id", wasm_exec(-1, "add", args, 2, &r), -EBADF);
    KTAP_EXPECT_EQ("exec_id_past_slots", wasm_exec(KOS_WASM_MAX_MODULES, "add", args, 2, &r), -EBADF);

    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    char longname[KOS_WASM_NAME_MAX + 8];
    memset(longname, 'n', sizeof longname);
    longname[sizeof longname - 1] = 0;
    KTAP_EXPECT_EQ("load_bytes_null", wasm_load(NULL, 8, "x"), -EFAULT);
    KTAP_EXPECT_EQ("load_bytes_kernel_pointer", wasm_load(KERNEL_PTR, 8, "x"), -EFAULT);
    KTAP_EXPECT_EQ("load_name_null", wasm_load(header, 8, NULL), -EFAULT);
    KTAP_EXPECT_EQ("load_name_too_long", wasm_load(header, 8, longname), -ENAMETOOLONG);
    KTAP_EXPECT_EQ("load_too_big", wasm_load(header, KOS_WASM_MAX_MODULE_BYTES + 1, "big"), -EFBIG);

    KTAP_EXPECT_EQ("unload", wasm_unload(id), 0);
    KTAP_EXPECT_EQ("exec_after_unload", wasm_exec(id, "add", args, 2, &r), -EBADF);
    KTAP_EXPECT_EQ("unload_twice", wasm_unload(id), -EBADF);

    /* WebAssembly 2.0 (user/wasm/v2.wat). */
    long v2 = load_or_diag("/wasm/v2.wasm", "v2");
    ktap_ok(v2 >= 0, "load_v2_module");
    expect_result(v2, "multi_value_call", "multi", 0, 0, 0, 902);
    expect_result(v2, "block_with_param", "block_param", 0, 0, 0, 42);
    expect_result(v2, "i32.extend8_s", "extend8", 0, 0, 0, -128);
    expect_result(v2, "i64.extend32_s", "extend32", 0, 0, 0, -2147483648LL);
    expect_result(v2, "i32.trunc_sat_f64_s", "trunc_sat", 0, 0, 0, 2147483647);
    expect_result(v2, "memory.init_copy_fill", "bulk", 0, 0, 0, 107);
    KTAP_EXPECT_EQ("memory.init_after_data.drop_traps", call(v2, "init_dropped", 0, 0, 0, &r),
                   KOS_WASM_TRAP_OOB_MEMORY);
    expect_result(v2, "tables_and_references", "refs", 0, 0, 0, 4716);
    KTAP_EXPECT_EQ("table.get_out_of_bounds_traps", call(v2, "table_oob", 0, 0, 0, &r), KOS_WASM_TRAP_OOB_TABLE);
    KTAP_EXPECT_EQ("unload_v2", wasm_unload(v2), 0);
}

/* ---------- traps: each kind returns its code, the module and kernel go on ---------- */

struct trap_case {
    const char *func;
    int nargs;
    long want;
};

static const struct trap_case TRAPS[] = {
    {"unreachable", 0, KOS_WASM_TRAP_UNREACHABLE},
    {"div_zero", 1, KOS_WASM_TRAP_DIV_ZERO},
    {"int_overflow", 0, KOS_WASM_TRAP_INT_OVERFLOW},
    {"invalid_conversion", 0, KOS_WASM_TRAP_INVALID_CONVERSION},
    {"oob_memory", 0, KOS_WASM_TRAP_OOB_MEMORY},
    {"oob_table", 0, KOS_WASM_TRAP_UNDEFINED_ELEMENT},
    {"uninitialized_element", 0, KOS_WASM_TRAP_UNINITIALIZED_ELEMENT},
    {"indirect_mismatch", 0, KOS_WASM_TRAP_INDIRECT_MISMATCH},
    {"stack_exhaustion", 1, KOS_WASM_TRAP_CALL_STACK_EXHAUSTED},
    {"spin", 0, KOS_WASM_TRAP_OUT_OF_FUEL},
};
#define NTRAPS (int)(sizeof TRAPS / sizeof TRAPS[0])

static void section_traps(void)
{
    ktap_begin("wasm_traps", 2 + 2 * NTRAPS + 5);
    long id = load_or_diag("/wasm/traps.wasm", "traps");
    ktap_ok(id >= 0, "load_traps_module");
    expect_result(id, "alive_before", "alive", 0, 0, 0, 7);
    char name[64];
    for (int i = 0; i < NTRAPS; i++) {
        int64_t r;
        long ret = call(id, TRAPS[i].func, TRAPS[i].nargs, 0, 0, &r);
        ktap_diag("%s -> %ld (%s)", TRAPS[i].func, ret, wasm_trap_name(ret));
        snprintf(name, sizeof name, "trap_%s", TRAPS[i].func);
        KTAP_EXPECT_EQ(name, ret, TRAPS[i].want);
        snprintf(name, sizeof name, "alive_after_%s", TRAPS[i].func);
        expect_result(id, name, "alive", 0, 0, 0, 7);
    }
    /* The same function with a good argument does not trap. */
    expect_result(id, "div_by_one", "div_zero", 1, 1, 0, 1);
    /* memory.grow: within the page limit it works, past it it returns -1. */
    expect_result(id, "grow_one_page", "grow", 1, 1, 0, 1);
    expect_result(id, "grow_past_limit", "grow", 1, KOS_WASM_MAX_PAGES, 0, -1);
    expect_result(id, "grow_huge", "grow", 1, 0x10000, 0, -1);
    KTAP_EXPECT_EQ("unload_traps_module", wasm_unload(id), 0);
}

/* ---------- limits: the caller's own fuel and page limits (SYS_wasm_load's 4th argument) ---------- */

static void section_limits(void)
{
    ktap_begin("wasm_limits", 14);
    struct kos_wasm_limits small = {.fuel = 5000, .max_pages = 2};
    long id = wasm_load_file_limits("/wasm/traps.wasm", "traps_small", &small);
    ktap_ok(id >= 0, "load_with_limits");
    int64_t r;
    KTAP_EXPECT_EQ("spin_out_of_fuel", call(id, "spin", 0, 0, 0, &r), KOS_WASM_TRAP_OUT_OF_FUEL);
    expect_result(id, "alive_after_spin", "alive", 0, 0, 0, 7);
    /* traps.wasm starts with one page: one more fits in two, a third does not. */
    expect_result(id, "grow_to_limit", "grow", 1, 1, 0, 1);
    expect_result(id, "grow_past_caller_limit", "grow", 1, 1, 0, -1);
    KTAP_EXPECT_EQ("unload_small", wasm_unload(id), 0);
    /* remote.wasm declares 4 pages: over a 2-page limit, within a 4-page one. */
    KTAP_EXPECT_EQ("memory_over_caller_limit", wasm_load_file_limits("/wasm/remote.wasm", "remote", &small), -E2BIG);
    struct kos_wasm_limits four = {.max_pages = 4};
    long ok = wasm_load_file_limits("/wasm/remote.wasm", "remote", &four);
    ktap_ok(ok >= 0 && wasm_unload(ok) == 0, "memory_at_caller_limit");
    struct kos_wasm_limits bad_flags = {.flags = 1}, much_fuel = {.fuel = KOS_WASM_MAX_FUEL + 1},
                           many_pages = {.max_pages = KOS_WASM_MAX_PAGES + 1};
    KTAP_EXPECT_EQ("refuse_flags", wasm_load_file_limits("/wasm/test.wasm", "t", &bad_flags), -EINVAL);
    KTAP_EXPECT_EQ("refuse_fuel_over_max", wasm_load_file_limits("/wasm/test.wasm", "t", &much_fuel), -EINVAL);
    KTAP_EXPECT_EQ("refuse_pages_over_max", wasm_load_file_limits("/wasm/test.wasm", "t", &many_pages), -EINVAL);
    KTAP_EXPECT_EQ("limits_bad_pointer", wasm_load_file_limits("/wasm/test.wasm", "t", UNMAPPED_PTR), -EFAULT);
    /* exec's has_result: 1 for a function with a result, 0 for one without. */
    long t = wasm_load_file("/wasm/test.wasm", "t");
    int32_t has_a = -1, has_b = -1;
    int64_t args[2] = {2, 3};
    long ra = wasm_exec_result(t, "add", args, 2, &r, &has_a), rb = wasm_exec_result(t, "nothing", NULL, 0, &r, &has_b);
    ktap_ok(ra == 0 && has_a == 1 && rb == 0 && has_b == 0, "has_result");
    KTAP_EXPECT_EQ("has_result_bad_pointer", wasm_exec_result(t, "add", args, 2, &r, UNMAPPED_PTR), -EFAULT);
    wasm_unload(t);
}

/* ---------- slots: eight modules, the ninth gets -ENOSPC ---------- */

static void section_slots(void)
{
    ktap_begin("wasm_slots", 12);
    long ids[KOS_WASM_MAX_MODULES];
    int loaded = 0, distinct = 1;
    char name[16];
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++) {
        snprintf(name, sizeof name, "m%d", i);
        ids[i] = wasm_load_file("/wasm/test.wasm", name);
        if (ids[i] >= 0 && ids[i] < KOS_WASM_MAX_MODULES)
            loaded++;
        else
            ktap_diag("load %d: %ld", i, ids[i]);
        for (int j = 0; j < i; j++)
            if (ids[j] == ids[i])
                distinct = 0;
    }
    /* Run first (when init= ran wasm_leave_loaded before): its modules are gone. */
    KTAP_EXPECT_EQ("eight_loads_succeed", loaded, KOS_WASM_MAX_MODULES);
    ktap_ok(distinct, "ids_distinct");
    KTAP_EXPECT_EQ("ninth_load_enospc", wasm_load_file("/wasm/test.wasm", "m8"), -ENOSPC);

    int answered = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++) {
        int64_t r;
        if (call(ids[i], "add", 2, i, 100, &r) == 0 && r == 100 + i)
            answered++;
    }
    KTAP_EXPECT_EQ("every_slot_runs", answered, KOS_WASM_MAX_MODULES);
    /* Slots are independent instances: bump counts per module. */
    int64_t r1, r2;
    call(ids[0], "bump", 0, 0, 0, &r1);
    call(ids[0], "bump", 0, 0, 0, &r1);
    call(ids[1], "bump", 0, 0, 0, &r2);
    ktap_ok(r1 == 2 && r2 == 1, "instances_independent");

    KTAP_EXPECT_EQ("unload_one", wasm_unload(ids[3]), 0);
    long again = wasm_load_file("/wasm/test.wasm", "m3b");
    KTAP_EXPECT_EQ("freed_slot_reused", again, ids[3]);
    ids[3] = again;
    KTAP_EXPECT_EQ("full_again", wasm_load_file("/wasm/test.wasm", "m9"), -ENOSPC);
    /* A refused module does not take a slot, even when slots are free. */
    KTAP_EXPECT_EQ("unload_another", wasm_unload(ids[5]), 0);
    static const uint8_t junk[8] = {0, 'a', 's', 'x', 1, 0, 0, 0};
    KTAP_EXPECT_EQ("refused_load_with_free_slot", wasm_load(junk, sizeof junk, "junk"), -EINVAL);
    ids[5] = wasm_load_file("/wasm/test.wasm", "m5b");
    ktap_ok(ids[5] >= 0, "slot_still_free_after_refusal");
    int unloaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        unloaded += wasm_unload(ids[i]) == 0;
    KTAP_EXPECT_EQ("unload_all", unloaded, KOS_WASM_MAX_MODULES);
}

/* ---------- malformed and invalid modules: each refused with -EINVAL ---------- */

#define HDR 0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00
/* type 0: () -> (); one function of that type */
#define VOID_TYPE 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
#define ONE_FUNC 0x03, 0x02, 0x01, 0x00

struct bad_module {
    const char *name;
    const uint8_t *bytes;
    size_t len;
};

#define BAD(name, ...) \
    static const uint8_t bad_##name[] = {__VA_ARGS__};
BAD(magic_only, 0x00, 'a', 's', 'm')
BAD(bad_magic, 0x00, 'a', 's', 'x', 0x01, 0x00, 0x00, 0x00)
BAD(bad_version, 0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00)
BAD(section_past_end, HDR, 0x01, 0x05, 0x00)
BAD(unknown_section, HDR, 0x0d, 0x00)
BAD(overlong_leb, HDR, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
BAD(func_without_code, HDR, VOID_TYPE, ONE_FUNC)
/* () -> i32 whose body leaves an i64 */
BAD(body_type_mismatch, HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00,
    0x42, 0x00, 0x0b)
/* br 5 with no enclosing blocks */
BAD(bad_branch_depth, HDR, VOID_TYPE, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x0c, 0x05, 0x0b)
BAD(unknown_opcode, HDR, VOID_TYPE, ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x00, 0xff, 0x0b)
/* call 5 with one function */
BAD(call_missing_func, HDR, VOID_TYPE, ONE_FUNC, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x05, 0x0b)
/* body ends without its `end` */
BAD(body_without_end, HDR, VOID_TYPE, ONE_FUNC, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x01, 0x01)
/* two exports named "a" */
BAD(duplicate_export, HDR, VOID_TYPE, ONE_FUNC, 0x07, 0x09, 0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'a', 0x00, 0x00,
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b)
/* two memories (WebAssembly 1.0 allows one) */
BAD(two_memories, HDR, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01)
/* function of type index 3, only one type */
BAD(bad_type_index, HDR, VOID_TYPE, 0x03, 0x02, 0x01, 0x03, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b)

#define ENTRY(name) {#name, bad_##name, sizeof bad_##name}
static const struct bad_module BAD_MODULES[] = {
    ENTRY(magic_only), ENTRY(bad_magic), ENTRY(bad_version), ENTRY(section_past_end),
    ENTRY(unknown_section), ENTRY(overlong_leb), ENTRY(func_without_code), ENTRY(body_type_mismatch),
    ENTRY(bad_branch_depth), ENTRY(unknown_opcode), ENTRY(call_missing_func), ENTRY(body_without_end),
    ENTRY(duplicate_export), ENTRY(two_memories), ENTRY(bad_type_index),
};
#define NBAD (int)(sizeof BAD_MODULES / sizeof BAD_MODULES[0])

/* Valid text, refused when loaded (imports, limits, start function). */
static const char *const BAD_FILES[] = {"bad_import", "bad_import_type", "big_memory", "big_table", "start_trap",
                                        "start_spin"};
#define NBADFILES (int)(sizeof BAD_FILES / sizeof BAD_FILES[0])

static void section_malformed(void)
{
    ktap_begin("wasm_malformed", 1 + NBAD + NBADFILES + 3);
    static const uint8_t empty[1] = {0};
    KTAP_EXPECT_EQ("refuse_empty", wasm_load(empty, 0, "empty"), -EINVAL);
    char name[64];
    for (int i = 0; i < NBAD; i++) {
        snprintf(name, sizeof name, "refuse_%s", BAD_MODULES[i].name);
        KTAP_EXPECT_EQ(name, wasm_load(BAD_MODULES[i].bytes, BAD_MODULES[i].len, BAD_MODULES[i].name), -EINVAL);
    }
    char path[64];
    for (int i = 0; i < NBADFILES; i++) {
        snprintf(path, sizeof path, "/wasm/%s.wasm", BAD_FILES[i]);
        snprintf(name, sizeof name, "refuse_%s", BAD_FILES[i]);
        /* Memory over the page limit has its own code. */
        KTAP_EXPECT_EQ(name, wasm_load_file(path, BAD_FILES[i]), strcmp(BAD_FILES[i], "big_memory") == 0 ? -E2BIG : -EINVAL);
    }
    /* The limit itself is allowed (the table check counts right). */
    long edge = wasm_load_file("/wasm/max_table.wasm", "max_table");
    ktap_ok(edge >= 0 && wasm_unload(edge) == 0, "table_at_limit_loads");
    /* None of the refusals kept a slot: all eight are still free. */
    long ids[KOS_WASM_MAX_MODULES];
    int loaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++) {
        ids[i] = wasm_load_file("/wasm/test.wasm", "good");
        loaded += ids[i] >= 0;
    }
    KTAP_EXPECT_EQ("no_slot_kept_by_refusals", loaded, KOS_WASM_MAX_MODULES);
    int unloaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        unloaded += ids[i] >= 0 && wasm_unload(ids[i]) == 0;
    KTAP_EXPECT_EQ("unload_good_modules", unloaded, KOS_WASM_MAX_MODULES);
}

/* ---------- imports: env.log and env.print_i32 reach the console ---------- */

static void section_imports(void)
{
    ktap_begin("wasm_imports", 13);
    long id = load_or_diag("/wasm/imports.wasm", "imports");
    ktap_ok(id >= 0, "load_imports_module");
    int64_t r;
    KTAP_EXPECT_EQ("log_hello", call(id, "say_hello", 0, 0, 0, &r), 0);
    KTAP_EXPECT_EQ("print_negative", call(id, "print", 1, -12345, 0, &r), 0);
    KTAP_EXPECT_EQ("print_max", call(id, "print", 1, 2147483647, 0, &r), 0);
    KTAP_EXPECT_EQ("log_last_bytes_of_memory", call(id, "log_last_bytes", 0, 0, 0, &r), 0);
    KTAP_EXPECT_EQ("log_past_memory_traps", call(id, "log_out_of_bounds", 0, 0, 0, &r), KOS_WASM_TRAP_OOB_MEMORY);
    KTAP_EXPECT_EQ("log_huge_length_traps", call(id, "log_huge_length", 0, 0, 0, &r), KOS_WASM_TRAP_OOB_MEMORY);
    KTAP_EXPECT_EQ("log_after_trap", call(id, "say_hello", 0, 0, 0, &r), 0);
    KTAP_EXPECT_EQ("log_flood_ends_with_host_trap", call(id, "log_flood", 0, 0, 0, &r), KOS_WASM_TRAP_HOST);
    /* The budget is per exec: the next call prints again. */
    KTAP_EXPECT_EQ("log_after_flood", call(id, "say_hello", 0, 0, 0, &r), 0);
    KTAP_EXPECT_EQ("unload_imports_module", wasm_unload(id), 0);

    /* The kos programs from user/wasm: main () -> i32, 0 = success. */
    long hello = load_or_diag("/wasm/hello.wasm", "hello");
    KTAP_EXPECT_EQ("hello_main", hello >= 0 ? call(hello, "main", 0, 0, 0, &r) * 1000 + r : hello, 0);
    long primes = load_or_diag("/wasm/primes.wasm", "primes");
    KTAP_EXPECT_EQ("primes_main", primes >= 0 ? call(primes, "main", 0, 0, 0, &r) * 1000 + r : primes, 0);
    wasm_unload(hello);
    wasm_unload(primes);
}

/* ---------- isolation: a process cannot use another process's module ---------- */

/* What the child checked, one bit each, returned as its exit status. */
#define CHILD_EXEC_REFUSED 0x01
#define CHILD_UNLOAD_REFUSED 0x02
#define CHILD_NO_FOREIGN_SLOT 0x04
#define CHILD_LOADS_OWN 0x08
#define CHILD_RUNS_OWN 0x10

static int isolation_child(long parent_id, int to_parent, int from_parent)
{
    int bits = 0;
    int64_t args[2] = {2, 3}, r = 0;
    long e = wasm_exec(parent_id, "add", args, 2, &r);
    if (e == -EPERM)
        bits |= CHILD_EXEC_REFUSED;
    else
        ktap_diag("child: exec of the parent's module: %ld", e);
    e = wasm_unload(parent_id);
    if (e == -EPERM)
        bits |= CHILD_UNLOAD_REFUSED;
    else
        ktap_diag("child: unload of the parent's module: %ld", e);
    /* No id at all gives the child a module it did not load. */
    int foreign_ok = 1;
    for (long id = 0; id < KOS_WASM_MAX_MODULES; id++) {
        e = wasm_exec(id, "add", args, 2, &r);
        if (e != -EPERM && e != -EBADF) {
            ktap_diag("child: exec of id %ld: %ld", id, e);
            foreign_ok = 0;
        }
    }
    if (foreign_ok)
        bits |= CHILD_NO_FOREIGN_SLOT;
    long own = wasm_load_file("/wasm/test.wasm", "child");
    if (own >= 0 && own != parent_id)
        bits |= CHILD_LOADS_OWN;
    if (own >= 0 && wasm_exec(own, "add", args, 2, &r) == 0 && r == 5)
        bits |= CHILD_RUNS_OWN;
    /* Hand the id over, then stay alive (module loaded) until the parent has tried it. */
    write(to_parent, &own, sizeof own);
    char go;
    read(from_parent, &go, 1);
    return bits; /* exits without unloading: the kernel frees the module */
}

static void section_isolation(void)
{
    ktap_begin("wasm_isolation", 13);
    long id = load_or_diag("/wasm/test.wasm", "parent");
    ktap_ok(id >= 0, "parent_loads_module");
    int c2p[2], p2c[2];
    if (pipe(c2p) < 0 || pipe(p2c) < 0) {
        ktap_diag("pipe failed");
        return;
    }
    long pid = fork();
    if (pid == 0) {
        close(c2p[0]);
        close(p2c[1]);
        exit(isolation_child(id, c2p[1], p2c[0]));
    }
    ktap_ok(pid > 0, "fork");
    close(c2p[1]);
    close(p2c[0]);
    long child_id = -1;
    long n = read(c2p[0], &child_id, sizeof child_id);
    ktap_ok(n == sizeof child_id && child_id >= 0 && child_id != id, "child_reports_its_module");
    int64_t args[2] = {2, 3}, r;
    KTAP_EXPECT_EQ("parent_exec_child_module_eperm", wasm_exec(child_id, "add", args, 2, &r), -EPERM);
    KTAP_EXPECT_EQ("parent_unload_child_module_eperm", wasm_unload(child_id), -EPERM);
    write(p2c[1], "g", 1);
    int status = 0;
    long w = waitpid(pid, &status, 0);
    int bits = (w == pid && WIFEXITED(status)) ? WEXITSTATUS(status) : 0;
    if (w != pid || !WIFEXITED(status))
        ktap_diag("waitpid: %ld, status %x", w, status);
    ktap_ok(bits & CHILD_EXEC_REFUSED, "child_exec_parent_module_eperm");
    ktap_ok(bits & CHILD_UNLOAD_REFUSED, "child_unload_parent_module_eperm");
    ktap_ok(bits & CHILD_NO_FOREIGN_SLOT, "child_reaches_no_foreign_slot");
    ktap_ok((bits & (CHILD_LOADS_OWN | CHILD_RUNS_OWN)) == (CHILD_LOADS_OWN | CHILD_RUNS_OWN), "child_runs_own_module");
    /* The child exited with its module loaded: the slot is free again. */
    KTAP_EXPECT_EQ("child_module_gone_after_exit", wasm_exec(child_id, "add", args, 2, &r), -EBADF);
    long more[KOS_WASM_MAX_MODULES];
    int loaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES - 1; i++) {
        more[i] = wasm_load_file("/wasm/test.wasm", "more");
        loaded += more[i] >= 0;
    }
    KTAP_EXPECT_EQ("seven_slots_free_after_child_exit", loaded, KOS_WASM_MAX_MODULES - 1);
    for (int i = 0; i < KOS_WASM_MAX_MODULES - 1; i++)
        if (more[i] >= 0)
            wasm_unload(more[i]);
    expect_result(id, "parent_module_still_runs", "add", 2, 2, 3, 5);
    KTAP_EXPECT_EQ("parent_unloads", wasm_unload(id), 0);
}

/* ---------- exec: the old image's modules are freed ---------- */

/* Loads a module and execs itself as "after_exec ID"; the new image reports. */
static void section_exec(void)
{
    long id = load_or_diag("/wasm/test.wasm", "before_exec");
    char idtext[8];
    snprintf(idtext, sizeof idtext, "%ld", id);
    char *const argv[] = {"wasm_test", "after_exec", idtext, NULL};
    long e = id >= 0 ? execv("/bin/wasm_test", argv) : id;
    /* Only reached when the load or the exec failed. */
    ktap_begin("wasm_exec", 1);
    ktap_diag("load %ld, exec %ld", id, e);
    ktap_ok(false, "exec_with_module_loaded");
}

static void section_after_exec(const char *idtext)
{
    ktap_begin("wasm_exec", 3);
    long id = 0;
    for (const char *p = idtext; *p >= '0' && *p <= '9'; p++)
        id = id * 10 + (*p - '0');
    int64_t args[2] = {2, 3}, r;
    KTAP_EXPECT_EQ("module_freed_by_exec", wasm_exec(id, "add", args, 2, &r), -EBADF);
    long ids[KOS_WASM_MAX_MODULES];
    int loaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        loaded += (ids[i] = wasm_load_file("/wasm/test.wasm", "after_exec")) >= 0;
    KTAP_EXPECT_EQ("all_slots_free_after_exec", loaded, KOS_WASM_MAX_MODULES);
    int unloaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        unloaded += ids[i] >= 0 && wasm_unload(ids[i]) == 0;
    KTAP_EXPECT_EQ("unload_all_after_exec", unloaded, KOS_WASM_MAX_MODULES);
}

/* ---------- fuzz: mutated modules are refused or run, never hurt the kernel ---------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* A fixed seed makes every run the same (reproducible failures). */
static uint64_t rng(void) { return kos_xorshift64(&rng_state); }

#define FUZZ_ROUNDS 2000

static const char *const FUZZ_FILES[] = {"/wasm/test.wasm", "/wasm/traps.wasm", "/wasm/imports.wasm"};
/* Not env.log's callers: mutated data segments would fill the log with noise. */
static const char *const FUZZ_EXPORTS[] = {"add", "factorial", "alive", "grow", "spin", "print", "main", "bump",
                                           "div", "stack_exhaustion", "oob_table"};

static long read_whole(const char *path, uint8_t **out)
{
    struct kos_stat st;
    long r = stat(path, &st);
    long fd = r < 0 ? r : open(path, O_RDONLY);
    if (fd < 0)
        return fd;
    uint8_t *buf = malloc(st.size);
    long got = buf ? read(fd, buf, st.size) : -ENOMEM;
    close(fd);
    if (got != (long)st.size) {
        free(buf);
        return got < 0 ? got : -EIO;
    }
    *out = buf;
    return got;
}

static void section_fuzz(void)
{
    ktap_begin("wasm_fuzz", 4);
    uint8_t *orig[3];
    long olen[3];
    int read_ok = 1;
    for (int f = 0; f < 3; f++) {
        olen[f] = read_whole(FUZZ_FILES[f], &orig[f]);
        if (olen[f] <= 0)
            read_ok = 0;
    }
    ktap_ok(read_ok, "read_seed_modules");
    if (!read_ok)
        return;
    uint8_t *buf = malloc(4096);
    int loaded = 0, refused = 0, bad_load = 0, bad_exec = 0, execs = 0;
    for (int round = 0; round < FUZZ_ROUNDS; round++) {
        int f = (int)(rng() % 3);
        long len = olen[f] < 4096 ? olen[f] : 4096;
        memcpy(buf, orig[f], (size_t)len);
        int edits = 1 + (int)(rng() % 4);
        for (int e = 0; e < edits; e++) {
            uint64_t x = rng();
            long at = 8 + (long)(x % (uint64_t)(len - 8)); /* keep the header: reach the decoder's depths */
            switch ((x >> 32) % 4) {
            case 0: buf[at] ^= (uint8_t)(1u << ((x >> 40) % 8)); break;
            case 1: buf[at] = (uint8_t)(x >> 48); break;
            case 2: len = at; break; /* truncate */
            default: buf[at] = (uint8_t)((x >> 48) & 1 ? 0xff : 0x00); break;
            }
            if (len <= 8)
                len = 9;
        }
        long id = wasm_load(buf, (size_t)len, "fuzz");
        /* Refused: malformed or invalid (-EINVAL), or asking for more memory
         * than the loader's page limit (-E2BIG). */
        if (id == -EINVAL || id == -E2BIG) {
            refused++;
            continue;
        }
        if (id < 0 || id >= KOS_WASM_MAX_MODULES) {
            ktap_diag("round %d: load returned %ld", round, id);
            bad_load++;
            continue;
        }
        loaded++;
        for (unsigned k = 0; k < sizeof FUZZ_EXPORTS / sizeof FUZZ_EXPORTS[0]; k++) {
            int64_t args[2] = {(int64_t)(rng() % 12), 3}, r;
            for (size_t n = 0; n <= 2; n++) {
                long e = wasm_exec(id, FUZZ_EXPORTS[k], args, n, &r);
                execs++;
                if (e != 0 && e != -ENOENT && e != -EINVAL && !(e >= 1 && e <= KOS_WASM_TRAP_OUT_OF_MEMORY)) {
                    ktap_diag("round %d: exec %s/%lu returned %ld", round, FUZZ_EXPORTS[k], (unsigned long)n, e);
                    bad_exec++;
                }
            }
        }
        if (wasm_unload(id) != 0)
            bad_load++;
    }
    ktap_diag("%d mutants: %d refused, %d loaded, %d execs", FUZZ_ROUNDS, refused, loaded, execs);
    ktap_ok(bad_load == 0 && loaded + refused == FUZZ_ROUNDS, "every_mutant_refused_or_loaded");
    KTAP_EXPECT_EQ("every_exec_returned_a_defined_code", bad_exec, 0);
    long ids[KOS_WASM_MAX_MODULES];
    int free_slots = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        free_slots += (ids[i] = wasm_load_file("/wasm/test.wasm", "after_fuzz")) >= 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        if (ids[i] >= 0)
            wasm_unload(ids[i]);
    KTAP_EXPECT_EQ("all_slots_free_after_fuzz", free_slots, KOS_WASM_MAX_MODULES);
}

/* ---------- preempt: a long straight-line call shares the CPU, costs its budget, and ends by kill ---------- */

/* Generated here (too big to write as text): run() loops forever over a body
 * of SL_REPS x (local.get 0; i32.const 1; i32.add; local.set 0), then counts
 * the iteration in a global (global.get; i32.const 1; i32.add; global.set)
 * and branches back; iters() returns the count. */
#define SL_REPS 25000
#define SL_ITER_COST (SL_REPS * 4 + 5) /* instructions per iteration, the br included */
static uint8_t sl_module[SL_REPS * 7 + 128];

static size_t put_leb(uint8_t *p, uint32_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

static size_t put_section(uint8_t *p, uint8_t id, const uint8_t *body, size_t len)
{
    size_t n = 0;
    p[n++] = id;
    n += put_leb(p + n, (uint32_t)len);
    memcpy(p + n, body, len);
    return n + len;
}

static size_t build_straight_line(void)
{
    static const uint8_t head[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    static const uint8_t types[] = {1, 0x60, 0, 1, 0x7f};         /* () -> i32 */
    static const uint8_t funcs[] = {2, 0, 0};
    static const uint8_t globals[] = {1, 0x7f, 1, 0x41, 0, 0x0b}; /* (mut i32) = 0 */
    static const uint8_t exports[] = {2, 3, 'r', 'u', 'n', 0, 0, 5, 'i', 't', 'e', 'r', 's', 0, 1};
    static const uint8_t step[] = {0x20, 0, 0x41, 1, 0x6a, 0x21, 0};
    static const uint8_t tail[] = {0x23, 0, 0x41, 1, 0x6a, 0x24, 0, 0x0c, 0, 0x0b, 0x41, 0, 0x0b};
    static const uint8_t iters[] = {4, 0, 0x23, 0, 0x0b};
    static uint8_t body[SL_REPS * 7 + 32], code[SL_REPS * 7 + 64];
    size_t b = 0, c = 0, n = 0;
    body[b++] = 1; /* one run of locals: 1 x i32 */
    body[b++] = 1;
    body[b++] = 0x7f;
    body[b++] = 0x03; /* loop, no result */
    body[b++] = 0x40;
    for (int i = 0; i < SL_REPS; i++, b += sizeof step)
        memcpy(body + b, step, sizeof step);
    memcpy(body + b, tail, sizeof tail);
    b += sizeof tail;
    code[c++] = 2;
    c += put_leb(code + c, (uint32_t)b);
    memcpy(code + c, body, b);
    c += b;
    memcpy(code + c, iters, sizeof iters);
    c += sizeof iters;
    memcpy(sl_module, head, sizeof head);
    n = sizeof head;
    n += put_section(sl_module + n, 1, types, sizeof types);
    n += put_section(sl_module + n, 3, funcs, sizeof funcs);
    n += put_section(sl_module + n, 6, globals, sizeof globals);
    n += put_section(sl_module + n, 7, exports, sizeof exports);
    n += put_section(sl_module + n, 10, code, c);
    return n;
}

static void section_preempt(void)
{
    ktap_begin("wasm_preempt", 8);
    size_t len = build_straight_line();
    long id = wasm_load(sl_module, len, "sl");
    ktap_diag("straight-line module: %lu bytes, %d instructions per iteration", (unsigned long)len, SL_ITER_COST);
    ktap_ok(id >= 0, "load_straight_line_module");

    /* A CPU-bound ticker that never enters the kernel. */
    long ticker = fork();
    if (ticker == 0) {
        volatile unsigned long counter = 0;
        for (;;)
            counter++;
    }
    long me = getpid();
    long t0 = kstat_get("ticks"), k0 = kstat_proc_ticks(ticker), m0 = kstat_proc_ticks(me);
    int64_t r = 0;
    long ret = wasm_exec(id, "run", NULL, 0, &r);
    long t1 = kstat_get("ticks"), k1 = kstat_proc_ticks(ticker), m1 = kstat_proc_ticks(me);
    long elapsed = t1 - t0, kt = k1 - k0, mt = m1 - m0;
    ktap_diag("run: exec %ld (%s) after %ld ticks: ticker %ld ticks, wasm caller %ld ticks", ret, wasm_trap_name(ret),
              elapsed, kt, mt);
    KTAP_EXPECT_EQ("straight_line_loop_ends_out_of_fuel", ret, KOS_WASM_TRAP_OUT_OF_FUEL);

    /* Fuel counts instructions: the call stops within one iteration (and the
     * cut-in preemption points, 1 in 4096) of the budget. */
    int64_t iters = -1;
    wasm_exec(id, "iters", NULL, 0, &iters);
    uint64_t done = (uint64_t)iters * SL_ITER_COST;
    ktap_diag("%ld iterations = %lu instructions of a budget of %llu", (long)iters, (unsigned long)done,
              (unsigned long long)KOS_WASM_FUEL);
    ktap_ok(iters > 0 && done <= KOS_WASM_FUEL && KOS_WASM_FUEL - done < SL_ITER_COST + KOS_WASM_FUEL / 1000,
            "fuel_trap_after_budget_of_instructions");

    /* Two runnable processes: each within 25 % of half the ticks. */
    /* Several ticks, so the shares below mean something (18-22 here under TCG;
     * not a speed goal). */
    ktap_ok(elapsed >= 4, "timer_advanced_during_the_call");
    long dk = 2 * kt - elapsed, dm = 2 * mt - elapsed;
    if (dk < 0)
        dk = -dk;
    if (dm < 0)
        dm = -dm;
    ktap_ok(elapsed > 0 && dk * 4 <= elapsed, "ticker_got_its_fair_share");
    ktap_ok(elapsed > 0 && dm * 4 <= elapsed, "wasm_caller_got_its_fair_share");
    kill(ticker, SIGKILL);
    waitpid(ticker, NULL, 0);

    /* kill() ends a long call: the child is reaped long before the call
     * could have ended on its own (it took `elapsed` ticks above). */
    int fds[2];
    pipe(fds);
    long child = fork();
    if (child == 0) {
        long cid = wasm_load(sl_module, len, "victim");
        write(fds[1], "x", 1);
        long cret = wasm_exec(cid, "run", NULL, 0, &r);
        printf("    # victim: exec returned %ld\n", cret);
        exit(0);
    }
    char x;
    read(fds[0], &x, 1);
    /* Kill it inside the call: once it has run two more ticks of CPU after
     * its load (the call alone takes `mt` ticks, measured above). Counted in
     * the child's CPU ticks, not in time, so a fast host cannot let the call
     * end first. */
    long c0 = kstat_proc_ticks(child), lead = mt / 4 > 2 ? 2 : (mt / 4 > 0 ? mt / 4 : 1);
    while (kstat_proc_ticks(child) >= 0 && kstat_proc_ticks(child) < c0 + lead)
        sleep_ms(5);
    long k_at = kstat_get("ticks");
    long kr = kill(child, SIGKILL);
    int status = 0;
    long w = waitpid(child, &status, 0);
    long reap = kstat_get("ticks") - k_at;
    ktap_diag("killed the caller of a long call: reaped after %ld ticks, status 0x%x", reap, status);
    ktap_ok(kr == 0 && w == child && WIFSIGNALED(status) && WTERMSIG(status) == WSIG_KILL,
            "kill_ends_a_long_call");
    ktap_ok(reap * 4 < elapsed, "killed_call_ends_within_a_quarter_of_its_run");
    wasm_unload(id);
}

/* ---------- fault_loaded: killed by a fault with every slot in use ---------- */

/* Marked !fault in init=: the next program (slots) must find all slots free. */
static void section_fault_loaded(void)
{
    int loaded = 0;
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++)
        loaded += wasm_load_file("/wasm/test.wasm", "doomed") >= 0;
    printf("    # wasm_test: %d modules loaded, now faulting\n", loaded);
    *(volatile int *)0 = loaded;
}

/* The sections a case names on the command line, in the usage's order. */
#define WASM_TEST_SECTIONS(X) \
    X(basic) \
    X(traps) \
    X(limits) \
    X(slots) \
    X(malformed) \
    X(imports) \
    X(isolation) \
    X(exec) \
    X(fault_loaded) \
    X(fuzz) \
    X(preempt)

static const struct {
    const char *name;
    void (*run)(void);
} sections[] = {
#define SECTION(name) {#name, section_##name},
    WASM_TEST_SECTIONS(SECTION)
#undef SECTION
};

int main(int argc, char **argv)
{
    const size_t nsections = sizeof sections / sizeof sections[0];
    if (argc < 2) {
        printf("usage: wasm_test ");
        for (size_t i = 0; i < nsections; i++)
            printf("%s%s", i ? "|" : "", sections[i].name);
        printf("\n");
        return 2;
    }
    const char *what = argv[1];
    for (size_t i = 0; i < nsections; i++)
        if (strcmp(what, sections[i].name) == 0) {
            sections[i].run();
            return ktap_done();
        }
    if (strcmp(what, "after_exec") == 0 && argc > 2) {
        section_after_exec(argv[2]);
        return ktap_done();
    }
    printf("wasm_test: unknown section %s\n", what);
    return 2;
}
