#pragma once

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x18    /* selectors with RPL 3: 0x1b, 0x23 */
#define GDT_USER_CODE   0x20
#define GDT_TSS         0x28
#define USER_CS (GDT_USER_CODE | 3)
#define USER_DS (GDT_USER_DATA | 3)

#ifndef __ASSEMBLER__
#include <stdint.h>
void gdt_init(void);
/* Stack the CPU switches to on an interrupt or syscall from ring 3. */
void tss_set_rsp0(uint64_t rsp0);
/* The same stack for the syscall instruction (syscall_entry in isr.S). */
extern uint64_t syscall_kernel_rsp;
#endif
