/* Instances, externs, invocation and the kos host imports (env.*). */
#include "wasm/wasm_internal.h"
#include <kos/wasm.h>

#define DEFAULT_MAX_PAGES 256u
#define DEFAULT_CALL_DEPTH 1024u
#define DEFAULT_POLL_INTERVAL 65536u
#define DEFAULT_STACK_SLOTS 16384u
#define DEFAULT_MAX_TABLE_ELEMS 10000000u

const char *wasm_trap_string(int trap)
{
    switch (trap) {
    case WASM_OK: return "ok";
    case WASM_TRAP_UNREACHABLE: return "unreachable";
    case WASM_TRAP_DIV_ZERO: return "integer divide by zero";
    case WASM_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_TRAP_OOB_MEMORY: return "out of bounds memory access";
    case WASM_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case WASM_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case WASM_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
    case WASM_TRAP_CALL_STACK_EXHAUSTED: return "call stack exhausted";
    case WASM_TRAP_OUT_OF_FUEL: return "out of fuel";
    case WASM_TRAP_HOST: return "host function failed";
    case WASM_TRAP_BAD_ARGS: return "bad arguments";
    case WASM_TRAP_OUT_OF_MEMORY: return "out of memory";
    case WASM_TRAP_INTERRUPTED: return "interrupted";
    case WASM_TRAP_OOB_TABLE: return "out of bounds table access";
    default: return "unknown trap";
    }
}

int wasm_trap_abi(int trap)
{
    switch (trap) {
    case WASM_TRAP_UNREACHABLE: return KOS_WASM_TRAP_UNREACHABLE;
    case WASM_TRAP_DIV_ZERO: return KOS_WASM_TRAP_DIV_ZERO;
    case WASM_TRAP_INT_OVERFLOW: return KOS_WASM_TRAP_INT_OVERFLOW;
    case WASM_TRAP_INVALID_CONVERSION: return KOS_WASM_TRAP_INVALID_CONVERSION;
    case WASM_TRAP_OOB_MEMORY: return KOS_WASM_TRAP_OOB_MEMORY;
    case WASM_TRAP_UNDEFINED_ELEMENT: return KOS_WASM_TRAP_UNDEFINED_ELEMENT;
    case WASM_TRAP_UNINITIALIZED_ELEMENT: return KOS_WASM_TRAP_UNINITIALIZED_ELEMENT;
    case WASM_TRAP_INDIRECT_MISMATCH: return KOS_WASM_TRAP_INDIRECT_MISMATCH;
    case WASM_TRAP_CALL_STACK_EXHAUSTED: return KOS_WASM_TRAP_CALL_STACK_EXHAUSTED;
    case WASM_TRAP_OUT_OF_FUEL: return KOS_WASM_TRAP_OUT_OF_FUEL;
    case WASM_TRAP_OUT_OF_MEMORY: return KOS_WASM_TRAP_OUT_OF_MEMORY;
    case WASM_TRAP_INTERRUPTED: return KOS_WASM_TRAP_INTERRUPTED;
    case WASM_TRAP_OOB_TABLE: return KOS_WASM_TRAP_OOB_TABLE;
    default: return KOS_WASM_TRAP_HOST;
    }
}

static void set_err(char *err, size_t errlen, const char *a, const char *b, const char *c, const char *d)
{
    if (!err || !errlen)
        return;
    size_t pos = 0;
    const char *parts[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++)
        for (const char *s = parts[i]; s && *s && pos + 1 < errlen; s++)
            err[pos++] = *s;
    err[pos] = 0;
}

/* ---------- externs ---------- */

