// The progress report (docs/PROGRESS.md + docs/progress.json), computed from
// test results, benchmark figures and the source tree. Every status in it is
// derived from something that ran or exists; nothing is typed by hand.
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, relative} from 'node:path'

import type {KtapNode} from '../ktap/types.js'
import {type CaseStatus, effectiveResult, isFailing, summarize, worstOf} from '../suites/status.js'
import type {CaseDef, CaseResult, RunResults, RunSummary} from '../suites/types.js'
import type {BenchEntry, BenchFile} from '../bench/file.js'
import {DEFAULT_BENCH_PATH, formatNumber, formatRatios, readBench} from '../bench/file.js'
import {COMPONENTS, type ComponentDef, ORIGINAL_SYSCALLS, resolveComponentId} from './components.js'
import {type GitInfo, gitInfo, sameCommit, shortCommit} from '../util/git.js'
import {DEFAULT_REPORT_DIR, formatDuration, mdCell, PHASE_NAMES, phaseName, readResults} from './results.js'
import {DEFAULT_VITEST_PATH, readVitest, type VitestSummary} from './vitest.js'
import {filesMatching, globToRegExp, type Language, LANGUAGES, languageOf, LineCounter, listFiles} from './tree.js'

export const SYSCALL_HEADER = 'kernel/include/kos/syscall.h'
export const SYSCALL_TABLE = 'kernel/sys/syscall.c'
export const PLANNED_PHASES = [1, 2, 3, 4]
export const DEFAULT_RESULTS = `${DEFAULT_REPORT_DIR}/results.json`

export type CoverageStatus = 'done' | 'failing' | 'untested'
export type ComponentStatus = CoverageStatus | 'missing'
export type SyscallStatus = CoverageStatus | 'not implemented'

export interface Coverage {
  /** Cases naming this item, in result order. */
  cases: string[]
  passing: string[]
  /** Cases that ran and did not pass (fail, timeout, crash, error). */
  failing: string[]
  skipped: string[]
}

export interface PhaseRow {
  phase: number
  name: string
  cases: number
  pass: number
  /** Components assigned to the phase, and how many of them are done. */
  components: number
  componentsDone: number
  /** The lower of the share of cases passed and the share of components done, 0-100: a
   * phase with a missing or untested component never reads as complete. */
  completionPct: number
  /** "no tests yet" when the phase has no cases. */
  note?: string
}

export interface ComponentRow extends Coverage {
  id: string
  name: string
  phase: number
  paths: string[]
  files: string[]
  lines: number
  status: ComponentStatus
  note?: string
  /** Host-side vitest results for the component's unitTests files (informative; not part of the status). */
  unitTests: {files: string[]; passed: number; failed: number} | null
}

export interface SyscallRow extends Coverage {
  name: string
  /** Number in the original hand-written report, null for syscalls added since. */
  originalNumber: number | null
  /** Number in kernel/include/kos/syscall.h, null when the header does not define it. */
  number: number | null
  handler: string | null
  status: SyscallStatus
}

export interface TestRow {
  id: string
  phase: number
  title: string
  /** "not run": defined in test-suites/ but absent from every results file. */
  status: CaseStatus | 'not run'
  durationMs: number | null
  reason: string | null
}

export interface LanguageLines {
  files: number
  lines: number
}

