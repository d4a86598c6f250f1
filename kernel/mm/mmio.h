#pragma once
#include <stdint.h>
#include <stddef.h>

/* Map device registers at phys (any alignment) into the kernel half,
 * uncached (PCD|PWT) and non-executable. Returns the virtual address of
 * phys itself, or NULL when page tables cannot be allocated. */
void *map_mmio(uint64_t phys, size_t size);
