/* Connections: TCP -> multistream-select (/noise) -> Noise XX with the
 * libp2p handshake payload -> multistream-select (/yamux/1.0.0) -> yamux.
 * Specs: libp2p/specs connections/, noise/, and hashicorp/yamux spec.md. */
#include "core/node.h"
#include "crypto/curve25519.h"
#include "crypto/sha2.h"

const char *const node_reason_name[R_COUNT] = {
#define X(name, text) #name,
    NODE_REASONS(X)
#undef X
};

static const char *const SEC_PROTOS[] = {"/noise", NULL};
static const char *const MUX_PROTOS[] = {"/yamux/1.0.0", NULL};
static const char SIG_PREFIX[] = "noise-libp2p-static-key:";

enum { Y_DATA = 0, Y_WINDOW = 1, Y_PING = 2, Y_GOAWAY = 3 };
enum { F_SYN = 1, F_ACK = 2, F_FIN = 4, F_RST = 8 };

int node_init_identity(struct node *n, const uint8_t seed[32])
{
    memset(n, 0, sizeof *n);
    memcpy(n->seed, seed, 32);
    ed25519_public(n->pub, seed);
    peerid_from_pub(&n->id, n->pub);
    n->lfd = -1;
    if (node_add_module(n, &proto_basic) < 0)
        return -1;
    return plat_random(n->noise_priv, 32) < 0 ? -1 : 0;
}

int node_init(struct node *n, const uint8_t seed[32], uint32_t ip, uint16_t port)
{
    if (node_init_identity(n, seed) < 0)
        return -1;
    n->listen_ip = ip;
    n->lfd = plat_tcp_listen(ip, port);
    if (n->lfd < 0)
        return n->lfd;
    uint32_t bip;
    uint16_t bport;
    if (plat_sock_name(n->lfd, &bip, &bport) == 0)
        port = bport;
    n->port = port;
    return 0;
}

static size_t conn_buffered(struct conn *c)
{
    size_t t = buf_used(&c->in) + buf_used(&c->out) + buf_used(&c->pin) + buf_used(&c->pout);
    for (int i = 0; i < c->nstreams; i++)
        t += buf_used(&c->streams[i]->rx) + buf_used(&c->streams[i]->tx);
    return t;
}

static void stream_free(struct stream *s)
{
    struct conn *c = s->c;
    if (s->def && s->def->closed)
        s->def->closed(s);
    for (int i = 0; i < c->nstreams; i++) {
        if (c->streams[i] == s) {
            c->streams[i] = c->streams[--c->nstreams];
            break;
        }
    }
    buf_free(&s->rx);
    buf_free(&s->tx);
    free(s);
}

void node_close(struct conn *c, enum node_reason why)
{
    if (!c->used)
        return;
    struct node *n = c->node;
    n->reasons[why]++;
    char id[P2P_PEERID_STR] = "?";
    if (c->phase >= PH_MSS_MUX)
        peerid_str(&c->remote, id);
    plat_log("p2pd: connection %u.%u.%u.%u:%u (%s) closed: %s (error %d)", c->rip >> 24, c->rip >> 16 & 255, c->rip >> 8 & 255,
             c->rip & 255, c->rport, id, node_reason_name[why], c->last_err);
    if (c->up) {
        c->up = false;
        node_peer_down(c);
    }
    while (c->nstreams > 0)
        stream_free(c->streams[0]);
    if (c->dial_op) {
        char line[96];
        snprintf(line, sizeof line, "error dial failed: %s", node_reason_name[why]);
        n->reply(n, c->dial_op->ctl, line);
        c->dial_op->kind = OP_NONE;
        free(c->dial_op);
    }
    if (c->fd >= 0)
        plat_close(c->fd);
    struct conn *peer = c->mem_peer;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->pin);
    buf_free(&c->pout);
    free(c->hs);
    memset(c, 0, sizeof *c);
    if (peer) {
        /* The other end of an in-memory link sees the close as its peer closing. */
        peer->mem_peer = NULL;
        node_close(peer, R_closed);
    }
}

