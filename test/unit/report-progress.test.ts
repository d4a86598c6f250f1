import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {BenchFile} from '../../src/bench/file.js'
import {readCoverage} from '../../src/report/coverage.js'
import {COMPONENTS, ORIGINAL_SYSCALLS, resolveComponentId} from '../../src/report/components.js'
import {gitInfo} from '../../src/util/git.js'
import {generateProgress} from '../../src/report/progress/index.js'
import {phaseBar, progressMarkdown} from '../../src/report/progress/markdown.js'
import {buildProgress, combineAttempts, mergeRunResults, type ProgressInput} from '../../src/report/progress/model.js'
import {parseSyscallHeader, parseSyscallTable} from '../../src/report/progress/syscalls.js'
import {readResults, ResultsFileError} from '../../src/report/results.js'
import {globToRegExp} from '../../src/report/tree.js'
import {parseVitestJson, VitestFileError} from '../../src/report/vitest.js'
import type {CaseStatus} from '../../src/suites/status.js'
import type {CaseDef, CaseResult, RunResults} from '../../src/suites/types.js'
import {tempDir} from '../helpers/tmpdir.js'

const TREE = 'test/fixtures/report/tree'
const PHASE1 = 'test/fixtures/report/results-phase1.json'
const PHASE3 = 'test/fixtures/report/results-phase3.json'
const COVERAGE = 'test/fixtures/report/coverage.json'
const NOW = '2026-11-25T19:00:00.000Z'
const GIT = {commit: 'feed123', dirty: false}

function input(overrides: Partial<ProgressInput> = {}): ProgressInput {
  return {
    root: TREE,
    results: [
      {path: PHASE1, results: readResults(PHASE1)},
      {path: PHASE3, results: readResults(PHASE3)},
    ],
    bench: null,
    git: GIT,
    now: NOW,
    ...overrides,
  }
}

function makeCase(id: string, phase: number, status: CaseStatus, components: string[], syscalls: string[] = []): CaseResult {
  return {id, phase, title: id, components, syscalls, status, durationMs: 10, log: '', qemu: {argv: [], exitCode: null}, ktap: null}
}

function run(date: string, cases: CaseResult[]): RunResults {
  return {date, commit: null, summary: {pass: 0, fail: 0, skip: 0, timeout: 0, crash: 0, error: 0}, cases}
}

describe('glob patterns', () => {
  it('keeps * inside a segment and lets ** cross segments', () => {
    expect(globToRegExp('kernel/mm/pmm*').test('kernel/mm/pmm.c')).toBe(true)
    expect(globToRegExp('kernel/mm/pmm*').test('kernel/mm/sub/pmm.c')).toBe(false)
    expect(globToRegExp('kernel/sys/**').test('kernel/sys/a/b.c')).toBe(true)
    expect(globToRegExp('kernel/net/ip.*').test('kernel/net/ipv4.c')).toBe(false)
    // A pattern naming a directory covers what is below it.
    expect(globToRegExp('kernel/arch/x86_64/boot*').test('kernel/arch/x86_64/boot/entry.S')).toBe(true)
  })
})

describe('syscall sources', () => {
  const list = readFileSync(join(TREE, 'kernel/include/kos/syscalls.h'), 'utf8')

  it('reads numbers from the X entries of the list, reserved ones included, and skips comments', () => {
    const numbers = parseSyscallHeader(list)
    expect(numbers.get('SYS_EXIT')).toBe(1)
    expect(numbers.get('SYS_FORK')).toBe(5)
    expect(numbers.get('SYS_GETPID')).toBe(25)
    expect(numbers.has('SYS_CLOSE')).toBe(false)
    expect(numbers.has('SYS_COMMENT')).toBe(false)
    expect(numbers.has('SYS_MAX')).toBe(false)
    expect(numbers.size).toBe(5)
  })

  it('reads handlers from entries of kind SYS only', () => {
    const table = parseSyscallTable(list)
    expect(Object.fromEntries(table)).toEqual({SYS_EXIT: 'sys_exit', SYS_READ: 'sys_read', SYS_WRITE: 'sys_write', SYS_GETPID: 'sys_getpid'})
  })

  it('reads the real list: the original numbering kept, every handler a listed number', () => {
    const real = readFileSync('kernel/include/kos/syscalls.h', 'utf8')
    const numbers = parseSyscallHeader(real)
    const table = parseSyscallTable(real)
    for (const {name, number} of ORIGINAL_SYSCALLS) expect(numbers.get(name)).toBe(number)
    expect(numbers.get('SYS_WAITPID')).toBe(33)
    expect(new Set(numbers.values()).size).toBe(numbers.size)
    for (const name of table.keys()) expect(numbers.has(name)).toBe(true)
    expect(table.get('SYS_WASM_UNLOAD')).toBe('sys_wasm_unload')
  })
})

