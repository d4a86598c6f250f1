/* The Kademlia DHT module (libp2p kad-dht): serves FIND_NODE, GET_VALUE,
 * PUT_VALUE, ADD_PROVIDER, GET_PROVIDERS and PING on one stream protocol
 * (kad_protocol=, default /ipfs/kad/1.0.0), and runs iterative lookups:
 * the closest known peers are asked KAD_ALPHA at a time, each answer's
 * closer peers join the candidates, and the lookup ends when the KAD_K
 * closest candidates that did not fail have all answered. A peer joins the
 * routing table when identify shows it speaks the protocol (peer_up) or when
 * it answers a request; no bootstrap node is needed. Records and provider
 * records are stored on the k closest peers, republished by their
 * originator, re-replicated by their holders (records), and expire; buckets
 * are refreshed by lookups. The periods run from the module's tick. One request is
 * one stream: the request, one answer (none for ADD_PROVIDER), then FIN. */
#include "core/kad_int.h"
#include "crypto/sha2.h"

#define KAD_MAX_QUERIES 16
#define KAD_MAX_RPCS 64
#define KAD_QUERY_PEERS 64     /* candidates a lookup keeps (closest first) */
#define KAD_MAX_PROVIDED 64    /* keys this node provides */
#define KAD_FIN_DELAY_MS 200   /* a request without answer is closed this long after it was sent */
#define KAD_REFRESH_MAX_CPL 8  /* buckets refreshed with random targets; nearer ones by the self lookup */

static char kad_proto_id[64] = "/ipfs/kad/1.0.0";

enum qkind { Q_FIND_NODE, Q_FIND_PEER, Q_GET_VALUE, Q_GET_PROVIDERS, Q_PUT, Q_PROVIDE };
static const char *const QKIND_NAME[] = {"closest", "findpeer", "get", "providers", "put", "provide"};
enum cstate { C_NEW, C_WAIT, C_DONE, C_FAIL };

struct kad_cand {
    struct kad_peerinfo p;
    uint8_t kid[32];
    int state, hop;
};

struct kad_query {
    int id;
    enum qkind kind;
    uint8_t key[KAD_KEY_MAX];
    size_t keylen;
    uint8_t target[32];
    char label[96];        /* the key as the commands print it */
    struct kad_cand cand[KAD_QUERY_PEERS];
    int ncand, inflight;
    bool started, storing; /* storing: the lookup is over, PUT_VALUE/ADD_PROVIDER are out */
    uint64_t t0, deadline;
    int ctl;               /* control client to answer, -1 = none */
    kad_peer_fn found;
    kad_done_fn done;
    void *arg;
    int max;               /* providers wanted */
    struct kad_result res;
    int found_hop;         /* hop at which the value / peer / first provider came, 0 = local */
    /* GET_VALUE: the best record so far, and who answered with a record:
     * those whose record lost get the best one when the lookup ends (the
     * spec's entry correction). */
    uint8_t *val;
    size_t vlen;
    struct peerid val_from;
    struct kad_peerinfo holder[KAD_K];
    bool holder_best[KAD_K];
    int nholders;
    /* PUT: the record to store; FIND_PEER: the peer found. */
    uint8_t *put_val;
    size_t put_vlen;
    uint32_t put_ttl_s; /* the record's remaining lifetime sent along (0: the receiver's own TTL) */
    struct kad_peerinfo hit;
    bool have_hit;
    struct peerid seen[KAD_KEY_PROVIDERS * 2];
    int nseen;
    int sent, acked;
};

enum rstate { R_FREE, R_DIALING, R_OPEN, R_DONE };

struct kad_rpc {
    int state;
    int qid, cand;     /* owning lookup (0: none) and its candidate */
    bool store_step;   /* a PUT_VALUE / ADD_PROVIDER of a finished lookup */
    struct kad_peerinfo peer;
    uint8_t *req;
    size_t reqlen;
    int type;
    bool expect_reply;
    struct stream *s;
    struct conn *dial;
    uint64_t deadline, fin_at;
};

struct kad_stream {
    struct kad_rpc *rpc; /* outbound: the request this stream carries (NULL once given up) */
    bool bad;            /* inbound: malformed input seen, the rest is dropped */
};

struct kad_provided {
    bool used;
    uint8_t key[KAD_MH_MAX];
    size_t keylen;
    uint64_t next_ms;
};

struct kad_state {
    struct node *n;
    struct kad_rt rt;
    struct kad_store st;
    struct kad_query *q[KAD_MAX_QUERIES];
    struct kad_rpc rpc[KAD_MAX_RPCS];
    struct kad_provided provided[KAD_MAX_PROVIDED];
    uint64_t c[KC_COUNT];
    uint64_t ttl_ms, prov_ttl_ms, republish_ms, replicate_ms, refresh_ms, timeout_ms;
    uint64_t next_house, next_refresh, bootstrap_at;
    int next_qid;
};

static const struct proto_def kad_proto;

static struct kad_state *ks_of(struct node *n)
{
    return node_state(n, &kad_module);
}

static void count(struct kad_state *ks, int code)
{
    if (code < 0)
        code = -code;
    if (code >= 0 && code < KC_COUNT)
        ks->c[code]++;
}

/* p into the routing table, the outcome counted. */
static void rt_add(struct kad_state *ks, const struct kad_peerinfo *p)
{
    int a = kad_rt_add(&ks->rt, p, plat_now_ms());
    if (a == KAD_RT_ADDED || a == KAD_RT_EVICTED)
        ks->c[KC_rt_added]++;
    if (a == KAD_RT_EVICTED)
        ks->c[KC_rt_evicted]++;
    if (a == KAD_RT_FULL)
        ks->c[KC_rt_full]++;
}

static void peer_text(const struct kad_peerinfo *p, char *id, char *addr, size_t cap)
{
    peerid_str(&p->id, id);
    if (p->naddrs > 0)
        maddr_str(&p->addrs[0], addr, cap);
    else
        snprintf(addr, cap, "-");
}

/* ---- our own peer info, as the peer on c sees us ---- */

static void self_info(struct node *n, struct conn *c, struct kad_peerinfo *p)
{
    memset(p, 0, sizeof *p);
    p->id = n->id;
    struct maddr m;
    if (node_listen_addr(n, c, &m) == 0 && m.ip != 0) {
        p->addrs[0] = m;
        p->naddrs = 1;
    }
}

/* ---- requests (one stream each) ---- */

static struct kad_query *query_by_id(struct kad_state *ks, int id)
{
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        if (ks->q[i] && ks->q[i]->id == id)
            return ks->q[i];
    return NULL;
}

static int rpcs_free(struct kad_state *ks)
{
    int k = 0;
    for (int i = 0; i < KAD_MAX_RPCS; i++)
        k += ks->rpc[i].state == R_FREE;
    return k;
}

