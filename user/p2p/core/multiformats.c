/* Multiformats and protobuf pieces (see multiformats.h). */
#include "core/multiformats.h"

int uvarint_put(uint8_t *out, uint64_t v)
{
    int n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

int uvarint_get(const uint8_t *in, size_t n, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 9; i++) {
        if (i >= n)
            return 0;
        uint8_t b = in[i];
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0)
                return -1; /* not minimal */
            *v = r;
            return (int)i + 1;
        }
    }
    return -1; /* more than 9 bytes */
}

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int base58_encode(char *out, size_t outcap, const uint8_t *in, size_t n)
{
    uint8_t digits[128]; /* base-58 digits, least significant first */
    size_t nd = 0, zeros = 0;
    if (n > 88)
        return -1;
    while (zeros < n && in[zeros] == 0)
        zeros++;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = carry % 58;
            carry /= 58;
        }
        while (carry) {
            digits[nd++] = carry % 58;
            carry /= 58;
        }
    }
    if (zeros + nd + 1 > outcap)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < zeros; i++)
        out[k++] = '1';
    for (size_t i = 0; i < nd; i++)
        out[k++] = B58[digits[nd - 1 - i]];
    out[k] = 0;
    return (int)k;
}

int base58_decode(uint8_t *out, size_t outcap, const char *in)
{
    uint8_t bytes[128]; /* base-256, least significant first */
    size_t nb = 0, zeros = 0, len = strlen(in);
    if (len > 128)
        return -1;
    while (zeros < len && in[zeros] == '1')
        zeros++;
    for (size_t i = zeros; i < len; i++) {
        const char *d = strchr(B58, in[i]);
        if (!d || !in[i])
            return -1;
        unsigned carry = (unsigned)(d - B58);
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = carry & 0xff;
            carry >>= 8;
        }
        while (carry) {
            if (nb >= sizeof bytes)
                return -1;
            bytes[nb++] = carry & 0xff;
            carry >>= 8;
        }
    }
    if (zeros + nb > outcap)
        return -1;
    memset(out, 0, zeros);
    for (size_t i = 0; i < nb; i++)
        out[zeros + i] = bytes[nb - 1 - i];
    return (int)(zeros + nb);
}

void pbw_raw(struct pbw *w, const void *data, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}

static void pbw_uv(struct pbw *w, uint64_t v)
{
    uint8_t t[10];
    pbw_raw(w, t, (size_t)uvarint_put(t, v));
}

void pbw_varint(struct pbw *w, uint32_t field, uint64_t v)
{
    pbw_uv(w, (uint64_t)field << 3 | 0);
    pbw_uv(w, v);
}

void pbw_bytes(struct pbw *w, uint32_t field, const void *data, size_t n)
{
    pbw_uv(w, (uint64_t)field << 3 | 2);
    pbw_uv(w, n);
    pbw_raw(w, data, n);
}

void pbw_string(struct pbw *w, uint32_t field, const char *s)
{
    pbw_bytes(w, field, s, strlen(s));
}

/* Protobuf varints may be 10 bytes (64 bits); multiformats varints stop at 9. */
int pb_varint(const uint8_t *in, size_t n, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 10 && i < n; i++) {
        r |= (uint64_t)(in[i] & 0x7f) << (7 * i);
        if (!(in[i] & 0x80)) {
            *v = r;
            return (int)i + 1;
        }
    }
    return -1;
}

int pbr_next(struct pbr *r, struct pbfield *f)
{
    if (r->pos >= r->len)
        return 0;
    uint64_t key, v;
    int k = pb_varint(r->p + r->pos, r->len - r->pos, &key);
    if (k < 0 || (key >> 3) == 0 || (key >> 3) > 0xffffffffu)
        return -1;
    r->pos += (size_t)k;
    f->field = (uint32_t)(key >> 3);
    f->wire = key & 7;
    f->data = NULL;
    f->len = 0;
    f->v = 0;
    switch (f->wire) {
    case 0:
        k = pb_varint(r->p + r->pos, r->len - r->pos, &v);
        if (k < 0)
            return -1;
        r->pos += (size_t)k;
        f->v = v;
        return 1;
    case 1:   /* fixed 64 bits */
    case 5: { /* fixed 32 bits */
        size_t w = f->wire == 1 ? 8 : 4;
        if (r->len - r->pos < w)
            return -1;
        r->pos += w;
        return 1;
    }
    case 2:
        k = pb_varint(r->p + r->pos, r->len - r->pos, &v);
        if (k < 0 || v > r->len - r->pos - (size_t)k)
            return -1;
        r->pos += (size_t)k;
        f->data = r->p + r->pos;
        f->len = (size_t)v;
        r->pos += (size_t)v;
        return 1;
    default:
        return -1;
    }
}

void p2p_pubkey_pb(uint8_t out[P2P_PUBKEY_PB_LEN], const uint8_t pub[32])
{
    out[0] = 0x08;
    out[1] = P2P_KEY_ED25519;
    out[2] = 0x12;
    out[3] = 32;
    memcpy(out + 4, pub, 32);
}

int p2p_pubkey_parse(const uint8_t *in, size_t n, uint8_t pub[32])
{
    struct pbr r = {in, n, 0};
    struct pbfield f;
    int type = -1, rc;
    bool have = false;
    while ((rc = pbr_next(&r, &f)) == 1) {
        if (f.field == 1 && f.wire == 0)
            type = (int)f.v;
        else if (f.field == 2 && f.wire == 2 && f.len == 32) {
            memcpy(pub, f.data, 32);
            have = true;
        } else if (f.field == 2)
            return -1;
    }
    return rc == 0 && have && type == P2P_KEY_ED25519 ? 0 : -1;
}

