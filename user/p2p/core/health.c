/* The network health monitor: see health.h for the detector and the lines
 * it prints. Each ping is one /ipfs/ping/1.0.0 stream, closed once answered
 * (or given up after timeout_ms: lost), and a peer never has two of ours at
 * once: js-libp2p 3.3 serves at most 2 inbound ping streams per connection
 * and aborts one after 10 s, so a long-lived stream would be reset under
 * it and a third (a user's `p2p ping`) refused. */
#include "core/health.h"
#include "core/node.h"

#define PING_LEN 32

struct hpeer {
    bool used;
    struct peerid id;
    char idstr[P2P_PEERID_STR];
    struct maddr addr; /* where it can be dialled (has_addr) */
    bool has_addr;
    struct conn *c;    /* the connection pings go over, NULL when none */
    struct stream *s;  /* our ping stream on c, until it has closed */
    uint64_t s_fin_ms; /* when we closed our side of s */
    enum health_state state;
    uint64_t srtt_us;
    bool has_rtt;
    uint32_t window;   /* last pings, bit 0 the newest: 1 = lost */
    unsigned wcount;
    uint64_t sent, lost;
    uint64_t last_answer_ms, next_ping_ms, last_dial_ms;
    bool ping_out, ping_queued;
    uint64_t ping_t0_ms, ping_t0_us;
    uint8_t payload[PING_LEN];
};

struct hstate {
    struct health_cfg cfg;
    struct hpeer peers[HEALTH_MAX_PEERS];
    uint64_t next_report_ms;
    char self[P2P_PEERID_STR];
};

static const char *const state_name[] = {"up", "suspect", "down"};

enum health_state health_judge(const struct health_cfg *cfg, uint64_t silent_ms, bool connected)
{
    if (!connected || silent_ms > cfg->down_ms)
        return HEALTH_DOWN;
    return silent_ms > cfg->suspect_ms ? HEALTH_SUSPECT : HEALTH_UP;
}

uint64_t health_srtt(uint64_t srtt_us, uint64_t sample_us, bool first)
{
    return first ? sample_us : srtt_us - srtt_us / 8 + sample_us / 8;
}

unsigned health_loss_pct(uint32_t window, unsigned count)
{
    if (count == 0)
        return 0;
    if (count > 32)
        count = 32;
    unsigned lost = 0;
    for (unsigned i = 0; i < count; i++)
        lost += (window >> i) & 1;
    return lost * 100 / count;
}

static struct hstate *hs_of(struct node *n)
{
    return node_state(n, &health_module);
}

static void peer_line(struct hstate *h, const struct hpeer *p, const char *event, uint64_t now)
{
    char rtt[24], addr[128];
    if (p->has_rtt)
        snprintf(rtt, sizeof rtt, "%lu", (unsigned long)p->srtt_us);
    else
        snprintf(rtt, sizeof rtt, "-");
    if (p->has_addr) {
        struct maddr m = p->addr;
        m.has_peer = false;
        maddr_str(&m, addr, sizeof addr);
    } else {
        snprintf(addr, sizeof addr, "-");
    }
    plat_log("p2p-health: %s self=%s peer=%s state=%s rtt_us=%s loss_pct=%u sent=%lu lost=%lu addr=%s t_ms=%lu silent_ms=%lu",
             event, h->self, p->idstr, state_name[p->state], rtt, health_loss_pct(p->window, p->wcount),
             (unsigned long)p->sent, (unsigned long)p->lost, addr, (unsigned long)now,
             (unsigned long)(now - p->last_answer_ms));
}

static void set_state(struct hstate *h, struct hpeer *p, enum health_state st, uint64_t now)
{
    if (p->state == st)
        return;
    p->state = st;
    peer_line(h, p, "change", now);
}

static void record(struct hpeer *p, bool lost)
{
    p->window = (p->window << 1) | (lost ? 1u : 0u);
    if (p->wcount < 32)
        p->wcount++;
    if (lost)
        p->lost++;
}

