// Is the committed progress report (docs/progress.json, the twin of
// docs/PROGRESS.md) generated from the tree as it is? `kos report` records a
// SHA-256 digest of every file that defines the report's rows; the check
// recomputes it from the files alone, so it needs no git history (a shallow
// CI clone has none) and names the files that changed.
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {filesMatching, listFiles} from '../tree.js'

/**
 * What defines the report besides results: the case matrix (test rows: the
 * suites and the case-makers they share, test-suites/lib/), the component list
 * and the original syscalls (component rows), the kernel's syscall list
 * (syscall rows) and the model that turns them into statuses.
 */
export const REPORT_INPUTS = ['test-suites/**/*.ts', 'src/report/components.ts', 'kernel/include/kos/syscalls.h', 'src/report/progress/model.ts']
export const COMMITTED_REPORT = 'docs/progress.json'
/** What to run when the committed report is stale. */
export const REGENERATE =
  'after a full `kos check` at this commit, run `kos report` (see README: kos bench && kos bench wasm && kos bench --vs linux && kos report) and commit docs/PROGRESS.md, docs/PROGRESS.es.md and docs/progress.json'

/** The inputs as docs/progress.json records them (generated.inputs). */
export interface InputDigest {
  /** The patterns the files were found by (REPORT_INPUTS when generated). */
  patterns: string[]
  /** sha256 over the sorted `path NUL sha256 NUL` pairs. */
  digest: string
  /** Each input file and the sha256 of its bytes, sorted by path. */
  files: Record<string, string>
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

/** Digest of the files under root that match the patterns (REPORT_INPUTS). */
export function reportInputs(root: string, patterns: readonly string[] = REPORT_INPUTS): InputDigest {
  const paths = filesMatching(listFiles(root), [...patterns]).sort()
  const files: Record<string, string> = {}
  for (const p of paths) files[p] = sha256(readFileSync(join(root, p)))
  return {patterns: [...patterns], digest: sha256(paths.map((p) => `${p}\0${files[p]}\0`).join('')), files}
}

export interface Freshness {
  fresh: boolean
  /** The digest docs/progress.json records (null: none) and the tree's. */
  recorded: string | null
  current: string
  /** Input files whose bytes differ, that are new or that are gone since the report was generated. */
  changed: string[]
  added: string[]
  removed: string[]
  /** Why it is stale and how to regenerate, for people. */
  problem?: string
}

export function reportFreshness(root: string, report = COMMITTED_REPORT, patterns: readonly string[] = REPORT_INPUTS): Freshness {
  const now = reportInputs(root, patterns)
  const stale = (f: Omit<Freshness, 'fresh' | 'current'>): Freshness => ({fresh: false, current: now.digest, ...f})
  let recorded: Partial<InputDigest> | undefined
  try {
    recorded = (JSON.parse(readFileSync(join(root, report), 'utf8')) as {generated?: {inputs?: InputDigest}}).generated?.inputs
  } catch (error) {
    return stale({recorded: null, changed: [], added: [], removed: [], problem: `${report}: ${(error as Error).message.split('\n')[0]}; ${REGENERATE}`})
  }
  if (!recorded || typeof recorded.digest !== 'string' || typeof recorded.files !== 'object' || recorded.files === null) {
    return stale({recorded: null, changed: [], added: [], removed: [], problem: `${report} records no digest of the report's inputs (generated.inputs): ${REGENERATE}`})
  }
  const before = recorded.files
  const changed = Object.keys(now.files).filter((p) => p in before && before[p] !== now.files[p])
  const added = Object.keys(now.files).filter((p) => !(p in before))
  const removed = Object.keys(before).filter((p) => !(p in now.files)).sort()
  if (recorded.digest === now.digest && changed.length + added.length + removed.length === 0) {
    return {fresh: true, recorded: recorded.digest, current: now.digest, changed, added, removed}
  }
  const what = [...changed.map((p) => `${p} (changed)`), ...added.map((p) => `${p} (new)`), ...removed.map((p) => `${p} (gone)`)]
  return stale({
    recorded: recorded.digest, changed, added, removed,
    problem: `${report} is stale: ${what.length ? what.join(', ') : 'its recorded digest does not match its file list'} since it was generated; ${REGENERATE}`,
  })
}