void peerid_from_pub(struct peerid *id, const uint8_t pub[32])
{
    id->b[0] = 0x00; /* identity multihash */
    id->b[1] = P2P_PUBKEY_PB_LEN;
    p2p_pubkey_pb(id->b + 2, pub);
}

bool peerid_eq(const struct peerid *a, const struct peerid *b)
{
    return memcmp(a->b, b->b, P2P_PEERID_LEN) == 0;
}

void peerid_str(const struct peerid *id, char out[P2P_PEERID_STR])
{
    if (base58_encode(out, P2P_PEERID_STR, id->b, P2P_PEERID_LEN) < 0)
        out[0] = 0;
}

int peerid_pubkey(const struct peerid *id, uint8_t pub[32])
{
    if (id->b[0] != 0x00 || id->b[1] != P2P_PUBKEY_PB_LEN)
        return -1;
    return p2p_pubkey_parse(id->b + 2, P2P_PUBKEY_PB_LEN, pub);
}

int peerid_parse(struct peerid *id, const char *s)
{
    uint8_t b[64];
    uint8_t pub[32];
    int n = base58_decode(b, sizeof b, s);
    if (n != P2P_PEERID_LEN)
        return -1;
    memcpy(id->b, b, P2P_PEERID_LEN);
    return peerid_pubkey(id, pub);
}

static int parse_u32(const char **s, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    const char *p = *s;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > max)
            return -1;
        p++;
    }
    *s = p;
    *out = v;
    return 0;
}

int maddr_parse(struct maddr *m, const char *s)
{
    memset(m, 0, sizeof *m);
    if (strncmp(s, "/ip4/", 5) != 0)
        return -1;
    s += 5;
    uint32_t ip = 0, part, port;
    for (int i = 0; i < 4; i++) {
        if (parse_u32(&s, 255, &part) < 0)
            return -1;
        ip = ip << 8 | part;
        if (i < 3 && *s++ != '.')
            return -1;
    }
    if (strncmp(s, "/tcp/", 5) != 0)
        return -1;
    s += 5;
    if (parse_u32(&s, 65535, &port) < 0)
        return -1;
    m->ip = ip;
    m->port = (uint16_t)port;
    if (*s == 0)
        return 0;
    if (strncmp(s, "/p2p/", 5) != 0 && strncmp(s, "/ipfs/", 6) != 0)
        return -1;
    s = strchr(s + 1, '/') + 1;
    char id[P2P_PEERID_STR];
    size_t k = 0;
    while (*s && *s != '/' && k + 1 < sizeof id)
        id[k++] = *s++;
    id[k] = 0;
    if (*s != 0 || peerid_parse(&m->peer, id) < 0)
        return -1;
    m->has_peer = true;
    return 0;
}

int maddr_str(const struct maddr *m, char *out, size_t cap)
{
    int n = snprintf(out, cap, "/ip4/%u.%u.%u.%u/tcp/%u", (unsigned)(m->ip >> 24), (unsigned)(m->ip >> 16 & 255),
                     (unsigned)(m->ip >> 8 & 255), (unsigned)(m->ip & 255), (unsigned)m->port);
    if (m->has_peer && n >= 0 && (size_t)n < cap) {
        char id[P2P_PEERID_STR];
        peerid_str(&m->peer, id);
        n += snprintf(out + n, cap - (size_t)n, "/p2p/%s", id);
    }
    return n;
}

int maddr_bytes(const struct maddr *m, uint8_t *out, size_t cap)
{
    uint8_t t[64];
    size_t n = 0;
    t[n++] = 0x04;
    p2p_put_be32(t + n, m->ip);
    n += 4;
    t[n++] = 0x06;
    p2p_put_be16(t + n, m->port);
    n += 2;
    if (m->has_peer) {
        n += (size_t)uvarint_put(t + n, 0x01a5);
        t[n++] = P2P_PEERID_LEN;
        memcpy(t + n, m->peer.b, P2P_PEERID_LEN);
        n += P2P_PEERID_LEN;
    }
    if (n > cap)
        return -1;
    memcpy(out, t, n);
    return (int)n;
}

int maddr_from_bytes(struct maddr *m, const uint8_t *in, size_t n)
{
    memset(m, 0, sizeof *m);
    size_t pos = 0;
    bool ip = false, tcp = false;
    while (pos < n) {
        uint64_t code;
        int k = uvarint_get(in + pos, n - pos, &code);
        if (k <= 0)
            return -1;
        pos += (size_t)k;
        if (code == 0x04 && n - pos >= 4) {
            m->ip = p2p_be32(in + pos);
            pos += 4;
            ip = true;
        } else if (code == 0x06 && n - pos >= 2) {
            m->port = p2p_be16(in + pos);
            pos += 2;
            tcp = true;
        } else if (code == 0x01a5) {
            uint64_t len;
            k = uvarint_get(in + pos, n - pos, &len);
            if (k <= 0 || len != P2P_PEERID_LEN || n - pos - (size_t)k < len)
                return -1;
            pos += (size_t)k;
            memcpy(m->peer.b, in + pos, P2P_PEERID_LEN);
            pos += P2P_PEERID_LEN;
            m->has_peer = true;
        } else {
            return -1; /* a protocol we do not dial (ip6, udp, quic, ...) */
        }
    }
    return ip && tcp ? 0 : -1;
}
