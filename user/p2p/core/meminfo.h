/* `p2p mem`: what the daemon holds and what the system has left, so a test
 * can measure the memory a connection costs (kos bench). One line:
 *   mem free_bytes=N conns=K streams=S conn_slot_bytes=B
 * free_bytes is the system's free physical memory (-1 unknown), conns the
 * connections past the upgrade, streams their open streams, conn_slot_bytes
 * the static size of one connection slot (struct conn). */
#pragma once
#include "core/module.h"

extern const struct node_module meminfo_module;
