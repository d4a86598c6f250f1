/* Signals: generation (kill, faults, pipes, child exit, alarm), delivery on
 * the way back to user mode, sigreturn and the signal syscalls. The frame
 * a handler gets is on its own user stack; the code that calls sigreturn
 * is the kernel's trampoline page (the stack is not executable). */
#include "proc/signal.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/uaccess.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include <kos/errno.h>
#include <kos/syscall.h>

#define UNCATCHABLE (KOS_SIGBIT(SIGKILL) | KOS_SIGBIT(SIGSTOP))
#define ALL_SIGNALS ((1ULL << (KOS_NSIG - 1)) - 1)
#define STOP_SIGNALS (KOS_SIGBIT(SIGSTOP) | KOS_SIGBIT(SIGTSTP) | KOS_SIGBIT(SIGTTIN) | KOS_SIGBIT(SIGTTOU))
#define IGNORED_BY_DEFAULT (KOS_SIGBIT(SIGCHLD) | KOS_SIGBIT(SIGURG) | KOS_SIGBIT(SIGWINCH) | KOS_SIGBIT(SIGCONT))
#define KNOWN_SA_FLAGS (SA_NOCLDSTOP | SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_RESETHAND)

/* RFLAGS a program may hand to sigreturn: RFLAGS_USER_MASK; bit 1 and IF
 * must be set. IOPL, NT, VM, TF, RF and the rest may not. */

static uint64_t tramp_frame;
static int foreground_pid;
static void signal_tick(void);
static uint32_t mxcsr_mask;

static const char *const names[KOS_NSIG] = {
    "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

const char *signal_name(int sig)
{
    return sig > 0 && sig < KOS_NSIG ? names[sig] : "?";
}

static bool valid_signal(uint64_t sig)
{
    return sig >= 1 && sig < KOS_NSIG;
}

void signal_init(void)
{
    /* mov $SYS_sigreturn, %eax; int $0x80; ud2 (sigreturn does not return). */
    static const uint8_t code[] = { 0xb8, SYS_sigreturn, 0, 0, 0, 0xcd, 0x80, 0x0f, 0x0b };
    tramp_frame = pmm_alloc_zeroed();
    if (!tramp_frame)
        panic("signal: no memory for the trampoline page");
    memcpy(phys_to_virt(tramp_frame), code, sizeof code);
    /* Which MXCSR bits FXRSTOR accepts (0 in the image means the default 0xffbf). */
    static uint8_t fx[512] __attribute__((aligned(16)));
    __asm__ volatile("fxsave64 (%0)" : : "r"(fx) : "memory");
    mxcsr_mask = *(uint32_t *)&fx[28];
    if (!mxcsr_mask)
        mxcsr_mask = 0xffbf;
    timer_on_tick(signal_tick);
}

void signal_set_foreground(const struct proc *p)
{
    foreground_pid = p ? p->pid : 0;
}

/* Ctrl-C on the console: SIGINT to the foreground program (interrupt
 * context: only marks it pending and wakes it). */
void signal_console_interrupt(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &proc_table[i];
        if (foreground_pid && q->pid == foreground_pid && q->state != PROC_UNUSED && q->state != PROC_EMBRYO) {
            signal_send(q, SIGINT, NULL);
            return;
        }
    }
}

int signal_map_trampoline(uint64_t pml4)
{
    /* The kernel keeps its own reference: the frame is never freed. */
    int e = paging_map(pml4, KOS_SIGTRAMP_VA, tramp_frame, PTE_U);
    if (e)
        return e;
    pmm_page_ref(tramp_frame);
    return 0;
}

/* What sig does to p right now: its handler, or SIG_DFL/SIG_IGN. */
static uint64_t disposition(const struct proc *p, int sig)
{
    return p->sigact[sig].handler;
}

static bool ignored(const struct proc *p, int sig)
{
    uint64_t h = disposition(p, sig);
    if (sig == SIGKILL || sig == SIGSTOP)
        return false;
    return h == SIG_IGN || (h == SIG_DFL && (IGNORED_BY_DEFAULT & KOS_SIGBIT(sig)));
}

