/* Noise XX (see noise.h). Sections cited are the Noise specification's. */
#include "core/noise.h"
#include "crypto/chachapoly.h"
#include "crypto/curve25519.h"
#include "crypto/hmac.h"
#include "crypto/sha2.h"

static void nonce_of(uint8_t nonce[12], uint64_t n)
{
    memset(nonce, 0, 4);
    p2p_put_le64(nonce + 4, n);
}

static int encrypt_ad(const uint8_t k[32], uint64_t n, const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[12];
    nonce_of(nonce, n);
    chachapoly_seal(k, nonce, ad, adlen, in, len, out);
    return 0;
}

static int decrypt_ad(const uint8_t k[32], uint64_t n, const uint8_t *ad, size_t adlen, const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[12];
    nonce_of(nonce, n);
    return chachapoly_open(k, nonce, ad, adlen, in, len, out);
}

int noise_encrypt(struct noise_cipher *c, const uint8_t *in, size_t n, uint8_t *out)
{
    if (c->n == UINT64_MAX)
        return -1;
    encrypt_ad(c->k, c->n++, NULL, 0, in, n, out);
    return 0;
}

int noise_decrypt(struct noise_cipher *c, const uint8_t *in, size_t n, uint8_t *out)
{
    if (c->n == UINT64_MAX || n < NOISE_TAG)
        return -1;
    if (decrypt_ad(c->k, c->n, NULL, 0, in, n, out) < 0)
        return -1;
    c->n++;
    return 0;
}

static void mix_hash(struct noise_hs *hs, const uint8_t *data, size_t n)
{
    struct sha256 s;
    sha256_init(&s);
    sha256_update(&s, hs->h, 32);
    sha256_update(&s, data, n);
    sha256_final(&s, hs->h);
}

/* 5.2 MixKey: ck, k = HKDF(ck, ikm) with two outputs (HKDF-SHA256, empty info). */
static void mix_key(struct noise_hs *hs, const uint8_t ikm[32])
{
    uint8_t out[64];
    hkdf_sha256(hs->ck, 32, ikm, 32, NULL, 0, out, 64);
    memcpy(hs->ck, out, 32);
    memcpy(hs->k, out + 32, 32);
    hs->has_k = true;
    hs->n = 0;
    p2p_wipe(out, sizeof out);
}

static int mix_dh(struct noise_hs *hs, const uint8_t priv[32], const uint8_t pub[32])
{
    uint8_t shared[32];
    int r = x25519(shared, priv, pub);
    mix_key(hs, shared);
    p2p_wipe(shared, sizeof shared);
    return r;
}

/* EncryptAndHash into out; returns bytes written. */
static size_t encrypt_and_hash(struct noise_hs *hs, const uint8_t *in, size_t n, uint8_t *out)
{
    if (!hs->has_k) {
        if (n)
            memmove(out, in, n);
        mix_hash(hs, out, n);
        return n;
    }
    encrypt_ad(hs->k, hs->n++, hs->h, 32, in, n, out);
    mix_hash(hs, out, n + NOISE_TAG);
    return n + NOISE_TAG;
}

static int decrypt_and_hash(struct noise_hs *hs, const uint8_t *in, size_t n, uint8_t *out)
{
    if (!hs->has_k) {
        if (n)
            memmove(out, in, n);
        mix_hash(hs, in, n);
        return (int)n;
    }
    if (n < NOISE_TAG || decrypt_ad(hs->k, hs->n, hs->h, 32, in, n, out) < 0)
        return -1;
    hs->n++;
    mix_hash(hs, in, n);
    return (int)(n - NOISE_TAG);
}

void noise_hs_init(struct noise_hs *hs, bool initiator, const uint8_t s_priv[32], const uint8_t e_priv[32])
{
    static const char name[] = "Noise_XX_25519_ChaChaPoly_SHA256";
    _Static_assert(sizeof name - 1 == 32, "the protocol name is exactly HASHLEN: h = name");
    memset(hs, 0, sizeof *hs);
    hs->initiator = initiator;
    memcpy(hs->h, name, 32);
    memcpy(hs->ck, hs->h, 32);
    mix_hash(hs, NULL, 0); /* empty prologue */
    memcpy(hs->s_priv, s_priv, 32);
    x25519_base(hs->s_pub, s_priv);
    memcpy(hs->e_priv, e_priv, 32);
    x25519_base(hs->e_pub, e_priv);
}

