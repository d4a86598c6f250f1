/* IPv4 (RFC 791): validation, local delivery, reassembly of fragments and
 * fragmentation on send, routing out.
 *
 * Reassembly keeps IPV4_REASM_SLOTS datagrams in progress in static buffers
 * (the receive path runs in interrupt context, where the heap must not be
 * entered), each at most IPV4_REASM_MAX bytes of payload. Instead of RFC
 * 815's hole list the pieces received are kept as (offset, length) pairs:
 * with overlaps refused that is equivalent, and the datagram is complete when
 * the pieces add up to the length the last fragment gave. Overlapping
 * fragments drop the whole datagram, as RFC 5722 requires for IPv6 (an
 * overlap is an attack or a broken sender); exact duplicates are ignored. A
 * datagram not completed within IPV4_REASM_TIMEOUT_MS is dropped; when every
 * slot is busy the oldest is evicted for the newcomer. */
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

/* ---------------- reassembly ---------------- */

#define IPV4_MAX_HDR 60

struct reasm_piece {
    uint16_t off, len;
};

struct reasm {
    bool used;
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint64_t started_ms;
    size_t total;                 /* payload length, known once the last fragment came (else 0) */
    size_t have;                  /* payload bytes held */
    size_t hdr_len;               /* of the first fragment; 0 until it came */
    int n_pieces;
    struct reasm_piece pieces[IPV4_REASM_PIECES];
    /* The first fragment's header sits just before the payload, so the
     * finished datagram is one contiguous packet (ICMP errors quote it). */
    uint8_t buf[IPV4_MAX_HDR + IPV4_REASM_MAX];
};

static struct reasm reasm[IPV4_REASM_SLOTS];

int ipv4_reasm_in_progress(void)
{
    int n = 0;
    for (int i = 0; i < IPV4_REASM_SLOTS; i++)
        n += reasm[i].used;
    return n;
}

void ipv4_reasm_flush(void)
{
    for (int i = 0; i < IPV4_REASM_SLOTS; i++)
        reasm[i].used = false;
}

static void reasm_drop(struct netif *nif, struct reasm *r, enum net_drop_reason why)
{
    r->used = false;
    net_count_drop(nif, why);
}

static struct reasm *reasm_slot(struct netif *nif, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto,
                                bool create)
{
    struct reasm *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < IPV4_REASM_SLOTS; i++) {
        struct reasm *r = &reasm[i];
        if (!r->used) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        if (r->src == src && r->dst == dst && r->id == id && r->proto == proto)
            return r;
        if (!oldest || r->started_ms < oldest->started_ms)
            oldest = r;
    }
    if (!create)
        return NULL;
    struct reasm *r = free_slot;
    if (!r) {
        r = oldest;
        reasm_drop(nif, r, DROP_IP_FRAG_NO_MEM);
    }
    r->used = true;
    r->src = src;
    r->dst = dst;
    r->id = id;
    r->proto = proto;
    r->started_ms = net_now_ms();
    r->total = r->have = r->hdr_len = 0;
    r->n_pieces = 0;
    return r;
}

void ipv4_tick(struct netif *nif)
{
    uint64_t now = net_now_ms();
    for (int i = 0; i < IPV4_REASM_SLOTS; i++)
        if (reasm[i].used && now - reasm[i].started_ms >= IPV4_REASM_TIMEOUT_MS)
            reasm_drop(nif, &reasm[i], DROP_IP_FRAG_TIMEOUT);
}

/* Takes one fragment (header validated). Returns the finished datagram
 * (header + payload, *out_len long) when this fragment completed it. */
