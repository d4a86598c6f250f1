/* The blocks this node holds (added files and fetched ones), in memory:
 * an open-addressing table keyed by CID, bounded in count and bytes. A block
 * goes in only under the CID its bytes hash to (the caller has checked). */
#pragma once
#include "core/cid.h"

#define BLOCKSTORE_MAX_BYTES (96u << 20)
#define BLOCKSTORE_MAX_BLOCKS 4096

struct block {
    struct cid cid;
    size_t len;
    uint8_t data[];
};

struct blockstore {
    struct block **slot;   /* 2 * BLOCKSTORE_MAX_BLOCKS entries, allocated on first put */
    size_t count;
    uint64_t bytes;
};

/* 1 stored, 0 already there, -1 full or out of memory. */
int blockstore_put(struct blockstore *bs, const struct cid *c, const uint8_t *data, size_t n);
const struct block *blockstore_get(const struct blockstore *bs, const struct cid *c);
void blockstore_free(struct blockstore *bs);
