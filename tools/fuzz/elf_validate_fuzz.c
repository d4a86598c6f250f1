/* One fuzz input = one file handed to exec: the ELF loader's checks
 * (elf_validate, kernel/proc/elf.c) must refuse it with -ENOEXEC and a
 * reason, or accept it with a plan that keeps every promise elf_map relies
 * on; never crash or read outside the file. */
#include "proc/elf.h"
#include "arch/x86_64/memlayout.h"
#include <kos/errno.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define PF_X 1
#define PF_W 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_plan plan;
    char why[96];
    memset(why, 0, sizeof why);
    int r = elf_validate(data, size, &plan, why, sizeof why);
    if (r != 0) {
        /* A refusal is -ENOEXEC with a one-line reason. */
        if (r != -ENOEXEC || why[0] == 0 || why[sizeof why - 1] != 0 || strchr(why, '\n'))
            __builtin_trap();
        return 0;
    }
    if (plan.nsegs < 1 || plan.nsegs > ELF_MAX_SEGMENTS)
        __builtin_trap();
    int entry_ok = 0;
    for (int i = 0; i < plan.nsegs; i++) {
        const struct elf_segment *s = &plan.segs[i];
        /* elf_map copies [offset, offset+filesz) of the file into [vaddr, vaddr+memsz). */
        if (s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset)
            __builtin_trap();
        if (s->memsz == 0 || s->vaddr < USER_IMAGE_START || s->vaddr + s->memsz > USER_IMAGE_END || s->vaddr + s->memsz < s->vaddr)
            __builtin_trap();
        if ((s->flags & PF_W) && (s->flags & PF_X))
            __builtin_trap();
        uint64_t start = s->vaddr & ~(PAGE_SIZE - 1), end = (s->vaddr + s->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (int j = 0; j < i; j++) {
            const struct elf_segment *o = &plan.segs[j];
            uint64_t os = o->vaddr & ~(PAGE_SIZE - 1), oe = (o->vaddr + o->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
            if (start < oe && os < end)
                __builtin_trap();
        }
        if ((s->flags & PF_X) && plan.entry >= s->vaddr && plan.entry < s->vaddr + s->memsz)
            entry_ok = 1;
    }
    if (!entry_ok)
        __builtin_trap();
    return 0;
}

/* What elf.c links besides the checks: elf_map's page allocation and mapping,
 * and the console under ksnprintf. The harness never maps anything. */
uint64_t pmm_alloc_zeroed(void) { __builtin_trap(); }
void pmm_free_page(uint64_t pa) { (void)pa; __builtin_trap(); }
int paging_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    (void)pml4, (void)va, (void)pa, (void)flags;
    __builtin_trap();
}
void console_write(const char *s, size_t n) { (void)s, (void)n; }
