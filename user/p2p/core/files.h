/* File sharing compatible with IPFS: `p2p add` / `addgen` build the UnixFS
 * DAG of a file (core/unixfs) into this node's block store, `p2p get` fetches
 * one over Bitswap 1.2.0 (core/bitswap) from every peer that has it, several
 * at once, checking each block against its CID; the node serves what it
 * holds to any peer (Helia or kos) that asks. One module (core/module.h). */
#pragma once
#include "core/node.h"
#include "core/module.h"

extern const struct node_module files_module;
extern const struct proto_def proto_bitswap;
