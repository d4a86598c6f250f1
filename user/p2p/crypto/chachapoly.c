/* ChaCha20-Poly1305 per RFC 8439. Poly1305 uses five 26-bit limbs so every
 * product fits in 64 bits; nothing branches on secret data. */
#include "chachapoly.h"
#include "kos/chacha20.h"

void chacha20_block(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], uint8_t out[64])
{
    uint32_t s[16], x[16];
    s[0] = KOS_CHACHA20_CONST0; s[1] = KOS_CHACHA20_CONST1; s[2] = KOS_CHACHA20_CONST2; s[3] = KOS_CHACHA20_CONST3;
    for (int i = 0; i < 8; i++)
        s[4 + i] = p2p_le32(key + 4 * i);
    s[12] = counter;
    for (int i = 0; i < 3; i++)
        s[13 + i] = p2p_le32(nonce + 4 * i);
    kos_chacha20_core(s, x);
    for (int i = 0; i < 16; i++)
        p2p_put_le32(out + 4 * i, x[i]);
    p2p_wipe(x, sizeof x);
    p2p_wipe(s, sizeof s);
}

void chacha20_xor(const uint8_t key[32], uint32_t counter, const uint8_t nonce[12], const uint8_t *in, uint8_t *out, size_t n)
{
    uint8_t ks[64];
    while (n > 0) {
        chacha20_block(key, counter++, nonce, ks);
        size_t k = n < 64 ? n : 64;
        for (size_t i = 0; i < k; i++)
            out[i] = in[i] ^ ks[i];
        in += k;
        out += k;
        n -= k;
    }
    p2p_wipe(ks, sizeof ks);
}

void poly1305_init(struct poly1305 *p, const uint8_t key[32])
{
    uint8_t r[16];
    memcpy(r, key, 16);
    /* Clamp (RFC 8439 2.5). */
    r[3] &= 15; r[7] &= 15; r[11] &= 15; r[15] &= 15;
    r[4] &= 252; r[8] &= 252; r[12] &= 252;
    p->r[0] = p2p_le32(r + 0) & 0x3ffffff;
    p->r[1] = (p2p_le32(r + 3) >> 2) & 0x3ffffff;
    p->r[2] = (p2p_le32(r + 6) >> 4) & 0x3ffffff;
    p->r[3] = (p2p_le32(r + 9) >> 6) & 0x3ffffff;
    p->r[4] = p2p_le32(r + 12) >> 8;
    for (int i = 0; i < 5; i++)
        p->h[i] = 0;
    for (int i = 0; i < 4; i++)
        p->pad[i] = p2p_le32(key + 16 + 4 * i);
    p->used = 0;
    p2p_wipe(r, sizeof r);
}

/* h = (h + m) * r mod 2^130-5 for one 16-byte block; hibit is 2^128 for a full block. */
static void poly1305_block(struct poly1305 *p, const uint8_t m[16], uint32_t hibit)
{
    const uint32_t M = 0x3ffffff;
    uint32_t r0 = p->r[0], r1 = p->r[1], r2 = p->r[2], r3 = p->r[3], r4 = p->r[4];
    uint32_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
    uint32_t h0 = p->h[0] + (p2p_le32(m + 0) & M);
    uint32_t h1 = p->h[1] + ((p2p_le32(m + 3) >> 2) & M);
    uint32_t h2 = p->h[2] + ((p2p_le32(m + 6) >> 4) & M);
    uint32_t h3 = p->h[3] + ((p2p_le32(m + 9) >> 6) & M);
    uint32_t h4 = p->h[4] + ((p2p_le32(m + 12) >> 8) | hibit);
    uint64_t d0 = (uint64_t)h0 * r0 + (uint64_t)h1 * s4 + (uint64_t)h2 * s3 + (uint64_t)h3 * s2 + (uint64_t)h4 * s1;
    uint64_t d1 = (uint64_t)h0 * r1 + (uint64_t)h1 * r0 + (uint64_t)h2 * s4 + (uint64_t)h3 * s3 + (uint64_t)h4 * s2;
    uint64_t d2 = (uint64_t)h0 * r2 + (uint64_t)h1 * r1 + (uint64_t)h2 * r0 + (uint64_t)h3 * s4 + (uint64_t)h4 * s3;
    uint64_t d3 = (uint64_t)h0 * r3 + (uint64_t)h1 * r2 + (uint64_t)h2 * r1 + (uint64_t)h3 * r0 + (uint64_t)h4 * s4;
    uint64_t d4 = (uint64_t)h0 * r4 + (uint64_t)h1 * r3 + (uint64_t)h2 * r2 + (uint64_t)h3 * r1 + (uint64_t)h4 * r0;
    uint64_t c;
    c = d0 >> 26; h0 = (uint32_t)d0 & M; d1 += c;
    c = d1 >> 26; h1 = (uint32_t)d1 & M; d2 += c;
    c = d2 >> 26; h2 = (uint32_t)d2 & M; d3 += c;
    c = d3 >> 26; h3 = (uint32_t)d3 & M; d4 += c;
    c = d4 >> 26; h4 = (uint32_t)d4 & M;
    h0 += (uint32_t)c * 5;
    h1 += h0 >> 26; h0 &= M;
    p->h[0] = h0; p->h[1] = h1; p->h[2] = h2; p->h[3] = h3; p->h[4] = h4;
}

