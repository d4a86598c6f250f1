/* xorshift64 (Marsaglia, shifts 13, 7, 17): the fixed-seed generator of the
 * deterministic tests and fuzzers (a run repeats exactly, so a failure does).
 * Never for anything secret: the kernel's random source is lib/random.c. */
#pragma once
#include <stdint.h>

static inline uint64_t kos_xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}
