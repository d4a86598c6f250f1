/* X25519 (RFC 7748) and Ed25519 (RFC 8032) over one field implementation. */
#pragma once
#include "p2p_base.h"

#define X25519_LEN 32
#define ED25519_PUB_LEN 32
#define ED25519_SEED_LEN 32
#define ED25519_SIG_LEN 64

/* out = scalar * point (u-coordinate). Returns 0, or -1 when the result is
 * all zeros (a low-order point: the shared secret is worthless). */
int x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
/* out = scalar * 9 (the public key of a private key). */
void x25519_base(uint8_t out[32], const uint8_t scalar[32]);

/* The public key of a 32-byte private key (seed). */
void ed25519_public(uint8_t pub[32], const uint8_t seed[32]);
void ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t pub[32], const void *msg, size_t n);
/* Returns true when sig is a valid signature of msg by pub. */
bool ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const void *msg, size_t n);
