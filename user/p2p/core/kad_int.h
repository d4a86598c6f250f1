/* Inside the DHT: the message codec (kad_msg.c), XOR distance and the
 * k-buckets (kad_rt.c), the record and provider stores with the /kos/
 * validator and selector (kad_store.c). Pure code over plain structs, so the
 * host unit tests (cmd/p2p_kadtest.c) drive each piece on its own. */
#pragma once
#include "core/kad.h"

#define KAD_K 20              /* bucket size and replication factor */
#define KAD_ALPHA 3           /* requests in flight per lookup */
#define KAD_VALUE_MAX 1024    /* bytes of a record value; more is refused */
#define KAD_MSG_MAX 16384     /* bytes of one message; a longer prefix resets the stream */
#define KAD_MSG_PEERS 20      /* closer/provider peers read from one message (more are ignored) */
#define KAD_RT_MAX 512        /* routing table entries */
#define KAD_MAX_FAILS 3       /* failed requests in a row before a peer leaves the table */
#define KAD_MAX_RECORDS 256   /* records stored */
#define KAD_PEER_RECORDS 32   /* records stored on behalf of one peer */
#define KAD_MAX_PROVIDERS 512 /* provider entries (key, peer) stored */
#define KAD_KEY_PROVIDERS 20  /* providers kept per key */
#define KAD_MH_MAX 66         /* a multihash: code, length, up to 64 digest bytes */
#define KAD_NS "/kos/"        /* the namespace this node validates */

/* What the DHT counts (p2p kadstats): bad input refused, and the work done. */
#define KAD_COUNTERS(X)                                                       \
    X(msg_in, "messages received")                                            \
    X(msg_out, "messages sent")                                               \
    X(bad_message, "malformed message (protobuf or length prefix)")           \
    X(msg_too_big, "message longer than KAD_MSG_MAX")                         \
    X(bad_type, "unknown message type")                                       \
    X(bad_key, "missing or malformed key")                                    \
    X(record_invalid, "record refused by the validator")                      \
    X(record_too_big, "record value longer than KAD_VALUE_MAX")               \
    X(record_key_mismatch, "record key differs from the message key")         \
    X(record_stale, "record older than the stored one (selector)")            \
    X(put_quota, "PUT_VALUE over one peer's record quota")                    \
    X(store_full, "record store full")                                        \
    X(provider_not_sender, "ADD_PROVIDER for a peer other than the sender")   \
    X(provider_no_addr, "ADD_PROVIDER without a dialable address")            \
    X(provider_full, "provider store full")                                   \
    X(peer_unsupported, "peer entry with a PeerId kos cannot use")            \
    X(records_stored, "records stored")                                       \
    X(providers_stored, "provider records stored")                            \
    X(records_expired, "records expired")                                     \
    X(providers_expired, "provider records expired")                          \
    X(republished, "records and provider records republished by their originator") \
    X(replicated, "records re-replicated by a holder to the k closest")       \
    X(corrected, "peers sent the best record after a lookup got a worse one from them") \
    X(rt_added, "peers added to the routing table")                           \
    X(rt_full, "peers not added: bucket full")                                \
    X(rt_evicted, "stale peers replaced")                                     \
    X(rt_removed, "peers removed after failed requests")                      \
    X(refreshes, "bucket refresh lookups")                                    \
    X(lookups, "lookups started")                                             \
    X(rpc_timeout, "requests timed out")                                      \
    X(rpc_failed, "requests that failed (no connection, reset, bad answer)")

enum kad_counter {
#define X(name, text) KC_##name,
    KAD_COUNTERS(X)
#undef X
    KC_COUNT
};
extern const char *const kad_counter_name[KC_COUNT];

/* ---- messages ---- */

enum kad_type { KAD_PUT_VALUE = 0, KAD_GET_VALUE = 1, KAD_ADD_PROVIDER = 2, KAD_GET_PROVIDERS = 3, KAD_FIND_NODE = 4, KAD_PING = 5 };

struct kad_msg {
    int type;
    const uint8_t *key; /* into the decoded bytes (or the caller's, to encode) */
    size_t keylen;
    bool has_record;
    const uint8_t *rec_key, *rec_value;
    size_t rec_keylen, rec_valuelen;
    uint32_t rec_ttl_s; /* Record field 777 (as rust-libp2p): the remaining lifetime in seconds, 0 = absent */
    int ncloser, nproviders;
    struct kad_peerinfo closer[KAD_MSG_PEERS], providers[KAD_MSG_PEERS];
    int skipped_peers; /* entries whose PeerId or addresses kos cannot use */
};

/* Decodes one message body (no length prefix). 0, or -KC_bad_message /
 * -KC_bad_type. Pointers in m point into in. */
int kad_msg_decode(struct kad_msg *m, const uint8_t *in, size_t n);
/* Encodes m with its unsigned-varint length prefix. Returns bytes or -1 (too big for cap). */
int kad_msg_encode(const struct kad_msg *m, uint8_t *out, size_t cap);
/* Length prefix of a message in buf: 1 = a whole message (body at *off, *len bytes),
 * 0 = need more, -KC_bad_message or -KC_msg_too_big. */
int kad_frame(const uint8_t *buf, size_t n, size_t *off, size_t *len);

/* ---- distance and k-buckets ---- */

