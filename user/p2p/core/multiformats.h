/* Unsigned varints, base58btc, the protobuf subset the libp2p specs use,
 * PeerIds and multiaddrs (multiformats; libp2p specs peer-ids/peer-ids.md). */
#pragma once
#include "p2p_base.h"

/* Unsigned LEB128 as multiformats/unsigned-varint: at most 9 bytes (63 bits),
 * minimal encoding. decode returns bytes read, 0 when more input is needed,
 * -1 when malformed (too long or not minimal). */
int uvarint_put(uint8_t *out, uint64_t v);
int uvarint_get(const uint8_t *in, size_t n, uint64_t *v);

/* base58btc (Bitcoin alphabet). encode returns the string length (NUL-terminated),
 * -1 when out is too small; decode returns bytes, -1 on a bad character or overflow. */
int base58_encode(char *out, size_t outcap, const uint8_t *in, size_t n);
int base58_decode(uint8_t *out, size_t outcap, const char *in);

/* Protobuf: a writer into a fixed buffer and a field reader. */
struct pbw {
    uint8_t *p;
    size_t len, cap;
    bool overflow; /* something did not fit: nothing more is written */
};
/* n bytes as they are (also for other binary formats written into a fixed buffer). */
void pbw_raw(struct pbw *w, const void *data, size_t n);
void pbw_varint(struct pbw *w, uint32_t field, uint64_t v);
void pbw_bytes(struct pbw *w, uint32_t field, const void *data, size_t n);
void pbw_string(struct pbw *w, uint32_t field, const char *s);

struct pbr {
    const uint8_t *p;
    size_t len, pos;
};
struct pbfield {
    uint32_t field;
    uint32_t wire;       /* 0 varint, 2 length-delimited; others are skipped */
    uint64_t v;          /* varint value */
    const uint8_t *data; /* length-delimited bytes */
    size_t len;
};
/* 1 = a field read, 0 = end, -1 = malformed. */
int pbr_next(struct pbr *r, struct pbfield *f);
/* Runs the statement after it once for each field of the message in[0..n),
 * the field in f; afterwards rc is 0 at the end of the message, -1 when it is
 * malformed (a break leaves rc 1).
 *     struct pbfield f;
 *     int rc;
 *     PB_FOR_EACH_FIELD(f, rc, in, n) { switch (f.field) ... }
 *     if (rc < 0) ... */
#define PB_FOR_EACH_FIELD(f, rc, in, n) for (struct pbr pb_reader_ = {(in), (n), 0}; ((rc) = pbr_next(&pb_reader_, &(f))) == 1;)
/* One protobuf varint (up to 10 bytes, 64 bits) from in[0..n): its length, or -1. */
int pb_varint(const uint8_t *in, size_t n, uint64_t *v);

/* libp2p keys: the protobuf PublicKey { KeyType Type = 1; bytes Data = 2; }. */
#define P2P_KEY_ED25519 1
#define P2P_PUBKEY_PB_LEN 36   /* 08 01 12 20 + 32 bytes */
#define P2P_PEERID_LEN 38      /* identity multihash: 00 24 + the 36 bytes */
#define P2P_PEERID_STR 64

void p2p_pubkey_pb(uint8_t out[P2P_PUBKEY_PB_LEN], const uint8_t pub[32]);
/* Parses a protobuf PublicKey; only Ed25519 is accepted. Returns 0 or -1. */
int p2p_pubkey_parse(const uint8_t *in, size_t n, uint8_t pub[32]);

struct peerid {
    uint8_t b[P2P_PEERID_LEN];
};
void peerid_from_pub(struct peerid *id, const uint8_t pub[32]);
bool peerid_eq(const struct peerid *a, const struct peerid *b);
void peerid_str(const struct peerid *id, char out[P2P_PEERID_STR]);
/* Accepts the base58btc form of an identity-multihash Ed25519 PeerId; 0 or -1. */
int peerid_parse(struct peerid *id, const char *s);
/* The public key inside an identity-multihash PeerId; 0 or -1. */
int peerid_pubkey(const struct peerid *id, uint8_t pub[32]);

/* Multiaddrs of the form /ip4/A.B.C.D/tcp/PORT[/p2p/PEERID]. */
struct maddr {
    uint32_t ip;      /* host order */
    uint16_t port;
    bool has_peer;
    struct peerid peer;
};
int maddr_parse(struct maddr *m, const char *s);
/* Text form; returns its length. */
int maddr_str(const struct maddr *m, char *out, size_t cap);
/* Binary form (multicodec 0x04 ip4, 0x06 tcp, 0x01a5 p2p); returns its length or -1. */
int maddr_bytes(const struct maddr *m, uint8_t *out, size_t cap);
int maddr_from_bytes(struct maddr *m, const uint8_t *in, size_t n);
