/* p2p_mdns_codec: the libp2p mDNS encoder and decoder (core/mdns.c) checked
 * byte by byte: our query and answer read back, an answer laid out as
 * js-libp2p's multicast-dns sends it (uncompressed names, PTR and TXT both in
 * the answer section), and malformed messages refused. KTAP; runs in the
 * guest as /bin/p2p_mdns_codec and on the host (test/host/p2p-ktap.test.ts). */
#include "p2p_base.h"
#include "plat.h"
#include "core/mdns.h"
#include "ktap.h"

static const char *ID = "12D3KooWJCqurLnv6M3KTDkcBVqvtxNqtCw4wXLvWhms7fU8mZGK";

static size_t name(uint8_t *p, const char *dotted)
{
    size_t n = 0;
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        p[n++] = (uint8_t)l;
        memcpy(p + n, dotted, l);
        n += l;
        dotted += l + (dot ? 1 : 0);
    }
    p[n++] = 0;
    return n;
}

static size_t rr(uint8_t *p, const char *owner, uint16_t type, uint16_t klass, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
    size_t n = name(p, owner);
    p2p_put_be16(p + n, type);
    p2p_put_be16(p + n + 2, klass);
    p2p_put_be32(p + n + 4, ttl);
    p2p_put_be16(p + n + 8, (uint16_t)rdlen);
    memcpy(p + n + 10, rdata, rdlen);
    return n + 10 + rdlen;
}

/* PTR then TXT in the answers, as js-libp2p's @libp2p/mdns answers. */
static size_t js_answer(uint8_t *msg, const char *txt1, const char *txt2)
{
    static const uint8_t head[12] = {0, 0, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 0};
    memcpy(msg, head, 12);
    size_t n = 12;
    uint8_t rd[300];
    size_t rl = name(rd, "Peer0Name1234567890abcdefghijklm._p2p._udp.local");
    n += rr(msg + n, "_p2p._udp.local", 12, 1, 120, rd, rl);
    rl = 0;
    rd[rl++] = (uint8_t)strlen(txt1);
    memcpy(rd + rl, txt1, strlen(txt1));
    rl += strlen(txt1);
    if (txt2) {
        rd[rl++] = (uint8_t)strlen(txt2);
        memcpy(rd + rl, txt2, strlen(txt2));
        rl += strlen(txt2);
    }
    n += rr(msg + n, "peer0name1234567890ABCDEFGHIJKLM._p2p._udp.local", 16, 1, 120, rd, rl);
    return n;
}

int main(void)
{
    ktap_begin("p2p_mdns_codec", 12);
    uint8_t msg[1500];
    struct mdns_seen seen;

    size_t n = mdns_build_query(msg, sizeof msg);
    ktap_ok(n == 12 + 17 + 4 && mdns_parse(msg, n, &seen) == 0 && seen.asks_p2p && !seen.response, "query_reads_back");
    static const uint8_t want_q[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, '_', 'p', '2', 'p', 4, '_', 'u', 'd', 'p',
                                     5, 'l', 'o', 'c', 'a', 'l', 0, 0, 12, 0, 1};
    ktap_ok(n == sizeof want_q && memcmp(msg, want_q, n) == 0, "query_bytes_exact");

    struct maddr m;
    char text[160];
    snprintf(text, sizeof text, "/ip4/198.51.100.2/tcp/4001/p2p/%s", ID);
    bool parsed = maddr_parse(&m, text) == 0;
    n = mdns_build_response(msg, sizeof msg, "abcdefghijklmnopqrstuvwxyz012345", &m, 1);
    ktap_ok(parsed && n > 0 && mdns_parse(msg, n, &seen) == 0 && seen.response && !seen.asks_p2p &&
                strcmp(seen.peer_name, "abcdefghijklmnopqrstuvwxyz012345") == 0 && seen.naddrs == 1 &&
                seen.addrs[0].ip == 0xc6336402 && seen.addrs[0].port == 4001 && peerid_eq(&seen.addrs[0].peer, &m.peer),
            "response_reads_back");
    /* header: QR|AA, 1 answer, 1 additional; the TXT owner points at the PTR's target */
    ktap_ok(n > 12 && msg[2] == 0x84 && msg[7] == 1 && msg[11] == 1 && msg[12 + 17 + 10] == 32, "response_layout");

    char t1[160];
    snprintf(t1, sizeof t1, "dnsaddr=/ip4/198.51.100.1/tcp/39001/p2p/%s", ID);
    n = js_answer(msg, t1, NULL);
    ktap_ok(mdns_parse(msg, n, &seen) == 0 && seen.response && strcmp(seen.peer_name, "peer0name1234567890abcdefghijklm") == 0 &&
                seen.naddrs == 1 && seen.addrs[0].ip == 0xc6336401 && seen.addrs[0].port == 39001,
            "js_style_answer_parsed_case_insensitive");
    char t2[160];
    snprintf(t2, sizeof t2, "dnsaddr=/ip4/198.51.100.1/udp/39002/quic-v1/p2p/%s", ID);
    n = js_answer(msg, t2, "txtvers=1");
    ktap_ok(mdns_parse(msg, n, &seen) == 0 && seen.naddrs == 0 && seen.peer_name[0], "other_transports_and_strings_skipped");

    /* malformed: each is refused, none crashes */
    n = js_answer(msg, t1, NULL);
    ktap_ok(mdns_parse(msg, n - 3, &seen) == -1, "truncated_record_refused");
    uint8_t loop[] = {0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 120, 0, 0};
    ktap_ok(mdns_parse(loop, sizeof loop, &seen) == -1, "pointer_loop_refused");
    uint8_t badlabel[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x45, 'a', 0, 0, 12, 0, 1};
    ktap_ok(mdns_parse(badlabel, sizeof badlabel, &seen) == -1, "reserved_label_type_refused");
    uint8_t shorthdr[] = {0, 0, 0x84, 0, 0, 1};
    ktap_ok(mdns_parse(shorthdr, sizeof shorthdr, &seen) == -1, "short_header_refused");
    uint8_t counts[] = {0, 0, 0x84, 0, 0, 0, 0, 9, 0, 0, 0, 0};
    ktap_ok(mdns_parse(counts, sizeof counts, &seen) == -1, "counts_past_the_end_refused");
    n = js_answer(msg, t1, NULL);
    msg[2] = 0x84 | (5 << 3);   /* opcode 5: not a query */
    ktap_ok(mdns_parse(msg, n, &seen) == 0 && !seen.peer_name[0] && seen.naddrs == 0, "other_opcode_ignored");
    return ktap_done();
}
