// Case statuses: the one place that says which there are, which is worse than
// which, and which fail a run. The runner, results files, JUnit, the progress
// report and `kos check` all decide through these functions.
import type {CaseResult, RunSummary} from './types.js'

export type CaseStatus = 'pass' | 'fail' | 'skip' | 'timeout' | 'crash' | 'error'
/** Every status, in the order summaries print them. */
export const CASE_STATUSES: readonly CaseStatus[] = ['pass', 'fail', 'skip', 'timeout', 'crash', 'error']

/**
 * Worst first. A crash (the kernel died) says most about a run, then a timeout
 * (it hung), then a harness error (it could not be judged), then a plain fail.
 * The worst guest of a LAN case and the worst attempt of a repeated case are
 * the ones reported.
 */
export const SEVERITY: readonly CaseStatus[] = ['crash', 'timeout', 'error', 'fail', 'skip', 'pass']

/** Statuses that fail a run: anything that ran and did not pass. A skip does not. */
const FAILING: ReadonlySet<CaseStatus> = new Set(['fail', 'timeout', 'crash', 'error'])

export function isFailing(status: CaseStatus): boolean {
  return FAILING.has(status)
}

/** The item whose status is the worst (the first of equals). */
export function worstOf<T>(items: readonly T[], status: (item: T) => CaseStatus): T {
  if (items.length === 0) throw new Error('worstOf: no items')
  return items.reduce((w, x) => (SEVERITY.indexOf(status(x)) < SEVERITY.indexOf(status(w)) ? x : w))
}

/**
 * The verdict a report shows for one result. A case that declares another
 * outcome (expect.status, e.g. the harness's own timeout and crash tests)
 * passes when it ended that way and fails when it did not; the raw status
 * stays in the reason. Skips and harness errors are kept as they are.
 */
export function effectiveResult(c: CaseResult): CaseResult {
  if (!c.expected || c.status === 'skip' || c.status === 'error') return c
  const detail = c.reason ? `: ${c.reason}` : ''
  if (c.expected.met) return {...c, status: 'pass', reason: `${c.status} as expected${detail}`}
  return {...c, status: 'fail', reason: `expected ${c.expected.status}, got ${c.status}${detail}`}
}

/** Did this result fail the run (judged on its effective status)? */
export function resultFailed(r: CaseResult): boolean {
  return isFailing(effectiveResult(r).status)
}

/** Counts of effective statuses. */
export function summarize(cases: readonly CaseResult[]): RunSummary {
  const summary: RunSummary = {pass: 0, fail: 0, skip: 0, timeout: 0, crash: 0, error: 0}
  for (const c of cases) summary[effectiveResult(c).status]++
  return summary
}

/** How many cases of a summary failed the run. */
export function failedCount(s: RunSummary): number {
  return CASE_STATUSES.filter(isFailing).reduce((n, st) => n + s[st], 0)
}
