/* p2pd: the kos libp2p daemon. Listens on TCP (port=, default 4001), speaks
 * multistream-select + Noise + yamux with identify, ping and echo, and takes
 * commands from the p2p client on a loopback control port (ctl=, default
 * port+1, on 127.0.0.1; ctl_listen=A.B.C.D puts it elsewhere, for test
 * peers outside the guest). Words: port=N ctl=N listen=A.B.C.D seed=TEXT (the Ed25519 key is
 * SHA-256(TEXT), so runs replay; without it the key comes from the system's
 * random source); a `p2p.` prefix is accepted (p2p.port=...). fault=NAME
 * makes the node misbehave on the connections it dials (bad-input tests:
 * sig, yamux_version, yamux_type, yamux_window, yamux_stream). */
#include "p2p_base.h"
#include "plat.h"
#include "core/node.h"
#include "core/health.h"
#include "core/meminfo.h"
#include "core/mdns.h"
#include "core/kad.h"
#include "core/files.h"
#include "core/rpc.h"
#include "core/wasmrun.h"
#include "crypto/sha2.h"

#define MAX_CTL 8

struct ctl {
    bool used;
    int fd;
    struct buf in, out;
};

static struct node node;
static struct ctl ctls[MAX_CTL];
static int ctl_lfd = -1;
static bool quitting;

static void ctl_reply(struct node *n, int ci, const char *line)
{
    (void)n;
    if (ci < 0 || ci >= MAX_CTL || !ctls[ci].used)
        return;
    buf_append(&ctls[ci].out, line, strlen(line));
    buf_append(&ctls[ci].out, "\n", 1);
}

static void ctl_close(int ci)
{
    node_cancel_ops(&node, ci);
    plat_close(ctls[ci].fd);
    buf_free(&ctls[ci].in);
    buf_free(&ctls[ci].out);
    memset(&ctls[ci], 0, sizeof ctls[ci]);
}

static struct conn *conn_of(const char *peer)
{
    struct peerid id;
    if (peerid_parse(&id, peer) < 0)
        return NULL;
    return node_find_peer(&node, &id);
}

static void addr_line(int ci, const char *prefix, uint32_t ip, uint16_t port, const struct peerid *id)
{
    char line[256], ma[192];
    struct maddr m = {.ip = ip, .port = port, .has_peer = id != NULL};
    if (id)
        m.peer = *id;
    maddr_str(&m, ma, sizeof ma);
    snprintf(line, sizeof line, "%s%s", prefix, ma);
    ctl_reply(&node, ci, line);
}

static void cmd_stats(int ci)
{
    char line[1400];
    int k = snprintf(line, sizeof line, "stats conns_in=%lu conns_out=%lu handshakes=%lu hs_cycles_initiator=%lu hs_cycles_responder=%lu",
                     (unsigned long)node.conns_in, (unsigned long)node.conns_out, (unsigned long)node.handshakes,
                     (unsigned long)node.hs_cycles_initiator, (unsigned long)node.hs_cycles_responder);
    for (int r = 0; r < R_COUNT && k > 0 && (size_t)k < sizeof line; r++)
        if (node.reasons[r])
            k += snprintf(line + k, sizeof line - (size_t)k, " %s=%lu", node_reason_name[r], (unsigned long)node.reasons[r]);
    ctl_reply(&node, ci, line);
    ctl_reply(&node, ci, "ok");
}

static struct op *op_new(enum op_kind kind, int ci)
{
    struct op *op = calloc(1, sizeof *op);
    if (op) {
        op->kind = kind;
        op->ctl = ci;
    }
    return op;
}

static void cmd_id(struct node *n, int ci, int argc, char **argv)
{
    (void)argc, (void)argv;
    char id[P2P_PEERID_STR], buf[256];
    peerid_str(&n->id, id);
    snprintf(buf, sizeof buf, "id %s", id);
    ctl_reply(n, ci, buf);
    struct maddr m;
    node_listen_addr(n, NULL, &m);
    addr_line(ci, "addr ", m.ip, m.port, &n->id);
    snprintf(buf, sizeof buf, "agent %s", NODE_AGENT);
    ctl_reply(n, ci, buf);
    ctl_reply(n, ci, "ok");
}

