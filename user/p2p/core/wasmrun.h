/* Remote WebAssembly: /kos/wasm/1.0.0 (messages in core/rpcmsg.h). A peer
 * sends a module, an export and integer arguments; the receiver runs it in
 * its sandbox (plat_wasm_run) under the fuel and page limits it set itself
 * (p2pd wasm_fuel=N wasm_pages=N) and answers the value or the trap. */
#pragma once
#include "core/rpc.h"

extern const struct node_module wasm_module;
/* The distributed job over it (job.c): `p2p job primes N`. */
extern const struct node_module job_module;
extern const struct proto_def proto_wasm;

/* Runs an export here, under this node's limits (at most fuel when fuel is
 * nonzero and lower), and fills r as a remote caller would get it. */
void wasm_run_local(struct node *n, const uint8_t *module, size_t len, const char *export_name, const int64_t *args,
                    int nargs, uint64_t fuel, struct rpc_response *r);
/* A module file (the guest's initrd, the host's file system) into a malloc'd
 * buffer: 0, or -errno (-EFBIG over max bytes). */
int wasm_read_module(const char *path, size_t max, uint8_t **data, size_t *len);
/* Sends the call to the peer of c; done gets the answer (call_open). */
struct stream *wasm_call(struct conn *c, const uint8_t *module, size_t len, const char *export_name,
                         const int64_t *args, int nargs, uint64_t fuel, uint64_t deadline_ms, call_done_fn done,
                         void *arg);
/* Whether c's peer listed /kos/wasm/1.0.0 in identify. */
bool wasm_peer_serves(const struct conn *c);
