// `kos wasm spec`: run WebAssembly .wast scripts through wast2json and the
// host build of the kernel's interpreter (build/host/kos-wasm), and collect
// per-file assertion counts and every failure with its line.
import {existsSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {runTool, which} from '../util/spawn.js'

/** Which WebAssembly the scripts test: 1.0 (MVP) or 2.0 (without SIMD). */
export type WasmVersion = '1.0' | '2.0'

/** Files only the 2.0 suite has (its proposals): a directory with one of them is a 2.0 suite. */
const V2_MARKERS = ['bulk.wast', 'ref_func.wast', 'ref_null.wast', 'ref_is_null.wast', 'table_fill.wast', 'memory_fill.wast']

/** The version a directory (or a file's directory) of scripts tests. */
export function detectWasmVersion(dirOrFile: string): WasmVersion {
  let dir = dirOrFile
  try {
    if (statSync(dirOrFile).isFile()) dir = path.dirname(dirOrFile)
  } catch {
    return '1.0'
  }
  const names = new Set(readdirSync(dir))
  return V2_MARKERS.some((f) => names.has(f)) ? '2.0' : '1.0'
}

/** wast2json flags for the WebAssembly 1.0 (MVP) feature set. */
export const MVP_FLAGS = [
  '--disable-multi-value',
  '--disable-sign-extension',
  '--disable-saturating-float-to-int',
  '--disable-bulk-memory',
  '--disable-reference-types',
]

export interface SpecFailure {
  line: number
  message: string
}

export interface SpecFileResult {
  file: string
  passed: number
  failed: number
  /** Commands kos-wasm did not judge (module types it does not know). */
  skipped: number
  failures: SpecFailure[]
}

export interface SpecSummary {
  version?: WasmVersion
  files: SpecFileResult[]
  passed: number
  failed: number
  skipped: number
}

export class WasmSpecError extends Error {}

export interface ParsedRun {
  passed: number
  failed: number
  skipped: number
  failures: SpecFailure[]
  /** false when the final RESULT line is missing (the runner crashed or was killed). */
  complete: boolean
}

const RESULT_RE = /^RESULT passed (\d+) failed (\d+) skipped (\d+)$/
const FAILURE_RE = /^([^:\n]+):(\d+): (.*)$/

/** Parses `kos-wasm spec` output: `FILE:LINE: message` lines and the final RESULT line. */
export function parseKosWasmOutput(stdout: string): ParsedRun {
  const out: ParsedRun = {passed: 0, failed: 0, skipped: 0, failures: [], complete: false}
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd()
    const r = RESULT_RE.exec(line)
    if (r) {
      out.passed = Number(r[1])
      out.failed = Number(r[2])
      out.skipped = Number(r[3])
      out.complete = true
      continue
    }
    const f = FAILURE_RE.exec(line)
    if (f) out.failures.push({line: Number(f[2]), message: f[3]})
  }
  return out
}

export interface SpecOptions {
  /** Directory of .wast files (or a single .wast file). */
  dir: string
  /** Repository root (for build/host/kos-wasm). */
  root: string
  kosWasm?: string
  wast2json?: string
  jobs?: number
  /** Per-file timeout for kos-wasm (ms). */
  timeoutMs?: number
  /** Default: detectWasmVersion(dir). */
  version?: WasmVersion
}

export function listWastFiles(dir: string): string[] {
  let st
  try {
    st = statSync(dir)
  } catch {
    throw new WasmSpecError(`${dir}: no such file or directory`)
  }
  if (st.isFile()) {
    if (!dir.endsWith('.wast')) throw new WasmSpecError(`${dir}: not a .wast file`)
    return [path.resolve(dir)]
  }
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.wast'))
    .sort()
    .map((f) => path.resolve(dir, f))
  if (files.length === 0) throw new WasmSpecError(`${dir}: no .wast files`)
  return files
}

export function findWast2json(): string {
  const bin = which('wast2json')
  if (!bin) throw new WasmSpecError('wast2json not found: `kos setup` installs wabt')
  return bin
}

