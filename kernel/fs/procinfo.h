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
 * /proc/net/tcp: the TCP counters, per connection and in total (format in
 * kernel/net/tcp_proc.c).
 */
#include <stdbool.h>

struct file;

#define PROCINFO_KSTAT "/proc/kstat"

bool procinfo_is_path(const char *path);
/* -ENOENT for an unknown /proc name, -EROFS for write access, -ENOMEM. */
int procinfo_open(const char *path, int flags, struct file **out);
