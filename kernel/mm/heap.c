#include "mm/heap.h"
#include "mm/pmm.h"
#include "mm/paging.h"
#include "lib/string.h"
#include "lib/panic.h"
#include <stdbool.h>

#define SLAB_MAGIC 0x51ab51ab
#define LARGE_MAGIC 0x1a46e000
#define NCLASSES 8              /* 16, 32, ..., 2048 */
#define MIN_SHIFT 4
#define LARGE_HEADER 16

struct slab {
    uint32_t magic;
    uint32_t class_size;
    uint32_t nfree, ntotal;
    struct slab *next;
    void *free_list;
};

struct large_header {
    uint32_t magic;
    uint32_t npages;
    uint64_t pad;
};

/* Freed page runs (in pages, counting the guard page) for reuse, so the
 * heap region and its page tables do not grow without bound. */
#define MAX_FREE_RUNS 128
struct free_run {
    uint64_t va, slots;
};
static struct free_run free_runs[MAX_FREE_RUNS];
static int nfree_runs;

static struct slab *slabs[NCLASSES];
static uint64_t heap_next = HEAP_BASE;
static uint64_t live;

static int class_of(size_t size)
{
    int c = 0;
    size_t s = 1u << MIN_SHIFT;
    while (s < size) {
        s <<= 1;
        c++;
    }
    return c;
}

static void *slab_alloc(int c)
{
    struct slab *s = slabs[c];
    while (s && s->nfree == 0)
        s = s->next;
    if (!s) {
        uint64_t page = pmm_alloc_page();
        if (!page)
            return NULL;
        s = phys_to_virt(page);
        uint32_t size = 1u << (c + MIN_SHIFT);
        /* Objects start at the first size-aligned offset after the header. */
        uint64_t first = (sizeof(struct slab) + size - 1) & ~(uint64_t)(size - 1);
        if (first < sizeof(struct slab))
            first = sizeof(struct slab);
        s->magic = SLAB_MAGIC;
        s->class_size = size;
        s->ntotal = 0;
        s->free_list = NULL;
        for (uint64_t off = first; off + size <= PAGE_SIZE; off += size) {
            void **obj = (void **)((char *)s + off);
            *obj = s->free_list;
            s->free_list = obj;
            s->ntotal++;
        }
        s->nfree = s->ntotal;
        s->next = slabs[c];
        slabs[c] = s;
    }
    void **obj = s->free_list;
    s->free_list = *obj;
    s->nfree--;
    return obj;
}

static void slab_free(struct slab *s, void *ptr)
{
    int c = class_of(s->class_size);
    if ((((uint64_t)ptr - (uint64_t)s) % s->class_size) != 0 && s->class_size >= sizeof(struct slab))
        panic("kfree: %p is not the start of a heap block", ptr);
    *(void **)ptr = s->free_list;
    s->free_list = ptr;
    s->nfree++;
    if (s->nfree > s->ntotal)
        panic("kfree: double free of %p", ptr);
    if (s->nfree == s->ntotal) {
        /* Give empty slabs back so the free-page count returns to where it was. */
        struct slab **pp = &slabs[c];
        while (*pp != s)
            pp = &(*pp)->next;
        *pp = s->next;
        s->magic = 0;
        pmm_free_page(virt_to_phys(s));
    }
}

static void release_run(uint64_t va, uint64_t slots)
{
    if (nfree_runs < MAX_FREE_RUNS)
        free_runs[nfree_runs++] = (struct free_run){ va, slots };
    /* else: the virtual range is simply not reused; the region is vast. */
}

void *kmalloc_pages(size_t npages)
{
    if (npages == 0 || npages > (1u << 20))
        return NULL;
    uint64_t slots = npages + 1, va = 0;
    for (int r = 0; r < nfree_runs; r++) {
        if (free_runs[r].slots >= slots) {
            va = free_runs[r].va;
            free_runs[r].va += slots * PAGE_SIZE;
            free_runs[r].slots -= slots;
            if (free_runs[r].slots == 0)
                free_runs[r] = free_runs[--nfree_runs];
            break;
        }
    }
    bool fresh = va == 0;
    if (fresh)
        va = heap_next;
    for (size_t i = 0; i < npages; i++) {
        uint64_t pa = pmm_alloc_page();
        if (!pa || paging_map(paging_kernel_pml4(), va + i * PAGE_SIZE, pa, PTE_W | PTE_NX)) {
            if (pa)
                pmm_free_page(pa);
            for (size_t j = 0; j < i; j++)
                pmm_free_page(paging_unmap(paging_kernel_pml4(), va + j * PAGE_SIZE));
            if (!fresh)
                release_run(va, slots);
            return NULL;
        }
    }
    /* The next run starts after an unmapped guard page. */
    if (fresh)
        heap_next += slots * PAGE_SIZE;
    live++;
    return (void *)va;
}

void kfree_pages(void *ptr)
{
    uint64_t va = (uint64_t)ptr;
    if (va < HEAP_BASE || va >= heap_next || (va & (PAGE_SIZE - 1)))
        panic("kfree_pages: %p was not allocated by kmalloc_pages", ptr);
    /* The run ends at the guard page. */
    uint64_t pa;
    int n = 0;
    while ((pa = paging_unmap(paging_kernel_pml4(), va)) != 0) {
        pmm_free_page(pa);
        va += PAGE_SIZE;
        n++;
    }
    if (n == 0)
        panic("kfree_pages: double free of %p", ptr);
    release_run((uint64_t)ptr, (uint64_t)n + 1);
    live--;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size <= (1u << (MIN_SHIFT + NCLASSES - 1))) {
        void *p = slab_alloc(class_of(size));
        if (p)
            live++;
        return p;
    }
    if (size > (1ULL << 32))
        return NULL;
    size_t npages = (size + LARGE_HEADER + PAGE_SIZE - 1) / PAGE_SIZE;
    struct large_header *h = kmalloc_pages(npages);
    if (!h)
        return NULL;
    h->magic = LARGE_MAGIC;
    h->npages = (uint32_t)npages;
    return (char *)h + LARGE_HEADER;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    uint64_t va = (uint64_t)ptr;
    if (va >= HEAP_BASE && va < heap_next) {
        struct large_header *h = (struct large_header *)(va - LARGE_HEADER);
        if ((va & (PAGE_SIZE - 1)) != LARGE_HEADER || h->magic != LARGE_MAGIC)
            panic("kfree: %p is not a heap block", ptr);
        h->magic = 0;
        kfree_pages(h);
        return;
    }
    struct slab *s = (struct slab *)(va & ~(PAGE_SIZE - 1));
    if (va < DIRECT_MAP_BASE || va >= MMIO_BASE || s->magic != SLAB_MAGIC)
        panic("kfree: %p is not a heap block", ptr);
    live--;
    slab_free(s, ptr);
}

uint64_t heap_live_allocations(void)
{
    return live;
}
