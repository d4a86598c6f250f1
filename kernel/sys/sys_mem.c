/* Anonymous memory: mmap(addr_hint, len, prot, flags) and munmap(addr, len).
 * Pages are allocated and zeroed up front (no demand paging in phase 1). */
#include "sys/syscall.h"
#include "proc/proc.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include <kos/errno.h>
#include <kos/syscall.h>

static void unmap_range(uint64_t pml4, uint64_t start, uint64_t end)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t pa = paging_unmap(pml4, va);
        if (pa)
            pmm_free_page(pa);
    }
}

int64_t sys_mmap(const struct syscall_args *a)
{
    uint64_t len = a->a1;
    uint64_t prot = a->a2, flags = a->a3;
    if (len == 0 || len > MMAP_MAX_LEN)
        return len == 0 ? -EINVAL : -ENOMEM;
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
        return -EACCES;     /* W^X: never writable and executable at once */
    if (flags != (MAP_PRIVATE | MAP_ANONYMOUS))
        return -EINVAL;     /* only private anonymous memory, no MAP_FIXED */
    struct proc *p = proc_current();
    len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t start = p->mmap_next;
    if (start + len > MMAP_END)
        return -ENOMEM;
    uint64_t pte = PTE_U;
    if (prot & PROT_WRITE)
        pte |= PTE_W;
    if (!(prot & PROT_EXEC))
        pte |= PTE_NX;
    for (uint64_t va = start; va < start + len; va += PAGE_SIZE) {
        uint64_t pa = pmm_alloc_zeroed();
        if (!pa || paging_map(p->pml4, va, pa, pte)) {
            if (pa)
                pmm_free_page(pa);
            unmap_range(p->pml4, start, va);
            return -ENOMEM;
        }
    }
    /* Leave an unmapped page between mappings so overruns fault. */
    p->mmap_next = start + len + PAGE_SIZE;
    return (int64_t)start;
}

int64_t sys_munmap(const struct syscall_args *a)
{
    uint64_t addr = a->a0, len = a->a1;
    if ((addr & (PAGE_SIZE - 1)) || len == 0)
        return -EINVAL;
    len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (addr + len < addr || addr < MMAP_BASE || addr + len > MMAP_END)
        return -EINVAL;     /* only the mmap region: the image and stack stay */
    unmap_range(proc_current()->pml4, addr, addr + len);
    return 0;
}
