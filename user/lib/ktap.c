#include "ktap.h"
#include <kos/ktap.h>
#ifdef KOS_HOST
/* The host build of the p2p programs (user/p2p) links this file too. */
#include <stdarg.h>
#include <stdio.h>
#else
#include "libc.h"
#endif

static int next = 1, planned, failed;

void ktap_begin(const char *suite, int plan)
{
    planned = plan;
    printf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", suite, plan);
}

void ktap_ok(bool ok, const char *name)
{
    if (!ok)
        failed++;
    printf("    %s %d %s\n", ok ? "ok" : "not ok", next++, name);
}

void ktap_skip(const char *name, const char *reason)
{
    printf("    ok %d %s # SKIP %s\n", next++, name, reason);
}

KOS_DEFINE_KTAP_DIAG("    ", 512, vsnprintf, printf)

bool ktap_expect_eq(const char *name, long got, long want)
{
    bool ok = got == want;
    if (!ok)
        ktap_diag("%s: got %ld, expected %ld", name, got, want);
    ktap_ok(ok, name);
    return ok;
}

int ktap_done(void)
{
    if (next - 1 != planned) {
        ktap_diag("planned %d results, printed %d", planned, next - 1);
        return 1;
    }
    return failed ? 1 : 0;
}
