/* The kad-dht message (libp2p/specs kad-dht): a protobuf Message
 *   { MessageType type = 1; int32 clusterLevelRaw = 10; bytes key = 2;
 *     Record record = 3; repeated Peer closerPeers = 8; repeated Peer providerPeers = 9; }
 *   Record { bytes key = 1; bytes value = 2; string timeReceived = 5;
 *            uint32 ttl = 777; }   (ttl: the remaining lifetime in seconds, an
 *            extension rust-libp2p also uses; others skip the unknown field)
 *   Peer { bytes id = 1; repeated bytes addrs = 2; ConnectionType connection = 3; }
 * sent with an unsigned-varint length prefix. A known field with the wrong
 * wire type is malformed; unknown fields are skipped. */
#include "core/kad_int.h"

const char *const kad_counter_name[KC_COUNT] = {
#define X(name, text) #name,
    KAD_COUNTERS(X)
#undef X
};

/* 1 = usable peer, 0 = well formed but not usable here, -1 = malformed. */
static int peer_decode(struct kad_peerinfo *p, const uint8_t *d, size_t n)
{
    static const uint8_t ED25519_ID[6] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
    struct pbfield f;
    int rc;
    bool have_id = false;
    memset(p, 0, sizeof *p);
    PB_FOR_EACH_FIELD(f, rc, d, n) {
        if ((f.field == 1 || f.field == 2) && f.wire != 2)
            return -1;
        if (f.field == 3 && f.wire != 0)
            return -1;
        if (f.field == 1) {
            /* Only Ed25519 identity-multihash PeerIds (what kos and js-libp2p use). */
            if (f.len == P2P_PEERID_LEN && memcmp(f.data, ED25519_ID, sizeof ED25519_ID) == 0) {
                memcpy(p->id.b, f.data, P2P_PEERID_LEN);
                have_id = true;
            } else {
                have_id = false;
            }
        } else if (f.field == 2 && p->naddrs < KAD_MAX_ADDRS) {
            struct maddr m;
            /* Others (ip6, dns, quic, circuit ...) are well formed, just not dialable by kos. */
            if (maddr_from_bytes(&m, f.data, f.len) == 0 && m.port != 0) {
                m.has_peer = false;
                p->addrs[p->naddrs++] = m;
            }
        }
    }
    if (rc < 0)
        return -1;
    return have_id ? 1 : 0;
}

int kad_msg_decode(struct kad_msg *m, const uint8_t *in, size_t n)
{
    memset(m, 0, sizeof *m);
    struct pbfield f;
    int rc;
    PB_FOR_EACH_FIELD(f, rc, in, n) {
        switch (f.field) {
        case 1:
        case 10:
            if (f.wire != 0)
                return -KC_bad_message;
            if (f.field == 1) {
                if (f.v > KAD_PING)
                    return -KC_bad_type;
                m->type = (int)f.v;
            }
            break;
        case 2:
            if (f.wire != 2)
                return -KC_bad_message;
            m->key = f.data;
            m->keylen = f.len;
            break;
        case 3: {
            if (f.wire != 2)
                return -KC_bad_message;
            struct pbfield g;
            int rrc;
            m->has_record = true;
            m->rec_key = m->rec_value = NULL;
            m->rec_keylen = m->rec_valuelen = 0;
            PB_FOR_EACH_FIELD(g, rrc, f.data, f.len) {
                if ((g.field >= 1 && g.field <= 5 && g.wire != 2) || (g.field == 777 && g.wire != 0))
                    return -KC_bad_message;
                if (g.field == 777)
                    m->rec_ttl_s = g.v > 0xffffffffu ? 0xffffffffu : (uint32_t)g.v;
                if (g.field == 1) {
                    m->rec_key = g.data;
                    m->rec_keylen = g.len;
                } else if (g.field == 2) {
                    m->rec_value = g.data;
                    m->rec_valuelen = g.len;
                }
            }
            if (rrc < 0)
                return -KC_bad_message;
            break;
        }
        case 8:
        case 9: {
            if (f.wire != 2)
                return -KC_bad_message;
            bool closer = f.field == 8;
            int *count = closer ? &m->ncloser : &m->nproviders;
            struct kad_peerinfo tmp, *p = *count < KAD_MSG_PEERS ? (closer ? &m->closer[*count] : &m->providers[*count]) : &tmp;
            int k = peer_decode(p, f.data, f.len);
            if (k < 0)
                return -KC_bad_message;
            if (k == 0)
                m->skipped_peers++;
            else if (p != &tmp)
                (*count)++;
            break;
        }
        default:
            break;
        }
    }
    return rc < 0 ? -KC_bad_message : 0;
}

static void peer_encode(struct pbw *w, uint32_t field, const struct kad_peerinfo *p)
{
    uint8_t buf[P2P_PEERID_LEN + 8 + KAD_MAX_ADDRS * 64];
    struct pbw pw = {buf, 0, sizeof buf, false};
    pbw_bytes(&pw, 1, p->id.b, P2P_PEERID_LEN);
    for (int i = 0; i < p->naddrs && i < KAD_MAX_ADDRS; i++) {
        struct maddr m = p->addrs[i];
        uint8_t ma[64];
        m.has_peer = false;
        int k = maddr_bytes(&m, ma, sizeof ma);
        if (k > 0)
            pbw_bytes(&pw, 2, ma, (size_t)k);
    }
    if (pw.overflow) {
        w->overflow = true;
        return;
    }
    pbw_bytes(w, field, buf, pw.len);
}

int kad_msg_encode(const struct kad_msg *m, uint8_t *out, size_t cap)
{
    enum { PREFIX = 3 }; /* room for the length of a body up to 2^21 bytes */
    if (cap <= PREFIX)
        return -1;
    struct pbw w = {out + PREFIX, 0, cap - PREFIX, false};
    pbw_varint(&w, 1, (uint64_t)m->type);
    if (m->key)
        pbw_bytes(&w, 2, m->key, m->keylen);
    if (m->has_record) {
        static uint8_t rec[KAD_KEY_MAX + KAD_VALUE_MAX + 16];
        struct pbw rw = {rec, 0, sizeof rec, false};
        static const uint8_t none[1];
        pbw_bytes(&rw, 1, m->rec_key ? m->rec_key : none, m->rec_keylen);
        pbw_bytes(&rw, 2, m->rec_value ? m->rec_value : none, m->rec_valuelen);
        if (m->rec_ttl_s)
            pbw_varint(&rw, 777, m->rec_ttl_s);
        if (rw.overflow)
            return -1;
        pbw_bytes(&w, 3, rec, rw.len);
    }
    for (int i = 0; i < m->ncloser; i++)
        peer_encode(&w, 8, &m->closer[i]);
    for (int i = 0; i < m->nproviders; i++)
        peer_encode(&w, 9, &m->providers[i]);
    if (w.overflow || w.len > KAD_MSG_MAX)
        return -1;
    uint8_t v[10];
    int k = uvarint_put(v, w.len);
    memmove(out + k, out + PREFIX, w.len);
    memcpy(out, v, (size_t)k);
    return k + (int)w.len;
}

int kad_frame(const uint8_t *buf, size_t n, size_t *off, size_t *len)
{
    uint64_t v;
    int k = uvarint_get(buf, n, &v);
    if (k < 0)
        return -KC_bad_message;
    if (k == 0)
        return n >= 9 ? -KC_bad_message : 0;
    if (v > KAD_MSG_MAX)
        return -KC_msg_too_big;
    if (n - (size_t)k < v)
        return 0;
    *off = (size_t)k;
    *len = (size_t)v;
    return 1;
}
