/* sigreturn checks the frame it restores: a handler that forges its saved
 * context (kernel segment selectors, a kernel-half or non-canonical rip or
 * rsp, rflags with IOPL or without IF, reserved MXCSR bits, a broken magic)
 * gets its process killed with SIGSEGV and the kernel keeps running; a
 * legitimate change (skipping the faulting instruction) is honoured, and
 * sigreturn called outside a handler is refused. */
#include "libc.h"
#include "ktap.h"

enum forge { SKIP_INSN, BAD_CS, BAD_SS, KERNEL_RIP, NONCANONICAL_RIP, KERNEL_RSP, IOPL3, NO_IF, BAD_MXCSR, BAD_MAGIC, NFORGE };
static const char *const names[NFORGE] = {
    "skip_faulting_instruction_honoured", "kernel_cs_refused", "bad_ss_refused", "kernel_rip_refused",
    "noncanonical_rip_refused", "kernel_rsp_refused", "iopl3_rflags_refused", "rflags_without_if_refused",
    "reserved_mxcsr_refused", "broken_magic_refused",
};
static volatile int which;

static void forger(int sig, struct kos_siginfo *info, void *ucv)
{
    (void)sig;
    (void)info;
    struct kos_ucontext *uc = ucv;
    switch (which) {
    case SKIP_INSN: uc->rip += 2; uc->rax = 77; break;        /* ud2 is two bytes */
    case BAD_CS: uc->cs = 0x08; break;
    case BAD_SS: uc->ss = 0x10; break;
    case KERNEL_RIP: uc->rip = 0xffffffff80100000UL; break;
    case NONCANONICAL_RIP: uc->rip = 0x0000800000000000UL; break;
    case KERNEL_RSP: uc->rsp = 0xffff800000010000UL; break;
    case IOPL3: uc->rflags |= 3UL << 12; break;
    case NO_IF: uc->rflags &= ~(1UL << 9); break;
    case BAD_MXCSR: *(uint32_t *)&uc->fxsave[24] |= 0xffff0000u; break;
    case BAD_MAGIC: uc->magic ^= 1; break;
    }
}

int main(void)
{
    ktap_begin("signal_forge", NFORGE + 2);
    for (int k = 0; k < NFORGE; k++) {
        long pid = fork();
        if (pid == 0) {
            which = k;
            struct kos_sigaction act = { (uint64_t)forger, SA_SIGINFO, 0 };
            sigaction(SIGILL, &act, NULL);
            long rax;
            __asm__ volatile("xor %%eax, %%eax; ud2" : "=a"(rax));
            exit(rax == 77 ? 0 : 1);       /* only SKIP_INSN gets here */
        }
        int st = -1;
        waitpid(pid, &st, 0);
        if (k == SKIP_INSN)
            KTAP_EXPECT_EQ(names[k], st, 0);
        else
            KTAP_EXPECT_EQ(names[k], WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSEGV);
    }
    long pid = fork();
    if (pid == 0) {
        syscall6(SYS_sigreturn, 0, 0, 0, 0, 0, 0);
        exit(0);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    KTAP_EXPECT_EQ("sigreturn_without_frame_refused", WIFSIGNALED(st) ? WTERMSIG(st) : -1, SIGSEGV);
    /* The kernel is fine: processes still fork, run and report. */
    pid = fork();
    if (pid == 0)
        exit(5);
    waitpid(pid, &st, 0);
    KTAP_EXPECT_EQ("kernel_keeps_running", WEXITSTATUS(st), 5);
    return ktap_done();
}
