/* The Kademlia DHT (libp2p kad-dht spec, the message format of
 * /ipfs/kad/1.0.0; the protocol id is an option of p2pd): records under the
 * /kos/ namespace, provider records, iterative lookups. One node_module;
 * this is the API other modules call (files: kad_provide and
 * kad_find_providers for CIDs, whose provider key is the multihash bytes). */
#pragma once
#include "core/node.h"

#define KAD_MAX_ADDRS 4 /* addresses kept per peer (ip4/tcp only) */
#define KAD_KEY_MAX 256 /* bytes of a key (record key or multihash) */

struct kad_peerinfo {
    struct peerid id;
    int naddrs;
    struct maddr addrs[KAD_MAX_ADDRS];
};

/* The summary of a finished lookup. */
struct kad_result {
    int count;   /* peers (or providers, or values) reported */
    int hops;    /* depth: 1 = answered by a peer from our own table */
    int queried; /* peers that answered */
    int failed;  /* peers that timed out, refused or sent bad answers */
    uint64_t ms;
};

typedef void (*kad_peer_fn)(struct node *n, void *arg, const struct kad_peerinfo *p);
typedef void (*kad_done_fn)(struct node *n, void *arg, const struct kad_result *r);

struct node_module;
extern const struct node_module kad_module;

/* Announces this node as a provider of key to the k closest peers (and again
 * every republish period). 0, or -1 (bad key, too many provided keys). */
int kad_provide(struct node *n, const uint8_t *key, size_t keylen);
/* Iterative GET_PROVIDERS: found() per provider (deduplicated, this node
 * first when it provides key), then done() once; stops after max (0 = 20).
 * Returns a query id > 0 or -1. Callbacks run only from the node's loop. */
int kad_find_providers(struct node *n, const uint8_t *key, size_t keylen, int max, kad_peer_fn found, kad_done_fn done,
                       void *arg);
/* Iterative FIND_NODE: found() for each of the k closest peers, closest first, then done(). */
int kad_find_closest(struct node *n, const uint8_t *key, size_t keylen, kad_peer_fn found, kad_done_fn done, void *arg);
/* Stops a lookup; neither callback runs for it afterwards. */
void kad_cancel(struct node *n, int query);
