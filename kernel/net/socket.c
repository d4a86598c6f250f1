/* Sockets. UDP: bound in the UDP port table (udp.h), ephemeral ports,
 * receive queues, blocking receive with timeout. TCP: the socket calls over
 * the engine (tcp.c), with the blocking done here.
 *
 * Blocking: a blocked receive waits in net_wait_for_event (a process sleeps
 * on the scheduler's wait queue, so others run; the kernel's own suites
 * halt), and checks its queue, its deadline and a pending kill after each
 * wake-up. Queuing a datagram wakes the waiters. */
#include "net/socket.h"
#include "net/udp.h"
#include "lib/fifo.h"

/* Leaving the stack: deliver what was sent to ourselves, then unlock. */
static void unlock(unsigned long f)
{
    net_loopback_drain();
    net_unlock(f);
}

/* Received datagrams live in fixed pools, not the heap: they are queued
 * from interrupt handlers, and the kernel heap must not be entered there.
 * One pool for datagrams that fit a frame, a small one for the large
 * datagrams reassembled from fragments. Callers hold net_lock. */
static struct sock_dgram dgram_pool[SOCK_DGRAM_POOL + SOCK_BIG_POOL];
static uint8_t small_store[SOCK_DGRAM_POOL][UDP_MAX_PAYLOAD];
static uint8_t big_store[SOCK_BIG_POOL][UDP_DGRAM_MAX];
static struct sock_dgram *dgram_free_list, *big_free_list;
static bool dgram_pool_ready;
static int dgrams_in_use;

static struct sock_dgram *dgram_alloc(size_t len)
{
    if (!dgram_pool_ready) {
        for (int i = 0; i < SOCK_DGRAM_POOL + SOCK_BIG_POOL; i++) {
            struct sock_dgram *d = &dgram_pool[i];
            d->big = i >= SOCK_DGRAM_POOL;
            d->data = d->big ? big_store[i - SOCK_DGRAM_POOL] : small_store[i];
            struct sock_dgram **list = d->big ? &big_free_list : &dgram_free_list;
            d->next = *list;
            *list = d;
        }
        dgram_pool_ready = true;
    }
    if (len > UDP_DGRAM_MAX)
        return NULL;
    struct sock_dgram **list = len > UDP_MAX_PAYLOAD ? &big_free_list : &dgram_free_list;
    struct sock_dgram *d = *list;
    if (d) {
        *list = d->next;
        dgrams_in_use++;
    }
    return d;
}

static void dgram_free(struct sock_dgram *d)
{
    struct sock_dgram **list = d->big ? &big_free_list : &dgram_free_list;
    d->next = *list;
    *list = d;
    dgrams_in_use--;
}

int sock_dgrams_in_use(void) { return dgrams_in_use; }
static int open_sockets;
static uint16_t next_ephemeral = UDP_EPHEMERAL_FIRST;

int sock_open_count(void) { return open_sockets; }