static void cmd_peers(struct node *n, int ci, int argc, char **argv)
{
    (void)argc, (void)argv;
    char id[P2P_PEERID_STR], buf[256];
    int count = 0;
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used || c->phase != PH_YAMUX)
            continue;
        peerid_str(&c->remote, id);
        struct maddr m = {.ip = c->rip, .port = c->rport};
        char ma[64];
        maddr_str(&m, ma, sizeof ma);
        snprintf(buf, sizeof buf, "peer %s %s %s agent=%s", id, ma, c->dialer ? "out" : "in",
                 c->info.identified ? c->info.agent : "?");
        ctl_reply(n, ci, buf);
        count++;
    }
    snprintf(buf, sizeof buf, "ok %d peers", count);
    ctl_reply(n, ci, buf);
}

static void cmd_identify(struct node *n, int ci, int argc, char **argv)
{
    (void)argc;
    char buf[1024];
    struct conn *c = conn_of(argv[1]);
    if (!c || !c->info.identified) {
        ctl_reply(n, ci, "error not connected or not identified");
        return;
    }
    snprintf(buf, sizeof buf, "agent %s", c->info.agent); ctl_reply(n, ci, buf);
    snprintf(buf, sizeof buf, "protocol_version %s", c->info.protover); ctl_reply(n, ci, buf);
    snprintf(buf, sizeof buf, "protocols %s", c->info.protocols); ctl_reply(n, ci, buf);
    snprintf(buf, sizeof buf, "listen %s", c->info.listen); ctl_reply(n, ci, buf);
    snprintf(buf, sizeof buf, "observed %s", c->info.observed); ctl_reply(n, ci, buf);
    ctl_reply(n, ci, "ok");
}

static void cmd_dial(struct node *n, int ci, int argc, char **argv)
{
    (void)argc;
    char id[P2P_PEERID_STR], buf[256];
    struct maddr m;
    if (maddr_parse(&m, argv[1]) < 0) {
        ctl_reply(n, ci, "error bad multiaddr (expected /ip4/A.B.C.D/tcp/PORT[/p2p/ID])");
        return;
    }
    struct conn *c = m.has_peer ? node_find_peer(n, &m.peer) : NULL;
    if (c) {
        peerid_str(&c->remote, id);
        snprintf(buf, sizeof buf, "ok connected %s agent=%s", id, c->info.agent);
        ctl_reply(n, ci, buf);
        return;
    }
    c = node_dial(n, &m);
    if (!c) {
        ctl_reply(n, ci, "error cannot dial");
        return;
    }
    c->dial_op = op_new(OP_DIAL, ci);
}

static void cmd_ping(struct node *n, int ci, int argc, char **argv)
{
    struct conn *c = conn_of(argv[1]);
    int count = argc == 3 ? p2p_atol(argv[2]) : 1;
    if (!c || count < 1 || count > 10000) {
        ctl_reply(n, ci, "error not connected (or bad count)");
        return;
    }
    struct op *op = op_new(OP_PING, ci);
    struct stream *s = op ? node_open_stream(c, &proto_ping, op) : NULL;
    if (!s) {
        free(op);
        ctl_reply(n, ci, "error cannot open a stream");
        return;
    }
    op->pending = 1;
    s->ping_left = count;
}

static void cmd_echo(struct node *n, int ci, int argc, char **argv)
{
    (void)argc;
    struct conn *c = conn_of(argv[1]);
    int streams = p2p_atol(argv[2]);
    long size = p2p_atol(argv[3]);
    if (!c || streams < 1 || streams > NODE_MAX_STREAMS - 8 || size < 0 || size > (16L << 20)) {
        ctl_reply(n, ci, "error not connected (or bad stream count or size)");
        return;
    }
    struct op *op = op_new(OP_ECHO, ci);
    if (!op)
        return;
    for (int i = 0; i < streams; i++) {
        struct stream *s = node_open_stream(c, &proto_echo, op);
        if (!s)
            break;
        s->echo_total = (uint64_t)size;
        s->echo_seed = (uint8_t)i;
        op->pending++;
    }
    if (op->pending == 0) {
        free(op);
        ctl_reply(n, ci, "error cannot open streams");
    }
}

