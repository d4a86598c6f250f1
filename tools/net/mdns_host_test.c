/* Host test driver for the mDNS part: the DNS message parser and builder
 * (compression, truncation, pointer loops, label and name limits) and the
 * responder/browser over a fake NIC. Built with cc -DKOS_HOST and the
 * sanitizers by test/host/net_mdns.test.ts. Prints KTAP; exits 1 on failure. */
#include "net/netif.h"
#include "host_fakenic.h"
#include "net/eth.h"
#include "net/arp.h"
#include "net/ipv4.h"
#include "net/udp.h"
#include "net/mdns.h"

/* ---- platform hooks and the fake NIC (host_fakenic.h) ---- */
int net_wait_for_event(void) { fake_now_ms += 10; net_poll(); return 0; }
void net_wake_waiters(void) {}
static const uint32_t querier_ip = 0xc6336401;   /* 198.51.100.1 */

static int failures, case_failed;

#define CHECK(cond) do { if (!(cond)) { printf("    # %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); case_failed = 1; } } while (0)

static int test_no;
static void run(const char *name, void (*fn)(void))
{
    case_failed = 0;
    fn();
    printf("%s %d %s\n", case_failed ? "not ok" : "ok", ++test_no, name);
    failures += case_failed;
}

/* Message under construction by hand: raw bytes, so malformed is easy. */
struct raw {
    uint8_t b[2048];
    size_t n;
};
static void put(struct raw *r, const void *p, size_t n) { memcpy(r->b + r->n, p, n); r->n += n; }
static void put8(struct raw *r, uint8_t v) { r->b[r->n++] = v; }
static void put16(struct raw *r, uint16_t v) { net_put16(r->b + r->n, v); r->n += 2; }
static void header(struct raw *r, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ar)
{
    r->n = 0;
    put16(r, id); put16(r, flags); put16(r, qd); put16(r, an); put16(r, 0); put16(r, ar);
}
/* A name in wire form from dotted text, uncompressed. */
static void put_name(struct raw *r, const char *dotted)
{
    while (*dotted) {
        const char *d = dotted;
        while (*d && *d != '.')
            d++;
        put8(r, (uint8_t)(d - dotted));
        put(r, dotted, (size_t)(d - dotted));
        dotted = *d ? d + 1 : d;
    }
    put8(r, 0);
}

/* ---------------- parser ---------------- */

static void t_name_plain_and_compressed(void)
{
    struct raw r;
    header(&r, 0, 0, 0, 0, 0);
    size_t first = r.n;
    put_name(&r, "kos-56._kos._udp.local");
    size_t second = r.n;
    put8(&r, 3); put(&r, "www", 3); put16(&r, (uint16_t)(0xc000 | (first + 7)));  /* www._kos._udp.local */
    size_t third = r.n;
    put16(&r, (uint16_t)(0xc000 | second));                                      /* bare pointer */
    char out[DNS_TEXT_MAX];
    size_t next = 0;
    CHECK(dns_read_name(r.b, r.n, first, out, &next) == DNS_OK);
    CHECK(strcmp(out, "kos-56._kos._udp.local") == 0);
    CHECK(next == second);
    CHECK(dns_read_name(r.b, r.n, second, out, &next) == DNS_OK);
    CHECK(strcmp(out, "www._kos._udp.local") == 0);
    CHECK(next == third);            /* just past the pointer, not where it led */
    CHECK(dns_read_name(r.b, r.n, third, out, &next) == DNS_OK);
    CHECK(strcmp(out, "www._kos._udp.local") == 0);
    CHECK(next == third + 2);
    /* The root name. */
    uint8_t root[] = {0};
    CHECK(dns_read_name(root, 1, 0, out, &next) == DNS_OK && out[0] == 0 && next == 1);
    CHECK(dns_name_eq("KOS-56.Local", "kos-56.local"));
    CHECK(!dns_name_eq("kos-56.local", "kos-56.local.x"));
}

static void t_name_pointer_loops(void)
{
    char out[DNS_TEXT_MAX];
    size_t next;
    struct raw r;
    /* Pointer to itself. */
    header(&r, 0, 0, 0, 0, 0);
    put16(&r, 0xc000 | 12);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_POINTER);
    /* Forward pointer (the only way to build a two-name loop). */
    header(&r, 0, 0, 0, 0, 0);
    put16(&r, 0xc000 | 14);
    put16(&r, 0xc000 | 12);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_POINTER);
    CHECK(dns_read_name(r.b, r.n, 14, out, &next) == DNS_ERR_POINTER); /* 14 -> 12 -> 14 */
    /* A label then a pointer back into the label's own start: a loop. */
    header(&r, 0, 0, 0, 0, 0);
    put8(&r, 1); put8(&r, 'a'); put16(&r, 0xc000 | 12);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_POINTER);
    /* A long chain of backward pointers: bounded. */
    header(&r, 0, 0, 0, 0, 0);
    put8(&r, 0);
    size_t prev = 12;
    for (int i = 0; i < DNS_MAX_POINTERS + 5; i++) {
        size_t here = r.n;
        put16(&r, (uint16_t)(0xc000 | prev));
        prev = here;
    }
    CHECK(dns_read_name(r.b, r.n, prev, out, &next) == DNS_ERR_POINTER);
    /* ... while DNS_MAX_POINTERS jumps are fine. */
    size_t ok_start = 13 + 2 * (DNS_MAX_POINTERS - 1);
    CHECK(dns_read_name(r.b, r.n, ok_start, out, &next) == DNS_OK && out[0] == 0);
}

