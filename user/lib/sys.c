#include "sys.h"
#include "net.h"
#include "wasm.h"

/* One entry function per gate: syscall6 through the syscall instruction
 * (the CPU keeps the return rip in rcx and rflags in r11, so both are
 * clobbered), syscall6_int80 through the original int $0x80. */
#define SYSCALL_GATE(fn, insn, ...)                                                                 \
    long fn(long nr, long a0, long a1, long a2, long a3, long a4, long a5)                          \
    {                                                                                               \
        register long r10 __asm__("r10") = a3;                                                      \
        register long r8 __asm__("r8") = a4;                                                        \
        register long r9 __asm__("r9") = a5;                                                        \
        long ret;                                                                                   \
        __asm__ volatile(insn                                                                       \
                         : "=a"(ret)                                                                \
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)           \
                         : "memory", ##__VA_ARGS__);                                                \
        return ret;                                                                                 \
    }
SYSCALL_GATE(syscall6, "syscall", "rcx", "r11")
SYSCALL_GATE(syscall6_int80, "int $0x80")
#undef SYSCALL_GATE

/* Every entry of kos/syscalls.h names its user wrapper: one that does not
 * exist (or is misspelt) fails the build here. */
#define KOS_USER_WRAPPER(nr, name, kind, user) (const void *)user,
__attribute__((used)) static const void *const user_wrappers[] = {
    KOS_SYSCALLS(KOS_USER_WRAPPER)
};
#undef KOS_USER_WRAPPER

void exit(int status)
{
    /* A coverage build hands over its counters first (a no-op otherwise). */
    kos_profile_dump();
    syscall6(SYS_exit, status, 0, 0, 0, 0, 0);
    for (;;)
        ;
}

long kos_profile_write(const struct kos_prof_piece *pieces, size_t n) { return syscall6(SYS_profile_write, (long)pieces, (long)n, 0, 0, 0, 0); }
long sched_yield(void) { return syscall6(SYS_yield, 0, 0, 0, 0, 0, 0); }
long kos_log(const char *msg, size_t len) { return syscall6(SYS_log, (long)msg, (long)len, 0, 0, 0, 0); }
long getpid(void) { return syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0); }
long kos_mmap(void *hint, size_t len, int prot, int flags)
{
    return syscall6(SYS_mmap, (long)hint, (long)len, prot, flags, 0, 0);
}
void *mmap(void *hint, size_t len, int prot, int flags)
{
    long r = kos_mmap(hint, len, prot, flags);
    return r < 0 ? MAP_FAILED : (void *)r;
}
long munmap(void *addr, size_t len) { return syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0); }
long mprotect(void *addr, size_t len, int prot) { return syscall6(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0); }
long read(int fd, void *buf, size_t len) { return syscall6(SYS_read, fd, (long)buf, (long)len, 0, 0, 0); }
long write(int fd, const void *buf, size_t len) { return syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0); }
long open(const char *path, int flags) { return syscall6(SYS_open, (long)path, flags, 0, 0, 0, 0); }
long close(int fd) { return syscall6(SYS_close, fd, 0, 0, 0, 0, 0); }
long stat(const char *path, struct kos_stat *st) { return syscall6(SYS_stat, (long)path, (long)st, 0, 0, 0, 0); }
long unlink(const char *path) { return syscall6(SYS_unlink, (long)path, 0, 0, 0, 0, 0); }

long fork(void) { return syscall6(SYS_fork, 0, 0, 0, 0, 0, 0); }
long execv(const char *path, char *const argv[])
{
    /* A new image drops this one's counters: a coverage build hands them
     * over first (an exec that fails counts what ran before it twice). */
    kos_profile_dump();
    return syscall6(SYS_exec, (long)path, (long)argv, 0, 0, 0, 0);
}
long wait(int *status) { return syscall6(SYS_wait, (long)status, 0, 0, 0, 0, 0); }
long waitpid(long pid, int *status, int options) { return syscall6(SYS_waitpid, pid, (long)status, options, 0, 0, 0); }
long getppid(void) { return syscall6(SYS_getppid, 0, 0, 0, 0, 0, 0); }
long kill(long pid, int sig) { return syscall6(SYS_kill, pid, sig, 0, 0, 0, 0); }
long sigaction(int sig, const struct kos_sigaction *act, struct kos_sigaction *old)
{
    return syscall6(SYS_sigaction, sig, (long)act, (long)old, 0, 0, 0);
}
long sigprocmask(int how, const kos_sigset_t *set, kos_sigset_t *old)
{
    return syscall6(SYS_sigprocmask, how, (long)set, (long)old, 0, 0, 0);
}
long kos_sigreturn(void) { return syscall6(SYS_sigreturn, 0, 0, 0, 0, 0, 0); }
long sigsuspend(const kos_sigset_t *mask) { return syscall6(SYS_sigsuspend, (long)mask, 0, 0, 0, 0, 0); }
long pause(void) { return syscall6(SYS_pause, 0, 0, 0, 0, 0, 0); }
long alarm_ms(unsigned long ms) { return syscall6(SYS_alarm, (long)ms, 0, 0, 0, 0, 0); }
long kos_signal(int sig, void (*handler)(int), unsigned long flags)
{
    struct kos_sigaction act = { (uint64_t)handler, flags, 0 };
    return sigaction(sig, &act, 0);
}
long sleep_ms(unsigned long ms) { return syscall6(SYS_sleep, (long)ms, 0, 0, 0, 0, 0); }
long pipe(int fds[2]) { return syscall6(SYS_pipe, (long)fds, 0, 0, 0, 0, 0); }
long dup2(int oldfd, int newfd) { return syscall6(SYS_dup2, oldfd, newfd, 0, 0, 0, 0); }
long poll(struct pollfd *fds, unsigned long nfds, int timeout_ms)
{
    return syscall6(SYS_poll, (long)fds, (long)nfds, timeout_ms, 0, 0, 0);
}
long fcntl(int fd, int cmd, long arg) { return syscall6(SYS_fcntl, fd, cmd, arg, 0, 0, 0); }
long getrandom(void *buf, size_t len, unsigned flags)
{
    return syscall6(SYS_getrandom, (long)buf, (long)len, (long)flags, 0, 0, 0);
}
