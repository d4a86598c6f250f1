// The official WebAssembly 1.0 core test suite through the `kos wasm spec`
// command (run in-process from src/, so a stale dist/ cannot mask a change),
// on a kos-wasm built from the current sources.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {format} from 'node:util'
import {type TestContext, afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {hostBuild, kosWasmSources} from '../../src/builder/hostcc.js'
import {SKIP_REASON_META} from '../../src/check/index.js'
import WasmSpec from '../../src/commands/wasm/spec.js'
import {MVP_FLAGS, type SpecSummary} from '../../src/wasm/spec.js'
import {locateSpecSuite} from '../../src/wasm/specdir.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
// KOS_WASM_SPEC or ../shared/wasm-spec; without either, the tests that need the suite are skipped with the reason.
const suite = locateSpecSuite(repoRoot, '1.0')
const specDir = suite.dir ?? ''
type SkipCtx = Pick<TestContext, 'skip' | 'task'>
/** Skips the test with the reason, which `kos check` prints (the JSON report keeps meta, not the note). */
const skipFor = (ctx: SkipCtx, reason: string): never => {
  const meta = ctx.task.meta as Record<string, unknown>
  meta[SKIP_REASON_META] = reason
  return ctx.skip(reason)
}
const needSuite = (ctx: SkipCtx) => {
  if (suite.dir === null) skipFor(ctx, suite.reason)
}
let tmp: string
let kosWasm: string

/** Runs the command class with argv; returns what it wrote and its exit code. */
async function runCommand(argv: string[]): Promise<{stdout: string; stderr: string; code: number}> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true))
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true))
  // --json is oclif's, which prints the returned result through console.log.
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += format(...a) + '\n'))
  let code = 0
  try {
    await WasmSpec.run([...argv, '--kos-wasm', kosWasm], repoRoot)
  } catch (error) {
    const e = error as {oclif?: {exit?: number}; message?: string}
    code = e.oclif?.exit ?? 99
    if (code === 99) stderr += String(e.message)
  } finally {
    out.mockRestore()
    err.mockRestore()
    log.mockRestore()
  }
  return {stdout, stderr, code}
}

beforeAll(() => {
  // Built from the current sources with the flags of the host profile of
  // `kos build` (toolchain/host.json), into a temp dir: build/ belongs to `kos build`.
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-wasm-int-'))
  kosWasm = path.join(tmp, 'kos-wasm')
  hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: kosWasm})
}, 300_000) // compiling under load can take a while

afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
})

/** Commands kos-wasm judges in one .wast: every command of wast2json's output but `register`. */
function judgedCommands(file: string, flags: string[] = MVP_FLAGS): number {
  const json = path.join(tmp, `count-${path.basename(file, '.wast')}-${flags.length}.json`)
  execFileSync('wast2json', [...flags, file, '-o', json])
  const {commands} = JSON.parse(readFileSync(json, 'utf8')) as {commands: Array<{type: string}>}
  return commands.filter((c) => c.type !== 'register').length
}

const suite2 = locateSpecSuite(repoRoot, '2.0')

describe('kos wasm spec on the WebAssembly 2.0 core test suite (without SIMD)', () => {
  it('passes every module and assertion of every file, judged as 2.0 (none skipped, none failed)', async (ctx) => {
    if (suite2.dir === null) skipFor(ctx, suite2.reason)
    const dir = suite2.dir!
    const r = await runCommand([dir, '--json'])
    const s = JSON.parse(r.stdout) as SpecSummary
    expect(s.version).toBe('2.0')
    expect(s.files).toHaveLength(readdirSync(dir).filter((f) => f.endsWith('.wast')).length)
    // Exact per file, with wast2json's default (2.0) features: 23706 in the 2.0 suite.
    const want = Object.fromEntries(s.files.map((f) => [f.file, {passed: judgedCommands(path.join(dir, f.file), []), failed: 0, skipped: 0, failures: []}]))
    const got = Object.fromEntries(s.files.map((f) => [f.file, {passed: f.passed, failed: f.failed, skipped: f.skipped, failures: f.failures}]))
    expect(got).toEqual(want)
    expect(s.failed).toBe(0)
    expect(s.skipped).toBe(0)
    expect(r.code).toBe(0)
  })
})