static struct hpeer *find(struct hstate *h, const struct peerid *id, bool add)
{
    struct hpeer *free_slot = NULL;
    for (int i = 0; i < HEALTH_MAX_PEERS; i++) {
        struct hpeer *p = &h->peers[i];
        if (p->used && peerid_eq(&p->id, id))
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
    }
    if (!add || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = true;
    free_slot->id = *id;
    peerid_str(id, free_slot->idstr);
    free_slot->state = HEALTH_DOWN; /* set_state(UP) prints its first line */
    return free_slot;
}

/* Another identified connection to p's peer, if any (the one pings use went away). */
static struct conn *other_conn(struct node *n, const struct hpeer *p, const struct conn *not)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (c != not && c->used && c->up && peerid_eq(&c->remote, &p->id))
            return c;
    }
    return NULL;
}

/* A connection to p's peer being set up (a dial in progress). */
static bool conn_pending(struct node *n, const struct hpeer *p)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (c->used && ((c->expect_peer && peerid_eq(&c->expected, &p->id)) || (c->phase >= PH_MSS_MUX && peerid_eq(&c->remote, &p->id))))
            return true;
    }
    return false;
}

static void ping_send(struct hpeer *p)
{
    buf_append(&p->s->tx, p->payload, PING_LEN);
    p->ping_queued = false;
}

static void hping_started(struct stream *s)
{
    struct hpeer *p = s->ctx;
    if (p && p->s == s && p->ping_queued)
        ping_send(p);
}

static void hping_input(struct stream *s)
{
    struct hpeer *p = s->ctx;
    if (!p || p->s != s) {
        buf_consume(&s->rx, buf_used(&s->rx));
        s->want_fin = true;
        return;
    }
    if (buf_used(&s->rx) >= PING_LEN && !s->want_fin) {
        /* Not what we sent: nothing learnt, the ping times out. */
        if (p->ping_out && memcmp(buf_data(&s->rx), p->payload, PING_LEN) == 0) {
            uint64_t rtt = plat_now_us() - p->ping_t0_us;
            p->srtt_us = health_srtt(p->srtt_us, rtt, !p->has_rtt);
            p->has_rtt = true;
            p->ping_out = false;
            p->last_answer_ms = plat_now_ms();
            record(p, false);
        }
        s->want_fin = true;
        p->s_fin_ms = plat_now_ms();
    }
    buf_consume(&s->rx, buf_used(&s->rx));
    if (s->fin_rcvd && !s->want_fin) {
        s->want_fin = true;
        p->s_fin_ms = plat_now_ms();
    }
}

static void hping_closed(struct stream *s)
{
    struct hpeer *p = s->ctx;
    if (p && p->s == s)
        p->s = NULL;
}

/* Outbound only: inbound pings are answered by the basic ping protocol, so
 * this definition is not listed among the module's protocols. */
static const struct proto_def health_ping = {PROTO_PING, hping_started, hping_input, hping_closed};

static void health_peer_up(struct conn *c)
{
    struct hstate *h = hs_of(c->node);
    if (!h || h->cfg.off)
        return;
    struct hpeer *p = find(h, &c->remote, true);
    if (!p)
        return;
    if (!p->c || !p->c->used)
        p->c = c;
    struct maddr m;
    if (c->dialer) {
        p->addr = (struct maddr){.ip = c->rip, .port = c->rport};
        p->has_addr = true;
    } else if (!p->has_addr) {
        /* An inbound connection: the first address its identify listed. */
        const char *l = c->info.listen;
        while (*l) {
            char one[128];
            size_t k = 0;
            while (l[k] && l[k] != ',' && k < sizeof one - 1) {
                one[k] = l[k];
                k++;
            }
            one[k] = 0;
            if (maddr_parse(&m, one) == 0 && m.ip != 0) {
                p->addr = m;
                p->has_addr = true;
                break;
            }
            l += k;
            if (*l == ',')
                l++;
        }
    }
    if (p->has_addr) {
        p->addr.has_peer = true;
        p->addr.peer = p->id;
    }
    uint64_t now = plat_now_ms();
    p->last_answer_ms = now; /* identify has just answered */
    p->next_ping_ms = now;
    set_state(h, p, HEALTH_UP, now);
}

