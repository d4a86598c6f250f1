/* arch/x86_64: descriptor tables, TSS, timer interrupts, FPU/SSE setup. */
#include "test/ktest.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/trap.h"

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

static bool test_gdt_and_tss(void)
{
    struct dtr g;
    uint16_t tr, cs;
    __asm__ volatile("sgdt %0" : "=m"(g));
    __asm__ volatile("str %0" : "=r"(tr));
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    KT_EXPECT_EQ(g.limit, 7 * 8 - 1);
    KT_EXPECT(g.base >= 0xffffffff80000000ULL);
    KT_EXPECT_EQ(tr, GDT_TSS);
    KT_EXPECT_EQ(cs, GDT_KERNEL_CODE);
    const uint64_t *gdt = (const uint64_t *)g.base;
    /* User code and data descriptors carry DPL 3; the user code one is 64-bit. */
    KT_EXPECT_EQ((gdt[GDT_USER_CODE / 8] >> 45) & 3, 3);
    KT_EXPECT_EQ((gdt[GDT_USER_DATA / 8] >> 45) & 3, 3);
    KT_EXPECT((gdt[GDT_USER_CODE / 8] >> 53) & 1);
    KT_EXPECT_EQ((gdt[GDT_KERNEL_CODE / 8] >> 45) & 3, 0);
    return true;
}

static bool test_idt_gates(void)
{
    struct dtr i;
    __asm__ volatile("sidt %0" : "=m"(i));
    KT_EXPECT_EQ(i.limit, 256 * 16 - 1);
    const uint8_t *idt = (const uint8_t *)i.base;
    for (int v = 0; v < 48; v++)
        KT_EXPECT(idt[v * 16 + 5] & 0x80);                  /* present */
    KT_EXPECT_EQ((idt[T_SYSCALL * 16 + 5] >> 5) & 3, 3);     /* int 0x80 callable from ring 3 */
    KT_EXPECT_EQ((idt[T_PGFLT * 16 + 5] >> 5) & 3, 0);       /* exceptions are not */
    KT_EXPECT_EQ(idt[T_DBLFAULT * 16 + 4] & 7, 1);           /* double fault on IST1 */
    return true;
}

static bool test_timer_ticks(void)
{
    KT_EXPECT(read_rflags() & RFLAGS_IF);    /* interrupts are on */
    uint64_t start = timer_ticks();
    /* hlt wakes on the next interrupt; a running PIT ends this well before the bound. */
    for (int i = 0; i < 100000 && timer_ticks() < start + 3; i++)
        hlt();
    KT_EXPECT(timer_ticks() >= start + 3);
    KT_EXPECT(timer_hz() > 0);
    return true;
}

static bool test_sse_enabled(void)
{
    uint64_t cr4 = read_cr4(), cr0 = read_cr0();
    KT_EXPECT(cr4 & CR4_OSFXSR);
    KT_EXPECT(cr4 & CR4_OSXMMEXCPT);
    KT_EXPECT(!(cr0 & CR0_EM));
    static uint8_t area[512] __attribute__((aligned(16)));
    __asm__ volatile("fxsave64 %0" : "=m"(area));
    uint32_t mxcsr = *(uint32_t *)&area[24];
    KT_EXPECT_EQ(mxcsr & 0x1f80, 0x1f80);   /* all SIMD exceptions masked */
    return true;
}

KTEST_SUITE(cpu,
    KTEST_CASE("cpu_gdt_and_tss", test_gdt_and_tss),
    KTEST_CASE("cpu_idt_gates", test_idt_gates),
    KTEST_CASE("cpu_timer_ticks", test_timer_ticks),
    KTEST_CASE("cpu_sse_enabled", test_sse_enabled),
);
