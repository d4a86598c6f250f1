// `kos bench`: run the cases of test-suites/bench.ts in QEMU, one at a time
// (parallel guests would disturb each other's figures), and record their
// `# metric` diagnostics in bench.json. Speed never fails a benchmark; a
// benchmark that does not complete does.
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import type {CaseDef, CaseResult, RunResults} from '../suites/types.js'
import {InputError} from '../util/errors.js'
import {type BenchEntry, type BenchFile, benchEntriesFromResults, DEFAULT_BENCH_PATH, mergeBench} from './file.js'

export const BENCH_SUITE = 'test-suites/bench.ts'
/** The benchmark run's own results, kept apart from build/reports/results.json (which feeds the report). */
export const BENCH_RESULTS = 'build/reports/bench-results.json'

export class BenchError extends Error {}

export interface BenchDeps {
  loadCases(root: string): Promise<CaseDef[]>
  runCases(cases: readonly CaseDef[], opts: {repoRoot: string; jobs: number; timeoutSec?: number; onCaseDone?: (r: CaseResult) => void}): Promise<RunResults>
}

export interface BenchOptions {
  root: string
  /** Only these case ids (repeatable --case). */
  caseIds?: string[]
  timeoutSec?: number
  /** bench.json path relative to root (default build/reports/bench.json). */
  benchPath?: string
  onCaseDone?: (r: CaseResult) => void
}

export interface BenchOutcome {
  results: RunResults
  /** Figures recorded in this run. */
  entries: BenchEntry[]
  /** Benchmarks that did not complete or printed nothing; non-empty means the command fails. */
  problems: string[]
  /** Cases the runner skipped (e.g. needs root for TAP): no figure, not an error; their earlier figures are kept. */
  skipped: string[]
  file: BenchFile
  benchPath: string
}

/** Loads only test-suites/bench.ts through the runner's suite loader (phase files are not needed). */
export async function loadBenchCases(root: string): Promise<CaseDef[]> {
  const suiteDir = join(root, 'test-suites')
  if (!existsSync(join(root, BENCH_SUITE))) throw new BenchError(`${BENCH_SUITE} does not exist: no benchmark cases defined`)
  const others = readdirSync(suiteDir).filter((f) => f.endsWith('.ts') && f !== 'bench.ts')
  const {loadSuites} = await import('../suites/load.js')
  return loadSuites(root, 'test-suites', {exclude: others})
}

export async function defaultBenchDeps(): Promise<BenchDeps> {
  const {runCases} = await import('../suites/run.js')
  return {loadCases: loadBenchCases, runCases: (cases, opts) => runCases(cases, opts)}
}

export async function runBenchmarks(opts: BenchOptions, deps: BenchDeps): Promise<BenchOutcome> {
  const all = await deps.loadCases(opts.root)
  if (all.length === 0) throw new BenchError(`${BENCH_SUITE} defines no cases`)
  let cases = all
  if (opts.caseIds && opts.caseIds.length > 0) {
    // A benchmark is named by its case id or without the bench_ prefix (null_syscall: what bench.json calls it).
    const known = new Set(all.map((c) => c.id))
    const resolve = (id: string) => (known.has(id) ? id : known.has(`bench_${id}`) ? `bench_${id}` : null)
    const unknown = opts.caseIds.filter((id) => resolve(id) === null)
    if (unknown.length > 0) throw new InputError(`unknown benchmark case "${unknown[0]}" (have: ${[...known].join(', ')})`)
    const wanted = new Set(opts.caseIds.map(resolve))
    cases = all.filter((c) => wanted.has(c.id))
  }

  const results = await deps.runCases(cases, {repoRoot: opts.root, jobs: 1, timeoutSec: opts.timeoutSec, onCaseDone: opts.onCaseDone})
  const resultsPath = join(opts.root, BENCH_RESULTS)
  mkdirSync(dirname(resultsPath), {recursive: true})
  writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n')

  const {entries, problems, skipped} = benchEntriesFromResults(results)
  const benchPath = join(opts.root, opts.benchPath ?? DEFAULT_BENCH_PATH)
  // Figures that were measured are kept even when another benchmark failed.
  // Every case that ran replaces its old figures, so a benchmark that now fails leaves no stale number behind.
  const file = mergeBench(entries, {path: benchPath, root: opts.root, date: results.date, replaceIds: results.cases.filter((c) => c.status !== 'skip').map((c) => c.id)})
  return {results, entries, problems, skipped, file, benchPath}
}
