/* Process benchmarks in rdtsc cycles (run as /bin/proc_bench:WHAT):
 *   ctxswitch  two processes ping-pong one byte through two pipes; each
 *              round trip is two switches
 *   fork       fork + child exit + wait, per iteration
 *   pipe       1 MiB through a pipe to a child, cycles per KiB
 *   signal     kill(self, SIGUSR1) -> handler -> sigreturn, per round trip */
#include "libc.h"
#include "ktap.h"

#define PINGPONG_ROUNDS 2000
#define FORK_ROUNDS 200
#define PIPE_BYTES (1024 * 1024)
#define SIGNAL_ROUNDS 2000

static volatile int signal_hits;

static void on_signal(int sig)
{
    (void)sig;
    signal_hits++;
}

static int bench_signal(void)
{
    struct kos_sigaction act = { (uint64_t)on_signal, 0, 0 };
    sigaction(SIGUSR1, &act, NULL);
    long me = getpid();
    uint64_t start = rdtsc();
    for (int i = 0; i < SIGNAL_ROUNDS; i++)
        kill(me, SIGUSR1);
    uint64_t cycles = rdtsc() - start;
    ktap_metric("signal_roundtrip_cycles", cycles / SIGNAL_ROUNDS, "cycles");
    KTAP_EXPECT_EQ("every_signal_handled", signal_hits, SIGNAL_ROUNDS);
    return ktap_done();
}

static int bench_ctxswitch(void)
{
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    long pid = fork();
    if (pid == 0) {
        char c;
        for (int i = 0; i < PINGPONG_ROUNDS; i++) {
            if (read(to_child[0], &c, 1) != 1)
                exit(1);
            write(to_parent[1], &c, 1);
        }
        exit(0);
    }
    char c = 'x';
    bool ok = true;
    uint64_t start = rdtsc();
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        write(to_child[1], &c, 1);
        if (read(to_parent[0], &c, 1) != 1)
            ok = false;
    }
    uint64_t cycles = rdtsc() - start;
    int st = -1;
    waitpid(pid, &st, 0);
    ktap_metric("context_switch_cycles", cycles / (PINGPONG_ROUNDS * 2), "cycles");
    ktap_ok(ok && WIFEXITED(st) && WEXITSTATUS(st) == 0, "pingpong_completed");
    return ktap_done();
}

static int bench_fork(void)
{
    bool ok = true;
    uint64_t start = rdtsc();
    for (int i = 0; i < FORK_ROUNDS; i++) {
        long pid = fork();
        if (pid == 0)
            exit(i & 0x7f);
        int st = -1;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || WEXITSTATUS(st) != (i & 0x7f))
            ok = false;
    }
    uint64_t cycles = rdtsc() - start;
    ktap_metric("fork_exit_wait_cycles", cycles / FORK_ROUNDS, "cycles");
    ktap_ok(ok, "fork_exit_wait_rounds");
    return ktap_done();
}

static int bench_pipe(void)
{
    static char buf[16384];
    int fds[2];
    pipe(fds);
    long pid = fork();
    if (pid == 0) {
        close(fds[0]);
        memset(buf, 'p', sizeof buf);
        for (long sent = 0; sent < PIPE_BYTES; sent += (long)sizeof buf)
            write(fds[1], buf, sizeof buf);
        exit(0);
    }
    close(fds[1]);
    long got = 0, n;
    uint64_t start = rdtsc();
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        got += n;
    uint64_t cycles = rdtsc() - start;
    waitpid(pid, NULL, 0);
    ktap_metric("pipe_cycles_per_kib", cycles / (PIPE_BYTES / 1024), "cycles");
    KTAP_EXPECT_EQ("pipe_bytes_moved", got, PIPE_BYTES);
    return ktap_done();
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    ktap_begin("proc_bench", 1);
    if (strcmp(what, "ctxswitch") == 0)
        return bench_ctxswitch();
    if (strcmp(what, "fork") == 0)
        return bench_fork();
    if (strcmp(what, "pipe") == 0)
        return bench_pipe();
    if (strcmp(what, "signal") == 0)
        return bench_signal();
    ktap_diag("unknown benchmark '%s' (ctxswitch, fork, pipe, signal)", what);
    ktap_ok(false, "known_benchmark");
    return ktap_done();
}
