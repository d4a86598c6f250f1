/* /kos/rpc/1.0.0: request/response calls between peers (rpc.h), and the
 * outbound-call layer shared with /kos/wasm/1.0.0 (wasmrun.c) and the
 * distributed job (job.c). */
#include "core/rpc.h"
#include "core/wasmrun.h"

#define DEFAULT_DEADLINE_MS 10000
#define MAX_DEADLINE_MS 600000
#define MAX_GATHER 64

struct call {
    struct call *next;
    struct stream *s;
    uint8_t *frame;
    size_t len;
    uint64_t deadline_at;
    call_done_fn done;
    void *arg;
    bool finished;
};

struct rpc_state {
    struct rpc_counters cnt;
    struct call *calls;
};

static struct rpc_state *state(struct node *n) { return node_state(n, &rpc_module); }

struct rpc_counters *rpc_counters(struct node *n) { return &state(n)->cnt; }

void rpc_stats_text(struct node *n, char *out, size_t cap)
{
    const struct rpc_counters *c = rpc_counters(n);
    size_t k = 0;
    out[0] = 0;
#define X(name) \
    if (k < cap) \
        k += (size_t)snprintf(out + k, cap - k, "%s" #name "=%lu", k ? " " : "", (unsigned long)c->name);
    RPC_COUNTERS(X)
#undef X
}

const char *call_end_text(enum call_end e)
{
    switch (e) {
    case CALL_ANSWERED: return "answered";
    case CALL_TIMEOUT: return "timeout";
    case CALL_GONE: return "peer gone";
    default: return "bad answer";
    }
}

struct conn *rpc_peer(struct node *n, const char *text)
{
    struct peerid id;
    return peerid_parse(&id, text) < 0 ? NULL : node_find_peer(n, &id);
}

/* ---------- outbound calls ---------- */

struct stream *call_open(struct conn *c, const struct proto_def *p, uint8_t *frame, size_t len, uint64_t deadline_ms,
                         call_done_fn done, void *arg)
{
    struct node *n = c->node;
    struct call *k = calloc(1, sizeof *k);
    struct stream *s = k ? node_open_stream(c, p, NULL) : NULL;
    if (!s) {
        free(k);
        free(frame);
        return NULL;
    }
    k->s = s;
    k->frame = frame;
    k->len = len;
    k->deadline_at = plat_now_ms() + deadline_ms;
    k->done = done;
    k->arg = arg;
    k->next = state(n)->calls;
    state(n)->calls = k;
    s->ctx = k;
    state(n)->cnt.calls++;
    return s;
}

/* The request goes out once the protocol is agreed (never on a refused one). */
void call_proto_started(struct stream *s)
{
    struct call *k = s->ctx;
    if (!s->outbound || !k)
        return;
    buf_append(&s->tx, k->frame, k->len);
    s->want_fin = true;
}

static void call_finish(struct node *n, struct call *k, enum call_end end, const struct rpc_response *r)
{
    if (k->finished)
        return;
    k->finished = true;
    struct rpc_counters *c = &state(n)->cnt;
    if (end == CALL_ANSWERED)
        (*(r->status == RPC_OK ? &c->answered : &c->remote_errors))++;
    else if (end == CALL_TIMEOUT)
        c->timeouts++;
    else if (end == CALL_GONE)
        c->peer_gone++;
    else
        c->bad_answers++;
    if (k->done)
        k->done(n, k->arg, end, r);
}

void call_input(struct stream *s)
{
    struct call *k = s->ctx;
    struct node *n = s->c->node;
    if (!k || k->finished) {
        buf_consume(&s->rx, buf_used(&s->rx));
        return;
    }
    const uint8_t *body;
    size_t len, used;
    int r = rpc_frame_get(buf_data(&s->rx), buf_used(&s->rx), RPC_MAX_RESPONSE + 2 * RPC_TEXT_MAX, &body, &len, &used);
    if (r == 0 && !s->fin_rcvd)
        return;
    struct rpc_response *resp = r == 1 ? malloc(sizeof *resp) : NULL;
    if (resp && rpc_response_decode(body, len, resp) == 0 && resp->status == RPC_DEADLINE)
        call_finish(n, k, CALL_TIMEOUT, NULL); /* the callee saw the deadline pass first */
    else if (resp && rpc_response_decode(body, len, resp) == 0)
        call_finish(n, k, CALL_ANSWERED, resp);
    else
        call_finish(n, k, r == 0 ? CALL_GONE : CALL_BAD_ANSWER, NULL);
    free(resp);
    buf_consume(&s->rx, buf_used(&s->rx));
}

void call_proto_closed(struct stream *s)
{
    struct call *k = s->ctx;
    if (!s->outbound) {
        free(k); /* the server's state */
        s->ctx = NULL;
        return;
    }
    if (!k)
        return;
    struct node *n = s->c->node;
    call_finish(n, k, CALL_GONE, NULL);
    for (struct call **p = &state(n)->calls; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    free(k->frame);
    free(k);
    s->ctx = NULL;
}

void call_forget(struct node *n, void *arg)
{
    for (struct call *k = state(n)->calls; k; k = k->next)
        if (k->arg == arg)
            k->done = NULL;
}

/* Calls past their deadline end as timeouts and their streams are reset. */
static void calls_tick(struct node *n)
{
    uint64_t now = plat_now_ms();
    struct call *next;
    for (struct call *k = state(n)->calls; k; k = next) {
        next = k->next;
        if (!k->finished && now >= k->deadline_at) {
            call_finish(n, k, CALL_TIMEOUT, NULL);
            node_stream_reset(k->s, R_stream_reset); /* frees k (call_proto_closed) */
        }
    }
}

void call_reply_error(struct node *n, int ctl, enum call_end end, const struct rpc_response *r, uint64_t deadline_ms)
{
    char line[RPC_TEXT_MAX + 96];
    if (end == CALL_TIMEOUT)
        snprintf(line, sizeof line, "error timeout after %lu ms", (unsigned long)deadline_ms);
    else if (end != CALL_ANSWERED)
        snprintf(line, sizeof line, "error %s", call_end_text(end));
    else if (r->status == RPC_UNKNOWN_METHOD || r->status == RPC_NO_EXPORT || r->status == RPC_TRAP)
        snprintf(line, sizeof line, "error %s %s", rpc_status_text(r->status), r->error);
    else if (r->status == RPC_BAD_ARGS || r->status == RPC_INVALID_MODULE || r->status == RPC_MEMORY_LIMIT)
        snprintf(line, sizeof line, "error %s: %s", rpc_status_text(r->status), r->error);
    else
        snprintf(line, sizeof line, "error remote: %s%s%s", rpc_status_text(r->status), r->error[0] ? ": " : "", r->error);
    node_reply(n, ctl, line);
}

/* ---------- served calls ---------- */

enum srv_wait { WAIT_NONE, WAIT_SLEEP, WAIT_GATHER };

struct srv {
    bool answered;
    enum srv_wait wait;
    uint64_t wake_at, deadline_at, id, ms;
    int gather_k;
    bool released;
};

static void srv_answer(struct stream *s, uint32_t status, const char *result, const char *error)
{
    struct srv *v = s->ctx;
    struct rpc_response *r = calloc(1, sizeof *r);
    uint8_t *out = malloc(RPC_MAX_RESPONSE + 2 * RPC_TEXT_MAX);
    if (r && out) {
        r->status = status;
        r->id = v->id;
        snprintf(r->result, sizeof r->result, "%s", result ? result : "");
        snprintf(r->error, sizeof r->error, "%s", error ? error : "");
        size_t len = rpc_response_encode(out, RPC_MAX_RESPONSE + 2 * RPC_TEXT_MAX, r);
        buf_append(&s->tx, out, len);
    }
    free(r);
    free(out);
    v->answered = true;
    s->want_fin = true;
}

/* The served rpc streams of n waiting in gather. */
static int gather_pending(struct node *n, bool release)
{
    int count = 0;
    for (int i = 0; i < NODE_MAX_CONNS; i++) {
        struct conn *c = &n->conns[i];
        for (int j = 0; c->used && j < c->nstreams; j++) {
            struct stream *s = c->streams[j];
            struct srv *v = s->def == &proto_rpc && !s->outbound ? s->ctx : NULL;
            if (v && !v->answered && v->wait == WAIT_GATHER) {
                count++;
                if (release)
                    v->released = true;
            }
        }
    }
    return count;
}

/* A method: fills out (a result, or the reason of an error) and returns a
 * status; a method that answers later sets v->wait and returns -1. */
struct rpc_method {
    const char *name;
    int min_args, max_args;
    int (*run)(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap);
};

static int m_echo(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)v;
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < argc && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? " " : "", argv[i]);
    return RPC_OK;
}