static void wake_for_signal(struct proc *q)
{
    if (q->state == PROC_SLEEPING && q->wait_chan != &q->stopped)
        q->state = PROC_RUNNABLE;
}

void signal_send(struct proc *q, int sig, const struct kos_siginfo *info)
{
    if (!valid_signal((uint64_t)sig) || q->state == PROC_UNUSED || q->state == PROC_ZOMBIE)
        return;
    if (sig == SIGKILL) {
        q->kill_pending = true;
        q->stopped = false;
        if (q->state == PROC_SLEEPING)
            q->state = PROC_RUNNABLE;
        return;
    }
    if (sig == SIGCONT) {
        q->sig_pending &= ~STOP_SIGNALS;
        if (q->stopped) {
            q->stopped = false;
            proc_wakeup(&q->stopped);
        }
    } else if (STOP_SIGNALS & KOS_SIGBIT(sig)) {
        q->sig_pending &= ~KOS_SIGBIT(SIGCONT);
    }
    /* Ignored when generated: dropped (POSIX), unless blocked, when the
     * disposition may still change before it is unblocked. */
    if (ignored(q, sig) && !(q->sig_blocked & KOS_SIGBIT(sig)))
        return;
    struct kos_siginfo *si = &q->sig_info[sig];
    if (!(q->sig_pending & KOS_SIGBIT(sig))) {
        if (info)
            *si = *info;
        else
            *si = (struct kos_siginfo){ .signo = sig, .code = SI_KERNEL };
        si->signo = sig;
    }
    q->sig_pending |= KOS_SIGBIT(sig);
    if (!(q->sig_blocked & KOS_SIGBIT(sig)))
        wake_for_signal(q);
}

void signal_raise(int sig)
{
    struct proc *p = proc_current();
    if (p)
        signal_send(p, sig, NULL);
}

static kos_sigset_t deliverable_set(const struct proc *p)
{
    return p->sig_pending & ~(p->sig_blocked & ~UNCATCHABLE);
}

bool signal_deliverable(const struct proc *p)
{
    return deliverable_set(p) != 0;
}

/* End the current process by sig (default action or an impossible frame). */
__attribute__((noreturn)) static void die(int sig, const char *why)
{
    struct proc *p = proc_current();
    p->killed = true;
    p->wait_status = sig;
    if (why)
        strlcpy(p->kill_reason, why, sizeof p->kill_reason);
    else
        ksnprintf(p->kill_reason, sizeof p->kill_reason, "signal %d (%s)", sig, signal_name(sig));
    kprintf("[kernel] %s (pid %d) killed: %s\n", p->name, p->pid, p->kill_reason);
    proc_exit(-1);
}

/* Stopped until SIGCONT or SIGKILL. */
static void stop_current(void)
{
    struct proc *p = proc_current();
    p->stopped = true;
    uint64_t flags = irq_save();
    while (p->stopped && !p->kill_pending) {
        p->wait_chan = &p->stopped;
        p->state = PROC_SLEEPING;
        sched_switch();
        p->wait_chan = NULL;
    }
    irq_restore(flags);
    if (p->kill_pending)
        proc_exit(-1);
}

static bool restartable(uint64_t nr)
{
    return nr != SYS_sigsuspend && nr != SYS_pause && nr != SYS_sigreturn;
}

/* The syscall this frame returns from was interrupted: make it run again
 * (the int $0x80 is two bytes; its number was kept in tf->error). */
static void restart_syscall(struct trapframe *tf)
{
    tf->rax = tf->error;
    tf->rip -= 2;
    tf->error = (uint64_t)-1;
}

static bool interrupted_syscall(const struct trapframe *tf)
{
    return tf->vector == T_SYSCALL && (int64_t)tf->rax == -EINTR && tf->error != (uint64_t)-1 && restartable(tf->error);
}

