#pragma once
/* The address space, in one place (as xv6's memlayout.h): every address
 * constant the kernel uses, PAGE_SIZE and the direct map. Usable from
 * assembly (boot.S) as well as C.
 *
 * Virtual memory (48-bit, 4-level paging):
 *   0x0000000000010000 USER_IMAGE_START     program images (pages 0..15 never mapped: null derefs)
 *   0x0000000100000000 USER_IMAGE_END       (4 GiB)
 *   0x0000100000000000 MMAP_BASE .. MMAP_END  anonymous mmap
 *   USER_STACK_BOTTOM .. USER_STACK_TOP     the user stack, a guard gap below it
 *   0x0000800000000000 USER_TOP             first non-user address
 *   0xffff800000000000 DIRECT_MAP_BASE      all physical RAM, RW, NX
 *   0xffffc00000000000 MMIO_BASE            map_mmio windows, uncached, NX
 *   0xffffd00000000000 HEAP_BASE            kmalloc's large allocations
 *   0xffffffff80000000 KERNEL_VMA (-2 GiB)  the kernel image (kernel.ld)    */

#ifdef __ASSEMBLER__
#define KOS_U64(x) x
#else
#define KOS_U64(x) x##ULL
#endif

#define PAGE_SHIFT      12
#define PAGE_SIZE       (KOS_U64(1) << PAGE_SHIFT)

#define DIRECT_MAP_BASE KOS_U64(0xffff800000000000)
#define MMIO_BASE       KOS_U64(0xffffc00000000000)
#define HEAP_BASE       KOS_U64(0xffffd00000000000)
#define KERNEL_VMA      KOS_U64(0xffffffff80000000)
#define USER_TOP        KOS_U64(0x0000800000000000)

/* Program images (proc/elf.c refuses segments outside). */
#define USER_IMAGE_START KOS_U64(0x10000)
#define USER_IMAGE_END   KOS_U64(0x100000000)
/* User stack: USER_STACK_PAGES pages below USER_STACK_TOP; the pages below
 * that (USER_STACK_GUARD_PAGES) are never mapped, so an overflow faults. */
#define USER_STACK_TOP         KOS_U64(0x00007ffffff00000)
#define USER_STACK_PAGES       16
#define USER_STACK_GUARD_PAGES 16
#define USER_STACK_BOTTOM      (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
/* Anonymous mmap region. */
#define MMAP_BASE    KOS_U64(0x0000100000000000)
#define MMAP_END     KOS_U64(0x0000700000000000)
#define MMAP_MAX_LEN (KOS_U64(64) << 20)

#ifndef __ASSEMBLER__
#include <stdint.h>
static inline void *phys_to_virt(uint64_t phys) { return (void *)(phys + DIRECT_MAP_BASE); }
#endif
