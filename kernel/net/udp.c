/* UDP (RFC 768): checksums with the IPv4 pseudo-header, demux through the
 * port table to whoever bound the port. */
#include "net/udp.h"
#include "net/icmp.h"

static struct udp_binding *bindings;

static struct udp_binding *find_binding(uint16_t port)
{
    for (struct udp_binding *b = bindings; b; b = b->next)
        if (b->port == port)
            return b;
    return NULL;
}

bool udp_port_in_use(uint16_t port)
{
    return find_binding(port) != NULL;
}

int udp_bind(struct udp_binding *b, uint16_t port)
{
    if (port == 0)
        return -EINVAL;
    for (struct udp_binding *o = bindings; o; o = o->next)
        if (o->port == port && !(o->reuse && b->reuse))
            return -EADDRINUSE;
    b->port = port;
    b->next = bindings;
    bindings = b;
    return 0;
}

void udp_unbind(struct udp_binding *b)
{
    for (struct udp_binding **pp = &bindings; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            b->next = NULL;
            return;
        }
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t udp_len)
{
    uint32_t sum = 0;
    sum += src >> 16;
    sum += src & 0xffff;
    sum += dst >> 16;
    sum += dst & 0xffff;
    sum += IP_PROTO_UDP;
    sum += (uint32_t)udp_len;
    return sum;
}

void udp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len)
{
    if (len < UDP_HDR_LEN) {
        net_count_drop(nif, DROP_UDP_SHORT);
        return;
    }
    size_t ulen = net_get16(pkt + 4);
    if (ulen < UDP_HDR_LEN || ulen > len) {
        net_count_drop(nif, DROP_UDP_BAD_LEN);
        return;
    }
    /* A zero checksum means "not computed" in IPv4 (RFC 768). */
    if (net_get16(pkt + 6) != 0 &&
        inet_fold(inet_sum(pkt, ulen, pseudo_sum(ip->src, ip->dst, ulen))) != 0) {
        net_count_drop(nif, DROP_UDP_BAD_CSUM);
        return;
    }
    uint16_t sport = net_get16(pkt), dport = net_get16(pkt + 2);
    nif->stats.udp_rx++;
    /* New bindings go to the front: the last match is the oldest. */
    struct udp_binding *oldest = NULL;
    for (struct udp_binding *b = bindings; b; b = b->next) {
        if (b->port != dport)
            continue;
        if (ip->to_broadcast)
            b->input(b, nif, ip, sport, pkt + UDP_HDR_LEN, ulen - UDP_HDR_LEN);
        oldest = b;
    }
    if (oldest) {
        if (!ip->to_broadcast)
            oldest->input(oldest, nif, ip, sport, pkt + UDP_HDR_LEN, ulen - UDP_HDR_LEN);
        return;
    }
    net_count_drop(nif, DROP_UDP_NO_PORT);
    icmp_send_unreachable(nif, ip, ICMP_CODE_PORT_UNREACH);
}

int udp_output(struct netif *nif, uint16_t src_port, uint32_t dst, uint16_t dst_port,
               const void *data, size_t len)
{
    return udp_output_ttl(nif, src_port, dst, dst_port, IPV4_DEFAULT_TTL, data, len);
}

int udp_output_ttl(struct netif *nif, uint16_t src_port, uint32_t dst, uint16_t dst_port, uint8_t ttl,
                   const void *data, size_t len)
{
    /* Static: too big for a kernel stack. ipv4_output copies out of it
     * before anything can come back in (a datagram looped back to us may
     * make the stack send again). */
    static uint8_t pkt[UDP_HDR_LEN + UDP_DGRAM_MAX];
    if (len > UDP_DGRAM_MAX)
        return -EMSGSIZE;
    size_t ulen = UDP_HDR_LEN + len;
    net_put16(pkt, src_port);
    net_put16(pkt + 2, dst_port);
    net_put16(pkt + 4, (uint16_t)ulen);
    net_put16(pkt + 6, 0);
    memcpy(pkt + UDP_HDR_LEN, data, len);
    uint16_t csum = inet_fold(inet_sum(pkt, ulen, pseudo_sum(nif->ip, dst, ulen)));
    net_put16(pkt + 6, csum == 0 ? 0xffff : csum);
    int rc = ipv4_output_ttl(nif, dst, IP_PROTO_UDP, ttl, pkt, ulen);
    if (rc == 0)
        nif->stats.udp_tx++;
    return rc;
}