static struct conn *conn_new(struct node *n, int fd, bool dialer, uint32_t ip, uint16_t port)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (c->used)
            continue;
        memset(c, 0, sizeof *c);
        c->used = true;
        c->node = n;
        c->fd = fd;
        c->dialer = dialer;
        c->rip = ip;
        c->rport = port;
        c->t_start = plat_now_ms();
        c->next_sid = dialer ? 1 : 2;
        c->phase = dialer ? PH_CONNECTING : PH_MSS_SEC;
        mss_init(&c->mss, dialer, "/noise");
        return c;
    }
    return NULL;
}

void node_accept(struct node *n)
{
    for (;;) {
        uint32_t ip;
        uint16_t port;
        int fd = plat_tcp_accept(n->lfd, &ip, &port);
        if (fd < 0)
            return;
        struct conn *c = conn_new(n, fd, false, ip, port);
        if (!c) {
            n->reasons[R_conn_limit]++;
            plat_close(fd);
            continue;
        }
        n->conns_in++;
    }
}

struct conn *node_dial(struct node *n, const struct maddr *m)
{
    int fd = plat_tcp_connect(m->ip, m->port);
    if (fd < 0)
        return NULL;
    struct conn *c = conn_new(n, fd, true, m->ip, m->port);
    if (!c) {
        n->reasons[R_conn_limit]++;
        plat_close(fd);
        return NULL;
    }
    c->expect_peer = m->has_peer;
    c->expected = m->peer;
    n->conns_out++;
    return c;
}

struct conn *node_find_peer(struct node *n, const struct peerid *id)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (c->used && c->phase == PH_YAMUX && peerid_eq(&c->remote, id))
            return c;
    }
    return NULL;
}

int node_listen_addr(struct node *n, struct conn *c, struct maddr *m)
{
    memset(m, 0, sizeof *m);
    uint32_t ip = n->listen_ip;
    uint16_t port;
    if (ip == 0 && c && plat_sock_name(c->fd, &ip, &port) < 0)
        return -1;
    if (ip == 0)
        ip = plat_primary_ip();
    m->ip = ip;
    m->port = n->port;
    return 0;
}

/* ---- Noise ---- */

static void noise_frame(struct conn *c, const uint8_t *msg, size_t n)
{
    uint8_t len[2];
    p2p_put_be16(len, (uint16_t)n);
    buf_append(&c->out, len, 2);
    buf_append(&c->out, msg, n);
}

/* NoiseHandshakePayload { bytes identity_key = 1; bytes identity_sig = 2; } */
static size_t handshake_payload(struct conn *c, uint8_t *out, size_t cap)
{
    struct node *n = c->node;
    uint8_t key[P2P_PUBKEY_PB_LEN], msg[sizeof SIG_PREFIX - 1 + 32], sig[64];
    p2p_pubkey_pb(key, n->pub);
    memcpy(msg, SIG_PREFIX, sizeof SIG_PREFIX - 1);
    memcpy(msg + sizeof SIG_PREFIX - 1, c->hs->s_pub, 32);
    ed25519_sign(sig, n->seed, n->pub, msg, sizeof msg);
    if (n->fault == FAULT_SIG)
        sig[10] ^= 1;
    struct pbw w = {out, 0, cap, false};
    pbw_bytes(&w, 1, key, sizeof key);
    pbw_bytes(&w, 2, sig, sizeof sig);
    return w.overflow ? 0 : w.len;
}

static enum node_reason check_payload(struct conn *c, const uint8_t *p, size_t n)
{
    struct pbfield f;
    const uint8_t *key = NULL, *sig = NULL;
    size_t keylen = 0;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, p, n) {
        if (f.field == 1 && f.wire == 2) {
            key = f.data;
            keylen = f.len;
        } else if (f.field == 2 && f.wire == 2) {
            if (f.len != 64)
                return R_noise_bad_payload;
            sig = f.data;
        }
    }
    uint8_t pub[32];
    if (rc < 0 || !key || !sig || p2p_pubkey_parse(key, keylen, pub) < 0)
        return R_noise_bad_payload;
    uint8_t msg[sizeof SIG_PREFIX - 1 + 32];
    memcpy(msg, SIG_PREFIX, sizeof SIG_PREFIX - 1);
    memcpy(msg + sizeof SIG_PREFIX - 1, c->hs->rs, 32);
    if (!ed25519_verify(sig, pub, msg, sizeof msg))
        return R_noise_bad_signature;
    peerid_from_pub(&c->remote, pub);
    if (c->expect_peer && !peerid_eq(&c->remote, &c->expected))
        return R_noise_peer_mismatch;
    return R_closed; /* = fine */
}

