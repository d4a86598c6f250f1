/* One fuzz input = one Bitswap 1.2.0 message body (what follows the length
 * prefix): decoded as p2pd decodes it (core/bitswap.c), its wants kept in a
 * small ledger (core/bitswap_ledger.c) the way core/files.c keeps them, and
 * served in priority order, and the wants written again and read back:
 * the same entries must come out.
 * A message the decoder refuses must leave nothing allocated (ASan's leak
 * check says so). */
#include "core/bitswap.h"
#include "core/bitswap_ledger.h"
#include "core/multiformats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bsw_msg m;
    if (bsw_decode(&m, data, size) < 0)
        return 0;
    struct ledger l = {0};
    struct ledger_pool pool = {.per_peer = 8, .max_total = 12};
    if (m.full)
        ledger_clear(&l, &pool);
    for (int i = 0; i < m.nwants; i++) {
        const struct bsw_entry *e = &m.wants[i];
        struct lentry *x;
        if (e->cancel)
            ledger_cancel(&l, &pool, &e->cid);
        else if (ledger_want(&l, &pool, e, &x) != LEDGER_REFUSED && !cid_eq(&x->cid, &e->cid))
            __builtin_trap();
        if (l.n > 8 || pool.total != l.n)
            __builtin_trap();
    }
    /* Served highest priority first: each one taken is no higher than the last. */
    if (ledger_next_ready(&l))
        __builtin_trap();
    for (int i = 0; i < l.n; i++)
        l.e[i].ready = true;
    for (int64_t last = INT64_MAX; l.n > 0;) {
        struct lentry *r = ledger_next_ready(&l);
        if (!r || r->priority > last)
            __builtin_trap();
        last = r->priority;
        ledger_remove(&l, &pool, r);
    }
    if (l.n != 0 || pool.total != 0)
        __builtin_trap();
    ledger_clear(&l, &pool);

    /* Round trip: what the encoder writes decodes to the same entries. */
    struct buf out = {0};
    if (m.nwants > 0 && bsw_put_wants(&out, m.wants, m.nwants, m.full)) {
        uint64_t len;
        int k = uvarint_get(buf_data(&out), buf_used(&out), &len);
        struct bsw_msg again;
        if (k <= 0 || (size_t)k + len != buf_used(&out) || bsw_decode(&again, buf_data(&out) + k, (size_t)len) < 0)
            __builtin_trap();
        if (again.nwants != m.nwants || again.full != m.full)
            __builtin_trap();
        for (int i = 0; i < m.nwants; i++) {
            const struct bsw_entry *a = &m.wants[i], *b = &again.wants[i];
            int32_t pa = a->priority ? a->priority : 1;
            if (!cid_eq(&a->cid, &b->cid) || a->type != b->type || a->cancel != b->cancel || a->send_dont_have != b->send_dont_have ||
                pa != b->priority)
                __builtin_trap();
        }
        bsw_free(&again);
    }
    buf_free(&out);
    bsw_free(&m);
    return 0;
}
