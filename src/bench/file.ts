// build/reports/bench.json: benchmark figures from every producer (`kos bench`,
// `kos bench wasm`, ...). Figures are recorded, never judged: speed is not a
// pass/fail criterion, but a benchmark that did not complete is an error.
import {mkdirSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import type {KtapNode} from '../ktap/types.js'
import type {RunResults} from '../suites/types.js'
import {gitInfo} from '../util/git.js'
import {checkRunFileHead, readJsonFile} from '../util/json.js'

export const DEFAULT_BENCH_PATH = 'build/reports/bench.json'

export interface BenchEntry {
  /** Producer-owned id; a merge replaces every earlier entry with the same id. `kos bench` uses the case id. */
  id: string
  metric: string
  value: number
  unit: string
  /** The case (or producer, e.g. "bench-wasm") that measured it. */
  case: string
  /** value divided by the same figure measured on the named baseline, e.g. {"wasm-interp": 0.4}. */
  ratios?: Record<string, number>
  /** When this entry was measured (ISO); filled in by mergeBench when absent. */
  date?: string
}

export interface BenchFile {
  /** Date of the last merge. */
  date: string
  commit: string | null
  dirty?: boolean | null
  benchmarks: BenchEntry[]
}

export class BenchFileError extends Error {}

function fail(path: string, what: string): never {
  throw new BenchFileError(`${path}: ${what}`)
}

export function validateBenchEntry(value: unknown, where: string): BenchEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'not an object')
  const e = value as Record<string, unknown>
  for (const key of ['id', 'metric', 'unit', 'case'] as const) {
    if (typeof e[key] !== 'string' || (key !== 'unit' && e[key] === '')) fail(where, `"${key}" must be a non-empty string`)
  }
  if (typeof e.value !== 'number' || !Number.isFinite(e.value)) fail(where, `"value" must be a finite number`)
  if (e.ratios !== undefined) {
    if (typeof e.ratios !== 'object' || e.ratios === null || Array.isArray(e.ratios)) fail(where, '"ratios" must be an object')
    for (const [k, r] of Object.entries(e.ratios)) {
      if (typeof r !== 'number' || !Number.isFinite(r)) fail(where, `ratio "${k}" must be a finite number`)
    }
  }
  if (e.date !== undefined && typeof e.date !== 'string') fail(where, '"date" must be a string')
  return e as unknown as BenchEntry
}

export function validateBench(value: unknown, path = 'bench'): BenchFile {
  const v = checkRunFileHead(value, path, 'benchmarks', fail) as {date: string; commit?: unknown; dirty?: unknown; benchmarks: unknown[]}
  v.benchmarks.forEach((b, i) => validateBenchEntry(b, `${path}: benchmarks[${i}]`))
  return {date: v.date, commit: (v.commit as string | undefined) ?? null, dirty: (v.dirty as boolean | null | undefined) ?? null, benchmarks: v.benchmarks as BenchEntry[]}
}

export function readBench(path: string): BenchFile {
  return validateBench(readJsonFile(path, 'run `kos bench` first', fail), path)
}

/** Pure merge: entries replace every existing entry that has one of their ids. */
export function mergeBenchEntries(
  existing: BenchFile | null,
  entries: readonly BenchEntry[],
  info: {date: string; commit: string | null; dirty?: boolean | null},
  /** Further ids whose old entries are dropped (e.g. a benchmark that ran again and failed: its old figure is stale). */
  replaceIds: readonly string[] = [],
): BenchFile {
  entries.forEach((e, i) => validateBenchEntry(e, `new entry ${i}`))
  const replaced = new Set([...entries.map((e) => e.id), ...replaceIds])
  const kept = (existing?.benchmarks ?? []).filter((e) => !replaced.has(e.id))
  const added = entries.map((e) => ({...e, date: e.date ?? info.date}))
  return {date: info.date, commit: info.commit, dirty: info.dirty ?? null, benchmarks: [...kept, ...added]}
}

/**
 * Record benchmark entries in bench.json (default build/reports/bench.json),
 * replacing earlier entries with the same ids and keeping everyone else's.
 * Returns the file as written. Throws BenchFileError if the existing file is malformed.
 */
