/* libp2p mDNS discovery (libp2p/specs discovery/mdns.md over RFC 6762):
 * the module `mdns` of p2pd. On p2pd's word mdns=1 it shares UDP 5353 with
 * the kernel's responder (SO_REUSEADDR, joined to 224.0.0.251), asks
 * `_p2p._udp.local PTR` every mdns_interval= ms (default 10000), answers
 * such questions with a PTR to `<peer-name>._p2p._udp.local` and, in the
 * additional section, one TXT `dnsaddr=/ip4/A.B.C.D/tcp/P/p2p/ID` per listen
 * address, and dials every peer another node's answer names (once per peer
 * while it is connected or being dialled; again after MDNS_REDIAL_MS).
 * Malformed messages are dropped and counted. `p2p mdns` lists what it found.
 *
 * The DNS encoder and decoder are exposed for the self-test. */
#pragma once
#include "core/module.h"
#include "core/multiformats.h"

#define MDNS_SERVICE_NAME "_p2p._udp.local"
#define MDNS_PEER_NAME_LEN 32   /* the spec: a random name of 32 to 63 characters */
#define MDNS_MAX_PEERS 16
#define MDNS_MAX_ADDRS 4        /* dnsaddr records taken from one answer */
#define MDNS_REDIAL_MS 30000
#define MDNS_MSG_MAX 1500

extern const struct node_module mdns_module;

/* A query for _p2p._udp.local PTR; returns its length. */
size_t mdns_build_query(uint8_t *out, size_t cap);
/* The answer about ourselves: PTR to name._p2p._udp.local, TXT dnsaddr=
 * per address (each with /p2p/id). Returns its length, 0 when it does not fit. */
size_t mdns_build_response(uint8_t *out, size_t cap, const char *peer_name, const struct maddr *addrs, int naddrs);

/* What one message says, as far as libp2p mDNS cares. */
struct mdns_seen {
    bool response;
    bool asks_p2p;                    /* a query with a _p2p._udp.local PTR/ANY question */
    char peer_name[64];               /* the first PTR answer's instance label, "" if none */
    struct maddr addrs[MDNS_MAX_ADDRS]; /* dnsaddr= of that instance that kos can dial */
    int naddrs;
};
/* 0, or -1 when the message is malformed (bad header, name, pointer loop,
 * record running past the end, counts that do not fit). */
int mdns_parse(const uint8_t *msg, size_t len, struct mdns_seen *out);
