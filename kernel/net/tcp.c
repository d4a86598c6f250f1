/* TCP engine. See tcp.h for what it implements and its rules. Sequence
 * numbers compare modulo 2^32 (SEQ_LT & co.). */
#include "net/tcp.h"
#include "lib/fifo.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_WS 3
#define OPT_SACK_OK 4
#define OPT_TS 8

#define TCP_DEFAULT_MSS 536         /* RFC 9293 3.7.1: when the peer sends none */
#define TCP_MAX_WSCALE 14

struct tcp_config tcp_config = {
    .msl2_ms = 60000,
    .rto_initial_ms = 1000,
    .rto_min_ms = 200,
    .rto_max_ms = 60000,
    .delack_ms = 40,
    .syn_retries = 5,
    .synack_retries = 4,
    .data_retries = 10,
};
struct tcp_stats tcp_stats;
static int ip_output_default(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
tcp_output_fn tcp_ip_output = ip_output_default;

struct tcp_bufs {
    struct tcp_bufs *next;
    uint8_t rx[TCP_RX_BUF];
    uint8_t tx[TCP_TX_BUF];
};

static struct tcp_conn conns[TCP_MAX_CONNS];
static struct tcp_bufs buf_pool[TCP_BUF_POOL];
static struct tcp_bufs *buf_free;
static bool pool_ready;
static uint16_t next_ephemeral = TCP_EPHEMERAL_FIRST;
static uint8_t isn_secret[16];
static bool isn_secret_ready;

/* ---------------------------------------------------------------- helpers */

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static void pool_init(void)
{
    if (pool_ready)
        return;
    pool_ready = true;
    for (int i = TCP_BUF_POOL - 1; i >= 0; i--) {
        buf_pool[i].next = buf_free;
        buf_free = &buf_pool[i];
    }
}

static bool bufs_attach(struct tcp_conn *c)
{
    if (c->bufs)
        return true;
    pool_init();
    struct tcp_bufs *b = buf_free;
    if (!b)
        return false;
    buf_free = b->next;
    c->bufs = b;
    tcp_stats.bufs_in_use++;
    return true;
}

static void bufs_release(struct tcp_conn *c)
{
    if (!c->bufs)
        return;
    c->bufs->next = buf_free;
    buf_free = c->bufs;
    c->bufs = NULL;
    c->tx_len = c->rx_len = 0;
    c->n_ooo = 0;
    tcp_stats.bufs_in_use--;
}

static uint64_t rotl64(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

#define SIPROUND do { \
        v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32); \
        v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32); \
    } while (0)

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t siphash24(const uint8_t key[16], const uint8_t *msg, size_t len)
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = le64(msg + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t k = 0; i + k < len; k++)
        b |= (uint64_t)msg[i + k] << (8 * k);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * M a 4-microsecond clock (ours has 1 ms steps: 250 per ms). */
static uint32_t isn_for(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    if (!isn_secret_ready) {
        net_random_bytes(isn_secret, sizeof isn_secret);
        isn_secret_ready = true;
    }
    uint8_t m[12];
    net_put32(m, lip);
    net_put16(m + 4, lport);
    net_put32(m + 6, rip);
    net_put16(m + 10, rport);
    return (uint32_t)(net_now_ms() * 250) + (uint32_t)siphash24(isn_secret, m, sizeof m);
}

static const char *const state_names[] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *tcp_state_name(int s)
{
    return s >= 0 && s <= TCP_TIME_WAIT ? state_names[s] : "?";
}

static bool synchronized(const struct tcp_conn *c)
{
    return c->state >= TCP_ESTABLISHED;
}

static void conn_free(struct tcp_conn *c)
{
    bufs_release(c);
    if (c->in_use)
        tcp_stats.conns_in_use--;
    memset(c, 0, sizeof *c);
}

static void set_state(struct tcp_conn *c, int s)
{
    c->state = (uint8_t)s;
    net_wake_waiters();
}

/* ---------------------------------------------------------------- output */

static uint8_t seg_buf[TCP_HDR_LEN + 40 + ETH_MTU];

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + IP_PROTO_TCP + (uint32_t)len;
}

static int ip_output_default(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    struct netif *nif = net_route(dst);
    if (!nif)
        return -ENETUNREACH;
    (void)src;
    return ipv4_output(nif, dst, IP_PROTO_TCP, seg, len);
}

static uint32_t rcv_window(const struct tcp_conn *c)
{
    if (!c->bufs)
        return c->state == TCP_SYN_RCVD ? c->rcvbuf : 0;   /* buffers come with the final ACK */
    uint32_t space = c->rcvbuf > c->rx_len ? c->rcvbuf - c->rx_len : 0;
    /* Receiver silly-window avoidance (RFC 9293 3.8.6.2.2): do not offer
     * a sliver, but never take back what was offered. */
    if (space < c->rcvbuf / 4 && space < c->mss)
        space = 0;
    uint32_t offered = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    /* Never more than the ring can hold, whatever was offered. */
    return min_u32(max_u32(space, offered), TCP_RX_BUF - c->rx_len);
}

static int put_options(const struct tcp_conn *c, uint8_t *o, uint8_t flags)
{
    int n = 0;
    if (flags & TH_SYN) {
        o[n++] = OPT_MSS;
        o[n++] = 4;
        net_put16(o + n, (uint16_t)(ETH_MTU - IPV4_HDR_LEN - TCP_HDR_LEN));
        n += 2;
        bool ws = c->state == TCP_SYN_SENT || c->ws_ok;
        if (ws) {
            o[n++] = OPT_NOP;
            o[n++] = OPT_WS;
            o[n++] = 3;
            o[n++] = c->rcv_wscale;
        }
    }
    bool ts = (flags & TH_SYN) ? (c->state == TCP_SYN_SENT || c->ts_ok) : c->ts_ok;
    if (ts && !(flags & TH_RST)) {
        o[n++] = OPT_NOP;
        o[n++] = OPT_NOP;
        o[n++] = OPT_TS;
        o[n++] = 10;
        net_put32(o + n, (uint32_t)net_now_ms() + c->ts_offset);
        net_put32(o + n + 4, c->ts_recent);
        n += 8;
    }
    return n;
}

/* One segment from c: flags, sequence number seq, len bytes of the send
 * buffer starting at seq (data only with ACK set). */
static void send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t len)
{
    uint8_t *h = seg_buf;
    int olen = put_options(c, h + TCP_HDR_LEN, flags);
    size_t hlen = TCP_HDR_LEN + (size_t)olen;
    net_put16(h, c->lport);
    net_put16(h + 2, c->rport);
    net_put32(h + 4, seq);
    uint32_t ack = (flags & TH_ACK) ? c->rcv_nxt : 0;
    net_put32(h + 8, ack);
    h[12] = (uint8_t)((hlen / 4) << 4);
    h[13] = flags;
    uint32_t wnd = rcv_window(c);
    uint32_t adv = (flags & TH_SYN) ? min_u32(wnd, 65535) : min_u32(wnd >> c->rcv_wscale, 65535);
    net_put16(h + 14, (uint16_t)adv);
    net_put16(h + 16, 0);
    net_put16(h + 18, 0);
    if (len) {
        uint32_t off = seq - c->tx_base;
        uint32_t pos = (c->tx_head + off) % TCP_TX_BUF;
        uint32_t first = min_u32(len, TCP_TX_BUF - pos);
        memcpy(h + hlen, c->bufs->tx + pos, first);
        memcpy(h + hlen + first, c->bufs->tx, len - first);
    }
    size_t total = hlen + len;
    net_put16(h + 16, inet_fold(inet_sum(h, total, pseudo_sum(c->lip, c->rip, total))));
    if (flags & TH_ACK) {
        uint32_t shifted = (flags & TH_SYN) ? adv : adv << c->rcv_wscale;
        if (SEQ_GT(c->rcv_nxt + shifted, c->rcv_adv))
            c->rcv_adv = c->rcv_nxt + shifted;
        c->last_ack_sent = c->rcv_nxt;
        c->delack_at = 0;
        c->unacked_segs = 0;
        c->ack_now = false;
    }
    c->st.segs_out++;
    c->st.bytes_out += len;
    if (len || (flags & (TH_SYN | TH_FIN)))
        c->last_send_ms = net_now_ms();
    tcp_ip_output(c->lip, c->rip, h, total);
}

