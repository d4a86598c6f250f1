/* The syscall table, generated from the list in kos/syscalls.h: one slot per
 * implemented syscall; a number without one returns -ENOSYS. */
#include "sys/syscall.h"
#include <kos/syscall.h>
#include <kos/errno.h>

#define KOS_SYSCALL_SLOT(nr, name, kind, user) KOS_SYSCALL_IF(kind, [nr] = sys_##name,)
static const syscall_fn syscall_table[SYS_MAX] = {
    KOS_SYSCALLS(KOS_SYSCALL_SLOT)
};
#undef KOS_SYSCALL_SLOT

/* Compile-time checks of the list: every number below SYS_MAX, none twice
 * (a repeated number is a duplicate case label). */
#define KOS_SYSCALL_IN_RANGE(nr, name, kind, user) \
    _Static_assert(nr > 0 && nr < SYS_MAX, "syscall " #name ": number out of range");
KOS_SYSCALLS(KOS_SYSCALL_IN_RANGE)
#undef KOS_SYSCALL_IN_RANGE
#define KOS_SYSCALL_CASE(nr, name, kind, user) case nr:
__attribute__((unused)) static void syscall_numbers_unique(int nr)
{
    switch (nr) {
        KOS_SYSCALLS(KOS_SYSCALL_CASE)
        break;
    }
}
#undef KOS_SYSCALL_CASE

void syscall_init(void)
{
    trap_set_syscall(syscall_dispatch);
}

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