static struct kad_rpc *rpc_new(struct kad_state *ks, const struct kad_peerinfo *to, const struct kad_msg *m, bool expect_reply)
{
    struct kad_rpc *r = NULL;
    for (int i = 0; i < KAD_MAX_RPCS && !r; i++)
        if (ks->rpc[i].state == R_FREE)
            r = &ks->rpc[i];
    if (!r)
        return NULL;
    static uint8_t buf[KAD_MSG_MAX + 8];
    int len = kad_msg_encode(m, buf, sizeof buf);
    if (len < 0 || !(r->req = malloc((size_t)len)))
        return NULL;
    memcpy(r->req, buf, (size_t)len);
    r->reqlen = (size_t)len;
    r->state = R_DIALING;
    r->qid = 0;
    r->cand = -1;
    r->store_step = false;
    r->peer = *to;
    r->type = m->type;
    r->expect_reply = expect_reply;
    r->s = NULL;
    r->dial = NULL;
    r->deadline = plat_now_ms() + ks->timeout_ms;
    r->fin_at = 0;
    return r;
}

static void query_rpc_done(struct kad_state *ks, struct kad_rpc *r, const struct kad_msg *m);

/* Ends a request: m is the answer (NULL: it failed). */
static void rpc_finish(struct kad_state *ks, struct kad_rpc *r, const struct kad_msg *m, int why)
{
    if (r->state == R_FREE || r->state == R_DONE)
        return;
    r->state = R_DONE;
    if (r->s) {
        struct kad_stream *x = r->s->ctx;
        if (x)
            x->rpc = NULL;
        r->s->want_fin = true;
        r->s = NULL;
    }
    if (!m && why >= 0 && why < KC_COUNT) {
        ks->c[why]++;
        if (kad_rt_fail(&ks->rt, &r->peer.id))
            ks->c[KC_rt_removed]++;
    }
    if (m && r->expect_reply) {
        /* A peer that answered is a live DHT server: it may join the table. */
        rt_add(ks, &r->peer);
    }
    query_rpc_done(ks, r, m);
    free(r->req);
    r->req = NULL;
    r->state = R_FREE;
}

/* A connection to the peer being dialled (not yet upgraded), if any. */
static struct conn *conn_dialing(struct node *n, const struct peerid *id)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (c->used && c->phase < PH_YAMUX && c->expect_peer && peerid_eq(&c->expected, id))
            return c;
    }
    return NULL;
}

static void rpc_step(struct kad_state *ks, struct kad_rpc *r, uint64_t now)
{
    struct node *n = ks->n;
    if (r->state == R_DIALING) {
        struct conn *c = node_find_peer(n, &r->peer.id);
        if (c) {
            struct kad_stream *x = calloc(1, sizeof *x);
            struct stream *s = x ? node_open_stream(c, &kad_proto, NULL) : NULL;
            if (!s) {
                free(x);
                rpc_finish(ks, r, NULL, KC_rpc_failed);
                return;
            }
            x->rpc = r;
            s->ctx = x;
            r->s = s;
            r->state = R_OPEN;
        } else if (!conn_dialing(n, &r->peer.id)) {
            if (r->dial) { /* our dial ended without a connection */
                rpc_finish(ks, r, NULL, KC_rpc_failed);
                return;
            }
            if (r->peer.naddrs == 0) {
                rpc_finish(ks, r, NULL, KC_rpc_failed);
                return;
            }
            struct maddr m = r->peer.addrs[0];
            m.has_peer = true;
            m.peer = r->peer.id;
            r->dial = node_dial(n, &m);
            if (!r->dial) {
                rpc_finish(ks, r, NULL, KC_rpc_failed);
                return;
            }
        } else if (!r->dial) {
            r->dial = conn_dialing(n, &r->peer.id); /* someone else's dial: wait for it */
        }
    }
    if (r->state == R_OPEN && r->fin_at && now >= r->fin_at) {
        struct kad_msg none;
        memset(&none, 0, sizeof none);
        none.type = r->type;
        rpc_finish(ks, r, &none, 0); /* sent; nothing was to come back */
        return;
    }
    if ((r->state == R_DIALING || r->state == R_OPEN) && now >= r->deadline)
        rpc_finish(ks, r, NULL, KC_rpc_timeout);
}

/* ---- lookups ---- */

static void cand_add(struct kad_state *ks, struct kad_query *q, const struct kad_peerinfo *p, int hop)
{
    if (peerid_eq(&p->id, &ks->n->id))
        return;
    for (int i = 0; i < q->ncand; i++)
        if (peerid_eq(&q->cand[i].p.id, &p->id)) {
            if (q->cand[i].p.naddrs == 0 && p->naddrs > 0)
                q->cand[i].p = *p;
            return;
        }
    uint8_t kid[32];
    kad_id(p->id.b, P2P_PEERID_LEN, kid);
    int pos = q->ncand;
    while (pos > 0 && kad_cmp(q->target, kid, q->cand[pos - 1].kid) < 0)
        pos--;
    if (pos >= KAD_QUERY_PEERS)
        return;
    /* Dropping the farthest must not drop one we are waiting on. */
    if (q->ncand == KAD_QUERY_PEERS && q->cand[KAD_QUERY_PEERS - 1].state == C_WAIT)
        return;
    int last = q->ncand < KAD_QUERY_PEERS ? q->ncand : KAD_QUERY_PEERS - 1;
    for (int i = last; i > pos; i--)
        q->cand[i] = q->cand[i - 1];
    if (q->ncand < KAD_QUERY_PEERS)
        q->ncand++;
    /* Requests in flight name their candidate by index: move them along. */
    for (int i = 0; i < KAD_MAX_RPCS; i++) {
        struct kad_rpc *r = &ks->rpc[i];
        if (r->state != R_FREE && r->qid == q->id && !r->store_step && r->cand >= pos)
            r->cand++;
    }
    struct kad_cand *c = &q->cand[pos];
    memset(c, 0, sizeof *c);
    c->p = *p;
    memcpy(c->kid, kid, 32);
    c->state = C_NEW;
    c->hop = hop;
}

static int query_slot(struct kad_state *ks)
{
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        if (!ks->q[i])
            return i;
    return -1;
}

static struct kad_query *query_new(struct kad_state *ks, enum qkind kind, const uint8_t *key, size_t keylen, int ctl)
{
    int slot = query_slot(ks);
    if (slot < 0 || keylen == 0 || keylen > KAD_KEY_MAX)
        return NULL;
    struct kad_query *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->id = ++ks->next_qid;
    q->kind = kind;
    memcpy(q->key, key, keylen);
    q->keylen = keylen;
    kad_id(key, keylen, q->target);
    int kl = 0;
    for (size_t i = 0; i < keylen && kl < (int)sizeof q->label - 4; i++)
        kl += snprintf(q->label + kl, sizeof q->label - (size_t)kl, (key[i] >= 0x21 && key[i] < 0x7f) ? "%c" : "%%%02x", key[i]);
    q->ctl = ctl;
    q->max = KAD_KEY_PROVIDERS;
    q->t0 = plat_now_ms();
    q->deadline = q->t0 + 6 * ks->timeout_ms;
    ks->q[slot] = q;
    ks->c[KC_lookups]++;
    int cpl = kad_cpl(ks->rt.self, q->target);
    ks->rt.refreshed_ms[cpl] = q->t0;
    struct kad_peerinfo seeds[KAD_K];
    int ns = kad_rt_closest(&ks->rt, q->target, NULL, seeds, KAD_K);
    for (int i = 0; i < ns; i++)
        cand_add(ks, q, &seeds[i], 1);
    return q;
}

