/* wait/waitpid: exit codes, order independence, -ECHILD, WNOHANG, bad
 * pointers, a child killed by a fault or by kill() reported as such, and
 * the CPU halting (idle task) while the parent sleeps in wait. */
#include "libc.h"
#include "ktap.h"

static long child_exit_after(unsigned long ms, int code)
{
    long pid = fork();
    if (pid == 0) {
        sleep_ms(ms);
        exit(code);
    }
    return pid;
}

int main(void)
{
    ktap_begin("wait", 18);
    int status;
    KTAP_EXPECT_EQ("wait_no_children_echild", wait(&status), -ECHILD);
    KTAP_EXPECT_EQ("waitpid_not_a_child_echild", waitpid(1, &status, 0), -ECHILD);
    ktap_ok(waitpid(-5, &status, 0) == -EINVAL && waitpid(-1, &status, 0x100) == -EINVAL &&
                sleep_ms(1UL << 40) == -EINVAL && kill(-1, SIGKILL) == -EINVAL && kill(1 << 30, SIGKILL) == -ESRCH,
            "bad_arguments_refused");

    /* sleep(ms) lasts at least ms of PIT time, counted in ticks. */
    long hz = kstat_get("hz"), t0 = kstat_get("ticks");
    long slept = sleep_ms(200);
    long t1 = kstat_get("ticks");
    ktap_diag("sleep(200) at %ld Hz: %ld ticks", hz, t1 - t0);
    ktap_ok(slept == 0 && hz > 0 && (t1 - t0) * 1000 >= 200 * hz, "sleep_lasts_at_least_ms");

    /* Three children exit in the reverse of their creation order. */
    long pids[3];
    for (int i = 0; i < 3; i++)
        pids[i] = child_exit_after((unsigned long)(3 - i) * 40, 10 + i);
    int seen = 0;
    bool codes_ok = true;
    for (int i = 0; i < 3; i++) {
        long r = wait(&status);
        int idx = -1;
        for (int j = 0; j < 3; j++)
            if (r == pids[j])
                idx = j;
        if (idx < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 10 + idx)
            codes_ok = false;
        else
            seen |= 1 << idx;
    }
    ktap_ok(codes_ok && seen == 7, "wait_any_returns_each_child_with_its_code");

    /* waitpid picks the named child even when another exits first. */
    long slow = child_exit_after(120, 3), fast = child_exit_after(10, 4);
    KTAP_EXPECT_EQ("waitpid_named_child", waitpid(slow, &status, 0), slow);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 3, "waitpid_named_child_code");
    KTAP_EXPECT_EQ("waitpid_other_child_after", waitpid(fast, &status, 0), fast);

    /* WNOHANG with a live child returns 0; bad pointers are refused before reaping. */
    long live = child_exit_after(60, 5);
    KTAP_EXPECT_EQ("waitpid_wnohang_running", waitpid(live, &status, WNOHANG), 0);
    KTAP_EXPECT_EQ("waitpid_bad_status_pointer", waitpid(live, (int *)0xffffffff80100000UL, 0), -EFAULT);

    /* The parent blocks in wait: the CPU must halt meanwhile (no busy wait). */
    long halts_before = kstat_get("idle_halts");
    long r = waitpid(live, &status, 0);
    long halts_after = kstat_get("idle_halts");
    ktap_diag("idle halts while waiting: %ld -> %ld", halts_before, halts_after);
    ktap_ok(r == live && WEXITSTATUS(status) == 5 && halts_after > halts_before, "wait_sleeps_cpu_halts");

    /* A child killed by a fault. */
    long faulty = fork();
    if (faulty == 0) {
        volatile int *null = 0;
        *null = 1;
        exit(0);
    }
    waitpid(faulty, &status, 0);
    ktap_ok(WIFSIGNALED(status) && WTERMSIG(status) == WSIG_FAULT, "child_fault_reported");

    /* A child killed by kill() while it sleeps. */
    long sleeper = child_exit_after(100000, 0);
    KTAP_EXPECT_EQ("kill_returns_0", kill(sleeper, SIGKILL), 0);
    waitpid(sleeper, &status, 0);
    ktap_ok(WIFSIGNALED(status) && WTERMSIG(status) == WSIG_KILL, "child_kill_reported");
    KTAP_EXPECT_EQ("kill_reaped_child_esrch", kill(sleeper, SIGKILL), -ESRCH);
    KTAP_EXPECT_EQ("kill_pid_0_einval", kill(0, SIGKILL), -EINVAL);

    /* An orphan: its parent exits first; it is re-parented to the kernel
     * (getppid 0) and reaped by it when it exits. */
    long procs0 = kstat_get("procs");
    int report[2];
    pipe(report);
    long middle = fork();
    if (middle == 0) {
        long orphan = fork();
        if (orphan == 0) {
            sleep_ms(100);     /* outlive the middle process */
            long ppid = getppid();
            write(report[1], &ppid, sizeof ppid);
            exit(0);
        }
        exit(0);
    }
    close(report[1]);
    waitpid(middle, &status, 0);
    long ppid = -1;
    long n = read(report[0], &ppid, sizeof ppid);
    char eof;
    long end = read(report[0], &eof, 1);    /* 0 once the orphan has exited */
    close(report[0]);
    KTAP_EXPECT_EQ("orphan_reparented_to_kernel", n == (long)sizeof ppid ? ppid : -1, 0);
    long procs1 = kstat_get("procs");
    ktap_diag("procs before the orphan %ld, after it exited %ld", procs0, procs1);
    ktap_ok(end == 0 && procs1 == procs0, "orphan_reaped");
    return ktap_done();
}
