import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {
  type BenchEntry,
  BenchFileError,
  benchEntriesFromResults,
  benchTable,
  formatNumber,
  mergeBench,
  mergeBenchEntries,
  metricsFromKtap,
  readBench,
} from '../../src/bench/file.js'
import {BENCH_RESULTS, BenchError, type BenchDeps, loadBenchCases, runBenchmarks} from '../../src/bench/run.js'
import {InputError} from '../../src/util/errors.js'
import type {KtapNode} from '../../src/ktap/types.js'
import type {CaseStatus} from '../../src/suites/status.js'
import type {CaseDef, CaseResult, RunResults} from '../../src/suites/types.js'
import {tempDir} from '../helpers/tmpdir.js'

function node(name: string, diagnostics: string[], subtests: KtapNode[] = []): KtapNode {
  return {name, number: 1, ok: true, plan: subtests.length || null, diagnostics, log: [], subtests, errors: []}
}

function benchCase(id: string, status: CaseStatus, extra: Partial<CaseResult> = {}): CaseResult {
  return {id, phase: 1, title: id, components: [], syscalls: [], status, durationMs: 1, log: '', qemu: {argv: [], exitCode: 1}, ktap: null, ...extra}
}

function results(cases: CaseResult[]): RunResults {
  return {date: '2026-11-25T18:00:00.000Z', commit: 'abc', summary: {pass: 0, fail: 0, skip: 0, timeout: 0, crash: 0, error: 0}, cases}
}

const entry = (id: string, metric: string, value: number): BenchEntry => ({id, metric, value, unit: 'ms', case: id})

describe('metricsFromKtap', () => {
  it('finds metric diagnostics at any depth, with or without the leading #', () => {
    const tree = node('', [], [node('bench', ['# metric null_syscall_cycles 812 cycles'], [node('inner', ['metric copy_bytes_per_s 1.5e9 bytes/s', '# not a metric 1 2', '# metric broken abc units'])])])
    const m = metricsFromKtap(tree)
    expect(Object.fromEntries(m)).toEqual({
      null_syscall_cycles: {value: 812, unit: 'cycles'},
      copy_bytes_per_s: {value: 1.5e9, unit: 'bytes/s'},
    })
    expect(metricsFromKtap(null).size).toBe(0)
  })
})

describe('benchEntriesFromResults', () => {
  it('records figures of completed cases and treats the rest as problems', () => {
    const r = results([
      benchCase('null_syscall', 'pass', {metrics: {null_syscall_cycles: 812}, ktap: node('', [], [node('b', ['# metric null_syscall_cycles 812 cycles'])])}),
      benchCase('runner_only', 'pass', {metrics: {pages: 3}}),
      benchCase('slow', 'timeout', {reason: 'no output for 60 s', metrics: {x: 1}}),
      benchCase('silent', 'pass'),
      benchCase('tap_rtt', 'skip', {reason: 'needs root/CAP_NET_ADMIN for TAP'}),
    ])
    const {entries, problems, skipped} = benchEntriesFromResults(r)
    expect(entries).toEqual([
      {id: 'null_syscall', metric: 'null_syscall_cycles', value: 812, unit: 'cycles', case: 'null_syscall', date: r.date},
      {id: 'runner_only', metric: 'pages', value: 3, unit: '', case: 'runner_only', date: r.date},
    ])
    expect(problems).toEqual(['slow: did not complete (timeout: no output for 60 s)', 'silent: passed but printed no "# metric NAME VALUE UNIT" line'])
    expect(skipped).toEqual(['tap_rtt: skipped (needs root/CAP_NET_ADMIN for TAP)'])
  })
})

describe('mergeBenchEntries', () => {
  it('replaces entries with the same id and keeps the others', () => {
    const first = mergeBenchEntries(null, [entry('a', 'm1', 1), entry('a', 'm2', 2), entry('b', 'm', 3)], {date: 'd1', commit: 'c1'})
    const second = mergeBenchEntries(first, [entry('a', 'm1', 10)], {date: 'd2', commit: 'c2'})
    expect(second.date).toBe('d2')
    expect(second.benchmarks.map((e) => [e.id, e.metric, e.value, e.date])).toEqual([
      ['b', 'm', 3, 'd1'],
      ['a', 'm1', 10, 'd2'],
    ])
  })

  it('refuses malformed entries', () => {
    expect(() => mergeBenchEntries(null, [{...entry('a', 'm', 1), value: Number.NaN}], {date: 'd', commit: null})).toThrow(/finite number/)
    expect(() => mergeBenchEntries(null, [{...entry('a', 'm', 1), ratios: {v8: 'fast' as unknown as number}}], {date: 'd', commit: null})).toThrow(/ratio "v8"/)
  })
})

describe('mergeBench / readBench', () => {
  it('creates the file, then merges into it', () => {
    const dir = tempDir('kos-bench-')
    const path = join(dir, 'reports', 'bench.json')
    mergeBench([entry('null_syscall', 'cycles', 800)], {path, root: dir, date: 'd1'})
    mergeBench([{...entry('wasm-fib', 'ms', 40), ratios: {'wasm-interp': 0.5}}], {path, root: dir, date: 'd2'})
    const file = readBench(path)
    expect(file.benchmarks.map((e) => e.id)).toEqual(['null_syscall', 'wasm-fib'])
    expect(file.benchmarks[1].ratios).toEqual({'wasm-interp': 0.5})
    expect(file.commit).toBeNull() // not a git checkout
  })

  it('refuses a malformed existing file instead of overwriting it', () => {
    const dir = tempDir('kos-bench-')
    const path = join(dir, 'bench.json')
    writeFileSync(path, '{"date":"x","benchmarks":[{"id":"a"}]}')
    expect(() => mergeBench([entry('b', 'm', 1)], {path, root: dir})).toThrow(BenchFileError)
    expect(readFileSync(path, 'utf8')).toContain('"id":"a"')
    expect(() => readBench(join(dir, 'none.json'))).toThrow(/no such file/)
  })
})