/* A RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
static void send_reset_for(uint32_t lip, uint32_t rip, const uint8_t *th, uint32_t seg_len, uint8_t flags)
{
    uint8_t h[TCP_HDR_LEN];
    memcpy(h, th + 2, 2);       /* swap the ports */
    memcpy(h + 2, th, 2);
    if (flags & TH_ACK) {
        memcpy(h + 4, th + 8, 4);   /* <SEQ=SEG.ACK><CTL=RST> */
        net_put32(h + 8, 0);
        h[13] = TH_RST;
    } else {
        net_put32(h + 4, 0);        /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        net_put32(h + 8, net_get32(th + 4) + seg_len);
        h[13] = TH_RST | TH_ACK;
    }
    h[12] = (TCP_HDR_LEN / 4) << 4;
    net_put16(h + 14, 0);
    net_put16(h + 16, 0);
    net_put16(h + 18, 0);
    net_put16(h + 16, inet_fold(inet_sum(h, TCP_HDR_LEN, pseudo_sum(lip, rip, TCP_HDR_LEN))));
    tcp_stats.resets_sent++;
    tcp_ip_output(lip, rip, h, TCP_HDR_LEN);
}

static void send_rst(struct tcp_conn *c)
{
    if (c->state == TCP_CLOSED || c->state == TCP_LISTEN || c->state == TCP_SYN_SENT)
        return;
    tcp_stats.resets_sent++;
    send_segment(c, TH_RST | TH_ACK, c->snd_max, 0);
}

/* A pure ACK carries snd_max, not snd_nxt: after a timeout snd_nxt goes
 * back to snd_una, and a sequence number the peer has already passed would
 * make it drop the ACK as a duplicate (BSD does the same). */
static void send_ack(struct tcp_conn *c)
{
    send_segment(c, TH_ACK, c->snd_max, 0);
}

/* A challenge ACK (RFC 5961 3.2, 4.2, 5.2), at most TCP_CHALLENGE_MAX a
 * second per connection (section 7: ACK throttling), so a blind attacker
 * cannot make us flood. */
static void challenge_ack(struct netif *nif, struct tcp_conn *c)
{
    uint64_t now = net_now_ms();
    if (now - c->challenge_window_ms >= 1000) {
        c->challenge_window_ms = now;
        c->challenges_in_window = 0;
    }
    if (c->challenges_in_window >= TCP_CHALLENGE_MAX) {
        net_count_drop(nif, DROP_TCP_CHALLENGE_LIMIT);
        return;
    }
    c->challenges_in_window++;
    c->st.challenge_acks++;
    send_ack(c);
}

static void start_rtt(struct tcp_conn *c, uint32_t seq)
{
    c->rtt_active = true;
    c->rtt_seq = seq;
    c->rtt_start = net_now_ms();
}

static void arm_rtx(struct tcp_conn *c)
{
    c->rtx_at = net_now_ms() + c->rto;
}

static uint32_t data_end(const struct tcp_conn *c) { return c->tx_base + c->tx_len; }

static bool fin_acked(const struct tcp_conn *c)
{
    return c->fin_queued && SEQ_GT(c->snd_una, c->fin_seq);
}

/* RFC 5681 3.1 initial window for a sender MSS m. */
static uint32_t initial_window(uint32_t m)
{
    return m > 2190 ? 2 * m : m > 1095 ? 3 * m : 4 * m;
}

/* Sends what the windows allow, then a pure ACK if one is owed. */
static void tcp_output(struct tcp_conn *c)
{
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD || !synchronized(c) ||
        c->state == TCP_TIME_WAIT || !c->bufs) {
        if (c->ack_now && synchronized(c))
            send_ack(c);
        return;
    }
    bool sent = false;
    /* RFC 5681 4.1: after an idle period longer than the RTO, data starts
     * again from the restart window (min(IW, cwnd)), not a stale cwnd. */
    if (c->snd_una == c->snd_max && c->last_send_ms && net_now_ms() - c->last_send_ms > c->rto &&
        SEQ_LT(c->snd_nxt, data_end(c))) {
        uint32_t iw = initial_window(c->mss);
        if (c->cwnd > iw)
            c->cwnd = iw;
    }
    for (;;) {
        uint32_t end = data_end(c);
        uint32_t avail = SEQ_LT(c->snd_nxt, end) ? end - c->snd_nxt : 0;
        uint32_t wnd = min_u32(c->snd_wnd, c->cwnd);
        uint32_t flight = c->snd_nxt - c->snd_una;
        uint32_t usable = wnd > flight ? wnd - flight : 0;
        uint32_t n = min_u32(min_u32(avail, usable), c->mss);
        bool fin_now = c->fin_queued && n == avail && SEQ_LEQ(c->snd_nxt + n, c->fin_seq) &&
                       c->snd_nxt + n == c->fin_seq;
        if (n == 0 && !fin_now)
            break;
        if (n < c->mss && n < avail) {
            /* Window-limited sliver: sender SWS avoidance (RFC 9293 3.8.6.2.1). */
            if (flight > 0)
                break;
        }
        if (n < c->mss && n == avail && !fin_now && !c->nodelay && flight > 0)
            break;  /* Nagle: one small segment in flight at a time */
        uint8_t flags = TH_ACK;
        if (n && n == avail)
            flags |= TH_PSH;
        if (fin_now)
            flags |= TH_FIN;
        bool retrans = SEQ_LT(c->snd_nxt, c->snd_max);
        if (retrans) {
            c->st.retransmits++;
            tcp_stats.retransmits++;
        } else if (!c->rtt_active && n) {
            start_rtt(c, c->snd_nxt);   /* Karn: a retransmission is never timed */
        }
        send_segment(c, flags, c->snd_nxt, n);
        sent = true;
        c->snd_nxt += n + (fin_now ? 1 : 0);
        if (SEQ_GT(c->snd_nxt, c->snd_max))
            c->snd_max = c->snd_nxt;
        if (!c->rtx_at)
            arm_rtx(c);
        if (fin_now)
            break;
    }
    /* Zero window with data waiting and nothing in flight: probe. */
    if (c->snd_wnd == 0 && SEQ_LT(c->snd_nxt, data_end(c)) && c->snd_una == c->snd_nxt && !c->persist_at) {
        c->rtx_at = 0;
        c->persist_backoff = c->rto;
        c->persist_at = net_now_ms() + c->persist_backoff;
    }
    if (!sent && c->ack_now)
        send_ack(c);
}

/* Resends one segment at snd_una (fast retransmit, partial ACK). */
static void retransmit_first(struct tcp_conn *c)
{
    uint32_t end = data_end(c);
    uint32_t n = SEQ_LT(c->snd_una, end) ? min_u32(end - c->snd_una, c->mss) : 0;
    uint8_t flags = TH_ACK;
    if (c->fin_queued && c->snd_una + n == c->fin_seq && SEQ_GT(c->snd_max, c->fin_seq))
        flags |= TH_FIN;
    if (n == 0 && !(flags & TH_FIN))
        return;
    c->st.retransmits++;
    tcp_stats.retransmits++;
    c->rtt_active = false;
    send_segment(c, flags, c->snd_una, n);
    arm_rtx(c);
}