static void query_free(struct kad_state *ks, struct kad_query *q)
{
    for (int i = 0; i < KAD_MAX_RPCS; i++)
        if (ks->rpc[i].state != R_FREE && ks->rpc[i].qid == q->id)
            ks->rpc[i].qid = 0; /* it finishes on its own; nobody listens */
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        if (ks->q[i] == q)
            ks->q[i] = NULL;
    free(q->val);
    free(q->put_val);
    free(q);
}

static bool seen_peer(struct kad_query *q, const struct peerid *id)
{
    for (int i = 0; i < q->nseen; i++)
        if (peerid_eq(&q->seen[i], id))
            return true;
    if (q->nseen < (int)(sizeof q->seen / sizeof q->seen[0]))
        q->seen[q->nseen++] = *id;
    return false;
}

static void report_provider(struct kad_state *ks, struct kad_query *q, const struct kad_peerinfo *p, int hop)
{
    if (q->res.count >= q->max || seen_peer(q, &p->id))
        return;
    if (q->res.count == 0)
        q->found_hop = hop;
    q->res.count++;
    char id[P2P_PEERID_STR], addr[96];
    peer_text(p, id, addr, sizeof addr);
    node_replyf(ks->n, q->ctl, "provider %s %s", id, addr);
    if (q->found)
        q->found(ks->n, q->arg, p);
}

/* Entry correction: PUT_VALUE of the best record to each peer that answered with a worse one. */
static void correct_holders(struct kad_state *ks, struct kad_query *q)
{
    uint64_t now = plat_now_ms();
    struct kad_record *own = kad_store_get(&ks->st, q->key, q->keylen, now);
    if (own && kad_kos_select(q->val, q->vlen, own->value, own->vlen) > 0 &&
        kad_store_put(&ks->st, q->key, q->keylen, q->val, q->vlen, &q->val_from, false, 0, now) == 0)
        ks->c[KC_corrected]++;
    for (int i = 0; i < q->nholders; i++) {
        if (q->holder_best[i])
            continue;
        struct kad_msg m;
        memset(&m, 0, sizeof m);
        m.type = KAD_PUT_VALUE;
        m.key = m.rec_key = q->key;
        m.keylen = m.rec_keylen = q->keylen;
        m.has_record = true;
        m.rec_value = q->val;
        m.rec_valuelen = q->vlen;
        struct kad_rpc *r = rpc_new(ks, &q->holder[i], &m, true);
        if (!r)
            return;
        ks->c[KC_corrected]++;
        rpc_step(ks, r, now);
    }
}

/* The lookup's summary on the console, for kos bench. */
static void query_metrics(struct kad_query *q)
{
    plat_log("# metric kad_%s_ms %lu ms", QKIND_NAME[q->kind], (unsigned long)q->res.ms);
    plat_log("# metric kad_%s_hops %d hops", QKIND_NAME[q->kind], q->res.hops);
}

static void query_end(struct kad_state *ks, struct kad_query *q)
{
    struct node *n = ks->n;
    q->res.ms = plat_now_ms() - q->t0;
    /* hops: where the answer came from (the value, the peer, the first provider);
     * for closest/put/provide the deepest of the k closest that answered. */
    int deep = 0;
    for (int i = 0, k = 0; i < q->ncand && k < KAD_K; i++) {
        if (q->cand[i].state == C_FAIL)
            continue;
        k++;
        if (q->cand[i].state == C_DONE && q->cand[i].hop > deep)
            deep = q->cand[i].hop;
    }
    bool hit = q->kind == Q_GET_VALUE ? q->val != NULL : q->kind == Q_FIND_PEER ? q->have_hit : q->kind == Q_GET_PROVIDERS ? q->res.count > 0 : true;
    q->res.hops = (q->kind == Q_GET_VALUE || q->kind == Q_FIND_PEER || q->kind == Q_GET_PROVIDERS) ? (hit ? q->found_hop : deep) : deep;
    const char *key = q->label;
    char stats[160];
    snprintf(stats, sizeof stats, "hops=%d queried=%d failed=%d ms=%lu", q->res.hops, q->res.queried, q->res.failed,
             (unsigned long)q->res.ms);
    char id[P2P_PEERID_STR], addr[96];
    switch (q->kind) {
    case Q_GET_VALUE:
        if (q->val) {
            peerid_str(&q->val_from, id);
            /* The guest's printf has no %.*s: the value (printable, validated) as a string. */
            static char line[KAD_VALUE_MAX + 8];
            memcpy(line, "value ", 6);
            memcpy(line + 6, q->val, q->vlen);
            line[6 + q->vlen] = 0;
            node_reply(n, q->ctl, line);
            node_replyf(n, q->ctl, "ok get %s from=%s values=%d %s", key, id, q->res.count, stats);
            correct_holders(ks, q);
        } else {
            node_replyf(n, q->ctl, "error get %s: not found %s", key, stats);
        }
        break;
    case Q_FIND_PEER:
        if (q->have_hit) {
            peer_text(&q->hit, id, addr, sizeof addr);
            node_replyf(n, q->ctl, "ok findpeer %s addr=%s %s", id, addr, stats);
            q->res.count = 1;
            if (q->found)
                q->found(n, q->arg, &q->hit);
        } else {
            node_replyf(n, q->ctl, "error findpeer: not found %s", stats);
        }
        break;
    case Q_GET_PROVIDERS:
        node_replyf(n, q->ctl, "ok providers %s %d %s", key, q->res.count, stats);
        break;
    case Q_FIND_NODE: {
        for (int i = 0, k = 0; i < q->ncand && k < KAD_K; i++) {
            if (q->cand[i].state != C_DONE)
                continue;
            k++;
            q->res.count++;
            peer_text(&q->cand[i].p, id, addr, sizeof addr);
            node_replyf(n, q->ctl, "peer %s %s cpl=%d", id, addr, kad_cpl(q->target, q->cand[i].kid));
            if (q->found)
                q->found(n, q->arg, &q->cand[i].p);
        }
        node_replyf(n, q->ctl, "ok closest %d %s", q->res.count, stats);
        break;
    }
    case Q_PUT:
    case Q_PROVIDE:
        q->res.count = q->acked;
        node_replyf(n, q->ctl, "ok %s %s stored=%d of %d %s", QKIND_NAME[q->kind], key, q->acked, q->sent, stats);
        break;
    }
    if (q->ctl >= 0)
        query_metrics(q);
    if (q->done)
        q->done(n, q->arg, &q->res);
    query_free(ks, q);
}

