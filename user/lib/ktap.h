/* KTAP helper for user-side tests. The kernel prints the program's own
 * top-level result; the program's results are its subtests, indented
 * four spaces:
 *
 *     KTAP version 1
 *     # Subtest: syscalls
 *     1..2
 *     ok 1 write_bad_fd
 *     not ok 2 open_missing
 *
 * ktap_done() returns the exit status main should return (0 = all ok). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

void ktap_begin(const char *suite, int plan);
void ktap_ok(bool ok, const char *name);
void ktap_skip(const char *name, const char *reason);
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ktap_metric(const char *name, uint64_t value, const char *unit);
int ktap_done(void);

/* Compare a result to an expected value; prints both on mismatch. */
#define KTAP_EXPECT_EQ(name, got, want) ktap_expect_eq((name), (long)(got), (long)(want))
bool ktap_expect_eq(const char *name, long got, long want);