static void noise_begin(struct conn *c)
{
    uint8_t e[32], msg[128];
    c->phase = PH_NOISE;
    c->hs = calloc(1, sizeof *c->hs);
    if (!c->hs || plat_random(e, 32) < 0) {
        node_close(c, R_io_error);
        return;
    }
    noise_hs_init(c->hs, c->dialer, c->node->noise_priv, e);
    p2p_wipe(e, 32);
    if (c->dialer) {
        int k = noise_write(c->hs, NULL, 0, msg, sizeof msg);
        if (k < 0) {
            node_close(c, R_io_error);
            return;
        }
        noise_frame(c, msg, (size_t)k);
    }
}

static void upgrade_mux(struct conn *c);

/* One handshake message from the wire. Returns false when the connection closed. */
static bool noise_message(struct conn *c, const uint8_t *m, size_t len)
{
    static uint8_t payload[NOISE_MAX_MSG], out[NOISE_MAX_MSG];
    struct noise_hs *hs = c->hs;
    uint64_t t0 = p2p_cycles();
    int p = noise_read(hs, m, len, payload, sizeof payload);
    if (p < 0) {
        node_close(c, hs->msg == 0 ? R_noise_bad_length : R_noise_decrypt);
        return false;
    }
    if (hs->msg == 2 || hs->msg == 3) {
        /* Message 2 (read by the dialer) and 3 (read by the listener) carry the remote identity. */
        enum node_reason why = check_payload(c, payload, (size_t)p);
        if (why != R_closed) {
            node_close(c, why);
            return false;
        }
    }
    if (hs->msg == 1 || hs->msg == 2) {
        size_t pl = handshake_payload(c, payload, sizeof payload);
        int k = noise_write(hs, payload, pl, out, sizeof out);
        if (k < 0) {
            node_close(c, R_noise_decrypt);
            return false;
        }
        noise_frame(c, out, (size_t)k);
    }
    uint64_t dt = p2p_cycles() - t0;
    if (c->dialer)
        c->node->hs_cycles_initiator += dt;
    else
        c->node->hs_cycles_responder += dt;
    if (hs->msg == 3) {
        noise_split(hs, &c->tx, &c->rx);
        free(c->hs);
        c->hs = NULL;
        c->node->handshakes++;
        if (c->dialer)
            c->node->handshakes_initiator++;
        else
            c->node->handshakes_responder++;
        upgrade_mux(c);
    }
    return true;
}

/* Transport messages: 2-byte length, ciphertext + tag. */
static bool noise_decrypt_all(struct conn *c)
{
    static uint8_t plain[NOISE_MAX_MSG];
    while (buf_used(&c->in) >= 2) {
        size_t len = p2p_be16(buf_data(&c->in));
        if (len < NOISE_TAG) {
            node_close(c, R_noise_bad_length);
            return false;
        }
        if (buf_used(&c->in) < 2 + len)
            break;
        if (noise_decrypt(&c->rx, buf_data(&c->in) + 2, len, plain) < 0) {
            node_close(c, R_noise_decrypt);
            return false;
        }
        buf_consume(&c->in, 2 + len);
        buf_append(&c->pin, plain, len - NOISE_TAG);
    }
    return true;
}

static void noise_encrypt_out(struct conn *c)
{
    static uint8_t ct[NOISE_MAX_MSG];
    const size_t max = NOISE_MAX_MSG - NOISE_TAG;
    while (buf_used(&c->pout) > 0) {
        size_t n = buf_used(&c->pout) < max ? buf_used(&c->pout) : max;
        if (noise_encrypt(&c->tx, buf_data(&c->pout), n, ct) < 0) {
            node_close(c, R_noise_decrypt);
            return;
        }
        noise_frame(c, ct, n + NOISE_TAG);
        buf_consume(&c->pout, n);
    }
}

