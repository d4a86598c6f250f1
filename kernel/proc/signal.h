#pragma once
/* Signals (ABI in include/kos/signal.h): per-process pending and blocked
 * sets and a handler table in struct proc; delivery on every return to
 * user mode (sched_user_return) through a frame on the user stack that
 * sigreturn checks before restoring it. */
#include <stdint.h>
#include <stdbool.h>
#include <kos/signal.h>
#include "arch/x86_64/trap.h"

struct proc;

/* Boot: the trampoline page every address space maps at KOS_SIGTRAMP_VA. */
void signal_init(void);
/* Map the trampoline (read-only, executable, user) into a new image. 0 or -ENOMEM. */
int signal_map_trampoline(uint64_t pml4);

/* Post sig to q (info may be NULL: SI_KERNEL). SIGKILL ends q, SIGCONT
 * resumes it; an ignored signal is dropped; a deliverable one wakes a
 * sleeping q (its syscall returns -EINTR or restarts). */
void signal_send(struct proc *q, int sig, const struct kos_siginfo *info);
/* The same to the current process (SIGPIPE from pipes and stream sockets). */
void signal_raise(int sig);
/* A signal the current process would act on now: sleeping syscalls stop. */
bool signal_deliverable(const struct proc *p);
/* On the way back to user mode: act on pending signals (handler, default
 * action, restart of an interrupted syscall). May not return. */
void signal_deliver(struct trapframe *tf);
/* A CPU exception in user mode: to the handler when one is installed and
 * the signal is not blocked, else the process ends with reason. */
void signal_fault(struct trapframe *tf, int sig, int code, uint64_t addr, const char *reason);
/* The wait status signal number for a CPU exception vector. */
int signal_for_vector(uint64_t vector);
/* fork: handlers and mask are inherited, nothing pending. exec: handlers reset. */
void signal_fork(struct proc *child, const struct proc *parent);
void signal_exec(struct proc *p);
/* kill(pid, sig): 0, -EINVAL, -ESRCH, -EPERM. */
int signal_kill(int pid, int sig);
const char *signal_name(int sig);
/* The program Ctrl-C on the console sends SIGINT to (proc_spawn sets it:
 * the kernel runs one program at a time). NULL: nobody. */
void signal_set_foreground(const struct proc *p);

/* The work of the signal syscalls, on their raw arguments (the handlers in
 * sys/sys_signal.c pass them on): sigaction(sig, act, oldact),
 * sigprocmask(how, set, oldset), sigreturn(), sigsuspend(mask), pause(),
 * alarm(ms). */
int64_t signal_sigaction(uint64_t a0, uint64_t a1, uint64_t a2);
int64_t signal_sigprocmask(uint64_t a0, uint64_t a1, uint64_t a2);
int64_t signal_sigreturn(void);
int64_t signal_sigsuspend(uint64_t a0);
int64_t signal_pause(void);
int64_t signal_alarm(uint64_t a0);

/* Ctrl-C on the console (the console driver registers it with the UART):
 * SIGINT to the foreground program. Interrupt context. */
void signal_console_interrupt(void);
