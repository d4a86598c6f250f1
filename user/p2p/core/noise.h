/* The Noise Protocol Framework (revision 34) for one pattern:
 * Noise_XX_25519_ChaChaPoly_SHA256, empty prologue. Messages are built and
 * read whole; libp2p's 2-byte length framing is the caller's. */
#pragma once
#include "p2p_base.h"

#define NOISE_TAG 16
#define NOISE_MAX_MSG 65535

struct noise_cipher {
    uint8_t k[32];
    uint64_t n;
};
/* out = n + 16 bytes. Returns -1 once the nonce is exhausted. */
int noise_encrypt(struct noise_cipher *c, const uint8_t *in, size_t n, uint8_t *out);
/* in = n bytes incl. tag; writes n - 16. Returns -1 on a bad tag. */
int noise_decrypt(struct noise_cipher *c, const uint8_t *in, size_t n, uint8_t *out);

struct noise_hs {
    bool initiator;
    int msg;            /* messages processed so far: 0..3 */
    uint8_t h[32], ck[32], k[32];
    bool has_k;
    uint64_t n;
    uint8_t e_priv[32], e_pub[32], s_priv[32], s_pub[32], re[32], rs[32];
};

/* s_priv: the static X25519 key; e_priv: 32 fresh random bytes. */
void noise_hs_init(struct noise_hs *hs, bool initiator, const uint8_t s_priv[32], const uint8_t e_priv[32]);
/* Writes the next handshake message with payload; returns its length or -1. */
int noise_write(struct noise_hs *hs, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap);
/* Reads the next handshake message; the payload goes to out. Returns the payload length or -1. */
int noise_read(struct noise_hs *hs, const uint8_t *msg, size_t n, uint8_t *out, size_t cap);
/* After message 3: the transport keys (send, receive) for this side. */
void noise_split(struct noise_hs *hs, struct noise_cipher *tx, struct noise_cipher *rx);
