// The commit a report describes, and whether the tree had uncommitted changes.
import {execFileSync} from 'node:child_process'

export interface GitInfo {
  commit: string | null
  dirty: boolean | null
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
  } catch {
    return null
  }
}

/**
 * Short HEAD commit and dirty flag; nulls outside a git checkout. `ignore`
 * lists paths whose changes do not count (the report's own outputs, so
 * regenerating it does not make the next run "dirty").
 */
export function gitInfo(root: string, ignore: readonly string[] = []): GitInfo {
  const commit = git(root, ['rev-parse', '--short', 'HEAD'])
  if (commit === null) return {commit: null, dirty: null}
  const status = git(root, ['status', '--porcelain', '--', '.', ...ignore.map((p) => `:(exclude)${p}`)])
  return {commit, dirty: status === null ? null : status !== ''}
}
