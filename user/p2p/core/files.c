/* The file-sharing module (see files.h).
 *
 * Serving: every inbound /ipfs/bitswap/1.2.0 stream is read as length-
 * prefixed messages. Each peer's wants are kept in its ledger
 * (core/bitswap_ledger.h) until it cancels them, a full wantlist replaces
 * them or they are answered: WANT_HAVE of a held block is answered HAVE at
 * once, WANT_BLOCK of one is marked ready and its block sent, highest
 * priority first, while that peer's outbound stream has less than
 * FILES_TX_HIGH buffered, so one peer asking for everything cannot fill the
 * connection. A want for a block not held stays (DONT_HAVE is answered when
 * the asker set sendDontHave); when the block arrives later, added or
 * fetched, it is sent (WANT_BLOCK) or announced HAVE (WANT_HAVE) to every
 * peer that wants it. Like Helia, this node sends on streams it opens
 * itself (one per peer, closed after a second idle) and never writes on
 * the asker's stream.
 *
 * Fetching (`get`): the root CID is asked WANT_HAVE of every connected
 * peer that lists bitswap (and of the providers the DHT finds); each peer
 * that answers HAVE is a provider. Blocks are then asked WANT_BLOCK in file
 * order, at most FILES_PER_PEER in flight per provider, the next one always
 * to the provider with the fewest in flight, so several providers share the
 * file. A received block is taken only when the CID computed from its
 * prefix and its bytes is one this node wants (nothing else is stored);
 * dag-pb nodes are parsed and their children wanted at their offsets. A
 * provider that goes away, answers DONT_HAVE or sits on a want for
 * FILES_WANT_MS hands its wants back to the others. Once a block is in,
 * the other providers it was asked of get a CANCEL; when a get ends, every
 * want still standing is cancelled, so no ledger keeps them. */
#include "core/files.h"
#include "core/bitswap.h"
#include "core/bitswap_ledger.h"
#include "core/blockstore.h"
#include "core/kad.h"
#include "core/unixfs.h"
#include "crypto/sha2.h"

#define FILES_SESSIONS 4
#define FILES_PROVIDERS 16
#define FILES_PER_PEER 4                 /* blocks in flight per provider */
#define FILES_WANT_MS 20000              /* a want unanswered this long goes elsewhere (files_want_ms=) */
#define FILES_ASK_MS 3000                /* asking for providers again while none answer */
#define FILES_GET_MS 600000              /* default limit of a whole get */
#define FILES_TX_HIGH (512u * 1024)      /* queue blocks below this much buffered */
#define FILES_IDLE_MS 1000               /* close an idle outbound stream */
#define FILES_MAX_FILE (64u << 20)
#define FILES_PROGRESS_MS 5000
#define FILES_DHT_MS 10000               /* ask the DHT again while no provider answers */

/* Counted refusals and traffic (p2p files). */
#define FILES_STATS(X)                                                        \
    X(msgs_in) X(msgs_out) X(blocks_in) X(blocks_out) X(bytes_in) X(bytes_out) \
    X(wants_in) X(haves_in) X(dont_haves_in) X(cancels_in)                    \
    X(haves_out) X(dont_haves_out) X(cancels_out)                             \
    X(late_blocks_out)  /* blocks sent for wants that came before the block */ \
    X(late_haves_out)   /* HAVEs for such wants */                            \
    X(wants_refused)    /* wants beyond a ledger bound (files_wants=) */      \
    X(block_dup)        /* a valid block this node held already */            \
    X(block_mismatch)   /* bytes that hash to no CID asked of that peer */    \
    X(block_unwanted)   /* a valid block nobody here asked for */             \
    X(block_unverifiable) /* a prefix this node cannot check */               \
    X(bad_cid)          /* a wantlist or presence CID it cannot read */       \
    X(malformed)        /* a message that does not decode */                  \
    X(oversized)        /* a length prefix beyond BITSWAP_MAX_MSG */          \
    X(store_full)

struct files_stats {
#define X(name) uint64_t name;
    FILES_STATS(X)
#undef X
};

enum want_state { W_PENDING, W_INFLIGHT, W_DONE };
struct want {
    struct cid cid;
    uint64_t off, size;          /* file bytes this block (and its subtree) covers */
    enum want_state state;
    int prov;                    /* provider index while in flight */
    uint64_t sent_ms;
    uint32_t refused;            /* providers that said DONT_HAVE (bits) */
    uint32_t asked;              /* providers it was asked of (bits): cancelled at the end */
};

struct provider {
    struct peerid id;
    bool have, lost;             /* said HAVE; gone, or failed us */
    bool bad;                    /* sent bytes that hash to nothing asked: never asked again */
    int inflight, fails;
    uint64_t blocks;
};

struct session {
    bool used;
    int ctl;
    struct cid root;
    char out[160];
    uint64_t t0, deadline, asked_ms, progress_ms;
    uint64_t asked[NODE_MAX_CONNS / 64 + 1]; /* conns the root was asked of (bit per conn index) */
    struct peerid asked_id[NODE_MAX_CONNS];
    struct want *w;
    int nw, capw, done;
    uint8_t *file;
    uint64_t size;
    bool sized;
    struct provider prov[FILES_PROVIDERS];
    int nprov;
    uint64_t blocks, bytes;
    int dht_query;               /* kad_find_providers running (> 0) */
    uint64_t dht_ms;
    int dht_found;
};

struct fpeer {
    struct stream *out;          /* our open outbound bitswap stream to it */
    struct buf pending;          /* messages for it not yet on a stream */
    struct ledger wl;            /* what it wants of us */
    uint64_t idle_since;
};

struct files {
    struct blockstore store;
    struct fpeer peers[NODE_MAX_CONNS];
    struct session sess[FILES_SESSIONS];
    struct files_stats st;
    struct ledger_pool pool;     /* the bounds over every peer's ledger */
    /* Misbehaviour on purpose, for the tests (p2pd files_fault=...): corrupt
     * flips a byte of every block served; stall_after:N serves N blocks and
     * then goes silent (a hung provider); exit_after:N ends the process after
     * N blocks (a provider dying mid-transfer). */
    enum { FF_NONE, FF_CORRUPT, FF_STALL, FF_EXIT } fault;
    uint64_t fault_after;
    uint64_t want_ms;            /* 0: FILES_WANT_MS */
};

/* Per-stream state: inbound streams gather one message at a time. */
struct fstream {
    struct buf acc;
    bool ours;                   /* our outbound stream (never read from) */
    bool discard;                /* after a bad length prefix: input dropped */
};

