/* ARP (RFC 826) for IPv4 over Ethernet: cache, requests, replies, retries,
 * timeouts and one queued packet per unresolved address. */
#include "net/arp.h"
#include "net/eth.h"
#include "net/ipv4.h"

#define ARP_PKT_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

struct arp_entry {
    enum arp_state state;
    uint32_t ip;
    uint8_t mac[ETH_ALEN];
    uint64_t expires_ms;      /* RESOLVED: when to forget; PENDING: next retry */
    uint64_t since_ms;        /* PENDING: when the first request went out */
    int tries;
    size_t queued_len;        /* 0: nothing waiting */
    /* One IPv4 packet waiting for this address. Static storage: this runs
     * from interrupt handlers, where the kernel heap must not be entered. */
    uint8_t queued[ETH_MTU];
};

static struct arp_entry cache[ARP_CACHE_SIZE];

static void drop_queued(struct arp_entry *e)
{
    e->queued_len = 0;
}

void arp_flush(void)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        drop_queued(&cache[i]);
        cache[i].state = ARP_FREE;
    }
}

static struct arp_entry *find(uint32_t ip)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        if (cache[i].state != ARP_FREE && cache[i].ip == ip)
            return &cache[i];
    return NULL;
}

/* A free slot; else the oldest pending entry (an address that has not
 * answered is worth less than one that has: made-up neighbours must not push
 * out a host we talk to); else the resolved entry closest to expiry. */
static struct arp_entry *alloc_entry(struct netif *nif)
{
    struct arp_entry *pending = NULL, *resolved_victim = NULL;
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == ARP_FREE)
            return e;
        if (e->state == ARP_PENDING && (!pending || e->since_ms < pending->since_ms))
            pending = e;
        if (e->state == ARP_RESOLVED && (!resolved_victim || e->expires_ms < resolved_victim->expires_ms))
            resolved_victim = e;
    }
    struct arp_entry *victim = pending ? pending : resolved_victim;
    if (victim->state == ARP_PENDING && victim->queued_len)
        net_count_drop(nif, DROP_ARP_EVICTED);
    drop_queued(victim);
    victim->state = ARP_FREE;
    return victim;
}

bool arp_lookup(uint32_t ip, uint8_t mac_out[ETH_ALEN])
{
    struct arp_entry *e = find(ip);
    if (!e || e->state != ARP_RESOLVED || e->expires_ms <= net_now_ms())
        return false;
    memcpy(mac_out, e->mac, ETH_ALEN);
    return true;
}

static int send_arp(struct netif *nif, uint16_t op, const uint8_t *eth_dst,
                    const uint8_t *target_mac, uint32_t target_ip)
{
    uint8_t p[ARP_PKT_LEN];
    net_put16(p, 1);                 /* hardware: Ethernet */
    net_put16(p + 2, 0x0800);        /* protocol: IPv4 */
    p[4] = ETH_ALEN;
    p[5] = 4;
    net_put16(p + 6, op);
    memcpy(p + 8, nif->mac, ETH_ALEN);
    net_put32(p + 14, nif->ip);
    memcpy(p + 18, target_mac, ETH_ALEN);
    net_put32(p + 24, target_ip);
    int rc = eth_output(nif, eth_dst, ETHERTYPE_ARP, p, sizeof p);
    if (rc == 0) {
        if (op == ARP_OP_REQUEST)
            nif->stats.arp_requests_sent++;
        else
            nif->stats.arp_replies_sent++;
    }
    return rc;
}

static int send_request(struct netif *nif, uint32_t ip)
{
    static const uint8_t zero[ETH_ALEN];
    return send_arp(nif, ARP_OP_REQUEST, eth_broadcast, zero, ip);
}

int arp_request(struct netif *nif, uint32_t ip)
{
    return send_request(nif, ip);
}

static void resolved(struct netif *nif, struct arp_entry *e, const uint8_t *mac)
{
    memcpy(e->mac, mac, ETH_ALEN);
    e->state = ARP_RESOLVED;
    e->expires_ms = net_now_ms() + ARP_ENTRY_TTL_MS;
    e->tries = 0;
    if (e->queued_len) {
        size_t len = e->queued_len;
        e->queued_len = 0;
        eth_output(nif, e->mac, ETHERTYPE_IPV4, e->queued, len);
    }
}

