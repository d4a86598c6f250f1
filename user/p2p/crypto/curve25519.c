/* Arithmetic mod p = 2^255 - 19 in five 51-bit limbs (products in 128 bits),
 * the X25519 Montgomery ladder (RFC 7748 section 5) and Ed25519 on the
 * twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 in extended coordinates
 * (RFC 8032 section 5.1). Secret-dependent choices are masks, not branches:
 * the ladder swaps with cswap, the Ed25519 scalar multiplication adds every
 * step and keeps the sum with cmov. Constants that follow from the curve (d,
 * sqrt(-1), the base point) are computed once instead of typed in. */
#include "curve25519.h"
#include "sha2.h"

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;

#define MASK51 ((1ULL << 51) - 1)

static void fe_frombytes(fe *h, const uint8_t s[32])
{
    h->v[0] = p2p_le64(s) & MASK51;
    h->v[1] = (p2p_le64(s + 6) >> 3) & MASK51;
    h->v[2] = (p2p_le64(s + 12) >> 6) & MASK51;
    h->v[3] = (p2p_le64(s + 19) >> 1) & MASK51;
    h->v[4] = (p2p_le64(s + 24) >> 12) & MASK51;
}

/* Carries limbs 0..3 into their successors; returns what leaves limb 4. */
static uint64_t fe_carry_chain(fe *h)
{
    uint64_t c = 0;
    for (int i = 0; i < 5; i++) {
        h->v[i] += c;
        c = h->v[i] >> 51;
        h->v[i] &= MASK51;
    }
    return c;
}

/* Limbs back below 2^51 (plus a bit in limb 1), wrapping 2^255 as 19. */
static void fe_carry(fe *h)
{
    h->v[0] += fe_carry_chain(h) * 19;
    h->v[1] += h->v[0] >> 51;
    h->v[0] &= MASK51;
}

/* The canonical encoding: fully reduced below p, little endian. */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
    fe h = *f;
    fe_carry(&h);
    fe_carry(&h);
    /* h < 2^255 + small; q = 1 when h >= p. */
    uint64_t q = (h.v[0] + 19) >> 51;
    q = (h.v[1] + q) >> 51;
    q = (h.v[2] + q) >> 51;
    q = (h.v[3] + q) >> 51;
    q = (h.v[4] + q) >> 51;
    h.v[0] += 19 * q;
    fe_carry_chain(&h); /* drops 2^255: h - p when q = 1 */
    p2p_put_le64(s, h.v[0] | h.v[1] << 51);
    p2p_put_le64(s + 8, h.v[1] >> 13 | h.v[2] << 38);
    p2p_put_le64(s + 16, h.v[2] >> 26 | h.v[3] << 25);
    p2p_put_le64(s + 24, h.v[3] >> 39 | h.v[4] << 12);
}

static void fe_0(fe *h) { memset(h, 0, sizeof *h); }
static void fe_1(fe *h) { fe_0(h); h->v[0] = 1; }

static void fe_add(fe *h, const fe *f, const fe *g)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = f->v[i] + g->v[i];
    fe_carry(h);
}

/* f - g + 4p, so no limb goes negative for inputs below 2^53. */
static void fe_sub(fe *h, const fe *f, const fe *g)
{
    h->v[0] = f->v[0] + 0x1fffffffffffb4ULL - g->v[0];
    for (int i = 1; i < 5; i++)
        h->v[i] = f->v[i] + 0x1ffffffffffffcULL - g->v[i];
    fe_carry(h);
}

static void fe_neg(fe *h, const fe *f)
{
    fe z;
    fe_0(&z);
    fe_sub(h, &z, f);
}

