#pragma once
#include <stdint.h>
#include "arch/x86_64/trap.h"
#include <kos/syscalls.h>

struct syscall_args {
    uint64_t a0, a1, a2, a3, a4, a5;
};

typedef int64_t (*syscall_fn)(const struct syscall_args *args);

/* Registers syscall_dispatch as the handler of the syscall gate. */
void syscall_init(void);
void syscall_dispatch(struct trapframe *tf);
/* True when nr has a handler (an entry of kind SYS in kos/syscalls.h). */
int syscall_implemented(uint64_t nr);

/* One handler per implemented entry of kos/syscalls.h: sys_exit, sys_read, ... */
#define KOS_SYSCALL_PROTOTYPE(nr, name, kind, user) \
    KOS_SYSCALL_IF(kind, int64_t sys_##name(const struct syscall_args *a);)
KOS_SYSCALLS(KOS_SYSCALL_PROTOTYPE)
#undef KOS_SYSCALL_PROTOTYPE
