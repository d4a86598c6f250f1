/* The messages of /kos/rpc/1.0.0 and /kos/wasm/1.0.0 (user/p2p/README.md,
 * "RPC and remote WebAssembly"). One call = one stream: the caller writes
 * one frame (an unsigned varint length, then that many bytes of protobuf)
 * and closes its side; the callee answers with one frame and closes. Both
 * protocols share the response message.
 *
 *   RpcRequest  { string method = 1; repeated string args = 2;
 *                 uint64 deadline_ms = 3; uint64 id = 4; }
 *   WasmRequest { bytes module = 1; string export = 2; repeated int64 args = 3;
 *                 uint64 deadline_ms = 4; uint64 fuel = 5; uint64 id = 6; }
 *   Response    { uint32 status = 1; string result = 2; string error = 3;
 *                 uint64 id = 4; repeated int64 values = 5; uint32 trap = 6;
 *                 uint64 fuel = 7; }
 *
 * deadline_ms is relative (how long the caller waits; clocks of two peers
 * are not comparable). int64 is two's complement in a varint (10 bytes when
 * negative); repeated int64 is accepted packed or not. Unknown fields are
 * skipped. Decoders return 0 or -1 (malformed: bad protobuf, a NUL inside a
 * string, a name too long, too many arguments, a required field missing). */
#pragma once
#include "p2p_base.h"

#define RPC_PROTO_ID "/kos/rpc/1.0.0"
#define WASM_PROTO_ID "/kos/wasm/1.0.0"

#define RPC_MAX_REQUEST 16384          /* frame body, bytes */
#define RPC_MAX_RESPONSE 65536
#define WASM_MAX_REQUEST (256u * 1024) /* module included */
#define WASM_MAX_RESPONSE 4096
#define RPC_MAX_ARGS 16
#define RPC_NAME_MAX 64                /* method and export names, with the NUL */
#define RPC_TEXT_MAX 1024              /* error texts we keep */

/* Response.status: 0 is success, everything else an error the callee sent. */
#define RPC_STATUSES(X)                                         \
    X(OK, "ok")                                                 \
    X(UNKNOWN_METHOD, "unknown method")                         \
    X(BAD_ARGS, "bad args")                                     \
    X(DEADLINE, "deadline exceeded")                            \
    X(BUSY, "busy")                                             \
    X(MALFORMED, "malformed request")                           \
    X(TOO_LARGE, "request too large")                           \
    X(INTERNAL, "internal error")                               \
    X(TRAP, "trap")                                             \
    X(INVALID_MODULE, "invalid module")                         \
    X(NO_EXPORT, "no export")                                   \
    X(MEMORY_LIMIT, "memory limit")

enum rpc_status {
#define X(name, text) RPC_##name,
    RPC_STATUSES(X)
#undef X
    RPC_STATUS_COUNT
};
const char *rpc_status_text(uint32_t status);

struct rpc_request {
    char method[RPC_NAME_MAX];
    int nargs;
    char *argv[RPC_MAX_ARGS]; /* NUL-terminated, in store */
    char store[RPC_MAX_REQUEST];
    uint64_t deadline_ms, id;
};

struct wasm_request {
    const uint8_t *module; /* points into the decoded frame */
    size_t module_len;
    char export_name[RPC_NAME_MAX];
    int nargs;
    int64_t args[RPC_MAX_ARGS];
    uint64_t deadline_ms, fuel, id;
};

struct rpc_response {
    uint32_t status;
    char result[RPC_MAX_RESPONSE];
    char error[RPC_TEXT_MAX];
    uint64_t id;
    int nvalues;
    int64_t values[RPC_MAX_ARGS];
    uint32_t trap;
    uint64_t fuel;
};

/* A frame at the start of in[0..n): 1 and body, len when complete, 0 when
 * more bytes are needed, -1 when the length prefix is malformed, -2 when it
 * announces more than max bytes (known before the body arrives). *used is
 * the frame's whole size. */
int rpc_frame_get(const uint8_t *in, size_t n, size_t max, const uint8_t **body, size_t *len, size_t *used);

/* Encoders write a whole frame (length prefix included) into out[0..cap)
 * and return its size, or 0 when it does not fit. */
size_t rpc_request_encode(uint8_t *out, size_t cap, const char *method, int nargs, char *const *argv,
                          uint64_t deadline_ms, uint64_t id);
size_t wasm_request_encode(uint8_t *out, size_t cap, const uint8_t *module, size_t module_len, const char *export_name,
                           int nargs, const int64_t *args, uint64_t deadline_ms, uint64_t fuel, uint64_t id);
size_t rpc_response_encode(uint8_t *out, size_t cap, const struct rpc_response *r);

int rpc_request_decode(const uint8_t *body, size_t len, struct rpc_request *r);
int wasm_request_decode(const uint8_t *body, size_t len, struct wasm_request *r);
int rpc_response_decode(const uint8_t *body, size_t len, struct rpc_response *r);

/* A decimal signed 64-bit integer, the whole string: 0 or -1. */
int rpc_parse_i64(const char *s, int64_t *out);