describe('mergeRunResults', () => {
  it('keeps the newest result of a case seen in several runs', () => {
    const older = run('2026-01-01T00:00:00Z', [makeCase('a', 1, 'fail', []), makeCase('b', 1, 'pass', [])])
    const newer = run('2026-01-02T00:00:00Z', [makeCase('a', 1, 'pass', [])])
    // Argument order must not matter: dates decide.
    for (const merged of [mergeRunResults([older, newer]), mergeRunResults([newer, older])]) {
      expect(merged.map((c) => [c.id, c.status])).toEqual([['a', 'pass'], ['b', 'pass']])
    }
  })
})

describe('buildProgress on the fixture tree', () => {
  const report = buildProgress(input())

  it('merges both results files and counts totals', () => {
    expect(report.totals).toMatchObject({cases: 7, pass: 4, fail: 1, skip: 1, crash: 1, timeout: 0, error: 0})
    expect(report.tests.find((t) => t.id === 'fork_wait')!.status).toBe('pass')
    expect(report.sources.results.map((s) => s.cases)).toEqual([5, 3])
    // The fixture runs tested abc1234, not the commit the report describes.
    expect(report.sources.results.map((s) => s.sameCommit)).toEqual([false, false])
    expect(buildProgress(input({git: {commit: 'abc1234', dirty: false}})).sources.results[0].sameCommit).toBe(true)
    expect(buildProgress(input({git: {commit: null, dirty: null}})).sources.results[0].sameCommit).toBeNull()
  })

  it('computes phase completion from passing cases, done components and done syscalls, and never invents a figure', () => {
    const byPhase = Object.fromEntries(report.phases.map((p) => [p.phase, p]))
    // The lowest of the case, component and original-syscall shares.
    const share = (n: number, d: number) => Math.round((n / d) * 100)
    for (const p of [byPhase[1], byPhase[2]]) {
      const own = report.components.filter((c) => c.phase === p.phase)
      const sys = report.syscalls.filter((s) => s.phase === p.phase)
      expect(p.components).toBe(own.length)
      expect(p.componentsDone).toBe(own.filter((c) => c.status === 'done').length)
      expect({syscalls: p.syscalls, syscallsDone: p.syscallsDone}).toEqual({syscalls: sys.length, syscallsDone: sys.filter((s) => s.status === 'done').length})
      expect(p.completionPct).toBe(Math.min(share(p.pass, p.cases), share(p.componentsDone, p.components), share(p.syscallsDone, p.syscalls)))
    }
    // The original report's syscalls by phase: 1-4 and 8-12 in phase 1, fork/exec/wait and WASM in 2, sockets in 3.
    expect([1, 2, 3, 4].map((n) => byPhase[n].syscalls)).toEqual([9, 5, 9, 0])
    expect(byPhase[1]).toMatchObject({cases: 3, pass: 2})
    expect(byPhase[1].completionPct).toBeLessThanOrEqual(67)
    // Every case of phase 2 passed, but some of its components are not done: not 100 %.
    expect(byPhase[2]).toMatchObject({cases: 2, pass: 2})
    expect(byPhase[2].componentsDone).toBeLessThan(byPhase[2].components)
    expect(byPhase[2].completionPct).toBeLessThan(100)
    expect(byPhase[3]).toMatchObject({cases: 2, pass: 0, completionPct: 0})
    expect(byPhase[3].note).toBeUndefined()
    expect(byPhase[4]).toMatchObject({cases: 0, completionPct: 0, note: 'no tests yet'})
  })

  it('derives component status from covering cases and source files; without a coverage run kernel C code is unmeasured', () => {
    const c = Object.fromEntries(report.components.map((x) => [x.id, x]))
    // Assembly only: nothing the coverage build instruments, so its cases decide.
    expect(c.boot).toMatchObject({status: 'done', files: ['kernel/arch/x86_64/boot.S'], lines: 4, measured: null})
    expect(c.pmm).toMatchObject({status: 'unmeasured', lines: 6, passing: ['pmm_alloc'], measured: null})
    expect(c.pmm.note).toContain('no coverage run')
    expect(c.serial.status).toBe('unmeasured')
    expect(c.syscalls).toMatchObject({status: 'unmeasured', lines: 51}) // sys/syscall.c, kos/syscall.h and the list kos/syscalls.h
    expect(report.debt.componentsUnmeasured).toEqual(['serial', 'pmm', 'syscalls'])
    expect(report.sources.coverage).toBeNull()
    // Files but no covering case.
    expect(c.ring3).toMatchObject({status: 'untested', lines: 3})
    // A header alone is not an implementation.
    expect(c.paging).toMatchObject({status: 'missing', note: 'headers only'})
    // No files at all, even though a passing case names it.
    expect(c['elf-loader'].status).toBe('missing')
    expect(c['elf-loader'].note).toContain('write_hello')
    expect(c.gdt).toMatchObject({status: 'missing', lines: 0})
  })

  it('with a coverage run: done needs the lines run, too few is partial, none is untested; contradicted declarations listed', () => {
    const cov = {path: COVERAGE, report: readCoverage(COVERAGE)}
    const r = buildProgress(input({coverage: cov}))
    const c = Object.fromEntries(r.components.map((x) => [x.id, x]))
    expect(c.pmm).toMatchObject({status: 'done', measured: {lines: 6, covered: 5, pct: 83.3}})
    expect(c.syscalls).toMatchObject({status: 'done', measured: {lines: 40, covered: 40, pct: 100}})
    expect(c.serial).toMatchObject({status: 'partial', measured: {lines: 10, covered: 1, pct: 10}, note: 'its cases ran 10 % of its instrumented lines; done needs 50 %'})
    expect(c.boot).toMatchObject({status: 'done', measured: null})
    expect(r.sources.coverage).toEqual({path: COVERAGE, date: '2026-11-25T18:30:00.000Z', commit: 'feed123', cases: 4, linePct: 82.1, donePct: 50})
    expect(r.debt.componentsPartial).toEqual(['serial'])
    expect(r.debt.componentsUnmeasured).toEqual([])
    expect(r.debt.declarationsContradicted).toEqual([{case: 'boot_hello', component: 'serial', lines: 10}])
    // Passing cases that ran none of a component's lines leave it untested.
    const none = {...cov.report, files: cov.report.files.map((f) => (f.file === 'kernel/mm/pmm.c' ? {...f, lines: {count: 6, covered: 0}} : f))}
    const p = buildProgress(input({coverage: {path: COVERAGE, report: none}})).components.find((x) => x.id === 'pmm')!
    expect(p).toMatchObject({status: 'untested', note: 'its cases passed but ran none of its 6 instrumented lines'})
    const md = progressMarkdown(r)
    expect(md).toContain(`- \`${COVERAGE}\`: coverage of the kernel and the user programs over 4 case(s), 2026-11-25T18:30:00.000Z at \`feed123\`: 82.1 % of its lines ran`)
    expect(md).toContain('| **partial** (its cases ran 10 % of its instrumented lines; done needs 50 %) |')
    expect(md).toContain('| 83.3 % (5/6) |')
    expect(md).toContain('Cases that declare a component but ran none of its instrumented code (1): `boot_hello` -> `serial`')
    expect(progressMarkdown(r, 'es')).toContain('**parcial**')
  })

  it('a user-space component is measured as a kernel one: its passing cases must have run its user lines', () => {
    const cov = readCoverage(COVERAGE)
    const withUser = (covered: number) => ({path: COVERAGE, report: {...cov, files: [...cov.files, {file: 'user/lib/libc.c', lines: {count: 8, covered}, functions: {count: 2, covered: covered ? 1 : 0}}]}})
    const results = [{path: 'user.json', results: run(NOW, [makeCase('hello_user', 1, 'pass', ['ring3'])])}]
    const ring3 = (covered: number) => buildProgress(input({results, coverage: withUser(covered)})).components.find((x) => x.id === 'ring3')!
    expect(ring3(0)).toMatchObject({status: 'untested', measured: {lines: 8, covered: 0, pct: 0}, note: 'its cases passed but ran none of its 8 instrumented lines'})
    expect(ring3(3)).toMatchObject({status: 'partial', measured: {lines: 8, covered: 3, pct: 37.5}})
    expect(ring3(6)).toMatchObject({status: 'done', measured: {lines: 8, covered: 6, pct: 75}})
  })

  it('derives syscall status from the table and the covering cases', () => {
    const s = Object.fromEntries(report.syscalls.map((x) => [x.name, x]))
    expect(s.SYS_EXIT).toMatchObject({status: 'done', handler: 'sys_exit', originalNumber: 1, number: 1})
    expect(s.SYS_EXIT.passing).toEqual(['fork_wait', 'write_hello'])
    expect(s.SYS_WRITE.status).toBe('done')
    expect(s.SYS_READ).toMatchObject({status: 'untested', handler: 'sys_read'})
    // A passing case does not make a syscall with no table entry done.
    expect(s.SYS_FORK).toMatchObject({status: 'not implemented', handler: null, passing: ['fork_wait']})
    expect(s.SYS_OPEN.status).toBe('not implemented')
    expect(s.SYS_CLOSE.status).toBe('not implemented')
    expect(s.SYS_GETPID).toMatchObject({status: 'untested', originalNumber: null, number: 25})
    expect(s.SYS_MAX).toBeUndefined()
    expect(report.syscalls.slice(0, 23).map((x) => x.originalNumber)).toEqual(Array.from({length: 23}, (_, i) => i + 1))
  })

  it('marks a syscall failing when a covering case that ran failed', () => {
    const extra = run('2027-01-01T00:00:00Z', [makeCase('read_eof', 1, 'fail', ['syscalls'], ['read']), makeCase('read_ok', 1, 'pass', [], ['SYS_READ'])])
    const r = buildProgress(input({results: [...input().results, {path: 'extra.json', results: extra}]}))
    expect(r.syscalls.find((x) => x.name === 'SYS_READ')).toMatchObject({status: 'failing', failing: ['read_eof'], passing: ['read_ok']})
    expect(r.components.find((x) => x.id === 'syscalls')!.status).toBe('failing')
    expect(r.debt.syscallsFailing).toEqual(['SYS_READ'])
  })

  it('counts lines per language without fixtures, dependencies or build output', () => {
    const tmp = tempDir('kos-tree-')
    cpSync(TREE, tmp, {recursive: true})
    for (const dir of ['node_modules/dep', 'build', 'dist']) {
      mkdirSync(join(tmp, dir), {recursive: true})
      writeFileSync(join(tmp, dir, 'generated.c'), 'int x;\nint y;\n')
    }
    const r = buildProgress(input({root: tmp}))
    expect(r.metrics.linesByLanguage).toEqual({
      C: {files: 7, lines: 62},
      assembly: {files: 2, lines: 7},
      TypeScript: {files: 1, lines: 2},
    })
    expect(r.metrics.linesByComponent.pmm).toBe(6)
    expect(r.metrics.linesByArea).toEqual({kernel: 66, user: 3, src: 2})
  })

  it('computes the debt from what is not done', () => {
    expect(report.debt.failingCases.map((c) => c.id).sort()).toEqual(['arp_reply', 'paging_guard'])
    expect(report.debt.skippedCases).toEqual([{id: 'udp_echo_tap', reason: 'needs CAP_NET_ADMIN'}])
    expect(report.debt.syscallsNotImplemented).toContain('SYS_FORK')
    expect(report.debt.syscallsNotImplemented).not.toContain('SYS_WRITE')
    expect(report.debt.syscallsUntested).toEqual(['SYS_READ', 'SYS_GETPID'])
    expect(report.debt.componentsMissing).toContain('paging')
    expect(report.debt.componentsUntested).toContain('ring3')
    expect(report.debt.componentsMissing).not.toContain('pmm')
    expect(report.debt.unknownReferences).toEqual([])
  })

  it('records component and syscall names it does not know', () => {
    const extra = run('2027-01-01T00:00:00Z', [makeCase('odd', 2, 'pass', ['warp-drive', 'elf'], ['SYS_TELEPORT'])])
    const r = buildProgress(input({results: [{path: 'x.json', results: extra}]}))
    expect(r.debt.unknownReferences).toEqual([
      {case: 'odd', kind: 'component', name: 'warp-drive'},
      {case: 'odd', kind: 'syscall', name: 'SYS_TELEPORT'},
    ])
    // Aliases resolve to the component id.
    expect(resolveComponentId('elf')).toBe('elf-loader')
    expect(r.components.find((c) => c.id === 'elf-loader')!.cases).toEqual(['odd'])
  })
})

