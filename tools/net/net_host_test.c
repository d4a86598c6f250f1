/* Host test driver for the network stack: builds the portable stack with
 * cc -DKOS_HOST, feeds it crafted frames through a fake NIC and checks what
 * it sends back. Prints KTAP; exits 1 when any check fails.
 * Run by test/host/net_stack.test.ts. */
#include "net/netif.h"
#include "host_fakenic.h"
#include "host_ktap.h"
#include "net/eth.h"
#include "net/arp.h"
#include "net/ipv4.h"
#include "net/udp.h"
#include "net/icmp.h"
#include "net/socket.h"

/* ---- platform hooks and the fake NIC (host_fakenic.h) ---- */
/* fake_killed stands for a killed process: a wait then fails with -EINTR. */
static bool fake_killed;
static int waits_made;
int net_wait_for_event(void)
{
    waits_made++;
    if (fake_killed)
        return -EINTR;
    fake_now_ms += 10;
    net_poll();
    return 0;
}
static int wakeups;
void net_wake_waiters(void) { wakeups++; }
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint32_t peer_ip = 0x0a000202;   /* 10.0.2.2, also the gateway */
static const uint32_t other_ip = 0x0a000203;  /* 10.0.2.3, on the subnet, unresolved */



static void reset(void)
{
    arp_flush();
    ipv4_reasm_flush();
    memset(&nif.stats, 0, sizeof nif.stats);
    tx_count = 0;
    nif.mcast_count = 0;
    net_config_from_cmdline(&nif, "");
    net_register(&nif);
}

/* Independent checksum (32-bit accumulation of 16-bit words, little care for
 * speed) so the stack is not checked against itself. */
static uint16_t ref_csum(const uint8_t *p, size_t n, uint32_t init)
{
    uint64_t s = init;
    for (size_t i = 0; i < n; i++)
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    while (s > 0xffff)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* ---- frame builders ---- */
static size_t build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    net_put16(f + 12, type);
    return ETH_HDR_LEN;
}

static size_t build_arp(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa, const uint8_t *dst_mac)
{
    size_t o = build_eth(f, dst_mac, peer_mac, ETHERTYPE_ARP);
    uint8_t *p = f + o;
    net_put16(p, 1); net_put16(p + 2, 0x0800); p[4] = 6; p[5] = 4; net_put16(p + 6, op);
    memcpy(p + 8, peer_mac, 6); net_put32(p + 14, spa);
    memset(p + 18, 0, 6); net_put32(p + 24, tpa);
    return o + 28;
}

static size_t build_ip(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *payload, size_t len)
{
    size_t o = build_eth(f, nif.mac, peer_mac, ETHERTYPE_IPV4);
    uint8_t *p = f + o;
    p[0] = 0x45; p[1] = 0; net_put16(p + 2, (uint16_t)(20 + len)); net_put16(p + 4, 77);
    net_put16(p + 6, 0); p[8] = 64; p[9] = proto; net_put16(p + 10, 0);
    net_put32(p + 12, src); net_put32(p + 16, dst);
    net_put16(p + 10, ref_csum(p, 20, 0));
    memcpy(p + 20, payload, len);
    return o + 20 + len;
}

static uint32_t udp_pseudo(uint32_t src, uint32_t dst, size_t ulen)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + (uint32_t)ulen;
}

static size_t build_udp(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                        const uint8_t *data, size_t len, bool csum)
{
    uint8_t u[1600];
    net_put16(u, sport); net_put16(u + 2, dport); net_put16(u + 4, (uint16_t)(8 + len)); net_put16(u + 6, 0);
    memcpy(u + 8, data, len);
    if (csum) {
        uint16_t c = ref_csum(u, 8 + len, udp_pseudo(src, dst, 8 + len));
        net_put16(u + 6, c ? c : 0xffff);
    }
    return build_ip(f, src, dst, 17, u, 8 + len);
}

static size_t build_echo(uint8_t *f, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, size_t datalen)
{
    uint8_t m[1500];
    m[0] = 8; m[1] = 0; net_put16(m + 2, 0); net_put16(m + 4, id); net_put16(m + 6, seq);
    for (size_t i = 0; i < datalen; i++)
        m[8 + i] = (uint8_t)(i * 7 + 3);
    net_put16(m + 2, ref_csum(m, 8 + datalen, 0));
    return build_ip(f, src, dst, 1, m, 8 + datalen);
}

static void resolve_peer(void)
{
    uint8_t f[100];
    size_t n = build_arp(f, 2, peer_ip, nif.ip, nif.mac);
    net_input(&nif, f, n);
    tx_count = 0;
}

/* A datagram socket bound to port on any address. */
static struct socket *bound_socket(uint16_t port)
{
    struct socket *s = NULL;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in a = {.sin_family = AF_INET, .sin_port = net_htons(port)};
    CHECK(sock_bind(s, &a) == 0);
    return s;
}

/* A datagram socket connected to the peer's port. */
static struct socket *peer_socket(uint16_t port)
{
    struct socket *s = NULL;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in peer = {.sin_family = AF_INET, .sin_port = net_htons(port), .sin_addr = net_htonl(peer_ip)};
    CHECK(sock_connect(s, &peer) == 0);
    return s;
}

/* Checks a transmitted IPv4 frame's header; returns its payload. */
static const uint8_t *sent_ip(int i, uint8_t proto, uint32_t dst, size_t *plen)
{
    const uint8_t *f = tx_frames[i];
    CHECK(tx_lens[i] >= 34);
    CHECK(net_get16(f + 12) == ETHERTYPE_IPV4);
    const uint8_t *p = f + 14;
    CHECK(p[0] == 0x45);
    CHECK(ref_csum(p, 20, 0) == 0);
    CHECK(p[9] == proto);
    CHECK(net_get32(p + 12) == nif.ip);
    CHECK(net_get32(p + 16) == dst);
    CHECK(p[8] == 64);
    size_t total = net_get16(p + 2);
    CHECK(total >= 20 && 14 + total <= tx_lens[i]);
    *plen = total - 20;
    return p + 20;
}