static void t_name_limits(void)
{
    char out[DNS_TEXT_MAX];
    size_t next;
    struct raw r;
    char label[70];
    memset(label, 'a', sizeof label);
    /* 63 is the longest label, 64 is refused. */
    header(&r, 0, 0, 0, 0, 0);
    put8(&r, 63); put(&r, label, 63); put8(&r, 0);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_OK && strlen(out) == 63);
    header(&r, 0, 0, 0, 0, 0);
    put8(&r, 64); put(&r, label, 64); put8(&r, 0);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_LABEL);
    /* Reserved label types 0x40 and 0x80. */
    uint8_t ext[] = {0x41, 'a', 0}, ext2[] = {0x81, 'a', 0};
    CHECK(dns_read_name(ext, sizeof ext, 0, out, &next) == DNS_ERR_LABEL);
    CHECK(dns_read_name(ext2, sizeof ext2, 0, out, &next) == DNS_ERR_LABEL);
    /* A dot, backslash or NUL inside a label is legal (DNS-SD instance
     * names hold dots): escaped in dotted text, and built back the same. */
    uint8_t dot[] = {8, 's', 'v', 'c', ' ', 'v', '1', '.', '2', 4, '_', 'k', 'o', 's', 0};
    uint8_t odd[] = {4, 'a', 0, '\\', 'b', 0};
    CHECK(dns_read_name(dot, sizeof dot, 0, out, &next) == DNS_OK && strcmp(out, "svc v1\\.2._kos") == 0);
    CHECK(next == sizeof dot);
    CHECK(dns_read_name(odd, sizeof odd, 0, out, &next) == DNS_OK && strcmp(out, "a\\000\\\\b") == 0);
    {
        uint8_t buf[64];
        struct dns_builder b;
        dnsb_init(&b, buf, sizeof buf, 0, 0);
        dnsb_name(&b, "svc v1\\.2._kos");
        dnsb_name(&b, "a\\000\\\\b");
        CHECK(dnsb_finish(&b) == DNS_HDR_LEN + (long)sizeof dot + (long)sizeof odd);
        CHECK(memcmp(buf + DNS_HDR_LEN, dot, sizeof dot) == 0);
        CHECK(memcmp(buf + DNS_HDR_LEN + sizeof dot, odd, sizeof odd) == 0);
        /* A dangling escape or a \DDD over 255 is refused. */
        dnsb_init(&b, buf, sizeof buf, 0, 0);
        dnsb_name(&b, "bad\\");
        CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);
        dnsb_init(&b, buf, sizeof buf, 0, 0);
        dnsb_name(&b, "bad\\256");
        CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);
    }
    /* 255 bytes in wire form is the longest name: 3 x 63 + 61 + root. */
    header(&r, 0, 0, 0, 0, 0);
    for (int i = 0; i < 3; i++) { put8(&r, 63); put(&r, label, 63); }
    put8(&r, 61); put(&r, label, 61); put8(&r, 0);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_OK && strlen(out) == 253);
    header(&r, 0, 0, 0, 0, 0);
    for (int i = 0; i < 3; i++) { put8(&r, 63); put(&r, label, 63); }
    put8(&r, 62); put(&r, label, 62); put8(&r, 0);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_NAME_TOO_LONG);
    /* Too long only once a pointer adds the rest. */
    header(&r, 0, 0, 0, 0, 0);
    for (int i = 0; i < 3; i++) { put8(&r, 63); put(&r, label, 63); }
    put8(&r, 0);
    size_t second = r.n;
    put8(&r, 63); put(&r, label, 63); put16(&r, 0xc000 | 12);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_OK);
    CHECK(dns_read_name(r.b, r.n, second, out, &next) == DNS_ERR_NAME_TOO_LONG);
}

static void t_truncated(void)
{
    char out[DNS_TEXT_MAX];
    size_t next, off;
    struct dns_header h;
    struct dns_question q;
    struct dns_rr rr;
    struct raw r;
    CHECK(dns_read_header((const uint8_t *)"abc", 3, &h) == DNS_ERR_TRUNCATED);
    header(&r, 1, 0, 1, 0, 0);
    CHECK(dns_read_header(r.b, r.n, &h) == DNS_OK && h.id == 1 && h.qdcount == 1);
    /* Question count says 1, nothing follows. */
    off = 12;
    CHECK(dns_read_question(r.b, r.n, &off, &q) == DNS_ERR_TRUNCATED);
    /* Label runs past the end. */
    put8(&r, 10); put(&r, "abc", 3);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_TRUNCATED);
    /* No terminating zero. */
    header(&r, 1, 0, 1, 0, 0);
    put8(&r, 3); put(&r, "abc", 3);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_TRUNCATED);
    /* Pointer missing its second byte. */
    header(&r, 1, 0, 1, 0, 0);
    put8(&r, 0xc0);
    CHECK(dns_read_name(r.b, r.n, 12, out, &next) == DNS_ERR_TRUNCATED);
    /* Name complete, type/class cut short. */
    header(&r, 1, 0, 1, 0, 0);
    put_name(&r, "a.local"); put16(&r, DNS_TYPE_A);
    off = 12;
    CHECK(dns_read_question(r.b, r.n, &off, &q) == DNS_ERR_TRUNCATED);
    put16(&r, DNS_CLASS_IN);
    off = 12;
    CHECK(dns_read_question(r.b, r.n, &off, &q) == DNS_OK && off == r.n && q.type == DNS_TYPE_A);
    /* A record whose RDLENGTH runs past the end. */
    header(&r, 1, DNS_FLAG_QR, 0, 1, 0);
    put_name(&r, "a.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN); put16(&r, 0); put16(&r, 120);
    put16(&r, 5); put(&r, "\x01\x02\x03\x04", 4);
    off = 12;
    CHECK(dns_read_rr(r.b, r.n, &off, &rr) == DNS_ERR_TRUNCATED);
    r.b[r.n - 6] = 0; r.b[r.n - 5] = 4;     /* RDLENGTH 4: now it fits */
    off = 12;
    CHECK(dns_read_rr(r.b, r.n, &off, &rr) == DNS_OK && rr.rdlen == 4 && rr.ttl == 120 && off == r.n);
}

