/* 4-level paging. The boot tables (boot.S) are replaced by tables that map
 * the kernel image page by page with its real permissions (text R-X, rodata
 * R, data RW NX) and all RAM at DIRECT_MAP_BASE (RW, NX). Every kernel-half
 * PDPT is allocated up front so that all address spaces share them. */
#include "mm/paging.h"
#include "mm/pmm.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/multiboot.h"
#include <kos/errno.h>

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _kernel_end[];

static uint64_t kernel_pml4;
static uint64_t kernel_table_pages;

static inline uint64_t *table_at(uint64_t phys) { return (uint64_t *)phys_to_virt(phys & PTE_ADDR); }

uint64_t virt_to_phys(const void *virt)
{
    uint64_t va = (uint64_t)virt;
    if (va >= KERNEL_VMA)
        return va - KERNEL_VMA;
    if (va >= DIRECT_MAP_BASE && va < MMIO_BASE)
        return va - DIRECT_MAP_BASE;
    uint64_t pa = paging_translate(read_cr3() & PTE_ADDR, va, NULL);
    return pa;
}

static int idx(uint64_t va, int level)
{
    return (int)((va >> (12 + 9 * level)) & 0x1ff);
}

/* Walk to the leaf entry for va, creating tables when create is set. */
static uint64_t *walk(uint64_t pml4, uint64_t va, int create, int *err)
{
    uint64_t *table = table_at(pml4);
    for (int level = 3; level > 0; level--) {
        uint64_t *e = &table[idx(va, level)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t page = pmm_alloc_zeroed();
            if (!page) {
                if (err)
                    *err = -ENOMEM;
                return NULL;
            }
            if (va >= USER_TOP)
                kernel_table_pages++;
            /* Intermediate levels grant all; the leaf decides. */
            *e = page | PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0);
        } else if (*e & PTE_PS) {
            if (err)
                *err = -EEXIST;
            return NULL;    /* inside a huge page: not ours to split */
        }
        table = table_at(*e);
    }
    return &table[idx(va, 0)];
}

static int check_flags(uint64_t va, uint64_t flags)
{
    if ((flags & PTE_W) && !(flags & PTE_NX))
        return -EINVAL;     /* W^X */
    if ((flags & PTE_U) && va >= USER_TOP)
        return -EINVAL;
    if (va & (PAGE_SIZE - 1))
        return -EINVAL;
    return 0;
}

int paging_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    int err = check_flags(va, flags);
    if (err)
        return err;
    err = -ENOMEM;
    uint64_t *pte = walk(pml4, va, 1, &err);
    if (!pte)
        return err;
    if (*pte & PTE_P)
        return -EEXIST;
    *pte = (pa & PTE_ADDR) | PTE_P | (flags & (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_NX));
    return 0;
}

int paging_protect(uint64_t pml4, uint64_t va, uint64_t flags)
{
    int err = check_flags(va, flags);
    if (err)
        return err;
    uint64_t *pte = walk(pml4, va, 0, NULL);
    if (!pte || !(*pte & PTE_P))
        return -ENOENT;
    *pte = (*pte & PTE_ADDR) | PTE_P | (flags & (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_NX));
    if ((read_cr3() & PTE_ADDR) == pml4 || va >= USER_TOP)
        invlpg(va);
    return 0;
}

uint64_t paging_unmap(uint64_t pml4, uint64_t va)
{
    uint64_t *pte = walk(pml4, va, 0, NULL);
    if (!pte || !(*pte & PTE_P))
        return 0;
    uint64_t pa = *pte & PTE_ADDR;
    *pte = 0;
    if ((read_cr3() & PTE_ADDR) == pml4 || va >= USER_TOP)
        invlpg(va);
    return pa;
}

/* Pause every WALK_STEPS entries visited (present or skipped). */
#define WALK_STEPS 512

/* The next present 4 KiB leaf at or after *va and below end, descending only
 * into present tables: its entry, with *va set to its address; NULL with *va
 * at end when there is none. A missing table skips its whole span, so the
 * cost follows what is mapped, not the size of the range. */
static uint64_t *next_leaf(uint64_t pml4, uint64_t *va, uint64_t end, unsigned *steps)
{
    uint64_t v = *va;
    while (v < end) {
        uint64_t *table = table_at(pml4);
        int level = 3;
        for (; level >= 0; level--) {
            uint64_t *e = &table[idx(v, level)];
            if (!(*e & PTE_P) || (level > 0 && (*e & PTE_PS)))
                break;
            if (level == 0) {
                *va = v;
                (*steps)++;
                return e;
            }
            table = table_at(*e);
        }
        /* Nothing mapped in this entry's span: go to the next one. */
        uint64_t span = 1ULL << (12 + 9 * level);
        uint64_t next = (v & ~(span - 1)) + span;
        (*steps)++;
        if (next <= v)
            break;      /* wrapped past the top */
        v = next;
    }
    *va = end;
    return NULL;
}

static void walk_pause(unsigned *steps, paging_pause_fn pause)
{
    if (pause && *steps >= WALK_STEPS) {
        *steps = 0;
        pause();
    }
}