/* ---- tests ---- */
static void t_cmdline(void)
{
    struct netif n = {0};
    net_config_from_cmdline(&n, "init=/bin/x ip=198.51.100.2 gw=198.51.100.1 mask=255.255.0.0");
    CHECK(n.ip == 0xc6336402 && n.gw == 0xc6336401 && n.mask == 0xffff0000);
    net_config_from_cmdline(&n, "ip=10.0.2.300 gw=1.2.3 mask=");
    CHECK(n.ip == 0x0a00020f && n.gw == 0x0a000202 && n.mask == 0xffffff00);
    net_config_from_cmdline(&n, "xip=1.1.1.1 ip=10.0.0.9");
    CHECK(n.ip == 0x0a000009);
    n.mac[5] = 0x57;
    net_config_from_cmdline(&n, "ip=10.0.3.mac mask=255.255.255.0");
    CHECK(n.ip == 0x0a000357);
    net_config_from_cmdline(&n, "ip=10.0.mac");
    CHECK(n.ip == 0x0a00020f);
    uint32_t a;
    CHECK(!net_parse_ipv4("1.2.3.4.5", 9, &a));
    CHECK(!net_parse_ipv4("01234.1.1.1", 11, &a));
    CHECK(net_parse_ipv4("255.255.255.255", 15, &a) && a == 0xffffffff);
}

static void t_arp_reply(void)
{
    uint8_t f[100];
    size_t n = build_arp(f, 1, peer_ip, nif.ip, eth_broadcast);
    net_input(&nif, f, n);
    CHECK(tx_count == 1);
    const uint8_t *r = tx_frames[0];
    CHECK(memcmp(r, peer_mac, 6) == 0 && memcmp(r + 6, nif.mac, 6) == 0);
    CHECK(net_get16(r + 12) == ETHERTYPE_ARP);
    CHECK(net_get16(r + 14 + 6) == 2);
    CHECK(memcmp(r + 14 + 8, nif.mac, 6) == 0 && net_get32(r + 14 + 14) == nif.ip);
    CHECK(memcmp(r + 14 + 18, peer_mac, 6) == 0 && net_get32(r + 14 + 24) == peer_ip);
    CHECK(tx_lens[0] == 60);
    uint8_t mac[6];
    CHECK(arp_lookup(peer_ip, mac) && memcmp(mac, peer_mac, 6) == 0);
    CHECK(nif.stats.rx_dropped == 0);
}

static void t_arp_not_for_us(void)
{
    uint8_t f[100];
    size_t n = build_arp(f, 1, peer_ip, other_ip, eth_broadcast);
    net_input(&nif, f, n);
    CHECK(tx_count == 0);
    CHECK(nif.stats.drop[DROP_ARP_NOT_FOR_US] == 1);
    uint8_t mac[6];
    CHECK(!arp_lookup(peer_ip, mac));
}

static void t_icmp_echo(void)
{
    resolve_peer();
    uint8_t f[1600];
    size_t n = build_echo(f, peer_ip, nif.ip, 0x1234, 7, 56);
    net_input(&nif, f, n);
    CHECK(tx_count == 1);
    size_t plen;
    const uint8_t *m = sent_ip(0, 1, peer_ip, &plen);
    CHECK(plen == 64);
    CHECK(m[0] == 0 && m[1] == 0);
    CHECK(ref_csum(m, plen, 0) == 0);
    CHECK(net_get16(m + 4) == 0x1234 && net_get16(m + 6) == 7);
    CHECK(memcmp(m + 8, f + 14 + 20 + 8, 56) == 0);
    CHECK(memcmp(tx_frames[0], peer_mac, 6) == 0);
    CHECK(nif.stats.icmp_echo_replies == 1);
}

static void t_ip_bad_checksum(void)
{
    resolve_peer();
    uint8_t f[1600];
    size_t n = build_echo(f, peer_ip, nif.ip, 1, 1, 8);
    f[14 + 10] ^= 0x55;
    net_input(&nif, f, n);
    CHECK(tx_count == 0);
    CHECK(nif.stats.drop[DROP_IP_BAD_CSUM] == 1);
    n = build_echo(f, peer_ip, nif.ip, 1, 1, 8);
    f[14 + 20 + 9] ^= 0x01;   /* corrupt the ICMP data: ICMP checksum fails */
    net_input(&nif, f, n);
    CHECK(tx_count == 0);
    CHECK(nif.stats.drop[DROP_ICMP_BAD_CSUM] == 1);
}

static void t_udp_port_unreachable(void)
{
    resolve_peer();
    uint8_t f[1600], data[5] = "hello";
    int wakeups0 = wakeups;
    size_t n = build_udp(f, peer_ip, 4000, nif.ip, 9999, data, 5, true);
    net_input(&nif, f, n);
    CHECK(nif.stats.drop[DROP_UDP_NO_PORT] == 1);
    CHECK(wakeups == wakeups0);     /* nobody to wake for an unbound port */
    CHECK(tx_count == 1);
    size_t plen;
    const uint8_t *m = sent_ip(0, 1, peer_ip, &plen);
    CHECK(m[0] == 3 && m[1] == 3);
    CHECK(plen == 8 + 20 + 8);
    CHECK(ref_csum(m, plen, 0) == 0);
    CHECK(memcmp(m + 8, f + 14, 28) == 0);   /* quoted header + 8 bytes */
    /* Never an ICMP error for a broadcast. */
    tx_count = 0;
    n = build_udp(f, peer_ip, 4000, 0xffffffff, 9999, data, 5, true);
    memcpy(f, eth_broadcast, 6);
    net_input(&nif, f, n);
    CHECK(tx_count == 0);
}

