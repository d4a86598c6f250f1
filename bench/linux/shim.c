/* The kos user library's system calls (user/lib/sys.h) on Linux x86-64, so
 * that the benchmark programs (user/syscall_bench.c, user/proc_bench.c)
 * build for a Linux guest from the same sources, with user/lib's libc.c
 * and ktap.c (`kos bench --vs linux`, src/bench/linux.ts). Each wrapper is
 * one Linux system call through the syscall instruction; the numbers are
 * Linux's (arch/x86/entry/syscalls/syscall_64.tbl). Only what those
 * programs and the library use is here: a missing one is a link error. */
#include "sys.h"

enum {
    LX_read = 0, LX_write = 1, LX_close = 3, LX_mmap = 9, LX_munmap = 11, LX_rt_sigaction = 13,
    LX_pipe = 22, LX_sched_yield = 24, LX_getpid = 39, LX_fork = 57, LX_wait4 = 61,
    LX_kill = 62, LX_exit_group = 231,
    LX_I386_getpid = 20, /* int $0x80 is the i386 system call table */
};

static long lx(long nr, long a0, long a1, long a2, long a3)
{
    register long r10 __asm__("r10") = a3;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

long syscall6_int80(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    if (nr != SYS_getpid)
        return -ENOSYS;
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"((long)LX_I386_getpid) : "memory");
    return ret;
}

void exit(int status)
{
    lx(LX_exit_group, status, 0, 0, 0);
    for (;;)
        ;
}

long getpid(void) { return lx(LX_getpid, 0, 0, 0, 0); }
long sched_yield(void) { return lx(LX_sched_yield, 0, 0, 0, 0); }
long read(int fd, void *buf, size_t len) { return lx(LX_read, fd, (long)buf, (long)len, 0); }
long write(int fd, const void *buf, size_t len) { return lx(LX_write, fd, (long)buf, (long)len, 0); }
long close(int fd) { return lx(LX_close, fd, 0, 0, 0); }
long pipe(int fds[2]) { return lx(LX_pipe, (long)fds, 0, 0, 0); }
long fork(void) { return lx(LX_fork, 0, 0, 0, 0); }
long waitpid(long pid, int *status, int options) { return lx(LX_wait4, pid, (long)status, options, 0); }
long kill(long pid, int sig) { return lx(LX_kill, pid, sig, 0, 0); }
long munmap(void *addr, size_t len) { return lx(LX_munmap, (long)addr, (long)len, 0, 0); }

void *mmap(void *hint, size_t len, int prot, int flags)
{
    /* PROT_* and MAP_* have Linux's values in kos/syscall.h. */
    register long r8 __asm__("r8") = -1;
    register long r9 __asm__("r9") = 0;
    register long r10 __asm__("r10") = flags;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((long)LX_mmap), "D"(hint), "S"(len), "d"((long)prot), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret < 0 && ret > -4096 ? MAP_FAILED : (void *)ret;
}

/* Linux's rt_sigaction takes a restorer that ends the handler with
 * rt_sigreturn (SA_RESTORER); kos's sigaction has none (the kernel maps a
 * trampoline). */
#define LX_SA_RESTORER 0x04000000UL
struct lx_sigaction {
    uint64_t handler, flags, restorer, mask;
};
void lx_sigreturn(void);
__asm__(".text\n.global lx_sigreturn\nlx_sigreturn:\n mov $15, %eax\n syscall /* rt_sigreturn */\n ud2\n");

long sigaction(int sig, const struct kos_sigaction *act, struct kos_sigaction *old)
{
    struct lx_sigaction a, o;
    if (act)
        a = (struct lx_sigaction){act->handler, act->flags | LX_SA_RESTORER, (uint64_t)lx_sigreturn, act->mask};
    long r = lx(LX_rt_sigaction, sig, act ? (long)&a : 0, old ? (long)&o : 0, sizeof(uint64_t));
    if (r == 0 && old)
        *old = (struct kos_sigaction){o.handler, o.flags & ~LX_SA_RESTORER, o.mask};
    return r;
}
