// Phase 2: processes (fork with copy-on-write, exec, wait, kill, sleep), the
// preemptive scheduler and pipes. Each case is one user program from user/
// printing KTAP subtests; the kernel adds its no_page_leak result after it.
// Kernel counters (free pages, idle halts, per-process CPU ticks) come from
// /proc/kstat (kernel/proc/kstat.h).
import type {CaseDef} from '../src/suites/types.js'
import {baseCase, ktestCase, programCase} from './lib/cases.js'

const PREEMPT_SYSCALLS = ['SYS_FORK', 'SYS_SLEEP', 'SYS_KILL', 'SYS_WAITPID']

export const cases: CaseDef[] = [
  programCase(2, 'fork', 'fork_test', 'fork: return values, distinct pids, getppid, parent/child memory isolation after writes on both sides',
    ['processes', 'paging', 'syscalls'], {syscalls: ['SYS_FORK', 'SYS_GETPID', 'SYS_GETPPID', 'SYS_WAITPID', 'SYS_PIPE', 'SYS_SLEEP', 'SYS_EXIT']}),
  programCase(2, 'cow', 'cow_test', 'copy-on-write: fork of a 4 MiB process takes almost no frames, each written page is copied once, frames return after reaping',
    ['processes', 'paging', 'pmm'], {syscalls: ['SYS_FORK', 'SYS_MMAP', 'SYS_OPEN', 'SYS_READ', 'SYS_WAITPID'], log: ['each_written_page_copied_once']}),
  programCase(2, 'exec', 'exec_test', 'exec from the initrd and from in-memory files: argv arrives intact, descriptors survive, -ENOENT/-ENOEXEC/-EFAULT/-E2BIG and the caller keeps running',
    ['processes', 'elf-loader', 'ramfs', 'syscalls'], {syscalls: ['SYS_EXEC', 'SYS_FORK', 'SYS_DUP2', 'SYS_PIPE', 'SYS_WAITPID', 'SYS_CLOSE']}),
  programCase(2, 'wait', 'wait_test', 'wait/waitpid: exit codes in any order, -ECHILD, WNOHANG, fault and kill reported, the CPU halts while the parent waits',
    ['processes', 'scheduler', 'syscalls'], {
      syscalls: ['SYS_WAIT', 'SYS_WAITPID', 'SYS_KILL', 'SYS_SLEEP', 'SYS_FORK'],
      log: ['wait_sleeps_cpu_halts', 'child_fault_reported', 'child_kill_reported'],
    }),
  programCase(2, 'preempt', 'preempt_test', 'preemption: CPU-bound children that never yield all progress, CPU ticks within 25 % of fair, SSE state kept',
    ['scheduler', 'pic-pit'], {syscalls: PREEMPT_SYSCALLS, log: ['cpu_shares_within_25_percent_of_fair'], timeoutSec: 240}),
  baseCase(2, 'preempt_hz250', 'the tick rate comes from the command line (hz=250): preemption and fair shares hold at that rate',
    ['scheduler', 'pic-pit'], 'hz=250 init=/bin/preempt_test',
    {syscalls: PREEMPT_SYSCALLS, timeoutSec: 240, log: ['# timer rate 250 Hz', 'ok 1 preempt_test', 'ok 2 no_page_leak']}),
  ktestCase(2, 'cow', 'in-kernel: page reference counts, copy-on-write clone shares frames and copies per page on resolve', ['paging', 'pmm', 'processes']),
  programCase(2, 'fork_scheduler', 'fork_sched_test', 'many children forking and exiting under preemption: process table and free pages back to the start every round',
    ['processes', 'scheduler'], {syscalls: ['SYS_FORK', 'SYS_WAIT', 'SYS_WAITPID', 'SYS_EXIT'], timeoutSec: 240}),
  programCase(2, 'pipe', 'pipe_test', 'pipes: 1 MiB producer/consumer with a checksum, EOF after the last writer, -EPIPE without a reader, dup2',
    ['pipes', 'syscalls'], {syscalls: ['SYS_PIPE', 'SYS_DUP2', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'], log: ['checksum_matches', 'write_without_reader_epipe']}),
  programCase(2, 'fork_bomb', 'fork_bomb', 'fork bomb: -EAGAIN at the per-user process limit, the kernel stays up, every process reaped',
    ['processes'], {syscalls: ['SYS_FORK', 'SYS_WAIT'], log: ['fork_at_limit_eagain'], timeoutSec: 240}),
  baseCase(2, 'fork_after_phase1', 'phase-1 programs still run after fork/exec programs in one boot (no state left behind)',
    ['processes'], 'init=/bin/fork_test,/bin/hello,/bin/fault:null!fault,/bin/pipe_test',
    {timeoutSec: 180, log: ['ok 1 fork_test', 'ok 2 hello', 'ok 3 fault_null # killed', 'ok 4 pipe_test', 'ok 5 no_page_leak']}),
  programCase(2, 'munmap_region', 'munmap_test', 'munmap over the whole mmap region (96 TiB) costs what is mapped and yields: a CPU-bound process keeps its fair share, the timer advances',
    ['paging', 'scheduler', 'syscalls'], {
      syscalls: ['SYS_MMAP', 'SYS_MUNMAP', 'SYS_FORK', 'SYS_KILL', 'SYS_WAITPID'],
      log: ['munmap_frees_every_mapped_page', 'spinner_gets_its_fair_share'],
      timeoutSec: 300,
    }),
  programCase(2, 'prot', 'prot_test', 'PROT_NONE and read-only mean no access and no write: faults kill with the reason, the kernel returns -EFAULT, mprotect both ways and with copy-on-write',
    ['paging', 'syscalls'], {
      syscalls: ['SYS_MMAP', 'SYS_MPROTECT', 'SYS_FORK', 'SYS_WAITPID', 'SYS_READ', 'SYS_WRITE'],
      log: [
        'killed: page fault: read at 0x100000000000 (protection violation, no-access page (PROT_NONE))',
        'killed: page fault: write at 0x100000000000 (protection violation, no-access page (PROT_NONE))',
        'killed: page fault: write at 0x100000002000 (protection violation, read-only page)',
        'ok 11 read_after_mprotect_none_killed',
      ],
    }),
  baseCase(2, 'syscall_fuzz', 'syscall fuzzer (seeds 1 and 2): 4 workers x 8000 calls each with random numbers and hostile arguments, one holding nearly all memory; every call answered, every worker done, no page leaked',
    ['syscalls', 'paging', 'processes'], 'init=/bin/syscall_fuzz:1,/bin/syscall_fuzz:2', {
      timeoutSec: 420,
      log: ['# seed 1, 4 workers x 8000 calls', '# seed 2, 4 workers', 'ok 4 no_page_leaked', 'ok 1 syscall_fuzz_1', 'ok 2 syscall_fuzz_2', 'ok 3 no_page_leak'],
    }),
  programCase(2, 'signals', 'signal_test', 'signals: a handler runs and returns with SSE intact, siginfo, masks defer delivery, SIGKILL/SIGSTOP uncatchable, ignored and default dispositions, alarm/pause, sigsuspend, stop/continue, fork inherits, exec resets, wait reports the signal',
    ['signals', 'processes'], {
      syscalls: ['SYS_SIGACTION', 'SYS_SIGPROCMASK', 'SYS_SIGRETURN', 'SYS_SIGSUSPEND', 'SYS_PAUSE', 'SYS_ALARM', 'SYS_KILL', 'SYS_EXEC'],
      log: ['ok 16 exec_resets_handlers_keeps_ignored_and_mask'],
    }),
  ktestCase(2, 'signal', 'in-kernel: Ctrl-C on the console (a 0x03 byte on the receive path) is SIGINT to the foreground program: its handler runs, or the default ends it; other bytes still reach readers',
    ['signals', 'serial'], {syscalls: ['SYS_SIGACTION', 'SYS_PAUSE']}),
  programCase(2, 'signals_ipc', 'signal_ipc_test', 'signals from the kernel: SIGCHLD with pid and status, SIGPIPE kills or gives -EPIPE, SIGSEGV caught with the faulting address and repaired, EINTR and SA_RESTART on pipe read, sleep and wait',
    ['signals', 'pipes', 'paging'], {
      syscalls: ['SYS_SIGACTION', 'SYS_SIGRETURN', 'SYS_ALARM', 'SYS_KILL', 'SYS_PIPE', 'SYS_READ', 'SYS_SLEEP', 'SYS_WAITPID', 'SYS_MPROTECT'],
      log: ['ok 11 wait_interrupted_eintr'],
    }),
  programCase(2, 'signals_forged_frame', 'signal_forge_test', 'sigreturn refuses forged frames (kernel selectors, kernel/non-canonical rip and rsp, IOPL/IF in rflags, reserved MXCSR, broken magic): the process dies with SIGSEGV, the kernel keeps running',
    ['signals'], {
      syscalls: ['SYS_SIGACTION', 'SYS_SIGRETURN'],
      log: ['sigreturn refused: bad segment selectors', 'sigreturn refused: kernel or non-canonical rip/rsp', 'sigreturn refused: bad rflags',
        'sigreturn refused: bad MXCSR in the saved SSE state', 'sigreturn refused: no signal frame at rsp', 'ok 12 kernel_keeps_running'],
    }),
  programCase(2, 'signals_load', 'signal_load_test', 'signals under load: 10,000 signals each way between two processes in strict alternation, each counted exactly once, free pages unchanged',
    ['signals'], {
      syscalls: ['SYS_KILL', 'SYS_SIGSUSPEND', 'SYS_SIGPROCMASK'],
      log: ['ok 1 parent_counted_each_signal_once', 'ok 2 child_counted_each_signal_once', 'ok 3 free_pages_unchanged'],
      timeoutSec: 300,
    }),
]