static const uint8_t *reasm_input(struct netif *nif, const uint8_t *pkt, size_t hlen, size_t total,
                                  size_t *out_len)
{
    uint16_t frag = net_get16(pkt + 6);
    size_t off = (size_t)(frag & 0x1fff) * 8, len = total - hlen;
    bool more = frag & 0x2000;
    uint32_t src = net_get32(pkt + 12), dst = net_get32(pkt + 16);
    uint16_t id = net_get16(pkt + 4);
    /* Every fragment but the last carries a multiple of 8 bytes (RFC 791). */
    if ((more && (len == 0 || (len & 7))) || off + len > IPV4_REASM_MAX) {
        struct reasm *r = reasm_slot(nif, src, dst, id, pkt[9], false);
        if (r)
            r->used = false;          /* it can never complete */
        net_count_drop(nif, DROP_IP_FRAGMENT);
        return NULL;
    }
    struct reasm *r = reasm_slot(nif, src, dst, id, pkt[9], true);
    size_t end = off + len;
    for (int i = 0; i < r->n_pieces; i++) {
        size_t o = r->pieces[i].off, e = o + r->pieces[i].len;
        if (o == off && e == end) {
            net_count_drop(nif, DROP_IP_FRAG_DUPLICATE);
            return NULL;
        }
        if (off < e && o < end) {
            reasm_drop(nif, r, DROP_IP_FRAG_OVERLAP);
            return NULL;
        }
    }
    /* The last fragment fixes the length; nothing may lie beyond it. */
    if (!more) {
        if (r->total && r->total != end) {
            reasm_drop(nif, r, DROP_IP_FRAG_OVERLAP);
            return NULL;
        }
        for (int i = 0; i < r->n_pieces; i++)
            if ((size_t)r->pieces[i].off + r->pieces[i].len > end) {
                reasm_drop(nif, r, DROP_IP_FRAG_OVERLAP);
                return NULL;
            }
        r->total = end;
    } else if (r->total && end > r->total) {
        reasm_drop(nif, r, DROP_IP_FRAG_OVERLAP);
        return NULL;
    }
    if (r->n_pieces >= IPV4_REASM_PIECES) {
        reasm_drop(nif, r, DROP_IP_FRAGMENT);
        return NULL;
    }
    r->pieces[r->n_pieces].off = (uint16_t)off;
    r->pieces[r->n_pieces].len = (uint16_t)len;
    r->n_pieces++;
    memcpy(r->buf + IPV4_MAX_HDR + off, pkt + hlen, len);
    r->have += len;
    if (off == 0) {
        r->hdr_len = hlen;
        memcpy(r->buf + IPV4_MAX_HDR - hlen, pkt, hlen);
    }
    if (!r->total || !r->hdr_len || r->have != r->total)
        return NULL;
    /* Complete: the header now describes the whole datagram. */
    uint8_t *whole = r->buf + IPV4_MAX_HDR - r->hdr_len;
    net_put16(whole + 2, (uint16_t)(r->hdr_len + r->total));
    net_put16(whole + 6, 0);
    net_put16(whole + 10, 0);
    net_put16(whole + 10, inet_fold(inet_sum(whole, r->hdr_len, 0)));
    *out_len = r->hdr_len + r->total;
    r->used = false;    /* the buffer stays intact until the next fragment arrives */
    return whole;
}

/* ---------------- input ---------------- */

static bool is_multicast(uint32_t a) { return (a >> 28) == 0xe; }

static bool is_subnet_broadcast(struct netif *nif, uint32_t a)
{
    return nif->mask != 0 && nif->mask != 0xffffffffu && a == ((nif->ip & nif->mask) | ~nif->mask);
}

bool ipv4_is_local(struct netif *nif, uint32_t addr)
{
    return (addr & nif->mask) == (nif->ip & nif->mask);
}

/* RFC 1122 3.2.1.3: a source that is a broadcast (limited or of our
 * subnet), multicast, class E (240/4, which holds 255.255.255.255),
 * loopback, or our own address from the wire is discarded, so nothing ever
 * answers it. */
