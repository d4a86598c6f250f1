/* In-memory block store (see blockstore.h). Linear probing over twice the
 * block limit keeps probes short; the digest's first bytes are the hash. */
#include "core/blockstore.h"

#define SLOTS (2 * BLOCKSTORE_MAX_BLOCKS)

static size_t slot_of(const struct cid *c)
{
    const uint8_t *d = cid_digest(c);
    return (p2p_le32(d) ^ (uint32_t)c->b[1]) % SLOTS;
}

const struct block *blockstore_get(const struct blockstore *bs, const struct cid *c)
{
    if (!bs->slot)
        return NULL;
    for (size_t i = slot_of(c), k = 0; k < SLOTS && bs->slot[i]; i = (i + 1) % SLOTS, k++)
        if (cid_eq(&bs->slot[i]->cid, c))
            return bs->slot[i];
    return NULL;
}

int blockstore_put(struct blockstore *bs, const struct cid *c, const uint8_t *data, size_t n)
{
    if (blockstore_get(bs, c))
        return 0;
    if (bs->count >= BLOCKSTORE_MAX_BLOCKS || bs->bytes + n > BLOCKSTORE_MAX_BYTES)
        return -1;
    if (!bs->slot && !(bs->slot = calloc(SLOTS, sizeof *bs->slot)))
        return -1;
    struct block *b = malloc(sizeof *b + (n ? n : 1));
    if (!b)
        return -1;
    b->cid = *c;
    b->len = n;
    memcpy(b->data, data, n);
    size_t i = slot_of(c);
    while (bs->slot[i])
        i = (i + 1) % SLOTS;
    bs->slot[i] = b;
    bs->count++;
    bs->bytes += n;
    return 1;
}

void blockstore_free(struct blockstore *bs)
{
    if (bs->slot)
        for (size_t i = 0; i < SLOTS; i++)
            free(bs->slot[i]);
    free(bs->slot);
    memset(bs, 0, sizeof *bs);
}
