/* A fork bomb meets the per-user process limit: fork returns -EAGAIN at
 * the limit (never a kernel out-of-memory), the kernel stays up, and every
 * process is reaped afterwards. */
#include "libc.h"
#include "ktap.h"

/* Every process forks until the limit says no, then waits for its children. */
static int bomb(int depth)
{
    int children = 0, eagain = 0;
    for (;;) {
        long pid = fork();
        if (pid == 0) {
            children = 0;
            depth++;
            continue;           /* the child forks too */
        }
        if (pid == -EAGAIN) {
            eagain = 1;
            break;
        }
        if (pid < 0)
            exit(100);      /* anything else (ENOMEM) is a failure */
        children++;
        if (children >= 4)
            break;
    }
    int bad = 0, st;
    long r;
    while ((r = wait(&st)) > 0)
        if (!WIFEXITED(st) || WEXITSTATUS(st) >= 100)
            bad = 1;
    if (r != -ECHILD)
        bad = 1;
    (void)eagain;
    return bad ? 101 : (depth > 99 ? 99 : depth);
}

int main(void)
{
    ktap_begin("fork_bomb", 6);
    long procs0 = kstat_get("procs");
    long user0 = kstat_get("user_procs");
    long ktables = kstat_get("kernel_table_pages");
    long free0 = kstat_last("free_pages") + ktables;

    /* Holders that block on a pipe until released: count forks until -EAGAIN. */
    int gate[2];
    pipe(gate);
    long n = 0, last = 0;
    for (;;) {
        last = fork();
        if (last == 0) {
            char c;
            close(gate[1]);
            read(gate[0], &c, 1);   /* EOF when the parent closes the write end */
            exit(0);
        }
        if (last < 0)
            break;
        n++;
    }
    long limit = kstat_get("user_procs");
    ktap_diag("%ld holders forked, then fork returned %ld; user processes %ld", n, last, limit);
    KTAP_EXPECT_EQ("fork_at_limit_eagain", last, -EAGAIN);
    ktap_ok(n > 4 && n + user0 == limit, "limit_counts_every_process_of_the_user");
    close(gate[1]);
    close(gate[0]);
    long reaped = 0, r;
    int st;
    while ((r = wait(&st)) > 0)
        reaped++;
    KTAP_EXPECT_EQ("holders_all_reaped", reaped, n);

    /* A real bomb: every child forks as well. */
    long bomber = fork();
    if (bomber == 0)
        exit(bomb(0));
    waitpid(bomber, &st, 0);
    ktap_diag("bomb root exit status 0x%x", st);
    ktap_ok(WIFEXITED(st) && WEXITSTATUS(st) < 100, "bomb_hit_the_limit_cleanly");
    long procs1 = kstat_get("procs");
    ktables = kstat_get("kernel_table_pages");
    long free1 = kstat_last("free_pages") + ktables;
    ktap_diag("procs %ld -> %ld, free pages %ld -> %ld", procs0, procs1, free0, free1);
    KTAP_EXPECT_EQ("process_table_restored", procs1, procs0);
    KTAP_EXPECT_EQ("free_pages_restored", free1, free0);
    return ktap_done();
}