static struct files *F(struct node *n) { return node_state(n, &files_module); }
static int conn_index(struct conn *c) { return (int)(c - c->node->conns); }

/* Does identify's comma-separated protocol list name bitswap 1.2.0? */
static bool speaks_bitswap(struct conn *c)
{
    if (!c->used || c->phase != PH_YAMUX || !c->up)
        return false;
    size_t n = strlen(BITSWAP_PROTO_ID);
    for (const char *p = c->info.protocols; *p;) {
        if (strncmp(p, BITSWAP_PROTO_ID, n) == 0 && (p[n] == ',' || p[n] == 0))
            return true;
        p = strchr(p, ',');
        if (!p)
            break;
        p++;
    }
    return false;
}

/* ---- sending ---- */

static void peer_send(struct node *n, struct conn *c, bool (*enc)(struct buf *, const void *, int), const void *arg, int count)
{
    struct fpeer *p = &F(n)->peers[conn_index(c)];
    if (enc(&p->pending, arg, count))
        F(n)->st.msgs_out++;
}

static bool enc_wants(struct buf *b, const void *e, int n) { return bsw_put_wants(b, e, n, false); }
static bool enc_presences(struct buf *b, const void *p, int n) { return bsw_put_presences(b, p, n); }

/* Moves what a peer is owed onto its outbound stream (opening one). */
static void peer_pump(struct node *n, int ci)
{
    struct files *f = F(n);
    struct fpeer *p = &f->peers[ci];
    struct conn *c = &n->conns[ci];
    if (!c->used || c->phase != PH_YAMUX) {
        buf_free(&p->pending);
        ledger_clear(&p->wl, &f->pool);
        return;
    }
    bool owed = buf_used(&p->pending) > 0 || ledger_next_ready(&p->wl);
    if (!p->out) {
        if (!owed)
            return;
        struct fstream *fs = calloc(1, sizeof *fs);
        if (!fs)
            return;
        p->out = node_open_stream(c, &proto_bitswap, NULL);
        if (!p->out) {
            free(fs);
            return;
        }
        fs->ours = true;
        p->out->ctx = fs;
        p->idle_since = plat_now_ms();
    }
    struct stream *s = p->out;
    if (!s->negotiated)
        return;
    if (buf_used(&p->pending) > 0) {
        buf_append(&s->tx, buf_data(&p->pending), buf_used(&p->pending));
        buf_free(&p->pending);
    }
    struct lentry *x;
    while (buf_used(&s->tx) < FILES_TX_HIGH && (x = ledger_next_ready(&p->wl))) {
        if (f->fault == FF_STALL && f->st.blocks_out >= f->fault_after)
            break;
        if (f->fault == FF_EXIT && f->st.blocks_out >= f->fault_after) {
            plat_log("p2pd: files_fault exit_after:%lu: exiting", (unsigned long)f->fault_after);
            exit(3);
        }
        struct cid cid = x->cid;
        bool late = x->late;
        ledger_remove(&p->wl, &f->pool, x); /* answered: the want is done */
        const struct block *b = blockstore_get(&f->store, &cid);
        if (!b)
            continue;
        const uint8_t *data = b->data;
        uint8_t *bad = NULL;
        if (f->fault == FF_CORRUPT && b->len > 0 && (bad = malloc(b->len))) {
            memcpy(bad, b->data, b->len);
            bad[b->len / 2] ^= 0x01;
            data = bad;
        }
        if (bsw_put_block(&s->tx, &b->cid, data, b->len)) {
            f->st.msgs_out++;
            f->st.blocks_out++;
            f->st.bytes_out += b->len;
            f->st.late_blocks_out += late;
        }
        free(bad);
    }
    uint64_t now = plat_now_ms();
    if (owed || buf_used(&s->tx) > 0)
        p->idle_since = now;
    else if (now - p->idle_since > FILES_IDLE_MS) {
        s->want_fin = true;
        p->out = NULL;
    }
}

/* ---- serving ---- */

static void serve_wants(struct node *n, struct conn *c, const struct bsw_msg *m)
{
    struct files *f = F(n);
    struct fpeer *p = &f->peers[conn_index(c)];
    struct bsw_presence *pres = m->nwants ? malloc((size_t)m->nwants * sizeof *pres) : NULL;
    int np = 0;
    if (m->full)
        ledger_clear(&p->wl, &f->pool); /* a full wantlist replaces what the peer wanted */
    for (int i = 0; i < m->nwants; i++) {
        const struct bsw_entry *e = &m->wants[i];
        f->st.wants_in++;
        if (e->cancel) {
            f->st.cancels_in++;
            ledger_cancel(&p->wl, &f->pool, &e->cid);
            continue;
        }
        bool have = blockstore_get(&f->store, &e->cid) != NULL;
        struct lentry *x = ledger_find(&p->wl, &e->cid);
        if (have && e->type == BSW_WANT_HAVE && !(x && x->type == BSW_WANT_BLOCK)) {
            if (x)
                ledger_remove(&p->wl, &f->pool, x);
            if (pres) {
                pres[np].cid = e->cid;
                pres[np++].type = BSW_HAVE;
                f->st.haves_out++;
            }
            continue;
        }
        if (ledger_want(&p->wl, &f->pool, e, &x) == LEDGER_REFUSED) {
            f->st.wants_refused++;
            continue;
        }
        if (have)
            x->ready = true;
        else if (pres && e->send_dont_have) {
            pres[np].cid = e->cid;
            pres[np++].type = BSW_DONT_HAVE;
            f->st.dont_haves_out++;
        }
    }
    if (np)
        peer_send(n, c, enc_presences, pres, np);
    free(pres);
}

/* A block this node holds from now on (added or fetched): sent to every
 * peer that wants it as a block, announced HAVE to those that asked HAVE. */
static void announce_block(struct node *n, const struct cid *cid)
{
    struct files *f = F(n);
    for (int ci = 0; ci < NODE_MAX_CONNS; ci++) {
        struct fpeer *p = &f->peers[ci];
        struct lentry *x = p->wl.n ? ledger_find(&p->wl, cid) : NULL;
        if (!x || x->ready)
            continue;
        if (x->type == BSW_WANT_BLOCK) {
            x->ready = x->late = true;
            continue;
        }
        struct bsw_presence pr = {.cid = *cid, .type = BSW_HAVE};
        ledger_remove(&p->wl, &f->pool, x);
        if (n->conns[ci].used) {
            peer_send(n, &n->conns[ci], enc_presences, &pr, 1);
            f->st.haves_out++;
            f->st.late_haves_out++;
        }
    }
}

