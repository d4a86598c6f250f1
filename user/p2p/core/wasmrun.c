/* /kos/wasm/1.0.0: run another peer's WebAssembly in our sandbox, and
 * `p2p wasm` to send ours (wasmrun.h). */
#include "core/wasmrun.h"
#include <kos/wasm.h>

#define DEFAULT_DEADLINE_MS 30000

struct wasm_state {
    uint64_t fuel;      /* per call, what we allow others (wasm_fuel=) */
    uint32_t max_pages; /* linear memory pages (wasm_pages=) */
    bool hang;          /* wasm_hang=1: take requests, never answer (tests of the callers' retries) */
};

static struct wasm_state *state(struct node *n) { return node_state(n, &wasm_module); }

int wasm_read_module(const char *path, size_t max, uint8_t **data, size_t *len)
{
    int fd = plat_file_open(path, false);
    if (fd < 0)
        return fd;
    size_t cap = 4096, got = 0;
    uint8_t *buf = malloc(cap);
    long k = buf ? 1 : -12; /* -ENOMEM */
    while (buf && k > 0) {
        if (got == cap) {
            uint8_t *more = cap <= max ? malloc(cap * 2) : NULL;
            if (!more) {
                k = cap > max ? -27 : -12; /* -EFBIG past max, else -ENOMEM */
                break;
            }
            memcpy(more, buf, got);
            free(buf);
            buf = more;
            cap *= 2;
        }
        k = plat_file_read(fd, buf + got, cap - got);
        if (k > 0)
            got += (size_t)k;
    }
    plat_close(fd);
    if (k < 0 || got > max) {
        free(buf);
        return k < 0 ? (int)k : -27;
    }
    *data = buf;
    *len = got;
    return 0;
}

void wasm_run_local(struct node *n, const uint8_t *module, size_t len, const char *export_name, const int64_t *args,
                    int nargs, uint64_t fuel, struct rpc_response *r)
{
    struct wasm_state *w = state(n);
    struct rpc_counters *cnt = rpc_counters(n);
    uint64_t limit = fuel && fuel < w->fuel ? fuel : w->fuel;
    struct plat_wasm_result res;
    int o = plat_wasm_run(module, len, export_name, args, nargs, limit, w->max_pages, &res);
    static const uint32_t status[] = {
        [PLAT_WASM_OK] = RPC_OK, [PLAT_WASM_TRAP] = RPC_TRAP, [PLAT_WASM_INVALID] = RPC_INVALID_MODULE,
        [PLAT_WASM_MEMORY] = RPC_MEMORY_LIMIT, [PLAT_WASM_NO_EXPORT] = RPC_NO_EXPORT,
        [PLAT_WASM_BAD_ARGS] = RPC_BAD_ARGS, [PLAT_WASM_BUSY] = RPC_BUSY,
    };
    r->status = status[o];
    r->result[0] = 0;
    snprintf(r->error, sizeof r->error, "%s", o == PLAT_WASM_OK ? "" : res.error);
    r->nvalues = res.nvalues;
    r->values[0] = res.value;
    r->trap = (uint32_t)res.trap;
    r->fuel = limit;
    cnt->wasm_served++;
    if (o == PLAT_WASM_OK)
        cnt->wasm_ok++;
    else if (o == PLAT_WASM_TRAP)
        cnt->wasm_trap++;
    else if (o == PLAT_WASM_INVALID)
        cnt->wasm_bad_module++;
    else if (o == PLAT_WASM_MEMORY)
        cnt->wasm_memory_limit++;
    else if (o == PLAT_WASM_BUSY)
        cnt->wasm_busy++;
    plat_log("p2pd: wasm %s(%d args) fuel %lu pages %u: %s%s%s", export_name, nargs, (unsigned long)limit, w->max_pages,
             rpc_status_text(r->status), r->error[0] ? " " : "", r->error);
}

/* ---------- served calls ---------- */

struct wasm_srv {
    bool answered;
};

static void srv_answer(struct stream *s, struct rpc_response *r)
{
    uint8_t out[WASM_MAX_RESPONSE];
    size_t len = rpc_response_encode(out, sizeof out, r);
    buf_append(&s->tx, out, len);
    ((struct wasm_srv *)s->ctx)->answered = true;
    s->want_fin = true;
}

