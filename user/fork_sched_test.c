/* Many children forking and exiting under preemption: after every round
 * the process table and the free page count are back where they started. */
#include "libc.h"
#include "ktap.h"

#define ROUNDS 3
#define CHILDREN 6
#define GRANDCHILDREN 3         /* 1 + 6 + 18 processes: below the per-user limit of 32 */

/* Spin until this process has been charged `ticks` timer ticks: it has
 * run through timer interrupts with the others runnable (preemption). */
static void busy_ticks(long ticks)
{
    volatile unsigned long x = 0;
    long me = getpid();
    for (;;) {
        for (unsigned long i = 0; i < 20000; i++)
            x += i;
        if (kstat_proc_ticks(me) >= ticks)
            return;
    }
}

static int child_main(int i)
{
    long kids[GRANDCHILDREN];
    for (int g = 0; g < GRANDCHILDREN; g++) {
        kids[g] = fork();
        if (kids[g] == 0) {
            busy_ticks(1 + g);
            exit(g + 1);
        }
        if (kids[g] < 0)
            return 10;
    }
    busy_ticks(1 + i % 2);
    int sum = 0;
    for (int g = 0; g < GRANDCHILDREN; g++) {
        int st = 0;
        if (waitpid(kids[g], &st, 0) != kids[g])
            return 11;
        sum += WEXITSTATUS(st);
    }
    return sum == GRANDCHILDREN * (GRANDCHILDREN + 1) / 2 ? 0 : 12;
}

/* Free pages plus the kernel half's permanent page tables (a growing kernel
 * heap adds some for good), the same measure as the kernel's no_page_leak. */
static long free_measure(void)
{
    long ktables = kstat_get("kernel_table_pages");
    return kstat_last("free_pages") + ktables;
}

int main(void)
{
    ktap_begin("fork_scheduler", 2 + ROUNDS * 2);
    long procs0 = kstat_get("procs"), free0 = free_measure();
    long pre0 = kstat_get("preemptions");
    for (int round = 0; round < ROUNDS; round++) {
        long pids[CHILDREN];
        for (int i = 0; i < CHILDREN; i++) {
            pids[i] = fork();
            if (pids[i] == 0)
                exit(child_main(i));
        }
        bool all_ok = true;
        for (int i = 0; i < CHILDREN; i++) {
            int st = -1;
            long r = wait(&st);
            if (r <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                ktap_diag("round %d: wait -> %ld status 0x%x", round, r, st);
                all_ok = false;
            }
        }
        char name[64];
        snprintf(name, sizeof name, "round%d_children_and_grandchildren_ok", round);
        ktap_ok(all_ok, name);
        long procs = kstat_get("procs"), free_now = free_measure();
        ktap_diag("round %d: procs %ld (start %ld), free pages %ld (start %ld)", round, procs, procs0, free_now, free0);
        snprintf(name, sizeof name, "round%d_table_and_pages_restored", round);
        ktap_ok(procs == procs0 && free_now == free0, name);
    }
    long pre1 = kstat_get("preemptions");
    ktap_diag("%ld preemptions during the rounds", pre1 - pre0);
    ktap_ok(pre1 - pre0 >= ROUNDS, "children_ran_under_preemption");
    KTAP_EXPECT_EQ("no_children_left", wait(NULL), -ECHILD);
    return ktap_done();
}
