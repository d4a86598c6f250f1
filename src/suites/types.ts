// Shared types: test-case definitions (test-suites/*.ts) and their results.
// These are the contract between the suite loader, the runner and the reports.
import type {KtapNode} from '../ktap/types.js'
import type {CaseStatus} from './status.js'

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
  /** Peer name, resolved by src/netlab/index.ts. */
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
  /** Injects faults with tc netem: skipped with the reason where the host kernel has no sch_netem. */
  needsNetem?: boolean
  /**
   * Boot the ISO instead of `-kernel`: build/iso/kos-ENTRY.iso (`kos image` with the
   * menu entry ENTRY as the default, no menu wait) under SeaBIOS (`-cdrom`) or OVMF.
   * `append` must be that entry's command line (it is what GRUB passes).
   */
  boot?: CaseBoot
}

export interface CaseBoot {
  firmware: 'bios' | 'uefi'
  entry: string
}

/** One symbolized return address of a kernel backtrace (src/suites/symbolize.ts). */
export interface BacktraceFrame {
  /** 0x-prefixed lowercase hex, as printed by the kernel. */
  addr: string
  /** Function name ("??" when unknown). */
  func: string
  /** Source file relative to the repository root ("??" when unknown). */
  file: string
  /** Source line (0 when unknown). */
  line: number
  /** Functions the inlined `func` sits in, innermost first. */
  inlinedInto?: string[]
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
  /** Profile the case booted with. */
  profile?: string
  /** 1-based run number when --repeat ran the case more than once. */
  attempt?: number
  /** When the case declares expect.status other than pass: did the run end that way? */
  expected?: {status: CaseStatus; met: boolean}
  /** The kernel's RIP/backtrace addresses from the serial log, symbolized when possible. */
  backtrace?: BacktraceFrame[]
  /** Why `backtrace` stayed raw addresses (no symbolizer, no kernel ELF). */
  backtraceNote?: string
  /** The host peer's verdict and findings, for a case with a peer (pass or fail). */
  peer?: PeerVerdict & {name: string}
  /** Every serial log of a case with several guests or lives (guest order, then life), relative to the repository root. */
  guestLogs?: string[]
  /** Guests the peer killed on purpose (churn): guest number, life, its log. Their verdicts do not count. */
  killed?: {guest: number; life: number; log: string}[]
  /** The overlay the guests' health monitors saw (src/report/overlay.ts), when they printed health lines. */
  overlay?: import('../report/overlay.js').Overlay
}

/** A host peer's verdict and what it measured and checked on its side of the wire. */
export interface PeerVerdict {
  ok: boolean
  /** One line for people (the case's reason when the peer failed it). */
  detail: string
  /** The peer's own figures and checks (counts, per-step results), as it recorded them. */
  findings?: Record<string, unknown>
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

/** What a host-side peer gets from the runner (src/netlab/index.ts: startPeer(spec, ctx)). */
export interface PeerContext {
  caseId: string
  /** Repository root (absolute). */
  repoRoot: string
  /** Serial log the guest is writing (absolute path), e.g. to wait for a "ready" line. */
  serialPath: string
  /** The build the guest boots, relative to repoRoot: build, or build/sanitize and build/coverage for kos test --sanitize/--coverage. */
  buildDir?: string
  /** Host ports forwarded to the guest (QEMU user networking), by name. */
  hostfwd?: Record<string, number>
  /** Network namespace the run created for this case. */
  netns?: string
  /** Placeholder values the peer wants in the profile's QEMU args (filled in before QEMU starts). */
  vars?: Record<string, string | number>
  /** The case's guests, to end and boot again (churn); every case gets it. */
  guests?: GuestControl
  /** How much slower the booted build runs than the normal one (RunCasesOptions.timeScale): the peer's timeouts scale by it. */
  timeScale?: number
}

/**
 * A LAN case's guests as its peer sees them (src/suites/run.ts makes it). A
 * guest killed on purpose does not count against the case; when it is booted
 * again (same command line, MAC and TAP device) that life's verdict counts.
 */
export interface GuestControl {
  count: number
  /** The serial log guest g (1-based) is writing in its current life. */
  serialPath(g: number): string
  /** SIGKILLs guest g's QEMU (a crash: no goodbye on the wire); resolves when it is gone. */
  kill(g: number): Promise<void>
  /** Boots killed guest g again; resolves with the new life's serial log once QEMU is started. */
  restart(g: number): Promise<string>
}

export interface Peer {
  /** Resolves when the peer is ready for the guest (QEMU is started after it). */
  ready: Promise<void>
  stop(): Promise<void>
  /**
   * The peer's verdict; a failed peer fails the case with `detail`. Absent for a helper
   * that only prepares the machine (user-port reserves a forwarded port) and checks
   * nothing: the verdict is then the guest's alone and results.json records no peer.
   */
  result?: Promise<PeerVerdict>
  /** Placeholder values for the profile's QEMU args (e.g. {hostPort}); read after `ready`. */
  vars?: Record<string, string | number>
  /** Command put before QEMU's argv, e.g. ["ip", "netns", "exec", NS] to run it inside the case's namespace. */
  qemuPrefix?: string[]
}

export type StartPeer = (spec: PeerSpec, ctx: PeerContext) => Peer | Promise<Peer>