int sock_create(int domain, int type, int protocol, struct socket **out)
{
    if (domain != AF_INET)
        return -EAFNOSUPPORT;
    bool nonblocking = (type & SOCK_NONBLOCK) != 0;
    type &= ~SOCK_NONBLOCK;
    if (type != SOCK_DGRAM && type != SOCK_STREAM)
        return -EINVAL;
    if (protocol != 0 && protocol != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    struct socket *s = kmalloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    memset(s, 0, sizeof *s);
    if (type == SOCK_STREAM) {
        unsigned long f = net_lock();
        s->tcp = tcp_open();
        unlock(f);
        if (!s->tcp) {
            kfree(s);
            return -ENOBUFS;
        }
    }
    s->type = type;
    s->nonblocking = nonblocking;
    s->mcast_ttl = 1;
    open_sockets++;
    *out = s;
    return 0;
}

static int ephemeral_port(uint16_t *out)
{
    for (int i = 0; i <= UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST; i++) {
        uint16_t p = next_ephemeral;
        next_ephemeral = p == UDP_EPHEMERAL_LAST ? UDP_EPHEMERAL_FIRST : (uint16_t)(p + 1);
        if (!udp_port_in_use(p)) {
            *out = p;
            return 0;
        }
    }
    return -EADDRINUSE;
}

static void sock_udp_input(struct udp_binding *b, struct netif *nif, const struct ipv4_info *ip,
                           uint16_t src_port, const uint8_t *data, size_t len);

/* Caller holds net_lock. */
static int bind_locked(struct socket *s, uint32_t ip, uint16_t port)
{
    if (s->bound)
        return -EINVAL;
    if (port == 0) {
        int rc = ephemeral_port(&port);
        if (rc < 0)
            return rc;
    }
    s->binding.input = sock_udp_input;
    s->binding.reuse = s->reuseaddr;
    int rc = udp_bind(&s->binding, port);
    if (rc < 0)
        return rc;
    s->local_ip = ip;
    s->local_port = port;
    s->bound = true;
    return 0;
}

int sock_bind(struct socket *s, const struct kos_sockaddr_in *addr)
{
    if (!addr)
        return -EFAULT;
    if (addr->sin_family != AF_INET)
        return -EAFNOSUPPORT;
    uint32_t ip = net_ntohl(addr->sin_addr);
    struct netif *nif = net_default_if;
    if (ip != 0 && ip != NET_LOOPBACK_ADDR && (!nif || ip != nif->ip))
        return -EADDRNOTAVAIL;
    unsigned long f = net_lock();
    int rc;
    if (s->tcp) {
        s->tcp->reuseaddr = s->reuseaddr;
        rc = tcp_bind(s->tcp, ip, net_ntohs(addr->sin_port));
    } else {
        rc = bind_locked(s, ip, net_ntohs(addr->sin_port));
    }
    unlock(f);
    return rc;
}

static int check_dest(const struct kos_sockaddr_in *addr, uint32_t *ip, uint16_t *port)
{
    if (addr->sin_family != AF_INET)
        return -EAFNOSUPPORT;
    *ip = net_ntohl(addr->sin_addr);
    *port = net_ntohs(addr->sin_port);
    if (*ip == 0 || *port == 0)
        return -EINVAL;
    return 0;
}

static int stream_connect(struct socket *s, const struct kos_sockaddr_in *addr);

int sock_connect(struct socket *s, const struct kos_sockaddr_in *addr)
{
    if (!addr)
        return -EFAULT;
    if (s->tcp)
        return stream_connect(s, addr);
    if (addr->sin_family == AF_UNSPEC) {    /* dissolve the association */
        s->connected = false;
        return 0;
    }
    uint32_t ip;
    uint16_t port;
    int rc = check_dest(addr, &ip, &port);
    if (rc < 0)
        return rc;
    unsigned long f = net_lock();
    if (!s->bound)
        rc = bind_locked(s, 0, 0);
    if (rc == 0) {
        s->peer_ip = ip;
        s->peer_port = port;
        s->connected = true;
    }
    unlock(f);
    return rc;
}

long sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
                 const struct kos_sockaddr_in *addr)
{
    if (flags & ~MSG_DONTWAIT)
        return -EINVAL;
    uint32_t ip;
    uint16_t port;
    if (addr) {
        int rc = check_dest(addr, &ip, &port);
        if (rc < 0)
            return rc;
    } else if (s->connected) {
        ip = s->peer_ip;
        port = s->peer_port;
    } else {
        return -EDESTADDRREQ;
    }
    if (len > UDP_DGRAM_MAX)
        return -EMSGSIZE;
    struct netif *nif = net_route(ip);
    if (!nif)
        return -ENETDOWN;
    unsigned long f = net_lock();
    int rc = 0;
    if (!s->bound)
        rc = bind_locked(s, 0, 0);     /* an unbound send gets an ephemeral port */
    uint8_t ttl = (ip >> 28) == 0xe ? s->mcast_ttl : IPV4_DEFAULT_TTL;
    if (rc == 0)
        rc = udp_output_ttl(nif, s->local_port, ip, port, ttl, buf, len);
    unlock(f);
    return rc < 0 ? rc : (long)len;
}

