// Phase 2: processes (fork with copy-on-write, exec, wait, kill, sleep), the
// preemptive scheduler and pipes. Each case is one user program from user/
// printing KTAP subtests; the kernel adds its no_page_leak result after it.
// Kernel counters (free pages, idle halts, per-process CPU ticks) come from
// /proc/kstat (kernel/fs/procinfo.h).
import type {CaseDef} from '../src/suites/types.js'

const progCase = (
  id: string,
  prog: string,
  title: string,
  components: string[],
  syscalls: string[],
  log: string[] = [],
  timeoutSec = 180,
): CaseDef => ({
  id,
  phase: 2,
  title,
  components,
  syscalls,
  profile: 'base',
  append: `init=/bin/${prog}`,
  timeoutSec,
  expect: {log: [`ok 1 ${prog}`, 'ok 2 no_page_leak', ...log]},
})

export const cases: CaseDef[] = [
  progCase(
    'fork',
    'fork_test',
    'fork: return values, distinct pids, getppid, parent/child memory isolation after writes on both sides',
    ['processes', 'paging', 'syscalls'],
    ['SYS_FORK', 'SYS_GETPID', 'SYS_GETPPID', 'SYS_WAITPID', 'SYS_PIPE', 'SYS_SLEEP', 'SYS_EXIT'],
  ),
  progCase(
    'cow',
    'cow_test',
    'copy-on-write: fork of a 4 MiB process takes almost no frames, each written page is copied once, frames return after reaping',
    ['processes', 'paging', 'pmm'],
    ['SYS_FORK', 'SYS_MMAP', 'SYS_OPEN', 'SYS_READ', 'SYS_WAITPID'],
    ['each_written_page_copied_once'],
  ),
  progCase(
    'exec',
    'exec_test',
    'exec: argv arrives intact, descriptors survive, -ENOENT/-ENOEXEC/-EFAULT/-E2BIG and the caller keeps running',
    ['processes', 'elf-loader', 'syscalls'],
    ['SYS_EXEC', 'SYS_FORK', 'SYS_DUP2', 'SYS_PIPE', 'SYS_WAITPID', 'SYS_CLOSE'],
  ),
  progCase(
    'wait',
    'wait_test',
    'wait/waitpid: exit codes in any order, -ECHILD, WNOHANG, fault and kill reported, the CPU halts while the parent waits',
    ['processes', 'scheduler', 'syscalls'],
    ['SYS_WAIT', 'SYS_WAITPID', 'SYS_KILL', 'SYS_SLEEP', 'SYS_FORK'],
    ['wait_sleeps_cpu_halts', 'child_fault_reported', 'child_kill_reported'],
  ),
  progCase(
    'preempt',
    'preempt_test',
    'preemption: CPU-bound children that never yield all progress, CPU ticks within 25 % of fair, SSE state kept',
    ['scheduler', 'pic-pit'],
    ['SYS_FORK', 'SYS_SLEEP', 'SYS_KILL', 'SYS_WAITPID'],
    ['cpu_shares_within_25_percent_of_fair'],
    240,
  ),
  progCase(
    'fork_scheduler',
    'fork_sched_test',
    'many children forking and exiting under preemption: process table and free pages back to the start every round',
    ['processes', 'scheduler'],
    ['SYS_FORK', 'SYS_WAIT', 'SYS_WAITPID', 'SYS_EXIT'],
    [],
    240,
  ),
  progCase(
    'pipe',
    'pipe_test',
    'pipes: 1 MiB producer/consumer with a checksum, EOF after the last writer, -EPIPE without a reader, dup2',
    ['pipes', 'syscalls'],
    ['SYS_PIPE', 'SYS_DUP2', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'],
    ['checksum_matches', 'write_without_reader_epipe'],
  ),
  progCase(
    'fork_bomb',
    'fork_bomb',
    'fork bomb: -EAGAIN at the per-user process limit, the kernel stays up, every process reaped',
    ['processes'],
    ['SYS_FORK', 'SYS_WAIT'],
    ['fork_at_limit_eagain'],
    240,
  ),
  {
    id: 'fork_after_phase1',
    phase: 2,
    title: 'phase-1 programs still run after fork/exec programs in one boot (no state left behind)',
    components: ['processes'],
    syscalls: [],
    profile: 'base',
    append: 'init=/bin/fork_test,/bin/hello,/bin/fault:null!fault,/bin/pipe_test',
    timeoutSec: 180,
    expect: {log: ['ok 1 fork_test', 'ok 2 hello', 'ok 3 fault_null # killed', 'ok 4 pipe_test', 'ok 5 no_page_leak']},
  },
]
