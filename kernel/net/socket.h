/* Sockets: UDP (SOCK_DGRAM, here) and TCP (SOCK_STREAM, over the engine in
 * tcp.c). The functions here take kernel pointers; sys/sys_net.c checks
 * and copies user memory and maps file descriptors to sockets. Blocking
 * calls wait in net_wait_for_event (the process sleeps; a kill ends the
 * wait with -EINTR) unless the socket is non-blocking (-EAGAIN). */
#pragma once
#include "net/netif.h"
#include "net/udp.h"
#include "net/tcp.h"

/* User ABI (AF_INET, SOCK_DGRAM, MSG_DONTWAIT, struct kos_sockaddr_in),
 * shared with user/lib/net.h. */
#include <kos/socket.h>

#define SOCK_RX_QUEUE 64     /* datagrams held per socket before dropping */
#define SOCK_DGRAM_POOL 128  /* received datagrams of one frame (<= 1472 bytes) held by all sockets */
#define SOCK_BIG_POOL 8      /* received datagrams that came in fragments (<= UDP_DGRAM_MAX) */

struct sock_dgram {
    struct sock_dgram *next;
    uint32_t src;       /* host order */
    uint16_t src_port;
    uint16_t len;
    bool big;           /* from the pool of UDP_DGRAM_MAX-byte buffers */
    uint8_t *data;      /* UDP_MAX_PAYLOAD bytes, or UDP_DGRAM_MAX when big */
};

struct socket {
    struct udp_binding binding; /* in the UDP port table while bound */
    int type;
    bool nonblocking;
    bool bound, connected;
    uint32_t local_ip;          /* host order; 0 = any */
    uint16_t local_port;
    uint32_t peer_ip;
    uint16_t peer_port;
    struct sock_dgram *rx_head, *rx_tail;
    int rx_count;
    uint64_t rx_dropped;
    bool reuseaddr;
    uint8_t mcast_ttl;          /* IP_MULTICAST_TTL */
    uint32_t groups[SOCK_MAX_GROUPS]; /* joined multicast groups, host order */
    int ngroups;
    struct tcp_conn *tcp;       /* SOCK_STREAM: the connection (or listener) */
};

int sock_create(int domain, int type, int protocol, struct socket **out);
int sock_bind(struct socket *s, const struct kos_sockaddr_in *addr);
int sock_connect(struct socket *s, const struct kos_sockaddr_in *addr);
/* addr NULL: send to the connected peer. Returns bytes sent or -errno. */
long sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
                 const struct kos_sockaddr_in *addr);
/* Blocks (net_wait_for_event: a process sleeps, other processes run) until
 * a datagram arrives, timeout_ms passes (-ETIMEDOUT; 0 = wait forever) or the
 * process is killed (-EINTR), or returns -EAGAIN at once with MSG_DONTWAIT /
 * SOCK_NONBLOCK. from may be NULL. Copies at most
 * len bytes (the rest of the datagram is discarded, as on Linux). */
long sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                   struct kos_sockaddr_in *from, uint32_t timeout_ms);
void sock_close(struct socket *s);

/* Streams (SOCK_STREAM); on a datagram socket these are -EOPNOTSUPP. */
int sock_listen(struct socket *s, int backlog);
/* The next connection (a new socket), blocking unless non-blocking. */
int sock_accept(struct socket *s, struct socket **out);
/* At least one byte queued (blocking), or -errno. */
long sock_stream_send(struct socket *s, const void *buf, size_t len, int flags);
/* What is there, at most len: count, 0 at end of stream, or -errno. */
long sock_stream_recv(struct socket *s, void *buf, size_t len, int flags, uint32_t timeout_ms);
int sock_shutdown(struct socket *s, int how);
/* Local (peer false) or peer address. */
int sock_getname(struct socket *s, bool peer, struct kos_sockaddr_in *out);
int sock_setopt(struct socket *s, int level, int name, int value);
int sock_getopt(struct socket *s, int level, int name, int *value);
/* IP_ADD_MEMBERSHIP (join) / IP_DROP_MEMBERSHIP on a datagram socket; group
 * and ifaddr in host order (ifaddr 0 or the NIC's address). 0, -EINVAL (not
 * a multicast group), -EADDRNOTAVAIL (another interface; dropping a group not
 * joined), -EADDRINUSE (joined already), -ENOBUFS (SOCK_MAX_GROUPS joined),
 * -ENODEV (no NIC), -ENOPROTOOPT (a stream socket). */
int sock_membership(struct socket *s, bool join, uint32_t group, uint32_t ifaddr);
/* Readiness as FILE_POLL* bits. */
unsigned sock_poll(struct socket *s);

/* Number of open sockets and of queued datagrams (leak checks in tests). */
int sock_open_count(void);
int sock_dgrams_in_use(void);