/* udp_input, for the port this socket bound: queue the datagram unless
 * the socket filters it out (its local address, its connected peer). */
static void sock_udp_input(struct udp_binding *b, struct netif *nif, const struct ipv4_info *ip,
                           uint16_t src_port, const uint8_t *data, size_t len)
{
    struct socket *s = (struct socket *)((char *)b - offsetof(struct socket, binding));
    if (s->local_ip != 0 && s->local_ip != ip->dst)
        return;
    if (s->connected && (s->peer_ip != ip->src || s->peer_port != src_port))
        return;
    if ((ip->dst >> 28) == 0xe) {          /* multicast: only groups it joined */
        int i = 0;
        while (i < s->ngroups && s->groups[i] != ip->dst)
            i++;
        if (i == s->ngroups)
            return;
    }
    if (s->rx_count >= SOCK_RX_QUEUE) {
        s->rx_dropped++;
        net_count_drop(nif, DROP_UDP_QUEUE_FULL);
        return;
    }
    struct sock_dgram *d = dgram_alloc(len);
    if (!d) {
        net_count_drop(nif, DROP_UDP_NO_MEM);
        return;
    }
    d->src = ip->src;
    d->src_port = src_port;
    d->len = (uint16_t)len;
    memcpy(d->data, data, len);
    FIFO_PUSH(s->rx_head, s->rx_tail, d, next);
    s->rx_count++;
    net_wake_waiters();
}

static struct sock_dgram *pop(struct socket *s)
{
    unsigned long f = net_lock();
    struct sock_dgram *d = s->rx_head;
    if (d) {
        FIFO_POP(s->rx_head, s->rx_tail, next);
        s->rx_count--;
    }
    unlock(f);
    return d;
}

long sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                   struct kos_sockaddr_in *from, uint32_t timeout_ms)
{
    if (flags & ~MSG_DONTWAIT)
        return -EINVAL;
    if (!s->bound)
        return -EINVAL;   /* nothing can ever arrive: do not block forever */
    bool nonblocking = s->nonblocking || (flags & MSG_DONTWAIT);
    uint64_t deadline = timeout_ms ? net_now_ms() + timeout_ms : 0;
    struct sock_dgram *d;
    while (!(d = pop(s))) {
        if (nonblocking)
            return -EAGAIN;
        if (deadline && net_now_ms() >= deadline)
            return -ETIMEDOUT;
        int rc = net_wait_for_event();
        if (rc < 0)
            return rc;      /* -EINTR: killed while blocked */
    }
    size_t n = d->len < len ? d->len : len;
    memcpy(buf, d->data, n);
    if (from) {
        memset(from, 0, sizeof *from);
        from->sin_family = AF_INET;
        from->sin_port = net_htons(d->src_port);
        from->sin_addr = net_htonl(d->src);
    }
    unsigned long f = net_lock();
    dgram_free(d);
    unlock(f);
    return (long)n;
}

void sock_close(struct socket *s)
{
    if (!s)
        return;
    unsigned long f = net_lock();
    if (s->bound)
        udp_unbind(&s->binding);
    struct sock_dgram *d = s->rx_head;
    while (d) {
        struct sock_dgram *n = d->next;
        dgram_free(d);
        d = n;
    }
    if (s->tcp)
        tcp_close(s->tcp);
    open_sockets--;
    unlock(f);
    kfree(s);
}

/* ---- streams ---- */

/* Waits for the next network event; deadline 0 = none. */
static int stream_wait(uint64_t deadline)
{
    if (deadline && net_now_ms() >= deadline)
        return -ETIMEDOUT;
    return net_wait_for_event();
}