/* ---------------- builder ---------------- */

static void t_builder_compression(void)
{
    uint8_t buf[512];
    struct dns_builder b;
    dnsb_init(&b, buf, sizeof buf, 0x1234, DNS_FLAG_QR | DNS_FLAG_AA);
    dnsb_question(&b, "_kos._udp.local", DNS_TYPE_PTR, DNS_CLASS_IN);
    size_t at = dnsb_rr_begin(&b, 1, "_kos._udp.local", DNS_TYPE_PTR, DNS_CLASS_IN, 4500);
    dnsb_name(&b, "kos-56._kos._udp.local");
    dnsb_rr_end(&b, at);
    at = dnsb_rr_begin(&b, 3, "KOS-56.local", DNS_TYPE_A, DNS_CLASS_IN | MDNS_CLASS_TOP, 120);
    dnsb_bytes(&b, "\xc6\x33\x64\x02", 4);
    dnsb_rr_end(&b, at);
    long n = dnsb_finish(&b);
    CHECK(n > 0);
    /* Uncompressed it would be 12 + 21 + (21+10+8) + (14+10+4) = 100 bytes. */
    CHECK(n < 100);
    struct dns_header h;
    CHECK(dns_read_header(buf, (size_t)n, &h) == DNS_OK);
    CHECK(h.id == 0x1234 && h.qdcount == 1 && h.ancount == 1 && h.arcount == 1 && h.nscount == 0);
    size_t off = DNS_HDR_LEN;
    struct dns_question q;
    struct dns_rr rr;
    char name[DNS_TEXT_MAX];
    size_t next;
    CHECK(dns_read_question(buf, (size_t)n, &off, &q) == DNS_OK && strcmp(q.name, "_kos._udp.local") == 0);
    size_t answer_at = off;
    CHECK(dns_read_rr(buf, (size_t)n, &off, &rr) == DNS_OK && rr.type == DNS_TYPE_PTR && rr.ttl == 4500);
    CHECK(buf[answer_at] == 0xc0 && buf[answer_at + 1] == 12);   /* whole owner name is a pointer */
    CHECK(dns_read_name(buf, (size_t)n, rr.rdata, name, &next) == DNS_OK);
    CHECK(strcmp(name, "kos-56._kos._udp.local") == 0 && next == rr.rdata + rr.rdlen);
    CHECK(rr.rdlen == 9);                          /* "kos-56" label + pointer */
    CHECK(dns_read_rr(buf, (size_t)n, &off, &rr) == DNS_OK && rr.type == DNS_TYPE_A);
    CHECK(strcmp(rr.name, "KOS-56.local") == 0 && rr.klass == (DNS_CLASS_IN | MDNS_CLASS_TOP));
    CHECK(rr.rdlen == 4 && net_get32(buf + rr.rdata) == 0xc6336402);
    CHECK(off == (size_t)n);
}

static void t_builder_limits(void)
{
    uint8_t buf[40];
    struct dns_builder b;
    dnsb_init(&b, buf, sizeof buf, 0, 0);
    dnsb_question(&b, "a-rather-long-label.another-label.local", DNS_TYPE_A, DNS_CLASS_IN);
    CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);   /* does not fit in 40 bytes */
    uint8_t big[600];
    char label[80];
    memset(label, 'x', 64);
    memcpy(label + 64, ".local", 7);
    dnsb_init(&b, big, sizeof big, 0, 0);
    dnsb_name(&b, label);
    CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);   /* label of 64 */
    dnsb_init(&b, big, sizeof big, 0, 0);
    dnsb_name(&b, "a..local");
    CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);   /* empty label */
    dnsb_init(&b, big, 4, 0, 0);
    CHECK(dnsb_finish(&b) == DNS_ERR_SPACE);   /* no room for a header */
}

/* ---------------- responder ---------------- */

static void reset(void)
{
    arp_flush();
    memset(&nif.stats, 0, sizeof nif.stats);
    tx_count = 0;
    net_config_from_cmdline(&nif, "ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0");
    net_register(&nif);
    mdns_stop(&nif);
}

static const uint8_t mdns_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

/* The DNS message inside transmitted frame i (UDP from 5353), or NULL. */
static const uint8_t *tx_dns(int i, size_t *len, uint32_t *dst, uint16_t *dport)
{
    const uint8_t *f = tx_frames[i];
    if (tx_lens[i] < ETH_HDR_LEN + 28 || net_get16(f + 12) != ETHERTYPE_IPV4 || f[ETH_HDR_LEN + 9] != IP_PROTO_UDP)
        return NULL;
    const uint8_t *ip = f + ETH_HDR_LEN, *udp = ip + 20;
    if (net_get16(udp) != MDNS_PORT)
        return NULL;
    *dst = net_get32(ip + 16);
    *dport = net_get16(udp + 2);
    *len = net_get16(udp + 4) - 8u;
    return udp + 8;
}

struct seen {
    int ptr, srv, txt, a, questions;
    uint16_t id, srv_port, a_class;
    uint32_t a_ip, a_ttl;
};