describe('buildProgress without results or kernel sources', () => {
  it('shows every phase as having no tests and every syscall as not implemented', () => {
    const empty = tempDir('kos-empty-')
    const r = buildProgress(input({root: empty, results: []}))
    expect(r.totals.cases).toBe(0)
    expect(r.phases.every((p) => p.note === 'no tests yet' && p.completionPct === 0)).toBe(true)
    expect(r.syscalls).toHaveLength(23)
    expect(r.syscalls.every((s) => s.status === 'not implemented' && s.number === null)).toBe(true)
    expect(r.components.every((c) => c.status === 'missing')).toBe(true)
    expect(r.sources).toMatchObject({syscallList: false})
    const md = progressMarkdown(r)
    expect(md).toContain('0 of 0 cases passing')
    expect(md).toContain('Phases with no tests yet: 1, 2, 3, 4.')
    expect(r.phases.map((p) => p.phase)).toEqual([1, 2, 3, 4])
    expect(md).toContain('| 4 | Discovery and P2P | 0 / 0 | 0 / 14 |  | 0 % (no tests yet) |')
  })
})

describe('progressMarkdown', () => {
  const bench: BenchFile = {
    date: NOW,
    commit: 'feed123',
    benchmarks: [
      {id: 'null_syscall', metric: 'null_syscall_cycles', value: 812, unit: 'cycles', case: 'null_syscall'},
      {id: 'wasm-fib', metric: 'fib_30_ms', value: 41.25, unit: 'ms', case: 'bench-wasm', ratios: {'wasm-interp': 0.5, v8: 12}},
    ],
  }
  const md = progressMarkdown(buildProgress(input({bench: {path: 'build/reports/bench.json', bench}})))
  const section = (name: string) => md.split(`## ${name}\n`)[1].split('\n## ')[0]

  it('has every section, with the run date and commit', () => {
    for (const s of ['Sources', 'Summary', 'Phases', 'Components', 'Syscalls', 'Tests', 'Metrics', 'Technical debt']) expect(md).toContain(`## ${s}\n`)
    expect(md).toContain(`on ${NOW} from commit \`feed123\`.`)
    expect(md).toContain('**4 of 7 cases passing**')
    expect(section('Sources')).toContain('at `abc1234` (**not the commit this report describes**')
  })

  it('renders table rows with a constant column count', () => {
    for (const [name, columns] of [['Phases', 6], ['Components', 8], ['Syscalls', 7], ['Tests', 6]] as const) {
      const rows = section(name).split('\n').filter((l) => l.startsWith('|'))
      expect(rows.length).toBeGreaterThan(2)
      for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length - 2).toBe(columns)
    }
    expect(section('Syscalls')).toContain('| 5 | `SYS_FORK` | copy the calling process | 5 |  | **not implemented** (-ENOSYS) | fork_wait |')
    expect(section('Tests')).toContain('KERNEL PANIC: page fault at 0x0 \\| rip=')
  })

  it('lists benchmarks with units and ratios', () => {
    const metrics = section('Metrics')
    expect(metrics).toContain('| `null_syscall` | null_syscall_cycles | 812 | cycles |')
    expect(metrics).toContain('41.25 | ms | 0.5x wasm-interp, 12x v8 |')
    expect(metrics).toMatch(/\| C \| \d+ \| \d+ \|/)
  })
})

