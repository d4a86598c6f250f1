/* netif registry, command-line address configuration, counters, polling. */
#include "net/netif.h"
#include "net/eth.h"
#include "net/arp.h"
#include "net/tcp.h"
#include "net/ipv4.h"

struct netif *net_default_if;

static void (*poll_hooks[NET_POLL_HOOKS])(struct netif *nif);

int net_on_poll(void (*fn)(struct netif *nif))
{
    for (int i = 0; i < NET_POLL_HOOKS; i++) {
        if (poll_hooks[i] == fn)
            return 0;
        if (!poll_hooks[i]) {
            poll_hooks[i] = fn;
            return 0;
        }
    }
    return -ENOSPC;
}

static const char *const drop_names[DROP_REASON_COUNT] = {
    [DROP_ETH_SHORT] = "eth_short",
    [DROP_ETH_OVERSIZE] = "eth_oversize",
    [DROP_ETH_NOT_FOR_US] = "eth_not_for_us",
    [DROP_ETH_OWN_SRC] = "eth_own_src",
    [DROP_ETH_BAD_SRC] = "eth_bad_src",
    [DROP_ETH_UNKNOWN_TYPE] = "eth_unknown_type",
    [DROP_ARP_SHORT] = "arp_short",
    [DROP_ARP_BAD_FORMAT] = "arp_bad_format",
    [DROP_ARP_NOT_FOR_US] = "arp_not_for_us",
    [DROP_ARP_QUEUE_REPLACED] = "arp_queue_replaced",
    [DROP_ARP_TIMEOUT] = "arp_timeout",
    [DROP_ARP_EVICTED] = "arp_evicted",
    [DROP_IP_SHORT] = "ip_short",
    [DROP_IP_BAD_VERSION] = "ip_bad_version",
    [DROP_IP_BAD_IHL] = "ip_bad_ihl",
    [DROP_IP_BAD_LEN] = "ip_bad_len",
    [DROP_IP_BAD_CSUM] = "ip_bad_csum",
    [DROP_IP_FRAGMENT] = "ip_fragment",
    [DROP_IP_FRAG_OVERLAP] = "ip_frag_overlap",
    [DROP_IP_FRAG_TIMEOUT] = "ip_frag_timeout",
    [DROP_IP_FRAG_NO_MEM] = "ip_frag_no_mem",
    [DROP_IP_FRAG_DUPLICATE] = "ip_frag_duplicate",
    [DROP_IP_BAD_SRC] = "ip_bad_src",
    [DROP_IP_NOT_FOR_US] = "ip_not_for_us",
    [DROP_IP_UNKNOWN_PROTO] = "ip_unknown_proto",
    [DROP_ICMP_SHORT] = "icmp_short",
    [DROP_ICMP_BAD_CSUM] = "icmp_bad_csum",
    [DROP_ICMP_UNHANDLED] = "icmp_unhandled",
    [DROP_UDP_SHORT] = "udp_short",
    [DROP_UDP_BAD_LEN] = "udp_bad_len",
    [DROP_UDP_BAD_CSUM] = "udp_bad_csum",
    [DROP_UDP_NO_PORT] = "udp_no_port",
    [DROP_UDP_QUEUE_FULL] = "udp_queue_full",
    [DROP_UDP_NO_MEM] = "udp_no_mem",
    [DROP_MDNS_MALFORMED] = "mdns_malformed",
    [DROP_TCP_SHORT] = "tcp_short",
    [DROP_TCP_BAD_OFFSET] = "tcp_bad_offset",
    [DROP_TCP_BAD_CSUM] = "tcp_bad_csum",
    [DROP_TCP_BAD_OPTION] = "tcp_bad_option",
    [DROP_TCP_BAD_FLAGS] = "tcp_bad_flags",
    [DROP_TCP_BROADCAST] = "tcp_broadcast",
    [DROP_TCP_NO_PORT] = "tcp_no_port",
    [DROP_TCP_BACKLOG_FULL] = "tcp_backlog_full",
    [DROP_TCP_NO_MEM] = "tcp_no_mem",
    [DROP_TCP_OUT_OF_WINDOW] = "tcp_out_of_window",
    [DROP_TCP_PAWS] = "tcp_paws",
    [DROP_TCP_BAD_ACK] = "tcp_bad_ack",
    [DROP_TCP_NO_TS] = "tcp_no_timestamp",
    [DROP_TCP_CHALLENGE_LIMIT] = "tcp_challenge_limit",
    [DROP_TCP_OOO_FULL] = "tcp_ooo_full",
};

const char *net_drop_reason_name(enum net_drop_reason r)
{
    if ((unsigned)r >= DROP_REASON_COUNT || !drop_names[r])
        return "unknown";
    return drop_names[r];
}

void net_count_drop(struct netif *nif, enum net_drop_reason r)
{
    if ((unsigned)r >= DROP_REASON_COUNT)
        return;
    nif->stats.drop[r]++;
    nif->stats.rx_dropped++;
}

bool net_parse_ipv4(const char *s, size_t n, uint32_t *out)
{
    uint32_t addr = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        uint32_t v = 0;
        size_t digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (uint32_t)(s[i] - '0');
            if (++digits > 3 || v > 255)
                return false;
            i++;
        }
        if (digits == 0)
            return false;
        addr = (addr << 8) | v;
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
    }
    if (i != n)
        return false;
    *out = addr;
    return true;
}

