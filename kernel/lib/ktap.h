#pragma once
#include <stdbool.h>
#include <stdint.h>

/* KTAP v1 producer. The kernel prints the top-level document; every suite
 * or program is a subtest indented four spaces per level. */

/* Top level: "KTAP version 1" and "1..plan". */
void ktap_begin(int plan);
/* Open a subtest: its header, "# Subtest: name" and plan at the next depth. */
void ktap_suite_begin(const char *name, int plan);
/* Close the innermost subtest and print its own result in the parent.
 * Returns true when all of its results were ok. */
bool ktap_suite_end(void);
/* Close with an explicit outcome and a directive text ("# killed: ...") or NULL. */
bool ktap_suite_end_with(bool ok, const char *directive);
/* One result at the current depth, numbered automatically. */
void ktap_result(bool ok, const char *name);
/* Same, followed by " # " and a directive text (e.g. "SKIP reason"). */
void ktap_result_directive(bool ok, const char *name, const char *directive);
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ktap_metric(const char *name, uint64_t value, const char *unit);
/* Current nesting (0 = top level) and whether every top-level result so far passed. */
int ktap_depth(void);
bool ktap_all_passed(void);
/* Indentation prefix for text printed on behalf of the current depth. */
const char *ktap_indent(void);
