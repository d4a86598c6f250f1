/* Signals from the kernel and into blocking syscalls: SIGCHLD when a child
 * exits (with its pid and status), SIGPIPE (kills by default; -EPIPE when
 * handled), SIGSEGV caught with the faulting address and repaired so the
 * program continues (a handler that does not repair it faults again), and
 * a pipe read, a sleep and a wait interrupted by a signal: -EINTR, or the
 * call restarts under SA_RESTART. */
#include "libc.h"
#include "ktap.h"

#define PAGE 4096

/* What the handlers saw: how many deliveries, and the SA_SIGINFO handlers'
 * last siginfo. */
static volatile int chld_count, pipe_count, usr1_count, segv_count;
static volatile struct kos_siginfo chld_info, segv_info;
static char *volatile fault_page;
static volatile int repair_after = 1;

static void on_chld(int sig, struct kos_siginfo *info, void *uc)
{
    (void)sig;
    (void)uc;
    chld_count++;
    chld_info = *info;
}

static void on_pipe(int sig) { (void)sig; pipe_count++; }
static void on_usr1(int sig) { (void)sig; usr1_count++; }

static void on_segv(int sig, struct kos_siginfo *info, void *uc)
{
    (void)sig;
    (void)uc;
    segv_count++;
    segv_info = *info;
    if (segv_count >= repair_after)
        mprotect((void *)((uint64_t)fault_page & ~(uint64_t)(PAGE - 1)), PAGE, PROT_READ | PROT_WRITE);
}

static long set_action(int sig, uint64_t handler, uint64_t flags)
{
    struct kos_sigaction act = { handler, flags, 0 };
    return sigaction(sig, &act, NULL);
}

static void wait_sleeping(long pid)
{
    while (kstat_proc_state(pid) != 'S')
        sched_yield();
}

/* A child blocked reading an empty pipe gets SIGUSR1; what did its read return? */
static long interrupted_read(uint64_t flags, bool then_write)
{
    int fds[2], res[2];
    pipe(fds);
    pipe(res);
    long pid = fork();
    if (pid == 0) {
        set_action(SIGUSR1, (uint64_t)on_usr1, flags);
        char c = 0;
        long r = read(fds[0], &c, 1);
        long out[2] = { r, c + 1000L * usr1_count };
        write(res[1], out, sizeof out);
        exit(0);
    }
    /* Sleeping in read: a signal now cannot come before the read. */
    wait_sleeping(pid);
    kill(pid, SIGUSR1);
    if (then_write) {
        wait_sleeping(pid);     /* restarted: asleep in read again */
        write(fds[1], "z", 1);
    }
    long out[2] = { -1, -1 };
    read(res[0], out, sizeof out);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 2; i++) {
        close(fds[i]);
        close(res[i]);
    }
    ktap_diag("read returned %ld, byte+1000*handlers %ld", out[0], out[1]);
    if (then_write)
        return out[0] == 1 && out[1] == 'z' + 1000 ? 0 : -1;
    return out[0] == -EINTR && out[1] == 1000 ? 0 : -1;
}

int main(void)
{
    ktap_begin("signal_ipc", 11);
    long me = getpid();

    /* SIGCHLD with the child's pid and wait status. */
    set_action(SIGCHLD, (uint64_t)on_chld, SA_SIGINFO | SA_RESTART);
    long pid = fork();
    if (pid == 0)
        exit(7);
    int st = 0;
    waitpid(pid, &st, 0);
    ktap_ok(chld_count == 1 && chld_info.pid == pid && chld_info.status == (7 << 8) && WEXITSTATUS(st) == 7,
            "sigchld_on_child_exit");
    set_action(SIGCHLD, SIG_DFL, 0);

    /* SIGPIPE: the default kills the writer; a handler sees it and gets -EPIPE. */
    int p[2];
    pipe(p);
    close(p[0]);
    pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        exit(0);
    }
    waitpid(pid, &st, 0);
    KTAP_EXPECT_EQ("sigpipe_default_kills_writer", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGPIPE);
    set_action(SIGPIPE, (uint64_t)on_pipe, 0);
    long r = write(p[1], "x", 1);
    ktap_ok(r == -EPIPE && pipe_count == 1, "sigpipe_handled_write_gets_epipe");
    close(p[1]);

    /* SIGSEGV with the faulting address; the handler repairs the page. */
    fault_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
    set_action(SIGSEGV, (uint64_t)on_segv, SA_SIGINFO);
    char *target = fault_page + 123;
    *(volatile char *)target = 42;
    ktap_ok(segv_count == 1 && segv_info.addr == (uint64_t)target && segv_info.code == SEGV_ACCERR && fault_page[123] == 42,
            "sigsegv_handler_gets_address_and_repairs");
    /* Not repaired the first two times: the same write faults again. */
    fault_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    segv_count = 0;
    repair_after = 3;
    *(volatile char *)(fault_page + 8) = 1;
    ktap_ok(segv_count == 3 && fault_page[8] == 1, "unrepaired_fault_faults_again");
    /* A fault while SIGSEGV is blocked ends the process. */
    pid = fork();
    if (pid == 0) {
        kos_sigset_t segv = KOS_SIGBIT(SIGSEGV);
        sigprocmask(SIG_BLOCK, &segv, NULL);
        *(volatile int *)16 = 1;
        exit(0);
    }
    waitpid(pid, &st, 0);
    KTAP_EXPECT_EQ("blocked_sigsegv_fault_kills", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSEGV);

    /* EINTR and SA_RESTART on a pipe read. */
    KTAP_EXPECT_EQ("pipe_read_interrupted_eintr", interrupted_read(0, false), 0);
    KTAP_EXPECT_EQ("pipe_read_restarts_with_sa_restart", interrupted_read(SA_RESTART, true), 0);

    /* sleep: -EINTR after an alarm; restarted under SA_RESTART (sleeps again in full). */
    set_action(SIGALRM, (uint64_t)on_usr1, 0);
    long t0 = kstat_get("ticks"), hz = kstat_last("hz");
    alarm_ms(50);
    r = sleep_ms(5000);
    long took = kstat_get("ticks") - t0;
    ktap_diag("sleep(5000) returned %ld after %ld ticks", r, took);
    ktap_ok(r == -EINTR && took < hz * 5, "sleep_interrupted_eintr");
    set_action(SIGALRM, (uint64_t)on_usr1, SA_RESTART);
    int before = usr1_count;
    t0 = kstat_get("ticks");
    alarm_ms(30);
    r = sleep_ms(200);
    took = kstat_get("ticks") - t0;
    ktap_diag("sleep(200) with SA_RESTART returned %ld after %ld ticks", r, took);
    ktap_ok(r == 0 && usr1_count == before + 1 && took >= hz * 200 / 1000, "sleep_restarts_with_sa_restart");

    /* waitpid: -EINTR when a handled signal comes first. */
    set_action(SIGALRM, (uint64_t)on_usr1, 0);
    pid = fork();
    if (pid == 0) {
        sleep_ms(1000);
        exit(0);
    }
    alarm_ms(30);
    r = waitpid(pid, &st, 0);
    KTAP_EXPECT_EQ("wait_interrupted_eintr", r, -EINTR);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    (void)me;
    return ktap_done();
}