/* XX:  -> e   <- e, ee, s, es   -> s, se */
int noise_write(struct noise_hs *hs, const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
    size_t n = 0;
    bool mine = (hs->msg % 2 == 0) == hs->initiator;
    if (!mine || hs->msg > 2 || plen + 32 + 48 + NOISE_TAG > cap)
        return -1;
    if (hs->msg == 0) {
        memcpy(out, hs->e_pub, 32);
        mix_hash(hs, hs->e_pub, 32);
        n = 32;
    } else if (hs->msg == 1) {
        memcpy(out, hs->e_pub, 32);
        mix_hash(hs, hs->e_pub, 32);
        n = 32;
        if (mix_dh(hs, hs->e_priv, hs->re) < 0)    /* ee */
            return -1;
        n += encrypt_and_hash(hs, hs->s_pub, 32, out + n);
        if (mix_dh(hs, hs->s_priv, hs->re) < 0)    /* es */
            return -1;
    } else {
        n += encrypt_and_hash(hs, hs->s_pub, 32, out + n);
        if (mix_dh(hs, hs->s_priv, hs->re) < 0)    /* se */
            return -1;
    }
    n += encrypt_and_hash(hs, payload, plen, out + n);
    hs->msg++;
    return (int)n;
}

int noise_read(struct noise_hs *hs, const uint8_t *msg, size_t n, uint8_t *out, size_t cap)
{
    bool theirs = (hs->msg % 2 == 0) != hs->initiator;
    size_t pos = 0;
    if (!theirs || hs->msg > 2)
        return -1;
    if (hs->msg == 0 || hs->msg == 1) {
        if (n < 32)
            return -1;
        memcpy(hs->re, msg, 32);
        mix_hash(hs, hs->re, 32);
        pos = 32;
    }
    if (hs->msg == 1) {
        if (mix_dh(hs, hs->e_priv, hs->re) < 0)    /* ee */
            return -1;
        if (n - pos < 48 || decrypt_and_hash(hs, msg + pos, 48, hs->rs) < 0)
            return -1;
        pos += 48;
        if (mix_dh(hs, hs->e_priv, hs->rs) < 0)    /* es */
            return -1;
    } else if (hs->msg == 2) {
        if (n < 48 || decrypt_and_hash(hs, msg, 48, hs->rs) < 0)
            return -1;
        pos = 48;
        if (mix_dh(hs, hs->e_priv, hs->rs) < 0)    /* se */
            return -1;
    }
    size_t rest = n - pos;
    if ((hs->has_k ? rest - (rest >= NOISE_TAG ? NOISE_TAG : rest) : rest) > cap)
        return -1;
    int r = decrypt_and_hash(hs, msg + pos, rest, out);
    if (r < 0)
        return -1;
    hs->msg++;
    return r;
}

void noise_split(struct noise_hs *hs, struct noise_cipher *tx, struct noise_cipher *rx)
{
    uint8_t out[64];
    hkdf_sha256(hs->ck, 32, NULL, 0, NULL, 0, out, 64);
    struct noise_cipher c1 = {.n = 0}, c2 = {.n = 0};
    memcpy(c1.k, out, 32);
    memcpy(c2.k, out + 32, 32);
    if (hs->initiator) {
        *tx = c1;
        *rx = c2;
    } else {
        *tx = c2;
        *rx = c1;
    }
    p2p_wipe(out, sizeof out);
    /* The remote static key (rs) stays: the caller checks it against the payload. */
    p2p_wipe(hs->e_priv, 32);
    p2p_wipe(hs->s_priv, 32);
    p2p_wipe(hs->k, 32);
    p2p_wipe(hs->ck, 32);
}