static void flush_if_current(uint64_t pml4, uint64_t va)
{
    if ((read_cr3() & PTE_ADDR) == pml4)
        invlpg(va);
}

uint64_t paging_unmap_range(uint64_t pml4, uint64_t start, uint64_t end, paging_pause_fn pause)
{
    uint64_t freed = 0, va = start;
    unsigned steps = 0;
    if (end > USER_TOP)
        end = USER_TOP;
    for (;;) {
        uint64_t *pte = next_leaf(pml4, &va, end, &steps);
        if (!pte)
            break;
        uint64_t pa = *pte & PTE_ADDR;
        *pte = 0;
        flush_if_current(pml4, va);
        pmm_free_page(pa);
        freed++;
        va += PAGE_SIZE;
        walk_pause(&steps, pause);
    }
    return freed;
}

int paging_range_mapped(uint64_t pml4, uint64_t start, uint64_t end, paging_pause_fn pause)
{
    uint64_t va = start;
    unsigned steps = 0;
    while (va < end) {
        uint64_t at = va;
        if (!next_leaf(pml4, &va, end, &steps) || va != at)
            return 0;
        va += PAGE_SIZE;
        walk_pause(&steps, pause);
    }
    return 1;
}

int paging_protect_range(uint64_t pml4, uint64_t start, uint64_t end, uint64_t flags, paging_pause_fn pause)
{
    if ((flags & PTE_W) && !(flags & PTE_NX))
        return -EINVAL;
    if (end > USER_TOP || (start & (PAGE_SIZE - 1)))
        return -EINVAL;
    flags &= PTE_W | PTE_U | PTE_NX;
    uint64_t va = start;
    unsigned steps = 0;
    for (;;) {
        uint64_t *pte = next_leaf(pml4, &va, end, &steps);
        if (!pte)
            break;
        uint64_t pa = *pte & PTE_ADDR;
        uint64_t e = pa | PTE_P | (flags & ~PTE_W);
        /* A frame another space still shares becomes writable only through
         * a copy-on-write fault; our own frame can be writable at once. */
        if (flags & PTE_W)
            e |= (pmm_page_refs(pa) > 1) ? PTE_COW : PTE_W;
        *pte = e;
        flush_if_current(pml4, va);
        va += PAGE_SIZE;
        walk_pause(&steps, pause);
    }
    return 0;
}

uint64_t paging_translate(uint64_t pml4, uint64_t va, uint64_t *flags)
{
    uint64_t *table = table_at(pml4);
    uint64_t allow = PTE_W | PTE_U;
    uint64_t nx = 0;
    for (int level = 3; level >= 0; level--) {
        uint64_t e = table[idx(va, level)];
        if (!(e & PTE_P))
            return 0;
        allow &= e;
        nx |= e & PTE_NX;
        if (level == 0 || (e & PTE_PS)) {
            uint64_t span = 1ULL << (12 + 9 * level);
            if (flags)
                *flags = PTE_P | allow | nx | (e & (PTE_PCD | PTE_PWT));
            return (e & PTE_ADDR & ~(span - 1)) + (va & (span - 1));
        }
        table = table_at(e);
    }
    return 0;
}

/* Map [va, va+len) to pa with 4 KiB pages in the kernel tables (boot time). */
static void map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
    for (uint64_t off = 0; off < len; off += PAGE_SIZE)
        if (paging_map(kernel_pml4, va + off, pa + off, flags))
            panic("paging: cannot map kernel page 0x%lx", va + off);
}

void paging_init(void)
{
    kernel_pml4 = pmm_alloc_zeroed();
    if (!kernel_pml4)
        panic("paging: no memory for the kernel PML4");
    uint64_t *pml4 = table_at(kernel_pml4);
    for (int i = 256; i < 512; i++) {
        uint64_t pdpt = pmm_alloc_zeroed();
        if (!pdpt)
            panic("paging: no memory for kernel page tables");
        pml4[i] = pdpt | PTE_P | PTE_W;
    }

    /* Direct map of RAM with 2 MiB pages (page-table pages come from RAM below 1 GiB,
     * still reachable through the boot tables' direct map while we build). */
    uint64_t top = 0;
    for (int r = 0; r < boot_info.nregions; r++) {
        uint64_t end = boot_info.ram[r].base + boot_info.ram[r].len;
        if (end > top)
            top = end;
    }
    top = (top + 0x1fffff) & ~0x1fffffULL;
    for (uint64_t pa = 0; pa < top; pa += 0x200000) {
        uint64_t va = DIRECT_MAP_BASE + pa;
        uint64_t *pdpt = table_at(pml4[idx(va, 3)]);
        uint64_t *pdpte = &pdpt[idx(va, 2)];
        if (!(*pdpte & PTE_P)) {
            uint64_t pd = pmm_alloc_zeroed();
            if (!pd)
                panic("paging: no memory for the direct map");
            *pdpte = pd | PTE_P | PTE_W;
        }
        table_at(*pdpte)[idx(va, 1)] = pa | PTE_P | PTE_W | PTE_PS | PTE_NX;
    }

    uint64_t text = (uint64_t)_text_start, rodata = (uint64_t)_rodata_start, data = (uint64_t)_data_start;
    map_range(text, text - KERNEL_VMA, (uint64_t)_text_end - text, 0);
    map_range(rodata, rodata - KERNEL_VMA, (uint64_t)_rodata_end - rodata, PTE_NX);
    map_range(data, data - KERNEL_VMA, (uint64_t)_kernel_end - data, PTE_W | PTE_NX);

    write_cr3(kernel_pml4);
}

