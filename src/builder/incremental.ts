// When does a build step run? A pure decision plus the depfile parser and the
// persisted per-step command hashes (build/.kos-build-state.json).
import {createHash} from 'node:crypto'
import {readFileSync, renameSync, statSync, writeFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'

export interface FileStamp {
  path: string
  /** undefined when the file does not exist. */
  mtimeMs: number | undefined
}

export interface RebuildQuery {
  outputs: FileStamp[]
  /** Declared inputs plus every file the step's depfile lists. */
  inputs: FileStamp[]
  cmdHash: string
  /** Hash recorded by the last successful run; undefined if never run. */
  prevCmdHash: string | undefined
  /** A step this one depends on ran in this build. */
  upstreamRan: boolean
  /** The step declares a depfile but it is missing (e.g. the last run was interrupted). */
  depfileMissing?: boolean
}

export interface RebuildDecision {
  rebuild: boolean
  reason: string
}

export function decideRebuild(q: RebuildQuery): RebuildDecision {
  const missingOut = q.outputs.find((o) => o.mtimeMs === undefined)
  if (missingOut) return {rebuild: true, reason: `output ${missingOut.path} missing`}
  if (q.prevCmdHash === undefined) return {rebuild: true, reason: 'no record of a previous run'}
  if (q.prevCmdHash !== q.cmdHash) return {rebuild: true, reason: 'command line changed'}
  if (q.depfileMissing) return {rebuild: true, reason: 'depfile missing'}
  if (q.upstreamRan) return {rebuild: true, reason: 'an input step ran'}
  // Compare against the oldest output: a step with several outputs is only up to date if all are.
  const oldestOut = Math.min(...q.outputs.map((o) => o.mtimeMs as number))
  for (const i of q.inputs) {
    if (i.mtimeMs === undefined) return {rebuild: true, reason: `input ${i.path} missing`}
    if (i.mtimeMs > oldestOut) return {rebuild: true, reason: `${i.path} is newer`}
  }
  return {rebuild: false, reason: 'up to date'}
}

/** Parses a make-style depfile (clang -MMD): returns the prerequisites of all rules. */
export function parseDepfile(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ')
  const deps: string[] = []
  for (const line of joined.split(/\r?\n/)) {
    // The target ends at the first ':' that is followed by whitespace or end of line.
    const m = /^(.*?[^\\]):(?:\s|$)/.exec(line)
    if (!m) continue
    const rest = line.slice(m[0].length)
    // Split on unescaped whitespace; "\ " is a space inside a file name.
    let cur = ''
    for (let i = 0; i < rest.length; i++) {
      const ch = rest[i]
      if (ch === '\\' && rest[i + 1] === ' ') {
        cur += ' '
        i++
      } else if (ch === ' ' || ch === '\t') {
        if (cur) deps.push(cur)
        cur = ''
      } else cur += ch
    }
    if (cur) deps.push(cur)
  }
  return [...new Set(deps.map((d) => d.replaceAll('$$', '$')))]
}

export function hashCommand(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)
}

export function stamp(file: string): FileStamp {
  try {
    return {path: file, mtimeMs: statSync(file).mtimeMs}
  } catch {
    return {path: file, mtimeMs: undefined}
  }
}

export interface BuildState {
  version: 1
  steps: Record<string, {cmdHash: string}>
}

export function loadState(file: string): BuildState {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as BuildState
    if (s.version === 1 && s.steps && typeof s.steps === 'object') return s
  } catch {
    // missing or corrupt: everything rebuilds
  }
  return {version: 1, steps: {}}
}

export function saveState(file: string, state: BuildState): void {
  mkdirSync(path.dirname(file), {recursive: true})
  // Written whole or not at all: a torn file would only cost a full rebuild, but why pay it.
  writeFileSync(file + '.tmp', JSON.stringify(state, null, 1) + '\n')
  renameSync(file + '.tmp', file)
}
