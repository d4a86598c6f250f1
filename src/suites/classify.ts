// One run -> exactly one status. Pure: takes what the run produced, returns the verdict.
import {collectKtapErrors, parseKtap, walkKtap} from '../ktap/parse.js'
import type {KtapDocument, KtapNode} from '../ktap/types.js'
import type {CaseDef, CaseStatus} from './types.js'

export const TAIL_LINES = 20
/** QEMU 7.2 logs two CPU resets while the machine starts; more mean the guest reset. */
export const STARTUP_CPU_RESETS = 2
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
  /** The -d cpu_reset log. */
  qemuLog: string
  /** QEMU's own stderr. */
  stderr: string
  /** Result of the host-side peer, when the case has one. */
  peer?: {ok: boolean; detail: string}
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

export function countCpuResets(qemuLog: string): number {
  return (qemuLog.match(/^CPU Reset/gm) ?? []).length
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

  if (run.timedOut) {
    return nonPass('timeout', `timed out after ${run.timeoutSec} s` + (lines.length === 0 ? ' (no serial output)' : ''))
  }
  const panic = lines.find((l) => l.includes('KERNEL PANIC:'))
  if (panic !== undefined) return nonPass('crash', panic.slice(panic.indexOf('KERNEL PANIC:')).trim())
  const resets = countCpuResets(run.qemuLog) - STARTUP_CPU_RESETS
  if (resets > 0) return nonPass('crash', `CPU reset (triple fault) seen ${resets} time(s) in the QEMU log`)
  if (run.exitCode === 0) return nonPass('crash', 'QEMU exited without the guest writing isa-debug-exit (triple fault under -no-reboot?)')
  if (run.exitCode === null) return nonPass('crash', `QEMU was killed by ${run.signal ?? 'a signal'}`)
  if (run.exitCode === EXIT_GUEST_PANIC) return nonPass('crash', 'guest exited with code 2 (panic) without a KERNEL PANIC line')
  if (doc.truncated) return nonPass('crash', 'KTAP output truncated: ' + (collectKtapErrors(ktap)[0] ?? 'unfinished tests'))

  if (run.peer && !run.peer.ok) return nonPass('fail', `peer: ${run.peer.detail}`)
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
