/* The kernel's UBSan runtime (`kos test --sanitize`: -fsanitize=undefined,
 * -DKOS_UBSAN; the handlers are the list in kos/ubsan.h). Each finding
 * becomes a KTAP failure at the current depth, "not ok N ubsan: KIND at
 * FILE:LINE:COL", so the case fails with the place named; a location is
 * reported once. After a kind that cannot go on, a panic. In other builds
 * this file is empty. */
#ifdef KOS_UBSAN
#include "kos/ubsan.h"
#include "lib/ktap.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include <stdbool.h>

#define UBSAN_SEEN_MAX 64
static const struct kos_ubsan_location *seen[UBSAN_SEEN_MAX];
static int nseen;

__attribute__((no_sanitize("undefined"))) static void kos_ubsan_report(const char *kind, const struct kos_ubsan_location *loc, int go_on)
{
    bool reported = false;
    for (int i = 0; i < nseen; i++)
        reported |= seen[i] == loc;
    if (!reported) {
        if (nseen < UBSAN_SEEN_MAX)
            seen[nseen++] = loc;
        char name[192];
        ksnprintf(name, sizeof name, "ubsan: %s at %s:%u:%u", kind, loc->file ? loc->file : "?", loc->line, loc->column);
        ktap_result(false, name);
    }
    if (!go_on)
        panic("ubsan: %s at %s:%u", kind, loc->file ? loc->file : "?", loc->line);
}

KOS_UBSAN_HANDLERS(KOS_UBSAN_DEFINE)
#endif
