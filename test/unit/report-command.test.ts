import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {describe, expect, it, vi} from 'vitest'

import Report from '../../src/commands/report.js'
import {tempDir} from '../helpers/tmpdir.js'

const ROOT = resolve('.')

describe('kos report (command)', () => {
  it('merges several --results files into the outputs it is given', async () => {
    const dir = tempDir('kos-cmd-')
    const md = join(dir, 'P.md')
    const json = join(dir, 'p.json')
    await Report.run(['--results', 'test/fixtures/report/results-phase1.json', '--results', 'test/fixtures/report/results-phase3.json', '--out', md, '--json-out', json], ROOT)
    const report = JSON.parse(readFileSync(json, 'utf8'))
    expect(report.sources.results.map((s: {path: string}) => s.path)).toEqual(['test/fixtures/report/results-phase1.json', 'test/fixtures/report/results-phase3.json'])
    expect(report.totals.pass).toBe(4)
    expect(readFileSync(md, 'utf8')).toContain('# kos progress report')
  })

  it('fails with a one-line message naming a bad results file', async () => {
    const dir = tempDir('kos-cmd-')
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"date":"d","commit":null,"cases":[{"id":"x","phase":1,"title":"t","components":[],"syscalls":[],"status":"ok","durationMs":1}]}')
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const err = await Report.run(['--results', bad, '--out', join(dir, 'P.md'), '--json-out', join(dir, 'p.json')], ROOT).then(
      () => null,
      (error: unknown) => error as Error & {oclif?: {exit?: number}},
    )
    const written = stderr.mock.calls.map((c) => String(c[0])).join('')
    stderr.mockRestore()
    expect(err).not.toBeNull()
    expect(err!.oclif?.exit).toBe(2) // a bad input file is bad input
    expect(written).toBe(`kos report: ${bad}: case "x": "status" must be one of pass, fail, skip, timeout, crash, error\n`)
    expect(existsSync(join(dir, 'P.md'))).toBe(false)
  })
})
