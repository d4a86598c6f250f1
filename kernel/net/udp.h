#ifndef KOS_NET_UDP_H
#define KOS_NET_UDP_H
#include "net/ipv4.h"

#define UDP_HDR_LEN 8
#define UDP_MAX_PAYLOAD (ETH_MTU - IPV4_HDR_LEN - UDP_HDR_LEN) /* 1472: no fragmentation */
#define UDP_EPHEMERAL_FIRST 49152
#define UDP_EPHEMERAL_LAST 65535

void udp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len);
int udp_output(struct netif *nif, uint16_t src_port, uint32_t dst, uint16_t dst_port,
               const void *data, size_t len);
#endif
