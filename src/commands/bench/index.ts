import {Command, Flags} from '@oclif/core'

import {type BenchEntry, BenchFileError, benchTable} from '../../bench/file.js'
import type {VsLinuxRow} from '../../bench/linux.js'
import {BenchError, defaultBenchDeps, runBenchmarks} from '../../bench/run.js'
import {EXIT_BAD_INPUT, EXIT_FAILED, exitWith, exitWithError, InputError} from '../../util/errors.js'
import {findRepoRoot} from '../../util/root.js'

/** What `kos bench --json` prints. */
export interface BenchJson {
  date: string
  commit: string | null
  benchmarks: BenchEntry[]
  problems: string[]
  skipped: string[]
}
/** What `kos bench --vs linux --json` prints. */
export interface VsLinuxJson {
  kernel: string
  rows: VsLinuxRow[]
}

export default class Bench extends Command {
  static override description =
    'Run the benchmark cases of test-suites/bench.ts in QEMU, one at a time, and record their "# metric" figures in build/reports/bench.json (figures are never pass/fail; a benchmark that does not complete is an error)'

  static override examples = [
    '<%= config.bin %> bench',
    '<%= config.bin %> bench --case null_syscall --json',
    '<%= config.bin %> bench --case bench_pipe_throughput --no-build',
    '<%= config.bin %> bench --vs linux --rounds 3',
  ]

  static override flags = {
    case: Flags.string({description: 'only this benchmark case (repeatable)', multiple: true}),
    timeout: Flags.integer({description: 'override every case timeout (seconds)', min: 1}),
    'no-build': Flags.boolean({description: 'do not run `kos build` first', default: false}),
    vs: Flags.string({
      description: 'run the benchmarks that have a Linux counterpart on kos and on Debian\'s Linux kernel (linux-image-amd64, busybox-static initramfs) in the same QEMU, rounds alternating, and record medians and kos/Linux ratios',
      options: ['linux'],
    }),
    rounds: Flags.integer({description: 'with --vs linux: rounds of kos then Linux; the median is kept', min: 1, default: 3}),
  }

  // --json (oclif's): stdout carries only the figures, which run() returns; progress goes to stderr.
  static override enableJsonFlag = true

  async run(): Promise<BenchJson | VsLinuxJson | void> {
    const {flags} = await this.parse(Bench)
    const json = this.jsonEnabled()
    let outcome
    try {
      const root = findRepoRoot()
      if (!flags['no-build']) {
        const {build} = await import('../../builder/index.js')
        // Build output goes to stderr so --json keeps stdout clean.
        const built = await build({root, plain: true, log: (line) => process.stderr.write(line + '\n')})
        if (built.failed) {
          exitWithError(this, 'bench', 'build failed; no benchmark ran', EXIT_FAILED)
          return
        }
      }
      if (flags.vs === 'linux') {
        if (flags.case) throw new InputError('--case and --vs linux do not go together: --vs linux runs the benchmarks that have a Linux counterpart')
        const {runVsLinux, vsLinuxTable} = await import('../../bench/linux.js')
        const vs = await runVsLinux(
          {root, rounds: flags.rounds, timeoutSec: flags.timeout, log: (line) => process.stderr.write(line + '\n')},
          await defaultBenchDeps(),
        )
        if (!json) this.log(vsLinuxTable(vs.rows).trimEnd() + `\nLinux: ${vs.kernel}\nrecorded in ${vs.benchPath}`)
        return {kernel: vs.kernel, rows: vs.rows}
      }
      outcome = await runBenchmarks(
        {
          root,
          caseIds: flags.case,
          timeoutSec: flags.timeout,
          onCaseDone: (r) => process.stderr.write(`${r.id}: ${r.status}${r.reason ? ` (${r.reason})` : ''}\n`),
        },
        await defaultBenchDeps(),
      )
    } catch (error) {
      const bad = error instanceof InputError || error instanceof BenchFileError
      if (bad || error instanceof BenchError || (error instanceof Error && ['SuiteError', 'RunError', 'SelectionError'].includes(error.constructor.name))) {
        exitWithError(this, 'bench', (error as Error).message, bad ? EXIT_BAD_INPUT : EXIT_FAILED)
        return
      }
      throw error
    }

    if (!json) {
      this.log(outcome.entries.length > 0 ? benchTable(outcome.entries).trimEnd() : 'no figures recorded')
      this.log(`recorded in ${outcome.benchPath}`)
    }
    for (const s of outcome.skipped) process.stderr.write(`note: ${s}\n`)
    for (const p of outcome.problems) process.stderr.write(`error: ${p}\n`)
    if (outcome.problems.length > 0) exitWith(this, EXIT_FAILED)
    return {date: outcome.results.date, commit: outcome.file.commit, benchmarks: outcome.entries, problems: outcome.problems, skipped: outcome.skipped}
  }
}
