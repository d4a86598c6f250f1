/* Host test driver for the TCP engine (kernel/net/tcp.c): two endpoints,
 * A = 10.0.0.1 and B = 10.0.0.2, live in one engine and talk through an
 * in-memory link that can lose, delay (and so reorder), duplicate and
 * corrupt segments. A fake millisecond clock drives the timers. Prints KTAP;
 * exits 1 when any check fails. Run by test/unit/net_tcp.test.ts. */
#include "net/netif.h"
#include "host_ktap.h"
#include "net/ipv4.h"
#include "net/tcp.h"
#include "kos/xorshift.h"

/* ---- platform hooks ---- */
static uint64_t now_ms = 1000;
uint64_t net_now_ms(void) { return now_ms; }
int net_wait_for_event(void) { now_ms++; return 0; }
void net_wake_waiters(void) {}
unsigned long net_lock(void) { return 0; }
void net_unlock(unsigned long s) { (void)s; }

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) { return kos_xorshift64(&rng_state); }
void net_random_bytes(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng();
}


/* ---- the link ---- */
#define A_IP 0x0a000001u
#define B_IP 0x0a000002u
#define LINK_MAX 4096

struct pkt {
    uint64_t at;
    uint32_t src, dst;
    uint16_t len;
    uint8_t data[1600];
};
static struct pkt link_q[LINK_MAX];
static int link_n;
static struct {
    int loss_ppm, dup_ppm, corrupt_ppm;
    uint32_t delay_ms, jitter_ms;
    bool blackhole;
} faults;
static struct netif nif = {.name = "link0"};
static int sent_syns, sent_rsts, sent_total;
static uint64_t syn_times[16];
static uint8_t last_flags_to[2];    /* last flags sent to A, to B */

static bool chance(int ppm) { return ppm > 0 && (int)(rng() % 1000000) < ppm; }

static void link_put(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len, uint64_t at)
{
    if (link_n >= LINK_MAX || len > sizeof link_q[0].data)
        return;
    struct pkt *p = &link_q[link_n++];
    p->at = at;
    p->src = src;
    p->dst = dst;
    p->len = (uint16_t)len;
    memcpy(p->data, seg, len);
}

static int link_send(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    sent_total++;
    uint8_t fl = seg[13];
    if ((fl & 0x02) && !(fl & 0x10)) {
        if (sent_syns < 16)
            syn_times[sent_syns] = now_ms;
        sent_syns++;
    }
    if (fl & 0x04)
        sent_rsts++;
    last_flags_to[dst == B_IP] = fl;
    if (faults.blackhole || chance(faults.loss_ppm))
        return 0;
    uint64_t at = now_ms + faults.delay_ms + (faults.jitter_ms ? rng() % (2 * faults.jitter_ms + 1) : 0) -
                  faults.jitter_ms;
    if (at < now_ms)
        at = now_ms;
    link_put(src, dst, seg, len, at);
    if (chance(faults.corrupt_ppm)) {
        struct pkt *p = &link_q[link_n - 1];
        p->data[rng() % p->len] ^= (uint8_t)(1u << (rng() % 8));
    }
    if (chance(faults.dup_ppm))
        link_put(src, dst, seg, len, at + 1);
    return 0;
}

static void deliver(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    struct ipv4_info ip = {.src = src, .dst = dst, .proto = IP_PROTO_TCP, .ttl = 64};
    tcp_input(&nif, &ip, seg, len);
}

/* One millisecond: deliver what is due (in the order sent, so the link
 * reorders only through its delay jitter), run the timers. */
static void step(void)
{
    static struct pkt due[LINK_MAX];
    now_ms++;
    int n_due = 0, kept = 0;
    for (int i = 0; i < link_n; i++) {
        if (link_q[i].at <= now_ms)
            due[n_due++] = link_q[i];
        else
            link_q[kept++] = link_q[i];
    }
    link_n = kept;
    for (int i = 0; i < n_due; i++)
        deliver(due[i].src, due[i].dst, due[i].data, due[i].len);
    tcp_tick();
}

static void run_ms(uint64_t ms)
{
    for (uint64_t i = 0; i < ms; i++)
        step();
}