wasm_func *wasm_host_func_new(const uint8_t *params, uint32_t nparams, const uint8_t *results, uint32_t nresults,
                              wasm_host_fn fn, void *ctx)
{
    if (nresults > WASM_MAX_HOST_RESULTS || !fn)
        return NULL;
    wasm_func *f = wasm_zalloc(sizeof *f);
    if (!f)
        return NULL;
    f->own.params = wasm_alloc((size_t)nparams + nresults);
    if (!f->own.params) {
        wasm_free(f);
        return NULL;
    }
    if (nparams)
        wasm_memcpy(f->own.params, params, nparams);
    if (nresults)
        wasm_memcpy(f->own.params + nparams, results, nresults);
    f->own.results = f->own.params + nparams;
    f->own.nparams = nparams;
    f->own.nresults = nresults;
    f->own.key = wasm_functype_key(&f->own);
    f->type = &f->own;
    f->host = fn;
    f->host_ctx = ctx;
    f->refs = 1;
    return f;
}

static int memory_init(wasm_memory *m, uint32_t min, uint32_t max)
{
    m->pages = min;
    m->max_pages = max;
    m->decl_max = max;
    m->size = (uint64_t)min * WASM_PAGE_SIZE;
    m->data = NULL;
    if (m->size || WASM_MEM_GUARDED) {
        m->data = wasm_mem_alloc(m->size);
        if (!m->data)
            return 0;
    }
    return 1;
}

wasm_memory *wasm_memory_new(uint32_t min_pages, uint32_t max_pages)
{
    if (min_pages > max_pages || max_pages > WASM_MAX_PAGES)
        return NULL;
    wasm_memory *m = wasm_zalloc(sizeof *m);
    if (!m)
        return NULL;
    if (!memory_init(m, min_pages, max_pages)) {
        wasm_free(m);
        return NULL;
    }
    m->refs = 1;
    return m;
}

wasm_table *wasm_table_new(uint8_t reftype, uint32_t min, uint32_t max)
{
    if (min > max || !wasm_is_ref(reftype))
        return NULL;
    wasm_table *t = wasm_zalloc(sizeof *t);
    if (!t)
        return NULL;
    t->elems = wasm_zalloc(((size_t)min ? min : 1) * sizeof(uint64_t));
    if (!t->elems) {
        wasm_free(t);
        return NULL;
    }
    t->type = reftype;
    t->size = min;
    t->max = max;
    t->refs = 1;
    return t;
}

uint32_t wasm_table_grow(wasm_table *t, uint32_t n, uint64_t init, uint32_t limit)
{
    uint32_t old = t->size;
    uint64_t want = (uint64_t)old + n;
    if (want > t->max || want > limit)
        return 0xffffffffu;
    if (n) {
        uint64_t *ne = wasm_alloc((size_t)want * sizeof(uint64_t));
        if (!ne)
            return 0xffffffffu;
        if (old)
            wasm_memcpy(ne, t->elems, (size_t)old * sizeof(uint64_t));
        for (uint64_t i = old; i < want; i++)
            ne[i] = init;
        wasm_free(t->elems);
        t->elems = ne;
        t->size = (uint32_t)want;
    }
    return old;
}

wasm_global *wasm_global_new(uint8_t type, int mutable_, uint64_t bits)
{
    wasm_global *g = wasm_zalloc(sizeof *g);
    if (!g)
        return NULL;
    g->type = type;
    g->mut = mutable_ ? 1 : 0;
    g->bits = bits;
    g->refs = 1;
    return g;
}

uint64_t wasm_global_get(const wasm_global *g) { return g->bits; }
uint8_t wasm_global_type(const wasm_global *g) { return g->type; }

static void func_unref(wasm_func *f)
{
    if (f && f->host && --f->refs == 0) {
        wasm_free(f->own.params);
        wasm_free(f);
    }
}
static void memory_unref(wasm_memory *m)
{
    if (m && --m->refs == 0) {
        wasm_mem_free(m->data, m->size);
        wasm_free(m);
    }
}
void wasm_instance_free(wasm_instance *inst);