static bool read_response(const uint8_t *m, size_t len, struct seen *s)
{
    memset(s, 0, sizeof *s);
    struct dns_header h;
    if (dns_read_header(m, len, &h) != DNS_OK || !(h.flags & DNS_FLAG_QR))
        return false;
    s->id = h.id;
    s->questions = h.qdcount;
    size_t off = DNS_HDR_LEN;
    struct dns_question q;
    for (int i = 0; i < h.qdcount; i++)
        if (dns_read_question(m, len, &off, &q) != DNS_OK)
            return false;
    struct dns_rr rr;
    for (int i = 0; i < h.ancount + h.nscount + h.arcount; i++) {
        if (dns_read_rr(m, len, &off, &rr) != DNS_OK)
            return false;
        char name[DNS_TEXT_MAX];
        size_t next;
        if (rr.type == DNS_TYPE_PTR && dns_read_name(m, len, rr.rdata, name, &next) == DNS_OK &&
            strcmp(rr.name, "_kos._udp.local") == 0 && strcmp(name, "kos-123456._kos._udp.local") == 0)
            s->ptr++;
        if (rr.type == DNS_TYPE_SRV && rr.rdlen >= 7 && dns_read_name(m, len, rr.rdata + 6, name, &next) == DNS_OK &&
            strcmp(name, "kos-123456.local") == 0) {
            s->srv++;
            s->srv_port = net_get16(m + rr.rdata + 4);
        }
        if (rr.type == DNS_TYPE_TXT && rr.rdlen == 12 && memcmp(m + rr.rdata, "\x03v=1\x07proto=7", 12) == 0)
            s->txt++;
        if (rr.type == DNS_TYPE_A && rr.rdlen == 4 && strcmp(rr.name, "kos-123456.local") == 0) {
            s->a++;
            s->a_ip = net_get32(m + rr.rdata);
            s->a_ttl = rr.ttl;
            s->a_class = rr.klass;
        }
    }
    return off == len;
}

static void deliver(uint32_t src, uint32_t dst, uint16_t sport, const struct raw *r)
{
    struct ipv4_info ip = {.src = src, .dst = dst, .proto = IP_PROTO_UDP, .to_broadcast = dst == MDNS_GROUP};
    CHECK(mdns_input(&nif, &ip, sport, r->b, r->n));
}

static void peer_response(struct raw *r, const char *label, uint16_t port, uint32_t ip, bool reversed);

/* Advances fake time by ms in timer ticks. */
static void pump(int ms)
{
    for (int t = 0; t < ms; t += 10) {
        fake_now_ms += 10;
        net_poll();
    }
}

/* Through probing and the three announcements, with nothing sent kept. */
static void settle(void)
{
    pump(9000);
    tx_count = 0;
}

/* The DNS responses among the frames sent so far (queries are skipped). */
static int responses(int *first)
{
    int n = 0;
    *first = -1;
    for (int i = 0; i < tx_count; i++) {
        size_t len;
        uint32_t dst;
        uint16_t dport;
        const uint8_t *m = tx_dns(i, &len, &dst, &dport);
        if (m && len >= DNS_HDR_LEN && (net_get16(m + 2) & DNS_FLAG_QR)) {
            if (*first < 0)
                *first = i;
            n++;
        }
    }
    return n;
}

static void t_start_announces(void)
{
    reset();
    CHECK(mdns_start(&nif, "bad name!") == -EINVAL);
    CHECK(!mdns_running());
    CHECK(mdns_start(&nif, NULL) == 0);
    /* The default name holds the NIC's half of the MAC: 52:54:00:12:34:56. */
    CHECK(strcmp(mdns_host_name(), "kos-123456.local") == 0);
    CHECK(strcmp(mdns_instance_name(), "kos-123456._kos._udp.local") == 0);
    CHECK(mdns_probing());
    /* Three probes 250 ms apart (8.1), then three announcements, 1 and 2 s apart. */
    int announcements = 0, queries = 0, probes = 0;
    uint64_t first_announce = 0, last_probe = 0;
    for (int step = 0; step < 900; step++) {    /* 9 s of fake time */
        for (int i = 0; i < tx_count; i++) {
            size_t len;
            uint32_t dst;
            uint16_t dport;
            const uint8_t *m = tx_dns(i, &len, &dst, &dport);
            CHECK(m != NULL);
            if (!m)
                continue;
            CHECK(dst == MDNS_GROUP && dport == MDNS_PORT);
            CHECK(memcmp(tx_frames[i], mdns_mac, 6) == 0);
            CHECK(tx_frames[i][ETH_HDR_LEN + 8] == 255);      /* IP TTL 255 (RFC 6762 11) */
            struct seen s;
            if (read_response(m, len, &s)) {
                if (!announcements)
                    first_announce = fake_now_ms;
                announcements++;
                CHECK(s.ptr == 1 && s.srv == 1 && s.txt == 1 && s.a == 1 && s.srv_port == 7);
                CHECK(s.a_ip == 0xc6336402 && s.a_ttl == 120 && (s.a_class & MDNS_CLASS_TOP));
            } else if (net_get16(m + 8) > 0) {          /* authority records: a probe */
                probes++;
                last_probe = fake_now_ms;
                CHECK(net_get16(m + 4) == 2 && net_get16(m + 8) == 3);   /* host, instance; A SRV TXT */
                CHECK(announcements == 0);
            } else {
                queries++;
            }
        }
        tx_count = 0;
        fake_now_ms += 10;
        net_poll();
    }
    CHECK(probes == 3);
    CHECK(announcements == 3);
    CHECK(first_announce >= last_probe + 250);
    CHECK(!mdns_probing());
    CHECK(queries >= 3 && queries <= 5);   /* at 0, 1, 3, 7 s */
    mdns_stop(&nif);
    /* Goodbye: every record once more with TTL 0. */
    CHECK(tx_count == 1 && mdns_get_stats()->goodbyes == 1);
    struct dns_rr rr;
    size_t len, off = DNS_HDR_LEN;
    uint32_t dst;
    uint16_t dport;
    const uint8_t *m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    int zero = 0, records = m ? net_get16(m + 6) : 0;
    for (int i = 0; m && i < records; i++)
        if (dns_read_rr(m, len, &off, &rr) == DNS_OK && rr.ttl == 0)
            zero++;
    CHECK(records == 6 && zero == 6);
    CHECK(mdns_start(&nif, "my-host") == 0 && strcmp(mdns_host_name(), "my-host.local") == 0);
    mdns_stop(&nif);
}

