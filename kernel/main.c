/* kmain: bring the machine up, then run what the command line asks for
 * (in-kernel KTAP suites, then init programs) and leave QEMU with the verdict. */
#include <stdint.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/multiboot.h"
#include "drivers/serial.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include "lib/ktap.h"
#include "lib/string.h"
#include "cmdline.h"
#include "test/ktest.h"

void kmain(uint32_t mb_magic, uint32_t mb_info);

static void harness_misbehave(const char *what)
{
    if (strcmp(what, "panic") == 0)
        panic("deliberate panic requested on the command line");
    if (strcmp(what, "hang") == 0) {
        ktap_begin(1);
        cpu_halt_forever();
    }
    if (strcmp(what, "triple") == 0) {
        /* An empty IDT turns the next exception into a triple fault. */
        struct __attribute__((packed)) { uint16_t limit; uint64_t base; } empty = { 0, 0 };
        __asm__ volatile("lidt %0; int3" : : "m"(empty));
        panic("int3 with an empty IDT did not reset the machine");
    }
    panic("unknown harness mode '%s' (expected hang, triple or panic)", what);
}

void kmain(uint32_t mb_magic, uint32_t mb_info)
{
    serial_init();
    multiboot_parse(mb_magic, mb_info);
    cmdline_init(boot_info.cmdline);
    kprintf("kos: booting, command line '%s'\n", boot_info.cmdline);

    char value[512];
    if (cmdline_get("harness", value, sizeof value))
        harness_misbehave(value);

    char ktests[512] = "";
    cmdline_get("ktest", ktests, sizeof ktests);

    int plan = ktest_count(ktests);
    ktap_begin(plan);
    ktest_run(ktests);

    qemu_exit(ktap_all_passed() ? 0 : 1);
}
