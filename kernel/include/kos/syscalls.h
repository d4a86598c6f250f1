/* The one syscall list. Everything else is generated from it: the numbers
 * (SYS_read = 8, kos/syscall.h), the kernel's dispatch table and handler
 * prototypes (kernel/sys/syscall.c, sys/syscall.h), the user wrappers' names
 * (user/lib/sys.c checks that each one exists) and the syscall table of
 * `kos report` (src/report reads this file).
 *
 * Format: one entry per line, nothing else on it but an optional comment:
 *
 *     X(NUMBER, name, KIND, user_wrapper)
 *
 *   NUMBER        decimal, unique, below SYS_MAX (the original report's
 *                 numbering; new numbers come from the team's shared table)
 *   name          lower case; the number is SYS_name, the kernel handler is
 *                 sys_name(const struct syscall_args *)
 *   KIND          SYS: implemented (a missing sys_name is a link error);
 *                 NOSYS: reserved, no handler, the call returns -ENOSYS
 *   user_wrapper  the user-space function that makes the call (the POSIX
 *                 name where one exists, user/lib/sys.h and friends)
 *
 * Adding a syscall is one line here plus its handler sys_name (and the user
 * wrapper). docs/ARCHITECTURE.md shows an example. */
#pragma once

#define KOS_SYSCALLS(X) \
    X(1, exit, SYS, exit) \
    X(2, yield, SYS, sched_yield) \
    X(3, log, SYS, kos_log) \
    X(4, mmap, SYS, mmap) \
    X(5, fork, SYS, fork) \
    X(6, exec, SYS, execv) \
    X(7, wait, SYS, wait) \
    X(8, read, SYS, read) \
    X(9, write, SYS, write) \
    X(10, open, SYS, open) \
    X(11, close, SYS, close) \
    X(12, stat, SYS, stat) \
    X(13, wasm_load, SYS, wasm_load) \
    X(14, wasm_exec, SYS, wasm_exec) \
    X(15, socket, SYS, socket) \
    X(16, bind, SYS, bind) \
    X(17, connect, SYS, connect) \
    X(18, listen, SYS, listen) \
    X(19, accept, SYS, accept) \
    X(20, send, SYS, send) \
    X(21, recv, SYS, recv) \
    X(22, sendto, SYS, sendto) \
    X(23, recvfrom, SYS, recvfrom) \
    X(24, munmap, SYS, munmap) \
    X(25, getpid, SYS, getpid) \
    X(26, unlink, SYS, unlink) \
    X(27, wasm_unload, SYS, wasm_unload) \
    X(28, getppid, SYS, getppid) \
    X(29, kill, SYS, kill) \
    X(30, sleep, SYS, sleep_ms) \
    X(31, pipe, SYS, pipe) \
    X(32, dup2, SYS, dup2) \
    X(33, waitpid, SYS, waitpid) \
    X(34, mprotect, SYS, mprotect) \
    X(35, poll, SYS, poll) \
    X(36, fcntl, SYS, fcntl) \
    X(37, getrandom, SYS, getrandom) \
    X(38, shutdown, SYS, shutdown) \
    X(39, setsockopt, SYS, setsockopt) \
    X(40, getsockopt, SYS, getsockopt) \
    X(41, getsockname, SYS, getsockname) \
    X(42, getpeername, SYS, getpeername) \
    X(50, sigaction, SYS, sigaction) \
    X(51, sigprocmask, SYS, sigprocmask) \
    X(52, sigreturn, SYS, kos_sigreturn) \
    X(53, sigsuspend, SYS, sigsuspend) \
    X(54, pause, SYS, pause) \
    X(55, alarm, SYS, alarm_ms) \
    X(60, profile_write, SYS, kos_profile_write) \
    /* end of the list */

/* One past the highest number the dispatch table can hold. */
#define SYS_MAX 64

/* Helpers for the expansions: KIND selects one of two macros by pasting. */
#define KOS_SYSCALL_IF_SYS(...) __VA_ARGS__
#define KOS_SYSCALL_IF_NOSYS(...)
#define KOS_SYSCALL_IF(kind, ...) KOS_SYSCALL_IF_##kind(__VA_ARGS__)
