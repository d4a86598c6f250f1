/* Binary decoder, validator and compiler for WebAssembly 1.0 modules.
 * Each function body is validated and translated in one pass into internal
 * code (wasm_internal.h): branch targets become word indices and every
 * branch knows how many stack slots to keep and where, so nothing scans for
 * `end` at run time. Any malformed or invalid input is refused with a reason. */
#include "wasm/wasm_internal.h"

#define NONE 0xffffffffu
#define MAX_LOCALS 50000u   /* per function; keeps frames bounded */
#define MAX_COUNT 10000000u /* sanity cap for vector lengths */

typedef struct dec {
    const uint8_t *p, *end;
    char *err;
    size_t errlen;
    int failed;
    wasm_module *m;
    uint32_t code_func; /* function being compiled, for messages */
    int in_code;
    int mvp; /* WASM_FEATURES_MVP */
} dec;

static void put_str(char *buf, size_t len, size_t *pos, const char *s)
{
    while (*s && *pos + 1 < len)
        buf[(*pos)++] = *s++;
}

static int fail(dec *d, const char *msg)
{
    if (d->failed)
        return 0;
    d->failed = 1;
    if (!d->err || !d->errlen)
        return 0;
    size_t pos = 0;
    if (d->in_code) {
        char num[12];
        int n = 0;
        uint32_t v = d->code_func;
        char tmp[12];
        do {
            tmp[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        for (int i = 0; i < n; i++)
            num[i] = tmp[n - 1 - i];
        num[n] = 0;
        put_str(d->err, d->errlen, &pos, "func ");
        put_str(d->err, d->errlen, &pos, num);
        put_str(d->err, d->errlen, &pos, ": ");
    }
    put_str(d->err, d->errlen, &pos, msg);
    d->err[pos] = 0;
    return 0;
}

#define TRY(x)                                                                                                 \
    do {                                                                                                       \
        if (!(x))                                                                                              \
            return 0;                                                                                          \
    } while (0)

/* An instruction Wasm 2.0 added: an illegal opcode in an MVP (1.0) module. */
#define NOT_IN_MVP(d)                                                                                          \
    do {                                                                                                       \
        if ((d)->mvp)                                                                                          \
            return fail((d), "illegal opcode");                                                                \
    } while (0)

static int rd_u8(dec *d, uint8_t *out)
{
    if (d->p >= d->end)
        return fail(d, "unexpected end");
    *out = *d->p++;
    return 1;
}

/* LEB128 (Wasm 2.0 section 5.2.2) of a bits-wide integer: at most
 * ceil(bits / 7) bytes; in the last one, the bits past the integer's width
 * are zero (unsigned) or copies of its sign bit (signed). */
static int rd_leb(dec *d, unsigned bits, bool is_signed, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;
        TRY(rd_u8(d, &b));
        v |= (uint64_t)(b & 0x7f) << shift;
        if (shift + 7 >= bits) {
            if (b & 0x80)
                return fail(d, "integer representation too long");
            unsigned used = bits - shift;           /* value bits in this byte, 1..7 */
            uint8_t rest = (uint8_t)((b & 0x7f) >> used);
            bool negative = is_signed && ((b >> (used - 1)) & 1);
            if (rest != (negative ? 0x7f >> used : 0))
                return fail(d, "integer too large");
            if (negative && bits < 64)
                v |= ~0ull << bits;
            break;
        }
        if (!(b & 0x80)) {
            if (is_signed && (b & 0x40))
                v |= ~0ull << (shift + 7);
            break;
        }
    }
    *out = bits < 64 ? v & ((1ull << bits) - 1) : v;
    return 1;
}

static int rd_u32(dec *d, uint32_t *out)
{
    uint64_t v;
    TRY(rd_leb(d, 32, false, &v));
    *out = (uint32_t)v;
    return 1;
}

static int rd_s32(dec *d, uint32_t *out)
{
    uint64_t v;
    TRY(rd_leb(d, 32, true, &v));
    *out = (uint32_t)v;
    return 1;
}

static int rd_s64(dec *d, uint64_t *out) { return rd_leb(d, 64, true, out); }

static int rd_bytes(dec *d, uint32_t n, const uint8_t **out)
{
    if ((size_t)(d->end - d->p) < n)
        return fail(d, "unexpected end");
    *out = d->p;
    d->p += n;
    return 1;
}

int wasm_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t len, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
            return 0; /* overlong */
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int rd_name(dec *d, wasm_name *out)
{
    uint32_t n;
    const uint8_t *s;
    TRY(rd_u32(d, &n));
    if (n > (size_t)(d->end - d->p))
        return fail(d, "unexpected end (length out of bounds)");
    TRY(rd_bytes(d, n, &s));
    if (!wasm_utf8_valid(s, n))
        return fail(d, "malformed UTF-8 encoding");
    if (out) {
        char *c = wasm_alloc(n + 1);
        if (!c)
            return fail(d, "out of memory");
        wasm_memcpy(c, s, n);
        c[n] = 0;
        out->data = c;
        out->len = n;
    }
    return 1;
}

static int is_valtype(dec *d, uint8_t t) { return wasm_is_num(t) || (!d->mvp && wasm_is_ref(t)); }

static int rd_valtype(dec *d, uint8_t *t)
{
    TRY(rd_u8(d, t));
    if (!is_valtype(d, *t))
        return fail(d, "malformed value type");
    return 1;
}

static int rd_reftype(dec *d, uint8_t *t)
{
    TRY(rd_u8(d, t));
    if (!wasm_is_ref(*t) || (d->mvp && *t != WASM_FUNCREF))
        return fail(d, "malformed reference type");
    return 1;
}

static void declare_func(dec *d, uint32_t f)
{
    wasm_module *m = d->m;
    if (!m->declared && m->nfuncs)
        m->declared = wasm_zalloc(m->nfuncs);
    if (m->declared && f < m->nfuncs)
        m->declared[f] = 1;
}

static int rd_count(dec *d, uint32_t *n)
{
    TRY(rd_u32(d, n));
    /* Every element takes at least one byte: a longer count cannot fit. */
    if (*n > (size_t)(d->end - d->p) || *n > MAX_COUNT)
        return fail(d, "unexpected end (count too large)");
    return 1;
}

static void *alloc_array(dec *d, uint32_t n, size_t size)
{
    void *p = wasm_zalloc((size_t)n * size);
    if (!p)
        fail(d, "out of memory");
    return p;
}

/* An index into a space of n items (functions, types, labels, ...): one
 * past the end is the error "unknown <what>". */
static int rd_index(dec *d, uint32_t n, const char *unknown, uint32_t *out)
{
    TRY(rd_u32(d, out));
    if (*out >= n)
        return fail(d, unknown);
    return 1;
}

/* A vector: reads its count into *n and returns zeroed storage for that
 * many items of size bytes each (NULL, the error set, on failure). */
static void *rd_vec(dec *d, uint32_t *n, size_t size)
{
    if (!rd_count(d, n))
        return NULL;
    return alloc_array(d, *n, size);
}

static int rd_limits(dec *d, wasm_limits_decl *l, uint32_t cap, const char *toobig)
{
    uint8_t flag;
    TRY(rd_u8(d, &flag));
    if (flag > 1)
        return fail(d, "integer too large (limits flag)");
    TRY(rd_u32(d, &l->min));
    l->max = WASM_NO_MAX;
    if (flag)
        TRY(rd_u32(d, &l->max));
    if (cap) {
        if (l->min > cap || (flag && l->max > cap))
            return fail(d, toobig);
    }
    if (flag && l->min > l->max)
        return fail(d, "size minimum must not be greater than maximum");
    return 1;
}

static int rd_table_type(dec *d, wasm_tabledecl *t)
{
    TRY(rd_reftype(d, &t->type));
    return rd_limits(d, &t->limits, 0, NULL);
}

static int add_table(dec *d, const wasm_tabledecl *t)
{
    wasm_module *m = d->m;
    if (d->mvp && m->ntables >= 1)
        return fail(d, "multiple tables");
    wasm_tabledecl *n = wasm_alloc(((size_t)m->ntables + 1) * sizeof *n);
    if (!n)
        return fail(d, "out of memory");
    if (m->ntables)
        wasm_memcpy(n, m->tables, m->ntables * sizeof *n);
    wasm_free(m->tables);
    m->tables = n;
    m->tables[m->ntables++] = *t;
    return 1;
}

static int rd_mem_type(dec *d, wasm_limits_decl *l)
{
    return rd_limits(d, l, WASM_MAX_PAGES, "memory size must be at most 65536 pages (4GiB)");
}

static int rd_constexpr(dec *d, wasm_constexpr *e, uint8_t want)
{
    uint8_t op, endb;
    TRY(rd_u8(d, &op));
    e->op = op;
    switch (op) {
    case 0x41: {
        uint32_t v;
        TRY(rd_s32(d, &v));
        e->bits = v;
        e->type = WASM_I32;
        break;
    }
    case 0x42:
        TRY(rd_s64(d, &e->bits));
        e->type = WASM_I64;
        break;
    case 0x43: {
        const uint8_t *b;
        TRY(rd_bytes(d, 4, &b));
        uint32_t v;
        WASM_COPY(&v, b, 4);
        e->bits = v;
        e->type = WASM_F32;
        break;
    }
    case 0x44: {
        const uint8_t *b;
        TRY(rd_bytes(d, 8, &b));
        WASM_COPY(&e->bits, b, 8);
        e->type = WASM_F64;
        break;
    }
    case 0x23: {
        TRY(rd_u32(d, &e->global));
        /* Only imported globals exist while constants are evaluated. */
        if (e->global >= d->m->nglobal_imports)
            return fail(d, "unknown global");
        if (d->m->globals[e->global].mut)
            return fail(d, "constant expression required");
        e->type = d->m->globals[e->global].type;
        break;
    }
    case 0xd0:
        if (d->mvp)
            return fail(d, "constant expression required");
        TRY(rd_reftype(d, &e->type));
        e->bits = 0;
        break;
    case 0xd2:
        if (d->mvp)
            return fail(d, "constant expression required");
        TRY(rd_index(d, d->m->nfuncs, "unknown function", &e->global));
        declare_func(d, e->global);
        e->type = WASM_FUNCREF;
        break;
    case 0x0b:
        return fail(d, "type mismatch (empty constant expression)");
    default:
        return fail(d, "constant expression required");
    }
    TRY(rd_u8(d, &endb));
    if (endb != 0x0b)
        return fail(d, "constant expression required (type mismatch)");
    if (e->type != want)
        return fail(d, "type mismatch");
    return 1;
}

uint64_t wasm_functype_key(const wasm_functype *t)
{
    uint64_t k = t->nparams * 0x9e3779b97f4a7c15ull + t->nresults * 31;
    for (uint32_t i = 0; i < t->nparams + t->nresults; i++)
        k = k * 1099511628211ull + t->params[i];
    return k;
}

int wasm_functype_equal(const wasm_functype *a, const wasm_functype *b)
{
    if (a == b)
        return 1;
    if (a->key != b->key || a->nparams != b->nparams || a->nresults != b->nresults)
        return 0;
    uint32_t n = a->nparams + a->nresults;
    return n == 0 || wasm_memcmp(a->params, b->params, n) == 0;
}

/* ---------- sections ---------- */

static int sec_types(dec *d)
{
    wasm_module *m = d->m;
    m->types = rd_vec(d, &m->ntypes, sizeof(wasm_functype));
    TRY(m->types);
    for (uint32_t i = 0; i < m->ntypes; i++) {
        wasm_functype *t = &m->types[i];
        uint8_t form;
        TRY(rd_u8(d, &form));
        if (form != 0x60)
            return fail(d, "integer representation too long (malformed function type)");
        uint32_t np, nr;
        TRY(rd_count(d, &np));
        const uint8_t *pp = d->p;
        TRY(rd_bytes(d, np, &pp));
        TRY(rd_count(d, &nr));
        if (d->mvp && nr > 1)
            return fail(d, "invalid result arity");
        t->params = alloc_array(d, np + nr, 1);
        TRY(t->params);
        t->nparams = np;
        t->results = t->params + np;
        for (uint32_t k = 0; k < np; k++) {
            t->params[k] = pp[k];
            if (!is_valtype(d, pp[k]))
                return fail(d, "malformed value type");
        }
        for (uint32_t k = 0; k < nr; k++)
            TRY(rd_valtype(d, &t->results[k]));
        t->nresults = nr;
        t->key = wasm_functype_key(t);
    }
    return 1;
}

static int sec_imports(dec *d)
{
    wasm_module *m = d->m;
    m->imports = rd_vec(d, &m->nimports, sizeof(wasm_import));
    TRY(m->imports);
    /* Imported globals are needed by later constant expressions. */
    m->globals = alloc_array(d, m->nimports, sizeof(wasm_globaldef));
    TRY(m->globals);
    m->func_types = alloc_array(d, m->nimports, sizeof(uint32_t));
    TRY(m->func_types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        wasm_import *im = &m->imports[i];
        TRY(rd_name(d, &im->module));
        TRY(rd_name(d, &im->name));
        TRY(rd_u8(d, &im->kind));
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            TRY(rd_index(d, m->ntypes, "unknown type", &im->type_index));
            m->func_types[m->nfunc_imports++] = im->type_index;
            break;
        case WASM_EXTERN_TABLE: {
            wasm_tabledecl t;
            TRY(rd_table_type(d, &t));
            im->limits = t.limits;
            im->reftype = t.type;
            TRY(add_table(d, &t));
            m->ntable_imports++;
            break;
        }
        case WASM_EXTERN_MEMORY:
            TRY(rd_mem_type(d, &im->limits));
            m->mem = im->limits;
            m->nmem_imports++;
            m->nmems++;
            break;
        case WASM_EXTERN_GLOBAL:
            TRY(rd_valtype(d, &im->gtype));
            TRY(rd_u8(d, &im->gmut));
            if (im->gmut > 1)
                return fail(d, "malformed mutability");
            m->globals[m->nglobal_imports].type = im->gtype;
            m->globals[m->nglobal_imports].mut = im->gmut;
            m->nglobal_imports++;
            break;
        default:
            return fail(d, "malformed import kind");
        }
    }
    if (m->nmems > 1)
        return fail(d, "multiple memories");
    m->nfuncs = m->nfunc_imports;
    m->nglobals = m->nglobal_imports;
    return 1;
}

