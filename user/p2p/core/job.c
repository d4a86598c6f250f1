/* The distributed job: `p2p job primes N [slices=K] [slice_ms=MS]` counts
 * the primes below N with primes.wasm's count_range(lo, hi), one slice per
 * remote-WASM call (/kos/wasm/1.0.0) over the connected peers that serve it
 * and the node itself. A slice whose peer does not answer in time or goes
 * away is sent to another peer (the node itself last); then every slice is
 * counted again here and the sums must agree. Self and check runs happen one
 * slice per loop turn, so the daemon keeps answering in between. */
#include "core/wasmrun.h"

#define MAX_JOBS 4
#define MAX_SLICES 64
#define MAX_WORKERS (MAX_SLICES + 1)
#define DEFAULT_SLICE_MS 60000
#define PATH_MAX_LEN 128

enum slice_state { SL_SELF, SL_REMOTE, SL_DONE };

struct job;
struct slice {
    struct job *job;
    int64_t lo, hi, count;
    enum slice_state state;
    int worker;     /* index in job->workers while SL_REMOTE */
    uint64_t tried; /* workers that failed this slice (bit per worker) */
};

struct worker {
    struct peerid id;
    bool dead; /* timed out or went away during this job */
};

struct job {
    int ctl;
    int64_t n, total, check;
    int nslices, nworkers, next, retries, checked;
    struct slice slices[MAX_SLICES];
    struct worker workers[MAX_WORKERS];
    uint8_t *mod;
    size_t modlen;
    uint64_t slice_ms;
};

struct job_state {
    struct job *jobs[MAX_JOBS];
    char path[PATH_MAX_LEN];
};

static struct job_state *state(struct node *n) { return node_state(n, &job_module); }

static void job_free(struct node *n, struct job *j)
{
    for (int i = 0; i < j->nslices; i++)
        call_forget(n, &j->slices[i]);
    for (int i = 0; i < MAX_JOBS; i++)
        if (state(n)->jobs[i] == j)
            state(n)->jobs[i] = NULL;
    free(j->mod);
    free(j);
}

static void slice_send(struct node *n, struct slice *sl);

/* The next worker for sl: a live peer that has not failed it, round robin; else this node. */
static void slice_assign(struct node *n, struct slice *sl)
{
    struct job *j = sl->job;
    for (int k = 0; k < j->nworkers; k++) {
        int w = (j->next + k) % j->nworkers;
        if (!j->workers[w].dead && !(sl->tried >> w & 1) && node_find_peer(n, &j->workers[w].id)) {
            j->next = (w + 1) % j->nworkers;
            sl->worker = w;
            slice_send(n, sl);
            return;
        }
    }
    sl->state = SL_SELF;
}

static void slice_line(struct node *n, struct slice *sl, const char *peer)
{
    char line[160];
    snprintf(line, sizeof line, "slice %ld %ld peer %s count %ld", (long)sl->lo, (long)sl->hi, peer, (long)sl->count);
    node_reply(n, sl->job->ctl, line);
    rpc_counters(n)->slices++;
}

static void slice_done(struct node *n, void *arg, enum call_end end, const struct rpc_response *r)
{
    struct slice *sl = arg;
    struct job *j = sl->job;
    char id[P2P_PEERID_STR];
    peerid_str(&j->workers[sl->worker].id, id);
    if (end == CALL_ANSWERED && r->status == RPC_OK && r->nvalues == 1 && r->values[0] >= 0) {
        sl->count = r->values[0];
        sl->state = SL_DONE;
        slice_line(n, sl, id);
        return;
    }
    char line[RPC_TEXT_MAX + 200];
    snprintf(line, sizeof line, "retry %ld %ld peer %s: %s%s%s", (long)sl->lo, (long)sl->hi, id,
             end == CALL_ANSWERED ? rpc_status_text(r->status) : call_end_text(end),
             end == CALL_ANSWERED && r->error[0] ? " " : "", end == CALL_ANSWERED ? r->error : "");
    node_reply(n, j->ctl, line);
    if (end == CALL_TIMEOUT || end == CALL_GONE)
        j->workers[sl->worker].dead = true;
    sl->tried |= 1ull << sl->worker;
    j->retries++;
    rpc_counters(n)->retries++;
    slice_assign(n, sl);
}