static void fe_mul(fe *h, const fe *f, const fe *g)
{
    uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    uint64_t g1_19 = g1 * 19, g2_19 = g2 * 19, g3_19 = g3 * 19, g4_19 = g4 * 19;
    u128 r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    u128 r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    r1 += (uint64_t)(r0 >> 51);
    r2 += (uint64_t)(r1 >> 51);
    r3 += (uint64_t)(r2 >> 51);
    r4 += (uint64_t)(r3 >> 51);
    uint64_t c = (uint64_t)(r4 >> 51);
    h->v[0] = ((uint64_t)r0 & MASK51) + c * 19;
    h->v[1] = (uint64_t)r1 & MASK51;
    h->v[2] = (uint64_t)r2 & MASK51;
    h->v[3] = (uint64_t)r3 & MASK51;
    h->v[4] = (uint64_t)r4 & MASK51;
    h->v[1] += h->v[0] >> 51;
    h->v[0] &= MASK51;
}

static void fe_sq(fe *h, const fe *f) { fe_mul(h, f, f); }

static void fe_mul_small(fe *h, const fe *f, uint32_t k)
{
    u128 c = 0;
    for (int i = 0; i < 5; i++) {
        c += (u128)f->v[i] * k;
        h->v[i] = (uint64_t)c & MASK51;
        c >>= 51;
    }
    h->v[0] += (uint64_t)c * 19;
    fe_carry(h);
}

/* f^e for a public exponent e (32 bytes, little endian). */
static void fe_pow(fe *h, const fe *f, const uint8_t e[32])
{
    fe r;
    fe_1(&r);
    for (int i = 255; i >= 0; i--) {
        fe_sq(&r, &r);
        if ((e[i / 8] >> (i % 8)) & 1)
            fe_mul(&r, &r, f);
    }
    *h = r;
}

