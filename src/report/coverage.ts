// `kos test --coverage`: every case's raw profile (the coverage kernel writes
// one through its debug console, kernel/lib/profile.c) merged with
// llvm-profdata, measured against build/coverage/kernel.elf with llvm-cov:
// line and function coverage per file and per component, HTML, and which
// cases declare a component whose code they never ran.
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {loadPackageList, resolveTool} from '../builder/toolchain.js'
import {headCommit} from '../util/git.js'
import {runTool} from '../util/spawn.js'
import {COMPONENTS, type ComponentDef, resolveComponentId} from './components.js'
import {filesMatching} from './tree.js'

export const COVERAGE_FILE = 'coverage.json'
/**
 * A component is done only when its cases passed and they ran at least this
 * share of its instrumented lines (the kernel's files at its paths) in the
 * merged profile; a component with instrumented lines none of which ran is
 * untested whatever its cases say.
 */
export const DONE_LINE_PCT = 50

export interface Counted {
  count: number
  covered: number
}

export interface FileCoverage {
  /** Repository-relative source path. */
  file: string
  lines: Counted
  functions: Counted
}

export interface ComponentCoverage {
  id: string
  /** Instrumented files of the component (kernel sources at its paths). */
  files: string[]
  lines: Counted
  functions: Counted
  /** covered / count of lines, 0-100, one decimal; null when nothing of it is instrumented. */
  linePct: number | null
}

export interface DeclarationWarning {
  case: string
  component: string
  /** Instrumented lines of the component and how many of them the case ran (0). */
  lines: number
}

export interface CoverageReport {
  date: string
  /** The commit the measured kernel was built from. */
  commit: string | null
  /** The ELF measured (the coverage kernel). */
  object: string
  /** Cases whose profile was merged, and those that left none (timed out, crashed before the dump). */
  cases: string[]
  missing: string[]
  totals: {lines: Counted; functions: Counted}
  files: FileCoverage[]
  components: ComponentCoverage[]
  warnings: DeclarationWarning[]
  /** Index of the HTML report, relative to the repository. */
  html: string
}

export class CoverageError extends Error {}
/** A coverage.json that cannot be read or is not one (kos report exits 2). */
export class CoverageFileError extends Error {}

export const DEFAULT_COVERAGE_PATH = 'build/reports/coverage/coverage.json'

export function readCoverage(file: string): CoverageReport {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new CoverageFileError(`${file}: ${(error as Error).message.split('\n')[0]}`)
  }
  const r = data as Partial<CoverageReport>
  if (!r || typeof r !== 'object' || !Array.isArray(r.files) || !Array.isArray(r.cases) || !Array.isArray(r.warnings) || typeof r.totals?.lines?.count !== 'number' || typeof r.date !== 'string') {
    throw new CoverageFileError(`${file}: not a coverage report from kos test --coverage (needs date, cases, files, totals and warnings)`)
  }
  return r as CoverageReport
}

interface Tools {
  profdata: string
  cov: string
}

function tools(root: string): Tools {
  const pkgs = loadPackageList(root)
  return {profdata: resolveTool(['llvm-profdata-19', 'llvm-profdata'], pkgs), cov: resolveTool(['llvm-cov-19', 'llvm-cov'], pkgs)}
}

async function must(argv: string[], what: string): Promise<string> {
  const r = await runTool(argv[0], argv.slice(1))
  if (r.code !== 0) throw new CoverageError(`${what}: ${r.stderr.trim().split('\n').slice(0, 3).join(' ') || `exit ${r.code}`}`)
  return r.stdout
}

interface LlvmCovExport {
  data: {files: {filename: string; summary: {lines: Counted; functions: Counted}}[]; totals: {lines: Counted; functions: Counted}}[]
}

/** Per-file summaries of one profile against the object, paths made relative to root. */
async function exportFiles(t: Tools, root: string, profdata: string, object: string): Promise<{files: FileCoverage[]; totals: {lines: Counted; functions: Counted}}> {
  const out = await must([t.cov, 'export', '-summary-only', `-instr-profile=${profdata}`, object], 'llvm-cov export')
  const data = (JSON.parse(out) as LlvmCovExport).data[0]
  const pick = (c: Counted): Counted => ({count: c.count, covered: c.covered})
  const files = data.files.map((f) => ({
    file: path.isAbsolute(f.filename) ? path.relative(root, f.filename) : f.filename,
    lines: pick(f.summary.lines),
    functions: pick(f.summary.functions),
  }))
  files.sort((a, b) => a.file.localeCompare(b.file))
  return {files, totals: {lines: pick(data.totals.lines), functions: pick(data.totals.functions)}}
}

const pct = (c: Counted): number | null => (c.count === 0 ? null : Math.round((c.covered / c.count) * 1000) / 10)

/** Sums the files at each component's paths. */
export function componentCoverage(files: readonly FileCoverage[], components: readonly ComponentDef[] = COMPONENTS): ComponentCoverage[] {
  const byName = new Map(files.map((f) => [f.file, f]))
  return components.map((def) => {
    const own = filesMatching([...byName.keys()], def.paths)
    const sum = (k: 'lines' | 'functions'): Counted => own.reduce((a, f) => ({count: a.count + byName.get(f)![k].count, covered: a.covered + byName.get(f)![k].covered}), {count: 0, covered: 0})
    const lines = sum('lines')
    return {id: def.id, files: own, lines, functions: sum('functions'), linePct: pct(lines)}
  })
}

