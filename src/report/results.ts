// Run results on disk: results.json, JUnit XML, a Markdown summary (also for
// $GITHUB_STEP_SUMMARY). The text builders are pure; writeResults does the I/O.
import {appendFileSync, mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {shortCommit} from '../util/git.js'
import {checkRunFileHead, readJsonFile} from '../util/json.js'
import {findRepoRoot} from '../util/root.js'
import {BACKTRACE_HEADER, formatFrame} from '../suites/symbolize.js'
import {CASE_STATUSES, type CaseStatus, effectiveResult, isFailing, summarize} from '../suites/status.js'
import {overlaySvg, overlayTable} from './overlay.js'
import type {CaseResult, RunResults} from '../suites/types.js'

export const DEFAULT_REPORT_DIR = 'build/reports'

export const PHASE_NAMES: Record<number, string> = {
  0: 'Test harness self-tests',
  1: 'Kernel foundations',
  2: 'Processes, scheduling and WASM',
  3: 'Networking',
  4: 'Discovery and P2P',
}

export function phaseName(phase: number): string {
  return PHASE_NAMES[phase] ?? `Phase ${phase}`
}

/** Case id plus the attempt number when --repeat ran it several times. */
export function caseLabel(c: CaseResult): string {
  return c.attempt === undefined ? c.id : `${c.id} #${c.attempt}`
}

// ---------------------------------------------------------------------------
// XML

/**
 * Escape text for XML 1.0 content and attribute values. Serial logs carry
 * control characters (ANSI escapes, NULs) that XML 1.0 forbids even as
 * character references, so they are written visibly as "\xNN" instead.
 */
export function xmlEscape(text: string): string {
  let out = ''
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    switch (ch) {
      case '&': out += '&amp;'; continue
      case '<': out += '&lt;'; continue
      case '>': out += '&gt;'; continue
      case '"': out += '&quot;'; continue
      case "'": out += '&apos;'; continue
      default:
    }
    const allowed =
      code === 0x9 || code === 0xa || code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff)
    if (allowed) out += ch
    else out += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  }
  return out
}

/** Attribute values additionally keep tabs/newlines, which parsers would normalise to spaces. */
function xmlAttr(text: string): string {
  return xmlEscape(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;')
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3)
}

function byPhase(cases: readonly CaseResult[]): Map<number, CaseResult[]> {
  const phases = new Map<number, CaseResult[]>()
  for (const c of cases) {
    const list = phases.get(c.phase) ?? []
    list.push(c)
    phases.set(c.phase, list)
  }
  return new Map([...phases.entries()].sort((a, b) => a[0] - b[0]))
}

function backtraceLines(c: CaseResult): string[] {
  if (!c.backtrace || c.backtrace.length === 0) return []
  return [BACKTRACE_HEADER, ...(c.backtraceNote ? [`note: ${c.backtraceNote}`] : []), ...c.backtrace.map(formatFrame)]
}

function failureText(c: CaseResult): string {
  const lines: string[] = []
  if (c.reason) lines.push(c.reason)
  if (c.tail && c.tail.length > 0) {
    lines.push('--- last serial lines ---', ...c.tail)
  }
  lines.push(...backtraceLines(c))
  if (c.log) lines.push(`log: ${c.log}`)
  return lines.join('\n')
}

