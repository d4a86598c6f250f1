/* Stream protocols: identify and identify push (libp2p/specs identify/),
 * ping (ping/ping.md: 32 bytes echoed), and /kos/echo/1.0.0 (every byte
 * echoed until the writer closes). */
#include "core/node.h"

#define IDENTIFY_MAX 8192
#define ECHO_TX_MAX (256u * 1024)

static void op_reply(struct node *n, struct op *op, const char *line)
{
    if (op && op->ctl >= 0 && op->kind != OP_NONE)
        n->reply(n, op->ctl, line);
}

size_t node_identify_msg(struct conn *c, uint8_t *out, size_t cap)
{
    struct node *n = c->node;
    struct pbw w = {out, 0, cap, false};
    uint8_t key[P2P_PUBKEY_PB_LEN], ma[64];
    p2p_pubkey_pb(key, n->pub);
    pbw_string(&w, 5, NODE_PROTOCOL_VERSION);
    pbw_string(&w, 6, NODE_AGENT);
    pbw_bytes(&w, 1, key, sizeof key);
    struct maddr m;
    if (node_listen_addr(n, c, &m) == 0) {
        int k = maddr_bytes(&m, ma, sizeof ma);
        if (k > 0)
            pbw_bytes(&w, 2, ma, (size_t)k);
    }
    struct maddr obs = {.ip = c->rip, .port = c->rport};
    int k = maddr_bytes(&obs, ma, sizeof ma);
    if (k > 0)
        pbw_bytes(&w, 4, ma, (size_t)k);
    for (int i = 0; i < n->nprotos; i++)
        pbw_string(&w, 3, n->protos[i]->id);
    return w.overflow ? 0 : w.len;
}

static void append_field(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t k = strlen(dst);
    if (k && k + 1 < cap)
        dst[k++] = ',';
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = (s[i] >= 0x21 && s[i] < 0x7f && s[i] != ',') ? (char)s[i] : '?';
    dst[k] = 0;
}

static void copy_text(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    dst[0] = 0;
    append_field(dst, cap, s, n);
}

/* The text of a multiaddr field (binary form) into ma; false when it does not parse. */
static bool maddr_field(const struct pbfield *f, char *ma, size_t cap)
{
    struct maddr m;
    if (maddr_from_bytes(&m, f->data, f->len) != 0)
        return false;
    maddr_str(&m, ma, cap);
    return true;
}

/* A length-prefixed Identify message; false when malformed or the key is not the peer's. */
static bool identify_parse(struct conn *c, struct buf *rx)
{
    uint64_t len;
    int k = uvarint_get(buf_data(rx), buf_used(rx), &len);
    if (k <= 0 || len > buf_used(rx) - (size_t)k)
        return false;
    struct pbfield f;
    struct peerinfo info;
    memset(&info, 0, sizeof info);
    bool key_ok = false;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, buf_data(rx) + k, (size_t)len) {
        if (f.wire != 2)
            continue;
        char ma[128];
        switch (f.field) {
        case 1: {
            uint8_t pub[32];
            struct peerid id;
            if (p2p_pubkey_parse(f.data, f.len, pub) < 0)
                return false;
            peerid_from_pub(&id, pub);
            if (!peerid_eq(&id, &c->remote))
                return false;
            key_ok = true;
            break;
        }
        case 2:
            if (maddr_field(&f, ma, sizeof ma))
                append_field(info.listen, sizeof info.listen, (const uint8_t *)ma, strlen(ma));
            break;
        case 3: append_field(info.protocols, sizeof info.protocols, f.data, f.len); break;
        case 4:
            if (maddr_field(&f, ma, sizeof ma))
                copy_text(info.observed, sizeof info.observed, (const uint8_t *)ma, strlen(ma));
            break;
        case 5: copy_text(info.protover, sizeof info.protover, f.data, f.len); break;
        case 6: copy_text(info.agent, sizeof info.agent, f.data, f.len); break;
        default: break;
        }
    }
    if (rc < 0 || !key_ok)
        return false;
    info.identified = true;
    c->info = info;
    char id[P2P_PEERID_STR];
    peerid_str(&c->remote, id);
    plat_log("p2pd: identified %s agent=%s protocols=%s listen=%s", id, info.agent, info.protocols, info.listen);
    if (c->dial_op) {
        char line[256];
        snprintf(line, sizeof line, "ok connected %s agent=%s", id, info.agent);
        op_reply(c->node, c->dial_op, line);
        free(c->dial_op);
        c->dial_op = NULL;
    }
    if (!c->up) {
        c->up = true;
        node_peer_up(c);
    }
    return true;
}

static void ping_send(struct stream *s)
{
    plat_random(s->ping, sizeof s->ping);
    s->ping_t0 = plat_now_us();
    buf_append(&s->tx, s->ping, sizeof s->ping);
}

static uint8_t echo_byte(const struct stream *s, uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 8) + s->echo_seed);
}

static void identify_started(struct stream *s)
{
    if (s->outbound)
        return;
    uint8_t msg[2048], v[10];
    size_t n = node_identify_msg(s->c, msg, sizeof msg);
    int k = uvarint_put(v, n);
    buf_append(&s->tx, v, (size_t)k);
    buf_append(&s->tx, msg, n);
    /* Our FIN waits for the asker's (or 200 ms): js-libp2p 3.3 loses an answer
     * whose FIN arrives before its multistream reader has handed the bytes on
     * ("Cannot push data onto a stream that is closed"). */
    s->fin_at = plat_now_ms() + 200;
}

/* Identify (we answer inbound requests; an outbound stream reads the answer)
 * and identify push (an inbound push is an Identify message to read). */
