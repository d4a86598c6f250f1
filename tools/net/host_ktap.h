/* KTAP for the tools/net host test drivers: CHECK marks the running case
 * failed; run() resets (the driver's reset()), runs and prints one result. */
#pragma once
#include <stdio.h>

static int test_no, failures, case_failed;
#define CHECK(cond) do { if (!(cond)) { printf("    # %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); case_failed = 1; } } while (0)

static void reset(void);

static void run(const char *name, void (*fn)(void))
{
    reset();
    case_failed = 0;
    fn();
    test_no++;
    printf("%s %d %s\n", case_failed ? "not ok" : "ok", test_no, name);
    failures += case_failed;
}