/* CANCELs cids at peer id (when connected). */
static void send_cancels(struct node *n, const struct peerid *id, const struct cid *cids, int count)
{
    struct conn *c = node_find_peer(n, id);
    if (!c || c->phase != PH_YAMUX || count <= 0)
        return;
    struct bsw_entry *e = calloc((size_t)count, sizeof *e);
    if (!e)
        return;
    for (int i = 0; i < count; i++)
        e[i] = (struct bsw_entry){.cid = cids[i], .cancel = true};
    peer_send(n, c, enc_wants, e, count);
    F(n)->st.cancels_out += (uint64_t)count;
    free(e);
}

/* ---- fetching ---- */

static struct want *want_add(struct session *s, const struct cid *c, uint64_t off, uint64_t size)
{
    struct want *grown = array_grow(s->w, s->nw, &s->capw, sizeof *grown, 64);
    if (!grown)
        return NULL;
    s->w = grown;
    struct want *w = &s->w[s->nw++];
    memset(w, 0, sizeof *w);
    w->cid = *c;
    w->off = off;
    w->size = size;
    w->state = W_PENDING;
    w->prov = -1;
    return w;
}

static int provider_of(struct session *s, const struct peerid *id);

/* CANCELs w at every provider it was asked of but from (-1: all), and the
 * root's WANT_HAVE at every peer asked that did not answer HAVE (their
 * ledgers keep it otherwise). */
static void want_cancel(struct node *n, struct session *s, const struct want *w, int from)
{
    for (int p = 0; p < s->nprov; p++)
        if ((w->asked >> p & 1) && p != from)
            send_cancels(n, &s->prov[p].id, &w->cid, 1);
    if (!cid_eq(&w->cid, &s->root))
        return;
    for (int ci = 0; ci < NODE_MAX_CONNS; ci++) {
        struct conn *c = &n->conns[ci];
        if (!(s->asked[ci / 64] >> (ci % 64) & 1) || !c->used || !peerid_eq(&s->asked_id[ci], &c->remote))
            continue;
        int p = provider_of(s, &c->remote);
        if (p >= 0 && (s->prov[p].have || p == from || (w->asked >> p & 1)))
            continue;
        send_cancels(n, &c->remote, &s->root, 1);
    }
}

static void session_end(struct node *n, struct session *s, const char *error)
{
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].state != W_DONE)
            want_cancel(n, s, &s->w[i], -1);
    if (s->dht_query > 0)
        kad_cancel(n, s->dht_query);
    if (error)
        node_replyf(n, s->ctl, "error %s", error);
    free(s->w);
    free(s->file);
    memset(s, 0, sizeof *s);
}

static int provider_of(struct session *s, const struct peerid *id)
{
    for (int i = 0; i < s->nprov; i++)
        if (peerid_eq(&s->prov[i].id, id))
            return i;
    return -1;
}

static void want_release(struct session *s, struct want *w)
{
    if (w->state == W_INFLIGHT && w->prov >= 0)
        s->prov[w->prov].inflight--;
    w->state = W_PENDING;
    w->prov = -1;
}

/* Takes a verified block for every want of s with its CID; -1 ends s. */
static int session_block(struct node *n, struct session *s, const struct cid *cid, const uint8_t *data, size_t len, int from)
{
    for (int i = 0; i < s->nw; i++) {
        struct want *w = &s->w[i];
        if (w->state == W_DONE || !cid_eq(&w->cid, cid))
            continue;
        if (w->state == W_INFLIGHT && w->prov >= 0)
            s->prov[w->prov].inflight--;
        if (from >= 0)
            s->prov[from].blocks++;
        w->state = W_DONE;
        want_cancel(n, s, w, from);
        s->done++;
        s->blocks++;
        uint64_t off = w->off, size = w->size;
        if (cid_codec(cid) == CODEC_RAW) {
            if (!s->sized) {
                if (len > FILES_MAX_FILE || !(s->file = malloc(len ? len : 1)))
                    return -1;
                s->size = len;
                s->sized = true;
                size = len;
            }
            if (len != size || off + len > s->size)
                return -1; /* a leaf of another size than its parent said */
            memcpy(s->file + off, data, len);
            s->bytes += len;
            continue;
        }
        struct dagpb_node nd;
        if (dagpb_parse(&nd, data, len) < 0)
            return -1;
        if (!s->sized) {
            if (nd.filesize > FILES_MAX_FILE || !(s->file = malloc(nd.filesize ? nd.filesize : 1))) {
                dagpb_free(&nd);
                return -1;
            }
            s->size = size = nd.filesize;
            s->sized = true;
        }
        if (nd.filesize != size || off + size > s->size) {
            dagpb_free(&nd);
            return -1;
        }
        if (nd.datalen)
            memcpy(s->file + off, nd.data, nd.datalen);
        s->bytes += nd.datalen;
        uint64_t at = off + nd.datalen;
        for (int k = 0; k < nd.nlinks; k++) {
            if (!want_add(s, &nd.links[k].cid, at, nd.links[k].filesize)) {
                dagpb_free(&nd);
                return -1;
            }
            at += nd.links[k].filesize;
        }
        dagpb_free(&nd);
        w = NULL; /* s->w may have moved */
    }
    return 0;
}

static void session_finish(struct node *n, struct session *s)
{
    uint8_t d[32];
    char hex[65], cs[CID_STR_MAX];
    sha256(s->file, (size_t)s->size, d);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    cid_str(&s->root, cs);
    if (s->out[0]) {
        int fd = plat_file_open(s->out, true);
        long k = 0;
        for (uint64_t off = 0; fd >= 0 && off < s->size; off += (uint64_t)k) {
            k = plat_file_write(fd, s->file + off, (size_t)(s->size - off));
            if (k <= 0)
                break;
        }
        if (fd >= 0)
            plat_close(fd);
        if (fd < 0 || k < 0 || (s->size > 0 && k == 0)) {
            node_replyf(n, s->ctl, "error cannot write %s (error %ld)", s->out, fd < 0 ? (long)fd : k);
            session_end(n, s, NULL);
            return;
        }
    }
    uint64_t ms = plat_now_ms() - s->t0;
    int used = 0;
    for (int i = 0; i < s->nprov; i++) {
        if (s->prov[i].blocks) {
            char id[P2P_PEERID_STR];
            peerid_str(&s->prov[i].id, id);
            node_replyf(n, s->ctl, "provider %s blocks %lu", id, (unsigned long)s->prov[i].blocks);
            used++;
        }
    }
    node_replyf(n, s->ctl, "sha256 %s", hex);
    node_replyf(n, s->ctl, "ok got %s size %lu blocks %lu providers %d ms %lu", cs, (unsigned long)s->size, (unsigned long)s->blocks, used,
          (unsigned long)ms);
    plat_log("# metric files_get_ms %lu ms", (unsigned long)ms);
    if (ms > 0)
        plat_log("# metric files_get_kib_per_s %lu KiB/s", (unsigned long)(s->size * 1000 / 1024 / ms));
    session_end(n, s, NULL);
}

