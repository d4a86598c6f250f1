/* Process syscalls: exit, yield, log, getpid, getppid, fork, exec, wait,
 * waitpid, kill, sleep. */
#include "sys/syscall.h"
#include "mm/uaccess.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "fs/file.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <kos/errno.h>

int64_t sys_exit(const struct syscall_args *a)
{
    proc_exit((int)a->a0);
}

int64_t sys_yield(const struct syscall_args *a)
{
    (void)a;
    proc_yield();
    return 0;
}

#define LOG_MAX 256

/* log(msg, len): one console line "[log pid N] msg"; len at most 256. */
int64_t sys_log(const struct syscall_args *a)
{
    uint64_t len = a->a1;
    if (len > LOG_MAX)
        return -EINVAL;
    char buf[LOG_MAX + 1];
    if (copyin(buf, a->a0, len))
        return -EFAULT;
    buf[len] = 0;
    struct proc *p = proc_current();
    kprintf("[log pid %d] %.*s\n", p->pid, (int)len, buf);
    return (int64_t)len;
}

int64_t sys_getpid(const struct syscall_args *a)
{
    (void)a;
    return proc_current()->pid;
}

int64_t sys_getppid(const struct syscall_args *a)
{
    (void)a;
    struct proc *parent = proc_current()->parent;
    return parent ? parent->pid : 0;
}

int64_t sys_fork(const struct syscall_args *a)
{
    (void)a;
    return proc_fork();
}

/* exec(path, argv): argv is a NULL-terminated array of at most ARGV_MAX
 * strings (NULL argv: just the path's base name). */
int64_t sys_exec(const struct syscall_args *a)
{
    static char path[PATH_MAX];
    static char args[ARGV_MAX][ARG_MAX_LEN];
    char *argv[ARGV_MAX];
    int err = copyinstr(path, a->a0, sizeof path);
    if (err)
        return err;
    int argc = 0;
    if (a->a1) {
        for (;; argc++) {
            uint64_t uptr;
            if (copyin(&uptr, a->a1 + (uint64_t)argc * 8, sizeof uptr))
                return -EFAULT;
            if (!uptr)
                break;
            if (argc == ARGV_MAX)
                return -E2BIG;
            err = copyinstr(args[argc], uptr, ARG_MAX_LEN);
            if (err)
                return err == -ENAMETOOLONG ? -E2BIG : err;
            argv[argc] = args[argc];
        }
    }
    if (argc == 0) {
        const char *base = path;
        for (const char *s = path; *s; s++)
            if (*s == '/')
                base = s + 1;
        strlcpy(args[0], base, ARG_MAX_LEN);
        argv[0] = args[0];
        argc = 1;
    }
    return proc_exec(path, argc, argv);
}

int64_t sys_wait(const struct syscall_args *a)
{
    return proc_waitpid(-1, a->a0, 0);
}

/* waitpid(pid, status, options): pid -1 is any child; options WNOHANG. */
int64_t sys_waitpid(const struct syscall_args *a)
{
    if ((int64_t)a->a0 < -1 || (int64_t)a->a0 > 0x7fffffff || a->a2 > 0xffffffffULL)
        return -EINVAL;
    return proc_waitpid((int)(int64_t)a->a0, a->a1, (int)a->a2);
}

int64_t sys_kill(const struct syscall_args *a)
{
    /* kill(pid, sig): every signal; sig 0 only checks pid. */
    if ((int64_t)a->a0 <= 0 || a->a0 > 0x7fffffff)
        return (int64_t)a->a0 <= 0 ? -EINVAL : -ESRCH;
    if (a->a1 >= KOS_NSIG)
        return -EINVAL;
    return signal_kill((int)a->a0, (int)a->a1);
}

int64_t sys_sleep(const struct syscall_args *a)
{
    return proc_sleep_ms(a->a0);
}
