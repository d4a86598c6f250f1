/* libp2p mDNS discovery: see mdns.h. Message format: RFC 1035 4.1 (header,
 * questions, records, name compression), RFC 6762 (the cache-flush bit on
 * unique records, 5.2's 20-120 ms first-query delay, 6's one answer a second
 * and 20-120 ms delay for a shared record, 11's IP TTL 255: plat_udp_open).
 * The names and records are those of libp2p/specs discovery/mdns.md. */
#include "core/mdns.h"
#include "core/node.h"

#define MDNS_GROUP 0xe00000fbu /* 224.0.0.251 */
#define MDNS_PORT 5353
#define TYPE_PTR 12
#define TYPE_TXT 16
#define TYPE_ANY 255
#define CLASS_IN 1
#define CLASS_FLUSH 0x8000
#define FLAG_QR 0x8000
#define FLAG_AA 0x0400
#define RECORD_TTL 120            /* seconds, as the spec's examples and js-libp2p */
#define MAX_RECORDS 48            /* records of one message looked at */
#define NAME_MAX 256
#define POINTER_HOPS 16
#define DEFAULT_INTERVAL_MS 10000

struct mdns_peer {
    bool used, logged;
    struct peerid id;
    struct maddr addr;
    uint64_t seen_ms, dialed_ms;
};

struct mdns_state {
    bool on;
    uint32_t interval_ms;
    int fd;
    char name[MDNS_PEER_NAME_LEN + 1];
    uint64_t next_query_ms, answer_due_ms, last_answer_ms;
    struct mdns_peer peers[MDNS_MAX_PEERS];
    uint64_t queries_sent, answers_sent, queries_seen, responses_seen, malformed, dials;
};

/* ---- encoding ---- */

/* A DNS message is written like a protobuf one: into a fixed buffer, overflow
 * noted (struct pbw, core/multiformats.h). */

static void put16(struct pbw *w, uint16_t v)
{
    uint8_t b[2];
    p2p_put_be16(b, v);
    pbw_raw(w, b, 2);
}

static void put32(struct pbw *w, uint32_t v)
{
    uint8_t b[4];
    p2p_put_be32(b, v);
    pbw_raw(w, b, 4);
}

static void put_label(struct pbw *w, const char *s, size_t n)
{
    uint8_t l = (uint8_t)n;
    pbw_raw(w, &l, 1);
    pbw_raw(w, s, n);
}

/* A dotted name, uncompressed, ending with the root label. */
static void put_name(struct pbw *w, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        put_label(w, name, n);
        name += n + (dot ? 1 : 0);
    }
    pbw_raw(w, "", 1);
}

static void put_header(struct pbw *w, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ar)
{
    put16(w, 0);        /* id 0 (RFC 6762 18.1) */
    put16(w, flags);
    put16(w, qd);
    put16(w, an);
    put16(w, 0);
    put16(w, ar);
}

size_t mdns_build_query(uint8_t *out, size_t cap)
{
    struct pbw w = {out, 0, cap, false};
    put_header(&w, 0, 1, 0, 0);
    put_name(&w, MDNS_SERVICE_NAME);
    put16(&w, TYPE_PTR);
    put16(&w, CLASS_IN);
    return w.overflow ? 0 : w.len;
}

size_t mdns_build_response(uint8_t *out, size_t cap, const char *peer_name, const struct maddr *addrs, int naddrs)
{
    struct pbw w = {out, 0, cap, false};
    put_header(&w, FLAG_QR | FLAG_AA, 0, 1, (uint16_t)naddrs);
    /* The shared PTR: _p2p._udp.local -> NAME._p2p._udp.local. */
    size_t service_at = w.len;
    put_name(&w, MDNS_SERVICE_NAME);
    put16(&w, TYPE_PTR);
    put16(&w, CLASS_IN);
    put32(&w, RECORD_TTL);
    size_t name_len = strlen(peer_name);
    put16(&w, (uint16_t)(1 + name_len + 2));
    size_t instance_at = w.len;
    put_label(&w, peer_name, name_len);
    put16(&w, (uint16_t)(0xc000 | service_at));
    /* The unique TXT records, one dnsaddr= each, in the additional section. */
    for (int i = 0; i < naddrs; i++) {
        char text[300];
        int n = snprintf(text, sizeof text, "dnsaddr=");
        n += maddr_str(&addrs[i], text + n, sizeof text - (size_t)n);
        if (n > 255)
            return 0;
        put16(&w, (uint16_t)(0xc000 | instance_at));
        put16(&w, TYPE_TXT);
        put16(&w, CLASS_IN | CLASS_FLUSH);
        put32(&w, RECORD_TTL);
        put16(&w, (uint16_t)(n + 1));
        put_label(&w, text, (size_t)n);
    }
    return w.overflow ? 0 : w.len;
}