/* The lookup is over: PUT and PROVIDE now send their record to the k closest. */
static void query_store(struct kad_state *ks, struct kad_query *q)
{
    q->storing = true;
    for (int i = 0, k = 0; i < q->ncand && k < KAD_K; i++) {
        struct kad_cand *c = &q->cand[i];
        if (c->state != C_DONE)
            continue;
        k++;
        struct kad_msg m;
        memset(&m, 0, sizeof m);
        m.key = q->key;
        m.keylen = q->keylen;
        if (q->kind == Q_PUT) {
            m.type = KAD_PUT_VALUE;
            m.has_record = true;
            m.rec_key = q->key;
            m.rec_keylen = q->keylen;
            m.rec_value = q->put_val;
            m.rec_valuelen = q->put_vlen;
            m.rec_ttl_s = q->put_ttl_s;
        } else {
            m.type = KAD_ADD_PROVIDER;
            m.nproviders = 1;
            self_info(ks->n, node_find_peer(ks->n, &c->p.id), &m.providers[0]);
        }
        struct kad_rpc *r = rpc_new(ks, &c->p, &m, q->kind == Q_PUT);
        if (!r)
            break;
        r->qid = q->id;
        r->store_step = true;
        q->sent++;
        rpc_step(ks, r, plat_now_ms());
    }
}

static bool query_over(struct kad_query *q)
{
    int k = 0;
    for (int i = 0; i < q->ncand && k < KAD_K; i++) {
        if (q->cand[i].state == C_FAIL)
            continue;
        k++;
        if (q->cand[i].state != C_DONE)
            return false;
    }
    return true;
}

static void query_send(struct kad_state *ks, struct kad_query *q, int ci)
{
    struct kad_cand *c = &q->cand[ci];
    struct kad_msg m;
    memset(&m, 0, sizeof m);
    m.key = q->key;
    m.keylen = q->keylen;
    m.type = q->kind == Q_GET_VALUE ? KAD_GET_VALUE : q->kind == Q_GET_PROVIDERS ? KAD_GET_PROVIDERS : KAD_FIND_NODE;
    struct kad_rpc *r = rpc_new(ks, &c->p, &m, true);
    if (!r)
        return;
    r->qid = q->id;
    r->cand = ci;
    c->state = C_WAIT;
    q->inflight++;
    rpc_step(ks, r, plat_now_ms()); /* connected: the stream opens now */
}

static void query_step(struct kad_state *ks, struct kad_query *q, uint64_t now)
{
    if (!q->started) {
        q->started = true;
        /* What this node holds itself comes first (hop 0). */
        if (q->kind == Q_GET_VALUE) {
            struct kad_record *r = kad_store_get(&ks->st, q->key, q->keylen, now);
            if (r && (q->val = malloc(r->vlen ? r->vlen : 1))) {
                memcpy(q->val, r->value, r->vlen);
                q->vlen = r->vlen;
                q->val_from = ks->n->id;
                q->res.count = 1;
                q->found_hop = 0;
            }
        } else if (q->kind == Q_GET_PROVIDERS) {
            struct kad_peerinfo local[KAD_KEY_PROVIDERS];
            int k = kad_prov_get(&ks->st, q->key, q->keylen, now, local, KAD_KEY_PROVIDERS);
            for (int i = 0; i < k; i++) {
                if (peerid_eq(&local[i].id, &ks->n->id))
                    self_info(ks->n, NULL, &local[i]);
                report_provider(ks, q, &local[i], 0);
            }
        }
    }
    if (q->storing) {
        bool pending = false;
        for (int i = 0; i < KAD_MAX_RPCS; i++)
            pending = pending || (ks->rpc[i].state != R_FREE && ks->rpc[i].qid == q->id);
        if (!pending)
            query_end(ks, q);
        return;
    }
    bool enough = (q->kind == Q_GET_PROVIDERS && q->res.count >= q->max) || (q->kind == Q_FIND_PEER && q->have_hit);
    if (now >= q->deadline || enough || (q->inflight == 0 && query_over(q))) {
        if (q->kind == Q_PUT || q->kind == Q_PROVIDE) {
            query_store(ks, q);
            return;
        }
        query_end(ks, q);
        return;
    }
    /* Up to alpha requests, to the closest candidates not yet asked among the k closest live ones. */
    for (int i = 0, k = 0; i < q->ncand && k < KAD_K && q->inflight < KAD_ALPHA; i++) {
        if (q->cand[i].state == C_FAIL)
            continue;
        k++;
        if (q->cand[i].state == C_NEW) {
            if (rpcs_free(ks) == 0)
                break;
            query_send(ks, q, i);
        }
    }
}

static void query_rpc_done(struct kad_state *ks, struct kad_rpc *r, const struct kad_msg *m)
{
    struct kad_query *q = r->qid ? query_by_id(ks, r->qid) : NULL;
    if (!q)
        return;
    if (r->store_step) {
        /* A PUT_VALUE is stored when the peer echoes the record; ADD_PROVIDER has no answer. */
        if (m && (q->kind == Q_PROVIDE || (m->has_record && m->rec_valuelen == q->put_vlen &&
                                           memcmp(m->rec_value, q->put_val, q->put_vlen) == 0)))
            q->acked++;
        return;
    }
    if (r->cand < 0 || r->cand >= q->ncand)
        return;
    struct kad_cand *c = &q->cand[r->cand];
    q->inflight--;
    if (!m) {
        c->state = C_FAIL;
        q->res.failed++;
        return;
    }
    c->state = C_DONE;
    q->res.queried++;
    int hop = c->hop;
    if (q->kind == Q_GET_VALUE && m->has_record) {
        uint64_t seq;
        if (m->rec_keylen != q->keylen || memcmp(m->rec_key, q->key, q->keylen) != 0)
            ks->c[KC_record_key_mismatch]++;
        else if (kad_kos_validate(m->rec_key, m->rec_keylen, m->rec_value, m->rec_valuelen, &seq) < 0)
            ks->c[KC_record_invalid]++;
        else {
            q->res.count++;
            int sel = q->val ? kad_kos_select(m->rec_value, m->rec_valuelen, q->val, q->vlen) : 1;
            if (sel > 0)
                for (int i = 0; i < q->nholders; i++)
                    q->holder_best[i] = false;
            if (q->nholders < KAD_K) {
                q->holder[q->nholders] = r->peer;
                q->holder_best[q->nholders++] = sel >= 0;
            }
            if (sel > 0) {
                uint8_t *v = malloc(m->rec_valuelen ? m->rec_valuelen : 1);
                if (v) {
                    memcpy(v, m->rec_value, m->rec_valuelen);
                    free(q->val);
                    q->val = v;
                    q->vlen = m->rec_valuelen;
                    q->val_from = r->peer.id;
                    q->found_hop = hop;
                }
            }
        }
    }
    if (q->kind == Q_GET_PROVIDERS)
        for (int i = 0; i < m->nproviders; i++)
            report_provider(ks, q, &m->providers[i], hop);
    for (int i = 0; i < m->ncloser; i++) {
        if (q->kind == Q_FIND_PEER && !q->have_hit && m->closer[i].naddrs > 0 &&
            memcmp(m->closer[i].id.b, q->key, q->keylen < P2P_PEERID_LEN ? q->keylen : P2P_PEERID_LEN) == 0 &&
            q->keylen == P2P_PEERID_LEN) {
            q->hit = m->closer[i];
            q->have_hit = true;
            q->found_hop = hop;
        }
        cand_add(ks, q, &m->closer[i], hop + 1);
    }
}

