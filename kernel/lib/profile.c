/* The kernel's coverage runtime. See profile.h. The layout of a raw profile
 * (header words, then the per-function records, counters, bitmap bytes and
 * the function names, each padded to 8 bytes) is clang's, from
 * include/profile/InstrProfData.inc of clang 19. */
#include "lib/profile.h"
#include "lib/machine.h"
#include <stddef.h>
#include <stdint.h>

#ifdef KOS_COVERAGE
/* Instrumented objects refer to this to pull in a runtime: this file is it. */
int __llvm_profile_runtime;

/* Bounds of clang's sections, from kernel/kernel.ld. */
extern char __prof_data_start[], __prof_data_end[];
extern char __prof_cnts_start[], __prof_cnts_end[];
extern char __prof_bits_start[], __prof_bits_end[];
extern char __prof_names_start[], __prof_names_end[];

#define PROF_RAW_MAGIC_64 ((uint64_t)255 << 56 | (uint64_t)'l' << 48 | (uint64_t)'p' << 40 | (uint64_t)'r' << 32 | \
                           (uint64_t)'o' << 24 | (uint64_t)'f' << 16 | (uint64_t)'r' << 8 | (uint64_t)129)
#define PROF_RAW_VERSION 10
#define PROF_DATA_RECORD_SIZE 64    /* struct __llvm_profile_data on x86-64 */
#define PROF_VALUE_KIND_LAST 2      /* IPVK_VTableTarget */

static size_t pad8(size_t n) { return (8 - n % 8) % 8; }

__attribute__((no_profile_instrument_function)) void profile_dump(void)
{
    static const uint8_t zeros[8];
    size_t data = (size_t)(__prof_data_end - __prof_data_start);
    size_t cnts = (size_t)(__prof_cnts_end - __prof_cnts_start);
    size_t bits = (size_t)(__prof_bits_end - __prof_bits_start);
    size_t names = (size_t)(__prof_names_end - __prof_names_start);
    uint64_t header[16] = {
        PROF_RAW_MAGIC_64,
        PROF_RAW_VERSION,
        0,                                  /* no binary ids */
        data / PROF_DATA_RECORD_SIZE,
        0,                                  /* padding before the counters */
        cnts / 8,
        0,                                  /* padding after them (8-byte counters) */
        bits,
        pad8(bits),
        names,
        (uint64_t)(uintptr_t)__prof_cnts_start - (uint64_t)(uintptr_t)__prof_data_start,
        (uint64_t)(uintptr_t)__prof_bits_start - (uint64_t)(uintptr_t)__prof_data_start,
        (uint64_t)(uintptr_t)__prof_names_start,
        0,                                  /* no vtables */
        0,
        PROF_VALUE_KIND_LAST,
    };
    machine_debug_write(header, sizeof header);
    machine_debug_write(__prof_data_start, data);
    machine_debug_write(__prof_cnts_start, cnts);
    machine_debug_write(__prof_bits_start, bits);
    machine_debug_write(zeros, pad8(bits));
    machine_debug_write(__prof_names_start, names);
    machine_debug_write(zeros, pad8(names));
}
#else
void profile_dump(void)
{
}
#endif