static void reset(void)
{
    tcp_reset_all();
    memset(&faults, 0, sizeof faults);
    memset(&nif.stats, 0, sizeof nif.stats);
    link_n = 0;
    sent_syns = sent_rsts = sent_total = 0;
    tcp_config.msl2_ms = 2000;
    tcp_config.syn_retries = 5;
    tcp_config.data_retries = 12;
    tcp_ip_output = link_send;
}

/* ---- helpers ---- */
static struct tcp_conn *listener(uint32_t ip, uint16_t port, int backlog)
{
    struct tcp_conn *l = tcp_open();
    CHECK(l && tcp_bind(l, ip, port) == 0 && tcp_listen(l, backlog) == 0);
    return l;
}

/* A connected pair: *a connected from A to B's listener, *b accepted. */
static bool connect_pair(struct tcp_conn **a, struct tcp_conn **b, uint16_t port)
{
    struct tcp_conn *l = listener(B_IP, port, 4);
    *a = tcp_open();
    CHECK(tcp_connect(*a, A_IP, B_IP, port) == 0);
    *b = NULL;
    for (int i = 0; i < 60000 && !*b; i++) {
        step();
        *b = tcp_accept(l);
    }
    CHECK(*b != NULL);
    for (int i = 0; i < 60000 && (*a)->state != TCP_ESTABLISHED; i++)
        step();
    CHECK((*a)->state == TCP_ESTABLISHED);
    tcp_close(l);
    return *b != NULL && (*a)->state == TCP_ESTABLISHED;
}

static uint8_t pattern(uint64_t i, int salt) { return (uint8_t)((i * 131 + (i >> 9) + (uint64_t)salt * 7) & 0xff); }

/* Moves total bytes from s to r (and, when both, r to s at once); true when
 * every byte arrived in order. Gives up after limit_ms of fake time. */
static bool transfer(struct tcp_conn *s, struct tcp_conn *r, uint64_t total, bool both, uint64_t limit_ms)
{
    uint64_t sent[2] = {0, 0}, got[2] = {0, 0};
    bool ok = true;
    struct tcp_conn *snd[2] = {s, r}, *rcv[2] = {r, s};
    int dirs = both ? 2 : 1;
    uint64_t end = now_ms + limit_ms;
    static uint8_t buf[8192];
    while (now_ms < end) {
        bool done = true;
        for (int d = 0; d < dirs; d++) {
            while (sent[d] < total) {
                size_t n = total - sent[d] < sizeof buf ? (size_t)(total - sent[d]) : sizeof buf;
                for (size_t i = 0; i < n; i++)
                    buf[i] = pattern(sent[d] + i, d);
                long k = tcp_send(snd[d], buf, n);
                if (k <= 0)
                    break;
                sent[d] += (uint64_t)k;
            }
            for (;;) {
                long k = tcp_recv(rcv[d], buf, sizeof buf);
                if (k <= 0)
                    break;
                for (long i = 0; i < k; i++)
                    if (buf[i] != pattern(got[d] + (uint64_t)i, d))
                        ok = false;
                got[d] += (uint64_t)k;
            }
            if (got[d] < total)
                done = false;
        }
        if (done)
            break;
        step();
    }
    for (int d = 0; d < dirs; d++)
        if (got[d] != total) {
            printf("    # direction %d: %llu of %llu bytes after %llu ms\n", d, (unsigned long long)got[d],
                   (unsigned long long)total, (unsigned long long)limit_ms);
            ok = false;
        }
    return ok;
}