export function junitXml(results: RunResults): string {
  const phases = byPhase(results.cases.map(effectiveResult))
  const count = (cases: readonly CaseResult[]) => {
    const s = summarize(cases)
    return {
      tests: cases.length,
      failures: s.fail + s.crash + s.timeout + s.error,
      skipped: s.skip,
      time: seconds(cases.reduce((t, c) => t + c.durationMs, 0)),
    }
  }

  const all = count(results.cases.map(effectiveResult))
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  out.push(`<testsuites name="kos" tests="${all.tests}" failures="${all.failures}" errors="0" skipped="${all.skipped}" time="${all.time}">`)
  for (const [phase, cases] of phases) {
    const n = count(cases)
    out.push(
      `  <testsuite name="phase${phase}" tests="${n.tests}" failures="${n.failures}" errors="0" skipped="${n.skipped}" time="${n.time}" timestamp="${xmlAttr(results.date)}">`,
    )
    out.push('    <properties>')
    out.push(`      <property name="title" value="${xmlAttr(phaseName(phase))}"/>`)
    if (results.commit) out.push(`      <property name="commit" value="${xmlAttr(results.commit)}"/>`)
    out.push('    </properties>')
    for (const c of cases) {
      const open = `    <testcase classname="phase${phase}" name="${xmlAttr(caseLabel(c))}" time="${seconds(c.durationMs)}">`
      const body: string[] = []
      if (isFailing(c.status)) {
        const message = `${c.status}${c.reason ? `: ${c.reason}` : ''}`
        body.push(`      <failure message="${xmlAttr(message)}" type="${c.status}">${xmlEscape(failureText(c))}</failure>`)
      } else if (c.status === 'skip') {
        body.push(`      <skipped message="${xmlAttr(c.reason ?? 'skipped')}"/>`)
      }
      const repro = [`title: ${c.title}`, `log: ${c.log}`]
      if (c.qemu?.argv?.length) repro.push(`qemu: ${c.qemu.argv.join(' ')}`)
      // Also for crashes that were expected (no <failure>): the frames show where it happened.
      if (c.backtrace?.length && !isFailing(c.status)) repro.push(...backtraceLines(c))
      body.push(`      <system-out>${xmlEscape(repro.join('\n'))}</system-out>`)
      out.push(open, ...body, '    </testcase>')
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return out.join('\n') + '\n'
}

// ---------------------------------------------------------------------------
// Markdown

/** Make text safe inside one Markdown table cell. */
export function mdCell(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/\r?\n|\r/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .trim()
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(1)} s`
}

const STATUS_MARK: Record<CaseStatus, string> = {
  pass: 'pass',
  fail: 'FAIL',
  skip: 'skip',
  timeout: 'TIMEOUT',
  crash: 'CRASH',
  error: 'ERROR',
}

export function markdownSummary(results: RunResults): string {
  const cases = results.cases.map(effectiveResult)
  const s = summarize(cases)
  const total = cases.length
  const ran = total - s.skip
  const out: string[] = []
  out.push('## kos test results', '')
  out.push(`${s.pass} of ${total} passing` + (s.skip ? ` (${s.skip} skipped, ${ran} ran)` : '') + '.')
  out.push('')
  out.push(CASE_STATUSES.map((st) => `${st}: ${s[st]}`).join(' · '))
  out.push('')
  out.push(`Run ${results.date}${results.commit ? ` at commit \`${shortCommit(results.commit)}\`` : ''}.`)
  out.push('')
  out.push('| Case | Phase | Status | Duration | Reason |', '| --- | --- | --- | --- | --- |')
  for (const c of [...cases].sort((a, b) => a.phase - b.phase)) {
    out.push(
      `| ${mdCell(caseLabel(c))} | ${c.phase} | ${STATUS_MARK[c.status]} | ${formatDuration(c.durationMs)} | ${mdCell(c.reason ?? '')} |`,
    )
  }
  // What the health monitors of multi-guest cases saw: a table and the picture writeResults draws.
  for (const c of cases) {
    if (!c.overlay) continue
    out.push('', `### Overlay of ${mdCell(caseLabel(c))}`, '')
    out.push(`${c.overlay.nodes.length} peers; the last health line of each monitor for each peer${c.killed?.length ? ` (guests ${c.killed.map((k) => k.guest).join(', ')} were killed during the run)` : ''}.`, '')
    out.push(overlayTable(c.overlay).trimEnd(), '', `![overlay of ${caseLabel(c)}](${overlayFile(c)})`)
  }
  return out.join('\n') + '\n'
}

/** Where writeResults puts a case's overlay picture, relative to the report directory. */
export function overlayFile(c: CaseResult): string {
  return `overlay/${caseLabel(c).replace(/[^\w.-]+/g, '_')}.svg`
}

// ---------------------------------------------------------------------------
// Files

export interface WrittenReports {
  json: string
  junit: string
  markdown: string
  /** Set when the summary was appended to $GITHUB_STEP_SUMMARY. */
  stepSummary?: string
}

/** build/reports of the repository around the current directory (so subdirectory runs land in the same place). */
function defaultReportDir(): string {
  try {
    return join(findRepoRoot(), DEFAULT_REPORT_DIR)
  } catch {
    return DEFAULT_REPORT_DIR
  }
}

/** Another kos process finishing at the same time, or a reader, never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

/**
 * Write results.json, junit.xml and summary.md (under opts.dir, default
 * build/reports) and append the summary to $GITHUB_STEP_SUMMARY when set.
 * Synchronous so callers in exit paths cannot lose the files.
 */
