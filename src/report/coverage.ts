// `kos test --coverage`: every case's raw profiles (the coverage kernel and
// user programs write them through the kernel's debug console, one frame
// each, kos/profile.h) split by frame, merged with llvm-profdata per ELF
// (build/coverage/kernel.elf, build/coverage/user/NAME.elf), measured with
// llvm-cov over all of them: line and function coverage per file and per
// component, HTML per ELF, and which cases declare a component whose code
// they never ran.
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
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
  /** Instrumented files of the component (kernel and user sources at its paths). */
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
  /** The coverage kernel. */
  object: string
  /** Every ELF measured (the kernel first, then the user programs that left a profile). */
  objects?: CoverageObject[]
  /** Cases whose profiles were merged, and those that left none (timed out, crashed before the dump). */
  cases: string[]
  missing: string[]
  /**
   * Profiles left out, never an error that loses the others: streams cut
   * short (the guest was killed while writing one), profiles llvm-profdata
   * refused, and programs with no ELF in the coverage build.
   */
  skipped?: {cut: number; refused: number; unknown: string[]}
  totals: {lines: Counted; functions: Counted}
  files: FileCoverage[]
  components: ComponentCoverage[]
  warnings: DeclarationWarning[]
  /** Index of the HTML report, relative to the repository. */
  html: string
}

export interface CoverageObject {
  /** "kernel" or the program's name. */
  name: string
  /** The ELF, relative to the repository. */
  object: string
  /** Cases that left a profile of it. */
  cases: number
  /** Its HTML report's index, relative to the repository. */
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

/** One profile of a debug-console stream (kos/profile.h): the kernel's or a user program's. */
export interface ProfileFrame {
  kind: 'kernel' | 'user'
  /** "kernel", or the program's name (its /bin/NAME, build/coverage/user/NAME.elf). */
  name: string
  data: Buffer
}

const FRAME_MAGIC = 'KOSPROF1'
const FRAME_HEADER = 24
const FRAME_NAME_MAX = 255

/**
 * Splits one guest's debug-console stream into its frames (struct
 * kos_prof_frame, the name, the raw profile). A frame cut short (the guest
 * was killed while writing it) or bytes that are not a frame end the stream:
 * what came before is kept, the rest counts as one cut profile.
 */
export function splitProfileStream(buf: Buffer): {frames: ProfileFrame[]; cut: number} {
  const frames: ProfileFrame[] = []
  let at = 0
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER || buf.toString('latin1', at, at + 8) !== FRAME_MAGIC) return {frames, cut: 1}
    const kind = buf.readUInt32LE(at + 8)
    const nameLen = buf.readUInt32LE(at + 12)
    const size = buf.readBigUInt64LE(at + 16)
    const body = at + FRAME_HEADER + nameLen
    if (kind > 1 || nameLen === 0 || nameLen > FRAME_NAME_MAX || size > BigInt(buf.length - Math.min(body, buf.length))) return {frames, cut: 1}
    const end = body + Number(size)
    frames.push({kind: kind === 0 ? 'kernel' : 'user', name: buf.toString('latin1', at + FRAME_HEADER, body), data: buf.subarray(body, end)})
    at = end
  }
  return {frames, cut: 0}
}

/** Executed lines and functions of each source file, by line number and function name. */
type LineMap = Map<string, {lines: Map<number, number>; functions: Map<string, number>}>

/**
 * Adds an LCOV trace (llvm-cov export -format=lcov) to acc: a line or a
 * function is instrumented when any object has it, covered when any ran it,
 * so code linked into several programs (user/lib) counts once.
 */
export function addLcov(acc: LineMap, lcov: string, root: string): void {
  let cur: {lines: Map<number, number>; functions: Map<string, number>} | undefined
  for (const line of lcov.split('\n')) {
    if (line.startsWith('SF:')) {
      const name = line.slice(3)
      const file = path.isAbsolute(name) ? path.relative(root, name) : name
      cur = acc.get(file) ?? {lines: new Map(), functions: new Map()}
      acc.set(file, cur)
    } else if (!cur) {
      continue
    } else if (line.startsWith('DA:')) {
      const [n, count] = line.slice(3).split(',')
      cur.lines.set(Number(n), (cur.lines.get(Number(n)) ?? 0) + Number(count))
    } else if (line.startsWith('FN:')) {
      const name = line.slice(line.indexOf(',') + 1)
      if (!cur.functions.has(name)) cur.functions.set(name, 0)
    } else if (line.startsWith('FNDA:')) {
      const comma = line.indexOf(',')
      const name = line.slice(comma + 1)
      cur.functions.set(name, (cur.functions.get(name) ?? 0) + Number(line.slice(5, comma)))
    } else if (line === 'end_of_record') {
      cur = undefined
    }
  }
}