describe('generateProgress', () => {
  it('writes PROGRESS.md and a matching progress.json', () => {
    const dir = tempDir('kos-gen-')
    cpSync(TREE, dir, {recursive: true})
    mkdirSync(join(dir, 'build/reports'), {recursive: true})
    cpSync(PHASE1, join(dir, 'build/reports/results.json'))
    const g = generateProgress({root: dir, now: NOW, git: GIT})
    expect(g.warnings).toEqual(['no build/reports/coverage/coverage.json (run `kos test --coverage --all`): no component with guest C code (kernel or user programs) can be done'])
    expect(g.markdownPath).toBe(join(dir, 'docs/PROGRESS.md'))
    expect(g.markdownPaths).toEqual([join(dir, 'docs/PROGRESS.md'), join(dir, 'docs/PROGRESS.es.md')])
    expect(readFileSync(join(dir, 'docs/PROGRESS.es.md'), 'utf8')).toBe(progressMarkdown(g.report, 'es'))
    const json = JSON.parse(readFileSync(g.jsonPath, 'utf8'))
    expect(json).toEqual(JSON.parse(JSON.stringify(g.report)))
    expect(json.sources.results[0].path).toBe('build/reports/results.json')
    expect(readFileSync(g.markdownPath, 'utf8')).toBe(progressMarkdown(g.report))
    expect(json.totals.cases).toBe(5)
  })

  it('warns when there are no results and refuses bad files', () => {
    const dir = tempDir('kos-gen-')
    const g = generateProgress({root: dir, now: NOW, git: GIT})
    expect(g.warnings.join('\n')).toMatch(/no build\/reports\/results.json/)
    writeFileSync(join(dir, 'bad.json'), '{"date": 1}')
    expect(() => generateProgress({root: dir, results: ['bad.json'], now: NOW, git: GIT})).toThrow(ResultsFileError)
    expect(() => generateProgress({root: dir, bench: 'missing-bench.json', now: NOW, git: GIT})).toThrow(/no such file/)
  })
})

