#pragma once
/* /proc/kstat: a read-only text snapshot of kernel counters, taken at
 * open(), one "key value" per line:
 *
 *   free_pages N        physical pages free
 *   total_pages N
 *   ticks N             PIT ticks since boot
 *   hz N
 *   idle_ticks N        ticks that found no process running
 *   idle_halts N        hlt instructions of the idle loop
 *   context_switches N
 *   preemptions N       time slices ended by the timer
 *   procs N             process table entries in use (zombies included)
 *   user_procs N        of those, the caller's user (its init program's tree)
 *   kernel_table_pages N  page tables of the shared kernel half (permanent:
 *                       leak checks add them to free_pages)
 *   proc PID PPID STATE CPU_TICKS NAME     one per process (STATE R S Z E)
 *
 * (/proc/net/tcp is the network stack's, mounted by net/platform.c; format
 * in kernel/net/tcp_proc.c.)
 */
#include <stdbool.h>

struct file;

#define KSTAT_PATH "/proc/kstat"

/* Mounts /proc (fs/file.h's file_mount); proc_init calls it. */
void kstat_init(void);
/* -ENOENT for an unknown /proc name, -EROFS for write access, -ENOMEM. */
int kstat_open(const char *path, int flags, struct file **out);