static void health_peer_down(struct conn *c)
{
    struct hstate *h = hs_of(c->node);
    if (!h || h->cfg.off)
        return;
    struct hpeer *p = find(h, &c->remote, false);
    if (!p || p->c != c)
        return;
    p->c = other_conn(c->node, p, c);
    p->s = NULL;
    p->ping_out = false;
    p->ping_queued = false;
    if (!p->c)
        set_state(h, p, HEALTH_DOWN, plat_now_ms());
}

static void health_tick(struct node *n)
{
    struct hstate *h = hs_of(n);
    if (!h || h->cfg.off)
        return;
    uint64_t now = plat_now_ms();
    for (int i = 0; i < HEALTH_MAX_PEERS; i++) {
        struct hpeer *p = &h->peers[i];
        if (!p->used)
            continue;
        if (p->c && (!p->c->used || !p->c->up))
            p->c = NULL;
        if (p->c) {
            if (p->ping_out && now - p->ping_t0_ms > h->cfg.timeout_ms) {
                record(p, true);
                p->ping_out = false;
                if (p->s && !p->s->want_fin) {
                    p->s->want_fin = true;
                    p->s_fin_ms = now;
                }
            }
            /* A stream whose close the peer never answers is reset after a while. Only forgotten,
             * it stayed open on the peer's side beside the next one, and js-libp2p refused a user's
             * `p2p ping` as its third inbound ping stream (0 answered, under the slow sanitize build);
             * the RST reaches the peer before any stream opened later on this connection. */
            if (p->s && p->s->want_fin && now - p->s_fin_ms > 2 * (uint64_t)h->cfg.timeout_ms) {
                struct stream *s = p->s;
                s->ctx = NULL;
                p->s = NULL;
                node_stream_reset(s, R_stream_reset);
            }
            if (!p->ping_out && !p->s && now >= p->next_ping_ms) {
                if ((p->s = node_open_stream(p->c, &health_ping, NULL)))
                    p->s->ctx = p;
                if (p->s) {
                    plat_random(p->payload, PING_LEN);
                    p->ping_out = true;
                    p->ping_t0_ms = now;
                    p->ping_t0_us = plat_now_us();
                    p->sent++;
                    if (p->s->negotiated)
                        ping_send(p);
                    else
                        p->ping_queued = true;
                }
                p->next_ping_ms = now + h->cfg.period_ms;
            }
        }
        /* Any bytes from the peer prove it alive: pings queue behind bulk data on a busy connection. */
        if (p->c && p->c->rx_at_ms > p->last_answer_ms)
            p->last_answer_ms = p->c->rx_at_ms;
        enum health_state st = health_judge(&h->cfg, now - p->last_answer_ms, p->c != NULL);
        if (st != p->state) {
            set_state(h, p, st, now);
            if (st == HEALTH_DOWN && p->c) {
                /* The silence is the peer's, not one connection's: close every connection to it (two
                 * guests that dialled each other have two), so calls on the others end as peer gone
                 * instead of waiting on a dead link. */
                struct conn *c = p->c;
                p->c = NULL;
                p->s = NULL;
                do
                    node_close(c, R_local_close);
                while ((c = other_conn(n, p, NULL)));
            }
        }
        if (p->state == HEALTH_DOWN && !p->c && p->has_addr && now - p->last_dial_ms >= h->cfg.redial_ms && !conn_pending(n, p)) {
            p->last_dial_ms = now;
            node_dial(n, &p->addr);
        }
    }
    if (now >= h->next_report_ms) {
        for (int i = 0; i < HEALTH_MAX_PEERS; i++)
            if (h->peers[i].used)
                peer_line(h, &h->peers[i], "report", now);
        h->next_report_ms = now + h->cfg.report_ms;
    }
}