describe('cases defined but not run', () => {
  const def = (id: string, phase: number): CaseDef => ({id, phase, title: `title ${id}`, components: ['mdns'], syscalls: [], profile: 'base', append: '', timeoutSec: 60})

  it('lists them, counts them against their phase and never as passing', () => {
    const r = buildProgress(input({defined: [def('boot_hello', 1), def('mdns_announce', 4), def('pmm_extra', 1)]}))
    expect(r.totals).toMatchObject({cases: 9, notRun: 2, pass: 4})
    const p = Object.fromEntries(r.phases.map((x) => [x.phase, x]))
    expect(p[1]).toMatchObject({cases: 4, pass: 2})
    expect(p[1].completionPct).toBeLessThanOrEqual(50)
    expect(p[4]).toMatchObject({cases: 1, pass: 0, completionPct: 0})
    expect(p[4].note).toBeUndefined()
    expect(r.tests.find((t) => t.id === 'mdns_announce')).toMatchObject({status: 'not run', durationMs: null})
    // A case that did not run proves nothing about its component.
    expect(r.components.find((c) => c.id === 'mdns')!.cases).toEqual([])
    expect(r.debt.notRunCases).toEqual(['pmm_extra', 'mdns_announce'])
    const md = progressMarkdown(r)
    expect(md).toContain('| `mdns_announce` | 4 | title mdns_announce | **not run** |  |')
    expect(md).toContain('**4 of 9 cases passing**')
  })
})