/* Build the frame for sig's handler on the user stack and point tf at it. */
static void setup_frame(struct proc *p, struct trapframe *tf, int sig, const struct kos_sigaction *act)
{
    static struct kos_sigframe f;       /* one CPU, interrupts off: never shared */
    static uint8_t fx[512] __attribute__((aligned(16)));
    memset(&f, 0, sizeof f);
    f.retaddr = KOS_SIGTRAMP_VA;
    f.info = p->sig_info[sig];
    struct kos_ucontext *uc = &f.uc;
    uc->r15 = tf->r15; uc->r14 = tf->r14; uc->r13 = tf->r13; uc->r12 = tf->r12;
    uc->r11 = tf->r11; uc->r10 = tf->r10; uc->r9 = tf->r9; uc->r8 = tf->r8;
    uc->rbp = tf->rbp; uc->rdi = tf->rdi; uc->rsi = tf->rsi; uc->rdx = tf->rdx;
    uc->rcx = tf->rcx; uc->rbx = tf->rbx; uc->rax = tf->rax;
    uc->rip = tf->rip; uc->cs = tf->cs; uc->rflags = tf->rflags; uc->rsp = tf->rsp; uc->ss = tf->ss;
    uc->mask = p->sig_restore_mask ? p->sig_saved_mask : p->sig_blocked;
    p->sig_restore_mask = false;
    uc->magic = KOS_SIGFRAME_MAGIC;
    /* The live SSE registers are this process's user state. */
    __asm__ volatile("fxsave64 (%0)" : : "r"(fx) : "memory");
    memcpy(uc->fxsave, fx, sizeof fx);

    /* Below the red zone, 8 mod 16 like a function entry. */
    uint64_t sp = tf->rsp - 128 - sizeof f;
    sp = (sp & ~15ULL) - 8;
    if (tf->rsp < 4096 + 128 + sizeof f || copyout(sp, &f, sizeof f)) {
        char why[120];
        ksnprintf(why, sizeof why, "cannot write the %s frame below rsp 0x%lx", signal_name(sig), tf->rsp);
        die(SIGSEGV, why);
    }
    tf->rsp = sp;
    tf->rip = act->handler;
    tf->rdi = (uint64_t)sig;
    tf->rsi = sp + __builtin_offsetof(struct kos_sigframe, info);
    tf->rdx = sp + __builtin_offsetof(struct kos_sigframe, uc);
    tf->rax = 0;
    tf->rflags = (tf->rflags & ~(uint64_t)(RFLAGS_TF | RFLAGS_DF)) | RFLAGS_IF;     /* no single-step, DF clear (ABI) */
    tf->error = (uint64_t)-1;
    p->sig_blocked |= act->mask & ~UNCATCHABLE;
    if (!(act->flags & SA_NODEFER))
        p->sig_blocked |= KOS_SIGBIT(sig);
    if (act->flags & SA_RESETHAND)
        p->sigact[sig] = (struct kos_sigaction){ SIG_DFL, 0, 0 };
    p->sig_delivered++;
}

void signal_deliver(struct trapframe *tf)
{
    struct proc *p = proc_current();
    if (!p || (tf->cs & 3) != 3)
        return;
    for (;;) {
        if (p->kill_pending)
            proc_exit(-1);
        kos_sigset_t set = deliverable_set(p);
        if (!set)
            break;
        int sig = __builtin_ctzll(set) + 1;
        p->sig_pending &= ~KOS_SIGBIT(sig);
        if (ignored(p, sig))
            continue;
        struct kos_sigaction act = p->sigact[sig];
        if (act.handler == SIG_DFL) {
            if (STOP_SIGNALS & KOS_SIGBIT(sig)) {
                stop_current();
                if (interrupted_syscall(tf))
                    restart_syscall(tf);
                continue;
            }
            die(sig, NULL);
        }
        if (interrupted_syscall(tf) && (act.flags & SA_RESTART))
            restart_syscall(tf);
        setup_frame(p, tf, sig, &act);
        return;     /* one handler at a time; the next on its way back */
    }
    if (p->sig_restore_mask) {
        p->sig_blocked = p->sig_saved_mask;
        p->sig_restore_mask = false;
    }
}