static int m_add(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)v;
    int64_t sum = 0, x;
    for (int i = 0; i < argc; i++) {
        if (rpc_parse_i64(argv[i], &x) < 0) {
            snprintf(out, cap, "not a 64-bit integer: %s", argv[i]); /* out holds any argument */
            return RPC_BAD_ARGS;
        }
        if (__builtin_add_overflow(sum, x, &sum)) {
            snprintf(out, cap, "the sum overflows 64 bits");
            return RPC_BAD_ARGS;
        }
    }
    snprintf(out, cap, "%ld", (long)sum);
    return RPC_OK;
}

static int m_time(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)v, (void)argc, (void)argv;
    snprintf(out, cap, "time_ms %lu", (unsigned long)plat_now_ms());
    return RPC_OK;
}

static int m_id(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)v, (void)argc, (void)argv;
    char id[P2P_PEERID_STR];
    peerid_str(&s->c->node->id, id);
    snprintf(out, cap, "%s", id);
    return RPC_OK;
}

static int m_peers(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)v, (void)argc, (void)argv;
    struct node *n = s->c->node;
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < NODE_MAX_CONNS && k < cap; i++) {
        struct conn *c = &n->conns[i];
        if (!c->used || c->phase != PH_YAMUX)
            continue;
        char id[P2P_PEERID_STR];
        peerid_str(&c->remote, id);
        k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? " " : "", id);
    }
    return RPC_OK;
}