/* ---- yamux ---- */

static void yamux_frame(struct conn *c, int type, int flags, uint32_t sid, uint32_t len, const uint8_t *data)
{
    uint8_t h[12];
#ifdef P2P_TRACE
    plat_log("yamux out type %d flags %x sid %u len %u", type, flags, sid, len);
#endif
    h[0] = 0;
    h[1] = (uint8_t)type;
    p2p_put_be16(h + 2, (uint16_t)flags);
    p2p_put_be32(h + 4, sid);
    p2p_put_be32(h + 8, len);
    buf_append(&c->pout, h, 12);
    if (type == Y_DATA && len)
        buf_append(&c->pout, data, len);
}

static struct stream *stream_new(struct conn *c, uint32_t id, bool outbound)
{
    if (c->nstreams >= NODE_MAX_STREAMS)
        return NULL;
    struct stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->c = c;
    s->id = id;
    s->outbound = outbound;
    s->send_window = YAMUX_WINDOW;
    s->recv_window = YAMUX_WINDOW;
    c->streams[c->nstreams++] = s;
    return s;
}

static struct stream *stream_find(struct conn *c, uint32_t id)
{
    for (int i = 0; i < c->nstreams; i++)
        if (c->streams[i]->id == id)
            return c->streams[i];
    return NULL;
}

struct stream *node_open_stream(struct conn *c, const struct proto_def *p, struct op *op)
{
    if (c->phase != PH_YAMUX || c->goaway_sent)
        return NULL;
    struct stream *s = stream_new(c, c->next_sid, true);
    if (!s)
        return NULL;
    c->next_sid += 2;
    s->def = p;
    s->op = op;
    mss_init(&s->mss, true, p->id);
    yamux_frame(c, Y_WINDOW, F_SYN, s->id, 0, NULL);
    mss_step(&s->mss, &s->rx, &s->tx, NULL); /* header + proposal */
    return s;
}

static void stream_reset(struct stream *s, enum node_reason why)
{
    s->c->node->reasons[why]++;
    yamux_frame(s->c, Y_WINDOW, F_RST, s->id, 0, NULL);
    stream_free(s);
}

void node_stream_reset(struct stream *s, enum node_reason why) { stream_reset(s, why); }

static void stream_input(struct stream *s)
{
    if (s->negotiated && s->def && s->def->input)
        s->def->input(s);
}

/* Runs negotiation and the protocol on what the stream has received. */
static void stream_process(struct stream *s)
{
    if (!s->negotiated) {
        struct node *n = s->c->node;
        int r = mss_step(&s->mss, &s->rx, &s->tx, n->proto_ids);
        if (r < 0) {
            stream_reset(s, r == MSS_ERR_REFUSED ? R_mss_refused : R_stream_protocol);
            return;
        }
        if (r == MSS_DONE) {
            s->negotiated = true;
            if (!s->outbound) {
                for (int p = 0; p < n->nprotos; p++)
                    if (strcmp(s->mss.selected, n->protos[p]->id) == 0)
                        s->def = n->protos[p];
            }
            if (s->def && s->def->started)
                s->def->started(s);
        }
    }
    stream_input(s);
}

/* Grants the peer window for what was consumed, once half a window is owed
 * (or everything when the stream is idle). */
static void stream_grant(struct stream *s)
{
    uint32_t owed = YAMUX_WINDOW - s->recv_window - (uint32_t)buf_used(&s->rx);
    if (owed >= YAMUX_WINDOW / 2 || (owed > 0 && buf_used(&s->rx) == 0)) {
        yamux_frame(s->c, Y_WINDOW, 0, s->id, owed, NULL);
        s->recv_window += owed;
    }
}

