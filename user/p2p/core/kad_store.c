/* The records and provider records a node keeps, with the /kos/ namespace's
 * validator and selector. Both stores are bounded (KAD_MAX_RECORDS,
 * KAD_MAX_PROVIDERS, KAD_KEY_PROVIDERS per key, KAD_PEER_RECORDS per sending
 * peer, so one peer's flood cannot fill the store). A record lives ttl_ms
 * from its originator's last (re)publish: copies passed on by a holder carry
 * what is left of that lifetime, so no copy outlives the original. Provider
 * entries live prov_ttl_ms from the provider's last ADD_PROVIDER. */
#include "core/kad_int.h"

int kad_kos_validate(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, uint64_t *seq)
{
    const size_t ns = sizeof KAD_NS - 1;
    if (klen <= ns || klen > KAD_KEY_MAX || memcmp(key, KAD_NS, ns) != 0)
        return -KC_record_invalid;
    for (size_t i = ns; i < klen; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return -KC_record_invalid;
    if (vlen > KAD_VALUE_MAX)
        return -KC_record_too_big;
    size_t i = 0;
    uint64_t s = 0;
    while (i < vlen && val[i] >= '0' && val[i] <= '9' && i < 18)
        s = s * 10 + (uint64_t)(val[i++] - '0');
    if (i == 0 || i >= vlen || val[i] != ':' || (val[0] == '0' && i > 1))
        return -KC_record_invalid;
    for (size_t j = i + 1; j < vlen; j++)
        if (val[j] < 0x20 || val[j] > 0x7e)
            return -KC_record_invalid;
    if (seq)
        *seq = s;
    return 0;
}

int kad_kos_select(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint64_t sa = 0, sb = 0;
    if (kad_kos_validate((const uint8_t *)KAD_NS "x", sizeof KAD_NS, a, alen, &sa) < 0)
        return -1;
    if (kad_kos_validate((const uint8_t *)KAD_NS "x", sizeof KAD_NS, b, blen, &sb) < 0)
        return 1;
    if (sa != sb)
        return sa > sb ? 1 : -1;
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c)
        return c > 0 ? 1 : -1;
    return alen == blen ? 0 : alen > blen ? 1 : -1;
}

static struct kad_record *find_record(struct kad_store *st, const uint8_t *key, size_t klen)
{
    for (int i = 0; i < KAD_MAX_RECORDS; i++) {
        struct kad_record *r = &st->rec[i];
        if (r->used && r->keylen == klen && memcmp(r->key, key, klen) == 0)
            return r;
    }
    return NULL;
}

static void record_free(struct kad_store *st, struct kad_record *r)
{
    free(r->value);
    memset(r, 0, sizeof *r);
    st->nrec--;
}

int kad_store_put(struct kad_store *st, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                  const struct peerid *from, bool mine, uint64_t ttl_ms, uint64_t now)
{
    uint64_t life = ttl_ms && ttl_ms < st->ttl_ms ? ttl_ms : st->ttl_ms;
    uint64_t seq;
    int v = kad_kos_validate(key, klen, val, vlen, &seq);
    if (v < 0)
        return v;
    struct kad_record *r = find_record(st, key, klen);
    if (r && r->expires_ms <= now) {
        record_free(st, r);
        r = NULL;
    }
    if (r) {
        int sel = kad_kos_select(val, vlen, r->value, r->vlen);
        if (sel < 0)
            return -KC_record_stale;
        if (sel == 0) {
            if (now + life > r->expires_ms)
                r->expires_ms = now + life;
            if (mine && !r->mine)
                r->next_ms = now + st->republish_ms;
            else if (!r->mine)
                r->next_ms = now + st->replicate_ms; /* the sender sent it to the others too */
            r->mine = r->mine || mine;
            return 0;
        }
    }
    if (!mine && (!r || !peerid_eq(&r->from, from))) {
        int held = 0;
        for (int i = 0; i < KAD_MAX_RECORDS; i++)
            if (st->rec[i].used && !st->rec[i].mine && peerid_eq(&st->rec[i].from, from))
                held++;
        if (held >= KAD_PEER_RECORDS)
            return -KC_put_quota;
    }
    if (!r) {
        for (int i = 0; i < KAD_MAX_RECORDS && !r; i++)
            if (!st->rec[i].used)
                r = &st->rec[i];
        if (!r)
            return -KC_store_full;
        r->used = true;
        memcpy(r->key, key, klen);
        r->keylen = klen;
        st->nrec++;
    }
    uint8_t *copy = malloc(vlen ? vlen : 1);
    if (!copy) {
        if (!r->value)
            record_free(st, r);
        return -KC_store_full;
    }
    memcpy(copy, val, vlen);
    free(r->value);
    r->value = copy;
    r->vlen = vlen;
    r->seq = seq;
    r->from = *from;
    r->mine = mine;
    r->stored_ms = now;
    r->expires_ms = now + life;
    r->next_ms = now + (mine ? st->republish_ms : st->replicate_ms);
    return 0;
}

