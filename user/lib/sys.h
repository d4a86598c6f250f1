/* Syscall wrappers, with the POSIX names where POSIX has the call (the
 * kernel's handlers are sys_NAME; the list of calls is kos/syscalls.h).
 * Each returns the kernel's result: negative -E... on error (no errno). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <kos/syscall.h>
#include <kos/errno.h>
#include <kos/wait.h>
#include <kos/signal.h>

/* Enters through the syscall instruction; syscall6_int80 through int $0x80 (the same ABI). */
long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long syscall6_int80(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

__attribute__((noreturn)) void exit(int status);
long sched_yield(void);
/* A kernel console line "[pid N] msg". */
long kos_log(const char *msg, size_t len);
long getpid(void);
/* mmap returns MAP_FAILED on error; kos_mmap returns the address or -E... */
#define MAP_FAILED ((void *)-1)
void *mmap(void *hint, size_t len, int prot, int flags);
long kos_mmap(void *hint, size_t len, int prot, int flags);
long munmap(void *addr, size_t len);
long mprotect(void *addr, size_t len, int prot);
long read(int fd, void *buf, size_t len);
long write(int fd, const void *buf, size_t len);
long open(const char *path, int flags);
long close(int fd);
long stat(const char *path, struct kos_stat *st);
long unlink(const char *path);

/* Phase 2: processes and pipes. */
long fork(void);
/* argv: NULL-terminated, at most 16 words; returns only on error. */
long execv(const char *path, char *const argv[]);
long wait(int *status);
/* pid -1: any child; options 0 or WNOHANG. Returns the child's pid. */
long waitpid(long pid, int *status, int options);
long getppid(void);
/* Sends sig to pid (0 only checks that it exists and may be signalled). */
long kill(long pid, int sig);

/* Signals (kernel/include/kos/signal.h). */
long sigaction(int sig, const struct kos_sigaction *act, struct kos_sigaction *old);
long sigprocmask(int how, const kos_sigset_t *set, kos_sigset_t *old);
/* What the kernel's trampoline calls when a handler returns; a program
 * calling it without a signal frame is killed. */
long kos_sigreturn(void);
long sigsuspend(const kos_sigset_t *mask);
long pause(void);
/* SIGALRM after ms milliseconds (0 cancels); returns what was left of the last one. */
long alarm_ms(unsigned long ms);
/* sigaction with an empty mask; handler may be (void (*)(int))SIG_IGN or SIG_DFL. */
long kos_signal(int sig, void (*handler)(int), unsigned long flags);
long sleep_ms(unsigned long ms);

/* Coverage (`kos test --coverage`, kos/profile.h): n pieces of one raw
 * profile to the kernel's debug console, framed with this program's name.
 * Returns the bytes written, -EINVAL for no or too many pieces or too many
 * bytes, -EFAULT for a bad pointer (then nothing is written).
 * kos_profile_dump writes this image's own profile in a coverage build
 * (exit and execv call it) and does nothing in others. */
struct kos_prof_piece;
long kos_profile_write(const struct kos_prof_piece *pieces, size_t n);
void kos_profile_dump(void);
long pipe(int fds[2]);
long dup2(int oldfd, int newfd);

/* Bytes from the kernel's random source: flags 0, GRND_NONBLOCK, GRND_RANDOM. */
long getrandom(void *buf, size_t len, unsigned flags);

/* poll(fds, nfds, timeout_ms): timeout -1 waits forever, 0 not at all;
 * returns how many entries have revents. struct pollfd is kos_pollfd. */
#define pollfd kos_pollfd
long poll(struct pollfd *fds, unsigned long nfds, int timeout_ms);
/* fcntl(fd, F_GETFL) / fcntl(fd, F_SETFL, flags): O_NONBLOCK, O_APPEND. */
long fcntl(int fd, int cmd, long arg);

/* /proc/kstat (kernel/proc/kstat.h): the value of "key N", -1 if absent. */
long kstat_get(const char *key);
/* The same from the snapshot the last kstat_get read (values of one moment). */
long kstat_last(const char *key);
/* CPU ticks of process pid from /proc/kstat, -1 if it is not listed. */
long kstat_proc_ticks(long pid);
/* Its state letter (kernel/proc/kstat.h: R running, S sleeping, ...), -1 if not listed. */
int kstat_proc_state(long pid);
