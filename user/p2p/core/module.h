/* The one way to plug into a libp2p node: a module. Stream protocols,
 * control commands (the p2p client), per-turn work, extra sockets and peer
 * events of one feature live in one struct node_module, in the feature's own
 * file; p2pd lists its modules in MODULES[] (cmd/p2pd.c). The built-in
 * identify, ping and echo are the module `proto_basic` (core/proto.c),
 * which every node has. */
#pragma once
#include "plat.h"

struct node;
struct conn;
struct stream;

/* A command of the p2p client: `p2p NAME ARGS...`. Answer with node_reply
 * lines, the last one "ok ..." or "error ..."; a command may answer later
 * (keep ctl; ctl_gone says when its client left). */
struct ctl_cmd {
    const char *name;
    int min_args, max_args; /* words after the name */
    const char *usage;      /* e.g. "put KEY VALUE" */
    void (*run)(struct node *n, int ctl, int argc, char **argv); /* argv[0] is the name */
};

/* A stream protocol, served and spoken. input is called whenever the stream
 * may progress (bytes in s->rx, s->fin_rcvd, window, or a loop turn): it
 * consumes s->rx, writes s->tx and sets s->want_fin to close its side.
 * closed runs once, before the stream is freed (free s->ctx there). */
struct proto_def {
    const char *id; /* multistream-select id, e.g. "/ipfs/ping/1.0.0" */
    void (*started)(struct stream *s);
    void (*input)(struct stream *s);
    void (*closed)(struct stream *s);
};

struct node_module {
    const char *name;
    size_t state_size;                     /* calloc'd per node: node_state(n, &module) */
    const struct proto_def *const *protos; /* NULL-terminated or NULL; listed in identify */
    const struct ctl_cmd *cmds;            /* ends with {0}, or NULL */
    /* A p2pd word KEY=VALUE nobody else took: 1 taken, 0 not mine, <0 bad (p2pd exits 2). */
    int (*option)(struct node *n, const char *key, const char *value);
    int (*start)(struct node *n); /* after node_init, before the loop; <0: p2pd exits 1 */
    void (*tick)(struct node *n); /* every loop turn (at most ~50 ms apart) */
    /* Extra sockets: fill up to cap entries; ready gets the same entries back with revents. */
    int (*pollfds)(struct node *n, struct plat_pollfd *fds, int cap);
    void (*ready)(struct node *n, const struct plat_pollfd *fds, int count);
    void (*peer_up)(struct conn *c);   /* identify of c's peer has run (c->info is filled) */
    void (*peer_down)(struct conn *c); /* c is closing */
    void (*ctl_gone)(struct node *n, int ctl);
};

/* s's own state (s->ctx): size zeroed bytes, allocated on the first call.
 * NULL when out of memory; then s's input is dropped and its side closed. */
void *stream_ctx(struct stream *s, size_t size);

/* Defines NAME_module, named "NAME", with state_size bytes of state per node
 * (0: none), and the hooks it has as designated initializers; its protocols
 * and commands are given in place with NODE_PROTOS and NODE_CMDS, which add
 * the terminator:
 *     NODE_MODULE(job, sizeof(struct job_state),
 *                 .cmds = NODE_CMDS({"job", 2, 4, "job primes N", cmd_job}),
 *                 .start = job_start, .tick = job_tick);
 * (prefix it with static for a module private to one program). */
#define NODE_MODULE(NAME, STATE_SIZE, ...) \
    const struct node_module NAME##_module = {.name = #NAME, .state_size = (STATE_SIZE), __VA_ARGS__}
#define NODE_PROTOS(...) ((const struct proto_def *const[]){__VA_ARGS__, NULL})
#define NODE_CMDS(...) ((const struct ctl_cmd[]){__VA_ARGS__, {0}})

#define NODE_MAX_MODULES 16
#define NODE_MAX_PROTOS 32

/* Adds m to n (before the loop starts); -1 when the table is full, m's
 * state cannot be allocated, or one of m's commands or protocols is another
 * module's already. Adding a module twice is a no-op. */
int node_add_module(struct node *n, const struct node_module *m);
/* m's state on n (NULL when m was not added). */
void *node_state(struct node *n, const struct node_module *m);
/* One line to control client ctl (no newline). */
void node_reply(struct node *n, int ctl, const char *line);
/* The same, formatted (up to 1023 bytes). */
void node_replyf(struct node *n, int ctl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The command named argv[0] among n's modules, or NULL. */
const struct ctl_cmd *node_find_cmd(struct node *n, const char *name);
/* Starts every module; the first negative result. */
int node_start_modules(struct node *n);
/* Offers KEY=VALUE to every module: 1 taken, 0 nobody, <0 bad. */
int node_module_option(struct node *n, const char *key, const char *value);
/* The modules' extra sockets: node_module_pollfds fills fds, node_module_ready
 * hands each module its entries back (same fds array, same order). */
int node_module_pollfds(struct node *n, struct plat_pollfd *fds, int cap);
void node_module_ready(struct node *n, const struct plat_pollfd *fds);