static int grow_u32(dec *d, uint32_t **arr, uint32_t old, uint32_t add)
{
    uint32_t *n = alloc_array(d, old + add, sizeof(uint32_t));
    TRY(n);
    if (*arr && old)
        wasm_memcpy(n, *arr, old * sizeof(uint32_t));
    wasm_free(*arr);
    *arr = n;
    return 1;
}

static int sec_functions(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(d, &n));
    TRY(grow_u32(d, &m->func_types, m->nfunc_imports, n));
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t;
        TRY(rd_index(d, m->ntypes, "unknown type", &t));
        m->func_types[m->nfuncs++] = t;
    }
    return 1;
}

static int sec_tables(dec *d)
{
    uint32_t n;
    TRY(rd_count(d, &n));
    for (uint32_t i = 0; i < n; i++) {
        wasm_tabledecl t;
        TRY(rd_table_type(d, &t));
        TRY(add_table(d, &t));
    }
    return 1;
}

static int sec_memories(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(d, &n));
    for (uint32_t i = 0; i < n; i++) {
        TRY(rd_mem_type(d, &m->mem));
        m->nmems++;
    }
    if (m->nmems > 1)
        return fail(d, "multiple memories");
    return 1;
}

static int sec_globals(dec *d)
{
    wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(d, &n));
    wasm_globaldef *g = alloc_array(d, m->nglobal_imports + n, sizeof(wasm_globaldef));
    TRY(g);
    if (m->nglobal_imports)
        wasm_memcpy(g, m->globals, m->nglobal_imports * sizeof(wasm_globaldef));
    wasm_free(m->globals);
    m->globals = g;
    for (uint32_t i = 0; i < n; i++) {
        wasm_globaldef *gd = &m->globals[m->nglobals];
        TRY(rd_valtype(d, &gd->type));
        TRY(rd_u8(d, &gd->mut));
        if (gd->mut > 1)
            return fail(d, "malformed mutability");
        TRY(rd_constexpr(d, &gd->init, gd->type));
        m->nglobals++;
    }
    return 1;
}

static int sec_exports(dec *d)
{
    wasm_module *m = d->m;
    m->exports = rd_vec(d, &m->nexports, sizeof(wasm_export));
    TRY(m->exports);
    for (uint32_t i = 0; i < m->nexports; i++) {
        wasm_export *e = &m->exports[i];
        TRY(rd_name(d, &e->name));
        TRY(rd_u8(d, &e->kind));
        TRY(rd_u32(d, &e->index));
        uint32_t limit;
        switch (e->kind) {
        case WASM_EXTERN_FUNC: limit = m->nfuncs; break;
        case WASM_EXTERN_TABLE: limit = m->ntables; break;
        case WASM_EXTERN_MEMORY: limit = m->nmems; break;
        case WASM_EXTERN_GLOBAL: limit = m->nglobals; break;
        default: return fail(d, "malformed export kind");
        }
        if (e->index >= limit)
            return fail(d, e->kind == WASM_EXTERN_FUNC     ? "unknown function"
                           : e->kind == WASM_EXTERN_TABLE  ? "unknown table"
                           : e->kind == WASM_EXTERN_MEMORY ? "unknown memory"
                                                           : "unknown global");
        for (uint32_t k = 0; k < i; k++)
            if (wasm_name_eq(m->exports[k].name, e->name))
                return fail(d, "duplicate export name");
        if (e->kind == WASM_EXTERN_FUNC)
            declare_func(d, e->index);
    }
    return 1;
}

static int sec_start(dec *d)
{
    wasm_module *m = d->m;
    TRY(rd_index(d, m->nfuncs, "unknown function", &m->start));
    const wasm_functype *t = &m->types[m->func_types[m->start]];
    if (t->nparams || t->nresults)
        return fail(d, "start function must have type [] -> []");
    m->has_start = 1;
    return 1;
}

/* One element segment item: a function index (kinds 0-3) or a constant
 * expression of the segment's type (kinds 4-7). */
static int rd_elem_item(dec *d, wasm_elem *e, int exprs, wasm_constexpr *it)
{
    if (exprs)
        return rd_constexpr(d, it, e->type);
    it->op = 0xd2;
    it->type = WASM_FUNCREF;
    TRY(rd_index(d, d->m->nfuncs, "unknown function", &it->global));
    declare_func(d, it->global);
    return 1;
}

