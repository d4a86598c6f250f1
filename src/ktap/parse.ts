// KTAP v1 parser: serial text -> result tree. A pure function: no I/O, no clock.
// Also accepts "TAP version 13/14" documents (KUnit's older output).
import type {KtapDirective, KtapDocument, KtapNode} from './types.js'

const VERSION_RE = /(K?TAP) version (\d+)/
const TIMESTAMP_PREFIX_RE = /^\[\s*\d+(?:\.\d+)?\]\s?/
const RESULT_RE = /^(not ok|ok)\b(?:\s+(\d+))?(?:\s+-)?(?:\s+(.*))?$/
const PLAN_RE = /^1\.\.(\d+)\s*(?:#.*)?$/
const SUBTEST_RE = /^#\s*Subtest:\s*(.*)$/
const DIRECTIVES: KtapDirective[] = ['SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR']

interface Frame {
  node: KtapNode
  indent: number
  /** Results seen so far in this block (for numbering checks). */
  results: number
  /** Child opened as a block whose result line has not been seen yet. */
  pendingChild: KtapNode | null
}

function newNode(name: string, number: number): KtapNode {
  return {name, number, ok: null, plan: null, diagnostics: [], log: [], subtests: [], errors: []}
}

/** Splits "name # SKIP reason" into name and directive (the directive word is case-insensitive). */
function splitDirective(rest: string): {name: string; directive?: KtapDirective; reason?: string; comment?: string} {
  // The directive separator is the first " # " that is not escaped.
  const m = /^(.*?)(?:^|\s)(?<!\\)#\s*(.*)$/.exec(rest)
  if (!m) return {name: rest.trim()}
  const after = m[2].trim()
  const word = /^(\w+)\s*(.*)$/.exec(after)
  const directive = word ? DIRECTIVES.find((d) => d === word[1].toUpperCase()) : undefined
  // Not a directive (e.g. the kernel's "# exit=3"): keep it as a diagnostic of that test.
  if (!word || !directive) return {name: m[1].trim(), comment: after}
  return {name: m[1].trim(), directive, reason: word[2].trim()}
}

/** Describes how the prefix found before the version line is removed from later lines. */
function makePrefixStripper(prefix: string): (line: string) => string {
  if (prefix === '') return (line) => line
  if (TIMESTAMP_PREFIX_RE.test(prefix)) return (line) => line.replace(TIMESTAMP_PREFIX_RE, '')
  // Arbitrary junk (e.g. firmware output with no newline): strip it only where it recurs.
  return (line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line)
}

export function parseKtap(text: string): KtapDocument {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  if (lines.length > 0 && lines.at(-1) === '') lines.pop()

  const root = newNode('', 0)
  const doc: KtapDocument = {root, truncated: false, missingVersion: false}

  let start = lines.findIndex((l) => VERSION_RE.test(l))
  let strip = (line: string) => line
  if (start < 0) {
    doc.missingVersion = true
    root.errors.push('no "KTAP version" line found')
    start = 0
  } else {
    for (const l of lines.slice(0, start)) root.log.push(l)
    const m = VERSION_RE.exec(lines[start])!
    const prefix = lines[start].slice(0, m.index)
    strip = makePrefixStripper(prefix)
    root.version = Number(m[2])
    lines[start] = ''
  }

  const stack: Frame[] = [{node: root, indent: 0, results: 0, pendingChild: null}]
  const top = () => stack[stack.length - 1]

  // Closes the innermost block; a block that got no result line keeps ok=null.
  const closeTop = (why: 'result' | 'structure') => {
    const frame = stack.pop()!
    checkPlan(frame, false)
    const parent = top()
    if (why === 'structure' && frame.node.ok === null) {
      frame.node.errors.push(`no result line for subtest "${frame.node.name}"`)
      if (parent.pendingChild === frame.node) parent.pendingChild = null
    }
  }

  const checkPlan = (frame: Frame, atEnd: boolean) => {
    const n = frame.node
    if (n.plan === null) {
      if (!atEnd || frame.results > 0 || frame === stack[0]) n.errors.push('no plan line (1..N)')
      return
    }
    if (frame.results < n.plan) {
      n.errors.push(`plan 1..${n.plan} but only ${frame.results} result(s)`)
      if (atEnd) doc.truncated = true
    } else if (frame.results > n.plan) {
      n.errors.push(`plan 1..${n.plan} but ${frame.results} results`)
    }
  }

  // Opens a child block at `indent` under the current top (its result comes later).
  const openBlock = (indent: number): Frame => {
    const parent = top()
    const node = newNode('', 0)
    parent.node.subtests.push(node)
    parent.pendingChild = node
    const frame: Frame = {node, indent, results: 0, pendingChild: null}
    stack.push(frame)
    return frame
  }

  // A structural line at `indent`: unwind blocks deeper than it, open one if it is deeper than the top.
  const frameFor = (indent: number, opensBlock: boolean, isResult = false): Frame => {
    while (stack.length > 1 && indent < top().indent) {
      // A result line right after a block is that block's own result; anything else leaves it unfinished.
      const lastPop = stack[stack.length - 2].indent <= indent
      closeTop(isResult && lastPop ? 'result' : 'structure')
    }
    if (indent > top().indent) return openBlock(indent)
    if (opensBlock && stack.length > 1 && top().indent === indent) {
      // A second block at the same depth: the previous one never got its result line.
      const cur = top().node
      if (cur.name !== '' || cur.plan !== null || cur.subtests.length > 0) {
        closeTop('structure')
        return openBlock(indent)
      }
    }
    return top()
  }

  for (let i = start; i < lines.length; i++) {
    const raw = strip(lines[i]).replace(/\s+$/, '')
    if (raw === '') continue
    const indent = raw.length - raw.trimStart().length
    const body = raw.trimStart()

    const version = VERSION_RE.exec(body)
    if (version && version.index === 0) {
      if (indent <= 0 && stack.length === 1) {
        root.errors.push(`unexpected second version line: ${body}`)
        continue
      }
      const frame = frameFor(indent, true)
      if (frame === stack[0]) {
        root.errors.push(`unexpected version line: ${body}`)
        continue
      }
      if (frame.node.version !== undefined) {
        // Same-depth repeat: treat as a new sibling block.
        closeTop('structure')
        openBlock(indent).node.version = Number(version[2])
      } else {
        frame.node.version = Number(version[2])
      }
      continue
    }

    const subtest = SUBTEST_RE.exec(body)
    if (subtest) {
      const frame = frameFor(indent, true)
      if (frame === stack[0]) {
        root.errors.push(`subtest header at top level: ${body}`)
        continue
      }
      if (frame.node.name === '') frame.node.name = subtest[1].trim()
      else frame.node.errors.push(`second subtest header: ${body}`)
      continue
    }

    const plan = PLAN_RE.exec(body)
    if (plan) {
      const frame = frameFor(indent, false)
      if (frame.node.plan !== null) frame.node.errors.push(`second plan line: ${body}`)
      else frame.node.plan = Number(plan[1])
      continue
    }

    if (/^(not ok|ok)\b/.test(body)) {
      const m = RESULT_RE.exec(body)
      if (!m || m[2] === undefined) {
        // Looks like a result but is not one: keep it visible instead of guessing.
        const frame = top()
        frame.node.errors.push(`malformed result line: ${body}`)
        frame.node.log.push(raw)
        continue
      }
      const frame = frameFor(indent, false, true)
      const number = Number(m[2])
      const {name, directive, reason, comment} = splitDirective(m[3] ?? '')
      const expected = frame.results + 1
      if (number !== expected) frame.node.errors.push(`bad numbering: expected ${expected}, got ${number} (${name})`)
      frame.results++
      let node = frame.pendingChild
      frame.pendingChild = null
      if (node === null) {
        node = newNode(name, number)
        frame.node.subtests.push(node)
      } else if (node.name === '') {
        node.name = name
      }
      node.number = number
      node.ok = m[1] === 'ok'
      if (directive) {
        node.directive = directive
        if (reason) node.directiveReason = reason
      }
      if (comment) node.diagnostics.push(comment)
      continue
    }

    if (body.startsWith('#')) {
      const text = body.replace(/^#\s?/, '')
      // Diagnostics belong to the deepest open block at or above their indentation.
      let k = stack.length - 1
      while (k > 0 && stack[k].indent > indent) k--
      stack[k].node.diagnostics.push(text)
      continue
    }

    if (/^Bail out!/i.test(body)) {
      top().node.errors.push(body)
      continue
    }

    // Anything else is log output of whatever test is running now.
    top().node.log.push(raw)
  }

  // End of input: every block still open was cut off.
  while (stack.length > 1) {
    const frame = stack.pop()!
    checkPlan(frame, true)
    if (frame.node.ok === null) {
      doc.truncated = true
      frame.node.errors.push('output ended before the result line (truncated)')
    }
  }
  if (!doc.missingVersion) checkPlan(stack[0], true)
  return doc
}

/** Every node in the tree, depth first (root excluded). */
export function walkKtap(node: KtapNode, visit: (n: KtapNode, depth: number) => void, depth = 0): void {
  for (const child of node.subtests) {
    visit(child, depth + 1)
    walkKtap(child, visit, depth + 1)
  }
}

/** All parse errors in the tree, each prefixed with the path of the test it belongs to. */
export function collectKtapErrors(root: KtapNode): string[] {
  const out = root.errors.map((e) => e)
  const rec = (node: KtapNode, path: string) => {
    for (const child of node.subtests) {
      const p = path ? `${path}.${child.name || child.number}` : child.name || String(child.number)
      for (const e of child.errors) out.push(`${p}: ${e}`)
      rec(child, p)
    }
  }
  rec(root, '')
  return out
}
