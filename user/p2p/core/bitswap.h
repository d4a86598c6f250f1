/* Bitswap 1.2.0 messages (ipfs/specs BITSWAP.md, /ipfs/bitswap/1.2.0):
 * unsigned-varint length-prefixed protobuf Message {
 *   Wantlist wantlist = 1 { repeated Entry entries = 1 { bytes block = 1;
 *     int32 priority = 2; bool cancel = 3; WantType wantType = 4 (Block 0,
 *     Have 1); bool sendDontHave = 5; } bool full = 2; }
 *   repeated bytes blocks = 2 (1.0.0);
 *   repeated Block payload = 3 { bytes prefix = 1; bytes data = 2; }
 *   repeated BlockPresence blockPresences = 4 { bytes cid = 1; type = 2
 *     (Have 0, DontHave 1); }
 *   int32 pendingBytes = 5; }
 * The decoder takes the bytes of one message; CIDs it cannot read and
 * blocks it cannot check are counted and left out, a malformed message is
 * refused whole. */
#pragma once
#include "core/buf.h"
#include "core/cid.h"

#define BITSWAP_PROTO_ID "/ipfs/bitswap/1.2.0"
#define BITSWAP_MAX_MSG (4u << 20)     /* what Helia sends at most, too */
#define BSW_WANT_BLOCK 0
#define BSW_WANT_HAVE 1
#define BSW_HAVE 0
#define BSW_DONT_HAVE 1

struct bsw_entry {
    struct cid cid;
    int type;
    int32_t priority;            /* the sender's; 0 is sent as 1 (the default) */
    bool cancel, send_dont_have;
};
struct bsw_block {
    struct cid cid;              /* from the prefix and the hash of data */
    const uint8_t *data;         /* points into the decoded message */
    size_t len;
};
struct bsw_presence {
    struct cid cid;
    int type;
};
struct bsw_msg {
    struct bsw_entry *wants;
    int nwants;
    bool full;
    struct bsw_block *blocks;
    int nblocks;
    struct bsw_presence *pres;
    int npres;
    int bad_cids;                /* entries or presences with CIDs this node cannot read */
    int unverifiable;            /* blocks with a prefix it cannot check (or 1.0.0 blocks) */
};

/* 0, or -1 when malformed (then nothing is kept). Free with bsw_free. */
int bsw_decode(struct bsw_msg *m, const uint8_t *in, size_t n);
void bsw_free(struct bsw_msg *m);

/* Encoders: each appends one length-prefixed message to out; false when
 * out of memory. */
bool bsw_put_wants(struct buf *out, const struct bsw_entry *e, int n, bool full);
bool bsw_put_block(struct buf *out, const struct cid *c, const uint8_t *data, size_t n);
bool bsw_put_presences(struct buf *out, const struct bsw_presence *p, int n);
