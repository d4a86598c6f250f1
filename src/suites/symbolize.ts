// Kernel backtraces: the return addresses a kernel fault or panic prints on the
// serial console (`#   rip 0x...`, `#   bt: 0x...`) turned into function names and
// source lines with the kernel ELF's debug info (llvm-symbolizer or addr2line).
// Parsing is pure; symbolizeAddresses runs the tool once for all addresses.
import {existsSync} from 'node:fs'
import path from 'node:path'
import {runTool, which} from '../util/spawn.js'
import type {BacktraceFrame} from './types.js'

export type {BacktraceFrame} from './types.js'

/** Tools tried in order; addr2line (binutils) prints the same func/file:line pairs. */
export const SYMBOLIZER_CANDIDATES = ['llvm-symbolizer-19', 'llvm-symbolizer', 'addr2line'] as const
export const BACKTRACE_HEADER = '--- backtrace (symbolized) ---'
/** Functions that only report a crash: a crash reason names the first frame outside them. */
const REPORTING_FUNCTIONS = new Set(['panic', 'backtrace_here', 'backtrace_from', 'kernel_fault'])
const SYMBOLIZER_TIMEOUT_MS = 60_000

// The exception report's RIP line and every backtrace line (kernel/arch/x86_64/trap.c, kernel/lib/panic.c).
const RIP_LINE = /^#\s+rip (0x[0-9a-f]+)\b/i
const BT_LINE = /^#\s+bt:\s+(0x[0-9a-f]+)\s*$/i

/** 0x-prefixed lowercase hex without leading zeros, so every tool's spelling compares equal. */
export function normalizeAddress(addr: string): string {
  return '0x' + BigInt(addr.startsWith('0x') || addr.startsWith('0X') ? addr : `0x${addr}`).toString(16)
}

/** RIP and backtrace addresses in the serial log, in order of first appearance, each once. */
export function collectBacktraceAddresses(serial: string): string[] {
  const seen = new Set<string>()
  for (const raw of serial.split(/\r?\n/)) {
    // A serial line may carry a prefix before the KTAP diagnostic (e.g. indentation).
    const line = raw.trim()
    const m = RIP_LINE.exec(line) ?? BT_LINE.exec(line)
    if (m) seen.add(normalizeAddress(m[1]))
  }
  return [...seen]
}

const ADDRESS_LINE = /^0x[0-9a-f]+$/i
const LOCATION_LINE = /^(.*?):(\d+)(?::\d+)?(?:\s+\(discriminator \d+\))?$/

function relativeTo(repoRoot: string | undefined, file: string): string {
  if (repoRoot === undefined || !path.isAbsolute(file)) return file
  const rel = path.relative(repoRoot, file)
  return rel.startsWith('..') ? file : rel
}

/**
 * Parses `llvm-symbolizer -a` or `addr2line -a -f -i` output: an address line, then
 * (function, file:line[:column]) pairs, innermost inlined frame first. Returns one
 * frame per address: the innermost function, with the functions it was inlined into.
 * Unknown code comes back as func "??", file "??", line 0.
 */
export function parseSymbolizerOutput(text: string, repoRoot?: string): Map<string, BacktraceFrame> {
  const frames = new Map<string, BacktraceFrame>()
  const lines = text.split(/\r?\n/).map((l) => l.trim())
  let addr: string | undefined
  let pairs: {func: string; file: string; line: number}[] = []
  const flush = () => {
    if (addr !== undefined && pairs.length > 0 && !frames.has(addr)) {
      const frame: BacktraceFrame = {addr, ...pairs[0]}
      const outer = pairs.slice(1).map((p) => p.func).filter((f) => f !== '??')
      if (outer.length > 0) frame.inlinedInto = outer
      frames.set(addr, frame)
    }
    pairs = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    if (ADDRESS_LINE.test(line)) {
      flush()
      addr = normalizeAddress(line)
      continue
    }
    if (addr === undefined) continue
    // A function line is followed by its location line.
    const loc = LOCATION_LINE.exec(lines[i + 1] ?? '')
    if (!loc) continue
    pairs.push({func: line, file: relativeTo(repoRoot, loc[1]), line: Number(loc[2])})
    i++
  }
  flush()
  return frames
}

