/* Bitswap 1.2.0 message encoding and decoding (see bitswap.h). */
#include "core/bitswap.h"
#include "core/multiformats.h"

void bsw_free(struct bsw_msg *m)
{
    free(m->wants);
    free(m->blocks);
    free(m->pres);
    memset(m, 0, sizeof *m);
}

/* Appends the elem-sized item to an array of *n; -1 when out of memory or
 * the message holds more than any sane one (65536 items). */
static int push(void **arr, int *n, const void *item, size_t elem)
{
    if (*n >= 65536)
        return -1;
    if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) { /* capacity 4, 8, 16, ... */
        size_t cap = *n ? (size_t)*n * 2 : 4;
        uint8_t *p = malloc(cap * elem);
        if (!p)
            return -1;
        if (*n)
            memcpy(p, *arr, (size_t)*n * elem);
        free(*arr);
        *arr = p;
    }
    memcpy((uint8_t *)*arr + (size_t)(*n)++ * elem, item, elem);
    return 0;
}

/* The end of an entry or a presence, which both name a CID: -1 when the
 * message is malformed (rc < 0) or has none, 0 and counted when the CID is
 * not one kos can check (the item is dropped), else the item appended. */
static int keep_cid_item(struct bsw_msg *m, int rc, bool have_cid, bool cid_ok, void **arr, int *n, const void *item, size_t elem)
{
    if (rc < 0 || !have_cid)
        return -1;
    if (!cid_ok) {
        m->bad_cids++;
        return 0;
    }
    return push(arr, n, item, elem);
}

static int decode_entry(struct bsw_msg *m, const uint8_t *in, size_t n)
{
    struct pbfield f;
    struct bsw_entry e = {.type = BSW_WANT_BLOCK, .priority = 1};
    bool have_cid = false, cid_ok = false;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 1 && f.wire == 2) {
            have_cid = true;
            cid_ok = cid_from_bytes(&e.cid, f.data, f.len) == 0;
        } else if (f.field == 2 && f.wire == 0)
            e.priority = (int32_t)(uint32_t)f.v; /* int32: a negative one is sign-extended to 64 bits */
        else if (f.field == 3 && f.wire == 0)
            e.cancel = f.v != 0;
        else if (f.field == 4 && f.wire == 0) {
            if (f.v > 1)
                return -1;
            e.type = (int)f.v;
        } else if (f.field == 5 && f.wire == 0)
            e.send_dont_have = f.v != 0;
    }
    return keep_cid_item(m, rc, have_cid, cid_ok, (void **)&m->wants, &m->nwants, &e, sizeof e);
}

static int decode_wantlist(struct bsw_msg *m, const uint8_t *in, size_t n)
{
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 1 && f.wire == 2) {
            if (decode_entry(m, f.data, f.len) < 0)
                return -1;
        } else if (f.field == 2 && f.wire == 0)
            m->full = f.v != 0;
        else if (f.field <= 2)
            return -1;
    }
    return rc;
}

static int decode_block(struct bsw_msg *m, const uint8_t *in, size_t n)
{
    struct pbfield f;
    const uint8_t *prefix = NULL, *data = NULL;
    size_t plen = 0, dlen = 0;
    bool have_data = false;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 1 && f.wire == 2) {
            prefix = f.data;
            plen = f.len;
        } else if (f.field == 2 && f.wire == 2) {
            data = f.data;
            dlen = f.len;
            have_data = true;
        } else if (f.field <= 2)
            return -1;
    }
    if (rc < 0 || !prefix || !have_data)
        return -1;
    struct bsw_block b = {.data = data, .len = dlen};
    if (cid_from_prefix(&b.cid, prefix, plen, data, dlen) < 0) {
        m->unverifiable++;
        return 0;
    }
    return push((void **)&m->blocks, &m->nblocks, &b, sizeof b);
}

static int decode_presence(struct bsw_msg *m, const uint8_t *in, size_t n)
{
    struct pbfield f;
    struct bsw_presence p = {.type = BSW_HAVE};
    bool have_cid = false, cid_ok = false;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        if (f.field == 1 && f.wire == 2) {
            have_cid = true;
            cid_ok = cid_from_bytes(&p.cid, f.data, f.len) == 0;
        } else if (f.field == 2 && f.wire == 0) {
            if (f.v > 1)
                return -1;
            p.type = (int)f.v;
        } else if (f.field <= 2)
            return -1;
    }
    return keep_cid_item(m, rc, have_cid, cid_ok, (void **)&m->pres, &m->npres, &p, sizeof p);
}

