/* SHA-256 (FIPS 180-4) over 1 MiB of pseudo-random bytes, built by clang -O2
 * for wasm32: what compiled C looks like to the interpreter. The hash is the
 * p2p daemon's own (user/p2p/crypto/sha2.c), so there is one SHA-256 in the
 * tree. run() returns the digest's first word, big-endian
 * (python3: hashlib.sha256(data).digest()[:4]). */
#define KOS_NO_LIBC 1
#include "crypto/sha2.c"

/* No C library in a bare wasm32 module: the two the hash calls, through
 * volatile so clang cannot turn the loops back into calls to themselves. */
void *memcpy(void *d, const void *s, size_t n) { for (size_t i = 0; i < n; i++) ((volatile uint8_t *)d)[i] = ((const uint8_t *)s)[i]; return d; }
void *memset(void *d, int c, size_t n) { for (size_t i = 0; i < n; i++) ((volatile uint8_t *)d)[i] = (uint8_t)c; return d; }

#define LEN (1u << 20)

static uint8_t data[LEN];

uint32_t run(void)
{
    uint32_t x = 12345;
    for (uint32_t i = 0; i < LEN; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
    uint8_t digest[SHA256_LEN];
    sha256(data, LEN, digest);
    return p2p_be32(digest);
}
