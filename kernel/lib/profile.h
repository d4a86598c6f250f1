#pragma once
/* clang source-based coverage in the kernel (`kos test --coverage`). A build
 * with -fprofile-instr-generate (-DKOS_COVERAGE) counts every region it runs;
 * profile_dump writes the counters as one LLVM raw profile in a kernel frame
 * (kos/profile.h) through machine_debug_write, so the host reads it with
 * llvm-profdata as it is. In other builds it does nothing. machine_exit
 * calls it. */
#include <stdint.h>

void profile_dump(void);
/* The frame header of one profile of size bytes (kos/profile.h); the caller
 * writes exactly size bytes after it. sys_profile_write frames user programs'. */
void profile_frame(uint32_t kind, const char *name, uint64_t size);