/* p - 2, (p - 5) / 8 and (p - 1) / 4, little endian. */
static const uint8_t EXP_P_MINUS_2[32] = {
    0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
static const uint8_t EXP_P_MINUS_5_DIV_8[32] = {
    0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f};
static const uint8_t EXP_P_MINUS_1_DIV_4[32] = {
    0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f};

static void fe_invert(fe *h, const fe *f) { fe_pow(h, f, EXP_P_MINUS_2); }

static void fe_cswap(fe *f, fe *g, uint64_t bit)
{
    uint64_t mask = 0 - bit;
    for (int i = 0; i < 5; i++) {
        uint64_t x = mask & (f->v[i] ^ g->v[i]);
        f->v[i] ^= x;
        g->v[i] ^= x;
    }
}

static void fe_cmov(fe *f, const fe *g, uint64_t bit)
{
    uint64_t mask = 0 - bit;
    for (int i = 0; i < 5; i++)
        f->v[i] ^= mask & (f->v[i] ^ g->v[i]);
}

static bool fe_eq(const fe *f, const fe *g)
{
    uint8_t a[32], b[32];
    fe_tobytes(a, f);
    fe_tobytes(b, g);
    return p2p_ct_cmp(a, b, 32) == 0;
}

static int fe_isodd(const fe *f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

/* ---- X25519 ---- */

int x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
    uint8_t k[32];
    memcpy(k, scalar, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb, t;
    fe_frombytes(&x1, point);
    fe_1(&x2);
    fe_0(&z2);
    x3 = x1;
    fe_1(&z3);
    uint64_t swap = 0;
    for (int i = 254; i >= 0; i--) {
        uint64_t bit = (k[i / 8] >> (i % 8)) & 1;
        swap ^= bit;
        fe_cswap(&x2, &x3, swap);
        fe_cswap(&z2, &z3, swap);
        swap = bit;
        fe_add(&a, &x2, &z2);
        fe_sq(&aa, &a);
        fe_sub(&b, &x2, &z2);
        fe_sq(&bb, &b);
        fe_sub(&e, &aa, &bb);
        fe_add(&c, &x3, &z3);
        fe_sub(&d, &x3, &z3);
        fe_mul(&da, &d, &a);
        fe_mul(&cb, &c, &b);
        fe_add(&t, &da, &cb);
        fe_sq(&x3, &t);
        fe_sub(&t, &da, &cb);
        fe_sq(&t, &t);
        fe_mul(&z3, &x1, &t);
        fe_mul(&x2, &aa, &bb);
        fe_mul_small(&t, &e, 121665);
        fe_add(&t, &aa, &t);
        fe_mul(&z2, &e, &t);
    }
    fe_cswap(&x2, &x3, swap);
    fe_cswap(&z2, &z3, swap);
    fe_invert(&z2, &z2);
    fe_mul(&x2, &x2, &z2);
    fe_tobytes(out, &x2);
    p2p_wipe(k, sizeof k);
    uint8_t nz = 0;
    for (int i = 0; i < 32; i++)
        nz |= out[i];
    return nz ? 0 : -1;
}

void x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    static const uint8_t nine[32] = {9};
    x25519(out, scalar, nine);
}

/* ---- Ed25519 ---- */

typedef struct { fe X, Y, Z, T; } ge;

static fe ED_D, ED_2D, SQRT_M1;
static ge ED_B;
static bool ed_ready;

static bool ge_frombytes(ge *p, const uint8_t s[32]);

static void ed_init(void)
{
    if (ed_ready)
        return;
    fe a, b;
    /* d = -121665 / 121666 */
    fe_0(&a); a.v[0] = 121665;
    fe_0(&b); b.v[0] = 121666;
    fe_invert(&b, &b);
    fe_mul(&a, &a, &b);
    fe_neg(&ED_D, &a);
    fe_add(&ED_2D, &ED_D, &ED_D);
    /* sqrt(-1) = 2^((p-1)/4) */
    fe_0(&a); a.v[0] = 2;
    fe_pow(&SQRT_M1, &a, EXP_P_MINUS_1_DIV_4);
    /* B: y = 4/5, x even. */
    fe_0(&a); a.v[0] = 4;
    fe_0(&b); b.v[0] = 5;
    fe_invert(&b, &b);
    fe_mul(&a, &a, &b);
    uint8_t enc[32];
    fe_tobytes(enc, &a);
    ed_ready = true;
    ge_frombytes(&ED_B, enc);
}

static void ge_identity(ge *p)
{
    fe_0(&p->X);
    fe_1(&p->Y);
    fe_1(&p->Z);
    fe_0(&p->T);
}

/* Unified addition for a = -1 (Hisil et al. 2008, "add-2008-hwcd-3"); also doubles. */
static void ge_add(ge *r, const ge *p, const ge *q)
{
    fe a, b, c, d, e, f, g, h, t;
    fe_sub(&a, &p->Y, &p->X);
    fe_sub(&t, &q->Y, &q->X);
    fe_mul(&a, &a, &t);
    fe_add(&b, &p->Y, &p->X);
    fe_add(&t, &q->Y, &q->X);
    fe_mul(&b, &b, &t);
    fe_mul(&c, &p->T, &q->T);
    fe_mul(&c, &c, &ED_2D);
    fe_mul(&d, &p->Z, &q->Z);
    fe_add(&d, &d, &d);
    fe_sub(&e, &b, &a);
    fe_sub(&f, &d, &c);
    fe_add(&g, &d, &c);
    fe_add(&h, &b, &a);
    fe_mul(&r->X, &e, &f);
    fe_mul(&r->Y, &g, &h);
    fe_mul(&r->T, &e, &h);
    fe_mul(&r->Z, &f, &g);
}

static void ge_cmov(ge *p, const ge *q, uint64_t bit)
{
    fe_cmov(&p->X, &q->X, bit);
    fe_cmov(&p->Y, &q->Y, bit);
    fe_cmov(&p->Z, &q->Z, bit);
    fe_cmov(&p->T, &q->T, bit);
}

/* r = [s]p, s 32 bytes little endian; the same operations for every s. */
static void ge_scalarmult(ge *r, const uint8_t s[32], const ge *p)
{
    ge q, t;
    ge_identity(&q);
    for (int i = 255; i >= 0; i--) {
        ge_add(&q, &q, &q);
        ge_add(&t, &q, p);
        ge_cmov(&q, &t, (s[i / 8] >> (i % 8)) & 1);
    }
    *r = q;
}

static void ge_tobytes(uint8_t s[32], const ge *p)
{
    fe zi, x, y;
    fe_invert(&zi, &p->Z);
    fe_mul(&x, &p->X, &zi);
    fe_mul(&y, &p->Y, &zi);
    fe_tobytes(s, &y);
    s[31] ^= (uint8_t)(fe_isodd(&x) << 7);
}

/* RFC 8032 5.1.3. Rejects y >= p and points not on the curve. */
static bool ge_frombytes(ge *p, const uint8_t s[32])
{
    uint8_t ys[32], chk[32];
    memcpy(ys, s, 32);
    int sign = ys[31] >> 7;
    ys[31] &= 0x7f;
    fe y, u, v, v3, x, t, vx2;
    fe_frombytes(&y, ys);
    fe_tobytes(chk, &y);
    if (memcmp(chk, ys, 32) != 0)
        return false;
    fe_sq(&u, &y);
    fe_mul(&v, &u, &ED_D);
    fe_1(&t);
    fe_sub(&u, &u, &t);       /* u = y^2 - 1 */
    fe_add(&v, &v, &t);       /* v = d y^2 + 1 */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);     /* v^3 */
    fe_sq(&x, &v3);
    fe_mul(&x, &x, &v);
    fe_mul(&x, &x, &u);       /* u v^7 */
    fe_pow(&x, &x, EXP_P_MINUS_5_DIV_8);
    fe_mul(&x, &x, &v3);
    fe_mul(&x, &x, &u);       /* u v^3 (u v^7)^((p-5)/8) */
    fe_sq(&vx2, &x);
    fe_mul(&vx2, &vx2, &v);
    fe nu;
    fe_neg(&nu, &u);
    if (fe_eq(&vx2, &u)) {
        /* x is a root */
    } else if (fe_eq(&vx2, &nu)) {
        fe_mul(&x, &x, &SQRT_M1);
    } else {
        return false;
    }
    uint8_t xs[32], zero[32] = {0};
    fe_tobytes(xs, &x);
    if (memcmp(xs, zero, 32) == 0 && sign)
        return false;
    if ((xs[0] & 1) != sign)
        fe_neg(&x, &x);
    p->X = x;
    p->Y = y;
    fe_1(&p->Z);
    fe_mul(&p->T, &x, &y);
    return true;
}