/* A figure measured outside (the test peer) onto the console, for kos bench. */
static void cmd_metric(struct node *n, int ci, int argc, char **argv)
{
    (void)argc;
    plat_log("# metric %s %s %s", argv[1], argv[2], argv[3]);
    ctl_reply(n, ci, "ok");
}

static void cmd_stats_run(struct node *n, int ci, int argc, char **argv)
{
    (void)n, (void)argc, (void)argv;
    cmd_stats(ci);
}

static void cmd_quit(struct node *n, int ci, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (n->handshakes_initiator)
        plat_log("# metric p2p_noise_handshake_initiator_cycles %lu cycles",
                 (unsigned long)(n->hs_cycles_initiator / n->handshakes_initiator));
    if (n->handshakes_responder)
        plat_log("# metric p2p_noise_handshake_responder_cycles %lu cycles",
                 (unsigned long)(n->hs_cycles_responder / n->handshakes_responder));
    ctl_reply(n, ci, "ok bye");
    quitting = true;
}

/* The daemon's own commands, a module like any other. */
static NODE_MODULE(daemon, 0, .cmds = NODE_CMDS({"id", 0, 0, "id", cmd_id},
                                     {"peers", 0, 0, "peers", cmd_peers},
                                     {"identify", 1, 1, "identify ID", cmd_identify},
                                     {"dial", 1, 1, "dial MADDR", cmd_dial},
                                     {"ping", 1, 2, "ping ID [N]", cmd_ping},
                                     {"echo", 3, 3, "echo ID STREAMS SIZE", cmd_echo},
                                     {"metric", 3, 3, "metric NAME VALUE UNIT", cmd_metric},
                                     {"stats", 0, 0, "stats", cmd_stats_run},
                                     {"quit", 0, 0, "quit", cmd_quit}));

/* Every module p2pd runs, in order (core/module.h): one line each. */
static const struct node_module *const MODULES[] = {
    &daemon_module,
    &health_module,
    &meminfo_module,
    &mdns_module,
    &kad_module,
    &files_module,
    &rpc_module,
    &wasm_module,
    &job_module,
    NULL,
};

static void ctl_usage(int ci, const char *why)
{
    char buf[1024];
    int k = snprintf(buf, sizeof buf, "error %s (", why);
    for (int i = 0; i < node.nmods && k > 0 && (size_t)k < sizeof buf; i++)
        for (const struct ctl_cmd *c = node.mods[i]->cmds; c && c->name && (size_t)k < sizeof buf; c++)
            k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%s", k > 0 && buf[k - 1] == '(' ? "" : ", ", c->usage);
    if (k > 0 && (size_t)k < sizeof buf - 1)
        snprintf(buf + k, sizeof buf - (size_t)k, ")");
    ctl_reply(&node, ci, buf);
}

#define CTL_MAX_WORDS 16