static int m_sleep(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)argc;
    int64_t ms;
    if (rpc_parse_i64(argv[0], &ms) < 0 || ms < 0 || ms > MAX_DEADLINE_MS) {
        snprintf(out, cap, "sleep takes 0..%d ms", MAX_DEADLINE_MS);
        return RPC_BAD_ARGS;
    }
    v->wait = WAIT_SLEEP;
    v->ms = (uint64_t)ms;
    v->wake_at = plat_now_ms() + (uint64_t)ms;
    return -1;
}

static int m_gather(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)argc;
    int64_t k;
    if (rpc_parse_i64(argv[0], &k) < 0 || k < 1 || k > MAX_GATHER) {
        snprintf(out, cap, "gather takes 1..%d", MAX_GATHER);
        return RPC_BAD_ARGS;
    }
    v->wait = WAIT_GATHER;
    v->gather_k = (int)k;
    return -1;
}

static int m_stats(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)v, (void)argc, (void)argv;
    rpc_stats_text(s->c->node, out, cap);
    return RPC_OK;
}

static int m_methods(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap);

static const struct rpc_method METHODS[] = {
    {"echo", 0, RPC_MAX_ARGS, m_echo},
    {"add", 1, RPC_MAX_ARGS, m_add},
    {"time", 0, 0, m_time},
    {"id", 0, 0, m_id},
    {"peers", 0, 0, m_peers},
    {"sleep", 1, 1, m_sleep},
    {"gather", 1, 1, m_gather},
    {"stats", 0, 0, m_stats},
    {"methods", 0, 0, m_methods},
    {0},
};

static int m_methods(struct stream *s, struct srv *v, int argc, char **argv, char *out, size_t cap)
{
    (void)s, (void)v, (void)argc, (void)argv;
    size_t k = 0;
    for (const struct rpc_method *m = METHODS; m->name && k < cap; m++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? " " : "", m->name);
    return RPC_OK;
}