/* ---------------------------------------------------------------- lifecycle */

struct tcp_conn *tcp_open(void)
{
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (c->in_use)
            continue;
        memset(c, 0, sizeof *c);
        c->in_use = true;
        c->user_ref = true;
        c->state = TCP_CLOSED;
        c->rcvbuf = TCP_RX_BUF;
        c->sndbuf = TCP_TX_BUF;
        c->rto = tcp_config.rto_initial_ms;
        tcp_stats.conns_in_use++;
        return c;
    }
    return NULL;
}

static bool addr_overlap(uint32_t a, uint32_t b) { return a == 0 || b == 0 || a == b; }

/* May c bind (ip, port)? Linux's rule: SO_REUSEADDR lets a port be shared
 * with connections that are not listening (e.g. in TIME_WAIT). */
static bool port_free(const struct tcp_conn *self, uint32_t ip, uint16_t port)
{
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        const struct tcp_conn *o = &conns[i];
        if (!o->in_use || o == self || !o->bound || o->lport != port || !addr_overlap(o->lip, ip))
            continue;
        if (self->reuseaddr && o->state != TCP_LISTEN && (o->state != TCP_CLOSED || o->reuseaddr))
            continue;
        return false;
    }
    return true;
}

int tcp_bind(struct tcp_conn *c, uint32_t ip, uint16_t port)
{
    if (c->bound || c->state != TCP_CLOSED)
        return -EINVAL;
    if (port == 0) {
        for (int i = 0; i <= TCP_EPHEMERAL_LAST - TCP_EPHEMERAL_FIRST; i++) {
            uint16_t p = next_ephemeral;
            next_ephemeral = p == TCP_EPHEMERAL_LAST ? TCP_EPHEMERAL_FIRST : (uint16_t)(p + 1);
            if (port_free(c, ip, p)) {
                port = p;
                break;
            }
        }
        if (port == 0)
            return -EADDRINUSE;
    } else if (!port_free(c, ip, port)) {
        return -EADDRINUSE;
    }
    c->lip = ip;
    c->lport = port;
    c->bound = true;
    return 0;
}

int tcp_listen(struct tcp_conn *c, int backlog)
{
    if (c->state == TCP_LISTEN) {
        c->backlog = backlog < 1 ? 1 : backlog > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : backlog;
        return 0;
    }
    if (c->state != TCP_CLOSED || c->last_err)
        return -EINVAL;
    if (!c->bound) {
        int rc = tcp_bind(c, 0, 0);
        if (rc < 0)
            return rc;
    }
    /* A listener may not share its port with another listener even with
     * SO_REUSEADDR. */
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        const struct tcp_conn *o = &conns[i];
        if (o->in_use && o != c && o->state == TCP_LISTEN && o->lport == c->lport && addr_overlap(o->lip, c->lip))
            return -EADDRINUSE;
    }
    c->backlog = backlog < 1 ? 1 : backlog > TCP_BACKLOG_MAX ? TCP_BACKLOG_MAX : backlog;
    set_state(c, TCP_LISTEN);
    return 0;
}

static uint8_t wscale_for(uint32_t buf)
{
    uint8_t s = 0;
    while (s < TCP_MAX_WSCALE && (buf >> s) > 65535)
        s++;
    return s;
}

static void init_send_side(struct tcp_conn *c, uint32_t iss)
{
    c->iss = iss;
    c->snd_una = iss;
    c->snd_nxt = iss;
    c->snd_max = iss;
    c->tx_base = iss + 1;
    c->rcv_wscale = wscale_for(c->rcvbuf);
    c->ts_offset = (uint32_t)siphash24(isn_secret, (const uint8_t *)&iss, sizeof iss);
    c->rto = tcp_config.rto_initial_ms;
    c->retries = 0;
}

int tcp_connect(struct tcp_conn *c, uint32_t src_ip, uint32_t ip, uint16_t port)
{
    if (c->state == TCP_LISTEN)
        return -EINVAL;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD)
        return -EALREADY;
    if (c->state != TCP_CLOSED)
        return -EISCONN;
    if (c->last_err)
        return -EINVAL;     /* a failed connection is not retried on the same socket */
    if (ip == 0 || port == 0)
        return -EINVAL;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        const struct tcp_conn *o = &conns[i];
        if (o->in_use && o != c && o->state != TCP_CLOSED && o->state != TCP_LISTEN && c->bound &&
            o->lport == c->lport && o->rip == ip && o->rport == port && addr_overlap(o->lip, c->lip)) {
            if (o->state != TCP_TIME_WAIT)
                return -EADDRINUSE;
            conn_free((struct tcp_conn *)o);   /* the new incarnation replaces TIME_WAIT */
        }
    }
    if (!c->bound) {
        int rc = tcp_bind(c, 0, 0);
        if (rc < 0)
            return rc;
    }
    if (!bufs_attach(c))
        return -ENOBUFS;
    c->lip = src_ip;
    c->rip = ip;
    c->rport = port;
    init_send_side(c, isn_for(c->lip, c->lport, ip, port));
    c->mss = TCP_DEFAULT_MSS;
    set_state(c, TCP_SYN_SENT);
    tcp_stats.active_opens++;
    c->snd_nxt = c->iss + 1;
    c->snd_max = c->snd_nxt;
    start_rtt(c, c->iss);
    arm_rtx(c);
    send_segment(c, TH_SYN, c->iss, 0);
    return 0;
}

struct tcp_conn *tcp_accept(struct tcp_conn *l)
{
    struct tcp_conn *c = l->acceptq;
    if (!c)
        return NULL;
    FIFO_POP(l->acceptq, l->acceptq_tail, q_next);
    l->n_accept--;
    c->q_next = NULL;
    c->parent = NULL;
    c->user_ref = true;
    return c;
}

/* After an orderly end the buffers go back, unless the socket still has
 * data to read (tcp_recv lets go of them once it is drained). */
static void release_if_drained(struct tcp_conn *c)
{
    if (!c->user_ref || c->rx_len == 0)
        bufs_release(c);
}

/* The connection is over: error err (0 = orderly), buffers back. */
static void conn_drop(struct tcp_conn *c, int err)
{
    if (err) {
        c->err = err;
        c->last_err = err;
        bufs_release(c);    /* a reset discards what was not read */
    } else {
        release_if_drained(c);
    }
    c->rtx_at = c->delack_at = c->persist_at = c->timewait_at = 0;
    int was = c->state;
    set_state(c, TCP_CLOSED);
    if (c->parent && was == TCP_SYN_RCVD) {
        c->parent->n_embryonic--;
        conn_free(c);
        return;
    }
    if (!c->user_ref && !c->parent)
        conn_free(c);
}

/* Unlinks an established child from its listener's accept queue. */
static void unqueue_child(struct tcp_conn *c)
{
    struct tcp_conn *l = c->parent;
    struct tcp_conn *prev = NULL;
    for (struct tcp_conn *x = l->acceptq; x; prev = x, x = x->q_next) {
        if (x != c)
            continue;
        if (prev)
            prev->q_next = x->q_next;
        else
            l->acceptq = x->q_next;
        if (l->acceptq_tail == x)
            l->acceptq_tail = prev;
        l->n_accept--;
        break;
    }
    c->parent = NULL;
}

static void enter_time_wait(struct tcp_conn *c)
{
    set_state(c, TCP_TIME_WAIT);
    release_if_drained(c);
    c->rtx_at = c->delack_at = c->persist_at = 0;
    c->timewait_at = net_now_ms() + tcp_config.msl2_ms;
}