/* ---- the stream protocol ---- */

static void send_msg(struct kad_state *ks, struct stream *s, const struct kad_msg *m)
{
    static uint8_t out[KAD_MSG_MAX + 8];
    int len = kad_msg_encode(m, out, sizeof out);
    if (len > 0) {
        buf_append(&s->tx, out, (size_t)len);
        ks->c[KC_msg_out]++;
    }
}

/* A request from the peer on c; false when refused (nothing is answered). */
static bool serve(struct kad_state *ks, struct stream *s, const struct kad_msg *m)
{
    struct conn *c = s->c;
    uint64_t now = plat_now_ms();
    static struct kad_msg a;
    memset(&a, 0, sizeof a);
    a.type = m->type;
    a.key = m->key;
    a.keylen = m->keylen;
    uint8_t kid[32];
    if (m->type != KAD_PING && (m->keylen == 0 || m->keylen > KAD_KEY_MAX)) {
        ks->c[KC_bad_key]++;
        return false;
    }
    if (m->type != KAD_PING)
        kad_id(m->key, m->keylen, kid);
    switch (m->type) {
    case KAD_PING:
        break;
    case KAD_FIND_NODE:
        a.ncloser = kad_rt_closest(&ks->rt, kid, &c->remote, a.closer, KAD_K);
        break;
    case KAD_GET_VALUE: {
        struct kad_record *r = kad_store_get(&ks->st, m->key, m->keylen, now);
        if (r) {
            a.has_record = true;
            a.rec_key = r->key;
            a.rec_keylen = r->keylen;
            a.rec_value = r->value;
            a.rec_valuelen = r->vlen;
        }
        a.ncloser = kad_rt_closest(&ks->rt, kid, &c->remote, a.closer, KAD_K);
        break;
    }
    case KAD_PUT_VALUE: {
        if (!m->has_record) {
            ks->c[KC_bad_message]++;
            return false;
        }
        if (m->rec_keylen != m->keylen || memcmp(m->rec_key, m->key, m->keylen) != 0) {
            ks->c[KC_record_key_mismatch]++;
            return false;
        }
        int rc = kad_store_put(&ks->st, m->key, m->keylen, m->rec_value, m->rec_valuelen, &c->remote, false,
                               (uint64_t)m->rec_ttl_s * 1000, now);
        if (rc < 0) {
            count(ks, rc);
            return false;
        }
        ks->c[KC_records_stored]++;
        a.has_record = true;
        a.rec_key = m->rec_key;
        a.rec_keylen = m->rec_keylen;
        a.rec_value = m->rec_value;
        a.rec_valuelen = m->rec_valuelen;
        break;
    }
    case KAD_ADD_PROVIDER: {
        if (!kad_is_multihash(m->key, m->keylen)) {
            ks->c[KC_bad_key]++;
            return false;
        }
        for (int i = 0; i < m->nproviders; i++) {
            struct kad_peerinfo p = m->providers[i];
            if (!peerid_eq(&p.id, &c->remote)) {
                ks->c[KC_provider_not_sender]++;
                continue;
            }
            if (p.naddrs == 0) {
                ks->c[KC_provider_no_addr]++;
                continue;
            }
            int rc = kad_prov_add(&ks->st, m->key, m->keylen, &p, now);
            if (rc < 0)
                count(ks, rc);
            else
                ks->c[KC_providers_stored]++;
        }
        if (m->nproviders == 0)
            ks->c[KC_provider_no_addr]++;
        return true; /* no answer */
    }
    case KAD_GET_PROVIDERS: {
        if (!kad_is_multihash(m->key, m->keylen)) {
            ks->c[KC_bad_key]++;
            return false;
        }
        a.nproviders = kad_prov_get(&ks->st, m->key, m->keylen, now, a.providers, KAD_MSG_PEERS);
        for (int i = 0; i < a.nproviders; i++)
            if (peerid_eq(&a.providers[i].id, &ks->n->id))
                self_info(ks->n, c, &a.providers[i]);
        a.ncloser = kad_rt_closest(&ks->rt, kid, &c->remote, a.closer, KAD_K);
        break;
    }
    default:
        ks->c[KC_bad_type]++;
        return false;
    }
    send_msg(ks, s, &a);
    return true;
}

static void kad_started(struct stream *s)
{
    struct kad_state *ks = ks_of(s->c->node);
    struct kad_stream *x = stream_ctx(s, sizeof *x);
    if (!x)
        return;
    if (s->outbound && x->rpc) {
        buf_append(&s->tx, x->rpc->req, x->rpc->reqlen);
        ks->c[KC_msg_out]++;
        if (!x->rpc->expect_reply)
            x->rpc->fin_at = plat_now_ms() + KAD_FIN_DELAY_MS;
    }
}

static void kad_input(struct stream *s)
{
    struct kad_state *ks = ks_of(s->c->node);
    struct kad_stream *x = s->ctx;
    if (!x || x->bad || (s->outbound && !x->rpc)) {
        buf_consume(&s->rx, buf_used(&s->rx));
        if (s->fin_rcvd || (x && x->bad))
            s->want_fin = true;
        return;
    }
    while (buf_used(&s->rx) > 0) {
        size_t off, len;
        int f = kad_frame(buf_data(&s->rx), buf_used(&s->rx), &off, &len);
        if (f == 0)
            break;
        static struct kad_msg m;
        int d = f < 0 ? f : kad_msg_decode(&m, buf_data(&s->rx) + off, len);
        if (d == 0 && s->outbound && m.type != x->rpc->type)
            d = -KC_bad_type;
        if (d < 0) {
            count(ks, d);
            buf_consume(&s->rx, buf_used(&s->rx));
            if (s->outbound)
                rpc_finish(ks, x->rpc, NULL, KC_rpc_failed);
            else
                x->bad = true;
            s->want_fin = true;
            return;
        }
        ks->c[KC_msg_in]++;
        if (m.skipped_peers)
            ks->c[KC_peer_unsupported] += (uint64_t)m.skipped_peers;
        if (s->outbound) {
            int qid = x->rpc->qid;
            rpc_finish(ks, x->rpc, &m, 0);
            buf_consume(&s->rx, buf_used(&s->rx));
            /* The next requests of the lookup go out now, not at the next tick. */
            struct kad_query *q = qid ? query_by_id(ks, qid) : NULL;
            if (q)
                query_step(ks, q, plat_now_ms());
            return;
        }
        bool ok = serve(ks, s, &m);
        buf_consume(&s->rx, off + len);
        if (!ok) {
            /* Refused: no answer; the asker sees the stream close. */
            x->bad = true;
            buf_consume(&s->rx, buf_used(&s->rx));
            s->want_fin = true;
            return;
        }
    }
    /* Our side closes after the asker's: js-libp2p reads the answer only while
     * its side is open, and it closes after reading it. */
    if (s->fin_rcvd) {
        s->want_fin = true;
        if (s->outbound && x->rpc && x->rpc->expect_reply)
            rpc_finish(ks, x->rpc, NULL, KC_rpc_failed);
    }
}

