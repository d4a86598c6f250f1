/* kos-wasm: host driver for the kos WebAssembly interpreter.
 *   kos-wasm spec [--mvp] FILE.json      run a wast2json script (--mvp: WebAssembly 1.0 only)
 *   kos-wasm run [--time] [--fuel N] FILE.wasm FUNC [ARGS...]   call an export
 *   kos-wasm fuzz SEED ITERATIONS FILE.wasm|FILE.wat...   mutate modules, never crash
 *   kos-wasm watcheck FILE.wast FILE.json   text compiler vs wast2json's binaries
 *   kos-wasm wat FILE.wat -o FILE.wasm      compile text to binary (not validated)
 * spec prints one "FILE:LINE: message" line per failed assertion and a final
 * "RESULT passed N failed M skipped K" line; exit 0 when nothing failed.
 * Text-format modules (assert_malformed "module quote") go through the WAT
 * compiler in wat.c; KOS_WASM_REASONS=1 prints why each one was refused. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm/wasm.h"
#include "json.h"
#include "wat.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (buf)
        *len = n;
    return buf;
}

/* ---------- spec harness ---------- */

#define MAX_RESULTS 64

typedef struct named {
    char *name;
    uint32_t name_len; /* names are byte strings: NUL may be one of them */
    wasm_instance *inst;
    wasm_module *mod;
} named;

typedef struct harness {
    const char *dir;
    const char *source;
    named *registered; /* "register" names */
    size_t nregistered;
    named *modules; /* every instantiated module, with its $name if any */
    size_t nmodules;
    wasm_instance *current;
    wasm_extern spectest[12];
    const char *spectest_names[12];
    int nspectest;
    wasm_memory *spectest_memory;
    long passed, failed, skipped;
    wasm_limits limits;
    int features; /* WASM_FEATURES_2_0, or WASM_FEATURES_MVP with --mvp */
} harness;

/* A host function that does nothing: the spectest module's print functions, the fuzzer's imports. */
static int host_nop(wasm_instance *caller, void *ctx, const uint64_t *args, uint64_t *results)
{
    (void)caller;
    (void)ctx;
    (void)args;
    (void)results;
    return WASM_OK;
}

static void add_spectest(harness *h, const char *name, wasm_extern e)
{
    h->spectest_names[h->nspectest] = name;
    h->spectest[h->nspectest++] = e;
}