int signal_for_vector(uint64_t vector)
{
    switch (vector) {
    case T_DIVIDE:
    case T_FPERR:
    case T_SIMD:
        return SIGFPE;
    case T_INVOP:
        return SIGILL;
    case T_DEBUG:
    case T_BREAK:
        return SIGTRAP;
    case T_ALIGN:
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

void signal_fault(struct trapframe *tf, int sig, int code, uint64_t addr, const char *reason)
{
    struct proc *p = proc_current();
    uint64_t h = disposition(p, sig);
    /* A fault the program cannot take (blocked, ignored, default) ends it. */
    if (h == SIG_DFL || h == SIG_IGN || (p->sig_blocked & KOS_SIGBIT(sig))) {
        kprintf("[kernel] %s (pid %d) killed: %s\n", p->name, p->pid, reason);
        p->killed = true;
        p->wait_status = sig;
        strlcpy(p->kill_reason, reason, sizeof p->kill_reason);
        proc_exit(-1);
    }
    /* Straight to the handler: it is about the instruction that just ran. */
    p->sig_info[sig] = (struct kos_siginfo){ .signo = sig, .code = code, .pid = 0, .status = 0, .addr = addr };
    tf->error = (uint64_t)-1;
    struct kos_sigaction act = p->sigact[sig];
    setup_frame(p, tf, sig, &act);
}

void signal_fork(struct proc *child, const struct proc *parent)
{
    memcpy(child->sigact, parent->sigact, sizeof child->sigact);
    child->sig_blocked = parent->sig_blocked;
    child->sig_pending = 0;
    child->alarm_tick = 0;
}

void signal_exec(struct proc *p)
{
    /* Handlers point into the old image: back to default; ignored stays ignored. */
    for (int s = 1; s < KOS_NSIG; s++) {
        if (p->sigact[s].handler != SIG_IGN)
            p->sigact[s].handler = SIG_DFL;
        p->sigact[s].flags = 0;
        p->sigact[s].mask = 0;
    }
}

/* Registered with the timer: SIGALRM to processes whose alarm is due. */
static void signal_tick(void)
{
    uint64_t now = timer_ticks();
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &proc_table[i];
        if (q->alarm_tick && q->alarm_tick <= now && q->state != PROC_UNUSED && q->state != PROC_ZOMBIE) {
            q->alarm_tick = 0;
            signal_send(q, SIGALRM, NULL);
        }
    }
}

int signal_kill(int pid, int sig)
{
    if (!valid_signal((uint64_t)sig) && sig != 0)
        return -EINVAL;
    struct proc *me = proc_current();
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &proc_table[i];
        if (q->pid != pid || q->state == PROC_UNUSED || q->state == PROC_EMBRYO)
            continue;
        if (q->state == PROC_ZOMBIE)
            return -ESRCH;
        if (me && q->session != me->session)
            return -EPERM;
        if (sig == 0)
            return 0;
        struct kos_siginfo info = { .signo = sig, .code = SI_USER, .pid = me ? me->pid : 0 };
        signal_send(q, sig, &info);
        return 0;
    }
    return -ESRCH;
}

/* ---- the signal syscalls' work (sys/sys_signal.c passes the arguments) ---- */

int64_t signal_sigaction(uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t sig = a0;
    if (!valid_signal(sig))
        return -EINVAL;
    struct proc *p = proc_current();
    struct kos_sigaction act;
    if (a1) {
        if (copyin(&act, a1, sizeof act))
            return -EFAULT;
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        if (act.flags & ~(uint64_t)KNOWN_SA_FLAGS)
            return -EINVAL;
        if (act.handler != SIG_DFL && act.handler != SIG_IGN && act.handler >= USER_TOP)
            return -EINVAL;
    }
    if (a2 && copyout(a2, &p->sigact[sig], sizeof p->sigact[sig]))
        return -EFAULT;
    if (a1) {
        act.mask &= ALL_SIGNALS & ~UNCATCHABLE;
        p->sigact[sig] = act;
        /* Setting SIG_IGN (or a default that ignores) drops what is pending. */
        if (ignored(p, (int)sig))
            p->sig_pending &= ~KOS_SIGBIT(sig);
    }
    return 0;
}

int64_t signal_sigprocmask(uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct proc *p = proc_current();
    kos_sigset_t set = 0, old = p->sig_blocked;
    if (a1) {
        if (a0 > SIG_SETMASK)
            return -EINVAL;
        if (copyin(&set, a1, sizeof set))
            return -EFAULT;
    }
    if (a2 && copyout(a2, &old, sizeof old))
        return -EFAULT;
    if (a1) {
        set &= ALL_SIGNALS & ~UNCATCHABLE;
        if (a0 == SIG_BLOCK)
            p->sig_blocked |= set;
        else if (a0 == SIG_UNBLOCK)
            p->sig_blocked &= ~set;
        else
            p->sig_blocked = set;
    }
    return 0;
}