static void t_udp_socket_roundtrip(void)
{
    resolve_peer();
    struct socket *s = bound_socket(7);
    uint8_t f[1600], data[100], buf[200];
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)(i ^ 0xa5);
    int wakeups0 = wakeups;
    size_t n = build_udp(f, peer_ip, 5555, nif.ip, 7, data, 100, true);
    net_input(&nif, f, n);
    CHECK(wakeups == wakeups0 + 1);     /* a queued datagram wakes receivers */
    /* Zero checksum = not computed: accepted. */
    n = build_udp(f, peer_ip, 5556, nif.ip, 7, data, 10, false);
    net_input(&nif, f, n);
    /* Corrupt checksum: dropped. */
    n = build_udp(f, peer_ip, 5557, nif.ip, 7, data, 10, true);
    f[n - 1] ^= 0xff;
    net_input(&nif, f, n);
    CHECK(nif.stats.drop[DROP_UDP_BAD_CSUM] == 1);
    CHECK(wakeups == wakeups0 + 2);     /* the dropped one woke nobody */
    struct kos_sockaddr_in from;
    long r = sock_recvfrom(s, buf, sizeof buf, 0, &from, 100);
    CHECK(r == 100 && memcmp(buf, data, 100) == 0);
    CHECK(from.sin_family == AF_INET && net_ntohs(from.sin_port) == 5555 && net_ntohl(from.sin_addr) == peer_ip);
    r = sock_recvfrom(s, buf, 4, 0, &from, 100);   /* truncating read */
    CHECK(r == 4 && net_ntohs(from.sin_port) == 5556);
    CHECK(sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    /* A receiver killed while it waits forever gets -EINTR after one wait. */
    fake_killed = true;
    int waits0 = waits_made;
    CHECK(sock_recvfrom(s, buf, sizeof buf, 0, NULL, 0) == -EINTR);
    CHECK(waits_made == waits0 + 1);
    fake_killed = false;
    /* Echo back: the sent datagram verifies with the reference checksum. */
    CHECK(sock_sendto(s, data, 100, 0, &from) == 100);
    CHECK(tx_count == 1);
    size_t plen;
    const uint8_t *u = sent_ip(0, 17, peer_ip, &plen);
    CHECK(plen == 108 && net_get16(u) == 7 && net_get16(u + 2) == 5556 && net_get16(u + 4) == 108);
    CHECK(ref_csum(u, plen, udp_pseudo(nif.ip, peer_ip, plen)) == 0);
    CHECK(memcmp(u + 8, data, 100) == 0);
    sock_close(s);
    CHECK(sock_open_count() == 0);
}

static void t_udp_sizes(void)
{
    resolve_peer();
    struct socket *s = peer_socket(9);
    static uint8_t data[1500], f[1600], buf[1600];
    int bad = 0;
    for (size_t len = 0; len <= UDP_MAX_PAYLOAD; len++) {
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)(len + i * 13);
        tx_count = 0;
        if (sock_sendto(s, data, len, 0, NULL) != (long)len || tx_count != 1) { bad++; continue; }
        size_t plen;
        const uint8_t *u = sent_ip(0, 17, peer_ip, &plen);
        if (plen != len + 8 || ref_csum(u, plen, udp_pseudo(nif.ip, peer_ip, plen)) != 0 ||
            memcmp(u + 8, data, len) != 0)
            bad++;
        /* and back in: the connected socket receives from its peer */
        uint16_t local = net_get16(u);
        size_t n = build_udp(f, peer_ip, 9, nif.ip, local, data, len, true);
        net_input(&nif, f, n);
        long r = sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0);
        if (r != (long)len || memcmp(buf, data, len) != 0)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(sock_sendto(s, data, UDP_DGRAM_MAX + 1, 0, NULL) == -EMSGSIZE);
    sock_close(s);
}

static void t_connected_filter(void)
{
    resolve_peer();
    struct socket *s = peer_socket(9);
    uint16_t port = s->local_port;
    CHECK(port >= UDP_EPHEMERAL_FIRST);
    uint8_t f[200], d[4] = {1, 2, 3, 4}, buf[8];
    size_t n = build_udp(f, peer_ip, 10, nif.ip, port, d, 4, true);   /* wrong source port */
    net_input(&nif, f, n);
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    CHECK(tx_count == 0);   /* no port-unreachable for a bound port */
    sock_close(s);
}

static void t_arp_queue_and_resolve(void)
{
    struct socket *s;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in dst = {.sin_family = AF_INET, .sin_port = net_htons(53), .sin_addr = net_htonl(other_ip)};
    CHECK(sock_sendto(s, "first", 5, 0, &dst) == 5);
    CHECK(tx_count == 1);   /* an ARP request, broadcast */
    CHECK(net_get16(tx_frames[0] + 12) == ETHERTYPE_ARP && memcmp(tx_frames[0], eth_broadcast, 6) == 0);
    CHECK(net_get32(tx_frames[0] + 14 + 24) == other_ip && net_get16(tx_frames[0] + 14 + 6) == 1);
    CHECK(sock_sendto(s, "second", 6, 0, &dst) == 6);
    CHECK(tx_count == 1);   /* still pending: no second request yet, packet replaced */
    CHECK(nif.stats.drop[DROP_ARP_QUEUE_REPLACED] == 1);
    /* The reply (from other_ip, our peer_mac stands in) releases the queue. */
    uint8_t f[100];
    size_t n = build_arp(f, 2, other_ip, nif.ip, nif.mac);
    net_input(&nif, f, n);
    CHECK(tx_count == 2);
    size_t plen;
    const uint8_t *u = sent_ip(1, 17, other_ip, &plen);
    CHECK(plen == 14 && memcmp(u + 8, "second", 6) == 0);
    CHECK(memcmp(tx_frames[1], peer_mac, 6) == 0);
    sock_close(s);
}

