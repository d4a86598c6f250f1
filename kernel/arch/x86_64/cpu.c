#include "arch/x86_64/cpu.h"
#include "arch/x86_64/regs.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Read by the interrupt entry (isr.S) and the user-copy helpers: stac/clac
 * exist only on CPUs with SMAP. */
uint8_t cpu_smap_enabled;
bool cpu_smep_enabled;

/* boot.S already set PAE, OSFXSR, OSXMMEXCPT, EFER.NXE and CR0.WP. Add SMEP
 * (the kernel never executes a user page) and SMAP (the kernel touches user
 * pages only inside copyin/copyout, between stac and clac) when the CPU has
 * them. */
void cpu_init(void)
{
    uint32_t a, b, c, d;
    cpuid(0, 0, &a, &b, &c, &d);
    if (a >= 7) {
        cpuid(7, 0, &a, &b, &c, &d);
        uint64_t cr4 = read_cr4();
        if (b & CPUID7_EBX_SMEP) {
            cr4 |= CR4_SMEP;
            cpu_smep_enabled = true;
        }
        if (b & CPUID7_EBX_SMAP) {
            cr4 |= CR4_SMAP;
            cpu_smap_enabled = 1;
        }
        /* Clear RFLAGS.AC before SMAP takes effect: the firmware may have left it set. */
        if (cpu_smap_enabled)
            __asm__ volatile("clac");
        __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    }
    /* Start with a clean x87/SSE state; processes load their own. */
    __asm__ volatile("fninit");
}
