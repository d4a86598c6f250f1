// Shared types: test-case definitions (test-suites/*.ts) and their results.
// These are the contract between the suite loader, the runner and the reports.
import type {KtapNode} from '../ktap/types.js'

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'timeout' | 'crash' | 'error'
export const CASE_STATUSES: CaseStatus[] = ['pass', 'fail', 'skip', 'timeout', 'crash', 'error']

/** What a guest must show besides passing KTAP (all must hold for a pass). */
export interface CaseExpect {
  /** Lines (substrings) that must appear in the serial log. */
  log?: string[]
  /** Expected final status; defaults to 'pass'. Harness self-tests use 'timeout' or 'crash'. */
  status?: CaseStatus
  /** Substring the crash reason must contain (e.g. the KERNEL PANIC text). */
  crashReason?: string
}

/** A host-side program that talks to the guest while the case runs. */
export interface PeerSpec {
  /** Peer name, resolved by src/suites/peers/index.ts. */
  name: string
  /** Free-form options for the peer. */
  options?: Record<string, unknown>
}

export interface CaseDef {
  /** Unique id, e.g. "elf_demo". */
  id: string
  phase: number
  title: string
  /** Report components this case proves (e.g. "elf-loader", "paging"). */
  components: string[]
  /** Syscall names this case covers (e.g. "SYS_WRITE"). */
  syscalls: string[]
  /** Machine profile name from qemu/ (e.g. "base", "e1000-user"). */
  profile: string
  /** Kernel command line passed with -append. */
  append: string
  /** Timeout in seconds (TCG: be generous). */
  timeoutSec: number
  expect?: CaseExpect
  peer?: PeerSpec
  /** Number of guests (lan-N profiles). */
  guests?: number
  /** Requires root / CAP_NET_ADMIN (TAP, netns). Skipped with the reason otherwise. */
  needsNetAdmin?: boolean
}

export interface CaseResult {
  id: string
  phase: number
  title: string
  components: string[]
  syscalls: string[]
  status: CaseStatus
  /** One-line reason for non-pass statuses (timeout, crash text, failed subtests, skip reason). */
  reason?: string
  durationMs: number
  /** Path of the serial log, relative to the repository root. */
  log: string
  /** Last serial lines (for timeouts and crashes). */
  tail?: string[]
  qemu: {argv: string[]; exitCode: number | null; signal?: string | null}
  ktap: KtapNode | null
  /** Metrics the guest printed as "# metric NAME VALUE [UNIT]" diagnostics. */
  metrics?: Record<string, number>
}

export interface RunSummary {
  pass: number
  fail: number
  skip: number
  timeout: number
  crash: number
  error: number
}

export interface RunResults {
  /** ISO date of the run. */
  date: string
  commit: string | null
  summary: RunSummary
  cases: CaseResult[]
}
