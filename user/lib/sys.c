#include "sys.h"

long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "memory");
    return ret;
}

void sys_exit(int status)
{
    syscall6(SYS_EXIT, status, 0, 0, 0, 0, 0);
    for (;;)
        ;
}

long sys_yield(void) { return syscall6(SYS_YIELD, 0, 0, 0, 0, 0, 0); }
long sys_log(const char *msg, size_t len) { return syscall6(SYS_LOG, (long)msg, (long)len, 0, 0, 0, 0); }
long sys_getpid(void) { return syscall6(SYS_GETPID, 0, 0, 0, 0, 0, 0); }
long sys_mmap_raw(void *hint, size_t len, int prot, int flags)
{
    return syscall6(SYS_MMAP, (long)hint, (long)len, prot, flags, 0, 0);
}
void *sys_mmap(void *hint, size_t len, int prot, int flags)
{
    long r = sys_mmap_raw(hint, len, prot, flags);
    return r < 0 ? NULL : (void *)r;
}
long sys_munmap(void *addr, size_t len) { return syscall6(SYS_MUNMAP, (long)addr, (long)len, 0, 0, 0, 0); }
long sys_mprotect(void *addr, size_t len, int prot) { return syscall6(SYS_MPROTECT, (long)addr, (long)len, prot, 0, 0, 0); }
long sys_read(int fd, void *buf, size_t len) { return syscall6(SYS_READ, fd, (long)buf, (long)len, 0, 0, 0); }
long sys_write(int fd, const void *buf, size_t len) { return syscall6(SYS_WRITE, fd, (long)buf, (long)len, 0, 0, 0); }
long sys_open(const char *path, int flags) { return syscall6(SYS_OPEN, (long)path, flags, 0, 0, 0, 0); }
long sys_close(int fd) { return syscall6(SYS_CLOSE, fd, 0, 0, 0, 0, 0); }
long sys_stat(const char *path, struct kos_stat *st) { return syscall6(SYS_STAT, (long)path, (long)st, 0, 0, 0, 0); }
long sys_unlink(const char *path) { return syscall6(SYS_UNLINK, (long)path, 0, 0, 0, 0, 0); }

long sys_fork(void) { return syscall6(SYS_FORK, 0, 0, 0, 0, 0, 0); }
long sys_exec(const char *path, char *const argv[]) { return syscall6(SYS_EXEC, (long)path, (long)argv, 0, 0, 0, 0); }
long sys_wait(int *status) { return syscall6(SYS_WAIT, (long)status, 0, 0, 0, 0, 0); }
long sys_waitpid(long pid, int *status, int options) { return syscall6(SYS_WAITPID, pid, (long)status, options, 0, 0, 0); }
long sys_getppid(void) { return syscall6(SYS_GETPPID, 0, 0, 0, 0, 0, 0); }
long sys_kill(long pid) { return syscall6(SYS_KILL, pid, 0, 0, 0, 0, 0); }
long sys_sleep(unsigned long ms) { return syscall6(SYS_SLEEP, (long)ms, 0, 0, 0, 0, 0); }
long sys_pipe(int fds[2]) { return syscall6(SYS_PIPE, (long)fds, 0, 0, 0, 0, 0); }
long sys_dup2(int oldfd, int newfd) { return syscall6(SYS_DUP2, oldfd, newfd, 0, 0, 0, 0); }
long sys_getrandom(void *buf, size_t len, unsigned flags)
{
    return syscall6(SYS_GETRANDOM, (long)buf, (long)len, (long)flags, 0, 0, 0);
}
