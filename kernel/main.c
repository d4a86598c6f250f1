/* kmain: bring the machine up, then run what the command line asks for
 * (in-kernel KTAP suites, then init programs) and leave QEMU with the verdict. */
#include <stdint.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/multiboot.h"
#include "arch/x86_64/tsc.h"
#include "drivers/serial.h"
#include "drivers/fbcon.h"
#include "arch/x86_64/io.h"
#include "drivers/console.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "mm/uaccess.h"
#include "fs/tarfs.h"
#include "proc/proc.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include "lib/stack_protector.h"
#include "lib/ktap.h"
#include "lib/string.h"
#include "lib/cmdline.h"
#include "lib/machine.h"
#include "test/ktest.h"
#include "sys/syscall.h"
#include "sys/sys_wasm.h"
#include "drivers/net_boot.h"
#include "net/netif.h"

void kmain(uint32_t mb_magic, uint32_t mb_info);
void panic_set_stack_top(uint64_t top);
extern char boot_stack_top[];

/* Subsystems brought up once the core (memory, traps, timer, processes) is
 * running, in this order; each registers its hooks. Adding one: list it. */
static void (*const subsystem_inits[])(void) = {
    console_init,
    syscall_init,
    sys_wasm_init,
    net_platform_init,
};

/* harness=stacksmash: write past a local array; the stack protector's check
 * on return must catch it (__stack_chk_fail panics). */
static volatile size_t harness_smash_len = 64;
__attribute__((noinline)) static void harness_smash_stack(void)
{
    char buf[16];
    volatile char *p = buf;
    size_t len = harness_smash_len;
    kprintf("harness: writing %lu bytes into a 16-byte stack buffer\n", (unsigned long)len);
    for (size_t i = 0; i < len; i++)
        p[i] = 'A';
}

/* A page mapped user-accessible in the current (kernel) address space: its
 * first byte is `ret`, so executing it would return if SMEP let it run. */
#define HARNESS_USER_VA 0x10000000ULL
static volatile uint8_t *harness_user_page(uint64_t flags)
{
    uint64_t pa = pmm_alloc_zeroed();
    if (!pa)
        panic("harness: no page for the user mapping");
    *(uint8_t *)phys_to_virt(pa) = 0xc3;
    if (paging_map(read_cr3() & PTE_ADDR, HARNESS_USER_VA, pa, PTE_U | flags))
        panic("harness: cannot map a user page at 0x%lx", (unsigned long)HARNESS_USER_VA);
    return (volatile uint8_t *)HARNESS_USER_VA;
}

static void harness_misbehave(const char *what)
{
    if (strcmp(what, "stacksmash") == 0) {
        harness_smash_stack();
        panic("a 64-byte write into a 16-byte stack buffer was not caught");
    }
    if (strcmp(what, "smep") == 0) {
        volatile uint8_t *page = harness_user_page(0);
        kprintf("harness: calling the user page at %p from the kernel (SMEP %s)\n", (void *)page, cpu_smep_enabled ? "on" : "off");
        ((void (*)(void))(uintptr_t)page)();
        panic("the kernel executed a user page (SMEP %s)", cpu_smep_enabled ? "on, not enforced" : "off");
    }
    if (strcmp(what, "smap") == 0) {
        volatile uint8_t *page = harness_user_page(PTE_NX);
        uint8_t first = 0;
        /* Through the helper it works (stac/clac around the copy) ... */
        if (copyin(&first, (uint64_t)(uintptr_t)page, 1) || first != 0xc3)
            panic("copyin of a mapped user page failed");
        kprintf("harness: copyin read 0x%x from the user page; now a direct read (SMAP %s)\n", first, cpu_smap_enabled ? "on" : "off");
        /* ... a plain dereference outside it must fault. */
        first = *page;
        panic("the kernel read a user page outside copyin (SMAP %s), got 0x%x", cpu_smap_enabled ? "on, not enforced" : "off", first);
    }
    if (strcmp(what, "ubsan") == 0) {
        /* Undefined behaviour the UBSan build reports (kos test --sanitize):
         * a signed overflow and an oversized shift, through volatile so the
         * compiler cannot fold them. Other builds just compute. */
        ktap_begin(1);
        volatile int big = 0x7fffffff, one = 1, wide = 40;
        int sum = big + one;
        unsigned shifted = 1u << wide;
        kprintf("harness: INT_MAX + 1 gave %d, 1 << 40 gave %u\n", sum, shifted);
        ktap_result(true, "undefined_behaviour_ran");
        machine_exit(ktap_all_passed() ? 0 : 1);
    }
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
    if (strcmp(what, "pagefault") == 0) {
        /* A kernel-mode fault: the exception report and backtrace, then a panic. */
        volatile uint64_t *unmapped = (volatile uint64_t *)0xffff9fffdeadb000ULL;
        *unmapped = 1;
        panic("write to an unmapped kernel address did not fault");
    }
    panic("unknown harness mode '%s' (expected hang, triple, panic, pagefault, stacksmash, smep, smap or ubsan)", what);
}

