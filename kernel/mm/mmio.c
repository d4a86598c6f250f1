#include "mm/mmio.h"
#include "mm/paging.h"
#include "lib/printf.h"

/* MMIO windows are carved from a bump region; devices are mapped once at
 * probe time and never unmapped, so there is nothing to reuse. */
static uint64_t mmio_next = MMIO_BASE;

void *map_mmio(uint64_t phys, size_t size)
{
    if (size == 0)
        return NULL;
    uint64_t start = phys & ~(PAGE_SIZE - 1);
    uint64_t end = (phys + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (end <= start)
        return NULL;    /* wrapped */
    uint64_t va = mmio_next;
    for (uint64_t off = 0; off < end - start; off += PAGE_SIZE)
        if (paging_map(paging_kernel_pml4(), va + off, start + off, PTE_W | PTE_NX | PTE_PCD | PTE_PWT))
            return NULL;
    /* One unmapped page between windows catches overruns. */
    mmio_next += end - start + PAGE_SIZE;
    return (void *)(va + (phys - start));
}
