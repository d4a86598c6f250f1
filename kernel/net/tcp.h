/* TCP (RFC 9293): the protocol engine. Portable C (also built for the host
 * test driver, tools/net/tcp_host_test.c); the socket layer (socket.c) calls
 * the tcp_* functions below and does the blocking.
 *
 * What it does: the full state machine (simultaneous open and close,
 * half-close, TIME_WAIT for a configurable 2MSL), MSS, window scaling and
 * timestamps with PAWS (RFC 7323; once agreed, a non-RST segment without
 * one is dropped), retransmission timeout per RFC 6298 (Karn's rule,
 * exponential backoff, 3 s after a SYN timed out; the floor is 200 ms as in
 * Linux, not the 1 s that 2.4 recommends), slow start, congestion avoidance,
 * the restart window after an idle RTO, fast retransmit and NewReno fast
 * recovery (RFC 5681, RFC 6582), an out-of-order queue, delayed ACKs,
 * zero-window probes, the RST/SYN/ACK checks of RFC 5961 with challenge
 * ACKs throttled per connection (section 7),
 * initial sequence numbers per RFC 6528 (SipHash-2-4 over the 4-tuple keyed
 * by a secret from the kernel random source), and a bounded SYN backlog that
 * evicts its oldest embryonic connection when full, so a SYN flood costs a
 * fixed amount of memory and real clients still get in.
 *
 * Memory: connections and their buffers come from fixed pools (segments
 * arrive in interrupt handlers, which must not enter the kernel heap). A
 * connection takes buffers only once established; TIME_WAIT gives them back.
 *
 * Every entry point expects net_lock held (the socket layer takes it). */
#pragma once
#include "net/ipv4.h"

#define IP_PROTO_TCP 6
#define TCP_HDR_LEN 20

#define TCP_MAX_CONNS 192       /* control blocks (listeners, embryonic, TIME_WAIT included) */
#define TCP_BUF_POOL 72         /* buffer pairs: established connections at once */
#define TCP_RX_BUF (64 * 1024)
#define TCP_TX_BUF (64 * 1024)
#define TCP_OOO_MAX 16          /* out-of-order ranges held per connection */
#define TCP_BACKLOG_MAX 128
#define TCP_CHALLENGE_MAX 10    /* challenge ACKs a second per connection (RFC 5961 7) */
#define TCP_EPHEMERAL_FIRST 49152
#define TCP_EPHEMERAL_LAST 65535

enum tcp_state {
    TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED, TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK, TCP_TIME_WAIT,
};

/* Tunables (defaults in tcp.c; the kernel reads tcp_2msl= and
 * tcp_syn_retries= from its command line in net/platform.c, the host test
 * sets them directly). Milliseconds. */
struct tcp_config {
    uint32_t msl2_ms;           /* TIME_WAIT length (2MSL); also the orphan FIN_WAIT_2 timeout */
    uint32_t rto_initial_ms, rto_min_ms, rto_max_ms;
    uint32_t delack_ms;
    int syn_retries;            /* SYN retransmissions before ETIMEDOUT */
    int synack_retries;         /* SYN-ACK retransmissions before an embryonic connection is dropped */
    int data_retries;           /* retransmissions of one segment before ETIMEDOUT */
};
extern struct tcp_config tcp_config;

/* Per-connection counters (/proc/net/tcp shows them). */
struct tcp_conn_stats {
    uint64_t segs_in, segs_out, bytes_in, bytes_out;
    uint64_t retransmits, rto_timeouts, fast_retransmits, dup_acks, ooo_segs;
    uint64_t dup_data, zero_window_probes, challenge_acks, paws_drops, out_of_window;
};

/* Stack-wide counters. */
struct tcp_stats {
    uint64_t active_opens, passive_opens, established, resets_sent, resets_received;
    uint64_t syn_evicted, syn_dropped_no_mem, retransmits, timeouts, conns_in_use, bufs_in_use;
};
extern struct tcp_stats tcp_stats;

struct tcp_bufs;

struct tcp_ooo {
    uint32_t start, end;        /* sequence range held beyond rcv_nxt */
};

struct tcp_conn {
    bool in_use;
    bool user_ref;              /* a socket still holds it (else it frees itself when done) */
    uint8_t state;
    uint32_t lip, rip;          /* host order */
    uint16_t lport, rport;
    bool bound, reuseaddr, nodelay;
    int err;                    /* pending error (SO_ERROR), positive errno */
    int last_err;               /* what ended the connection (ECONNRESET ...), for recv/send */

    /* listener */
    struct tcp_conn *parent;    /* SYN_RCVD / unaccepted child: its listener */
    struct tcp_conn *q_next;    /* in the listener's accept queue */
    struct tcp_conn *acceptq, *acceptq_tail;
    int backlog, n_embryonic, n_accept;
    uint64_t born_ms;           /* embryonic: when the SYN came (eviction order) */