/** Per-file counts of a LineMap, sorted by path, and their totals. */
export function fileCoverage(acc: LineMap): {files: FileCoverage[]; totals: {lines: Counted; functions: Counted}} {
  const count = (m: Map<unknown, number>): Counted => ({count: m.size, covered: [...m.values()].filter((n) => n > 0).length})
  const files = [...acc].map(([file, v]) => ({file, lines: count(v.lines), functions: count(v.functions)})).sort((a, b) => a.file.localeCompare(b.file))
  const sum = (k: 'lines' | 'functions'): Counted => files.reduce((a, f) => ({count: a.count + f[k].count, covered: a.covered + f[k].covered}), {count: 0, covered: 0})
  return {files, totals: {lines: sum('lines'), functions: sum('functions')}}
}

/** LCOV of one merged profile against its object. */
async function exportLcov(t: Tools, profdata: string, object: string): Promise<string> {
  return must([t.cov, 'export', '-format=lcov', `-instr-profile=${profdata}`, object], `llvm-cov export (${path.basename(object)})`)
}

/**
 * Merges raw or indexed profiles into out; a profile llvm-profdata cannot
 * read (a bad or zero-padded one) is left out and counted. Returns false when
 * none could be merged.
 */
async function mergeProfiles(t: Tools, files: readonly string[], out: string): Promise<{ok: boolean; refused: number}> {
  const r = await runTool(t.profdata, ['merge', '-sparse', '--failure-mode=all', '-o', out, ...files])
  const refused = files.filter((f) => r.stderr.includes(`${f}:`)).length
  return {ok: r.code === 0, refused: r.code === 0 ? refused : files.length}
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
  /** The debug-console streams (CASE[.guestN].profraw), as `kos test --coverage` wrote them. */
  profileDir: string
  /** The instrumented kernel. */
  object: string
  /** The instrumented user programs (NAME.elf); default user/ beside the kernel. */
  userDir?: string
  /** Where coverage.json, the merged profiles and html/ go. */
  outDir: string
  /** Each run case with the components it declares. */
  cases: ReadonlyArray<{id: string; components: readonly string[]}>
  components?: readonly ComponentDef[]
}