static void spectest_init(harness *h)
{
    static const uint8_t I = WASM_I32, L = WASM_I64, F = WASM_F32, D = WASM_F64;
    static const uint8_t i32f32[2] = {WASM_I32, WASM_F32}, f64f64[2] = {WASM_F64, WASM_F64};
    wasm_extern e;
    e.kind = WASM_EXTERN_FUNC;
    e.u.func = wasm_host_func_new(NULL, 0, NULL, 0, host_nop, NULL);
    add_spectest(h, "print", e);
    e.u.func = wasm_host_func_new(&I, 1, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_i32", e);
    e.u.func = wasm_host_func_new(&L, 1, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_i64", e);
    e.u.func = wasm_host_func_new(&F, 1, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_f32", e);
    e.u.func = wasm_host_func_new(&D, 1, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_f64", e);
    e.u.func = wasm_host_func_new(i32f32, 2, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_i32_f32", e);
    e.u.func = wasm_host_func_new(f64f64, 2, NULL, 0, host_nop, NULL);
    add_spectest(h, "print_f64_f64", e);
    float f32 = 666.6f;
    double f64 = 666.6;
    uint32_t b32;
    uint64_t b64;
    memcpy(&b32, &f32, 4);
    memcpy(&b64, &f64, 8);
    e.kind = WASM_EXTERN_GLOBAL;
    e.u.global = wasm_global_new(WASM_I32, 0, 666);
    add_spectest(h, "global_i32", e);
    e.u.global = wasm_global_new(WASM_I64, 0, 666);
    add_spectest(h, "global_i64", e);
    e.u.global = wasm_global_new(WASM_F32, 0, b32);
    add_spectest(h, "global_f32", e);
    e.u.global = wasm_global_new(WASM_F64, 0, b64);
    add_spectest(h, "global_f64", e);
    e.kind = WASM_EXTERN_TABLE;
    e.u.table = wasm_table_new(WASM_FUNCREF, 10, 20);
    add_spectest(h, "table", e);
    h->spectest_memory = wasm_memory_new(1, 2);
}

static int resolve(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out)
{
    harness *h = ctx;
    (void)kind;
    if (wasm_name_eq(module, wasm_name_str("spectest"))) {
        if (wasm_name_eq(name, wasm_name_str("memory"))) {
            if (!h->spectest_memory)
                return -1;
            out->kind = WASM_EXTERN_MEMORY;
            out->u.memory = h->spectest_memory;
            return 0;
        }
        for (int i = 0; i < h->nspectest; i++)
            if (wasm_name_eq(wasm_name_str(h->spectest_names[i]), name)) {
                *out = h->spectest[i];
                return 0;
            }
        return -1;
    }
    for (size_t i = h->nregistered; i > 0; i--)
        if (wasm_name_eq((wasm_name){h->registered[i - 1].name, h->registered[i - 1].name_len}, module))
            return wasm_instance_export(h->registered[i - 1].inst, name, out);
    return -1;
}

static void failure(harness *h, long line, const char *fmt, const char *a, const char *b)
{
    printf("%s:%ld: ", h->source, line);
    printf(fmt, a ? a : "", b ? b : "");
    printf("\n");
    h->failed++;
}

static wasm_module *load_module(harness *h, const char *file, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", h->dir, file);
    size_t len;
    char *bytes = read_file(path, &len);
    if (!bytes) {
        snprintf(err, errlen, "cannot read %.400s: %s", path, strerror(errno));
        return NULL;
    }
    wasm_module *m = wasm_module_parse((const uint8_t *)bytes, len, h->features, err, errlen);
    free(bytes);
    return m;
}

static wasm_instance *find_instance(harness *h, const char *name)
{
    if (!name)
        return h->current;
    for (size_t i = h->nmodules; i > 0; i--)
        if (h->modules[i - 1].name && !strcmp(h->modules[i - 1].name, name))
            return h->modules[i - 1].inst;
    return NULL;
}

/* nan_kind: 1 canonical NaN, 2 arithmetic NaN, 3 any non-null reference.
 * An externref N of the scripts is the reference bits N + 1 (0 is null). */
static int parse_value(const json *v, wasm_value *out, int *nan_kind)
{
    const char *type = json_get_string(v, "type"), *val = json_get_string(v, "value");
    *nan_kind = 0;
    if (type && (!strcmp(type, "externref") || !strcmp(type, "funcref"))) {
        out->type = !strcmp(type, "externref") ? WASM_EXTERNREF : WASM_FUNCREF;
        if (!val)
            *nan_kind = 3;
        out->bits = !val || !strcmp(val, "null") ? 0 : strtoull(val, NULL, 10) + 1;
        return 1;
    }
    if (!type || !val)
        return 0;
    if (!strcmp(type, "i32")) out->type = WASM_I32;
    else if (!strcmp(type, "i64")) out->type = WASM_I64;
    else if (!strcmp(type, "f32")) out->type = WASM_F32;
    else if (!strcmp(type, "f64")) out->type = WASM_F64;
    else return 0;
    if (!strcmp(val, "nan:canonical")) {
        *nan_kind = 1;
        out->bits = 0;
    } else if (!strcmp(val, "nan:arithmetic")) {
        *nan_kind = 2;
        out->bits = 0;
    } else {
        out->bits = strtoull(val, NULL, 10);
    }
    return 1;
}

static void format_value(const wasm_value *v, char *buf, size_t n)
{
    const char *t = v->type == WASM_I32       ? "i32"
                    : v->type == WASM_I64     ? "i64"
                    : v->type == WASM_F32     ? "f32"
                    : v->type == WASM_F64     ? "f64"
                    : v->type == WASM_FUNCREF ? "funcref"
                                              : "externref";
    snprintf(buf, n, "%s:0x%" PRIx64, t, v->bits);
}

static int value_matches(const wasm_value *got, const wasm_value *want, int nan_kind)
{
    if (got->type != want->type)
        return 0;
    if (nan_kind == 3)
        return got->bits != 0;
    if (got->type == WASM_F32) {
        uint32_t b = (uint32_t)got->bits;
        if (nan_kind == 1)
            return (b & 0x7fffffffu) == 0x7fc00000u;
        if (nan_kind == 2)
            return (b & 0x7fc00000u) == 0x7fc00000u;
    } else if (got->type == WASM_F64) {
        uint64_t b = got->bits;
        if (nan_kind == 1)
            return (b & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        if (nan_kind == 2)
            return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    }
    return got->bits == want->bits;
}

/* Runs an action; returns 1 when it ran (trap code in *trap), 0 when it
 * could not be set up (message in err). */
static int run_action(harness *h, const json *action, wasm_value *results, uint32_t *nresults, int *trap,
                      char *err, size_t errlen)
{
    const char *type = json_get_string(action, "type"), *field = json_get_string(action, "field");
    const json *fieldj = json_get(action, "field");
    wasm_instance *inst = find_instance(h, json_get_string(action, "module"));
    *nresults = 0;
    *trap = WASM_OK;
    if (!inst) {
        snprintf(err, errlen, "no module instance for the action");
        return 0;
    }
    if (!type || !field) {
        snprintf(err, errlen, "malformed action");
        return 0;
    }
    wasm_extern e;
    if (wasm_instance_export(inst, (wasm_name){field, (uint32_t)fieldj->string_len}, &e) != 0) {
        snprintf(err, errlen, "unknown export \"%s\"", field);
        return 0;
    }
    if (!strcmp(type, "get")) {
        if (e.kind != WASM_EXTERN_GLOBAL) {
            snprintf(err, errlen, "export \"%s\" is not a global", field);
            return 0;
        }
        results[0].type = wasm_global_type(e.u.global);
        results[0].bits = wasm_global_get(e.u.global);
        *nresults = 1;
        return 1;
    }
    if (e.kind != WASM_EXTERN_FUNC) {
        snprintf(err, errlen, "export \"%s\" is not a function", field);
        return 0;
    }
    const json *args = json_get(action, "args");
    wasm_value av[64];
    uint32_t na = 0;
    for (size_t i = 0; args && i < args->count && i < 64; i++) {
        int nk;
        if (!parse_value(&args->items[i], &av[na++], &nk)) {
            snprintf(err, errlen, "bad argument");
            return 0;
        }
    }
    *nresults = wasm_func_result_count(e.u.func);
    *trap = wasm_invoke(inst, e.u.func, av, na, results, MAX_RESULTS);
    return 1;
}

static void add_module(harness *h, const char *name, wasm_instance *inst, wasm_module *m)
{
    h->modules = realloc(h->modules, (h->nmodules + 1) * sizeof(named));
    h->modules[h->nmodules].name = name ? strdup(name) : NULL;
    h->modules[h->nmodules].inst = inst;
    h->modules[h->nmodules].mod = m;
    h->nmodules++;
}

static void run_command(harness *h, const json *cmd)
{
    const char *type = json_get_string(cmd, "type");
    const json *linej = json_get(cmd, "line");
    long line = linej ? (long)linej->number : 0;
    char err[512] = "";
    if (!type)
        return;
    if (!strcmp(type, "module")) {
        wasm_module *m = load_module(h, json_get_string(cmd, "filename"), err, sizeof err);
        wasm_instance *inst = NULL;
        if (m)
            inst = wasm_instantiate(m, &h->limits, resolve, h, err, sizeof err);
        if (!inst) {
            failure(h, line, "module failed to load: %s%s", err, NULL);
            wasm_module_free(m);
            h->current = NULL;
            return;
        }
        add_module(h, json_get_string(cmd, "name"), inst, m);
        h->current = inst;
        h->passed++; /* counted like wabt's spectest-interp does */
        return;
    }
    if (!strcmp(type, "register")) {
        wasm_instance *inst = find_instance(h, json_get_string(cmd, "name"));
        const char *as = json_get_string(cmd, "as");
        const json *asj = json_get(cmd, "as");
        if (!inst || !as) {
            failure(h, line, "register: no such module%s%s", NULL, NULL);
            return;
        }
        h->registered = realloc(h->registered, (h->nregistered + 1) * sizeof(named));
        h->registered[h->nregistered].name = malloc(asj->string_len + 1);
        memcpy(h->registered[h->nregistered].name, as, asj->string_len + 1);
        h->registered[h->nregistered].name_len = (uint32_t)asj->string_len;
        h->registered[h->nregistered].inst = inst;
        h->nregistered++;
        return;
    }
    if (!strcmp(type, "action") || !strcmp(type, "assert_return") || !strcmp(type, "assert_trap") ||
        !strcmp(type, "assert_exhaustion")) {
        wasm_value res[MAX_RESULTS];
        uint32_t nres;
        int trap;
        if (!run_action(h, json_get(cmd, "action"), res, &nres, &trap, err, sizeof err)) {
            failure(h, line, "%s: %s", type, err);
            return;
        }
        if (!strcmp(type, "action")) {
            if (trap != WASM_OK)
                failure(h, line, "action trapped: %s%s", wasm_trap_string(trap), NULL);
            else
                h->passed++;
            return;
        }
        if (!strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion")) {
            const char *text = json_get_string(cmd, "text");
            if (trap == WASM_OK) {
                failure(h, line, "expected trap \"%s\", got a result%s", text, NULL);
            } else if (!strcmp(type, "assert_exhaustion") && trap != WASM_TRAP_CALL_STACK_EXHAUSTED) {
                failure(h, line, "expected exhaustion, got trap \"%s\"%s", wasm_trap_string(trap), NULL);
            } else if (text && strncmp(wasm_trap_string(trap), text, strlen(text)) != 0) {
                /* the script's text is a prefix of the trap message */
                failure(h, line, "expected trap \"%s\", got \"%s\"", text, wasm_trap_string(trap));
            } else {
                h->passed++;
            }
            return;
        }
        if (trap != WASM_OK) {
            failure(h, line, "unexpected trap: %s%s", wasm_trap_string(trap), NULL);
            return;
        }
        const json *exp = json_get(cmd, "expected");
        size_t nexp = exp ? exp->count : 0;
        if (nexp != nres) {
            failure(h, line, "result count mismatch%s%s", NULL, NULL);
            return;
        }
        for (size_t i = 0; i < nexp; i++) {
            wasm_value want;
            int nk;
            if (!parse_value(&exp->items[i], &want, &nk)) {
                failure(h, line, "bad expected value%s%s", NULL, NULL);
                return;
            }
            if (!value_matches(&res[i], &want, nk)) {
                char g[64], w[64];
                format_value(&res[i], g, sizeof g);
                if (nk)
                    snprintf(w, sizeof w, "%s", json_get_string(&exp->items[i], "value"));
                else
                    format_value(&want, w, sizeof w);
                failure(h, line, "result %s, expected %s", g, w);
                return;
            }
        }
        h->passed++;
        return;
    }
    if (!strcmp(type, "assert_invalid") || !strcmp(type, "assert_malformed") || !strcmp(type, "assert_unlinkable") ||
        !strcmp(type, "assert_uninstantiable")) {
        const char *mt = json_get_string(cmd, "module_type");
        if (mt && !strcmp(mt, "text")) {
            /* Text-format module: our WAT compiler must refuse it (at the
             * text level or, once compiled, in the binary decoder). */
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", h->dir, json_get_string(cmd, "filename"));
            size_t tlen;
            char *text = read_file(path, &tlen);
            if (!text) {
                failure(h, line, "cannot read %s%s", path, NULL);
                return;
            }
            size_t blen;
            uint8_t *bin = wat_compile(text, tlen, &blen, err, sizeof err);
            free(text);
            wasm_module *tm = bin ? wasm_module_parse(bin, blen, h->features, err, sizeof err) : NULL;
            free(bin);
            if (tm) {
                failure(h, line, "%s: text module was accepted (expected \"%s\")", type, json_get_string(cmd, "text"));
                wasm_module_free(tm);
            } else {
                if (getenv("KOS_WASM_REASONS"))
                    fprintf(stderr, "%s:%ld: expected \"%s\", refused with \"%s\"\n", h->source, line,
                            json_get_string(cmd, "text"), err);
                h->passed++;
            }
            return;
        }
        if (mt && strcmp(mt, "binary") != 0) {
            h->skipped++;
            return;
        }
        wasm_module *m = load_module(h, json_get_string(cmd, "filename"), err, sizeof err);
        int decode_only = !strcmp(type, "assert_invalid") || !strcmp(type, "assert_malformed");
        if (decode_only) {
            if (m)
                failure(h, line, "%s: module was accepted (expected \"%s\")", type, json_get_string(cmd, "text"));
            else
                h->passed++;
            wasm_module_free(m);
            return;
        }
        if (!m) {
            failure(h, line, "%s: module did not decode: %s", type, err);
            return;
        }
        wasm_instance *inst = wasm_instantiate(m, &h->limits, resolve, h, err, sizeof err);
        if (inst) {
            failure(h, line, "%s: module instantiated (expected \"%s\")", type, json_get_string(cmd, "text"));
            add_module(h, NULL, inst, m); /* keep it alive: other instances may point into it */
            return;
        }
        h->passed++;
        /* An instance whose start trapped after writing into an imported
         * table is kept alive by that table, with its module reference. */
        wasm_module_free(m);
        return;
    }
    failure(h, line, "unknown command \"%s\"%s", type, NULL);
}

static int cmd_spec(const char *path, int features)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "kos-wasm: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    char err[256];
    json *root = json_parse(text, len, err, sizeof err);
    free(text);
    if (!root) {
        fprintf(stderr, "kos-wasm: %s: %s\n", path, err);
        return 2;
    }
    harness h;
    memset(&h, 0, sizeof h);
    h.features = features;
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    h.dir = dir;
    h.source = json_get_string(root, "source_filename");
    if (!h.source)
        h.source = path;
    const char *base = strrchr(h.source, '/');
    if (base)
        h.source = base + 1;
    h.limits.max_memory_pages = 65536;
    h.limits.max_call_depth = 2000;
    h.limits.stack_slots = 1 << 20;
    spectest_init(&h);
    const json *cmds = json_get(root, "commands");
    for (size_t i = 0; cmds && i < cmds->count; i++)
        run_command(&h, &cmds->items[i]);
    printf("RESULT passed %ld failed %ld skipped %ld\n", h.passed, h.failed, h.skipped);
    fflush(stdout);
    /* Instances and modules are left to process exit: instances may hold
     * references into each other (tables, imports) in any order. */
    json_free(root);
    free(dir);
    return h.failed ? 1 : 0;
}

/* ---------- run ---------- */

static int parse_arg(const char *s, uint8_t type, wasm_value *out)
{
    char *end;
    errno = 0;
    out->type = type;
    if (type == WASM_I32 || type == WASM_I64) {
        long long v = strtoll(s, &end, 0);
        if (errno == ERANGE) {
            errno = 0;
            v = (long long)strtoull(s, &end, 0);
        }
        if (*end || end == s || errno)
            return 0;
        out->bits = type == WASM_I32 ? (uint32_t)v : (uint64_t)v;
    } else {
        double d = strtod(s, &end);
        if (*end || end == s)
            return 0;
        if (type == WASM_F32) {
            float f = (float)d;
            uint32_t b;
            memcpy(&b, &f, 4);
            out->bits = b;
        } else {
            memcpy(&out->bits, &d, 8);
        }
    }
    return 1;
}

static void print_value(const wasm_value *v)
{
    switch (v->type) {
    case WASM_I32: printf("i32:%" PRId32 "\n", (int32_t)(uint32_t)v->bits); break;
    case WASM_I64: printf("i64:%" PRId64 "\n", (int64_t)v->bits); break;
    case WASM_F32: {
        float f;
        uint32_t b = (uint32_t)v->bits;
        memcpy(&f, &b, 4);
        printf("f32:%.9g\n", f);
        break;
    }
    default: {
        double d;
        memcpy(&d, &v->bits, 8);
        printf("f64:%.17g\n", d);
    }
    }
}

static int cmd_run(int argc, char **argv)
{
    int timing = 0;
    uint64_t fuel = 0;
    while (argc > 0 && !strncmp(argv[0], "--", 2)) {
        if (!strcmp(argv[0], "--time")) {
            timing = 1;
        } else if (!strcmp(argv[0], "--fuel") && argc > 1) {
            char *end;
            fuel = strtoull(argv[1], &end, 10);
            if (*end || !fuel) {
                fprintf(stderr, "kos-wasm: --fuel needs a positive number, got \"%s\"\n", argv[1]);
                return 2;
            }
            argc--;
            argv++;
        } else {
            fprintf(stderr, "kos-wasm: unknown option %s\n", argv[0]);
            return 2;
        }
        argc--;
        argv++;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: kos-wasm run [--time] [--fuel N] FILE.wasm FUNC [ARGS...]\n");
        return 2;
    }
    size_t len;
    char *bytes = read_file(argv[0], &len);
    if (!bytes) {
        fprintf(stderr, "kos-wasm: cannot read %s: %s\n", argv[0], strerror(errno));
        return 2;
    }
    char err[256];
    wasm_module *m = wasm_module_parse((const uint8_t *)bytes, len, WASM_FEATURES_2_0, err, sizeof err);
    free(bytes);
    if (!m) {
        fprintf(stderr, "kos-wasm: %s: invalid module: %s\n", argv[0], err);
        return 2;
    }
    wasm_limits lim = {.max_memory_pages = 65536, .fuel = fuel, .max_call_depth = 100000, .stack_slots = 1 << 22};
    wasm_instance *inst = wasm_instantiate(m, &lim, wasm_env_resolve, NULL, err, sizeof err);
    if (!inst) {
        fprintf(stderr, "kos-wasm: %s: instantiation failed: %s\n", argv[0], err);
        wasm_module_free(m);
        return 2;
    }
    wasm_func *f = wasm_instance_export_func(inst, wasm_name_str(argv[1]));
    if (!f) {
        fprintf(stderr, "kos-wasm: no exported function \"%s\"\n", argv[1]);
        return 2;
    }
    uint32_t np = wasm_func_param_count(f);
    if ((uint32_t)(argc - 2) != np) {
        fprintf(stderr, "kos-wasm: %s takes %u arguments, got %d\n", argv[1], np, argc - 2);
        return 2;
    }
    wasm_value args[64], res[1];
    for (uint32_t i = 0; i < np && i < 64; i++)
        if (!parse_arg(argv[2 + i], wasm_func_param_type(f, i), &args[i])) {
            fprintf(stderr, "kos-wasm: argument %u (\"%s\") is not a valid number\n", i + 1, argv[2 + i]);
            return 2;
        }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int trap = wasm_invoke(inst, f, args, np, res, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (trap != WASM_OK) {
        printf("trap: %s\n", wasm_trap_string(trap));
        return 1;
    }
    if (wasm_func_result_count(f))
        print_value(&res[0]);
    if (timing)
        printf("time_ms %.3f\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    wasm_instance_free(inst);
    wasm_module_free(m);
    return 0;
}

/* ---------- wat ---------- */

static int cmd_wat(const char *in, const char *out)
{
    size_t len, blen;
    char *text = read_file(in, &len);
    if (!text) {
        fprintf(stderr, "kos-wasm: cannot read %s: %s\n", in, strerror(errno));
        return 2;
    }
    char err[256];
    uint8_t *bin = wat_compile(text, len, &blen, err, sizeof err);
    free(text);
    if (!bin) {
        fprintf(stderr, "kos-wasm: %s:%s\n", in, err);
        return 1;
    }
    FILE *f = fopen(out, "wb");
    int ok = f && fwrite(bin, 1, blen, f) == blen;
    if (f && fclose(f) != 0)
        ok = 0;
    free(bin);
    if (!ok) {
        fprintf(stderr, "kos-wasm: cannot write %s\n", out);
        return 2;
    }
    return 0;
}

/* ---------- fuzz ---------- */

/* Robustness check: decode, instantiate and call (with random arguments)
 * mutated copies of the given modules. Any crash or sanitizer report is the
 * failure; refusals and traps are expected. Deterministic for a seed. */
static uint64_t fuzz_state;
static uint32_t fuzz_rand(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return (uint32_t)(fuzz_state >> 16);
}

typedef struct fuzz_ctx {
    wasm_memory *mem;
    wasm_table *table;
    wasm_global *global;
    wasm_func *func;
} fuzz_ctx;

static int fuzz_resolve(void *ctx, wasm_name module, wasm_name name, uint8_t kind, wasm_extern *out)
{
    fuzz_ctx *f = ctx;
    (void)module;
    (void)name;
    out->kind = kind;
    switch (kind) {
    case WASM_EXTERN_MEMORY: out->u.memory = f->mem; return 0;
    case WASM_EXTERN_TABLE: out->u.table = f->table; return 0;
    case WASM_EXTERN_GLOBAL: out->u.global = f->global; return 0;
    case WASM_EXTERN_FUNC: out->u.func = f->func; return 0; /* () -> (): others fail to link */
    }
    return -1;
}

static int nlen_is_wat(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && !strcmp(path + n - 4, ".wat");
}

static int cmd_fuzz(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kos-wasm fuzz SEED ITERATIONS FILE.wasm...\n");
        return 2;
    }
    fuzz_state = strtoull(argv[0], NULL, 10) * 2654435761u + 1;
    long iters = atol(argv[1]);
    long parsed = 0, instantiated = 0, calls = 0, traps = 0;
    static const uint8_t special[] = {0x00, 0x01, 0x0b, 0x40, 0x41, 0x7f, 0x80, 0xff, '(', ')', '"', '$', ' ', ';'};
    for (int fi = 2; fi < argc; fi++) {
        size_t n;
        char *orig = read_file(argv[fi], &n);
        if (!orig) {
            fprintf(stderr, "kos-wasm: cannot read %s: %s\n", argv[fi], strerror(errno));
            return 2;
        }
        for (long it = 0; it < iters; it++) {
            uint8_t *b = malloc(n + 1);
            memcpy(b, orig, n);
            size_t len = n;
            int muts = (int)(fuzz_rand() % 5); /* 0: the module as it is */
            size_t keep = (nlen_is_wat(argv[fi])) ? 0 : 8; /* binary: keep the header */
            for (int k = 0; k < muts && len > keep; k++) {
                size_t at = keep + fuzz_rand() % (len - keep);
                switch (fuzz_rand() % 4) {
                case 0: b[at] = (uint8_t)fuzz_rand(); break;
                case 1: b[at] ^= (uint8_t)(1u << (fuzz_rand() % 8)); break;
                case 2: len = at; break;
                default: b[at] = special[fuzz_rand() % sizeof special]; break;
                }
            }
            char err[256];
            if (nlen_is_wat(argv[fi])) {
                /* text: the WAT compiler must refuse or compile, never crash */
                size_t blen;
                uint8_t *bin = wat_compile((const char *)b, len, &blen, err, sizeof err);
                free(b);
                if (!bin)
                    continue;
                b = bin;
                len = blen;
            }
            wasm_module *m = wasm_module_parse(b, len, WASM_FEATURES_2_0, err, sizeof err);
            free(b); /* the module must not keep pointers into the input */
            if (!m)
                continue;
            parsed++;
            /* Each run imports externs of its own: a table may hold
             * functions of the instance it outlives (a start function that
             * trapped after writing elements keeps its instance alive only as
             * long as the table), so nothing is shared across runs. */
            fuzz_ctx fc = {wasm_memory_new(1, 2), wasm_table_new(WASM_FUNCREF, 10, 20), wasm_global_new(WASM_I32, 0, 666),
                           wasm_host_func_new(NULL, 0, NULL, 0, host_nop, NULL)};
            wasm_limits lim = {.max_memory_pages = 4, .fuel = 200000, .max_call_depth = 256, .stack_slots = 8192};
            wasm_instance *inst = wasm_instantiate(m, &lim, fuzz_resolve, &fc, err, sizeof err);
            if (inst) {
                instantiated++;
                for (uint32_t e = 0; e < wasm_module_export_count(m); e++) {
                    uint8_t kind;
                    wasm_name name = wasm_module_export_name(m, e, &kind);
                    wasm_func *f = kind == WASM_EXTERN_FUNC ? wasm_instance_export_func(inst, name) : NULL;
                    if (!f || wasm_func_param_count(f) > 16)
                        continue;
                    wasm_value args[16], res[16];
                    for (uint32_t a = 0; a < wasm_func_param_count(f); a++) {
                        args[a].type = wasm_func_param_type(f, a);
                        args[a].bits = ((uint64_t)fuzz_rand() << 32) | fuzz_rand();
                    }
                    calls++;
                    if (wasm_invoke(inst, f, args, wasm_func_param_count(f), res, 16) != WASM_OK)
                        traps++;
                }
                wasm_instance_free(inst);
            }
            wasm_module_free(m);
            wasm_extern ext[4] = {{WASM_EXTERN_MEMORY, {.memory = fc.mem}},
                                  {WASM_EXTERN_TABLE, {.table = fc.table}},
                                  {WASM_EXTERN_GLOBAL, {.global = fc.global}},
                                  {WASM_EXTERN_FUNC, {.func = fc.func}}};
            for (int i = 0; i < 4; i++)
                wasm_extern_release(&ext[i]);
        }
        free(orig);
    }
    printf("FUZZ parsed %ld instantiated %ld calls %ld traps %ld\n", parsed, instantiated, calls, traps);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "wat") && !strcmp(argv[3], "-o"))
        return cmd_wat(argv[2], argv[4]);
    if (argc >= 4 && !strcmp(argv[1], "watcheck"))
        return wat_check_script(argv[2], argv[3]) == 0 ? 0 : 1;
    if (argc >= 2 && !strcmp(argv[1], "fuzz"))
        return cmd_fuzz(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "spec"))
        return argc >= 4 && !strcmp(argv[2], "--mvp") ? cmd_spec(argv[3], WASM_FEATURES_MVP)
                                                      : cmd_spec(argv[2], WASM_FEATURES_2_0);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return cmd_run(argc - 2, argv + 2);
    fprintf(stderr, "usage: kos-wasm spec FILE.json | kos-wasm run [--time] [--fuel N] FILE.wasm FUNC [ARGS...]\n");
    return 2;
}
