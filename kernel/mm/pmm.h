#pragma once
#include <stdint.h>

/* Physical page allocator over the multiboot memory map (4 KiB pages). */
void pmm_init(void);
/* Physical address of a free page (contents undefined), 0 when out of memory. */
uint64_t pmm_alloc_page(void);
/* Same, zero-filled. */
uint64_t pmm_alloc_zeroed(void);
/* Drops one reference; the page is free after the last. Freeing a page
 * that is not allocated is a bug: panics. */
void pmm_free_page(uint64_t phys);
/* One more reference to an allocated page (copy-on-write sharing). */
void pmm_page_ref(uint64_t phys);
/* References to phys: 0 when free, 1 when owned by one user. */
unsigned pmm_page_refs(uint64_t phys);
uint64_t pmm_free_count(void);
uint64_t pmm_total_count(void);
/* True when phys is a RAM page the allocator has handed out. */
int pmm_is_allocated(uint64_t phys);
