/* ChaCha20, Poly1305 and the ChaCha20-Poly1305 AEAD (RFC 8439). */
#pragma once
#include "p2p_base.h"

#define CHACHAPOLY_KEY_LEN 32
#define CHACHAPOLY_NONCE_LEN 12
#define CHACHAPOLY_TAG_LEN 16

/* One 64-byte keystream block (RFC 8439 2.3). */
void chacha20_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], uint8_t out[64]);
/* XORs n bytes with the keystream starting at block `counter` (RFC 8439 2.4). */
void chacha20_xor(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], const uint8_t *in, uint8_t *out, size_t n);

struct poly1305 {
    uint32_t r[5], h[5], pad[4];
    uint8_t buf[16];
    size_t used;
};
void poly1305_init(struct poly1305 *p, const uint8_t key[32]);
void poly1305_update(struct poly1305 *p, const uint8_t *m, size_t n);
void poly1305_final(struct poly1305 *p, uint8_t tag[16]);
void poly1305(const uint8_t key[32], const uint8_t *m, size_t n, uint8_t tag[16]);

/* out = ciphertext (n bytes) followed by the 16-byte tag. in and out may be the same buffer. */
void chachapoly_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                     const uint8_t *in, size_t n, uint8_t *out);
/* in = ciphertext + tag (n includes the tag). Returns 0 and writes n-16 bytes, or -1 (tag mismatch, nothing written). */
int chachapoly_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                    const uint8_t *in, size_t n, uint8_t *out);