static void t_arp_timeout(void)
{
    struct socket *s;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in dst = {.sin_family = AF_INET, .sin_port = net_htons(53), .sin_addr = net_htonl(other_ip)};
    CHECK(sock_sendto(s, "x", 1, 0, &dst) == 1);
    for (int i = 0; i < 50; i++) {
        fake_now_ms += 100;
        net_poll();
    }
    CHECK(tx_count == ARP_MAX_TRIES);
    for (int i = 0; i < tx_count; i++)
        CHECK(net_get16(tx_frames[i] + 12) == ETHERTYPE_ARP);
    CHECK(nif.stats.drop[DROP_ARP_TIMEOUT] == 1);
    uint8_t mac[6];
    CHECK(!arp_lookup(other_ip, mac));
    sock_close(s);
}

static void t_gateway_route(void)
{
    resolve_peer();   /* peer_ip is the gateway */
    struct socket *s;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in dst = {.sin_family = AF_INET, .sin_port = net_htons(53), .sin_addr = net_htonl(0x08080808)};
    CHECK(sock_sendto(s, "q", 1, 0, &dst) == 1);
    CHECK(tx_count == 1);
    size_t plen;
    sent_ip(0, 17, 0x08080808, &plen);
    CHECK(memcmp(tx_frames[0], peer_mac, 6) == 0);   /* to the gateway's MAC */
    nif.gw = 0;
    CHECK(sock_sendto(s, "q", 1, 0, &dst) == -ENETUNREACH);
    sock_close(s);
}

static void t_socket_errors(void)
{
    struct socket *s, *t;
    CHECK(sock_create(AF_INET, SOCK_STREAM, 0, &s) == 0 && s->tcp != NULL);
    CHECK(sock_listen(s, 4) == 0 && s->tcp->state == TCP_LISTEN);
    sock_close(s);
    CHECK(sock_create(AF_INET, SOCK_STREAM, 17, &s) == -EPROTONOSUPPORT);
    CHECK(sock_create(1, SOCK_DGRAM, 0, &s) == -EAFNOSUPPORT);
    CHECK(sock_create(AF_INET, 99, 0, &s) == -EINVAL);
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 6, &s) == -EPROTONOSUPPORT);
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    CHECK(sock_create(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0, &t) == 0);
    struct kos_sockaddr_in a = {.sin_family = AF_INET, .sin_port = net_htons(5000)};
    CHECK(sock_bind(s, &a) == 0);
    CHECK(sock_bind(t, &a) == -EADDRINUSE);
    CHECK(sock_bind(s, &a) == -EINVAL);
    a.sin_family = 1;
    CHECK(sock_bind(t, &a) == -EAFNOSUPPORT);
    a.sin_family = AF_INET;
    a.sin_addr = net_htonl(0x01020304);
    CHECK(sock_bind(t, &a) == -EADDRNOTAVAIL);
    CHECK(sock_sendto(t, "x", 1, 0, NULL) == -EDESTADDRREQ);
    struct kos_sockaddr_in zero = {.sin_family = AF_INET};
    CHECK(sock_sendto(t, "x", 1, 0, &zero) == -EINVAL);
    CHECK(sock_connect(t, &zero) == -EINVAL);
    uint8_t buf[4];
    CHECK(sock_recvfrom(t, buf, 4, 0, NULL, 0) == -EINVAL);      /* unbound */
    a.sin_addr = 0;
    a.sin_port = 0;
    CHECK(sock_bind(t, &a) == 0 && t->local_port >= UDP_EPHEMERAL_FIRST);
    CHECK(sock_recvfrom(t, buf, 4, 0, NULL, 0) == -EAGAIN);      /* SOCK_NONBLOCK */
    uint64_t start = fake_now_ms;
    CHECK(sock_recvfrom(s, buf, 4, 0, NULL, 500) == -ETIMEDOUT);
    CHECK(fake_now_ms - start >= 500);
    CHECK(sock_recvfrom(s, buf, 4, 0x1000, NULL, 0) == -EINVAL);
    sock_close(s);
    sock_close(t);
    CHECK(sock_open_count() == 0);
}