/* ---- decoding ---- */

/* The name at *pos (compression followed, at most POINTER_HOPS jumps), in
 * lower case with dots between labels; *pos moves past it; *first_len is the
 * first label's length. 0 or -1 (malformed). */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, char *out, size_t *first_len)
{
    size_t p = *pos, o = 0;
    bool jumped = false;
    int hops = 0;
    *first_len = 0;
    for (;;) {
        if (p >= len)
            return -1;
        uint8_t c = msg[p];
        if (c == 0) {
            if (!jumped)
                *pos = p + 1;
            break;
        }
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= len || ++hops > POINTER_HOPS)
                return -1;
            size_t target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
            if (!jumped)
                *pos = p + 2;
            jumped = true;
            if (target >= len)
                return -1;
            p = target;
            continue;
        }
        if (c & 0xc0)
            return -1;   /* 0x40 and 0x80 label types are not defined for mDNS */
        if (p + 1 + c > len || o + c + 2 > NAME_MAX)
            return -1;
        if (o > 0)
            out[o++] = '.';
        else
            *first_len = c;
        for (size_t i = 0; i < c; i++) {
            char ch = (char)msg[p + 1 + i];
            out[o++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch == 0 ? '?' : ch;
        }
        p += 1 + c;
    }
    out[o] = 0;
    return 0;
}

struct record {
    char owner[NAME_MAX];
    uint16_t type;
    uint32_t ttl;
    size_t rdata, rdlen;
};

static bool is_service(const char *name) { return strcmp(name, MDNS_SERVICE_NAME) == 0; }

int mdns_parse(const uint8_t *msg, size_t len, struct mdns_seen *out)
{
    static struct record rr[MAX_RECORDS];
    memset(out, 0, sizeof *out);
    if (len < 12)
        return -1;
    uint16_t flags = p2p_be16(msg + 2);
    unsigned qd = p2p_be16(msg + 4), an = p2p_be16(msg + 6), ns = p2p_be16(msg + 8), ar = p2p_be16(msg + 10);
    if ((flags >> 11) & 0xf)
        return 0;   /* RFC 6762 18.3: other opcodes are ignored */
    out->response = (flags & FLAG_QR) != 0;
    size_t pos = 12, first;
    char name[NAME_MAX];
    for (unsigned i = 0; i < qd; i++) {
        if (read_name(msg, len, &pos, name, &first) < 0 || pos + 4 > len)
            return -1;
        uint16_t type = p2p_be16(msg + pos);
        pos += 4;
        if (!out->response && is_service(name) && (type == TYPE_PTR || type == TYPE_ANY))
            out->asks_p2p = true;
    }
    unsigned total = an + ns + ar, kept = 0;
    for (unsigned i = 0; i < total; i++) {
        struct record r;
        if (read_name(msg, len, &pos, r.owner, &first) < 0 || pos + 10 > len)
            return -1;
        r.type = p2p_be16(msg + pos);
        r.ttl = p2p_be32(msg + pos + 4);
        r.rdlen = p2p_be16(msg + pos + 8);
        r.rdata = pos + 10;
        if (r.rdata + r.rdlen > len)
            return -1;
        pos = r.rdata + r.rdlen;
        if (kept < MAX_RECORDS)
            rr[kept++] = r;
    }
    if (!out->response)
        return 0;
    /* The first live PTR for the service names the instance. */
    char instance[NAME_MAX] = "";
    for (unsigned i = 0; i < kept && !instance[0]; i++) {
        if (rr[i].type != TYPE_PTR || !is_service(rr[i].owner) || rr[i].ttl == 0)
            continue;
        size_t p = rr[i].rdata;
        if (read_name(msg, len, &p, instance, &first) < 0 || p > rr[i].rdata + rr[i].rdlen)
            return -1;
        size_t n = strlen(instance), sl = strlen(MDNS_SERVICE_NAME);
        if (first == 0 || first >= sizeof out->peer_name || n != first + 1 + sl || !is_service(instance + first + 1)) {
            instance[0] = 0;   /* not an instance of the service: not ours to read */
            continue;
        }
        memcpy(out->peer_name, instance, first);
        out->peer_name[first] = 0;
    }
    if (!instance[0])
        return 0;
    for (unsigned i = 0; i < kept; i++) {
        if (rr[i].type != TYPE_TXT || strcmp(rr[i].owner, instance) != 0)
            continue;
        const uint8_t *t = msg + rr[i].rdata;
        for (size_t k = 0; k < rr[i].rdlen;) {
            size_t l = t[k];
            if (k + 1 + l > rr[i].rdlen)
                return -1;
            char text[256];
            memcpy(text, t + k + 1, l);
            text[l] = 0;
            struct maddr m;
            /* Only /ip4/../tcp/../p2p/ID parses; other transports are skipped. */
            if (l > 8 && memcmp(text, "dnsaddr=", 8) == 0 && maddr_parse(&m, text + 8) == 0 && m.has_peer &&
                out->naddrs < MDNS_MAX_ADDRS)
                out->addrs[out->naddrs++] = m;
            k += 1 + l;
        }
    }
    return 0;
}