/* Blocks already held satisfy wants at once (files fetched or added before,
 * or a chunk repeated within the file). */
static int session_local(struct node *n, struct session *s)
{
    struct files *f = F(n);
    for (int i = 0; i < s->nw; i++) {
        if (s->w[i].state != W_PENDING)
            continue;
        const struct block *b = blockstore_get(&f->store, &s->w[i].cid);
        if (b && session_block(n, s, &b->cid, b->data, b->len, -1) < 0)
            return -1;
    }
    return 0;
}

static void session_ask_root(struct node *n, struct session *s, bool again)
{
    struct bsw_entry e = {.cid = s->root, .type = BSW_WANT_HAVE, .send_dont_have = true};
    for (int ci = 0; ci < NODE_MAX_CONNS; ci++) {
        struct conn *c = &n->conns[ci];
        if (!speaks_bitswap(c))
            continue;
        bool asked = (s->asked[ci / 64] >> (ci % 64) & 1) && peerid_eq(&s->asked_id[ci], &c->remote);
        if (asked && !again)
            continue;
        int p = provider_of(s, &c->remote);
        if (p >= 0 && (s->prov[p].have || s->prov[p].lost))
            continue;
        s->asked[ci / 64] |= 1ull << (ci % 64);
        s->asked_id[ci] = c->remote;
        peer_send(n, c, enc_wants, &e, 1);
    }
}

/* Sends each pending want to the usable provider with the fewest in flight. */
static void session_schedule(struct node *n, struct session *s)
{
    struct bsw_entry *batch[FILES_PROVIDERS] = {0};
    int nb[FILES_PROVIDERS] = {0};
    uint64_t now = plat_now_ms();
    for (int i = 0; i < s->nw; i++) {
        struct want *w = &s->w[i];
        if (w->state != W_PENDING)
            continue;
        int best = -1;
        for (int p = 0; p < s->nprov; p++) {
            struct provider *pv = &s->prov[p];
            if (!pv->have || pv->lost || pv->inflight >= FILES_PER_PEER || (w->refused >> p & 1))
                continue;
            if (!node_find_peer(n, &pv->id))
                continue;
            if (best < 0 || pv->inflight < s->prov[best].inflight)
                best = p;
        }
        if (best < 0)
            continue;
        if (!batch[best] && !(batch[best] = malloc(FILES_PER_PEER * sizeof **batch)))
            continue;
        batch[best][nb[best]++] = (struct bsw_entry){.cid = w->cid, .type = BSW_WANT_BLOCK, .send_dont_have = true};
        w->state = W_INFLIGHT;
        w->prov = best;
        w->asked |= 1u << best;
        w->sent_ms = now;
        s->prov[best].inflight++;
    }
    for (int p = 0; p < FILES_PROVIDERS; p++) {
        if (batch[p]) {
            struct conn *c = node_find_peer(n, &s->prov[p].id);
            if (c)
                peer_send(n, c, enc_wants, batch[p], nb[p]);
            free(batch[p]);
        }
    }
}

/* The DHT's provider record key of a CID: its multihash (0x12 0x20 digest), as IPFS uses. */
static void dht_key(const struct cid *c, uint8_t key[34])
{
    key[0] = MH_SHA2_256;
    key[1] = 32;
    memcpy(key + 2, cid_digest(c), 32);
}

/* A provider the DHT found: dialled unless connected; once identify has run
 * session_ask_root asks it for the root like any connected peer. */
static void dht_found(struct node *n, void *arg, const struct kad_peerinfo *p)
{
    struct session *s = arg;
    if (!s->used || peerid_eq(&p->id, &n->id))
        return;
    s->dht_found++;
    if (node_find_peer(n, &p->id))
        return;
    for (int i = 0; i < p->naddrs; i++) {
        struct maddr m = p->addrs[i];
        m.has_peer = true;
        m.peer = p->id;
        if (node_dial(n, &m))
            break;
    }
}

static void dht_done(struct node *n, void *arg, const struct kad_result *r)
{
    struct session *s = arg;
    (void)n;
    (void)r;
    s->dht_query = 0;
}

static void session_dht(struct node *n, struct session *s)
{
    uint8_t key[34];
    dht_key(&s->root, key);
    s->dht_ms = plat_now_ms();
    int q = kad_find_providers(n, key, sizeof key, 0, dht_found, dht_done, s);
    s->dht_query = q > 0 ? q : 0;
}

static void session_tick(struct node *n, struct session *s)
{
    uint64_t now = plat_now_ms();
    if (now > s->deadline) {
        node_replyf(n, s->ctl, "error timed out with %d of %d blocks (%d providers)", s->done, s->nw, s->nprov);
        session_end(n, s, NULL);
        return;
    }
    for (int i = 0; i < s->nw; i++) {
        struct want *w = &s->w[i];
        if (w->state == W_INFLIGHT && now - w->sent_ms > (F(n)->want_ms ? F(n)->want_ms : FILES_WANT_MS)) {
            struct provider *pv = &s->prov[w->prov];
            pv->fails++;
            pv->lost = true; /* tried again only when no other provider is left */
            want_release(s, w);
        }
    }
    /* A provider no longer connected gives its wants back. */
    for (int p = 0; p < s->nprov; p++)
        if (!s->prov[p].lost && !node_find_peer(n, &s->prov[p].id))
            s->prov[p].lost = true;
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].state == W_INFLIGHT && s->prov[s->w[i].prov].lost)
            want_release(s, &s->w[i]);
    int usable = 0;
    for (int p = 0; p < s->nprov; p++)
        usable += s->prov[p].have && !s->prov[p].lost;
    /* Every provider lost but some only for being slow: try them again. */
    if (usable == 0)
        for (int p = 0; p < s->nprov; p++)
            if (s->prov[p].have && s->prov[p].lost && !s->prov[p].bad && node_find_peer(n, &s->prov[p].id)) {
                s->prov[p].lost = false;
                s->prov[p].fails = 0;
                usable++;
            }
    if (usable == 0 && s->dht_query == 0 && now - s->dht_ms > FILES_DHT_MS)
        session_dht(n, s);
    if (usable == 0 && now - s->asked_ms > FILES_ASK_MS) {
        s->asked_ms = now;
        session_ask_root(n, s, true);
    } else
        session_ask_root(n, s, false);
    session_schedule(n, s);
    if (now - s->progress_ms > FILES_PROGRESS_MS) {
        s->progress_ms = now;
        node_replyf(n, s->ctl, "progress blocks %d/%d providers %d", s->done, s->nw, usable);
    }
}