static void queue_fin(struct tcp_conn *c)
{
    if (c->fin_queued)
        return;
    c->fin_queued = true;
    c->fin_seq = data_end(c);
    /* In SYN_RCVD the FIN waits for the ACK of our SYN (RFC 9293 3.10.4:
     * queued until ESTABLISHED), which then goes straight to FIN_WAIT_1. */
    if (c->state == TCP_ESTABLISHED)
        set_state(c, TCP_FIN_WAIT_1);
    else if (c->state == TCP_CLOSE_WAIT)
        set_state(c, TCP_LAST_ACK);
    tcp_output(c);
}

int tcp_shutdown(struct tcp_conn *c, bool rd, bool wr)
{
    if (c->state == TCP_LISTEN || c->state == TCP_CLOSED || c->state == TCP_SYN_SENT)
        return -ENOTCONN;
    if (rd)
        c->rd_shut = true;
    if (wr && (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT || c->state == TCP_SYN_RCVD))
        queue_fin(c);
    net_wake_waiters();
    return 0;
}

void tcp_close(struct tcp_conn *c)
{
    c->user_ref = false;
    switch (c->state) {
    case TCP_LISTEN:
        /* Embryonic and unaccepted children go with the listener. */
        for (int i = 0; i < TCP_MAX_CONNS; i++) {
            struct tcp_conn *x = &conns[i];
            if (!x->in_use || x->parent != c)
                continue;
            x->parent = NULL;
            send_rst(x);
            conn_free(x);
        }
        conn_free(c);
        return;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        conn_free(c);
        return;
    default:
        break;
    }
    if (c->rx_len > 0 || (c->ooo_fin && !c->fin_rcvd)) {
        /* Unread data is discarded: tell the peer (RFC 9293 3.10.4, Linux). */
        send_rst(c);
        conn_free(c);
        return;
    }
    if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT || c->state == TCP_SYN_RCVD)
        queue_fin(c);
    if (c->state == TCP_FIN_WAIT_2)
        c->timewait_at = net_now_ms() + tcp_config.msl2_ms;
    if (c->state == TCP_CLOSED)
        conn_free(c);
}

int tcp_take_error(struct tcp_conn *c)
{
    int e = c->err;
    c->err = 0;
    return e;
}

bool tcp_connecting(const struct tcp_conn *c)
{
    return c->state == TCP_SYN_SENT || (c->state == TCP_SYN_RCVD && !c->parent);
}

bool tcp_is_connected(const struct tcp_conn *c)
{
    return synchronized(c) && c->state != TCP_TIME_WAIT;
}

/* ---------------------------------------------------------------- user data */

long tcp_send(struct tcp_conn *c, const void *buf, size_t len)
{
    if (c->state == TCP_CLOSED && c->last_err) {
        /* The error once (as Linux reports it), then EPIPE. */
        int e = c->err;
        c->err = 0;
        return e ? -e : -EPIPE;
    }
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD)
        return -EAGAIN;
    if (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT)
        return synchronized(c) || c->fin_queued ? -EPIPE : -ENOTCONN;
    if (c->fin_queued)
        return -EPIPE;
    uint32_t room = c->sndbuf > c->tx_len ? c->sndbuf - c->tx_len : 0;
    if (room == 0)
        return -EAGAIN;
    uint32_t n = (uint32_t)(len < room ? len : room);
    uint32_t pos = (c->tx_head + c->tx_len) % TCP_TX_BUF;
    uint32_t first = min_u32(n, TCP_TX_BUF - pos);
    memcpy(c->bufs->tx + pos, buf, first);
    memcpy(c->bufs->tx, (const uint8_t *)buf + first, n - first);
    c->tx_len += n;
    tcp_output(c);
    return (long)n;
}

long tcp_recv(struct tcp_conn *c, void *buf, size_t len)
{
    if (c->rx_len == 0) {
        if (c->state == TCP_CLOSED && c->last_err) {
            int e = c->err;     /* the error once, then end of stream */
            c->err = 0;
            return e ? -e : 0;
        }
        if (c->fin_rcvd || c->rd_shut || c->state == TCP_TIME_WAIT)
            return 0;
        if (c->state == TCP_CLOSED || c->state == TCP_LISTEN)
            return -ENOTCONN;
        return -EAGAIN;
    }
    uint32_t n = (uint32_t)(len < c->rx_len ? len : c->rx_len);
    uint32_t first = min_u32(n, TCP_RX_BUF - c->rx_head);
    memcpy(buf, c->bufs->rx + c->rx_head, first);
    memcpy((uint8_t *)buf + first, c->bufs->rx, n - first);
    c->rx_head = (c->rx_head + n) % TCP_RX_BUF;
    c->rx_len -= n;
    if (c->rx_len == 0 && (c->state == TCP_TIME_WAIT || c->state == TCP_CLOSED)) {
        bufs_release(c);
        return (long)n;
    }
    /* Window update when the offer grows by two segments or half the buffer. */
    uint32_t offered = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t now = c->rcvbuf > c->rx_len ? c->rcvbuf - c->rx_len : 0;
    if (synchronized(c) && !c->fin_rcvd && now > offered &&
        (now - offered >= 2 * (uint32_t)c->mss || now - offered >= c->rcvbuf / 2)) {
        c->ack_now = true;
        tcp_output(c);
    }
    return (long)n;
}

unsigned tcp_poll(const struct tcp_conn *c)
{
    unsigned m = 0;
    if (c->state == TCP_LISTEN)
        return c->acceptq ? TCP_POLL_IN : 0;
    if (c->err)
        m |= TCP_POLL_ERR;
    if (c->rx_len || c->fin_rcvd || c->rd_shut || (c->state == TCP_CLOSED && c->last_err))
        m |= TCP_POLL_IN;
    if ((c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) && !c->fin_queued && c->tx_len < c->sndbuf)
        m |= TCP_POLL_OUT;
    if ((c->state == TCP_CLOSED && c->last_err) || c->state == TCP_TIME_WAIT ||
        (c->fin_rcvd && c->fin_queued))
        m |= TCP_POLL_HUP | TCP_POLL_OUT;
    if (c->state == TCP_CLOSED && !c->last_err && !c->bound)
        m |= TCP_POLL_OUT | TCP_POLL_HUP;   /* never connected: as Linux reports */
    return m;
}

/* ---------------------------------------------------------------- input */

struct seg {
    uint32_t seq, ack, wnd;
    uint8_t flags;
    const uint8_t *data;
    uint32_t len;
    int mss, ws;                    /* -1: option absent */
    bool ts;
    uint32_t tsval, tsecr;
};

/* Options: false when one lies about its length (the segment is dropped). */
static bool parse_options(const uint8_t *o, size_t n, struct seg *s)
{
    size_t i = 0;
    while (i < n) {
        uint8_t kind = o[i];
        if (kind == OPT_EOL)
            break;
        if (kind == OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= n)
            return false;
        uint8_t len = o[i + 1];
        if (len < 2 || i + len > n)
            return false;
        switch (kind) {
        case OPT_MSS:
            if (len != 4)
                return false;
            s->mss = net_get16(o + i + 2);
            break;
        case OPT_WS:
            if (len != 3)
                return false;
            s->ws = o[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o[i + 2];
            break;
        case OPT_TS:
            if (len != 10)
                return false;
            s->ts = true;
            s->tsval = net_get32(o + i + 2);
            s->tsecr = net_get32(o + i + 6);
            break;
        default:
            break;      /* SACK-permitted, SACK and others: not spoken, skipped */
        }
        i += len;
    }
    return true;
}

static struct tcp_conn *lookup(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
    struct tcp_conn *listener = NULL;
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (!c->in_use || c->lport != lport)
            continue;
        if (c->state == TCP_LISTEN) {
            if (c->lip == 0 || c->lip == lip)
                listener = c;
            continue;
        }
        if (c->state != TCP_CLOSED && c->rport == rport && c->rip == rip && c->lip == lip)
            return c;
    }
    return listener;
}

