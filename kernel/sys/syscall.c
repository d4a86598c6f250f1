/* The syscall table: one line per implemented syscall; a number without an
 * entry returns -ENOSYS. ABI in include/kos/syscall.h. */
#include "sys/syscall.h"
#include <kos/syscall.h>
#include <kos/errno.h>

static const syscall_fn syscall_table[SYS_MAX] = {
    [SYS_EXIT] = sys_exit,
    [SYS_YIELD] = sys_yield,
    [SYS_LOG] = sys_log,
    [SYS_MMAP] = sys_mmap,
    [SYS_READ] = sys_read,
    [SYS_WRITE] = sys_write,
    [SYS_OPEN] = sys_open,
    [SYS_CLOSE] = sys_close,
    [SYS_STAT] = sys_stat,
    [SYS_MUNMAP] = sys_munmap,
    [SYS_GETPID] = sys_getpid,
    [SYS_UNLINK] = sys_unlink,
};

int syscall_implemented(uint64_t nr)
{
    return nr < SYS_MAX && syscall_table[nr] != 0;
}

void syscall_dispatch(struct trapframe *tf)
{
    uint64_t nr = tf->rax;
    if (!syscall_implemented(nr)) {
        tf->rax = (uint64_t)-ENOSYS;
        return;
    }
    struct syscall_args a = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
    tf->rax = (uint64_t)syscall_table[nr](&a);
}