static void identify_input(struct stream *s)
{
    struct conn *c = s->c;
    if (s->outbound && s->def == &proto_idpush)
        return;
    if (!s->outbound && s->def == &proto_identify) {
        buf_consume(&s->rx, buf_used(&s->rx)); /* nothing is expected from the asker */
        if (s->fin_rcvd || (s->fin_at && plat_now_ms() >= s->fin_at))
            s->want_fin = true;
        return;
    }
    if (buf_used(&s->rx) > IDENTIFY_MAX) {
        node_close(c, R_identify_bad);
        return;
    }
    if (s->fin_rcvd && !s->want_fin) {
        if (!identify_parse(c, &s->rx)) {
            node_close(c, R_identify_bad);
            return;
        }
        buf_consume(&s->rx, buf_used(&s->rx));
        s->want_fin = true;
    }
}

static void ping_started(struct stream *s)
{
    if (s->outbound)
        ping_send(s);
}

static void ping_input(struct stream *s)
{
    struct conn *c = s->c;
    if (!s->outbound) {
        size_t n = buf_used(&s->rx) / 32 * 32;
        if (buf_used(&s->tx) < 4096 && n) {
            buf_append(&s->tx, buf_data(&s->rx), n);
            buf_consume(&s->rx, n);
        }
        if (s->fin_rcvd)
            s->want_fin = true;
        return;
    }
    while (buf_used(&s->rx) >= 32 && !s->want_fin) {
        bool same = memcmp(buf_data(&s->rx), s->ping, 32) == 0;
        buf_consume(&s->rx, 32);
        uint64_t rtt = plat_now_us() - s->ping_t0;
        struct op *op = s->op;
        if (!same) {
            if (op)
                op->failed++;
            s->want_fin = true;
            break;
        }
        if (op) {
            op->count++;
            op->rtt_sum_us += rtt;
            if (op->count == 1 || rtt < op->rtt_min_us)
                op->rtt_min_us = rtt;
            if (rtt > op->rtt_max_us)
                op->rtt_max_us = rtt;
            char line[64];
            snprintf(line, sizeof line, "rtt_us %lu", (unsigned long)rtt);
            op_reply(c->node, op, line);
        }
        if (--s->ping_left > 0)
            ping_send(s);
        else
            s->want_fin = true;
    }
    if (s->fin_rcvd)
        s->want_fin = true;
}

static void echo_input(struct stream *s)
{
    if (!s->outbound) {
        size_t room = buf_used(&s->tx) < ECHO_TX_MAX ? ECHO_TX_MAX - buf_used(&s->tx) : 0;
        size_t n = buf_used(&s->rx) < room ? buf_used(&s->rx) : room;
        if (n) {
            buf_append(&s->tx, buf_data(&s->rx), n);
            buf_consume(&s->rx, n);
        }
        if (s->fin_rcvd && buf_used(&s->rx) == 0)
            s->want_fin = true;
        return;
    }
    /* Our echo test: generate the pattern as the window drains, check what comes back. */
    while (s->echo_sent < s->echo_total && buf_used(&s->tx) < ECHO_TX_MAX) {
        uint8_t chunk[4096];
        size_t n = s->echo_total - s->echo_sent < sizeof chunk ? (size_t)(s->echo_total - s->echo_sent) : sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = echo_byte(s, s->echo_sent + i);
        buf_append(&s->tx, chunk, n);
        s->echo_sent += n;
    }
    if (s->echo_sent == s->echo_total)
        s->want_fin = true;
    while (buf_used(&s->rx) > 0) {
        const uint8_t *d = buf_data(&s->rx);
        size_t n = buf_used(&s->rx);
        for (size_t i = 0; i < n; i++)
            if (d[i] != echo_byte(s, s->echo_recv + i))
                s->echo_bad = true;
        s->echo_recv += n;
        buf_consume(&s->rx, n);
    }
}

/* A ping or echo stream run for a control op: the op answers when its last stream ends. */
static void op_stream_closed(struct stream *s)
{
    struct op *op = s->op;
    if (!op)
        return;
    if (op->kind == OP_ECHO) {
        if (s->echo_bad || s->echo_recv != s->echo_total || !s->fin_rcvd)
            op->failed++;
        else
            op->total += s->echo_recv;
    }
    if (op->kind == OP_PING && op->count == 0)
        op->failed++;
    if (--op->pending > 0)
        return;
    char line[160];
    if (op->kind == OP_PING) {
        if (op->failed || op->count == 0)
            snprintf(line, sizeof line, "error ping: %d answered, %d failed", op->count, op->failed);
        else
            snprintf(line, sizeof line, "ok %d pings rtt_us min %lu avg %lu max %lu", op->count, (unsigned long)op->rtt_min_us,
                     (unsigned long)(op->rtt_sum_us / (uint64_t)op->count), (unsigned long)op->rtt_max_us);
    } else {
        if (op->failed)
            snprintf(line, sizeof line, "error echo: %d streams failed, %lu bytes verified", op->failed, (unsigned long)op->total);
        else
            snprintf(line, sizeof line, "ok echo %lu bytes verified", (unsigned long)op->total);
    }
    op_reply(s->c->node, op, line);
    free(op);
}

const struct proto_def proto_identify = {PROTO_IDENTIFY, identify_started, identify_input, NULL};
const struct proto_def proto_idpush = {PROTO_IDPUSH, NULL, identify_input, NULL};
const struct proto_def proto_ping = {PROTO_PING, ping_started, ping_input, op_stream_closed};
const struct proto_def proto_echo = {PROTO_ECHO, NULL, echo_input, op_stream_closed};

static const struct proto_def *const basic_protos[] = {&proto_identify, &proto_idpush, &proto_ping, &proto_echo, NULL};
const struct node_module proto_basic = {.name = "basic", .protos = basic_protos};
