/* The user programs' coverage runtime (`kos test --coverage`:
 * -fprofile-instr-generate, -DKOS_COVERAGE). At exit the program's raw
 * profile (laid out by kos/profile.h, as the kernel's own) goes to
 * SYS_profile_write, which frames it with the program's name on the debug
 * console. In other builds kos_profile_dump does nothing. */
#include "sys.h"
#include <kos/profile.h>

#ifdef KOS_COVERAGE
/* Instrumented objects refer to this to pull in a runtime: this file is it. */
int __llvm_profile_runtime;

__attribute__((no_profile_instrument_function)) void kos_profile_dump(void)
{
    struct kos_prof_image img;
    kos_profile_own(&img);
    kos_profile_write(img.piece, (size_t)img.npieces);
}
#else
void kos_profile_dump(void)
{
}
#endif
