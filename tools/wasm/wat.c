/* WAT (WebAssembly 1.0 text format) to binary, host only. The text is read
 * into S-expressions, then each module field is encoded the way the spec's
 * text format defines it (abbreviations expanded: inline imports/exports,
 * inline elem/data, folded instructions, implicit type uses). */
#define _GNU_SOURCE
#include "wat.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "wasm/wasm.h"

/* ---------- errors ---------- */

typedef struct wctx {
    jmp_buf jb; /* host-only code: errors unwind to wat_compile */
    char *err;
    size_t errlen;
} wctx;

static void wfail(wctx *w, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void wfail(wctx *w, int line, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->err && w->errlen)
        snprintf(w->err, w->errlen, "%d: %s", line, msg);
    longjmp(w->jb, 1);
}

static void *xalloc(wctx *w, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        wfail(w, 0, "out of memory");
    return p;
}

/* ---------- byte buffers ---------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

/* Storage of the buffers alive in the compile in progress: an error unwinds
 * with longjmp past their owners, so wat_compile frees what is left here.
 * (Host tool, one compile at a time.) */
static uint8_t **live_bufs;
static size_t nlive, caplive;

/* The registry slot that holds p, or nlive when p is not there. A grower
 * looks its buffer up before realloc: the old pointer's value may not be
 * used once realloc has freed it. */
static size_t live_slot(const uint8_t *p)
{
    for (size_t i = nlive; p && i-- > 0;)
        if (live_bufs[i] == p)
            return i;
    return nlive;
}

/* Puts now in the slot (from live_slot), or registers it when slot is nlive. */
static void live_put(size_t slot, uint8_t *now)
{
    if (slot < nlive) {
        live_bufs[slot] = now;
        return;
    }
    if (nlive == caplive) {
        caplive = caplive ? caplive * 2 : 64;
        live_bufs = realloc(live_bufs, caplive * sizeof *live_bufs);
        if (!live_bufs)
            abort();
    }
    live_bufs[nlive++] = now;
}

/* Replaces old (NULL: none) by now in the registry; now NULL takes old out. */
static void live_set(uint8_t *old, uint8_t *now)
{
    size_t slot = live_slot(old);
    if (now)
        live_put(slot, now);
    else if (slot < nlive)
        live_bufs[slot] = live_bufs[--nlive];
}

/* Takes a buffer out of the registry: its new owner frees it. */
static uint8_t *live_take(uint8_t *p)
{
    if (p)
        live_set(p, NULL);
    return p;
}

/* The parsed tree owns its storage from here on (sx_free frees it). */
static void live_forget_all(void) { nlive = 0; }

static void live_free_all(void)
{
    for (size_t i = 0; i < nlive; i++)
        free(live_bufs[i]);
    free(live_bufs);
    live_bufs = NULL;
    nlive = caplive = 0;
}

static void b_bytes(buf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        while (nc < b->n + n)
            nc *= 2;
        size_t slot = live_slot(b->p);
        uint8_t *np = realloc(b->p, nc);
        if (!np)
            abort();
        live_put(slot, np);
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void b_byte(buf *b, uint8_t v) { b_bytes(b, &v, 1); }
static void b_u32(buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        b_byte(b, c);
    } while (v);
}
static void b_s64(buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7; /* arithmetic on the host compilers kos supports */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            b_byte(b, c);
            return;
        }
        b_byte(b, c | 0x80);
    }
}
static void b_str(buf *b, const uint8_t *s, size_t n)
{
    b_u32(b, n);
    b_bytes(b, s, n);
}
static void b_free(buf *b)
{
    live_take(b->p);
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---------- S-expressions ---------- */

enum { SX_LIST, SX_ATOM, SX_STRING };

typedef struct sx {
    int kind;
    int line;
    const char *a; /* atom text (not terminated) */
    size_t alen;
    uint8_t *s; /* string bytes (escapes decoded) */
    size_t slen;
    struct sx *kids;
    size_t n, cap;
} sx;

typedef struct lexer {
    wctx *w;
    const char *p, *end;
    int line;
} lexer;

static int idchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c));
}