static void stream_flush(struct stream *s)
{
    struct conn *c = s->c;
    while (buf_used(&s->tx) > 0 && s->send_window > 0 && buf_used(&c->pout) < (1u << 20)) {
        size_t n = buf_used(&s->tx);
        if (n > s->send_window)
            n = s->send_window;
        if (n > 16384)
            n = 16384;
        yamux_frame(c, Y_DATA, 0, s->id, (uint32_t)n, buf_data(&s->tx));
        buf_consume(&s->tx, n);
        s->send_window -= (uint32_t)n;
    }
    /* FIN goes in a frame of its own: js-libp2p's yamux (8.0) closes a stream
     * it has half-closed on a DATA|FIN frame before delivering the data. */
    if (s->want_fin && !s->fin_sent && buf_used(&s->tx) == 0) {
        yamux_frame(c, Y_WINDOW, F_FIN, s->id, 0, NULL);
        s->fin_sent = true;
    }
    stream_grant(s);
    if (s->fin_sent && s->fin_rcvd && buf_used(&s->tx) == 0)
        stream_free(s);
}

static void upgrade_mux(struct conn *c)
{
    c->phase = PH_MSS_MUX;
    mss_init(&c->mss, c->dialer, "/yamux/1.0.0");
    mss_step(&c->mss, &c->pin, &c->pout, MUX_PROTOS);
}

