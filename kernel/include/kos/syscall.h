/* Syscall numbers and ABI shared by the kernel and user space.
 *
 * ABI: `int $0x80`, number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
 * result in rax (negative -E... on error). Every other register is preserved. */
#pragma once

#define SYS_EXIT        1
#define SYS_YIELD       2
#define SYS_LOG         3
#define SYS_MMAP        4
#define SYS_FORK        5
#define SYS_EXEC        6
#define SYS_WAIT        7
#define SYS_READ        8
#define SYS_WRITE       9
#define SYS_OPEN        10
#define SYS_CLOSE       11
#define SYS_STAT        12
#define SYS_WASM_LOAD   13
#define SYS_WASM_EXEC   14
#define SYS_SOCKET      15
#define SYS_BIND        16
#define SYS_CONNECT     17
#define SYS_LISTEN      18
#define SYS_ACCEPT      19
#define SYS_SEND        20
#define SYS_RECV        21
#define SYS_SENDTO      22
#define SYS_RECVFROM    23
#define SYS_MUNMAP      24
#define SYS_GETPID      25
#define SYS_UNLINK      26
#define SYS_WASM_UNLOAD 27
#define SYS_GETPPID     28
#define SYS_KILL        29
#define SYS_SLEEP       30
#define SYS_PIPE        31
#define SYS_DUP2        32
#define SYS_WAITPID     33
#define SYS_MPROTECT    34
#define SYS_GETRANDOM   37

/* One past the highest number the table can hold. */
#define SYS_MAX         64

/* open() flags (Linux's values). */
#define O_RDONLY    0x0000
#define O_WRONLY    0x0001
#define O_RDWR      0x0002
#define O_ACCMODE   0x0003
#define O_CREAT     0x0040
#define O_EXCL      0x0080
#define O_TRUNC     0x0200
#define O_APPEND    0x0400

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
struct kos_stat {
    unsigned long size;
    unsigned int mode;      /* KOS_S_IFREG or KOS_S_IFDIR | permission bits */
    unsigned int flags;     /* KOS_STAT_* */
};
#define KOS_STAT_READONLY 0x1   /* lives in the initrd */

/* getrandom(buf, len, flags): flags 0 or these; at most GETRANDOM_MAX bytes a call. */
#define GRND_NONBLOCK 0x1
#define GRND_RANDOM   0x2
#define GETRANDOM_MAX (1u << 20)

/* log(level, msg, len): a kernel console line "[pid N] msg". */
#define KOS_LOG_INFO 0
