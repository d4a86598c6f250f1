// `kos bench wasm` library: result normalization, ratios, bench.json entries,
// and one workload end to end (engines must agree; no timing is asserted).
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {hostBuild, kosWasmSources} from '../../src/builder/hostcc.js'
import {validateBenchEntry} from '../../src/bench/file.js'
import {InputError} from '../../src/util/errors.js'
import {WasmBenchError, benchEntries, childCpuMs, listWorkloads, median, normalizeResult, ratios, runWasmBench} from '../../src/bench/wasm.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

describe('normalizeResult', () => {
  it('reads kos-wasm and wasm-interp output as unsigned decimals', () => {
    expect(normalizeResult('i32:-316928616\n')).toBe('3978038680')
    expect(normalizeResult('run() => i32:3978038680\n')).toBe('3978038680')
    expect(normalizeResult('i64:-1')).toBe('18446744073709551615')
    expect(normalizeResult('trap: unreachable')).toBeNull()
  })
})

describe('childCpuMs', () => {
  it('adds the children\'s user and system time from bash\'s times', () => {
    expect(childCpuMs('0m0.002s 0m0.001s\n0m0.041s 0m0.003s\n')).toBeCloseTo(44, 6)
    expect(childCpuMs('0m0.000s 0m0.000s\n1m2.500s 0m0.250s')).toBeCloseTo(62750, 6)
    expect(childCpuMs('garbage')).toBeNull()
  })
})

describe('bench entries', () => {
  const r = {workload: 'fib', ms: {'kos-wasm': 50, 'wasm-interp': 200, v8: 10}, wallMs: {'kos-wasm': 60, 'wasm-interp': 210, v8: 11}, result: '1'}
  it('divides the kos-wasm time by each other engine', () => {
    expect(ratios(r)).toEqual({'wasm-interp': 0.25, v8: 5})
  })
  it('records one valid entry per engine, ratios on the kos-wasm one', () => {
    const e = benchEntries([r])
    expect(e.map((x) => x.id)).toEqual(['wasm_fib_kos-wasm', 'wasm_fib_wasm-interp', 'wasm_fib_v8'])
    for (const x of e) validateBenchEntry(x, x.id)
    expect(e[0].ratios).toEqual({'wasm-interp': 0.25, v8: 5})
    expect(e[1].ratios).toBeUndefined()
  })
})

describe('runWasmBench', () => {
  it('has the four workloads of the issue and SHA-256 in C', () => {
    expect(listWorkloads(repoRoot)).toEqual(['crc32', 'fib', 'matmul', 'sha256', 'sieve'])
  })

  it('keeps the median of the runs', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  /** One run of workload `only` on every engine, with kos-wasm freshly built for it. */
  async function benchOnce(only: string) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), `kos-bench-${only}-`))
    try {
      const kosWasm = path.join(tmp, 'kos-wasm')
      hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: kosWasm})
      return await runWasmBench({root: repoRoot, kosWasm, repeat: 1, only: [only]})
    } finally {
      rmSync(tmp, {recursive: true, force: true})
    }
  }

  it('builds the C workload with clang -O2 and every engine computes the same SHA-256', async () => {
    const out = await benchOnce('sha256')
    // hashlib.sha256 of the same 1 MiB: first word 0x0c447665
    expect(out.results[0].result).toBe('205813349')
    expect(Object.keys(out.results[0].ms).sort()).toEqual(['kos-wasm', 'v8', 'wasm-interp'])
  }, 300_000)

  it('runs a workload on every engine and checks they agree', async () => {
    const out = await benchOnce('sieve')
    expect(out.results).toHaveLength(1)
    expect(out.results[0].result).toBe('78498') // primes below 10^6
    // Every engine ran (wasm-interp is on PATH here: wabt is a setup package) and was
    // timed; the times themselves are the machine's and are not asserted.
    const ms = out.results[0].ms
    expect(Object.keys(ms).sort()).toEqual(['kos-wasm', 'v8', 'wasm-interp'])
    for (const v of Object.values(ms)) expect(Number.isFinite(v)).toBe(true)
    expect(out.results[0].workload).toBe('sieve')
  })

  it('names an unknown workload', async () => {
    await expect(runWasmBench({root: repoRoot, kosWasm: process.execPath, only: ['nope']})).rejects.toThrow(InputError)
    await expect(runWasmBench({root: repoRoot, kosWasm: process.execPath, only: ['nope']})).rejects.toThrow('unknown workload "nope"')
  })
})