/* ---- scalars mod L = 2^252 + 27742317777372353535851937790883648493 ---- */

static const uint64_t ED_L[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL};

/* r = x mod L for a 512-bit x (8 limbs, little endian): binary long division
 * with a masked subtraction each step, so the time does not depend on x. */
static void sc_reduce_limbs(uint64_t r[4], const uint64_t x[8])
{
    uint64_t a[4] = {0, 0, 0, 0};
    for (int i = 511; i >= 0; i--) {
        /* a = 2a + bit; a < 2L < 2^254 keeps it in four limbs. */
        a[3] = a[3] << 1 | a[2] >> 63;
        a[2] = a[2] << 1 | a[1] >> 63;
        a[1] = a[1] << 1 | a[0] >> 63;
        a[0] = a[0] << 1 | ((x[i / 64] >> (i % 64)) & 1);
        uint64_t t[4], borrow = 0;
        for (int j = 0; j < 4; j++) {
            u128 d = (u128)a[j] - ED_L[j] - borrow;
            t[j] = (uint64_t)d;
            borrow = (uint64_t)(d >> 64) & 1;
        }
        uint64_t keep = 0 - borrow; /* all ones when a < L */
        for (int j = 0; j < 4; j++)
            a[j] = (a[j] & keep) | (t[j] & ~keep);
    }
    memcpy(r, a, sizeof a);
}

static void sc_store(uint8_t s[32], const uint64_t r[4])
{
    for (int i = 0; i < 4; i++)
        p2p_put_le64(s + 8 * i, r[i]);
}

static void sc_reduce64(uint8_t out[32], const uint8_t in[64])
{
    uint64_t x[8], r[4];
    for (int i = 0; i < 8; i++)
        x[i] = p2p_le64(in + 8 * i);
    sc_reduce_limbs(r, x);
    sc_store(out, r);
}

