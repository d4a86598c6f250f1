#pragma once
#include "net/netif.h"

#define ARP_CACHE_SIZE 16
#define ARP_RETRY_MS 1000
#define ARP_MAX_TRIES 3
#define ARP_ENTRY_TTL_MS (5 * 60 * 1000)

void arp_input(struct netif *nif, const uint8_t *pkt, size_t len);
/* Sends an IPv4 packet to next_hop, resolving its MAC first; while
 * unresolved, one packet per address is queued (a newer one replaces it). */
int arp_send_ipv4(struct netif *nif, uint32_t next_hop, const uint8_t *ip_pkt, size_t len);
/* Retries requests and expires entries; called from net_poll. */
void arp_tick(struct netif *nif);
/* Looks up a resolved entry; true when found. */
bool arp_lookup(uint32_t ip, uint8_t mac_out[ETH_ALEN]);
void arp_flush(void);
/* A bare request (the reply is cached like any other addressed to us). */
int arp_request(struct netif *nif, uint32_t ip);
