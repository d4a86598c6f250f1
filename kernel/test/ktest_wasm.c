/* ktest=wasm: the WebAssembly slot table under the syscalls (sys/sys_wasm.c),
 * driven with kernel buffers and made-up owner pids: owner checks, release
 * on exit, reclaiming slots of processes that are gone, limits, no leaks. */
#include "test/ktest.h"
#include "sys/sys_wasm.h"
#include "proc/proc.h"
#include "mm/heap.h"
#include "mm/pmm.h"
#include "lib/string.h"
#include <kos/errno.h>

/* (module (func (export "add") (param i32 i32) (result i32) ...)
 *         (func (export "spin") (loop $l (br $l)))) */
static const uint8_t add_spin_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f,
    0x01, 0x7f, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x0e, 0x02, 0x03, 0x61,
    0x64, 0x64, 0x00, 0x00, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x01, 0x0a, 0x11, 0x02, 0x07,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/* (module (import "env" "log" ...) (import "env" "print_i32" ...) (memory 1)
 *   (func (export "run") (result i32) log "[wasm] ktest log\n", print_i32 31337, 1)) */
static const uint8_t imports_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01,
    0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x1b, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, 0x00,
    0x00, 0x03, 0x65, 0x6e, 0x76, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x33, 0x32, 0x00, 0x01, 0x03,
    0x02, 0x01, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, 0x0a,
    0x12, 0x01, 0x10, 0x00, 0x41, 0x00, 0x41, 0x11, 0x10, 0x00, 0x41, 0xe9, 0xf4, 0x01, 0x10, 0x01, 0x41, 0x01,
    0x0b, 0x0b, 0x17, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x11, 0x5b, 0x77, 0x61, 0x73, 0x6d, 0x5d, 0x20, 0x6b, 0x74,
    0x65, 0x73, 0x74, 0x20, 0x6c, 0x6f, 0x67, 0x0a,
};

/* The same imports, the second one typed (i64): refused after the first matched. */
static const uint8_t imports_mistyped_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x02, 0x7f, 0x7f,
    0x00, 0x60, 0x01, 0x7e, 0x00, 0x02, 0x1b, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f,
    0x67, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69,
    0x33, 0x32, 0x00, 0x01,
};

/* Owner pids no real process has this early (pids count up from 1). */
#define PID_A 9001
#define PID_B 9002
#define PID_C 9003

static int64_t load(int pid, struct proc *owner)
{
    return wasm_slot_load(pid, owner, add_spin_wasm, sizeof add_spin_wasm, "ktest", NULL);
}

static int64_t add(int pid, int64_t id, int64_t x, int64_t y, int64_t *sum)
{
    int64_t args[2] = {x, y};
    int has = 0;
    *sum = -1;
    return wasm_slot_exec(pid, id, "add", args, 2, sum, &has);
}

/* Whatever a case left behind (it may fail halfway) is freed here. */
static bool cleanup(bool ok)
{
    wasm_slot_release_pid(PID_A);
    wasm_slot_release_pid(PID_B);
    wasm_slot_release_pid(PID_C);
    return ok;
}

static bool owner_runs_its_module_inner(void)
{
    int64_t id = load(PID_A, NULL);
    KT_EXPECT(id >= 0 && id < KOS_WASM_MAX_MODULES);
    int64_t sum;
    KT_EXPECT_EQ(add(PID_A, id, 40, 2, &sum), 0);
    KT_EXPECT_EQ(sum, 42);
    KT_EXPECT_EQ(wasm_slot_unload(PID_A, id), 0);
    KT_EXPECT_EQ(add(PID_A, id, 40, 2, &sum), -EBADF);
    return true;
}
static bool owner_runs_its_module(void) { return cleanup(owner_runs_its_module_inner()); }

static bool other_pid_refused_inner(void)
{
    int64_t id = load(PID_A, NULL);
    KT_EXPECT(id >= 0);
    int64_t sum;
    KT_EXPECT_EQ(add(PID_B, id, 1, 2, &sum), -EPERM);
    KT_EXPECT_EQ(sum, -1);
    KT_EXPECT_EQ(wasm_slot_unload(PID_B, id), -EPERM);
    /* The refused calls changed nothing: the owner still runs it. */
    KT_EXPECT_EQ(add(PID_A, id, 1, 2, &sum), 0);
    KT_EXPECT_EQ(sum, 3);
    return true;
}
static bool other_pid_refused(void) { return cleanup(other_pid_refused_inner()); }

static bool release_frees_only_that_pid_inner(void)
{
    int before = wasm_slot_count();
    int64_t a1 = load(PID_A, NULL), a2 = load(PID_A, NULL), c = load(PID_C, NULL);
    KT_EXPECT(a1 >= 0 && a2 >= 0 && c >= 0);
    KT_EXPECT_EQ(wasm_slot_count(), before + 3);
    KT_EXPECT_EQ(wasm_slot_release_pid(PID_A), 2);
    KT_EXPECT_EQ(wasm_slot_count(), before + 1);
    int64_t sum;
    KT_EXPECT_EQ(add(PID_A, a1, 1, 1, &sum), -EBADF);
    KT_EXPECT_EQ(add(PID_C, c, 5, 6, &sum), 0);
    KT_EXPECT_EQ(sum, 11);
    return true;
}
static bool release_frees_only_that_pid(void) { return cleanup(release_frees_only_that_pid_inner()); }

/* A process that ended without the exit hook running: its slot comes back. */
static struct proc fake_owner;