static void t_answers_queries(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    struct raw r;
    struct seen s;
    size_t len;
    uint32_t dst;
    uint16_t dport;
    const uint8_t *m;
    int first;
    /* QM PTR query: a shared answer, sent after 20-120 ms (RFC 6762 6), with
     * SRV, TXT, A and the NSEC for the host as additional records. */
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "_KOS._udp.local"); put16(&r, DNS_TYPE_PTR); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(tx_count == 0);
    pump(10);
    CHECK(tx_count == 0);                     /* not before 20 ms */
    pump(120);
    CHECK(responses(&first) == 1);
    m = first >= 0 ? tx_dns(first, &len, &dst, &dport) : NULL;
    CHECK(m && dst == MDNS_GROUP && dport == MDNS_PORT);
    CHECK(m && read_response(m, len, &s) && s.ptr == 1 && s.srv == 1 && s.txt == 1 && s.a == 1 && s.questions == 0);
    CHECK(m && net_get16(m + 6) == 1 && net_get16(m + 10) == 4);   /* 1 answer, 4 additional */
    /* The one-second rule: the same question again at once goes unanswered. */
    tx_count = 0;
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    pump(130);
    CHECK(responses(&first) == 0);
    pump(1000);
    tx_count = 0;
    /* QU A query from the subnet: unicast to the querier's port 5353 (needs ARP first). */
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN | MDNS_CLASS_TOP);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(tx_count == 1 && net_get16(tx_frames[0] + 12) == ETHERTYPE_ARP);
    /* Legacy unicast from port 40000: ID and question echoed, TTL 10, no cache-flush bit. */
    header(&r, 0xbeef, 0, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN);
    const struct mdns_stats *st = mdns_get_stats();
    uint64_t legacy = st->legacy_unicast;
    deliver(querier_ip, nif.ip, 40000, &r);
    CHECK(st->legacy_unicast == legacy + 1);
    /* Not ours, or a query with another opcode: no answer. */
    tx_count = 0;
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "other.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    header(&r, 0, 0x2800 /* opcode 5 */, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    pump(130);
    CHECK(responses(&first) == 0);
    /* AAAA for our host: the NSEC that says only A exists (6.1), at once. */
    tx_count = 0;
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, 28 /* AAAA */); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    struct dns_rr rr;
    size_t off = DNS_HDR_LEN;
    CHECK(m && net_get16(m + 6) == 1 && dns_read_rr(m, len, &off, &rr) == DNS_OK && rr.type == 47);
    CHECK(m && strcmp(rr.name, "kos-123456.local") == 0 && (rr.klass & MDNS_CLASS_TOP));
    /* Next name uncompressed (RFC 4034 4.1.1), then window 0, 1 byte, A. */
    CHECK(m && rr.rdlen == 18 + 3 && memcmp(m + rr.rdata + rr.rdlen - 3, "\x00\x01\x40", 3) == 0);
    /* The reverse mapping of our address (RFC 6762 4). */
    tx_count = 0;
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "2.100.51.198.in-addr.arpa"); put16(&r, DNS_TYPE_PTR); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    off = DNS_HDR_LEN;
    char target[DNS_TEXT_MAX];
    size_t next;
    CHECK(m && dns_read_rr(m, len, &off, &rr) == DNS_OK && rr.type == DNS_TYPE_PTR &&
          dns_read_name(m, len, rr.rdata, target, &next) == DNS_OK && strcmp(target, "kos-123456.local") == 0);
    /* ANY for the instance: SRV and TXT in the answer, A and NSEC as additional. */
    tx_count = 0;
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "kos-123456._kos._udp.local"); put16(&r, DNS_TYPE_ANY); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    CHECK(m && read_response(m, len, &s) && s.srv == 1 && s.txt == 1 && s.a == 1 && s.ptr == 0);
    CHECK(m && net_get16(m + 6) == 2 && net_get16(m + 10) == 2);
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] == 0);
    /* Known answer with TTL >= half: suppressed; with less left: answered. */
    for (int fresh = 1; fresh >= 0; fresh--) {
        pump(1100);
        tx_count = 0;
        header(&r, 0, 0, 1, 1, 0);
        put_name(&r, "_kos._udp.local"); put16(&r, DNS_TYPE_PTR); put16(&r, DNS_CLASS_IN);
        put16(&r, 0xc000 | 12); put16(&r, DNS_TYPE_PTR); put16(&r, DNS_CLASS_IN);
        put16(&r, 0); put16(&r, fresh ? 4000 : 1000);
        put16(&r, 13); put8(&r, 10); put(&r, "kos-123456", 10); put16(&r, 0xc000 | 12);
        deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
        pump(130);
        CHECK(responses(&first) == (fresh ? 0 : 1));
    }
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] == 0);
    mdns_stop(&nif);
}