static size_t raw_segment(uint8_t *seg, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
                          uint32_t ack, uint8_t flags, const uint8_t *opts, size_t olen, size_t dlen)
{
    size_t hlen = 20 + olen;
    memset(seg, 0, hlen + dlen);
    net_put16(seg, sport);
    net_put16(seg + 2, dport);
    net_put32(seg + 4, seq);
    net_put32(seg + 8, ack);
    seg[12] = (uint8_t)((hlen / 4) << 4);
    seg[13] = flags;
    net_put16(seg + 14, 65535);
    if (olen)
        memcpy(seg + 20, opts, olen);
    /* Independent checksum: 16-bit words summed in 64 bits. */
    uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + hlen + dlen;
    for (size_t i = 0; i < hlen + dlen; i++)
        sum += (i & 1) ? seg[i] : (uint32_t)seg[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    net_put16(seg + 16, (uint16_t)~sum);
    return hlen + dlen;
}

/* ---- cases ---- */
static void t_siphash_vectors(void)
{
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    CHECK(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
    CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void t_handshake_options(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 80))
        return;
    CHECK(a->ws_ok && b->ws_ok && a->ts_ok && b->ts_ok);
    CHECK(a->mss == 1448 && b->mss == 1448);      /* 1460 minus the timestamp option */
    CHECK(b->rcv_wscale == 1 && a->snd_wscale == 1);
    CHECK(a->lport >= TCP_EPHEMERAL_FIRST && b->lport == 80 && b->rport == a->lport);
    CHECK(a->srtt >= 1);
    /* RFC 6528: the same 4-tuple later gets a different ISN (clock part). */
    uint32_t first = a->iss;
    tcp_close(a);
    tcp_close(b);
    run_ms(5000);
    now_ms += 1000;
    struct tcp_conn *a2, *b2;
    if (!connect_pair(&a2, &b2, 80))
        return;
    CHECK(a2->iss != first);
}

static void t_bulk_clean(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 81))
        return;
    CHECK(transfer(a, b, 4u << 20, false, 600000));
    CHECK(transfer(b, a, 4u << 20, false, 600000));
    CHECK(a->st.retransmits == 0 && b->st.retransmits == 0);
    CHECK(a->snd_wnd > 65535);      /* window scaling in use */
    CHECK(nif.stats.rx_dropped == 0);
}

static void t_bulk_faults(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 82))
        return;
    faults.loss_ppm = 50000;
    faults.dup_ppm = 10000;
    faults.corrupt_ppm = 5000;
    faults.delay_ms = 20;
    faults.jitter_ms = 10;
    CHECK(transfer(a, b, 1u << 20, true, 3600000));
    printf("    # A: retransmits %llu fast %llu rto %llu ooo %llu dupacks %llu; B: ooo %llu dup_data %llu; "
           "csum drops %llu\n",
           (unsigned long long)a->st.retransmits, (unsigned long long)a->st.fast_retransmits,
           (unsigned long long)a->st.rto_timeouts, (unsigned long long)a->st.ooo_segs,
           (unsigned long long)a->st.dup_acks, (unsigned long long)b->st.ooo_segs,
           (unsigned long long)b->st.dup_data, (unsigned long long)nif.stats.drop[DROP_TCP_BAD_CSUM]);
    CHECK(a->st.retransmits > 0 && b->st.retransmits > 0);
    CHECK(a->st.fast_retransmits > 0);
    CHECK(a->st.ooo_segs > 0 && b->st.ooo_segs > 0);
    CHECK(nif.stats.drop[DROP_TCP_BAD_CSUM] > 0);
}

static void t_half_close(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 83))
        return;
    CHECK(tcp_shutdown(a, false, true) == 0);
    run_ms(200);
    uint8_t buf[64];
    CHECK(tcp_recv(b, buf, sizeof buf) == 0);          /* EOF at B */
    CHECK(b->state == TCP_CLOSE_WAIT && a->state == TCP_FIN_WAIT_2);
    CHECK(tcp_send(a, "x", 1) == -EPIPE);
    CHECK(tcp_send(b, "still here", 10) == 10);       /* the other direction stays open */
    run_ms(200);
    CHECK(tcp_recv(a, buf, sizeof buf) == 10 && memcmp(buf, "still here", 10) == 0);
    CHECK(tcp_shutdown(b, false, true) == 0);
    run_ms(200);
    CHECK(a->state == TCP_TIME_WAIT && b->state == TCP_CLOSED);
    CHECK(tcp_recv(a, buf, sizeof buf) == 0);
    run_ms(tcp_config.msl2_ms + 100);
    CHECK(a->state == TCP_CLOSED);
}

static void t_half_close_data_kept(void)
{
    /* Data and FIN arrive after our own FIN: still readable in TIME_WAIT. */
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 84))
        return;
    tcp_shutdown(a, false, true);
    run_ms(100);
    tcp_send(b, "tail", 4);
    tcp_close(b);
    run_ms(200);
    CHECK(a->state == TCP_TIME_WAIT);
    uint8_t buf[8];
    CHECK(tcp_recv(a, buf, sizeof buf) == 4 && memcmp(buf, "tail", 4) == 0);
    CHECK(tcp_recv(a, buf, sizeof buf) == 0);
}

