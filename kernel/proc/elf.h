#pragma once
#include <stdint.h>
#include <stddef.h>

/* Static ELF64 x86-64 executables. Program images live below USER_IMAGE_END;
 * the stack and mmap regions sit above it. */
#define ELF_MAX_SEGMENTS 16
#define ELF_MAX_IMAGE    (64ULL << 20)      /* total memsz of all segments */

struct elf_segment {
    uint64_t vaddr, memsz;      /* page-rounded span is [vaddr & ~0xfff, vaddr+memsz) */
    uint64_t offset, filesz;
    uint32_t flags;             /* PF_R/W/X */
};

struct elf_plan {
    uint64_t entry;
    int nsegs;
    struct elf_segment segs[ELF_MAX_SEGMENTS];
};

/* Check every header field and segment; fills plan or returns -ENOEXEC
 * with a one-line reason in why. Touches nothing. */
int elf_validate(const uint8_t *img, size_t size, struct elf_plan *plan, char *why, size_t whylen);
/* Map the planned segments into pml4 with the permissions their flags ask
 * for. On -ENOMEM the caller destroys the address space. */
int elf_map(const uint8_t *img, const struct elf_plan *plan, uint64_t pml4);