static void apply_syn_options(struct tcp_conn *c, const struct seg *s)
{
    c->peer_mss = (uint16_t)(s->mss > 0 ? s->mss : TCP_DEFAULT_MSS);
    if (s->ws >= 0) {
        c->ws_ok = true;
        c->snd_wscale = (uint8_t)s->ws;
    } else {
        c->ws_ok = false;
        c->snd_wscale = 0;
        c->rcv_wscale = 0;
    }
    c->ts_ok = s->ts;
    if (s->ts)
        c->ts_recent = s->tsval;
    uint32_t mss = min_u32(c->peer_mss, ETH_MTU - IPV4_HDR_LEN - TCP_HDR_LEN);
    if (c->ts_ok)
        mss -= 12;
    if (mss < 64)
        mss = 64;
    c->mss = (uint16_t)mss;
}

static void init_cwnd(struct tcp_conn *c)
{
    c->cwnd = initial_window(c->mss);
    c->ssthresh = 0x7fffffff;
    c->recover = c->iss;
}

static void become_established(struct tcp_conn *c)
{
    set_state(c, TCP_ESTABLISHED);
    tcp_stats.established++;
    c->rtx_at = 0;
    /* RFC 6298 5.7: a SYN (or SYN-ACK) that timed out leaves no sample;
     * data then starts with an RTO of at least 3 s. */
    if (c->retries > 0 && c->srtt == 0 && c->rto < 3000)
        c->rto = min_u32(3000, tcp_config.rto_max_ms);
    c->retries = 0;
    init_cwnd(c);
}

/* SYN to a listener: a new embryonic child (or an evicted old one). */
static void listen_syn(struct netif *nif, struct tcp_conn *l, const struct ipv4_info *ip, const uint8_t *th,
                       const struct seg *s)
{
    if (l->n_embryonic + l->n_accept >= l->backlog) {
        /* Full: evict the oldest embryonic child, or drop when all are established. */
        struct tcp_conn *old = NULL;
        for (int i = 0; i < TCP_MAX_CONNS; i++) {
            struct tcp_conn *x = &conns[i];
            if (x->in_use && x->parent == l && x->state == TCP_SYN_RCVD && (!old || x->born_ms < old->born_ms))
                old = x;
        }
        if (!old) {
            net_count_drop(nif, DROP_TCP_BACKLOG_FULL);
            return;
        }
        tcp_stats.syn_evicted++;
        l->n_embryonic--;
        conn_free(old);
    }
    struct tcp_conn *c = tcp_open();
    if (!c) {
        tcp_stats.syn_dropped_no_mem++;
        net_count_drop(nif, DROP_TCP_NO_MEM);
        return;
    }
    (void)th;
    c->user_ref = false;
    c->parent = l;
    c->born_ms = net_now_ms();
    c->bound = true;
    c->lip = ip->dst;
    c->lport = l->lport;
    c->rip = ip->src;
    c->rport = net_get16(th);
    c->rcvbuf = l->rcvbuf;
    c->sndbuf = l->sndbuf;
    c->nodelay = l->nodelay;
    init_send_side(c, isn_for(c->lip, c->lport, c->rip, c->rport));
    apply_syn_options(c, s);
    c->irs = s->seq;
    c->rcv_nxt = s->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->snd_wnd = s->wnd;            /* never scaled in a SYN */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = c->iss;
    c->state = TCP_SYN_RCVD;
    l->n_embryonic++;
    tcp_stats.passive_opens++;
    c->snd_nxt = c->iss + 1;
    c->snd_max = c->snd_nxt;
    start_rtt(c, c->iss);
    arm_rtx(c);
    send_segment(c, TH_SYN | TH_ACK, c->iss, 0);
}

static void rtt_sample(struct tcp_conn *c, uint32_t r)
{
    /* RFC 6298 2.2/2.3, clock granularity 1 ms. */
    if (c->srtt == 0) {
        c->srtt = r ? r : 1;
        c->rttvar = r / 2;
    } else {
        uint32_t d = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + d) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
        if (c->srtt == 0)
            c->srtt = 1;
    }
    uint32_t rto = c->srtt + max_u32(1, 4 * c->rttvar);
    c->rto = min_u32(max_u32(rto, tcp_config.rto_min_ms), tcp_config.rto_max_ms);
}

/* The handshake's SYN was answered: its RTT unless it was retransmitted. */
static void end_rtt(struct tcp_conn *c)
{
    if (c->rtt_active) {
        c->rtt_active = false;
        rtt_sample(c, (uint32_t)(net_now_ms() - c->rtt_start));
    }
}

/* A new cumulative ACK: free acked data, RTT, congestion window, timers. */
static void ack_advance(struct tcp_conn *c, uint32_t ack, const struct seg *s)
{
    uint32_t acked = ack - c->snd_una;
    uint32_t flight_before = c->snd_max - c->snd_una;
    if (c->bufs && SEQ_GT(ack, c->tx_base)) {
        uint32_t d = min_u32(ack - c->tx_base, c->tx_len);
        c->tx_head = (c->tx_head + d) % TCP_TX_BUF;
        c->tx_len -= d;
        c->tx_base += d;
    }
    c->snd_una = ack;
    if (SEQ_LT(c->snd_nxt, ack))
        c->snd_nxt = ack;
    if (c->ts_ok && s->ts && s->tsecr) {
        /* RTTM (RFC 7323 4): the echoed timestamp names the transmission
         * that was acknowledged, retransmissions included, so every ACK
         * that advances is a sample and a backed-off RTO recovers. */
        uint32_t r = (uint32_t)net_now_ms() + c->ts_offset - s->tsecr;
        if (r < 60000)
            rtt_sample(c, r);
        c->rtt_active = false;
    } else if (c->rtt_active && SEQ_GT(ack, c->rtt_seq)) {
        c->rtt_active = false;
        rtt_sample(c, (uint32_t)(net_now_ms() - c->rtt_start));
    }
    c->retries = 0;
    if (c->in_recovery) {
        if (SEQ_GEQ(ack, c->recover)) {
            /* Full ACK (RFC 6582 3.2 step 3). */
            uint32_t flight = c->snd_max - c->snd_una;
            c->cwnd = min_u32(c->ssthresh, max_u32(flight, c->mss) + c->mss);
            c->in_recovery = false;
            c->dupacks = 0;
        } else {
            /* Partial ACK: resend the next hole, deflate. */
            retransmit_first(c);
            c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
            if (acked >= c->mss)
                c->cwnd += c->mss;
            if (c->cwnd < c->mss)
                c->cwnd = c->mss;
        }
    } else {
        c->dupacks = 0;
        if (c->cwnd < c->ssthresh)
            c->cwnd += min_u32(acked, c->mss);
        else
            c->cwnd += max_u32(1, (uint32_t)((uint64_t)c->mss * c->mss / c->cwnd));
        if (c->cwnd > 4 * TCP_TX_BUF)
            c->cwnd = 4 * TCP_TX_BUF;
    }
    (void)flight_before;
    if (c->snd_una == c->snd_max) {
        c->rtx_at = 0;
    } else if (!c->in_recovery) {
        arm_rtx(c);
    }
    net_wake_waiters();     /* send space */
}

