/* The libp2p stack inside one process, without TCP: nodes linked in memory
 * (node_link) run the whole upgrade (multistream-select, Noise XX with the
 * libp2p payload, yamux) and identify, ping and echo, then each kind of bad
 * input, checked by KTAP. Runs in the guest as /bin/p2p_selftest (phase-4
 * case p2p_selftest: kos to kos in ring 3) and on the host. The multiformats
 * pieces are checked against known encodings first. */
#include "p2p_base.h"
#include "ktap.h"
#include "plat.h"
#include "core/mss.h"
#include "core/multiformats.h"
#include "core/node.h"
#include "crypto/sha2.h"

static char replies[8192];

static void capture(struct node *n, int ctl, const char *line)
{
    (void)n;
    (void)ctl;
    size_t k = strlen(replies);
    snprintf(replies + k, sizeof replies - k, "%s\n", line);
}

static void make_node(struct node *n, const char *seed_text)
{
    uint8_t seed[32];
    sha256(seed_text, strlen(seed_text), seed);
    node_init_identity(n, seed);
    n->reply = capture;
}

/* Runs the linked nodes until done() or about ms of time passes. */
static bool run_until(struct node **nodes, int count, bool (*done)(void *), void *arg, unsigned ms)
{
    uint64_t until = plat_now_ms() + ms;
    for (;;) {
        node_run_links(nodes, count);
        for (int i = 0; i < count; i++)
            node_tick(nodes[i]);
        node_run_links(nodes, count);
        if (done(arg))
            return true;
        if (plat_now_ms() > until)
            return false;
    }
}

struct pair {
    struct node *a, *b;
};

static struct conn *conn_to(struct node *n, const struct peerid *id)
{
    for (int i = 0; i < NODE_MAX_CONNS; i++)
        if (n->conns[i].used && peerid_eq(&n->conns[i].remote, id) && n->conns[i].phase == PH_YAMUX)
            return &n->conns[i];
    return NULL;
}

static bool both_identified(void *arg)
{
    struct pair *p = arg;
    struct conn *ab = conn_to(p->a, &p->b->id), *ba = conn_to(p->b, &p->a->id);
    return ab && ba && ab->info.identified && ba->info.identified;
}

static bool reply_done(void *arg)
{
    (void)arg;
    return strstr(replies, "ok ") || strstr(replies, "error");
}

static int reason_of;
static uint64_t reason_base;
static struct node *reason_node;
static bool reason_counted(void *arg)
{
    (void)arg;
    return reason_node->reasons[reason_of] > reason_base;
}

/* A module plugged into node b (core/module.h): a stream protocol that
 * answers "hi?" with "hi!", a command, and counts of its peer events. */
#define PROTO_PROBE "/kos/selftest-probe/1.0.0"
struct probe_state { int up, down; };
static const struct node_module probe_module;

static void probe_input(struct stream *s)
{
    if (s->outbound) {
        if (!s->ctx) {
            buf_append(&s->tx, "hi?", 3);
            s->ctx = (void *)1;
        }
        if (buf_used(&s->rx) >= 3) {
            if (memcmp(buf_data(&s->rx), "hi!", 3) == 0)
                snprintf(replies, sizeof replies, "ok probe answered");
            buf_consume(&s->rx, buf_used(&s->rx));
            s->want_fin = true;
        }
        return;
    }
    if (buf_used(&s->rx) >= 3) {
        buf_append(&s->tx, memcmp(buf_data(&s->rx), "hi?", 3) == 0 ? "hi!" : "no!", 3);
        buf_consume(&s->rx, buf_used(&s->rx));
    }
    if (s->fin_rcvd)
        s->want_fin = true;
}

static void probe_up(struct conn *c) { ((struct probe_state *)node_state(c->node, &probe_module))->up++; }
static void probe_down(struct conn *c) { ((struct probe_state *)node_state(c->node, &probe_module))->down++; }
static void probe_cmd(struct node *n, int ctl, int argc, char **argv) { (void)argc, (void)argv; node_reply(n, ctl, "ok probe"); }

static const struct proto_def probe_proto = {PROTO_PROBE, NULL, probe_input, NULL};
static const struct proto_def *const probe_protos[] = {&probe_proto, NULL};
static const struct ctl_cmd probe_cmds[] = {{"probe", 0, 0, "probe", probe_cmd}, {0}};
static const struct node_module probe_module = {
    .name = "probe", .state_size = sizeof(struct probe_state), .protos = probe_protos, .cmds = probe_cmds,
    .peer_up = probe_up, .peer_down = probe_down,
};

