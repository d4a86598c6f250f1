/* Per-peer Bitswap wantlists (see bitswap_ledger.h). An unsorted array per
 * peer: a wantlist is at most LEDGER_PER_PEER entries, and a linear scan of
 * that is cheaper than keeping an index in step with every cancel. */
#include "core/bitswap_ledger.h"
#include "core/buf.h"

struct lentry *ledger_find(struct ledger *l, const struct cid *c)
{
    for (int i = 0; i < l->n; i++)
        if (cid_eq(&l->e[i].cid, c))
            return &l->e[i];
    return NULL;
}

int ledger_want(struct ledger *l, struct ledger_pool *p, const struct bsw_entry *e, struct lentry **out)
{
    struct lentry *x = ledger_find(l, &e->cid);
    if (x) {
        if (e->type == BSW_WANT_BLOCK)
            x->type = BSW_WANT_BLOCK;
        x->priority = e->priority;
        x->send_dont_have = e->send_dont_have;
        *out = x;
        return LEDGER_UPDATED;
    }
    int per_peer = p->per_peer ? p->per_peer : LEDGER_PER_PEER;
    int max_total = p->max_total ? p->max_total : LEDGER_TOTAL;
    if (l->n >= per_peer || p->total >= max_total)
        return LEDGER_REFUSED;
    struct lentry *grown = array_grow(l->e, l->n, &l->cap, sizeof *grown, 16);
    if (!grown)
        return LEDGER_REFUSED;
    l->e = grown;
    x = &l->e[l->n++];
    memset(x, 0, sizeof *x);
    x->cid = e->cid;
    x->priority = e->priority;
    x->type = (uint8_t)e->type;
    x->send_dont_have = e->send_dont_have;
    x->seq = ++p->seq;
    p->total++;
    *out = x;
    return LEDGER_ADDED;
}

void ledger_remove(struct ledger *l, struct ledger_pool *p, struct lentry *e)
{
    int i = (int)(e - l->e);
    if (i < 0 || i >= l->n)
        return;
    l->e[i] = l->e[--l->n]; /* order does not matter: seq keeps it */
    p->total--;
}

bool ledger_cancel(struct ledger *l, struct ledger_pool *p, const struct cid *c)
{
    struct lentry *x = ledger_find(l, c);
    if (!x)
        return false;
    ledger_remove(l, p, x);
    return true;
}

struct lentry *ledger_next_ready(struct ledger *l)
{
    struct lentry *best = NULL;
    for (int i = 0; i < l->n; i++) {
        struct lentry *x = &l->e[i];
        if (!x->ready)
            continue;
        if (!best || x->priority > best->priority || (x->priority == best->priority && x->seq < best->seq))
            best = x;
    }
    return best;
}

void ledger_clear(struct ledger *l, struct ledger_pool *p)
{
    p->total -= l->n;
    free(l->e);
    memset(l, 0, sizeof *l);
}