static void kad_closed(struct stream *s)
{
    struct kad_stream *x = s->ctx;
    if (x && x->rpc) {
        struct kad_rpc *r = x->rpc;
        r->s = NULL;
        x->rpc = NULL;
        struct kad_state *ks = ks_of(s->c->node);
        if (r->fin_at) {
            struct kad_msg none;
            memset(&none, 0, sizeof none);
            none.type = r->type;
            rpc_finish(ks, r, &none, 0);
        } else {
            rpc_finish(ks, r, NULL, KC_rpc_failed);
        }
    }
    free(x);
    s->ctx = NULL;
}

static const struct proto_def kad_proto = {kad_proto_id, kad_started, kad_input, kad_closed};

/* ---- the C API ---- */

static int api_query(struct node *n, enum qkind kind, const uint8_t *key, size_t keylen, int ctl, kad_peer_fn found, kad_done_fn done,
                     void *arg)
{
    struct kad_state *ks = ks_of(n);
    if (!ks)
        return -1;
    struct kad_query *q = query_new(ks, kind, key, keylen, ctl);
    if (!q)
        return -1;
    q->found = found;
    q->done = done;
    q->arg = arg;
    return q->id;
}

static int provide_key(struct kad_state *ks, const uint8_t *key, size_t keylen, int ctl, const char *label)
{
    if (!kad_is_multihash(key, keylen))
        return -1;
    uint64_t now = plat_now_ms();
    struct kad_provided *slot = NULL;
    for (int i = 0; i < KAD_MAX_PROVIDED; i++) {
        struct kad_provided *p = &ks->provided[i];
        if (p->used && p->keylen == keylen && memcmp(p->key, key, keylen) == 0)
            slot = p;
    }
    for (int i = 0; i < KAD_MAX_PROVIDED && !slot; i++)
        if (!ks->provided[i].used)
            slot = &ks->provided[i];
    if (!slot)
        return -1;
    struct kad_peerinfo self;
    self_info(ks->n, NULL, &self);
    if (kad_prov_add(&ks->st, key, keylen, &self, now) < 0)
        return -1;
    struct kad_query *q = query_new(ks, Q_PROVIDE, key, keylen, ctl);
    if (!q)
        return -1;
    if (label)
        snprintf(q->label, sizeof q->label, "%s", label);
    slot->used = true;
    memcpy(slot->key, key, keylen);
    slot->keylen = keylen;
    slot->next_ms = now + ks->republish_ms;
    return 0;
}

int kad_provide(struct node *n, const uint8_t *key, size_t keylen)
{
    struct kad_state *ks = ks_of(n);
    return ks ? provide_key(ks, key, keylen, -1, NULL) : -1;
}

int kad_find_providers(struct node *n, const uint8_t *key, size_t keylen, int max, kad_peer_fn found, kad_done_fn done, void *arg)
{
    if (!kad_is_multihash(key, keylen))
        return -1;
    int id = api_query(n, Q_GET_PROVIDERS, key, keylen, -1, found, done, arg);
    if (id > 0 && max > 0)
        query_by_id(ks_of(n), id)->max = max;
    return id;
}

int kad_find_closest(struct node *n, const uint8_t *key, size_t keylen, kad_peer_fn found, kad_done_fn done, void *arg)
{
    return api_query(n, Q_FIND_NODE, key, keylen, -1, found, done, arg);
}

void kad_cancel(struct node *n, int query)
{
    struct kad_state *ks = ks_of(n);
    struct kad_query *q = ks ? query_by_id(ks, query) : NULL;
    if (q)
        query_free(ks, q);
}

/* ---- control commands ---- */

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* A CID in text (CIDv0 "Qm..." base58btc, CIDv1 multibase 'b' base32 or 'z'
 * base58btc) to its multihash bytes: the provider key. Returns the length or -1. */
static int cid_multihash(const char *s, uint8_t *out, size_t cap)
{
    uint8_t raw[128];
    int n = -1;
    if (s[0] == 'Q' && s[1] == 'm') {
        n = base58_decode(raw, sizeof raw, s);
        if (n != 34 || raw[0] != 0x12 || raw[1] != 0x20)
            return -1;
        memcpy(out, raw, 34);
        return 34;
    }
    if (s[0] == 'z') {
        n = base58_decode(raw, sizeof raw, s + 1);
    } else if (s[0] == 'b') {
        uint32_t acc = 0;
        int bits = 0;
        n = 0;
        for (const char *p = s + 1; *p; p++) {
            const char *d = strchr(B32, *p);
            if (!d || !*p || n >= (int)sizeof raw)
                return -1;
            acc = acc << 5 | (uint32_t)(d - B32);
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                raw[n++] = (uint8_t)(acc >> bits);
            }
        }
    }
    if (n <= 0)
        return -1;
    uint64_t ver, codec;
    int a = uvarint_get(raw, (size_t)n, &ver);
    if (a <= 0 || ver != 1)
        return -1;
    int b = uvarint_get(raw + a, (size_t)n - (size_t)a, &codec);
    if (b <= 0)
        return -1;
    size_t mhlen = (size_t)n - (size_t)a - (size_t)b;
    if (!kad_is_multihash(raw + a + b, mhlen) || mhlen > cap)
        return -1;
    memcpy(out, raw + a + b, mhlen);
    return (int)mhlen;
}

static void cmd_put(struct node *n, int ctl, int argc, char **argv)
{
    struct kad_state *ks = ks_of(n);
    const char *key = argv[1];
    size_t klen = strlen(key);
    uint64_t now = plat_now_ms();
    uint64_t seq = 1;
    struct kad_record *old = kad_store_get(&ks->st, (const uint8_t *)key, klen, now);
    if (old)
        seq = old->seq + 1;
    if (argc == 4)
        seq = (uint64_t)p2p_atol(argv[3]);
    static char val[KAD_VALUE_MAX + 32];
    int vlen = snprintf(val, sizeof val, "%lu:%s", (unsigned long)seq, argv[2]);
    int rc = vlen < 0 || vlen >= (int)sizeof val ? -KC_record_too_big
                                                 : kad_store_put(&ks->st, (const uint8_t *)key, klen, (const uint8_t *)val, (size_t)vlen, &n->id, true, 0, now);
    if (rc < 0) {
        node_replyf(n, ctl, "error put %s: %s", key, kad_counter_name[-rc]);
        return;
    }
    struct kad_query *q = query_new(ks, Q_PUT, (const uint8_t *)key, klen, ctl);
    if (!q || !(q->put_val = malloc((size_t)vlen))) {
        if (q)
            query_free(ks, q);
        node_replyf(n, ctl, "error put: too many lookups running");
        return;
    }
    memcpy(q->put_val, val, (size_t)vlen);
    q->put_vlen = (size_t)vlen;
    node_replyf(n, ctl, "seq %lu", (unsigned long)seq);
}