static void t_malformed(void)
{
    resolve_peer();
    uint8_t f[2000], d[16] = {0};
    struct socket *s = bound_socket(7);
    size_t n;
    uint64_t expect[DROP_REASON_COUNT] = {0};

    net_input(&nif, f, 0); expect[DROP_ETH_SHORT]++;
    net_input(&nif, f, 13); expect[DROP_ETH_SHORT]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    net_input(&nif, f, 1515); expect[DROP_ETH_OVERSIZE]++;
    memcpy(f + 6, nif.mac, 6); net_input(&nif, f, n); expect[DROP_ETH_OWN_SRC]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    f[0] = 0x02; net_input(&nif, f, n); expect[DROP_ETH_NOT_FOR_US]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    f[6] = 0x01; net_input(&nif, f, n); expect[DROP_ETH_BAD_SRC]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    net_put16(f + 12, 0x86dd); net_input(&nif, f, n); expect[DROP_ETH_UNKNOWN_TYPE]++;
    n = build_arp(f, 1, peer_ip, nif.ip, eth_broadcast);
    net_input(&nif, f, 14 + 27); expect[DROP_ARP_SHORT]++;
    f[14 + 4] = 8; net_input(&nif, f, n); expect[DROP_ARP_BAD_FORMAT]++;
    n = build_arp(f, 9, peer_ip, nif.ip, eth_broadcast);
    net_input(&nif, f, n); expect[DROP_ARP_BAD_FORMAT]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    net_input(&nif, f, 14 + 19); expect[DROP_IP_SHORT]++;
    f[14] = 0x65; net_input(&nif, f, n); expect[DROP_IP_BAD_VERSION]++;
    f[14] = 0x44; net_input(&nif, f, n); expect[DROP_IP_BAD_IHL]++;
    f[14] = 0x4f; net_input(&nif, f, 14 + 40); expect[DROP_IP_BAD_IHL]++;   /* 60-byte header > 40 */
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    net_put16(f + 14 + 2, 2000); net_input(&nif, f, n); expect[DROP_IP_BAD_LEN]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, true);
    net_put16(f + 14 + 2, 10); net_input(&nif, f, n); expect[DROP_IP_BAD_LEN]++;  /* checked before csum */
    uint8_t frag[16] = {0};
    /* More fragments with 15 bytes: not a multiple of 8 (RFC 791). */
    n = build_ip(f, peer_ip, nif.ip, 17, frag, 15);
    net_put16(f + 14 + 6, 0x2000); net_put16(f + 14 + 10, 0); net_put16(f + 14 + 10, ref_csum(f + 14, 20, 0));
    net_input(&nif, f, n); expect[DROP_IP_FRAGMENT]++;
    n = build_udp(f, 0xe0000001, 1, nif.ip, 7, d, 16, true);
    net_input(&nif, f, n); expect[DROP_IP_BAD_SRC]++;
    n = build_udp(f, peer_ip, 1, 0x0a000299, 7, d, 16, true);
    net_input(&nif, f, n); expect[DROP_IP_NOT_FOR_US]++;
    n = build_ip(f, peer_ip, nif.ip, 132, d, 16);   /* SCTP: not spoken */
    net_input(&nif, f, n); expect[DROP_IP_UNKNOWN_PROTO]++;
    n = build_ip(f, peer_ip, nif.ip, 1, d, 4);
    net_input(&nif, f, n); expect[DROP_ICMP_SHORT]++;
    n = build_ip(f, peer_ip, nif.ip, 17, d, 7);
    net_input(&nif, f, n); expect[DROP_UDP_SHORT]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, false);
    net_put16(f + 14 + 20 + 4, 200); net_input(&nif, f, n); expect[DROP_UDP_BAD_LEN]++;
    n = build_udp(f, peer_ip, 1, nif.ip, 7, d, 16, false);
    net_put16(f + 14 + 20 + 4, 7); net_input(&nif, f, n); expect[DROP_UDP_BAD_LEN]++;

    for (int r = 0; r < DROP_REASON_COUNT; r++)
        if (nif.stats.drop[r] != expect[r]) {
            printf("    # drop %s: got %llu want %llu\n", net_drop_reason_name((enum net_drop_reason)r),
                   (unsigned long long)nif.stats.drop[r], (unsigned long long)expect[r]);
            case_failed = 1;
        }
    uint8_t buf[32];
    CHECK(sock_recvfrom(s, buf, 32, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    /* Ethernet padding after a short datagram is not payload. */
    n = build_udp(f, peer_ip, 1, nif.ip, 7, (const uint8_t *)"ab", 2, true);
    memset(f + n, 0xee, 60 - n);
    net_input(&nif, f, 60);
    CHECK(sock_recvfrom(s, buf, 32, MSG_DONTWAIT, NULL, 0) == 2 && buf[0] == 'a');
    sock_close(s);
}

/* Random and mutated frames: nothing crashes (ASan/UBSan watch the reads),
 * every frame is either accepted or counted as a drop. */
static void t_fuzz(void)
{
    resolve_peer();
    struct socket *s = bound_socket(7);
    uint32_t seed = 12345;
    uint8_t d[64] = {0}, buf[2000];
    uint64_t delivered = 0, replies_expected = 0;
    for (int iter = 0; iter < 20000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n;
        uint8_t *f = buf;
        switch (seed % 3) {
        case 0: n = build_udp(f, peer_ip, 1, nif.ip, 7, d, seed % 64, true); break;
        case 1: n = build_echo(f, peer_ip, nif.ip, 1, 1, seed % 64); break;
        default: n = build_arp(f, 1, peer_ip, nif.ip, eth_broadcast); break;
        }
        /* mutate 1-4 bytes, and sometimes the length */
        for (uint32_t k = 0; k <= (seed >> 8) % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            f[(seed >> 4) % n] ^= (uint8_t)(1u << (seed % 8));
        }
        seed = seed * 1103515245u + 12345u;
        if (seed % 4 == 0)
            n = (seed >> 8) % (n + 1);
        /* a copy of exactly n bytes so ASan sees reads past the frame */
        uint8_t *exact = malloc(n ? n : 1);
        memcpy(exact, f, n);
        uint64_t before_drop = nif.stats.rx_dropped;
        net_input(&nif, exact, n);
        free(exact);
        if (nif.stats.rx_dropped == before_drop)
            delivered++;
        tx_count = 0;
        while (sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) >= 0)
            ;
    }
    (void)replies_expected;
    CHECK(nif.stats.rx_frames == 20000 + 1);
    CHECK(nif.stats.rx_dropped + delivered == 20000);
    CHECK(nif.stats.rx_dropped > 1000);
    /* still works afterwards */
    resolve_peer();
    size_t n = build_echo(buf, peer_ip, nif.ip, 9, 9, 8);
    net_input(&nif, buf, n);
    CHECK(tx_count == 1);
    sock_close(s);
}