/** Cases that name a component with instrumented code of which they ran not one line. */
export function declarationWarnings(
  perCase: ReadonlyArray<{id: string; declared: readonly string[]; components: readonly ComponentCoverage[]}>,
  components: readonly ComponentDef[] = COMPONENTS,
): DeclarationWarning[] {
  const out: DeclarationWarning[] = []
  for (const c of perCase) {
    const measured = new Map(c.components.map((m) => [m.id, m]))
    for (const raw of c.declared) {
      const id = resolveComponentId(raw, components)
      const m = id === null ? undefined : measured.get(id)
      if (m && m.lines.count > 0 && m.lines.covered === 0) out.push({case: c.id, component: m.id, lines: m.lines.count})
    }
  }
  return out
}

export interface CoverageOptions {
  root: string
  /** The profiles (CASE[.guestN].profraw), as `kos test --coverage` wrote them. */
  profileDir: string
  /** The instrumented kernel. */
  object: string
  /** Where coverage.json, the merged profile and html/ go. */
  outDir: string
  /** Each run case with the components it declares. */
  cases: ReadonlyArray<{id: string; components: readonly string[]}>
  components?: readonly ComponentDef[]
}

/** Merges, measures and writes the coverage report; throws CoverageError when nothing can be measured. */
export async function coverageReport(opts: CoverageOptions): Promise<CoverageReport> {
  const t = tools(opts.root)
  const components = opts.components ?? COMPONENTS
  const profiles = new Map<string, string[]>()
  const missing: string[] = []
  const present = existsSync(opts.profileDir) ? readdirSync(opts.profileDir) : []
  for (const c of opts.cases) {
    const mine = present.filter((n) => n === `${c.id}.profraw` || (n.startsWith(`${c.id}.`) && /\.(?:run\d+\.)?(?:guest\d+\.)?profraw$/.test(n.slice(c.id.length))))
      .map((n) => path.join(opts.profileDir, n)).filter((f) => statSync(f).size > 0)
    if (mine.length === 0) missing.push(c.id)
    else profiles.set(c.id, mine)
  }
  if (profiles.size === 0) throw new CoverageError(`no profile in ${opts.profileDir}: no case reached the end of its run in the coverage kernel`)
  mkdirSync(opts.outDir, {recursive: true})
  const tmp = path.join(opts.outDir, 'cases')
  rmSync(tmp, {recursive: true, force: true})
  mkdirSync(tmp, {recursive: true})

  const perCase: {id: string; declared: readonly string[]; components: ComponentCoverage[]}[] = []
  for (const c of opts.cases) {
    const files = profiles.get(c.id)
    if (!files) continue
    const one = path.join(tmp, `${c.id}.profdata`)
    await must([t.profdata, 'merge', '-sparse', '-o', one, ...files], `llvm-profdata merge (${c.id})`)
    const measured = await exportFiles(t, opts.root, one, opts.object)
    perCase.push({id: c.id, declared: c.components, components: componentCoverage(measured.files, components)})
  }
  const merged = path.join(opts.outDir, 'kernel.profdata')
  await must([t.profdata, 'merge', '-sparse', '-o', merged, ...[...profiles.values()].flat()], 'llvm-profdata merge')
  const all = await exportFiles(t, opts.root, merged, opts.object)
  const html = path.join(opts.outDir, 'html')
  rmSync(html, {recursive: true, force: true})
  await must([t.cov, 'show', '-format=html', `-output-dir=${html}`, `-instr-profile=${merged}`, opts.object], 'llvm-cov show')

  const report: CoverageReport = {
    date: new Date().toISOString(),
    commit: headCommit(opts.root),
    object: path.relative(opts.root, opts.object),
    cases: [...profiles.keys()],
    missing,
    totals: all.totals,
    files: all.files,
    components: componentCoverage(all.files, components),
    warnings: declarationWarnings(perCase, components),
    html: path.relative(opts.root, path.join(html, 'index.html')),
  }
  writeFileSync(path.join(opts.outDir, COVERAGE_FILE), JSON.stringify(report, null, 2) + '\n')
  return report
}

/** The lines `kos test --coverage` prints. */
export function coverageSummary(r: CoverageReport): string[] {
  const p = (c: Counted) => `${pct(c) ?? 0} % (${c.covered}/${c.count})`
  const lines = [`coverage of ${r.object} over ${r.cases.length} case(s): lines ${p(r.totals.lines)}, functions ${p(r.totals.functions)}`]
  if (r.missing.length > 0) lines.push(`no profile from ${r.missing.length} case(s) (the guest never reached machine_exit): ${r.missing.join(', ')}`)
  for (const c of r.components.filter((x) => x.linePct !== null)) lines.push(`  ${c.id.padEnd(16)} ${String(c.linePct).padStart(5)} % of ${c.lines.count} lines`)
  for (const w of r.warnings) lines.push(`warning: ${w.case} declares ${w.component} but ran none of its ${w.lines} instrumented lines`)
  lines.push(`HTML: ${r.html}`)
  return lines
}