/* ---- the module ---- */

static struct mdns_state *st(struct node *n) { return node_state(n, &mdns_module); }

static uint32_t rand_between(uint32_t lo, uint32_t hi)
{
    uint32_t r = 0;
    plat_random(&r, sizeof r);
    return lo + r % (hi - lo + 1);
}

static int mdns_option(struct node *n, const char *key, const char *value)
{
    struct mdns_state *s = st(n);
    if (strcmp(key, "mdns") == 0) {
        if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0)
            return -1;
        s->on = value[0] == '1';
        return 1;
    }
    if (strcmp(key, "mdns_interval") == 0) {
        long v = p2p_atol(value);
        if (v < 100 || v > 3600000)
            return -1;
        s->interval_ms = (uint32_t)v;
        return 1;
    }
    return 0;
}

static int mdns_start(struct node *n)
{
    struct mdns_state *s = st(n);
    s->fd = -1;
    if (!s->interval_ms)
        s->interval_ms = DEFAULT_INTERVAL_MS;
    if (!s->on)
        return 0;
    s->fd = plat_udp_open(MDNS_PORT, MDNS_GROUP);
    if (s->fd < 0) {
        plat_log("p2pd: mdns: cannot open UDP %d in 224.0.0.251 (error %d)", MDNS_PORT, s->fd);
        return -1;
    }
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t r[MDNS_PEER_NAME_LEN];
    plat_random(r, sizeof r);
    for (int i = 0; i < MDNS_PEER_NAME_LEN; i++)
        s->name[i] = alphabet[r[i] % (sizeof alphabet - 1)];
    s->name[MDNS_PEER_NAME_LEN] = 0;
    s->next_query_ms = plat_now_ms() + rand_between(20, 120);
    plat_log("p2pd: mdns on as %s.%s, query every %u ms", s->name, MDNS_SERVICE_NAME, (unsigned)s->interval_ms);
    return 0;
}

static void send_msg(struct mdns_state *s, const uint8_t *msg, size_t len)
{
    if (len > 0)
        plat_sendto(s->fd, msg, len, MDNS_GROUP, MDNS_PORT);
}

static void answer(struct node *n, struct mdns_state *s)
{
    struct maddr m;
    if (node_listen_addr(n, NULL, &m) < 0 || m.ip == 0)
        return;   /* no address to give yet */
    m.has_peer = true;
    m.peer = n->id;
    uint8_t msg[MDNS_MSG_MAX];
    send_msg(s, msg, mdns_build_response(msg, sizeof msg, s->name, &m, 1));
    s->answers_sent++;
    s->last_answer_ms = plat_now_ms();
}

static void mdns_tick(struct node *n)
{
    struct mdns_state *s = st(n);
    if (s->fd < 0)
        return;
    uint64_t now = plat_now_ms();
    if (now >= s->next_query_ms) {
        uint8_t msg[64];
        send_msg(s, msg, mdns_build_query(msg, sizeof msg));
        s->queries_sent++;
        s->next_query_ms = now + s->interval_ms;
    }
    if (s->answer_due_ms && now >= s->answer_due_ms) {
        s->answer_due_ms = 0;
        answer(n, s);
    }
}

/* Connected to id, or dialling it. */
static bool connected_to(struct node *n, const struct peerid *id)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used || c->phase == PH_CLOSED)
            continue;
        if ((c->phase == PH_YAMUX && peerid_eq(&c->remote, id)) || (c->expect_peer && peerid_eq(&c->expected, id)))
            return true;
    }
    return false;
}

