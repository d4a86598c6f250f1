#include "arch/x86_64/trap.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/regs.h"

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

static struct idt_gate idt[256];
extern const uint64_t isr_table[48];
extern char isr128[], syscall_entry[];

static void set_gate(int vec, uint64_t handler, int ist, int dpl)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = handler & 0xffff,
        .selector = GDT_KERNEL_CODE,
        .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8E | (dpl << 5)),  /* present, 64-bit interrupt gate */
        .offset_mid = (handler >> 16) & 0xffff,
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_init(void)
{
    for (int v = 0; v < 48; v++)
        set_gate(v, isr_table[v], v == T_DBLFAULT ? 1 : 0, 0);
    /* Interrupt gate (IF cleared) callable from ring 3. */
    set_gate(T_SYSCALL, (uint64_t)isr128, 0, 3);
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
    /* The syscall instruction: the same frame and dispatch as int $0x80
     * (isr.S). sysret loads cs = base + 16 and ss = base + 8 with RPL 3:
     * user code and data sit in that order in the GDT. */
    wrmsr(MSR_STAR, ((uint64_t)(GDT_USER_DATA - 8) << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}
