#pragma once
#include "net/ipv4.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_CODE_PORT_UNREACH 3

void icmp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len);
/* Destination unreachable carrying the offending header + 8 bytes (RFC 792);
 * never in answer to broadcasts or ICMP errors. */
void icmp_send_unreachable(struct netif *nif, const struct ipv4_info *ip, uint8_t code);
