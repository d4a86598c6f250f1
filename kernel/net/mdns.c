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

/* NAME TYPE CLASS at off, the start of a question and of a resource record,
 * followed by at least `more` bytes; *next is where they start. */
static int read_name_type_class(const uint8_t *msg, size_t len, size_t off, char name[DNS_TEXT_MAX], uint16_t *type,
                                uint16_t *klass, size_t more, size_t *next)
{
    size_t p;
    int rc = dns_read_name(msg, len, off, name, &p);
    if (rc)
        return rc;
    if (p + 4 + more > len)
        return DNS_ERR_TRUNCATED;
    *type = net_get16(msg + p);
    *klass = net_get16(msg + p + 2);
    *next = p + 4;
    return DNS_OK;
}

int dns_read_question(const uint8_t *msg, size_t len, size_t *off, struct dns_question *q)
{
    return read_name_type_class(msg, len, *off, q->name, &q->type, &q->klass, 0, off);
}

int dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
    size_t p;
    int rc = read_name_type_class(msg, len, *off, rr->name, &rr->type, &rr->klass, 6, &p);
    if (rc)
        return rc;
    rr->ttl = net_get32(msg + p);
    rr->rdlen = net_get16(msg + p + 4);
    rr->rdata = p + 6;
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
        size_t at = b->plain ? 0 : find_written(b, s);
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
        if (!b->plain && b->len < 0x3fff && b->n_names < DNS_BUILDER_NAMES)
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

/* Our records, one bit each: what a question asks for, what a response
 * carries, and the unit of the one-second rule. */
enum {
    REC_A,          /* HOST.local A */
    REC_PTR,        /* _kos._udp.local PTR INSTANCE (shared) */
    REC_SRV,        /* INSTANCE SRV 0 0 7 HOST.local */
    REC_TXT,        /* INSTANCE TXT */
    REC_META,       /* _services._dns-sd._udp.local PTR _kos._udp.local (shared) */
    REC_REV,        /* D.C.B.A.in-addr.arpa PTR HOST.local (RFC 6762 4) */
    REC_NSEC_HOST,  /* HOST.local NSEC: only A exists (RFC 6762 6.1) */
    REC_NSEC_INST,  /* INSTANCE NSEC: only TXT and SRV exist */
    REC_COUNT
};
#define BIT(r) (1u << (r))
#define SHARED (BIT(REC_PTR) | BIT(REC_META))
#define ALL_RECORDS (BIT(REC_A) | BIT(REC_PTR) | BIT(REC_SRV) | BIT(REC_TXT) | BIT(REC_META) | BIT(REC_REV))
#define UNIQUE_CLAIMED (BIT(REC_A) | BIT(REC_SRV) | BIT(REC_TXT))

#define TTL_HOST 120        /* RFC 6762 10: records naming a host */
#define TTL_OTHER 4500      /* PTR and TXT */
#define TTL_LEGACY 10       /* 6.7: legacy unicast answers */
#define ANNOUNCEMENTS 3
#define PROBES 3
#define PROBE_INTERVAL_MS 250                  /* 8.1 */
#define BROWSE_MAX_INTERVAL_MS (60 * 60 * 1000)  /* 5.2: doubling up to an hour */
#define ONE_SECOND_MS 1000                     /* 6: a record is multicast at most once a second */
#define DEFENSE_INTERVAL_MS 250                /* 6: ... except in answer to a probe */
#define GOODBYE_GRACE_MS 1000                  /* 10.1: a TTL 0 record goes one second later */

#define DNS_TYPE_NSEC 47

static const char services_meta[] = "_services._dns-sd._udp.local";
static const char txt_record[] = "\x03" "v=1" "\x07" "proto=7";  /* length-prefixed strings */

enum mdns_state { MDNS_OFF, MDNS_PROBING, MDNS_RUNNING };

