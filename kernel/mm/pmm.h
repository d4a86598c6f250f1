#pragma once
#include <stdint.h>

/* Physical page allocator over the multiboot memory map (4 KiB pages). */
void pmm_init(void);
/* Physical address of a free page (contents undefined), 0 when out of memory. */
uint64_t pmm_alloc_page(void);
/* Same, zero-filled. */
uint64_t pmm_alloc_zeroed(void);
/* Freeing a page that is not allocated is a bug: panics. */
void pmm_free_page(uint64_t phys);
uint64_t pmm_free_count(void);
uint64_t pmm_total_count(void);
/* True when phys is a RAM page the allocator has handed out. */
int pmm_is_allocated(uint64_t phys);
