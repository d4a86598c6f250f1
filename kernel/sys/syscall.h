#pragma once
#include <stdint.h>
#include "arch/x86_64/trap.h"

struct syscall_args {
    uint64_t a0, a1, a2, a3, a4, a5;
};

typedef int64_t (*syscall_fn)(const struct syscall_args *args);

void syscall_dispatch(struct trapframe *tf);
/* True when nr has an entry in the table. */
int syscall_implemented(uint64_t nr);

int64_t sys_exit(const struct syscall_args *a);
int64_t sys_yield(const struct syscall_args *a);
int64_t sys_log(const struct syscall_args *a);
int64_t sys_getpid(const struct syscall_args *a);
int64_t sys_mmap(const struct syscall_args *a);
int64_t sys_munmap(const struct syscall_args *a);
int64_t sys_mprotect(const struct syscall_args *a);
int64_t sys_read(const struct syscall_args *a);
int64_t sys_write(const struct syscall_args *a);
int64_t sys_open(const struct syscall_args *a);
int64_t sys_close(const struct syscall_args *a);
int64_t sys_stat(const struct syscall_args *a);
int64_t sys_unlink(const struct syscall_args *a);
int64_t sys_getppid(const struct syscall_args *a);
int64_t sys_fork(const struct syscall_args *a);
int64_t sys_exec(const struct syscall_args *a);
int64_t sys_wait(const struct syscall_args *a);
int64_t sys_waitpid(const struct syscall_args *a);
int64_t sys_kill(const struct syscall_args *a);
int64_t sys_sleep(const struct syscall_args *a);
int64_t sys_pipe(const struct syscall_args *a);
int64_t sys_dup2(const struct syscall_args *a);
int64_t sys_getrandom(const struct syscall_args *a);
