/* Process syscalls: exit, yield, log, getpid. */
#include "sys/syscall.h"
#include "sys/uaccess.h"
#include "proc/proc.h"
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
    if (copy_from_user(buf, a->a0, len))
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