static void slice_send(struct node *n, struct slice *sl)
{
    struct job *j = sl->job;
    struct conn *c = node_find_peer(n, &j->workers[sl->worker].id);
    int64_t args[2] = {sl->lo, sl->hi};
    sl->state = SL_REMOTE;
    if (!c || !wasm_call(c, j->mod, j->modlen, "count_range", args, 2, 0, j->slice_ms, slice_done, sl))
        slice_done(n, sl, CALL_GONE, NULL);
}

/* count_range(lo, hi) here; -1 when it did not return a count. */
static int64_t run_here(struct node *n, struct job *j, const struct slice *sl, char *why, size_t cap)
{
    struct rpc_response *r = calloc(1, sizeof *r);
    int64_t args[2] = {sl->lo, sl->hi}, v = -1;
    if (!r) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    wasm_run_local(n, j->mod, j->modlen, "count_range", args, 2, 0, r);
    if (r->status == RPC_OK && r->nvalues == 1 && r->values[0] >= 0)
        v = r->values[0];
    else
        snprintf(why, cap, "%s %s", rpc_status_text(r->status), r->error);
    free(r);
    return v;
}

static void job_fail(struct node *n, struct job *j, const char *why)
{
    char line[RPC_TEXT_MAX + 64];
    snprintf(line, sizeof line, "error job primes %ld: %s", (long)j->n, why);
    node_reply(n, j->ctl, line);
    job_free(n, j);
}

/* One step of a job per loop turn: a slice of its own, or one slice of the check. */
static void job_step(struct node *n, struct job *j)
{
    char why[RPC_TEXT_MAX + 32];
    int done = 0;
    for (int i = 0; i < j->nslices; i++) {
        struct slice *sl = &j->slices[i];
        if (sl->state == SL_SELF) {
            sl->count = run_here(n, j, sl, why, sizeof why);
            if (sl->count < 0) {
                job_fail(n, j, why);
                return;
            }
            sl->state = SL_DONE;
            slice_line(n, sl, "self");
            return;
        }
        done += sl->state == SL_DONE;
    }
    if (done < j->nslices)
        return;
    if (j->checked < j->nslices) {
        int64_t v = run_here(n, j, &j->slices[j->checked], why, sizeof why);
        if (v < 0) {
            job_fail(n, j, why);
            return;
        }
        j->check += v;
        j->total += j->slices[j->checked++].count;
        return;
    }
    char line[200];
    if (j->total != j->check) {
        snprintf(line, sizeof line, "mismatch: peers counted %ld, the local run %ld", (long)j->total, (long)j->check);
        job_fail(n, j, line);
        return;
    }
    snprintf(line, sizeof line, "ok primes below %ld = %ld (local %ld) slices %d retries %d peers %d", (long)j->n,
             (long)j->total, (long)j->check, j->nslices, j->retries, j->nworkers);
    node_reply(n, j->ctl, line);
    rpc_counters(n)->jobs_ok++;
    job_free(n, j);
}

static void job_tick(struct node *n)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (state(n)->jobs[i])
            job_step(n, state(n)->jobs[i]);
}