/* 50 queries for our A record in half a second: one multicast answer (6). */
static void t_one_second_rule(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    struct raw r;
    header(&r, 0, 0, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN);
    for (int i = 0; i < 50; i++) {
        deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
        pump(10);
    }
    int first;
    CHECK(responses(&first) == 1);
    CHECK(mdns_get_stats()->rate_limited == 49);
    mdns_stop(&nif);
}

/* A response naming a DNS-SD instance with dots in its label ("svc v1.2")
 * is read whole: every instance in it is learned. */
static void t_dotted_instance(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    struct raw r;
    header(&r, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, 2, 0);
    for (int k = 0; k < 2; k++) {
        put_name(&r, "_kos._udp.local"); put16(&r, DNS_TYPE_PTR); put16(&r, DNS_CLASS_IN); put16(&r, 0); put16(&r, 4500);
        size_t len_at = r.n;
        put16(&r, 0);
        if (k == 0) {
            put8(&r, 8); put(&r, "svc v1.2", 8);
        } else {
            put8(&r, 5); put(&r, "plain", 5);
        }
        put16(&r, 0xc000 | 12);
        net_put16(r.b + len_at, (uint16_t)(r.n - len_at - 2));
    }
    deliver(0xc6336403, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] == 0);
    CHECK(mdns_peer_count() == 2);
    CHECK(mdns_peer_at(0) && strcmp(mdns_peer_at(0)->instance, "svc v1\\.2._kos._udp.local") == 0);
    mdns_stop(&nif);
}

/* Probing finds the name taken: rename to kos-123456-2 and probe again;
 * a rival prober with a later address makes us wait and start over. */
