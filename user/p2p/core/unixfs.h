/* UnixFS files as IPFS builds them (specs: ipfs/specs UNIXFS.md, dag-pb):
 * the file cut into 256 KiB chunks, each a raw block (codec raw, CIDv1,
 * SHA-256), joined by dag-pb nodes of at most 174 links in the balanced
 * layout: ipfs-unixfs-importer's defaults (no profile) with rawLeaves and
 * CIDv1 (a file of one chunk is that raw block itself). @helia/unixfs adds
 * with other settings (1 MiB chunks, 1024 links); the decoder takes any
 * such DAG. The builder streams: it holds one partial chunk and at most
 * 174 links per tree level, and hands
 * every finished block to a callback. */
#pragma once
#include "core/cid.h"

#define UNIXFS_CHUNK (256u * 1024)
#define UNIXFS_MAX_LINKS 174          /* the importer's balanced layout default */
#define UNIXFS_MAX_LEVELS 6          /* 174^5 chunks: more than any file here */
#define UNIXFS_TYPE_RAW 0
#define UNIXFS_TYPE_FILE 2
/* Largest dag-pb node the decoder takes (a node of 1024 links, as Helia makes, is ~57 KiB). */
#define DAGPB_MAX_NODE (1u << 20)

struct dag_link {
    struct cid cid;
    uint64_t tsize;      /* bytes of the whole subtree's blocks (PBLink.Tsize) */
    uint64_t filesize;   /* file bytes under it (UnixFS blocksizes) */
};

/* emit: a finished block (its CID and bytes); returns 0, or <0 to stop the build. */
typedef int (*unixfs_emit)(void *ctx, const struct cid *c, const uint8_t *data, size_t n);

struct unixfs_builder {
    unixfs_emit emit;
    void *ctx;
    uint8_t *chunk;      /* UNIXFS_CHUNK bytes */
    size_t used;
    uint64_t chunks, size;
    int err;
    struct dag_link *level[UNIXFS_MAX_LEVELS];   /* UNIXFS_MAX_LINKS each, allocated on use */
    int count[UNIXFS_MAX_LEVELS];
    uint8_t *node;       /* scratch for encoding a node */
};

int unixfs_begin(struct unixfs_builder *b, unixfs_emit emit, void *ctx);
int unixfs_feed(struct unixfs_builder *b, const void *data, size_t n);
/* Flushes everything; root gets the file's CID. Frees the builder. */
int unixfs_end(struct unixfs_builder *b, struct dag_link *root);
void unixfs_abort(struct unixfs_builder *b);

/* The dag-pb node of a UnixFS file over links (Links first, then Data:
 * Type=file, filesize, blocksizes). Returns its length or -1 (too small). */
long dagpb_file_node(uint8_t *out, size_t cap, const struct dag_link *links, int n);

/* A decoded dag-pb node holding a UnixFS file (or raw) piece. */
struct dagpb_node {
    int nlinks;
    struct dag_link *links;   /* filesize = the UnixFS blocksize of that child */
    int type;                 /* UnixFS Type */
    const uint8_t *data;      /* UnixFS Data (inline file bytes), may be NULL */
    size_t datalen;
    uint64_t filesize;
    bool has_filesize;
};
/* Parses bytes as dag-pb + UnixFS; links are malloc'd (free with
 * dagpb_free). 0, or -1 when malformed, not a file, or the blocksizes do
 * not match the links. */
int dagpb_parse(struct dagpb_node *nd, const uint8_t *in, size_t n);
void dagpb_free(struct dagpb_node *nd);

/* The deterministic test content `p2p addgen SIZE SEED` adds (and the host
 * tests hand to ipfs-unixfs-importer): xorshift32 words from state
 * seed + 0x9e3779b9 (1 if that is 0), each written little-endian.
 * gen_fill hands out the next n bytes; every call but the last takes a
 * multiple of 4. */
struct gen_state {
    uint32_t x;
};
void gen_init(struct gen_state *g, uint32_t seed);
void gen_fill(struct gen_state *g, uint8_t *out, size_t n);
