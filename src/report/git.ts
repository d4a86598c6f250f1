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

/** Short HEAD commit and dirty flag; nulls outside a git checkout. */
export function gitInfo(root: string): GitInfo {
  const commit = git(root, ['rev-parse', '--short', 'HEAD'])
  if (commit === null) return {commit: null, dirty: null}
  const status = git(root, ['status', '--porcelain'])
  return {commit, dirty: status === null ? null : status !== ''}
}
