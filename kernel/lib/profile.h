#pragma once
/* clang source-based coverage in the kernel (`kos test --coverage`). A build
 * with -fprofile-instr-generate (-DKOS_COVERAGE) counts every region it runs;
 * profile_dump writes the counters as one LLVM raw profile (.profraw, format
 * version 10, what clang 19's own runtime writes) through
 * machine_debug_write, so the host reads it with llvm-profdata as it is. In
 * other builds it does nothing. machine_exit calls it. */
void profile_dump(void);
