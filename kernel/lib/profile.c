/* The kernel's coverage runtime and the frames of the debug-console stream.
 * See profile.h; the raw profile's layout is kos/profile.h's, shared with the
 * user programs' runtime. */
#include "lib/profile.h"
#include "lib/machine.h"
#include "lib/string.h"
#include <kos/profile.h>
#include <stddef.h>

__attribute__((no_profile_instrument_function)) void profile_frame(uint32_t kind, const char *name, uint64_t size)
{
    struct kos_prof_frame f = {.kind = kind, .name_len = (uint32_t)strlen(name), .size = size};
    memcpy(f.magic, KOS_PROF_MAGIC, sizeof f.magic);
    machine_debug_write(&f, sizeof f);
    machine_debug_write(name, f.name_len);
}

#ifdef KOS_COVERAGE
/* Instrumented objects refer to this to pull in a runtime: this file is it. */
int __llvm_profile_runtime;

__attribute__((no_profile_instrument_function)) void profile_dump(void)
{
    struct kos_prof_image img;
    kos_profile_own(&img);
    profile_frame(KOS_PROF_KERNEL, "kernel", img.size);
    for (int i = 0; i < img.npieces; i++)
        machine_debug_write((const void *)(uintptr_t)img.piece[i].p, img.piece[i].n);
}
#else
void profile_dump(void)
{
}
#endif