export function writeResults(results: RunResults, opts: {dir?: string; junitPath?: string} = {}): WrittenReports {
  const dir = opts.dir ?? defaultReportDir()
  const json = join(dir, 'results.json')
  const junit = opts.junitPath ?? join(dir, 'junit.xml')
  const markdown = join(dir, 'summary.md')
  mkdirSync(dir, {recursive: true})
  mkdirSync(dirname(junit), {recursive: true})

  const md = markdownSummary(results)
  for (const c of results.cases) {
    if (!c.overlay) continue
    const svg = join(dir, overlayFile(c))
    mkdirSync(dirname(svg), {recursive: true})
    writeAtomically(svg, overlaySvg(c.overlay, `${caseLabel(c)}: health monitors' view`))
  }
  writeAtomically(json, JSON.stringify(results, null, 2) + '\n')
  writeAtomically(junit, junitXml(results))
  writeAtomically(markdown, md)

  const written: WrittenReports = {json, junit, markdown}
  const stepSummary = process.env.GITHUB_STEP_SUMMARY
  if (stepSummary) {
    appendFileSync(stepSummary, md + '\n')
    written.stepSummary = stepSummary
  }
  return written
}

/** Thrown for unreadable or malformed results files; the message is one line. */
export class ResultsFileError extends Error {}

function fail(path: string, what: string): never {
  throw new ResultsFileError(`${path}: ${what}`)
}

/** Check that a parsed value has the RunResults shape the report relies on. */
export function validateResults(value: unknown, path = 'results'): RunResults {
  const v = checkRunFileHead(value, path, 'cases', fail) as unknown as Record<string, unknown> & {cases: unknown[]}
  v.cases.forEach((raw, i) => {
    const where = `cases[${i}]`
    if (typeof raw !== 'object' || raw === null) fail(path, `${where} is not an object`)
    const c = raw as Record<string, unknown>
    if (typeof c.id !== 'string' || c.id === '') fail(path, `${where}.id must be a non-empty string`)
    const at = `case "${c.id}"`
    if (typeof c.phase !== 'number' || !Number.isInteger(c.phase)) fail(path, `${at}: "phase" must be an integer`)
    if (typeof c.status !== 'string' || !(CASE_STATUSES as string[]).includes(c.status))
      fail(path, `${at}: "status" must be one of ${CASE_STATUSES.join(', ')}`)
    if (typeof c.durationMs !== 'number' || !Number.isFinite(c.durationMs)) fail(path, `${at}: "durationMs" must be a number`)
    if (typeof c.title !== 'string') fail(path, `${at}: "title" must be a string`)
    for (const key of ['components', 'syscalls'] as const) {
      if (!Array.isArray(c[key]) || !(c[key] as unknown[]).every((x) => typeof x === 'string'))
        fail(path, `${at}: "${key}" must be an array of strings`)
    }
    if (c.reason !== undefined && typeof c.reason !== 'string') fail(path, `${at}: "reason" must be a string`)
    if (c.tail !== undefined && (!Array.isArray(c.tail) || !c.tail.every((x) => typeof x === 'string')))
      fail(path, `${at}: "tail" must be an array of strings`)
    if (c.backtrace !== undefined) {
      if (!Array.isArray(c.backtrace)) fail(path, `${at}: "backtrace" must be an array`)
      c.backtrace.forEach((f: unknown, j: number) => {
        const fr = f as Record<string, unknown> | null
        const ok = typeof fr === 'object' && fr !== null && typeof fr.addr === 'string' && typeof fr.func === 'string' &&
          typeof fr.file === 'string' && typeof fr.line === 'number'
        if (!ok) fail(path, `${at}: backtrace[${j}] must have string addr, func, file and a number line`)
      })
    }
    if (c.metrics !== undefined) {
      if (typeof c.metrics !== 'object' || c.metrics === null) fail(path, `${at}: "metrics" must be an object`)
      for (const [k, m] of Object.entries(c.metrics)) if (typeof m !== 'number') fail(path, `${at}: metric "${k}" must be a number`)
    }
  })
  const results = v as unknown as RunResults
  // The summary is derived data: recompute rather than trust it.
  results.summary = summarize(results.cases)
  if (results.commit === undefined) results.commit = null
  return results
}

export function readResults(path: string): RunResults {
  return validateResults(readJsonFile(path, 'run `kos test` first', fail), path)
}
