/* exec: argv arrives intact (through a pipe the child's stdout was dup2'ed
 * to), descriptors survive exec; a bad path is -ENOENT, a bad image
 * -ENOEXEC, bad arguments -EFAULT/-E2BIG, and the caller keeps running.
 * Images come from the initrd or from in-memory (ramfs) files. */
#include "libc.h"
#include "ktap.h"

static volatile long canary = 0x5eed;

static long read_all(int fd, char *buf, long max)
{
    long got = 0, n;
    while (got < max && (n = read(fd, buf + got, (size_t)(max - got))) > 0)
        got += n;
    return got;
}

int main(void)
{
    ktap_begin("exec", 14);
    char *argv_ok[] = { "exec_target", "alpha", "beta gamma", "", "last-word", NULL };
    char *argv_bad[] = { "x", NULL };

    KTAP_EXPECT_EQ("exec_missing_path_enoent", execv("/bin/no_such_program", argv_bad), -ENOENT);
    KTAP_EXPECT_EQ("exec_bad_image_enoexec", execv("/badelf/truncated.elf", argv_bad), -ENOEXEC);
    KTAP_EXPECT_EQ("exec_bad_magic_enoexec", execv("/badelf/bad_magic.elf", argv_bad), -ENOEXEC);
    KTAP_EXPECT_EQ("exec_null_path_efault", execv(NULL, argv_bad), -EFAULT);
    KTAP_EXPECT_EQ("exec_bad_argv_efault", execv("/bin/exec_target", (char **)0x20000000UL), -EFAULT);
    char *too_many[20];
    for (int i = 0; i < 19; i++)
        too_many[i] = "w";
    too_many[19] = NULL;
    KTAP_EXPECT_EQ("exec_too_many_args_e2big", execv("/bin/exec_target", too_many), -E2BIG);
    ktap_ok(canary == 0x5eed && getpid() > 0, "caller_survives_failed_exec");

    int fds[2];
    pipe(fds);
    long pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv("/bin/exec_target", argv_ok);
        exit(99);   /* exec failed */
    }
    close(fds[1]);
    char buf[256];
    long n = read_all(fds[0], buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    const char *want = "argc=5|exec_target|alpha|beta gamma||last-word|";
    ktap_ok(strcmp(buf, want) == 0, "argv_arrives_intact");
    if (strcmp(buf, want) != 0)
        ktap_diag("got '%s', want '%s'", buf, want);
    int status = 0;
    KTAP_EXPECT_EQ("wait_exec_child", waitpid(pid, &status, 0), pid);
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 42, "exec_image_exit_code");
    ktap_ok(n > 0, "descriptors_survive_exec");
    close(fds[0]);

    /* In-memory files: copy the program into ramfs and run that copy; a
     * file of garbage is -ENOEXEC. */
    static char image[262144];
    long in = open("/bin/exec_target", O_RDONLY), len = 0;
    if (in >= 0) {
        len = read_all((int)in, image, sizeof image);
        close((int)in);
    }
    long out = open("/tmp_exec_target", O_WRONLY | O_CREAT | O_TRUNC);
    bool copied = len > 0 && len < (long)sizeof image && out >= 0 && write((int)out, image, (size_t)len) == len;
    close((int)out);
    long junk = open("/tmp_junk", O_WRONLY | O_CREAT | O_TRUNC);
    write((int)junk, "#!not an elf\n", 13);
    close((int)junk);
    KTAP_EXPECT_EQ("exec_ramfs_garbage_enoexec", execv("/tmp_junk", argv_bad), -ENOEXEC);
    pipe(fds);
    pid = fork();
    if (pid == 0) {
        char *argv_ram[] = { "ram", "copy", NULL };
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv("/tmp_exec_target", argv_ram);
        exit(99);
    }
    close(fds[1]);
    n = read_all(fds[0], buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    close(fds[0]);
    status = 0;
    waitpid(pid, &status, 0);
    ktap_ok(copied && strcmp(buf, "argc=2|ram|copy|") == 0, "exec_from_ramfs_file");
    ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 42, "ramfs_image_exit_code");
    unlink("/tmp_exec_target");
    unlink("/tmp_junk");
    return ktap_done();
}