export function kosWasmPath(root: string): string {
  return path.join(root, 'build', 'host', 'kos-wasm')
}

/** Converts and runs one .wast file; never throws for a failing script.
 * 1.0 scripts are converted with MVP_FLAGS and judged by kos-wasm --mvp
 * (what 1.0 refuses, such as multi-value, stays refused); 2.0 scripts with
 * wast2json's default features. */
export async function runSpecFile(
  file: string,
  kosWasm: string,
  wast2json: string,
  timeoutMs: number,
  version: WasmVersion = '1.0',
): Promise<SpecFileResult> {
  const name = path.basename(file)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-wasm-spec-'))
  try {
    const json = path.join(tmp, name.replace(/\.wast$/, '.json'))
    const conv = await runTool(wast2json, [...(version === '1.0' ? MVP_FLAGS : []), file, '-o', json])
    if (conv.code !== 0) {
      return {file: name, passed: 0, failed: 1, skipped: 0, failures: [{line: 0, message: `wast2json failed: ${conv.all.trim().split('\n')[0]}`}]}
    }
    const run = await runTool(kosWasm, ['spec', ...(version === '1.0' ? ['--mvp'] : []), json], {timeoutMs})
    const parsed = parseKosWasmOutput(run.stdout)
    if (!parsed.complete) {
      const why = run.code === 127 ? run.stderr.trim().split('\n').pop() : `exit code ${run.code}`
      parsed.failures.push({line: 0, message: `kos-wasm did not finish (${why})`})
      parsed.failed = parsed.failures.length
    }
    return {file: name, passed: parsed.passed, failed: parsed.failed, skipped: parsed.skipped, failures: parsed.failures}
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}

export async function runSpecSuite(opts: SpecOptions): Promise<SpecSummary> {
  // The user's argument first: a bad directory is named even before a build.
  const files = listWastFiles(opts.dir)
  const wast2json = opts.wast2json ?? findWast2json()
  const kosWasm = opts.kosWasm ?? kosWasmPath(opts.root)
  if (!existsSync(kosWasm)) throw new WasmSpecError(`${kosWasm} missing: run \`kos build\` first`)
  const version = opts.version ?? detectWasmVersion(opts.dir)
  const jobs = Math.max(1, opts.jobs ?? Math.min(os.cpus().length, 4))
  const timeoutMs = opts.timeoutMs ?? 300_000
  const results: SpecFileResult[] = new Array(files.length)
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const i = next++
      results[i] = await runSpecFile(files[i], kosWasm, wast2json, timeoutMs, version)
    }
  }
  await Promise.all(Array.from({length: Math.min(jobs, files.length)}, worker))
  return {version, ...summarize(results)}
}

export function summarize(files: SpecFileResult[]): SpecSummary {
  return {
    files,
    passed: files.reduce((n, f) => n + f.passed, 0),
    failed: files.reduce((n, f) => n + f.failed, 0),
    skipped: files.reduce((n, f) => n + f.skipped, 0),
  }
}

/** Human-readable table: one row per file, totals, then every failure. */
export function formatSpecTable(s: SpecSummary): string {
  const w = Math.max(4, ...s.files.map((f) => f.file.length))
  const row = (a: string, b: string, c: string, d: string) => `${a.padEnd(w)}  ${b.padStart(7)}  ${c.padStart(7)}  ${d.padStart(7)}`
  const lines = [row('file', 'passed', 'failed', 'skipped')]
  for (const f of s.files) lines.push(row(f.file, String(f.passed), String(f.failed), String(f.skipped)))
  lines.push(row('total', String(s.passed), String(s.failed), String(s.skipped)))
  const run = s.passed + s.failed
  const pct = run > 0 ? ((100 * s.passed) / run).toFixed(2) : '0.00'
  lines.push(`${s.passed}/${run} assertions passed (${pct} %), ${s.skipped} skipped${s.version ? ` (WebAssembly ${s.version})` : ''}`)
  for (const f of s.files) for (const x of f.failures) lines.push(`${f.file}:${x.line}: ${x.message}`)
  return lines.join('\n') + '\n'
}
