/* A libp2p node: TCP connections upgraded with multistream-select, Noise XX
 * and yamux, streams running identify, ping and echo. One poll loop serves
 * every connection; bad input on any layer closes only its own connection
 * (or stream) and counts the reason. */
#pragma once
#include "core/buf.h"
#include "core/module.h"
#include "core/mss.h"
#include "core/multiformats.h"
#include "core/noise.h"
#include "plat.h"

#define NODE_MAX_CONNS 64
#define NODE_MAX_STREAMS 256          /* per connection */
#define NODE_MAX_BUFFERED (24u << 20) /* bytes buffered per connection, all layers */
#define YAMUX_WINDOW (256u * 1024)
#define NODE_HANDSHAKE_MS 20000
#define NODE_AGENT "kos/0.1.0"
#define NODE_PROTOCOL_VERSION "ipfs/0.1.0"

#define PROTO_IDENTIFY "/ipfs/id/1.0.0"
#define PROTO_IDPUSH "/ipfs/id/push/1.0.0"
#define PROTO_PING "/ipfs/ping/1.0.0"
#define PROTO_ECHO "/kos/echo/1.0.0"

/* Why a connection or stream ended: each counted (p2p stats). */
#define NODE_REASONS(X)                                                   \
    X(closed, "peer closed")                                              \
    X(io_error, "socket error")                                           \
    X(timeout, "handshake timed out")                                     \
    X(conn_limit, "too many connections")                                 \
    X(buffer_limit, "too many bytes buffered")                            \
    X(mss_bad_header, "not a multistream header")                         \
    X(mss_bad_line, "malformed multistream line")                         \
    X(mss_refused, "protocol refused (na)")                               \
    X(mss_limit, "too many refused proposals")                            \
    X(noise_bad_length, "noise message too short or too long")            \
    X(noise_decrypt, "noise message failed to decrypt")                   \
    X(noise_bad_payload, "noise handshake payload malformed")             \
    X(noise_bad_signature, "identity signature does not verify")          \
    X(noise_peer_mismatch, "remote PeerId is not the dialled one")        \
    X(yamux_bad_version, "yamux frame with a bad version")                \
    X(yamux_bad_type, "yamux frame with a bad type")                      \
    X(yamux_bad_stream, "yamux frame for a bad stream id")                \
    X(yamux_window, "yamux window violation")                             \
    X(yamux_goaway, "remote sent go away")                                \
    X(identify_bad, "identify message malformed or key mismatch")         \
    X(local_close, "closed locally")                                      \
    X(stream_limit, "too many streams")                                   \
    X(stream_reset, "stream reset")                                       \
    X(stream_protocol, "stream protocol violation")

enum node_reason {
#define X(name, text) R_##name,
    NODE_REASONS(X)
#undef X
    R_COUNT
};
extern const char *const node_reason_name[R_COUNT];

enum conn_phase { PH_CONNECTING, PH_MSS_SEC, PH_NOISE, PH_MSS_MUX, PH_YAMUX, PH_CLOSED };

struct node;
struct conn;

/* What a control request waits for (the p2p CLI). */
enum op_kind { OP_NONE, OP_DIAL, OP_PING, OP_ECHO };
struct op {
    enum op_kind kind;
    int ctl;              /* control connection index */
    int pending;          /* streams still running */
    int failed;
    uint64_t total, rtt_sum_us, rtt_min_us, rtt_max_us;
    int count;
};

struct stream {
    struct conn *c;
    uint32_t id;
    bool outbound, negotiated, fin_sent, fin_rcvd, want_fin;
    uint32_t send_window, recv_window, consumed;
    struct buf rx, tx;
    struct mss mss;
    const struct proto_def *def; /* NULL until negotiated (inbound) */
    void *ctx;                   /* the protocol's per-stream state */
    struct op *op;
    uint64_t fin_at;     /* ms: close our side by then (identify answers) */
    /* ping */
    uint8_t ping[32];
    uint64_t ping_t0;
    int ping_left;
    /* echo */
    uint64_t echo_total, echo_sent, echo_recv;
    uint8_t echo_seed;
    bool echo_bad;
};

struct peerinfo {
    bool identified;
    char agent[96], protover[48], observed[128];
    char protocols[768];
    char listen[512];
};