static struct {
    enum mdns_state state;
    char base[DNS_LABEL_MAX + 1];  /* the name before any conflict ("kos-123456") */
    char host[DNS_TEXT_MAX];       /* "kos-123456.local", or "kos-123456-2.local" after a conflict */
    char instance[DNS_TEXT_MAX];   /* "kos-123456._kos._udp.local" */
    char reverse[DNS_TEXT_MAX];    /* "2.100.51.198.in-addr.arpa" */
    uint32_t ip;                   /* the address the records were made for */
    int renames;
    int probes_sent, announced;
    uint64_t next_probe_ms, next_announce_ms, next_browse_ms, browse_interval_ms;
    uint64_t last_mcast_ms[REC_COUNT];
    unsigned pending;              /* records owed to a multicast query */
    uint64_t pending_at_ms;        /* when they go out (the shared-answer delay) */
    uint32_t rng;
    struct mdns_peer peers[MDNS_MAX_PEERS];
    int n_peers;
    struct mdns_stats stats;
} md;

bool mdns_running(void) { return md.state != MDNS_OFF; }
bool mdns_probing(void) { return md.state == MDNS_PROBING; }
const char *mdns_host_name(void) { return md.host; }
const char *mdns_instance_name(void) { return md.instance; }
int mdns_peer_count(void) { return md.n_peers; }
const struct mdns_peer *mdns_peer_at(int i) { return i >= 0 && i < md.n_peers ? &md.peers[i] : NULL; }
const struct mdns_stats *mdns_get_stats(void) { return &md.stats; }

/* Jitter for probes and shared answers only: no secret rides on it. */
static uint32_t jitter(uint32_t range)
{
    md.rng ^= md.rng << 13;
    md.rng ^= md.rng >> 17;
    md.rng ^= md.rng << 5;
    return range ? md.rng % range : 0;
}

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

/* Host and instance names from the base label; after the Nth conflict the
 * label gets "-N+1" (RFC 6762 9: kos-123456-2), shortened to stay a label. */
static void make_names(struct netif *nif)
{
    char label[DNS_LABEL_MAX + 1];
    size_t n = strlen(md.base);
    if (md.renames == 0) {
        memcpy(label, md.base, n + 1);
    } else {
        char suffix[12];
        int k = ksnprintf(suffix, sizeof suffix, "-%d", md.renames + 1);
        if (n + (size_t)k > DNS_LABEL_MAX)
            n = DNS_LABEL_MAX - (size_t)k;
        memcpy(label, md.base, n);
        memcpy(label + n, suffix, (size_t)k + 1);
    }
    join(md.host, label, "local");
    join(md.instance, label, MDNS_SERVICE);
    uint32_t a = nif->ip;
    md.ip = a;
    ksnprintf(md.reverse, sizeof md.reverse, "%u.%u.%u.%u.in-addr.arpa", a & 255, (a >> 8) & 255,
              (a >> 16) & 255, a >> 24);
}

static void start_probing(uint64_t now, uint64_t delay_ms)
{
    md.state = MDNS_PROBING;
    md.probes_sent = 0;
    md.announced = 0;
    md.pending = 0;
    md.next_probe_ms = now + delay_ms;
    memset(md.last_mcast_ms, 0, sizeof md.last_mcast_ms);
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
        /* The NIC-specific half of the MAC (the first half is the vendor's
         * prefix, shared by every QEMU guest). */
        ksnprintf(label, sizeof label, "kos-%02x%02x%02x", nif->mac[3], nif->mac[4], nif->mac[5]);
    }
    if (!port_bound) {
        port_binding.input = mdns_port_input;
        port_binding.reuse = true;   /* user sockets may share 5353 (udp.h) */
        int rc = udp_bind(&port_binding, MDNS_PORT);
        if (rc < 0)
            return rc;
        port_bound = true;
    }
    if (net_on_poll(mdns_tick) < 0)
        return -ENOSPC;
    memset(&md, 0, sizeof md);
    memcpy(md.base, label, strlen(label) + 1);
    make_names(nif);
    md.rng = 0x9e3779b9u ^ ((uint32_t)nif->mac[3] << 16 | (uint32_t)nif->mac[4] << 8 | nif->mac[5]) ^
             (uint32_t)net_now_ms();
    if (md.rng == 0)
        md.rng = 1;
    uint64_t now = net_now_ms();
    /* 8.1: the first probe waits a random 0-250 ms. */
    start_probing(now, jitter(PROBE_INTERVAL_MS));
    md.next_browse_ms = now;
    md.browse_interval_ms = 1000;
    mdns_tick(nif);
    return 0;
}