static void dup_ack(struct tcp_conn *c)
{
    c->st.dup_acks++;
    c->dupacks++;
    if (c->in_recovery) {
        c->cwnd += c->mss;      /* inflate: a segment has left the network */
        return;
    }
    if (c->dupacks == 3 && SEQ_GEQ(c->snd_una, c->recover)) {
        /* Fast retransmit (RFC 5681 3.2, RFC 6582 3.2 step 2). */
        uint32_t flight = c->snd_max - c->snd_una;
        c->ssthresh = max_u32(flight / 2, 2 * (uint32_t)c->mss);
        c->recover = c->snd_max;
        c->in_recovery = true;
        c->st.fast_retransmits++;
        retransmit_first(c);
        c->cwnd = c->ssthresh + 3 * (uint32_t)c->mss;
    }
}

/* Places in-window data (already trimmed to the window) into the ring. */
static void rx_store(struct tcp_conn *c, uint32_t seq, const uint8_t *d, uint32_t n)
{
    uint32_t off = c->rx_len + (seq - c->rcv_nxt);
    uint32_t pos = (c->rx_head + off) % TCP_RX_BUF;
    uint32_t first = min_u32(n, TCP_RX_BUF - pos);
    memcpy(c->bufs->rx + pos, d, first);
    memcpy(c->bufs->rx, d + first, n - first);
}

/* Adds [start, end) to the out-of-order set; false when the set is full. */
static bool ooo_add(struct tcp_conn *c, uint32_t start, uint32_t end)
{
    for (int i = 0; i < c->n_ooo; i++) {
        struct tcp_ooo *r = &c->ooo[i];
        if (SEQ_LEQ(start, r->end) && SEQ_GEQ(end, r->start)) {
            if (SEQ_LT(start, r->start))
                r->start = start;
            if (SEQ_GT(end, r->end))
                r->end = end;
            /* It may now touch others: merge them in. */
            for (int j = 0; j < c->n_ooo; j++) {
                struct tcp_ooo *q = &c->ooo[j];
                if (j == i || !(SEQ_LEQ(q->start, r->end) && SEQ_GEQ(q->end, r->start)))
                    continue;
                if (SEQ_LT(q->start, r->start))
                    r->start = q->start;
                if (SEQ_GT(q->end, r->end))
                    r->end = q->end;
                c->ooo[j] = c->ooo[--c->n_ooo];
                if (i == c->n_ooo)
                    i = j;
                r = &c->ooo[i];
                j = -1;
            }
            return true;
        }
    }
    if (c->n_ooo >= TCP_OOO_MAX)
        return false;
    c->ooo[c->n_ooo].start = start;
    c->ooo[c->n_ooo].end = end;
    c->n_ooo++;
    return true;
}

/* rcv_nxt moved: absorb held ranges that now join. */
static void ooo_absorb(struct tcp_conn *c)
{
    bool again = true;
    while (again) {
        again = false;
        for (int i = 0; i < c->n_ooo; i++) {
            struct tcp_ooo *r = &c->ooo[i];
            if (SEQ_GT(r->start, c->rcv_nxt))
                continue;
            if (SEQ_GT(r->end, c->rcv_nxt)) {
                c->rx_len += r->end - c->rcv_nxt;
                c->rcv_nxt = r->end;
            }
            c->ooo[i] = c->ooo[--c->n_ooo];
            again = true;
            break;
        }
    }
}

static void receive_fin(struct tcp_conn *c)
{
    c->rcv_nxt++;
    c->fin_rcvd = true;
    c->ack_now = true;
    switch (c->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        set_state(c, TCP_CLOSE_WAIT);
        break;
    case TCP_FIN_WAIT_1:
        if (fin_acked(c))
            enter_time_wait(c);
        else
            set_state(c, TCP_CLOSING);
        break;
    case TCP_FIN_WAIT_2:
        enter_time_wait(c);
        break;
    default:
        break;
    }
    net_wake_waiters();
}

static void process_data(struct netif *nif, struct tcp_conn *c, struct seg *s)
{
    if (s->len == 0)
        return;
    if (c->state != TCP_ESTABLISHED && c->state != TCP_FIN_WAIT_1 && c->state != TCP_FIN_WAIT_2) {
        s->len = 0;     /* data after the peer's FIN is ignored */
        return;
    }
    if (!c->user_ref && !c->parent) {
        /* Nobody will read it: the socket is closed (Linux answers RST). */
        send_rst(c);
        conn_drop(c, 0);
        s->len = 0;
        return;
    }
    if (c->rd_shut) {
        /* shut for reading: in-order data is acknowledged and thrown away */
        if (s->seq != c->rcv_nxt) {
            s->len = 0;
            s->flags &= (uint8_t)~TH_FIN;
            return;
        }
        c->rcv_nxt += s->len;
        c->st.bytes_in += s->len;
        c->ack_now = true;
        return;
    }
    c->st.bytes_in += s->len;
    if (s->seq == c->rcv_nxt) {
        rx_store(c, s->seq, s->data, s->len);
        c->rcv_nxt += s->len;
        c->rx_len += s->len;
        bool had_holes = c->n_ooo > 0;
        ooo_absorb(c);
        if (had_holes || ++c->unacked_segs >= 2 || (s->flags & TH_PSH && c->unacked_segs >= 2))
            c->ack_now = true;
        else if (!c->delack_at)
            c->delack_at = net_now_ms() + tcp_config.delack_ms;
        net_wake_waiters();
    } else {
        if (!ooo_add(c, s->seq, s->seq + s->len)) {
            net_count_drop(nif, DROP_TCP_OOO_FULL);
            c->ack_now = true;
            s->len = 0;
            s->flags &= (uint8_t)~TH_FIN;
            return;
        }
        rx_store(c, s->seq, s->data, s->len);
        c->st.ooo_segs++;
        c->ack_now = true;      /* duplicate ACK at once (RFC 5681 4.2) */
    }
}

