/* Bitmap allocator: one bit per 4 KiB page, set = in use or not RAM.
 * Each allocated page also has a reference count, so copy-on-write fork can
 * share a frame between address spaces: pmm_free_page drops one reference
 * and the page returns to the pool with the last one. */
#include "mm/pmm.h"
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/multiboot.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "lib/printf.h"

#define PMM_MAX_PHYS (4ULL << 30)   /* manage at most the first 4 GiB */
#define PMM_MAX_PAGES (PMM_MAX_PHYS / PAGE_SIZE)

static uint64_t bitmap[PMM_MAX_PAGES / 64];
static uint64_t npages;     /* pages covered (highest usable RAM page + 1) */
static uint64_t nfree, ntotal;
static uint64_t search_hint;
/* References per page; a frame is shared by at most NPROC address spaces. */
static uint8_t refcount[PMM_MAX_PAGES];

extern char _kernel_phys_start[], _kernel_phys_end[];

static inline int bit_test(uint64_t i) { return (bitmap[i / 64] >> (i % 64)) & 1; }
static inline void bit_set(uint64_t i) { bitmap[i / 64] |= 1ULL << (i % 64); }
static inline void bit_clear(uint64_t i) { bitmap[i / 64] &= ~(1ULL << (i % 64)); }

static int overlaps(uint64_t page, uint64_t start, uint64_t end)
{
    uint64_t a = page * PAGE_SIZE;
    return a < end && a + PAGE_SIZE > start;
}

void pmm_init(void)
{
    memset(bitmap, 0xff, sizeof bitmap);
    uint64_t kstart = (uint64_t)_kernel_phys_start, kend = (uint64_t)_kernel_phys_end;
    uint64_t istart = boot_info.initrd_phys, iend = boot_info.initrd_phys + boot_info.initrd_size;
    for (int r = 0; r < boot_info.nregions; r++) {
        uint64_t base = boot_info.ram[r].base, end = base + boot_info.ram[r].len;
        base = (base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        end &= ~(PAGE_SIZE - 1);
        if (end > PMM_MAX_PHYS)
            end = PMM_MAX_PHYS;
        /* Below 1 MiB live the BIOS areas and the loader's data: leave it alone. */
        if (base < 0x100000)
            base = 0x100000;
        for (uint64_t a = base; a < end; a += PAGE_SIZE) {
            uint64_t page = a / PAGE_SIZE;
            if (overlaps(page, kstart, kend) || overlaps(page, istart, iend))
                continue;
            bit_clear(page);
            nfree++;
            if (page + 1 > npages)
                npages = page + 1;
        }
    }
    ntotal = nfree;
    if (nfree == 0)
        panic("pmm: the memory map has no usable RAM");
}

uint64_t pmm_alloc_page(void)
{
    for (uint64_t n = 0; n < npages; n += 64) {
        uint64_t w = ((search_hint / 64 + n / 64) % ((npages + 63) / 64));
        if (bitmap[w] == ~0ULL)
            continue;
        uint64_t bit = (uint64_t)__builtin_ctzll(~bitmap[w]);
        uint64_t page = w * 64 + bit;
        if (page >= npages)
            continue;
        bit_set(page);
        refcount[page] = 1;
        nfree--;
        search_hint = page;
        return page * PAGE_SIZE;
    }
    return 0;
}

uint64_t pmm_alloc_zeroed(void)
{
    uint64_t p = pmm_alloc_page();
    if (p)
        memset(phys_to_virt(p), 0, PAGE_SIZE);
    return p;
}

void pmm_free_page(uint64_t phys)
{
    uint64_t page = phys / PAGE_SIZE;
    if (phys & (PAGE_SIZE - 1) || page >= npages)
        panic("pmm_free_page: 0x%lx is not a managed page", phys);
    if (!bit_test(page))
        panic("pmm_free_page: double free of 0x%lx", phys);
    /* Pages marked in use at boot (never handed out) have no count: freeing one frees it. */
    if (refcount[page] > 1) {
        refcount[page]--;
        return;
    }
    refcount[page] = 0;
    bit_clear(page);
    nfree++;
}

void pmm_page_ref(uint64_t phys)
{
    uint64_t page = phys / PAGE_SIZE;
    if (phys & (PAGE_SIZE - 1) || page >= npages || !bit_test(page))
        panic("pmm_page_ref: 0x%lx is not an allocated page", phys);
    if (refcount[page] == 0xff)
        panic("pmm_page_ref: too many references to 0x%lx", phys);
    refcount[page]++;
}

unsigned pmm_page_refs(uint64_t phys)
{
    uint64_t page = phys / PAGE_SIZE;
    if (page >= npages || !bit_test(page))
        return 0;
    return refcount[page] ? refcount[page] : 1;
}

int pmm_is_allocated(uint64_t phys)
{
    uint64_t page = phys / PAGE_SIZE;
    return page < npages && bit_test(page);
}

uint64_t pmm_free_count(void)
{
    return nfree;
}

uint64_t pmm_total_count(void)
{
    return ntotal;
}
