/* mDNS (RFC 6762) responder and browser for one DNS-SD service,
 * _kos._udp.local (RFC 6763), plus the DNS message parser and builder
 * (RFC 1035 4.1). Nothing in a received message is trusted: every read is
 * bounds-checked, compression pointers must point strictly backwards (so a
 * name cannot loop) and are bounded in number, and a malformed message is
 * dropped and counted as DROP_MDNS_MALFORMED. */
#include "net/mdns.h"
#include "net/udp.h"

/* ---------------- parser ---------------- */

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

bool dns_name_eq(const char *a, const char *b)
{
    while (*a && *b)
        if (lower(*a++) != lower(*b++))
            return false;
    return *a == *b;
}

/* Label bytes that dotted text cannot hold as they are get an escape, as
 * in RFC 1035 5.1 master files: "\." and "\\" for a dot and a backslash
 * inside a label (DNS-SD instance names may hold dots, RFC 6763 4.3), "\DDD"
 * for control bytes. dnsb_name reads the same escapes back. */
static bool put_text(char out[DNS_TEXT_MAX], size_t *text, uint8_t c)
{
    char esc[4];
    size_t n = 0;
    if (c == '.' || c == '\\') {
        esc[n++] = '\\';
        esc[n++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
        esc[n++] = '\\';
        esc[n++] = (char)('0' + c / 100);
        esc[n++] = (char)('0' + (c / 10) % 10);
        esc[n++] = (char)('0' + c % 10);
    } else {
        esc[n++] = (char)c;
    }
    if (*text + n >= DNS_TEXT_MAX)
        return false;
    memcpy(out + *text, esc, n);
    *text += n;
    return true;
}

int dns_read_name(const uint8_t *msg, size_t len, size_t off, char out[DNS_TEXT_MAX], size_t *next)
{
    size_t pos = off, text = 0, wire = 0;
    int jumps = 0;
    bool jumped = false;
    out[0] = 0;
    for (;;) {
        if (pos >= len)
            return DNS_ERR_TRUNCATED;
        uint8_t l = msg[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return DNS_ERR_TRUNCATED;
            size_t target = ((size_t)(l & 0x3f) << 8) | msg[pos + 1];
            /* Strictly backwards: every jump lowers pos, so no loop exists. */
            if (target >= pos || ++jumps > DNS_MAX_POINTERS)
                return DNS_ERR_POINTER;
            if (!jumped)
                *next = pos + 2;
            jumped = true;
            pos = target;
            continue;
        }
        if (l & 0xc0)
            return DNS_ERR_LABEL;      /* 0x40 and 0x80 label types are reserved */
        wire += 1 + (size_t)l;
        if (wire > DNS_NAME_WIRE_MAX)
            return DNS_ERR_NAME_TOO_LONG;
        if (l == 0) {
            if (!jumped)
                *next = pos + 1;
            out[text] = 0;
            return DNS_OK;
        }
        if (pos + 1 + l > len)
            return DNS_ERR_TRUNCATED;
        if (text)
            out[text++] = '.';
        for (size_t i = 0; i < l; i++)
            if (!put_text(out, &text, msg[pos + 1 + i]))
                return DNS_ERR_NAME_TOO_LONG;   /* cannot happen: DNS_TEXT_MAX covers 4 x 255 */
        pos += 1 + l;
    }
}

int dns_read_header(const uint8_t *msg, size_t len, struct dns_header *h)
{
    if (len < DNS_HDR_LEN)
        return DNS_ERR_TRUNCATED;
    h->id = net_get16(msg);
    h->flags = net_get16(msg + 2);
    h->qdcount = net_get16(msg + 4);
    h->ancount = net_get16(msg + 6);
    h->nscount = net_get16(msg + 8);
    h->arcount = net_get16(msg + 10);
    return DNS_OK;
}

int dns_read_question(const uint8_t *msg, size_t len, size_t *off, struct dns_question *q)
{
    size_t p;
    int rc = dns_read_name(msg, len, *off, q->name, &p);
    if (rc)
        return rc;
    if (p + 4 > len)
        return DNS_ERR_TRUNCATED;
    q->type = net_get16(msg + p);
    q->klass = net_get16(msg + p + 2);
    *off = p + 4;
    return DNS_OK;
}

int dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
    size_t p;
    int rc = dns_read_name(msg, len, *off, rr->name, &p);
    if (rc)
        return rc;
    if (p + 10 > len)
        return DNS_ERR_TRUNCATED;
    rr->type = net_get16(msg + p);
    rr->klass = net_get16(msg + p + 2);
    rr->ttl = net_get32(msg + p + 4);
    rr->rdlen = net_get16(msg + p + 8);
    rr->rdata = p + 10;
    if (rr->rdata + rr->rdlen > len)
        return DNS_ERR_TRUNCATED;
    *off = rr->rdata + rr->rdlen;
    return DNS_OK;
}

