/* fork: return values, distinct pids, getppid, and memory isolation after
 * writes on both sides (globals, stack, heap from mmap). */
#include "libc.h"
#include "ktap.h"

static volatile long global_value = 1000;

int main(void)
{
    ktap_begin("fork", 9);
    long me = getpid();
    volatile long stack_value = 2000;
    long *heap = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    heap[0] = 3000;
    heap[1000] = 3001;
    int fds[2];
    pipe(fds);

    long pid = fork();
    if (pid == 0) {
        /* Child: report what it saw before and after its own writes through the pipe. */
        long seen[8];
        seen[0] = getpid();
        seen[1] = getppid();
        seen[2] = global_value;
        seen[3] = stack_value;
        seen[4] = heap[0];
        global_value = 1111;
        stack_value = 2222;
        heap[0] = 3333;
        sleep_ms(50);  /* let the parent write its own values meanwhile */
        seen[5] = global_value;
        seen[6] = stack_value;
        seen[7] = heap[0] + heap[1000];
        write(fds[1], seen, sizeof seen);
        exit(7);
    }
    ktap_ok(pid > 0 && pid != me, "fork_returns_child_pid_in_parent");
    global_value = 1999;
    stack_value = 2999;
    heap[0] = 3999;
    long seen[8];
    long got = 0, n;
    while (got < (long)sizeof seen && (n = read(fds[0], (char *)seen + got, sizeof seen - (size_t)got)) > 0)
        got += n;
    KTAP_EXPECT_EQ("child_report_complete", got, (long)sizeof seen);
    ktap_ok(seen[0] == pid && seen[0] != me, "child_pid_is_distinct_and_matches");
    KTAP_EXPECT_EQ("child_getppid_is_parent", seen[1], me);
    ktap_ok(seen[2] == 1000 && seen[3] == 2000 && seen[4] == 3000, "child_sees_parent_memory_at_fork");
    ktap_ok(seen[5] == 1111 && seen[6] == 2222 && seen[7] == 3333 + 3001, "child_keeps_its_own_writes");
    ktap_ok(global_value == 1999 && stack_value == 2999 && heap[0] == 3999 && heap[1000] == 3001,
            "parent_keeps_its_own_writes");
    int status = -1;
    KTAP_EXPECT_EQ("wait_returns_child", waitpid(pid, &status, 0), pid);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 7, "child_exit_code_seen");
    return ktap_done();
}