static void t_probe_conflict(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    pump(300);      /* the first probe or two are out */
    struct raw r;
    header(&r, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, 1, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN | MDNS_CLASS_TOP);
    put16(&r, 0); put16(&r, 120); put16(&r, 4); put8(&r, 198); put8(&r, 51); put8(&r, 100); put8(&r, 1);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(strcmp(mdns_host_name(), "kos-123456-2.local") == 0);
    CHECK(strcmp(mdns_instance_name(), "kos-123456-2._kos._udp.local") == 0);
    CHECK(mdns_probing() && mdns_get_stats()->conflicts == 1);
    /* A simultaneous probe for the new name from 198.51.100.9 (> ours): we lose. */
    pump(300);
    header(&r, 0, 0, 1, 0, 0);
    net_put16(r.b + 8, 1);                           /* one authority record */
    put_name(&r, "kos-123456-2.local"); put16(&r, DNS_TYPE_ANY); put16(&r, DNS_CLASS_IN);
    put16(&r, 0xc000 | 12); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN); put16(&r, 0); put16(&r, 120);
    put16(&r, 4); put8(&r, 198); put8(&r, 51); put8(&r, 100); put8(&r, 9);
    deliver(0xc6336409, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(mdns_get_stats()->tiebreaks_lost == 1 && mdns_probing());
    /* ... from 198.51.100.1 (< ours): we win and go on. */
    header(&r, 0, 0, 1, 0, 0);
    net_put16(r.b + 8, 1);                           /* one authority record */
    put_name(&r, "kos-123456-2.local"); put16(&r, DNS_TYPE_ANY); put16(&r, DNS_CLASS_IN);
    put16(&r, 0xc000 | 12); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN); put16(&r, 0); put16(&r, 120);
    put16(&r, 4); put8(&r, 198); put8(&r, 51); put8(&r, 100); put8(&r, 1);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(mdns_get_stats()->tiebreaks_lost == 1);
    pump(3000);
    CHECK(!mdns_probing() && strcmp(mdns_host_name(), "kos-123456-2.local") == 0);
    /* Established, someone else answers with another address: conflict (9). */
    header(&r, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, 1, 0);
    put_name(&r, "kos-123456-2.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN | MDNS_CLASS_TOP);
    put16(&r, 0); put16(&r, 120); put16(&r, 4); put8(&r, 198); put8(&r, 51); put8(&r, 100); put8(&r, 7);
    deliver(0xc6336407, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(strcmp(mdns_host_name(), "kos-123456-3.local") == 0 && mdns_probing());
    mdns_stop(&nif);
}

/* The browser's cache: goodbyes and TTLs expire entries, a full table
 * makes room, and browse queries carry known answers (7.1). */
static void t_cache_aging(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    struct raw r;
    char label[32];
    for (int i = 0; i < MDNS_MAX_PEERS; i++) {
        snprintf(label, sizeof label, "peer-%d", i);
        peer_response(&r, label, 7, 0xc6336410 + (uint32_t)i, false);
        deliver(0xc6336410 + (uint32_t)i, MDNS_GROUP, MDNS_PORT, &r);
    }
    CHECK(mdns_peer_count() == MDNS_MAX_PEERS);
    /* Goodbyes for all eight: gone one second later. */
    for (int i = 0; i < MDNS_MAX_PEERS; i++) {
        snprintf(label, sizeof label, "peer-%d", i);
        peer_response(&r, label, 7, 0xc6336410 + (uint32_t)i, false);
        net_put16(r.b + DNS_HDR_LEN + 17 + 4 + 2, 0);    /* the PTR's TTL (low half) */
        deliver(0xc6336410 + (uint32_t)i, MDNS_GROUP, MDNS_PORT, &r);
    }
    pump(1100);
    CHECK(mdns_peer_count() == 0);
    /* A ninth is learned and reported. */
    peer_response(&r, "peer-new", 7, 0xc6336420, false);
    deliver(0xc6336420, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(mdns_peer_count() == 1 && mdns_peer_at(0)->reported);
    /* The next browse query lists it as a known answer. */
    tx_count = 0;
    mdns_browse(&nif);
    size_t len;
    uint32_t dst;
    uint16_t dport;
    const uint8_t *m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    CHECK(m && net_get16(m + 4) == 1 && net_get16(m + 6) == 1);
    /* Its TTL runs out: forgotten. */
    pump(4501 * 1000);
    CHECK(mdns_peer_count() == 0);
    /* A full table takes a newcomer in place of the entry closest to expiry. */
    for (int i = 0; i < MDNS_MAX_PEERS + 1; i++) {
        snprintf(label, sizeof label, "full-%d", i);
        peer_response(&r, label, 7, 0xc6336430 + (uint32_t)i, false);
        deliver(0xc6336430 + (uint32_t)i, MDNS_GROUP, MDNS_PORT, &r);
        pump(10);
    }
    CHECK(mdns_peer_count() == MDNS_MAX_PEERS && mdns_get_stats()->peers_evicted == 1);
    mdns_stop(&nif);
}

static void t_legacy_unicast_reply(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    /* Teach ARP the querier through a reply, so the answer leaves at once. */
    arp_request(&nif, querier_ip);
    uint8_t f[64] = {0};
    static const uint8_t qmac[6] = {0x02, 0, 0, 0, 0, 1};
    memcpy(f, nif.mac, 6); memcpy(f + 6, qmac, 6); net_put16(f + 12, ETHERTYPE_ARP);
    uint8_t *p = f + 14;
    net_put16(p, 1); net_put16(p + 2, 0x0800); p[4] = 6; p[5] = 4; net_put16(p + 6, 2);
    memcpy(p + 8, qmac, 6); net_put32(p + 14, querier_ip); memcpy(p + 18, nif.mac, 6); net_put32(p + 24, nif.ip);
    net_input(&nif, f, 60);
    uint8_t mac[6];
    CHECK(arp_lookup(querier_ip, mac));
    tx_count = 0;
    struct raw r;
    header(&r, 0xbeef, 0, 1, 0, 0);
    put_name(&r, "kos-123456.local"); put16(&r, DNS_TYPE_A); put16(&r, DNS_CLASS_IN);
    deliver(querier_ip, nif.ip, 40000, &r);
    size_t len;
    uint32_t dst;
    uint16_t dport;
    const uint8_t *m = tx_count == 1 ? tx_dns(0, &len, &dst, &dport) : NULL;
    struct seen s;
    CHECK(m && dst == querier_ip && dport == 40000);
    CHECK(m && read_response(m, len, &s) && s.id == 0xbeef && s.questions == 1 && s.a == 1);
    CHECK(s.a_ttl == 10 && !(s.a_class & MDNS_CLASS_TOP) && s.a_ip == 0xc6336402);
    mdns_stop(&nif);
}

/* A response announcing another instance, records in the given order. */
static void peer_response(struct raw *r, const char *label, uint16_t port, uint32_t ip, bool reversed)
{
    char inst[128], host[128];
    snprintf(inst, sizeof inst, "%s._kos._udp.local", label);
    snprintf(host, sizeof host, "%s.local", label);
    header(r, 0, DNS_FLAG_QR | DNS_FLAG_AA, 0, 3, 0);
    for (int k = 0; k < 3; k++) {
        int which = reversed ? 2 - k : k;
        size_t len_at;
        if (which == 0) {
            put_name(r, "_kos._udp.local"); put16(r, DNS_TYPE_PTR); put16(r, DNS_CLASS_IN); put16(r, 0); put16(r, 4500);
            len_at = r->n; put16(r, 0); put_name(r, inst);
        } else if (which == 1) {
            put_name(r, inst); put16(r, DNS_TYPE_SRV); put16(r, DNS_CLASS_IN | MDNS_CLASS_TOP); put16(r, 0); put16(r, 120);
            len_at = r->n; put16(r, 0); put16(r, 0); put16(r, 0); put16(r, port); put_name(r, host);
        } else {
            put_name(r, host); put16(r, DNS_TYPE_A); put16(r, DNS_CLASS_IN | MDNS_CLASS_TOP); put16(r, 0); put16(r, 120);
            len_at = r->n; put16(r, 0); put8(r, (uint8_t)(ip >> 24)); put8(r, (uint8_t)(ip >> 16)); put8(r, (uint8_t)(ip >> 8)); put8(r, (uint8_t)ip);
        }
        net_put16(r->b + len_at, (uint16_t)(r->n - len_at - 2));
    }
}

static void t_browse_collects_peers(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    struct raw r;
    peer_response(&r, "kos-57", 7, 0xc6336403, false);
    deliver(0xc6336403, MDNS_GROUP, MDNS_PORT, &r);
    peer_response(&r, "kos-58", 9000, 0xc6336404, true);
    deliver(0xc6336404, MDNS_GROUP, MDNS_PORT, &r);
    /* Our own announcement coming back is not a peer. */
    peer_response(&r, "kos-123456", 7, nif.ip, false);
    deliver(0xc6336405, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(mdns_peer_count() == 2);
    const struct mdns_peer *a = mdns_peer_at(0), *b = mdns_peer_at(1);
    CHECK(a && strcmp(a->instance, "kos-57._kos._udp.local") == 0 && a->port == 7 && a->ip == 0xc6336403 && a->have_ip);
    CHECK(b && strcmp(b->instance, "kos-58._kos._udp.local") == 0 && b->port == 9000 && b->ip == 0xc6336404 && b->have_ip);
    CHECK(mdns_peer_at(2) == NULL && mdns_peer_at(-1) == NULL);
    /* An SRV whose target name overruns its RDLENGTH is malformed. */
    uint64_t before = nif.stats.drop[DROP_MDNS_MALFORMED];
    peer_response(&r, "kos-59", 7, 0xc6336406, false);
    /* The SRV is the second record; shrink its RDLENGTH by 2. */
    size_t off = DNS_HDR_LEN;
    struct dns_rr rr;
    CHECK(dns_read_rr(r.b, r.n, &off, &rr) == DNS_OK);
    size_t srv_at = off;
    CHECK(dns_read_rr(r.b, r.n, &off, &rr) == DNS_OK && rr.type == DNS_TYPE_SRV);
    (void)srv_at;
    net_put16(r.b + rr.rdata - 2, (uint16_t)(rr.rdlen - 2));
    deliver(0xc6336406, MDNS_GROUP, MDNS_PORT, &r);
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] == before + 1);
    mdns_stop(&nif);
}

static void t_malformed_counted(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    tx_count = 0;
    struct raw r;
    int sent = 0;
    header(&r, 0, 0, 1, 0, 0); r.n = 5; deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r); sent++;
    header(&r, 0, 0, 1, 0, 0); deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r); sent++;
    header(&r, 0, 0, 1, 0, 0); put16(&r, 0xc000 | 12); put16(&r, 1); put16(&r, 1);
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r); sent++;
    header(&r, 0, DNS_FLAG_QR, 0, 2, 0); put_name(&r, "x.local"); put16(&r, 1); put16(&r, 1); put16(&r, 0); put16(&r, 1);
    put16(&r, 4); put(&r, "abcd", 4);   /* one record where two are announced */
    deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r); sent++;
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] == (uint64_t)sent);
    CHECK(nif.stats.rx_dropped == (uint64_t)sent);
    CHECK(mdns_get_stats()->dropped_malformed == (uint64_t)sent);
    CHECK(tx_count == 0);
    mdns_stop(&nif);
    /* Stopped: port 5353 is not taken (udp.c then answers port unreachable). */
    struct ipv4_info ip = {.src = querier_ip, .dst = MDNS_GROUP};
    CHECK(!mdns_input(&nif, &ip, MDNS_PORT, r.b, r.n));
}