static void srv_refuse(struct stream *s, uint32_t status, const char *why, uint64_t *counter)
{
    struct rpc_response *r = calloc(1, sizeof *r);
    (*counter)++;
    if (r) {
        r->status = status;
        snprintf(r->error, sizeof r->error, "%s", why);
        srv_answer(s, r);
    } else {
        ((struct wasm_srv *)s->ctx)->answered = true;
        s->want_fin = true;
    }
    free(r);
}

static void srv_input(struct stream *s)
{
    struct wasm_srv *v = stream_ctx(s, sizeof *v);
    if (!v)
        return;
    struct node *n = s->c->node;
    struct rpc_counters *cnt = rpc_counters(n);
    if (!v->answered) {
        const uint8_t *body;
        size_t len, used;
        int f = rpc_frame_get(buf_data(&s->rx), buf_used(&s->rx), WASM_MAX_REQUEST, &body, &len, &used);
        if (f == 0 && !s->fin_rcvd)
            return;
        if (f == -2)
            srv_refuse(s, RPC_TOO_LARGE, "the request is over 262144 bytes", &cnt->wasm_oversized);
        else if (f != 1)
            srv_refuse(s, RPC_MALFORMED, f < 0 ? "bad length prefix" : "request cut short", &cnt->wasm_malformed);
        else {
            struct wasm_request rq;
            struct rpc_response *r = calloc(1, sizeof *r);
            if (wasm_request_decode(body, len, &rq) < 0)
                srv_refuse(s, RPC_MALFORMED, "not a well-formed WasmRequest", &cnt->wasm_malformed);
            else if (!r)
                srv_refuse(s, RPC_BUSY, "out of memory", &cnt->wasm_busy);
            else if (state(n)->hang) {
                plat_log("p2pd: wasm request for %s held (wasm_hang)", rq.export_name);
                v->answered = true;
            } else {
                wasm_run_local(n, rq.module, rq.module_len, rq.export_name, rq.args, rq.nargs, rq.fuel, r);
                r->id = rq.id;
                srv_answer(s, r);
            }
            free(r);
        }
    }
    buf_consume(&s->rx, buf_used(&s->rx)); /* one request per stream */
}

static void wasm_input(struct stream *s) { s->outbound ? call_input(s) : srv_input(s); }

const struct proto_def proto_wasm = {WASM_PROTO_ID, call_proto_started, wasm_input, call_proto_closed};

/* ---------- calling others ---------- */

/* A WasmRequest frame (malloc'd) or NULL. */
static uint8_t *wasm_frame(struct node *n, const uint8_t *module, size_t len, const char *export_name,
                           const int64_t *args, int nargs, uint64_t fuel, uint64_t deadline_ms, size_t *flen)
{
    size_t cap = len + 256 + 11 * (size_t)nargs;
    uint8_t *frame = malloc(cap);
    *flen = frame ? wasm_request_encode(frame, cap, module, len, export_name, nargs, args, deadline_ms, fuel,
                                        rpc_counters(n)->calls + 1)
                  : 0;
    if (!*flen) {
        free(frame);
        return NULL;
    }
    return frame;
}

struct stream *wasm_call(struct conn *c, const uint8_t *module, size_t len, const char *export_name,
                         const int64_t *args, int nargs, uint64_t fuel, uint64_t deadline_ms, call_done_fn done,
                         void *arg)
{
    size_t flen;
    uint8_t *frame = wasm_frame(c->node, module, len, export_name, args, nargs, fuel, deadline_ms, &flen);
    return frame ? call_open(c, &proto_wasm, frame, flen, deadline_ms, done, arg) : NULL;
}

bool wasm_peer_serves(const struct conn *c)
{
    const char *p = c->info.protocols;
    size_t n = strlen(WASM_PROTO_ID);
    for (; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, WASM_PROTO_ID, n) == 0 && (p[n] == ',' || p[n] == 0))
            return true;
    return false;
}