static void skip_space(lexer *L)
{
    while (L->p < L->end) {
        char c = *L->p;
        if (c == '\n') {
            L->line++;
            L->p++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            L->p++;
        } else if (c == ';' && L->p + 1 < L->end && L->p[1] == ';') {
            while (L->p < L->end && *L->p != '\n')
                L->p++;
        } else if (c == '(' && L->p + 1 < L->end && L->p[1] == ';') {
            int depth = 1;
            L->p += 2;
            while (depth > 0) {
                if (L->p >= L->end)
                    wfail(L->w, L->line, "unclosed block comment");
                if (L->p[0] == '(' && L->p + 1 < L->end && L->p[1] == ';') {
                    depth++;
                    L->p += 2;
                } else if (L->p[0] == ';' && L->p + 1 < L->end && L->p[1] == ')') {
                    depth--;
                    L->p += 2;
                } else {
                    if (*L->p == '\n')
                        L->line++;
                    L->p++;
                }
            }
        } else {
            break;
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(buf *b, uint32_t cp)
{
    uint8_t t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xc0 | (cp >> 6));
        t[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (uint8_t)(0xe0 | (cp >> 12));
        t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        t[0] = (uint8_t)(0xf0 | (cp >> 18));
        t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        t[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    b_bytes(b, t, n);
}

static void read_string(lexer *L, sx *out)
{
    buf b = {0};
    L->p++;
    for (;;) {
        if (L->p >= L->end || *L->p == '\n')
            wfail(L->w, L->line, "unterminated string");
        unsigned char c = (unsigned char)*L->p++;
        if (c == '"')
            break;
        if (c < 0x20 || c == 0x7f)
            wfail(L->w, L->line, "malformed string (control character)");
        if (c != '\\') {
            b_byte(&b, c);
            continue;
        }
        if (L->p >= L->end)
            wfail(L->w, L->line, "unterminated string");
        char e = *L->p++;
        switch (e) {
        case 't': b_byte(&b, '\t'); break;
        case 'n': b_byte(&b, '\n'); break;
        case 'r': b_byte(&b, '\r'); break;
        case '"': b_byte(&b, '"'); break;
        case '\'': b_byte(&b, '\''); break;
        case '\\': b_byte(&b, '\\'); break;
        case 'u': {
            if (L->p >= L->end || *L->p != '{')
                wfail(L->w, L->line, "malformed escape");
            L->p++;
            uint32_t cp = 0;
            int digits = 0;
            while (L->p < L->end && *L->p != '}') {
                int h = hexval(*L->p);
                if (h < 0 && *L->p != '_')
                    wfail(L->w, L->line, "malformed escape");
                if (h >= 0) {
                    cp = cp * 16 + (uint32_t)h;
                    digits++;
                    if (cp > 0x10ffff)
                        wfail(L->w, L->line, "malformed escape (code point too large)");
                }
                L->p++;
            }
            if (L->p >= L->end || !digits || (cp >= 0xd800 && cp < 0xe000))
                wfail(L->w, L->line, "malformed escape");
            L->p++;
            put_utf8(&b, cp);
            break;
        }
        default: {
            int h1 = hexval(e), h2 = L->p < L->end ? hexval(*L->p) : -1;
            if (h1 < 0 || h2 < 0)
                wfail(L->w, L->line, "malformed escape");
            L->p++;
            b_byte(&b, (uint8_t)(h1 * 16 + h2));
        }
        }
    }
    out->kind = SX_STRING;
    if (!b.p) {
        b.p = xalloc(L->w, 1);
        live_set(NULL, b.p);
    }
    out->s = b.p; /* stays registered until sx_free */
    out->slen = b.n;
}

static void sx_push(wctx *w, sx *list, const sx *item)
{
    if (list->n == list->cap) {
        size_t nc = list->cap ? list->cap * 2 : 4;
        size_t slot = live_slot((uint8_t *)list->kids);
        sx *nk = realloc(list->kids, nc * sizeof(sx));
        if (!nk)
            wfail(w, item->line, "out of memory");
        live_put(slot, (uint8_t *)nk);
        list->kids = nk;
        list->cap = nc;
    }
    list->kids[list->n++] = *item;
}

/* Reads one item; returns 0 at ')' or end of input. */
static int read_sx(lexer *L, sx *out, int depth)
{
    skip_space(L);
    memset(out, 0, sizeof *out);
    out->line = L->line;
    if (L->p >= L->end || *L->p == ')')
        return 0;
    if (depth > 1000)
        wfail(L->w, L->line, "nested too deeply");
    char c = *L->p;
    if (c == '(') {
        L->p++;
        out->kind = SX_LIST;
        sx item;
        while (read_sx(L, &item, depth + 1))
            sx_push(L->w, out, &item);
        if (L->p >= L->end)
            wfail(L->w, out->line, "unexpected end (unclosed parenthesis)");
        L->p++;
        return 1;
    }
    if (c == '"') {
        read_string(L, out);
    } else if (idchar(c)) {
        out->kind = SX_ATOM;
        out->a = L->p;
        while (L->p < L->end && idchar(*L->p))
            L->p++;
        out->alen = (size_t)(L->p - out->a);
    } else {
        wfail(L->w, L->line, "unexpected character");
    }
    /* tokens must be separated: `0drop` or `"a""b"` is one bad token */
    if (L->p < L->end && (*L->p == '"' || idchar(*L->p)))
        wfail(L->w, L->line, "unexpected token (tokens not separated)");
    return 1;
}

static void sx_free(sx *s)
{
    if (s->kind == SX_STRING)
        free(live_take(s->s));
    for (size_t i = 0; i < s->n; i++)
        sx_free(&s->kids[i]);
    free(live_take((uint8_t *)s->kids));
}

static int is_atom(const sx *s, const char *word)
{
    return s && s->kind == SX_ATOM && s->alen == strlen(word) && !memcmp(s->a, word, s->alen);
}
static int is_list(const sx *s, const char *head)
{
    return s && s->kind == SX_LIST && s->n > 0 && is_atom(&s->kids[0], head);
}
static int is_id(const sx *s) { return s && s->kind == SX_ATOM && s->alen > 1 && s->a[0] == '$'; }

/* ---------- numbers ---------- */

/* Copies the literal without underscores, checking they sit between digits. */
static int strip_underscores(const sx *s, char *out, size_t outlen, int hex)
{
    size_t n = 0;
    for (size_t i = 0; i < s->alen; i++) {
        char c = s->a[i];
        if (c == '_') {
            int prev_ok = i > 0 && (hex ? hexval(s->a[i - 1]) >= 0 : (s->a[i - 1] >= '0' && s->a[i - 1] <= '9'));
            int next_ok = i + 1 < s->alen &&
                          (hex ? hexval(s->a[i + 1]) >= 0 : (s->a[i + 1] >= '0' && s->a[i + 1] <= '9'));
            if (!prev_ok || !next_ok)
                return 0;
            continue;
        }
        if (n + 1 >= outlen)
            return 0;
        out[n++] = c;
    }
    out[n] = 0;
    return 1;
}

/* Unsigned integer literal (decimal or 0x hex); returns 0 if not one. */
static int parse_uint(const sx *s, uint64_t *v, int *overflow)
{
    char t[128];
    const char *p;
    *overflow = 0;
    if (!s || s->kind != SX_ATOM)
        return 0;
    int hex = s->alen > 2 && s->a[0] == '0' && s->a[1] == 'x';
    if (!strip_underscores(s, t, sizeof t, hex))
        return 0;
    p = hex ? t + 2 : t;
    if (!*p)
        return 0;
    uint64_t x = 0;
    for (; *p; p++) {
        int d = hex ? hexval(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
        if (d < 0)
            return 0;
        uint64_t base = hex ? 16 : 10;
        if (x > (UINT64_MAX - (uint64_t)d) / base)
            *overflow = 1;
        x = x * base + (uint64_t)d;
    }
    *v = x;
    return 1;
}

/* Integer literal for an N-bit constant: accepts [-2^(N-1), 2^N). */
static int parse_int(wctx *w, const sx *s, int bits, uint64_t *out)
{
    if (!s || s->kind != SX_ATOM || !s->alen)
        return 0;
    int neg = s->a[0] == '-', sign = neg || s->a[0] == '+';
    sx rest = *s;
    rest.a += sign;
    rest.alen -= (size_t)sign;
    uint64_t v;
    int ovf;
    if (!parse_uint(&rest, &v, &ovf))
        return 0;
    uint64_t max = bits == 32 ? 0xffffffffull : UINT64_MAX;
    uint64_t negmax = bits == 32 ? 0x80000000ull : 0x8000000000000000ull;
    if (ovf || (!neg && v > max) || (neg && v > negmax))
        wfail(w, s->line, "constant out of range");
    v = neg ? (uint64_t)(0 - v) : v;
    *out = bits == 32 ? (uint32_t)v : v;
    return 1;
}

static int parse_u32(wctx *w, const sx *s, uint32_t *out)
{
    uint64_t v;
    int ovf;
    if (!parse_uint(s, &v, &ovf))
        return 0;
    if (ovf || v > 0xffffffffu)
        wfail(w, s->line, "constant out of range");
    *out = (uint32_t)v;
    return 1;
}

/* Float literal to bits; bits=32 or 64. Decimal and hex use the C library's
 * correctly rounded strtof/strtod (host only). */
static int parse_float(wctx *w, const sx *s, int bits, uint64_t *out)
{
    if (!s || s->kind != SX_ATOM || !s->alen)
        return 0;
    int neg = s->a[0] == '-', sign = neg || s->a[0] == '+';
    const char *a = s->a + sign;
    size_t alen = s->alen - (size_t)sign;
    uint64_t signbit = neg ? (bits == 32 ? 0x80000000ull : 0x8000000000000000ull) : 0;
    uint64_t expmask = bits == 32 ? 0x7f800000ull : 0x7ff0000000000000ull;
    uint64_t fracmask = bits == 32 ? 0x7fffffull : 0xfffffffffffffull;
    if (alen == 3 && !memcmp(a, "inf", 3)) {
        *out = signbit | expmask;
        return 1;
    }
    if (alen == 3 && !memcmp(a, "nan", 3)) {
        *out = signbit | expmask | (fracmask + 1) / 2;
        return 1;
    }
    if (alen > 6 && !memcmp(a, "nan:0x", 6)) {
        sx pay = *s;
        pay.a = a + 4;
        pay.alen = alen - 4;
        uint64_t v;
        int ovf;
        if (!parse_uint(&pay, &v, &ovf))
            return 0;
        if (ovf || v == 0 || v > fracmask)
            wfail(w, s->line, "constant out of range");
        *out = signbit | expmask | v;
        return 1;
    }
    int hex = alen > 2 && a[0] == '0' && a[1] == 'x';
    /* shape check: digits [. digits] [e/p [sign] digits] */
    size_t i = hex ? 2 : 0;
    int mant = 0;
    int (*isdig)(char) = NULL;
    (void)isdig;
#define DIG(c) (hex ? hexval(c) >= 0 : ((c) >= '0' && (c) <= '9'))
    while (i < alen && (DIG(a[i]) || a[i] == '_')) {
        mant++;
        i++;
    }
    if (!mant)
        return 0;
    if (i < alen && a[i] == '.') {
        i++;
        while (i < alen && (DIG(a[i]) || a[i] == '_'))
            i++;
    }
    if (i < alen && (hex ? (a[i] == 'p' || a[i] == 'P') : (a[i] == 'e' || a[i] == 'E'))) {
        i++;
        if (i < alen && (a[i] == '+' || a[i] == '-'))
            i++;
        int ed = 0;
        while (i < alen && ((a[i] >= '0' && a[i] <= '9') || a[i] == '_')) {
            ed++;
            i++;
        }
        if (!ed)
            return 0;
    }
#undef DIG
    if (i != alen)
        return 0;
    /* underscores only between digits */
    char t[512];
    size_t n = 0;
    for (size_t k = 0; k < s->alen; k++) {
        char c = s->a[k];
        if (c == '_') {
            char pc = k ? s->a[k - 1] : 0, nc = k + 1 < s->alen ? s->a[k + 1] : 0;
            int pok = hex ? hexval(pc) >= 0 : (pc >= '0' && pc <= '9');
            int nok = hex ? hexval(nc) >= 0 : (nc >= '0' && nc <= '9');
            if (!pok || !nok)
                return 0;
            continue;
        }
        if (n + 2 >= sizeof t)
            wfail(w, s->line, "constant too long");
        t[n++] = c;
    }
    t[n] = 0;
    /* "0x1." and "0x1p" forms: strtod wants an exponent after hex mantissas */
    if (hex && !strpbrk(t, "pP")) {
        if (n + 3 >= sizeof t)
            wfail(w, s->line, "constant too long");
        strcat(t, "p0");
    }
    errno = 0;
    if (bits == 32) {
        float f = strtof(t, NULL);
        if (isinf(f))
            wfail(w, s->line, "constant out of range");
        uint32_t u;
        memcpy(&u, &f, 4);
        *out = u;
    } else {
        double d = strtod(t, NULL);
        if (isinf(d))
            wfail(w, s->line, "constant out of range");
        memcpy(out, &d, 8);
    }
    return 1;
}

/* ---------- module compilation ---------- */

typedef struct ftype {
    uint8_t params[256];
    uint32_t np;
    uint8_t results[4];
    uint32_t nr;
} ftype;

typedef struct space {
    char **ids; /* NULL entries: unnamed */
    size_t n, cap;
} space;

typedef struct label {
    const char *id;
    size_t idlen;
} label;

typedef struct mod {
    wctx *w;
    ftype *types;
    size_t ntypes, captypes, nexplicit;
    space type_ids, funcs, tables, mems, globals;
    space scratch; /* parameter names that are parsed and ignored */
    uint32_t *func_type; /* per func index */
    uint8_t *global_type;
    size_t nfunc_imports, ntable_imports, nmem_imports, nglobal_imports;
    const char *seen_def; /* first definition (func/table/memory/global): imports may not follow */
    buf s_type, s_import, s_func, s_table, s_mem, s_global, s_export, s_start, s_elem, s_code, s_data;
    uint32_t n_import, n_func, n_table, n_mem, n_global, n_export, n_elem, n_code, n_data;
    int has_start;
    /* per function */
    space locals;
    uint8_t *local_types;
    label labels[1024];
    int nlabels;
} mod;

static char *id_dup(wctx *w, const sx *s)
{
    char *c = xalloc(w, s->alen + 1);
    memcpy(c, s->a, s->alen);
    return c;
}

static void space_add(mod *m, space *sp, const sx *id)
{
    if (sp->n == sp->cap) {
        size_t nc = sp->cap ? sp->cap * 2 : 8;
        char **ni = realloc(sp->ids, nc * sizeof(char *));
        if (!ni)
            wfail(m->w, 0, "out of memory");
        sp->ids = ni;
        sp->cap = nc;
    }
    char *name = NULL;
    if (id && is_id(id)) {
        for (size_t i = 0; i < sp->n; i++)
            if (sp->ids[i] && strlen(sp->ids[i]) == id->alen && !memcmp(sp->ids[i], id->a, id->alen))
                wfail(m->w, id->line, "duplicate identifier %.*s", (int)id->alen, id->a);
        name = id_dup(m->w, id);
    }
    sp->ids[sp->n++] = name;
}

static void space_free(space *sp)
{
    for (size_t i = 0; i < sp->n; i++)
        free(sp->ids[i]);
    free(sp->ids);
    memset(sp, 0, sizeof *sp);
}

/* An index: a number or a $id of the space. */
static uint32_t resolve(mod *m, space *sp, const sx *s, const char *what)
{
    uint32_t v;
    if (parse_u32(m->w, s, &v))
        return v;
    if (is_id(s)) {
        for (size_t i = 0; i < sp->n; i++)
            if (sp->ids[i] && strlen(sp->ids[i]) == s->alen && !memcmp(sp->ids[i], s->a, s->alen))
                return (uint32_t)i;
        wfail(m->w, s->line, "unknown %s %.*s", what, (int)s->alen, s->a);
    }
    wfail(m->w, s ? s->line : 0, "unexpected token (expected a %s index)", what);
}

static int valtype_of(const sx *s, uint8_t *t)
{
    if (is_atom(s, "i32")) *t = 0x7f;
    else if (is_atom(s, "i64")) *t = 0x7e;
    else if (is_atom(s, "f32")) *t = 0x7d;
    else if (is_atom(s, "f64")) *t = 0x7c;
    else return 0;
    return 1;
}

static uint8_t need_valtype(mod *m, const sx *s)
{
    uint8_t t;
    if (!valtype_of(s, &t))
        wfail(m->w, s ? s->line : 0, "unexpected token (expected a value type)");
    return t;
}

static int ftype_eq(const ftype *a, const ftype *b)
{
    return a->np == b->np && a->nr == b->nr && !memcmp(a->params, b->params, a->np) &&
           !memcmp(a->results, b->results, a->nr);
}

static uint32_t add_type(mod *m, const ftype *t)
{
    if (m->ntypes == m->captypes) {
        size_t nc = m->captypes ? m->captypes * 2 : 8;
        ftype *nt = realloc(m->types, nc * sizeof(ftype));
        if (!nt)
            wfail(m->w, 0, "out of memory");
        m->types = nt;
        m->captypes = nc;
    }
    m->types[m->ntypes] = *t;
    return (uint32_t)m->ntypes++;
}

/* (param ...)* (result ...)* starting at kids[*i]; ids of params go to
 * `names` when given. Returns the number of items consumed. */
static void read_sig(mod *m, const sx *list, size_t *i, ftype *t, space *names, uint8_t *name_types)
{
    int seen_result = 0;
    while (*i < list->n) {
        const sx *it = &list->kids[*i];
        if (is_list(it, "param")) {
            if (seen_result)
                wfail(m->w, it->line, "result before parameter");
            if (it->n >= 2 && is_id(&it->kids[1])) {
                if (!names) /* call_indirect: no parameter names */
                    wfail(m->w, it->line, "unexpected token (named parameter)");
                if (it->n != 3)
                    wfail(m->w, it->line, "unexpected token (one type per named parameter)");
                if (t->np >= sizeof t->params)
                    wfail(m->w, it->line, "too many parameters");
                t->params[t->np] = need_valtype(m, &it->kids[2]);
                if (names) {
                    space_add(m, names, &it->kids[1]);
                    name_types[names->n - 1] = t->params[t->np];
                }
                t->np++;
            } else {
                for (size_t k = 1; k < it->n; k++) {
                    if (t->np >= sizeof t->params)
                        wfail(m->w, it->line, "too many parameters");
                    t->params[t->np] = need_valtype(m, &it->kids[k]);
                    if (names) {
                        space_add(m, names, NULL);
                        name_types[names->n - 1] = t->params[t->np];
                    }
                    t->np++;
                }
            }
        } else if (is_list(it, "result")) {
            seen_result = 1;
            for (size_t k = 1; k < it->n; k++) {
                if (t->nr >= sizeof t->results)
                    wfail(m->w, it->line, "too many results");
                t->results[t->nr++] = need_valtype(m, &it->kids[k]);
            }
        } else {
            break;
        }
        (*i)++;
    }
}

/* typeuse: (type x)? (param ..)* (result ..)*; returns the type index. */
static uint32_t read_typeuse(mod *m, const sx *list, size_t *i, space *names, uint8_t *name_types, ftype *sig)
{
    int explicit = 0;
    uint32_t idx = 0;
    int line = *i < list->n ? list->kids[*i].line : list->line;
    if (*i < list->n && is_list(&list->kids[*i], "type")) {
        const sx *ty = &list->kids[*i];
        if (ty->n != 2)
            wfail(m->w, ty->line, "unexpected token in type use");
        idx = resolve(m, &m->type_ids, &ty->kids[1], "type");
        (*i)++;
        if (idx >= m->nexplicit) {
            /* a numeric index past the types: the validator refuses it */
            ftype ignore;
            memset(&ignore, 0, sizeof ignore);
            read_sig(m, list, i, &ignore, NULL, NULL);
            return idx;
        }
        explicit = 1;
    }
    ftype t;
    memset(&t, 0, sizeof t);
    size_t before = *i;
    read_sig(m, list, i, &t, names, name_types);
    if (explicit) {
        if (*i != before && !ftype_eq(&t, &m->types[idx]))
            wfail(m->w, line, "inline function type");
        if (*i == before && names) {
            /* parameters of a bare (type x) are unnamed locals */
            for (uint32_t k = 0; k < m->types[idx].np; k++) {
                space_add(m, names, NULL);
                name_types[names->n - 1] = m->types[idx].params[k];
            }
        }
        if (sig)
            *sig = m->types[idx];
        return idx;
    }
    if (sig)
        *sig = t;
    for (size_t k = 0; k < m->ntypes; k++)
        if (ftype_eq(&m->types[k], &t))
            return (uint32_t)k;
    return add_type(m, &t);
}

/* inline (export "name")* at kids[*i] for an item of `kind` with index idx. */
static void inline_exports(mod *m, const sx *list, size_t *i, uint8_t kind, uint32_t idx);

static void check_name(mod *m, const sx *s)
{
    if (!s || s->kind != SX_STRING)
        wfail(m->w, s ? s->line : 0, "unexpected token (expected a name string)");
    if (!wasm_utf8_valid(s->s, s->slen)) /* names must be UTF-8: the decoder's rule */
        wfail(m->w, s->line, "invalid UTF-8 encoding");
}

static void inline_exports(mod *m, const sx *list, size_t *i, uint8_t kind, uint32_t idx)
{
    while (*i < list->n && is_list(&list->kids[*i], "export")) {
        const sx *e = &list->kids[*i];
        if (e->n != 2)
            wfail(m->w, e->line, "unexpected token in export");
        check_name(m, &e->kids[1]);
        b_str(&m->s_export, e->kids[1].s, e->kids[1].slen);
        b_byte(&m->s_export, kind);
        b_u32(&m->s_export, idx);
        m->n_export++;
        (*i)++;
    }
}

/* ---------- instructions ---------- */

enum imm { I_NONE, I_LOCAL, I_GLOBAL, I_FUNC, I_LABEL, I_BRTABLE, I_CALLIND, I_MEM, I_I32, I_I64, I_F32, I_F64, I_ZERO };

typedef struct opinfo {
    const char *name;
    uint8_t op;
    uint8_t imm;
    uint8_t align; /* natural alignment log2 for memory ops */
} opinfo;

static const opinfo OPS[] = {
    {"unreachable", 0x00, I_NONE, 0}, {"nop", 0x01, I_NONE, 0}, {"br", 0x0c, I_LABEL, 0},
    {"br_if", 0x0d, I_LABEL, 0}, {"br_table", 0x0e, I_BRTABLE, 0}, {"return", 0x0f, I_NONE, 0},
    {"call", 0x10, I_FUNC, 0}, {"call_indirect", 0x11, I_CALLIND, 0}, {"drop", 0x1a, I_NONE, 0},
    {"select", 0x1b, I_NONE, 0}, {"local.get", 0x20, I_LOCAL, 0}, {"local.set", 0x21, I_LOCAL, 0},
    {"local.tee", 0x22, I_LOCAL, 0}, {"global.get", 0x23, I_GLOBAL, 0}, {"global.set", 0x24, I_GLOBAL, 0},
    {"i32.load", 0x28, I_MEM, 2}, {"i64.load", 0x29, I_MEM, 3}, {"f32.load", 0x2a, I_MEM, 2},
    {"f64.load", 0x2b, I_MEM, 3}, {"i32.load8_s", 0x2c, I_MEM, 0}, {"i32.load8_u", 0x2d, I_MEM, 0},
    {"i32.load16_s", 0x2e, I_MEM, 1}, {"i32.load16_u", 0x2f, I_MEM, 1}, {"i64.load8_s", 0x30, I_MEM, 0},
    {"i64.load8_u", 0x31, I_MEM, 0}, {"i64.load16_s", 0x32, I_MEM, 1}, {"i64.load16_u", 0x33, I_MEM, 1},
    {"i64.load32_s", 0x34, I_MEM, 2}, {"i64.load32_u", 0x35, I_MEM, 2}, {"i32.store", 0x36, I_MEM, 2},
    {"i64.store", 0x37, I_MEM, 3}, {"f32.store", 0x38, I_MEM, 2}, {"f64.store", 0x39, I_MEM, 3},
    {"i32.store8", 0x3a, I_MEM, 0}, {"i32.store16", 0x3b, I_MEM, 1}, {"i64.store8", 0x3c, I_MEM, 0},
    {"i64.store16", 0x3d, I_MEM, 1}, {"i64.store32", 0x3e, I_MEM, 2}, {"memory.size", 0x3f, I_ZERO, 0},
    {"memory.grow", 0x40, I_ZERO, 0}, {"i32.const", 0x41, I_I32, 0}, {"i64.const", 0x42, I_I64, 0},
    {"f32.const", 0x43, I_F32, 0}, {"f64.const", 0x44, I_F64, 0},
};

/* Numeric opcodes 0x45..0xbf, in order. */
static const char *const NUMERIC[] = {
    "i32.eqz", "i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.gt_u", "i32.le_s", "i32.le_u",
    "i32.ge_s", "i32.ge_u", "i64.eqz", "i64.eq", "i64.ne", "i64.lt_s", "i64.lt_u", "i64.gt_s", "i64.gt_u",
    "i64.le_s", "i64.le_u", "i64.ge_s", "i64.ge_u", "f32.eq", "f32.ne", "f32.lt", "f32.gt", "f32.le", "f32.ge",
    "f64.eq", "f64.ne", "f64.lt", "f64.gt", "f64.le", "f64.ge", "i32.clz", "i32.ctz", "i32.popcnt", "i32.add",
    "i32.sub", "i32.mul", "i32.div_s", "i32.div_u", "i32.rem_s", "i32.rem_u", "i32.and", "i32.or", "i32.xor",
    "i32.shl", "i32.shr_s", "i32.shr_u", "i32.rotl", "i32.rotr", "i64.clz", "i64.ctz", "i64.popcnt", "i64.add",
    "i64.sub", "i64.mul", "i64.div_s", "i64.div_u", "i64.rem_s", "i64.rem_u", "i64.and", "i64.or", "i64.xor",
    "i64.shl", "i64.shr_s", "i64.shr_u", "i64.rotl", "i64.rotr", "f32.abs", "f32.neg", "f32.ceil", "f32.floor",
    "f32.trunc", "f32.nearest", "f32.sqrt", "f32.add", "f32.sub", "f32.mul", "f32.div", "f32.min", "f32.max",
    "f32.copysign", "f64.abs", "f64.neg", "f64.ceil", "f64.floor", "f64.trunc", "f64.nearest", "f64.sqrt",
    "f64.add", "f64.sub", "f64.mul", "f64.div", "f64.min", "f64.max", "f64.copysign", "i32.wrap_i64",
    "i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u", "i64.extend_i32_s",
    "i64.extend_i32_u", "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
    "f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u", "f32.demote_f64",
    "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u", "f64.promote_f32",
    "i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64",
};

static int find_op(const sx *s, opinfo *out)
{
    if (!s || s->kind != SX_ATOM)
        return 0;
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        if (strlen(OPS[i].name) == s->alen && !memcmp(OPS[i].name, s->a, s->alen)) {
            *out = OPS[i];
            return 1;
        }
    for (size_t i = 0; i < sizeof NUMERIC / sizeof NUMERIC[0]; i++)
        if (strlen(NUMERIC[i]) == s->alen && !memcmp(NUMERIC[i], s->a, s->alen)) {
            out->name = NUMERIC[i];
            out->op = (uint8_t)(0x45 + i);
            out->imm = I_NONE;
            out->align = 0;
            return 1;
        }
    return 0;
}

static uint32_t label_depth(mod *m, const sx *s)
{
    uint32_t v;
    if (parse_u32(m->w, s, &v))
        return v;
    if (is_id(s)) {
        for (int i = m->nlabels - 1; i >= 0; i--)
            if (m->labels[i].id && m->labels[i].idlen == s->alen && !memcmp(m->labels[i].id, s->a, s->alen))
                return (uint32_t)(m->nlabels - 1 - i);
        wfail(m->w, s->line, "unknown label %.*s", (int)s->alen, s->a);
    }
    wfail(m->w, s ? s->line : 0, "unexpected token (expected a label)");
}

static int is_label_token(const sx *s)
{
    if (is_id(s))
        return 1;
    uint64_t v;
    int ovf;
    return parse_uint(s, &v, &ovf);
}

static void instrs(mod *m, buf *b, const sx *list, size_t *i, int stop_at_end);

static void push_label(mod *m, const sx *id, int line)
{
    if (m->nlabels >= (int)(sizeof m->labels / sizeof m->labels[0]))
        wfail(m->w, line, "blocks nested too deeply");
    m->labels[m->nlabels].id = id ? id->a : NULL;
    m->labels[m->nlabels].idlen = id ? id->alen : 0;
    m->nlabels++;
}

/* blocktype: (result t)? -- one result at most in 1.0 */
static void blocktype(mod *m, buf *b, const sx *list, size_t *i)
{
    uint8_t t = 0x40;
    int have = 0;
    while (*i < list->n && is_list(&list->kids[*i], "result")) {
        const sx *r = &list->kids[*i];
        for (size_t k = 1; k < r->n; k++) {
            if (have)
                wfail(m->w, r->line, "invalid result arity");
            t = need_valtype(m, &r->kids[k]);
            have = 1;
        }
        (*i)++;
    }
    if (*i < list->n && (is_list(&list->kids[*i], "param") || is_list(&list->kids[*i], "type")))
        wfail(m->w, list->kids[*i].line, "unexpected token (block parameters need multi-value)");
    b_byte(b, t);
}

/* A label id after block/loop/if (or after end/else). */
static const sx *opt_id(const sx *list, size_t *i)
{
    if (*i < list->n && is_id(&list->kids[*i]))
        return &list->kids[(*i)++];
    return NULL;
}

static void check_end_label(mod *m, const sx *list, size_t *i, const sx *open)
{
    if (*i < list->n && is_id(&list->kids[*i])) {
        const sx *e = &list->kids[*i];
        if (!open || open->alen != e->alen || memcmp(open->a, e->a, e->alen))
            wfail(m->w, e->line, "mismatching label");
        (*i)++;
    }
}

/* The instruction an atom names; an unknown name is an error. */
static opinfo op_named(mod *m, const sx *name)
{
    opinfo op;
    if (!find_op(name, &op))
        wfail(m->w, name->line, "unknown operator %.*s", (int)name->alen, name->a);
    return op;
}

/* The end of a block, loop or if: its label goes out of scope. */
static void end_block(mod *m, buf *b)
{
    m->nlabels--;
    b_byte(b, 0x0b);
}

/* The token an immediate needs at list->kids[*i] (what, for the error when
 * the list ends); steps past it. */
static const sx *operand(mod *m, const sx *list, size_t *i, int line, const char *what)
{
    if (*i >= list->n)
        wfail(m->w, line, "unexpected token (expected %s)", what);
    return &list->kids[(*i)++];
}

/* A memarg field "key=N" (offset=, align=) at t: the N part in *v. */
static int memarg_field(const sx *t, const char *key, sx *v)
{
    size_t n = strlen(key);
    if (!t || t->kind != SX_ATOM || t->alen <= n || memcmp(t->a, key, n))
        return 0;
    *v = *t;
    v->a += n;
    v->alen -= n;
    return 1;
}

/* Immediates of a plain instruction at list->kids[*i] (after the name). */
static void immediates(mod *m, buf *b, const opinfo *op, const sx *list, size_t *i, int line)
{
    const sx *next = *i < list->n ? &list->kids[*i] : NULL;
    switch (op->imm) {
    case I_NONE:
        break;
    case I_ZERO:
        b_byte(b, 0);
        break;
    case I_LOCAL:
        b_u32(b, resolve(m, &m->locals, operand(m, list, i, line, "a local index"), "local"));
        break;
    case I_GLOBAL:
        b_u32(b, resolve(m, &m->globals, operand(m, list, i, line, "a global index"), "global"));
        break;
    case I_FUNC:
        b_u32(b, resolve(m, &m->funcs, operand(m, list, i, line, "a function index"), "function"));
        break;
    case I_LABEL:
        b_u32(b, label_depth(m, operand(m, list, i, line, "a label")));
        break;
    case I_BRTABLE: {
        buf depths = {0};
        size_t n = 0;
        while (*i < list->n && is_label_token(&list->kids[*i])) {
            uint32_t d = label_depth(m, &list->kids[(*i)++]);
            b_bytes(&depths, &d, sizeof d);
            n++;
        }
        if (!n)
            wfail(m->w, line, "unexpected token (br_table needs a label)");
        b_u32(b, n - 1);
        for (size_t k = 0; k < n; k++) {
            uint32_t d;
            memcpy(&d, depths.p + k * sizeof d, sizeof d);
            b_u32(b, d);
        }
        b_free(&depths);
        break;
    }
    case I_CALLIND: {
        uint32_t t = read_typeuse(m, list, i, NULL, NULL, NULL);
        /* named parameters are not allowed here */
        b_u32(b, t);
        b_byte(b, 0);
        break;
    }
    case I_MEM: {
        uint32_t offset = 0, align = op->align;
        sx v;
        if (memarg_field(next, "offset=", &v)) {
            if (!parse_u32(m->w, &v, &offset))
                wfail(m->w, next->line, "unexpected token (bad offset)");
            (*i)++;
            next = *i < list->n ? &list->kids[*i] : NULL;
        }
        if (memarg_field(next, "align=", &v)) {
            uint32_t a;
            if (!parse_u32(m->w, &v, &a))
                wfail(m->w, next->line, "unexpected token (bad alignment)");
            if (a == 0 || (a & (a - 1)))
                wfail(m->w, next->line, "alignment must be a power of two");
            align = 0;
            while ((1u << align) < a)
                align++;
            (*i)++;
        }
        b_u32(b, align);
        b_u32(b, offset);
        break;
    }
    case I_I32:
    case I_I64: {
        uint64_t v;
        if (!next || !parse_int(m->w, next, op->imm == I_I32 ? 32 : 64, &v))
            wfail(m->w, line, "unexpected token (expected an integer)");
        if (op->imm == I_I32)
            b_s64(b, (int32_t)(uint32_t)v);
        else
            b_s64(b, (int64_t)v);
        (*i)++;
        break;
    }
    case I_F32:
    case I_F64: {
        uint64_t v;
        int bits = op->imm == I_F32 ? 32 : 64;
        if (!next || !parse_float(m->w, next, bits, &v))
            wfail(m->w, line, "unexpected token (expected a number)");
        b_bytes(b, &v, (size_t)bits / 8);
        (*i)++;
        break;
    }
    }
}

/* One folded instruction (a list). */
static void folded(mod *m, buf *b, const sx *e)
{
    if (e->n == 0 || e->kids[0].kind != SX_ATOM)
        wfail(m->w, e->line, "unexpected token (expected an instruction)");
    const sx *head = &e->kids[0];
    size_t i = 1;
    if (is_atom(head, "block") || is_atom(head, "loop")) {
        const sx *id = opt_id(e, &i);
        b_byte(b, is_atom(head, "block") ? 0x02 : 0x03);
        blocktype(m, b, e, &i);
        push_label(m, id, e->line);
        instrs(m, b, e, &i, 0);
        end_block(m, b);
        return;
    }
    if (is_atom(head, "if")) {
        const sx *id = opt_id(e, &i);
        buf bt = {0};
        blocktype(m, &bt, e, &i);
        /* condition: folded instructions before (then) */
        while (i < e->n && !is_list(&e->kids[i], "then")) {
            if (e->kids[i].kind != SX_LIST)
                wfail(m->w, e->kids[i].line, "unexpected token (expected (then ...))");
            folded(m, b, &e->kids[i]);
            i++;
        }
        if (i >= e->n)
            wfail(m->w, e->line, "unexpected token (if without then)");
        b_byte(b, 0x04);
        b_bytes(b, bt.p, bt.n);
        b_free(&bt);
        push_label(m, id, e->line);
        const sx *then = &e->kids[i++];
        size_t k = 1;
        instrs(m, b, then, &k, 0);
        if (i < e->n && is_list(&e->kids[i], "else")) {
            const sx *els = &e->kids[i++];
            buf eb = {0};
            k = 1;
            instrs(m, &eb, els, &k, 0);
            if (eb.n) { /* an empty else is left out, as wat2wasm does */
                b_byte(b, 0x05);
                b_bytes(b, eb.p, eb.n);
            }
            b_free(&eb);
        }
        if (i != e->n)
            wfail(m->w, e->line, "unexpected token after (else ...)");
        end_block(m, b);
        return;
    }
    opinfo op = op_named(m, head);
    buf imm = {0};
    immediates(m, &imm, &op, e, &i, e->line);
    /* operands: the remaining items, all folded instructions */
    for (; i < e->n; i++) {
        if (e->kids[i].kind != SX_LIST)
            wfail(m->w, e->kids[i].line, "unexpected token in folded instruction");
        folded(m, b, &e->kids[i]);
    }
    b_byte(b, op.op);
    b_bytes(b, imm.p, imm.n);
    b_free(&imm);
}

/* Instruction sequence from list->kids[*i]. stop_at_end: a plain block body,
 * which ends at `end` (or `else`, left for the caller). */
static void instrs(mod *m, buf *b, const sx *list, size_t *i, int stop_at_end)
{
    while (*i < list->n) {
        const sx *e = &list->kids[*i];
        if (e->kind == SX_LIST) {
            folded(m, b, e);
            (*i)++;
            continue;
        }
        if (e->kind != SX_ATOM)
            wfail(m->w, e->line, "unexpected token");
        if (is_atom(e, "end") || is_atom(e, "else")) {
            if (!stop_at_end)
                wfail(m->w, e->line, "unexpected token %.*s", (int)e->alen, e->a);
            return;
        }
        (*i)++;
        if (is_atom(e, "block") || is_atom(e, "loop") || is_atom(e, "if")) {
            const sx *id = opt_id(list, i);
            b_byte(b, is_atom(e, "block") ? 0x02 : is_atom(e, "loop") ? 0x03 : 0x04);
            blocktype(m, b, list, i);
            push_label(m, id, e->line);
            instrs(m, b, list, i, 1);
            if (*i < list->n && is_atom(&list->kids[*i], "else")) {
                if (!is_atom(e, "if"))
                    wfail(m->w, list->kids[*i].line, "unexpected token else");
                (*i)++;
                check_end_label(m, list, i, id);
                buf eb = {0};
                instrs(m, &eb, list, i, 1);
                if (eb.n) {
                    b_byte(b, 0x05);
                    b_bytes(b, eb.p, eb.n);
                }
                b_free(&eb);
            }
            if (*i >= list->n || !is_atom(&list->kids[*i], "end"))
                wfail(m->w, e->line, "unexpected end (missing end)");
            (*i)++;
            check_end_label(m, list, i, id);
            end_block(m, b);
            continue;
        }
        opinfo op = op_named(m, e);
        b_byte(b, op.op);
        immediates(m, b, &op, list, i, e->line);
    }
}

/* A constant expression: (offset instr*) or instructions. */
static void const_expr(mod *m, buf *b, const sx *list, size_t *i)
{
    space_free(&m->locals); /* no locals outside functions */
    if (*i < list->n && is_list(&list->kids[*i], "offset")) {
        size_t k = 1;
        instrs(m, b, &list->kids[*i], &k, 0);
        (*i)++;
    } else if (*i < list->n && list->kids[*i].kind == SX_LIST) {
        folded(m, b, &list->kids[*i]);
        (*i)++;
    }
    b_byte(b, 0x0b);
}

/* ---------- fields ---------- */

static int field_is(const sx *f, const char *kind) { return is_list(f, kind); }

/* (import "m" "n")  inline abbreviation at kids[*i] */
static const sx *inline_import(const sx *f, size_t *i)
{
    if (*i < f->n && is_list(&f->kids[*i], "import")) {
        const sx *im = &f->kids[*i];
        (*i)++;
        return im;
    }
    return NULL;
}

/* (import "m" "n" ...): the two names (an inline import has nothing more). */
static void import_names(mod *m, const sx *im)
{
    if (im->n < 3)
        wfail(m->w, im->line, "unexpected token in import");
    check_name(m, &im->kids[1]);
    check_name(m, &im->kids[2]);
    b_str(&m->s_import, im->kids[1].s, im->kids[1].slen);
    b_str(&m->s_import, im->kids[2].s, im->kids[2].slen);
    m->n_import++;
}

static void limits(mod *m, buf *b, const sx *f, size_t *i, int is_table)
{
    uint32_t min, max;
    if (*i >= f->n || !parse_u32(m->w, &f->kids[*i], &min))
        wfail(m->w, f->line, "unexpected token (expected limits)");
    (*i)++;
    if (*i < f->n && parse_u32(m->w, &f->kids[*i], &max)) {
        (*i)++;
        b_byte(b, 1);
        b_u32(b, min);
        b_u32(b, max);
    } else {
        b_byte(b, 0);
        b_u32(b, min);
    }
    if (is_table) {
        if (*i >= f->n || !is_atom(&f->kids[*i], "funcref"))
            wfail(m->w, f->line, "unexpected token (expected funcref)");
        (*i)++;
    }
}

static void global_type(mod *m, buf *b, const sx *t, uint8_t *vt)
{
    if (is_list(t, "mut")) {
        if (t->n != 2)
            wfail(m->w, t->line, "unexpected token in (mut)");
        *vt = need_valtype(m, &t->kids[1]);
        b_byte(b, *vt);
        b_byte(b, 1);
    } else {
        *vt = need_valtype(m, t);
        b_byte(b, *vt);
        b_byte(b, 0);
    }
}

/* The four kinds of extern, numbered as the binary format's import and
 * export descriptions number them: the keyword of a field or description,
 * the index space it defines into, its import count and the word errors use. */
typedef struct extern_kind {
    uint8_t code;
    const char *what;
    space *sp;
    size_t *nimports;
} extern_kind;

static int extern_kind_of(mod *m, const sx *f, extern_kind *k)
{
    static const char *const keyword[4] = {"func", "table", "memory", "global"};
    static const char *const what[4] = {"function", "table", "memory", "global"};
    space *const sp[4] = {&m->funcs, &m->tables, &m->mems, &m->globals};
    size_t *const nimports[4] = {&m->nfunc_imports, &m->ntable_imports, &m->nmem_imports, &m->nglobal_imports};
    for (uint8_t c = 0; c < 4; c++)
        if (is_list(f, keyword[c])) {
            *k = (extern_kind){c, what[c], sp[c], nimports[c]};
            return 1;
        }
    return 0;
}

/* Pass 1: index spaces and explicit types. */
static void declare(mod *m, const sx *f)
{
    size_t i = 1;
    if (field_is(f, "type")) {
        const sx *id = opt_id(f, &i);
        if (i >= f->n || !is_list(&f->kids[i], "func"))
            wfail(m->w, f->line, "unexpected token in type");
        const sx *fn = &f->kids[i];
        ftype t;
        memset(&t, 0, sizeof t);
        size_t k = 1;
        /* parameter ids in type definitions are allowed and ignored */
        uint8_t ignore_types[512];
        space_free(&m->scratch);
        read_sig(m, fn, &k, &t, &m->scratch, ignore_types);
        space_free(&m->scratch);
        if (k != fn->n)
            wfail(m->w, fn->line, "unexpected token in function type");
        add_type(m, &t);
        space_add(m, &m->type_ids, id);
        m->nexplicit = m->ntypes;
        return;
    }
    if (field_is(f, "import")) {
        if (f->n != 4 || f->kids[3].kind != SX_LIST || f->kids[3].n < 1)
            wfail(m->w, f->line, "unexpected token in import");
        const sx *d = &f->kids[3];
        const sx *id = d->n > 1 && is_id(&d->kids[1]) ? &d->kids[1] : NULL;
        if (m->seen_def)
            wfail(m->w, f->line, "import after %s", m->seen_def);
        extern_kind k;
        if (!extern_kind_of(m, d, &k))
            wfail(m->w, d->line, "unexpected token in import");
        space_add(m, k.sp, id);
        (*k.nimports)++;
        return;
    }
    const sx *id = opt_id(f, &i);
    while (i < f->n && is_list(&f->kids[i], "export"))
        i++;
    int imported = i < f->n && is_list(&f->kids[i], "import");
    extern_kind k;
    if (extern_kind_of(m, f, &k)) {
        if (imported && m->seen_def)
            wfail(m->w, f->line, "import after %s", m->seen_def);
        if (imported)
            (*k.nimports)++;
        else
            m->seen_def = k.what;
        space_add(m, k.sp, id);
    } else if (field_is(f, "export") || field_is(f, "start") || field_is(f, "elem") || field_is(f, "data")) {
        /* handled in pass 2 */
    } else {
        wfail(m->w, f->line, "unexpected token (unknown module field)");
    }
}

static void func_body(mod *m, const sx *f, size_t i, uint32_t type)
{
    (void)type;
    /* locals */
    buf body = {0};
    uint8_t runs_t[4096];
    uint32_t runs_n[4096];
    size_t nruns = 0;
    while (i < f->n && is_list(&f->kids[i], "local")) {
        const sx *l = &f->kids[i++];
        size_t first = 1, count = l->n - 1;
        const sx *lid = NULL;
        if (l->n >= 2 && is_id(&l->kids[1])) {
            if (l->n != 3)
                wfail(m->w, l->line, "unexpected token (one type per named local)");
            lid = &l->kids[1];
            first = 2;
            count = 1;
        }
        for (size_t k = first; k < first + count; k++) {
            uint8_t t = need_valtype(m, &l->kids[k]);
            space_add(m, &m->locals, lid);
            m->local_types = realloc(m->local_types, m->locals.n);
            m->local_types[m->locals.n - 1] = t;
            if (nruns && runs_t[nruns - 1] == t) {
                runs_n[nruns - 1]++;
            } else {
                if (nruns >= sizeof runs_t)
                    wfail(m->w, l->line, "too many local declarations");
                runs_t[nruns] = t;
                runs_n[nruns++] = 1;
            }
        }
    }
    b_u32(&body, nruns);
    for (size_t k = 0; k < nruns; k++) {
        b_u32(&body, runs_n[k]);
        b_byte(&body, runs_t[k]);
    }
    m->nlabels = 0;
    push_label(m, NULL, f->line);
    instrs(m, &body, f, &i, 0);
    m->nlabels = 0;
    b_byte(&body, 0x0b);
    b_u32(&m->s_code, body.n);
    b_bytes(&m->s_code, body.p, body.n);
    m->n_code++;
    b_free(&body);
}

/* What an inline (elem ...) or (data ...) abbreviation stands for: limits
 * of exactly n (min = max), and an active segment at offset (i32.const 0). */
static void exact_limits(buf *b, uint32_t n)
{
    b_byte(b, 1);
    b_u32(b, n);
    b_u32(b, n);
}

static void inline_segment_head(buf *sec, uint32_t index)
{
    b_u32(sec, index);
    b_byte(sec, 0x41);  /* i32.const 0 end */
    b_byte(sec, 0);
    b_byte(sec, 0x0b);
}

/* Where a table, memory or global definition goes: its own section, or,
 * imported (im), the import section after the import's kind byte. */
static buf *definition_section(mod *m, const sx *im, buf *own, uint8_t import_kind)
{
    if (!im)
        return own;
    b_byte(&m->s_import, import_kind);
    return &m->s_import;
}

/* The end of field f's items at i: anything after is an error. */
static void nothing_after(mod *m, const sx *f, size_t i, const char *what)
{
    if (i != f->n)
        wfail(m->w, f->line, "unexpected token in %s", what);
}

/* An active segment's head in sec: the table or memory it fills (named by
 * an optional index, else 0), then its offset expression. */
static void segment_head(mod *m, buf *sec, const sx *f, size_t *i, space *sp, const char *what)
{
    uint32_t index = 0;
    if (*i < f->n && f->kids[*i].kind == SX_ATOM)
        index = resolve(m, sp, &f->kids[(*i)++], what);
    b_u32(sec, index);
    const_expr(m, sec, f, i);
}

/* Whether field f imports something: an (import ...) field, or a definition
 * with an inline (import ...) after its id and exports. */
static int imports_something(const sx *f)
{
    if (field_is(f, "import"))
        return 1;
    size_t k = 1;
    opt_id(f, &k);
    while (k < f->n && is_list(&f->kids[k], "export"))
        k++;
    return !field_is(f, "type") && k < f->n && is_list(&f->kids[k], "import");
}

static void define(mod *m, const sx *f, uint32_t *fi, uint32_t *ti, uint32_t *mi, uint32_t *gi)
{
    size_t i = 1;
    if (field_is(f, "type"))
        return;
    if (field_is(f, "import")) {
        const sx *d = &f->kids[3];
        size_t k = 1;
        opt_id(d, &k);
        import_names(m, f);
        if (is_list(d, "func")) {
            b_byte(&m->s_import, 0);
            uint8_t ignore_types[512];
            space_free(&m->scratch);
            uint32_t t = read_typeuse(m, d, &k, &m->scratch, ignore_types, NULL);
            space_free(&m->scratch);
            m->func_type[(*fi)++] = t;
            b_u32(&m->s_import, t);
        } else if (is_list(d, "table")) {
            b_byte(&m->s_import, 1);
            b_byte(&m->s_import, 0x70);
            limits(m, &m->s_import, d, &k, 1);
            (*ti)++;
        } else if (is_list(d, "memory")) {
            b_byte(&m->s_import, 2);
            limits(m, &m->s_import, d, &k, 0);
            (*mi)++;
        } else {
            b_byte(&m->s_import, 3);
            if (k >= d->n)
                wfail(m->w, d->line, "unexpected token (global type)");
            global_type(m, &m->s_import, &d->kids[k++], &m->global_type[(*gi)++]);
        }
        if (k != d->n)
            wfail(m->w, d->line, "unexpected token in import description");
        return;
    }
    if (field_is(f, "export")) {
        if (f->n != 3 || f->kids[2].kind != SX_LIST || f->kids[2].n != 2)
            wfail(m->w, f->line, "unexpected token in export");
        check_name(m, &f->kids[1]);
        const sx *d = &f->kids[2];
        extern_kind k;
        if (!extern_kind_of(m, d, &k))
            wfail(m->w, d->line, "unexpected token in export");
        uint32_t idx = resolve(m, k.sp, &d->kids[1], k.what);
        b_str(&m->s_export, f->kids[1].s, f->kids[1].slen);
        b_byte(&m->s_export, k.code);
        b_u32(&m->s_export, idx);
        m->n_export++;
        return;
    }
    if (field_is(f, "start")) {
        if (m->has_start)
            wfail(m->w, f->line, "multiple start sections");
        if (f->n != 2)
            wfail(m->w, f->line, "unexpected token in start");
        m->has_start = 1;
        b_u32(&m->s_start, resolve(m, &m->funcs, &f->kids[1], "function"));
        return;
    }
    if (field_is(f, "elem")) {
        segment_head(m, &m->s_elem, f, &i, &m->tables, "table");
        b_u32(&m->s_elem, f->n - i);
        for (; i < f->n; i++)
            b_u32(&m->s_elem, resolve(m, &m->funcs, &f->kids[i], "function"));
        m->n_elem++;
        return;
    }
    if (field_is(f, "data")) {
        segment_head(m, &m->s_data, f, &i, &m->mems, "memory");
        buf bytes = {0};
        for (; i < f->n; i++) {
            if (f->kids[i].kind != SX_STRING)
                wfail(m->w, f->kids[i].line, "unexpected token in data");
            b_bytes(&bytes, f->kids[i].s, f->kids[i].slen);
        }
        b_str(&m->s_data, bytes.p, bytes.n);
        b_free(&bytes);
        m->n_data++;
        return;
    }
    /* func / table / memory / global with optional id, exports, import */
    opt_id(f, &i);
    uint8_t kind = field_is(f, "func") ? 0 : field_is(f, "table") ? 1 : field_is(f, "memory") ? 2 : 3;
    uint32_t index = kind == 0 ? *fi : kind == 1 ? *ti : kind == 2 ? *mi : *gi;
    inline_exports(m, f, &i, kind, index);
    const sx *im = inline_import(f, &i);
    if (im) {
        if (im->n != 3)
            wfail(m->w, im->line, "unexpected token in import");
        import_names(m, im);
    }
    if (kind == 0) {
        space_free(&m->locals);
        uint8_t ptypes[512];
        uint32_t t = read_typeuse(m, f, &i, &m->locals, ptypes, NULL);
        m->func_type[(*fi)++] = t;
        if (im) {
            b_byte(&m->s_import, 0);
            b_u32(&m->s_import, t);
            space_free(&m->locals);
            if (i != f->n)
                wfail(m->w, f->line, "unexpected token in imported function");
            return;
        }
        b_u32(&m->s_func, t);
        m->n_func++;
        free(m->local_types);
        m->local_types = malloc(m->locals.n + 1);
        memcpy(m->local_types, ptypes, m->locals.n);
        func_body(m, f, i, t);
        space_free(&m->locals);
        return;
    }
    if (kind == 1) {
        (*ti)++;
        buf *b = definition_section(m, im, &m->s_table, 1);
        /* (table funcref (elem ...)) abbreviation */
        if (i < f->n && is_atom(&f->kids[i], "funcref") && i + 1 < f->n && is_list(&f->kids[i + 1], "elem")) {
            if (im)
                wfail(m->w, f->line, "unexpected token (imported table with elements)");
            const sx *el = &f->kids[i + 1];
            uint32_t n = (uint32_t)(el->n - 1);
            b_byte(b, 0x70);
            exact_limits(b, n);
            m->n_table++;
            inline_segment_head(&m->s_elem, index);
            b_u32(&m->s_elem, n);
            for (size_t k = 1; k < el->n; k++)
                b_u32(&m->s_elem, resolve(m, &m->funcs, &el->kids[k], "function"));
            m->n_elem++;
            if (i + 2 != f->n)
                wfail(m->w, f->line, "unexpected token in table");
            return;
        }
        b_byte(b, 0x70);
        limits(m, b, f, &i, 1);
        if (!im)
            m->n_table++;
        nothing_after(m, f, i, "table");
        return;
    }
    if (kind == 2) {
        (*mi)++;
        buf *b = definition_section(m, im, &m->s_mem, 2);
        if (i < f->n && is_list(&f->kids[i], "data")) {
            if (im)
                wfail(m->w, f->line, "unexpected token (imported memory with data)");
            const sx *d = &f->kids[i];
            buf bytes = {0};
            for (size_t k = 1; k < d->n; k++) {
                if (d->kids[k].kind != SX_STRING)
                    wfail(m->w, d->kids[k].line, "unexpected token in data");
                b_bytes(&bytes, d->kids[k].s, d->kids[k].slen);
            }
            uint32_t pages = (uint32_t)((bytes.n + 65535) / 65536);
            exact_limits(b, pages);
            m->n_mem++;
            inline_segment_head(&m->s_data, index);
            b_str(&m->s_data, bytes.p, bytes.n);
            m->n_data++;
            b_free(&bytes);
            if (i + 1 != f->n)
                wfail(m->w, f->line, "unexpected token in memory");
            return;
        }
        limits(m, b, f, &i, 0);
        if (!im)
            m->n_mem++;
        nothing_after(m, f, i, "memory");
        return;
    }
    /* global */
    buf *b = definition_section(m, im, &m->s_global, 3);
    if (i >= f->n)
        wfail(m->w, f->line, "unexpected token (global type)");
    global_type(m, b, &f->kids[i++], &m->global_type[(*gi)++]);
    if (im) {
        if (i != f->n)
            wfail(m->w, f->line, "unexpected token in imported global");
        return;
    }
    space_free(&m->locals);
    m->nlabels = 0;
    instrs(m, b, f, &i, 0);
    b_byte(b, 0x0b);
    m->n_global++;
}

static void section(buf *out, uint8_t id, uint32_t count, const buf *content, int with_count)
{
    if (!with_count && !content->n)
        return;
    if (with_count && !count)
        return;
    buf body = {0};
    if (with_count)
        b_u32(&body, count);
    b_bytes(&body, content->p, content->n);
    b_byte(out, id);
    b_u32(out, body.n);
    b_bytes(out, body.p, body.n);
    b_free(&body);
}

static void mod_free(mod *m)
{
    free(m->types);
    space_free(&m->type_ids);
    space_free(&m->funcs);
    space_free(&m->tables);
    space_free(&m->mems);
    space_free(&m->globals);
    space_free(&m->locals);
    space_free(&m->scratch);
    free(m->func_type);
    free(m->global_type);
    free(m->local_types);
    buf *bufs[] = {&m->s_type, &m->s_import, &m->s_func, &m->s_table, &m->s_mem, &m->s_global,
                   &m->s_export, &m->s_start, &m->s_elem, &m->s_code, &m->s_data};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        b_free(bufs[i]);
}

/* Compiles a (module ...) list or a list of fields. */
static uint8_t *compile_fields(wctx *w, const sx *fields, size_t first, size_t *out_len)
{
    mod m;
    memset(&m, 0, sizeof m);
    m.w = w;
    uint8_t *result = NULL;
    jmp_buf outer;
    memcpy(outer, w->jb, sizeof outer);
    if (setjmp(w->jb)) {
        mod_free(&m);
        memcpy(w->jb, outer, sizeof outer);
        longjmp(w->jb, 1);
    }
    for (size_t i = first; i < fields->n; i++) {
        if (fields->kids[i].kind != SX_LIST)
            wfail(w, fields->kids[i].line, "unexpected token (expected a module field)");
        declare(&m, &fields->kids[i]);
    }
    m.func_type = xalloc(w, (m.funcs.n + 1) * sizeof(uint32_t));
    m.global_type = xalloc(w, m.globals.n + 1);
    uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
    /* imports first (their index space comes first), then the rest in order */
    for (int imports = 1; imports >= 0; imports--)
        for (size_t i = first; i < fields->n; i++)
            if (imports_something(&fields->kids[i]) == imports)
                define(&m, &fields->kids[i], &fi, &ti, &mi, &gi);
    buf types = {0};
    for (size_t i = 0; i < m.ntypes; i++) {
        b_byte(&types, 0x60);
        b_u32(&types, m.types[i].np);
        b_bytes(&types, m.types[i].params, m.types[i].np);
        b_u32(&types, m.types[i].nr);
        b_bytes(&types, m.types[i].results, m.types[i].nr);
    }
    buf out = {0};
    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    b_bytes(&out, header, 8);
    section(&out, 1, (uint32_t)m.ntypes, &types, 1);
    b_free(&types);
    section(&out, 2, m.n_import, &m.s_import, 1);
    section(&out, 3, m.n_func, &m.s_func, 1);
    section(&out, 4, m.n_table, &m.s_table, 1);
    section(&out, 5, m.n_mem, &m.s_mem, 1);
    section(&out, 6, m.n_global, &m.s_global, 1);
    section(&out, 7, m.n_export, &m.s_export, 1);
    if (m.has_start)
        section(&out, 8, 0, &m.s_start, 0);
    section(&out, 9, m.n_elem, &m.s_elem, 1);
    section(&out, 10, m.n_code, &m.s_code, 1);
    section(&out, 11, m.n_data, &m.s_data, 1);
    mod_free(&m);
    memcpy(w->jb, outer, sizeof outer);
    result = live_take(out.p);
    *out_len = out.n;
    return result;
}

uint8_t *wat_compile(const char *text, size_t len, size_t *out_len, char *err, size_t errlen)
{
    wctx w;
    w.err = err;
    w.errlen = errlen;
    sx top;
    memset(&top, 0, sizeof top);
    top.kind = SX_LIST;
    if (setjmp(w.jb)) {
        sx_free(&top);
        live_free_all();
        return NULL;
    }
    lexer L = {&w, text, text + len, 1};
    sx item;
    while (read_sx(&L, &item, 0))
        sx_push(&w, &top, &item);
    if (L.p < L.end)
        wfail(&w, L.line, "unexpected token )");
    live_forget_all();
    uint8_t *out;
    if (top.n == 1 && is_list(&top.kids[0], "module")) {
        const sx *mod_sx = &top.kids[0];
        size_t first = 1;
        if (first < mod_sx->n && is_id(&mod_sx->kids[first]))
            first++;
        if (first < mod_sx->n && (is_atom(&mod_sx->kids[first], "binary") || is_atom(&mod_sx->kids[first], "quote")))
            wfail(&w, mod_sx->line, "binary/quote modules are script forms");
        out = compile_fields(&w, mod_sx, first, out_len);
    } else {
        out = compile_fields(&w, &top, 0, out_len);
    }
    sx_free(&top);
    live_free_all(); /* nothing is left but the registry itself */
    return out;
}

/* ---------- self-check against wast2json ---------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

/* The (module ...) of a top-level script form, if it is a text module. */
static const sx *text_module_of(const sx *form)
{
    if (is_list(form, "module")) {
        size_t k = 1;
        if (k < form->n && is_id(&form->kids[k]))
            k++;
        if (k < form->n && (is_atom(&form->kids[k], "binary") || is_atom(&form->kids[k], "quote")))
            return NULL;
        return form;
    }
    if (form->kind == SX_LIST && form->n >= 2 && form->kids[0].kind == SX_ATOM && form->kids[0].alen > 7 &&
        !memcmp(form->kids[0].a, "assert_", 7))
        return text_module_of(&form->kids[1]);
    return NULL;
}

/* Compiles one parsed (module ...) form; NULL with the reason in err. */
static uint8_t *compile_module_sx(const sx *msx, size_t *olen, char *err, size_t errlen)
{
    wctx w;
    w.err = err;
    w.errlen = errlen;
    if (setjmp(w.jb)) {
        live_free_all();
        return NULL;
    }
    size_t first = 1;
    if (first < msx->n && is_id(&msx->kids[first]))
        first++;
    uint8_t *out = compile_fields(&w, msx, first, olen);
    live_free_all();
    return out;
}

int wat_check_script(const char *wast_path, const char *json_path)
{
    size_t wlen, jlen;
    char *wast = slurp(wast_path, &wlen), *jtext = slurp(json_path, &jlen);
    if (!wast || !jtext) {
        fprintf(stderr, "kos-wasm: cannot read %s or %s\n", wast_path, json_path);
        free(wast);
        free(jtext);
        return -1;
    }
    char err[256];
    json *root = json_parse(jtext, jlen, err, sizeof err);
    const json *cmds = json_get(root, "commands");
    wctx w;
    w.err = err;
    w.errlen = sizeof err;
    sx top;
    memset(&top, 0, sizeof top);
    int mismatched = 0, compared = 0;
    if (!cmds || setjmp(w.jb)) {
        fprintf(stderr, "kos-wasm: %s: cannot read the script: %s\n", wast_path, err);
        sx_free(&top);
        live_free_all();
        json_free(root);
        free(wast);
        free(jtext);
        return -1;
    }
    lexer L = {&w, wast, wast + wlen, 1};
    sx item;
    while (read_sx(&L, &item, 0))
        sx_push(&w, &top, &item);
    live_forget_all();
    const char *base = strrchr(wast_path, '/');
    base = base ? base + 1 : wast_path;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", json_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    /* A script of bare module fields is one module. */
    if (top.n > 0 && cmds->count == 1 && !text_module_of(&top.kids[0]) && !is_list(&top.kids[0], "module")) {
        sx *fields = malloc(sizeof(sx));
        *fields = top;
        memset(&top, 0, sizeof top);
        top.kind = SX_LIST;
        sx wrapped;
        memset(&wrapped, 0, sizeof wrapped);
        wrapped.kind = SX_LIST;
        wrapped.line = 1;
        sx head;
        memset(&head, 0, sizeof head);
        head.kind = SX_ATOM;
        head.a = "module";
        head.alen = 6;
        sx_push(&w, &wrapped, &head);
        for (size_t k = 0; k < fields->n; k++)
            sx_push(&w, &wrapped, &fields->kids[k]);
        free(fields->kids);
        free(fields);
        sx_push(&w, &top, &wrapped);
        live_forget_all();
    }
    /* wast2json writes one command per top-level form, in order */
    if (cmds->count != top.n) {
        printf("%s:0: %zu forms but %zu commands\n", base, top.n, cmds->count);
        mismatched++;
    }
    for (size_t i = 0; i < top.n && i < cmds->count; i++) {
        const sx *msx = text_module_of(&top.kids[i]);
        const char *file = json_get_string(&cmds->items[i], "filename");
        const char *mt = json_get_string(&cmds->items[i], "module_type");
        if (!msx || !file || (mt && strcmp(mt, "binary") != 0))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        size_t elen;
        char *expected = slurp(path, &elen);
        size_t olen = 0;
        char err2[256] = "";
        uint8_t *got = compile_module_sx(msx, &olen, err2, sizeof err2);
        compared++;
        if (!got) {
            printf("%s:%d: text module refused: %s\n", base, msx->line, err2);
            mismatched++;
        } else if (!expected || olen != elen || memcmp(got, expected, elen) != 0) {
            printf("%s:%d: bytes differ from wast2json (%zu vs %zu bytes)\n", base, msx->line, olen, elen);
            mismatched++;
        }
        free(got);
        free(expected);
    }
    printf("WATCHECK compared %d mismatched %d\n", compared, mismatched);
    sx_free(&top);
    json_free(root);
    free(wast);
    free(jtext);
    return mismatched;
}