/* Finds "key=" at a word start; returns value length, or -1 if absent. */
static long cmdline_value(const char *cmdline, const char *key, const char **val)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - word) > klen && strncmp(word, key, klen) == 0 && word[klen] == '=') {
            *val = word + klen + 1;
            return p - *val;
        }
    }
    return -1;
}

static void config_addr(struct netif *nif, const char *cmdline, const char *key, uint32_t *field)
{
    const char *v;
    long n = cmdline_value(cmdline, key, &v);
    if (n < 0)
        return;
    uint32_t a;
    /* "A.B.C.mac": the last octet is the MAC's last byte, so guests of one
     * LAN booted with the same command line get distinct addresses. */
    if (n > 4 && strncmp(v + n - 4, ".mac", 4) == 0) {
        char buf[24];
        size_t len = (size_t)n - 4;
        if (len < 12 && nif->mac[5] != 0 && nif->mac[5] != 255) {
            memcpy(buf, v, len);
            memcpy(buf + len, ".1", 3);
            if (net_parse_ipv4(buf, len + 2, &a)) {
                *field = (a & 0xffffff00u) | nif->mac[5];
                return;
            }
        }
        kprintf("net: ignoring malformed %s= on the command line\n", key);
        return;
    }
    if (net_parse_ipv4(v, (size_t)n, &a))
        *field = a;
    else
        kprintf("net: ignoring malformed %s= on the command line\n", key);
}

void net_config_from_cmdline(struct netif *nif, const char *cmdline)
{
    nif->ip = 0x0a00020f;   /* 10.0.2.15: QEMU user networking's guest */
    nif->gw = 0x0a000202;   /* 10.0.2.2 */
    nif->mask = 0xffffff00;
    if (!cmdline)
        return;
    config_addr(nif, cmdline, "ip", &nif->ip);
    config_addr(nif, cmdline, "gw", &nif->gw);
    config_addr(nif, cmdline, "mask", &nif->mask);
}

void net_register(struct netif *nif)
{
    net_default_if = nif;
}

int netif_join_mcast(struct netif *nif, const uint8_t mac[ETH_ALEN])
{
    for (int i = 0; i < nif->mcast_count; i++)
        if (memcmp(nif->mcast[i], mac, ETH_ALEN) == 0)
            return 0;
    if (nif->mcast_count >= NETIF_MAX_MCAST)
        return -ENOSPC;
    memcpy(nif->mcast[nif->mcast_count++], mac, ETH_ALEN);
    return 0;
}

int netif_join_group(struct netif *nif, uint32_t group)
{
    if ((group >> 28) != 0xe)
        return -EINVAL;
    uint8_t mac[ETH_ALEN];
    eth_mcast_mac(group, mac);
    for (int i = 0; i < nif->mcast_count; i++)
        if (memcmp(nif->mcast[i], mac, ETH_ALEN) == 0)
            return 0;
    if (nif->mcast_count >= NETIF_MAX_MCAST)
        return -ENOSPC;
    if (nif->program_mcast)
        nif->program_mcast(nif, mac);
    return netif_join_mcast(nif, mac);
}

void net_poll(void)
{
    net_loopback_drain();
    tcp_tick();
    net_loopback_drain();      /* what the timers sent to ourselves */
    struct netif *nif = net_default_if;
    if (!nif)
        return;
    if (nif->poll)
        nif->poll(nif);
    arp_tick(nif);
    ipv4_tick(nif);
    for (int i = 0; i < NET_POLL_HOOKS && poll_hooks[i]; i++)
        poll_hooks[i](nif);
}

void net_for_each_counter(struct netif *nif, void (*emit)(const char *name, uint64_t value, void *arg),
                          void *arg)
{
    struct netif_counters *c = &nif->stats;
    emit("rx_frames", c->rx_frames, arg);
    emit("tx_frames", c->tx_frames, arg);
    emit("tx_errors", c->tx_errors, arg);
    emit("rx_dropped", c->rx_dropped, arg);
    emit("arp_requests_sent", c->arp_requests_sent, arg);
    emit("arp_replies_sent", c->arp_replies_sent, arg);
    emit("icmp_echo_replies", c->icmp_echo_replies, arg);
    emit("icmp_unreach_sent", c->icmp_unreach_sent, arg);
    emit("udp_rx", c->udp_rx, arg);
    emit("udp_tx", c->udp_tx, arg);
    emit("tcp_rx", c->tcp_rx, arg);
    for (int r = 0; r < DROP_REASON_COUNT; r++) {
        char name[40] = "drop_";
        const char *n = net_drop_reason_name((enum net_drop_reason)r);
        size_t len = strlen(n);
        if (len > sizeof name - 6)
            len = sizeof name - 6;
        memcpy(name + 5, n, len);
        name[5 + len] = 0;
        emit(name, c->drop[r], arg);
    }
}

int net_drop_reason_by_name(const char *name, size_t len)
{
    for (int r = 0; r < DROP_REASON_COUNT; r++) {
        const char *n = net_drop_reason_name((enum net_drop_reason)r);
        if (strlen(n) == len && strncmp(n, name, len) == 0)
            return r;
    }
    return -1;
}