int64_t signal_sigreturn(void)
{
    struct proc *p = proc_current();
    struct trapframe *tf = p->tf;
    static struct kos_sigframe f;
    static uint8_t fx[512] __attribute__((aligned(16)));
    /* The handler's ret popped retaddr: the frame starts 8 below rsp. */
    uint64_t base = tf->rsp - 8;
    const char *bad = NULL;
    if (tf->rsp < 8 || copyin(&f, base, sizeof f))
        bad = "frame not readable";
    else if (f.uc.magic != KOS_SIGFRAME_MAGIC)
        bad = "no signal frame at rsp";
    else if (f.uc.cs != USER_CS || f.uc.ss != USER_DS)
        bad = "bad segment selectors";
    else if (f.uc.rip >= USER_TOP || f.uc.rsp >= USER_TOP)
        bad = "kernel or non-canonical rip/rsp";
    else if ((f.uc.rflags & ~(uint64_t)(RFLAGS_USER_MASK | RFLAGS_RESERVED1 | RFLAGS_IF)) || !(f.uc.rflags & RFLAGS_IF) || !(f.uc.rflags & RFLAGS_RESERVED1))
        bad = "bad rflags";
    else if (*(const uint32_t *)&f.uc.fxsave[24] & ~mxcsr_mask)
        bad = "bad MXCSR in the saved SSE state";
    if (bad) {
        char why[120];
        ksnprintf(why, sizeof why, "sigreturn refused: %s (frame at 0x%lx)", bad, base);
        die(SIGSEGV, why);
    }
    const struct kos_ucontext *uc = &f.uc;
    tf->r15 = uc->r15; tf->r14 = uc->r14; tf->r13 = uc->r13; tf->r12 = uc->r12;
    tf->r11 = uc->r11; tf->r10 = uc->r10; tf->r9 = uc->r9; tf->r8 = uc->r8;
    tf->rbp = uc->rbp; tf->rdi = uc->rdi; tf->rsi = uc->rsi; tf->rdx = uc->rdx;
    tf->rcx = uc->rcx; tf->rbx = uc->rbx;
    tf->rip = uc->rip; tf->rflags = uc->rflags; tf->rsp = uc->rsp;
    tf->cs = USER_CS;
    tf->ss = USER_DS;
    tf->error = (uint64_t)-1;       /* not a syscall to restart */
    memcpy(fx, uc->fxsave, sizeof fx);
    __asm__ volatile("fxrstor64 (%0)" : : "r"(fx) : "memory");
    p->sig_blocked = uc->mask & ~UNCATCHABLE;
    return (int64_t)uc->rax;        /* syscall_dispatch puts it back in rax */
}

/* Sleep until a signal is deliverable; always -EINTR. */
static int64_t wait_for_signal(void)
{
    struct proc *p = proc_current();
    while (!proc_interrupted())
        proc_sleep_on(&p->sig_pending);
    return -EINTR;
}

int64_t signal_sigsuspend(uint64_t a0)
{
    struct proc *p = proc_current();
    kos_sigset_t mask;
    if (copyin(&mask, a0, sizeof mask))
        return -EFAULT;
    p->sig_saved_mask = p->sig_blocked;
    p->sig_restore_mask = true;
    p->sig_blocked = mask & ALL_SIGNALS & ~UNCATCHABLE;
    return wait_for_signal();
}

int64_t signal_pause(void)
{
    return wait_for_signal();
}

int64_t signal_alarm(uint64_t a0)
{
    struct proc *p = proc_current();
    uint64_t ms = a0, hz = timer_hz(), now = timer_ticks();
    if (ms > 100000000ULL)
        return -EINVAL;
    uint64_t left = p->alarm_tick > now ? (p->alarm_tick - now) * 1000 / hz : 0;
    p->alarm_tick = ms ? now + (ms * hz + 999) / 1000 : 0;
    return (int64_t)left;
}
