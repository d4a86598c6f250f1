// Benchmarks (kos bench): figures are "# metric NAME VALUE UNIT" diagnostics.
import type {CaseDef} from '../src/suites/types.js'

export const cases: CaseDef[] = [
  {
    id: 'bench_null_syscall',
    phase: 1,
    title: 'null syscall round trip (getpid through int 0x80), rdtsc cycles per call',
    components: ['syscalls'],
    syscalls: ['SYS_GETPID'],
    profile: 'base',
    append: 'init=/bin/syscall_bench',
    timeoutSec: 180,
    expect: {log: ['# metric null_syscall_cycles']},
  },
]