describe('repeated attempts in one run', () => {
  it('passes a case only when every attempt passed and shows the worst one', () => {
    const attempt = (n: number, status: CaseStatus, reason?: string): CaseResult => ({...makeCase('flaky', 1, status, ['pmm']), attempt: n, ...(reason ? {reason} : {})})
    const flaky = mergeRunResults([run('2026-01-01T00:00:00Z', [attempt(1, 'pass'), attempt(2, 'timeout', 'no output'), attempt(3, 'pass')])])
    expect(flaky).toHaveLength(1)
    expect(flaky[0]).toMatchObject({status: 'timeout', reason: 'no output (attempt 2; 2 of 3 attempts passed)'})
    expect(flaky[0].attempt).toBeUndefined()
    const steady = combineAttempts([attempt(1, 'pass'), attempt(2, 'pass')])
    expect(steady).toMatchObject({status: 'pass', reason: '2 of 2 attempts passed'})
  })
})

describe('gitInfo', () => {
  it('reports the commit and ignores changes to the listed report outputs', () => {
    const repo = tempDir('kos-git-')
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], {cwd: repo, stdio: 'ignore'})
    git('init', '-q')
    mkdirSync(join(repo, 'docs'))
    writeFileSync(join(repo, 'docs/PROGRESS.md'), 'old\n')
    writeFileSync(join(repo, 'a.c'), 'int a;\n')
    git('add', '.')
    git('commit', '-qm', 'init')
    expect(gitInfo(repo)).toMatchObject({dirty: false})
    expect(gitInfo(repo).commit).toMatch(/^[0-9a-f]{7,}$/)
    writeFileSync(join(repo, 'docs/PROGRESS.md'), 'new\n')
    expect(gitInfo(repo, ['docs/PROGRESS.md']).dirty).toBe(false)
    expect(gitInfo(repo).dirty).toBe(true)
    writeFileSync(join(repo, 'a.c'), 'int b;\n')
    expect(gitInfo(repo, ['docs/PROGRESS.md']).dirty).toBe(true)
    expect(gitInfo(tmpdir() + '/does-not-exist')).toEqual({commit: null, dirty: null})
  })
})

describe('vitest results', () => {
  it('summarizes files and failing tests, including a file that did not load', () => {
    const v = parseVitestJson(JSON.parse(readFileSync('test/fixtures/report/vitest.json', 'utf8')), '/repo')
    expect(v).toMatchObject({total: 5, passed: 3, failed: 1, skipped: 1, date: '1970-01-01T00:00:00.001Z'})
    expect(v.files).toEqual([
      {file: 'test/integration/boot.test.ts', passed: 1, failed: 1, skipped: 1},
      {file: 'test/unit/broken.test.ts', passed: 0, failed: 0, skipped: 0, loadError: true},
      {file: 'test/unit/ktap.test.ts', passed: 2, failed: 0, skipped: 0},
    ])
    expect(v.failing).toEqual(['test/integration/boot.test.ts: boot prints KTAP', 'test/unit/broken.test.ts: Failed to load url ./missing.js'])
    expect(() => parseVitestJson({numTotalTests: 1}, '/repo')).toThrow(VitestFileError)
    // A run made in another checkout (CI's clone): paths from that checkout's root, not ../../tmp/...
    const elsewhere = (name: string) => ({name, status: 'passed', assertionResults: [{status: 'passed'}]})
    const ci = parseVitestJson({numTotalTests: 2, numPassedTests: 2, numFailedTests: 0,
      testResults: [elsewhere('/tmp/ci/main/test/unit/a.test.ts'), elsewhere('/tmp/ci/main/test/host/b.test.ts')]}, '/repo')
    expect(ci.files.map((f) => f.file)).toEqual(['test/host/b.test.ts', 'test/unit/a.test.ts'])
  })

  it('shows them in the report and its debt', () => {
    const summary = parseVitestJson(JSON.parse(readFileSync('test/fixtures/report/vitest.json', 'utf8')), '/repo')
    const r = buildProgress(input({vitest: {path: 'build/reports/vitest.json', summary}}))
    expect(r.debt.failingVitest).toHaveLength(2)
    const md = progressMarkdown(r)
    expect(md).toContain('Unit and integration tests (vitest): 3 of 5 passing, **1 failing**.')
    expect(md).toContain('| `test/integration/boot.test.ts` | 1 | **1** | 1 |')
    expect(md).toContain('| `test/unit/broken.test.ts` | 0 | **did not load** | 0 |')
    // Host tests are shown beside a component's status and never change it.
    const plain = buildProgress(input())
    const viaHost = (id: string) => r.components.find((c) => c.id === id)!
    expect(viaHost('wasm').unitTests).toBeNull() // no wasm test file in the fixture report
    const withNet = parseVitestJson({...JSON.parse(readFileSync('test/fixtures/report/vitest.json', 'utf8')), testResults: [{name: '/repo/test/unit/net_stack.test.ts', status: 'passed', assertionResults: [{fullName: 'net ok', status: 'passed'}]}]}, '/repo')
    const netReport = buildProgress(input({vitest: {path: 'v.json', summary: withNet}}))
    const udp = netReport.components.find((c) => c.id === 'udp')!
    expect(udp.unitTests).toEqual({files: ['test/unit/net_stack.test.ts'], passed: 1, failed: 0})
    expect(udp.status).toBe(plain.components.find((c) => c.id === 'udp')!.status)
    expect(md).toContain('Failing unit/integration tests (2): test/integration/boot.test.ts: boot prints KTAP;')
  })
})

