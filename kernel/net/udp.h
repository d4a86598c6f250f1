#pragma once
#include "net/ipv4.h"

#define UDP_HDR_LEN 8
#define UDP_MAX_PAYLOAD (ETH_MTU - IPV4_HDR_LEN - UDP_HDR_LEN) /* 1472: one frame, no fragments */
#define UDP_DGRAM_MAX (IPV4_REASM_MAX - UDP_HDR_LEN)           /* the most kos reassembles */
#define UDP_EPHEMERAL_FIRST 49152
#define UDP_EPHEMERAL_LAST 65535

/* The port table: every user of a UDP port (a socket, the mDNS responder)
 * binds it the same way, one binding per port, unless every binding of the
 * port sets reuse (SO_REUSEADDR on a socket; the mDNS responder always does):
 * then the port is shared, a multicast or broadcast datagram goes to each of
 * its bindings and a unicast one to the oldest (as Linux does for
 * SO_REUSEADDR datagram sockets). udp_input hands each
 * datagram for the port to input, which queues or uses it, or drops it and
 * counts why; a datagram the binding filters out (a connected socket, another
 * peer) is ignored, as the port is not unreachable. A port nobody bound gets
 * ICMP port unreachable. Callers hold net_lock. */
struct udp_binding {
    struct udp_binding *next;
    uint16_t port;
    bool reuse;
    void (*input)(struct udp_binding *b, struct netif *nif, const struct ipv4_info *ip, uint16_t src_port,
                  const uint8_t *data, size_t len);
};
/* 0, or -EADDRINUSE when another binding holds port and not both share it
 * (port 0: -EINVAL). */
int udp_bind(struct udp_binding *b, uint16_t port);
void udp_unbind(struct udp_binding *b);
bool udp_port_in_use(uint16_t port);

void udp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len);
/* len up to UDP_DGRAM_MAX (larger than one frame leaves as IPv4 fragments). */
int udp_output(struct netif *nif, uint16_t src_port, uint32_t dst, uint16_t dst_port,
               const void *data, size_t len);
int udp_output_ttl(struct netif *nif, uint16_t src_port, uint32_t dst, uint16_t dst_port, uint8_t ttl,
                   const void *data, size_t len);
