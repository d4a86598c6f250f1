#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* Virtual memory layout (48-bit, 4-level):
 *   0x0000000000000000 .. USER_TOP        user half, per process
 *   DIRECT_MAP_BASE                       all physical RAM, RW, NX
 *   MMIO_BASE                             map_mmio windows, uncached, NX
 *   HEAP_BASE                             kmalloc's large allocations
 *   KERNEL_VMA (-2 GiB)                   kernel image                      */
#define DIRECT_MAP_BASE 0xffff800000000000ULL
#define MMIO_BASE       0xffffc00000000000ULL
#define HEAP_BASE       0xffffd00000000000ULL
#define KERNEL_VMA      0xffffffff80000000ULL
#define USER_TOP        0x0000800000000000ULL   /* first non-user address */
#define PAGE_SIZE       4096ULL

static inline void *phys_to_virt(uint64_t phys) { return (void *)(phys + DIRECT_MAP_BASE); }
uint64_t virt_to_phys(const void *virt);