static void t_simultaneous_open(void)
{
    struct tcp_conn *a = tcp_open(), *b = tcp_open();
    CHECK(tcp_bind(a, A_IP, 5000) == 0 && tcp_bind(b, B_IP, 6000) == 0);
    faults.delay_ms = 5;        /* both SYNs are on the wire before either arrives */
    CHECK(tcp_connect(a, A_IP, B_IP, 6000) == 0);
    CHECK(tcp_connect(b, B_IP, A_IP, 5000) == 0);
    run_ms(100);
    CHECK(a->state == TCP_ESTABLISHED && b->state == TCP_ESTABLISHED);
    CHECK(transfer(a, b, 10000, true, 10000));
}

static void t_simultaneous_open_then_close(void)
{
    /* Both ends in SYN_RCVD; one shuts down writing before its SYN is
     * acknowledged: the FIN waits for that ACK and then goes out (FIN_WAIT_1),
     * and the other end reads end of stream. */
    struct tcp_conn *a = tcp_open(), *b = tcp_open();
    CHECK(tcp_bind(a, A_IP, 5001) == 0 && tcp_bind(b, B_IP, 6001) == 0);
    faults.delay_ms = 5;
    CHECK(tcp_connect(a, A_IP, B_IP, 6001) == 0);
    CHECK(tcp_connect(b, B_IP, A_IP, 5001) == 0);
    run_ms(7);
    CHECK(a->state == TCP_SYN_RCVD && b->state == TCP_SYN_RCVD);
    CHECK(tcp_shutdown(a, false, true) == 0);
    CHECK(a->state == TCP_SYN_RCVD);
    run_ms(100);
    CHECK(a->state == TCP_FIN_WAIT_2 && b->state == TCP_CLOSE_WAIT);
    uint8_t buf[8];
    CHECK(tcp_recv(b, buf, sizeof buf) == 0);
    tcp_close(b);
    run_ms(100);
    CHECK(a->state == TCP_TIME_WAIT);
    CHECK(tcp_recv(a, buf, sizeof buf) == 0);
}

static void t_simultaneous_close(void)
{
    struct tcp_conn *a, *b;
    faults.delay_ms = 5;
    if (!connect_pair(&a, &b, 85))
        return;
    tcp_shutdown(a, false, true);
    tcp_shutdown(b, false, true);
    CHECK(a->state == TCP_FIN_WAIT_1 && b->state == TCP_FIN_WAIT_1);
    run_ms(7);
    CHECK(a->state == TCP_CLOSING && b->state == TCP_CLOSING);
    run_ms(50);
    CHECK(a->state == TCP_TIME_WAIT && b->state == TCP_TIME_WAIT);
}

static void t_refused(void)
{
    struct tcp_conn *a = tcp_open();
    CHECK(tcp_connect(a, A_IP, B_IP, 9) == 0);
    run_ms(10);
    CHECK(a->state == TCP_CLOSED && tcp_take_error(a) == ECONNREFUSED);
    CHECK(nif.stats.drop[DROP_TCP_NO_PORT] == 1 && sent_rsts == 1);
}

static void t_blackhole_backoff(void)
{
    tcp_config.syn_retries = 4;
    faults.blackhole = true;
    struct tcp_conn *a = tcp_open();
    CHECK(tcp_connect(a, A_IP, B_IP, 80) == 0);
    run_ms(40000);
    CHECK(a->state == TCP_CLOSED && tcp_take_error(a) == ETIMEDOUT);
    CHECK(sent_syns == 5);
    /* RFC 6298 5.5: 1 s, then doubling. */
    for (int i = 1; i < 5 && i < sent_syns; i++)
        CHECK(syn_times[i] - syn_times[i - 1] == (1000u << (i - 1)));
}

/* A timestamp option (NOP NOP TS) as the peer of c would send it. */
static void ts_option(uint8_t o[12], const struct tcp_conn *c)
{
    o[0] = 1;
    o[1] = 1;
    o[2] = 8;
    o[3] = 10;
    net_put32(o + 4, c->ts_recent + 1);
    net_put32(o + 8, 0);
}

