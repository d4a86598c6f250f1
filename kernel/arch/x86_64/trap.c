/* Where every interrupt lands: exceptions, PIC lines, the syscall gate.
 * What a syscall or a user fault does is registered from above (the
 * syscall table, the process layer); a fault in the kernel panics here with
 * the registers and a backtrace. */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/memlayout.h"
#include "lib/printf.h"
#include "lib/panic.h"

#include <stddef.h>

_Static_assert(offsetof(struct trapframe, r11) == TF_R11 && offsetof(struct trapframe, rcx) == TF_RCX &&
                   offsetof(struct trapframe, rip) == TF_RIP && offsetof(struct trapframe, cs) == TF_CS &&
                   offsetof(struct trapframe, rflags) == TF_RFLAGS && offsetof(struct trapframe, ss) == TF_SS,
               "isr.S's TF_* offsets match struct trapframe");

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

static void (*syscall_handler)(struct trapframe *tf);
static const struct trap_user_hooks *user_hooks;

void trap_set_syscall(void (*fn)(struct trapframe *tf))
{
    syscall_handler = fn;
}

void trap_set_user_hooks(const struct trap_user_hooks *hooks)
{
    user_hooks = hooks;
}

extern char boot_stack_bottom[], boot_stack_top[];

/* The end of the stack sp lies on, so a backtrace can walk all of it. */
static uint64_t stack_top_of(uint64_t sp)
{
    uint64_t top = user_hooks ? user_hooks->kernel_stack_top(sp) : 0;
    if (top)
        return top;
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
    if (!user_hooks || !user_hooks->user_page_mapped(cr2))
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
    if (v == T_SYSCALL && syscall_handler) {
        /* int $0x80 pushes no error code: keep the number there, so an
         * interrupted syscall can be restarted after a signal handler. */
        tf->error = tf->rax;
        syscall_handler(tf);
        user_hooks->user_return(tf);
        return;
    }
    if (v >= T_IRQ0 && v < T_IRQ0 + 16) {
        irq_dispatch((int)(v - T_IRQ0));
        if (user_hooks)
            user_hooks->user_return(tf);
        return;
    }
    /* A user fault kills only that process (or is resolved: copy-on-write). */
    if ((tf->cs & 3) == 0 || !user_hooks || !user_hooks->user_fault(tf))
        kernel_fault(tf);
    user_hooks->user_return(tf);
}