static void cmd_get(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    if (strncmp(argv[1], KAD_NS, sizeof KAD_NS - 1) != 0) {
        node_replyf(n, ctl, "error get: keys are in the %s namespace", KAD_NS);
        return;
    }
    if (api_query(n, Q_GET_VALUE, (const uint8_t *)argv[1], strlen(argv[1]), ctl, NULL, NULL, NULL) < 0)
        node_replyf(n, ctl, "error get: too many lookups running");
}

static void cmd_provide(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    uint8_t mh[KAD_MH_MAX];
    int k = cid_multihash(argv[1], mh, sizeof mh);
    if (k < 0) {
        node_replyf(n, ctl, "error provide: not a CID (Qm... or b...)");
        return;
    }
    if (provide_key(ks_of(n), mh, (size_t)k, ctl, argv[1]) < 0)
        node_replyf(n, ctl, "error provide: too many provided keys or lookups");
}

static void cmd_providers(struct node *n, int ctl, int argc, char **argv)
{
    uint8_t mh[KAD_MH_MAX];
    int k = cid_multihash(argv[1], mh, sizeof mh);
    if (k < 0) {
        node_replyf(n, ctl, "error providers: not a CID (Qm... or b...)");
        return;
    }
    int id = api_query(n, Q_GET_PROVIDERS, mh, (size_t)k, ctl, NULL, NULL, NULL);
    if (id < 0) {
        node_replyf(n, ctl, "error providers: too many lookups running");
        return;
    }
    struct kad_query *q = query_by_id(ks_of(n), id);
    snprintf(q->label, sizeof q->label, "%s", argv[1]);
    if (argc == 3 && p2p_atol(argv[2]) > 0)
        q->max = (int)p2p_atol(argv[2]);
}

static void cmd_findpeer(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    struct peerid id;
    if (peerid_parse(&id, argv[1]) < 0) {
        node_replyf(n, ctl, "error findpeer: bad PeerId");
        return;
    }
    if (api_query(n, Q_FIND_PEER, id.b, P2P_PEERID_LEN, ctl, NULL, NULL, NULL) < 0)
        node_replyf(n, ctl, "error findpeer: too many lookups running");
}

static void cmd_closest(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    struct peerid id;
    /* A PeerId is looked up by its bytes (as FIND_NODE does), anything else by its text. */
    int rc = peerid_parse(&id, argv[1]) == 0 ? api_query(n, Q_FIND_NODE, id.b, P2P_PEERID_LEN, ctl, NULL, NULL, NULL)
                                              : api_query(n, Q_FIND_NODE, (const uint8_t *)argv[1], strlen(argv[1]), ctl, NULL, NULL, NULL);
    if (rc < 0)
        node_replyf(n, ctl, "error closest: too many lookups running");
}

static void cmd_routing(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct kad_state *ks = ks_of(n);
    uint64_t now = plat_now_ms();
    for (int i = 0; i < KAD_RT_MAX; i++) {
        struct kad_entry *e = &ks->rt.e[i];
        if (!e->used)
            continue;
        char id[P2P_PEERID_STR], addr[96];
        peer_text(&e->p, id, addr, sizeof addr);
        node_replyf(n, ctl, "peer %s %s bucket=%d fails=%d seen_s=%lu", id, addr, kad_cpl(ks->rt.self, e->kid), e->fails,
              (unsigned long)((now - e->seen_ms) / 1000));
    }
    node_replyf(n, ctl, "ok %d peers", ks->rt.count);
}

static void cmd_kadstats(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct kad_state *ks = ks_of(n);
    char line[1400];
    int k = snprintf(line, sizeof line,
                     "kadstats protocol=%s peers=%d records=%d providers=%d ttl_s=%lu provider_ttl_s=%lu republish_s=%lu replicate_s=%lu "
                     "refresh_s=%lu timeout_ms=%lu",
                     kad_proto_id, ks->rt.count, ks->st.nrec, ks->st.nprov, (unsigned long)(ks->ttl_ms / 1000),
                     (unsigned long)(ks->prov_ttl_ms / 1000), (unsigned long)(ks->republish_ms / 1000),
                     (unsigned long)(ks->replicate_ms / 1000), (unsigned long)(ks->refresh_ms / 1000), (unsigned long)ks->timeout_ms);
    for (int i = 0; i < KC_COUNT && k > 0 && (size_t)k < sizeof line; i++)
        k += snprintf(line + k, sizeof line - (size_t)k, " %s=%lu", kad_counter_name[i], (unsigned long)ks->c[i]);
    node_reply(n, ctl, line);
    node_reply(n, ctl, "ok");
}

/* ---- module hooks ---- */

static int kad_option(struct node *n, const char *key, const char *value)
{
    struct kad_state *ks = ks_of(n);
    if (strcmp(key, "kad_protocol") == 0) {
        if (value[0] != '/' || strlen(value) >= sizeof kad_proto_id || strchr(value, ' ')) {
            plat_log("p2pd: kad_protocol must be /NAME (under %d bytes)", (int)sizeof kad_proto_id);
            return -1;
        }
        strcpy(kad_proto_id, value);
        return 1;
    }
    static const char *const keys[] = {"kad_ttl", "kad_provider_ttl", "kad_republish", "kad_replicate", "kad_refresh", "kad_timeout"};
    uint64_t *slots[] = {&ks->ttl_ms, &ks->prov_ttl_ms, &ks->republish_ms, &ks->replicate_ms, &ks->refresh_ms, &ks->timeout_ms};
    uint64_t *slot = NULL;
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            slot = slots[i];
    if (!slot)
        return 0;
    long v = p2p_atol(value);
    if (v <= 0 || value[0] < '0' || value[0] > '9' || v > 1000000000) {
        plat_log("p2pd: %s needs a positive number (kad_timeout: ms; the others: seconds)", key);
        return -1;
    }
    *slot = slot == &ks->timeout_ms ? (uint64_t)v : (uint64_t)v * 1000;
    return 1;
}

static int kad_start(struct node *n)
{
    struct kad_state *ks = ks_of(n);
    ks->n = n;
    if (!ks->ttl_ms)
        ks->ttl_ms = 48ull * 3600 * 1000;
    if (!ks->prov_ttl_ms)
        ks->prov_ttl_ms = 24ull * 3600 * 1000;
    if (!ks->republish_ms)
        ks->republish_ms = 22ull * 3600 * 1000;
    if (!ks->replicate_ms)
        ks->replicate_ms = 3600ull * 1000;
    if (!ks->refresh_ms)
        ks->refresh_ms = 10ull * 60 * 1000;
    if (!ks->timeout_ms)
        ks->timeout_ms = 10000;
    ks->st.ttl_ms = ks->ttl_ms;
    ks->st.prov_ttl_ms = ks->prov_ttl_ms;
    ks->st.republish_ms = ks->republish_ms;
    ks->st.replicate_ms = ks->replicate_ms;
    kad_rt_init(&ks->rt, &n->id);
    uint64_t now = plat_now_ms();
    ks->next_refresh = now + ks->refresh_ms;
    ks->next_house = now + 1000;
    return 0;
}

