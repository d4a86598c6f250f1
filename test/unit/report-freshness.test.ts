// reportFreshness on a throw-away git repository: the committed report must
// describe a commit at or after the last change to test-suites/ and the component list;
// and the committed Markdown reports are what kos report renders from docs/progress.json.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {reportFreshness} from '../../src/report/progress/freshness.js'
import {markdownFile} from '../../src/report/progress/index.js'
import {progressMarkdown, REPORT_LANGS, type ReportLang} from '../../src/report/progress/markdown.js'
import type {ProgressReport} from '../../src/report/progress/model.js'

const dir = mkdtempSync(join(tmpdir(), 'kos-fresh-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))
const g = (...args: string[]) => execFileSync('git', args, {cwd: dir, encoding: 'utf8'}).trim()
const write = (f: string, text: string) => {
  mkdirSync(join(dir, f, '..'), {recursive: true})
  writeFileSync(join(dir, f), text)
}
const commit = (msg: string) => {
  g('add', '-A')
  g('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', msg)
  return g('rev-parse', 'HEAD')
}
const stamp = (c: string | null) => write('docs/progress.json', JSON.stringify({generated: {commit: c}}))

describe('reportFreshness', () => {
  g('init', '-q')
  write('test-suites/phase1.ts', 'one')
  const suites1 = commit('suites')
  write('kernel/x.c', 'code')
  const code = commit('code')

  it('is fresh when the report describes the last change or a later commit', () => {
    stamp(suites1)
    expect(reportFreshness(dir)).toMatchObject({fresh: true, reportCommit: suites1, lastChange: suites1})
    stamp(code.slice(0, 7)) // an abbreviated hash works too
    expect(reportFreshness(dir).fresh).toBe(true)
  })

  it('is stale once test-suites/ or the component list changed after the described commit', () => {
    stamp(code)
    commit('report')
    write('src/report/components.ts', 'components')
    const comps = commit('components')
    const f = reportFreshness(dir)
    expect(f).toMatchObject({fresh: false, reportCommit: code, lastChange: comps})
    expect(f.problem).toContain(`describes ${code.slice(0, 12)}, older than ${comps.slice(0, 12)}`)
    expect(f.problem).toContain('run `kos report`')
  })

  it('is stale without a recorded commit, a report or an existing commit', () => {
    stamp(null)
    expect(reportFreshness(dir)).toMatchObject({fresh: false, problem: 'docs/progress.json names no commit'})
    stamp('0123456789abcdef0123456789abcdef01234567')
    expect(reportFreshness(dir).fresh).toBe(false)
    rmSync(join(dir, 'docs/progress.json'))
    expect(reportFreshness(dir).problem).toMatch(/^docs\/progress\.json: ENOENT/)
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