static void cmd_health(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc, (void)argv;
    struct hstate *h = hs_of(n);
    if (!h || h->cfg.off) {
        node_reply(n, ctl, "error the health monitor is off (health=off)");
        return;
    }
    uint64_t now = plat_now_ms();
    int count[3] = {0, 0, 0}, total = 0;
    for (int i = 0; i < HEALTH_MAX_PEERS; i++) {
        struct hpeer *p = &h->peers[i];
        if (!p->used)
            continue;
        char line[320], addr[128] = "-", rtt[24] = "-";
        if (p->has_addr) {
            struct maddr m = p->addr;
            m.has_peer = false;
            maddr_str(&m, addr, sizeof addr);
        }
        if (p->has_rtt)
            snprintf(rtt, sizeof rtt, "%lu", (unsigned long)p->srtt_us);
        snprintf(line, sizeof line, "peer %s state %s rtt_us %s loss_pct %u sent %lu lost %lu silent_ms %lu addr %s", p->idstr,
                 state_name[p->state], rtt, health_loss_pct(p->window, p->wcount), (unsigned long)p->sent,
                 (unsigned long)p->lost, (unsigned long)(now - p->last_answer_ms), addr);
        node_reply(n, ctl, line);
        peer_line(h, p, "table", now);
        count[p->state]++;
        total++;
    }
    char line[96];
    snprintf(line, sizeof line, "ok %d peers up %d suspect %d down %d", total, count[HEALTH_UP], count[HEALTH_SUSPECT], count[HEALTH_DOWN]);
    node_reply(n, ctl, line);
}

static int health_option(struct node *n, const char *key, const char *value)
{
    struct hstate *h = hs_of(n);
    if (strcmp(key, "health") == 0) {
        if (strcmp(value, "off") != 0 && strcmp(value, "on") != 0)
            return -1;
        h->cfg.off = strcmp(value, "off") == 0;
        return 1;
    }
    static const char *const keys[] = {"health_period", "health_timeout", "health_suspect", "health_down", "health_redial", "health_report"};
    uint32_t *fields[] = {&h->cfg.period_ms, &h->cfg.timeout_ms, &h->cfg.suspect_ms, &h->cfg.down_ms, &h->cfg.redial_ms, &h->cfg.report_ms};
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i]) != 0)
            continue;
        if (value[0] < '0' || value[0] > '9')
            return -1;
        long v = p2p_atol(value);
        if (v < 10 || v > 3600000)
            return -1;
        *fields[i] = (uint32_t)v;
        return 1;
    }
    return 0;
}

static void defaults(struct health_cfg *c)
{
    if (!c->period_ms) c->period_ms = 1000;
    if (!c->timeout_ms) c->timeout_ms = 2000;
    if (!c->suspect_ms) c->suspect_ms = 3000;
    if (!c->down_ms) c->down_ms = 6000;
    if (!c->redial_ms) c->redial_ms = 2000;
    if (!c->report_ms) c->report_ms = 10000;
}

static int health_start(struct node *n)
{
    struct hstate *h = hs_of(n);
    defaults(&h->cfg);
    if (h->cfg.suspect_ms >= h->cfg.down_ms) {
        plat_log("p2pd: health_suspect (%u ms) must be below health_down (%u ms)", h->cfg.suspect_ms, h->cfg.down_ms);
        return -1;
    }
    peerid_str(&n->id, h->self);
    h->next_report_ms = plat_now_ms() + h->cfg.report_ms;
    if (!h->cfg.off)
        plat_log("p2pd: health monitor: ping every %u ms, lost after %u ms, suspect after %u ms, down after %u ms silent, redial every %u ms",
                 h->cfg.period_ms, h->cfg.timeout_ms, h->cfg.suspect_ms, h->cfg.down_ms, h->cfg.redial_ms);
    return 0;
}

NODE_MODULE(health, sizeof(struct hstate), .cmds = NODE_CMDS({"health", 0, 0, "health", cmd_health}), .option = health_option,
            .start = health_start, .tick = health_tick, .peer_up = health_peer_up, .peer_down = health_peer_down);
