/* clang source-based coverage (`kos test --coverage`), for the two runtimes:
 * the kernel's (kernel/lib/profile.c) and the user programs'
 * (user/lib/profile.c). kos_profile_pieces lays out one LLVM raw profile
 * (.profraw, format version 10, what clang 19's own runtime writes; the
 * layout is clang's, include/profile/InstrProfData.inc) as a header and the
 * image's own sections, so neither runtime copies its counters.
 *
 * Both go out through the kernel's debug console (port 0xe9), each profile
 * in one frame: struct kos_prof_frame, the program's name (name_len bytes,
 * no NUL), then size bytes of raw profile. The kernel writes its own frame at
 * machine_exit; a user program hands its pieces to SYS_profile_write at exit,
 * and the kernel frames them with the process's name. The host
 * (src/report/coverage.ts) splits the stream by frames; a frame cut short
 * (the guest was killed while writing) is skipped. */
#pragma once
#include <stdint.h>

#define KOS_PROF_MAGIC "KOSPROF1"   /* 8 bytes, no NUL */
#define KOS_PROF_KERNEL 0
#define KOS_PROF_USER 1

struct kos_prof_frame {
    char magic[8];
    uint32_t kind;                  /* KOS_PROF_KERNEL or KOS_PROF_USER */
    uint32_t name_len;
    uint64_t size;                  /* bytes of raw profile after the name */
};

/* One piece of a raw profile: n bytes at p (an address in the writer's own
 * image). SYS_profile_write takes at most KOS_PROF_PIECES of them, together
 * at most KOS_PROF_MAX bytes. */
struct kos_prof_piece {
    uint64_t p;
    uint64_t n;
};
#define KOS_PROF_PIECES 8
#define KOS_PROF_MAX (64ull << 20)

/* The bounds of clang's four sections in one image (kernel/kernel.ld, user/user.ld). */
struct kos_prof_sections {
    const char *data, *data_end;
    const char *cnts, *cnts_end;
    const char *bits, *bits_end;
    const char *names, *names_end;
};

#define KOS_PROF_RAW_MAGIC_64 ((uint64_t)255 << 56 | (uint64_t)'l' << 48 | (uint64_t)'p' << 40 | (uint64_t)'r' << 32 | \
                               (uint64_t)'o' << 24 | (uint64_t)'f' << 16 | (uint64_t)'r' << 8 | (uint64_t)129)
#define KOS_PROF_RAW_VERSION 10
#define KOS_PROF_DATA_RECORD_SIZE 64    /* struct __llvm_profile_data on x86-64 */
#define KOS_PROF_VALUE_KIND_LAST 2      /* IPVK_VTableTarget */
#define KOS_PROF_HEADER_WORDS 16

static const uint8_t kos_prof_zeros[8];

static inline uint64_t kos_prof_pad8(uint64_t n) { return (8 - n % 8) % 8; }

/* One image's raw profile: the header it starts with and the pieces that
 * make it up (the header among them), npieces of them, size bytes in all. */
struct kos_prof_image {
    uint64_t header[KOS_PROF_HEADER_WORDS];
    struct kos_prof_piece piece[KOS_PROF_PIECES];
    int npieces;
    uint64_t size;
};

/* Lays out the raw profile of s in img (7 pieces). */
__attribute__((no_profile_instrument_function)) static inline void
kos_profile_pieces(const struct kos_prof_sections *s, struct kos_prof_image *img)
{
    uint64_t data = (uint64_t)(s->data_end - s->data);
    uint64_t cnts = (uint64_t)(s->cnts_end - s->cnts);
    uint64_t bits = (uint64_t)(s->bits_end - s->bits);
    uint64_t names = (uint64_t)(s->names_end - s->names);
    const uint64_t h[KOS_PROF_HEADER_WORDS] = {
        KOS_PROF_RAW_MAGIC_64,
        KOS_PROF_RAW_VERSION,
        0,                                  /* no binary ids */
        data / KOS_PROF_DATA_RECORD_SIZE,
        0,                                  /* padding before the counters */
        cnts / 8,
        0,                                  /* padding after them (8-byte counters) */
        bits,
        kos_prof_pad8(bits),
        names,
        (uint64_t)(uintptr_t)s->cnts - (uint64_t)(uintptr_t)s->data,
        (uint64_t)(uintptr_t)s->bits - (uint64_t)(uintptr_t)s->data,
        (uint64_t)(uintptr_t)s->names,
        0,                                  /* no vtables */
        0,
        KOS_PROF_VALUE_KIND_LAST,
    };
    for (int i = 0; i < KOS_PROF_HEADER_WORDS; i++)
        img->header[i] = h[i];
    const struct kos_prof_piece p[7] = {
        {(uint64_t)(uintptr_t)img->header, sizeof h},
        {(uint64_t)(uintptr_t)s->data, data},
        {(uint64_t)(uintptr_t)s->cnts, cnts},
        {(uint64_t)(uintptr_t)s->bits, bits},
        {(uint64_t)(uintptr_t)kos_prof_zeros, kos_prof_pad8(bits)},
        {(uint64_t)(uintptr_t)s->names, names},
        {(uint64_t)(uintptr_t)kos_prof_zeros, kos_prof_pad8(names)},
    };
    img->npieces = 7;
    img->size = 0;
    for (int i = 0; i < 7; i++) {
        img->piece[i] = p[i];
        img->size += p[i].n;
    }
}

/* The runtimes' own image: the bounds kernel/kernel.ld and user/user.ld
 * define around clang's sections (empty in builds without coverage). */
extern char __prof_data_start[], __prof_data_end[];
extern char __prof_cnts_start[], __prof_cnts_end[];
extern char __prof_bits_start[], __prof_bits_end[];
extern char __prof_names_start[], __prof_names_end[];

__attribute__((no_profile_instrument_function)) static inline void kos_profile_own(struct kos_prof_image *img)
{
    const struct kos_prof_sections s = {
        __prof_data_start, __prof_data_end, __prof_cnts_start, __prof_cnts_end,
        __prof_bits_start, __prof_bits_end, __prof_names_start, __prof_names_end,
    };
    kos_profile_pieces(&s, img);
}