static void table_unref(wasm_table *t)
{
    if (t && --t->refs == 0) {
        while (t->retained) {
            wasm_instance *r = t->retained;
            t->retained = r->next_retained;
            for (uint32_t i = 0; i < r->module->ntables; i++)
                if (r->tables[i] == t)
                    r->tables[i] = NULL; /* its reference is the one being dropped */
            wasm_instance_free(r);
        }
        wasm_free(t->elems);
        wasm_free(t);
    }
}
static void global_unref(wasm_global *g)
{
    if (g && --g->refs == 0)
        wasm_free(g);
}

void wasm_extern_release(wasm_extern *e)
{
    switch (e->kind) {
    case WASM_EXTERN_FUNC: func_unref(e->u.func); break;
    case WASM_EXTERN_TABLE: table_unref(e->u.table); break;
    case WASM_EXTERN_MEMORY: memory_unref(e->u.memory); break;
    case WASM_EXTERN_GLOBAL: global_unref(e->u.global); break;
    }
}

/* Functions defined by an instance live as long as it does: only host
 * functions are counted. */
static void func_ref(wasm_func *f)
{
    if (f->host)
        f->refs++;
}

/* A host function a resolver made just for this import (no references yet,
 * like wasm_env_resolve's) is freed when the import is refused. */
static void drop_unowned(wasm_extern *e)
{
    if (e->kind == WASM_EXTERN_FUNC && e->u.func && e->u.func->host && e->u.func->refs == 0) {
        e->u.func->refs = 1;
        func_unref(e->u.func);
    }
}

/* ---------- instances ---------- */

static int limits_match(uint32_t have_min, uint32_t have_max, const wasm_limits_decl *want)
{
    if (have_min < want->min)
        return 0;
    if (want->max != WASM_NO_MAX && (have_max == WASM_NO_MAX || have_max > want->max))
        return 0;
    return 1;
}

static uint64_t const_value(const wasm_instance *inst, const wasm_constexpr *e)
{
    if (e->op == 0x23)
        return inst->globals[e->global]->bits;
    if (e->op == 0xd2)
        return (uint64_t)(uintptr_t)inst->funcs[e->global];
    return e->bits;
}

void wasm_instance_free(wasm_instance *inst)
{
    if (!inst)
        return;
    const wasm_module *m = inst->module;
    if (inst->funcs)
        for (uint32_t i = 0; i < m->nfunc_imports; i++)
            if (inst->funcs[i])
                func_unref(inst->funcs[i]);
    if (inst->globals)
        for (uint32_t i = 0; i < m->nglobals; i++)
            global_unref(inst->globals[i]);
    if (inst->tables)
        for (uint32_t i = 0; i < m->ntables; i++)
            if (inst->tables[i])
                table_unref(inst->tables[i]);
    wasm_free(inst->tables);
    if (inst->elem_vals)
        for (uint32_t i = 0; i < m->nelems; i++)
            wasm_free(inst->elem_vals[i]);
    wasm_free(inst->elem_vals);
    wasm_free(inst->elem_len);
    wasm_free(inst->data_len);
    if (inst->mem)
        memory_unref(inst->mem);
    wasm_free(inst->funcs);
    wasm_free(inst->own_funcs);
    wasm_free(inst->globals);
    wasm_free(inst->stack);
    wasm_free(inst);
    wasm_module_free((wasm_module *)m); /* drops the instance's reference */
}

