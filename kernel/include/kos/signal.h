/* Signals: numbers, dispositions, sigaction, the frame a handler gets.
 * Numbers and flag values are Linux's (x86-64), so programs read the same.
 *
 * sigaction(sig, const struct kos_sigaction *act, struct kos_sigaction *old)  50
 * sigprocmask(how, const kos_sigset_t *set, kos_sigset_t *old)                51
 * sigreturn(void): only from the kernel's trampoline                          52
 * sigsuspend(const kos_sigset_t *mask): always -EINTR                         53
 * pause(void): always -EINTR                                                  54
 * alarm(ms): SIGALRM after ms milliseconds (0 cancels); returns the ms left   55
 *            of the previous alarm
 * kill(pid, sig)                                                              29
 *            sig 0 checks that pid exists and may be signalled. */
#pragma once
#include <stdint.h>

#define SIGHUP     1
#define SIGINT     2
#define SIGQUIT    3
#define SIGILL     4
#define SIGTRAP    5
#define SIGABRT    6
#define SIGBUS     7
#define SIGFPE     8
#define SIGKILL    9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define KOS_NSIG  32        /* signals are 1 .. KOS_NSIG-1 */

/* A set of signals: bit (sig - 1). */
typedef uint64_t kos_sigset_t;
#define KOS_SIGBIT(sig) (1ULL << ((sig) - 1))

#define SIG_DFL 0UL
#define SIG_IGN 1UL

/* sa_flags */
#define SA_NOCLDSTOP 0x00000001
#define SA_SIGINFO   0x00000004
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000

/* sigprocmask how */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

struct kos_sigaction {
    uint64_t handler;       /* SIG_DFL, SIG_IGN or void (*)(int) / void (*)(int, kos_siginfo *, void *) */
    uint64_t flags;         /* SA_* */
    kos_sigset_t mask;      /* blocked while the handler runs (besides sig itself) */
};

/* si_code */
#define SI_USER     0       /* kill() */
#define SI_KERNEL   0x80    /* SIGPIPE, SIGCHLD, SIGALRM, console */
#define SEGV_MAPERR 1       /* no page there */
#define SEGV_ACCERR 2       /* a page without that access */
#define CLD_EXITED  1
#define CLD_KILLED  2

struct kos_siginfo {
    int32_t signo;
    int32_t code;
    int32_t pid;            /* sender (kill, SIGCHLD: the child) */
    int32_t status;         /* SIGCHLD: the child's wait status */
    uint64_t addr;          /* fault signals: the faulting address */
};

/* The saved user state a handler gets as its third argument; sigreturn
 * restores it after checking every field that could raise privilege. */
struct kos_ucontext {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, cs, rflags, rsp, ss;
    kos_sigset_t mask;      /* blocked set to go back to */
    uint64_t magic;         /* KOS_SIGFRAME_MAGIC */
    uint8_t fxsave[512];    /* FXSAVE image (x87, SSE registers, MXCSR) */
};
#define KOS_SIGFRAME_MAGIC 0x6b6f737369676672ULL    /* "kossigfr" */

/* What delivery pushes on the user stack, below the red zone: the
 * handler's return address (the trampoline) at the lowest address, which
 * is the handler's rsp (8 mod 16, as after a call). */
struct kos_sigframe {
    uint64_t retaddr;
    struct kos_siginfo info;
    struct kos_ucontext uc;
};

/* The kernel's trampoline page: a handler returns there and it calls sigreturn. */
#define KOS_SIGTRAMP_VA 0x00007ffffffff000ULL