static void poly1305_full_block(void *p, const uint8_t *m) { poly1305_block(p, m, 1u << 24); }

void poly1305_update(struct poly1305 *p, const uint8_t *m, size_t n)
{
    p2p_absorb(p->buf, &p->used, 16, m, n, poly1305_full_block, p);
}

void poly1305_final(struct poly1305 *p, uint8_t tag[16])
{
    const uint32_t M = 0x3ffffff;
    if (p->used > 0) {
        /* A partial block gets a 1 byte after the message and no 2^128 bit. */
        p->buf[p->used] = 1;
        memset(p->buf + p->used + 1, 0, 16 - p->used - 1);
        poly1305_block(p, p->buf, 0);
    }
    uint32_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2], h3 = p->h[3], h4 = p->h[4], c;
    c = h1 >> 26; h1 &= M; h2 += c;
    c = h2 >> 26; h2 &= M; h3 += c;
    c = h3 >> 26; h3 &= M; h4 += c;
    c = h4 >> 26; h4 &= M; h0 += c * 5;
    c = h0 >> 26; h0 &= M; h1 += c;
    /* g = h + 5 - 2^130; take g when it did not borrow (h >= p). */
    uint32_t g0 = h0 + 5; c = g0 >> 26; g0 &= M;
    uint32_t g1 = h1 + c; c = g1 >> 26; g1 &= M;
    uint32_t g2 = h2 + c; c = g2 >> 26; g2 &= M;
    uint32_t g3 = h3 + c; c = g3 >> 26; g3 &= M;
    uint32_t g4 = h4 + c - (1u << 26);
    uint32_t mask = (g4 >> 31) - 1; /* all ones when g4 did not go negative */
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);
    h2 = (h2 & ~mask) | (g2 & mask);
    h3 = (h3 & ~mask) | (g3 & mask);
    h4 = (h4 & ~mask) | (g4 & mask);
    uint32_t w0 = h0 | (h1 << 26);
    uint32_t w1 = (h1 >> 6) | (h2 << 20);
    uint32_t w2 = (h2 >> 12) | (h3 << 14);
    uint32_t w3 = (h3 >> 18) | (h4 << 8);
    uint64_t f;
    f = (uint64_t)w0 + p->pad[0]; p2p_put_le32(tag + 0, (uint32_t)f);
    f = (uint64_t)w1 + p->pad[1] + (f >> 32); p2p_put_le32(tag + 4, (uint32_t)f);
    f = (uint64_t)w2 + p->pad[2] + (f >> 32); p2p_put_le32(tag + 8, (uint32_t)f);
    f = (uint64_t)w3 + p->pad[3] + (f >> 32); p2p_put_le32(tag + 12, (uint32_t)f);
    p2p_wipe(p, sizeof *p);
}

void poly1305(const uint8_t key[32], const uint8_t *m, size_t n, uint8_t tag[16])
{
    struct poly1305 p;
    poly1305_init(&p, key);
    poly1305_update(&p, m, n);
    poly1305_final(&p, tag);
}

static void aead_tag(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                     const uint8_t *ct, size_t n, uint8_t tag[16])
{
    static const uint8_t zeros[16];
    uint8_t block[64], lens[16];
    struct poly1305 p;
    chacha20_block(key, 0, nonce, block);
    poly1305_init(&p, block);
    poly1305_update(&p, aad, aadlen);
    poly1305_update(&p, zeros, (16 - aadlen % 16) % 16);
    poly1305_update(&p, ct, n);
    poly1305_update(&p, zeros, (16 - n % 16) % 16);
    p2p_put_le64(lens, aadlen);
    p2p_put_le64(lens + 8, n);
    poly1305_update(&p, lens, 16);
    poly1305_final(&p, tag);
    p2p_wipe(block, sizeof block);
}

void chachapoly_seal(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                     const uint8_t *in, size_t n, uint8_t *out)
{
    chacha20_xor(key, 1, nonce, in, out, n);
    aead_tag(key, nonce, aad, aadlen, out, n, out + n);
}

int chachapoly_open(const uint8_t key[32], const uint8_t nonce[12], const uint8_t *aad, size_t aadlen,
                    const uint8_t *in, size_t n, uint8_t *out)
{
    uint8_t tag[16];
    if (n < CHACHAPOLY_TAG_LEN)
        return -1;
    n -= CHACHAPOLY_TAG_LEN;
    aead_tag(key, nonce, aad, aadlen, in, n, tag);
    if (p2p_ct_cmp(tag, in + n, 16) != 0)
        return -1;
    chacha20_xor(key, 1, nonce, in, out, n);
    return 0;
}
