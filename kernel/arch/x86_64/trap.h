#pragma once

/* Offsets of struct trapframe's fields, for the entry code in isr.S
 * (checked against the struct in trap.c). */
#define TF_R11    (4 * 8)
#define TF_RCX    (12 * 8)
#define TF_RIP    (17 * 8)
#define TF_CS     (18 * 8)
#define TF_RFLAGS (19 * 8)
#define TF_SS     (21 * 8)
#define T_SYSCALL 0x80

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stdbool.h>

/* Registers saved by the interrupt entry code (isr.S), lowest address first. */
struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};

#define T_DIVIDE    0
#define T_DEBUG     1
#define T_NMI       2
#define T_BREAK     3
#define T_OVERFLOW  4
#define T_BOUND     5
#define T_INVOP     6
#define T_NODEV     7
#define T_DBLFAULT  8
#define T_TSS       10
#define T_SEGNP     11
#define T_STACK     12
#define T_GPF       13
#define T_PGFLT     14
#define T_FPERR     16
#define T_ALIGN     17
#define T_MCHK      18
#define T_SIMD      19
#define T_IRQ0      32

#define PF_PRESENT  (1u << 0)
#define PF_WRITE    (1u << 1)
#define PF_USER     (1u << 2)
#define PF_RSVD     (1u << 3)
#define PF_INSTR    (1u << 4)

void idt_init(void);
void trap_dispatch(struct trapframe *tf);

/* The syscall gate's handler (the syscall table registers it). */
void trap_set_syscall(void (*fn)(struct trapframe *tf));
/* What the process layer does on traps from user mode (proc_init registers it). */
struct trap_user_hooks {
    /* A fault in user mode: kills the process (never returns then), or
     * resolves it (a copy-on-write page) and returns true; false when there
     * is no process to blame: the fault is the kernel's. */
    bool (*user_fault)(struct trapframe *tf);
    /* After every trap, on the way back: preemption and pending kills. */
    void (*user_return)(struct trapframe *tf);
    /* The end of the kernel stack sp lies on (the current process's), 0 when
     * it is not one: backtraces walk to it. */
    uint64_t (*kernel_stack_top)(uint64_t sp);
    /* va is mapped user-accessible in the current address space (a kernel
     * fault on such a page is named SMEP or SMAP). */
    bool (*user_page_mapped)(uint64_t va);
};
void trap_set_user_hooks(const struct trap_user_hooks *hooks);
/* Returns to user mode from a trapframe on the current kernel stack (isr.S). */
__attribute__((noreturn)) void trap_return(struct trapframe *tf);
const char *trap_name(uint64_t vector);
#endif
