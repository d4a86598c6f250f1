/* The syscall table: one line per implemented syscall; a number without an
 * entry returns -ENOSYS. ABI in include/kos/syscall.h. */
#include "sys/syscall.h"
#include <kos/syscall.h>
#include <kos/errno.h>

/* Socket syscalls: kernel/net/net_syscalls.c. Weak so this table links on
 * its own; an unresolved one is NULL and dispatches as -ENOSYS. */
#define WEAK_SYSCALL(name) int64_t name(const struct syscall_args *a) __attribute__((weak))
WEAK_SYSCALL(sys_socket);
WEAK_SYSCALL(sys_bind);
WEAK_SYSCALL(sys_connect);
WEAK_SYSCALL(sys_send);
WEAK_SYSCALL(sys_recv);
WEAK_SYSCALL(sys_sendto);
WEAK_SYSCALL(sys_recvfrom);

/* WebAssembly syscalls: kernel/sys/sys_wasm.c, weak for the same reason. */
WEAK_SYSCALL(sys_wasm_load);
WEAK_SYSCALL(sys_wasm_exec);
WEAK_SYSCALL(sys_wasm_unload);

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
    [SYS_SOCKET] = sys_socket,
    [SYS_BIND] = sys_bind,
    [SYS_CONNECT] = sys_connect,
    [SYS_SEND] = sys_send,
    [SYS_RECV] = sys_recv,
    [SYS_SENDTO] = sys_sendto,
    [SYS_RECVFROM] = sys_recvfrom,
    [SYS_MUNMAP] = sys_munmap,
    [SYS_GETPID] = sys_getpid,
    [SYS_UNLINK] = sys_unlink,
    [SYS_FORK] = sys_fork,
    [SYS_EXEC] = sys_exec,
    [SYS_WAIT] = sys_wait,
    [SYS_GETPPID] = sys_getppid,
    [SYS_KILL] = sys_kill,
    [SYS_SLEEP] = sys_sleep,
    [SYS_PIPE] = sys_pipe,
    [SYS_DUP2] = sys_dup2,
    [SYS_WAITPID] = sys_waitpid,
    [SYS_MPROTECT] = sys_mprotect,
    [SYS_GETRANDOM] = sys_getrandom,
    [SYS_WASM_LOAD] = sys_wasm_load,
    [SYS_WASM_EXEC] = sys_wasm_exec,
    [SYS_WASM_UNLOAD] = sys_wasm_unload,
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