static void t_multicast_filter(void)
{
    uint8_t f[200], d[3] = {1, 2, 3}, mac[6];
    eth_mcast_mac(0xe00000fb, mac);
    CHECK(mac[0] == 0x01 && mac[1] == 0 && mac[2] == 0x5e && mac[3] == 0 && mac[4] == 0 && mac[5] == 0xfb);
    struct socket *s;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in a = {.sin_family = AF_INET, .sin_port = net_htons(5353)};
    CHECK(sock_bind(s, &a) == 0);
    size_t n = build_udp(f, peer_ip, 5353, 0xe00000fb, 5353, d, 3, true);
    memcpy(f, mac, 6);
    net_input(&nif, f, n);
    CHECK(nif.stats.drop[DROP_ETH_NOT_FOR_US] == 1);
    CHECK(netif_join_mcast(&nif, mac) == 0);
    net_input(&nif, f, n);
    uint8_t buf[8];
    /* The NIC takes the group, but a socket gets only the groups it joined. */
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    CHECK(sock_membership(s, true, 0xe00000fb, 0) == 0);
    CHECK(sock_membership(s, true, 0xe00000fb, 0) == -EADDRINUSE);
    CHECK(sock_membership(s, true, 0x0a000001, 0) == -EINVAL);
    /* A second socket shares 5353 only when both set SO_REUSEADDR first. */
    struct socket *s2;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s2) == 0);
    CHECK(sock_bind(s2, &a) == -EADDRINUSE);
    sock_close(s);
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    CHECK(sock_setopt(s, SOL_SOCKET, SO_REUSEADDR, 1) == 0 && sock_setopt(s2, SOL_SOCKET, SO_REUSEADDR, 1) == 0);
    CHECK(sock_bind(s, &a) == 0 && sock_bind(s2, &a) == 0);
    CHECK(sock_membership(s, true, 0xe00000fb, 0) == 0 && sock_membership(s2, true, 0xe00000fb, 0) == 0);
    net_input(&nif, f, n);
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == 3);   /* multicast: every binding */
    CHECK(sock_recvfrom(s2, buf, 8, MSG_DONTWAIT, NULL, 0) == 3);
    size_t u = build_udp(f, peer_ip, 5353, nif.ip, 5353, d, 3, false);
    net_input(&nif, f, u);
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == 3);   /* unicast: the oldest only */
    CHECK(sock_recvfrom(s2, buf, 8, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    CHECK(sock_membership(s2, false, 0xe00000fb, 0) == 0);
    net_input(&nif, f, n);
    CHECK(sock_recvfrom(s2, buf, 8, MSG_DONTWAIT, NULL, 0) == -EAGAIN);  /* left the group */
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == 3);
    sock_close(s);
    sock_close(s2);
}

static void t_loopback(void)
{
    struct socket *a, *b;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &a) == 0);
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &b) == 0);
    struct kos_sockaddr_in pa = {.sin_family = AF_INET, .sin_port = net_htons(6000)};
    CHECK(sock_bind(a, &pa) == 0);
    pa.sin_addr = net_htonl(nif.ip);
    CHECK(sock_sendto(b, "to myself", 9, 0, &pa) == 9);
    CHECK(tx_count == 0);   /* nothing on the wire, no ARP for ourselves */
    char buf[16];
    struct kos_sockaddr_in from;
    CHECK(sock_recvfrom(a, buf, sizeof buf, MSG_DONTWAIT, &from, 0) == 9 && memcmp(buf, "to myself", 9) == 0);
    CHECK(net_ntohl(from.sin_addr) == nif.ip && net_ntohs(from.sin_port) == b->local_port);
    /* the same addresses arriving from the wire are spoofed: dropped */
    uint8_t f[200];
    size_t n = build_udp(f, nif.ip, 1, nif.ip, 6000, (const uint8_t *)"x", 1, true);
    net_input(&nif, f, n);
    CHECK(nif.stats.drop[DROP_IP_BAD_SRC] == 1);
    CHECK(sock_recvfrom(a, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    sock_close(a);
    sock_close(b);
}

/* Per-socket queue limit, then the shared pool limit: both counted, and
 * every slot comes back when the sockets are read or closed. */
static void t_queue_limits(void)
{
    resolve_peer();
    struct socket *s[3];
    uint8_t f[200], d[8] = {0};
    for (int i = 0; i < 3; i++) {
        CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s[i]) == 0);
        struct kos_sockaddr_in a = {.sin_family = AF_INET, .sin_port = net_htons((uint16_t)(7000 + i))};
        CHECK(sock_bind(s[i], &a) == 0);
        for (int k = 0; k < SOCK_RX_QUEUE + 5; k++) {
            size_t n = build_udp(f, peer_ip, 1, nif.ip, (uint16_t)(7000 + i), d, 8, true);
            net_input(&nif, f, n);
        }
    }
    CHECK(nif.stats.drop[DROP_UDP_QUEUE_FULL] == 2 * 5);
    CHECK(sock_dgrams_in_use() == SOCK_DGRAM_POOL);
    CHECK(nif.stats.drop[DROP_UDP_NO_MEM] == 3 * (SOCK_RX_QUEUE + 5) - SOCK_DGRAM_POOL - 10);
    uint8_t buf[8];
    CHECK(sock_recvfrom(s[0], buf, 8, MSG_DONTWAIT, NULL, 0) == 8);
    CHECK(sock_dgrams_in_use() == SOCK_DGRAM_POOL - 1);
    for (int i = 0; i < 3; i++)
        sock_close(s[i]);
    CHECK(sock_dgrams_in_use() == 0);
    CHECK(tx_count == 0);   /* full queues are not "port unreachable" */
}

/* ---- fragments (RFC 791), ARP probes (RFC 5227), bad sources (RFC 1122) ---- */