/* job primes N [slices=K] [slice_ms=MS] */
static void cmd_job(struct node *n, int ctl, int argc, char **argv)
{
    int64_t nmax, k = 0, ms = DEFAULT_SLICE_MS;
    if (strcmp(argv[1], "primes") != 0 || rpc_parse_i64(argv[2], &nmax) < 0 || nmax < 2 || nmax > 0x7fffffff) {
        node_reply(n, ctl, "error usage: job primes N [slices=K] [slice_ms=MS] (2 <= N < 2^31)");
        return;
    }
    for (int a = 3; a < argc; a++) {
        bool ok = strncmp(argv[a], "slices=", 7) == 0 ? rpc_parse_i64(argv[a] + 7, &k) == 0 && k >= 1 && k <= MAX_SLICES
                  : strncmp(argv[a], "slice_ms=", 9) == 0 ? rpc_parse_i64(argv[a] + 9, &ms) == 0 && ms >= 1 && ms <= 600000
                                                          : false;
        if (!ok) {
            node_reply(n, ctl, "error bad option (slices=1..64, slice_ms=1..600000)");
            return;
        }
    }
    struct job_state *st = state(n);
    int slot = 0;
    while (slot < MAX_JOBS && st->jobs[slot])
        slot++;
    struct job *j = slot < MAX_JOBS ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        node_reply(n, ctl, slot < MAX_JOBS ? "error out of memory" : "error too many jobs running");
        return;
    }
    int r = wasm_read_module(st->path, WASM_MAX_REQUEST - 1024, &j->mod, &j->modlen);
    if (r < 0) {
        char line[200];
        snprintf(line, sizeof line, "error cannot read %s (error %d)", st->path, r);
        node_reply(n, ctl, line);
        free(j);
        return;
    }
    j->ctl = ctl;
    j->n = nmax;
    j->slice_ms = (uint64_t)ms;
    for (int i = 0; i < NODE_MAX_CONNS && j->nworkers < MAX_SLICES; i++) {
        struct conn *c = &n->conns[i];
        bool dup = false;
        for (int w = 0; c->used && w < j->nworkers; w++)
            dup |= peerid_eq(&j->workers[w].id, &c->remote);
        if (c->used && c->phase == PH_YAMUX && c->up && wasm_peer_serves(c) && !dup)
            j->workers[j->nworkers++].id = c->remote;
    }
    j->nslices = k ? (int)k : 2 * (j->nworkers + 1) < MAX_SLICES ? 2 * (j->nworkers + 1) : MAX_SLICES;
    if (j->nslices > nmax)
        j->nslices = (int)nmax;
    st->jobs[slot] = j;
    rpc_counters(n)->jobs++;
    char line[96];
    snprintf(line, sizeof line, "job primes %ld: %d slices over %d peers and self", (long)nmax, j->nslices, j->nworkers);
    node_reply(n, ctl, line);
    /* Slices go round the peers and this node: every (peers+1)-th one stays here. */
    for (int i = 0; i < j->nslices; i++) {
        struct slice *sl = &j->slices[i];
        sl->job = j;
        sl->lo = nmax * i / j->nslices;
        sl->hi = nmax * (i + 1) / j->nslices;
        sl->state = SL_SELF;
        if (i % (j->nworkers + 1) < j->nworkers) {
            sl->worker = i % (j->nworkers + 1);
            slice_send(n, sl);
        }
    }
}

static void job_ctl_gone(struct node *n, int ctl)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (state(n)->jobs[i] && state(n)->jobs[i]->ctl == ctl)
            job_free(n, state(n)->jobs[i]);
}

static int job_option(struct node *n, const char *key, const char *value)
{
    if (strcmp(key, "job_wasm") != 0)
        return 0;
    if (!value[0] || strlen(value) >= PATH_MAX_LEN)
        return -1;
    snprintf(state(n)->path, PATH_MAX_LEN, "%s", value);
    return 1;
}

static int job_start(struct node *n)
{
    if (!state(n)->path[0])
        snprintf(state(n)->path, PATH_MAX_LEN, "/wasm/primes.wasm");
    return 0;
}

NODE_MODULE(job, sizeof(struct job_state), .cmds = NODE_CMDS({"job", 2, 4, "job primes N [slices=K] [slice_ms=MS]", cmd_job}),
            .option = job_option, .start = job_start, .tick = job_tick, .ctl_gone = job_ctl_gone);
