// The one git helper: which commit a run or report describes, and whether the
// tree had uncommitted changes. Commits are recorded as full hashes in every
// file (results.json, bench.json, progress.json); people see shortCommit().
import {execFileSync} from 'node:child_process'

export interface GitInfo {
  commit: string | null
  dirty: boolean | null
}

/** git's trimmed stdout, or null when git fails or this is no checkout. */
export function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  } catch {
    return null
  }
}

/** Full hash of HEAD; null outside a git checkout. */
export function headCommit(root: string): string | null {
  return git(root, ['rev-parse', 'HEAD']) || null
}

/** The form a commit is shown in: its first 12 hex digits. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 12)
}

/** Do two recorded commits name the same one (either may be abbreviated)? */
export function sameCommit(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a)
}

/**
 * HEAD commit (full) and dirty flag; nulls outside a git checkout. `ignore`
 * lists paths whose changes do not count (the report's own outputs, so
 * regenerating it does not make the next run "dirty").
 */
export function gitInfo(root: string, ignore: readonly string[] = []): GitInfo {
  const commit = headCommit(root)
  if (commit === null) return {commit: null, dirty: null}
  const status = git(root, ['status', '--porcelain', '--', '.', ...ignore.map((p) => `:(exclude)${p}`)])
  return {commit, dirty: status === null ? null : status !== ''}
}
