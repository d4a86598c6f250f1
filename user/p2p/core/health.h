/* The network health monitor (issue 14): a node module that pings every peer
 * it has known on a period over /ipfs/ping/1.0.0, keeps a smoothed RTT, the
 * loss over the last 32 pings and a failure detector per peer:
 *
 *   up      -- no answer for more than suspect_ms -->  suspect
 *   suspect -- no answer for more than down_ms    -->  down (connection closed)
 *   suspect -- an answer                          -->  up
 *   any     -- its connection closes              -->  down
 *   down    -- a new connection is identified     -->  up
 *
 * "No answer" is measured from the last answered ping or the last bytes
 * received on the peer's connection (a ping waits behind bulk data on a busy
 * one), or from when the peer came up, on this node's clock, so a peer that dies is down at most
 * down_ms + one loop turn after its last answer, whatever the period. Down
 * peers are dialled again every redial_ms at the address they were known by,
 * so a peer that comes back with the same key rejoins by itself.
 *
 * Every state change, every report_ms and every `p2p health` prints one
 * machine-readable line per peer on the console (kos reads them:
 * src/report/overlay.ts):
 *   p2p-health: EVENT self=ID peer=ID state=S rtt_us=N|- loss_pct=N sent=N lost=N addr=MADDR|- t_ms=N silent_ms=N
 * EVENT is change, report or table. Options (p2pd words): health_period=,
 * health_timeout=, health_suspect=, health_down=, health_redial=,
 * health_report= (milliseconds), health=off. */
#pragma once
#include "core/module.h"

#define HEALTH_MAX_PEERS 64

enum health_state { HEALTH_UP, HEALTH_SUSPECT, HEALTH_DOWN };

struct health_cfg {
    uint32_t period_ms, timeout_ms, suspect_ms, down_ms, redial_ms, report_ms;
    bool off;
};

/* The pure part of the detector: the state a peer is in after `silent_ms`
 * without an answer (connected: it still has a connection). */
enum health_state health_judge(const struct health_cfg *cfg, uint64_t silent_ms, bool connected);
/* Smoothed RTT (RFC 6298's SRTT, alpha 1/8): the first sample is taken whole. */
uint64_t health_srtt(uint64_t srtt_us, uint64_t sample_us, bool first);
/* Loss in percent over the last `count` (<= 32) pings recorded in `window` (bit set = lost). */
unsigned health_loss_pct(uint32_t window, unsigned count);

extern const struct node_module health_module;