struct conn {
    struct node *node;
    bool used, dialer;
    int fd;
    enum conn_phase phase;
    uint32_t rip;
    uint16_t rport;
    uint64_t t_start;
    struct buf in, out;   /* TCP bytes */
    struct buf pin, pout; /* plaintext inside Noise */
    struct mss mss;
    struct noise_hs *hs;
    struct noise_cipher tx, rx;
    bool expect_peer;
    struct peerid expected, remote;
    struct stream *streams[NODE_MAX_STREAMS];
    int nstreams;
    uint32_t next_sid;
    struct peerinfo info;
    bool up;              /* identify has run: modules got peer_up */
    struct op *dial_op;
    bool goaway_sent;
    /* In-memory link to a connection of another node in this process
     * (node_link): bytes go straight to the peer's input, no socket. */
    struct conn *mem_peer;
    bool mem_dirty;
    int last_err;         /* the socket error that closed it (-errno), for the log */
    uint64_t rx_at_ms;    /* when bytes last came in: the peer is alive (health monitor) */
};

struct node {
    uint8_t seed[32], pub[32];   /* Ed25519 identity */
    uint8_t noise_priv[32];      /* X25519 static key for Noise */
    struct peerid id;
    uint32_t listen_ip;
    uint16_t port;
    int lfd;
    struct conn conns[NODE_MAX_CONNS];
    uint64_t reasons[R_COUNT];
    uint64_t conns_in, conns_out, handshakes, handshakes_initiator, handshakes_responder;
    uint64_t hs_cycles_initiator, hs_cycles_responder;
    /* Misbehaviour on purpose, for the bad-input tests (p2pd fault=NAME): the
     * peer this node dials must close the connection with the right reason. */
    enum node_fault { FAULT_NONE, FAULT_SIG, FAULT_YAMUX_VERSION, FAULT_YAMUX_TYPE, FAULT_YAMUX_WINDOW, FAULT_YAMUX_STREAM } fault;
    /* Called when a control op finishes or reports: line without newline. */
    void (*reply)(struct node *n, int ctl, const char *line);
    /* Modules (core/module.h) and the stream protocols they serve. */
    const struct node_module *mods[NODE_MAX_MODULES];
    void *mod_state[NODE_MAX_MODULES];
    int mod_nfds[NODE_MAX_MODULES];
    int nmods;
    const struct proto_def *protos[NODE_MAX_PROTOS];
    const char *proto_ids[NODE_MAX_PROTOS + 1]; /* NULL-terminated, for multistream-select */
    int nprotos;
};

int node_init(struct node *n, const uint8_t seed[32], uint32_t ip, uint16_t port);
/* The identity only, no listening socket (nodes linked in memory). */
int node_init_identity(struct node *n, const uint8_t seed[32]);
/* Connects dialer to listener in memory (self-tests without TCP); expect: the
 * PeerId the dialer insists on, or NULL. Returns the dialer's connection. */
struct conn *node_link(struct node *dialer, struct node *listener, const struct peerid *expect);
/* Delivers in-memory traffic until no linked connection has input left. */
void node_run_links(struct node **nodes, int count);
/* Poll-set contribution: fds and events for every live connection. */
int node_pollfds(struct node *n, struct plat_pollfd *fds, int cap, int *map);
void node_ready(struct node *n, int conn_index, short revents);
void node_accept(struct node *n);
void node_tick(struct node *n);

struct conn *node_dial(struct node *n, const struct maddr *m);
struct conn *node_find_peer(struct node *n, const struct peerid *id);
/* Opens a stream for protocol p on c; NULL when c cannot take one more. */
struct stream *node_open_stream(struct conn *c, const struct proto_def *p, struct op *op);
void node_close(struct conn *c, enum node_reason why);
/* Resets s (RST to the peer) and frees it; not from inside s's own input. */
void node_stream_reset(struct stream *s, enum node_reason why);
int node_listen_addr(struct node *n, struct conn *c, struct maddr *m);
void node_cancel_ops(struct node *n, int ctl);
/* The built-in module (proto.c): identify, identify push, ping, echo. */
extern const struct node_module proto_basic;
extern const struct proto_def proto_identify, proto_idpush, proto_ping, proto_echo;
size_t node_identify_msg(struct conn *c, uint8_t *out, size_t cap);
/* Module events raised by the core (module.c). */
void node_peer_up(struct conn *c);
void node_peer_down(struct conn *c);
void node_module_tick(struct node *n);