static void t_rst_checks(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 86))
        return;
    uint8_t seg[64], ts[12];
    /* In the window but not rcv_nxt: a challenge ACK, nothing resets (RFC 5961 3.2). */
    size_t n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt + 100, 0, 0x04, NULL, 0, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_ESTABLISHED && b->st.challenge_acks == 1);
    /* A SYN on an established connection: challenge ACK (4.2). */
    ts_option(ts, b);
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt + 5, 0, 0x02, ts, sizeof ts, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_ESTABLISHED && b->st.challenge_acks == 2);
    /* An ACK for data never sent (5.2), and one older than SND.UNA - MAX.SND.WND. */
    ts_option(ts, b);
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt, b->snd_max + 100000, 0x10, ts, sizeof ts, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_ESTABLISHED && b->st.challenge_acks == 3);
    ts_option(ts, b);
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt, b->snd_una - b->max_snd_wnd - 1, 0x10, ts, sizeof ts, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_ESTABLISHED && b->st.challenge_acks == 4 && nif.stats.drop[DROP_TCP_BAD_ACK] == 2);
    /* RFC 7323 3.2: timestamps were agreed, so a segment without one is dropped unanswered. */
    int before = sent_total;
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt, b->snd_max + 100000, 0x10, NULL, 0, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(nif.stats.drop[DROP_TCP_NO_TS] == 1 && b->st.challenge_acks == 4 && sent_total == before);
    /* RFC 5961 7: at most TCP_CHALLENGE_MAX challenge ACKs a second. */
    for (int i = 0; i < 2 * TCP_CHALLENGE_MAX; i++) {
        n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt + 100 + (uint32_t)i, 0, 0x04, NULL, 0, 0);
        deliver(A_IP, B_IP, seg, n);
    }
    CHECK(b->st.challenge_acks == TCP_CHALLENGE_MAX && nif.stats.drop[DROP_TCP_CHALLENGE_LIMIT] == TCP_CHALLENGE_MAX + 4);
    run_ms(1001);
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt + 100, 0, 0x04, NULL, 0, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->st.challenge_acks == TCP_CHALLENGE_MAX + 1);
    /* Outside the window: ignored. */
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt + 1000000, 0, 0x04, NULL, 0, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_ESTABLISHED);
    /* Exactly rcv_nxt: reset. */
    n = raw_segment(seg, A_IP, B_IP, a->lport, 86, b->rcv_nxt, 0, 0x04, NULL, 0, 0);
    deliver(A_IP, B_IP, seg, n);
    CHECK(b->state == TCP_CLOSED);
    uint8_t buf[4];
    CHECK(tcp_recv(b, buf, sizeof buf) == -ECONNRESET);
}

/* RFC 6298 5.7: a SYN that timed out leaves the connection with an RTO of 3 s. */
static void t_syn_timeout_rto(void)
{
    struct tcp_conn *l = listener(B_IP, 87, 4);
    faults.blackhole = true;
    struct tcp_conn *a = tcp_open();
    CHECK(tcp_connect(a, A_IP, B_IP, 87) == 0);
    run_ms(500);            /* the first SYN is lost, the second goes at 1 s */
    faults.blackhole = false;
    run_ms(1500);
    CHECK(a->state == TCP_ESTABLISHED && sent_syns == 2 && a->srtt == 0 && a->rto == 3000);
    tcp_close(l);
}

static void t_zero_window(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 87))
        return;
    static uint8_t buf[TCP_RX_BUF];
    memset(buf, 'z', sizeof buf);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        long k = tcp_send(a, buf, sizeof buf);
        if (k > 0)
            total += k;
        run_ms(500);
    }
    CHECK(a->snd_wnd == 0);
    run_ms(20000);
    CHECK(a->st.zero_window_probes >= 2 && a->state == TCP_ESTABLISHED);
    long got = 0;
    for (int i = 0; i < 20000 && got < total; i++) {
        long k = tcp_recv(b, buf, sizeof buf);
        if (k > 0)
            got += k;
        step();
    }
    CHECK(got == total && total > TCP_RX_BUF);
}

static void t_delayed_ack(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 88))
        return;
    faults.delay_ms = 1;
    uint32_t before = b->st.segs_out;
    tcp_send(a, "x", 1);
    run_ms(5);
    CHECK(b->st.segs_out == before);        /* not yet */
    run_ms(tcp_config.delack_ms + 5);
    CHECK(b->st.segs_out == before + 1);    /* the delayed ACK */
    CHECK(a->snd_una == a->snd_max);
}

