/* Signals, the basics: a handler runs and returns (registers and SSE state
 * intact), SA_SIGINFO says who sent it, masks defer delivery until the
 * signal is unblocked, SIGKILL and SIGSTOP cannot be caught or blocked,
 * ignored and default dispositions, kill(pid, 0), alarm + pause,
 * sigsuspend, stop/continue, fork inherits and exec resets, and wait
 * reports the signal that ended a child. */
#include "libc.h"
#include "ktap.h"

static volatile int usr1_count, usr2_count, alrm_count, last_sig;
static volatile struct kos_siginfo last_info;

static void on_usr1(int sig)
{
    usr1_count++;
    last_sig = sig;
    /* Clobber what the interrupted code may hold. */
    __asm__ volatile("pxor %%xmm5, %%xmm5; movq $-1, %%rax; movq %%rax, %%xmm6" ::: "rax", "xmm5", "xmm6");
}

static void on_usr2_info(int sig, struct kos_siginfo *info, void *uc)
{
    (void)uc;
    usr2_count++;
    last_sig = sig;
    last_info = *info;
}

static void on_alarm(int sig)
{
    (void)sig;
    alrm_count++;
}

static long set_action(int sig, uint64_t handler, uint64_t flags, kos_sigset_t mask)
{
    struct kos_sigaction act = { handler, flags, mask };
    return sigaction(sig, &act, NULL);
}