describe('kos wasm spec on the WebAssembly 1.0 core test suite', () => {
  it('passes every module and assertion of every file (none skipped, none failed)', async (ctx) => {
    needSuite(ctx)
    expect(existsSync(specDir), `${specDir} is missing (the shared WebAssembly test suite)`).toBe(true)
    const r = await runCommand([specDir, '--json'])
    const s = JSON.parse(r.stdout) as SpecSummary
    const wastCount = readdirSync(specDir).filter((f) => f.endsWith('.wast')).length
    expect(s.files).toHaveLength(wastCount)
    expect(s.passed).toBe(s.files.reduce((n, f) => n + f.passed, 0))
    expect(s.failed).toBe(s.files.reduce((n, f) => n + f.failed, 0))
    // Exact per file: what wast2json says the script holds is what passed (17448 in the 1.0 suite).
    const want = Object.fromEntries(s.files.map((f) => [f.file, {passed: judgedCommands(path.join(specDir, f.file)), failed: 0, skipped: 0, failures: []}]))
    const got = Object.fromEntries(s.files.map((f) => [f.file, {passed: f.passed, failed: f.failed, skipped: f.skipped, failures: f.failures}]))
    expect(got).toEqual(want)
    expect(s.passed).toBe(Object.values(want).reduce((n, f) => n + f.passed, 0))
    expect(s.failed).toBe(0)
    // Every command is judged, text-format modules included (wat.c).
    expect(s.skipped).toBe(0)
    expect(s.version).toBe('1.0')
    expect(r.code).toBe(0)
  })

  it('compiles every text module of the suite to the same bytes as wast2json (kos-wasm watcheck)', (ctx) => {
    needSuite(ctx)
    let compared = 0
    for (const f of readdirSync(specDir).filter((x) => x.endsWith('.wast'))) {
      const json = path.join(tmp, f.replace(/\.wast$/, '.json'))
      execFileSync('wast2json', [...MVP_FLAGS, path.join(specDir, f), '-o', json])
      const out = execFileSync(kosWasm, ['watcheck', path.join(specDir, f), json], {encoding: 'utf8'})
      const m = /^WATCHECK compared (\d+) mismatched (\d+)$/m.exec(out)
      expect(m, `${f}: ${out}`).not.toBeNull()
      expect(Number(m![2]), `${f}: ${out}`).toBe(0)
      compared += Number(m![1])
    }
    expect(compared).toBeGreaterThan(1800)
  })

  it('prints a per-file table with totals', async (ctx) => {
    needSuite(ctx)
    const r = await runCommand([path.join(specDir, 'nop.wast')])
    expect(r.stdout).toMatch(/^nop\.wast\s+\d+\s+0\s+0$/m)
    expect(r.stdout).toMatch(/^total\s+\d+\s+0\s+0$/m)
    expect(r.code).toBe(0)
  })

  it('names the problem in one line for a bad directory', async () => {
    const r = await runCommand([path.join(repoRoot, 'no-such-dir')])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(`kos wasm spec: ${path.join(repoRoot, 'no-such-dir')}: no such file or directory\n`)
  })

  it('says how to get the runner when it is missing', async () => {
    const saved = kosWasm
    kosWasm = path.join(tmp, 'not-built')
    try {
      const r = await runCommand([path.join(repoRoot, 'test-suites/wasm')])
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`kos wasm spec: ${kosWasm} missing: run \`kos build\` first\n`)
    } finally {
      kosWasm = saved
    }
  })

  it('names the missing tool when wast2json is not on PATH', async () => {
    const saved = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      const r = await runCommand([path.join(repoRoot, 'test-suites/wasm')])
      expect(r.code).toBe(2)
      expect(r.stderr).toBe('kos wasm spec: wast2json not found: `kos setup` installs wabt\n')
    } finally {
      process.env.PATH = saved
    }
  })
})
