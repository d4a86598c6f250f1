/* Raw syscall wrappers: each returns the kernel's result (negative -E... on error). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <kos/syscall.h>
#include <kos/errno.h>

long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

__attribute__((noreturn)) void sys_exit(int status);
long sys_yield(void);
long sys_log(const char *msg, size_t len);
long sys_getpid(void);
void *sys_mmap(void *hint, size_t len, int prot, int flags);
long sys_mmap_raw(void *hint, size_t len, int prot, int flags);
long sys_munmap(void *addr, size_t len);
long sys_read(int fd, void *buf, size_t len);
long sys_write(int fd, const void *buf, size_t len);
long sys_open(const char *path, int flags);
long sys_close(int fd);
long sys_stat(const char *path, struct kos_stat *st);
long sys_unlink(const char *path);
