#pragma once
#include "net/netif.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define IPV4_HDR_LEN 20
#define IPV4_DEFAULT_TTL 64
#define IPV4_BROADCAST_ADDR 0xffffffffu
#define IPV4_MAX_PAYLOAD (65535 - IPV4_HDR_LEN)

/* Reassembly limits: datagrams in progress at once, payload bytes per
 * datagram, fragments per datagram, and how long one may stay incomplete. */
#define IPV4_REASM_SLOTS 4
#define IPV4_REASM_MAX 16384
#define IPV4_REASM_PIECES 64
#define IPV4_REASM_TIMEOUT_MS 15000

/* Parsed header of the datagram being delivered (addresses host order). */
struct ipv4_info {
    uint32_t src, dst;
    uint8_t proto, ttl;
    bool to_broadcast;       /* limited/subnet broadcast or multicast */
    const uint8_t *hdr;      /* the raw header (for ICMP errors) */
    size_t hdr_len, total_len;
};

/* from_wire: false for datagrams we sent to ourselves (looped back).
 * Fragments are reassembled (see ipv4.c for the limits). */
void ipv4_input(struct netif *nif, const uint8_t *pkt, size_t len, bool from_wire);
/* Builds a header (TTL 64, fresh id) and routes: local subnet directly,
 * else via the gateway. Payloads over the MTU leave as fragments.
 * -ENETUNREACH without a route, -EMSGSIZE over IPV4_MAX_PAYLOAD (or over
 * the MTU to ourselves). */
int ipv4_output(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, size_t len);
/* The same with a chosen TTL (mDNS sends 255, RFC 6762 11). */
int ipv4_output_ttl(struct netif *nif, uint32_t dst, uint8_t proto, uint8_t ttl, const void *payload,
                    size_t len);
/* Expires reassembly that timed out; called from net_poll. */
void ipv4_tick(struct netif *nif);
/* Datagrams being reassembled, and forgetting them all (tests). */
int ipv4_reasm_in_progress(void);
void ipv4_reasm_flush(void);
/* Internet checksum (RFC 1071) continuing from a partial sum. */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
uint16_t inet_fold(uint32_t sum);
bool ipv4_is_local(struct netif *nif, uint32_t addr);