export interface Symbolizer {
  path: string
  kind: 'llvm' | 'addr2line'
}

export function findSymbolizer(lookup: (name: string) => string | undefined = which): Symbolizer | undefined {
  for (const name of SYMBOLIZER_CANDIDATES) {
    const found = lookup(name)
    if (found) return {path: found, kind: name === 'addr2line' ? 'addr2line' : 'llvm'}
  }
  return undefined
}

export function symbolizerArgs(tool: Symbolizer, elf: string, addrs: readonly string[]): string[] {
  return tool.kind === 'llvm' ? ['-a', `--obj=${elf}`, ...addrs] : ['-a', '-f', '-i', '-C', '-e', elf, ...addrs]
}

export interface SymbolizedBacktrace {
  /** One frame per address, in the order given; unresolved addresses keep func "??". */
  frames: BacktraceFrame[]
  /** Why the addresses stayed raw (no tool, no ELF, the tool failed). */
  note?: string
}

const rawFrames = (addrs: readonly string[]): BacktraceFrame[] => addrs.map((addr) => ({addr, func: '??', file: '??', line: 0}))

/**
 * Runs the symbolizer once on all addresses. Never throws: a missing tool or ELF is
 * not an error, the addresses stay raw and the note says why.
 */
export async function symbolizeAddresses(
  addrs: readonly string[], elf: string,
  opts: {repoRoot?: string; lookup?: (name: string) => string | undefined} = {},
): Promise<SymbolizedBacktrace> {
  if (addrs.length === 0) return {frames: []}
  const wanted = addrs.map(normalizeAddress)
  const absElf = opts.repoRoot ? path.resolve(opts.repoRoot, elf) : elf
  if (!existsSync(absElf)) return {frames: rawFrames(wanted), note: `addresses not symbolized: ${elf} does not exist`}
  const tool = findSymbolizer(opts.lookup)
  if (!tool) return {frames: rawFrames(wanted), note: `addresses not symbolized: none of ${SYMBOLIZER_CANDIDATES.join(', ')} is installed`}
  const r = await runTool(tool.path, symbolizerArgs(tool, absElf, wanted), {timeoutMs: SYMBOLIZER_TIMEOUT_MS})
  if (r.code !== 0) {
    const why = r.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit ${r.code}`
    return {frames: rawFrames(wanted), note: `addresses not symbolized: ${path.basename(tool.path)} failed: ${why.trim()}`}
  }
  const parsed = parseSymbolizerOutput(r.stdout, opts.repoRoot)
  return {frames: wanted.map((a) => parsed.get(a) ?? {addr: a, func: '??', file: '??', line: 0})}
}

export function formatFrame(f: BacktraceFrame): string {
  const inlined = f.inlinedInto?.length ? ` (inlined into ${f.inlinedInto.join(' < ')})` : ''
  return `${f.addr} ${f.func} ${f.file}:${f.line}${inlined}`
}

/** The block appended to a case's serial log. */
export function formatBacktraceBlock(bt: SymbolizedBacktrace): string {
  const lines = [BACKTRACE_HEADER]
  if (bt.note) lines.push(`note: ${bt.note}`)
  lines.push(...bt.frames.map(formatFrame))
  return lines.join('\n') + '\n'
}

/**
 * A short "where" for a crash reason: the first resolved frame that is not the
 * crash reporting itself (panic's own frame says nothing about the cause).
 */
export function crashLocation(frames: readonly BacktraceFrame[]): string | undefined {
  const known = frames.filter((f) => f.func !== '??')
  const f = known.find((k) => !REPORTING_FUNCTIONS.has(k.func)) ?? known[0]
  if (!f) return undefined
  return `${f.func} ${f.file}:${f.line}`
}
