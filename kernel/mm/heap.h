#pragma once
#include <stddef.h>
#include <stdint.h>

/* Kernel heap. Small blocks (up to 2 KiB) come from per-size slabs of one
 * page each; larger ones are page runs in the heap region, each followed by
 * an unmapped guard page. Memory is 16-byte aligned; large blocks are
 * page-aligned plus 16 bytes (the header). Empty slabs go back to the pmm. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);
/* Page-aligned allocation of whole pages (e.g. kernel stacks), freed with kfree_pages. */
void *kmalloc_pages(size_t npages);
void kfree_pages(void *ptr);
/* Live small+large allocations (for tests). */
uint64_t heap_live_allocations(void);