describe('formatting', () => {
  it('formats numbers and aligns the table', () => {
    expect(formatNumber(812)).toBe('812')
    expect(formatNumber(0.5)).toBe('0.5')
    expect(formatNumber(41.256)).toBe('41.26')
    expect(formatNumber(123456.7)).toBe('123457')
    const t = benchTable([entry('a', 'metric_one', 5), {...entry('bb', 'm', 12345), ratios: {v8: 2}}]).split('\n')
    expect(t[0]).toMatch(/^benchmark\s+metric\s+value\s+unit\s+ratios$/)
    expect(t[2]).toContain('12345  ms    2x v8')
    // Values are right-aligned: both rows end their value column at the same offset.
    expect(t[1].indexOf('5  ms')).toBe(t[2].indexOf('12345  ms') + 4)
  })
})

describe('runBenchmarks (runner injected)', () => {
  const defs: CaseDef[] = ['null_syscall', 'page_fault'].map((id) => ({
    id, phase: 1, title: id, components: [], syscalls: [], profile: 'base', append: `init=/bin/${id}`, timeoutSec: 120,
  }))

  function deps(statusOf: (id: string) => CaseStatus, seen: {ids?: string[]; jobs?: number} = {}): BenchDeps {
    return {
      loadCases: async () => defs,
      runCases: async (cases, opts) => {
        seen.ids = cases.map((c) => c.id)
        seen.jobs = opts.jobs
        return results(cases.map((c) => benchCase(c.id, statusOf(c.id), {
          metrics: {[`${c.id}_cycles`]: c.id.length * 100},
          ktap: node('', [], [node(c.id, [`# metric ${c.id}_cycles ${c.id.length * 100} cycles`])]),
        })))
      },
    }
  }

  it('runs one guest at a time and records every figure', async () => {
    const dir = tempDir('kos-benchrun-')
    const seen: {ids?: string[]; jobs?: number} = {}
    const out = await runBenchmarks({root: dir}, deps(() => 'pass', seen))
    expect(seen).toEqual({ids: ['null_syscall', 'page_fault'], jobs: 1})
    expect(out.problems).toEqual([])
    expect(readBench(join(dir, 'build/reports/bench.json')).benchmarks.map((e) => [e.id, e.metric, e.value, e.unit])).toEqual([
      ['null_syscall', 'null_syscall_cycles', 1200, 'cycles'],
      ['page_fault', 'page_fault_cycles', 1000, 'cycles'],
    ])
    expect(JSON.parse(readFileSync(join(dir, BENCH_RESULTS), 'utf8')).cases).toHaveLength(2)
  })

  it('reports a benchmark that did not complete and drops its stale figure', async () => {
    const dir = tempDir('kos-benchrun-')
    await runBenchmarks({root: dir}, deps(() => 'pass'))
    const seen: {ids?: string[]} = {}
    const out = await runBenchmarks({root: dir, caseIds: ['page_fault']}, deps(() => 'crash', seen))
    expect(seen.ids).toEqual(['page_fault'])
    expect(out.problems).toEqual(['page_fault: did not complete (crash)'])
    // The other benchmark's figure stays; the failed one's old figure is gone.
    expect(out.file.benchmarks.map((e) => e.id)).toEqual(['null_syscall'])
  })

  it('keeps the earlier figure of a benchmark skipped this time, without an error', async () => {
    const dir = tempDir('kos-benchrun-')
    await runBenchmarks({root: dir}, deps(() => 'pass'))
    const out = await runBenchmarks({root: dir}, deps((id) => (id === 'page_fault' ? 'skip' : 'pass')))
    expect(out.problems).toEqual([])
    expect(out.skipped).toEqual(['page_fault: skipped'])
    expect(out.file.benchmarks.map((e) => e.id).sort()).toEqual(['null_syscall', 'page_fault'])
  })

  it('names an unknown --case', async () => {
    const dir = tempDir('kos-benchrun-')
    await expect(runBenchmarks({root: dir, caseIds: ['nul_syscall']}, deps(() => 'pass'))).rejects.toThrow(/unknown benchmark case "nul_syscall" \(have: null_syscall, page_fault\)/)
    // A benchmark is also named without its bench_ prefix; a misspelt name is bad input (exit 2), not a failed run.
    await expect(runBenchmarks({root: dir, caseIds: ['nul_syscall']}, deps(() => 'pass'))).rejects.toThrow(InputError)
    await expect(loadBenchCases(dir)).rejects.toThrow(BenchError)
  })

  it('takes a benchmark by its name without the bench_ prefix', async () => {
    const dir = tempDir('kos-benchrun-')
    const seen: {ids?: string[]} = {}
    const prefixed: BenchDeps = {...deps(() => 'pass', seen), loadCases: async () => defs.map((d) => ({...d, id: `bench_${d.id}`}))}
    await runBenchmarks({root: dir, caseIds: ['page_fault']}, prefixed)
    expect(seen.ids).toEqual(['bench_page_fault'])
  })
})