static int stream_connect(struct socket *s, const struct kos_sockaddr_in *addr)
{
    uint32_t ip;
    uint16_t port;
    int rc = check_dest(addr, &ip, &port);
    if (rc < 0)
        return rc;
    struct tcp_conn *c = s->tcp;
    unsigned long f = net_lock();
    uint32_t src = c->bound ? c->lip : 0;
    if (src == 0) {
        struct netif *nif = net_route(ip);
        src = nif ? nif->ip : 0;
    }
    if (src == 0)
        rc = -ENETUNREACH;
    else if (tcp_connecting(c))
        rc = s->nonblocking ? -EALREADY : 0;
    else
        rc = tcp_connect(c, src, ip, port);
    unlock(f);
    if (rc < 0)
        return rc;
    if (s->nonblocking)
        return -EINPROGRESS;
    while (tcp_connecting(c)) {
        rc = net_wait_for_event();
        if (rc < 0)
            return rc;
    }
    if (tcp_is_connected(c))
        return 0;
    f = net_lock();
    int e = tcp_take_error(c);
    unlock(f);
    return -(e ? e : ECONNREFUSED);
}

int sock_listen(struct socket *s, int backlog)
{
    if (!s->tcp)
        return -EOPNOTSUPP;
    unsigned long f = net_lock();
    s->tcp->reuseaddr = s->reuseaddr;
    int rc = tcp_listen(s->tcp, backlog);
    unlock(f);
    return rc;
}

int sock_accept(struct socket *s, struct socket **out)
{
    if (!s->tcp)
        return -EOPNOTSUPP;
    struct socket *n = kmalloc(sizeof *n);
    if (!n)
        return -ENOMEM;
    for (;;) {
        if (s->tcp->state != TCP_LISTEN) {
            kfree(n);
            return -EINVAL;
        }
        unsigned long f = net_lock();
        struct tcp_conn *c = tcp_accept(s->tcp);
        unlock(f);
        if (c) {
            memset(n, 0, sizeof *n);
            n->type = SOCK_STREAM;
            n->tcp = c;
            n->bound = true;
            open_sockets++;
            *out = n;
            return 0;
        }
        int rc = s->nonblocking ? -EAGAIN : net_wait_for_event();
        if (rc < 0) {
            kfree(n);
            return rc;
        }
    }
}

long sock_stream_send(struct socket *s, const void *buf, size_t len, int flags)
{
    if (!s->tcp)
        return -EOPNOTSUPP;
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
        return -EINVAL;
    bool nonblocking = s->nonblocking || (flags & MSG_DONTWAIT);
    for (;;) {
        unsigned long f = net_lock();
        long r = tcp_send(s->tcp, buf, len);
        unlock(f);
        if (r != -EAGAIN || len == 0)
            return r;
        if (nonblocking)
            return -EAGAIN;
        int rc = net_wait_for_event();
        if (rc < 0)
            return rc;
    }
}

long sock_stream_recv(struct socket *s, void *buf, size_t len, int flags, uint32_t timeout_ms)
{
    if (!s->tcp)
        return -EOPNOTSUPP;
    if (flags & ~MSG_DONTWAIT)
        return -EINVAL;
    bool nonblocking = s->nonblocking || (flags & MSG_DONTWAIT);
    uint64_t deadline = timeout_ms ? net_now_ms() + timeout_ms : 0;
    for (;;) {
        unsigned long f = net_lock();
        long r = len ? tcp_recv(s->tcp, buf, len) : 0;
        unlock(f);
        if (r != -EAGAIN)
            return r;
        if (nonblocking)
            return -EAGAIN;
        int rc = stream_wait(deadline);
        if (rc < 0)
            return rc;
    }
}

int sock_shutdown(struct socket *s, int how)
{
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    if (!s->tcp)
        return s->connected ? 0 : -ENOTCONN;
    unsigned long f = net_lock();
    int rc = tcp_shutdown(s->tcp, how != SHUT_WR, how != SHUT_RD);
    unlock(f);
    return rc;
}

int sock_getname(struct socket *s, bool peer, struct kos_sockaddr_in *out)
{
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    struct tcp_conn *c = s->tcp;
    bool connected = c ? tcp_is_connected(c) || c->state == TCP_SYN_RCVD : s->connected;
    if (peer && !connected)
        return -ENOTCONN;
    uint32_t ip = c ? (peer ? c->rip : c->lip) : (peer ? s->peer_ip : s->local_ip);
    if (!c && !peer && ip == 0 && s->connected) {
        /* As Linux: a connected datagram socket names the source address
         * its route uses (how a program learns its own address). */
        struct netif *nif = net_route(s->peer_ip);
        ip = nif ? nif->ip : 0;
    }
    uint16_t port = c ? (peer ? c->rport : c->lport) : (peer ? s->peer_port : s->local_port);
    out->sin_addr = net_htonl(ip);
    out->sin_port = net_htons(port);
    return 0;
}