void arp_input(struct netif *nif, const uint8_t *p, size_t len)
{
    if (len < ARP_PKT_LEN) {
        net_count_drop(nif, DROP_ARP_SHORT);
        return;
    }
    uint16_t op = net_get16(p + 6);
    if (net_get16(p) != 1 || net_get16(p + 2) != 0x0800 || p[4] != ETH_ALEN || p[5] != 4 ||
        (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)) {
        net_count_drop(nif, DROP_ARP_BAD_FORMAT);
        return;
    }
    const uint8_t *sha = p + 8;
    uint32_t spa = net_get32(p + 14);
    uint32_t tpa = net_get32(p + 24);
    if (sha[0] & 1) {
        net_count_drop(nif, DROP_ARP_BAD_FORMAT);
        return;
    }
    /* An RFC 5227 probe (sender 0.0.0.0) asks whether anyone holds tpa: we
     * defend our address by answering, and cache nothing (the prober has no
     * address yet). */
    if (spa == 0) {
        if (op == ARP_OP_REQUEST && nif->ip != 0 && tpa == nif->ip)
            send_arp(nif, ARP_OP_REPLY, sha, sha, 0);
        else
            net_count_drop(nif, DROP_ARP_NOT_FOR_US);
        return;
    }
    /* A sender claiming a broadcast or our own address is not something to
     * cache. */
    if (spa == IPV4_BROADCAST_ADDR || spa == nif->ip) {
        net_count_drop(nif, DROP_ARP_BAD_FORMAT);
        return;
    }
    bool for_us = nif->ip != 0 && tpa == nif->ip;
    struct arp_entry *e = find(spa);
    if (e) {
        resolved(nif, e, sha);      /* RFC 826: update whoever we already know */
    } else if (for_us) {
        e = alloc_entry(nif);
        e->ip = spa;
        resolved(nif, e, sha);
    }
    if (!for_us) {
        if (!e)
            net_count_drop(nif, DROP_ARP_NOT_FOR_US);
        return;
    }
    if (op == ARP_OP_REQUEST)
        send_arp(nif, ARP_OP_REPLY, sha, sha, spa);
}

int arp_send_ipv4(struct netif *nif, uint32_t next_hop, const uint8_t *ip_pkt, size_t len)
{
    struct arp_entry *e = find(next_hop);
    if (e && e->state == ARP_RESOLVED && e->expires_ms > net_now_ms())
        return eth_output(nif, e->mac, ETHERTYPE_IPV4, ip_pkt, len);

    if (len > ETH_MTU)
        return -EMSGSIZE;
    if (!e) {
        e = alloc_entry(nif);
        e->ip = next_hop;
    }
    if (e->state != ARP_PENDING) {
        e->state = ARP_PENDING;
        e->tries = 1;
        e->since_ms = net_now_ms();
        e->expires_ms = net_now_ms() + ARP_RETRY_MS;
        send_request(nif, next_hop);
    }
    if (e->queued_len)
        net_count_drop(nif, DROP_ARP_QUEUE_REPLACED);
    memcpy(e->queued, ip_pkt, len);
    e->queued_len = len;
    return 0;
}

void arp_tick(struct netif *nif)
{
    uint64_t now = net_now_ms();
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &cache[i];
        if (e->state == ARP_RESOLVED && e->expires_ms <= now) {
            e->state = ARP_FREE;
        } else if (e->state == ARP_PENDING && e->expires_ms <= now) {
            if (e->tries >= ARP_MAX_TRIES) {
                if (e->queued_len)
                    net_count_drop(nif, DROP_ARP_TIMEOUT);
                drop_queued(e);
                e->state = ARP_FREE;
            } else {
                e->tries++;
                e->expires_ms = now + ARP_RETRY_MS;
                send_request(nif, e->ip);
            }
        }
    }
}
