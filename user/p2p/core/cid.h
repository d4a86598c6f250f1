/* Content identifiers (multiformats: CIDv1 = version, codec, multihash) over
 * SHA-256, their base32 text form (multibase 'b', RFC 4648 lower case, no
 * padding), and the CID prefix Bitswap 1.2.0 sends with each block. Only
 * CIDv1 with a sha2-256 multihash is accepted: anything else is refused
 * with -1, never guessed at. */
#pragma once
#include "p2p_base.h"

#define CODEC_RAW 0x55
#define CODEC_DAG_PB 0x70
#define MH_SHA2_256 0x12
#define CID_BIN_MAX 40          /* 01 codec(<=2) 12 20 + 32 bytes */
#define CID_STR_MAX 72          /* 'b' + base32 of 40 bytes + NUL */

struct cid {
    uint8_t len;
    uint8_t b[CID_BIN_MAX];
};

/* The CIDv1 of data under codec (SHA-256). */
void cid_of(struct cid *c, uint64_t codec, const void *data, size_t n);
/* The CIDv1 of a SHA-256 digest already computed. */
void cid_from_digest(struct cid *c, uint64_t codec, const uint8_t digest[32]);
/* Binary form (as in dag-pb links and Bitswap wantlists); 0 or -1. */
int cid_from_bytes(struct cid *c, const uint8_t *in, size_t n);
/* Text form "b..."; 0 or -1. */
int cid_parse(struct cid *c, const char *s);
/* Writes the text form; returns its length. */
int cid_str(const struct cid *c, char out[CID_STR_MAX]);
uint64_t cid_codec(const struct cid *c);
const uint8_t *cid_digest(const struct cid *c);   /* the 32 SHA-256 bytes */
bool cid_eq(const struct cid *a, const struct cid *b);
/* Does data hash to c? */
bool cid_matches(const struct cid *c, const void *data, size_t n);

/* Bitswap's block prefix: version, codec, multihash type, digest length as
 * varints (01 55 12 20 for a raw leaf). Returns its length. */
int cid_prefix(const struct cid *c, uint8_t out[8]);
/* The CID of data under a received prefix; 0, or -1 for a prefix this node
 * cannot check (not CIDv1, not sha2-256/32, codec not raw or dag-pb). */
int cid_from_prefix(struct cid *c, const uint8_t *prefix, size_t n, const void *data, size_t len);
