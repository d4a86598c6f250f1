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
long sys_mprotect(void *addr, size_t len, int prot);
long sys_read(int fd, void *buf, size_t len);
long sys_write(int fd, const void *buf, size_t len);
long sys_open(const char *path, int flags);
long sys_close(int fd);
long sys_stat(const char *path, struct kos_stat *st);
long sys_unlink(const char *path);

/* Phase 2: processes and pipes. */
long sys_fork(void);
/* argv: NULL-terminated, at most 16 words; returns only on error. */
long sys_exec(const char *path, char *const argv[]);
long sys_wait(int *status);
/* pid -1: any child; options 0 or WNOHANG. Returns the child's pid. */
long sys_waitpid(long pid, int *status, int options);
long sys_getppid(void);
long sys_kill(long pid);
long sys_sleep(unsigned long ms);
long sys_pipe(int fds[2]);
long sys_dup2(int oldfd, int newfd);

/* Bytes from the kernel's random source: flags 0, GRND_NONBLOCK, GRND_RANDOM. */
long sys_getrandom(void *buf, size_t len, unsigned flags);

/* Wait status (kernel/proc/proc.h): exit code << 8 after exit(), else the
 * number of what ended the process (KOS_SIG_KILL for kill(), KOS_SIG_FAULT
 * for a CPU exception). */
#define WNOHANG 1
#define KOS_SIG_KILL 9
#define KOS_SIG_FAULT 11
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0)
#define WTERMSIG(s) ((s) & 0x7f)

/* /proc/kstat (kernel/fs/procinfo.h): the value of "key N", -1 if absent. */
long kstat_get(const char *key);
/* The same from the snapshot the last kstat_get read (values of one moment). */
long kstat_last(const char *key);
/* CPU ticks of process pid from /proc/kstat, -1 if it is not listed. */
long kstat_proc_ticks(long pid);
