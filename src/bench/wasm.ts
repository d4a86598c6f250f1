// `kos bench wasm`: the same WebAssembly workloads (bench/wasm/*.wat, and
// *.c built by clang -O2 for wasm32; each exports `run` with no parameters)
// on build/host/kos-wasm, on wabt's wasm-interp and on Node's V8, in one run.
// An engine's time is the CPU time (user + system) it spent, from the
// kernel's accounting: for the two interpreters the whole process (parse,
// instantiate, run) as bash's `times` reports the waited-for child, for V8
// the node process's process.cpuUsage() across compile, instantiate and run.
// CPU time, not elapsed time, so a loaded machine (every engineer's QEMU
// on the same two cores) does not add the time a process waited for a CPU
// or the harness's own spawning; the elapsed times are kept beside it.
// Each engine's time is the median of its runs, and a run counts only when
// its result equals every other run's, on every engine. Figures are
// recorded, never judged: the goal (kos-wasm faster than wasm-interp) is a
// benchmark.
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {performance} from 'node:perf_hooks'
import wabtInit from 'wabt'

import type {BenchEntry} from './file.js'
import {loadPackageList, resolveTool, loadProfile} from '../builder/toolchain.js'
import {InputError} from '../util/errors.js'
import {runTool, which} from '../util/spawn.js'

export class WasmBenchError extends Error {}

export type Engine = 'kos-wasm' | 'wasm-interp' | 'v8'

export interface WorkloadResult {
  workload: string
  /** Median CPU time of the repeats, in milliseconds (whole process for the two interpreters: parse, instantiate, run). */
  ms: Partial<Record<Engine, number>>
  /** Median elapsed time of the same runs, in milliseconds (what a stopwatch around them saw). */
  wallMs: Partial<Record<Engine, number>>
  /** The value `run` returned (as an unsigned decimal), identical on every engine. */
  result: string
}

export interface WasmBenchOptions {
  root: string
  kosWasm?: string
  repeat?: number
  /** Only these workloads (names without .wat). */
  only?: string[]
  log?: (line: string) => void
}

export interface WasmBenchOutcome {
  results: WorkloadResult[]
  /** Engines that could not run (e.g. wasm-interp not installed). */
  missing: string[]
}

export function listWorkloads(root: string): string[] {
  const dir = path.join(root, 'bench/wasm')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wat') || f.endsWith('.c'))
    .map((f) => f.replace(/\.(wat|c)$/, ''))
    .sort()
}

/** clang -O2 for wasm32 (the wasm profile's compiler), exporting only `run`. */
async function cToWasm(root: string, file: string, out: string): Promise<Uint8Array> {
  const cc = resolveTool(loadProfile(root, 'wasm').tools.cc, loadPackageList(root))
  // -I user/p2p: a workload may build the daemon's portable code (sha256.c hashes with crypto/sha2.c).
  const r = await runTool(cc, ['--target=wasm32', '-O2', '-nostdlib', '-I', path.join(root, 'user/p2p'), '-Wl,--no-entry', '-Wl,--export=run', file, '-o', out])
  if (r.code !== 0) throw new WasmBenchError(`${path.basename(file)}: clang failed: ${r.all.trim().split('\n')[0]}`)
  return new Uint8Array(readFileSync(out))
}

export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

async function watToWasm(file: string): Promise<Uint8Array> {
  const wabt = await wabtInit()
  const mod = wabt.parseWat(file, readFileSync(file, 'utf8'), {})
  try {
    mod.validate()
    return mod.toBinary({log: false}).buffer
  } finally {
    mod.destroy()
  }
}

/** Normalizes an integer result ("i32:-5", "run() => i32:4294967291") to unsigned decimal. */
export function normalizeResult(text: string): string | null {
  const m = /\b(i32|i64):(-?\d+)/.exec(text)
  if (!m) return null
  const bits = m[1] === 'i32' ? 32n : 64n
  return BigInt.asUintN(Number(bits), BigInt(m[2])).toString()
}

/** The last line of bash's `times`: the children's user and system time ("0m0.041s 0m0.003s"). */
export function childCpuMs(times: string): number | null {
  const last = times.trim().split('\n').at(-1) ?? ''
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last.trim())
  if (!m) return null
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000
}

/** Runs file under bash, which waits for it and prints its CPU time with `times`; the program's output goes to outFile. */
async function timeProcess(file: string, args: string[], outFile: string): Promise<{ms: number; wallMs: number; out: string; code: number}> {
  const script = '"$@" >"$KOS_BENCH_OUT" 2>&1; rc=$?; times; exit $rc'
  const t0 = performance.now()
  const r = await runTool('bash', ['-c', script, 'bash', file, ...args], {timeoutMs: 600_000, env: {KOS_BENCH_OUT: outFile}})
  const wallMs = performance.now() - t0
  const out = existsSync(outFile) ? readFileSync(outFile, 'utf8') : r.all
  const ms = childCpuMs(r.stdout)
  if (ms === null) throw new WasmBenchError(`${path.basename(file)}: no CPU time from bash's times (got "${r.stdout.trim()}")`)
  return {ms, wallMs, out, code: r.code}
}

function timeV8(bytes: Uint8Array): {ms: number; wallMs: number; result: string} {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)))
  const value = (instance.exports.run as () => number | bigint)()
  const c = process.cpuUsage(c0)
  const wallMs = performance.now() - t0
  const result = typeof value === 'bigint' ? BigInt.asUintN(64, value).toString() : BigInt.asUintN(32, BigInt(value)).toString()
  return {ms: (c.user + c.system) / 1000, wallMs, result}
}