static void t_syn_flood(void)
{
    struct tcp_conn *l = listener(B_IP, 80, 16);
    uint8_t seg[64];
    int before = (int)tcp_stats.conns_in_use;
    for (int i = 0; i < 10000; i++) {
        uint32_t src = 0xc6336400u | (uint32_t)(rng() % 200 + 10);
        size_t n = raw_segment(seg, src, B_IP, (uint16_t)(1024 + rng() % 60000), 80, (uint32_t)rng(), 0, 0x02,
                               NULL, 0, 0);
        deliver(src, B_IP, seg, n);
        CHECK((int)tcp_stats.conns_in_use <= before + 16);
        if (i % 100 == 0)
            step();
    }
    CHECK(tcp_stats.syn_evicted > 9000 && tcp_stats.bufs_in_use == 0);
    /* A real client still gets in. */
    struct tcp_conn *a = tcp_open();
    CHECK(tcp_connect(a, A_IP, B_IP, 80) == 0);
    struct tcp_conn *b = NULL;
    for (int i = 0; i < 5000 && !b; i++) {
        step();
        b = tcp_accept(l);
    }
    CHECK(b != NULL && a->state == TCP_ESTABLISHED);
    link_n = 0;     /* SYN-ACKs to the spoofed sources go nowhere */
    run_ms(120000);
    CHECK(l->n_embryonic == 0);
}

static void t_malformed(void)
{
    struct tcp_conn *l = listener(B_IP, 80, 4);
    (void)l;
    uint8_t seg[128];
    size_t n;
    /* data offset 4 words */
    n = raw_segment(seg, A_IP, B_IP, 1000, 80, 1, 0, 0x02, NULL, 0, 0);
    seg[12] = 0x40;
    deliver(A_IP, B_IP, seg, n);
    /* data offset past the end */
    n = raw_segment(seg, A_IP, B_IP, 1000, 80, 1, 0, 0x02, NULL, 0, 0);
    seg[12] = 0xf0;
    deliver(A_IP, B_IP, seg, n);
    CHECK(nif.stats.drop[DROP_TCP_BAD_OFFSET] == 2);
    /* checksum */
    n = raw_segment(seg, A_IP, B_IP, 1000, 80, 1, 0, 0x02, NULL, 0, 0);
    seg[16] ^= 0x55;
    deliver(A_IP, B_IP, seg, n);
    CHECK(nif.stats.drop[DROP_TCP_BAD_CSUM] == 1);
    /* options whose length lies */
    static const uint8_t lie1[4] = {2, 8, 5, 0xb4};     /* MSS claims 8 bytes in a 4-byte area */
    static const uint8_t lie2[4] = {3, 1, 0, 0};        /* length 1 */
    static const uint8_t lie3[4] = {8, 10, 0, 0};       /* timestamps: 10 in 4 */
    static const uint8_t lie4[4] = {1, 1, 1, 2};        /* kind 2 with no length byte */
    const uint8_t *lies[] = {lie1, lie2, lie3, lie4};
    for (int i = 0; i < 4; i++) {
        n = raw_segment(seg, A_IP, B_IP, 1000, 80, 1, 0, 0x02, lies[i], 4, 0);
        deliver(A_IP, B_IP, seg, n);
    }
    CHECK(nif.stats.drop[DROP_TCP_BAD_OPTION] == 4);
    /* flags nonsense */
    static const uint8_t bad_flags[] = {0x03, 0x06, 0x00, 0x01, 0x07, 0x20};
    for (size_t i = 0; i < sizeof bad_flags; i++) {
        n = raw_segment(seg, A_IP, B_IP, 1000, 80, 1, 0, bad_flags[i], NULL, 0, 0);
        deliver(A_IP, B_IP, seg, n);
    }
    CHECK(nif.stats.drop[DROP_TCP_BAD_FLAGS] == 6);
    /* too short */
    deliver(A_IP, B_IP, seg, 10);
    CHECK(nif.stats.drop[DROP_TCP_SHORT] == 1);
    CHECK(l->n_embryonic == 0 && sent_total == 0);
    /* 5000 random mutations of a valid SYN: never a crash (ASan watches), each dropped or answered. */
    for (int i = 0; i < 5000; i++) {
        static const uint8_t opts[12] = {2, 4, 5, 0xb4, 1, 3, 3, 7, 8, 10, 0, 0};
        uint8_t o[12];
        memcpy(o, opts, sizeof o);
        n = raw_segment(seg, A_IP, B_IP, (uint16_t)(2000 + i), 80, (uint32_t)rng(), 0, 0x02, o, 12, 0);
        int flips = 1 + (int)(rng() % 4);
        for (int k = 0; k < flips; k++)
            seg[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
        size_t len = rng() % 3 == 0 ? rng() % (n + 1) : n;
        deliver(A_IP, B_IP, seg, len);
    }
    CHECK(nif.stats.rx_dropped > 4000);
}

static void t_close_with_unread_data_resets(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 89))
        return;
    tcp_send(a, "unread", 6);
    run_ms(100);
    CHECK(b->rx_len == 6);
    int rsts = sent_rsts;
    tcp_close(b);
    run_ms(10);
    CHECK(sent_rsts == rsts + 1);
    CHECK(a->state == TCP_CLOSED && tcp_take_error(a) == ECONNRESET);
    CHECK(tcp_send(a, "x", 1) < 0);
}