/* hold=key: keep what is on the screen until a key comes from the PS/2
 * controller (polled: no keyboard driver), e.g. a QMP send-key after a
 * screendump. Bytes already waiting are dropped first. */
#define I8042_DATA 0x60
#define I8042_STATUS 0x64
static void hold_for_key(void)
{
    while (inb(I8042_STATUS) & 1)
        (void)inb(I8042_DATA);
    kprintf("kos: holding for a key (hold=key)\n");
    while (!(inb(I8042_STATUS) & 1))
        __asm__ volatile("pause");
    kprintf("kos: key 0x%x, exiting\n", inb(I8042_DATA));
}

/* One init= item: "/bin/prog[:arg...][!fault]". */
struct init_item {
    char path[128];
    char name[64];
    int argc;
    char args[ARGV_MAX][ARG_MAX_LEN];
    bool expect_fault;
};

static bool parse_init_item(const char *text, size_t len, struct init_item *it, char *err, size_t errlen)
{
    char buf[512];
    if (len >= sizeof buf) {
        ksnprintf(err, errlen, "init item too long");
        return false;
    }
    memcpy(buf, text, len);
    buf[len] = 0;
    memset(it, 0, sizeof *it);
    char *bang = strchr(buf, '!');
    if (bang) {
        if (strcmp(bang, "!fault") != 0) {
            ksnprintf(err, errlen, "unknown marker '%s' (only !fault)", bang);
            return false;
        }
        it->expect_fault = true;
        *bang = 0;
    }
    char *p = buf;
    int n = 0;
    for (;;) {
        char *colon = strchr(p, ':');
        if (colon)
            *colon = 0;
        if (n >= ARGV_MAX || strlen(p) >= ARG_MAX_LEN) {
            ksnprintf(err, errlen, "too many or too long arguments");
            return false;
        }
        strlcpy(it->args[n++], p, ARG_MAX_LEN);
        if (!colon)
            break;
        p = colon + 1;
    }
    it->argc = n;
    strlcpy(it->path, it->args[0], sizeof it->path);
    const char *base = it->path;
    for (const char *s = it->path; *s; s++)
        if (*s == '/')
            base = s + 1;
    /* argv[0] is the program's base name, like a shell would pass. */
    strlcpy(it->args[0], base, ARG_MAX_LEN);
    size_t off = strlcpy(it->name, base, sizeof it->name);
    for (int i = 1; i < n && off < sizeof it->name; i++)
        off += (size_t)ksnprintf(it->name + off, sizeof it->name - off, "_%s", it->args[i]);
    return true;
}

static void run_init_item(const char *text, size_t len)
{
    static struct init_item it;
    char why[200];
    if (!parse_init_item(text, len, &it, why, sizeof why)) {
        char label[64];
        ksnprintf(label, sizeof label, "%.*s", (int)(len < 40 ? len : 40), text);
        ktap_result_directive(false, label, why);
        return;
    }
    char *argv[ARGV_MAX];
    for (int i = 0; i < it.argc; i++)
        argv[i] = it.args[i];
    int err;
    struct proc *p = proc_spawn(it.path, it.argc, argv, &err, why, sizeof why);
    char directive[240];
    if (!p) {
        ksnprintf(directive, sizeof directive, "cannot run: %s (error %d)", why, err);
        ktap_result_directive(false, it.name, directive);
        return;
    }
    bool killed = false;
    char reason[160];
    int status = proc_run_until_exit(p, &killed, reason, sizeof reason);
    if (killed) {
        ksnprintf(directive, sizeof directive, "killed: %s%s", reason, it.expect_fault ? " (expected)" : "");
        ktap_result_directive(it.expect_fault, it.name, directive);
    } else if (it.expect_fault) {
        ksnprintf(directive, sizeof directive, "exit=%d (expected a fault)", status);
        ktap_result_directive(false, it.name, directive);
    } else if (status != 0) {
        ksnprintf(directive, sizeof directive, "exit=%d", status);
        ktap_result_directive(false, it.name, directive);
    } else {
        ktap_result(true, it.name);
    }
}

