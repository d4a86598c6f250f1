// The live view of `kos test` on a terminal (listr2, as `kos build` uses): the
// cases running now with their phase and elapsed time, passed/failed so far,
// and an estimate of the time left from the last run's durations. CI and
// --json get the plain lines instead (src/commands/test.ts).
import {Listr} from 'listr2'

import {formatDuration} from '../report/results.js'
import {isFailing} from './status.js'
import type {CaseDef, CaseResult, RunResults} from './types.js'

export interface LiveState {
  total: number
  jobs: number
  /** Run label (case id, plus " #N" under --repeat) -> when it started (ms), for the runs going on now. */
  running: Map<string, {phase: number; since: number}>
  done: CaseResult[]
  /** Case id -> its duration in the last recorded run (ms). */
  last: Map<string, number>
  /** Cases not started yet. */
  waiting: CaseDef[]
}

/**
 * Seconds left: what the waiting cases took last time plus what the running ones
 * still need, spread over the jobs. A case never seen before counts as the
 * median of the known ones; null when nothing is known.
 */
export function etaSeconds(s: LiveState, now: number): number | null {
  const known = [...s.last.values()].sort((a, b) => a - b)
  if (known.length === 0) return null
  const typical = known[Math.floor(known.length / 2)]
  const of = (id: string) => s.last.get(id) ?? typical
  let ms = s.waiting.reduce((n, c) => n + of(c.id), 0)
  for (const [label, r] of s.running) ms += Math.max(0, of(label.split(' #')[0]) - (now - r.since))
  return Math.ceil(ms / Math.max(1, s.jobs) / 1000)
}

/** The lines under the task title: one per running case, then the counts and the estimate. */
export function liveText(s: LiveState, now: number): string {
  const lines = [...s.running].map(([id, r]) => `phase ${r.phase}  ${id}  ${formatDuration(now - r.since)}`)
  const failed = s.done.filter((r) => isFailing(r.status)).length
  const eta = etaSeconds(s, now)
  lines.push(`${s.done.length - failed} passed or skipped, ${failed} failed, ${s.done.length} of ${s.total} done${eta === null ? '' : `, about ${formatDuration(eta * 1000)} left`}`)
  return lines.join('\n')
}

export interface LiveHooks {
  onCaseStart: (c: CaseDef, attempt: number) => void
  onCaseDone: (r: CaseResult) => void
}

/** Runs `run` under a listr2 view fed by its hooks; resolves with what run resolved. */
export async function runLive(cases: readonly CaseDef[], repeat: number, jobs: number, previous: RunResults | null, run: (hooks: LiveHooks) => Promise<RunResults>): Promise<RunResults> {
  const s: LiveState = {
    total: cases.length * repeat, jobs, running: new Map(), done: [],
    last: new Map((previous?.cases ?? []).map((c) => [c.id, c.durationMs])),
    waiting: cases.flatMap((c) => Array.from({length: repeat}, () => c)),
  }
  let results: RunResults | undefined
  let failure: unknown
  const label = (id: string, attempt: number | undefined) => (repeat > 1 ? `${id} #${attempt}` : id)
  await new Listr([{
    title: `kos test (${s.total} case runs, ${jobs} jobs)`,
    task: async (_ctx, task) => {
      const timer = setInterval(() => { task.output = liveText(s, Date.now()) }, 1000)
      try {
        results = await run({
          onCaseStart: (c, attempt) => {
            s.waiting.splice(s.waiting.indexOf(c), 1)
            s.running.set(label(c.id, attempt), {phase: c.phase, since: Date.now()})
            task.output = liveText(s, Date.now())
          },
          onCaseDone: (r) => {
            s.running.delete(label(r.id, r.attempt))
            s.done.push(r)
            task.output = liveText(s, Date.now())
          },
        })
      } catch (error) {
        failure = error
        throw error
      } finally {
        clearInterval(timer)
      }
      const failed = s.done.filter((r) => isFailing(r.status)).length
      task.title = `kos test: ${s.done.length - failed} of ${s.total} passed or skipped, ${failed} failed`
    },
    rendererOptions: {bottomBar: Infinity},
  }], {renderer: 'default', exitOnError: false, rendererOptions: {collapseErrors: true}}).run()
  if (failure !== undefined) throw failure
  if (!results) throw new Error('the run did not finish')
  return results
}
