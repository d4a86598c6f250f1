#include "arch/x86_64/cpu.h"
#include "arch/x86_64/regs.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* boot.S already set PAE, OSFXSR, OSXMMEXCPT, EFER.NXE and CR0.WP. Add SMEP
 * when the CPU has it, so the kernel never executes a user page. */
void cpu_init(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a >= 7) {
        cpuid(7, 0, &a, &b, &c, &d);
        if (b & CPUID7_EBX_SMEP) {
            uint64_t cr4 = read_cr4();
            __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_SMEP));
        }
    }
    /* Start with a clean x87/SSE state; processes load their own. */
    __asm__ volatile("fninit");
}
