import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {junitXml, markdownSummary, readResults, ResultsFileError, writeResults, xmlEscape} from '../../src/report/results.js'
import {effectiveResult, summarize} from '../../src/suites/status.js'
import type {RunResults} from '../../src/suites/types.js'
import {tempDir} from '../helpers/tmpdir.js'

const FIXTURE = 'test/fixtures/report/results-phase1.json'

interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
}

/**
 * A deliberately small XML 1.0 well-formedness checker: one root element,
 * balanced tags, quoted unique attributes, known entities only, no characters
 * XML forbids. Throws on the first problem; returns the element tree.
 */
function parseXml(xml: string): XmlElement {
  const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/
  const bad = forbidden.exec(xml)
  if (bad) throw new Error(`forbidden character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`)
  const decode = (s: string, where: number): string => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s)) throw new Error(`bad '&' or '<' near ${where}`)
    return s
      .replace(/&#x([0-9a-fA-F]+);/g, (_, h) => String.fromCodePoint(Number.parseInt(h, 16)))
      .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
  }
  let pos = 0
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml)
  if (decl) pos = decl[0].length
  const stack: XmlElement[] = []
  let root: XmlElement | null = null
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos)
    const text = xml.slice(pos, lt === -1 ? xml.length : lt)
    if (text.trim() !== '') {
      if (stack.length === 0) throw new Error(`text outside the root element at ${pos}`)
      stack.at(-1)!.text += decode(text, pos)
    }
    if (lt === -1) break
    const gt = xml.indexOf('>', lt)
    if (gt === -1) throw new Error(`unterminated tag at ${lt}`)
    const tag = xml.slice(lt + 1, gt)
    pos = gt + 1
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim()
      const open = stack.pop()
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at ${lt}`)
      continue
    }
    const selfClosing = tag.endsWith('/')
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*"[^"]*")*)\s*\/?$/.exec(tag)
    if (!m) throw new Error(`malformed tag <${tag.slice(0, 40)}> at ${lt}`)
    const attrs: Record<string, string> = {}
    for (const a of m[2].matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) {
      if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]} at ${lt}`)
      attrs[a[1]] = decode(a[2], lt)
    }
    const el: XmlElement = {name: m[1], attrs, children: [], text: ''}
    if (stack.length > 0) stack.at(-1)!.children.push(el)
    else if (root) throw new Error(`second root element <${el.name}>`)
    else root = el
    if (!selfClosing) stack.push(el)
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)!.name}>`)
  if (!root) throw new Error('no root element')
  return root
}

function fixture(): RunResults {
  return readResults(FIXTURE)
}

describe('xml checker (self-test)', () => {
  it('rejects malformed documents', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow()
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/)
    expect(() => parseXml('<a>&bogus;</a>')).toThrow()
    expect(() => parseXml('<a>\u001b</a>')).toThrow(/forbidden/)
    expect(parseXml('<a x="&lt;"><b/>t&amp;</a>').attrs.x).toBe('<')
  })
})

describe('summarize', () => {
  it('counts every status from the cases', () => {
    const s = summarize(fixture().cases)
    expect(s).toEqual({pass: 3, fail: 1, skip: 0, timeout: 1, crash: 0, error: 0})
  })
})

describe('xmlEscape', () => {
  it('escapes markup and makes control characters visible', () => {
    expect(xmlEscape('a<b>&"\'')).toBe('a&lt;b&gt;&amp;&quot;&apos;')
    expect(xmlEscape('\u001b[0m\u0000')).toBe('\\x1b[0m\\x00')
    expect(xmlEscape('tab\tnl\n')).toBe('tab\tnl\n')
    expect(xmlEscape('\ufffe')).toBe('\\ufffe')
  })
})

describe('junitXml', () => {
  it('is well-formed XML with one testsuite per phase', () => {
    const results = fixture()
    const root = parseXml(junitXml(results))
    expect(root.name).toBe('testsuites')
    expect(root.attrs.tests).toBe('5')
    expect(root.attrs.failures).toBe('2')
    const suites = root.children.filter((c) => c.name === 'testsuite')
    expect(suites.map((s) => s.attrs.name)).toEqual(['phase1', 'phase2'])
    expect(suites[0].attrs.tests).toBe('3')
    expect(suites[0].attrs.failures).toBe('1')
    const cases = suites.flatMap((s) => s.children.filter((c) => c.name === 'testcase'))
    expect(cases.map((c) => c.attrs.name)).toEqual(results.cases.map((c) => c.id))
    for (const tc of cases) expect(tc.attrs.classname).toMatch(/^phase\d$/)
    expect(cases.find((c) => c.attrs.name === 'pmm_alloc')!.attrs.time).toBe('3.400')
  })

  it('reports failures with the tail lines and escapes serial control characters', () => {
    const root = parseXml(junitXml(fixture()))
    const cases = root.children.flatMap((s) => s.children)
    const failing = cases.find((c) => c.attrs.name === 'paging_guard')!
    const failure = failing.children.find((c) => c.name === 'failure')!
    expect(failure.attrs.message).toBe('fail: not ok 2 cr2_reported')
    expect(failure.text).toContain('not ok 2 cr2_reported')
    expect(failure.text).toContain('\\x1b[31mred\\x1b[0m & <done>')
    const timeout = cases.find((c) => c.attrs.name === 'fork_wait')!
    expect(timeout.children.find((c) => c.name === 'failure')!.attrs.type).toBe('timeout')
    const passing = cases.find((c) => c.attrs.name === 'boot_hello')!
    expect(passing.children.map((c) => c.name)).toEqual(['system-out'])
  })

  it('marks skipped cases with their reason and crashes as failures', () => {
    const results = readResults('test/fixtures/report/results-phase3.json')
    const root = parseXml(junitXml(results))
    const cases = root.children.flatMap((s) => s.children.filter((c) => c.name === 'testcase'))
    const skipped = cases.find((c) => c.attrs.name === 'udp_echo_tap')!
    expect(skipped.children[0]).toMatchObject({name: 'skipped', attrs: {message: 'needs CAP_NET_ADMIN'}})
    const crash = cases.find((c) => c.attrs.name === 'arp_reply')!
    expect(crash.children[0].attrs.type).toBe('crash')
    expect(root.attrs.skipped).toBe('1')
  })

  it('keeps newlines in attribute values as character references', () => {
    const results = fixture()
    results.cases[2].reason = 'line one\nline two'
    const root = parseXml(junitXml(results))
    const failure = root.children[0].children.find((c) => c.attrs.name === 'paging_guard')!.children[0]
    expect(failure.attrs.message).toBe('fail: line one\nline two')
  })
})

describe('markdownSummary', () => {
  it('has totals and one table row per case with pipes escaped', () => {
    const results = readResults('test/fixtures/report/results-phase3.json')
    const md = markdownSummary(results)
    expect(md).toContain('1 of 3 passing (1 skipped, 2 ran).')
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Case') && !l.startsWith('| ---'))
    expect(rows).toHaveLength(3)
    const crashRow = rows.find((r) => r.includes('arp_reply'))!
    expect(crashRow).toContain('CRASH')
    expect(crashRow).toContain('page fault at 0x0 \\| rip=')
    // Unescaped pipes would add columns: every row has exactly 6 separators.
    for (const r of rows) expect(r.replace(/\\\|/g, '').split('|')).toHaveLength(7)
  })
})

describe('writeResults / readResults', () => {
  afterEach(() => {
    delete process.env.GITHUB_STEP_SUMMARY
  })

  it('writes the three files and appends to GITHUB_STEP_SUMMARY', () => {
    const dir = tempDir('kos-report-')
    const stepSummary = join(dir, 'step.md')
    writeFileSync(stepSummary, 'earlier step\n')
    process.env.GITHUB_STEP_SUMMARY = stepSummary
    const results = fixture()
    const written = writeResults(results, {dir: join(dir, 'reports'), junitPath: join(dir, 'ci', 'junit.xml')})
    expect(written.junit).toBe(join(dir, 'ci', 'junit.xml'))
    expect(readResults(written.json)).toEqual(results)
    expect(() => parseXml(readFileSync(written.junit, 'utf8'))).not.toThrow()
    expect(readFileSync(written.markdown, 'utf8')).toBe(markdownSummary(results))
    const summary = readFileSync(stepSummary, 'utf8')
    expect(summary.startsWith('earlier step\n')).toBe(true)
    expect(summary).toContain('3 of 5 passing')
  })

  it('refuses bad files with one-line errors', () => {
    const dir = tempDir('kos-report-')
    const file = join(dir, 'r.json')
    const errorOf = (content: string): string => {
      writeFileSync(file, content)
      try {
        readResults(file)
      } catch (error) {
        expect(error).toBeInstanceOf(ResultsFileError)
        return (error as Error).message
      }
      throw new Error('readResults accepted a bad file')
    }
    expect(errorOf('{not json')).toMatch(/invalid JSON/)
    expect(errorOf('[]')).toMatch(/not a JSON object/)
    expect(errorOf('{"date":"x","commit":null,"cases":[{"id":"a","phase":1,"title":"t","components":[],"syscalls":[],"status":"passed","durationMs":1}]}'))
      .toMatch(/case "a": "status" must be one of/)
    expect(errorOf('{"date":"x","commit":null,"cases":[{"id":"a","phase":"1"}]}')).toMatch(/"phase" must be an integer/)
    const withBacktrace = (bt: string) => `{"date":"x","commit":null,"cases":[{"id":"a","phase":1,"title":"t","components":[],"syscalls":[],"status":"crash","durationMs":1,"backtrace":${bt}}]}`
    expect(errorOf(withBacktrace('{}'))).toMatch(/case "a": "backtrace" must be an array/)
    expect(errorOf(withBacktrace('[{"addr":"0x1","func":"f","file":"x.c","line":"3"}]'))).toMatch(/case "a": backtrace\[0\] must have string addr, func, file and a number line/)
    writeFileSync(file, withBacktrace('[{"addr":"0x1","func":"f","file":"x.c","line":3}]'))
    expect(readResults(file).cases[0].backtrace).toEqual([{addr: '0x1', func: 'f', file: 'x.c', line: 3}])
    for (const m of [errorOf('{"cases":[]}'), errorOf('{"date":"x","cases":{}}')]) expect(m).not.toContain('\n')
    expect(() => readResults(join(dir, 'missing.json'))).toThrow(/no such file/)
  })
})

describe('expected outcomes and repeated attempts', () => {
  const base = fixture().cases[0]
  const harnessTimeout = {...base, id: 'harness_hang', status: 'timeout' as const, reason: 'no output for 30 s', expected: {status: 'timeout' as const, met: true}}
  const wrongOutcome = {...base, id: 'harness_panic', status: 'pass' as const, expected: {status: 'crash' as const, met: false}}

  it('counts a case that ended as it declared as passed, and one that did not as failed', () => {
    expect(effectiveResult(harnessTimeout)).toMatchObject({status: 'pass', reason: 'timeout as expected: no output for 30 s'})
    expect(effectiveResult(wrongOutcome)).toMatchObject({status: 'fail', reason: 'expected crash, got pass'})
    expect(summarize([harnessTimeout, wrongOutcome])).toMatchObject({pass: 1, fail: 1, timeout: 0})
    const root = parseXml(junitXml({...fixture(), cases: [harnessTimeout, wrongOutcome]}))
    const [hang, panic] = root.children[0].children.filter((c) => c.name === 'testcase')
    expect(hang.children.map((c) => c.name)).toEqual(['system-out'])
    expect(panic.children[0].attrs.message).toBe('fail: expected crash, got pass')
  })

  it('labels attempts so JUnit names stay distinct', () => {
    const cases = [1, 2].map((attempt) => ({...base, attempt}))
    const names = parseXml(junitXml({...fixture(), cases})).children[0].children.filter((c) => c.name === 'testcase').map((c) => c.attrs.name)
    expect(names).toEqual(['boot_hello #1', 'boot_hello #2'])
    expect(markdownSummary({...fixture(), cases})).toContain('| boot_hello #2 |')
  })
})