int bsw_decode(struct bsw_msg *m, const uint8_t *in, size_t n)
{
    memset(m, 0, sizeof *m);
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        int k = 0;
        if (f.field == 1 && f.wire == 2)
            k = decode_wantlist(m, f.data, f.len);
        else if (f.field == 2 && f.wire == 2)
            m->unverifiable++; /* a 1.0.0 block: no prefix says how to check it */
        else if (f.field == 3 && f.wire == 2)
            k = decode_block(m, f.data, f.len);
        else if (f.field == 4 && f.wire == 2)
            k = decode_presence(m, f.data, f.len);
        else if (f.field == 5 && f.wire == 0)
            ;
        else if (f.field <= 5)
            k = -1; /* a known field with the wrong wire type */
        if (k < 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        bsw_free(m);
        return -1;
    }
    return 0;
}

/* Appends varint(len) + body to out. */
static bool put_framed(struct buf *out, const uint8_t *body, size_t len)
{
    uint8_t v[10];
    int k = uvarint_put(v, len);
    return buf_append(out, v, (size_t)k) && buf_append(out, body, len);
}

/* A protobuf writer over malloc'd memory of cap bytes. */
static bool pbw_alloc(struct pbw *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->p = malloc(cap);
    w->cap = cap;
    return w->p != NULL;
}

/* Puts a Message whose one field is the submessage inner (freed here), framed. */
static bool put_message_of(struct buf *out, uint32_t field, struct pbw *inner)
{
    struct pbw m;
    bool ok = !inner->overflow && pbw_alloc(&m, inner->len + 16);
    if (ok) {
        pbw_bytes(&m, field, inner->p, inner->len);
        ok = !m.overflow && put_framed(out, m.p, m.len);
        free(m.p);
    }
    free(inner->p);
    return ok;
}

bool bsw_put_wants(struct buf *out, const struct bsw_entry *e, int n, bool full)
{
    struct pbw wl;
    if (!pbw_alloc(&wl, 16 + (size_t)n * (CID_BIN_MAX + 16)))
        return false;
    for (int i = 0; i < n; i++) {
        uint8_t eb[CID_BIN_MAX + 24];
        struct pbw ew = {.p = eb, .cap = sizeof eb};
        pbw_bytes(&ew, 1, e[i].cid.b, e[i].cid.len);
        pbw_varint(&ew, 2, (uint64_t)(int64_t)(e[i].priority ? e[i].priority : 1));
        if (e[i].cancel)
            pbw_varint(&ew, 3, 1);
        if (e[i].type != BSW_WANT_BLOCK)
            pbw_varint(&ew, 4, (uint64_t)e[i].type);
        if (e[i].send_dont_have)
            pbw_varint(&ew, 5, 1);
        pbw_bytes(&wl, 1, eb, ew.len);
    }
    if (full)
        pbw_varint(&wl, 2, 1);
    return put_message_of(out, 1, &wl);
}

bool bsw_put_block(struct buf *out, const struct cid *c, const uint8_t *data, size_t n)
{
    uint8_t pre[8];
    int plen = cid_prefix(c, pre);
    struct pbw blk;
    if (!pbw_alloc(&blk, n + 32))
        return false;
    pbw_bytes(&blk, 1, pre, (size_t)plen);
    pbw_bytes(&blk, 2, data, n);
    return put_message_of(out, 3, &blk);
}

bool bsw_put_presences(struct buf *out, const struct bsw_presence *p, int n)
{
    struct pbw m;
    if (!pbw_alloc(&m, 16 + (size_t)n * (CID_BIN_MAX + 8)))
        return false;
    for (int i = 0; i < n; i++) {
        uint8_t pb[CID_BIN_MAX + 8];
        struct pbw pw = {.p = pb, .cap = sizeof pb};
        pbw_bytes(&pw, 1, p[i].cid.b, p[i].cid.len);
        pbw_varint(&pw, 2, (uint64_t)p[i].type);
        pbw_bytes(&m, 4, pb, pw.len);
    }
    bool ok = !m.overflow && put_framed(out, m.p, m.len);
    free(m.p);
    return ok;
}