/* ---------------- builder ---------------- */

void dnsb_init(struct dns_builder *b, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags)
{
    memset(b, 0, sizeof *b);
    b->buf = buf;
    b->cap = cap;
    if (cap < DNS_HDR_LEN) {
        b->error = DNS_ERR_SPACE;
        return;
    }
    memset(buf, 0, DNS_HDR_LEN);
    net_put16(buf, id);
    net_put16(buf + 2, flags);
    b->len = DNS_HDR_LEN;
}

void dnsb_bytes(struct dns_builder *b, const void *data, size_t n)
{
    if (b->error)
        return;
    if (b->len + n > b->cap) {
        b->error = DNS_ERR_SPACE;
        return;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

void dnsb_u16(struct dns_builder *b, uint16_t v)
{
    uint8_t x[2];
    net_put16(x, v);
    dnsb_bytes(b, x, 2);
}

/* Offset of an earlier name (or name suffix) equal to dotted, or 0. */
static size_t find_written(struct dns_builder *b, const char *dotted)
{
    /* Static: this runs in interrupt context on a process's kernel stack
     * (the stack is entered only under net_lock, never reentered). */
    static char seen[DNS_TEXT_MAX];
    size_t next;
    for (int i = 0; i < b->n_names; i++)
        if (dns_read_name(b->buf, b->len, b->name_offs[i], seen, &next) == DNS_OK && dns_name_eq(seen, dotted))
            return b->name_offs[i];
    return 0;
}

/* The next label of escaped dotted text: its bytes into label, *len long;
 * returns where the text after it starts, NULL when the text is bad. */
static const char *next_label(const char *s, uint8_t label[DNS_LABEL_MAX], size_t *len)
{
    size_t n = 0;
    while (*s && *s != '.') {
        uint8_t c = (uint8_t)*s++;
        if (c == '\\') {
            if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
                int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
                if (v > 255)
                    return NULL;
                c = (uint8_t)v;
                s += 3;
            } else if (*s) {
                c = (uint8_t)*s++;
            } else {
                return NULL;
            }
        }
        if (n >= DNS_LABEL_MAX)
            return NULL;
        label[n++] = c;
    }
    *len = n;
    return *s ? s + 1 : s;
}

void dnsb_name(struct dns_builder *b, const char *dotted)
{
    if (b->error)
        return;
    const char *s = dotted;
    size_t wire = 1;
    while (*s) {
        size_t at = find_written(b, s);
        if (at) {
            dnsb_u16(b, (uint16_t)(0xc000 | at));
            return;
        }
        uint8_t label[DNS_LABEL_MAX];
        size_t l;
        const char *rest = next_label(s, label, &l);
        wire += 1 + l;
        if (!rest || l == 0 || wire > DNS_NAME_WIRE_MAX) {
            b->error = DNS_ERR_SPACE;
            return;
        }
        /* Pointers reach 14 bits; later names can point at this suffix. */
        if (b->len < 0x3fff && b->n_names < DNS_BUILDER_NAMES)
            b->name_offs[b->n_names++] = (uint16_t)b->len;
        uint8_t lb = (uint8_t)l;
        dnsb_bytes(b, &lb, 1);
        dnsb_bytes(b, label, l);
        s = rest;
    }
    uint8_t zero = 0;
    dnsb_bytes(b, &zero, 1);
}

void dnsb_question(struct dns_builder *b, const char *name, uint16_t type, uint16_t klass)
{
    dnsb_name(b, name);
    dnsb_u16(b, type);
    dnsb_u16(b, klass);
    if (!b->error)
        b->counts[0]++;
}

size_t dnsb_rr_begin(struct dns_builder *b, int section, const char *name, uint16_t type, uint16_t klass,
                     uint32_t ttl)
{
    dnsb_name(b, name);
    dnsb_u16(b, type);
    dnsb_u16(b, klass);
    dnsb_u16(b, (uint16_t)(ttl >> 16));
    dnsb_u16(b, (uint16_t)ttl);
    size_t at = b->len;
    dnsb_u16(b, 0);
    if (!b->error && section >= 1 && section <= 3)
        b->counts[section]++;
    return at;
}

void dnsb_rr_end(struct dns_builder *b, size_t rdlen_at)
{
    if (!b->error)
        net_put16(b->buf + rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
}

long dnsb_finish(struct dns_builder *b)
{
    if (b->error)
        return b->error;
    for (int i = 0; i < 4; i++)
        net_put16(b->buf + 4 + 2 * i, b->counts[i]);
    return (long)b->len;
}

/* ---------------- responder ---------------- */

#define TTL_HOST 120        /* RFC 6762 10: records naming a host */
#define TTL_OTHER 4500      /* PTR and TXT */
#define TTL_LEGACY 10       /* 6.7: legacy unicast answers */
#define ANNOUNCEMENTS 3
#define BROWSE_MAX_INTERVAL_MS 60000

#define WANT_A 1
#define WANT_PTR 2
#define WANT_SRV 4
#define WANT_TXT 8
#define WANT_META 16        /* _services._dns-sd._udp.local PTR */

static const char services_meta[] = "_services._dns-sd._udp.local";
static const char txt_record[] = "\x03" "v=1" "\x07" "proto=7";  /* length-prefixed strings */

static struct {
    bool running;
    char host[DNS_TEXT_MAX];       /* "kos-56.local" */
    char instance[DNS_TEXT_MAX];   /* "kos-56._kos._udp.local" */
    int announced;
    uint64_t next_announce_ms, next_browse_ms, browse_interval_ms;
    struct mdns_peer peers[MDNS_MAX_PEERS];
    int n_peers;
    struct mdns_stats stats;
} md;

bool mdns_running(void) { return md.running; }
const char *mdns_host_name(void) { return md.host; }
const char *mdns_instance_name(void) { return md.instance; }
int mdns_peer_count(void) { return md.n_peers; }
const struct mdns_peer *mdns_peer_at(int i) { return i >= 0 && i < md.n_peers ? &md.peers[i] : NULL; }
const struct mdns_stats *mdns_get_stats(void) { return &md.stats; }

static bool valid_host_label(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return false;
    }
    return n > 0 && n <= DNS_LABEL_MAX;
}

static void join(char *out, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    memcpy(out, a, na);
    out[na] = '.';
    memcpy(out + na + 1, b, nb + 1);
}

static struct udp_binding port_binding;
static bool port_bound;

static void mdns_port_input(struct udp_binding *b, struct netif *nif, const struct ipv4_info *ip,
                            uint16_t src_port, const uint8_t *data, size_t len)
{
    (void)b;
    mdns_input(nif, ip, src_port, data, len);
}

int mdns_start(struct netif *nif, const char *hostname)
{
    char label[DNS_LABEL_MAX + 1];
    if (hostname) {
        if (!valid_host_label(hostname))
            return -EINVAL;
        memcpy(label, hostname, strlen(hostname) + 1);
    } else {
        static const char hex[] = "0123456789abcdef";
        memcpy(label, "kos-", 4);
        label[4] = hex[nif->mac[5] >> 4];
        label[5] = hex[nif->mac[5] & 15];
        label[6] = 0;
    }
    if (!port_bound) {
        port_binding.input = mdns_port_input;
        int rc = udp_bind(&port_binding, MDNS_PORT);
        if (rc < 0)
            return rc;
        port_bound = true;
    }
    if (net_on_poll(mdns_tick) < 0)
        return -ENOSPC;
    memset(&md, 0, sizeof md);
    join(md.host, label, "local");
    join(md.instance, label, MDNS_SERVICE);
    md.running = true;
    uint64_t now = net_now_ms();
    md.next_announce_ms = now;
    md.next_browse_ms = now;
    md.browse_interval_ms = 1000;
    mdns_tick(nif);
    return 0;
}

void mdns_stop(void)
{
    md.running = false;
    if (port_bound) {
        udp_unbind(&port_binding);
        port_bound = false;
    }
}

static void add_records(struct dns_builder *b, int section, unsigned want, struct netif *nif, bool legacy)
{
    /* Unique records carry the cache-flush bit, except to legacy resolvers. */
    uint16_t unique = legacy ? DNS_CLASS_IN : (DNS_CLASS_IN | MDNS_CLASS_TOP);
    uint32_t host_ttl = legacy ? TTL_LEGACY : TTL_HOST, other_ttl = legacy ? TTL_LEGACY : TTL_OTHER;
    size_t at;
    if (want & WANT_META) {
        at = dnsb_rr_begin(b, section, services_meta, DNS_TYPE_PTR, DNS_CLASS_IN, other_ttl);
        dnsb_name(b, MDNS_SERVICE);
        dnsb_rr_end(b, at);
    }
    if (want & WANT_PTR) {
        at = dnsb_rr_begin(b, section, MDNS_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN, other_ttl);
        dnsb_name(b, md.instance);
        dnsb_rr_end(b, at);
    }
    if (want & WANT_SRV) {
        at = dnsb_rr_begin(b, section, md.instance, DNS_TYPE_SRV, unique, host_ttl);
        dnsb_u16(b, 0);                 /* priority */
        dnsb_u16(b, 0);                 /* weight */
        dnsb_u16(b, MDNS_SERVICE_PORT);
        dnsb_name(b, md.host);
        dnsb_rr_end(b, at);
    }
    if (want & WANT_TXT) {
        at = dnsb_rr_begin(b, section, md.instance, DNS_TYPE_TXT, unique, other_ttl);
        dnsb_bytes(b, txt_record, sizeof txt_record - 1);
        dnsb_rr_end(b, at);
    }
    if (want & WANT_A) {
        at = dnsb_rr_begin(b, section, md.host, DNS_TYPE_A, unique, host_ttl);
        uint8_t a[4];
        net_put32(a, nif->ip);
        dnsb_bytes(b, a, 4);
        dnsb_rr_end(b, at);
    }
}

/* Records a question asks for (0: none of ours). */
static unsigned answers_for(const struct dns_question *q)
{
    uint16_t t = q->type;
    bool any = t == DNS_TYPE_ANY;
    if ((q->klass & ~MDNS_CLASS_TOP) != DNS_CLASS_IN && (q->klass & ~MDNS_CLASS_TOP) != DNS_TYPE_ANY)
        return 0;
    if (dns_name_eq(q->name, md.host) && (any || t == DNS_TYPE_A))
        return WANT_A;
    if (dns_name_eq(q->name, MDNS_SERVICE) && (any || t == DNS_TYPE_PTR))
        return WANT_PTR;
    if (dns_name_eq(q->name, md.instance)) {
        unsigned w = 0;
        if (any || t == DNS_TYPE_SRV)
            w |= WANT_SRV;
        if (any || t == DNS_TYPE_TXT)
            w |= WANT_TXT;
        return w;
    }
    if (dns_name_eq(q->name, services_meta) && (any || t == DNS_TYPE_PTR))
        return WANT_META;
    return 0;
}

/* What goes in the additional section (RFC 6763 12). */
static unsigned additional_for(unsigned answer)
{
    unsigned extra = 0;
    if (answer & WANT_PTR)
        extra |= WANT_SRV | WANT_TXT | WANT_A;
    if (answer & WANT_SRV)
        extra |= WANT_A;
    return extra & ~answer;
}

static int send_response(struct netif *nif, unsigned answer, uint32_t dst, uint16_t dst_port, bool legacy,
                         uint16_t id, const struct dns_question *qs, int nq)
{
    static uint8_t out[UDP_MAX_PAYLOAD];
    struct dns_builder b;
    dnsb_init(&b, out, sizeof out, legacy ? id : 0, DNS_FLAG_QR | DNS_FLAG_AA);
    /* A legacy resolver matches the reply by ID and question (6.7). */
    for (int i = 0; legacy && i < nq; i++)
        dnsb_question(&b, qs[i].name, qs[i].type, qs[i].klass & ~MDNS_CLASS_TOP);
    add_records(&b, 1, answer, nif, legacy);
    add_records(&b, 3, additional_for(answer), nif, legacy);
    long n = dnsb_finish(&b);
    if (n < 0)
        return (int)n;
    int rc = udp_output_ttl(nif, MDNS_PORT, dst, dst_port, MDNS_IP_TTL, out, (size_t)n);
    if (rc == 0)
        md.stats.tx_responses++;
    return rc;
}

static struct mdns_peer *peer_slot(const char *instance, bool create)
{
    for (int i = 0; i < md.n_peers; i++)
        if (dns_name_eq(md.peers[i].instance, instance))
            return &md.peers[i];
    if (!create || md.n_peers >= MDNS_MAX_PEERS)
        return NULL;
    struct mdns_peer *p = &md.peers[md.n_peers++];
    memset(p, 0, sizeof *p);
    memcpy(p->instance, instance, strlen(instance) + 1);
    return p;
}

static int walk_records(const uint8_t *msg, size_t len, size_t off, int count, int pass)
{
    static struct dns_rr rr;            /* static: see find_written */
    static char name[DNS_TEXT_MAX];
    size_t next;
    for (int i = 0; i < count; i++) {
        int rc = dns_read_rr(msg, len, &off, &rr);
        if (rc)
            return rc;
        uint16_t klass = rr.klass & ~MDNS_CLASS_TOP;
        if (klass != DNS_CLASS_IN)
            continue;
        if (pass == 0 && rr.type == DNS_TYPE_PTR && dns_name_eq(rr.name, MDNS_SERVICE)) {
            if ((rc = dns_read_name(msg, len, rr.rdata, name, &next)) != 0)
                return rc;
            if (next != rr.rdata + rr.rdlen)
                return DNS_ERR_TRUNCATED;
            if (!dns_name_eq(name, md.instance))
                peer_slot(name, true);
        } else if (pass == 1 && rr.type == DNS_TYPE_SRV) {
            if (rr.rdlen < 7)
                return DNS_ERR_TRUNCATED;
            if ((rc = dns_read_name(msg, len, rr.rdata + 6, name, &next)) != 0)
                return rc;
            if (next != rr.rdata + rr.rdlen)
                return DNS_ERR_TRUNCATED;
            struct mdns_peer *p = peer_slot(rr.name, false);
            if (p) {
                p->port = net_get16(msg + rr.rdata + 4);
                memcpy(p->target, name, strlen(name) + 1);
                p->have_srv = true;
            }
        } else if (pass == 2 && rr.type == DNS_TYPE_A) {
            if (rr.rdlen != 4)
                return DNS_ERR_TRUNCATED;
            for (int k = 0; k < md.n_peers; k++)
                if (md.peers[k].have_srv && dns_name_eq(md.peers[k].target, rr.name)) {
                    md.peers[k].ip = net_get32(msg + rr.rdata);
                    md.peers[k].have_ip = true;
                }
        }
    }
    return DNS_OK;
}

/* A response: learn other instances of our service (PTR -> SRV -> A). */
static int take_response(const uint8_t *msg, size_t len, size_t off, const struct dns_header *h)
{
    int records = h->ancount + h->nscount + h->arcount;
    /* Three passes so record order inside the message does not matter. */
    for (int pass = 0; pass < 3; pass++) {
        int rc = walk_records(msg, len, off, records, pass);
        if (rc)
            return rc;
    }
    for (int i = 0; i < md.n_peers; i++) {
        struct mdns_peer *p = &md.peers[i];
        if (p->have_srv && p->have_ip && !p->reported) {
            p->reported = true;
            kprintf("mdns: found %s at %u.%u.%u.%u port %u host %s\n", p->instance, p->ip >> 24,
                    (p->ip >> 16) & 255, (p->ip >> 8) & 255, p->ip & 255, p->port, p->target);
        }
    }
    return DNS_OK;
}

#define MAX_QUESTIONS 8

/* Known-answer suppression (RFC 6762 7.1): a querier that lists our PTR
 * with at least half its TTL left does not need it again. */
static int known_answers(const uint8_t *msg, size_t len, size_t off, int count, unsigned *answer)
{
    static struct dns_rr rr;            /* static: see find_written */
    static char name[DNS_TEXT_MAX];
    size_t next;
    for (int i = 0; i < count; i++) {
        int rc = dns_read_rr(msg, len, &off, &rr);
        if (rc)
            return rc;
        if (rr.type != DNS_TYPE_PTR || !dns_name_eq(rr.name, MDNS_SERVICE))
            continue;
        if ((rc = dns_read_name(msg, len, rr.rdata, name, &next)) != 0)
            return rc;
        if (dns_name_eq(name, md.instance) && rr.ttl >= TTL_OTHER / 2)
            *answer &= ~(unsigned)WANT_PTR;
    }
    return DNS_OK;
}

static int take_message(struct netif *nif, const struct ipv4_info *ip, uint16_t src_port, const uint8_t *msg,
                        size_t len)
{
    struct dns_header h;
    int rc = dns_read_header(msg, len, &h);
    if (rc)
        return rc;
    /* Skip the questions of a response as well: its records follow them. */
    static struct dns_question qs[MAX_QUESTIONS];
    size_t off = DNS_HDR_LEN;
    unsigned answer = 0;
    bool qu = false;
    int kept = 0;
    for (int i = 0; i < h.qdcount; i++) {
        static struct dns_question q;   /* static: see find_written */
        if ((rc = dns_read_question(msg, len, &off, &q)) != 0)
            return rc;
        unsigned w = answers_for(&q);
        if (w && kept < MAX_QUESTIONS)
            qs[kept++] = q;
        answer |= w;
        if (q.klass & MDNS_CLASS_TOP)
            qu = true;
    }
    if (h.flags & DNS_FLAG_QR) {
        md.stats.rx_responses++;
        return take_response(msg, len, off, &h);
    }
    md.stats.rx_queries++;
    if ((rc = known_answers(msg, len, off, h.ancount, &answer)) != 0)
        return rc;
    /* Only standard queries are answered (RFC 6762 18.3). */
    if (DNS_OPCODE(h.flags) != 0 || !answer)
        return DNS_OK;
    /* A failed send (no route, ARP pending) is not the message's fault. */
    if (src_port != MDNS_PORT) {
        md.stats.legacy_unicast++;
        send_response(nif, answer, ip->src, src_port, true, h.id, qs, kept);
    } else if (qu && ipv4_is_local(nif, ip->src)) {
        md.stats.unicast_replies++;
        send_response(nif, answer, ip->src, MDNS_PORT, false, 0, qs, kept);
    } else {
        send_response(nif, answer, MDNS_GROUP, MDNS_PORT, false, 0, qs, kept);
    }
    return DNS_OK;
}

bool mdns_input(struct netif *nif, const struct ipv4_info *ip, uint16_t src_port, const uint8_t *data,
                size_t len)
{
    if (!md.running)
        return false;
    if (take_message(nif, ip, src_port, data, len) != DNS_OK) {
        md.stats.dropped_malformed++;
        net_count_drop(nif, DROP_MDNS_MALFORMED);
    }
    return true;
}

int mdns_browse(struct netif *nif)
{
    uint8_t out[128];
    struct dns_builder b;
    dnsb_init(&b, out, sizeof out, 0, 0);
    dnsb_question(&b, MDNS_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN);
    long n = dnsb_finish(&b);
    if (n < 0)
        return (int)n;
    int rc = udp_output_ttl(nif, MDNS_PORT, MDNS_GROUP, MDNS_PORT, MDNS_IP_TTL, out, (size_t)n);
    if (rc == 0)
        md.stats.tx_queries++;
    return rc;
}

void mdns_tick(struct netif *nif)
{
    if (!md.running || !nif || nif->ip == 0)
        return;
    uint64_t now = net_now_ms();
    if (md.announced < ANNOUNCEMENTS && now >= md.next_announce_ms) {
        /* Unsolicited response with every record (RFC 6762 8.3): one second
         * apart, the interval doubling. */
        if (send_response(nif, WANT_PTR | WANT_SRV | WANT_TXT | WANT_A, MDNS_GROUP, MDNS_PORT, false, 0, NULL,
                          0) == 0)
            md.stats.announcements++;
        md.announced++;
        md.next_announce_ms = now + (1000u << (md.announced - 1));
    }
    if (now >= md.next_browse_ms) {
        /* Continuous querying (5.2): intervals double up to a minute. */
        mdns_browse(nif);
        md.next_browse_ms = now + md.browse_interval_ms;
        if (md.browse_interval_ms < BROWSE_MAX_INTERVAL_MS)
            md.browse_interval_ms *= 2;
    }
}
