/* Kernel side of the stack's platform hooks: clock, waiting, locking. */
#include "net/net_env.h"
#include "net/netif.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "arch/x86_64/irq.h"
#include "proc/sched.h"
#include "fs/file.h"
#include "net/tcp_proc.h"
#include <kos/syscall.h>
#include "lib/random.h"
#include "lib/cmdline.h"
#include "net/tcp.h"

/* The clock is the TSC (arch/x86_64/tsc.c, calibrated at boot). */
uint64_t net_now_ms(void)
{
    return tsc_now_ms();
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

struct waitq *net_event_queue(void) { return &net_event; }

void net_wake_waiters(void)
{
    net_wakeups++;
    waitq_wake_all(&net_event);
}

static void net_timer_tick(void)
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
        if (!(flags & RFLAGS_IF))
            cli();
    } else {
        /* No periodic interrupt known: poll again after a short pause. */
        uint64_t until = rdtsc() + tsc_per_ms() / 10;
        while (rdtsc() < until)
            __asm__ volatile("pause");
    }
    return 0;
}

#define NET_TCP_MAX 32768

/* /proc/net/tcp: a snapshot of the TCP counters (tcp_proc.c) taken at open. */
static int net_tcp_open(const char *path, int flags, struct file **out)
{
    if (strcmp(path, PROCINFO_NET_TCP) != 0)
        return -ENOENT;
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
        return -EROFS;
    char *t = kmalloc(NET_TCP_MAX);
    if (!t)
        return -ENOMEM;
    return file_snapshot(t, tcp_proc_text(t, NET_TCP_MAX), out);
}

/* A decimal tunable from the command line into *v (unchanged when absent or not a number). */
static void tunable(const char *key, uint32_t *v, uint32_t lo, uint32_t hi)
{
    char buf[16];
    if (!cmdline_get(key, buf, sizeof buf) || !buf[0])
        return;
    uint32_t x = 0;
    for (const char *p = buf; *p; p++) {
        if (*p < '0' || *p > '9' || x > 100000000)
            return;
        x = x * 10 + (uint32_t)(*p - '0');
    }
    if (x >= lo && x <= hi)
        *v = x;
}

/* TCP tunables (tcp.h, struct tcp_config): tcp_2msl= (ms), tcp_syn_retries=. */
static void tcp_tunables(void)
{
    tunable("tcp_2msl", &tcp_config.msl2_ms, 100, 240000);
    uint32_t r = (uint32_t)tcp_config.syn_retries;
    tunable("tcp_syn_retries", &r, 1, 10);
    tcp_config.syn_retries = (int)r;
}

void net_platform_init(void)
{
    tcp_tunables();
    timer_on_tick(net_timer_tick);
    file_mount(PROCINFO_NET_TCP, net_tcp_open);
}

unsigned long net_lock(void) { return (unsigned long)irq_save(); }
void net_unlock(unsigned long state) { irq_restore(state); }

void net_random_bytes(void *buf, size_t n) { random_bytes(buf, n); }
