/* Preemption: CPU-bound children that never yield all make progress, and
 * their CPU time (timer ticks charged by the kernel, /proc/kstat) is within
 * 25 % of a fair share. The parent sleeps meanwhile. */
#include "libc.h"
#include "ktap.h"

#define NCHILD 3
#define RUN_MS 3000

int main(void)
{
    ktap_begin("preempt", 5);
    long pids[NCHILD];
    for (int i = 0; i < NCHILD; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            /* Spin with SSE in use too: each child's xmm state must survive preemption. */
            volatile unsigned long counter = 0;
            unsigned long tag = 0x1000UL * (unsigned long)(i + 1);
            __asm__ volatile("movq %0, %%xmm3" : : "r"(tag) : "xmm3");
            for (;;) {
                counter++;
                if ((counter & 0xffff) == 0) {
                    unsigned long x;
                    __asm__ volatile("movq %%xmm3, %0" : "=r"(x));
                    if (x != tag)
                        exit(2);
                }
            }
        }
    }
    long t0 = kstat_get("ticks");
    long pre0 = kstat_get("preemptions");
    sleep_ms(RUN_MS);
    long ticks[NCHILD], total = 0;
    bool all_progress = true;
    for (int i = 0; i < NCHILD; i++) {
        ticks[i] = kstat_proc_ticks(pids[i]);
        total += ticks[i];
        if (ticks[i] <= 0)
            all_progress = false;
    }
    long t1 = kstat_get("ticks");
    long pre1 = kstat_get("preemptions");
    for (int i = 0; i < NCHILD; i++)
        ktap_diag("child %ld: %ld ticks", pids[i], ticks[i]);
    ktap_diag("timer rate %ld Hz", kstat_get("hz"));
    ktap_diag("%ld ticks passed, %ld preemptions", t1 - t0, pre1 - pre0);
    ktap_ok(all_progress, "every_cpu_bound_child_progresses");
    bool fair = total > 0;
    for (int i = 0; i < NCHILD; i++) {
        /* |share - fair| <= 25 % of fair, in integers: |ticks*N - total| * 4 <= total. */
        long d = ticks[i] * NCHILD - total;
        if (d < 0)
            d = -d;
        if (d * 4 > total)
            fair = false;
    }
    ktap_ok(fair, "cpu_shares_within_25_percent_of_fair");
    ktap_ok(pre1 - pre0 >= total / 2, "timer_preempted_the_spinners");
    bool killed = true, sse_ok = true;
    for (int i = 0; i < NCHILD; i++) {
        int status = 0;
        if (kill(pids[i], SIGKILL) != 0 || waitpid(pids[i], &status, 0) != pids[i])
            killed = false;
        else if (!(WIFSIGNALED(status) && WTERMSIG(status) == WSIG_KILL))
            sse_ok = false;     /* exited on its own: its xmm3 changed */
    }
    ktap_ok(killed, "spinners_killed_and_reaped");
    ktap_ok(sse_ok, "sse_state_kept_across_preemption");
    return ktap_done();
}
