#ifndef KOS_NET_IPV4_H
#define KOS_NET_IPV4_H
#include "net/netif.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17
#define IPV4_HDR_LEN 20
#define IPV4_DEFAULT_TTL 64
#define IPV4_BROADCAST_ADDR 0xffffffffu

/* Parsed header of the datagram being delivered (addresses host order). */
struct ipv4_info {
    uint32_t src, dst;
    uint8_t proto, ttl;
    bool to_broadcast;       /* limited/subnet broadcast or multicast */
    const uint8_t *hdr;      /* the raw header (for ICMP errors) */
    size_t hdr_len, total_len;
};

/* from_wire: false for datagrams we sent to ourselves (looped back). */
void ipv4_input(struct netif *nif, const uint8_t *pkt, size_t len, bool from_wire);
/* Builds a header (TTL 64, fresh id) and routes: local subnet directly,
 * else via the gateway. -ENETUNREACH without a route, -EMSGSIZE over MTU. */
int ipv4_output(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, size_t len);
/* Internet checksum (RFC 1071) continuing from a partial sum. */
uint32_t inet_sum(const void *data, size_t len, uint32_t sum);
uint16_t inet_fold(uint32_t sum);
bool ipv4_is_local(struct netif *nif, uint32_t addr);
#endif
