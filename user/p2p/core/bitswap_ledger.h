/* What remote peers want of this node: one Bitswap 1.2.0 wantlist per peer
 * (ipfs/specs bitswap-protocol: a server keeps each peer's wants until the
 * peer cancels them, replaces them with a full wantlist, or the want is
 * answered), bounded per peer and over all peers together.
 *
 * An entry is kept while it waits: a WANT_HAVE or WANT_BLOCK for a block
 * this node does not hold, or a WANT_BLOCK whose block is marked ready
 * (held, to be sent). A WANT_HAVE for a held block needs no entry: it is
 * answered HAVE at once. Entries are served highest priority first, ties
 * in the order they came. The ledger knows nothing of the block store or
 * the network: the file-sharing module (core/files.c) decides. */
#pragma once
#include "core/bitswap.h"

#define LEDGER_PER_PEER 1024
#define LEDGER_TOTAL 4096

struct lentry {
    struct cid cid;
    int32_t priority;
    uint8_t type;             /* BSW_WANT_BLOCK or BSW_WANT_HAVE */
    bool send_dont_have;
    bool ready;               /* a WANT_BLOCK whose block is held: send it */
    bool late;                /* the block came after the want */
    uint64_t seq;             /* arrival order, for ties */
};

struct ledger {               /* one peer's wantlist */
    struct lentry *e;
    int n, cap;
};

struct ledger_pool {          /* what every peer's ledger shares */
    int total;                /* entries over all peers */
    int per_peer, max_total;  /* the bounds (0: the defaults above) */
    uint64_t seq;
};

enum { LEDGER_REFUSED = -1, LEDGER_ADDED = 1, LEDGER_UPDATED = 2 };

/* Keeps (or updates) e's want in l: LEDGER_ADDED, LEDGER_UPDATED (same CID
 * again: the newer type, priority and sendDontHave win, but a WANT_HAVE does
 * not turn a WANT_BLOCK back into a WANT_HAVE) or LEDGER_REFUSED (a bound
 * is reached, or out of memory). *out is the entry kept. */
int ledger_want(struct ledger *l, struct ledger_pool *p, const struct bsw_entry *e, struct lentry **out);
/* Drops the entry for c; true when there was one. */
bool ledger_cancel(struct ledger *l, struct ledger_pool *p, const struct cid *c);
struct lentry *ledger_find(struct ledger *l, const struct cid *c);
/* The ready entry to send next (highest priority, oldest first), or NULL. */
struct lentry *ledger_next_ready(struct ledger *l);
/* Removes an entry ledger_find or ledger_next_ready returned. */
void ledger_remove(struct ledger *l, struct ledger_pool *p, struct lentry *e);
/* Drops every entry (a full wantlist replaces them; the peer left). */
void ledger_clear(struct ledger *l, struct ledger_pool *p);
