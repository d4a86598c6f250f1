#include "lib/ktap.h"
#include "lib/printf.h"
#include "lib/panic.h"
#include <kos/ktap.h>

#define KTAP_MAX_DEPTH 6

struct ktap_level {
    const char *name;
    int next;       /* number of the next result */
    bool failed;
};

static struct ktap_level levels[KTAP_MAX_DEPTH];
static int depth;   /* index of the current level; 0 is the top-level document */

static const char indent_spaces[] = "                        ";

const char *ktap_indent(void)
{
    return indent_spaces + sizeof indent_spaces - 1 - (size_t)depth * 4;
}

int ktap_depth(void)
{
    return depth;
}

bool ktap_all_passed(void)
{
    return !levels[0].failed;
}

void ktap_begin(int plan)
{
    depth = 0;
    levels[0] = (struct ktap_level){ "", 1, false };
    kprintf("KTAP version 1\n1..%d\n", plan);
}

void ktap_suite_begin(const char *name, int plan)
{
    if (depth + 1 >= KTAP_MAX_DEPTH)
        panic("ktap: subtests nested too deep (%s)", name);
    depth++;
    levels[depth] = (struct ktap_level){ name, 1, false };
    const char *in = ktap_indent();
    kprintf("%sKTAP version 1\n%s# Subtest: %s\n", in, in, name);
    if (plan >= 0)
        kprintf("%s1..%d\n", in, plan);
}

void ktap_result_directive(bool ok, const char *name, const char *directive)
{
    struct ktap_level *l = &levels[depth];
    if (!ok)
        l->failed = true;
    if (directive)
        kprintf("%s%s %d %s # %s\n", ktap_indent(), ok ? "ok" : "not ok", l->next++, name, directive);
    else
        kprintf("%s%s %d %s\n", ktap_indent(), ok ? "ok" : "not ok", l->next++, name);
}

void ktap_result(bool ok, const char *name)
{
    ktap_result_directive(ok, name, NULL);
}

bool ktap_suite_end_with(bool ok, const char *directive)
{
    if (depth == 0)
        panic("ktap: suite end without a suite");
    const char *name = levels[depth].name;
    depth--;
    ktap_result_directive(ok, name, directive);
    return ok;
}

bool ktap_suite_end(void)
{
    return ktap_suite_end_with(!levels[depth].failed, NULL);
}

KOS_DEFINE_KTAP_DIAG(ktap_indent(), 256, kvsnprintf, kprintf)
