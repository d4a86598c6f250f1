/* The p2p API of the original design for any user program: find peers and
 * call them, through the libp2p daemon p2pd (user/p2p) and its control port
 * on 127.0.0.1 (a line per command, answers ending in "ok ..." or
 * "error ...", the commands of `p2p`, user/p2p/README.md).
 *
 *   p2p_init(4002);                       // the daemon answers: 0
 *   int n = p2p_discover();               // connected peers: 2
 *   const char *peer = p2p_get_peer(0);   // a PeerId
 *   char out[256];
 *   p2p_call(peer, "add 2 3", out, sizeof out);   // 0, out = "5"
 *
 * One control connection per command; no state but the port, this node's
 * PeerId and the last discovery. */
#pragma once
#include <stddef.h>

#define P2P_ID_MAX 64      /* a base58 PeerId and its NUL */
#define P2P_MAX_PEERS 64

/* Connects to p2pd's control port (waits up to wait_ms for it to come up):
 * 0, or -errno. */
int p2p_init(int ctl_port, unsigned wait_ms);
/* This node's PeerId (after p2p_init). */
const char *p2p_self(void);
/* Asks the daemon for its connected peers: how many (>= 0) or -errno. */
int p2p_discover(void);
/* The i-th peer of the last p2p_discover, or NULL. */
const char *p2p_get_peer(int i);
/* Dials /ip4/A.B.C.D/tcp/PORT: 0 when connected (*id_out, if given, gets the
 * PeerId), 1 when refused (out has the reason), -errno. */
int p2p_dial(const char *maddr, char *id_out, size_t cap);
/* Calls METHOD with its arguments (one string, "add 2 3") on peer: 0 and the
 * result in out, 1 and the error ("unknown method x", "timeout after 1000 ms",
 * "peer gone", ...) in out, or -errno when the daemon cannot be reached. */
int p2p_call(const char *peer, const char *method_and_args, char *out, size_t cap);

/* Any command line of the p2p client ("wasm PEER FILE EXPORT 2 3", "job
 * primes 1000", ...): every answer line in out, one per line; 0 on "ok ...",
 * 1 on "error ...", -errno. p2p_last_line gives the verdict line of out. */
int p2p_command(const char *line, char *out, size_t cap);
const char *p2p_last_line(const char *out);
/* The same in two halves, so several commands can run at once: start
 * returns a handle (>= 0) or -errno; finish waits for its answer. */
int p2p_command_start(const char *line);
int p2p_command_finish(int handle, char *out, size_t cap);