wasm_instance *wasm_instantiate(const wasm_module *m, const wasm_limits *limits, wasm_resolver resolve,
                                void *resolve_ctx, char *err, size_t errlen)
{
    set_err(err, errlen, "", NULL, NULL, NULL);
    wasm_instance *inst = wasm_zalloc(sizeof *inst);
    if (!inst) {
        set_err(err, errlen, "out of memory", NULL, NULL, NULL);
        return NULL;
    }
    inst->module = m;
    ((wasm_module *)m)->refs++; /* code and types stay valid while the instance lives */
    if (limits)
        inst->limits = *limits;
    if (!inst->limits.max_memory_pages)
        inst->limits.max_memory_pages = DEFAULT_MAX_PAGES;
    if (inst->limits.max_memory_pages > WASM_MAX_PAGES)
        inst->limits.max_memory_pages = WASM_MAX_PAGES;
    if (!inst->limits.max_call_depth)
        inst->limits.max_call_depth = DEFAULT_CALL_DEPTH;
    if (!inst->limits.stack_slots)
        inst->limits.stack_slots = DEFAULT_STACK_SLOTS;
    if (!inst->limits.poll_interval)
        inst->limits.poll_interval = DEFAULT_POLL_INTERVAL;
    if (!inst->limits.max_table_elems)
        inst->limits.max_table_elems = DEFAULT_MAX_TABLE_ELEMS;
    inst->funcs = wasm_zalloc(((size_t)m->nfuncs + 1) * sizeof(wasm_func *));
    inst->own_funcs = wasm_zalloc(((size_t)(m->nfuncs - m->nfunc_imports) + 1) * sizeof(wasm_func));
    inst->globals = wasm_zalloc(((size_t)m->nglobals + 1) * sizeof(wasm_global *));
    inst->tables = wasm_zalloc(((size_t)m->ntables + 1) * sizeof(wasm_table *));
    inst->elem_vals = wasm_zalloc(((size_t)m->nelems + 1) * sizeof(uint64_t *));
    inst->elem_len = wasm_zalloc(((size_t)m->nelems + 1) * sizeof(uint32_t));
    inst->data_len = wasm_zalloc(((size_t)m->ndatas + 1) * sizeof(uint32_t));
    if (!inst->funcs || !inst->own_funcs || !inst->globals || !inst->tables || !inst->elem_vals || !inst->elem_len ||
        !inst->data_len) {
        set_err(err, errlen, "out of memory", NULL, NULL, NULL);
        goto fail;
    }

    uint32_t fi = 0, gi = 0, ti = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wasm_import *im = &m->imports[i];
        wasm_extern ext;
        wasm_memset(&ext, 0, sizeof ext);
        if (!resolve || resolve(resolve_ctx, im->module, im->name, im->kind, &ext) != 0) {
            set_err(err, errlen, "unknown import ", im->module.data, ".", im->name.data);
            goto fail;
        }
        if (ext.kind != im->kind) {
            drop_unowned(&ext);
            set_err(err, errlen, "incompatible import type for ", im->module.data, ".", im->name.data);
            goto fail;
        }
        int ok = 1;
        switch (im->kind) {
        case WASM_EXTERN_FUNC:
            ok = ext.u.func && wasm_functype_equal(ext.u.func->type, &m->types[im->type_index]);
            if (ok) {
                func_ref(ext.u.func);
                inst->funcs[fi++] = ext.u.func;
            }
            break;
        case WASM_EXTERN_TABLE:
            ok = ext.u.table && ext.u.table->type == im->reftype &&
                 limits_match(ext.u.table->size, ext.u.table->max, &im->limits);
            if (ok) {
                ext.u.table->refs++;
                inst->tables[ti++] = ext.u.table;
            }
            break;
        case WASM_EXTERN_MEMORY:
            ok = ext.u.memory && limits_match(ext.u.memory->pages, ext.u.memory->decl_max, &im->limits);
            if (ok) {
                ext.u.memory->refs++;
                inst->mem = ext.u.memory;
            }
            break;
        case WASM_EXTERN_GLOBAL:
            ok = ext.u.global && ext.u.global->type == im->gtype && ext.u.global->mut == im->gmut;
            if (ok) {
                ext.u.global->refs++;
                inst->globals[gi++] = ext.u.global;
            }
            break;
        }
        if (!ok) {
            drop_unowned(&ext);
            set_err(err, errlen, "incompatible import type for ", im->module.data, ".", im->name.data);
            goto fail;
        }
    }

    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        wasm_func *f = &inst->own_funcs[i - m->nfunc_imports];
        f->type = &m->types[m->func_types[i]];
        f->inst = inst;
        f->code = &m->codes[i - m->nfunc_imports];
        inst->funcs[i] = f;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        const wasm_tabledecl *td = &m->tables[i];
        uint32_t max = td->limits.max;
        if (td->limits.min > inst->limits.max_table_elems) {
            set_err(err, errlen, "table larger than the instance's element limit", NULL, NULL, NULL);
            goto fail;
        }
        inst->tables[i] = wasm_table_new(td->type, td->limits.min, max == WASM_NO_MAX ? td->limits.min : max);
        if (!inst->tables[i]) {
            set_err(err, errlen, "out of memory (table)", NULL, NULL, NULL);
            goto fail;
        }
        inst->tables[i]->max = max;
    }
    if (m->nmems && !m->nmem_imports) {
        uint32_t max = m->mem.max == WASM_NO_MAX ? WASM_MAX_PAGES : m->mem.max;
        if (max > inst->limits.max_memory_pages)
            max = inst->limits.max_memory_pages;
        if (m->mem.min > max) {
            set_err(err, errlen, "memory larger than the instance's page limit", NULL, NULL, NULL);
            goto fail;
        }
        inst->mem = wasm_memory_new(m->mem.min, max);
        if (!inst->mem) {
            set_err(err, errlen, "out of memory (linear memory)", NULL, NULL, NULL);
            goto fail;
        }
        inst->mem->decl_max = m->mem.max;
    }
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        const wasm_globaldef *g = &m->globals[i];
        inst->globals[i] = wasm_global_new(g->type, g->mut, const_value(inst, &g->init));
        if (!inst->globals[i]) {
            set_err(err, errlen, "out of memory (globals)", NULL, NULL, NULL);
            goto fail;
        }
    }
    inst->stack = wasm_alloc((size_t)inst->limits.stack_slots * sizeof(uint64_t) +
                             (size_t)inst->limits.max_call_depth * (sizeof(void *) * 3));
    if (!inst->stack) {
        set_err(err, errlen, "out of memory (stack)", NULL, NULL, NULL);
        goto fail;
    }

    /* Element segments' references, evaluated once (table.init reads them). */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem *e = &m->elems[i];
        inst->elem_vals[i] = wasm_alloc(((size_t)e->count + 1) * sizeof(uint64_t));
        if (!inst->elem_vals[i]) {
            set_err(err, errlen, "out of memory (elements)", NULL, NULL, NULL);
            goto fail;
        }
        for (uint32_t k = 0; k < e->count; k++)
            inst->elem_vals[i][k] = const_value(inst, &e->items[k]);
        inst->elem_len[i] = e->mode == WASM_SEG_PASSIVE ? e->count : 0;
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        inst->data_len[i] = m->datas[i].mode == WASM_SEG_PASSIVE ? m->datas[i].size : 0;

    if (m->mvp) {
        /* 1.0: every segment is bounds-checked before any is written. */
        for (uint32_t i = 0; i < m->nelems; i++) {
            uint64_t off = (uint32_t)const_value(inst, &m->elems[i].offset);
            if (off + m->elems[i].count > inst->tables[m->elems[i].table]->size) {
                set_err(err, errlen, "elements segment does not fit", NULL, NULL, NULL);
                goto fail;
            }
        }
        for (uint32_t i = 0; i < m->ndatas; i++) {
            uint64_t off = (uint32_t)const_value(inst, &m->datas[i].offset);
            if (off + m->datas[i].size > inst->mem->size) {
                set_err(err, errlen, "data segment does not fit", NULL, NULL, NULL);
                goto fail;
            }
        }
    }
    /* Active segments in order (2.0: a segment out of bounds traps, and the
     * ones before it stay written). */
    wasm_table *written = NULL; /* an imported table now holding our functions */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wasm_elem *e = &m->elems[i];
        if (e->mode != WASM_SEG_ACTIVE)
            continue;
        wasm_table *t = inst->tables[e->table];
        uint64_t off = (uint32_t)const_value(inst, &e->offset);
        if (off + e->count > t->size) {
            set_err(err, errlen, "out of bounds table access", NULL, NULL, NULL);
            goto segment_trap;
        }
        for (uint32_t k = 0; k < e->count; k++)
            t->elems[off + k] = inst->elem_vals[i][k];
        if (e->count && e->table < m->ntable_imports && !written)
            written = t;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wasm_data *dd = &m->datas[i];
        if (dd->mode != WASM_SEG_ACTIVE)
            continue;
        uint64_t off = (uint32_t)const_value(inst, &dd->offset);
        if (off + dd->size > inst->mem->size) {
            set_err(err, errlen, "out of bounds memory access", NULL, NULL, NULL);
            goto segment_trap;
        }
        if (dd->size)
            wasm_memcpy(inst->mem->data + off, dd->bytes, dd->size);
    }
    if (m->has_start) {
        int trap = wasm_invoke(inst, inst->funcs[m->start], NULL, 0, NULL, 0);
        if (trap != WASM_OK) {
            set_err(err, errlen, "start function trapped: ", wasm_trap_string(trap), NULL, NULL);
            goto segment_trap;
        }
    }
    return inst;