static int count_items(const char *list)
{
    int n = 0;
    for (const char *p = list; *p;) {
        const char *s = p;
        while (*p && *p != ',')
            p++;
        if (p > s)
            n++;
        if (*p)
            p++;
    }
    return n;
}

static void run_init_list(const char *list)
{
    for (const char *p = list; *p;) {
        const char *s = p;
        while (*p && *p != ',')
            p++;
        if (p > s)
            run_init_item(s, (size_t)(p - s));
        if (*p)
            p++;
    }
}

void kmain(uint32_t mb_magic, uint32_t mb_info)
{
    serial_init();
    multiboot_parse(mb_magic, mb_info);
    cmdline_init(boot_info.cmdline);
    panic_set_stack_top((uint64_t)boot_stack_top);
    kprintf("kos: booting, command line '%s'\n", boot_info.cmdline);
    if (boot_info.fb.phys)
        kprintf("kos: multiboot%d loader, framebuffer %ux%u at 0x%lx pitch %u\n", boot_info.multiboot_version,
                boot_info.fb.width, boot_info.fb.height, (unsigned long)boot_info.fb.phys, boot_info.fb.pitch);
    else
        kprintf("kos: multiboot%d loader, no framebuffer (serial console only)\n", boot_info.multiboot_version);

    cpu_init();
    kprintf("kos: SMEP %s, SMAP %s, stack protector canary from %s\n", cpu_smep_enabled ? "on" : "off",
            cpu_smap_enabled ? "on" : "off", stack_guard_source());
    gdt_init();
    idt_init();
    pmm_init();
    paging_init();
    if (fbcon_init())
        kprintf("kos: screen console, %ux%u pixels\n", boot_info.fb.width, boot_info.fb.height);
    pic_init();
    char value[512];
    unsigned hz = 100;
    if (cmdline_get("hz", value, sizeof value)) {
        unsigned v = 0;
        const char *c = value;
        while (*c >= '0' && *c <= '9' && v < 100000)
            v = v * 10 + (unsigned)(*c++ - '0');
        if (*c || c == value || v < 19 || v > 10000)
            kprintf("kos: hz=%s is not a number in 19..10000, using %u\n", value, hz);
        else
            hz = v;
    }
    pit_init(hz);
    tsc_calibrate();
    proc_init();
    for (size_t i = 0; i < sizeof subsystem_inits / sizeof subsystem_inits[0]; i++)
        subsystem_inits[i]();
    int nfiles = 0;
    if (boot_info.initrd_size)
        nfiles = tarfs_init(phys_to_virt(boot_info.initrd_phys), boot_info.initrd_size);
    kprintf("kos: %lu free pages of %lu, initrd %lu bytes with %d entries\n",
            pmm_free_count(), pmm_total_count(), boot_info.initrd_size, nfiles);
    sti();

    if (cmdline_get("harness", value, sizeof value))
        harness_misbehave(value);

    static char ktests[512], inits[1024];
    cmdline_get("ktest", ktests, sizeof ktests);
    cmdline_get("init", inits, sizeof inits);

    int nk = ktest_count(ktests), ni = count_items(inits);
    /* With init programs, one more result: the free page count from before
     * the first program to after the last (each in-kernel suite checks its
     * own; drivers a suite brings up keep their memory for good). */
    int plan = nk + ni + (ni ? 1 : 0);
    ktap_begin(plan);
    ktest_run(ktests);
    /* Programs may open sockets: bring the network up first (a no-op
     * without a NIC; in-kernel suites bring it up themselves). */
    if (ni)
        net_init(cmdline_text());
    uint64_t free_before = pmm_free_count() + paging_kernel_table_pages();
    run_init_list(inits);
    if (ni) {
        uint64_t free_after = pmm_free_count() + paging_kernel_table_pages();
        /* Kernel-half page tables are permanent and shared: not a leak. */
        ktap_diag("free pages before %lu, after %lu (kernel page tables set aside)", free_before, free_after);
        ktap_result(free_after == free_before, "no_page_leak");
    }
    if (cmdline_get("hold", value, sizeof value) && strcmp(value, "key") == 0)
        hold_for_key();
    machine_exit(ktap_all_passed() ? 0 : 1);
}