/* ---- building records ---- */

static void add_nsec(struct dns_builder *b, int section, const char *name, uint16_t klass, uint32_t ttl,
                     const uint8_t *bitmap, size_t bitmap_len)
{
    size_t at = dnsb_rr_begin(b, section, name, DNS_TYPE_NSEC, klass, ttl);
    /* Next name: itself (RFC 6762 6.1), uncompressed as RFC 4034 4.1.1 has
     * it: compression is off while it is written. */
    b->plain = true;
    dnsb_name(b, name);
    b->plain = false;
    uint8_t window[2] = {0, (uint8_t)bitmap_len};
    dnsb_bytes(b, window, 2);
    dnsb_bytes(b, bitmap, bitmap_len);
    dnsb_rr_end(b, at);
}

/* goodbye: every TTL 0 (RFC 6762 10.1). */
static void add_records(struct dns_builder *b, int section, unsigned want, struct netif *nif, bool legacy,
                        bool goodbye)
{
    /* Unique records carry the cache-flush bit, except to legacy resolvers. */
    uint16_t unique = legacy ? DNS_CLASS_IN : (DNS_CLASS_IN | MDNS_CLASS_TOP);
    uint32_t host_ttl = legacy ? TTL_LEGACY : TTL_HOST, other_ttl = legacy ? TTL_LEGACY : TTL_OTHER;
    if (goodbye)
        host_ttl = other_ttl = 0;
    size_t at;
    if (want & BIT(REC_META)) {
        at = dnsb_rr_begin(b, section, services_meta, DNS_TYPE_PTR, DNS_CLASS_IN, other_ttl);
        dnsb_name(b, MDNS_SERVICE);
        dnsb_rr_end(b, at);
    }
    if (want & BIT(REC_PTR)) {
        at = dnsb_rr_begin(b, section, MDNS_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN, other_ttl);
        dnsb_name(b, md.instance);
        dnsb_rr_end(b, at);
    }
    if (want & BIT(REC_SRV)) {
        at = dnsb_rr_begin(b, section, md.instance, DNS_TYPE_SRV, unique, host_ttl);
        dnsb_u16(b, 0);                 /* priority */
        dnsb_u16(b, 0);                 /* weight */
        dnsb_u16(b, MDNS_SERVICE_PORT);
        dnsb_name(b, md.host);
        dnsb_rr_end(b, at);
    }
    if (want & BIT(REC_TXT)) {
        at = dnsb_rr_begin(b, section, md.instance, DNS_TYPE_TXT, unique, other_ttl);
        dnsb_bytes(b, txt_record, sizeof txt_record - 1);
        dnsb_rr_end(b, at);
    }
    if (want & BIT(REC_A)) {
        at = dnsb_rr_begin(b, section, md.host, DNS_TYPE_A, unique, host_ttl);
        uint8_t a[4];
        net_put32(a, nif->ip);
        dnsb_bytes(b, a, 4);
        dnsb_rr_end(b, at);
    }
    if (want & BIT(REC_REV)) {
        at = dnsb_rr_begin(b, section, md.reverse, DNS_TYPE_PTR, unique, host_ttl);
        dnsb_name(b, md.host);
        dnsb_rr_end(b, at);
    }
    /* Type bitmaps (RFC 4034 4.1.2), window 0: bit N of the map is type N. */
    if (want & BIT(REC_NSEC_HOST)) {
        static const uint8_t only_a[1] = {0x40};                       /* A (1) */
        add_nsec(b, section, md.host, unique, host_ttl, only_a, sizeof only_a);
    }
    if (want & BIT(REC_NSEC_INST)) {
        static const uint8_t txt_srv[5] = {0x00, 0x00, 0x80, 0x00, 0x40}; /* TXT (16), SRV (33) */
        add_nsec(b, section, md.instance, unique, other_ttl, txt_srv, sizeof txt_srv);
    }
}

/* Records a question asks for (0: none of ours). A question for a type we
 * do not have at one of our names gets the NSEC that says so. */