segment_trap:
    if (written) {
        /* The table now owns the instance: drop the instance's reference on
         * the table, or neither would ever be freed. */
        inst->next_retained = written->retained;
        written->retained = inst;
        for (uint32_t i = 0; i < m->ntables; i++)
            if (inst->tables[i] == written) {
                inst->tables[i] = NULL;
                break;
            }
        written->refs--;
        return NULL;
    }
fail:
    wasm_instance_free(inst);
    return NULL;
}

int wasm_instance_export(wasm_instance *inst, wasm_name name, wasm_extern *out)
{
    const wasm_module *m = inst->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wasm_export *e = &m->exports[i];
        if (!wasm_name_eq(e->name, name))
            continue;
        out->kind = e->kind;
        switch (e->kind) {
        case WASM_EXTERN_FUNC: out->u.func = inst->funcs[e->index]; break;
        case WASM_EXTERN_TABLE: out->u.table = inst->tables[e->index]; break;
        case WASM_EXTERN_MEMORY: out->u.memory = inst->mem; break;
        case WASM_EXTERN_GLOBAL: out->u.global = inst->globals[e->index]; break;
        }
        return 0;
    }
    return -1;
}

uint32_t wasm_module_export_count(const wasm_module *m) { return m->nexports; }

wasm_name wasm_module_export_name(const wasm_module *m, uint32_t i, uint8_t *kind)
{
    if (i >= m->nexports) {
        wasm_name none = {NULL, 0};
        return none;
    }
    if (kind)
        *kind = m->exports[i].kind;
    return m->exports[i].name;
}

