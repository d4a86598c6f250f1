#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/ktap.h"

/* In-kernel KTAP suites. A suite is either a list of cases (each one KTAP
 * result) or a custom run function that prints its own plan and results. */

/* What a case must have given back when it ends, checked by the runner
 * against the counts before it ran: every physical page (pmm_free_count) and
 * every heap allocation (heap_live_allocations). A case that keeps one fails
 * with a diagnostic saying how many. */
#define KTEST_PAGES 1u
#define KTEST_HEAP 2u

struct ktest_case {
    const char *name;
    bool (*fn)(void);
    unsigned gives_back;    /* KTEST_PAGES | KTEST_HEAP, or 0 */
};

struct ktest_suite {
    const char *name;
    const struct ktest_case *cases;
    int ncases;
    /* Custom runner: called inside the suite's subtest; must print its own plan. */
    void (*run)(void);
};

#define KTEST_CASES(arr) (arr), (int)(sizeof(arr) / sizeof((arr)[0]))

/* One case: KTEST_CASE("name", fn), or with what it must give back,
 * KTEST_CASE("name", fn, KTEST_PAGES | KTEST_HEAP). */
#define KTEST_CASE(name, fn, ...) { (name), (fn), 0 __VA_OPT__(| __VA_ARGS__) }

/* Defines ktest_suite_ID, the suite "ID" of the KTEST_CASEs listed (list it
 * in ktest.c's suites[]). */
#define KTEST_SUITE(id, ...)                                          \
    static const struct ktest_case id##_cases[] = {__VA_ARGS__};      \
    const struct ktest_suite ktest_suite_##id = {#id, KTEST_CASES(id##_cases), NULL}

/* Inside a case: report the first failed expectation and fail the case. */
#define KT_EXPECT(cond) do { \
        if (!(cond)) { \
            ktap_diag("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
            return false; \
        } \
    } while (0)

#define KT_EXPECT_EQ(a, b) do { \
        long long _a = (long long)(a), _b = (long long)(b); \
        if (_a != _b) { \
            ktap_diag("%s:%d: expected %s == %s (%lld != %lld)", __FILE__, __LINE__, #a, #b, _a, _b); \
            return false; \
        } \
    } while (0)

/* Number of top-level results a ktest= value produces. */
int ktest_count(const char *list);
/* Run the suites named in list ("all" or "a,b"); one top-level result each. */
void ktest_run(const char *list);