static unsigned answers_for(const struct dns_question *q)
{
    uint16_t t = q->type, k = q->klass & ~MDNS_CLASS_TOP;
    bool any = t == DNS_TYPE_ANY;
    if (k != DNS_CLASS_IN && k != DNS_TYPE_ANY)
        return 0;
    if (dns_name_eq(q->name, md.host))
        return (any || t == DNS_TYPE_A) ? BIT(REC_A) : BIT(REC_NSEC_HOST);
    if (dns_name_eq(q->name, MDNS_SERVICE) && (any || t == DNS_TYPE_PTR))
        return BIT(REC_PTR);
    if (dns_name_eq(q->name, md.instance)) {
        unsigned w = 0;
        if (any || t == DNS_TYPE_SRV)
            w |= BIT(REC_SRV);
        if (any || t == DNS_TYPE_TXT)
            w |= BIT(REC_TXT);
        return w ? w : BIT(REC_NSEC_INST);
    }
    if (dns_name_eq(q->name, services_meta) && (any || t == DNS_TYPE_PTR))
        return BIT(REC_META);
    if (dns_name_eq(q->name, md.reverse) && (any || t == DNS_TYPE_PTR))
        return BIT(REC_REV);
    return 0;
}

/* What goes in the additional section (RFC 6763 12; the NSEC tells the
 * querier there is no AAAA to ask for, RFC 6762 6.1). */
static unsigned additional_for(unsigned answer)
{
    unsigned extra = 0;
    if (answer & BIT(REC_PTR))
        extra |= BIT(REC_SRV) | BIT(REC_TXT) | BIT(REC_A);
    if (answer & BIT(REC_SRV))
        extra |= BIT(REC_A);
    if ((answer | extra) & BIT(REC_A))
        extra |= BIT(REC_NSEC_HOST);
    return extra & ~answer;
}

static int send_message(struct netif *nif, struct dns_builder *b, uint32_t dst, uint16_t dst_port)
{
    long n = dnsb_finish(b);
    if (n < 0)
        return (int)n;
    return udp_output_ttl(nif, MDNS_PORT, dst, dst_port, MDNS_IP_TTL, b->buf, (size_t)n);
}

static int send_response(struct netif *nif, unsigned answer, uint32_t dst, uint16_t dst_port, bool legacy,
                         uint16_t id, const struct dns_question *qs, int nq, bool goodbye)
{
    static uint8_t out[UDP_MAX_PAYLOAD];
    struct dns_builder b;
    dnsb_init(&b, out, sizeof out, legacy ? id : 0, DNS_FLAG_QR | DNS_FLAG_AA);
    /* A legacy resolver matches the reply by ID and question (6.7). */
    for (int i = 0; legacy && i < nq; i++)
        dnsb_question(&b, qs[i].name, qs[i].type, qs[i].klass & ~MDNS_CLASS_TOP);
    add_records(&b, 1, answer, nif, legacy, goodbye);
    if (!goodbye)
        add_records(&b, 3, additional_for(answer), nif, legacy, false);
    int rc = send_message(nif, &b, dst, dst_port);
    if (rc == 0) {
        md.stats.tx_responses++;
        if (dst == MDNS_GROUP) {
            uint64_t now = net_now_ms();
            for (int r = 0; r < REC_COUNT; r++)
                if (answer & BIT(r))
                    md.last_mcast_ms[r] = now;
        }
    }
    return rc;
}

/* Records of answer that the one-second rule lets us multicast now. */
static unsigned multicast_allowed(unsigned answer, uint64_t now, uint64_t interval)
{
    unsigned ok = 0;
    for (int r = 0; r < REC_COUNT; r++)
        if ((answer & BIT(r)) && (!md.last_mcast_ms[r] || now - md.last_mcast_ms[r] >= interval))
            ok |= BIT(r);
    return ok;
}

/* 8.1: probe with an ANY question per unique name (QU on the first probe)
 * and the records we intend to claim in the authority section. */
