/* Kernel side of the stack's platform hooks: clock, waiting, locking. */
#include "net/net_env.h"
#include "net/netif.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/io.h"
#include "proc/sched.h"
#include "lib/random.h"

/* The clock is the TSC, calibrated once against PIT channel 2 (channel 0
 * belongs to the kernel's timer; channel 2 is free and gated by port 0x61). */
static uint64_t tsc_per_ms;
static uint64_t tsc_at_boot;

static void calibrate_tsc(void)
{
    const uint16_t count = 11932;           /* 10 ms at 1.193182 MHz */
    uint8_t gate = inb(0x61);
    outb(0x61, (uint8_t)((gate & ~0x02) | 0x01));  /* gate on, speaker off */
    outb(0x43, 0xb0);                      /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, (uint8_t)count);
    outb(0x42, (uint8_t)(count >> 8));
    uint64_t start = rdtsc();
    /* OUT2 (bit 5 of port 0x61) goes high when the count reaches zero. */
    uint64_t spins = 0;
    while (!(inb(0x61) & 0x20) && ++spins < 100000000ULL)
        ;
    uint64_t delta = rdtsc() - start;
    outb(0x61, gate);
    tsc_per_ms = delta / 10;
    if (tsc_per_ms == 0)
        tsc_per_ms = 1000000;               /* no PIT answer: assume 1 GHz */
}

uint64_t net_now_ms(void)
{
    if (!tsc_per_ms) {
        /* Interrupts off: the timer tick polls the stack, which asks for the
         * time; a calibration nested in the first one would stretch the
         * first one's 10 ms window and make every timeout too long. */
        uint64_t flags = irq_save();
        if (!tsc_per_ms) {
            calibrate_tsc();
            tsc_at_boot = rdtsc();
        }
        irq_restore(flags);
    }
    return (rdtsc() - tsc_at_boot) / tsc_per_ms;
}

/* Set once the kernel's timer calls net_timer_tick: from then on a waiter
 * may halt or sleep, because a tick is certain to wake it. */
static volatile bool timer_drives_net;

/* Blocked socket calls of processes sleep here. Woken when a datagram is
 * queued (from the e1000 interrupt or a poll) and on every tick, so that
 * receive deadlines are checked without a timer per socket. */
static struct waitq net_event;
/* Bumped by every wake-up: a waiter that saw it change during its own poll
 * does not go to sleep (the wake-up it would wait for already happened). */
static volatile uint64_t net_wakeups;

void net_wake_waiters(void)
{
    net_wakeups++;
    waitq_wake_all(&net_event);
}

void net_timer_tick(void)
{
    timer_drives_net = true;
    net_poll();
    waitq_wake_all(&net_event);
}

int net_wait_for_event(void)
{
    if (proc_current() && timer_drives_net) {
        if (proc_interrupted())
            return -EINTR;
        unsigned long f = net_lock();
        uint64_t seen = net_wakeups;
        net_poll();
        if (net_wakeups == seen)
            waitq_sleep(&net_event);   /* interrupts stay off until the switch */
        net_unlock(f);
        return proc_interrupted() ? -EINTR : 0;
    }
    unsigned long f = net_lock();
    net_poll();
    net_unlock(f);
    if (timer_drives_net) {
        /* sti;hlt is atomic: no interrupt slips in between and is missed. */
        uint64_t flags = read_rflags();
        __asm__ volatile("sti; hlt" ::: "memory");
        if (!(flags & (1 << 9)))
            cli();
    } else {
        /* No periodic interrupt known: poll again after a short pause. */
        uint64_t until = rdtsc() + (tsc_per_ms ? tsc_per_ms / 10 : 100000);
        while (rdtsc() < until)
            __asm__ volatile("pause");
    }
    return 0;
}

unsigned long net_lock(void) { return (unsigned long)irq_save(); }
void net_unlock(unsigned long state) { irq_restore(state); }

void net_random_bytes(void *buf, size_t n) { random_bytes(buf, n); }