/* Whether a comma-separated identify protocol list names ours. */
static bool lists_protocol(const char *list)
{
    size_t n = strlen(kad_proto_id);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, kad_proto_id, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static void kad_peer_up(struct conn *c)
{
    struct node *n = c->node;
    struct kad_state *ks = ks_of(n);
    if (!ks || !lists_protocol(c->info.protocols))
        return;
    struct kad_peerinfo p;
    memset(&p, 0, sizeof p);
    p.id = c->remote;
    /* Its listen addresses from identify; the dialled address when we dialled. */
    if (c->dialer)
        p.addrs[p.naddrs++] = (struct maddr){.ip = c->rip, .port = c->rport};
    for (const char *s = c->info.listen; *s && p.naddrs < KAD_MAX_ADDRS;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char one[128];
        struct maddr m;
        if (len < sizeof one) {
            memcpy(one, s, len);
            one[len] = 0;
            bool dup = false;
            if (maddr_parse(&m, one) == 0 && m.port != 0) {
                for (int i = 0; i < p.naddrs; i++)
                    dup = dup || (p.addrs[i].ip == m.ip && p.addrs[i].port == m.port);
                m.has_peer = false;
                if (!dup)
                    p.addrs[p.naddrs++] = m;
            }
        }
        if (!e)
            break;
        s = e + 1;
    }
    bool empty = ks->rt.count == 0;
    rt_add(ks, &p);
    /* The first peer: look ourselves up soon, which fills the table from it. */
    if (empty && ks->rt.count > 0 && !ks->bootstrap_at)
        ks->bootstrap_at = plat_now_ms() + 500;
}

static void kad_ctl_gone(struct node *n, int ctl)
{
    struct kad_state *ks = ks_of(n);
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        if (ks->q[i] && ks->q[i]->ctl == ctl)
            ks->q[i]->ctl = -1; /* a put or provide still goes out; a lookup ends unheard */
}

static void refresh_buckets(struct kad_state *ks, uint64_t now)
{
    query_new(ks, Q_FIND_NODE, ks->n->id.b, P2P_PEERID_LEN, -1);
    ks->c[KC_refreshes]++;
    int top = 0;
    for (int i = 0; i < KAD_RT_MAX; i++)
        if (ks->rt.e[i].used) {
            int c = kad_cpl(ks->rt.self, ks->rt.e[i].kid);
            if (c > top)
                top = c;
        }
    if (top > KAD_REFRESH_MAX_CPL)
        top = KAD_REFRESH_MAX_CPL;
    for (int b = 0; b <= top; b++) {
        if (now - ks->rt.refreshed_ms[b] < ks->refresh_ms || query_slot(ks) < 0)
            continue;
        /* A random key whose id falls in bucket b (2^(b+1) tries on average). */
        uint8_t key[16], kid[32];
        for (int tries = 0; tries < (4 << KAD_REFRESH_MAX_CPL); tries++) {
            plat_random(key, sizeof key);
            kad_id(key, sizeof key, kid);
            if (kad_cpl(ks->rt.self, kid) == b) {
                query_new(ks, Q_FIND_NODE, key, sizeof key, -1);
                ks->c[KC_refreshes]++;
                break;
            }
        }
    }
}

/* Whether a periodic job may start a lookup: it leaves half the slots free. */
static bool background_room(struct kad_state *ks)
{
    int used = 0;
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        used += ks->q[i] != NULL;
    return used < KAD_MAX_QUERIES / 2;
}

static void housekeeping(struct kad_state *ks, uint64_t now)
{
    int prov = 0;
    ks->c[KC_records_expired] += (uint64_t)kad_store_expire(&ks->st, now, &prov);
    ks->c[KC_providers_expired] += (uint64_t)prov;
    /* Records due go to the k closest this node now knows: its own ones
     * republished with a fresh lifetime, held ones re-replicated with what is
     * left of theirs (so a value outlives its putter and some holders, never
     * its TTL). Half the lookup slots stay free for the commands. */
    struct kad_record *r;
    while ((r = kad_store_due(&ks->st, now)) && background_room(ks)) {
        bool mine = r->mine;
        uint64_t life = kad_store_sent(&ks->st, r, now);
        if (life < 1000)
            continue; /* under a second left: not worth a lookup; it expires here soon */
        struct kad_query *q = query_new(ks, Q_PUT, r->key, r->keylen, -1);
        if (!q || !(q->put_val = malloc(r->vlen ? r->vlen : 1))) {
            if (q)
                query_free(ks, q);
            break;
        }
        memcpy(q->put_val, r->value, r->vlen);
        q->put_vlen = r->vlen;
        q->put_ttl_s = mine ? 0 : (uint32_t)(life / 1000);
        ks->c[mine ? KC_republished : KC_replicated]++;
    }
    for (int i = 0; i < KAD_MAX_PROVIDED; i++) {
        struct kad_provided *p = &ks->provided[i];
        if (!p->used || now < p->next_ms || !background_room(ks))
            continue;
        struct kad_peerinfo self;
        self_info(ks->n, NULL, &self);
        kad_prov_add(&ks->st, p->key, p->keylen, &self, now);
        if (query_new(ks, Q_PROVIDE, p->key, p->keylen, -1)) {
            p->next_ms = now + ks->republish_ms;
            ks->c[KC_republished]++;
        }
    }
}

static void kad_tick(struct node *n)
{
    struct kad_state *ks = ks_of(n);
    uint64_t now = plat_now_ms();
    for (int i = 0; i < KAD_MAX_RPCS; i++)
        if (ks->rpc[i].state != R_FREE)
            rpc_step(ks, &ks->rpc[i], now);
    for (int i = 0; i < KAD_MAX_QUERIES; i++)
        if (ks->q[i])
            query_step(ks, ks->q[i], now);
    if (ks->bootstrap_at && now >= ks->bootstrap_at && query_slot(ks) >= 0) {
        ks->bootstrap_at = 0;
        query_new(ks, Q_FIND_NODE, n->id.b, P2P_PEERID_LEN, -1);
    }
    if (now >= ks->next_house) {
        ks->next_house = now + 1000;
        housekeeping(ks, now);
    }
    if (now >= ks->next_refresh) {
        ks->next_refresh = now + ks->refresh_ms;
        if (ks->rt.count > 0)
            refresh_buckets(ks, now);
    }
}

NODE_MODULE(kad, sizeof(struct kad_state), .protos = NODE_PROTOS(&kad_proto),
            .cmds = NODE_CMDS({"put", 2, 3, "put KEY VALUE [SEQ]", cmd_put},
                              {"getvalue", 1, 1, "getvalue KEY", cmd_get}, /* "get" is the files module's (a CID) */
                              {"provide", 1, 1, "provide CID", cmd_provide},
                              {"providers", 1, 2, "providers CID [MAX]", cmd_providers},
                              {"findpeer", 1, 1, "findpeer PEERID", cmd_findpeer},
                              {"closest", 1, 1, "closest KEY|PEERID", cmd_closest},
                              {"routing", 0, 0, "routing", cmd_routing},
                              {"kadstats", 0, 0, "kadstats", cmd_kadstats}),
            .option = kad_option, .start = kad_start, .tick = kad_tick, .peer_up = kad_peer_up, .ctl_gone = kad_ctl_gone);