export interface ProgressReport {
  generated: {date: string; commit: string | null; dirty: boolean | null; by: string}
  sources: {
    /** sameCommit: whether the run tested the commit the report describes (null when unknown). */
    results: Array<{path: string; date: string; commit: string | null; cases: number; sameCommit: boolean | null}>
    bench: {path: string; date: string; commit: string | null; entries: number} | null
    vitest: {path: string} | null
    syscallHeader: boolean
    syscallTable: boolean
  }
  /** cases = results + defined cases that did not run (notRun). */
  totals: RunSummary & {cases: number; notRun: number}
  phases: PhaseRow[]
  components: ComponentRow[]
  syscalls: SyscallRow[]
  tests: TestRow[]
  metrics: {
    linesByLanguage: Record<Language, LanguageLines>
    /** Non-blank lines of C, assembly and TypeScript per top-level directory. */
    linesByArea: Record<string, number>
    linesByComponent: Record<string, number>
    tests: {cases: number; ktapResults: number}
    /** Unit and integration tests (vitest), when a vitest JSON report was given. */
    vitest: VitestSummary | null
    benchmarks: BenchEntry[]
  }
  debt: {
    syscallsNotImplemented: string[]
    syscallsUntested: string[]
    syscallsFailing: string[]
    componentsMissing: string[]
    componentsUntested: string[]
    componentsFailing: string[]
    failingCases: Array<{id: string; status: CaseStatus; reason: string | null}>
    failingVitest: string[]
    skippedCases: Array<{id: string; reason: string | null}>
    notRunCases: string[]
    /** Component or syscall names cases list that the report does not know. */
    unknownReferences: Array<{case: string; kind: 'component' | 'syscall'; name: string}>
  }
}

export interface ProgressInput {
  root: string
  results: Array<{path: string; results: RunResults}>
  bench: {path: string; bench: BenchFile} | null
  vitest?: {path: string; summary: VitestSummary} | null
  git: GitInfo
  /** Report date (ISO); injectable for reproducible tests. */
  now: string
  components?: ComponentDef[]
  /** Case definitions from test-suites/ (benchmarks excluded); those without a result are listed as not run. */
  defined?: CaseDef[]
}

// ---------------------------------------------------------------------------
// Inputs

/**
 * One result per case from the attempts of one run (--repeat): a case passes
 * only if every attempt passed; otherwise the worst attempt is shown.
 */
export function combineAttempts(attempts: readonly CaseResult[]): CaseResult {
  if (attempts.length === 1) return attempts[0]
  const worst = worstOf(attempts, (a) => a.status)
  const passed = attempts.filter((a) => a.status === 'pass').length
  const note = `${passed} of ${attempts.length} attempts passed`
  const {attempt: _attempt, ...rest} = worst
  return {...rest, reason: worst.status === 'pass' ? note : `${worst.reason ?? worst.status} (attempt ${worst.attempt ?? '?'}; ${note})`}
}

/**
 * Combine several results files (sharded or per-phase runs). A case id that
 * appears in several runs keeps its result from the newest run (equal dates:
 * the later file); attempts within one run are combined.
 */
export function mergeRunResults(runs: ReadonlyArray<RunResults>): CaseResult[] {
  const order = runs.map((r, i) => ({r, i})).sort((a, b) => a.r.date.localeCompare(b.r.date) || a.i - b.i)
  const byId = new Map<string, CaseResult>()
  for (const {r} of order) {
    const attempts = new Map<string, CaseResult[]>()
    for (const c of r.cases.map(effectiveResult)) attempts.set(c.id, [...(attempts.get(c.id) ?? []), c])
    for (const [id, list] of attempts) byId.set(id, combineAttempts(list))
  }
  return [...byId.values()].sort((a, b) => a.phase - b.phase || a.id.localeCompare(b.id))
}

