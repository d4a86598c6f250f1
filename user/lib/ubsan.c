/* The user programs' UBSan runtime (`kos test --sanitize`: -fsanitize=undefined,
 * -DKOS_UBSAN; the handlers are the list in kos/ubsan.h). A finding goes to
 * the kernel log ("[log pid N] ubsan: KIND at FILE:LINE:COL", whatever the
 * program did to its descriptors) and ends the program with exit status
 * UBSAN_EXIT, so the kernel reports "not ok N PROG # exit=120": a KTAP
 * failure with the place in the log. In other builds this file is empty. */
#ifdef KOS_UBSAN
#include <kos/ubsan.h>
#include "libc.h"

#define UBSAN_EXIT 120

__attribute__((no_sanitize("undefined"), noreturn)) static void kos_ubsan_report(const char *kind, const struct kos_ubsan_location *loc, int go_on)
{
    (void)go_on;
    char line[200];
    int n = snprintf(line, sizeof line, "ubsan: %s at %s:%u:%u", kind, loc->file ? loc->file : "?", loc->line, loc->column);
    kos_log(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
    exit(UBSAN_EXIT);
}

KOS_UBSAN_HANDLERS(KOS_UBSAN_DEFINE)
#endif
