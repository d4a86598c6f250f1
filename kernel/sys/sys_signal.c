/* The signal syscalls (50-55); the work is in proc/signal.c. */
#include "sys/syscall.h"
#include "proc/signal.h"

int64_t sys_sigaction(const struct syscall_args *a) { return signal_sigaction(a->a0, a->a1, a->a2); }
int64_t sys_sigprocmask(const struct syscall_args *a) { return signal_sigprocmask(a->a0, a->a1, a->a2); }
int64_t sys_sigreturn(const struct syscall_args *a) { (void)a; return signal_sigreturn(); }
int64_t sys_sigsuspend(const struct syscall_args *a) { return signal_sigsuspend(a->a0); }
int64_t sys_pause(const struct syscall_args *a) { (void)a; return signal_pause(); }
int64_t sys_alarm(const struct syscall_args *a) { return signal_alarm(a->a0); }