static int wait_child(long pid)
{
    int status = -1;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "probe") == 0) {
        /* After exec: report the dispositions we were given (exit code bits). */
        struct kos_sigaction a1, a2;
        kos_sigset_t mask = 0;
        sigaction(SIGUSR1, NULL, &a1);
        sigaction(SIGUSR2, NULL, &a2);
        sigprocmask(SIG_BLOCK, NULL, &mask);
        return (a1.handler == SIG_DFL ? 1 : 0) | (a2.handler == SIG_IGN ? 2 : 0) | (mask == KOS_SIGBIT(SIGTERM) ? 4 : 0);
    }
    if (argc > 1 && strcmp(argv[1], "sigint") == 0) {
        /* kernel/test/test_signal.c presses Ctrl-C while we wait. */
        kos_signal(SIGINT, on_usr1, 0);
        usr1_count = 0;
        printf("[signal_test] waiting for SIGINT\n");
        long r = -EINTR;        /* stays so if Ctrl-C came before the first pause */
        while (usr1_count == 0)
            r = pause();
        return r == -EINTR && last_sig == SIGINT ? 0 : 1;
    }
    if (argc > 1 && strcmp(argv[1], "wait") == 0) {
        for (;;)
            pause();
    }
    ktap_begin("signals", 16);
    long me = getpid();

    /* 1. A handler runs before kill() returns to us, and returns. */
    set_action(SIGUSR1, (uint64_t)on_usr1, 0, 0);
    unsigned long tag = 0x5157e55aa55ee5ULL, xmm5 = 0, xmm6 = 0;
    __asm__ volatile("movq %0, %%xmm5; movq %0, %%xmm6" : : "r"(tag) : "xmm5", "xmm6");
    long r = kill(me, SIGUSR1);
    __asm__ volatile("movq %%xmm5, %0; movq %%xmm6, %1" : "=r"(xmm5), "=r"(xmm6));
    ktap_ok(r == 0 && usr1_count == 1 && last_sig == SIGUSR1, "handler_runs_and_returns");
    ktap_ok(xmm5 == tag && xmm6 == tag, "sse_state_restored_after_handler");

    /* 2. SA_SIGINFO: signal number, sender, SI_USER. */
    set_action(SIGUSR2, (uint64_t)on_usr2_info, SA_SIGINFO, 0);
    kill(me, SIGUSR2);
    ktap_ok(usr2_count == 1 && last_info.signo == SIGUSR2 && last_info.pid == me && last_info.code == SI_USER,
            "siginfo_names_sender");

    /* 3. Blocked: pending until unblocked, then delivered once. */
    kos_sigset_t set = KOS_SIGBIT(SIGUSR1), old = 0;
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(me, SIGUSR1);
    kill(me, SIGUSR1);      /* coalesced with the first */
    int while_blocked = usr1_count;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    ktap_ok(old == 0 && while_blocked == 1 && usr1_count == 2, "mask_defers_until_unblocked");

    /* 4. SIGKILL and SIGSTOP: no handler, no ignoring, no blocking. */
    bool refused = set_action(SIGKILL, (uint64_t)on_usr1, 0, 0) == -EINVAL &&
                   set_action(SIGSTOP, SIG_IGN, 0, 0) == -EINVAL &&
                   set_action(0, SIG_IGN, 0, 0) == -EINVAL && set_action(32, SIG_IGN, 0, 0) == -EINVAL &&
                   set_action(SIGUSR1, 0xffff800000001000UL, 0, 0) == -EINVAL &&
                   set_action(SIGUSR1, (uint64_t)on_usr1, 0x100, 0) == -EINVAL;
    kos_sigset_t all = ~0ULL, now = 0;
    sigprocmask(SIG_SETMASK, &all, &old);
    sigprocmask(SIG_SETMASK, &old, &now);
    ktap_ok(refused && !(now & (KOS_SIGBIT(SIGKILL) | KOS_SIGBIT(SIGSTOP))) && (now & KOS_SIGBIT(SIGTERM)),
            "sigkill_sigstop_cannot_be_caught_or_blocked");
    long pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (;;)
            pause();
    }
    while (kstat_proc_state(pid) != 'S')
        sched_yield();
    kill(pid, SIGKILL);
    int st = wait_child(pid);
    ktap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "sigkill_ends_a_process_blocking_everything");

    /* 5. Ignored and default dispositions; wait reports the signal. */
    set_action(SIGUSR2, SIG_IGN, 0, 0);
    r = kill(me, SIGUSR2);
    ktap_ok(r == 0 && usr2_count == 1, "ignored_signal_dropped");
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    while (kstat_proc_state(pid) != 'S')
        sched_yield();
    kill(pid, SIGTERM);
    st = wait_child(pid);
    KTAP_EXPECT_EQ("default_sigterm_terminates_wait_reports_it", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGTERM);
    KTAP_EXPECT_EQ("default_sigchld_ignored_process_lives", getpid(), me);

    /* 6. kill(pid, 0) probes; bad numbers are refused. */
    bool probe = kill(me, 0) == 0 && kill(99999, 0) == -ESRCH && kill(me, 64) == -EINVAL &&
                 kill(0, SIGTERM) == -EINVAL && kill(-1, SIGTERM) == -EINVAL;
    ktap_ok(probe, "kill_probe_and_bad_arguments");

    /* 7. alarm + pause: pause returns -EINTR after the handler. */
    set_action(SIGALRM, (uint64_t)on_alarm, 0, 0);
    KTAP_EXPECT_EQ("alarm_first_returns_zero", alarm_ms(30), 0);
    r = pause();
    ktap_ok(r == -EINTR && alrm_count == 1, "alarm_interrupts_pause");

    /* 8. sigsuspend: swaps the mask for the wait, puts it back after. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(me, SIGUSR1);
    int before = usr1_count;
    kos_sigset_t none = 0;
    r = sigsuspend(&none);
    sigprocmask(SIG_BLOCK, NULL, &now);
    ktap_ok(r == -EINTR && usr1_count == before + 1 && now == KOS_SIGBIT(SIGUSR1), "sigsuspend_waits_with_its_mask");
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* 9. SIGSTOP freezes a spinner, SIGCONT resumes it. */
    pid = fork();
    if (pid == 0) {
        volatile unsigned long spin = 0;
        for (;;)
            spin++;
    }
    sleep_ms(100);
    kill(pid, SIGSTOP);
    sleep_ms(100);     /* it stops on its next way back to user mode */
    long t0 = kstat_proc_ticks(pid);
    sleep_ms(200);
    long t1 = kstat_proc_ticks(pid);
    kill(pid, SIGCONT);
    sleep_ms(200);
    long t2 = kstat_proc_ticks(pid);
    kill(pid, SIGKILL);
    wait_child(pid);
    ktap_diag("spinner ticks: %ld stopped, %ld after 200 ms stopped, %ld after 200 ms continued", t0, t1, t2);
    ktap_ok(t1 == t0 && t2 > t1, "sigstop_stops_sigcont_continues");

    /* 10. fork inherits handlers and mask; exec resets handlers, keeps SIG_IGN and the mask. */
    pid = fork();
    if (pid == 0) {
        struct kos_sigaction a;
        sigaction(SIGUSR1, NULL, &a);
        exit(a.handler == (uint64_t)on_usr1 ? 0 : 1);
    }
    st = wait_child(pid);
    ktap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork_inherits_handlers");
    pid = fork();
    if (pid == 0) {
        kos_sigset_t term = KOS_SIGBIT(SIGTERM);
        sigprocmask(SIG_SETMASK, &term, NULL);
        char *args[] = { "/bin/signal_test", "probe", NULL };
        execv("/bin/signal_test", args);
        exit(99);
    }
    st = wait_child(pid);
    KTAP_EXPECT_EQ("exec_resets_handlers_keeps_ignored_and_mask", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 7);
    return ktap_done();
}
