/* HMAC (RFC 2104) over SHA-256 and SHA-512, HKDF-SHA256 (RFC 5869). */
#pragma once
#include "sha2.h"

struct hmac_sha256 {
    struct sha256 inner, outer;
};

void hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t n);
void hmac_sha256_final(struct hmac_sha256 *h, uint8_t out[SHA256_LEN]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[SHA256_LEN]);
void hmac_sha512(const void *key, size_t keylen, const void *data, size_t n, uint8_t out[SHA512_LEN]);

/* HKDF-SHA256: extract with salt (may be empty), expand to outlen <= 255*32 bytes.
 * Returns 0, or -1 when outlen is too large. */
int hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
                const void *info, size_t infolen, uint8_t *out, size_t outlen);
void hkdf_sha256_extract(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen, uint8_t prk[SHA256_LEN]);
int hkdf_sha256_expand(const uint8_t prk[SHA256_LEN], const void *info, size_t infolen, uint8_t *out, size_t outlen);
