// One run -> exactly one status. Pure: takes what the run produced, returns the verdict.
import {collectKtapErrors, parseKtap, walkKtap} from '../ktap/parse.js'
import type {KtapDocument, KtapNode} from '../ktap/types.js'
import type {CaseStatus} from './status.js'
import type {CaseDef} from './types.js'

export const TAIL_LINES = 20
/**
 * What the verdict rests on is the same in every QEMU release: the kernel's own boot
 * line (printed once per boot, first thing in kmain), the isa-debug-exit code, QEMU's
 * exit status under -no-reboot (0 after a guest reset or power-off) and the
 * "Triple fault" line TCG writes to the -d cpu_reset log. How many CPU resets QEMU
 * logs while the machine starts differs between releases and is not looked at.
 */
export const BOOT_MARKER = 'kos: booting'
/** TCG's -d cpu_reset line for a triple fault (target/i386 check_exception). */
export const TRIPLE_FAULT_LOG_LINE = /^Triple fault\s*$/m
/** isa-debug-exit: guest value v -> QEMU exit code (v << 1) | 1. */
export const EXIT_GUEST_PASS = 1
export const EXIT_GUEST_FAIL = 3
export const EXIT_GUEST_PANIC = 5

export interface RunOutcome {
  /** The harness decided not to run the case (reason). */
  harnessSkip?: string
  /** QEMU could not be started. */
  spawnError?: string
  exitCode: number | null
  signal?: string | null
  timedOut: boolean
  timeoutSec: number
  /** Everything the guest wrote to the serial port. */
  serial: string
  /** The -d cpu_reset log (only its "Triple fault" lines are read). */
  qemuLog: string
  /** QEMU's own stderr. */
  stderr: string
}

export interface Verdict {
  status: CaseStatus
  reason?: string
  tail?: string[]
  ktap: KtapNode | null
  metrics?: Record<string, number>
}

const METRIC_RE = /^metric\s+(\S+)\s+(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\s+\S+)?\s*$/i

export function extractMetrics(root: KtapNode): Record<string, number> {
  const metrics: Record<string, number> = {}
  const take = (n: KtapNode) => {
    for (const d of n.diagnostics) {
      const m = METRIC_RE.exec(d)
      if (m) metrics[m[1]] = Number(m[2])
    }
  }
  take(root)
  walkKtap(root, take)
  return metrics
}

export function serialLines(serial: string): string[] {
  const lines = serial.replace(/\r\n?/g, '\n').split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

/** How many times the kernel started in this run (its boot line at the start of a serial line). */
export function countBoots(lines: string[]): number {
  return lines.filter((l) => l.startsWith(BOOT_MARKER)).length
}

function failedTests(root: KtapNode): string[] {
  const out: string[] = []
  const rec = (n: KtapNode, path: string) => {
    for (const c of n.subtests) {
      const p = path ? `${path}.${c.name}` : c.name
      if (c.ok === false && c.directive !== 'TODO') {
        // Report the deepest failures: they say what actually broke.
        const deeper = c.subtests.some((s) => s.ok === false && s.directive !== 'TODO')
        if (deeper) rec(c, p)
        else out.push(p)
      }
    }
  }
  rec(root, '')
  return out
}

export function classifyRun(def: Pick<CaseDef, 'expect'>, run: RunOutcome): Verdict {
  if (run.harnessSkip !== undefined) return {status: 'skip', reason: run.harnessSkip, ktap: null}

  const lines = serialLines(run.serial)
  const tail = lines.slice(-TAIL_LINES)
  const firstStderr = run.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '')
  if (run.spawnError !== undefined) return {status: 'error', reason: `QEMU did not start: ${run.spawnError}`, tail, ktap: null}
  // QEMU's own startup errors also exit 1 (like a guest pass): what tells them apart is that no serial output came.
  if (!run.timedOut && lines.length === 0 && firstStderr !== undefined && run.exitCode !== 0) {
    return {status: 'error', reason: `QEMU failed: ${firstStderr}`, tail: run.stderr.split('\n').filter(Boolean).slice(-TAIL_LINES), ktap: null}
  }

  const doc: KtapDocument = parseKtap(run.serial)
  const ktap = doc.root
  const metrics = extractMetrics(ktap)
  const withMetrics = (v: Verdict): Verdict => (Object.keys(metrics).length > 0 ? {...v, metrics} : v)
  const nonPass = (status: CaseStatus, reason: string) => withMetrics({status, reason, tail, ktap})

  const boots = countBoots(lines)
  // Only -no-reboot stands between a reset and a second boot; if one got through, say so.
  if (boots > 1) return nonPass('crash', `the guest rebooted: the kernel's boot line "${BOOT_MARKER}" came ${boots} times`)
  if (run.timedOut) {
    const where = lines.length === 0 ? ' (no serial output)' : boots === 0 ? ' (the kernel never started: no boot line)' : ''
    return nonPass('timeout', `timed out after ${run.timeoutSec} s${where}`)
  }
  const panic = lines.find((l) => l.includes('KERNEL PANIC:'))
  if (panic !== undefined) return nonPass('crash', panic.slice(panic.indexOf('KERNEL PANIC:')).trim())
  if (TRIPLE_FAULT_LOG_LINE.test(run.qemuLog)) return nonPass('crash', 'triple fault (QEMU logged "Triple fault" and reset the machine)')
  if (run.exitCode === 0) {
    return nonPass('crash', boots === 0
      ? 'QEMU exited 0 before the kernel started (firmware or boot loader reset or powered off the machine)'
      : 'the guest reset or powered off without writing isa-debug-exit (a triple fault under -no-reboot?)')
  }
  if (run.exitCode === null) return nonPass('crash', `QEMU was killed by ${run.signal ?? 'a signal'}`)
  if (run.exitCode === EXIT_GUEST_PANIC) return nonPass('crash', 'guest exited with code 2 (panic) without a KERNEL PANIC line')
  if (doc.truncated) return nonPass('crash', 'KTAP output truncated: ' + (collectKtapErrors(ktap)[0] ?? 'unfinished tests'))

  if (boots === 0) return nonPass('fail', `the kernel's boot line "${BOOT_MARKER}" never came (QEMU exit ${run.exitCode}): whatever ran was not this kernel`)
  if (doc.missingVersion) return nonPass('fail', `no KTAP output (QEMU exit ${run.exitCode})`)
  const failed = failedTests(ktap)
  if (failed.length > 0) return nonPass('fail', `not ok: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ` (+${failed.length - 5} more)` : ''}`)
  const errors = collectKtapErrors(ktap)
  if (errors.length > 0) return nonPass('fail', `KTAP: ${errors[0]}`)
  const missing = (def.expect?.log ?? []).filter((want) => !run.serial.includes(want))
  if (missing.length > 0) return nonPass('fail', `expected log line not seen: ${missing.map((m) => JSON.stringify(m)).join(', ')}`)
  if (run.exitCode === EXIT_GUEST_FAIL) return nonPass('fail', 'guest reported failure (exit code 1) although every KTAP result was ok')
  if (run.exitCode !== EXIT_GUEST_PASS) return nonPass('fail', `unexpected QEMU exit code ${run.exitCode}`)
  if (ktap.subtests.length === 0) return nonPass('fail', 'KTAP plan ran no tests')
  if (ktap.subtests.every((t) => t.directive === 'SKIP')) {
    const reasons = [...new Set(ktap.subtests.map((t) => t.directiveReason ?? 'no reason given'))]
    return nonPass('skip', reasons.join('; '))
  }
  return withMetrics({status: 'pass', ktap})
}
