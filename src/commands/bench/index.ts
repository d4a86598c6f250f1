import {Command, Flags} from '@oclif/core'

import {BenchFileError, benchTable} from '../../bench/file.js'
import {BenchError, defaultBenchDeps, runBenchmarks} from '../../bench/run.js'
import {EXIT_BAD_INPUT, EXIT_FAILED, InputError} from '../../util/errors.js'
import {findRepoRoot} from '../../util/root.js'

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
    json: Flags.boolean({description: 'print the recorded figures as JSON on stdout', default: false}),
    timeout: Flags.integer({description: 'override every case timeout (seconds)', min: 1}),
    'no-build': Flags.boolean({description: 'do not run `kos build` first', default: false}),
    vs: Flags.string({
      description: 'run the benchmarks that have a Linux counterpart on kos and on Debian\'s Linux kernel (linux-image-amd64, busybox-static initramfs) in the same QEMU, rounds alternating, and record medians and kos/Linux ratios',
      options: ['linux'],
    }),
    rounds: Flags.integer({description: 'with --vs linux: rounds of kos then Linux; the median is kept', min: 1, default: 3}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Bench)
    let outcome
    try {
      const root = findRepoRoot()
      if (!flags['no-build']) {
        const {build} = await import('../../builder/index.js')
        // Build output goes to stderr so --json keeps stdout clean.
        const built = await build({root, plain: true, log: (line) => process.stderr.write(line + '\n')})
        if (built.failed) {
          process.stderr.write('kos bench: build failed; no benchmark ran\n')
          return this.exit(EXIT_FAILED)
        }
      }
      if (flags.vs === 'linux') {
        if (flags.case) throw new InputError('--case and --vs linux do not go together: --vs linux runs the benchmarks that have a Linux counterpart')
        const {runVsLinux, vsLinuxTable} = await import('../../bench/linux.js')
        const vs = await runVsLinux(
          {root, rounds: flags.rounds, timeoutSec: flags.timeout, log: (line) => process.stderr.write(line + '\n')},
          await defaultBenchDeps(),
        )
        if (flags.json) process.stdout.write(JSON.stringify({kernel: vs.kernel, rows: vs.rows}, null, 2) + '\n')
        else this.log(vsLinuxTable(vs.rows).trimEnd() + `\nLinux: ${vs.kernel}\nrecorded in ${vs.benchPath}`)
        return
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
        // One line without a stack, in development mode too.
        process.stderr.write(`kos bench: ${(error as Error).message.split('\n')[0]}\n`)
        return this.exit(bad ? EXIT_BAD_INPUT : EXIT_FAILED)
      }
      throw error
    }

    if (flags.json) {
      process.stdout.write(JSON.stringify({date: outcome.results.date, commit: outcome.file.commit, benchmarks: outcome.entries, problems: outcome.problems, skipped: outcome.skipped}, null, 2) + '\n')
    } else {
      this.log(outcome.entries.length > 0 ? benchTable(outcome.entries).trimEnd() : 'no figures recorded')
      this.log(`recorded in ${outcome.benchPath}`)
    }
    for (const s of outcome.skipped) process.stderr.write(`note: ${s}\n`)
    for (const p of outcome.problems) process.stderr.write(`error: ${p}\n`)
    if (outcome.problems.length > 0) this.exit(EXIT_FAILED)
  }
}