static void t_reuseaddr_time_wait(void)
{
    struct tcp_conn *a, *b;
    if (!connect_pair(&a, &b, 90))
        return;
    tcp_close(b);           /* the server closes first: its side waits in TIME_WAIT */
    run_ms(50);
    tcp_close(a);
    run_ms(50);
    int tw = 0;
    struct tcp_conn *x = tcp_open();
    CHECK(tcp_bind(x, B_IP, 90) == -EADDRINUSE);
    x->reuseaddr = true;
    CHECK(tcp_bind(x, B_IP, 90) == 0);
    CHECK(tcp_listen(x, 4) == 0);
    (void)tw;
    run_ms(tcp_config.msl2_ms + 100);
    CHECK(tcp_stats.conns_in_use == 1);     /* TIME_WAIT ended and freed itself */
}

static void t_pools_return(void)
{
    /* 40 connections opened and closed: every control block and buffer back. */
    struct tcp_conn *l = listener(B_IP, 91, 64);
    for (int i = 0; i < 40; i++) {
        struct tcp_conn *a = tcp_open(), *b = NULL;
        tcp_connect(a, A_IP, B_IP, 91);
        for (int k = 0; k < 100 && !b; k++) {
            step();
            b = tcp_accept(l);
        }
        CHECK(b != NULL);
        if (!b)
            return;
        tcp_send(a, "ping", 4);
        run_ms(5);
        uint8_t buf[4];
        CHECK(tcp_recv(b, buf, 4) == 4);
        tcp_close(a);
        run_ms(5);
        tcp_close(b);
        run_ms(5);
    }
    run_ms(tcp_config.msl2_ms + 500);
    CHECK(tcp_stats.conns_in_use == 1 && tcp_stats.bufs_in_use == 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("KTAP version 1\n1..20\n");
    run("siphash_vectors", t_siphash_vectors);
    run("handshake_options", t_handshake_options);
    run("bulk_clean_4mib_each_way", t_bulk_clean);
    run("bulk_loss_reorder_dup_corrupt", t_bulk_faults);
    run("half_close", t_half_close);
    run("half_close_data_kept", t_half_close_data_kept);
    run("simultaneous_open", t_simultaneous_open);
    run("simultaneous_open_then_close", t_simultaneous_open_then_close);
    run("simultaneous_close", t_simultaneous_close);
    run("refused", t_refused);
    run("blackhole_backoff", t_blackhole_backoff);
    run("rfc5961_checks", t_rst_checks);
    run("syn_timeout_rto_3s", t_syn_timeout_rto);
    run("zero_window_probe", t_zero_window);
    run("delayed_ack", t_delayed_ack);
    run("syn_flood_bounded", t_syn_flood);
    run("malformed_dropped", t_malformed);
    run("close_unread_resets", t_close_with_unread_data_resets);
    run("reuseaddr_time_wait", t_reuseaddr_time_wait);
    run("pools_return", t_pools_return);
    return failures ? 1 : 0;
}
