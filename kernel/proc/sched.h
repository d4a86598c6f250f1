#pragma once
/* The preemptive round-robin scheduler: the PIT tick charges the running
 * process and, when it interrupted user mode, switches to the next runnable
 * one. Blocking waits sleep on a channel (any address) until a wake-up. */
#include <stdint.h>
#include <stdbool.h>
#include "proc/proc.h"

/* A wait queue: sleepers and wakers name it by its address. */
struct waitq {
    int pollers;        /* poll() calls registered here (they sleep on poll_chan) */
};

/* Sleep until someone wakes chan (or the process is killed: check
 * proc_interrupted() after). Process context, interrupts off (as in every
 * syscall): the caller's condition check and the sleep are atomic. */
void proc_sleep_on(const void *chan);
/* Make every process sleeping on chan runnable. Safe from IRQ handlers. */
void proc_wakeup(const void *chan);
/* poll() sleeps on this one channel; a wake-up of any queue a poller
 * registered on wakes it too, and it re-checks every file it watches. */
extern const char poll_chan;
static inline void waitq_sleep(struct waitq *wq) { proc_sleep_on(wq); }
static inline void waitq_wake_all(struct waitq *wq)
{
    proc_wakeup(wq);
    if (wq->pollers)
        proc_wakeup(&poll_chan);
}
/* Sleep on chan until woken, killed, or (deadline_tick != 0) the tick
 * count reaches deadline_tick. */
void proc_sleep_until(const void *chan, uint64_t deadline_tick);

/* Sleep for at least ms milliseconds of PIT time: 0 or -EINTR. */
int proc_sleep_ms(uint64_t ms);

/* Called by the PIT handler on every tick: CPU-time accounting, timed wake-ups. */
void sched_tick(void);
/* Called at the end of a trap from user mode: preemption and pending kills. */
void sched_user_return(struct trapframe *tf);
/* For long kernel work a user can size (page-table walks, big copies):
 * takes pending interrupts and yields when the time slice has ended.
 * Process context, holding nothing another process could need. */
void sched_preempt_point(void);
/* Give the CPU to the scheduler (the current process's state is already set). */
void sched_switch(void);
/* Run processes until done(arg) holds (scheduler context, the boot stack). */
void sched_run_until(bool (*done)(void *), void *arg);

struct sched_stats {
    uint64_t idle_halts;        /* hlt instructions the idle loop executed */
    uint64_t idle_ticks;        /* ticks that found no process running */
    uint64_t context_switches;
    uint64_t preemptions;
};
void sched_get_stats(struct sched_stats *s);
