// The progress report's model: from test results, benchmark figures, the
// source tree and the syscall table to the rows of docs/progress.json. Every
// status in it is derived from something that ran or exists; nothing is typed by hand.
import type {KtapNode} from '../../ktap/types.js'
import {type CaseStatus, effectiveResult, isFailing, summarize, worstOf} from '../../suites/status.js'
import type {CaseDef, CaseResult, RunResults, RunSummary} from '../../suites/types.js'
import type {BenchEntry, BenchFile} from '../../bench/file.js'
import {type GitInfo, sameCommit} from '../../util/git.js'
import {componentCoverage, type ComponentCoverage, type CoverageReport, type DeclarationWarning, DONE_LINE_PCT} from '../coverage.js'
import {COMPONENTS, type ComponentDef, ORIGINAL_SYSCALLS, resolveComponentId} from '../components.js'
import {phaseName} from '../results.js'
import {filesMatching, globToRegExp, type Language, LANGUAGES, languageOf, LineCounter, listFiles} from '../tree.js'
import type {VitestSummary} from '../vitest.js'
import type {InputDigest} from './freshness.js'
import {readSyscalls, type SyscallSource} from './syscalls.js'

export const PLANNED_PHASES = [1, 2, 3, 4]

export type CoverageStatus = 'done' | 'failing' | 'untested'
/**
 * partial: its cases passed but ran less than DONE_LINE_PCT of its kernel and
 * user lines; unmeasured: its cases passed, but no coverage run measured what
 * they executed (a component with such code is done only when one did).
 */
export type ComponentStatus = CoverageStatus | 'missing' | 'partial' | 'unmeasured'
/** A required case (ComponentDef.requires) that has not passed: its status in the run, not run (defined, no result) or not in the matrix at all. */
export interface RequiredCase {
  case: string
  status: CaseStatus | 'not run' | 'not in matrix'
}
/** partial: its cases pass, but what the original report meant by it needs a component that is not done (TCP). */
export type SyscallStatus = CoverageStatus | 'partial' | 'not implemented'

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
  /** Syscalls of the original report assigned to the phase, and how many of them are done. */
  syscalls: number
  syscallsDone: number
  /** The lowest of the shares of cases passed, components done and original syscalls done,
   * 0-100: a phase with a missing component or a syscall not done never reads as complete. */
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
  /** Lines of its kernel and user code that the coverage run executed (null: no coverage run, or no instrumented code). */
  measured: {lines: number; covered: number; pct: number} | null
  /** Host-side vitest results for the component's unitTests files (informative; not part of the status). */
  unitTests: {files: string[]; passed: number; failed: number} | null
  /** The cases its issue names as what proves it (ComponentDef.requires). */
  requires: string[]
  /** Those of them that have not passed; any makes a done component partial. */
  requiredUnmet: RequiredCase[]
}

