/* RPC over libp2p: /kos/rpc/1.0.0 (messages in core/rpcmsg.h), the module
 * rpc_module (protocol, `p2p call`, `p2p rpcstats`, `p2p badcall`), and the
 * outbound-call layer the remote-WASM protocol and the job use too: one
 * stream per call, a deadline per call, any number in flight. */
#pragma once
#include "core/node.h"
#include "core/rpcmsg.h"

/* How an outbound call ended. */
enum call_end {
    CALL_ANSWERED,   /* r holds the callee's response (its status may be an error) */
    CALL_TIMEOUT,    /* the deadline passed: the stream was reset */
    CALL_GONE,       /* the connection closed or the stream was reset first */
    CALL_BAD_ANSWER, /* the answer was not a well-formed Response */
};
const char *call_end_text(enum call_end e);

/* Called exactly once per call; r is NULL unless CALL_ANSWERED. */
typedef void (*call_done_fn)(struct node *n, void *arg, enum call_end end, const struct rpc_response *r);

/* Opens a stream of protocol p (a request/response protocol: its started and closed
 * are call_proto_started/call_proto_closed, its input hands outbound streams to call_input)
 * on c and sends frame (taken over: freed by the call). NULL when no stream can be opened
 * (frame freed, done not called). */
struct stream *call_open(struct conn *c, const struct proto_def *p, uint8_t *frame, size_t len, uint64_t deadline_ms,
                         call_done_fn done, void *arg);
/* The hooks of a request/response protocol: an outbound stream is a call (its request goes
 * out once the protocol is agreed, its end finishes the call); an inbound one is served with
 * s->ctx malloc'd by the protocol's server, freed here when the stream closes. */
void call_proto_started(struct stream *s);
void call_input(struct stream *s);
void call_proto_closed(struct stream *s);
/* Detaches every pending call whose arg is arg (its done is not called). */
void call_forget(struct node *n, void *arg);

/* A leading deadline=MS word of a command: 1 (taken), 0 (not one), -1 (bad value). */
int rpc_deadline_word(const char *w, uint64_t *deadline_ms);

/* The connected peer named by a base58 PeerId, or NULL. */
struct conn *rpc_peer(struct node *n, const char *text);

/* Counters of calls made, calls served, remote WASM and jobs (p2p rpcstats,
 * the `stats` method); the WASM and job modules count here too. */
#define RPC_COUNTERS(X)                                                                              \
    X(calls) X(answered) X(remote_errors) X(timeouts) X(peer_gone) X(bad_answers)                     \
    X(served) X(unknown_method) X(bad_args) X(malformed) X(oversized) X(deadline)                     \
    X(wasm_served) X(wasm_ok) X(wasm_trap) X(wasm_bad_module) X(wasm_memory_limit) X(wasm_malformed)  \
    X(wasm_oversized) X(wasm_busy) X(jobs) X(jobs_ok) X(slices) X(retries)
struct rpc_counters {
#define X(name) uint64_t name;
    RPC_COUNTERS(X)
#undef X
};
struct rpc_counters *rpc_counters(struct node *n);
/* "name=value ..." of every counter. */
void rpc_stats_text(struct node *n, char *out, size_t cap);

extern const struct node_module rpc_module;
extern const struct proto_def proto_rpc;

/* Replies of the call-like commands (what `p2p call` and `p2p wasm` print):
 * "ok RESULT" (or "ok V ..." with values), else call_reply_error's "error ...". */
void call_reply(struct node *n, int ctl, enum call_end end, const struct rpc_response *r, uint64_t deadline_ms,
                bool values);
void call_reply_error(struct node *n, int ctl, enum call_end end, const struct rpc_response *r, uint64_t deadline_ms);
/* A call made for control client ctl: answered there with call_reply (or,
 * with kind, "ok KIND refused: STATUS" when the callee refused it); forgotten
 * when the client goes. frame is taken over. */
void ctl_call_start(struct node *n, int ctl, struct conn *c, const struct proto_def *p, uint8_t *frame, size_t len,
                    uint64_t deadline_ms, const char *kind, bool values);