static void yamux_begin(struct conn *c)
{
    c->phase = PH_YAMUX;
    char id[P2P_PEERID_STR];
    peerid_str(&c->remote, id);
    plat_log("p2pd: connected %s %s %u.%u.%u.%u:%u", c->dialer ? "to" : "from", id, c->rip >> 24, c->rip >> 16 & 255,
             c->rip >> 8 & 255, c->rip & 255, c->rport);
    node_open_stream(c, &proto_identify, NULL);
    static uint8_t junk[YAMUX_WINDOW + 4096];
    switch (c->node->fault) {
    case FAULT_YAMUX_VERSION: /* a ping with version 1 */
        buf_append(&c->pout, (const uint8_t[12]){1, Y_PING, 0, F_SYN, 0, 0, 0, 0, 0, 0, 0, 7}, 12);
        break;
    case FAULT_YAMUX_TYPE:
        buf_append(&c->pout, (const uint8_t[12]){0, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, 12);
        break;
    case FAULT_YAMUX_WINDOW: /* more data than the initial window on a new stream */
        yamux_frame(c, Y_WINDOW, F_SYN, c->next_sid, 0, NULL);
        yamux_frame(c, Y_DATA, 0, c->next_sid, sizeof junk, junk);
        c->next_sid += 2;
        break;
    case FAULT_YAMUX_STREAM: /* a stream id of the wrong parity */
        yamux_frame(c, Y_WINDOW, F_SYN, c->next_sid + 1, 0, NULL);
        break;
    default:
        break;
    }
}

/* Returns false when the connection closed. */
static bool yamux_input(struct conn *c)
{
    while (buf_used(&c->pin) >= 12) {
        const uint8_t *h = buf_data(&c->pin);
        int type = h[1], flags = p2p_be16(h + 2);
        uint32_t sid = p2p_be32(h + 4), len = p2p_be32(h + 8);
        if (h[0] != 0) {
            node_close(c, R_yamux_bad_version);
            return false;
        }
        if (type > Y_GOAWAY) {
            node_close(c, R_yamux_bad_type);
            return false;
        }
        if (type == Y_PING) {
            if (flags & F_SYN)
                yamux_frame(c, Y_PING, F_ACK, 0, len, NULL);
            buf_consume(&c->pin, 12);
            continue;
        }
        if (type == Y_GOAWAY) {
            buf_consume(&c->pin, 12);
            node_close(c, R_yamux_goaway);
            return false;
        }
        struct stream *s = stream_find(c, sid);
        if (type == Y_DATA && s && len > s->recv_window) {
            node_close(c, R_yamux_window);
            return false;
        }
        if (type == Y_DATA && len > YAMUX_WINDOW) {
            node_close(c, R_yamux_window);
            return false;
        }
        if (type == Y_DATA && buf_used(&c->pin) < 12 + (size_t)len)
            break;
        const uint8_t *payload = h + 12;
#ifdef P2P_TRACE
        plat_log("yamux in type %d flags %x sid %u len %u", type, flags, sid, len);
#endif
        if (flags & F_SYN) {
            /* The remote opens odd ids when it dialled, even ones when it listened. */
            bool theirs = sid != 0 && (sid & 1) == (c->dialer ? 0u : 1u);
            if (s || !theirs) {
                node_close(c, R_yamux_bad_stream);
                return false;
            }
            s = stream_new(c, sid, false);
            if (!s) {
                c->node->reasons[R_stream_limit]++;
                yamux_frame(c, Y_WINDOW, F_RST, sid, 0, NULL);
            } else {
                mss_init(&s->mss, false, NULL);
                yamux_frame(c, Y_WINDOW, F_ACK, sid, 0, NULL);
            }
        }
        if (s) {
            if (type == Y_DATA) {
                buf_append(&s->rx, payload, len);
                s->recv_window -= len;
            } else {
                if ((uint64_t)s->send_window + len > 0xffffffffu) {
                    node_close(c, R_yamux_window);
                    return false;
                }
                s->send_window += len;
            }
            if (flags & F_FIN)
                s->fin_rcvd = true;
        }
        buf_consume(&c->pin, 12 + (type == Y_DATA ? len : 0));
        if (s && (flags & F_RST)) {
            stream_free(s);
            continue;
        }
        if (s)
            stream_process(s);
    }
    return true;
}

/* Moves the connection through its phases on what has arrived. */
static void conn_process(struct conn *c)
{
    if (c->phase == PH_MSS_SEC) {
        int r = mss_step(&c->mss, &c->in, &c->out, SEC_PROTOS);
        if (r < 0) {
            node_close(c, r == MSS_ERR_HEADER ? R_mss_bad_header : r == MSS_ERR_REFUSED ? R_mss_refused
                          : r == MSS_ERR_LIMIT ? R_mss_limit : R_mss_bad_line);
            return;
        }
        if (r == MSS_DONE)
            noise_begin(c);
    }
    while (c->used && c->phase == PH_NOISE && buf_used(&c->in) >= 2) {
        size_t len = p2p_be16(buf_data(&c->in));
        if (buf_used(&c->in) < 2 + len)
            break;
        static uint8_t msg[NOISE_MAX_MSG];
        memcpy(msg, buf_data(&c->in) + 2, len);
        buf_consume(&c->in, 2 + len);
        if (!noise_message(c, msg, len))
            return;
    }
    if (!c->used || c->phase < PH_MSS_MUX)
        return;
    if (!noise_decrypt_all(c))
        return;
    if (c->phase == PH_MSS_MUX) {
        int r = mss_step(&c->mss, &c->pin, &c->pout, MUX_PROTOS);
        if (r < 0) {
            node_close(c, r == MSS_ERR_HEADER ? R_mss_bad_header : r == MSS_ERR_REFUSED ? R_mss_refused : R_mss_bad_line);
            return;
        }
        if (r == MSS_DONE)
            yamux_begin(c);
    }
    if (c->phase == PH_YAMUX)
        yamux_input(c);
}

static void conn_flush(struct conn *c)
{
    if (!c->used)
        return;
    if (c->phase == PH_YAMUX) {
        /* Streams may free themselves while flushing: walk from the end. */
        for (int i = c->nstreams - 1; i >= 0; i--) {
            if (i < c->nstreams) {
                stream_input(c->streams[i]);
                if (i < c->nstreams)
                    stream_flush(c->streams[i]);
            }
        }
    }
    if (c->phase >= PH_MSS_MUX)
        noise_encrypt_out(c);
    if (!c->used)
        return;
    if (c->mem_peer && buf_used(&c->out) > 0) {
        buf_append(&c->mem_peer->in, buf_data(&c->out), buf_used(&c->out));
        buf_consume(&c->out, buf_used(&c->out));
        c->mem_peer->mem_dirty = true;
    }
    while (c->fd >= 0 && buf_used(&c->out) > 0) {
        long k = plat_send(c->fd, buf_data(&c->out), buf_used(&c->out));
        if (k == -PLAT_EAGAIN || k == 0) /* 0: nothing taken this time; POLLOUT says when */
            break;
        if (k < 0) {
            c->last_err = (int)k;
            node_close(c, R_io_error);
            return;
        }
        buf_consume(&c->out, (size_t)k);
    }
    if (conn_buffered(c) > NODE_MAX_BUFFERED)
        node_close(c, R_buffer_limit);
}

int node_pollfds(struct node *n, struct plat_pollfd *fds, int cap, int *map)
{
    int k = 0;
    for (int i = 0; i < NODE_MAX_CONNS && k < cap; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used || c->fd < 0)
            continue;
        fds[k].fd = c->fd;
        fds[k].events = PLAT_POLLIN;
        if (c->phase == PH_CONNECTING || buf_used(&c->out) > 0)
            fds[k].events |= PLAT_POLLOUT;
        fds[k].revents = 0;
        map[k++] = i;
    }
    return k;
}