uint32_t wasm_module_import_count(const wasm_module *m) { return m->nimports; }

wasm_name wasm_module_import_name(const wasm_module *m, uint32_t i, wasm_name *module, uint8_t *kind)
{
    if (i >= m->nimports) {
        wasm_name none = {NULL, 0};
        return none;
    }
    if (module)
        *module = m->imports[i].module;
    if (kind)
        *kind = m->imports[i].kind;
    return m->imports[i].name;
}

wasm_func *wasm_instance_export_func(wasm_instance *inst, wasm_name name)
{
    wasm_extern e;
    if (wasm_instance_export(inst, name, &e) != 0 || e.kind != WASM_EXTERN_FUNC)
        return NULL;
    return e.u.func;
}

uint32_t wasm_func_param_count(const wasm_func *f) { return f->type->nparams; }
uint32_t wasm_func_result_count(const wasm_func *f) { return f->type->nresults; }
uint8_t wasm_func_param_type(const wasm_func *f, uint32_t i) { return i < f->type->nparams ? f->type->params[i] : 0; }
uint8_t wasm_func_result_type(const wasm_func *f, uint32_t i) { return i < f->type->nresults ? f->type->results[i] : 0; }

int wasm_invoke(wasm_instance *inst, wasm_func *f, const wasm_value *args, uint32_t nargs, wasm_value *results,
                uint32_t nresults)
{
    const wasm_functype *t = f->type;
    if (nargs != t->nparams || nresults < t->nresults)
        return WASM_TRAP_BAD_ARGS;
    uint64_t small[WASM_MAX_HOST_RESULTS];
    uint64_t *buf = small;
    size_t n = nargs > t->nresults ? nargs : t->nresults;
    if (n > WASM_MAX_HOST_RESULTS) {
        buf = wasm_alloc(n * sizeof(uint64_t));
        if (!buf)
            return WASM_TRAP_OUT_OF_MEMORY;
    }
    int trap = WASM_OK;
    for (uint32_t i = 0; i < nargs; i++) {
        if (args[i].type != t->params[i]) {
            trap = WASM_TRAP_BAD_ARGS;
            goto done;
        }
        uint64_t b = args[i].bits;
        buf[i] = (t->params[i] == WASM_I32 || t->params[i] == WASM_F32) ? (uint32_t)b : b;
    }
    if (f->host) {
        uint64_t res[WASM_MAX_HOST_RESULTS] = {0};
        trap = f->host(inst, f->host_ctx, buf, res);
        for (uint32_t i = 0; i < t->nresults; i++)
            buf[i] = res[i];
    } else {
        trap = wasm_execute(f->inst ? f->inst : inst, f, buf);
    }
    if (trap == WASM_OK)
        for (uint32_t i = 0; i < t->nresults; i++) {
            uint8_t rt = t->results[i];
            results[i].type = rt;
            results[i].bits = (rt == WASM_I32 || rt == WASM_F32) ? (uint32_t)buf[i] : buf[i];
        }
done:
    if (buf != small)
        wasm_free(buf);
    return trap;
}

