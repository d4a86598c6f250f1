/* HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)); HKDF (RFC 5869). */
#include "hmac.h"

/* RFC 2104 section 2: the key, hashed first when it is longer than the
 * block, zero-padded to block bytes, XORed with ipad (0x36) and opad (0x5c). */
static void hmac_pads(const void *key, size_t keylen, size_t block, void (*hash)(const void *, size_t, uint8_t *),
                      uint8_t *ipad, uint8_t *opad)
{
    uint8_t k[SHA512_BLOCK] = {0};
    if (keylen > block)
        hash(key, keylen, k);
    else
        memcpy(k, key, keylen);
    for (size_t i = 0; i < block; i++) {
        ipad[i] = k[i] ^ 0x36;
        opad[i] = k[i] ^ 0x5c;
    }
    p2p_wipe(k, sizeof k);
}

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t keylen)
{
    uint8_t ipad[SHA256_BLOCK], opad[SHA256_BLOCK];
    hmac_pads(key, keylen, SHA256_BLOCK, sha256, ipad, opad);
    sha256_init(&h->inner);
    sha256_update(&h->inner, ipad, sizeof ipad);
    sha256_init(&h->outer);
    sha256_update(&h->outer, opad, sizeof opad);
    p2p_wipe(ipad, sizeof ipad);
    p2p_wipe(opad, sizeof opad);
}

void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t n)
{
    sha256_update(&h->inner, data, n);
}

void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[SHA256_LEN])
{
    uint8_t ih[SHA256_LEN];
    sha256_final(&h->inner, ih);
    sha256_update(&h->outer, ih, sizeof ih);
    sha256_final(&h->outer, out);
    p2p_wipe(ih, sizeof ih);
}

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[SHA256_LEN])
{
    struct hmac_sha256 h;
    hmac_sha256_init(&h, key, keylen);
    hmac_sha256_update(&h, data, n);
    hmac_sha256_final(&h, out);
}

void hmac_sha512(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[SHA512_LEN])
{
    uint8_t ipad[SHA512_BLOCK], opad[SHA512_BLOCK], ih[SHA512_LEN];
    hmac_pads(key, keylen, SHA512_BLOCK, sha512, ipad, opad);
    struct sha512 s;
    sha512_init(&s);
    sha512_update(&s, ipad, sizeof ipad);
    sha512_update(&s, data, n);
    sha512_final(&s, ih);
    sha512_init(&s);
    sha512_update(&s, opad, sizeof opad);
    sha512_update(&s, ih, sizeof ih);
    sha512_final(&s, out);
    p2p_wipe(ipad, sizeof ipad);
    p2p_wipe(opad, sizeof opad);
    p2p_wipe(ih, sizeof ih);
}

void hkdf_sha256_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen, uint8_t prk[SHA256_LEN])
{
    static const uint8_t zeros[SHA256_LEN];
    if (saltlen == 0) {
        salt = zeros;
        saltlen = sizeof zeros;
    }
    hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
}

int hkdf_sha256_expand(const uint8_t prk[SHA256_LEN], const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
    if (outlen > 255 * SHA256_LEN)
        return -1;
    uint8_t t[SHA256_LEN];
    size_t tlen = 0, done = 0;
    for (uint8_t i = 1; done < outlen; i++) {
        struct hmac_sha256 h;
        hmac_sha256_init(&h, prk, SHA256_LEN);
        hmac_sha256_update(&h, t, tlen);
        hmac_sha256_update(&h, info, infolen);
        hmac_sha256_update(&h, &i, 1);
        hmac_sha256_final(&h, t);
        tlen = SHA256_LEN;
        size_t k = outlen - done < SHA256_LEN ? outlen - done : SHA256_LEN;
        memcpy(out + done, t, k);
        done += k;
    }
    p2p_wipe(t, sizeof t);
    return 0;
}

int hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
    uint8_t prk[SHA256_LEN];
    hkdf_sha256_extract(salt, saltlen, ikm, ikmlen, prk);
    int r = hkdf_sha256_expand(prk, info, infolen, out, outlen);
    p2p_wipe(prk, sizeof prk);
    return r;
}