/* Random mutations of a valid response and query: whatever the parser
 * accepts or refuses, it never reads out of bounds (ASan) nor loops. */
static void t_fuzz(void)
{
    reset();
    CHECK(mdns_start(&nif, NULL) == 0);
    settle();
    uint32_t seed = 12345;
    struct raw base, q, r;
    peer_response(&base, "kos-77", 7, 0xc6336407, false);
    header(&q, 0, 0, 2, 0, 0);
    put_name(&q, "_kos._udp.local"); put16(&q, DNS_TYPE_PTR); put16(&q, DNS_CLASS_IN);
    put16(&q, 0xc000 | 12); put16(&q, DNS_TYPE_ANY); put16(&q, DNS_CLASS_IN);
    for (int i = 0; i < 20000; i++) {
        const struct raw *src = (i & 1) ? &q : &base;
        r = *src;
        int flips = 1 + (int)((seed >> 8) % 6);
        for (int k = 0; k < flips; k++) {
            seed = seed * 1103515245u + 12345u;
            r.b[(seed >> 8) % r.n] = (uint8_t)(seed >> 20);
        }
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 4 == 0)
            r.n = (seed >> 4) % (r.n + 1);   /* truncated too */
        tx_count = 0;
        deliver(querier_ip, MDNS_GROUP, MDNS_PORT, &r);
    }
    uint64_t sum = 0;
    for (int k = 0; k < DROP_REASON_COUNT; k++)
        sum += nif.stats.drop[k];
    CHECK(sum == nif.stats.rx_dropped);
    CHECK(nif.stats.drop[DROP_MDNS_MALFORMED] > 1000);   /* most mutations break something */
    printf("# fuzz: %lu of 20000 mutated messages dropped as malformed\n",
           (unsigned long)nif.stats.drop[DROP_MDNS_MALFORMED]);
    mdns_stop(&nif);
}

int main(void)
{
    printf("KTAP version 1\n1..15\n");
    run("dns_name_plain_and_compressed", t_name_plain_and_compressed);
    run("dns_name_pointer_loops", t_name_pointer_loops);
    run("dns_name_limits", t_name_limits);
    run("dns_truncated", t_truncated);
    run("dns_builder_compression", t_builder_compression);
    run("dns_builder_limits", t_builder_limits);
    run("mdns_start_announces", t_start_announces);
    run("mdns_answers_queries", t_answers_queries);
    run("mdns_one_second_rule", t_one_second_rule);
    run("mdns_dotted_instance", t_dotted_instance);
    run("mdns_probe_conflict", t_probe_conflict);
    run("mdns_cache_aging", t_cache_aging);
    run("mdns_legacy_unicast_reply", t_legacy_unicast_reply);
    run("mdns_browse_collects_peers", t_browse_collects_peers);
    run("mdns_malformed_counted", t_malformed_counted);
    printf("# fuzz\n");
    case_failed = 0;
    t_fuzz();
    printf("# fuzz %s\n", case_failed ? "FAILED" : "passed");
    failures += case_failed;
    return failures ? 1 : 0;
}
