/* proc/: spawning, the scheduler and per-process state. */
#include "test/ktest.h"
#include "proc/proc.h"
#include <kos/errno.h>

static bool test_spawn_missing(void)
{
    char *argv[] = { "nothing" };
    int err = 0;
    char why[128];
    KT_EXPECT(proc_spawn("/bin/no_such_program", 1, argv, &err, why, sizeof why) == NULL);
    KT_EXPECT_EQ(err, -ENOENT);
    KT_EXPECT(proc_spawn("/bin", 1, argv, &err, why, sizeof why) == NULL);
    KT_EXPECT_EQ(err, -EISDIR);
    KT_EXPECT(proc_spawn("/bin/hello", 0, argv, &err, why, sizeof why) == NULL);
    KT_EXPECT_EQ(err, -E2BIG);
    return true;
}

/* Two copies of fpu_check yield to each other; each must find its own xmm7. */
static bool test_sse_state_per_process(void)
{
    char *argv_a[] = { "fpu_check", "a" }, *argv_b[] = { "fpu_check", "b" };
    int err;
    char why[128];
    struct proc *a = proc_spawn("/bin/fpu_check", 2, argv_a, &err, why, sizeof why);
    if (!a)
        ktap_diag("spawn: %s", why);
    KT_EXPECT(a != NULL);
    struct proc *b = proc_spawn("/bin/fpu_check", 2, argv_b, &err, why, sizeof why);
    KT_EXPECT(b != NULL);
    bool ka = false, kb = false;
    int sa = proc_run_until_exit(a, &ka, NULL, 0);
    int sb = proc_run_until_exit(b, &kb, NULL, 0);
    KT_EXPECT(!ka && !kb);
    KT_EXPECT_EQ(sa, 0);
    KT_EXPECT_EQ(sb, 0);
    return true;
}

KTEST_SUITE(proc,
    KTEST_CASE("proc_spawn_refuses_bad_requests", test_spawn_missing, KTEST_PAGES),
    KTEST_CASE("proc_sse_state_per_process", test_sse_state_per_process, KTEST_PAGES),
);
