// `kos check`: the project's whole test command. Runs vitest (unit and
// integration tests), then `kos test` over the QEMU matrix, each as its own
// process so a crash in one cannot hide the other, and prints one total line.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {failedCount} from '../suites/status.js'
import type {RunSummary} from '../suites/types.js'

import {parseShard} from '../suites/select.js'

export interface CheckTotals {
  passed: number
  failed: number
  skipped: number
}

export interface CheckOptions {
  phases?: number[]
  /** "i/n": QEMU shard i of n; vitest runs in shard 1 only (CI runs the shards as parallel jobs). */
  shard?: string
  skipVitest?: boolean
  jobs?: number
  root?: string
}

function run(argv: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {cwd, stdio: 'inherit'})
    child.on('error', () => resolve(127))
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

interface VitestJson {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests?: number
  numTotalTests: number
}

/** Counts from vitest's JSON reporter; a missing or unreadable file counts as one failure. */
export function vitestTotals(file: string, exitCode: number): CheckTotals {
  if (!existsSync(file)) return {passed: 0, failed: 1, skipped: 0}
  const j = JSON.parse(readFileSync(file, 'utf8')) as VitestJson
  // A vitest run that failed outside any test (a suite that did not load) still fails.
  const failed = j.numFailedTests + (exitCode !== 0 && j.numFailedTests === 0 ? 1 : 0)
  return {passed: j.numPassedTests, failed, skipped: j.numPendingTests + (j.numTodoTests ?? 0)}
}

/** What a test that skips itself for a reason records, so the reason reaches the check's output
 * (vitest's JSON report keeps a test's meta but not its skip note). */
export const SKIP_REASON_META = 'skipReason'

/** "file: test: reason" of every skipped test that recorded its reason in its meta (SKIP_REASON_META). */
export function vitestSkipReasons(file: string, root: string): string[] {
  if (!existsSync(file)) return []
  const j = JSON.parse(readFileSync(file, 'utf8')) as {
    testResults?: Array<{name: string; assertionResults?: Array<{status?: string; fullName?: string; meta?: Record<string, unknown>}>}>
  }
  const out: string[] = []
  for (const f of j.testResults ?? []) {
    for (const a of f.assertionResults ?? []) {
      const reason = a.meta?.[SKIP_REASON_META]
      if (a.status !== 'passed' && a.status !== 'failed' && typeof reason === 'string') out.push(`${path.relative(root, f.name)}: ${a.fullName}: ${reason}`)
    }
  }
  return out
}

/** Counts from build/reports/results.json; a run that wrote none counts as one failure. */
export function qemuTotals(file: string, exitCode: number): CheckTotals {
  if (!existsSync(file)) return {passed: 0, failed: 1, skipped: 0}
  const s = (JSON.parse(readFileSync(file, 'utf8')) as {summary: RunSummary}).summary
  const failed = failedCount(s)
  return {passed: s.pass, failed: failed + (exitCode !== 0 && failed === 0 ? 1 : 0), skipped: s.skip}
}

export async function runCheck(opts: CheckOptions = {}): Promise<CheckTotals> {
  const root = opts.root ?? process.cwd()
  const reports = path.join(root, 'build', 'reports')
  mkdirSync(reports, {recursive: true})
  // Re-run this same CLI entry (bin/run.js, or bin/dev.js under tsx) for `kos test`.
  const self = [process.execPath, ...process.execArgv, process.argv[1]]
  const totals: CheckTotals = {passed: 0, failed: 0, skipped: 0}
  const add = (t: CheckTotals, what: string) => {
    totals.passed += t.passed
    totals.failed += t.failed
    totals.skipped += t.skipped
    console.log(`${what}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`)
  }

  // The build first: vitest's integration tests boot the kernel it makes.
  const buildCode = await run([...self, 'build'], root)
  if (buildCode !== 0) add({passed: 0, failed: 1, skipped: 0}, 'build')

  const shard = opts.shard === undefined ? undefined : parseShard(opts.shard)
  if (shard && shard.index !== 1) console.log(`vitest: runs in shard 1 of ${shard.count}, not in this one (${opts.shard})`)
  else if (!opts.skipVitest) {
    const out = path.join(reports, 'vitest.json')
    rmSync(out, {force: true})
    const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
    const code = await run(
      [process.execPath, vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`],
      root,
    )
    for (const line of vitestSkipReasons(out, root)) console.log(`vitest: skipped ${line}`)
    add(vitestTotals(out, code), 'vitest')
  }

  const results = path.join(reports, 'results.json')
  rmSync(results, {force: true})
  const sel = opts.phases?.length ? opts.phases.flatMap((p) => ['--phase', String(p)]) : ['--all']
  const jobs = opts.jobs ? ['--jobs', String(opts.jobs)] : []
  const shardArgs = opts.shard ? ['--shard', opts.shard] : []
  const code = await run([...self, 'test', ...sel, ...jobs, ...shardArgs, '--no-build'], root)
  add(qemuTotals(results, code), 'qemu')

  // The run's own report goes to build/reports/ (a report, not a test: its exit code does not
  // count). Only `kos report`, run on purpose at a commit, updates docs/PROGRESS.md: a test run
  // leaves the tree as it found it.
  if (existsSync(results)) {
    await run([...self, 'report', '--out', path.join(reports, 'PROGRESS.md'), '--json-out', path.join(reports, 'progress.json')], root)
  }

  // The closing line CI reads: plain, alone on its line.
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
  return totals
}
