#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "arch/x86_64/memlayout.h"

/* The inverse of phys_to_virt (memlayout.h), for the direct map and the kernel image. */
uint64_t virt_to_phys(const void *virt);

/* Page table entry bits. */
#define PTE_P    (1ULL << 0)
#define PTE_W    (1ULL << 1)
#define PTE_U    (1ULL << 2)
#define PTE_PWT  (1ULL << 3)
#define PTE_PCD  (1ULL << 4)
#define PTE_PS   (1ULL << 7)
#define PTE_COW  (1ULL << 9)     /* software bit: read-only until the first write copies it */
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

/* An address space is its PML4 (physical address, as loaded into CR3).
 * The kernel half (entries 256-511) is shared by every address space. */
void paging_init(void);
uint64_t paging_kernel_pml4(void);
/* Page-table pages created for kernel-half mappings since boot. They are
 * kept for good (shared by every address space), so leak checks add them back. */
uint64_t paging_kernel_table_pages(void);
/* A new address space: empty user half, the shared kernel half. 0 on OOM. */
uint64_t aspace_create(void);
/* Frees every user page and page table, then the PML4 itself. */
void aspace_destroy(uint64_t pml4);
void aspace_switch(uint64_t pml4);

/* Long walks over a user-sized range call pause (when not NULL) every few
 * hundred entries: the caller gives up the CPU there (sched_preempt_point).
 * A walk descends only into present tables, so its cost follows what is
 * mapped, not the length asked for. */
typedef void (*paging_pause_fn)(void);
/* Unmap every page in [start, end) of the user half and free its frame
 * (one reference). Returns the number of pages unmapped. */
uint64_t paging_unmap_range(uint64_t pml4, uint64_t start, uint64_t end, paging_pause_fn pause);
/* 1 when every page of [start, end) is mapped, else 0. */
int paging_range_mapped(uint64_t pml4, uint64_t start, uint64_t end, paging_pause_fn pause);
/* New flags (PTE_W, PTE_U, PTE_NX) for every mapped page of [start, end):
 * a frame still shared copy-on-write becomes writable through a fault.
 * -EINVAL for W without NX or a range outside the user half. */
int paging_protect_range(uint64_t pml4, uint64_t start, uint64_t end, uint64_t flags, paging_pause_fn pause);

/* Map one 4 KiB page. flags: PTE_W, PTE_U, PTE_NX, PTE_PCD, PTE_PWT.
 * Refuses W together with executable (no NX) with -EINVAL, an existing
 * mapping with -EEXIST, a user mapping in the kernel half with -EINVAL,
 * and returns -ENOMEM when a page table cannot be allocated. */
int paging_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags);
/* Remove the mapping; returns the physical address it pointed to, or 0. */
uint64_t paging_unmap(uint64_t pml4, uint64_t va);
/* A copy of src's user half for fork: every writable page becomes read-only
 * and copy-on-write in both, frames are shared (one more reference each);
 * page tables are new. Flushes the TLB when src is the current space.
 * Returns the new PML4, 0 when out of memory (nothing left allocated). */
uint64_t aspace_clone_cow(uint64_t src, paging_pause_fn pause);
/* Make the copy-on-write page at va writable: the frame is copied when
 * another space still shares it, taken over when this is the last user.
 * Returns 0, -EFAULT when va is not a copy-on-write page, -ENOMEM. */
int paging_cow_resolve(uint64_t pml4, uint64_t va);
/* Physical address va maps to (0 if unmapped); *flags gets the effective
 * leaf flags (W and U only when every level allows them). */
uint64_t paging_translate(uint64_t pml4, uint64_t va, uint64_t *flags);
/* Change the flags of an existing mapping (same rules as paging_map). */
int paging_protect(uint64_t pml4, uint64_t va, uint64_t flags);