static void ctl_command(int ci, char *line)
{
    char *argv[CTL_MAX_WORDS];
    int argc = 0;
    bool too_many = false;
    for (char *p = line; *p;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        if (argc == CTL_MAX_WORDS) {
            too_many = true;
            break;
        }
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (argc == 0)
        return;
    const struct ctl_cmd *cmd = node_find_cmd(&node, argv[0]);
    if (!cmd)
        ctl_usage(ci, "unknown command");
    else if (too_many || argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
        char buf[160];
        snprintf(buf, sizeof buf, "error usage: %s", cmd->usage);
        ctl_reply(&node, ci, buf);
    } else
        cmd->run(&node, ci, argc, argv);
}

static void ctl_input(int ci)
{
    struct ctl *t = &ctls[ci];
    uint8_t *d = buf_reserve(&t->in, 1024);
    long k = d ? plat_recv(t->fd, d, 1024) : -1;
    if (k == -PLAT_EAGAIN)
        return;
    if (k <= 0 || buf_used(&t->in) > 4096) {
        ctl_close(ci);
        return;
    }
    t->in.len += (size_t)k;
    for (;;) {
        const uint8_t *p = buf_data(&t->in);
        size_t n = buf_used(&t->in), i = 0;
        while (i < n && p[i] != '\n')
            i++;
        if (i == n)
            break;
        char line[1024];
        size_t len = i < sizeof line - 1 ? i : sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        if (len && line[len - 1] == '\r')
            line[len - 1] = 0;
        buf_consume(&t->in, i + 1);
        ctl_command(ci, line);
    }
}

static void ctl_flush(int ci)
{
    struct ctl *t = &ctls[ci];
    while (t->used && buf_used(&t->out) > 0) {
        long k = plat_send(t->fd, buf_data(&t->out), buf_used(&t->out));
        if (k == -PLAT_EAGAIN)
            return;
        if (k <= 0) {
            ctl_close(ci);
            return;
        }
        buf_consume(&t->out, (size_t)k);
    }
}

static const char *arg_value(const char *arg, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(arg, "p2p.", 4) == 0)
        arg += 4;
    return strncmp(arg, key, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_ip(const char *s, uint32_t *ip)
{
    struct maddr m;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/ip4/%s/tcp/0", s);
    if (maddr_parse(&m, tmp) < 0)
        return -1;
    *ip = m.ip;
    return 0;
}

int main(int argc, char **argv)
{
    long port = 4001, ctl_port = -1;
    uint32_t ip = 0, ctl_ip = 0x7f000001;
    const char *seed_text = NULL;
    int fault = 0;
    static const char *module_args[64];
    int nmodule_args = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = arg_value(argv[i], "port")))
            port = p2p_atol(v);
        else if ((v = arg_value(argv[i], "ctl")))
            ctl_port = p2p_atol(v);
        else if ((v = arg_value(argv[i], "ctl_listen"))) {
            if (parse_ip(v, &ctl_ip) < 0) {
                plat_log("p2pd: bad ctl_listen address %s", v);
                return 2;
            }
        }
        else if ((v = arg_value(argv[i], "seed")))
            seed_text = v;
        else if ((v = arg_value(argv[i], "fault"))) {
            static const char *const faults[] = {"none", "sig", "yamux_version", "yamux_type", "yamux_window", "yamux_stream", NULL};
            int f = 0;
            while (faults[f] && strcmp(faults[f], v) != 0)
                f++;
            if (!faults[f]) {
                plat_log("p2pd: unknown fault %s (sig yamux_version yamux_type yamux_window yamux_stream)", v);
                return 2;
            }
            fault = f;
        }
        else if ((v = arg_value(argv[i], "listen"))) {
            if (parse_ip(v, &ip) < 0) {
                plat_log("p2pd: bad listen address %s", v);
                return 2;
            }
        } else if (nmodule_args < 64) {
            module_args[nmodule_args++] = argv[i]; /* a module's, once they are added */
        } else {
            plat_log("p2pd: too many arguments");
            return 2;
        }
    }
    if (port < 0 || port > 65535 || ctl_port > 65535) {
        plat_log("p2pd: port out of range");
        return 2;
    }
    uint8_t seed[32];
    if (seed_text)
        sha256(seed_text, strlen(seed_text), seed);
    else if (plat_random(seed, sizeof seed) < 0) {
        plat_log("p2pd: no random source");
        return 1;
    }
    int r = node_init(&node, seed, ip, (uint16_t)port);
    p2p_wipe(seed, sizeof seed);
    if (r < 0) {
        plat_log("p2pd: cannot listen on port %ld (error %d)", port, r);
        return 1;
    }
    node.reply = ctl_reply;
    node.fault = (enum node_fault)fault;
    for (int i = 0; MODULES[i]; i++)
        if (node_add_module(&node, MODULES[i]) < 0) {
            plat_log("p2pd: cannot add module %s", MODULES[i]->name);
            return 1;
        }
    for (int i = 0; i < nmodule_args; i++) {
        char key[64];
        const char *a = module_args[i], *eq = strchr(a, '=');
        if (strncmp(a, "p2p.", 4) == 0)
            a += 4;
        size_t klen = eq && eq > a ? (size_t)(eq - a) : 0;
        int took = klen && klen < sizeof key ? (memcpy(key, a, klen), key[klen] = 0, node_module_option(&node, key, eq + 1)) : 0;
        if (took == 0) {
            plat_log("p2pd: unknown argument %s (port= ctl= ctl_listen= listen= seed= fault=, or a module's)", module_args[i]);
            return 2;
        }
        if (took < 0) {
            plat_log("p2pd: bad value in %s", module_args[i]);
            return 2;
        }
    }
    if (node_start_modules(&node) < 0)
        return 1;
    if (ctl_port < 0)
        ctl_port = port == 0 ? 0 : port + 1;
    ctl_lfd = plat_tcp_listen(ctl_ip, (uint16_t)ctl_port);
    uint32_t cip;
    uint16_t cport = (uint16_t)ctl_port;
    if (ctl_lfd < 0) {
        plat_log("p2pd: cannot listen on control port %ld (error %d)", ctl_port, ctl_lfd);
        return 1;
    }
    plat_sock_name(ctl_lfd, &cip, &cport);
    char id[P2P_PEERID_STR];
    peerid_str(&node.id, id);
    plat_log("p2pd: ready peer %s port %u ctl %u agent %s", id, node.port, cport, NODE_AGENT);

