/* Where every interrupt lands: exceptions, PIC lines, the syscall gate.
 * A fault in ring 3 kills only that process; one in the kernel panics with
 * the registers and a backtrace. */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/cpu.h"
#include "mm/paging.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "sys/syscall.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include <kos/errno.h>

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
    "page fault", "reserved", "x87 floating-point error", "alignment check", "machine check",
    "SIMD floating-point error", "virtualization exception", "control protection exception",
};

const char *trap_name(uint64_t vector)
{
    if (vector < 32)
        return exception_names[vector] ? exception_names[vector] : "reserved";
    if (vector == T_SYSCALL)
        return "syscall";
    return "interrupt";
}

/* A human reason for a user page fault, e.g.
 * "page fault: write at 0x401000 (protection, user code page), rip 0x401123". */
static void describe_page_fault(const struct trapframe *tf, uint64_t cr2, char *buf, size_t n)
{
    const char *access = (tf->error & PF_INSTR) ? "execute" : (tf->error & PF_WRITE) ? "write" : "read";
    const char *what = (tf->error & PF_PRESENT) ? "protection violation" : "not present";
    const char *hint = "";
    uint64_t leaf = 0;
    if (cr2 < PAGE_SIZE)
        hint = ", null pointer";
    else if (cr2 >= USER_TOP)
        hint = ", kernel address";
    else if (cr2 < USER_STACK_BOTTOM && cr2 >= USER_STACK_BOTTOM - USER_STACK_GUARD_PAGES * PAGE_SIZE)
        hint = ", stack guard page (stack overflow)";
    else if ((tf->error & PF_PRESENT) && paging_translate(read_cr3() & PTE_ADDR, cr2, &leaf) && !(leaf & PTE_U))
        hint = ", no-access page (PROT_NONE)";
    else if ((tf->error & PF_INSTR) && (tf->error & PF_PRESENT))
        hint = ", non-executable page";
    else if ((tf->error & PF_WRITE) && (tf->error & PF_PRESENT))
        hint = ", read-only page";
    ksnprintf(buf, n, "page fault: %s at 0x%lx (%s%s), rip 0x%lx", access, cr2, what, hint, tf->rip);
}

extern char boot_stack_bottom[], boot_stack_top[];

/* The end of the stack sp lies on, so a backtrace can walk all of it. */
static uint64_t stack_top_of(uint64_t sp)
{
    struct proc *p = proc_current();
    if (p && p->kstack && sp >= (uint64_t)p->kstack && sp < (uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE)
        return (uint64_t)p->kstack + KSTACK_PAGES * PAGE_SIZE;
    if (sp >= (uint64_t)boot_stack_bottom && sp < (uint64_t)boot_stack_top)
        return (uint64_t)boot_stack_top;
    return 0;
}

/* Which protection rule a kernel-mode page fault on a present user page
 * broke: SMEP (executed it) or SMAP (touched it outside the user-copy
 * helpers); NULL for any other fault. */
static const char *kernel_fault_rule(const struct trapframe *tf, uint64_t cr2)
{
    if (tf->vector != T_PGFLT || cr2 >= USER_TOP || !(tf->error & PF_PRESENT))
        return NULL;
    uint64_t leaf = 0;
    if (!paging_translate(read_cr3() & PTE_ADDR, cr2, &leaf) || !(leaf & PTE_U))
        return NULL;
    if (tf->error & PF_INSTR)
        return cpu_smep_enabled ? "SMEP: the kernel executed a user page" : NULL;
    return cpu_smap_enabled ? "SMAP: the kernel touched a user page outside copyin/copyout" : NULL;
}

static void kernel_fault(struct trapframe *tf)
{
    uint64_t cr2 = read_cr2();
    kprintf("# kernel exception %lu (%s), error 0x%lx\n", tf->vector, trap_name(tf->vector), tf->error);
    kprintf("#   rip 0x%lx cs 0x%lx rflags 0x%lx rsp 0x%lx cr2 0x%lx cr3 0x%lx\n",
            tf->rip, tf->cs, tf->rflags, tf->rsp, cr2, read_cr3());
    kprintf("#   rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx rsi 0x%lx rdi 0x%lx rbp 0x%lx\n",
            tf->rax, tf->rbx, tf->rcx, tf->rdx, tf->rsi, tf->rdi, tf->rbp);
    kprintf("#   bt: 0x%lx\n", tf->rip);
    backtrace_from(tf->rsp, stack_top_of(tf->rsp));
    const char *rule = kernel_fault_rule(tf, cr2);
    panic("%s%s%s in kernel at rip 0x%lx (vector %lu, error 0x%lx, cr2 0x%lx)", rule ? rule : "", rule ? "; " : "",
          trap_name(tf->vector), tf->rip, tf->vector, tf->error, cr2);
}

void trap_dispatch(struct trapframe *tf)
{
    uint64_t v = tf->vector;
    if (v == T_SYSCALL) {
        /* int $0x80 pushes no error code: keep the number there, so an
         * interrupted syscall can be restarted after a signal handler. */
        tf->error = tf->rax;
        syscall_dispatch(tf);
        sched_user_return(tf);
        return;
    }
    if (v >= T_IRQ0 && v < T_IRQ0 + 16) {
        irq_dispatch((int)(v - T_IRQ0));
        sched_user_return(tf);
        return;
    }
    if ((tf->cs & 3) == 0 || !proc_current())
        kernel_fault(tf);

    char reason[160];
    /* A write to a copy-on-write page (after fork) copies it and retries. */
    if (v == T_PGFLT && (tf->error & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE)) {
        uint64_t cr2 = read_cr2();
        int e = paging_cow_resolve(proc_current()->pml4, cr2);
        if (e == 0) {
            sched_user_return(tf);
            return;
        }
        if (e == -ENOMEM) {
            ksnprintf(reason, sizeof reason, "out of memory copying the copy-on-write page at 0x%lx, rip 0x%lx", cr2, tf->rip);
            proc_kill_current(reason);
        }
    }
    uint64_t addr = tf->rip;
    int code = 0;
    if (v == T_PGFLT) {
        addr = read_cr2();
        code = (tf->error & PF_PRESENT) ? SEGV_ACCERR : SEGV_MAPERR;
        describe_page_fault(tf, addr, reason, sizeof reason);
    } else {
        ksnprintf(reason, sizeof reason, "%s (vector %lu, error 0x%lx), rip 0x%lx",
                  trap_name(v), v, tf->error, tf->rip);
    }
    /* To the program's handler if it has one, else the process ends. */
    signal_fault(tf, signal_for_vector(v), code, addr, reason);
    sched_user_return(tf);
}