function stripComments(c: string): string {
  return c.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

/** Table-size constants that share the SYS_ prefix but are not syscalls. */
const SENTINEL = /^SYS_(MAX|COUNT|NR|NUM|LAST|TOTAL|LIMIT)$/

/** `#define SYS_NAME N` lines of the syscall number header. */
export function parseSyscallHeader(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of stripComments(text).matchAll(/^[ \t]*#[ \t]*define[ \t]+(SYS_[A-Z0-9_]+)[ \t]+\(?[ \t]*(0x[0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?[ \t]*$/gm)) {
    if (!SENTINEL.test(m[1])) out.set(m[1], Number(m[2]))
  }
  return out
}

/** `[SYS_NAME] = handler,` entries of the dispatch table. */
export function parseSyscallTable(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of stripComments(text).matchAll(/\[[ \t]*(SYS_[A-Z0-9_]+)[ \t]*\][ \t]*=[ \t]*\(?[^,;\n]*?([A-Za-z_]\w*)[ \t]*(?:,|$)/gm)) {
    // A NULL slot is no handler: the number still returns -ENOSYS.
    if (!SENTINEL.test(m[1]) && m[2] !== 'NULL') out.set(m[1], m[2])
  }
  return out
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

// ---------------------------------------------------------------------------
// Computation

function coverageOf(cases: readonly CaseResult[]): Coverage {
  const cov: Coverage = {cases: [], passing: [], failing: [], skipped: []}
  for (const c of cases) {
    cov.cases.push(c.id)
    if (c.status === 'pass') cov.passing.push(c.id)
    else if (c.status === 'skip') cov.skipped.push(c.id)
    else cov.failing.push(c.id)
  }
  return cov
}

function coverageStatus(cov: Coverage): CoverageStatus {
  if (cov.passing.length + cov.failing.length === 0) return 'untested'
  return cov.failing.length === 0 ? 'done' : 'failing'
}

function normalizeSyscall(name: string): string {
  const up = name.trim().toUpperCase()
  return up.startsWith('SYS_') ? up : `SYS_${up}`
}

function countKtapResults(node: KtapNode | null): number {
  if (!node) return 0
  let n = 0
  const visit = (x: KtapNode, isRoot: boolean): void => {
    if (!isRoot && x.ok !== null) n++
    for (const s of x.subtests ?? []) visit(s, false)
  }
  visit(node, true)
  return n
}

export function buildProgress(input: ProgressInput): ProgressReport {
  const components = input.components ?? COMPONENTS
  const cases = mergeRunResults(input.results.map((r) => r.results))
  const summary = summarize(cases)
  const ranIds = new Set(cases.map((c) => c.id))
  const notRun = (input.defined ?? []).filter((d) => !ranIds.has(d.id)).sort((a, b) => a.phase - b.phase || a.id.localeCompare(b.id))
  const unknownReferences: ProgressReport['debt']['unknownReferences'] = []

  // Phases: the four planned ones always appear, plus any other phase a case names.
  // The planned phases always show (an empty one says so); others, like the harness's phase 0, only when cases ran in them.
  const phaseNumbers = [...new Set([...PLANNED_PHASES, ...cases.map((c) => c.phase), ...notRun.map((c) => c.phase)])].sort((a, b) => a - b)
  const phases: PhaseRow[] = phaseNumbers.map((phase) => {
    const inPhase = cases.filter((c) => c.phase === phase)
    const pass = inPhase.filter((c) => c.status === 'pass').length
    const total = inPhase.length + notRun.filter((c) => c.phase === phase).length
    const row: PhaseRow = {phase, name: phaseName(phase), cases: total, pass, components: 0, componentsDone: 0, completionPct: total ? Math.round((pass / total) * 100) : 0}
    if (total === 0) row.note = 'no tests yet'
    return row
  })

  // Components.
  const casesByComponent = new Map<string, CaseResult[]>()
  for (const c of cases) {
    for (const raw of c.components) {
      const id = resolveComponentId(raw, components)
      if (id === null) {
        unknownReferences.push({case: c.id, kind: 'component', name: raw})
        continue
      }
      const list = casesByComponent.get(id) ?? []
      if (!list.includes(c)) list.push(c)
      casesByComponent.set(id, list)
    }
  }
  const files = listFiles(input.root)
  const counter = new LineCounter(input.root)
  const componentRows: ComponentRow[] = components.map((def) => {
    const own = filesMatching(files, def.paths)
    const cov = coverageOf(casesByComponent.get(def.id) ?? [])
    const lines = own.reduce((n, f) => n + counter.lines(f), 0)
    const row: ComponentRow = {id: def.id, name: def.name, phase: def.phase, paths: def.paths, files: own, lines, ...cov, status: coverageStatus(cov), unitTests: null}
    const vt = input.vitest?.summary
    if (vt && def.unitTests?.length) {
      const res = def.unitTests.map(globToRegExp)
      const matched = vt.files.filter((f) => res.some((r) => r.test(f.file)))
      if (matched.length > 0) {
        row.unitTests = {
          files: matched.map((f) => f.file),
          passed: matched.reduce((n, f) => n + f.passed, 0),
          failed: matched.reduce((n, f) => n + f.failed + (f.loadError ? 1 : 0), 0),
        }
      }
    }
    const implementation = own.filter((f) => !f.endsWith('.h'))
    if (own.length === 0) {
      row.status = 'missing'
      row.note = 'no source files'
    } else if (implementation.length === 0) {
      row.status = 'missing'
      row.note = 'headers only'
    }
    if (row.status === 'missing' && cov.passing.length > 0) row.note += `; yet passing cases name it: ${cov.passing.join(', ')}`
    return row
  })

  // Syscalls.
  const headerText = readOptional(join(input.root, SYSCALL_HEADER))
  const tableText = readOptional(join(input.root, SYSCALL_TABLE))
  const numbers = headerText === null ? new Map<string, number>() : parseSyscallHeader(headerText)
  const table = tableText === null ? new Map<string, string>() : parseSyscallTable(tableText)
  const casesBySyscall = new Map<string, CaseResult[]>()
  for (const c of cases) {
    for (const raw of c.syscalls) {
      const name = normalizeSyscall(raw)
      const list = casesBySyscall.get(name) ?? []
      if (!list.includes(c)) list.push(c)
      casesBySyscall.set(name, list)
    }
  }
  const original = new Map(ORIGINAL_SYSCALLS)
  const names = [...ORIGINAL_SYSCALLS.map(([n]) => n)]
  const added = [...new Set([...numbers.keys(), ...table.keys()])].filter((n) => !original.has(n))
  added.sort((a, b) => (numbers.get(a) ?? Infinity) - (numbers.get(b) ?? Infinity) || a.localeCompare(b))
  names.push(...added)
  const syscallRows: SyscallRow[] = names.map((name) => {
    const cov = coverageOf(casesBySyscall.get(name) ?? [])
    const handler = table.get(name) ?? null
    return {
      name,
      originalNumber: original.get(name) ?? null,
      number: numbers.get(name) ?? null,
      handler,
      ...cov,
      status: handler === null ? 'not implemented' : coverageStatus(cov),
    }
  })
  for (const [name, list] of casesBySyscall) {
    if (!names.includes(name)) for (const c of list) unknownReferences.push({case: c.id, kind: 'syscall', name})
  }

  // Tests and metrics.
  const tests: TestRow[] = cases.map((c) => ({id: c.id, phase: c.phase, title: c.title, status: c.status, durationMs: c.durationMs, reason: c.reason ?? null}))
  for (const d of notRun) tests.push({id: d.id, phase: d.phase, title: d.title, status: 'not run', durationMs: null, reason: 'defined in test-suites/ but not in any results file'})
  tests.sort((a, b) => a.phase - b.phase || a.id.localeCompare(b.id))
  const linesByLanguage = Object.fromEntries(LANGUAGES.map((l) => [l, {files: 0, lines: 0}])) as Record<Language, LanguageLines>
  const linesByArea: Record<string, number> = {}
  for (const f of files) {
    const lang = languageOf(f)
    if (!lang) continue
    const n = counter.lines(f)
    linesByLanguage[lang].files++
    linesByLanguage[lang].lines += n
    const area = f.includes('/') ? f.slice(0, f.indexOf('/')) : '(top level)'
    linesByArea[area] = (linesByArea[area] ?? 0) + n
  }
  const sameAsReport = (commit: string | null): boolean | null => (commit && input.git.commit ? sameCommit(commit, input.git.commit) : null)

  // A phase is only as complete as its least complete measure: cases or components.
  for (const row of phases) {
    const own = componentRows.filter((c) => c.phase === row.phase)
    row.components = own.length
    row.componentsDone = own.filter((c) => c.status === 'done').length
    if (own.length > 0 && row.cases > 0) row.completionPct = Math.min(row.completionPct, Math.round((row.componentsDone / own.length) * 100))
  }

  return {
    generated: {date: input.now, commit: input.git.commit, dirty: input.git.dirty, by: 'kos report'},
    sources: {
      results: input.results.map((r) => ({
        path: r.path,
        date: r.results.date,
        commit: r.results.commit,
        cases: r.results.cases.length,
        sameCommit: sameAsReport(r.results.commit),
      })),
      bench: input.bench ? {path: input.bench.path, date: input.bench.bench.date, commit: input.bench.bench.commit, entries: input.bench.bench.benchmarks.length} : null,
      vitest: input.vitest ? {path: input.vitest.path} : null,
      syscallHeader: headerText !== null,
      syscallTable: tableText !== null,
    },
    totals: {...summary, cases: cases.length + notRun.length, notRun: notRun.length},
    phases,
    components: componentRows,
    syscalls: syscallRows,
    tests,
    metrics: {
      linesByLanguage,
      linesByArea: Object.fromEntries(Object.entries(linesByArea).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      linesByComponent: Object.fromEntries(componentRows.map((c) => [c.id, c.lines])),
      tests: {cases: cases.length, ktapResults: cases.reduce((n, c) => n + countKtapResults(c.ktap), 0)},
      vitest: input.vitest?.summary ?? null,
      benchmarks: input.bench?.bench.benchmarks ?? [],
    },
    debt: {
      syscallsNotImplemented: syscallRows.filter((s) => s.status === 'not implemented').map((s) => s.name),
      syscallsUntested: syscallRows.filter((s) => s.status === 'untested').map((s) => s.name),
      syscallsFailing: syscallRows.filter((s) => s.status === 'failing').map((s) => s.name),
      componentsMissing: componentRows.filter((c) => c.status === 'missing').map((c) => c.id),
      componentsUntested: componentRows.filter((c) => c.status === 'untested').map((c) => c.id),
      componentsFailing: componentRows.filter((c) => c.status === 'failing').map((c) => c.id),
      failingCases: cases.filter((c) => isFailing(c.status)).map((c) => ({id: c.id, status: c.status, reason: c.reason ?? null})),
      failingVitest: input.vitest?.summary.failing ?? [],
      skippedCases: cases.filter((c) => c.status === 'skip').map((c) => ({id: c.id, reason: c.reason ?? null})),
      notRunCases: notRun.map((c) => c.id),
      unknownReferences,
    },
  }
}

// ---------------------------------------------------------------------------
// Markdown

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)]
}

