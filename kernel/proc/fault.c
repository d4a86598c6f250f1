/* Traps from user mode, as the process layer handles them (registered with
 * arch/x86_64/trap.c by proc_init): a fault goes to the program's signal
 * handler or ends the process, a write to a copy-on-write page copies it and
 * retries. */
#include "proc/proc.h"
#include "proc/sched.h"
#include "proc/signal.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/cpu.h"
#include "mm/paging.h"
#include "lib/printf.h"
#include <kos/errno.h>

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

static bool user_fault(struct trapframe *tf)
{
    if (!proc_current())
        return false;
    uint64_t v = tf->vector;
    char reason[160];
    if (v == T_PGFLT && (tf->error & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE)) {
        uint64_t cr2 = read_cr2();
        int e = paging_cow_resolve(proc_current()->pml4, cr2);
        if (e == 0)
            return true;
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
    return true;
}

static uint64_t kernel_stack_top(uint64_t sp)
{
    struct proc *p = proc_current();
    uint64_t base = p ? (uint64_t)p->kstack : 0;
    if (base && sp >= base && sp < base + KSTACK_PAGES * PAGE_SIZE)
        return base + KSTACK_PAGES * PAGE_SIZE;
    return 0;
}

static bool user_page_mapped(uint64_t va)
{
    uint64_t leaf = 0;
    return paging_translate(read_cr3() & PTE_ADDR, va, &leaf) && (leaf & PTE_U);
}

static const struct trap_user_hooks hooks = {
    .user_fault = user_fault,
    .user_return = sched_user_return,
    .kernel_stack_top = kernel_stack_top,
    .user_page_mapped = user_page_mapped,
};

void proc_fault_init(void)
{
    trap_set_user_hooks(&hooks);
}
