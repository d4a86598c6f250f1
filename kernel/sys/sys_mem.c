/* Anonymous memory: mmap(addr_hint, len, prot, flags), munmap(addr, len)
 * and mprotect(addr, len, prot). Pages are allocated and zeroed up front (no
 * demand paging). PROT_NONE pages stay mapped but without user access, so
 * any user access faults and the kernel's user-pointer checks refuse them.
 * Ranges a user can size are walked by present entry, with preempt points. */
#include "sys/syscall.h"
#include "proc/proc.h"
#include "proc/sched.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include <kos/errno.h>
#include <kos/syscall.h>

/* Leaf flags for a protection: no PTE_U at all for PROT_NONE. x86 cannot
 * express write-only or execute-only: those pages are readable too. */
static uint64_t prot_pte_flags(uint64_t prot)
{
    if (prot == PROT_NONE)
        return PTE_NX;
    uint64_t pte = PTE_U;
    if (prot & PROT_WRITE)
        pte |= PTE_W;
    if (!(prot & PROT_EXEC))
        pte |= PTE_NX;
    return pte;
}

static int prot_check(uint64_t prot)
{
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
        return -EACCES;     /* W^X: never writable and executable at once */
    return 0;
}

/* A user range for munmap/mprotect: page-aligned start, rounded-up length,
 * inside the user half. *end gets its end. */
static int user_page_range(uint64_t addr, uint64_t len, uint64_t *end)
{
    if ((addr & (PAGE_SIZE - 1)) || len == 0)
        return -EINVAL;
    if (len > USER_TOP)
        return -EINVAL;
    len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (addr >= USER_TOP || len > USER_TOP - addr)
        return -EINVAL;
    *end = addr + len;
    return 0;
}

int64_t sys_mmap(const struct syscall_args *a)
{
    uint64_t len = a->a1;
    uint64_t prot = a->a2, flags = a->a3;
    if (len == 0 || len > MMAP_MAX_LEN)
        return len == 0 ? -EINVAL : -ENOMEM;
    int err = prot_check(prot);
    if (err)
        return err;
    if (flags != (MAP_PRIVATE | MAP_ANONYMOUS))
        return -EINVAL;     /* only private anonymous memory, no MAP_FIXED */
    struct proc *p = proc_current();
    len = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t start = p->mmap_next;
    if (start + len > MMAP_END)
        return -ENOMEM;
    uint64_t pte = prot_pte_flags(prot);
    for (uint64_t va = start; va < start + len; va += PAGE_SIZE) {
        uint64_t pa = pmm_alloc_zeroed();
        if (!pa || paging_map(p->pml4, va, pa, pte)) {
            if (pa)
                pmm_free_page(pa);
            paging_unmap_range(p->pml4, start, va, sched_preempt_point);
            return -ENOMEM;
        }
        if (((va - start) / PAGE_SIZE) % 64 == 63)
            sched_preempt_point();      /* zeroing 64 MiB takes many ticks */
    }
    /* Leave an unmapped page between mappings so overruns fault. */
    p->mmap_next = start + len + PAGE_SIZE;
    return (int64_t)start;
}

/* Only inside the mmap region (the image and the stack stay), but any
 * length there: the whole region costs what is mapped in it. */
int64_t sys_munmap(const struct syscall_args *a)
{
    uint64_t end;
    int err = user_page_range(a->a0, a->a1, &end);
    if (err)
        return err;
    if (a->a0 < MMAP_BASE || end > MMAP_END)
        return -EINVAL;
    paging_unmap_range(proc_current()->pml4, a->a0, end, sched_preempt_point);
    return 0;
}

/* -ENOMEM when part of the range is not mapped (nothing is changed then). */
int64_t sys_mprotect(const struct syscall_args *a)
{
    uint64_t end, prot = a->a2;
    int err = user_page_range(a->a0, a->a1, &end);
    if (!err)
        err = prot_check(prot);
    if (err)
        return err;
    uint64_t pml4 = proc_current()->pml4;
    if (!paging_range_mapped(pml4, a->a0, end, sched_preempt_point))
        return -ENOMEM;
    return paging_protect_range(pml4, a->a0, end, prot_pte_flags(prot), sched_preempt_point);
}
