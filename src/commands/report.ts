import {Command, Flags} from '@oclif/core'
import {existsSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {BenchFileError} from '../bench/file.js'
import {CoverageFileError} from '../report/coverage.js'
import {COMMITTED_REPORT, REPORT_INPUTS, reportFreshness} from '../report/progress/freshness.js'
import {generateProgress} from '../report/progress/index.js'
import {REPORT_LANGS} from '../report/progress/markdown.js'
import {ResultsFileError} from '../report/results.js'
import {VitestFileError} from '../report/vitest.js'
import type {CaseDef} from '../suites/types.js'
import {warn} from '../util/log.js'
import {EXIT_BAD_INPUT, EXIT_FAILED} from '../util/errors.js'
import {findRepoRoot} from '../util/root.js'

export default class Report extends Command {
  static override description =
    'Regenerate docs/PROGRESS.md, docs/PROGRESS.es.md and docs/progress.json from test results, benchmark figures and the source tree'

  static override examples = [
    '<%= config.bin %> report',
    '<%= config.bin %> report --lang es',
    '<%= config.bin %> report --check',
    '<%= config.bin %> report --results shard1/results.json --results shard2/results.json --bench build/reports/bench.json',
  ]

  static override flags = {
    results: Flags.string({description: 'results.json of a run (repeatable: sharded or per-phase runs are merged; default build/reports/results.json)', multiple: true}),
    bench: Flags.string({description: 'bench.json (default build/reports/bench.json when present)'}),
    vitest: Flags.string({description: "vitest's JSON report (default build/reports/vitest.json when present, written by `kos check`)"}),
    coverage: Flags.string({description: 'coverage.json of `kos test --coverage` (default build/reports/coverage/coverage.json when present); without one, no component with guest C code (kernel or user programs) is done'}),
    out: Flags.string({description: 'Markdown report to write (default docs/PROGRESS.md)'}),
    'json-out': Flags.string({description: 'JSON twin of the report (default docs/progress.json)'}),
    check: Flags.boolean({description: 'write nothing; exit 1 when docs/progress.json was generated from other versions of the files that define its rows (test-suites/**/*.ts: the suites and their case-makers, the component list, the syscall list, the report model: a digest it records, no git history needed)', default: false}),
    lang: Flags.string({description: 'write only this language\'s Markdown (es: Spanish, the original report\'s language, docs/PROGRESS.es.md); default every language from one model, so docs/PROGRESS.md, docs/PROGRESS.es.md and docs/progress.json agree', options: [...REPORT_LANGS]}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Report)
    if (flags.check) {
      const f = reportFreshness(findRepoRoot())
      if (!f.fresh) {
        process.stderr.write(`kos report: ${f.problem}\n`)
        return this.exit(EXIT_FAILED)
      }
      this.log(`${COMMITTED_REPORT} was generated from the tree's ${REPORT_INPUTS.join(', ')} (sha256 ${f.current.slice(0, 16)})`)
      return
    }
    // Paths given on the command line are relative to the current directory; defaults to the repository root.
    const given = (p: string | undefined) => (p === undefined ? undefined : resolve(p))
    let generated
    try {
      const root = findRepoRoot()
      const defined = await this.loadDefinitions(root)
      generated = generateProgress({
        root,
        defined,
        results: flags.results?.map((p) => resolve(p)),
        bench: given(flags.bench),
        vitest: given(flags.vitest),
        coverage: given(flags.coverage),
        out: given(flags.out),
        jsonOut: given(flags['json-out']),
        lang: flags.lang as (typeof REPORT_LANGS)[number] | undefined,
      })
    } catch (error) {
      const known = error instanceof ResultsFileError || error instanceof BenchFileError || error instanceof VitestFileError || error instanceof CoverageFileError
      if (known || (error instanceof Error && /^not inside the kos repository/.test(error.message))) {
        // One line without a stack, in development mode too.
        process.stderr.write(`kos report: ${(error as Error).message}\n`)
        return this.exit(known ? EXIT_BAD_INPUT : EXIT_FAILED)
      }
      throw error
    }
    for (const w of generated.warnings) warn(w)
    const {report} = generated
    const t = report.totals
    const comps = report.components.filter((c) => c.status === 'done').length
    const sys = report.syscalls.filter((s) => s.status === 'done').length
    this.log(`${t.pass} of ${t.cases} cases passing; components done ${comps}/${report.components.length}; syscalls done ${sys}/${report.syscalls.length}`)
    this.log(`wrote ${[...generated.markdownPaths, generated.jsonPath].join(', ')}`)
  }

  /** Case definitions from test-suites/, so cases that never ran are listed; the report still works without them. */
  private async loadDefinitions(root: string): Promise<CaseDef[] | undefined> {
    if (!existsSync(join(root, 'test-suites'))) return undefined
    try {
      const {loadSuites} = await import('../suites/load.js')
      return await loadSuites(root, 'test-suites', {exclude: ['bench.ts']})
    } catch (error) {
      warn(`cannot load test-suites/ (${(error as Error).message.split('\n')[0]}): cases that did not run are not listed`)
      return undefined
    }
  }
}
