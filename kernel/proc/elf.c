#include "proc/elf.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "lib/string.h"
#include "lib/printf.h"
#include <kos/errno.h>

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_NULL 0
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_DYNAMIC 2
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} __attribute__((packed));

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} __attribute__((packed));

#define REFUSE(...) do { ksnprintf(why, whylen, __VA_ARGS__); return -ENOEXEC; } while (0)

int elf_validate(const uint8_t *img, size_t size, struct elf_plan *plan, char *why, size_t whylen)
{
    if (size < sizeof(struct elf64_ehdr))
        REFUSE("file too small for an ELF header (%lu bytes)", (unsigned long)size);
    const struct elf64_ehdr *eh = (const void *)img;
    if (memcmp(eh->e_ident, "\x7f" "ELF", 4) != 0)
        REFUSE("bad magic");
    if (eh->e_ident[4] != ELFCLASS64)
        REFUSE("not ELF64 (class %u)", eh->e_ident[4]);
    if (eh->e_ident[5] != ELFDATA2LSB)
        REFUSE("not little-endian (data %u)", eh->e_ident[5]);
    if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
        REFUSE("unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        REFUSE("not x86-64 (machine %u)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        REFUSE("not a static executable (type %u)", eh->e_type);
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        REFUSE("program header size %u, expected %lu", eh->e_phentsize, (unsigned long)sizeof(struct elf64_phdr));
    if (eh->e_phnum == 0 || eh->e_phnum > 64)
        REFUSE("program header count %u out of range 1..64", eh->e_phnum);
    uint64_t ph_bytes = (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);
    if (eh->e_phoff > size || ph_bytes > size - eh->e_phoff)
        REFUSE("program headers lie outside the file");
    if (eh->e_phoff % 8)
        REFUSE("program headers misaligned");

    plan->nsegs = 0;
    plan->entry = eh->e_entry;
    uint64_t total = 0;
    int entry_ok = 0;
    const struct elf64_phdr *ph = (const void *)(img + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->p_type == PT_INTERP || p->p_type == PT_DYNAMIC)
            REFUSE("segment %d: dynamic linking is not supported", i);
        if (p->p_type != PT_LOAD)
            continue;
        if (p->p_memsz == 0)
            continue;
        if (plan->nsegs == ELF_MAX_SEGMENTS)
            REFUSE("more than %d loadable segments", ELF_MAX_SEGMENTS);
        if (p->p_filesz > p->p_memsz)
            REFUSE("segment %d: file size larger than memory size", i);
        if (p->p_offset > size || p->p_filesz > size - p->p_offset)
            REFUSE("segment %d lies outside the file", i);
        if (p->p_vaddr + p->p_memsz < p->p_vaddr)
            REFUSE("segment %d: address range wraps", i);
        if (p->p_memsz > ELF_MAX_IMAGE)
            REFUSE("segment %d: memory size 0x%lx too large", i, (unsigned long)p->p_memsz);
        if (p->p_vaddr < USER_IMAGE_START || p->p_vaddr + p->p_memsz > USER_IMAGE_END)
            REFUSE("segment %d at 0x%lx outside the user image range", i, (unsigned long)p->p_vaddr);
        if (p->p_align > 1) {
            if (p->p_align & (p->p_align - 1))
                REFUSE("segment %d: alignment %lu not a power of two", i, (unsigned long)p->p_align);
            if ((p->p_vaddr - p->p_offset) & (p->p_align - 1) & (PAGE_SIZE - 1))
                REFUSE("segment %d: address and file offset disagree modulo the alignment", i);
        }
        if ((p->p_vaddr - p->p_offset) & (PAGE_SIZE - 1))
            REFUSE("segment %d: address and file offset disagree modulo the page size", i);
        if ((p->p_flags & PF_W) && (p->p_flags & PF_X))
            REFUSE("segment %d is both writable and executable", i);
        uint64_t start = p->p_vaddr & ~(PAGE_SIZE - 1);
        uint64_t end = (p->p_vaddr + p->p_memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (int j = 0; j < plan->nsegs; j++) {
            const struct elf_segment *o = &plan->segs[j];
            uint64_t os = o->vaddr & ~(PAGE_SIZE - 1);
            uint64_t oe = (o->vaddr + o->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
            if (start < oe && os < end)
                REFUSE("segment %d overlaps segment %d", i, j);
        }
        total += end - start;
        if (total > ELF_MAX_IMAGE)
            REFUSE("image larger than %lu MiB", (unsigned long)(ELF_MAX_IMAGE >> 20));
        if ((p->p_flags & PF_X) && eh->e_entry >= p->p_vaddr && eh->e_entry < p->p_vaddr + p->p_memsz)
            entry_ok = 1;
        plan->segs[plan->nsegs++] = (struct elf_segment){ p->p_vaddr, p->p_memsz, p->p_offset, p->p_filesz, p->p_flags };
    }
    if (plan->nsegs == 0)
        REFUSE("no loadable segment");
    if (!entry_ok)
        REFUSE("entry point 0x%lx not inside an executable segment", (unsigned long)eh->e_entry);
    return 0;
}

int elf_map(const uint8_t *img, const struct elf_plan *plan, uint64_t pml4)
{
    for (int i = 0; i < plan->nsegs; i++) {
        const struct elf_segment *s = &plan->segs[i];
        uint64_t flags = PTE_U;
        if (s->flags & PF_W)
            flags |= PTE_W;
        if (!(s->flags & PF_X))
            flags |= PTE_NX;
        uint64_t start = s->vaddr & ~(PAGE_SIZE - 1);
        uint64_t end = (s->vaddr + s->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (uint64_t va = start; va < end; va += PAGE_SIZE) {
            uint64_t pa = pmm_alloc_zeroed();
            if (!pa)
                return -ENOMEM;
            /* Copy the part of [vaddr, vaddr+filesz) that falls in this page. */
            uint64_t lo = va > s->vaddr ? va : s->vaddr;
            uint64_t hi = va + PAGE_SIZE < s->vaddr + s->filesz ? va + PAGE_SIZE : s->vaddr + s->filesz;
            if (hi > lo)
                memcpy((uint8_t *)phys_to_virt(pa) + (lo - va), img + s->offset + (lo - s->vaddr), hi - lo);
            int err = paging_map(pml4, va, pa, flags);
            if (err) {
                pmm_free_page(pa);
                return err;
            }
        }
    }
    return 0;
}
