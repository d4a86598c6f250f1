// reportFreshness on a throw-away tree (no git: a shallow CI clone has no
// history): docs/progress.json records a digest of the files that define the
// report's rows, and the check fails, naming the files and how to regenerate,
// once the tree's differ; and the committed Markdown reports are what kos
// report renders from docs/progress.json.
import {createHash} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {REGENERATE, REPORT_INPUTS, reportFreshness, reportInputs} from '../../src/report/progress/freshness.js'
import {generateProgress, markdownFile} from '../../src/report/progress/index.js'
import {progressMarkdown, REPORT_LANGS, type ReportLang} from '../../src/report/progress/markdown.js'
import type {ProgressReport} from '../../src/report/progress/model.js'

const dir = mkdtempSync(join(tmpdir(), 'kos-fresh-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const write = (f: string, text: string) => {
  mkdirSync(join(dir, f, '..'), {recursive: true})
  writeFileSync(join(dir, f), text)
}
const sha = (t: string) => createHash('sha256').update(t).digest('hex')

describe('reportInputs', () => {
  it('digests the case matrix (the suites and their case-makers), the component list, the syscall list and the model, nothing else', () => {
    expect(REPORT_INPUTS).toEqual(['test-suites/**/*.ts', 'src/report/components.ts', 'kernel/include/kos/syscalls.h', 'src/report/progress/model.ts'])
    const d = mkdtempSync(join(tmpdir(), 'kos-inputs-'))
    try {
      for (const [f, t] of [['test-suites/phase1.ts', 'one'], ['test-suites/lib/cases.ts', 'makers'], ['test-suites/wasm/x.wast', 'not a suite'], ['src/report/components.ts', 'comps'], ['kernel/main.c', 'code']]) {
        mkdirSync(join(d, f, '..'), {recursive: true})
        writeFileSync(join(d, f), t)
      }
      const i = reportInputs(d)
      expect(i.files).toEqual({'src/report/components.ts': sha('comps'), 'test-suites/lib/cases.ts': sha('makers'), 'test-suites/phase1.ts': sha('one')})
      expect(i.digest).toBe(sha(`src/report/components.ts\0${sha('comps')}\0test-suites/lib/cases.ts\0${sha('makers')}\0test-suites/phase1.ts\0${sha('one')}\0`))
      expect(i.patterns).toEqual(REPORT_INPUTS)
    } finally {
      rmSync(d, {recursive: true, force: true})
    }
  })
})

describe('reportFreshness', () => {
  cpSync('test/fixtures/report/tree', dir, {recursive: true})
  write('test-suites/phase1.ts', 'export default []\n')
  write('src/report/components.ts', 'components\n')
  mkdirSync(join(dir, 'build/reports'), {recursive: true})
  cpSync('test/fixtures/report/results-phase1.json', join(dir, 'build/reports/results.json'))
  const regenerate = () => generateProgress({root: dir, now: '2026-12-01T00:00:00.000Z', git: {commit: null, dirty: null}})

  it('is stale when docs/progress.json is absent or records no digest', () => {
    expect(reportFreshness(dir)).toMatchObject({fresh: false, recorded: null})
    expect(reportFreshness(dir).problem).toMatch(/^docs\/progress\.json: ENOENT/)
    write('docs/progress.json', JSON.stringify({generated: {commit: 'abc'}}))
    expect(reportFreshness(dir).problem).toBe(`docs/progress.json records no digest of the report's inputs (generated.inputs): ${REGENERATE}`)
  })

  it('is fresh right after kos report, which records the digest and shows it', () => {
    const g = regenerate()
    const inputs = reportInputs(dir)
    expect(Object.keys(inputs.files)).toEqual(['kernel/include/kos/syscalls.h', 'src/report/components.ts', 'test-suites/phase1.ts'])
    expect(g.report.generated.inputs).toEqual(inputs)
    expect(JSON.parse(readFileSync(join(dir, 'docs/progress.json'), 'utf8')).generated.inputs).toEqual(inputs)
    expect(reportFreshness(dir)).toEqual({fresh: true, recorded: inputs.digest, current: inputs.digest, changed: [], added: [], removed: []})
    expect(readFileSync(join(dir, 'docs/PROGRESS.md'), 'utf8')).toContain(
      `- What defines the rows (\`test-suites/**/*.ts\`, \`src/report/components.ts\`, \`kernel/include/kos/syscalls.h\`, \`src/report/progress/model.ts\`): sha256 \`${inputs.digest.slice(0, 16)}\`; \`kos report --check\` fails once they change`)
    expect(readFileSync(join(dir, 'docs/PROGRESS.es.md'), 'utf8')).toContain(`- Lo que define las filas (\`test-suites/**/*.ts\``)
  })

  it('is stale once an input changes, appears or goes, and names each file; other files do not matter', () => {
    write('kernel/mm/pmm.c', 'int changed_code;\n')
    write('docs/notes.md', 'x')
    expect(reportFreshness(dir).fresh).toBe(true)
    const before = reportInputs(dir).digest
    write('test-suites/phase1.ts', 'export default [{id: "new"}]\n')
    write('test-suites/phase9.ts', 'export default []\n')
    rmSync(join(dir, 'src/report/components.ts'))
    const f = reportFreshness(dir)
    expect(f).toMatchObject({fresh: false, recorded: before, changed: ['test-suites/phase1.ts'], added: ['test-suites/phase9.ts'], removed: ['src/report/components.ts']})
    expect(f.current).not.toBe(before)
    expect(f.problem).toBe(
      'docs/progress.json is stale: test-suites/phase1.ts (changed), test-suites/phase9.ts (new), src/report/components.ts (gone) since it was generated; ' + REGENERATE)
    expect(REGENERATE).toContain('run `kos report`')
    regenerate()
    expect(reportFreshness(dir).fresh).toBe(true)
  })

  it('is stale when the recorded digest does not match its own file list (a hand edit)', () => {
    const json = JSON.parse(readFileSync(join(dir, 'docs/progress.json'), 'utf8'))
    json.generated.inputs.digest = '0'.repeat(64)
    write('docs/progress.json', JSON.stringify(json))
    expect(reportFreshness(dir)).toMatchObject({fresh: false, changed: [], added: [], removed: []})
    expect(reportFreshness(dir).problem).toBe(`docs/progress.json is stale: its recorded digest does not match its file list since it was generated; ${REGENERATE}`)
  })
})

describe('the committed report', () => {
  const repoRoot = join(import.meta.dirname, '../..')
  const recorded = JSON.parse(readFileSync(join(repoRoot, 'docs/progress.json'), 'utf8')) as ProgressReport

  // `kos report` writes every language and the JSON from one model: a hand edit
  // of a Markdown file, or one language regenerated without the others, fails here.
  it.each(REPORT_LANGS.map((l) => [l, markdownFile(l)]))('%s: %s is what kos report renders from docs/progress.json', (lang, file) => {
    expect(readFileSync(join(repoRoot, file), 'utf8')).toBe(progressMarkdown(recorded, lang as ReportLang))
  })
})