/** Merges, measures and writes the coverage report; throws CoverageError when nothing can be measured. */
export async function coverageReport(opts: CoverageOptions): Promise<CoverageReport> {
  const t = tools(opts.root)
  const components = opts.components ?? COMPONENTS
  const userDir = opts.userDir ?? path.join(path.dirname(opts.object), 'user')
  const objectOf = (f: ProfileFrame): string => (f.kind === 'kernel' ? opts.object : path.join(userDir, `${f.name}.elf`))
  const present = existsSync(opts.profileDir) ? readdirSync(opts.profileDir) : []
  mkdirSync(opts.outDir, {recursive: true})
  const tmp = path.join(opts.outDir, 'cases')
  rmSync(tmp, {recursive: true, force: true})
  mkdirSync(tmp, {recursive: true})

  // Each case's streams split into raw profiles, one file per frame, by object.
  const missing: string[] = []
  const skipped = {cut: 0, refused: 0, unknown: [] as string[]}
  const perCaseRaw = new Map<string, Map<string, string[]>>()
  for (const c of opts.cases) {
    const mine = present.filter((n) => n === `${c.id}.profraw` || (n.startsWith(`${c.id}.`) && /\.(?:run\d+\.)?(?:guest\d+\.)?profraw$/.test(n.slice(c.id.length))))
    const byObject = new Map<string, string[]>()
    for (const stream of mine) {
      const {frames, cut} = splitProfileStream(readFileSync(path.join(opts.profileDir, stream)))
      skipped.cut += cut
      frames.forEach((f, i) => {
        const object = objectOf(f)
        if (!existsSync(object)) {
          skipped.unknown.push(f.name)
          return
        }
        const raw = path.join(tmp, `${stream.replace(/\.profraw$/, '')}.${i}.${f.name}.profraw`)
        writeFileSync(raw, f.data)
        byObject.set(object, [...(byObject.get(object) ?? []), raw])
      })
    }
    if (byObject.size === 0) missing.push(c.id)
    else perCaseRaw.set(c.id, byObject)
  }
  if (perCaseRaw.size === 0) throw new CoverageError(`no profile in ${opts.profileDir}: no case reached the end of its run in the coverage build`)

  // Per case: its profiles merged per object, measured over all its objects.
  const perCase: {id: string; declared: readonly string[]; components: ComponentCoverage[]}[] = []
  const caseProfiles = new Map<string, string[]>()
  const merged: string[] = []
  for (const c of opts.cases) {
    const byObject = perCaseRaw.get(c.id)
    if (!byObject) continue
    const acc: LineMap = new Map()
    let k = 0
    for (const [object, raws] of byObject) {
      const one = path.join(tmp, `${c.id}.${k++}.profdata`)
      const m = await mergeProfiles(t, raws, one)
      skipped.refused += m.refused
      if (!m.ok) continue
      caseProfiles.set(object, [...(caseProfiles.get(object) ?? []), one])
      addLcov(acc, await exportLcov(t, one, object), opts.root)
    }
    if (acc.size === 0) {
      missing.push(c.id)
      continue
    }
    merged.push(c.id)
    perCase.push({id: c.id, declared: c.components, components: componentCoverage(fileCoverage(acc).files, components)})
  }
  if (caseProfiles.size === 0) throw new CoverageError(`no profile in ${opts.profileDir} could be read by llvm-profdata`)

  // All cases: one profile per object (the kernel's is kernel.profdata), measured together; HTML per object.
  const html = path.join(opts.outDir, 'html')
  rmSync(html, {recursive: true, force: true})
  const acc: LineMap = new Map()
  const objects: CoverageObject[] = []
  for (const [object, profs] of [...caseProfiles].sort(([a], [b]) => (a === opts.object ? -1 : b === opts.object ? 1 : a.localeCompare(b)))) {
    const kernel = object === opts.object
    const name = kernel ? 'kernel' : path.basename(object, '.elf')
    const out = path.join(opts.outDir, kernel ? 'kernel.profdata' : path.join('user', `${name}.profdata`))
    mkdirSync(path.dirname(out), {recursive: true})
    await must([t.profdata, 'merge', '-sparse', '-o', out, ...profs], `llvm-profdata merge (${name})`)
    addLcov(acc, await exportLcov(t, out, object), opts.root)
    const dir = kernel ? html : path.join(html, 'user', name)
    await must([t.cov, 'show', '-format=html', `-output-dir=${dir}`, `-instr-profile=${out}`, object], `llvm-cov show (${name})`)
    objects.push({name, object: path.relative(opts.root, object), cases: profs.length, html: path.relative(opts.root, path.join(dir, 'index.html'))})
  }
  const all = fileCoverage(acc)

  const report: CoverageReport = {
    date: new Date().toISOString(),
    commit: headCommit(opts.root),
    object: path.relative(opts.root, opts.object),
    objects,
    cases: merged,
    missing,
    skipped: {cut: skipped.cut, refused: skipped.refused, unknown: [...new Set(skipped.unknown)].sort()},
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
  const objects = r.objects?.map((o) => o.name) ?? ['kernel']
  const lines = [`coverage of ${objects.length} ELF(s) (${objects.join(', ')}) over ${r.cases.length} case(s): lines ${p(r.totals.lines)}, functions ${p(r.totals.functions)}`]
  if (r.missing.length > 0) lines.push(`no profile from ${r.missing.length} case(s) (the guest never reached machine_exit): ${r.missing.join(', ')}`)
  const s = r.skipped
  if (s && s.cut + s.refused + s.unknown.length > 0) {
    lines.push(`skipped: ${s.cut} profile stream(s) cut short, ${s.refused} profile(s) llvm-profdata refused${s.unknown.length ? `, programs with no ELF in the coverage build: ${s.unknown.join(', ')}` : ''}`)
  }
  for (const c of r.components.filter((x) => x.linePct !== null)) lines.push(`  ${c.id.padEnd(16)} ${String(c.linePct).padStart(5)} % of ${c.lines.count} lines`)
  for (const w of r.warnings) lines.push(`warning: ${w.case} declares ${w.component} but ran none of its ${w.lines} instrumented lines`)
  lines.push(`HTML: ${r.html}`)
  return lines
}