static void srv_request(struct stream *s, struct srv *v, const uint8_t *body, size_t len)
{
    struct rpc_counters *cnt = rpc_counters(s->c->node);
    struct rpc_request *rq = malloc(sizeof *rq);
    char *out = malloc(RPC_MAX_RESPONSE);
    if (!rq || !out) {
        srv_answer(s, RPC_INTERNAL, NULL, "out of memory");
    } else if (rpc_request_decode(body, len, rq) < 0) {
        cnt->malformed++;
        srv_answer(s, RPC_MALFORMED, NULL, "not a well-formed RpcRequest");
    } else {
        cnt->served++;
        v->id = rq->id;
        uint64_t dl = rq->deadline_ms ? rq->deadline_ms : DEFAULT_DEADLINE_MS;
        /* A second more than the caller waits: the caller's own timeout is what it reports. */
        v->deadline_at = plat_now_ms() + (dl < MAX_DEADLINE_MS ? dl : MAX_DEADLINE_MS) + 1000;
        const struct rpc_method *m = METHODS;
        while (m->name && strcmp(m->name, rq->method) != 0)
            m++;
        out[0] = 0;
        if (!m->name) {
            cnt->unknown_method++;
            srv_answer(s, RPC_UNKNOWN_METHOD, NULL, rq->method);
        } else if (rq->nargs < m->min_args || rq->nargs > m->max_args) {
            cnt->bad_args++;
            snprintf(out, RPC_MAX_RESPONSE, "%s takes %d..%d arguments, got %d", m->name, m->min_args, m->max_args,
                     rq->nargs);
            srv_answer(s, RPC_BAD_ARGS, NULL, out);
        } else {
            int st = m->run(s, v, rq->nargs, rq->argv, out, RPC_MAX_RESPONSE);
            if (st == RPC_BAD_ARGS)
                cnt->bad_args++;
            if (st >= 0)
                srv_answer(s, (uint32_t)st, st == RPC_OK ? out : NULL, st == RPC_OK ? NULL : out);
        }
    }
    free(rq);
    free(out);
}

/* Waiting methods: answered when their time comes, or at the deadline. */
static void srv_wait(struct stream *s, struct srv *v)
{
    char line[64];
    uint64_t now = plat_now_ms();
    if (v->wait == WAIT_GATHER && !v->released && gather_pending(s->c->node, false) >= v->gather_k)
        gather_pending(s->c->node, true);
    if (v->wait == WAIT_SLEEP && now >= v->wake_at) {
        snprintf(line, sizeof line, "slept %lu", (unsigned long)v->ms);
        srv_answer(s, RPC_OK, line, NULL);
    } else if (v->wait == WAIT_GATHER && v->released) {
        snprintf(line, sizeof line, "gathered %d", v->gather_k);
        srv_answer(s, RPC_OK, line, NULL);
    } else if (now >= v->deadline_at) {
        rpc_counters(s->c->node)->deadline++;
        srv_answer(s, RPC_DEADLINE, NULL, "the caller's deadline passed");
    }
}

static void srv_input(struct stream *s)
{
    struct srv *v = stream_ctx(s, sizeof *v);
    if (!v)
        return;
    if (!v->answered && v->wait != WAIT_NONE)
        srv_wait(s, v);
    if (!v->answered && v->wait == WAIT_NONE) {
        const uint8_t *body;
        size_t len, used;
        int r = rpc_frame_get(buf_data(&s->rx), buf_used(&s->rx), RPC_MAX_REQUEST, &body, &len, &used);
        struct rpc_counters *cnt = rpc_counters(s->c->node);
        if (r == 1)
            srv_request(s, v, body, len);
        else if (r == -2) {
            cnt->oversized++;
            srv_answer(s, RPC_TOO_LARGE, NULL, "the request is over 16384 bytes");
        } else if (r == -1 || s->fin_rcvd) {
            cnt->malformed++;
            srv_answer(s, RPC_MALFORMED, NULL, r == -1 ? "bad length prefix" : "request cut short");
        } else
            return;
    }
    if (v->answered || v->wait != WAIT_NONE)
        buf_consume(&s->rx, buf_used(&s->rx)); /* one request per stream: the rest is ignored */
}

static void rpc_input(struct stream *s) { s->outbound ? call_input(s) : srv_input(s); }

const struct proto_def proto_rpc = {RPC_PROTO_ID, call_proto_started, rpc_input, call_proto_closed};

/* ---------- commands ---------- */

