import {Command, Flags} from '@oclif/core'
import os from 'node:os'
import {build} from '../builder/index.js'
import {type BuildVariant, buildDirOf, timeScaleOf} from '../builder/plan.js'
import {existsSync, statSync} from 'node:fs'
import path from 'node:path'
import {coverageReport, coverageSummary} from '../report/coverage.js'
import {DEFAULT_REPORT_DIR, formatDuration, readResults, writeResults} from '../report/results.js'
import {runLive} from '../suites/live.js'
import {loadSuites} from '../suites/load.js'
import {runCases} from '../suites/run.js'
import {resultFailed} from '../suites/status.js'
import {selectCases} from '../suites/select.js'
import type {CaseResult, RunResults} from '../suites/types.js'
import {EXIT_BAD_INPUT, EXIT_FAILED, exitWith, exitWithError} from '../util/errors.js'
import {findRepoRoot} from '../util/root.js'

export default class Test extends Command {
  static override description = 'Boot the test matrix in QEMU, parse the KTAP serial output and write results (build/reports/)'

  static override examples = [
    '<%= config.bin %> test --phase 1',
    '<%= config.bin %> test --all --jobs 2 --junit build/reports/junit.xml',
    '<%= config.bin %> test --case fork --repeat 5',
    '<%= config.bin %> test --suites test/fixtures/suites --no-build --json',
    '<%= config.bin %> test --sanitize --phase 1',
    '<%= config.bin %> test --coverage --case fork',
  ]

  static override flags = {
    phase: Flags.integer({description: 'run the cases of this phase (repeatable)', multiple: true, min: 0}),
    all: Flags.boolean({description: 'run every case', default: false}),
    case: Flags.string({description: 'run this case id (repeatable)', multiple: true}),
    grep: Flags.string({description: 'only cases whose id or title matches this regular expression'}),
    jobs: Flags.integer({description: 'parallel QEMU guests (default: number of CPUs)', min: 1}),
    shard: Flags.string({description: 'run shard i of n (1-based), e.g. 2/4'}),
    timeout: Flags.integer({description: 'override every case timeout (seconds)', min: 1}),
    repeat: Flags.integer({description: 'run each selected case N times', min: 1, default: 1}),
    junit: Flags.string({description: 'also write JUnit XML to this file'}),
    build: Flags.boolean({description: 'build first (--no-build to boot the existing build/)', default: true, allowNo: true}),
    suites: Flags.string({description: 'directory of suite files', default: 'test-suites'}),
    out: Flags.string({description: 'directory for results.json, junit.xml, summary.md and logs/ (relative to the repository root; default build/reports, build/reports/sanitize or build/reports/coverage)'}),
    sanitize: Flags.boolean({description: 'boot the UBSan build (build/sanitize/: kernel and user programs with -fsanitize=undefined; each finding is a KTAP failure)', default: false, exclusive: ['coverage']}),
    coverage: Flags.boolean({description: 'boot the coverage build (build/coverage/: clang source-based coverage of the kernel), merge every case\'s profile and write per-file and per-component figures and HTML to build/reports/coverage/', default: false, exclusive: ['sanitize']}),
  }

  // --json (oclif's): stdout carries only the results JSON, which run() returns; progress goes to stderr.
  static override enableJsonFlag = true

