/* XOR distance over SHA-256 ids and the k-buckets (Kademlia; libp2p
 * kad-dht: a peer's id is SHA-256 of its PeerId bytes, a key's is SHA-256 of
 * the key). Bucket i holds the peers whose id shares exactly i leading bits
 * with ours, at most KAD_K of them. A full bucket takes a newcomer only in
 * place of a peer whose last requests failed; otherwise the newcomer is
 * turned away (long-lived peers are the likelier to stay). */
#include "core/kad_int.h"
#include "crypto/sha2.h"

void kad_id(const uint8_t *key, size_t n, uint8_t out[32])
{
    sha256(key, n, out);
}

int kad_cpl(const uint8_t a[32], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x) {
            int bits = 0;
            while (!(x & 0x80)) {
                x <<= 1;
                bits++;
            }
            return i * 8 + bits;
        }
    }
    return 256;
}

int kad_cmp(const uint8_t t[32], const uint8_t a[32], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++) {
        uint8_t da = a[i] ^ t[i], db = b[i] ^ t[i];
        if (da != db)
            return da < db ? -1 : 1;
    }
    return 0;
}

void kad_rt_init(struct kad_rt *rt, const struct peerid *self)
{
    memset(rt, 0, sizeof *rt);
    rt->self_id = *self;
    kad_id(self->b, P2P_PEERID_LEN, rt->self);
}

struct kad_entry *kad_rt_find(struct kad_rt *rt, const struct peerid *id)
{
    for (int i = 0; i < KAD_RT_MAX; i++)
        if (rt->e[i].used && peerid_eq(&rt->e[i].p.id, id))
            return &rt->e[i];
    return NULL;
}

int kad_rt_bucket_size(const struct kad_rt *rt, int cpl)
{
    int n = 0;
    for (int i = 0; i < KAD_RT_MAX; i++)
        if (rt->e[i].used && kad_cpl(rt->self, rt->e[i].kid) == cpl)
            n++;
    return n;
}

static void merge_addrs(struct kad_peerinfo *dst, const struct kad_peerinfo *src)
{
    if (src->naddrs > 0) {
        dst->naddrs = src->naddrs;
        memcpy(dst->addrs, src->addrs, sizeof dst->addrs);
    }
}

int kad_rt_add(struct kad_rt *rt, const struct kad_peerinfo *p, uint64_t now)
{
    if (peerid_eq(&p->id, &rt->self_id))
        return KAD_RT_SELF;
    struct kad_entry *e = kad_rt_find(rt, &p->id);
    if (e) {
        merge_addrs(&e->p, p);
        e->seen_ms = now;
        e->fails = 0;
        return KAD_RT_UPDATED;
    }
    uint8_t kid[32];
    kad_id(p->id.b, P2P_PEERID_LEN, kid);
    int cpl = kad_cpl(rt->self, kid);
    struct kad_entry *slot = NULL, *stale = NULL;
    int in_bucket = 0;
    for (int i = 0; i < KAD_RT_MAX; i++) {
        struct kad_entry *x = &rt->e[i];
        if (!x->used) {
            if (!slot)
                slot = x;
            continue;
        }
        if (kad_cpl(rt->self, x->kid) != cpl)
            continue;
        in_bucket++;
        if (x->fails > 0 && (!stale || x->fails > stale->fails))
            stale = x;
    }
    int rc = KAD_RT_ADDED;
    if (in_bucket >= KAD_K || !slot) {
        if (!stale)
            return KAD_RT_FULL;
        slot = stale;
        rt->count--;
        rc = KAD_RT_EVICTED;
    }
    memset(slot, 0, sizeof *slot);
    slot->used = true;
    slot->p.id = p->id;
    merge_addrs(&slot->p, p);
    memcpy(slot->kid, kid, 32);
    slot->added_ms = slot->seen_ms = now;
    rt->count++;
    return rc;
}

void kad_rt_remove(struct kad_rt *rt, const struct peerid *id)
{
    struct kad_entry *e = kad_rt_find(rt, id);
    if (e) {
        memset(e, 0, sizeof *e);
        rt->count--;
    }
}

bool kad_rt_fail(struct kad_rt *rt, const struct peerid *id)
{
    struct kad_entry *e = kad_rt_find(rt, id);
    if (!e)
        return false;
    if (++e->fails < KAD_MAX_FAILS)
        return false;
    kad_rt_remove(rt, id);
    return true;
}

int kad_rt_closest(const struct kad_rt *rt, const uint8_t target[32], const struct peerid *skip, struct kad_peerinfo *out,
                   int max)
{
    /* Insertion into a sorted list of indexes: the table is small. */
    int idx[KAD_RT_MAX], n = 0;
    if (max <= 0)
        return 0;
    for (int i = 0; i < KAD_RT_MAX; i++) {
        const struct kad_entry *x = &rt->e[i];
        if (!x->used || (skip && peerid_eq(&x->p.id, skip)))
            continue;
        int j = n < max ? n++ : max;
        if (j == max && kad_cmp(target, x->kid, rt->e[idx[max - 1]].kid) >= 0)
            continue;
        if (j == max)
            j = max - 1;
        while (j > 0 && kad_cmp(target, x->kid, rt->e[idx[j - 1]].kid) < 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (int i = 0; i < n; i++)
        out[i] = rt->e[idx[i]].p;
    return n;
}