static void segment_for_conn(struct netif *nif, struct tcp_conn *c, const struct ipv4_info *ip,
                             const uint8_t *th, struct seg *s)
{
    c->st.segs_in++;
    uint32_t seg_len = s->len + ((s->flags & TH_SYN) ? 1 : 0) + ((s->flags & TH_FIN) ? 1 : 0);

    if (c->state == TCP_SYN_SENT) {
        if (s->flags & TH_ACK) {
            if (SEQ_LEQ(s->ack, c->iss) || SEQ_GT(s->ack, c->snd_max)) {
                if (!(s->flags & TH_RST))
                    send_reset_for(c->lip, c->rip, th, seg_len, s->flags);
                net_count_drop(nif, DROP_TCP_BAD_ACK);
                return;
            }
        }
        if (s->flags & TH_RST) {
            if (s->flags & TH_ACK) {
                tcp_stats.resets_received++;
                conn_drop(c, ECONNREFUSED);
            }
            return;
        }
        if (!(s->flags & TH_SYN))
            return;
        apply_syn_options(c, s);
        c->irs = s->seq;
        c->rcv_nxt = s->seq + 1;
        c->rcv_adv = c->rcv_nxt;
        c->snd_wnd = s->wnd;
        c->snd_wl1 = s->seq;
        c->snd_wl2 = s->ack;
        c->max_snd_wnd = c->snd_wnd;
        if (s->flags & TH_ACK) {
            c->snd_una = s->ack;
            end_rtt(c);
            become_established(c);
            send_ack(c);
            tcp_output(c);
        } else {
            /* Simultaneous open (RFC 9293 3.5, figure 8). */
            set_state(c, TCP_SYN_RCVD);
            send_segment(c, TH_SYN | TH_ACK, c->iss, 0);
            arm_rtx(c);
        }
        return;
    }

    /* RFC 7323 3.2: once negotiated, every non-RST segment carries a
     * timestamp; one without is silently dropped. */
    if (c->ts_ok && !s->ts && !(s->flags & TH_RST)) {
        net_count_drop(nif, DROP_TCP_NO_TS);
        return;
    }

    /* PAWS (RFC 7323 5.3). */
    if (c->ts_ok && s->ts && !(s->flags & TH_RST) && (int32_t)(s->tsval - c->ts_recent) < 0) {
        c->st.paws_drops++;
        net_count_drop(nif, DROP_TCP_PAWS);
        send_ack(c);
        return;
    }

    /* Acceptability (RFC 9293 3.10.7.4, first check). */
    uint32_t wnd = rcv_window(c);
    bool ok;
    if (seg_len == 0)
        ok = wnd == 0 ? s->seq == c->rcv_nxt
                      : SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + wnd);
    else
        ok = wnd != 0 && ((SEQ_GEQ(s->seq, c->rcv_nxt) && SEQ_LT(s->seq, c->rcv_nxt + wnd)) ||
                          (SEQ_GEQ(s->seq + seg_len - 1, c->rcv_nxt) &&
                           SEQ_LT(s->seq + seg_len - 1, c->rcv_nxt + wnd)));
    if (!ok && wnd == 0 && seg_len > 0 && s->seq == c->rcv_nxt)
        ok = true;      /* zero window: still take its ACK and RST (data is trimmed away) */
    if (!ok) {
        if (SEQ_LT(s->seq, c->rcv_nxt))
            c->st.dup_data++;
        else
            c->st.out_of_window++;
        if (!(s->flags & TH_RST)) {
            if (c->state == TCP_TIME_WAIT && (s->flags & TH_FIN))
                c->timewait_at = net_now_ms() + tcp_config.msl2_ms;
            if (c->state == TCP_SYN_RCVD && (s->flags & TH_SYN) && !(s->flags & TH_ACK))
                send_segment(c, TH_SYN | TH_ACK, c->iss, 0);   /* our SYN-ACK was lost */
            else
                send_ack(c);
        }
        net_count_drop(nif, DROP_TCP_OUT_OF_WINDOW);
        return;
    }

    /* RST (RFC 5961 3.2): only the exact next sequence number resets. */
    if (s->flags & TH_RST) {
        if (s->seq != c->rcv_nxt) {
            challenge_ack(nif, c);
            return;
        }
        tcp_stats.resets_received++;
        if (c->state == TCP_SYN_RCVD && c->parent) {
            conn_drop(c, 0);
            return;
        }
        if (c->parent)
            unqueue_child(c);
        conn_drop(c, c->state == TCP_SYN_RCVD ? ECONNREFUSED
                     : (c->state == TCP_CLOSING || c->state == TCP_LAST_ACK || c->state == TCP_TIME_WAIT) ? 0
                     : ECONNRESET);
        return;
    }

    /* SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
    if ((s->flags & TH_SYN) && c->state != TCP_SYN_RCVD) {
        challenge_ack(nif, c);
        return;
    }

    /* Timestamps: remember the newest in-window TSval (RFC 7323 4.3). */
    if (c->ts_ok && s->ts && SEQ_LEQ(s->seq, c->last_ack_sent))
        c->ts_recent = s->tsval;

    /* Trim to the window: what came before rcv_nxt, what goes past its edge. */
    if (s->flags & TH_SYN) {
        s->flags &= (uint8_t)~TH_SYN;
        s->seq++;
    }
    if (SEQ_LT(s->seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - s->seq;
        if (skip >= s->len) {
            if (s->len)
                c->st.dup_data++;
            if (skip > s->len)
                s->flags &= (uint8_t)~TH_FIN;     /* that FIN was already taken */
            s->data += s->len;
            s->len = 0;
            c->ack_now = true;
        } else {
            s->data += skip;
            s->len -= skip;
        }
        s->seq = c->rcv_nxt;
    }
    if (s->len && SEQ_GT(s->seq + s->len, c->rcv_nxt + wnd)) {
        s->len = wnd > s->seq - c->rcv_nxt ? c->rcv_nxt + wnd - s->seq : 0;
        s->flags &= (uint8_t)~TH_FIN;
        c->ack_now = true;
    }

    if (!(s->flags & TH_ACK))
        return;

    /* ACK processing. */
    if (c->state == TCP_SYN_RCVD) {
        if (SEQ_LEQ(s->ack, c->snd_una) || SEQ_GT(s->ack, c->snd_max)) {
            send_reset_for(c->lip, c->rip, th, seg_len, s->flags);
            net_count_drop(nif, DROP_TCP_BAD_ACK);
            return;
        }
        if (!bufs_attach(c)) {
            tcp_stats.syn_dropped_no_mem++;
            net_count_drop(nif, DROP_TCP_NO_MEM);
            send_rst(c);
            conn_drop(c, ECONNRESET);
            return;
        }
        c->snd_una = s->ack;
        c->snd_wnd = s->wnd << c->snd_wscale;
        c->max_snd_wnd = max_u32(c->max_snd_wnd, c->snd_wnd);
        c->snd_wl1 = s->seq;
        c->snd_wl2 = s->ack;
        end_rtt(c);
        become_established(c);
        if (c->fin_queued)
            set_state(c, TCP_FIN_WAIT_1);   /* closed while in SYN_RCVD */
        struct tcp_conn *l = c->parent;
        if (l) {
            l->n_embryonic--;
            FIFO_PUSH(l->acceptq, l->acceptq_tail, c, q_next);
            l->n_accept++;
        }
        net_wake_waiters();
    } else {
        /* RFC 5961 5.2: acceptable is SND.UNA - MAX.SND.WND <= SEG.ACK <=
         * SND.NXT (snd_max: snd_nxt goes back after a timeout); anything
         * else is dropped with a challenge ACK. */
        if (SEQ_GT(s->ack, c->snd_max) || SEQ_LT(s->ack, c->snd_una - c->max_snd_wnd)) {
            net_count_drop(nif, DROP_TCP_BAD_ACK);
            challenge_ack(nif, c);
            return;
        }
        uint32_t new_wnd = s->wnd << c->snd_wscale;
        if (SEQ_GT(s->ack, c->snd_una)) {
            ack_advance(c, s->ack, s);
        } else if (s->ack == c->snd_una && s->len == 0 && !(s->flags & TH_FIN) && new_wnd == c->snd_wnd &&
                   SEQ_GT(c->snd_max, c->snd_una)) {
            dup_ack(c);
        }
        /* Window update (RFC 9293 3.10.7.4, fifth check). */
        if (SEQ_GEQ(s->ack, c->snd_una) &&
            (SEQ_LT(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack)))) {
            bool opened = new_wnd > c->snd_wnd;
            c->snd_wnd = new_wnd;
            c->snd_wl1 = s->seq;
            c->snd_wl2 = s->ack;
            c->max_snd_wnd = max_u32(c->max_snd_wnd, new_wnd);
            if (opened && c->persist_at) {
                c->persist_at = 0;
                if (SEQ_GT(c->snd_max, c->snd_una) && !c->rtx_at)
                    arm_rtx(c);
            }
            if (opened)
                net_wake_waiters();
        }
        if (fin_acked(c)) {
            if (c->state == TCP_FIN_WAIT_1) {
                set_state(c, TCP_FIN_WAIT_2);
                if (!c->user_ref)
                    c->timewait_at = net_now_ms() + tcp_config.msl2_ms;
            } else if (c->state == TCP_CLOSING) {
                enter_time_wait(c);
                return;
            } else if (c->state == TCP_LAST_ACK) {
                conn_drop(c, 0);
                return;
            }
        }
        if (c->state == TCP_TIME_WAIT) {
            if (s->flags & TH_FIN) {
                c->timewait_at = net_now_ms() + tcp_config.msl2_ms;
                send_ack(c);
            }
            return;
        }
    }

    process_data(nif, c, s);
    if (c->state == TCP_CLOSED || !c->in_use)
        return;
    if (c->ooo_fin && c->rcv_nxt == c->ooo_fin_seq) {
        c->ooo_fin = false;
        if (!c->fin_rcvd)
            receive_fin(c);
    } else if (s->flags & TH_FIN) {
        if (s->seq + s->len == c->rcv_nxt) {
            if (!c->fin_rcvd)
                receive_fin(c);
        } else if (s->len || SEQ_GT(s->seq, c->rcv_nxt)) {
            c->ooo_fin = true;      /* comes after a hole: taken when it fills */
            c->ooo_fin_seq = s->seq + s->len;
        }
    }
    (void)ip;
    if (c->state != TCP_CLOSED && c->in_use)
        tcp_output(c);
}

