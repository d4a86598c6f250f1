#pragma once
#include <stdint.h>
#include <stdbool.h>
#include "arch/x86_64/regs.h"

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t read_rflags(void) { uint64_t v; __asm__ volatile("pushfq; popq %0" : "=r"(v)); return v; }

/* Save the interrupt flag and disable interrupts; irq_restore puts it back. */
static inline uint64_t irq_save(void) { uint64_t f = read_rflags(); cli(); return f; }
static inline void irq_restore(uint64_t f) { if (f & RFLAGS_IF) sti(); }

/* Stop for good: interrupts off, halt forever. */
__attribute__((noreturn)) static inline void cpu_halt_forever(void)
{
    for (;;) { cli(); hlt(); }
}

void cpu_init(void);

/* Set by cpu_init when the CPU has them (CR4.SMEP, CR4.SMAP). */
extern uint8_t cpu_smap_enabled;
extern bool cpu_smep_enabled;
/* The window in which the kernel may touch user pages under SMAP: only the
 * user-copy helpers (mm/uaccess.c) open it. stac/clac exist only with SMAP. */
static inline void user_access_begin(void) { if (cpu_smap_enabled) __asm__ volatile("stac" ::: "memory"); }
static inline void user_access_end(void) { if (cpu_smap_enabled) __asm__ volatile("clac" ::: "memory"); }