static int send_probe(struct netif *nif)
{
    static uint8_t out[512];
    struct dns_builder b;
    dnsb_init(&b, out, sizeof out, 0, 0);
    uint16_t klass = DNS_CLASS_IN | (md.probes_sent == 0 ? MDNS_CLASS_TOP : 0);
    dnsb_question(&b, md.host, DNS_TYPE_ANY, klass);
    dnsb_question(&b, md.instance, DNS_TYPE_ANY, klass);
    add_records(&b, 2, UNIQUE_CLAIMED, nif, false, false);
    int rc = send_message(nif, &b, MDNS_GROUP, MDNS_PORT);
    if (rc == 0)
        md.stats.probes++;
    return rc;
}

static void conflict(struct netif *nif, const char *why)
{
    md.stats.conflicts++;
    md.renames++;
    char old[DNS_TEXT_MAX];
    memcpy(old, md.host, strlen(md.host) + 1);
    make_names(nif);
    kprintf("mdns: name conflict on %s (%s), now %s\n", old, why, md.host);
    /* 8.1: more than 15 conflicts in a row: slow down to one probe in 5 s. */
    start_probing(net_now_ms(), md.renames > 15 ? 5000 : jitter(PROBE_INTERVAL_MS));
}

/* Sends every record with TTL 0 (10.1), so caches forget us at once. */
void mdns_stop(struct netif *nif)
{
    if (md.state == MDNS_RUNNING && nif && nif->ip) {
        send_response(nif, ALL_RECORDS, MDNS_GROUP, MDNS_PORT, false, 0, NULL, 0, true);
        md.stats.goodbyes++;
    }
    md.state = MDNS_OFF;
    if (port_bound) {
        udp_unbind(&port_binding);
        port_bound = false;
    }
}

/* ---- the browser's cache of peer instances ---- */

static struct mdns_peer *peer_slot(const char *instance, bool create)
{
    for (int i = 0; i < md.n_peers; i++)
        if (dns_name_eq(md.peers[i].instance, instance))
            return &md.peers[i];
    if (!create)
        return NULL;
    if (md.n_peers >= MDNS_MAX_PEERS) {
        /* Full: the entry closest to expiry makes room. */
        int victim = 0;
        for (int i = 1; i < md.n_peers; i++)
            if (md.peers[i].expires_ms < md.peers[victim].expires_ms)
                victim = i;
        md.stats.peers_evicted++;
        md.peers[victim] = md.peers[--md.n_peers];
    }
    struct mdns_peer *p = &md.peers[md.n_peers++];
    memset(p, 0, sizeof *p);
    memcpy(p->instance, instance, strlen(instance) + 1);
    return p;
}

static void peer_remove(int i, const char *why)
{
    struct mdns_peer *p = &md.peers[i];
    if (p->reported)
        kprintf("mdns: lost %s (%s)\n", p->instance, why);
    md.peers[i] = md.peers[--md.n_peers];
}

/* RDATA of a record in a message equals what we would send. */
static bool same_a(const uint8_t *msg, const struct dns_rr *rr, uint32_t ip)
{
    return rr->rdlen == 4 && net_get32(msg + rr->rdata) == ip;
}