void node_ready(struct node *n, int ci, short revents)
{
    struct conn *c = &n->conns[ci];
    if (!c->used)
        return;
    if (c->phase == PH_CONNECTING) {
        if (!(revents & (PLAT_POLLOUT | PLAT_POLLERR | PLAT_POLLHUP)))
            return;
        if ((c->last_err = plat_sock_error(c->fd)) != 0) {
            node_close(c, R_io_error);
            return;
        }
        c->phase = PH_MSS_SEC;
        conn_process(c); /* header + proposal */
    }
    if (revents & (PLAT_POLLIN | PLAT_POLLHUP | PLAT_POLLERR)) {
        for (;;) {
            uint8_t *d = buf_reserve(&c->in, 65536);
            if (!d) {
                node_close(c, R_buffer_limit);
                return;
            }
            long k = plat_recv(c->fd, d, 65536);
            if (k == -PLAT_EAGAIN)
                break;
            if (k <= 0) {
                c->last_err = (int)k;
                node_close(c, k == 0 ? R_closed : R_io_error);
                return;
            }
            c->in.len += (size_t)k;
            c->rx_at_ms = plat_now_ms();
            if (buf_used(&c->in) > (4u << 20))
                break;
        }
        conn_process(c);
    }
    conn_flush(c);
}

void node_tick(struct node *n)
{
    /* Modules first: what their ticks write (new streams, requests) goes out
     * in this turn's flush, not 50 ms later. */
    node_module_tick(n);
    uint64_t now = plat_now_ms();
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used)
            continue;
        if (c->phase < PH_YAMUX && now - c->t_start > NODE_HANDSHAKE_MS) {
            node_close(c, R_timeout);
            continue;
        }
        conn_flush(c);
    }
}

void node_cancel_ops(struct node *n, int ctl)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used)
            continue;
        if (c->dial_op && c->dial_op->ctl == ctl) {
            free(c->dial_op);
            c->dial_op = NULL;
        }
        for (int j = 0; j < c->nstreams; j++)
            if (c->streams[j]->op && c->streams[j]->op->ctl == ctl)
                c->streams[j]->op->ctl = -1;
    }
    for (int i = 0; i < n->nmods; i++)
        if (n->mods[i]->ctl_gone)
            n->mods[i]->ctl_gone(n, ctl);
}

struct conn *node_link(struct node *dialer, struct node *listener, const struct peerid *expect)
{
    struct conn *a = conn_new(dialer, -1, true, 0x7f000001, 1);
    struct conn *b = conn_new(listener, -1, false, 0x7f000001, 2);
    if (!a || !b) {
        if (a)
            memset(a, 0, sizeof *a);
        if (b)
            memset(b, 0, sizeof *b);
        return NULL;
    }
    a->mem_peer = b;
    b->mem_peer = a;
    if (expect) {
        a->expect_peer = true;
        a->expected = *expect;
    }
    dialer->conns_out++;
    listener->conns_in++;
    a->phase = PH_MSS_SEC;
    conn_process(a);
    conn_flush(a);
    return a;
}

void node_run_links(struct node **nodes, int count)
{
    for (int round = 0; round < 100000; round++) {
        bool any = false;
        for (int k = 0; k < count; k++) {
            for (int i = 0; i < NODE_MAX_CONNS; i++) {
                struct conn *c = &nodes[k]->conns[i];
                if (!c->used || !c->mem_peer)
                    continue;
                if (c->mem_dirty) {
                    c->mem_dirty = false;
                    any = true;
                    conn_process(c);
                }
                conn_flush(c);
            }
        }
        if (!any)
            return;
    }
}