/* One fragment of a datagram from src: payload bytes [off, off + len) of whole. */
static size_t build_frag(uint8_t *f, uint32_t src, uint8_t proto, uint16_t id, size_t off, bool more,
                         const uint8_t *whole, size_t len)
{
    size_t n = build_ip(f, src, nif.ip, proto, whole + off, len);
    uint8_t *p = f + 14;
    net_put16(p + 4, id);
    net_put16(p + 6, (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    net_put16(p + 10, 0);
    net_put16(p + 10, ref_csum(p, 20, 0));
    return n;
}

/* A UDP datagram (header + data) from peer_ip:1 to our port, checksummed. */
static size_t udp_whole(uint8_t *u, uint16_t dport, size_t datalen)
{
    net_put16(u, 1); net_put16(u + 2, dport); net_put16(u + 4, (uint16_t)(8 + datalen)); net_put16(u + 6, 0);
    for (size_t i = 0; i < datalen; i++)
        u[8 + i] = (uint8_t)(i * 31 + (i >> 8));
    net_put16(u + 6, ref_csum(u, 8 + datalen, udp_pseudo(peer_ip, nif.ip, 8 + datalen)));
    return 8 + datalen;
}

static void t_fragment_send(void)
{
    resolve_peer();
    struct socket *s;
    CHECK(sock_create(AF_INET, SOCK_DGRAM, 0, &s) == 0);
    struct kos_sockaddr_in to = {.sin_family = AF_INET, .sin_port = net_htons(9), .sin_addr = net_htonl(peer_ip)};
    static uint8_t data[3000], whole[3008 + 8];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    CHECK(sock_sendto(s, data, sizeof data, 0, &to) == (long)sizeof data);
    CHECK(tx_count == 3);   /* 1480 + 1480 + 48 bytes of the 3008-byte UDP datagram */
    size_t got = 0;
    for (int i = 0; i < tx_count && i < 3; i++) {
        const uint8_t *p = tx_frames[i] + 14;
        size_t total = net_get16(p + 2), off = (size_t)(net_get16(p + 6) & 0x1fff) * 8;
        CHECK(ref_csum(p, 20, 0) == 0);
        CHECK(net_get16(p + 4) == net_get16(tx_frames[0] + 14 + 4));    /* one id */
        CHECK(((net_get16(p + 6) & 0x2000) != 0) == (i < 2));            /* MF on all but the last */
        CHECK(off == (size_t)i * 1480);
        CHECK(total == (i < 2 ? 1500u : 68u));
        memcpy(whole + off, p + 20, total - 20);
        got += total - 20;
    }
    CHECK(got == 3008);
    CHECK(ref_csum(whole, 3008, udp_pseudo(nif.ip, peer_ip, 3008)) == 0);
    CHECK(memcmp(whole + 8, data, sizeof data) == 0);
    sock_close(s);
}

static void t_fragment_reassembly(void)
{
    resolve_peer();
    struct socket *s = bound_socket(7000);
    static uint8_t whole[8200], f[1600], buf[8200];
    size_t n = udp_whole(whole, 7000, 8192);      /* 8200 bytes: 6 fragments of 1480 and one of 800 */
    /* Last fragment first, then the rest backwards: order must not matter. */
    for (int i = 5; i >= 0; i--) {
        size_t off = (size_t)i * 1480, len = off + 1480 <= n ? 1480 : n - off;
        net_input(&nif, f, build_frag(f, peer_ip, 17, 4242, off, off + len < n, whole, len));
        if (i > 0)
            CHECK(sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    }
    CHECK(ipv4_reasm_in_progress() == 0);
    CHECK(sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == 8192 && memcmp(buf, whole + 8, 8192) == 0);
    CHECK(nif.stats.rx_dropped == 0);
    /* An exact duplicate is ignored; the datagram still completes. */
    n = udp_whole(whole, 7000, 2000);
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4243, 0, true, whole, 1480));
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4243, 0, true, whole, 1480));
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4243, 1480, false, whole, n - 1480));
    CHECK(nif.stats.drop[DROP_IP_FRAG_DUPLICATE] == 1);
    CHECK(sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == 2000 && memcmp(buf, whole + 8, 2000) == 0);
    /* Overlapping pieces drop the whole datagram (as RFC 5722), even when
     * the bytes would add up. */
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4244, 0, true, whole, 1480));
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4244, 1472, false, whole, n - 1472));
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4244, 1480, false, whole, n - 1480));
    CHECK(nif.stats.drop[DROP_IP_FRAG_OVERLAP] == 1);
    CHECK(sock_recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    CHECK(ipv4_reasm_in_progress() == 1);     /* the third piece started over; it times out */
    /* More fragments with a length that is not a multiple of 8: malformed. */
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4245, 0, true, whole, 1001));
    CHECK(nif.stats.drop[DROP_IP_FRAGMENT] == 1);
    /* Past IPV4_REASM_MAX: refused. */
    net_input(&nif, f, build_frag(f, peer_ip, 17, 4246, IPV4_REASM_MAX - 8, false, whole, 16));
    CHECK(nif.stats.drop[DROP_IP_FRAGMENT] == 2);
    /* The reassembly timeout frees what never completes. */
    fake_now_ms += IPV4_REASM_TIMEOUT_MS;
    net_poll();
    CHECK(nif.stats.drop[DROP_IP_FRAG_TIMEOUT] == 1);
    CHECK(ipv4_reasm_in_progress() == 0);
    /* A flood of first fragments: bounded slots, the oldest evicted. */
    for (int i = 0; i < 100; i++)
        net_input(&nif, f, build_frag(f, peer_ip, 17, (uint16_t)(5000 + i), 0, true, whole, 8));
    CHECK(ipv4_reasm_in_progress() == IPV4_REASM_SLOTS);
    CHECK(nif.stats.drop[DROP_IP_FRAG_NO_MEM] == 100 - IPV4_REASM_SLOTS);
    fake_now_ms += IPV4_REASM_TIMEOUT_MS;
    net_poll();
    CHECK(ipv4_reasm_in_progress() == 0);
    CHECK(tx_count == 0);
    sock_close(s);
}

