/* exec: argv arrives intact (through a pipe the child's stdout was dup2'ed
 * to), descriptors survive exec; a bad path is -ENOENT, a bad image
 * -ENOEXEC, bad arguments -EFAULT/-E2BIG, and the caller keeps running. */
#include "libc.h"
#include "ktap.h"

static volatile long canary = 0x5eed;

static long read_all(int fd, char *buf, long max)
{
    long got = 0, n;
    while (got < max && (n = sys_read(fd, buf + got, (size_t)(max - got))) > 0)
        got += n;
    return got;
}

int main(void)
{
    ktap_begin("exec", 11);
    char *argv_ok[] = { "exec_target", "alpha", "beta gamma", "", "last-word", NULL };
    char *argv_bad[] = { "x", NULL };

    KTAP_EXPECT_EQ("exec_missing_path_enoent", sys_exec("/bin/no_such_program", argv_bad), -ENOENT);
    KTAP_EXPECT_EQ("exec_bad_image_enoexec", sys_exec("/badelf/truncated.elf", argv_bad), -ENOEXEC);
    KTAP_EXPECT_EQ("exec_bad_magic_enoexec", sys_exec("/badelf/bad_magic.elf", argv_bad), -ENOEXEC);
    KTAP_EXPECT_EQ("exec_null_path_efault", sys_exec(NULL, argv_bad), -EFAULT);
    KTAP_EXPECT_EQ("exec_bad_argv_efault", sys_exec("/bin/exec_target", (char **)0x20000000UL), -EFAULT);
    char *too_many[20];
    for (int i = 0; i < 19; i++)
        too_many[i] = "w";
    too_many[19] = NULL;
    KTAP_EXPECT_EQ("exec_too_many_args_e2big", sys_exec("/bin/exec_target", too_many), -E2BIG);
    ktap_ok(canary == 0x5eed && sys_getpid() > 0, "caller_survives_failed_exec");

    int fds[2];
    sys_pipe(fds);
    long pid = sys_fork();
    if (pid == 0) {
        sys_dup2(fds[1], 1);
        sys_close(fds[0]);
        sys_close(fds[1]);
        sys_exec("/bin/exec_target", argv_ok);
        sys_exit(99);   /* exec failed */
    }
    sys_close(fds[1]);
    char buf[256];
    long n = read_all(fds[0], buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    const char *want = "argc=5|exec_target|alpha|beta gamma||last-word|";
    ktap_ok(strcmp(buf, want) == 0, "argv_arrives_intact");
    if (strcmp(buf, want) != 0)
        ktap_diag("got '%s', want '%s'", buf, want);
    int status = 0;
    KTAP_EXPECT_EQ("wait_exec_child", sys_waitpid(pid, &status, 0), pid);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 42, "exec_image_exit_code");
    ktap_ok(n > 0, "descriptors_survive_exec");
    sys_close(fds[0]);
    return ktap_done();
}
