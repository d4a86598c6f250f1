/* mDNS responder and browser (RFC 6762) with DNS-SD records (RFC 6763) on
 * the DNS message format of RFC 1035. The parser and builder are pure
 * functions over a buffer (host-tested in tools/net/mdns_host_test.c). */
#pragma once
#include "net/ipv4.h"

#define MDNS_PORT 5353
#define MDNS_GROUP 0xe00000fbu           /* 224.0.0.251 */
#define MDNS_SERVICE "_kos._udp.local"
#define MDNS_SERVICE_PORT 7              /* the netecho service */
#define MDNS_IP_TTL 255                  /* RFC 6762 11: every mDNS packet, so receivers can tell it is on-link */

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255            /* RFC 1035 2.3.4, wire form */
#define DNS_LABEL_MAX 63
#define DNS_TEXT_MAX 1024                /* escaped dotted text of the longest name (4 x 255) + NUL */
#define DNS_MAX_POINTERS 32              /* compression jumps followed per name */

#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_TXT 16
#define DNS_TYPE_SRV 33
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1
#define MDNS_CLASS_TOP 0x8000            /* QU in questions, cache-flush in answers */

#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)

enum dns_status {
    DNS_OK = 0,
    DNS_ERR_TRUNCATED = -1,    /* a field runs past the end of the message */
    DNS_ERR_LABEL = -2,        /* label longer than 63, reserved 0x40/0x80 type */
    DNS_ERR_NAME_TOO_LONG = -3,/* more than 255 bytes in wire form */
    DNS_ERR_POINTER = -4,      /* pointer not strictly backwards (a loop) or too many jumps */
    DNS_ERR_SPACE = -5,        /* builder: the output buffer is full / text too long */
};

struct dns_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

struct dns_question {
    char name[DNS_TEXT_MAX];
    uint16_t type, klass;      /* klass keeps the top (QU) bit */
};

struct dns_rr {
    char name[DNS_TEXT_MAX];
    uint16_t type, klass;
    uint32_t ttl;
    size_t rdata, rdlen;       /* offset and length of RDATA inside the message */
};

/* Reads the name at off (following compression pointers) as dotted text
 * ("" for the root); *next is the offset just past the name where it sits.
 * A '.' or '\' inside a label reads as "\." / "\\", a control byte as
 * "\DDD" (RFC 1035 5.1); dnsb_name takes the same escapes. */
int dns_read_name(const uint8_t *msg, size_t len, size_t off, char out[DNS_TEXT_MAX], size_t *next);
int dns_read_header(const uint8_t *msg, size_t len, struct dns_header *h);
int dns_read_question(const uint8_t *msg, size_t len, size_t *off, struct dns_question *q);
/* Also checks that RDATA fits in the message. */
int dns_read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr);
/* Case-insensitive equality of dotted names (DNS names compare without case). */
bool dns_name_eq(const char *a, const char *b);

#define DNS_BUILDER_NAMES 48

/* Writes a message; names are compressed against every suffix written so far. */
struct dns_builder {
    uint8_t *buf;
    size_t cap, len;
    int error;                          /* first error; later calls do nothing */
    uint16_t name_offs[DNS_BUILDER_NAMES];
    int n_names;
    bool plain;                         /* names written now are not compressed (NSEC next name) */
    uint16_t counts[4];                 /* qd, an, ns, ar as added */
};

void dnsb_init(struct dns_builder *b, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags);
void dnsb_name(struct dns_builder *b, const char *dotted);
void dnsb_question(struct dns_builder *b, const char *name, uint16_t type, uint16_t klass);
/* section: 1 answer, 2 authority, 3 additional. Returns where RDLENGTH sits
 * (pass it to dnsb_rr_end once RDATA is written). */
size_t dnsb_rr_begin(struct dns_builder *b, int section, const char *name, uint16_t type, uint16_t klass,
                     uint32_t ttl);
void dnsb_rr_end(struct dns_builder *b, size_t rdlen_at);
void dnsb_bytes(struct dns_builder *b, const void *data, size_t n);
void dnsb_u16(struct dns_builder *b, uint16_t v);
/* Patches the counts into the header; message length, or a dns_status < 0. */
long dnsb_finish(struct dns_builder *b);

/* ---- the responder (kernel and host driver) ---- */

#define MDNS_MAX_PEERS 8

/* One instance of our service that the browser learned (a cache entry:
 * it expires with its PTR's TTL, and one second after a goodbye). */
struct mdns_peer {
    char instance[DNS_TEXT_MAX];        /* "kos-123457._kos._udp.local" */
    char target[DNS_TEXT_MAX];          /* SRV target host */
    uint16_t port;
    uint32_t ip;
    uint32_t ttl;                       /* of the PTR; 0 after a goodbye */
    uint64_t learned_ms, expires_ms;
    bool have_srv, have_ip, reported;
};

struct mdns_stats {
    uint64_t rx_queries, rx_responses, tx_responses, tx_queries, announcements;
    uint64_t legacy_unicast, unicast_replies, dropped_malformed;
    uint64_t probes, conflicts, tiebreaks_lost, goodbyes, rate_limited, peers_evicted;
};

/* Starts the responder on nif: host name from hostname (NULL: "kos-XXYYZZ"
 * from the MAC's last three bytes). It probes for its names first (RFC 6762
 * 8.1: three probes 250 ms apart), renames itself on a conflict
 * ("kos-XXYYZZ-2", 9), then announces and answers; browse queries start at
 * once. Binds UDP port 5353 in the port table (udp.h) and registers
 * mdns_tick with net_poll. The caller joins 01:00:5e:00:00:fb in the NIC
 * (net_boot.c). 0, -EINVAL for a bad host name, -EADDRINUSE when a socket
 * holds the port. */
int mdns_start(struct netif *nif, const char *hostname);
/* Sends goodbyes (every record with TTL 0), stops and unbinds the port. */
void mdns_stop(struct netif *nif);
bool mdns_running(void);
/* Still probing: nothing is answered yet. */
bool mdns_probing(void);
/* A datagram to port 5353 (through the port binding): true when the
 * responder took it (false: not running). */
bool mdns_input(struct netif *nif, const struct ipv4_info *ip, uint16_t src_port, const uint8_t *data,
                size_t len);
/* Periodic work from net_poll: probes, announcements, delayed answers,
 * cache expiry and browse queries when due. */
void mdns_tick(struct netif *nif);
/* Sends one browse query (PTR _kos._udp.local, known answers included) now. */
int mdns_browse(struct netif *nif);
const char *mdns_host_name(void);       /* "kos-123456.local" */
const char *mdns_instance_name(void);   /* "kos-123456._kos._udp.local" */
int mdns_peer_count(void);
const struct mdns_peer *mdns_peer_at(int i);
const struct mdns_stats *mdns_get_stats(void);
