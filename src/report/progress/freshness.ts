// Is the committed progress report (docs/progress.json, the twin of
// docs/PROGRESS.md) generated at or after the last change to what it reports
// on: the case matrix (test-suites/) and the component list?
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {git, shortCommit} from '../../util/git.js'

/** What a report row depends on besides results: a change here makes the committed report stale. */
export const REPORT_INPUTS = ['test-suites', 'src/report/components.ts']
export const COMMITTED_REPORT = 'docs/progress.json'

export interface Freshness {
  fresh: boolean
  /** The commit the committed report describes (null: none recorded). */
  reportCommit: string | null
  /** The last commit that changed REPORT_INPUTS (null: none, or not a git checkout). */
  lastChange: string | null
  /** Why it is stale, for people. */
  problem?: string
}

export function reportFreshness(root: string, report = COMMITTED_REPORT, inputs = REPORT_INPUTS): Freshness {
  let reportCommit: string | null = null
  try {
    reportCommit = (JSON.parse(readFileSync(join(root, report), 'utf8')) as {generated?: {commit?: string | null}}).generated?.commit ?? null
  } catch (error) {
    return {fresh: false, reportCommit: null, lastChange: null, problem: `${report}: ${(error as Error).message.split('\n')[0]}`}
  }
  const lastChange = git(root, ['log', '-1', '--format=%H', '--', ...inputs]) || null
  if (lastChange === null) return {fresh: false, reportCommit, lastChange, problem: `no git history for ${inputs.join(', ')} (a shallow clone?)`}
  if (reportCommit === null) return {fresh: false, reportCommit, lastChange, problem: `${report} names no commit`}
  // merge-base --is-ancestor prints nothing; git() gives '' on success and null on a non-zero exit.
  const fresh = git(root, ['merge-base', '--is-ancestor', lastChange, reportCommit]) !== null
  return fresh
    ? {fresh, reportCommit, lastChange}
    : {
        fresh, reportCommit, lastChange,
        problem: `${report} describes ${shortCommit(reportCommit)}, older than ${shortCommit(lastChange)}, the last change to ${inputs.join(' or ')}: ` +
          'after a full `kos check` at HEAD, run `kos report` and commit docs/PROGRESS.md and docs/progress.json',
      }
}
