// Unit and integration test results from vitest's JSON reporter
// (build/reports/vitest.json, written by `kos check`), for the progress report.
import {isAbsolute, relative} from 'node:path'

import {readJsonFile} from '../util/json.js'

export const DEFAULT_VITEST_PATH = 'build/reports/vitest.json'

export interface VitestFile {
  file: string
  passed: number
  failed: number
  skipped: number
  /** The file failed without a failed test (it did not load or crashed). */
  loadError?: boolean
}

export interface VitestSummary {
  /** When the run started (ISO), from vitest's startTime. */
  date: string | null
  total: number
  passed: number
  failed: number
  skipped: number
  files: VitestFile[]
  /** "file: full test name" of every failed test. */
  failing: string[]
}

export class VitestFileError extends Error {}

/**
 * Where the checkout vitest ran in ends, for a run made in another checkout
 * (a CI clone): the files' longest common folder, cut before its last test/
 * (every vitest file lives under test/). Null when every file is under root.
 */
function otherCheckout(names: string[], root: string): string | null {
  const outside = names.filter((n) => isAbsolute(n) && relative(root, n).startsWith('..'))
  if (outside.length === 0) return null
  let prefix = outside[0].slice(0, outside[0].lastIndexOf('/') + 1)
  for (const n of outside) while (!n.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1)
  const k = prefix.lastIndexOf('/test/')
  return k >= 0 ? prefix.slice(0, k + 1) : prefix
}

/** Summarize vitest's JSON report; file paths are shown relative to root (or to the checkout the run was made in). */
export function parseVitestJson(value: unknown, root: string, path = 'vitest.json'): VitestSummary {
  const fail = (what: string): never => {
    throw new VitestFileError(`${path}: ${what}`)
  }
  if (typeof value !== 'object' || value === null) fail('not a JSON object')
  const v = value as Record<string, unknown>
  for (const k of ['numTotalTests', 'numPassedTests', 'numFailedTests'] as const) if (typeof v[k] !== 'number') fail(`"${k}" must be a number`)
  if (!Array.isArray(v.testResults)) fail('"testResults" must be an array')
  const files: VitestFile[] = []
  const failing: string[] = []
  const names = (v.testResults as Array<{name?: unknown}>).flatMap((t) => (typeof t?.name === 'string' ? [t.name] : []))
  const base = otherCheckout(names, root)
  for (const raw of v.testResults as unknown[]) {
    const t = raw as {name?: unknown; status?: unknown; message?: unknown; assertionResults?: unknown}
    if (typeof t?.name !== 'string') fail('a testResults entry has no "name"')
    const name = t.name as string
    const rel = !isAbsolute(name) ? name : base && name.startsWith(base) ? name.slice(base.length) : relative(root, name)
    const entry: VitestFile = {file: rel, passed: 0, failed: 0, skipped: 0}
    const asserts = Array.isArray(t.assertionResults) ? (t.assertionResults as Array<{status?: string; fullName?: string}>) : []
    for (const a of asserts) {
      if (a.status === 'passed') entry.passed++
      else if (a.status === 'failed') {
        entry.failed++
        failing.push(`${rel}: ${a.fullName ?? '?'}`)
      } else entry.skipped++
    }
    // A file that failed to load has no assertions but still failed.
    if (t.status === 'failed' && entry.failed === 0) entry.loadError = true
    if (entry.loadError) failing.push(`${rel}: ${String(t.message ?? 'failed to run').split('\n')[0]}`)
    files.push(entry)
  }
  const skipped = Number(v.numPendingTests ?? 0) + Number(v.numTodoTests ?? 0)
  return {
    date: typeof v.startTime === 'number' ? new Date(v.startTime).toISOString() : null,
    total: v.numTotalTests as number,
    passed: v.numPassedTests as number,
    failed: v.numFailedTests as number,
    skipped,
    files: files.sort((a, b) => a.file.localeCompare(b.file)),
    failing,
  }
}

export function readVitest(path: string, root: string): VitestSummary {
  const fail = (p: string, what: string): never => {
    throw new VitestFileError(`${p}: ${what}`)
  }
  return parseVitestJson(readJsonFile(path, 'run `kos check`', fail), root, path)
}