static int walk_records(struct netif *nif, const struct ipv4_info *ip, const uint8_t *msg, size_t len,
                        size_t off, int count, int pass, bool *conflicted)
{
    static struct dns_rr rr;            /* static: see find_written */
    static char name[DNS_TEXT_MAX];
    size_t next;
    uint64_t now = net_now_ms();
    for (int i = 0; i < count; i++) {
        int rc = dns_read_rr(msg, len, &off, &rr);
        if (rc)
            return rc;
        uint16_t klass = rr.klass & ~MDNS_CLASS_TOP;
        if (klass != DNS_CLASS_IN)
            continue;
        /* 8.1 / 9: someone else answering for our unique names. While we
         * probe any such record is a conflict; later only one whose data
         * differs from ours (the same data is a cooperating cache). */
        if (pass == 0 && !*conflicted && ip->src != nif->ip &&
            (dns_name_eq(rr.name, md.host) || dns_name_eq(rr.name, md.instance))) {
            bool differs = true;
            if (rr.type == DNS_TYPE_A && dns_name_eq(rr.name, md.host))
                differs = !same_a(msg, &rr, nif->ip);
            else if (rr.type == DNS_TYPE_NSEC || rr.ttl == 0)
                differs = false;
            if (md.state == MDNS_PROBING ? (rr.type != DNS_TYPE_NSEC) : differs) {
                *conflicted = true;
                continue;
            }
        }
        if (pass == 0 && rr.type == DNS_TYPE_PTR && dns_name_eq(rr.name, MDNS_SERVICE)) {
            if ((rc = dns_read_name(msg, len, rr.rdata, name, &next)) != 0)
                return rc;
            if (next != rr.rdata + rr.rdlen)
                return DNS_ERR_TRUNCATED;
            if (dns_name_eq(name, md.instance))
                continue;
            struct mdns_peer *p = peer_slot(name, rr.ttl != 0);
            if (!p)
                continue;
            /* 10.1: a goodbye (TTL 0) leaves one second later. */
            p->ttl = rr.ttl;
            p->expires_ms = now + (rr.ttl ? (uint64_t)rr.ttl * 1000 : GOODBYE_GRACE_MS);
            p->learned_ms = now;
        } else if (pass == 1 && rr.type == DNS_TYPE_SRV) {
            if (rr.rdlen < 7)
                return DNS_ERR_TRUNCATED;
            if ((rc = dns_read_name(msg, len, rr.rdata + 6, name, &next)) != 0)
                return rc;
            if (next != rr.rdata + rr.rdlen)
                return DNS_ERR_TRUNCATED;
            struct mdns_peer *p = peer_slot(rr.name, false);
            if (p && rr.ttl) {
                p->port = net_get16(msg + rr.rdata + 4);
                memcpy(p->target, name, strlen(name) + 1);
                p->have_srv = true;
            }
        } else if (pass == 2 && rr.type == DNS_TYPE_A) {
            if (rr.rdlen != 4)
                return DNS_ERR_TRUNCATED;
            for (int k = 0; k < md.n_peers; k++)
                if (rr.ttl && md.peers[k].have_srv && dns_name_eq(md.peers[k].target, rr.name)) {
                    md.peers[k].ip = net_get32(msg + rr.rdata);
                    md.peers[k].have_ip = true;
                }
        }
    }
    return DNS_OK;
}

/* A response: conflicts with our names, and other instances of our
 * service (PTR -> SRV -> A). */
static int take_response(struct netif *nif, const struct ipv4_info *ip, const uint8_t *msg, size_t len,
                         size_t off, const struct dns_header *h)
{
    int records = h->ancount + h->nscount + h->arcount;
    bool conflicted = false;
    /* Three passes so record order inside the message does not matter. */
    for (int pass = 0; pass < 3; pass++) {
        int rc = walk_records(nif, ip, msg, len, off, records, pass, &conflicted);
        if (rc)
            return rc;
    }
    if (conflicted && md.state != MDNS_OFF)
        conflict(nif, "another host answers for it");
    for (int i = 0; i < md.n_peers; i++) {
        struct mdns_peer *p = &md.peers[i];
        if (p->have_srv && p->have_ip && p->ttl && !p->reported) {
            p->reported = true;
            kprintf("mdns: found %s at %u.%u.%u.%u port %u host %s\n", p->instance, p->ip >> 24,
                    (p->ip >> 16) & 255, (p->ip >> 8) & 255, p->ip & 255, p->port, p->target);
        }
    }
    return DNS_OK;
}

/* RFC 6762 8.2: two hosts probing for one name at once. The authority
 * records are compared (class, type, then RDATA bytewise); the host whose
 * data is lexicographically later wins, the other waits a second and
 * probes again. Only our A record is compared (the one name we share with a
 * rival host; a rival's instance name differs unless its host name did). */
static int probe_tiebreak(struct netif *nif, const uint8_t *msg, size_t len, size_t off, int count,
                          bool *lost, bool *probed_us)
{
    static struct dns_rr rr;
    for (int i = 0; i < count; i++) {
        int rc = dns_read_rr(msg, len, &off, &rr);
        if (rc)
            return rc;
        if (!dns_name_eq(rr.name, md.host) && !dns_name_eq(rr.name, md.instance))
            continue;
        *probed_us = true;
        if (rr.type != DNS_TYPE_A || !dns_name_eq(rr.name, md.host))
            continue;
        /* Class and type are the same as ours (IN, A); the RDATA decides. */
        if ((rr.klass & ~MDNS_CLASS_TOP) == DNS_CLASS_IN && rr.rdlen == 4)
            *lost = net_get32(msg + rr.rdata) > nif->ip;
    }
    return DNS_OK;
}

