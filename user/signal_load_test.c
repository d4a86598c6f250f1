/* Signals under load: two processes exchange SIGNALS signals each way in
 * strict alternation (so none can be coalesced); each handler invocation is
 * counted, both counts must be exact, and the free page count is unchanged
 * after the child is reaped. */
#include "libc.h"
#include "ktap.h"

#define SIGNALS 10000

static volatile int got;

static void on_sig(int sig) { (void)sig; got++; }

int main(void)
{
    ktap_begin("signal_load", 3);
    long free0 = kstat_get("free_pages") + kstat_last("kernel_table_pages");
    struct kos_sigaction act = { (uint64_t)on_sig, 0, 0 };
    sigaction(SIGUSR1, &act, NULL);
    sigaction(SIGUSR2, &act, NULL);
    /* Blocked except inside sigsuspend: a signal is only taken while waiting for it. */
    kos_sigset_t both = KOS_SIGBIT(SIGUSR1) | KOS_SIGBIT(SIGUSR2), none = 0;
    sigprocmask(SIG_BLOCK, &both, NULL);
    long parent = getpid();
    int res[2];
    pipe(res);
    long child = fork();
    if (child == 0) {
        for (int i = 0; i < SIGNALS; i++) {
            while (got == i)
                sigsuspend(&none);
            kill(parent, SIGUSR2);
        }
        long n = got;
        write(res[1], &n, sizeof n);
        exit(0);
    }
    uint64_t c0 = rdtsc();
    for (int i = 0; i < SIGNALS; i++) {
        kill(child, SIGUSR1);
        while (got == i)
            sigsuspend(&none);
    }
    uint64_t c1 = rdtsc();
    long child_got = -1;
    read(res[0], &child_got, sizeof child_got);
    int st;
    waitpid(child, &st, 0);
    close(res[0]);
    close(res[1]);
    ktap_diag("%d signals each way, %lu cycles per exchange", SIGNALS, (unsigned long)((c1 - c0) / SIGNALS));
    KTAP_EXPECT_EQ("parent_counted_each_signal_once", got, SIGNALS);
    KTAP_EXPECT_EQ("child_counted_each_signal_once", child_got, SIGNALS);
    long free1 = kstat_get("free_pages") + kstat_last("kernel_table_pages");
    KTAP_EXPECT_EQ("free_pages_unchanged", free1, free0);
    return ktap_done();
}