struct kad_record *kad_store_due(struct kad_store *st, uint64_t now)
{
    for (int i = 0; i < KAD_MAX_RECORDS; i++) {
        struct kad_record *r = &st->rec[i];
        if (r->used && r->expires_ms > now && r->next_ms <= now)
            return r;
    }
    return NULL;
}

uint64_t kad_store_sent(struct kad_store *st, struct kad_record *r, uint64_t now)
{
    if (r->mine) {
        r->expires_ms = now + st->ttl_ms;
        r->next_ms = now + st->republish_ms;
    } else {
        r->next_ms = now + st->replicate_ms;
    }
    return r->expires_ms > now ? r->expires_ms - now : 0;
}

struct kad_record *kad_store_get(struct kad_store *st, const uint8_t *key, size_t klen, uint64_t now)
{
    struct kad_record *r = find_record(st, key, klen);
    if (r && r->expires_ms <= now) {
        record_free(st, r);
        return NULL;
    }
    return r;
}

bool kad_is_multihash(const uint8_t *key, size_t n)
{
    uint64_t code, len;
    int a = uvarint_get(key, n, &code);
    if (a <= 0 || n > KAD_MH_MAX)
        return false;
    int b = uvarint_get(key + a, n - (size_t)a, &len);
    return b > 0 && len <= 64 && n - (size_t)a - (size_t)b == len;
}

int kad_prov_add(struct kad_store *st, const uint8_t *key, size_t klen, const struct kad_peerinfo *p, uint64_t now)
{
    if (!kad_is_multihash(key, klen))
        return -KC_bad_key;
    struct kad_provider *free_slot = NULL;
    int for_key = 0;
    for (int i = 0; i < KAD_MAX_PROVIDERS; i++) {
        struct kad_provider *x = &st->prov[i];
        if (x->used && x->expires_ms <= now) {
            memset(x, 0, sizeof *x);
            st->nprov--;
        }
        if (!x->used) {
            if (!free_slot)
                free_slot = x;
            continue;
        }
        if (x->keylen != klen || memcmp(x->key, key, klen) != 0)
            continue;
        if (peerid_eq(&x->p.id, &p->id)) {
            if (p->naddrs > 0)
                x->p = *p;
            x->expires_ms = now + st->prov_ttl_ms;
            return 0;
        }
        for_key++;
    }
    if (for_key >= KAD_KEY_PROVIDERS || !free_slot)
        return -KC_provider_full;
    free_slot->used = true;
    memcpy(free_slot->key, key, klen);
    free_slot->keylen = klen;
    free_slot->p = *p;
    free_slot->expires_ms = now + st->prov_ttl_ms;
    st->nprov++;
    return 0;
}

int kad_prov_get(struct kad_store *st, const uint8_t *key, size_t klen, uint64_t now, struct kad_peerinfo *out, int max)
{
    int n = 0;
    for (int i = 0; i < KAD_MAX_PROVIDERS && n < max; i++) {
        struct kad_provider *x = &st->prov[i];
        if (x->used && x->expires_ms > now && x->keylen == klen && memcmp(x->key, key, klen) == 0)
            out[n++] = x->p;
    }
    return n;
}

int kad_store_expire(struct kad_store *st, uint64_t now, int *prov)
{
    int recs = 0;
    for (int i = 0; i < KAD_MAX_RECORDS; i++) {
        if (st->rec[i].used && st->rec[i].expires_ms <= now) {
            record_free(st, &st->rec[i]);
            recs++;
        }
    }
    for (int i = 0; i < KAD_MAX_PROVIDERS; i++) {
        if (st->prov[i].used && st->prov[i].expires_ms <= now) {
            memset(&st->prov[i], 0, sizeof st->prov[i]);
            st->nprov--;
            if (prov)
                (*prov)++;
        }
    }
    return recs;
}
