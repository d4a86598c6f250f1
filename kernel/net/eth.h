#pragma once
#include "net/netif.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806

extern const uint8_t eth_broadcast[ETH_ALEN];

/* Builds the Ethernet header and transmits. 0 or -errno. */
int eth_output(struct netif *nif, const uint8_t dst[ETH_ALEN], uint16_t type,
               const void *payload, size_t len);
/* 01:00:5e + low 23 bits of a multicast group (RFC 1112). */
void eth_mcast_mac(uint32_t group, uint8_t out[ETH_ALEN]);