struct ctl_call {
    int ctl;
    uint64_t deadline_ms;
    const char *kind; /* badcall: the kind sent; NULL otherwise */
    bool values;      /* the answer's values (remote WASM), not its result text */
};

void call_reply(struct node *n, int ctl, enum call_end end, const struct rpc_response *r, uint64_t deadline_ms,
                bool values)
{
    if (end != CALL_ANSWERED || r->status != RPC_OK) {
        call_reply_error(n, ctl, end, r, deadline_ms);
        return;
    }
    size_t cap = sizeof r->result + 32 * RPC_MAX_ARGS;
    char *line = malloc(cap);
    if (!line) {
        node_reply(n, ctl, "error out of memory");
        return;
    }
    if (values) {
        size_t k = (size_t)snprintf(line, cap, "ok");
        for (int i = 0; i < r->nvalues && k < cap; i++)
            k += (size_t)snprintf(line + k, cap - k, " %ld", (long)r->values[i]);
    } else
        snprintf(line, cap, "ok %s", r->result);
    node_reply(n, ctl, line);
    free(line);
}

static void ctl_call_done(struct node *n, void *arg, enum call_end end, const struct rpc_response *r)
{
    struct ctl_call *cc = arg;
    if (cc->kind) {
        /* badcall: the callee must have refused it with an error status. */
        char line[160];
        if (end == CALL_ANSWERED && r->status != RPC_OK)
            snprintf(line, sizeof line, "ok %s refused: %s", cc->kind, rpc_status_text(r->status));
        else
            snprintf(line, sizeof line, "error %s not refused (%s)", cc->kind, call_end_text(end));
        node_reply(n, cc->ctl, line);
    } else
        call_reply(n, cc->ctl, end, r, cc->deadline_ms, cc->values);
    free(cc);
}

/* A leading deadline=MS word; returns how many words it took (0 or 1), -1 if bad. */
int rpc_deadline_word(const char *w, uint64_t *deadline_ms)
{
    if (strncmp(w, "deadline=", 9) != 0)
        return 0;
    int64_t v;
    if (rpc_parse_i64(w + 9, &v) < 0 || v < 1 || v > MAX_DEADLINE_MS)
        return -1;
    *deadline_ms = (uint64_t)v;
    return 1;
}

void ctl_call_start(struct node *n, int ctl, struct conn *c, const struct proto_def *p, uint8_t *frame, size_t len,
                    uint64_t deadline_ms, const char *kind, bool values)
{
    struct ctl_call *cc = calloc(1, sizeof *cc);
    if (!cc) {
        free(frame);
        node_reply(n, ctl, "error out of memory");
        return;
    }
    *cc = (struct ctl_call){ctl, deadline_ms, kind, values};
    if (!call_open(c, p, frame, len, deadline_ms, ctl_call_done, cc)) {
        free(cc);
        node_reply(n, ctl, "error cannot open a stream");
    }
}

static void cmd_call(struct node *n, int ctl, int argc, char **argv)
{
    uint64_t deadline_ms = DEFAULT_DEADLINE_MS;
    int a = 1, k = rpc_deadline_word(argv[1], &deadline_ms);
    if (k < 0) {
        node_reply(n, ctl, "error bad deadline (deadline=1..600000 ms)");
        return;
    }
    a += k;
    if (argc - a < 2) {
        node_reply(n, ctl, "error usage: call [deadline=MS] PEER METHOD [ARG...]");
        return;
    }
    struct conn *c = rpc_peer(n, argv[a]);
    if (!c) {
        node_reply(n, ctl, "error not connected");
        return;
    }
    size_t cap = RPC_MAX_REQUEST + 16;
    uint8_t *frame = malloc(cap);
    size_t len = frame ? rpc_request_encode(frame, cap, argv[a + 1], argc - a - 2, argv + a + 2, deadline_ms,
                                            rpc_counters(n)->calls + 1)
                       : 0;
    if (!len) {
        free(frame);
        node_reply(n, ctl, "error request too large");
        return;
    }
    ctl_call_start(n, ctl, c, &proto_rpc, frame, len, deadline_ms, NULL, false);
}