describe('the original report in the generated one', () => {
  const syscalls = {
    numbers: new Map([['SYS_CONNECT', 17], ['SYS_SENDTO', 22]]),
    handlers: new Map([['SYS_CONNECT', 'sys_connect'], ['SYS_SENDTO', 'sys_sendto']]),
    found: true,
  }
  const udp = run('2026-02-01T00:00:00Z', [makeCase('udp_connect', 3, 'pass', ['udp'], ['SYS_CONNECT', 'SYS_SENDTO'])])
  const r = buildProgress(input({results: [{path: 'udp.json', results: udp}], syscalls}))
  const byName = Object.fromEntries(r.syscalls.map((s) => [s.name, s]))

  it('keeps a TCP syscall partial while only UDP cases cover it; a datagram syscall is done', () => {
    expect(byName.SYS_CONNECT).toMatchObject({status: 'partial', note: 'its cases pass, but it needs tcp (missing)', meaning: 'open a TCP connection (for UDP: set the default peer)', phase: 3})
    expect(byName.SYS_SENDTO).toMatchObject({status: 'done', phase: 3})
    expect(r.debt.syscallsPartial).toEqual(['SYS_CONNECT'])
  })

  it('lists the original report\'s unbuilt items as missing rows that count against their phase', () => {
    const c = Object.fromEntries(r.components.map((x) => [x.id, x]))
    for (const id of ['ipc', 'signals', 'dht', 'rpc', 'remote-wasm', 'file-sharing', 'echo-service', 'health-monitor', 'p2p']) expect(c[id].status, id).toBe('missing')
    expect(['ipc', 'signals'].map((id) => c[id].phase)).toEqual([2, 2])
    // Phase 3's one case passed, yet the phase is far from complete: TCP and most original syscalls are not done.
    const p3 = r.phases.find((p) => p.phase === 3)!
    expect(p3).toMatchObject({cases: 1, pass: 1, syscalls: 9, syscallsDone: 1})
    expect(p3.completionPct).toBe(Math.min(100, Math.round((p3.componentsDone / p3.components) * 100), Math.round((1 / 9) * 100)))
    expect(p3.completionPct).toBeLessThanOrEqual(11)
  })

  it('opens with one text bar per phase and two Mermaid charts', () => {
    const md = progressMarkdown(r)
    const bars = md.split('```')[1].trim().split('\n')
    expect(bars).toEqual(r.phases.map((p) => `Phase ${p.phase}  ${phaseBar(p.completionPct)} ${String(p.completionPct).padStart(3)} %  ${p.name}`))
    expect(phaseBar(0)).toBe('░'.repeat(20))
    expect(phaseBar(55)).toBe('█'.repeat(11) + '░'.repeat(9))
    expect(phaseBar(100)).toBe('█'.repeat(20))
    const charts = md.split('```mermaid\n').slice(1).map((b) => b.split('\n```')[0])
    expect(charts).toHaveLength(2)
    expect(charts[0]).toContain(`bar [${r.phases.map((p) => p.completionPct).join(', ')}]`)
    expect(charts[1]).toContain('x-axis ["udp_connect"]')
    expect(charts[1]).toContain('bar [0]')
    // An axis from 0 to 0 does not render: the top is at least 1.
    expect(charts[1]).toContain('y-axis "seconds" 0 --> 1')
  })

  it('writes the same report in Spanish', () => {
    const es = progressMarkdown(r, 'es')
    for (const s of ['Fuentes', 'Resumen', 'Fases', 'Gráficos', 'Componentes', 'Llamadas al sistema', 'Pruebas', 'Métricas', 'Deuda técnica']) expect(es).toContain(`## ${s}\n`)
    expect(es).toContain('# Informe de progreso de kos')
    expect(es).toContain('**1 de 1 casos pasan**')
    expect(es).toContain('**parcial** (its cases pass, but it needs tcp (missing))')
    expect(es.split('```')[1]).toContain('Fase 3  ')
    // Same rows as the English report: only the words differ.
    const rows = (md: string) => md.split('\n').filter((l) => l.startsWith('|')).length
    expect(rows(es)).toBe(rows(progressMarkdown(r)))
  })
})

