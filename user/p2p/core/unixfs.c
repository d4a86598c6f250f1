/* UnixFS file DAGs: the chunker and balanced builder, dag-pb encode/decode
 * (see unixfs.h). dag-pb (ipld specs, codec 0x70): PBNode { Links = 2
 * (repeated PBLink { Hash = 1, Name = 2, Tsize = 3 }), Data = 1 }, Links
 * written first. UnixFS Data: Type = 1, Data = 2, filesize = 3,
 * blocksizes = 4 (repeated, not packed). The importer writes Name as an
 * empty string, so it is present (12 00) in every link. */
#include "core/unixfs.h"
#include "core/multiformats.h"
#include "core/buf.h"

static int emit_leaf(struct unixfs_builder *b, const uint8_t *data, size_t n);

int unixfs_begin(struct unixfs_builder *b, unixfs_emit emit, void *ctx)
{
    memset(b, 0, sizeof *b);
    b->emit = emit;
    b->ctx = ctx;
    b->chunk = malloc(UNIXFS_CHUNK);
    b->node = malloc(DAGPB_MAX_NODE);
    if (!b->chunk || !b->node) {
        unixfs_abort(b);
        return -1;
    }
    return 0;
}

void unixfs_abort(struct unixfs_builder *b)
{
    free(b->chunk);
    free(b->node);
    for (int i = 0; i < UNIXFS_MAX_LEVELS; i++)
        free(b->level[i]);
    memset(b, 0, sizeof *b);
}

long dagpb_file_node(uint8_t *out, size_t cap, const struct dag_link *links, int n)
{
    struct pbw w = {.p = out, .cap = cap};
    uint8_t lb[CID_BIN_MAX + 32];
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        struct pbw l = {.p = lb, .cap = sizeof lb};
        pbw_bytes(&l, 1, links[i].cid.b, links[i].cid.len);
        pbw_bytes(&l, 2, "", 0);
        pbw_varint(&l, 3, links[i].tsize);
        pbw_bytes(&w, 2, lb, l.len);
        total += links[i].filesize;
    }
    /* UnixFS Data: at most 1 + 1 + 10 + n * 11 bytes. */
    size_t dcap = 16 + (size_t)n * 11;
    uint8_t *d = malloc(dcap);
    if (!d)
        return -1;
    struct pbw u = {.p = d, .cap = dcap};
    pbw_varint(&u, 1, UNIXFS_TYPE_FILE);
    pbw_varint(&u, 3, total);
    for (int i = 0; i < n; i++)
        pbw_varint(&u, 4, links[i].filesize);
    pbw_bytes(&w, 1, d, u.len);
    free(d);
    return w.overflow || u.overflow ? -1 : (long)w.len;
}

/* Adds a link at level lv; a full level becomes one node a level up. */
static int push_link(struct unixfs_builder *b, int lv, const struct dag_link *l);

static int reduce_level(struct unixfs_builder *b, int lv, struct dag_link *out)
{
    long len = dagpb_file_node(b->node, DAGPB_MAX_NODE, b->level[lv], b->count[lv]);
    if (len < 0)
        return -1;
    cid_of(&out->cid, CODEC_DAG_PB, b->node, (size_t)len);
    out->tsize = (uint64_t)len;
    out->filesize = 0;
    for (int i = 0; i < b->count[lv]; i++) {
        out->tsize += b->level[lv][i].tsize;
        out->filesize += b->level[lv][i].filesize;
    }
    b->count[lv] = 0;
    return b->emit(b->ctx, &out->cid, b->node, (size_t)len);
}

static int push_link(struct unixfs_builder *b, int lv, const struct dag_link *l)
{
    if (lv >= UNIXFS_MAX_LEVELS)
        return -1;
    if (!b->level[lv] && !(b->level[lv] = malloc(UNIXFS_MAX_LINKS * sizeof(struct dag_link))))
        return -1;
    b->level[lv][b->count[lv]++] = *l;
    if (b->count[lv] < UNIXFS_MAX_LINKS)
        return 0;
    struct dag_link up;
    if (reduce_level(b, lv, &up) < 0)
        return -1;
    return push_link(b, lv + 1, &up);
}

static int emit_leaf(struct unixfs_builder *b, const uint8_t *data, size_t n)
{
    struct dag_link l = {.tsize = n, .filesize = n};
    cid_of(&l.cid, CODEC_RAW, data, n);
    b->chunks++;
    if (b->emit(b->ctx, &l.cid, data, n) < 0)
        return -1;
    return push_link(b, 0, &l);
}

int unixfs_feed(struct unixfs_builder *b, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (b->err)
        return -1;
    b->size += n;
    while (n > 0) {
        size_t k = UNIXFS_CHUNK - b->used;
        if (k > n)
            k = n;
        memcpy(b->chunk + b->used, p, k);
        b->used += k;
        p += k;
        n -= k;
        if (b->used == UNIXFS_CHUNK) {
            b->used = 0;
            if (emit_leaf(b, b->chunk, UNIXFS_CHUNK) < 0) {
                b->err = -1;
                return -1;
            }
        }
    }
    return 0;
}