/* Modules whose command or protocol clashes with probe's: refused. */
static const struct ctl_cmd probe_clash_cmds[] = {{"probe", 0, 0, "probe", probe_cmd}, {0}};
static const struct node_module probe_clash_module = {.name = "clash", .cmds = probe_clash_cmds};
static const struct node_module probe_clash_proto_module = {.name = "clash-proto", .protos = probe_protos};

static void test_multiformats(void)
{
    uint8_t b[16];
    uint64_t v;
    int n = uvarint_put(b, 300);
    ktap_ok(n == 2 && b[0] == 0xac && b[1] == 0x02, "varint_300_is_ac02");
    ktap_ok(uvarint_get((const uint8_t[]){0xac, 0x02}, 2, &v) == 2 && v == 300, "varint_decode_300");
    ktap_ok(uvarint_get((const uint8_t[]){0x80, 0x00}, 2, &v) == -1, "varint_rejects_non_minimal");
    static const uint8_t ten[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ktap_ok(uvarint_get(ten, sizeof ten, &v) == -1, "varint_rejects_more_than_9_bytes");
    ktap_ok(uvarint_get((const uint8_t[]){0x80}, 1, &v) == 0, "varint_waits_for_more");
    char s[64];
    base58_encode(s, sizeof s, (const uint8_t *)"Hello World!", 12);
    ktap_ok(strcmp(s, "2NEpo7TZRRrLZSi2U") == 0, "base58btc_hello_world");
    base58_encode(s, sizeof s, (const uint8_t[]){0, 0, 0x28, 0x7f, 0xb4, 0xcd}, 6);
    ktap_ok(strcmp(s, "11233QC4") == 0, "base58btc_leading_zeros");
    ktap_ok(base58_decode(b, sizeof b, "11233QC4") == 6 && b[0] == 0 && b[1] == 0 && b[2] == 0x28 && b[5] == 0xcd,
            "base58btc_decode");
    ktap_ok(base58_decode(b, sizeof b, "0OIl") == -1, "base58btc_rejects_0OIl");
    /* A PeerId: identity multihash of the protobuf key, 12D3KooW..., and back. */
    static struct node t; /* big: never on the stack */
    make_node(&t, "selftest-id");
    char id[P2P_PEERID_STR];
    peerid_str(&t.id, id);
    struct peerid back;
    ktap_ok(strncmp(id, "12D3KooW", 8) == 0 && strlen(id) == 52, "peerid_is_12D3KooW_52_chars");
    ktap_ok(peerid_parse(&back, id) == 0 && peerid_eq(&back, &t.id), "peerid_round_trip");
    struct maddr m;
    char text[160], ma[160];
    snprintf(text, sizeof text, "/ip4/198.51.100.2/tcp/4001/p2p/%s", id);
    ktap_ok(maddr_parse(&m, text) == 0 && m.ip == 0xc6336402 && m.port == 4001 && m.has_peer && peerid_eq(&m.peer, &t.id),
            "multiaddr_parse");
    maddr_str(&m, ma, sizeof ma);
    uint8_t bin[96];
    int bl = maddr_bytes(&m, bin, sizeof bin);
    struct maddr m2;
    ktap_ok(strcmp(ma, text) == 0 && bl == 1 + 4 + 1 + 2 + 2 + 1 + 38 && bin[0] == 0x04 && bin[5] == 0x06 &&
                bin[8] == 0xa5 && bin[9] == 0x03 && maddr_from_bytes(&m2, bin, (size_t)bl) == 0 && m2.port == 4001,
            "multiaddr_text_and_binary");
    ktap_ok(maddr_parse(&m, "/ip4/1.2.3/tcp/1") < 0 && maddr_parse(&m, "/ip4/1.2.3.4/udp/1") < 0 &&
                maddr_parse(&m, "/ip4/1.2.3.256/tcp/1") < 0,
            "multiaddr_rejects_malformed");
}

static void test_mss(void)
{
    /* A responder answering ls, an unknown protocol (na), then a known one. */
    static const char *const protos[] = {"/a/1", "/b/2", NULL};
    struct mss m;
    struct buf in = {0}, out = {0};
    mss_init(&m, false, NULL);
    mss_put(&in, "/multistream/1.0.0");
    mss_put(&in, "ls");
    mss_put(&in, "/c/3");
    mss_put(&in, "/b/2");
    buf_append(&in, "data", 4);
    int r = mss_step(&m, &in, &out, protos);
    struct buf want = {0};
    mss_put(&want, "/multistream/1.0.0");
    struct buf inner = {0};
    mss_put(&inner, "/a/1");
    mss_put(&inner, "/b/2");
    buf_append(&inner, "\n", 1);
    uint8_t v[4];
    buf_append(&want, v, (size_t)uvarint_put(v, buf_used(&inner)));
    buf_append(&want, buf_data(&inner), buf_used(&inner));
    mss_put(&want, "na");
    mss_put(&want, "/b/2");
    ktap_ok(r == MSS_DONE && strcmp(m.selected, "/b/2") == 0 && buf_used(&in) == 4 &&
                buf_used(&out) == buf_used(&want) && memcmp(buf_data(&out), buf_data(&want), buf_used(&want)) == 0,
            "mss_ls_na_select_and_leftover_data");
    buf_free(&in);
    buf_free(&out);
    mss_init(&m, false, NULL);
    buf_append(&in, "\x13/multistream/2.0.0\n", 20);
    ktap_ok(mss_step(&m, &in, &out, protos) == MSS_ERR_HEADER, "mss_rejects_wrong_header");
    buf_free(&in);
    mss_init(&m, false, NULL);
    buf_append(&in, "\x05/a/1X", 6);
    mss_put(&out, "x");
    ktap_ok(mss_step(&m, &in, &out, protos) == MSS_ERR_LINE, "mss_rejects_line_without_newline");
    buf_free(&in);
    buf_free(&out);
    /* Nothing received yet: the input buffer has no storage at all (the --sanitize
     * build's UBSan once caught buf_data adding its offset to NULL here). */
    mss_init(&m, true, "/a/1");
    ktap_ok(buf_data(&in) == NULL && mss_step(&m, &in, &out, protos) == MSS_MORE && buf_used(&out) > 0,
            "mss_waits_on_an_empty_buffer");
    buf_free(&out);
    buf_free(&want);
    buf_free(&inner);
}

int main(void)
{
    ktap_begin("p2p_selftest", 32);
    test_multiformats();
    test_mss();

    static struct node a, b, f;
    make_node(&a, "selftest-a");
    make_node(&b, "selftest-b");
    node_add_module(&b, &probe_module);
    node_add_module(&b, &probe_module); /* twice: a no-op */
    bool clash_refused = node_add_module(&b, &probe_clash_module) < 0 && node_add_module(&b, &probe_clash_proto_module) < 0;
    struct node *ab[2] = {&a, &b};
    struct pair p = {&a, &b};
    node_link(&a, &b, &b.id);
    bool up = run_until(ab, 2, both_identified, &p, 20000);
    ktap_ok(up, "noise_yamux_upgrade_and_identify_both_ways");
    struct conn *c = conn_to(&a, &b.id), *cb = conn_to(&b, &a.id);
    ktap_ok(up && c && strcmp(c->info.agent, NODE_AGENT) == 0 && strstr(c->info.protocols, PROTO_ECHO) &&
                strcmp(cb->info.protover, NODE_PROTOCOL_VERSION) == 0,
            "identify_agent_protocols_version");

    /* The module's protocol is listed in b's identify, served, and b's
     * module saw the connection come up once; its command is found. */
    struct probe_state *ps = node_state(&b, &probe_module);
    replies[0] = 0;
    struct stream *ps_s = c ? node_open_stream(c, &probe_proto, NULL) : NULL;
    bool probed = ps_s && run_until(ab, 2, reply_done, NULL, 20000) && strstr(replies, "probe answered");
    const struct ctl_cmd *pc = node_find_cmd(&b, "probe");
    ktap_ok(probed && strstr(c->info.protocols, PROTO_PROBE) && !strstr(cb->info.protocols, PROTO_PROBE) && ps &&
                ps->up == 1 && ps->down == 0 && b.nmods == 2 && pc && pc->run && !node_find_cmd(&a, "probe") && clash_refused,
            "module_protocol_listed_served_peer_up_once_clashes_refused");
    ktap_metric("noise_handshake_initiator_cycles", (unsigned long)a.hs_cycles_initiator, "cycles");
    ktap_metric("noise_handshake_responder_cycles", (unsigned long)b.hs_cycles_responder, "cycles");

    replies[0] = 0;
    struct op *op = calloc(1, sizeof *op);
    op->kind = OP_PING;
    op->pending = 1;
    struct stream *s = c ? node_open_stream(c, &proto_ping, op) : NULL;
    if (s)
        s->ping_left = 5;
    bool ok = s && run_until(ab, 2, reply_done, NULL, 20000) && strstr(replies, "ok 5 pings rtt_us");
    if (!ok)
        ktap_diag("ping: %s", replies);
    ktap_ok(ok, "ping_5_times");

    replies[0] = 0;
    op = calloc(1, sizeof *op);
    op->kind = OP_ECHO;
    for (int i = 0; c && i < 16; i++) {
        s = node_open_stream(c, &proto_echo, op);
        s->echo_total = 65536;
        s->echo_seed = (uint8_t)i;
        op->pending++;
    }
    uint64_t t0 = p2p_cycles();
    ok = c && run_until(ab, 2, reply_done, NULL, 60000) && strstr(replies, "ok echo 1048576 bytes verified");
    uint64_t t1 = p2p_cycles();
    if (!ok)
        ktap_diag("echo: %s", replies);
    ktap_ok(ok, "echo_16_streams_of_64k_verified");
    ktap_metric("echo_memory_1mib_cycles", (unsigned long)(t1 - t0), "cycles");

    /* Bad input: a node that misbehaves dials b; b closes that connection with
     * the reason counted and keeps its connection to a. */
    static const struct { enum node_fault fault; int reason; const char *name; } faults[] = {
        {FAULT_SIG, R_noise_bad_signature, "bad_identity_signature_closes_with_noise_bad_signature"},
        {FAULT_YAMUX_VERSION, R_yamux_bad_version, "yamux_bad_version_closes_connection"},
        {FAULT_YAMUX_TYPE, R_yamux_bad_type, "yamux_bad_type_closes_connection"},
        {FAULT_YAMUX_WINDOW, R_yamux_window, "yamux_window_violation_closes_connection"},
        {FAULT_YAMUX_STREAM, R_yamux_bad_stream, "yamux_wrong_stream_parity_closes_connection"},
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        char seed[32];
        snprintf(seed, sizeof seed, "selftest-fault-%d", (int)i);
        make_node(&f, seed);
        f.fault = faults[i].fault;
        struct node *fb[3] = {&f, &b, &a};
        reason_node = &b;
        reason_of = faults[i].reason;
        reason_base = b.reasons[reason_of];
        node_link(&f, &b, &b.id);
        ok = run_until(fb, 3, reason_counted, NULL, 20000) && b.reasons[reason_of] == reason_base + 1 && conn_to(&b, &a.id);
        ktap_ok(ok, faults[i].name);
        for (int k = 0; k < NODE_MAX_CONNS; k++)
            if (f.conns[k].used)
                node_close(&f.conns[k], R_local_close);
    }
    /* The dialler insists on a PeerId the listener cannot prove. */
    reason_node = &a;
    reason_of = R_noise_peer_mismatch;
    reason_base = a.reasons[reason_of];
    node_link(&a, &b, &a.id);
    ok = run_until(ab, 2, reason_counted, NULL, 20000) && conn_to(&a, &b.id);
    ktap_ok(ok, "peer_id_mismatch_refused_by_the_dialler");

    /* After all of it a and b still talk. */
    replies[0] = 0;
    op = calloc(1, sizeof *op);
    op->kind = OP_PING;
    op->pending = 1;
    s = c ? node_open_stream(c, &proto_ping, op) : NULL;
    if (s)
        s->ping_left = 1;
    ok = s && run_until(ab, 2, reply_done, NULL, 20000) && strstr(replies, "ok 1 pings");
    ktap_ok(ok, "connection_still_serves_after_bad_input");
    int downs = ps ? ps->down : -1;
    node_close(c, R_local_close);
    ktap_ok(!conn_to(&b, &a.id) && b.reasons[R_closed] >= 1, "close_reaches_the_other_side");
    ktap_ok(ps && ps->down == downs + 1, "module_peer_down_on_close");
    return ktap_done();
}