uint64_t paging_kernel_table_pages(void)
{
    return kernel_table_pages;
}

uint64_t paging_kernel_pml4(void)
{
    return kernel_pml4;
}

uint64_t aspace_create(void)
{
    uint64_t pml4 = pmm_alloc_zeroed();
    if (!pml4)
        return 0;
    memcpy(table_at(pml4) + 256, table_at(kernel_pml4) + 256, 256 * sizeof(uint64_t));
    return pml4;
}

static void free_table(uint64_t table_phys, int level)
{
    uint64_t *t = table_at(table_phys);
    for (int i = 0; i < 512; i++) {
        if (!(t[i] & PTE_P))
            continue;
        if (level > 0)
            free_table(t[i] & PTE_ADDR, level - 1);
        else
            pmm_free_page(t[i] & PTE_ADDR);
    }
    pmm_free_page(table_phys);
}

void aspace_destroy(uint64_t pml4)
{
    if (pml4 == kernel_pml4)
        panic("aspace_destroy: refusing to destroy the kernel address space");
    if ((read_cr3() & PTE_ADDR) == pml4)
        write_cr3(kernel_pml4);
    uint64_t *t = table_at(pml4);
    for (int i = 0; i < 256; i++) {
        uint64_t e = t[i];
        t[i] = 0;       /* never a half-freed subtree reachable from the PML4 */
        if (e & PTE_P)
            free_table(e & PTE_ADDR, 2);
    }
    pmm_free_page(pml4);
}

uint64_t aspace_clone_cow(uint64_t src, paging_pause_fn pause)
{
    unsigned steps = 0;
    uint64_t dst = aspace_create();
    if (!dst)
        return 0;
    uint64_t *l4 = table_at(src);
    for (int i4 = 0; i4 < 256; i4++) {
        if (!(l4[i4] & PTE_P))
            continue;
        uint64_t *l3 = table_at(l4[i4]);
        for (int i3 = 0; i3 < 512; i3++) {
            if (!(l3[i3] & PTE_P))
                continue;
            uint64_t *l2 = table_at(l3[i3]);
            for (int i2 = 0; i2 < 512; i2++) {
                if (!(l2[i2] & PTE_P))
                    continue;
                steps += 512;
                walk_pause(&steps, pause);
                uint64_t *l1 = table_at(l2[i2]);
                for (int i1 = 0; i1 < 512; i1++) {
                    uint64_t e = l1[i1];
                    if (!(e & PTE_P))
                        continue;
                    uint64_t va = ((uint64_t)i4 << 39) | ((uint64_t)i3 << 30) | ((uint64_t)i2 << 21) | ((uint64_t)i1 << 12);
                    if (e & (PTE_W | PTE_COW)) {
                        e = (e & ~PTE_W) | PTE_COW;
                        l1[i1] = e;
                    }
                    int err = -ENOMEM;
                    uint64_t *pte = walk(dst, va, 1, &err);
                    if (!pte) {
                        aspace_destroy(dst);
                        if ((read_cr3() & PTE_ADDR) == src)
                            write_cr3(src);
                        return 0;
                    }
                    pmm_page_ref(e & PTE_ADDR);
                    *pte = e;
                }
            }
        }
    }
    /* The parent's writable entries just became read-only. */
    if ((read_cr3() & PTE_ADDR) == src)
        write_cr3(src);
    return dst;
}

int paging_cow_resolve(uint64_t pml4, uint64_t va)
{
    va &= ~(PAGE_SIZE - 1);
    if (va >= USER_TOP)
        return -EFAULT;
    uint64_t *pte = walk(pml4, va, 0, NULL);
    if (!pte || (*pte & (PTE_P | PTE_COW)) != (PTE_P | PTE_COW))
        return -EFAULT;
    uint64_t pa = *pte & PTE_ADDR;
    uint64_t flags = *pte & ~PTE_ADDR & ~PTE_COW;
    if (pmm_page_refs(pa) > 1) {
        uint64_t copy = pmm_alloc_page();
        if (!copy)
            return -ENOMEM;
        memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
        pmm_free_page(pa);      /* one reference fewer on the shared frame */
        pa = copy;
    }
    *pte = pa | flags | PTE_W;
    if ((read_cr3() & PTE_ADDR) == pml4)
        invlpg(va);
    return 0;
}

void aspace_switch(uint64_t pml4)
{
    if ((read_cr3() & PTE_ADDR) != pml4)
        write_cr3(pml4);
}