static int sec_elements(dec *d)
{
    wasm_module *m = d->m;
    m->elems = rd_vec(d, &m->nelems, sizeof(wasm_elem));
    TRY(m->elems);
    for (uint32_t i = 0; i < m->nelems; i++) {
        wasm_elem *e = &m->elems[i];
        uint32_t kind;
        TRY(rd_u32(d, &kind));
        if (kind > 7 || (d->mvp && kind != 0))
            return fail(d, d->mvp ? "unknown table" : "malformed elements segment kind");
        int passive_or_decl = kind & 1, explicit_table = (kind & 3) == 2, exprs = (kind & 4) != 0;
        e->mode = !passive_or_decl ? WASM_SEG_ACTIVE : (kind & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
        e->type = WASM_FUNCREF;
        e->table = 0;
        if (explicit_table)
            TRY(rd_u32(d, &e->table));
        if (e->mode == WASM_SEG_ACTIVE) {
            if (e->table >= m->ntables)
                return fail(d, "unknown table");
            TRY(rd_constexpr(d, &e->offset, WASM_I32));
        }
        if (kind & 3) {
            /* elemkind (0x00 = funcref) or reftype */
            if (exprs) {
                TRY(rd_reftype(d, &e->type));
            } else {
                uint8_t ek;
                TRY(rd_u8(d, &ek));
                if (ek != 0)
                    return fail(d, "malformed element kind");
            }
        }
        if (e->mode == WASM_SEG_ACTIVE && m->tables[e->table].type != e->type)
            return fail(d, "type mismatch");
        e->items = rd_vec(d, &e->count, sizeof(wasm_constexpr));
        TRY(e->items);
        for (uint32_t k = 0; k < e->count; k++)
            TRY(rd_elem_item(d, e, exprs, &e->items[k]));
    }
    return 1;
}

static int sec_data_count(dec *d)
{
    if (d->mvp)
        return fail(d, "malformed section id");
    TRY(rd_u32(d, &d->m->data_count));
    d->m->has_data_count = 1;
    return 1;
}

static int sec_data(dec *d)
{
    wasm_module *m = d->m;
    TRY(rd_count(d, &m->ndatas));
    if (m->has_data_count && m->ndatas != m->data_count)
        return fail(d, "data count and data section have inconsistent lengths");
    m->datas = alloc_array(d, m->ndatas, sizeof(wasm_data));
    TRY(m->datas);
    for (uint32_t i = 0; i < m->ndatas; i++) {
        wasm_data *s = &m->datas[i];
        uint32_t kind, mem = 0;
        const uint8_t *b;
        TRY(rd_u32(d, &kind));
        if (d->mvp) {
            mem = kind;
            kind = 0;
        } else if (kind > 2) {
            return fail(d, "malformed data segment kind");
        }
        if (kind == 2)
            TRY(rd_u32(d, &mem));
        s->mode = kind == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
        if (s->mode == WASM_SEG_ACTIVE) {
            if (mem != 0 || m->nmems == 0)
                return fail(d, "unknown memory");
            TRY(rd_constexpr(d, &s->offset, WASM_I32));
        }
        TRY(rd_u32(d, &s->size));
        TRY(rd_bytes(d, s->size, &b));
        s->bytes = wasm_alloc(s->size);
        if (!s->bytes)
            return fail(d, "out of memory");
        wasm_memcpy(s->bytes, b, s->size);
    }
    return 1;
}

/* ---------- function bodies ---------- */

enum { K_BLOCK, K_LOOP, K_IF, K_FUNC };
#define T_NONE 0x40
#define T_ANY 0 /* polymorphic stack slot (after unreachable) */

/* A block type: parameters and results (res NULL: the one result `one`). */
typedef struct btype {
    uint32_t np, nr;
    const uint8_t *par, *res;
    uint8_t one;
} btype;

typedef struct ctrl {
    uint8_t kind, unreachable, emit, has_else;
    btype bt;
    uint32_t height;
    uint32_t loop_pc;
    uint32_t fixups;     /* chain of words waiting for the end's address */
    uint32_t else_fixup; /* if: the BR_UNLESS target */
} ctrl;

/* Fuel bookkeeping (see "Fuel" in wasm_internal.h). A run is a stretch of
 * code from a label (or the function start) to the next unconditional
 * transfer; every emitted instruction counts one. */
typedef struct label_info {
    uint32_t pc, run, icount;
} label_info;
typedef struct fuel_site {
    uint32_t delta_word;  /* the delta immediate to patch */
    uint32_t target_word; /* the word holding the branch target */
    uint32_t run, icount; /* where the branch is (icount after it) */
} fuel_site;

typedef struct fc {
    dec *d;
    uint32_t op_pc[3]; /* where the last three opcodes were emitted, newest first (NONE: unknown) */
    uint32_t barrier;  /* code before it is not fused with what follows (a label is there) */
    uint32_t icount;  /* instructions emitted so far */
    uint32_t run;     /* current run id */
    uint32_t run_start; /* icount where it began */
    int run_open;     /* 0 after an unconditional transfer */
    uint32_t *run_end; /* icount at the end of each run */
    uint32_t nruns, capruns;
    label_info *labels;
    uint32_t nlabels, caplabels;
    fuel_site *sites;
    uint32_t nsites, capsites;
    uint8_t *locals;
    uint32_t nlocals;
    uint8_t *vals;
    uint32_t nvals, capvals, maxvals;
    ctrl *ctrls;
    uint32_t nctrl, capctrl;
    uint32_t *code;
    uint32_t len, cap;
    uint32_t *ops; /* word index of every opcode in code, in order (the interpreter threads them) */
    uint32_t nops, capops;
} fc;

static int grow(dec *d, void **arr, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    uint32_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void *n = wasm_alloc((size_t)nc * size);
    if (!n)
        return fail(d, "out of memory");
    if (*arr)
        wasm_memcpy(n, *arr, (size_t)*cap * size);
    wasm_free(*arr);
    *arr = n;
    *cap = nc;
    return 1;
}

static ctrl *top(fc *c) { return &c->ctrls[c->nctrl - 1]; }
static int emitting(fc *c) { return top(c)->emit && !top(c)->unreachable; }

static int emit(fc *c, uint32_t w)
{
    TRY(grow(c->d, (void **)&c->code, &c->cap, c->len + 1, sizeof(uint32_t)));
    c->code[c->len++] = w;
    return 1;
}

/* An opcode word (of an instruction or a fused one): where it is, for
 * wasm_thread_code. */
static int emit_opword(fc *c, uint32_t op)
{
    TRY(grow(c->d, (void **)&c->ops, &c->capops, c->nops + 1, sizeof(uint32_t)));
    c->ops[c->nops++] = c->len;
    return emit(c, op);
}

/* An instruction's opcode word: counted for fuel. */
static int emit_op(fc *c, uint32_t op)
{
    c->icount++;
    c->op_pc[2] = c->op_pc[1];
    c->op_pc[1] = c->op_pc[0];
    c->op_pc[0] = c->len;
    return emit_opword(c, op);
}

/* The opcode emitted `back` instructions ago when nothing may jump between
 * it and here, else NONE. */
static uint32_t recent_op(fc *c, int back)
{
    uint32_t pc = c->op_pc[back];
    if (pc == NONE || pc < c->barrier)
        return NONE;
    return c->code[pc];
}

/* Replaces the last one or two instructions (from pc on) by one fused one,
 * emitted next at pc; the instruction before them stays the previous one. */
static void refuse_tail(fc *c, uint32_t pc)
{
    c->len = pc;
    while (c->nops && c->ops[c->nops - 1] >= pc)
        c->nops--;
    if (c->op_pc[1] == pc)
        c->op_pc[1] = c->op_pc[2];
    c->op_pc[0] = pc;
    c->op_pc[2] = NONE;
}

static uint32_t fuse_bin_base(uint32_t op)
{
    switch (op) {
#define FUSE_CASE(name, expr)                                                                                  \
    case OP_##name:                                                                                            \
        return OP_##name##_LL;
        WASM_FUSE_BIN(FUSE_CASE)
#undef FUSE_CASE
    default:
        return NONE;
    }
}

/* An instruction that pushes one value and pops none, reads no local that
 * it does not name and writes none: a local.get before it may be read after
 * it instead (the _LS forms). */
static int pushes_only(uint32_t op)
{
    switch (op) {
    case OP_LOCAL_GET:
    case OP_GLOBAL_GET:
    case OP_I32_CONST:
#define PUSH_CASE(name, ctype, n, conv) case OP_##name##_L:
        WASM_FUSE_LOAD(PUSH_CASE)
#undef PUSH_CASE
        return 1;
    default:
        break;
    }
#define PUSH_CASE(name, expr)                                                                                  \
    if (op == OP_##name##_LL || op == OP_##name##_LC)                                                          \
        return 1;
    WASM_FUSE_BIN(PUSH_CASE)
#undef PUSH_CASE
    return 0;
}

/* An i32 binary operation: fused with the local.get / i32.const that made
 * its operands when nothing can jump between them. Counted as the
 * instructions it replaces (their icount is already in). */
static int emit_bin(fc *c, uint32_t op)
{
    uint32_t base = fuse_bin_base(op);
    if (base != NONE) {
        uint32_t last = recent_op(c, 0), prev = recent_op(c, 1);
        uint32_t lpc = c->op_pc[0], ppc = c->op_pc[1];
        int after_get = prev == OP_LOCAL_GET && ppc + 2 == lpc;
        if (last == OP_I32_CONST && after_get) {
            uint32_t a = c->code[ppc + 1], k = c->code[lpc + 1];
            refuse_tail(c, ppc);
            c->icount++;
            return emit_opword(c, base + WASM_FORM_LC) && emit(c, a) && emit(c, k);
        }
        if (last == OP_LOCAL_GET && after_get) {
            uint32_t a = c->code[ppc + 1], b = c->code[lpc + 1];
            refuse_tail(c, ppc);
            c->icount++;
            return emit_opword(c, base + WASM_FORM_LL) && emit(c, a) && emit(c, b);
        }
        if (last != NONE && after_get && pushes_only(last)) {
            /* local.get a; X (pushes b); op  ->  X; op_LS a */
            uint32_t a = c->code[ppc + 1], n = c->len - lpc;
            wasm_memmove(&c->code[ppc], &c->code[lpc], (size_t)n * sizeof(uint32_t));
            c->len = ppc + n;
            c->ops[c->nops - 2] = ppc; /* the local.get's opcode goes, X's moves */
            c->nops--;
            c->op_pc[0] = c->len;
            c->op_pc[1] = ppc;
            c->icount++;
            return emit_opword(c, base + WASM_FORM_LS) && emit(c, a);
        }
        if (last == OP_I32_CONST || last == OP_LOCAL_GET) {
            uint32_t k = c->code[lpc + 1];
            refuse_tail(c, lpc);
            c->icount++;
            return emit_opword(c, base + (last == OP_I32_CONST ? WASM_FORM_SC : WASM_FORM_SL)) && emit(c, k);
        }
    }
    return emit_op(c, op);
}

/* A store whose value is a local (its address a local or on the stack) or
 * an i32 constant after a local address. */
static int emit_store(fc *c, uint32_t op, uint32_t off)
{
    uint32_t base = NONE;
    switch (op) {
#define STORE_CASE(name, ctype, n)                                                                             \
    case OP_##name:                                                                                            \
        base = OP_##name##_LL;                                                                                 \
        break;
        WASM_FUSE_STORE(STORE_CASE)
#undef STORE_CASE
    default:
        break;
    }
    if (base != NONE) {
        uint32_t last = recent_op(c, 0), prev = recent_op(c, 1);
        uint32_t lpc = c->op_pc[0], ppc = c->op_pc[1];
        if ((last == OP_LOCAL_GET || last == OP_I32_CONST) && prev == OP_LOCAL_GET && ppc + 2 == lpc) {
            uint32_t a = c->code[ppc + 1], v = c->code[lpc + 1];
            refuse_tail(c, ppc);
            c->icount++;
            return emit_opword(c, base + (last == OP_LOCAL_GET ? 0 : 1)) && emit(c, a) && emit(c, v) && emit(c, off);
        }
        if (last == OP_LOCAL_GET) {
            uint32_t v = c->code[lpc + 1];
            refuse_tail(c, lpc);
            c->icount++;
            return emit_opword(c, base + 2) && emit(c, v) && emit(c, off);
        }
    }
    return emit_op(c, op) && emit(c, off);
}

static uint32_t fuse_load(uint32_t op)
{
    switch (op) {
#define FUSE_CASE(name, ctype, n, conv)                                                                        \
    case OP_##name:                                                                                            \
        return OP_##name##_L;
        WASM_FUSE_LOAD(FUSE_CASE)
#undef FUSE_CASE
    default:
        return NONE;
    }
}

/* A load whose address is a local: LOAD_L local offset. */
static int emit_load(fc *c, uint32_t op, uint32_t off)
{
    uint32_t fused = fuse_load(op);
    if (fused != NONE && recent_op(c, 0) == OP_LOCAL_GET) {
        uint32_t lpc = c->op_pc[0], a = c->code[lpc + 1];
        refuse_tail(c, lpc);
        c->icount++;
        return emit_opword(c, fused) && emit(c, a) && emit(c, off);
    }
    return emit_op(c, op) && emit(c, off);
}

/* local.set right after an i32 operation of the fused list (fused or on
 * the stack): its result goes straight into the local. */
static int emit_local_set(fc *c, uint32_t li)
{
    uint32_t last = recent_op(c, 0), lpc = c->op_pc[0];
#define SET_CASE(name, expr)                                                                                   \
    if (last >= OP_##name##_LL && last <= OP_##name##_SL) {                                                    \
        c->code[lpc] = OP_##name##_LL_SET + (last - OP_##name##_LL);                                           \
        c->icount++;                                                                                           \
        c->op_pc[1] = NONE;                                                                                    \
        return emit(c, li);                                                                                    \
    }                                                                                                          \
    if (last == OP_##name) {                                                                                   \
        c->code[lpc] = OP_##name##_SS_SET;                                                                     \
        c->icount++;                                                                                           \
        c->op_pc[1] = NONE;                                                                                    \
        return emit(c, li);                                                                                    \
    }
    WASM_FUSE_BIN(SET_CASE)
#undef SET_CASE
    return emit_op(c, OP_LOCAL_SET) && emit(c, li);
}

/* br_if right after a fused i32 comparison of locals/constants: one
 * compare-and-branch. Returns 1 and sets *done when it fused. */
static int try_fuse_brif(fc *c, int *done)
{
    *done = 0;
    uint32_t last = recent_op(c, 0), lpc = c->op_pc[0];
    if (last == NONE)
        return 1;
#define CMP_CASE(name, expr)                                                                                   \
    if (last == OP_##name##_LL || last == OP_##name##_LC) {                                                    \
        uint32_t a = c->code[lpc + 1], b = c->code[lpc + 2];                                                   \
        refuse_tail(c, lpc);                                                                                   \
        c->icount++;                                                                                           \
        *done = 1;                                                                                             \
        return emit_opword(c, last == OP_##name##_LL ? OP_BRC_##name##_LL : OP_BRC_##name##_LC) && emit(c, a) &&       \
               emit(c, b);                                                                                     \
    }
    WASM_FUSE_CMP(CMP_CASE)
#undef CMP_CASE
    return 1;
}

static int open_run(fc *c)
{
    TRY(grow(c->d, (void **)&c->run_end, &c->capruns, c->nruns + 1, sizeof(uint32_t)));
    c->run = c->nruns++;
    c->run_end[c->run] = NONE;
    c->run_start = c->icount;
    c->run_open = 1;
    return 1;
}

/* After an unconditional transfer (br, br_table, return, unreachable). */
static void close_run(fc *c)
{
    if (c->run_open)
        c->run_end[c->run] = c->icount;
    c->run_open = 0;
}

/* A branch target at the current position. */
static int add_label(fc *c)
{
    c->barrier = c->len;
    if (!c->run_open)
        TRY(open_run(c));
    TRY(grow(c->d, (void **)&c->labels, &c->caplabels, c->nlabels + 1, sizeof(label_info)));
    c->labels[c->nlabels++] = (label_info){c->len, c->run, c->icount};
    return 1;
}

/* The fuel delta of the branch whose target word is at target_word: emitted
 * now as a placeholder, patched when the function is complete. */
static int emit_delta(fc *c, uint32_t target_word)
{
    TRY(grow(c->d, (void **)&c->sites, &c->capsites, c->nsites + 1, sizeof(fuel_site)));
    c->sites[c->nsites++] = (fuel_site){c->len, target_word, c->run, c->icount};
    return emit(c, 0);
}

static uint32_t run_rest(fc *c, uint32_t run, uint32_t icount)
{
    return c->run_end[run] - icount;
}

/* delta = cost of the target's run from the target on, minus the part of
 * the branch's own run it skips (already charged). */
static void patch_fuel(fc *c)
{
    for (uint32_t i = 0; i < c->nsites; i++) {
        fuel_site *s = &c->sites[i];
        uint32_t pc = c->code[s->target_word], lo = 0, hi = c->nlabels;
        while (hi - lo > 1) {
            uint32_t mid = (lo + hi) / 2;
            if (c->labels[mid].pc <= pc)
                lo = mid;
            else
                hi = mid;
        }
        label_info *l = &c->labels[lo];
        int64_t delta = (int64_t)run_rest(c, l->run, l->icount) - (int64_t)run_rest(c, s->run, s->icount);
        c->code[s->delta_word] = (uint32_t)(int32_t)delta;
    }
}

static int push(fc *c, uint8_t t)
{
    TRY(grow(c->d, (void **)&c->vals, &c->capvals, c->nvals + 1, 1));
    c->vals[c->nvals++] = t;
    if (c->nvals > c->maxvals)
        c->maxvals = c->nvals;
    return 1;
}

static int pop(fc *c, uint8_t *out)
{
    ctrl *f = top(c);
    if (c->nvals == f->height) {
        if (f->unreachable) {
            *out = T_ANY;
            return 1;
        }
        return fail(c->d, "type mismatch");
    }
    *out = c->vals[--c->nvals];
    return 1;
}

static int pop_expect(fc *c, uint8_t want)
{
    uint8_t t;
    TRY(pop(c, &t));
    if (t != T_ANY && want != T_ANY && t != want)
        return fail(c->d, "type mismatch");
    return 1;
}

static uint8_t bt_res(const btype *b, uint32_t i) { return b->res ? b->res[i] : b->one; }
static uint32_t label_arity(const ctrl *f) { return f->kind == K_LOOP ? f->bt.np : f->bt.nr; }
static uint8_t label_type_at(const ctrl *f, uint32_t i) { return f->kind == K_LOOP ? f->bt.par[i] : bt_res(&f->bt, i); }

static int pop_results(fc *c, const btype *b)
{
    for (uint32_t i = b->nr; i > 0; i--)
        TRY(pop_expect(c, bt_res(b, i - 1)));
    return 1;
}

static int push_params(fc *c, const btype *b)
{
    for (uint32_t i = 0; i < b->np; i++)
        TRY(push(c, b->par[i]));
    return 1;
}

/* A block's parameters are popped from the enclosing frame and pushed
 * again inside the new one. */
static int push_ctrl(fc *c, uint8_t kind, const btype *bt)
{
    for (uint32_t i = bt->np; i > 0; i--)
        TRY(pop_expect(c, bt->par[i - 1]));
    int em = c->nctrl ? emitting(c) : 1;
    TRY(grow(c->d, (void **)&c->ctrls, &c->capctrl, c->nctrl + 1, sizeof(ctrl)));
    ctrl *f = &c->ctrls[c->nctrl++];
    f->kind = kind;
    f->bt = *bt;
    f->unreachable = 0;
    f->emit = (uint8_t)em;
    f->has_else = 0;
    f->height = c->nvals;
    f->loop_pc = c->len;
    f->fixups = NONE;
    f->else_fixup = NONE;
    TRY(push_params(c, bt));
    if (kind == K_LOOP && em)
        TRY(add_label(c));
    return 1;
}

static void set_unreachable(fc *c)
{
    c->nvals = top(c)->height;
    top(c)->unreachable = 1;
}

static void patch_chain(fc *c, uint32_t head, uint32_t target)
{
    while (head != NONE) {
        uint32_t next = c->code[head];
        c->code[head] = target;
        head = next;
    }
}

/* Check the label's operands are on the stack (without consuming them):
 * br_if leaves the label's types there. */
static int check_label_values(fc *c, ctrl *f)
{
    uint32_t n = label_arity(f);
    for (uint32_t i = n; i > 0; i--)
        TRY(pop_expect(c, label_type_at(f, i - 1)));
    for (uint32_t i = 0; i < n; i++)
        TRY(push(c, label_type_at(f, i)));
    return 1;
}

/* br_table: each label's types must match the stack, which keeps what was
 * there (an unknown slot of unreachable code stays unknown). */
static int check_label_keep(fc *c, uint32_t depth)
{
    ctrl *f = &c->ctrls[c->nctrl - 1 - depth];
    uint32_t n = label_arity(f);
    uint8_t small[16], *got = n <= 16 ? small : wasm_alloc(n);
    if (!got)
        return fail(c->d, "out of memory");
    int ok = 1;
    for (uint32_t i = n; i > 0 && ok; i--) {
        f = &c->ctrls[c->nctrl - 1 - depth];
        ok = pop(c, &got[i - 1]);
        uint8_t want = label_type_at(f, i - 1);
        if (ok && got[i - 1] != T_ANY && got[i - 1] != want)
            ok = fail(c->d, "type mismatch");
    }
    for (uint32_t i = 0; i < n && ok; i++)
        ok = push(c, got[i]);
    if (got != small)
        wasm_free(got);
    return ok;
}

/* Emit the target word of a branch to frame f. */
static int emit_target(fc *c, ctrl *f)
{
    if (f->kind == K_LOOP)
        return emit(c, f->loop_pc);
    uint32_t at = c->len;
    TRY(emit(c, f->fixups));
    f->fixups = at;
    return 1;
}

/* br / br_if to frame f: the plain form when the operand stack already has
 * the label's height, else the adjusting form with (target, height, arity). */
static int emit_branch(fc *c, ctrl *f, uint32_t op_plain, uint32_t op_adj)
{
    uint32_t arity = label_arity(f);
    uint32_t target_h = c->nlocals + f->height;
    uint32_t cur_h = c->nlocals + c->nvals;
    if (cur_h == target_h + arity) {
        int fused = 0;
        if (op_plain == OP_BR_IF)
            TRY(try_fuse_brif(c, &fused));
        if (!fused)
            TRY(emit_op(c, op_plain));
        uint32_t tw = c->len;
        TRY(emit_target(c, f));
        return emit_delta(c, tw);
    }
    TRY(emit_op(c, op_adj));
    uint32_t tw = c->len;
    TRY(emit_target(c, f));
    TRY(emit(c, target_h));
    TRY(emit(c, arity));
    return emit_delta(c, tw);
}

/* blocktype: 0x40, one value type, or (2.0) a type index as a signed LEB128 (s33). */
static int rd_blocktype(fc *c, btype *bt)
{
    dec *d = c->d;
    wasm_memset(bt, 0, sizeof *bt);
    if (d->p >= d->end)
        return fail(d, "unexpected end");
    uint8_t b = *d->p;
    if (b == T_NONE) {
        d->p++;
        return 1;
    }
    if (is_valtype(d, b)) {
        d->p++;
        bt->nr = 1;
        bt->one = b;
        return 1;
    }
    if (d->mvp || (b & 0x40 && !(b & 0x80)))
        return fail(d, "malformed block type");
    uint64_t v = 0;
    int shift = 0;
    for (;;) {
        if (d->p >= d->end)
            return fail(d, "unexpected end");
        b = *d->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
        if (shift >= 35)
            return fail(d, "integer representation too long");
    }
    if (shift == 35 && (b & 0x70) != 0 && (b & 0x70) != 0x70)
        return fail(d, "integer too large");
    if (b & 0x40 || v >= d->m->ntypes) /* negative, or past the types */
        return fail(d, "unknown type");
    const wasm_functype *t = &d->m->types[v];
    bt->np = t->nparams;
    bt->nr = t->nresults;
    bt->par = t->params;
    bt->res = t->results;
    return 1;
}

static int rd_memarg(fc *c, uint32_t natural, uint32_t *offset)
{
    uint32_t align;
    TRY(rd_u32(c->d, &align));
    TRY(rd_u32(c->d, offset));
    if (c->d->m->nmems == 0)
        return fail(c->d, "unknown memory");
    if (align > natural)
        return fail(c->d, "alignment must not be larger than natural");
    return 1;
}

/* Operand/result types of the contiguous numeric opcodes 0x45..0xbf. */
static void numeric_sig(uint8_t op, uint8_t *in, int *nin, uint8_t *out)
{
    const uint8_t I = WASM_I32, L = WASM_I64, F = WASM_F32, D = WASM_F64;
    if (op == 0x45) { *in = I; *nin = 1; *out = I; }
    else if (op <= 0x4f) { *in = I; *nin = 2; *out = I; }
    else if (op == 0x50) { *in = L; *nin = 1; *out = I; }
    else if (op <= 0x5a) { *in = L; *nin = 2; *out = I; }
    else if (op <= 0x60) { *in = F; *nin = 2; *out = I; }
    else if (op <= 0x66) { *in = D; *nin = 2; *out = I; }
    else if (op <= 0x69) { *in = I; *nin = 1; *out = I; }
    else if (op <= 0x78) { *in = I; *nin = 2; *out = I; }
    else if (op <= 0x7b) { *in = L; *nin = 1; *out = L; }
    else if (op <= 0x8a) { *in = L; *nin = 2; *out = L; }
    else if (op <= 0x91) { *in = F; *nin = 1; *out = F; }
    else if (op <= 0x98) { *in = F; *nin = 2; *out = F; }
    else if (op <= 0x9f) { *in = D; *nin = 1; *out = D; }
    else if (op <= 0xa6) { *in = D; *nin = 2; *out = D; }
    else if (op >= 0xc0) { *in = *out = op <= 0xc1 ? I : L; *nin = 1; }
    else {
        static const uint8_t conv[][2] = {
            /* a7 */ {WASM_I64, WASM_I32}, {WASM_F32, WASM_I32}, {WASM_F32, WASM_I32}, {WASM_F64, WASM_I32},
            /* ab */ {WASM_F64, WASM_I32}, {WASM_I32, WASM_I64}, {WASM_I32, WASM_I64}, {WASM_F32, WASM_I64},
            /* af */ {WASM_F32, WASM_I64}, {WASM_F64, WASM_I64}, {WASM_F64, WASM_I64}, {WASM_I32, WASM_F32},
            /* b3 */ {WASM_I32, WASM_F32}, {WASM_I64, WASM_F32}, {WASM_I64, WASM_F32}, {WASM_F64, WASM_F32},
            /* b7 */ {WASM_I32, WASM_F64}, {WASM_I32, WASM_F64}, {WASM_I64, WASM_F64}, {WASM_I64, WASM_F64},
            /* bb */ {WASM_F32, WASM_F64}, {WASM_F32, WASM_I32}, {WASM_F64, WASM_I64}, {WASM_I32, WASM_F32},
            /* bf */ {WASM_I64, WASM_F64},
        };
        *in = conv[op - 0xa7][0];
        *nin = 1;
        *out = conv[op - 0xa7][1];
    }
}

static const uint8_t load_natural[] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2};
static const uint8_t load_type[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32, WASM_I32, WASM_I32,
                                    WASM_I32, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64, WASM_I64};
static const uint8_t store_natural[] = {2, 3, 2, 3, 0, 1, 0, 1, 2};
static const uint8_t store_type[] = {WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_I32,
                                     WASM_I32, WASM_I64, WASM_I64, WASM_I64};

static int need_table(fc *c, uint32_t t)
{
    if (t >= c->d->m->ntables)
        return fail(c->d, "unknown table");
    return 1;
}

static int need_elem(fc *c, uint32_t e)
{
    if (e >= c->d->m->nelems)
        return fail(c->d, "unknown elem segment");
    return 1;
}

static int need_data(fc *c, uint32_t x)
{
    if (!c->d->m->has_data_count)
        return fail(c->d, "data count section required");
    if (x >= c->d->m->data_count)
        return fail(c->d, "unknown data segment");
    return 1;
}

static int rd_zero(fc *c)
{
    uint8_t zero;
    TRY(rd_u8(c->d, &zero));
    if (zero != 0)
        return fail(c->d, "zero byte expected");
    return 1;
}

/* Pops the call's parameters and pushes its results. */
static int call_sig(fc *c, const wasm_functype *t)
{
    for (uint32_t i = t->nparams; i > 0; i--)
        TRY(pop_expect(c, t->params[i - 1]));
    for (uint32_t i = 0; i < t->nresults; i++)
        TRY(push(c, t->results[i]));
    return 1;
}

/* Emits op followed by n immediates when the code is reachable. */
static int emit_imm(fc *c, int em, uint32_t op, uint32_t n, uint32_t a, uint32_t b)
{
    if (!em)
        return 1;
    TRY(emit_op(c, op));
    if (n > 0)
        TRY(emit(c, a));
    if (n > 1)
        TRY(emit(c, b));
    return 1;
}

static int pop3_i32(fc *c)
{
    return pop_expect(c, WASM_I32) && pop_expect(c, WASM_I32) && pop_expect(c, WASM_I32);
}

/* 0xfc-prefixed instructions (2.0): saturating truncation, bulk memory, tables. */
static int compile_fc(fc *c, int em)
{
    dec *d = c->d;
    wasm_module *m = d->m;
    uint32_t sub, a, b;
    NOT_IN_MVP(d);
    TRY(rd_u32(d, &sub));
    if (sub <= 7) {
        static const uint8_t from[8] = {WASM_F32, WASM_F32, WASM_F64, WASM_F64, WASM_F32, WASM_F32, WASM_F64, WASM_F64};
        TRY(pop_expect(c, from[sub]));
        TRY(push(c, sub < 4 ? WASM_I32 : WASM_I64));
        return emit_imm(c, em, OP_I32_TRUNC_SAT_F32_S + sub, 0, 0, 0);
    }
    switch (sub) {
    case 8: /* memory.init data 0 */
        TRY(rd_u32(d, &a));
        TRY(rd_zero(c));
        if (m->nmems == 0)
            return fail(d, "unknown memory");
        TRY(need_data(c, a));
        TRY(pop3_i32(c));
        return emit_imm(c, em, OP_MEMORY_INIT, 1, a, 0);
    case 9: /* data.drop */
        TRY(rd_u32(d, &a));
        TRY(need_data(c, a));
        return emit_imm(c, em, OP_DATA_DROP, 1, a, 0);
    case 10: /* memory.copy 0 0 */
        TRY(rd_zero(c));
        TRY(rd_zero(c));
        if (m->nmems == 0)
            return fail(d, "unknown memory");
        TRY(pop3_i32(c));
        return emit_imm(c, em, OP_MEMORY_COPY, 0, 0, 0);
    case 11: /* memory.fill 0 */
        TRY(rd_zero(c));
        if (m->nmems == 0)
            return fail(d, "unknown memory");
        TRY(pop3_i32(c));
        return emit_imm(c, em, OP_MEMORY_FILL, 0, 0, 0);
    case 12: /* table.init elem table */
        TRY(rd_u32(d, &a));
        TRY(rd_u32(d, &b));
        TRY(need_table(c, b));
        TRY(need_elem(c, a));
        if (m->elems[a].type != m->tables[b].type)
            return fail(d, "type mismatch");
        TRY(pop3_i32(c));
        return emit_imm(c, em, OP_TABLE_INIT, 2, a, b);
    case 13: /* elem.drop */
        TRY(rd_u32(d, &a));
        TRY(need_elem(c, a));
        return emit_imm(c, em, OP_ELEM_DROP, 1, a, 0);
    case 14: /* table.copy dst src */
        TRY(rd_u32(d, &a));
        TRY(rd_u32(d, &b));
        TRY(need_table(c, a));
        TRY(need_table(c, b));
        if (m->tables[a].type != m->tables[b].type)
            return fail(d, "type mismatch");
        TRY(pop3_i32(c));
        return emit_imm(c, em, OP_TABLE_COPY, 2, a, b);
    case 15: /* table.grow: init n -> old */
        TRY(rd_u32(d, &a));
        TRY(need_table(c, a));
        TRY(pop_expect(c, WASM_I32));
        TRY(pop_expect(c, m->tables[a].type));
        TRY(push(c, WASM_I32));
        return emit_imm(c, em, OP_TABLE_GROW, 1, a, 0);
    case 16: /* table.size */
        TRY(rd_u32(d, &a));
        TRY(need_table(c, a));
        TRY(push(c, WASM_I32));
        return emit_imm(c, em, OP_TABLE_SIZE, 1, a, 0);
    case 17: /* table.fill: i val n */
        TRY(rd_u32(d, &a));
        TRY(need_table(c, a));
        TRY(pop_expect(c, WASM_I32));
        TRY(pop_expect(c, m->tables[a].type));
        TRY(pop_expect(c, WASM_I32));
        return emit_imm(c, em, OP_TABLE_FILL, 1, a, 0);
    default:
        return fail(d, "illegal opcode");
    }
}

static int compile_body(fc *c, const wasm_functype *ft, wasm_code *out)
{
    dec *d = c->d;
    wasm_module *m = d->m;
    c->icount = 0;
    c->nruns = c->nlabels = c->nsites = 0;
    c->op_pc[0] = c->op_pc[1] = c->op_pc[2] = NONE;
    c->nops = 0;
    c->barrier = 0;
    TRY(open_run(c));
    btype fbt = {0, ft->nresults, NULL, ft->results, 0};
    TRY(push_ctrl(c, K_FUNC, &fbt));
    while (c->nctrl) {
        uint8_t op;
        TRY(rd_u8(d, &op));
        int em = emitting(c);
        if (em && c->run_open && c->icount - c->run_start >= WASM_RUN_MAX) {
            /* FUEL next-pc delta: ends this run, the next one begins after it */
            TRY(emit_op(c, OP_FUEL));
            uint32_t tw = c->len;
            TRY(emit(c, tw + 2));
            TRY(emit_delta(c, tw));
            close_run(c);
            TRY(add_label(c));
        }
        switch (op) {
        case 0x00:
            if (em)
                TRY(emit_op(c, OP_UNREACHABLE));
            close_run(c);
            set_unreachable(c);
            break;
        case 0x01:
            break;
        case 0x02:
        case 0x03: {
            btype bt;
            TRY(rd_blocktype(c, &bt));
            TRY(push_ctrl(c, op == 0x02 ? K_BLOCK : K_LOOP, &bt));
            break;
        }
        case 0x04: {
            btype bt;
            TRY(rd_blocktype(c, &bt));
            TRY(pop_expect(c, WASM_I32));
            uint32_t at = NONE;
            if (em) {
                TRY(emit_op(c, OP_BR_UNLESS));
                at = c->len;
                TRY(emit(c, NONE));
                TRY(emit_delta(c, at));
            }
            TRY(push_ctrl(c, K_IF, &bt));
            top(c)->else_fixup = at;
            break;
        }
        case 0x05: {
            ctrl *f = top(c);
            if (f->kind != K_IF || f->has_else)
                return fail(d, "else without matching if");
            TRY(pop_results(c, &f->bt));
            f = top(c);
            if (c->nvals != f->height)
                return fail(d, "type mismatch");
            if (em) {
                TRY(emit_op(c, OP_BR));
                uint32_t tw = c->len;
                TRY(emit_target(c, f));
                TRY(emit_delta(c, tw));
            }
            close_run(c);
            if (f->emit)
                TRY(add_label(c));
            if (f->else_fixup != NONE)
                patch_chain(c, f->else_fixup, c->len);
            f->else_fixup = NONE;
            f->has_else = 1;
            f->unreachable = 0;
            btype bt = f->bt;
            TRY(push_params(c, &bt));
            break;
        }
        case 0x0b: {
            ctrl *f = top(c);
            TRY(pop_results(c, &f->bt));
            f = top(c);
            if (c->nvals != f->height)
                return fail(d, "type mismatch");
            if (f->kind == K_IF && !f->has_else) {
                /* the missing else passes the parameters through */
                int same = f->bt.np == f->bt.nr;
                for (uint32_t i = 0; same && i < f->bt.np; i++)
                    same = f->bt.par[i] == bt_res(&f->bt, i);
                if (!same)
                    return fail(d, "type mismatch");
            }
            if (f->else_fixup != NONE)
                patch_chain(c, f->else_fixup, c->len);
            patch_chain(c, f->fixups, c->len);
            uint8_t kind = f->kind;
            btype bt = f->bt;
            int was_emit = f->emit;
            if (was_emit)
                TRY(add_label(c));
            c->nctrl--;
            if (kind == K_FUNC) {
                if (was_emit)
                    TRY(emit_op(c, OP_RETURN));
                close_run(c);
                for (uint32_t i = 0; i < bt.nr; i++)
                    TRY(push(c, bt_res(&bt, i))); /* keeps maxvals honest */
                break;
            }
            for (uint32_t i = 0; i < bt.nr; i++)
                TRY(push(c, bt_res(&bt, i)));
            break;
        }
        case 0x0c:
        case 0x0d: {
            uint32_t depth;
            TRY(rd_index(d, c->nctrl, "unknown label", &depth));
            if (op == 0x0d)
                TRY(pop_expect(c, WASM_I32));
            TRY(check_label_values(c, &c->ctrls[c->nctrl - 1 - depth]));
            ctrl *f = &c->ctrls[c->nctrl - 1 - depth];
            if (em) {
                if (op == 0x0c && f->kind == K_FUNC)
                    TRY(emit_op(c, OP_RETURN));
                else if (op == 0x0c)
                    TRY(emit_branch(c, f, OP_BR, OP_BR_ADJ));
                else
                    TRY(emit_branch(c, f, OP_BR_IF, OP_BR_IF_ADJ));
            }
            if (op == 0x0c) {
                close_run(c);
                set_unreachable(c);
            }
            break;
        }
        case 0x0e: {
            uint32_t n;
            TRY(rd_count(d, &n));
            uint32_t *depths = wasm_alloc(((size_t)n + 1) * sizeof(uint32_t));
            if (!depths)
                return fail(d, "out of memory");
            int ok = 1;
            for (uint32_t i = 0; i <= n && ok; i++) {
                ok = rd_u32(d, &depths[i]);
                if (ok && depths[i] >= c->nctrl)
                    ok = fail(d, "unknown label");
            }
            if (ok)
                ok = pop_expect(c, WASM_I32);
            if (ok) {
                uint32_t arity = label_arity(&c->ctrls[c->nctrl - 1 - depths[n]]);
                for (uint32_t i = 0; i <= n && ok; i++) {
                    if (label_arity(&c->ctrls[c->nctrl - 1 - depths[i]]) != arity)
                        ok = fail(d, "type mismatch");
                    else if (d->mvp && arity &&
                             label_type_at(&c->ctrls[c->nctrl - 1 - depths[i]], 0) !=
                                 label_type_at(&c->ctrls[c->nctrl - 1 - depths[n]], 0))
                        ok = fail(d, "type mismatch"); /* 1.0: every label has the same type */
                    else
                        ok = check_label_keep(c, depths[i]);
                }
            }
            if (ok && em) {
                ok = emit_op(c, OP_BR_TABLE) && emit(c, n);
                for (uint32_t i = 0; i <= n && ok; i++) {
                    ctrl *f = &c->ctrls[c->nctrl - 1 - depths[i]];
                    uint32_t tw = c->len;
                    ok = emit_target(c, f) && emit(c, c->nlocals + f->height) && emit(c, label_arity(f)) &&
                         emit_delta(c, tw);
                }
            }
            wasm_free(depths);
            TRY(ok);
            close_run(c);
            set_unreachable(c);
            break;
        }
        case 0x0f: {
            TRY(pop_results(c, &c->ctrls[0].bt));
            if (em)
                TRY(emit_op(c, OP_RETURN));
            close_run(c);
            set_unreachable(c);
            break;
        }
        case 0x10: {
            uint32_t fi;
            TRY(rd_index(d, m->nfuncs, "unknown function", &fi));
            TRY(call_sig(c, &m->types[m->func_types[fi]]));
            TRY(emit_imm(c, em, OP_CALL, 1, fi, 0));
            break;
        }
        case 0x11: {
            uint32_t ti, tab;
            TRY(rd_u32(d, &ti));
            if (d->mvp) {
                uint8_t zero;
                TRY(rd_u8(d, &zero));
                if (zero != 0)
                    return fail(d, "zero flag expected");
                tab = 0;
            } else {
                TRY(rd_u32(d, &tab));
            }
            TRY(need_table(c, tab));
            if (m->tables[tab].type != WASM_FUNCREF)
                return fail(d, "type mismatch");
            if (ti >= m->ntypes)
                return fail(d, "unknown type");
            TRY(pop_expect(c, WASM_I32));
            TRY(call_sig(c, &m->types[ti]));
            TRY(emit_imm(c, em, OP_CALL_INDIRECT, 2, ti, tab));
            break;
        }
        case 0x1a:
            TRY(pop_expect(c, T_ANY));
            TRY(emit_imm(c, em, OP_DROP, 0, 0, 0));
            break;
        case 0x1b: {
            uint8_t a, b;
            TRY(pop_expect(c, WASM_I32));
            TRY(pop(c, &a));
            TRY(pop(c, &b));
            if ((a != T_ANY && !wasm_is_num(a)) || (b != T_ANY && !wasm_is_num(b)))
                return fail(d, "type mismatch");
            if (a != T_ANY && b != T_ANY && a != b)
                return fail(d, "type mismatch");
            TRY(emit_imm(c, em, OP_SELECT, 0, 0, 0));
            TRY(push(c, a != T_ANY ? a : b));
            break;
        }
        case 0x1c: {
            uint32_t n;
            uint8_t t;
            NOT_IN_MVP(d);
            TRY(rd_u32(d, &n));
            if (n != 1)
                return fail(d, "invalid result arity");
            TRY(rd_valtype(d, &t));
            TRY(pop_expect(c, WASM_I32));
            TRY(pop_expect(c, t));
            TRY(pop_expect(c, t));
            TRY(emit_imm(c, em, OP_SELECT, 0, 0, 0));
            TRY(push(c, t));
            break;
        }
        case 0x20:
        case 0x21:
        case 0x22: {
            uint32_t li;
            TRY(rd_index(d, c->nlocals, "unknown local", &li));
            uint8_t t = c->locals[li];
            if (op == 0x20) {
                TRY(push(c, t));
            } else {
                TRY(pop_expect(c, t));
                if (op == 0x22)
                    TRY(push(c, t));
            }
            if (em && op == 0x21)
                TRY(emit_local_set(c, li));
            else
                TRY(emit_imm(c, em, op == 0x20 ? OP_LOCAL_GET : OP_LOCAL_TEE, 1, li, 0));
            break;
        }
        case 0x23:
        case 0x24: {
            uint32_t gi;
            TRY(rd_index(d, m->nglobals, "unknown global", &gi));
            uint8_t t = m->globals[gi].type;
            if (op == 0x23) {
                TRY(push(c, t));
            } else {
                if (!m->globals[gi].mut)
                    return fail(d, "global is immutable");
                TRY(pop_expect(c, t));
            }
            TRY(emit_imm(c, em, op == 0x23 ? OP_GLOBAL_GET : OP_GLOBAL_SET, 1, gi, 0));
            break;
        }
        case 0x25:
        case 0x26: {
            uint32_t ti;
            NOT_IN_MVP(d);
            TRY(rd_u32(d, &ti));
            TRY(need_table(c, ti));
            uint8_t t = m->tables[ti].type;
            if (op == 0x25) {
                TRY(pop_expect(c, WASM_I32));
                TRY(push(c, t));
            } else {
                TRY(pop_expect(c, t));
                TRY(pop_expect(c, WASM_I32));
            }
            TRY(emit_imm(c, em, op == 0x25 ? OP_TABLE_GET : OP_TABLE_SET, 1, ti, 0));
            break;
        }
        case 0x3f:
        case 0x40: {
            uint8_t zero;
            TRY(rd_u8(d, &zero));
            if (zero != 0)
                return fail(d, "zero flag expected");
            if (m->nmems == 0)
                return fail(d, "unknown memory");
            if (op == 0x40)
                TRY(pop_expect(c, WASM_I32));
            TRY(push(c, WASM_I32));
            TRY(emit_imm(c, em, op == 0x3f ? OP_MEMORY_SIZE : OP_MEMORY_GROW, 0, 0, 0));
            break;
        }
        case 0x41: {
            uint32_t v;
            TRY(rd_s32(d, &v));
            TRY(push(c, WASM_I32));
            TRY(emit_imm(c, em, OP_I32_CONST, 1, v, 0));
            break;
        }
        case 0x42: {
            uint64_t v;
            TRY(rd_s64(d, &v));
            TRY(push(c, WASM_I64));
            TRY(emit_imm(c, em, OP_I64_CONST, 2, (uint32_t)v, (uint32_t)(v >> 32)));
            break;
        }
        case 0x43: {
            const uint8_t *b;
            uint32_t v;
            TRY(rd_bytes(d, 4, &b));
            WASM_COPY(&v, b, 4);
            TRY(push(c, WASM_F32));
            TRY(emit_imm(c, em, OP_F32_CONST, 1, v, 0));
            break;
        }
        case 0x44: {
            const uint8_t *b;
            uint64_t v;
            TRY(rd_bytes(d, 8, &b));
            WASM_COPY(&v, b, 8);
            TRY(push(c, WASM_F64));
            TRY(emit_imm(c, em, OP_F64_CONST, 2, (uint32_t)v, (uint32_t)(v >> 32)));
            break;
        }
        case 0xd0: {
            uint8_t t;
            NOT_IN_MVP(d);
            TRY(rd_reftype(d, &t));
            TRY(push(c, t));
            TRY(emit_imm(c, em, OP_REF_NULL, 0, 0, 0));
            break;
        }
        case 0xd1: {
            uint8_t t;
            NOT_IN_MVP(d);
            TRY(pop(c, &t));
            if (t != T_ANY && !wasm_is_ref(t))
                return fail(d, "type mismatch");
            TRY(push(c, WASM_I32));
            TRY(emit_imm(c, em, OP_REF_IS_NULL, 0, 0, 0));
            break;
        }
        case 0xd2: {
            uint32_t fi;
            NOT_IN_MVP(d);
            TRY(rd_index(d, m->nfuncs, "unknown function", &fi));
            if (!m->declared || !m->declared[fi])
                return fail(d, "undeclared function reference");
            TRY(push(c, WASM_FUNCREF));
            TRY(emit_imm(c, em, OP_REF_FUNC, 1, fi, 0));
            break;
        }
        case 0xfc:
            TRY(compile_fc(c, em));
            break;
        default:
            if (op >= 0x28 && op <= 0x35) {
                uint32_t off;
                TRY(rd_memarg(c, load_natural[op - 0x28], &off));
                TRY(pop_expect(c, WASM_I32));
                TRY(push(c, load_type[op - 0x28]));
                if (em)
                    TRY(emit_load(c, OP_I32_LOAD + (op - 0x28), off));
            } else if (op >= 0x36 && op <= 0x3e) {
                uint32_t off;
                TRY(rd_memarg(c, store_natural[op - 0x36], &off));
                TRY(pop_expect(c, store_type[op - 0x36]));
                TRY(pop_expect(c, WASM_I32));
                if (em)
                    TRY(emit_store(c, OP_I32_STORE + (op - 0x36), off));
            } else if (op >= 0x45 && (op <= 0xbf || (!d->mvp && op <= 0xc4))) {
                uint8_t in, outt;
                int nin;
                numeric_sig(op, &in, &nin, &outt);
                for (int i = 0; i < nin; i++)
                    TRY(pop_expect(c, in));
                TRY(push(c, outt));
                if (em)
                    TRY(emit_bin(c, OP_I32_EQZ + (op - 0x45)));
            } else {
                return fail(d, "illegal opcode");
            }
        }
    }
    patch_fuel(c);
    wasm_thread_code(c->code, c->ops, c->nops);
    out->entry_cost = c->run_end[0];
    out->len = c->len;
    out->words = wasm_alloc((size_t)c->len * sizeof(uint32_t));
    if (!out->words)
        return fail(d, "out of memory");
    wasm_memcpy(out->words, c->code, (size_t)c->len * sizeof(uint32_t));
    out->max_height = c->nlocals + c->maxvals + 2;
    return 1;
}

static int sec_code(dec *d, int *seen)
{
    wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(d, &n));
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    if (n != ndef)
        return fail(d, "function and code section have inconsistent lengths");
    *seen = 1;
    m->codes = alloc_array(d, n, sizeof(wasm_code));
    TRY(m->codes);
    fc c;
    wasm_memset(&c, 0, sizeof c);
    c.d = d;
    uint32_t loccap = 0;
    int ok = 1;
    for (uint32_t i = 0; i < n && ok; i++) {
        uint32_t size;
        ok = rd_u32(d, &size);
        if (!ok)
            break;
        if (size > (size_t)(d->end - d->p)) {
            ok = fail(d, "unexpected end (function body size)");
            break;
        }
        const uint8_t *body_end = d->p + size, *saved_end = d->end;
        d->end = body_end;
        d->in_code = 1;
        d->code_func = m->nfunc_imports + i;
        const wasm_functype *ft = &m->types[m->func_types[m->nfunc_imports + i]];
        wasm_code *code = &m->codes[i];
        /* locals: params, then each declared run */
        uint32_t ngroups = 0;
        uint64_t total = ft->nparams;
        ok = rd_count(d, &ngroups);
        const uint8_t *groups = d->p;
        for (uint32_t g = 0; g < ngroups && ok; g++) {
            uint32_t cnt;
            uint8_t t;
            ok = rd_u32(d, &cnt) && rd_valtype(d, &t);
            total += cnt;
            if (ok && total > MAX_LOCALS)
                ok = fail(d, "too many locals");
        }
        if (ok)
            ok = grow(d, (void **)&c.locals, &loccap, (uint32_t)total + 1, 1);
        if (ok) {
            uint32_t k = 0;
            for (; k < ft->nparams; k++)
                c.locals[k] = ft->params[k];
            d->p = groups;
            /* The second pass over runs the first one checked; still, a run
             * that does not read back is never written (cnt and t unset). */
            for (uint32_t g = 0; g < ngroups && ok; g++) {
                uint32_t cnt;
                uint8_t t;
                ok = rd_u32(d, &cnt) && rd_valtype(d, &t);
                for (uint32_t j = 0; ok && j < cnt; j++)
                    c.locals[k++] = t;
            }
            c.nlocals = (uint32_t)total;
            c.nvals = c.maxvals = c.nctrl = c.len = 0;
            code->nparams = ft->nparams;
            code->nlocals = c.nlocals;
            code->result_arity = ft->nresults;
        }
        if (ok)
            ok = compile_body(&c, ft, code);
        if (ok && d->p != body_end)
            ok = fail(d, "section size mismatch (junk after function end)");
        d->in_code = 0;
        d->end = saved_end;
    }
    wasm_free(c.locals);
    wasm_free(c.vals);
    wasm_free(c.ctrls);
    wasm_free(c.code);
    wasm_free(c.ops);
    wasm_free(c.run_end);
    wasm_free(c.labels);
    wasm_free(c.sites);
    return ok;
}

void wasm_module_free(wasm_module *m)
{
    if (!m || --m->refs > 0)
        return;
    for (uint32_t i = 0; i < m->ntypes && m->types; i++)
        wasm_free(m->types[i].params);
    wasm_free(m->types);
    for (uint32_t i = 0; i < m->nimports && m->imports; i++) {
        wasm_free((char *)m->imports[i].module.data);
        wasm_free((char *)m->imports[i].name.data);
    }
    wasm_free(m->imports);
    wasm_free(m->func_types);
    wasm_free(m->globals);
    for (uint32_t i = 0; i < m->nexports && m->exports; i++)
        wasm_free((char *)m->exports[i].name.data);
    wasm_free(m->exports);
    for (uint32_t i = 0; i < m->nelems && m->elems; i++)
        wasm_free(m->elems[i].items);
    wasm_free(m->tables);
    wasm_free(m->declared);
    wasm_free(m->elems);
    for (uint32_t i = 0; i < m->ndatas && m->datas; i++)
        wasm_free(m->datas[i].bytes);
    wasm_free(m->datas);
    if (m->codes)
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
            wasm_free(m->codes[i].words);
    wasm_free(m->codes);
    wasm_free(m);
}

/* Section order: 12 (data count) sits between 9 (elements) and 10 (code). */
static int section_rank(uint8_t id)
{
    return id == 12 ? 10 : id >= 10 ? id + 1 : id;
}

wasm_module *wasm_module_parse(const uint8_t *bytes, size_t len, int features, char *err, size_t errlen)
{
    dec d;
    wasm_memset(&d, 0, sizeof d);
    d.mvp = features == WASM_FEATURES_MVP;
    d.p = bytes;
    d.end = bytes + len;
    d.err = err;
    d.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    wasm_module *m = wasm_zalloc(sizeof *m);
    if (!m) {
        fail(&d, "out of memory");
        return NULL;
    }
    d.m = m;
    m->refs = 1;
    m->mvp = d.mvp;
    static const uint8_t magic[4] = {0, 'a', 's', 'm'};
    static const uint8_t version[4] = {1, 0, 0, 0};
    int ok = 1, code_seen = 0;
    if (len < 4 || wasm_memcmp(bytes, magic, 4) != 0)
        ok = fail(&d, "magic header not detected");
    else if (len < 8 || wasm_memcmp(bytes + 4, version, 4) != 0)
        ok = fail(&d, "unknown binary version");
    d.p = bytes + 8;
    uint8_t last = 0;
    while (ok && d.p < d.end) {
        uint8_t id;
        uint32_t size;
        ok = rd_u8(&d, &id) && rd_u32(&d, &size);
        if (!ok)
            break;
        if (size > (size_t)(d.end - d.p)) {
            ok = fail(&d, "unexpected end (section size out of bounds)");
            break;
        }
        if (id > 12 || (d.mvp && id == 12)) {
            ok = fail(&d, "malformed section id");
            break;
        }
        if (id != 0) {
            if (section_rank(id) <= last) {
                ok = fail(&d, "unexpected content after last section (section out of order)");
                break;
            }
            last = (uint8_t)section_rank(id);
        }
        const uint8_t *sec_end = d.p + size, *saved = d.end;
        d.end = sec_end;
        switch (id) {
        case 0: ok = rd_name(&d, NULL); d.p = sec_end; break;
        case 1: ok = sec_types(&d); break;
        case 2: ok = sec_imports(&d); break;
        case 3: ok = sec_functions(&d); break;
        case 4: ok = sec_tables(&d); break;
        case 5: ok = sec_memories(&d); break;
        case 6: ok = sec_globals(&d); break;
        case 7: ok = sec_exports(&d); break;
        case 8: ok = sec_start(&d); break;
        case 9: ok = sec_elements(&d); break;
        case 10: ok = sec_code(&d, &code_seen); break;
        case 11: ok = sec_data(&d); break;
        case 12: ok = sec_data_count(&d); break;
        }
        if (ok && d.p != sec_end)
            ok = fail(&d, "section size mismatch");
        d.end = saved;
    }
    if (ok && !code_seen && m->nfuncs != m->nfunc_imports)
        ok = fail(&d, "function and code section have inconsistent lengths");
    if (ok && m->has_data_count && m->data_count != m->ndatas)
        ok = fail(&d, "data count and data section have inconsistent lengths");
    if (!ok) {
        if (m->codes == NULL) {
            /* codes array absent: make the free loop safe */
            m->nfuncs = m->nfunc_imports;
        }
        wasm_module_free(m);
        return NULL;
    }
    return m;
}