/* The importer reduces the leaves in batches of 174 and the batches again
 * until one remains; a lone leaf is the file itself. Levels pushed up
 * eagerly give the same tree: at the end every level below the top is
 * folded into one node a level up, unless it is all there is. */
int unixfs_end(struct unixfs_builder *b, struct dag_link *root)
{
    int rc = b->err;
    if (!rc && (b->used > 0 || b->chunks == 0))
        rc = emit_leaf(b, b->chunk, b->used);
    if (!rc && b->chunks == 1 && b->count[0] == 1) {
        *root = b->level[0][0];
    } else if (!rc) {
        int top = UNIXFS_MAX_LEVELS - 1;
        while (top > 0 && b->count[top] == 0)
            top--;
        for (int lv = 0; lv < top && !rc; lv++) {
            if (b->count[lv] == 0)
                continue;
            struct dag_link up;
            rc = reduce_level(b, lv, &up);
            if (!rc)
                rc = push_link(b, lv + 1, &up);
        }
        /* The top level: one entry is the root; several make one more node. */
        if (!rc) {
            top = UNIXFS_MAX_LEVELS - 1;
            while (top > 0 && b->count[top] == 0)
                top--;
            if (b->count[top] == 1 && top > 0)
                *root = b->level[top][0];
            else
                rc = reduce_level(b, top, root);
        }
    }
    unixfs_abort(b);
    return rc < 0 ? -1 : 0;
}

void dagpb_free(struct dagpb_node *nd)
{
    free(nd->links);
    nd->links = NULL;
}

static int parse_link(struct dag_link *l, const uint8_t *in, size_t n)
{
    struct pbfield f;
    int rc;
    bool have_hash = false;
    l->tsize = 0;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 1 && f.wire == 2) {
            if (cid_from_bytes(&l->cid, f.data, f.len) < 0)
                return -1;
            have_hash = true;
        } else if (f.field == 3 && f.wire == 0)
            l->tsize = f.v;
    }
    return rc == 0 && have_hash ? 0 : -1;
}

int dagpb_parse(struct dagpb_node *nd, const uint8_t *in, size_t n)
{
    memset(nd, 0, sizeof *nd);
    struct pbfield f;
    int rc, cap = 0, nsizes = 0;
    const uint8_t *udata = NULL;
    size_t ulen = 0;
    bool have_data = false;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 2 && f.wire == 2) {
            if (nd->nlinks == 65536)
                goto bad;
            struct dag_link *nl = array_grow(nd->links, nd->nlinks, &cap, sizeof *nl, 16);
            if (!nl)
                goto bad;
            nd->links = nl;
            if (parse_link(&nd->links[nd->nlinks], f.data, f.len) < 0)
                goto bad;
            nd->links[nd->nlinks++].filesize = 0;
        } else if (f.field == 1 && f.wire == 2) {
            udata = f.data;
            ulen = f.len;
            have_data = true;
        } else
            goto bad;
    }
    if (rc < 0 || !have_data)
        goto bad;
    nd->type = -1;
    PB_FOR_EACH_FIELD(f, rc, udata, ulen) {
        if (f.field == 1 && f.wire == 0)
            nd->type = (int)f.v;
        else if (f.field == 2 && f.wire == 2) {
            nd->data = f.data;
            nd->datalen = f.len;
        } else if (f.field == 3 && f.wire == 0) {
            nd->filesize = f.v;
            nd->has_filesize = true;
        } else if (f.field == 4 && f.wire == 0) {
            if (nsizes >= nd->nlinks)
                goto bad;
            nd->links[nsizes++].filesize = f.v;
        }
    }
    if (rc < 0 || (nd->type != UNIXFS_TYPE_FILE && nd->type != UNIXFS_TYPE_RAW) || nsizes != nd->nlinks)
        goto bad;
    uint64_t sum = nd->datalen;
    for (int i = 0; i < nd->nlinks; i++)
        sum += nd->links[i].filesize;
    if (nd->has_filesize && sum != nd->filesize)
        goto bad;
    nd->filesize = sum;
    return 0;
bad:
    dagpb_free(nd);
    return -1;
}

void gen_init(struct gen_state *g, uint32_t seed)
{
    g->x = seed + 0x9e3779b9u;
    if (g->x == 0)
        g->x = 1;
}

void gen_fill(struct gen_state *g, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 4) {
        uint32_t x = g->x;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        g->x = x;
        uint8_t w[4];
        p2p_put_le32(w, x);
        memcpy(out + i, w, n - i < 4 ? n - i : 4);
    }
}
