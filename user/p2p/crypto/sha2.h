/* SHA-256 and SHA-512 (FIPS 180-4), incremental. */
#pragma once
#include "p2p_base.h"

#define SHA256_LEN 32
#define SHA512_LEN 64
#define SHA256_BLOCK 64
#define SHA512_BLOCK 128

struct sha256 {
    uint32_t h[8];
    uint8_t buf[SHA256_BLOCK];
    uint64_t total;
    size_t used;
};
struct sha512 {
    uint64_t h[8];
    uint8_t buf[SHA512_BLOCK];
    uint64_t total;   /* bytes; messages stay below 2^61 bytes */
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
void sha256(const void *data, size_t n, uint8_t out[SHA256_LEN]);

void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t n);
void sha512_final(struct sha512 *s, uint8_t out[SHA512_LEN]);
void sha512(const void *data, size_t n, uint8_t out[SHA512_LEN]);