static void t_fragmented_ping(void)
{
    resolve_peer();
    static uint8_t m[2008], f[1600];
    m[0] = 8; m[1] = 0; net_put16(m + 2, 0); net_put16(m + 4, 1); net_put16(m + 6, 1);
    for (size_t i = 8; i < sizeof m; i++)
        m[i] = (uint8_t)i;
    net_put16(m + 2, ref_csum(m, sizeof m, 0));
    net_input(&nif, f, build_frag(f, peer_ip, 1, 99, 0, true, m, 1480));
    net_input(&nif, f, build_frag(f, peer_ip, 1, 99, 1480, false, m, sizeof m - 1480));
    CHECK(nif.stats.icmp_echo_replies == 1);
    CHECK(tx_count == 2);    /* the 2008-byte reply leaves in two fragments */
    if (tx_count == 2) {
        const uint8_t *p = tx_frames[0] + 14;
        CHECK(p[20] == ICMP_ECHO_REPLY && (net_get16(p + 6) & 0x2000));
        CHECK(net_get16(tx_frames[1] + 14 + 6) == 1480 / 8);
    }
}

static void t_arp_probe_defended(void)
{
    uint8_t f[100];
    /* RFC 5227 probe: sender 0.0.0.0, target our address. */
    size_t n = build_arp(f, 1, 0, nif.ip, eth_broadcast);
    net_input(&nif, f, n);
    CHECK(tx_count == 1);
    if (tx_count == 1) {
        const uint8_t *p = tx_frames[0] + 14;
        CHECK(memcmp(tx_frames[0], peer_mac, 6) == 0);           /* to the prober's MAC */
        CHECK(net_get16(p + 6) == 2 && net_get32(p + 14) == nif.ip && net_get32(p + 24) == 0);
    }
    uint8_t mac[6];
    CHECK(!arp_lookup(0, mac));                                    /* nothing cached */
    /* A probe for someone else's address stays unanswered. */
    n = build_arp(f, 1, 0, other_ip, eth_broadcast);
    net_input(&nif, f, n);
    CHECK(tx_count == 1);
    CHECK(nif.stats.drop[DROP_ARP_NOT_FOR_US] == 1);
}

static void t_arp_pending_evicted_first(void)
{
    resolve_peer();
    uint8_t f[200];
    /* Made-up neighbours ping us and never answer ARP: every slot fills
     * with a pending entry, and more keep coming. */
    for (uint32_t i = 0; i < 3 * ARP_CACHE_SIZE; i++) {
        size_t n = build_echo(f, 0x0a000240 + i, nif.ip, 1, (uint16_t)i, 8);
        net_input(&nif, f, n);
    }
    uint8_t mac[6];
    CHECK(arp_lookup(peer_ip, mac));                               /* the real host stayed */
    CHECK(nif.stats.drop[DROP_ARP_EVICTED] == 2 * ARP_CACHE_SIZE + 1);
    tx_count = 0;
    size_t n = build_echo(f, peer_ip, nif.ip, 1, 1, 8);
    net_input(&nif, f, n);
    CHECK(tx_count == 1 && memcmp(tx_frames[0], peer_mac, 6) == 0); /* answered at once */
}

static void t_bad_sources(void)
{
    resolve_peer();
    struct socket *s = bound_socket(7);
    uint8_t f[200], d[4] = {1, 2, 3, 4};
    const uint32_t bad[] = {0x0a0002ff, 0xf0000001, 0xffffffff, 0xe0000001, 0x7f000001, 0x0a00020f};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        net_input(&nif, f, build_udp(f, bad[i], 1, nif.ip, 7, d, 4, true));
        net_input(&nif, f, build_echo(f, bad[i], nif.ip, 1, 1, 8));
        net_input(&nif, f, build_udp(f, bad[i], 1, nif.ip, 9, d, 4, true));
    }
    CHECK(nif.stats.drop[DROP_IP_BAD_SRC] == 3 * 6);
    CHECK(tx_count == 0);
    uint8_t buf[8];
    CHECK(sock_recvfrom(s, buf, 8, MSG_DONTWAIT, NULL, 0) == -EAGAIN);
    sock_close(s);
}

int main(void)
{
    printf("KTAP version 1\n1..23\n");
    run("cmdline_config", t_cmdline);
    run("arp_reply", t_arp_reply);
    run("arp_not_for_us", t_arp_not_for_us);
    run("icmp_echo_reply", t_icmp_echo);
    run("ip_icmp_bad_checksum", t_ip_bad_checksum);
    run("udp_port_unreachable", t_udp_port_unreachable);
    run("udp_socket_roundtrip", t_udp_socket_roundtrip);
    run("udp_sizes_0_to_1472", t_udp_sizes);
    run("udp_connected_filter", t_connected_filter);
    run("arp_queue_and_resolve", t_arp_queue_and_resolve);
    run("arp_timeout", t_arp_timeout);
    run("gateway_route", t_gateway_route);
    run("socket_errors", t_socket_errors);
    run("malformed_frames_counted", t_malformed);
    run("multicast_filter", t_multicast_filter);
    run("loopback_to_own_address", t_loopback);
    run("queue_and_pool_limits", t_queue_limits);
    run("ip_fragment_send", t_fragment_send);
    run("ip_fragment_reassembly", t_fragment_reassembly);
    run("icmp_fragmented_echo", t_fragmented_ping);
    run("arp_probe_defended", t_arp_probe_defended);
    run("arp_pending_evicted_first", t_arp_pending_evicted_first);
    run("ip_bad_sources_silent", t_bad_sources);
    printf("# fuzz\n");
    reset(); case_failed = 0; t_fuzz();
    printf("# fuzz %s\n", case_failed ? "FAILED" : "passed");
    failures += case_failed;
    arp_flush();
    if (sock_dgrams_in_use() != 0 || sock_open_count() != 0) {
        printf("# leak: %d datagrams, %d sockets still held\n", sock_dgrams_in_use(), sock_open_count());
        failures++;
    }
    return failures ? 1 : 0;
}