/* The Kademlia id of a key or a PeerId's bytes: SHA-256. */
void kad_id(const uint8_t *key, size_t n, uint8_t out[32]);
/* Leading bits a and b share (0..256). */
int kad_cpl(const uint8_t a[32], const uint8_t b[32]);
/* <0 when a is closer to t than b, 0 equal, >0 farther (XOR distance). */
int kad_cmp(const uint8_t t[32], const uint8_t a[32], const uint8_t b[32]);

struct kad_entry {
    bool used;
    struct kad_peerinfo p;
    uint8_t kid[32];
    uint64_t added_ms, seen_ms;
    int fails;
};

struct kad_rt {
    struct peerid self_id;
    uint8_t self[32];
    int count;
    struct kad_entry e[KAD_RT_MAX];
    uint64_t refreshed_ms[257]; /* per bucket (= common prefix length with self) */
};

enum { KAD_RT_ADDED, KAD_RT_UPDATED, KAD_RT_FULL, KAD_RT_SELF, KAD_RT_EVICTED };
void kad_rt_init(struct kad_rt *rt, const struct peerid *self);
/* Adds or refreshes a peer (addresses: kept when p has none). */
int kad_rt_add(struct kad_rt *rt, const struct kad_peerinfo *p, uint64_t now);
struct kad_entry *kad_rt_find(struct kad_rt *rt, const struct peerid *id);
/* A request to id failed: true when it left the table. */
bool kad_rt_fail(struct kad_rt *rt, const struct peerid *id);
void kad_rt_remove(struct kad_rt *rt, const struct peerid *id);
/* Up to max entries closest to target, closest first; skip may be NULL. */
int kad_rt_closest(const struct kad_rt *rt, const uint8_t target[32], const struct peerid *skip, struct kad_peerinfo *out,
                   int max);
int kad_rt_bucket_size(const struct kad_rt *rt, int cpl);

/* ---- records and providers ---- */

/* The /kos/ validator: key "/kos/NAME" (NAME 1.. printable bytes), value
 * "SEQ:PAYLOAD" (SEQ decimal, no leading zeros, up to 18 digits), at most
 * KAD_VALUE_MAX bytes. 0 or -KC_record_invalid / -KC_record_too_big. */
int kad_kos_validate(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, uint64_t *seq);
/* The /kos/ selector: >0 when a is better than b (higher SEQ, then the greater bytes), <0 worse, 0 same. */
int kad_kos_select(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

struct kad_record {
    bool used, mine;  /* mine: put here, republished by this node */
    uint8_t key[KAD_KEY_MAX];
    size_t keylen;
    uint8_t *value;
    size_t vlen;
    uint64_t seq;
    struct peerid from;
    /* next_ms: when this node next sends the record to the k closest: a
     * republish (mine, with a fresh lifetime) or a re-replication (held, with
     * what is left of its lifetime, so copies never outlive the original). */
    uint64_t stored_ms, expires_ms, next_ms;
};

struct kad_provider {
    bool used;
    uint8_t key[KAD_MH_MAX];
    size_t keylen;
    struct kad_peerinfo p;
    uint64_t expires_ms;
};

struct kad_store {
    uint64_t ttl_ms;                 /* lifetime of a record from its originator's last (re)publish */
    uint64_t prov_ttl_ms;            /* lifetime of a provider entry from its last ADD_PROVIDER */
    uint64_t republish_ms;           /* the originator sends its records again after this */
    uint64_t replicate_ms;           /* a holder sends a record on after this without hearing of it */
    struct kad_record rec[KAD_MAX_RECORDS];
    struct kad_provider prov[KAD_MAX_PROVIDERS];
    int nrec, nprov;
};

/* Stores a validated record (from = the sender, or self with mine) for
 * ttl_ms (0 or more than st->ttl_ms: st->ttl_ms); the same record again
 * extends its lifetime, never shortens it. A record from the network is
 * due for re-replication replicate_ms after it was last stored; one of
 * ours is due for republishing republish_ms after it was put.
 * 0 stored, or -KC_record_stale / -KC_put_quota / -KC_store_full / the validator's code. */
int kad_store_put(struct kad_store *st, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                  const struct peerid *from, bool mine, uint64_t ttl_ms, uint64_t now);
/* The first record due to be sent again at now (republish or re-replication), or NULL. */
struct kad_record *kad_store_due(struct kad_store *st, uint64_t now);
/* r went out at now: mine lives ttl_ms again from now; both are due again a period later.
 * Returns the lifetime in ms the copies are sent with. */
uint64_t kad_store_sent(struct kad_store *st, struct kad_record *r, uint64_t now);
struct kad_record *kad_store_get(struct kad_store *st, const uint8_t *key, size_t klen, uint64_t now);
/* A provider key is a multihash (varint code, varint length, digest). */
bool kad_is_multihash(const uint8_t *key, size_t n);
/* 0 stored or refreshed, or -KC_bad_key / -KC_provider_full. */
int kad_prov_add(struct kad_store *st, const uint8_t *key, size_t klen, const struct kad_peerinfo *p, uint64_t now);
int kad_prov_get(struct kad_store *st, const uint8_t *key, size_t klen, uint64_t now, struct kad_peerinfo *out, int max);
/* Drops what expired; returns how many records (and adds providers to *prov). */
int kad_store_expire(struct kad_store *st, uint64_t now, int *prov);
