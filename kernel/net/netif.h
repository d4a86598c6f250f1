/* The network interface a driver plugs into, and the stack's counters. */
#pragma once
#include "net/net_env.h"

#define ETH_ALEN 6
#define ETH_HDR_LEN 14
#define ETH_MTU 1500
#define ETH_FRAME_MAX (ETH_HDR_LEN + ETH_MTU)

/* Why a received packet was dropped; every parser counts by reason. */
enum net_drop_reason {
    DROP_ETH_SHORT,         /* shorter than an Ethernet header */
    DROP_ETH_OVERSIZE,      /* longer than header + MTU */
    DROP_ETH_NOT_FOR_US,    /* destination MAC is not ours / broadcast / joined multicast */
    DROP_ETH_OWN_SRC,       /* our own frame echoed back (socket/dgram LANs) */
    DROP_ETH_BAD_SRC,       /* source MAC is multicast/broadcast */
    DROP_ETH_UNKNOWN_TYPE,  /* EtherType we do not speak (incl. 802.3 length field) */
    DROP_ARP_SHORT,
    DROP_ARP_BAD_FORMAT,    /* not Ethernet/IPv4, bad lengths or opcode */
    DROP_ARP_NOT_FOR_US,
    DROP_ARP_QUEUE_REPLACED,/* queued packet replaced by a newer one while unresolved */
    DROP_ARP_TIMEOUT,       /* queued packet dropped: address never resolved */
    DROP_ARP_EVICTED,       /* queued packet dropped: its pending entry made room for another */
    DROP_IP_SHORT,
    DROP_IP_BAD_VERSION,
    DROP_IP_BAD_IHL,
    DROP_IP_BAD_LEN,        /* total length < header or > frame */
    DROP_IP_BAD_CSUM,
    DROP_IP_FRAGMENT,       /* malformed fragment: not a multiple of 8, past the size limit, too many pieces */
    DROP_IP_FRAG_OVERLAP,   /* overlapping fragments: the whole datagram is dropped (as RFC 5722) */
    DROP_IP_FRAG_TIMEOUT,   /* datagram never completed within the reassembly timeout */
    DROP_IP_FRAG_NO_MEM,    /* oldest datagram in reassembly evicted for a new one */
    DROP_IP_FRAG_DUPLICATE, /* a fragment we already hold */
    DROP_IP_BAD_SRC,        /* source is broadcast (limited or subnet), multicast, class E, loopback or ours */
    DROP_IP_NOT_FOR_US,
    DROP_IP_UNKNOWN_PROTO,
    DROP_ICMP_SHORT,
    DROP_ICMP_BAD_CSUM,
    DROP_ICMP_UNHANDLED,    /* ICMP types we only count (replies, errors) */
    DROP_UDP_SHORT,
    DROP_UDP_BAD_LEN,
    DROP_UDP_BAD_CSUM,
    DROP_UDP_NO_PORT,       /* answered with ICMP port unreachable */
    DROP_UDP_QUEUE_FULL,
    DROP_UDP_NO_MEM,
    DROP_MDNS_MALFORMED,    /* a message to port 5353 the DNS parser refused */
    DROP_TCP_SHORT,         /* shorter than a TCP header */
    DROP_TCP_BAD_OFFSET,    /* data offset below 5 words or past the segment */
    DROP_TCP_BAD_CSUM,
    DROP_TCP_BAD_OPTION,    /* an option whose length lies */
    DROP_TCP_BAD_FLAGS,     /* SYN+FIN, SYN+RST, no flags, FIN without ACK, port 0 */
    DROP_TCP_BROADCAST,     /* TCP to a broadcast or multicast address */
    DROP_TCP_NO_PORT,       /* no connection: answered with RST (a RST itself is not answered) */
    DROP_TCP_BACKLOG_FULL,  /* SYN while the backlog holds only established connections */
    DROP_TCP_NO_MEM,        /* no control block or buffers free */
    DROP_TCP_OUT_OF_WINDOW, /* unacceptable sequence number (answered with an ACK) */
    DROP_TCP_PAWS,          /* timestamp older than the last one seen (RFC 7323) */
    DROP_TCP_BAD_ACK,       /* acknowledges what was never sent (RFC 5961 5.2) */
    DROP_TCP_NO_TS,         /* no timestamp although both sides agreed to send them (RFC 7323 3.2) */
    DROP_TCP_CHALLENGE_LIMIT, /* a challenge ACK over the limit a second, not sent (RFC 5961 7) */
    DROP_TCP_OOO_FULL,      /* out-of-order segment while every range slot is taken */
    DROP_REASON_COUNT
};

