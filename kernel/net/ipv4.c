/* IPv4 (RFC 791): validation, local delivery and routing out. No
 * fragmentation or reassembly: fragments are dropped and counted. */
#include "net/ipv4.h"
#include "net/arp.h"
#include "net/eth.h"
#include "net/icmp.h"
#include "net/udp.h"
#include "net/tcp.h"

static uint16_t next_id = 1;

uint32_t inet_sum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    while (len > 1) {
        sum += (uint32_t)((p[0] << 8) | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)(p[0] << 8);
    return sum;
}

uint16_t inet_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static bool is_multicast(uint32_t a) { return (a >> 28) == 0xe; }

static bool is_subnet_broadcast(struct netif *nif, uint32_t a)
{
    return nif->mask != 0 && nif->mask != 0xffffffffu && a == ((nif->ip & nif->mask) | ~nif->mask);
}

bool ipv4_is_local(struct netif *nif, uint32_t addr)
{
    return (addr & nif->mask) == (nif->ip & nif->mask);
}

void ipv4_input(struct netif *nif, const uint8_t *pkt, size_t len, bool from_wire)
{
    if (len < IPV4_HDR_LEN) {
        net_count_drop(nif, DROP_IP_SHORT);
        return;
    }
    if ((pkt[0] >> 4) != 4) {
        net_count_drop(nif, DROP_IP_BAD_VERSION);
        return;
    }
    size_t hlen = (size_t)(pkt[0] & 0xf) * 4;
    if (hlen < IPV4_HDR_LEN || hlen > len) {
        net_count_drop(nif, DROP_IP_BAD_IHL);
        return;
    }
    size_t total = net_get16(pkt + 2);
    /* Ethernet pads short frames, so the frame may be longer than the
     * datagram, never shorter. */
    if (total < hlen || total > len) {
        net_count_drop(nif, DROP_IP_BAD_LEN);
        return;
    }
    if (inet_fold(inet_sum(pkt, hlen, 0)) != 0) {
        net_count_drop(nif, DROP_IP_BAD_CSUM);
        return;
    }
    uint16_t frag = net_get16(pkt + 6);
    if ((frag & 0x2000) || (frag & 0x1fff)) {
        net_count_drop(nif, DROP_IP_FRAGMENT);
        return;
    }
    struct ipv4_info ip = {
        .src = net_get32(pkt + 12),
        .dst = net_get32(pkt + 16),
        .proto = pkt[9],
        .ttl = pkt[8],
        .hdr = pkt,
        .hdr_len = hlen,
        .total_len = total,
    };
    /* Our own address as the source is only genuine when we sent it to
     * ourselves (ipv4_output loops those back with link_broadcast false and
     * the destination ours); from the wire it is spoofed or a loop. */
    bool looped = ip.src == nif->ip && ip.dst == nif->ip && !from_wire;
    bool on_lo = nif == &net_loopback_if && !from_wire;
    if (ip.src == IPV4_BROADCAST_ADDR || is_multicast(ip.src) || (ip.src == nif->ip && nif->ip && !looped) ||
        ((ip.src >> 24) == 127 && !on_lo)) {
        net_count_drop(nif, DROP_IP_BAD_SRC);
        return;
    }
    if (ip.dst == IPV4_BROADCAST_ADDR || is_subnet_broadcast(nif, ip.dst) || is_multicast(ip.dst))
        ip.to_broadcast = true;
    else if (ip.dst != nif->ip) {
        net_count_drop(nif, DROP_IP_NOT_FOR_US);
        return;
    }
    const uint8_t *payload = pkt + hlen;
    size_t plen = total - hlen;
    switch (ip.proto) {
    case IP_PROTO_ICMP:
        icmp_input(nif, &ip, payload, plen);
        break;
    case IP_PROTO_UDP:
        udp_input(nif, &ip, payload, plen);
        break;
    case IP_PROTO_TCP:
        tcp_input(nif, &ip, payload, plen);
        break;
    default:
        net_count_drop(nif, DROP_IP_UNKNOWN_PROTO);
    }
}

int ipv4_output(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, size_t len)
{
    uint8_t pkt[ETH_MTU];
    if (len > ETH_MTU - IPV4_HDR_LEN)
        return -EMSGSIZE;
    if (nif->ip == 0)
        return -ENETUNREACH;
    pkt[0] = 0x45;
    pkt[1] = 0;
    net_put16(pkt + 2, (uint16_t)(IPV4_HDR_LEN + len));
    net_put16(pkt + 4, next_id++);
    net_put16(pkt + 6, 0x4000);     /* DF: we never fragment */
    pkt[8] = IPV4_DEFAULT_TTL;
    pkt[9] = proto;
    net_put16(pkt + 10, 0);
    net_put32(pkt + 12, nif->ip);
    net_put32(pkt + 16, dst);
    net_put16(pkt + 10, inet_fold(inet_sum(pkt, IPV4_HDR_LEN, 0)));
    memcpy(pkt + IPV4_HDR_LEN, payload, len);
    size_t total = IPV4_HDR_LEN + len;

    if (dst == IPV4_BROADCAST_ADDR || is_subnet_broadcast(nif, dst))
        return eth_output(nif, eth_broadcast, ETHERTYPE_IPV4, pkt, total);
    if (is_multicast(dst)) {
        uint8_t mac[ETH_ALEN];
        eth_mcast_mac(dst, mac);
        return eth_output(nif, mac, ETHERTYPE_IPV4, pkt, total);
    }
    if (dst == nif->ip || nif == &net_loopback_if) {
        /* To ourselves: back in through the loopback queue, no link layer. */
        return net_loopback_queue(nif, pkt, total);
    }
    if (dst == 0 || (dst >> 24) == 127)
        return -ENETUNREACH;
    uint32_t next_hop = dst;
    if (!ipv4_is_local(nif, dst)) {
        if (nif->gw == 0)
            return -ENETUNREACH;
        next_hop = nif->gw;
    }
    return arp_send_ipv4(nif, next_hop, pkt, total);
}