#define MODULE_FDS 16
    static struct plat_pollfd fds[2 + MAX_CTL + NODE_MAX_CONNS + MODULE_FDS];
    static int map[NODE_MAX_CONNS];
    int ctl_map[MAX_CTL];
    while (!quitting) {
        int k = 0;
        fds[k++] = (struct plat_pollfd){node.lfd, PLAT_POLLIN, 0};
        fds[k++] = (struct plat_pollfd){ctl_lfd, PLAT_POLLIN, 0};
        int nctl = 0;
        for (int i = 0; i < MAX_CTL; i++) {
            if (!ctls[i].used)
                continue;
            fds[k++] = (struct plat_pollfd){ctls[i].fd, (short)(PLAT_POLLIN | (buf_used(&ctls[i].out) ? PLAT_POLLOUT : 0)), 0};
            ctl_map[nctl++] = i;
        }
        int base = k;
        int nconn = node_pollfds(&node, fds + base, NODE_MAX_CONNS, map);
        int mbase = base + nconn;
        k = mbase + node_module_pollfds(&node, fds + mbase, MODULE_FDS);
        int pr = plat_poll(fds, k, 50);
        if (pr < 0) {
            plat_log("p2pd: poll failed (%d)", pr);
            return 1;
        }
        if (fds[0].revents)
            node_accept(&node);
        if (fds[1].revents) {
            uint32_t aip;
            uint16_t aport;
            int fd = plat_tcp_accept(ctl_lfd, &aip, &aport);
            if (fd >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_CTL; i++)
                    if (!ctls[i].used)
                        slot = i;
                if (slot < 0)
                    plat_close(fd);
                else {
                    ctls[slot].used = true;
                    ctls[slot].fd = fd;
                }
            }
        }
        for (int i = 0; i < nctl; i++)
            if (fds[2 + i].revents & (PLAT_POLLIN | PLAT_POLLHUP | PLAT_POLLERR))
                ctl_input(ctl_map[i]);
        for (int i = base; i < mbase; i++)
            if (fds[i].revents)
                node_ready(&node, map[i - base], fds[i].revents);
        node_module_ready(&node, fds + mbase);
        node_tick(&node);
        for (int i = 0; i < MAX_CTL; i++)
            if (ctls[i].used)
                ctl_flush(i);
    }
    for (int i = 0; i < MAX_CTL; i++)
        if (ctls[i].used)
            ctl_flush(i);
    for (int i = 0; i < NODE_MAX_CONNS; i++)
        if (node.conns[i].used)
            node_close(&node.conns[i], R_local_close);
    plat_log("p2pd: exiting");
    return 0;
}