    /* send side */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t tx_base;           /* sequence number of the first byte in the send buffer */
    uint32_t tx_head, tx_len;   /* ring: offset of tx_base, bytes held */
    uint32_t sndbuf;            /* usable send buffer (SO_SNDBUF) */
    bool fin_queued;            /* shutdown(SHUT_WR) or close: FIN after the data */
    uint32_t fin_seq;           /* its sequence number */
    uint16_t peer_mss, mss;     /* mss: payload per segment (options subtracted) */
    uint8_t snd_wscale, rcv_wscale;
    bool ws_ok, ts_ok;
    uint32_t ts_recent, ts_offset, last_ack_sent;

    /* congestion control and timers */
    uint32_t cwnd, ssthresh, recover;
    int dupacks;
    bool in_recovery;
    uint32_t srtt, rttvar, rto;  /* ms; srtt 0 = no sample yet */
    bool rtt_active;
    uint32_t rtt_seq;
    uint64_t rtt_start;
    int retries;                /* of the segment at snd_una (or SYN) */
    uint64_t rtx_at, delack_at, persist_at, timewait_at;
    uint64_t last_send_ms;      /* last segment with data, SYN or FIN (RFC 5681 4.1 idle restart) */
    uint64_t challenge_window_ms;
    int challenges_in_window;
    uint32_t persist_backoff;

    /* receive side */
    uint32_t irs, rcv_nxt, rcv_adv;   /* rcv_adv: right edge last advertised */
    uint32_t rx_head, rx_len;    /* ring: readable bytes at rx_head */
    uint32_t rcvbuf;
    bool fin_rcvd, rd_shut;
    bool ooo_fin;
    uint32_t ooo_fin_seq;
    struct tcp_ooo ooo[TCP_OOO_MAX];
    int n_ooo;
    int unacked_segs;           /* in-order segments since our last ACK */
    bool ack_now;

    struct tcp_bufs *bufs;
    struct tcp_conn_stats st;
};

/* Where segments go: (src, dst, segment, len). Default: ipv4_output on the
 * interface that routes dst. The host test swaps in its lossy link. */
typedef int (*tcp_output_fn)(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
extern tcp_output_fn tcp_ip_output;

/* Segment from IPv4 (checksum, options and flags validated here). */
void tcp_input(struct netif *nif, const struct ipv4_info *ip, const uint8_t *pkt, size_t len);
/* Timers: retransmission, delayed ACK, persist, TIME_WAIT. Call often. */
void tcp_tick(void);

/* The socket layer's calls. Errors are -errno. */
struct tcp_conn *tcp_open(void);                 /* NULL: no control block free (-ENOBUFS) */
int tcp_bind(struct tcp_conn *c, uint32_t ip, uint16_t port);
int tcp_listen(struct tcp_conn *c, int backlog);
/* Starts the handshake (SYN sent). src_ip: the local address to use. */
int tcp_connect(struct tcp_conn *c, uint32_t src_ip, uint32_t ip, uint16_t port);
/* An established child off the accept queue, or NULL. */
struct tcp_conn *tcp_accept(struct tcp_conn *listener);
/* Queues up to len bytes: count, or -EAGAIN (buffer full), -EPIPE, -ENOTCONN, -ECONNRESET... */
long tcp_send(struct tcp_conn *c, const void *buf, size_t len);
/* Up to len bytes: count, 0 at end of stream, -EAGAIN (nothing yet), -ECONNRESET... */
long tcp_recv(struct tcp_conn *c, void *buf, size_t len);
int tcp_shutdown(struct tcp_conn *c, bool rd, bool wr);
/* The socket lets go: FIN (or RST when unread data is discarded); the
 * connection finishes on its own and then frees itself. */
void tcp_close(struct tcp_conn *c);
/* Takes the pending error (0 when none). */
int tcp_take_error(struct tcp_conn *c);

#define TCP_POLL_IN 0x1
#define TCP_POLL_OUT 0x4
#define TCP_POLL_ERR 0x8
#define TCP_POLL_HUP 0x10
unsigned tcp_poll(const struct tcp_conn *c);
/* True while a connect is still in progress. */
bool tcp_connecting(const struct tcp_conn *c);
bool tcp_is_connected(const struct tcp_conn *c);

const char *tcp_state_name(int state);
/* Every control block in use, for /proc/net/tcp. */
void tcp_for_each(void (*fn)(const struct tcp_conn *c, void *arg), void *arg);
/* Drops every connection at once (host tests between cases). */
void tcp_reset_all(void);

/* SipHash-2-4 (Aumasson, Bernstein) of msg under a 128-bit key. */
uint64_t siphash24(const uint8_t key[16], const uint8_t *msg, size_t len);