static bool gone_owner_reclaimed_inner(void)
{
    memset(&fake_owner, 0, sizeof fake_owner);
    fake_owner.pid = PID_B;
    fake_owner.state = PROC_RUNNABLE;
    int before = wasm_slot_count();
    int64_t id = load(PID_B, &fake_owner);
    KT_EXPECT(id >= 0);
    KT_EXPECT_EQ(wasm_slot_count(), before + 1);
    fake_owner.state = PROC_ZOMBIE;
    KT_EXPECT_EQ(wasm_slot_count(), before);
    /* The same proc entry reused by another pid does not inherit the module. */
    fake_owner.state = PROC_RUNNABLE;
    id = load(PID_B, &fake_owner);
    KT_EXPECT(id >= 0);
    fake_owner.pid = PID_C;
    int64_t sum;
    KT_EXPECT_EQ(add(PID_C, id, 1, 1, &sum), -EBADF);
    KT_EXPECT_EQ(wasm_slot_count(), before);
    return true;
}
static bool gone_owner_reclaimed(void) { return cleanup(gone_owner_reclaimed_inner()); }

static bool slots_fill_up_inner(void)
{
    int64_t ids[KOS_WASM_MAX_MODULES];
    for (int i = 0; i < KOS_WASM_MAX_MODULES; i++) {
        ids[i] = load(PID_A, NULL);
        KT_EXPECT(ids[i] >= 0);
    }
    KT_EXPECT_EQ(load(PID_B, NULL), -ENOSPC);
    KT_EXPECT_EQ(wasm_slot_unload(PID_A, ids[6]), 0);
    KT_EXPECT_EQ(load(PID_B, NULL), ids[6]);
    return true;
}
static bool slots_fill_up(void) { return cleanup(slots_fill_up_inner()); }

static bool runaway_loop_ends_inner(void)
{
    int64_t id = load(PID_A, NULL);
    KT_EXPECT(id >= 0);
    int64_t r = 0;
    int has = 0;
    KT_EXPECT_EQ(wasm_slot_exec(PID_A, id, "spin", NULL, 0, &r, &has), KOS_WASM_TRAP_OUT_OF_FUEL);
    KT_EXPECT_EQ(has, 0);
    int64_t sum;
    KT_EXPECT_EQ(add(PID_A, id, 2, 2, &sum), 0);
    KT_EXPECT_EQ(sum, 4);
    return true;
}
static bool runaway_loop_ends(void) { return cleanup(runaway_loop_ends_inner()); }

static bool bad_modules_refused_inner(void)
{
    static const uint8_t truncated[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00};
    int before = wasm_slot_count();
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, truncated, sizeof truncated, "truncated", NULL), -EINVAL);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, add_spin_wasm, 0, "empty", NULL), -EINVAL);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, add_spin_wasm, sizeof add_spin_wasm - 1, "cut", NULL), -EINVAL);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, add_spin_wasm, sizeof add_spin_wasm, "", NULL), -EINVAL);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, add_spin_wasm, sizeof add_spin_wasm,
                                "a module name longer than the thirty-two byte slot", NULL),
                 -ENAMETOOLONG);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, add_spin_wasm, KOS_WASM_MAX_MODULE_BYTES + 1, "big", NULL), -EFBIG);
    KT_EXPECT_EQ(wasm_slot_count(), before);
    return true;
}
static bool bad_modules_refused(void) { return cleanup(bad_modules_refused_inner()); }

/* Host imports are reference counted per importing instance: loading,
 * running, refusing and unloading must leave no host function behind. */
static bool host_imports_inner(void)
{
    uint64_t live = heap_live_allocations();
    int64_t id = wasm_slot_load(PID_A, NULL, imports_wasm, sizeof imports_wasm, "kimports", NULL);
    KT_EXPECT(id >= 0);
    int64_t r = 0;
    int has = 0;
    KT_EXPECT_EQ(wasm_slot_exec(PID_A, id, "run", NULL, 0, &r, &has), 0);
    KT_EXPECT_EQ(has, 1);
    KT_EXPECT_EQ(r, 1);
    KT_EXPECT_EQ(wasm_slot_unload(PID_A, id), 0);
    KT_EXPECT_EQ(wasm_slot_load(PID_A, NULL, imports_mistyped_wasm, sizeof imports_mistyped_wasm, "kmistyped", NULL),
                 -EINVAL);
    KT_EXPECT_EQ(heap_live_allocations(), live);
    return true;
}
static bool host_imports(void) { return cleanup(host_imports_inner()); }

/* Everything the cases allocated went back: heap blocks and pages. */
static uint64_t pages_at_start, live_at_start;

static bool baseline(void)
{
    pages_at_start = pmm_free_count();
    live_at_start = heap_live_allocations();
    return wasm_slot_count() == 0;
}

static bool nothing_leaked(void)
{
    KT_EXPECT_EQ(wasm_slot_count(), 0);
    KT_EXPECT_EQ(heap_live_allocations(), live_at_start);
    KT_EXPECT_EQ(pmm_free_count(), pages_at_start);
    return true;
}

KTEST_SUITE(wasm,
    KTEST_CASE("slot_table_empty_at_start", baseline),
    KTEST_CASE("owner_runs_its_module", owner_runs_its_module),
    KTEST_CASE("other_pid_refused", other_pid_refused),
    KTEST_CASE("release_frees_only_that_pid", release_frees_only_that_pid),
    KTEST_CASE("gone_owner_reclaimed", gone_owner_reclaimed),
    KTEST_CASE("slots_fill_up", slots_fill_up),
    KTEST_CASE("runaway_loop_ends", runaway_loop_ends),
    KTEST_CASE("bad_modules_refused", bad_modules_refused),
    KTEST_CASE("host_imports_no_leak", host_imports),
    KTEST_CASE("nothing_leaked", nothing_leaked),
);
