/* GDT with kernel and user segments plus the TSS (rsp0 for ring-3 entries,
 * IST1 for double faults so a blown kernel stack still reports). The user
 * data selector sits right before user code, the order sysret would need. */
#include "arch/x86_64/gdt.h"
#include "lib/string.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[7];
static uint8_t double_fault_stack[8192] __attribute__((aligned(16)));

void gdt_init(void)
{
    gdt[0] = 0;
    gdt[1] = 0x00209A0000000000ULL;     /* kernel code: present, DPL0, long mode */
    gdt[2] = 0x0000920000000000ULL;     /* kernel data */
    gdt[3] = 0x0000F20000000000ULL;     /* user data: DPL3 */
    gdt[4] = 0x0020FA0000000000ULL;     /* user code: DPL3, long mode */

    memset(&tss, 0, sizeof tss);
    tss.ist[0] = (uint64_t)(double_fault_stack + sizeof double_fault_stack);
    tss.iomap_base = sizeof tss;        /* no I/O bitmap: ring 3 gets no ports */
    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;

    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = { sizeof gdt - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n"
        "mov %1, %%ds\n mov %1, %%es\n mov %1, %%ss\n"
        "xor %%eax, %%eax\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
        "pushq %2\n leaq 1f(%%rip), %%rax\n pushq %%rax\n lretq\n"
        "1:\n"
        : : "m"(gdtr), "r"((uint64_t)GDT_KERNEL_DATA), "i"(GDT_KERNEL_CODE) : "rax", "memory");
    __asm__ volatile("ltr %w0" : : "r"((uint16_t)GDT_TSS));
}

uint64_t syscall_kernel_rsp;

void tss_set_rsp0(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
    syscall_kernel_rsp = rsp0;
}