uint8_t *wasm_instance_memory(wasm_instance *inst, uint64_t *size)
{
    if (!inst->mem) {
        *size = 0;
        return NULL;
    }
    *size = inst->mem->size;
    return inst->mem->data;
}

void wasm_instance_set_user(wasm_instance *inst, void *user) { inst->user = user; }
void *wasm_instance_user(wasm_instance *inst) { return inst->user; }

/* ---------- kos host imports ---------- */

static int env_log(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results)
{
    (void)ctx;
    (void)results;
    uint64_t size;
    uint8_t *mem = wasm_instance_memory(caller, &size);
    uint64_t ptr = (uint32_t)args[0], len = (uint32_t)args[1];
    if (ptr + len > size)
        return WASM_TRAP_OOB_MEMORY;
    wasm_log((const char *)mem + ptr, (size_t)len);
    return WASM_OK;
}

static int env_print_i32(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results)
{
    (void)caller;
    (void)ctx;
    (void)results;
    char buf[16];
    int32_t v = (int32_t)(uint32_t)args[0];
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    int n = 0;
    char tmp[12];
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int pos = 0;
    if (v < 0)
        buf[pos++] = '-';
    while (n)
        buf[pos++] = tmp[--n];
    buf[pos++] = '\n';
    wasm_log(buf, (size_t)pos);
    return WASM_OK;
}

/* Each call hands out a fresh host function: the instance that imports it
 * holds the only reference after the resolver's caller releases nothing. */
int wasm_env_resolve(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out)
{
    (void)ctx;
    static const uint8_t two_i32[2] = {WASM_I32, WASM_I32};
    if (!wasm_name_is(module, "env") || kind != WASM_EXTERN_FUNC)
        return -1;
    wasm_func *f = NULL;
    if (wasm_name_is(name, "log"))
        f = wasm_host_func_new(two_i32, 2, NULL, 0, env_log, NULL);
    else if (wasm_name_is(name, "print_i32"))
        f = wasm_host_func_new(two_i32, 1, NULL, 0, env_print_i32, NULL);
    if (!f)
        return -1;
    f->refs = 0; /* the importing instance takes the only reference */
    out->kind = WASM_EXTERN_FUNC;
    out->u.func = f;
    return 0;
}