export interface SyscallRow extends Coverage {
  name: string
  /** Number in the original hand-written report, null for syscalls added since. */
  originalNumber: number | null
  /** What the original report meant by it, and its phase there (null for syscalls added since). */
  meaning: string | null
  phase: number | null
  /** Why it is partial. */
  note?: string
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
  /** inputs: the digest of the files that define the rows (REPORT_INPUTS), which `kos report --check` compares with the tree's. */
  generated: {date: string; commit: string | null; dirty: boolean | null; by: string; inputs?: InputDigest | null}
  sources: {
    /** sameCommit: whether the run tested the commit the report describes (null when unknown). */
    results: Array<{path: string; date: string; commit: string | null; cases: number; sameCommit: boolean | null}>
    bench: {path: string; date: string; commit: string | null; entries: number} | null
    vitest: {path: string} | null
    /** The coverage run (kos test --coverage) component status rests on; null: none given. */
    coverage: {path: string; date: string; commit: string | null; cases: number; linePct: number | null; donePct: number} | null
    /** Whether the syscall list (kos/syscalls.h) was there to read. */
    syscallList: boolean
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
    syscallsPartial: string[]
    componentsMissing: string[]
    componentsUntested: string[]
    componentsFailing: string[]
    componentsPartial: string[]
    componentsUnmeasured: string[]
    /** Components partial, or otherwise not done, with required cases that have not passed. */
    requiredCasesUnmet: Array<{component: string; cases: RequiredCase[]}>
    /** A case declares a component whose instrumented code it never ran (from the coverage run). */
    declarationsContradicted: DeclarationWarning[]
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
  /** The kernel's syscall table; default: read from the sources under root. */
  syscalls?: SyscallSource
  /** A coverage run's report (build/reports/coverage/coverage.json). */
  coverage?: {path: string; report: CoverageReport} | null
  /** Digest of the report's inputs (freshness.ts reportInputs), recorded in generated.inputs. */
  inputs?: InputDigest | null
}



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

/** Sources the coverage build instruments: C files of the kernel and of the user programs. */
const instrumentable = (files: readonly string[]) => files.filter((f) => (f.startsWith('kernel/') || f.startsWith('user/')) && f.endsWith('.c'))

/**
 * A component with kernel or user C code is done only when its cases passed
 * and the coverage run executed at least DONE_LINE_PCT of its lines; none of
 * them executed makes it untested, whatever its cases declare. Without a
 * coverage run it is unmeasured. Components with no such code (the
 * toolchain, host peers) keep the status their cases give them.
 */
function applyMeasurement(row: ComponentRow, measured: ComponentCoverage | undefined, coverageRun: boolean): void {
  if (measured && measured.lines.count > 0) {
    const pct = Math.round((measured.lines.covered / measured.lines.count) * 1000) / 10
    row.measured = {lines: measured.lines.count, covered: measured.lines.covered, pct}
    if (row.status !== 'done') return
    if (measured.lines.covered === 0) {
      row.status = 'untested'
      row.note = `its cases passed but ran none of its ${measured.lines.count} instrumented lines`
    } else if (pct < DONE_LINE_PCT) {
      row.status = 'partial'
      row.note = `its cases ran ${pct} % of its instrumented lines; done needs ${DONE_LINE_PCT} %`
    }
    return
  }
  if (!coverageRun && row.status === 'done' && instrumentable(row.files).length > 0) {
    row.status = 'unmeasured'
    row.note = 'its cases passed; no coverage run (kos test --coverage) measured what they executed'
  }
}

/**
 * The required cases of a component that have not passed. The matrix is the
 * defined cases when given (test-suites/), else the cases that ran.
 */
export function unmetRequirements(requires: readonly string[], results: ReadonlyMap<string, CaseResult>, matrix: ReadonlySet<string>): RequiredCase[] {
  return requires.flatMap((id): RequiredCase[] => {
    if (!matrix.has(id)) return [{case: id, status: 'not in matrix'}]
    const r = results.get(id)
    if (!r) return [{case: id, status: 'not run'}]
    return r.status === 'pass' ? [] : [{case: id, status: r.status}]
  })
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
    const row: PhaseRow = {phase, name: phaseName(phase), cases: total, pass, components: 0, componentsDone: 0, syscalls: 0, syscallsDone: 0, completionPct: total ? Math.round((pass / total) * 100) : 0}
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
  const resultById = new Map(cases.map((c) => [c.id, c]))
  const matrix = new Set(input.defined ? input.defined.map((d) => d.id) : cases.map((c) => c.id))
  const measuredById = new Map((input.coverage ? componentCoverage(input.coverage.report.files, components) : []).map((m) => [m.id, m]))
  const componentRows: ComponentRow[] = components.map((def) => {
    const own = filesMatching(files, def.paths)
    const cov = coverageOf(casesByComponent.get(def.id) ?? [])
    const lines = own.reduce((n, f) => n + counter.lines(f), 0)
    const row: ComponentRow = {id: def.id, name: def.name, phase: def.phase, paths: def.paths, files: own, lines, ...cov, status: coverageStatus(cov), measured: null, unitTests: null,
      requires: def.requires ?? [], requiredUnmet: unmetRequirements(def.requires ?? [], resultById, matrix)}
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
    else applyMeasurement(row, measuredById.get(def.id), input.coverage !== null && input.coverage !== undefined)
    // What its issue says proves it has not all passed: not done, whatever else passed.
    if (row.status === 'done' && row.requiredUnmet.length > 0) row.status = 'partial'
    return row
  })

  // Syscalls.
  const sys = input.syscalls ?? readSyscalls(input.root)
  const numbers = sys.numbers
  const table = sys.handlers
  const casesBySyscall = new Map<string, CaseResult[]>()
  for (const c of cases) {
    for (const raw of c.syscalls) {
      const name = normalizeSyscall(raw)
      const list = casesBySyscall.get(name) ?? []
      if (!list.includes(c)) list.push(c)
      casesBySyscall.set(name, list)
    }
  }
  const original = new Map(ORIGINAL_SYSCALLS.map((o) => [o.name, o]))
  const names = ORIGINAL_SYSCALLS.map((o) => o.name)
  const added = [...new Set([...numbers.keys(), ...table.keys()])].filter((n) => !original.has(n))
  added.sort((a, b) => (numbers.get(a) ?? Infinity) - (numbers.get(b) ?? Infinity) || a.localeCompare(b))
  names.push(...added)
  const syscallRows: SyscallRow[] = names.map((name) => {
    const cov = coverageOf(casesBySyscall.get(name) ?? [])
    const handler = table.get(name) ?? null
    const o = original.get(name)
    const row: SyscallRow = {
      name,
      originalNumber: o?.number ?? null,
      meaning: o?.meaning ?? null,
      phase: o?.phase ?? null,
      number: numbers.get(name) ?? null,
      handler,
      ...cov,
      status: handler === null ? 'not implemented' : coverageStatus(cov),
    }
    const needed = o?.needs ? componentRows.find((c) => c.id === o.needs) : undefined
    if (row.status === 'done' && needed && needed.status !== 'done') {
      row.status = 'partial'
      row.note = `its cases pass, but it needs ${needed.id} (${needed.status})`
    }
    return row
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
    const sys = syscallRows.filter((s) => s.phase === row.phase)
    row.syscalls = sys.length
    row.syscallsDone = sys.filter((s) => s.status === 'done').length
    if (sys.length > 0 && row.cases > 0) row.completionPct = Math.min(row.completionPct, Math.round((row.syscallsDone / sys.length) * 100))
  }

  return {
    generated: {date: input.now, commit: input.git.commit, dirty: input.git.dirty, by: 'kos report', inputs: input.inputs ?? null},
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
      coverage: input.coverage ? {
        path: input.coverage.path, date: input.coverage.report.date, commit: input.coverage.report.commit ?? null, cases: input.coverage.report.cases.length,
        linePct: input.coverage.report.totals.lines.count ? Math.round((input.coverage.report.totals.lines.covered / input.coverage.report.totals.lines.count) * 1000) / 10 : null,
        donePct: DONE_LINE_PCT,
      } : null,
      syscallList: sys.found,
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
      syscallsPartial: syscallRows.filter((s) => s.status === 'partial').map((s) => s.name),
      componentsMissing: componentRows.filter((c) => c.status === 'missing').map((c) => c.id),
      componentsUntested: componentRows.filter((c) => c.status === 'untested').map((c) => c.id),
      componentsFailing: componentRows.filter((c) => c.status === 'failing').map((c) => c.id),
      componentsPartial: componentRows.filter((c) => c.status === 'partial').map((c) => c.id),
      componentsUnmeasured: componentRows.filter((c) => c.status === 'unmeasured').map((c) => c.id),
      requiredCasesUnmet: componentRows.filter((c) => c.requiredUnmet.length > 0).map((c) => ({component: c.id, cases: c.requiredUnmet})),
      declarationsContradicted: input.coverage?.report.warnings ?? [],
      failingCases: cases.filter((c) => isFailing(c.status)).map((c) => ({id: c.id, status: c.status, reason: c.reason ?? null})),
      failingVitest: input.vitest?.summary.failing ?? [],
      skippedCases: cases.filter((c) => c.status === 'skip').map((c) => ({id: c.id, reason: c.reason ?? null})),
      notRunCases: notRun.map((c) => c.id),
      unknownReferences,
    },
  }
}
