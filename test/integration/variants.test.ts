// The two build variants against the real kernel: `kos test --sanitize` boots
// the UBSan build, where undefined behaviour on purpose (harness=ubsan) is a
// KTAP failure naming its place, while the normal build runs the same case
// clean; `kos test --coverage` boots the coverage build and measures, from the
// profile the guest wrote, the code a case ran and the code it did not.
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {CoverageReport} from '../../src/report/coverage.js'
import type {RunResults} from '../../src/suites/types.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')
const kos = (args: string[]) => execa('./bin/dev.js', args, {cwd: repoRoot, reject: false, timeout: 900_000})
const out = () => mkdtempSync(path.join(os.tmpdir(), 'kos-variant-test-'))
const SUITES = ['--suites', 'test/fixtures/suites', '--json']

describe('kos test build variants', () => {
  it('--sanitize: each undefined behaviour is a not-ok line with its file and line; the normal build passes the case', async () => {
    const dir = out()
    const r = await kos(['test', ...SUITES, '--sanitize', '--case', 'harness_ubsan', '--out', dir])
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(1)
    const c = (JSON.parse(r.stdout) as RunResults).cases[0]
    expect(c.status).toBe('fail')
    const failed = c.ktap!.subtests.filter((t) => t.ok === false).map((t) => t.name)
    expect(failed).toHaveLength(2)
    expect(failed[0]).toMatch(/^ubsan: signed addition overflow at kernel\/main\.c:\d+:\d+$/)
    expect(failed[1]).toMatch(/^ubsan: shift out of bounds at kernel\/main\.c:\d+:\d+$/)
    expect(readFileSync(path.resolve(repoRoot, c.log), 'utf8')).toMatch(/^not ok 1 ubsan: signed addition overflow at kernel\/main\.c:\d+:\d+$/m)

    const plain = await kos(['test', ...SUITES, '--case', 'harness_ubsan', '--out', out()])
    const p = (JSON.parse(plain.stdout) as RunResults).cases[0]
    expect(p.status, p.reason).toBe('pass')
    expect(p.ktap!.subtests.map((t) => t.name)).toEqual(['undefined_behaviour_ran'])
  }, 900_000)

  it('--coverage: the in-kernel lib suite runs kernel/lib/ktap.c and never the mDNS responder; per component and HTML', async () => {
    const dir = out()
    const r = await kos(['test', '--json', '--coverage', '--case', 'ktest_lib', '--out', dir])
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0)
    expect((JSON.parse(r.stdout) as RunResults).cases[0].status).toBe('pass')
    const cov = JSON.parse(readFileSync(path.join(dir, 'coverage.json'), 'utf8')) as CoverageReport
    expect(cov.cases).toEqual(['ktest_lib'])
    expect(cov.missing).toEqual([])
    const file = (f: string) => cov.files.find((x) => x.file === f)!
    // Every KTAP helper but ktap_depth and the diagnostic pair (the lib suite prints no diagnostic or
    // metric; ktap_diag/ktap_metric come from KOS_DEFINE_KTAP_DIAG, so their body's lines count in
    // kernel/include/kos/ktap.h), less the lines of a failed result, a result with a directive and the
    // two panics (line counts as the LCOV union of coverage.ts measures them).
    expect(file('kernel/lib/ktap.c')).toEqual({file: 'kernel/lib/ktap.c', lines: {count: 48, covered: 41}, functions: {count: 10, covered: 8}})
    // mDNS starts only with mdns=1 on the command line.
    expect(file('kernel/net/mdns.c').lines.covered).toBe(0)
    expect(file('kernel/net/mdns.c').lines.count).toBeGreaterThan(500)
    const comp = (id: string) => cov.components.find((c) => c.id === id)!
    expect(comp('mdns').linePct).toBe(0)
    // The boot allocates pages and never frees one: pmm_init, pmm_alloc_page/zeroed and the counts run,
    // pmm_free_page and the reference counts do not.
    expect(comp('pmm')).toMatchObject({lines: {count: 95, covered: 58}, functions: {count: 13, covered: 8}, linePct: 61.1})
    // user/lib is not instrumented: no figure rather than a zero.
    expect(comp('ring3').linePct).toBeNull()
    expect(cov.totals.lines.covered).toBe(cov.files.reduce((n, f) => n + f.lines.covered, 0))
    expect(existsSync(path.join(repoRoot, cov.html))).toBe(true)
  }, 900_000)
})