#define MAX_QUESTIONS 8

/* Known-answer suppression (RFC 6762 7.1): a record the querier lists with
 * at least half its TTL left is left out of the answer. */
static int known_answers(struct netif *nif, const uint8_t *msg, size_t len, size_t off, int count,
                         unsigned *answer)
{
    static struct dns_rr rr;            /* static: see find_written */
    static char name[DNS_TEXT_MAX];
    size_t next;
    for (int i = 0; i < count; i++) {
        int rc = dns_read_rr(msg, len, &off, &rr);
        if (rc)
            return rc;
        if ((rr.klass & ~MDNS_CLASS_TOP) != DNS_CLASS_IN)
            continue;
        if (rr.type == DNS_TYPE_PTR && dns_name_eq(rr.name, MDNS_SERVICE)) {
            if ((rc = dns_read_name(msg, len, rr.rdata, name, &next)) != 0)
                return rc;
            if (dns_name_eq(name, md.instance) && rr.ttl >= TTL_OTHER / 2)
                *answer &= ~BIT(REC_PTR);
        } else if (rr.type == DNS_TYPE_A && dns_name_eq(rr.name, md.host) && same_a(msg, &rr, nif->ip) &&
                   rr.ttl >= TTL_HOST / 2) {
            *answer &= ~BIT(REC_A);
        }
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
        return take_response(nif, ip, msg, len, off, &h);
    }
    md.stats.rx_queries++;
    /* The answers come first, then the authority section (a probe's). */
    size_t auth = off;
    static struct dns_rr skip;
    for (int i = 0; i < h.ancount; i++)
        if ((rc = dns_read_rr(msg, len, &auth, &skip)) != 0)
            return rc;
    bool lost = false, probed_us = false;
    if (h.nscount && ip->src != nif->ip &&
        (rc = probe_tiebreak(nif, msg, len, auth, h.nscount, &lost, &probed_us)) != 0)
        return rc;
    if ((rc = known_answers(nif, msg, len, off, h.ancount, &answer)) != 0)
        return rc;
    /* Only standard queries are answered (RFC 6762 18.3). */
    if (DNS_OPCODE(h.flags) != 0)
        return DNS_OK;
    uint64_t now = net_now_ms();
    if (md.state == MDNS_PROBING) {
        /* Nothing is answered for names not yet ours; a rival probe with
         * later data makes us wait a second and start over. */
        if (lost) {
            md.stats.tiebreaks_lost++;
            start_probing(now, 1000);
        }
        return DNS_OK;
    }
    if (!answer)
        return DNS_OK;
    /* A failed send (no route, ARP pending) is not the message's fault. */
    if (src_port != MDNS_PORT) {
        md.stats.legacy_unicast++;
        send_response(nif, answer, ip->src, src_port, true, h.id, qs, kept, false);
        return DNS_OK;
    }
    if (qu && !probed_us && ipv4_is_local(nif, ip->src)) {
        md.stats.unicast_replies++;
        send_response(nif, answer, ip->src, MDNS_PORT, false, 0, qs, kept, false);
        return DNS_OK;
    }
    /* Multicast: at most once a second per record (6), a quarter second
     * when defending against a probe; unique answers leave at once, shared
     * ones after a random 20-120 ms so several responders do not collide. */
    unsigned allowed = multicast_allowed(answer, now, probed_us ? DEFENSE_INTERVAL_MS : ONE_SECOND_MS);
    md.stats.rate_limited += (answer & ~allowed) ? 1 : 0;
    answer = allowed;
    if (!answer)
        return DNS_OK;
    if (!(answer & SHARED)) {
        send_response(nif, answer, MDNS_GROUP, MDNS_PORT, false, 0, NULL, 0, false);
        return DNS_OK;
    }
    uint64_t at = now + 20 + jitter(101);
    if (!md.pending || at < md.pending_at_ms)
        md.pending_at_ms = at;
    md.pending |= answer;
    return DNS_OK;
}