void tcp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len)
{
    if (len < TCP_HDR_LEN) {
        net_count_drop(nif, DROP_TCP_SHORT);
        return;
    }
    size_t hlen = (size_t)(pkt[12] >> 4) * 4;
    if (hlen < TCP_HDR_LEN || hlen > len) {
        net_count_drop(nif, DROP_TCP_BAD_OFFSET);
        return;
    }
    if (inet_fold(inet_sum(pkt, len, pseudo_sum(ip->src, ip->dst, len))) != 0) {
        net_count_drop(nif, DROP_TCP_BAD_CSUM);
        return;
    }
    if (ip->to_broadcast) {
        net_count_drop(nif, DROP_TCP_BROADCAST);
        return;
    }
    struct seg s = {.mss = -1, .ws = -1};
    s.flags = pkt[13];
    uint8_t f = s.flags;
    /* Nonsense: SYN with FIN or RST, no flags at all, FIN without ACK. */
    if (((f & TH_SYN) && (f & (TH_FIN | TH_RST))) || (f & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == 0 ||
        ((f & TH_FIN) && !(f & TH_ACK))) {
        net_count_drop(nif, DROP_TCP_BAD_FLAGS);
        return;
    }
    if (!parse_options(pkt + TCP_HDR_LEN, hlen - TCP_HDR_LEN, &s)) {
        net_count_drop(nif, DROP_TCP_BAD_OPTION);
        return;
    }
    uint16_t sport = net_get16(pkt), dport = net_get16(pkt + 2);
    if (sport == 0 || dport == 0) {
        net_count_drop(nif, DROP_TCP_BAD_FLAGS);
        return;
    }
    s.seq = net_get32(pkt + 4);
    s.ack = net_get32(pkt + 8);
    s.wnd = net_get16(pkt + 14);
    s.data = pkt + hlen;
    s.len = (uint32_t)(len - hlen);
    nif->stats.tcp_rx++;
    uint32_t seg_len = s.len + ((f & TH_SYN) ? 1 : 0) + ((f & TH_FIN) ? 1 : 0);

    struct tcp_conn *c = lookup(ip->dst, dport, ip->src, sport);
    if (c && c->state == TCP_TIME_WAIT && (f & TH_SYN) && !(f & TH_ACK) && SEQ_GT(s.seq, c->rcv_nxt)) {
        /* A new incarnation may reuse a TIME_WAIT 4-tuple (RFC 9293 3.6.1). */
        conn_free(c);
        c = lookup(ip->dst, dport, ip->src, sport);
    }
    if (!c) {
        net_count_drop(nif, DROP_TCP_NO_PORT);
        if (!(f & TH_RST))
            send_reset_for(ip->dst, ip->src, pkt, seg_len, f);
        return;
    }
    if (c->state == TCP_LISTEN) {
        if (f & TH_RST) {
            net_count_drop(nif, DROP_TCP_NO_PORT);     /* ignored (RFC 9293 3.10.7.2), but counted */
            return;
        }
        if (f & TH_ACK) {
            net_count_drop(nif, DROP_TCP_NO_PORT);
            send_reset_for(ip->dst, ip->src, pkt, seg_len, f);
            return;
        }
        if (f & TH_SYN) {
            c->st.segs_in++;
            listen_syn(nif, c, ip, pkt, &s);
        }
        return;
    }
    segment_for_conn(nif, c, ip, pkt, &s);
}

/* ---------------------------------------------------------------- timers */

static void rto_expired(struct tcp_conn *c)
{
    c->rtx_at = 0;
    c->rto = min_u32(c->rto * 2, tcp_config.rto_max_ms);     /* back off (RFC 6298 5.5) */
    c->retries++;
    c->st.rto_timeouts++;
    tcp_stats.timeouts++;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD) {
        bool active = c->state == TCP_SYN_SENT;
        if (c->retries > (active ? tcp_config.syn_retries : tcp_config.synack_retries)) {
            conn_drop(c, ETIMEDOUT);
            return;
        }
        c->st.retransmits++;
        tcp_stats.retransmits++;
        c->rtt_active = false;      /* Karn */
        send_segment(c, active ? TH_SYN : TH_SYN | TH_ACK, c->iss, 0);
        arm_rtx(c);
        return;
    }
    if (c->retries > tcp_config.data_retries) {
        send_rst(c);
        if (c->parent)
            unqueue_child(c);
        conn_drop(c, ETIMEDOUT);
        return;
    }
    /* RFC 5681 3.1 eq. 4 and loss window; go back to snd_una. */
    uint32_t flight = c->snd_max - c->snd_una;
    c->ssthresh = max_u32(flight / 2, 2 * (uint32_t)c->mss);
    c->cwnd = c->mss;
    c->in_recovery = false;
    c->dupacks = 0;
    c->recover = c->snd_max;
    c->rtt_active = false;     /* Karn */
    c->snd_nxt = c->snd_una;
    tcp_output(c);
    if (!c->rtx_at && !c->persist_at && SEQ_GT(c->snd_max, c->snd_una))
        arm_rtx(c);
}

static void persist_expired(struct tcp_conn *c)
{
    /* Window probe: one old byte's sequence number, so the peer answers
     * with an ACK carrying its window (RFC 9293 3.8.6.1). */
    c->st.zero_window_probes++;
    send_segment(c, TH_ACK, c->snd_una - 1, 0);
    c->persist_backoff = min_u32(c->persist_backoff * 2, tcp_config.rto_max_ms);
    c->persist_at = net_now_ms() + c->persist_backoff;
}

void tcp_tick(void)
{
    uint64_t now = net_now_ms();
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct tcp_conn *c = &conns[i];
        if (!c->in_use)
            continue;
        if (c->timewait_at && now >= c->timewait_at) {
            if (c->state == TCP_TIME_WAIT || (c->state == TCP_FIN_WAIT_2 && !c->user_ref)) {
                c->timewait_at = 0;
                conn_drop(c, 0);
                continue;
            }
            c->timewait_at = 0;
        }
        if (c->rtx_at && now >= c->rtx_at) {
            rto_expired(c);
            if (!c->in_use)
                continue;
        }
        if (c->persist_at && now >= c->persist_at) {
            if (c->snd_wnd == 0 && SEQ_LT(c->snd_nxt, data_end(c)))
                persist_expired(c);
            else {
                c->persist_at = 0;
                tcp_output(c);
            }
        }
        if (c->delack_at && now >= c->delack_at && synchronized(c)) {
            c->delack_at = 0;
            send_ack(c);
        }
    }
}

void tcp_for_each(void (*fn)(const struct tcp_conn *c, void *arg), void *arg)
{
    for (int i = 0; i < TCP_MAX_CONNS; i++)
        if (conns[i].in_use)
            fn(&conns[i], arg);
}

void tcp_reset_all(void)
{
    for (int i = 0; i < TCP_MAX_CONNS; i++)
        if (conns[i].in_use)
            conn_free(&conns[i]);
    memset(&tcp_stats, 0, sizeof tcp_stats);
}