export function mergeBench(
  entries: readonly BenchEntry[],
  opts: {path?: string; root?: string; date?: string; replaceIds?: readonly string[]} = {},
): BenchFile {
  const path = opts.path ?? DEFAULT_BENCH_PATH
  let existing: BenchFile | null = null
  try {
    existing = readBench(path)
  } catch (error) {
    if (!(error instanceof BenchFileError && error.message.includes('no such file'))) throw error
  }
  const git = gitInfo(opts.root ?? process.cwd())
  const merged = mergeBenchEntries(existing, entries, {date: opts.date ?? new Date().toISOString(), commit: git.commit, dirty: git.dirty}, opts.replaceIds)
  mkdirSync(dirname(path), {recursive: true})
  writeFileSync(path, JSON.stringify(merged, null, 2) + '\n')
  return merged
}

const METRIC_LINE = /^(?:#\s*)?metric\s+(\S+)\s+(\S+)(?:\s+(.*\S))?\s*$/

/** `# metric NAME VALUE [UNIT]` diagnostics anywhere in a KTAP tree. */
export function metricsFromKtap(node: KtapNode | null): Map<string, {value: number; unit: string}> {
  const out = new Map<string, {value: number; unit: string}>()
  const visit = (n: KtapNode): void => {
    for (const d of n.diagnostics ?? []) {
      const m = METRIC_LINE.exec(d.trim())
      if (!m) continue
      const value = Number(m[2])
      if (Number.isFinite(value)) out.set(m[1], {value, unit: m[3] ?? ''})
    }
    for (const s of n.subtests ?? []) visit(s)
  }
  if (node) visit(node)
  return out
}

/**
 * Benchmark entries from a run of benchmark cases. Every case that ran and
 * did not pass, or passed without printing a metric, is a problem (an error
 * for `kos bench`); its figures are not recorded. Skipped cases are listed apart.
 */
export function benchEntriesFromResults(results: RunResults): {entries: BenchEntry[]; problems: string[]; skipped: string[]} {
  const entries: BenchEntry[] = []
  const problems: string[] = []
  const skipped: string[] = []
  for (const c of results.cases) {
    // A skipped case did not run here (e.g. TAP without root): not an error, and no figure.
    if (c.status === 'skip') {
      skipped.push(`${c.id}: skipped${c.reason ? ` (${c.reason})` : ''}`)
      continue
    }
    if (c.status !== 'pass') {
      problems.push(`${c.id}: did not complete (${c.status}${c.reason ? `: ${c.reason}` : ''})`)
      continue
    }
    const fromKtap = metricsFromKtap(c.ktap)
    const names = new Set([...Object.keys(c.metrics ?? {}), ...fromKtap.keys()])
    if (names.size === 0) {
      problems.push(`${c.id}: passed but printed no "# metric NAME VALUE UNIT" line`)
      continue
    }
    for (const metric of [...names].sort()) {
      const value = c.metrics?.[metric] ?? fromKtap.get(metric)!.value
      entries.push({id: c.id, metric, value, unit: fromKtap.get(metric)?.unit ?? '', case: c.id, date: results.date})
    }
  }
  return {entries, problems, skipped}
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value)
  // Four significant digits, no exponent notation, no trailing zeros.
  if (Math.abs(value) >= 1000) return String(Math.round(value))
  return String(Number(value.toPrecision(4)))
}

export function formatRatios(ratios: Record<string, number> | undefined): string {
  if (!ratios) return ''
  return Object.entries(ratios)
    .map(([base, r]) => `${formatNumber(r)}x ${base}`)
    .join(', ')
}

/** A plain-text table for terminals. */
export function benchTable(entries: readonly BenchEntry[]): string {
  const rows = [['benchmark', 'metric', 'value', 'unit', 'ratios']]
  for (const e of entries) rows.push([e.id, e.metric, formatNumber(e.value), e.unit, formatRatios(e.ratios)])
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n'
}

/** `kos bench --vs linux`'s entries: kos's median (id vs_linux, with the ratio) and Linux's (vs_linux_linux). */
export const VS_LINUX_ID = 'vs_linux'
export const VS_LINUX_LINUX_ID = 'vs_linux_linux'

/** One row per metric measured on both: kos, Linux, kos/Linux. */
export function vsLinuxPairs(entries: readonly BenchEntry[]): {metric: string; unit: string; kos: number; linux: number; ratio: number}[] {
  const linux = new Map(entries.filter((e) => e.id === VS_LINUX_LINUX_ID).map((e) => [e.metric, e.value]))
  return entries
    .filter((e) => e.id === VS_LINUX_ID && linux.has(e.metric))
    .map((e) => ({metric: e.metric, unit: e.unit, kos: e.value, linux: linux.get(e.metric)!, ratio: e.ratios?.linux ?? e.value / linux.get(e.metric)!}))
}