bool mdns_input(struct netif *nif, const struct ipv4_info *ip, uint16_t src_port, const uint8_t *data,
                size_t len)
{
    if (md.state == MDNS_OFF)
        return false;
    if (take_message(nif, ip, src_port, data, len) != DNS_OK) {
        md.stats.dropped_malformed++;
        net_count_drop(nif, DROP_MDNS_MALFORMED);
    }
    return true;
}

/* One browse query, with the instances we know as known answers (7.1),
 * each with the TTL it has left. */
int mdns_browse(struct netif *nif)
{
    static uint8_t out[UDP_MAX_PAYLOAD];
    struct dns_builder b;
    dnsb_init(&b, out, sizeof out, 0, 0);
    dnsb_question(&b, MDNS_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN);
    uint64_t now = net_now_ms();
    for (int i = 0; i < md.n_peers; i++) {
        const struct mdns_peer *p = &md.peers[i];
        if (!p->ttl || p->expires_ms <= now)
            continue;
        uint32_t left = (uint32_t)((p->expires_ms - now) / 1000);
        /* Only records with more than half their TTL left suppress answers. */
        if (left * 2 <= p->ttl)
            continue;
        size_t at = dnsb_rr_begin(&b, 1, MDNS_SERVICE, DNS_TYPE_PTR, DNS_CLASS_IN, left);
        dnsb_name(&b, p->instance);
        dnsb_rr_end(&b, at);
    }
    int rc = send_message(nif, &b, MDNS_GROUP, MDNS_PORT);
    if (rc == 0)
        md.stats.tx_queries++;
    return rc;
}

void mdns_tick(struct netif *nif)
{
    if (md.state == MDNS_OFF || !nif || nif->ip == 0)
        return;
    uint64_t now = net_now_ms();
    if (nif->ip != md.ip) {
        /* A new address: new records, probed again. */
        make_names(nif);
        start_probing(now, jitter(PROBE_INTERVAL_MS));
    }
    if (md.state == MDNS_PROBING && now >= md.next_probe_ms) {
        if (md.probes_sent < PROBES) {
            send_probe(nif);
            md.probes_sent++;
            md.next_probe_ms = now + PROBE_INTERVAL_MS;
        } else {
            /* 250 ms after the third probe and nobody objected: ours. */
            md.state = MDNS_RUNNING;
            md.next_announce_ms = now;
            kprintf("mdns: responding as %s, service %s port %d\n", md.host, md.instance, MDNS_SERVICE_PORT);
        }
    }
    if (md.state == MDNS_RUNNING && md.announced < ANNOUNCEMENTS && now >= md.next_announce_ms) {
        /* Unsolicited responses with every record (8.3): one second apart,
         * the interval doubling. */
        if (send_response(nif, ALL_RECORDS, MDNS_GROUP, MDNS_PORT, false, 0, NULL, 0, false) == 0)
            md.stats.announcements++;
        md.announced++;
        md.next_announce_ms = now + (1000u << (md.announced - 1));
    }
    if (md.state == MDNS_RUNNING && md.pending && now >= md.pending_at_ms) {
        unsigned answer = multicast_allowed(md.pending, now, ONE_SECOND_MS);
        md.pending = 0;
        if (answer)
            send_response(nif, answer, MDNS_GROUP, MDNS_PORT, false, 0, NULL, 0, false);
    }
    for (int i = 0; i < md.n_peers; i++)
        if (md.peers[i].expires_ms <= now) {
            peer_remove(i, md.peers[i].ttl ? "expired" : "goodbye");
            i--;
        }
    if (now >= md.next_browse_ms) {
        /* Continuous querying (5.2): intervals double up to an hour. */
        mdns_browse(nif);
        md.next_browse_ms = now + md.browse_interval_ms;
        if (md.browse_interval_ms < BROWSE_MAX_INTERVAL_MS)
            md.browse_interval_ms *= 2;
    }
}
