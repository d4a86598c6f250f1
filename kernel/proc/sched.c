/* Preemptive round-robin scheduling. The scheduler loop runs on the boot
 * stack (sched_run_until) and switches to one process at a time with swtch;
 * a process comes back to it when it yields, sleeps, exits or its time
 * slice (one PIT tick) ends. With nothing runnable the loop is the idle
 * task: it halts until the next interrupt. */
#include "proc/sched.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "mm/paging.h"
#include "proc/signal.h"
#include "lib/panic.h"
#include <kos/errno.h>

extern void swtch(struct context **save, struct context *load);

static struct context *scheduler_context;
static struct proc *current;
static int rr_next;             /* round-robin position in the table */
static struct sched_stats stats;

struct proc *proc_current(void)
{
    return current;
}

static inline void fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory"); }
static inline void fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory"); }

static void run_one(struct proc *p)
{
    p->state = PROC_RUNNING;
    p->slice_start = timer_ticks();
    current = p;
    stats.context_switches++;
    tss_set_rsp0((uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE);
    aspace_switch(p->pml4);
    fxrstor(p->fxsave);
    swtch(&scheduler_context, p->context);
    fxsave(p->fxsave);
    current = NULL;
    aspace_switch(paging_kernel_pml4());
}

void sched_switch(void)
{
    struct proc *p = current;
    if (!p)
        panic("sched_switch outside a process");
    uint64_t flags = irq_save();
    swtch(&p->context, scheduler_context);
    irq_restore(flags);
}

static struct proc *pick_next(void)
{
    for (int n = 0; n < NPROC; n++) {
        int i = (rr_next + n) % NPROC;
        if (proc_table[i].state == PROC_RUNNABLE) {
            rr_next = (i + 1) % NPROC;
            return &proc_table[i];
        }
    }
    return NULL;
}

void sched_run_until(bool (*done)(void *), void *arg)
{
    uint64_t flags = irq_save();
    while (!done(arg)) {
        struct proc *p = pick_next();
        if (p) {
            run_one(p);
            continue;
        }
        /* Idle: sti;hlt is atomic, so a wake-up between the check and the
         * halt still ends the halt. */
        stats.idle_halts++;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    irq_restore(flags);
}

void proc_sleep_on(const void *chan)
{
    struct proc *p = current;
    if (!p)
        panic("proc_sleep_on outside a process");
    uint64_t flags = irq_save();
    if (!proc_interrupted()) {
        p->wait_chan = chan;
        p->state = PROC_SLEEPING;
        swtch(&p->context, scheduler_context);
        p->wait_chan = NULL;
    }
    irq_restore(flags);
}

void proc_wakeup(const void *chan)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &proc_table[i];
        if (p->state == PROC_SLEEPING && p->wait_chan == chan)
            p->state = PROC_RUNNABLE;
    }
}

const char poll_chan;

void proc_sleep_until(const void *chan, uint64_t deadline_tick)
{
    struct proc *p = current;
    p->wake_tick = deadline_tick;
    proc_sleep_on(chan);
    p->wake_tick = 0;
}

int proc_sleep_ms(uint64_t ms)
{
    struct proc *p = current;
    uint64_t hz = timer_hz();
    if (ms > 100000000ULL)
        return -EINVAL;
    /* Round up, and one tick more: the current tick is already partly gone. */
    uint64_t deadline = timer_ticks() + (ms * hz + 999) / 1000 + 1;
    while (timer_ticks() < deadline) {
        if (proc_interrupted()) {
            p->wake_tick = 0;
            return -EINTR;
        }
        p->wake_tick = deadline;
        proc_sleep_on(&p->wake_tick);
    }
    p->wake_tick = 0;
    return 0;
}

void sched_tick(void)
{
    if (current)
        current->cpu_ticks++;
    else
        stats.idle_ticks++;
    uint64_t now = timer_ticks();
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &proc_table[i];
        if (p->state == PROC_SLEEPING && p->wake_tick && p->wake_tick <= now)
            p->state = PROC_RUNNABLE;
    }
}

void sched_user_return(struct trapframe *tf)
{
    struct proc *p = current;
    if (!p || (tf->cs & 3) != 3)
        return;
    if (p->kill_pending)
        proc_exit(-1);
    /* The time slice is one tick: a timer interrupt from user mode yields. */
    if (tf->vector == T_IRQ0) {
        stats.preemptions++;
        p->state = PROC_RUNNABLE;
        sched_switch();
        if (p->kill_pending)
            proc_exit(-1);
    }
    signal_deliver(tf);
}

void sched_preempt_point(void)
{
    struct proc *p = current;
    if (!p)
        return;
    /* Syscalls run with interrupts off: open a one-instruction window so a
     * pending timer tick (or NIC interrupt) is taken, then yield once the
     * time slice is over. */
    uint64_t flags = irq_save();
    __asm__ volatile("sti; nop; cli" ::: "memory");
    irq_restore(flags);
    if (timer_ticks() != p->slice_start) {
        stats.preemptions++;
        proc_yield();
    }
}

void sched_get_stats(struct sched_stats *s)
{
    *s = stats;
}