describe('required cases (ComponentDef.requires)', () => {
  const def = (id: string): CaseDef => ({id, phase: 4, title: id, components: [], syscalls: [], profile: 'base', append: '', timeoutSec: 60})
  const overlay = {id: 'overlay', name: 'Overlay', phase: 4, paths: ['user/lib/**'], requires: ['lan_churn', 'lan_dht', 'lan_rpc', 'lan_skip', 'lan_later']}
  const cases = [makeCase('lan_churn', 4, 'pass', ['overlay']), makeCase('lan_rpc', 4, 'fail', []), makeCase('lan_skip', 4, 'skip', [])]
  const defined = ['lan_churn', 'lan_rpc', 'lan_skip', 'lan_later'].map(def)
  const r = buildProgress(input({results: [{path: 'lan.json', results: run('2026-03-01T00:00:00Z', cases)}], components: [overlay], defined}))
  const row = r.components[0]

  it('keeps a component whose own cases passed partial while a required case is missing, not run, skipped or failing', () => {
    expect(row).toMatchObject({id: 'overlay', status: 'partial', passing: ['lan_churn'], failing: [], requires: overlay.requires})
    expect(row.requiredUnmet).toEqual([
      {case: 'lan_dht', status: 'not in matrix'},
      {case: 'lan_rpc', status: 'fail'},
      {case: 'lan_skip', status: 'skip'},
      {case: 'lan_later', status: 'not run'},
    ])
    expect(r.debt.componentsPartial).toEqual(['overlay'])
    expect(r.debt.requiredCasesUnmet).toEqual([{component: 'overlay', cases: row.requiredUnmet}])
    expect(r.phases.find((p) => p.phase === 4)).toMatchObject({components: 1, componentsDone: 0, completionPct: 0})
  })

  it('says which cases it waits for and why, in English and in Spanish', () => {
    const en = progressMarkdown(r)
    expect(en).toContain('| Overlay (`overlay`) | 4 | **partial** (waits for its required cases: `lan_dht` not in the matrix, `lan_rpc` fail, `lan_skip` skip, `lan_later` not run) | 1/1: lan_churn |  |  | 3 | `user/lib/**` |')
    expect(en).toContain('- Required cases that have not passed (1): `overlay`: `lan_dht` not in the matrix, `lan_rpc` fail, `lan_skip` skip, `lan_later` not run')
    const es = progressMarkdown(r, 'es')
    expect(es).toContain('| Overlay (`overlay`) | 4 | **parcial** (espera a sus casos requeridos: `lan_dht` no está en la matriz, `lan_rpc` falla, `lan_skip` omitido, `lan_later` no ejecutado) |')
    expect(es).toContain('- Casos requeridos que no han pasado (1): `overlay`: `lan_dht` no está en la matriz,')
  })

  it('is done, and its phase complete, once every required case is in the matrix and passed', () => {
    const all = overlay.requires.map((id) => makeCase(id, 4, 'pass', id === 'lan_churn' ? ['overlay'] : []))
    const ok = buildProgress(input({results: [{path: 'lan.json', results: run('2026-03-02T00:00:00Z', all)}], components: [overlay], defined: overlay.requires.map(def)}))
    expect(ok.components[0]).toMatchObject({status: 'done', requiredUnmet: []})
    expect(ok.debt.requiredCasesUnmet).toEqual([])
    expect(ok.phases.find((p) => p.phase === 4)).toMatchObject({cases: 5, pass: 5, components: 1, componentsDone: 1, completionPct: 100})
    expect(progressMarkdown(ok)).toContain('| Overlay (`overlay`) | 4 | done | 1/1: lan_churn |')
  })

  it('without case definitions the matrix is what ran; a required case never makes a failing or untested component better', () => {
    const loose = buildProgress(input({results: [{path: 'lan.json', results: run('2026-03-01T00:00:00Z', cases)}], components: [overlay]}))
    expect(loose.components[0].requiredUnmet.map((u) => u.status)).toEqual(['not in matrix', 'fail', 'skip', 'not in matrix'])
    const failing = buildProgress(input({results: [{path: 'lan.json', results: run('2026-03-01T00:00:00Z', [makeCase('lan_churn', 4, 'fail', ['overlay'])])}], components: [overlay]}))
    expect(failing.components[0].status).toBe('failing')
    const none = buildProgress(input({results: [], components: [overlay]}))
    expect(none.components[0]).toMatchObject({status: 'untested', requiredUnmet: overlay.requires.map((id) => ({case: id, status: 'not in matrix'}))})
  })

  it('names, for the decentralized layer, the cases its issues say prove it', () => {
    const req = Object.fromEntries(COMPONENTS.filter((c) => c.requires).map((c) => [c.id, c.requires]))
    expect(req).toEqual({
      p2p: ['p2p_lan8_churn', 'p2p_lan8_dht'],
      dht: ['kad_js_tap', 'p2p_kadtest', 'p2p_lan8_dht'],
      rpc: ['p2p_rpc_lan2', 'p2p_lan8_dht'],
      'remote-wasm': ['p2p_rpc_lan2', 'p2p_lan8_dht'],
      'file-sharing': ['files_helia_tap', 'p2p_lan8_churn'],
      'health-monitor': ['p2p_lan8_churn'],
    })
  })
})