  async run(): Promise<RunResults | void> {
    const {flags} = await this.parse(Test)
    const json = this.jsonEnabled()
    const repoRoot = findRepoRoot()
    const say = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n')

    let results: RunResults
    const variant: BuildVariant | undefined = flags.sanitize ? 'sanitize' : flags.coverage ? 'coverage' : undefined
    const outDir = path.resolve(repoRoot, flags.out ?? (variant ? `${DEFAULT_REPORT_DIR}/${variant}` : DEFAULT_REPORT_DIR))
    // Shown and recorded relative to the repository when inside it.
    const shownOut = path.relative(repoRoot, outDir).startsWith('..') ? outDir : path.relative(repoRoot, outDir) || '.'
    try {
      if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new Error(`--out ${shownOut} is not a directory`)
      const all = await loadSuites(repoRoot, flags.suites, {exclude: flags.suites === 'test-suites' ? ['bench.ts'] : []})
      const cases = selectCases(all, {phases: flags.phase, all: flags.all, caseIds: flags.case, grep: flags.grep, shard: flags.shard})
      if (cases.length === 0) throw new Error('no cases selected')
      if (flags.build) {
        // A variant rebuilds the guest's programs only: the host programs its peers run
        // (build/host/p2p, p2pd, kos-wasm) come from the normal build, so that is built first.
        for (const v of variant ? [undefined, variant] : [undefined]) {
          const b = await build({root: repoRoot, plain: true, variant: v, log: (l) => process.stderr.write(l + '\n')})
          if (b.failed) throw new Error(`build failed (${b.summary})`)
        }
      }
      const jobs = flags.jobs ?? os.cpus().length
      const dir = buildDirOf(variant)
      const common = {
        repoRoot, jobs, timeoutSec: flags.timeout, timeScale: timeScaleOf(variant), repeat: flags.repeat, logDir: path.join(shownOut, 'logs'),
        kernel: `${dir}/kernel32.elf`, initrd: `${dir}/initrd.tar`,
        ...(variant === 'coverage' ? {profileDir: path.join(shownOut, 'profiles')} : {}),
      }
      // On a terminal a live view; in CI, in pipes and with --json one plain line per finished case.
      if (process.stdout.isTTY && !json && !process.env.CI) {
        let previous = null
        try {
          previous = readResults(path.join(outDir, 'results.json'))
        } catch {
          // No earlier run to estimate from.
        }
        results = await runLive(cases, flags.repeat, jobs, previous, (hooks) => runCases(cases, {...common, ...hooks}))
      } else {
        say(`running ${cases.length} case(s)${flags.repeat > 1 ? ` x${flags.repeat}` : ''} with ${jobs} job(s)`)
        results = await runCases(cases, {
          ...common,
          onCaseDone: (r) => say(`${r.status.padEnd(7)} ${r.id}${r.expected ? (r.expected.met ? ' (as expected)' : ` (expected ${r.expected.status})`) : ''}${r.attempt ? ` #${r.attempt}` : ''}  ${formatDuration(r.durationMs)}${r.reason ? `  ${r.reason}` : ''}`),
        })
      }
    } catch (error) {
      // These are problems with the input (flags, suites, build), not bugs.
      exitWithError(this, 'test', (error as Error).message, EXIT_BAD_INPUT)
      return
    }

    writeResults(results, {dir: outDir, junitPath: flags.junit})
    if (variant === 'coverage') {
      try {
        const cov = await coverageReport({
          root: repoRoot, profileDir: path.join(outDir, 'profiles'), object: path.join(repoRoot, buildDirOf('coverage'), 'kernel.elf'), outDir,
          cases: results.cases.map((c) => ({id: c.id, components: c.components})),
        })
        for (const l of coverageSummary(cov)) say(l)
      } catch (error) {
        exitWithError(this, 'test', `coverage: ${(error as Error).message}`, EXIT_FAILED)
        return results
      }
    }
    if (!json) {
      say('')
      say(table(results.cases))
      const s = results.summary
      say(`${s.pass} passed, ${s.fail} failed, ${s.skip} skipped, ${s.timeout} timed out, ${s.crash} crashed, ${s.error} errors`)
      say(`results: ${path.join(shownOut, 'results.json')}, ${path.join(shownOut, 'summary.md')}, logs in ${path.join(shownOut, 'logs')}/`)
    }
    // A failed case makes the exit status 1; the results are printed either way.
    if (results.cases.some((c) => resultFailed(c))) exitWith(this, EXIT_FAILED)
    return results
  }
}

function table(cases: CaseResult[]): string {
  const status = (c: CaseResult) => (c.expected ? `${c.status} (${c.expected.met ? 'as expected' : `expected ${c.expected.status}`})` : c.status)
  const rows = cases.map((c) => [c.id + (c.attempt ? ` #${c.attempt}` : ''), status(c), formatDuration(c.durationMs), c.reason ?? ''])
  const head = ['case', 'status', 'duration', 'reason']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (r: string[]) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