function list(items: readonly string[], max = 12): string {
  if (items.length === 0) return ''
  const shown = items.slice(0, max).map(mdCell).join(', ')
  return items.length > max ? `${shown}, ... (${items.length - max} more)` : shown
}

function statusOf(status: string): string {
  return status === 'done' || status === 'pass' ? status : `**${status}**`
}

export function progressMarkdown(r: ProgressReport): string {
  const out: string[] = []
  const commit = r.generated.commit ? `\`${shortCommit(r.generated.commit)}\`${r.generated.dirty ? ' (with uncommitted changes)' : ''}` : 'an unknown commit (not a git checkout)'
  out.push('# kos progress report', '')
  out.push(`Generated by \`kos report\` on ${r.generated.date} from commit ${commit}.`)
  out.push('Every figure below is computed from test results, benchmark figures and the source tree; do not edit this file by hand.', '')

  out.push('## Sources', '')
  if (r.sources.results.length === 0) out.push('- No test results (run `kos test`): every case counts as not run.')
  for (const s of r.sources.results) {
    const commitNote = s.sameCommit === false ? ' (**not the commit this report describes**: the tree may have changed since)' : ''
    out.push(`- \`${mdCell(s.path)}\`: ${s.cases} cases, run ${s.date}${s.commit ? ` at \`${mdCell(shortCommit(s.commit))}\`` : ''}${commitNote}`)
  }
  out.push(r.sources.bench ? `- \`${mdCell(r.sources.bench.path)}\`: ${r.sources.bench.entries} benchmark figure(s), ${r.sources.bench.date}` : '- No benchmark figures (run `kos bench`).')
  if (r.sources.vitest) {
    const when = r.metrics.vitest?.date ? `, run ${r.metrics.vitest.date}` : ''
    out.push(`- \`${mdCell(r.sources.vitest.path)}\`: ${r.metrics.vitest?.total ?? 0} unit and integration tests (vitest)${when}`)
  }
  out.push(`- \`${SYSCALL_HEADER}\`: ${r.sources.syscallHeader ? 'read' : 'absent'}; \`${SYSCALL_TABLE}\`: ${r.sources.syscallTable ? 'read' : 'absent'}`, '')

  out.push('## Summary', '')
  const t = r.totals
  out.push(`**${t.pass} of ${t.cases} cases passing**` + (t.cases ? ` (fail ${t.fail}, timeout ${t.timeout}, crash ${t.crash}, error ${t.error}, skipped ${t.skip}, not run ${t.notRun}).` : '.'))
  const compDone = r.components.filter((c) => c.status === 'done').length
  const sysDone = r.syscalls.filter((s) => s.status === 'done').length
  out.push(`Components done: ${compDone} of ${r.components.length}. Syscalls done: ${sysDone} of ${r.syscalls.length}.`)
  const vt = r.metrics.vitest
  if (vt) out.push(`Unit and integration tests (vitest): ${vt.passed} of ${vt.total} passing${vt.failed ? `, **${vt.failed} failing**` : ''}.`)
  const empty = r.phases.filter((p) => p.cases === 0).map((p) => String(p.phase))
  if (empty.length) out.push(`Phases with no tests yet: ${empty.join(', ')}.`)
  out.push('')

  out.push('## Phases', '')
  out.push(
    ...table(
      ['Phase', 'Name', 'Cases passing', 'Components done', 'Completion'],
      r.phases.map((p) => [String(p.phase), mdCell(p.name), `${p.pass} of ${p.cases}`, p.components ? `${p.componentsDone} of ${p.components}` : '', p.note ? `0 % (${p.note})` : `${p.completionPct} %`]),
    ),
    '',
    'Completion is the lower of two shares: the phase\'s cases that passed in the last run (a skipped or not-run case counts as not passed) and the phase\'s components that are done (a missing, untested or failing component is not). A phase with a missing component never reads 100 %.',
    '',
  )

  out.push('## Components', '')
  out.push(
    ...table(
      ['Component', 'Phase', 'Status', 'Cases (passing/ran)', 'Host tests (vitest)', 'Lines', 'Paths'],
      r.components.map((c) => {
        const ran = c.passing.length + c.failing.length
        const named = c.cases.map((id) => (c.skipped.includes(id) ? `${id} (skipped)` : id))
        const cases = c.cases.length ? `${c.passing.length}/${ran}: ${list(named, 6)}` : ''
        const status = statusOf(c.status) + (c.note ? ` (${mdCell(c.note)})` : '')
        const host = c.unitTests ? `${c.unitTests.passed}/${c.unitTests.passed + c.unitTests.failed} passing` : ''
        return [`${mdCell(c.name)} (\`${c.id}\`)`, String(c.phase), status, cases, host, String(c.lines), c.paths.map((p) => `\`${mdCell(p)}\``).join(' ')]
      }),
    ),
    '',
    'Status comes from QEMU cases only. done: every covering case that ran passed. failing: a covering case failed. untested: no covering case ran. missing: no implementation files at the paths. Host tests run the same code outside the kernel (vitest) and are shown for information.',
    '',
  )

  out.push('## Syscalls', '')
  out.push(
    ...table(
      ['# (original)', 'Name', '# (kos)', 'Handler', 'Status', 'Covering cases'],
      r.syscalls.map((s) => [
        s.originalNumber === null ? '' : String(s.originalNumber),
        `\`${s.name}\``,
        s.number === null ? 'undefined' : String(s.number),
        s.handler ? `\`${s.handler}\`` : '',
        s.status === 'not implemented' ? '**not implemented** (-ENOSYS)' : statusOf(s.status),
        list(s.cases, 6),
      ]),
    ),
    '',
    `Numbers from \`${SYSCALL_HEADER}\`, handlers from the dispatch table in \`${SYSCALL_TABLE}\`; "# (original)" is the numbering of the original hand-written report.`,
    '',
  )

  out.push('## Tests', '')
  out.push(`${t.pass} of ${t.cases} passing.`, '')
  if (r.tests.length > 0) {
    out.push(
      ...table(
        ['Case', 'Phase', 'Title', 'Status', 'Duration', 'Reason'],
        r.tests.map((c) => [`\`${mdCell(c.id)}\``, String(c.phase), mdCell(c.title), statusOf(c.status), c.durationMs === null ? '' : formatDuration(c.durationMs), mdCell(c.reason ?? '')]),
      ),
      '',
    )
  }

  if (vt) {
    out.push('### Unit and integration tests (vitest)', '')
    out.push(`${vt.passed} of ${vt.total} passing${vt.skipped ? `, ${vt.skipped} skipped` : ''}.`, '')
    out.push(...table(['File', 'Passed', 'Failed', 'Skipped'], vt.files.map((f) => [`\`${mdCell(f.file)}\``, String(f.passed), f.loadError ? '**did not load**' : f.failed ? `**${f.failed}**` : '0', String(f.skipped)])), '')
  }

  out.push('## Metrics', '')
  out.push('Lines of code (non-blank lines; generated files, dependencies and test fixtures excluded):', '')
  out.push(...table(['Language', 'Files', 'Lines'], LANGUAGES.map((l) => [l, String(r.metrics.linesByLanguage[l].files), String(r.metrics.linesByLanguage[l].lines)])), '')
  out.push(...table(['Directory', 'Lines'], Object.entries(r.metrics.linesByArea).map(([area, n]) => [`\`${mdCell(area)}\``, String(n)])), '')
  out.push(`Tests: ${r.metrics.tests.cases} QEMU cases, ${r.metrics.tests.ktapResults} KTAP results (all levels)${vt ? `, ${vt.total} unit and integration tests` : ''}.`, '')
  out.push('Lines per component are in the Components table.', '')
  if (r.metrics.benchmarks.length > 0) {
    out.push('Benchmarks (figures, not pass/fail criteria; a ratio is the value divided by the same figure measured on the named baseline):', '')
    out.push(
      ...table(
        ['Benchmark', 'Metric', 'Value', 'Unit', 'Ratios', 'Measured by', 'Date'],
        r.metrics.benchmarks.map((b) => [`\`${mdCell(b.id)}\``, mdCell(b.metric), formatNumber(b.value), mdCell(b.unit), mdCell(formatRatios(b.ratios)), mdCell(b.case), mdCell(b.date ?? '')]),
      ),
      '',
    )
  } else {
    out.push('Benchmarks: none recorded.', '')
  }

  out.push('## Technical debt', '')
  const d = r.debt
  const debt: string[] = []
  if (d.failingCases.length) debt.push(`Failing cases (${d.failingCases.length}): ${d.failingCases.map((c) => `\`${mdCell(c.id)}\` ${c.status}${c.reason ? ` (${mdCell(c.reason)})` : ''}`).join('; ')}`)
  if (d.failingVitest.length) debt.push(`Failing unit/integration tests (${d.failingVitest.length}): ${d.failingVitest.map(mdCell).join('; ')}`)
  if (d.skippedCases.length) debt.push(`Skipped cases (${d.skippedCases.length}): ${d.skippedCases.map((c) => `\`${mdCell(c.id)}\`${c.reason ? ` (${mdCell(c.reason)})` : ''}`).join('; ')}`)
  if (d.notRunCases.length) debt.push(`Cases defined but not run (${d.notRunCases.length}): ${list(d.notRunCases, 50)}`)
  if (d.componentsFailing.length) debt.push(`Components failing (${d.componentsFailing.length}): ${list(d.componentsFailing, 50)}`)
  if (d.componentsUntested.length) debt.push(`Components without a test that ran (${d.componentsUntested.length}): ${list(d.componentsUntested, 50)}`)
  if (d.componentsMissing.length) debt.push(`Components missing (${d.componentsMissing.length}): ${list(d.componentsMissing, 50)}`)
  if (d.syscallsFailing.length) debt.push(`Syscalls failing (${d.syscallsFailing.length}): ${list(d.syscallsFailing, 50)}`)
  if (d.syscallsUntested.length) debt.push(`Syscalls implemented but untested (${d.syscallsUntested.length}): ${list(d.syscallsUntested, 50)}`)
  if (d.syscallsNotImplemented.length) debt.push(`Syscalls not implemented (-ENOSYS) (${d.syscallsNotImplemented.length}): ${list(d.syscallsNotImplemented, 50)}`)
  if (d.unknownReferences.length)
    debt.push(`Cases naming unknown ${[...new Set(d.unknownReferences.map((u) => u.kind))].join('/')} ids: ${d.unknownReferences.map((u) => `\`${mdCell(u.case)}\` -> \`${mdCell(u.name)}\``).join(', ')}`)
  out.push(...(debt.length ? debt.map((x) => `- ${x}`) : ['- Nothing outstanding: every component and syscall is done.']), '')
  return out.join('\n')
}

// ---------------------------------------------------------------------------
// Files

export interface GenerateOptions {
  /** Repository root; relative paths below are resolved against it. */
  root: string
  /** Results files; default build/reports/results.json when it exists. */
  results?: string[]
  /** Bench file; default build/reports/bench.json when it exists. */
  bench?: string
  /** Markdown output, default docs/PROGRESS.md. */
  out?: string
  /** vitest JSON report; default build/reports/vitest.json when it exists. */
  vitest?: string
  /** JSON output, default docs/progress.json. */
  jsonOut?: string
  now?: string
  git?: GitInfo
  /** Case definitions (see ProgressInput.defined). */
  defined?: CaseDef[]
}

export interface Generated {
  report: ProgressReport
  markdownPath: string
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

  const markdownPath = abs(opts.out ?? 'docs/PROGRESS.md')
  const jsonPath = abs(opts.jsonOut ?? 'docs/progress.json')
  const report = buildProgress({
    root: opts.root,
    results,
    bench,
    vitest,
    git: opts.git ?? gitInfo(opts.root, [relative(opts.root, markdownPath), relative(opts.root, jsonPath)]),
    now: opts.now ?? new Date().toISOString(),
    defined: opts.defined,
  })
  for (const u of report.debt.unknownReferences) warnings.push(`case ${u.case} names unknown ${u.kind} "${u.name}"`)

  mkdirSync(dirname(markdownPath), {recursive: true})
  mkdirSync(dirname(jsonPath), {recursive: true})
  writeFileSync(markdownPath, progressMarkdown(report))
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + '\n')
  return {report, markdownPath, jsonPath, warnings}
}