static int buf_size(int v)
{
    return v < 2048 ? 2048 : v > TCP_RX_BUF ? TCP_RX_BUF : v;
}

/* The int options: SO_ERROR (read only), a flag, or a buffer size. */
static int sock_opt(struct socket *s, int level, int name, int *v, bool set)
{
    struct tcp_conn *c = s->tcp;
    if (level == SOL_SOCKET && name == SO_ERROR) {
        if (set)
            return -ENOPROTOOPT;
        *v = c ? tcp_take_error(c) : 0;
        return 0;
    }
    bool *flag = NULL;
    uint32_t *size = NULL;
    if (level == SOL_SOCKET && name == SO_REUSEADDR)
        flag = &s->reuseaddr;
    else if (c && level == SOL_SOCKET && name == SO_RCVBUF)
        size = &c->rcvbuf;
    else if (c && level == SOL_SOCKET && name == SO_SNDBUF)
        size = &c->sndbuf;
    else if (c && level == IPPROTO_TCP && name == TCP_NODELAY)
        flag = &c->nodelay;
    else if (!c && level == IPPROTO_IP && name == IP_MULTICAST_TTL) {
        if (!set) {
            *v = s->mcast_ttl;
            return 0;
        }
        if (*v < 0 || *v > 255)
            return -EINVAL;
        s->mcast_ttl = (uint8_t)*v;
        return 0;
    } else
        return -ENOPROTOOPT;
    if (flag && set)
        *flag = *v != 0;
    else if (flag)
        *v = *flag;
    else if (set)
        *size = (uint32_t)buf_size(*v);
    else
        *v = (int)*size;
    if (c)
        c->reuseaddr = s->reuseaddr;
    return 0;
}

int sock_setopt(struct socket *s, int level, int name, int value)
{
    unsigned long f = net_lock();
    int rc = sock_opt(s, level, name, &value, true);
    unlock(f);
    return rc;
}

int sock_getopt(struct socket *s, int level, int name, int *value)
{
    unsigned long f = net_lock();
    int rc = sock_opt(s, level, name, value, false);
    unlock(f);
    return rc;
}

int sock_membership(struct socket *s, bool join, uint32_t group, uint32_t ifaddr)
{
    if (s->tcp)
        return -ENOPROTOOPT;
    if ((group >> 28) != 0xe)
        return -EINVAL;
    struct netif *nif = net_default_if;
    if (!nif)
        return -ENODEV;
    if (ifaddr != 0 && ifaddr != nif->ip)
        return -EADDRNOTAVAIL;
    unsigned long f = net_lock();
    int i = 0, rc = 0;
    while (i < s->ngroups && s->groups[i] != group)
        i++;
    if (!join) {
        if (i == s->ngroups)
            rc = -EADDRNOTAVAIL;
        else
            s->groups[i] = s->groups[--s->ngroups];
    } else if (i < s->ngroups) {
        rc = -EADDRINUSE;
    } else if (s->ngroups == SOCK_MAX_GROUPS) {
        rc = -ENOBUFS;
    } else {
        rc = netif_join_group(nif, group);
        if (rc == -ENOSPC)
            rc = -ENOBUFS;
        if (rc == 0)
            s->groups[s->ngroups++] = group;
    }
    unlock(f);
    return rc;
}

unsigned sock_poll(struct socket *s)
{
    unsigned long f = net_lock();
    unsigned m;
    if (s->tcp)
        m = tcp_poll(s->tcp);     /* TCP_POLL_* share Linux's bit values */
    else
        m = (s->rx_head ? TCP_POLL_IN : 0) | TCP_POLL_OUT;
    unlock(f);
    return m;
}
