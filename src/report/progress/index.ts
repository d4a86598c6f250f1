// `kos report`: find and read the inputs (results, benchmarks, vitest, git),
// build the model and write docs/PROGRESS.md and docs/progress.json.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, relative} from 'node:path'

import {DEFAULT_BENCH_PATH, readBench} from '../../bench/file.js'
import type {CaseDef} from '../../suites/types.js'
import {type GitInfo, gitInfo} from '../../util/git.js'
import {DEFAULT_COVERAGE_PATH, readCoverage} from '../coverage.js'
import {DEFAULT_REPORT_DIR, readResults} from '../results.js'
import {DEFAULT_VITEST_PATH, readVitest} from '../vitest.js'
import {reportInputs} from './freshness.js'
import {progressMarkdown, REPORT_LANGS, type ReportLang} from './markdown.js'
import {buildProgress, type ProgressInput, type ProgressReport} from './model.js'

export const DEFAULT_RESULTS = `${DEFAULT_REPORT_DIR}/results.json`

export interface GenerateOptions {
  /** Repository root; relative paths below are resolved against it. */
  root: string
  /** Results files; default build/reports/results.json when it exists. */
  results?: string[]
  /** Bench file; default build/reports/bench.json when it exists. */
  bench?: string
  /** Markdown output of the one language written (lang, default en), instead of its file under docs/. */
  out?: string
  /** Only this language's Markdown. Default: every language from the one model
   * (docs/PROGRESS.md and docs/PROGRESS.es.md), or only English with `out`;
   * the JSON is the same in every language. */
  lang?: ReportLang
  /** vitest JSON report; default build/reports/vitest.json when it exists. */
  vitest?: string
  /** coverage.json of a `kos test --coverage` run; default build/reports/coverage/coverage.json when it exists. */
  coverage?: string
  /** JSON output, default docs/progress.json. */
  jsonOut?: string
  now?: string
  git?: GitInfo
  /** Case definitions (see ProgressInput.defined). */
  defined?: CaseDef[]
}

export interface Generated {
  report: ProgressReport
  /** The first Markdown file written (English unless lang says otherwise). */
  markdownPath: string
  /** Every Markdown file written, one a language. */
  markdownPaths: string[]
  jsonPath: string
  warnings: string[]
}

/** Read the inputs, build the report and write PROGRESS.md and progress.json. */
export function generateProgress(opts: GenerateOptions): Generated {
  const abs = (p: string) => (isAbsolute(p) ? p : join(opts.root, p))
  const warnings: string[] = []

  let resultPaths = opts.results ?? []
  if (resultPaths.length === 0) {
    if (existsSync(abs(DEFAULT_RESULTS))) resultPaths = [DEFAULT_RESULTS]
    else warnings.push(`no ${DEFAULT_RESULTS} (run \`kos test\`): the report shows every case as not run`)
  }
  const shown = (p: string) => {
    const rel = relative(opts.root, abs(p))
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p
  }
  const results = resultPaths.map((p) => ({path: shown(p), results: readResults(abs(p))}))

  let bench: ProgressInput['bench'] = null
  if (opts.bench !== undefined) bench = {path: shown(opts.bench), bench: readBench(abs(opts.bench))}
  else if (existsSync(abs(DEFAULT_BENCH_PATH))) bench = {path: DEFAULT_BENCH_PATH, bench: readBench(abs(DEFAULT_BENCH_PATH))}

  let vitest: ProgressInput['vitest'] = null
  if (opts.vitest !== undefined) vitest = {path: shown(opts.vitest), summary: readVitest(abs(opts.vitest), opts.root)}
  else if (existsSync(abs(DEFAULT_VITEST_PATH))) vitest = {path: DEFAULT_VITEST_PATH, summary: readVitest(abs(DEFAULT_VITEST_PATH), opts.root)}

  const langs: ReportLang[] = opts.lang ? [opts.lang] : opts.out ? ['en'] : [...REPORT_LANGS]
  let coverage: ProgressInput['coverage'] = null
  if (opts.coverage !== undefined) coverage = {path: shown(opts.coverage), report: readCoverage(abs(opts.coverage))}
  else if (existsSync(abs(DEFAULT_COVERAGE_PATH))) coverage = {path: DEFAULT_COVERAGE_PATH, report: readCoverage(abs(DEFAULT_COVERAGE_PATH))}
  else warnings.push(`no ${DEFAULT_COVERAGE_PATH} (run \`kos test --coverage --all\`): no component with guest C code (kernel or user programs) can be done`)

  const markdownPaths = langs.map((l) => abs(opts.out ?? markdownFile(l)))
  const jsonPath = abs(opts.jsonOut ?? 'docs/progress.json')
  // Every file a report run writes, so writing them does not make the tree read as dirty.
  const outputs = [...REPORT_LANGS.map(markdownFile), ...markdownPaths.map((m) => relative(opts.root, m)), relative(opts.root, jsonPath)]
  const report = buildProgress({
    root: opts.root,
    results,
    bench,
    vitest,
    git: opts.git ?? gitInfo(opts.root, outputs),
    now: opts.now ?? new Date().toISOString(),
    defined: opts.defined,
    coverage,
    inputs: reportInputs(opts.root),
  })
  for (const u of report.debt.unknownReferences) warnings.push(`case ${u.case} names unknown ${u.kind} "${u.name}"`)

  langs.forEach((l, i) => {
    mkdirSync(dirname(markdownPaths[i]), {recursive: true})
    writeFileSync(markdownPaths[i], progressMarkdown(report, l))
  })
  mkdirSync(dirname(jsonPath), {recursive: true})
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n')
  return {report, markdownPath: markdownPaths[0], markdownPaths, jsonPath, warnings}
}

/** Where a language's report lives in the repository. */
export function markdownFile(lang: ReportLang): string {
  return lang === 'en' ? 'docs/PROGRESS.md' : `docs/PROGRESS.${lang}.md`
}
