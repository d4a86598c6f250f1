/* Syscall numbers (from the list in kos/syscalls.h) and the ABI shared by the kernel and user space.
 *
 * ABI: `int $0x80`, number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
 * result in rax (negative -E... on error). Every other register is preserved. */
#pragma once

#include <kos/syscalls.h>

/* SYS_exit = 1, SYS_read = 8, ...: one constant per entry of the list in
 * kos/syscalls.h (reserved numbers included). */
enum kos_syscall_number {
#define KOS_SYSCALL_NUMBER(nr, name, kind, user) SYS_##name = nr,
    KOS_SYSCALLS(KOS_SYSCALL_NUMBER)
#undef KOS_SYSCALL_NUMBER
};

/* open() flags (Linux's values). */
#define O_RDONLY    0x0000
#define O_WRONLY    0x0001
#define O_RDWR      0x0002
#define O_ACCMODE   0x0003
#define O_CREAT     0x0040
#define O_EXCL      0x0080
#define O_TRUNC     0x0200
#define O_APPEND    0x0400
#define O_NONBLOCK  0x0800  /* fcntl F_SETFL; SOCK_NONBLOCK is the same bit */

/* fcntl(fd, cmd, arg) */
#define F_GETFL 3
#define F_SETFL 4

/* poll(fds, nfds, timeout_ms): Linux's struct pollfd and bits; timeout -1
 * waits forever, 0 does not wait; at most POLL_MAX_FDS entries. */
struct kos_pollfd {
    int fd;             /* negative: ignored (revents 0) */
    short events;
    short revents;
};
#define POLLIN   0x001
#define POLLPRI  0x002
#define POLLOUT  0x004
#define POLLERR  0x008
#define POLLHUP  0x010
#define POLLNVAL 0x020
#define POLL_MAX_FDS 256

/* mmap(addr, len, prot, flags): anonymous memory only. */
#define PROT_NONE   0x0
#define PROT_READ   0x1
#define PROT_WRITE  0x2
#define PROT_EXEC   0x4
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20

/* stat() result. */
#define KOS_S_IFREG 0x8000
#define KOS_S_IFDIR 0x4000
#define KOS_S_IFCHR 0x2000     /* the console */
#define KOS_S_IFIFO 0x1000     /* a pipe */
#define KOS_S_IFSOCK 0xC000
struct kos_stat {
    unsigned long size;
    unsigned int mode;      /* KOS_S_IF* type | permission bits */
    unsigned int flags;     /* KOS_STAT_* */
};
#define KOS_STAT_READONLY 0x1   /* lives in the initrd */

/* getrandom(buf, len, flags): flags 0 or these; at most GETRANDOM_MAX bytes a call. */
#define GRND_NONBLOCK 0x1
#define GRND_RANDOM   0x2
#define GETRANDOM_MAX (1u << 20)

/* log(level, msg, len): a kernel console line "[pid N] msg". */
#define KOS_LOG_INFO 0