/* out = (a * b + c) mod L */
static void sc_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32], const uint8_t c[32])
{
    uint64_t x[8] = {0}, al[4], bl[4], r[4];
    for (int i = 0; i < 4; i++) {
        al[i] = p2p_le64(a + 8 * i);
        bl[i] = p2p_le64(b + 8 * i);
        x[i] = p2p_le64(c + 8 * i);
    }
    for (int i = 0; i < 4; i++) {
        u128 carry = 0;
        for (int j = 0; j < 4; j++) {
            carry += (u128)al[i] * bl[j] + x[i + j];
            x[i + j] = (uint64_t)carry;
            carry >>= 64;
        }
        for (int k = i + 4; k < 8 && carry; k++) {
            carry += x[k];
            x[k] = (uint64_t)carry;
            carry >>= 64;
        }
    }
    sc_reduce_limbs(r, x);
    sc_store(out, r);
}

static bool sc_is_canonical(const uint8_t s[32])
{
    for (int i = 3; i >= 0; i--) {
        uint64_t v = p2p_le64(s + 8 * i);
        if (v < ED_L[i])
            return true;
        if (v > ED_L[i])
            return false;
    }
    return false; /* s == L */
}

static void ed_expand(const uint8_t seed[32], uint8_t a[32], uint8_t prefix[32])
{
    uint8_t h[64];
    sha512(seed, 32, h);
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    memcpy(a, h, 32);
    memcpy(prefix, h + 32, 32);
    p2p_wipe(h, sizeof h);
}

void ed25519_public(uint8_t pub[32], const uint8_t seed[32])
{
    uint8_t a[32], prefix[32];
    ge A;
    ed_init();
    ed_expand(seed, a, prefix);
    ge_scalarmult(&A, a, &ED_B);
    ge_tobytes(pub, &A);
    p2p_wipe(a, sizeof a);
    p2p_wipe(prefix, sizeof prefix);
}

void ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t pub[32], const void *msg, size_t n)
{
    uint8_t a[32], prefix[32], h[64], r[32], k[32];
    struct sha512 s;
    ge R;
    ed_init();
    ed_expand(seed, a, prefix);
    sha512_init(&s);
    sha512_update(&s, prefix, 32);
    sha512_update(&s, msg, n);
    sha512_final(&s, h);
    sc_reduce64(r, h);
    ge_scalarmult(&R, r, &ED_B);
    ge_tobytes(sig, &R);
    sha512_init(&s);
    sha512_update(&s, sig, 32);
    sha512_update(&s, pub, 32);
    sha512_update(&s, msg, n);
    sha512_final(&s, h);
    sc_reduce64(k, h);
    sc_muladd(sig + 32, k, a, r);
    p2p_wipe(a, sizeof a);
    p2p_wipe(prefix, sizeof prefix);
    p2p_wipe(r, sizeof r);
    p2p_wipe(h, sizeof h);
}

bool ed25519_verify(const uint8_t sig[64], const uint8_t pub[32], const void *msg, size_t n)
{
    ge A, R, sB, kA;
    uint8_t h[64], k[32], enc[32];
    struct sha512 s;
    ed_init();
    if (!sc_is_canonical(sig + 32))
        return false;
    if (!ge_frombytes(&A, pub) || !ge_frombytes(&R, sig))
        return false;
    sha512_init(&s);
    sha512_update(&s, sig, 32);
    sha512_update(&s, pub, 32);
    sha512_update(&s, msg, n);
    sha512_final(&s, h);
    sc_reduce64(k, h);
    /* [S]B == R + [k]A, compared as encodings: [S]B - [k]A must encode to R. */
    ge_scalarmult(&sB, sig + 32, &ED_B);
    fe_neg(&A.X, &A.X);
    fe_neg(&A.T, &A.T);
    ge_scalarmult(&kA, k, &A);
    ge_add(&sB, &sB, &kA);
    ge_tobytes(enc, &sB);
    return memcmp(enc, sig, 32) == 0;
}
