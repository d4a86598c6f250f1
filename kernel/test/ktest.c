#include "test/ktest.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "mm/heap.h"
#include "mm/pmm.h"

/* The suites, defined beside what they test (kernel/test/, kernel/net/): a
 * suite listed here and defined nowhere is a link error. */
extern const struct ktest_suite ktest_suite_lib, ktest_suite_pmm, ktest_suite_paging, ktest_suite_heap,
    ktest_suite_tarfs, ktest_suite_ramfs, ktest_suite_elf, ktest_suite_cpu, ktest_suite_proc, ktest_suite_cow,
    ktest_suite_random, ktest_suite_signal, ktest_suite_wasm, ktest_suite_pci, ktest_suite_netecho;

/* Every suite, in the order ktest=all runs them. Adding one: define it and
 * list it here. */
static const struct ktest_suite *const suites[] = {
    &ktest_suite_lib,
    &ktest_suite_cpu,
    &ktest_suite_pmm,
    &ktest_suite_paging,
    &ktest_suite_heap,
    &ktest_suite_tarfs,
    &ktest_suite_ramfs,
    &ktest_suite_elf,
    &ktest_suite_proc,
    &ktest_suite_cow,
    &ktest_suite_random,
    &ktest_suite_signal,
    &ktest_suite_wasm,
    &ktest_suite_pci,
    &ktest_suite_netecho,
};
#define NSUITES (int)(sizeof suites / sizeof suites[0])

static const struct ktest_suite *find_suite(const char *name, size_t len)
{
    for (int i = 0; i < NSUITES; i++)
        if (strlen(suites[i]->name) == len && strncmp(suites[i]->name, name, len) == 0)
            return suites[i];
    return NULL;
}

static bool run_case(const struct ktest_case *c)
{
    uint64_t pages = pmm_free_count(), live = heap_live_allocations();
    bool ok = c->fn();
    if ((c->gives_back & KTEST_PAGES) && pmm_free_count() != pages) {
        ktap_diag("%s: %ld pages not given back", c->name, (long)(pages - pmm_free_count()));
        ok = false;
    }
    if ((c->gives_back & KTEST_HEAP) && heap_live_allocations() != live) {
        ktap_diag("%s: %ld heap allocations not given back", c->name, (long)(heap_live_allocations() - live));
        ok = false;
    }
    return ok;
}

static void run_suite(const struct ktest_suite *s)
{
    if (s->run) {
        ktap_suite_begin(s->name, -1);
        s->run();
    } else {
        ktap_suite_begin(s->name, s->ncases);
        for (int i = 0; i < s->ncases; i++)
            ktap_result(run_case(&s->cases[i]), s->cases[i].name);
    }
    ktap_suite_end();
}

/* Calls fn(name, len) for each comma-separated word of list. */
static int for_each_name(const char *list, void (*fn)(const char *, size_t))
{
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *start = p;
        while (*p && *p != ',')
            p++;
        if (p > start) {
            if (fn)
                fn(start, (size_t)(p - start));
            n++;
        }
        if (*p == ',')
            p++;
    }
    return n;
}

int ktest_count(const char *list)
{
    if (strcmp(list, "all") == 0)
        return NSUITES;
    return for_each_name(list, NULL);
}

static void run_named(const char *name, size_t len)
{
    const struct ktest_suite *s = find_suite(name, len);
    if (s) {
        run_suite(s);
        return;
    }
    char label[64];
    ksnprintf(label, sizeof label, "%.*s", (int)len, name);
    ktap_result_directive(false, label, "unknown ktest suite");
}

void ktest_run(const char *list)
{
    if (strcmp(list, "all") == 0) {
        for (int i = 0; i < NSUITES; i++)
            run_suite(suites[i]);
        return;
    }
    for_each_name(list, run_named);
}