static void fetch_block(struct node *n, struct conn *c, const struct bsw_block *b)
{
    struct files *f = F(n);
    bool wanted = false;
    bool asked_of_peer = false;
    for (int k = 0; k < FILES_SESSIONS; k++) {
        struct session *s = &f->sess[k];
        if (!s->used)
            continue;
        int from = provider_of(s, &c->remote);
        for (int i = 0; i < s->nw && !wanted; i++)
            if (s->w[i].state != W_DONE && cid_eq(&s->w[i].cid, &b->cid))
                wanted = true;
        for (int i = 0; i < s->nw && !asked_of_peer; i++)
            if (s->w[i].state == W_INFLIGHT && s->w[i].prov == from)
                asked_of_peer = true;
    }
    if (!wanted && blockstore_get(&f->store, &b->cid)) {
        f->st.block_dup++; /* a late answer to a want another provider served */
        return;
    }
    if (!wanted) {
        /* Bytes that hash to nothing this peer was asked for: a corrupt block. */
        if (!asked_of_peer) {
            f->st.block_unwanted++;
            return;
        }
        f->st.block_mismatch++;
        for (int k = 0; k < FILES_SESSIONS; k++) {
            struct session *s = &f->sess[k];
            int from = s->used ? provider_of(s, &c->remote) : -1;
            if (from < 0)
                continue;
            s->prov[from].bad = s->prov[from].lost = true;
            for (int i = 0; i < s->nw; i++)
                if (s->w[i].state == W_INFLIGHT && s->w[i].prov == from)
                    want_release(s, &s->w[i]);
        }
        return;
    }
    f->st.blocks_in++;
    f->st.bytes_in += b->len;
    /* Whoever sends a wanted block has the file (Helia answers a WANT_HAVE
     * for a block under 1 KiB with the block itself, not HAVE). */
    for (int k = 0; k < FILES_SESSIONS; k++) {
        struct session *s = &f->sess[k];
        if (s->used && provider_of(s, &c->remote) < 0 && s->nprov < FILES_PROVIDERS) {
            struct provider *pv = &s->prov[s->nprov++];
            memset(pv, 0, sizeof *pv);
            pv->id = c->remote;
            pv->have = true;
        }
    }
    int put = blockstore_put(&f->store, &b->cid, b->data, b->len);
    if (put < 0)
        f->st.store_full++;
    else if (put > 0)
        announce_block(n, &b->cid);
    for (int k = 0; k < FILES_SESSIONS; k++) {
        struct session *s = &f->sess[k];
        if (!s->used)
            continue;
        if (session_block(n, s, &b->cid, b->data, b->len, provider_of(s, &c->remote)) < 0)
            session_end(n, s, "malformed file: a block does not fit its DAG");
        else if (session_local(n, s) < 0)
            session_end(n, s, "malformed file: a block does not fit its DAG");
        else if (s->nw > 0 && s->done == s->nw)
            session_finish(n, s);
    }
}

static void fetch_presence(struct node *n, struct conn *c, const struct bsw_presence *pr)
{
    struct files *f = F(n);
    if (pr->type == BSW_HAVE)
        f->st.haves_in++;
    else
        f->st.dont_haves_in++;
    for (int k = 0; k < FILES_SESSIONS; k++) {
        struct session *s = &f->sess[k];
        if (!s->used)
            continue;
        int p = provider_of(s, &c->remote);
        if (cid_eq(&pr->cid, &s->root)) {
            if (p < 0 && s->nprov < FILES_PROVIDERS) {
                p = s->nprov++;
                memset(&s->prov[p], 0, sizeof s->prov[p]);
                s->prov[p].id = c->remote;
            }
            if (p >= 0) {
                s->prov[p].have = pr->type == BSW_HAVE;
                s->prov[p].lost = pr->type != BSW_HAVE;
            }
        }
        if (pr->type != BSW_DONT_HAVE || p < 0)
            continue;
        for (int i = 0; i < s->nw; i++)
            if (s->w[i].state == W_INFLIGHT && s->w[i].prov == p && cid_eq(&s->w[i].cid, &pr->cid)) {
                s->w[i].refused |= 1u << p;
                want_release(s, &s->w[i]);
            }
    }
}

/* ---- the protocol ---- */

static void bitswap_started(struct stream *s)
{
    if (!s->ctx)
        s->ctx = calloc(1, sizeof(struct fstream));
}

static void handle_message(struct node *n, struct conn *c, const uint8_t *p, size_t len)
{
    struct files *f = F(n);
    struct bsw_msg m;
    if (bsw_decode(&m, p, len) < 0) {
        f->st.malformed++;
        return;
    }
    f->st.msgs_in++;
    f->st.bad_cid += (uint64_t)m.bad_cids;
    f->st.block_unverifiable += (uint64_t)m.unverifiable;
    for (int i = 0; i < m.nblocks; i++)
        fetch_block(n, c, &m.blocks[i]);
    for (int i = 0; i < m.npres; i++)
        fetch_presence(n, c, &m.pres[i]);
    if (m.nwants)
        serve_wants(n, c, &m);
    bsw_free(&m);
}

static void bitswap_input(struct stream *s)
{
    struct node *n = s->c->node;
    struct files *f = F(n);
    struct fstream *fs = s->ctx;
    if (!fs)
        return;
    if (fs->ours || fs->discard) {
        buf_consume(&s->rx, buf_used(&s->rx)); /* the peer does not answer on our stream */
        if (fs->discard && s->fin_rcvd)
            s->want_fin = true;
        return;
    }
    /* The bytes move out of rx at once so the yamux window reopens: a
     * message may be larger than the window. */
    if (buf_used(&s->rx)) {
        if (!buf_append(&fs->acc, buf_data(&s->rx), buf_used(&s->rx))) {
            s->want_fin = true;
            return;
        }
        buf_consume(&s->rx, buf_used(&s->rx));
    }
    for (;;) {
        uint64_t len;
        int k = uvarint_get(buf_data(&fs->acc), buf_used(&fs->acc), &len);
        if (k < 0 || (k > 0 && len > BITSWAP_MAX_MSG)) {
            if (k < 0)
                f->st.malformed++;
            else
                f->st.oversized++;
            buf_free(&fs->acc);
            fs->discard = true; /* the framing is lost: nothing more is read from this stream */
            s->want_fin = true;
            return;
        }
        if (k == 0 || buf_used(&fs->acc) - (size_t)k < len)
            break;
        handle_message(n, s->c, buf_data(&fs->acc) + k, (size_t)len);
        if (!s->c->used)
            return;
        buf_consume(&fs->acc, (size_t)k + (size_t)len);
    }
    if (s->fin_rcvd) {
        if (buf_used(&fs->acc))
            f->st.malformed++; /* a message cut short by the close */
        buf_free(&fs->acc);
        s->want_fin = true;
    }
}