struct netif_counters {
    uint64_t rx_frames, rx_bytes;
    uint64_t tx_frames, tx_bytes, tx_errors;
    uint64_t rx_dropped;                 /* sum of drop[] */
    uint64_t drop[DROP_REASON_COUNT];
    uint64_t arp_requests_sent, arp_replies_sent;
    uint64_t icmp_echo_replies, icmp_unreach_sent;
    uint64_t udp_rx, udp_tx;
    uint64_t tcp_rx;
};

struct netif;
/* Hands one complete Ethernet frame (no FCS) to the NIC. 0 or -errno. */
typedef int (*netif_transmit_fn)(struct netif *nif, const void *frame, size_t len);
/* Drains the NIC's receive ring into net_input (polling fallback). */
typedef void (*netif_poll_fn)(struct netif *nif);
/* Lets a multicast MAC through the NIC's own filter (NULL: nothing to program). */
typedef void (*netif_mcast_fn)(struct netif *nif, const uint8_t mac[ETH_ALEN]);

#define NETIF_MAX_MCAST 4

struct netif {
    const char *name;
    uint8_t mac[ETH_ALEN];
    uint32_t ip, mask, gw;               /* host byte order */
    netif_transmit_fn transmit;
    netif_poll_fn poll;
    netif_mcast_fn program_mcast;
    void *driver;
    uint8_t mcast[NETIF_MAX_MCAST][ETH_ALEN]; /* joined multicast MACs */
    int mcast_count;
    struct netif_counters stats;
};

/* The interface sockets use (the kernel has one NIC). */
extern struct netif *net_default_if;
/* lo: 127.0.0.1/8. What is sent to it (or to our own address) is queued
 * and delivered by net_loopback_drain, never from inside the sender. */
extern struct netif net_loopback_if;
#define NET_LOOPBACK_ADDR 0x7f000001u
/* The interface for dst: lo for 127/8 and for our own address, else the
 * default interface (NULL when there is none). */
struct netif *net_route(uint32_t dst);
/* Queues an IPv4 packet for delivery to `to` (lo, or ourselves on a NIC).
 * 0, -EMSGSIZE or -ENOBUFS (full). */
int net_loopback_queue(struct netif *to, const uint8_t *pkt, size_t len);
/* Delivers queued loopback packets (a no-op while already delivering). */
void net_loopback_drain(void);

const char *net_drop_reason_name(enum net_drop_reason r);
void net_count_drop(struct netif *nif, enum net_drop_reason r);

/* Parses ip=, gw=, mask= from the kernel command line into *nif
 * (defaults: QEMU user networking 10.0.2.15/24 via 10.0.2.2). */
void net_config_from_cmdline(struct netif *nif, const char *cmdline);
/* Registers nif as the default interface (drivers call this once). */
void net_register(struct netif *nif);
/* Accepts a multicast MAC in the software filter (the driver programs the NIC). */
int netif_join_mcast(struct netif *nif, const uint8_t mac[ETH_ALEN]);
/* Joins an IPv4 multicast group: its MAC in the NIC's filter (program_mcast)
 * and in the software one. Memberships are never left on the NIC: sockets
 * filter the groups they joined. 0, -EINVAL (not 224.0.0.0/4) or -ENOSPC. */
int netif_join_group(struct netif *nif, uint32_t group);

/* One received frame from a driver. Never trusts anything in it. */
void net_input(struct netif *nif, const uint8_t *frame, size_t len);
/* Periodic work: poll the NIC if it has no interrupt, ARP retries/timeouts. */
void net_poll(void);
/* Periodic work of the protocols above (mDNS announcements and browsing):
 * net_poll calls each registered hook after the driver and ARP. 0, or
 * -ENOSPC past NET_POLL_HOOKS; registering a hook again is a no-op. */
#define NET_POLL_HOOKS 4
int net_on_poll(void (*fn)(struct netif *nif));
/* Kernel only (platform.c): registers the stack's timer tick, which polls
 * and lets blocked socket calls halt between polls. */
void net_platform_init(void);

/* "a.b.c.d" -> host-order address; returns false on malformed text. */
bool net_parse_ipv4(const char *s, size_t n, uint32_t *out);
/* Calls emit for every counter ("rx_frames", "drop_ip_bad_csum", ...). */
void net_for_each_counter(struct netif *nif, void (*emit)(const char *name, uint64_t value, void *arg),
                          void *arg);
/* Drop reason from its name ("ip_bad_csum"), -1 when unknown. */
int net_drop_reason_by_name(const char *name, size_t len);
