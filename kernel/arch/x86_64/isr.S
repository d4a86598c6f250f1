/* Interrupt entry points: every vector lands in isr_common with the same
 * frame layout (struct trapframe in trap.h); the syscall instruction builds
 * that frame too (syscall_entry). */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"

.macro ISR_NOERR vec
    .global isr\vec
isr\vec:
    pushq $0
    pushq $\vec
    jmp isr_common
.endm

.macro ISR_ERR vec
    .global isr\vec
isr\vec:
    pushq $\vec
    jmp isr_common
.endm

/* The general registers of struct trapframe, rax pushed first. */
.macro PUSH_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm
.macro POP_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

    .text
ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR   8
ISR_NOERR 9
ISR_ERR   10
ISR_ERR   11
ISR_ERR   12
ISR_ERR   13
ISR_ERR   14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR   17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR   21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR   29
ISR_ERR   30
ISR_NOERR 31
ISR_NOERR 32
ISR_NOERR 33
ISR_NOERR 34
ISR_NOERR 35
ISR_NOERR 36
ISR_NOERR 37
ISR_NOERR 38
ISR_NOERR 39
ISR_NOERR 40
ISR_NOERR 41
ISR_NOERR 42
ISR_NOERR 43
ISR_NOERR 44
ISR_NOERR 45
ISR_NOERR 46
ISR_NOERR 47
ISR_NOERR 128

isr_common:
    PUSH_GPRS
    /* Whatever RFLAGS.AC ring 3 (or an interrupted user copy) had, the handler
     * runs with SMAP enforced; iretq puts the interrupted AC back. */
    testb $1, cpu_smap_enabled(%rip)
    jz 1f
    clac
1:  cld
    mov %rsp, %rdi
    call trap_dispatch
    .global trap_restore
trap_restore:
    POP_GPRS
    add $16, %rsp           /* vector and error code */
    iretq

/* The syscall instruction's entry (LSTAR, set by idt_init). The CPU put
 * the user rip in rcx and rflags in r11, masked IF, DF, TF and AC (FMASK)
 * and left rsp and the segment bases alone: one CPU, interrupts off, so the
 * user rsp waits in a global while the frame is built. The frame is the one
 * int $0x80 makes (vector 0x80, the user's cs and ss), so everything after
 * it (dispatch, signals, restarts, preemption) is the same code. */
    .global syscall_entry
syscall_entry:
    mov %rsp, syscall_user_rsp(%rip)
    mov syscall_kernel_rsp(%rip), %rsp
    pushq $USER_DS
    pushq syscall_user_rsp(%rip)
    pushq %r11
    pushq $USER_CS
    pushq %rcx
    pushq $0
    pushq $0x80
    PUSH_GPRS
    mov %rsp, %rdi
    call trap_dispatch
    /* sysretq puts rip from rcx and rflags from r11: it returns what the
     * frame says only while the frame's rcx is its rip and r11 its rflags
     * (any frame a syscall left alone). A frame changed by a signal, a
     * restart or sigreturn, or a non-canonical rip (sysret would fault in
     * ring 0) takes iretq. */
    mov TF_RIP(%rsp), %rcx
    cmp TF_RCX(%rsp), %rcx
    jne trap_restore
    mov TF_RFLAGS(%rsp), %r11
    cmp TF_R11(%rsp), %r11
    jne trap_restore
    cmpq $USER_CS, TF_CS(%rsp)
    jne trap_restore
    cmpq $USER_DS, TF_SS(%rsp)
    jne trap_restore
    shr $47, %rcx
    jnz trap_restore
    POP_GPRS
    mov 40(%rsp), %rsp      /* past vector, error, rip, cs, rflags: the user rsp */
    sysretq

    .global trap_return
trap_return:
    mov %rdi, %rsp
    jmp trap_restore

/* void swtch(struct context **save, struct context *load): save the
 * callee-saved registers on this stack, switch stacks, restore. */
    .global swtch
swtch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .bss
    .align 8
syscall_user_rsp:
    .quad 0

    .section .rodata
    .global isr_table
    .align 8
isr_table:
    .quad isr0, isr1, isr2, isr3, isr4, isr5, isr6, isr7
    .quad isr8, isr9, isr10, isr11, isr12, isr13, isr14, isr15
    .quad isr16, isr17, isr18, isr19, isr20, isr21, isr22, isr23
    .quad isr24, isr25, isr26, isr27, isr28, isr29, isr30, isr31
    .quad isr32, isr33, isr34, isr35, isr36, isr37, isr38, isr39
    .quad isr40, isr41, isr42, isr43, isr44, isr45, isr46, isr47
