/* Multiboot (v1) entry: the loader leaves us in 32-bit protected mode with
 * paging off. Build temporary page tables (identity map of the first GiB,
 * the same GiB at the direct-map base and at the kernel's -2 GiB link
 * address), enable PAE, NX, long mode and paging, then jump to kmain in the
 * higher half. mm/paging.c replaces these tables with fine-grained ones. */

#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/regs.h"

#define MB_MAGIC      0x1BADB002
#define MB_FLAGS      0x00000003    /* page-align modules, give memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    /* Multiboot2 header (GRUB's `multiboot2`, the ISO): the same entry, plus a
     * request for a linear framebuffer (optional: text-only loaders still boot
     * us) and page-aligned modules. Tags are 8-byte aligned. */
#define MB2_MAGIC 0xE85250D6
    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                         /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_MAGIC + (mb2_header_end - mb2_header))
    .align 8
    .word 5, 1                      /* framebuffer, optional */
    .long 20
    .long 1024, 768, 32
    .align 8
    .word 6, 0                      /* module alignment */
    .long 8
    .align 8
    .word 0, 0                      /* end */
    .long 8
mb2_header_end:

    .section .boot.bss, "aw", @nobits
    .align PAGE_SIZE
boot_pml4:      .skip PAGE_SIZE
boot_pdpt_low:  .skip PAGE_SIZE
boot_pdpt_high: .skip PAGE_SIZE
boot_pd:        .skip PAGE_SIZE
boot_stack32:   .skip 256
boot_stack32_top:

    .section .boot.data, "aw"
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00209A0000000000        /* 0x08: 64-bit kernel code */
    .quad 0x0000920000000000        /* 0x10: kernel data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
boot_mb_magic:  .long 0
boot_mb_info:   .long 0

    .section .boot.text, "ax"
    .code32
    .global _start
_start:
    cli
    mov %eax, boot_mb_magic
    mov %ebx, boot_mb_info
    mov $boot_stack32_top, %esp

    /* The loader may or may not zero .bss; do it here (physical addresses). */
    mov $(_bss_start - KERNEL_VMA), %edi
    mov $(_bss_end - KERNEL_VMA), %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* Zero the boot page tables. */
    mov $boot_pml4, %edi
    mov $(PAGE_SIZE * 4 / 4), %ecx
    xor %eax, %eax
    rep stosl

    /* PD: 512 x 2 MiB present|write|huge pages covering the first GiB. */
    mov $boot_pd, %edi
    mov $0x83, %eax
    mov $512, %ecx
1:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    loop 1b

    /* PML4[0] and PML4[256] (direct map base) -> pdpt_low[0] -> pd;
     * PML4[511] -> pdpt_high[510] -> pd (kernel at -2 GiB). */
    mov $boot_pd, %eax
    or $3, %eax
    mov %eax, boot_pdpt_low
    mov %eax, boot_pdpt_high + 510 * 8
    mov $boot_pdpt_low, %eax
    or $3, %eax
    mov %eax, boot_pml4
    mov %eax, boot_pml4 + 256 * 8
    mov $boot_pdpt_high, %eax
    or $3, %eax
    mov %eax, boot_pml4 + 511 * 8

    mov $boot_pml4, %eax
    mov %eax, %cr3

    /* CR4: PAE | OSFXSR | OSXMMEXCPT (SSE usable by kernel/wasm). */
    mov %cr4, %eax
    or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4

    /* EFER: LME | NXE. */
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax
    wrmsr

    /* CR0: PG | PE | WP | MP, clear EM (x87/SSE emulation). */
    mov %cr0, %eax
    and $~CR0_EM, %eax
    or $(CR0_PG | CR0_WP | CR0_MP | CR0_PE), %eax
    mov %eax, %cr0

    lgdt boot_gdtr
    ljmp $0x08, $long_mode_entry

    .code64
long_mode_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs

    movabs $boot_stack_top, %rsp
    movabs $set_stack_guard, %rax
    call *%rax
    xor %ebp, %ebp
    mov boot_mb_magic, %edi
    mov boot_mb_info, %esi
    movabs $kmain, %rax
    call *%rax
2:  cli
    hlt
    jmp 2b

    /* The per-boot stack-protector canary (__stack_chk_guard), before any
     * protected C function runs: RDRAND when CPUID.1:ECX[30] says it exists
     * and it delivers within 10 tries, else the TSC multiplied by an odd
     * constant. The low byte is cleared (a NUL stops string overflows). */
    .text
set_stack_guard:
    push %rbx
    mov $1, %eax
    cpuid
    bt $30, %ecx
    jnc 2f
    mov $10, %ecx
1:  rdrand %rax
    jc 3f
    loop 1b
2:  rdtsc
    shl $32, %rdx
    or %rdx, %rax
    movabs $0x9e3779b97f4a7c15, %rdx
    imul %rdx, %rax
    jmp 4f
3:  movabs $stack_guard_from_rdrand, %rdx
    movb $1, (%rdx)
4:  xor %al, %al
    movabs $__stack_chk_guard, %rdx
    mov %rax, (%rdx)
    pop %rbx
    ret

    .section .bss
    .align 16
    .global boot_stack_bottom
boot_stack_bottom:
    .skip 16384
    .global boot_stack_top
boot_stack_top:
