#pragma once
/* The kernel's random source: a ChaCha20 generator (RFC 8439 block
 * function) with fast key erasure, keyed at first use from RDSEED/RDRAND
 * (when CPUID has them) mixed with TSC jitter, or, when the command line
 * has seed=TEXT, from that text alone so a run can be replayed exactly. */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Fills buf with n random bytes (never fails, never blocks). */
void random_bytes(void *buf, size_t n);
uint64_t random_u64(void);
/* True when seed= keyed the generator (its output is then reproducible). */
bool random_is_replay(void);
/* The RFC 8439 block function: out = ChaCha20(key, counter, nonce). */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);
