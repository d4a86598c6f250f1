/* /proc/net/tcp: the TCP counters as text (kstat style, one record a
 * line, "key value" pairs):
 *
 *   totals active_opens N passive_opens N established N resets_sent N
 *          resets_received N syn_evicted N syn_dropped_no_mem N retransmits N
 *          timeouts N conns N bufs N
 *   conn A.B.C.D:P A.B.C.D:P STATE segs_in N segs_out N bytes_in N bytes_out N
 *        retransmits N rto_timeouts N fast_retransmits N dup_acks N ooo N
 *        dup_data N zero_window_probes N challenge_acks N paws N srtt_ms N
 *        rto_ms N cwnd N
 *   drop REASON N          each non-zero tcp_* drop counter (all interfaces)
 */
#include "net/tcp.h"
#include "net/tcp_proc.h"
#include "lib/printf.h"

struct out {
    char *buf;
    size_t n, off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->off >= o->n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = kvsnprintf(o->buf + o->off, o->n - o->off, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->off += (size_t)k;
    if (o->off > o->n - 1)
        o->off = o->n - 1;
}

static void conn_line(const struct tcp_conn *c, void *arg)
{
    struct out *o = arg;
    const struct tcp_conn_stats *s = &c->st;
    put(o, "conn %u.%u.%u.%u:%u %u.%u.%u.%u:%u %s", c->lip >> 24, (c->lip >> 16) & 255, (c->lip >> 8) & 255,
        c->lip & 255, c->lport, c->rip >> 24, (c->rip >> 16) & 255, (c->rip >> 8) & 255, c->rip & 255, c->rport,
        tcp_state_name(c->state));
    put(o, " segs_in %lu segs_out %lu bytes_in %lu bytes_out %lu retransmits %lu rto_timeouts %lu",
        s->segs_in, s->segs_out, s->bytes_in, s->bytes_out, s->retransmits, s->rto_timeouts);
    put(o, " fast_retransmits %lu dup_acks %lu ooo %lu dup_data %lu zero_window_probes %lu challenge_acks %lu",
        s->fast_retransmits, s->dup_acks, s->ooo_segs, s->dup_data, s->zero_window_probes, s->challenge_acks);
    put(o, " paws %lu srtt_ms %u rto_ms %u cwnd %u\n", s->paws_drops, c->srtt, c->rto, c->cwnd);
}

size_t tcp_proc_text(char *buf, size_t n)
{
    struct out o = {buf, n, 0};
    const struct tcp_stats *t = &tcp_stats;
    unsigned long f = net_lock();
    put(&o, "totals active_opens %lu passive_opens %lu established %lu resets_sent %lu resets_received %lu",
        t->active_opens, t->passive_opens, t->established, t->resets_sent, t->resets_received);
    put(&o, " syn_evicted %lu syn_dropped_no_mem %lu retransmits %lu timeouts %lu conns %lu bufs %lu\n",
        t->syn_evicted, t->syn_dropped_no_mem, t->retransmits, t->timeouts, t->conns_in_use, t->bufs_in_use);
    tcp_for_each(conn_line, &o);
    for (int r = DROP_TCP_SHORT; r <= DROP_TCP_OOO_FULL; r++) {
        uint64_t v = net_loopback_if.stats.drop[r] + (net_default_if ? net_default_if->stats.drop[r] : 0);
        if (v)
            put(&o, "drop %s %lu\n", net_drop_reason_name((enum net_drop_reason)r), v);
    }
    net_unlock(f);
    return o.off;
}
