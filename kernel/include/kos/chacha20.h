/* The ChaCha20 block function's core (RFC 8439 2.3): twenty rounds over a
 * 16-word state, then the state added back. One copy for the kernel's random
 * source (kernel/lib/random.c) and the p2p daemon's cipher
 * (user/p2p/crypto/chachapoly.c); each lays out its own key and nonce. */
#pragma once
#include <stdint.h>

/* "expand 32-byte k": words 0-3 of every ChaCha20 state. */
#define KOS_CHACHA20_CONST0 0x61707865u
#define KOS_CHACHA20_CONST1 0x3320646eu
#define KOS_CHACHA20_CONST2 0x79622d32u
#define KOS_CHACHA20_CONST3 0x6b206574u

static inline uint32_t kos_rotl32(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static inline void kos_chacha20_quarter(uint32_t x[16], int a, int b, int c, int d)
{
    x[a] += x[b]; x[d] ^= x[a]; x[d] = kos_rotl32(x[d], 16);
    x[c] += x[d]; x[b] ^= x[c]; x[b] = kos_rotl32(x[b], 12);
    x[a] += x[b]; x[d] ^= x[a]; x[d] = kos_rotl32(x[d], 8);
    x[c] += x[d]; x[b] ^= x[c]; x[b] = kos_rotl32(x[b], 7);
}

/* out = 20 rounds of in, plus in. The caller wipes in and out when they are secret. */
static inline void kos_chacha20_core(const uint32_t in[16], uint32_t out[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = in[i];
    for (int i = 0; i < 10; i++) {
        kos_chacha20_quarter(out, 0, 4, 8, 12);
        kos_chacha20_quarter(out, 1, 5, 9, 13);
        kos_chacha20_quarter(out, 2, 6, 10, 14);
        kos_chacha20_quarter(out, 3, 7, 11, 15);
        kos_chacha20_quarter(out, 0, 5, 10, 15);
        kos_chacha20_quarter(out, 1, 6, 11, 12);
        kos_chacha20_quarter(out, 2, 7, 8, 13);
        kos_chacha20_quarter(out, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++)
        out[i] += in[i];
}