/* wasm [deadline=MS] [fuel=N] PEER|self FILE EXPORT [ARG...] */
static void cmd_wasm(struct node *n, int ctl, int argc, char **argv)
{
    uint64_t deadline_ms = DEFAULT_DEADLINE_MS, fuel = 0;
    int a = 1;
    for (bool more = true; more && a < argc;) {
        int k = rpc_deadline_word(argv[a], &deadline_ms);
        int64_t v;
        more = false;
        if (k < 0) {
            node_reply(n, ctl, "error bad deadline (deadline=1..600000 ms)");
            return;
        } else if (k == 1) {
            a++;
            more = true;
        } else if (strncmp(argv[a], "fuel=", 5) == 0) {
            if (rpc_parse_i64(argv[a] + 5, &v) < 0 || v < 1 || (uint64_t)v > KOS_WASM_MAX_FUEL) {
                node_reply(n, ctl, "error bad fuel (fuel=1..4000000000)");
                return;
            }
            fuel = (uint64_t)v;
            a++;
            more = true;
        }
    }
    if (argc - a < 3 || argc - a - 3 > RPC_MAX_ARGS) {
        node_reply(n, ctl, "error usage: wasm [deadline=MS] [fuel=N] PEER|self FILE EXPORT [ARG...]");
        return;
    }
    int64_t args[RPC_MAX_ARGS];
    int nargs = argc - a - 3;
    for (int i = 0; i < nargs; i++)
        if (rpc_parse_i64(argv[a + 3 + i], &args[i]) < 0) {
            node_reply(n, ctl, "error bad args: arguments are decimal integers");
            return;
        }
    bool self = strcmp(argv[a], "self") == 0;
    struct conn *c = self ? NULL : rpc_peer(n, argv[a]);
    if (!self && !c) {
        node_reply(n, ctl, "error not connected");
        return;
    }
    uint8_t *mod;
    size_t len;
    int r = wasm_read_module(argv[a + 1], WASM_MAX_REQUEST - 1024, &mod, &len);
    if (r < 0) {
        char line[1100]; /* a control line is at most 1023 bytes */
        snprintf(line, sizeof line, "error cannot read %s (error %d)", argv[a + 1], r);
        node_reply(n, ctl, line);
        return;
    }
    if (self) {
        struct rpc_response *resp = calloc(1, sizeof *resp);
        if (resp) {
            wasm_run_local(n, mod, len, argv[a + 2], args, nargs, fuel, resp);
            call_reply(n, ctl, CALL_ANSWERED, resp, deadline_ms, true);
        } else
            node_reply(n, ctl, "error out of memory");
        free(resp);
        free(mod);
        return;
    }
    size_t flen;
    uint8_t *frame = wasm_frame(n, mod, len, argv[a + 2], args, nargs, fuel, deadline_ms, &flen);
    free(mod);
    if (!frame) {
        node_reply(n, ctl, "error out of memory");
        return;
    }
    ctl_call_start(n, ctl, c, &proto_wasm, frame, flen, deadline_ms, NULL, true);
}

static int wasm_option(struct node *n, const char *key, const char *value)
{
    struct wasm_state *w = state(n);
    int64_t v;
    if (strcmp(key, "wasm_fuel") == 0) {
        if (rpc_parse_i64(value, &v) < 0 || v < 1 || (uint64_t)v > KOS_WASM_MAX_FUEL)
            return -1;
        w->fuel = (uint64_t)v;
        return 1;
    }
    if (strcmp(key, "wasm_hang") == 0) {
        w->hang = strcmp(value, "1") == 0;
        return strcmp(value, "0") == 0 || w->hang ? 1 : -1;
    }
    if (strcmp(key, "wasm_pages") == 0) {
        if (rpc_parse_i64(value, &v) < 0 || v < 1 || v > KOS_WASM_MAX_PAGES)
            return -1;
        w->max_pages = (uint32_t)v;
        return 1;
    }
    return 0;
}

static int wasm_start(struct node *n)
{
    struct wasm_state *w = state(n);
    if (!w->fuel)
        w->fuel = KOS_WASM_FUEL;
    if (!w->max_pages)
        w->max_pages = KOS_WASM_MAX_PAGES;
    plat_log("p2pd: remote wasm: fuel %lu per call, %u pages", (unsigned long)w->fuel, w->max_pages);
    return 0;
}

/* wasm_hang 0|1: the start option at run time, so a test can make chosen peers hold requests (churn while they hold them). */
static void cmd_wasm_hang(struct node *n, int ctl, int argc, char **argv)
{
    (void)argc;
    node_reply(n, ctl, wasm_option(n, "wasm_hang", argv[1]) == 1 ? "ok" : "error usage: wasm_hang 0|1");
}

NODE_MODULE(wasm, sizeof(struct wasm_state), .protos = NODE_PROTOS(&proto_wasm),
            .cmds = NODE_CMDS({"wasm", 3, 15, "wasm [deadline=MS] [fuel=N] PEER|self FILE EXPORT [ARG...]", cmd_wasm},
                              {"wasm_hang", 1, 1, "wasm_hang 0|1", cmd_wasm_hang}),
            .option = wasm_option, .start = wasm_start);