static void bitswap_closed(struct stream *s)
{
    struct fstream *fs = s->ctx;
    if (s->c && s->c->used) {
        struct fpeer *p = &F(s->c->node)->peers[conn_index(s->c)];
        if (p->out == s)
            p->out = NULL;
    }
    if (fs)
        buf_free(&fs->acc);
    free(fs);
    s->ctx = NULL;
}

const struct proto_def proto_bitswap = {BITSWAP_PROTO_ID, bitswap_started, bitswap_input, bitswap_closed};

/* ---- commands ---- */

static int add_block(void *ctx, const struct cid *c, const uint8_t *data, size_t len)
{
    struct node *n = ctx;
    int put = blockstore_put(&F(n)->store, c, data, len);
    if (put > 0)
        announce_block(n, c);
    return put < 0 ? -1 : 0;
}

static void add_done(struct node *n, int ctl, struct unixfs_builder *b, int rc)
{
    struct files *f = F(n);
    struct dag_link root;
    if (rc < 0 || unixfs_end(b, &root) < 0) {
        if (rc >= 0)
            f->st.store_full++;
        node_replyf(n, ctl, "error cannot add: block store full (%lu blocks, %lu bytes held)", (unsigned long)f->store.count,
              (unsigned long)f->store.bytes);
        return;
    }
    /* The leaves (b->chunks before unixfs_end missed the last, short one). */
    uint64_t chunks = root.filesize ? (root.filesize + UNIXFS_CHUNK - 1) / UNIXFS_CHUNK : 1;
    char cs[CID_STR_MAX];
    uint8_t key[34];
    cid_str(&root.cid, cs);
    dht_key(&root.cid, key);
    /* Announced in the DHT when the node runs kad (ADD_PROVIDER, republished). */
    bool dht = kad_provide(n, key, sizeof key) == 0;
    plat_log("p2pd: added %s size %lu%s", cs, (unsigned long)root.filesize, dht ? ", provided in the DHT" : "");
    node_replyf(n, ctl, "ok %s size %lu chunks %lu", cs, (unsigned long)root.filesize, (unsigned long)chunks);
}

static void cmd_add(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    struct unixfs_builder b;
    int fd = plat_file_open(argv[1], false);
    if (fd < 0) {
        node_replyf(n, ctl, "error cannot open %s (error %d)", argv[1], fd);
        return;
    }
    if (unixfs_begin(&b, add_block, n) < 0) {
        plat_close(fd);
        node_replyf(n, ctl, "error out of memory");
        return;
    }
    static uint8_t buf[65536];
    int rc = 0;
    uint64_t total = 0;
    for (;;) {
        long k = plat_file_read(fd, buf, sizeof buf);
        if (k < 0) {
            plat_close(fd);
            unixfs_abort(&b);
            node_replyf(n, ctl, "error cannot read %s (error %ld)", argv[1], k);
            return;
        }
        if (k == 0)
            break;
        total += (uint64_t)k;
        if (total > FILES_MAX_FILE || (rc = unixfs_feed(&b, buf, (size_t)k)) < 0)
            break;
    }
    plat_close(fd);
    if (total > FILES_MAX_FILE) {
        unixfs_abort(&b);
        node_replyf(n, ctl, "error %s is larger than %u bytes", argv[1], FILES_MAX_FILE);
        return;
    }
    add_done(n, ctl, &b, rc);
}

static void cmd_addgen(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    long size = p2p_atol(argv[1]);
    if (size < 0 || size > (long)FILES_MAX_FILE || argv[1][0] < '0' || argv[1][0] > '9') {
        node_replyf(n, ctl, "error bad size %s (0..%u)", argv[1], FILES_MAX_FILE);
        return;
    }
    struct unixfs_builder b;
    struct gen_state g;
    if (unixfs_begin(&b, add_block, n) < 0) {
        node_replyf(n, ctl, "error out of memory");
        return;
    }
    gen_init(&g, (uint32_t)p2p_atol(argv[2]));
    static uint8_t buf[65536];
    int rc = 0;
    for (long off = 0; off < size && rc == 0;) {
        size_t k = (size_t)(size - off) < sizeof buf ? (size_t)(size - off) : sizeof buf;
        gen_fill(&g, buf, k);
        rc = unixfs_feed(&b, buf, k);
        off += (long)k;
    }
    add_done(n, ctl, &b, rc);
}

static void cmd_get(struct node *n, int ctl, int argc, char **argv)
{
    struct files *f = F(n);
    struct cid root;
    if (cid_parse(&root, argv[1]) < 0) {
        node_replyf(n, ctl, "error bad CID %s (CIDv1, base32, sha2-256, raw or dag-pb)", argv[1]);
        return;
    }
    long limit = FILES_GET_MS;
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "timeout_ms=", 11) == 0)
            limit = p2p_atol(argv[i] + 11);
        else
            out = argv[i];
    }
    if (limit <= 0 || (out && strlen(out) >= sizeof f->sess[0].out)) {
        node_replyf(n, ctl, "error usage: get CID [OUT] [timeout_ms=N]");
        return;
    }
    struct session *s = NULL;
    for (int k = 0; k < FILES_SESSIONS && !s; k++)
        if (!f->sess[k].used)
            s = &f->sess[k];
    if (!s) {
        node_replyf(n, ctl, "error %d gets already running", FILES_SESSIONS);
        return;
    }
    s->used = true;
    s->ctl = ctl;
    s->root = root;
    if (out)
        strcpy(s->out, out);
    s->t0 = s->asked_ms = s->progress_ms = plat_now_ms();
    s->deadline = s->t0 + (uint64_t)limit;
    if (!want_add(s, &root, 0, 0)) {
        session_end(n, s, "out of memory");
        return;
    }
    if (session_local(n, s) < 0) {
        session_end(n, s, "malformed file: a block does not fit its DAG");
        return;
    }
    if (s->done == s->nw) {
        session_finish(n, s);
        return;
    }
    session_ask_root(n, s, false);
    session_dht(n, s);
}