static void cmd_rpcstats(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc, (void)argv;
    char line[1400] = "rpc ";
    rpc_stats_text(n, line + 4, sizeof line - 4);
    node_reply(n, ctl, line);
    node_reply(n, ctl, "ok");
}

/* Malformed messages for the bad-input tests: each must be refused. */
static size_t bad_frame(const char *kind, uint8_t *out, size_t cap, const struct proto_def **p)
{
    static const uint8_t not_wasm[] = "this is not a WebAssembly module";
    *p = &proto_rpc;
    if (strcmp(kind, "rpc_varint") == 0) {
        memset(out, 0xff, 10); /* a length prefix that never ends */
        return 10;
    }
    if (strcmp(kind, "rpc_pb") == 0 || strcmp(kind, "wasm_pb") == 0) {
        static const uint8_t pb[] = {4, 0x0a, 0x7f, 'x', 'y'}; /* field 1 claims 127 bytes, has 2 */
        *p = kind[0] == 'w' ? &proto_wasm : &proto_rpc;
        memcpy(out, pb, sizeof pb);
        return sizeof pb;
    }
    if (strcmp(kind, "rpc_oversize") == 0 || strcmp(kind, "wasm_oversize") == 0) {
        *p = kind[0] == 'w' ? &proto_wasm : &proto_rpc;
        int k = uvarint_put(out, 8u << 20); /* announces 8 MiB */
        memset(out + k, 0, 64);
        return (size_t)k + 64;
    }
    if (strcmp(kind, "rpc_truncated") == 0) {
        static const uint8_t cut[] = {100, 0x0a, 4, 'e', 'c', 'h', 'o'}; /* 100 announced, 6 sent */
        memcpy(out, cut, sizeof cut);
        return sizeof cut;
    }
    if (strcmp(kind, "rpc_nul") == 0) {
        static const uint8_t nul[] = {6, 0x0a, 4, 'e', 0, 'h', 'o'}; /* a NUL inside the method name */
        memcpy(out, nul, sizeof nul);
        return sizeof nul;
    }
    if (strcmp(kind, "wasm_module") == 0) {
        *p = &proto_wasm;
        return wasm_request_encode(out, cap, not_wasm, sizeof not_wasm - 1, "main", 0, NULL, 10000, 0, 1);
    }
    return 0;
}

static void cmd_badcall(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    static const char *const kinds[] = {"rpc_varint", "rpc_pb", "rpc_oversize", "rpc_truncated", "rpc_nul",
                                        "wasm_pb", "wasm_oversize", "wasm_module", NULL};
    int i = 0;
    while (kinds[i] && strcmp(kinds[i], argv[2]) != 0)
        i++;
    struct conn *c = rpc_peer(n, argv[1]);
    if (!kinds[i]) {
        node_reply(n, ctl, "error unknown kind (rpc_varint rpc_pb rpc_oversize rpc_truncated rpc_nul wasm_pb wasm_oversize wasm_module)");
        return;
    }
    if (!c) {
        node_reply(n, ctl, "error not connected");
        return;
    }
    uint8_t *frame = malloc(256);
    const struct proto_def *p;
    size_t len = frame ? bad_frame(kinds[i], frame, 256, &p) : 0;
    if (!len) {
        free(frame);
        node_reply(n, ctl, "error out of memory");
        return;
    }
    ctl_call_start(n, ctl, c, p, frame, len, DEFAULT_DEADLINE_MS, kinds[i], false);
}

static void rpc_ctl_gone(struct node *n, int ctl)
{
    for (struct call *k = state(n)->calls; k; k = k->next)
        if (k->done == ctl_call_done && ((struct ctl_call *)k->arg)->ctl == ctl)
            ((struct ctl_call *)k->arg)->ctl = -1;
}

NODE_MODULE(rpc, sizeof(struct rpc_state), .protos = NODE_PROTOS(&proto_rpc),
            .cmds = NODE_CMDS({"call", 2, 15, "call [deadline=MS] PEER METHOD [ARG...]", cmd_call},
                              {"rpcstats", 0, 0, "rpcstats", cmd_rpcstats}, {"badcall", 2, 2, "badcall PEER KIND", cmd_badcall}),
            .tick = calls_tick, .ctl_gone = rpc_ctl_gone);