export async function runWasmBench(opts: WasmBenchOptions): Promise<WasmBenchOutcome> {
  const log = opts.log ?? (() => {})
  // The user's arguments first: a bad workload is named even before a build.
  const all = listWorkloads(opts.root)
  const names = opts.only && opts.only.length > 0 ? opts.only : all
  for (const n of names) if (!all.includes(n)) throw new InputError(`unknown workload "${n}" (have: ${all.join(', ')})`)
  const kosWasm = opts.kosWasm ?? path.join(opts.root, 'build/host/kos-wasm')
  if (!which(kosWasm)) throw new WasmBenchError(`${kosWasm} missing: run \`kos build\` first`)
  const interp = which('wasm-interp')
  const missing = interp ? [] : ['wasm-interp (not installed: `kos setup` installs wabt)']
  const repeat = Math.max(1, opts.repeat ?? 3)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-bench-wasm-'))
  const results: WorkloadResult[] = []
  try {
    for (const name of names) {
      const wasmFile = path.join(tmp, `${name}.wasm`)
      const src = path.join(opts.root, 'bench/wasm', name)
      let bytes: Uint8Array
      if (existsSync(`${src}.c`)) {
        bytes = await cToWasm(opts.root, `${src}.c`, wasmFile)
      } else {
        bytes = await watToWasm(`${src}.wat`)
        writeFileSync(wasmFile, bytes)
      }
      const times: Partial<Record<Engine, number[]>> = {}
      const walls: Partial<Record<Engine, number[]>> = {}
      let want: string | undefined
      // A faster wrong answer is no answer: a time counts only once its run
      // returned what every other run of every engine returned.
      const count = (engine: Engine, result: string, t: {ms: number; wallMs: number}) => {
        want ??= result
        if (result !== want) throw new WasmBenchError(`${name}: engines disagree on the result: ${engine} returned ${result}, another run ${want}`)
        ;(times[engine] ??= []).push(t.ms)
        ;(walls[engine] ??= []).push(t.wallMs)
      }
      const outFile = path.join(tmp, 'out.txt')
      for (let i = 0; i < repeat; i++) {
        const k = await timeProcess(kosWasm, ['run', wasmFile, 'run'], outFile)
        const kr = normalizeResult(k.out)
        if (k.code !== 0 || kr === null) throw new WasmBenchError(`${name}: kos-wasm failed: ${k.out.trim().split('\n')[0]}`)
        count('kos-wasm', kr, k)
        if (interp) {
          const w = await timeProcess(interp, [wasmFile, '--run-all-exports'], outFile)
          const wr = normalizeResult(w.out)
          if (w.code !== 0 || wr === null) throw new WasmBenchError(`${name}: wasm-interp failed: ${w.out.trim().split('\n')[0]}`)
          count('wasm-interp', wr, w)
        }
        const v = timeV8(bytes)
        count('v8', v.result, v)
      }
      const ms: Partial<Record<Engine, number>> = {}
      const wallMs: Partial<Record<Engine, number>> = {}
      for (const [engine, ts] of Object.entries(times)) ms[engine as Engine] = median(ts)
      for (const [engine, ts] of Object.entries(walls)) wallMs[engine as Engine] = median(ts)
      results.push({workload: name, ms, wallMs, result: want!})
      log(`${name}: ${formatRow(results.at(-1)!)}`)
    }
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
  return {results, missing}
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? '-' : ms.toFixed(1)
}

function formatRow(r: WorkloadResult): string {
  const engine = (e: Engine) => `${e} ${fmt(r.ms[e])} ms (elapsed ${fmt(r.wallMs[e])})`
  return `CPU: ${engine('kos-wasm')}, ${engine('wasm-interp')}, ${engine('v8')}`
}

/** kos-wasm time divided by the other engine's (below 1: kos-wasm is faster). */
export function ratios(r: WorkloadResult): Record<string, number> {
  const out: Record<string, number> = {}
  const k = r.ms['kos-wasm']
  if (k === undefined) return out
  if (r.ms['wasm-interp']) out['wasm-interp'] = k / r.ms['wasm-interp']
  if (r.ms.v8) out.v8 = k / r.ms.v8
  return out
}

export function benchEntries(results: WorkloadResult[]): BenchEntry[] {
  const entries: BenchEntry[] = []
  for (const r of results) {
    for (const engine of ['kos-wasm', 'wasm-interp', 'v8'] as const) {
      const ms = r.ms[engine]
      if (ms === undefined) continue
      entries.push({
        id: `wasm_${r.workload}_${engine}`,
        metric: `wasm_${r.workload}_ms`,
        value: Number(ms.toFixed(3)),
        unit: 'ms',
        case: 'bench-wasm',
        ...(engine === 'kos-wasm' ? {ratios: ratios(r)} : {}),
      })
    }
  }
  return entries
}

export function formatBenchTable(results: WorkloadResult[]): string {
  const head = ['workload', 'kos-wasm CPU ms', 'wasm-interp CPU ms', 'v8 CPU ms', 'vs wasm-interp', 'vs v8', 'result']
  const rows = [head]
  for (const r of results) {
    const q = ratios(r)
    rows.push([
      r.workload,
      fmt(r.ms['kos-wasm']),
      fmt(r.ms['wasm-interp']),
      fmt(r.ms.v8),
      q['wasm-interp'] === undefined ? '-' : `${q['wasm-interp'].toFixed(3)}x`,
      q.v8 === undefined ? '-' : `${q.v8.toFixed(2)}x`,
      r.result,
    ])
  }
  const w = head.map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n') + '\n'
}