static void cmd_files(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct files *f = F(n);
    char line[1400];
    int k = snprintf(line, sizeof line, "files blocks=%lu bytes=%lu wants=%d", (unsigned long)f->store.count, (unsigned long)f->store.bytes,
                     f->pool.total);
#define X(name) k += snprintf(line + k, sizeof line - (size_t)k, " " #name "=%lu", (unsigned long)f->st.name);
    FILES_STATS(X)
#undef X
    node_reply(n, ctl, line);
    int running = 0;
    for (int i = 0; i < FILES_SESSIONS; i++)
        running += f->sess[i].used;
    node_replyf(n, ctl, "ok %d gets running", running);
}

/* Removes a file (one `get` wrote, say): in the guest's ramfs it holds memory until then. */
static void cmd_rm(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    int r = plat_file_remove(argv[1]);
    if (r < 0)
        node_replyf(n, ctl, "error cannot remove %s (error %d)", argv[1], r);
    else
        node_replyf(n, ctl, "ok removed %s", argv[1]);
}

/* Bad input on purpose, for the tests: a malformed message to a peer. */
static void cmd_bitswap_bad(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    struct peerid id;
    struct conn *c = peerid_parse(&id, argv[1]) == 0 ? node_find_peer(n, &id) : NULL;
    if (!c || c->phase != PH_YAMUX) {
        node_replyf(n, ctl, "error not connected");
        return;
    }
    struct fpeer *p = &F(n)->peers[conn_index(c)];
    static const uint8_t garbage[] = {0x05, 0x0a, 0x03, 0xff, 0xff, 0xff};        /* wantlist cut inside a varint */
    static const uint8_t badtype[] = {0x06, 0x0a, 0x04, 0x0a, 0x02, 0x20, 0x09}; /* entry with wantType 9 */
    static const uint8_t oversized[] = {0x80, 0x80, 0x80, 0x04};                  /* 8 MiB announced */
    if (strcmp(argv[2], "garbage") == 0)
        buf_append(&p->pending, garbage, sizeof garbage);
    else if (strcmp(argv[2], "wanttype") == 0)
        buf_append(&p->pending, badtype, sizeof badtype);
    else if (strcmp(argv[2], "oversized") == 0)
        buf_append(&p->pending, oversized, sizeof oversized);
    else if (strcmp(argv[2], "badcid") == 0) {
        /* A want for a CIDv0-style multihash, which this protocol version does not carry. */
        static const uint8_t badcid[] = {0x0a, 0x0a, 0x0a, 0x08, 0x0a, 0x04, 0x12, 0x20, 0x00, 0x00, 0x28, 0x01};
        uint8_t v[1] = {sizeof badcid};
        buf_append(&p->pending, v, 1);
        buf_append(&p->pending, badcid, sizeof badcid);
    } else {
        node_replyf(n, ctl, "error kind is garbage, wanttype, oversized or badcid");
        return;
    }
    peer_pump(n, conn_index(c));
    node_replyf(n, ctl, "ok sent %s", argv[2]);
}

/* What peers want of this node: with PEER its entries, highest priority
 * first ("want CID block|have prio N [ready] [sdh]"), else one line per peer. */
static void cmd_wantlist(struct node *n, int ctl, int argc, char **argv)
{
    struct files *f = F(n);
    struct peerid only;
    if (argc > 1 && peerid_parse(&only, argv[1]) < 0) {
        node_replyf(n, ctl, "error bad peer id %s", argv[1]);
        return;
    }
    int peers = 0, shown = 0;
    for (int ci = 0; ci < NODE_MAX_CONNS; ci++) {
        struct ledger *l = &f->peers[ci].wl;
        struct conn *c = &n->conns[ci];
        if (!l->n || !c->used || (argc > 1 && !peerid_eq(&only, &c->remote)))
            continue;
        char id[P2P_PEERID_STR];
        peerid_str(&c->remote, id);
        peers++;
        shown += l->n;
        if (argc == 1) {
            int ready = 0;
            for (int i = 0; i < l->n; i++)
                ready += l->e[i].ready;
            node_replyf(n, ctl, "peer %s wants %d ready %d", id, l->n, ready);
            continue;
        }
        /* Selection by (priority desc, seq asc): the order they are served in. */
        struct lentry *last = NULL;
        for (int k = 0; k < l->n; k++) {
            struct lentry *best = NULL;
            for (int i = 0; i < l->n; i++) {
                struct lentry *x = &l->e[i];
                bool after = !last || x->priority < last->priority || (x->priority == last->priority && x->seq > last->seq);
                if (after && (!best || x->priority > best->priority || (x->priority == best->priority && x->seq < best->seq)))
                    best = x;
            }
            char cs[CID_STR_MAX];
            cid_str(&best->cid, cs);
            node_replyf(n, ctl, "want %s %s prio %d%s%s", cs, best->type == BSW_WANT_BLOCK ? "block" : "have", (int)best->priority,
                  best->ready ? " ready" : "", best->send_dont_have ? " sdh" : "");
            last = best;
        }
    }
    node_replyf(n, ctl, "ok %d wants from %d peers", shown, peers);
}

/* For the tests: one wantlist message to PEER. FLAGS is "-" or a comma list
 * of block|have, cancel, sdh, full, prio=N; each TARGET a CID or gen:COUNT:SEED
 * (COUNT raw CIDs of 8-byte blocks nobody holds). */