static bool bad_source(struct netif *nif, uint32_t src, uint32_t dst, bool from_wire)
{
    /* Our own address as the source is only genuine when we sent it to
     * ourselves (ipv4_output loops those back); from the wire it is spoofed
     * or a loop. */
    bool looped = src == nif->ip && dst == nif->ip && !from_wire;
    bool on_lo = nif == &net_loopback_if && !from_wire;
    return is_multicast(src) || (src >> 28) == 0xf || ((src >> 24) == 127 && !on_lo) ||
           is_subnet_broadcast(nif, src) || (src == nif->ip && nif->ip && !looped);
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
    uint32_t src = net_get32(pkt + 12), dst = net_get32(pkt + 16);
    if (bad_source(nif, src, dst, from_wire)) {
        net_count_drop(nif, DROP_IP_BAD_SRC);
        return;
    }
    bool to_broadcast = dst == IPV4_BROADCAST_ADDR || is_subnet_broadcast(nif, dst) || is_multicast(dst);
    if (!to_broadcast && dst != nif->ip) {
        net_count_drop(nif, DROP_IP_NOT_FOR_US);
        return;
    }
    uint16_t frag = net_get16(pkt + 6);
    if ((frag & 0x2000) || (frag & 0x1fff)) {
        pkt = reasm_input(nif, pkt, hlen, total, &total);
        if (!pkt)
            return;
    }
    struct ipv4_info ip = {
        .src = src,
        .dst = dst,
        .proto = pkt[9],
        .ttl = pkt[8],
        .to_broadcast = to_broadcast,
        .hdr = pkt,
        .hdr_len = hlen,
        .total_len = total,
    };
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

/* ---------------- output ---------------- */

/* One packet (header + piece) to where routing sends it. */
static int route_out(struct netif *nif, uint32_t dst, const uint8_t *pkt, size_t len)
{
    if (dst == IPV4_BROADCAST_ADDR || is_subnet_broadcast(nif, dst))
        return eth_output(nif, eth_broadcast, ETHERTYPE_IPV4, pkt, len);
    if (is_multicast(dst)) {
        uint8_t mac[ETH_ALEN];
        eth_mcast_mac(dst, mac);
        return eth_output(nif, mac, ETHERTYPE_IPV4, pkt, len);
    }
    uint32_t next_hop = dst;
    if (!ipv4_is_local(nif, dst)) {
        if (nif->gw == 0)
            return -ENETUNREACH;
        next_hop = nif->gw;
    }
    return arp_send_ipv4(nif, next_hop, pkt, len);
}

static void put_header(struct netif *nif, uint8_t *h, uint32_t dst, uint8_t proto, uint8_t ttl, uint16_t id,
                       uint16_t frag, size_t piece)
{
    h[0] = 0x45;
    h[1] = 0;
    net_put16(h + 2, (uint16_t)(IPV4_HDR_LEN + piece));
    net_put16(h + 4, id);
    net_put16(h + 6, frag);
    h[8] = ttl;
    h[9] = proto;
    net_put16(h + 10, 0);
    net_put32(h + 12, nif->ip);
    net_put32(h + 16, dst);
    net_put16(h + 10, inet_fold(inet_sum(h, IPV4_HDR_LEN, 0)));
}

int ipv4_output(struct netif *nif, uint32_t dst, uint8_t proto, const void *payload, size_t len)
{
    return ipv4_output_ttl(nif, dst, proto, IPV4_DEFAULT_TTL, payload, len);
}

int ipv4_output_ttl(struct netif *nif, uint32_t dst, uint8_t proto, uint8_t ttl, const void *payload,
                    size_t len)
{
    uint8_t pkt[ETH_MTU];
    const uint8_t *data = payload;
    if (len > IPV4_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (nif->ip == 0)
        return -ENETUNREACH;
    uint16_t id = next_id++;
    if (dst == nif->ip || nif == &net_loopback_if) {
        /* To ourselves: back in through the loopback queue, no link layer
         * (and no fragmentation: the queue holds packets of one MTU). */
        if (len > ETH_MTU - IPV4_HDR_LEN)
            return -EMSGSIZE;
        put_header(nif, pkt, dst, proto, ttl, id, 0x4000, len);
        memcpy(pkt + IPV4_HDR_LEN, data, len);
        return net_loopback_queue(nif, pkt, IPV4_HDR_LEN + len);
    }
    if (dst == 0 || (dst >> 24) == 127)
        return -ENETUNREACH;
    if (len <= ETH_MTU - IPV4_HDR_LEN) {
        put_header(nif, pkt, dst, proto, ttl, id, 0x4000, len);   /* DF: it fits */
        memcpy(pkt + IPV4_HDR_LEN, data, len);
        return route_out(nif, dst, pkt, IPV4_HDR_LEN + len);
    }
    /* Fragments of 1480 bytes (a multiple of 8) sharing one id (RFC 791). */
    const size_t piece_max = (ETH_MTU - IPV4_HDR_LEN) & ~(size_t)7;
    for (size_t off = 0; off < len; off += piece_max) {
        size_t piece = len - off < piece_max ? len - off : piece_max;
        bool more = off + piece < len;
        put_header(nif, pkt, dst, proto, ttl, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), piece);
        memcpy(pkt + IPV4_HDR_LEN, data + off, piece);
        int rc = route_out(nif, dst, pkt, IPV4_HDR_LEN + piece);
        if (rc < 0)
            return rc;
    }
    return 0;
}