static void discovered(struct node *n, struct mdns_state *s, const struct mdns_seen *seen)
{
    const struct maddr *pick = NULL;
    for (int i = 0; i < seen->naddrs && !pick; i++)
        if (seen->addrs[i].ip != 0 && (seen->addrs[i].ip >> 24) != 127)
            pick = &seen->addrs[i];
    if (!pick || peerid_eq(&pick->peer, &n->id))
        return;
    uint64_t now = plat_now_ms();
    struct mdns_peer *p = NULL, *oldest = &s->peers[0];
    for (int i = 0; i < MDNS_MAX_PEERS && !p; i++) {
        struct mdns_peer *q = &s->peers[i];
        if (q->used && peerid_eq(&q->id, &pick->peer))
            p = q;
        else if (!q->used || (oldest->used && q->seen_ms < oldest->seen_ms))
            oldest = q;
    }
    if (!p) {
        p = oldest;
        memset(p, 0, sizeof *p);
        p->used = true;
        p->id = pick->peer;
    }
    p->addr = *pick;
    p->seen_ms = now;
    char ma[192];
    maddr_str(&p->addr, ma, sizeof ma);
    if (!p->logged) {
        plat_log("p2pd: mdns found %s", ma);
        p->logged = true;
    }
    if (connected_to(n, &p->id) || (p->dialed_ms && now - p->dialed_ms < MDNS_REDIAL_MS))
        return;
    p->dialed_ms = now;
    s->dials++;
    if (!node_dial(n, &p->addr))
        plat_log("p2pd: mdns dial of %s failed at once", ma);
}

static int mdns_pollfds(struct node *n, struct plat_pollfd *fds, int cap)
{
    struct mdns_state *s = st(n);
    if (s->fd < 0 || cap < 1)
        return 0;
    fds[0].fd = s->fd;
    fds[0].events = PLAT_POLLIN;
    fds[0].revents = 0;
    return 1;
}

static void mdns_ready(struct node *n, const struct plat_pollfd *fds, int count)
{
    struct mdns_state *s = st(n);
    if (count < 1 || !(fds[0].revents & (PLAT_POLLIN | PLAT_POLLERR)))
        return;
    static uint8_t msg[MDNS_MSG_MAX * 2];
    for (int i = 0; i < 32; i++) {
        uint32_t ip;
        uint16_t port;
        long got = plat_recvfrom(s->fd, msg, sizeof msg, &ip, &port);
        if (got < 0)
            return;
        struct mdns_seen seen;
        if (mdns_parse(msg, (size_t)got, &seen) < 0) {
            s->malformed++;
            continue;
        }
        if (seen.asks_p2p) {
            s->queries_seen++;
            /* 6: a shared answer waits 20-120 ms, and goes at most once a second. */
            uint64_t due = plat_now_ms() + rand_between(20, 120);
            if (s->last_answer_ms && due < s->last_answer_ms + 1000)
                due = s->last_answer_ms + 1000;
            if (!s->answer_due_ms || due < s->answer_due_ms)
                s->answer_due_ms = due;
        }
        if (seen.response && seen.peer_name[0]) {
            s->responses_seen++;
            if (strcmp(seen.peer_name, s->name) != 0)
                discovered(n, s, &seen);
        }
    }
}

static void cmd_mdns(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct mdns_state *s = st(n);
    if (s->fd < 0) {
        node_reply(n, ctl, "error mdns is off (p2pd mdns=1)");
        return;
    }
    char line[400], ma[192];
    int count = 0;
    for (int i = 0; i < MDNS_MAX_PEERS; i++) {
        struct mdns_peer *p = &s->peers[i];
        if (!p->used)
            continue;
        maddr_str(&p->addr, ma, sizeof ma);
        snprintf(line, sizeof line, "mdns_peer %s %s", ma, connected_to(n, &p->id) ? "connected" : "not-connected");
        node_reply(n, ctl, line);
        count++;
    }
    snprintf(line, sizeof line, "ok mdns name=%s peers=%d queries_sent=%lu answers_sent=%lu queries_seen=%lu responses_seen=%lu malformed=%lu dials=%lu",
             s->name, count, (unsigned long)s->queries_sent, (unsigned long)s->answers_sent, (unsigned long)s->queries_seen,
             (unsigned long)s->responses_seen, (unsigned long)s->malformed, (unsigned long)s->dials);
    node_reply(n, ctl, line);
}

NODE_MODULE(mdns, sizeof(struct mdns_state), .cmds = NODE_CMDS({"mdns", 0, 0, "mdns", cmd_mdns}), .option = mdns_option,
            .start = mdns_start, .tick = mdns_tick, .pollfds = mdns_pollfds, .ready = mdns_ready);