static void cmd_bitswap_want(struct node *n, int ctl, int argc, char **argv)
{
    struct peerid id;
    struct conn *c = peerid_parse(&id, argv[1]) == 0 ? node_find_peer(n, &id) : NULL;
    if (!c || c->phase != PH_YAMUX) {
        node_replyf(n, ctl, "error not connected");
        return;
    }
    struct bsw_entry proto = {.type = BSW_WANT_BLOCK, .priority = 1};
    bool full = false;
    for (char *fl = argv[2]; strcmp(argv[2], "-") != 0 && *fl;) {
        const char *comma = strchr(fl, ',');
        size_t len = comma ? (size_t)(comma - fl) : strlen(fl);
        if (len == 5 && strncmp(fl, "block", 5) == 0)
            proto.type = BSW_WANT_BLOCK;
        else if (len == 4 && strncmp(fl, "have", 4) == 0)
            proto.type = BSW_WANT_HAVE;
        else if (len == 6 && strncmp(fl, "cancel", 6) == 0)
            proto.cancel = true;
        else if (len == 3 && strncmp(fl, "sdh", 3) == 0)
            proto.send_dont_have = true;
        else if (len == 4 && strncmp(fl, "full", 4) == 0)
            full = true;
        else if (len > 5 && strncmp(fl, "prio=", 5) == 0 && ((fl[5] >= '0' && fl[5] <= '9') || fl[5] == '-'))
            proto.priority = (int32_t)p2p_atol(fl + 5);
        else {
            node_replyf(n, ctl, "error bad flag in %s (block, have, cancel, sdh, full, prio=N)", argv[2]);
            return;
        }
        fl += len + (fl[len] == ',');
    }
    int count = 0;
    for (int i = 3; i < argc; i++)
        count += strncmp(argv[i], "gen:", 4) == 0 ? (int)p2p_atol(argv[i] + 4) : 1;
    if (count < 0 || count > 65536) {
        node_replyf(n, ctl, "error at most 65536 entries");
        return;
    }
    struct bsw_entry *e = calloc((size_t)(count ? count : 1), sizeof *e);
    if (!e) {
        node_replyf(n, ctl, "error out of memory");
        return;
    }
    int k = 0;
    for (int i = 3; i < argc; i++) {
        if (strncmp(argv[i], "gen:", 4) == 0) {
            const char *seed = strchr(argv[i] + 4, ':');
            long cnt = p2p_atol(argv[i] + 4);
            for (long j = 0; j < cnt; j++) {
                uint8_t blk[8];
                p2p_put_le32(blk, (uint32_t)(seed ? p2p_atol(seed + 1) : 0));
                p2p_put_le32(blk + 4, (uint32_t)j);
                e[k] = proto;
                cid_of(&e[k++].cid, CODEC_RAW, blk, sizeof blk);
            }
            continue;
        }
        e[k] = proto;
        if (cid_parse(&e[k++].cid, argv[i]) < 0) {
            free(e);
            node_replyf(n, ctl, "error bad CID %s", argv[i]);
            return;
        }
    }
    bool ok = bsw_put_wants(&F(n)->peers[conn_index(c)].pending, e, k, full);
    free(e);
    if (!ok) {
        node_replyf(n, ctl, "error out of memory");
        return;
    }
    F(n)->st.msgs_out++;
    peer_pump(n, conn_index(c));
    node_replyf(n, ctl, "ok sent %d entries%s", k, full ? " (full)" : "");
}

/* ---- module hooks ---- */

static int files_option(struct node *n, const char *key, const char *value)
{
    struct files *f = F(n);
    if (strcmp(key, "files_want_ms") == 0) {
        long v = p2p_atol(value);
        if (v < 100 || v > 3600000) {
            plat_log("p2pd: files_want_ms must be 100..3600000, not %s", value);
            return -1;
        }
        f->want_ms = (uint64_t)v;
        return 1;
    }
    if (strcmp(key, "files_wants") == 0) {
        /* PER_PEER:TOTAL, the ledger bounds */
        const char *colon = strchr(value, ':');
        long per = p2p_atol(value), total = colon ? p2p_atol(colon + 1) : 0;
        if (!colon || value[0] < '0' || value[0] > '9' || colon[1] < '0' || colon[1] > '9' || per < 1 || per > LEDGER_PER_PEER ||
            total < per || total > LEDGER_TOTAL) {
            plat_log("p2pd: files_wants is PER_PEER:TOTAL with 1 <= PER_PEER <= TOTAL, PER_PEER <= %d, TOTAL <= %d, not %s",
                     LEDGER_PER_PEER, LEDGER_TOTAL, value);
            return -1;
        }
        f->pool.per_peer = (int)per;
        f->pool.max_total = (int)total;
        return 1;
    }
    if (strcmp(key, "files_fault") != 0)
        return 0;
    if (strcmp(value, "corrupt") == 0)
        f->fault = FF_CORRUPT;
    else if (strncmp(value, "stall_after:", 12) == 0 && value[12] >= '0' && value[12] <= '9')
        f->fault = FF_STALL, f->fault_after = (uint64_t)p2p_atol(value + 12);
    else if (strncmp(value, "exit_after:", 11) == 0 && value[11] >= '0' && value[11] <= '9')
        f->fault = FF_EXIT, f->fault_after = (uint64_t)p2p_atol(value + 11);
    else {
        plat_log("p2pd: files_fault is corrupt, stall_after:N or exit_after:N, not %s", value);
        return -1;
    }
    return 1;
}

static void files_tick(struct node *n)
{
    struct files *f = F(n);
    for (int k = 0; k < FILES_SESSIONS; k++)
        if (f->sess[k].used)
            session_tick(n, &f->sess[k]);
    for (int ci = 0; ci < NODE_MAX_CONNS; ci++)
        if (f->peers[ci].out || buf_used(&f->peers[ci].pending) || f->peers[ci].wl.n)
            peer_pump(n, ci);
}

static void files_peer_down(struct conn *c)
{
    struct files *f = F(c->node);
    struct fpeer *p = &f->peers[conn_index(c)];
    buf_free(&p->pending);
    ledger_clear(&p->wl, &f->pool);
    p->out = NULL;
}

static void files_ctl_gone(struct node *n, int ctl)
{
    struct files *f = F(n);
    for (int k = 0; k < FILES_SESSIONS; k++)
        if (f->sess[k].used && f->sess[k].ctl == ctl)
            session_end(n, &f->sess[k], NULL);
}

NODE_MODULE(files, sizeof(struct files), .protos = NODE_PROTOS(&proto_bitswap),
            .cmds = NODE_CMDS({"add", 1, 1, "add FILE", cmd_add},
                              {"addgen", 2, 2, "addgen SIZE SEED", cmd_addgen},
                              {"get", 1, 3, "get CID [OUT] [timeout_ms=N]", cmd_get},
                              {"files", 0, 0, "files", cmd_files},
                              {"rm", 1, 1, "rm FILE", cmd_rm},
                              {"wantlist", 0, 1, "wantlist [PEER]", cmd_wantlist},
                              {"bitswap_want", 2, 15, "bitswap_want PEER FLAGS [CID|gen:COUNT:SEED]...", cmd_bitswap_want},
                              {"bitswap_bad", 2, 2, "bitswap_bad PEER garbage|wanttype|oversized|badcid", cmd_bitswap_bad}),
            .option = files_option, .tick = files_tick, .peer_down = files_peer_down, .ctl_gone = files_ctl_gone);
