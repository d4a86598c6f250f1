#pragma once
/* The CPU's entropy instructions (RDSEED, RDRAND) and cycle counter, for
 * the kernel's random source (lib/random.c). */
#include <stdbool.h>
#include <stdint.h>

/* Which instructions CPUID reports (checked once). */
bool arch_has_rdseed(void);
bool arch_has_rdrand(void);
/* One 64-bit value; false when the instruction is absent or gave up
 * (it may fail transiently: callers retry a few times, then do without). */
bool arch_rdseed64(uint64_t *out);
bool arch_rdrand64(uint64_t *out);
/* A free-running cycle counter (TSC): jitter samples. */
uint64_t arch_cycles(void);
