/* CIDv1 over SHA-256 (see cid.h). */
#include "core/cid.h"
#include "core/multiformats.h"
#include "crypto/sha2.h"

void cid_from_digest(struct cid *c, uint64_t codec, const uint8_t digest[32])
{
    size_t k = 0;
    c->b[k++] = 1;
    k += (size_t)uvarint_put(c->b + k, codec);
    c->b[k++] = MH_SHA2_256;
    c->b[k++] = 32;
    memcpy(c->b + k, digest, 32);
    c->len = (uint8_t)(k + 32);
}

void cid_of(struct cid *c, uint64_t codec, const void *data, size_t n)
{
    uint8_t d[32];
    sha256(data, n, d);
    cid_from_digest(c, codec, d);
}

static bool codec_known(uint64_t codec) { return codec == CODEC_RAW || codec == CODEC_DAG_PB; }

int cid_from_bytes(struct cid *c, const uint8_t *in, size_t n)
{
    uint64_t ver, codec, mh, len;
    size_t k = 0;
    int r;
    if ((r = uvarint_get(in, n, &ver)) <= 0 || ver != 1)
        return -1;
    k += (size_t)r;
    if ((r = uvarint_get(in + k, n - k, &codec)) <= 0 || !codec_known(codec))
        return -1;
    k += (size_t)r;
    if ((r = uvarint_get(in + k, n - k, &mh)) <= 0 || mh != MH_SHA2_256)
        return -1;
    k += (size_t)r;
    if ((r = uvarint_get(in + k, n - k, &len)) <= 0 || len != 32)
        return -1;
    k += (size_t)r;
    if (n != k + 32)
        return -1;
    memcpy(c->b, in, n);
    c->len = (uint8_t)n;
    return 0;
}

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";

int cid_str(const struct cid *c, char out[CID_STR_MAX])
{
    int k = 0;
    out[k++] = 'b';
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < c->len; i++) {
        acc = acc << 8 | c->b[i];
        bits += 8;
        while (bits >= 5) {
            out[k++] = B32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[k++] = B32[(acc << (5 - bits)) & 31];
    out[k] = 0;
    return k;
}

int cid_parse(struct cid *c, const char *s)
{
    if (s[0] != 'b')
        return -1;
    uint8_t tmp[CID_BIN_MAX];
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = s + 1; *p; p++) {
        const char *q = strchr(B32, *p);
        if (!q || !*p)
            return -1;
        acc = acc << 5 | (uint32_t)(q - B32);
        bits += 5;
        if (bits >= 8) {
            if (n == sizeof tmp)
                return -1;
            tmp[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return -1; /* not the canonical encoding */
    return cid_from_bytes(c, tmp, n);
}

uint64_t cid_codec(const struct cid *c)
{
    uint64_t codec = 0;
    uvarint_get(c->b + 1, c->len - 1u, &codec);
    return codec;
}

const uint8_t *cid_digest(const struct cid *c) { return c->b + c->len - 32; }

bool cid_eq(const struct cid *a, const struct cid *b) { return a->len == b->len && memcmp(a->b, b->b, a->len) == 0; }

bool cid_matches(const struct cid *c, const void *data, size_t n)
{
    uint8_t d[32];
    sha256(data, n, d);
    return p2p_ct_cmp(d, cid_digest(c), 32) == 0;
}

int cid_prefix(const struct cid *c, uint8_t out[8])
{
    int k = c->len - 32;
    memcpy(out, c->b, (size_t)k);
    return k;
}

int cid_from_prefix(struct cid *c, const uint8_t *prefix, size_t n, const void *data, size_t len)
{
    uint8_t d[32], tmp[CID_BIN_MAX];
    if (n == 0 || n > 8)
        return -1;
    sha256(data, len, d);
    memcpy(tmp, prefix, n);
    memcpy(tmp + n, d, 32);
    return cid_from_bytes(c, tmp, n + 32);
}
