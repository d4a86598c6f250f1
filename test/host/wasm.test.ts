// The interpreter's decoder, validator and execution, through the host build
// (kos-wasm) on the project's own .wast scripts in test-suites/wasm/.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SANITIZE_FLAGS, hostBuild, kosWasmSources} from '../../src/builder/hostcc.js'
import {MVP_FLAGS, findWast2json, parseKosWasmOutput, runSpecFile} from '../../src/wasm/spec.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const suiteDir = path.join(repoRoot, 'test-suites/wasm')
let tmp: string
let kosWasm: string

/** Commands in a .wast that the runner counts: every module and assertion at top level. */
function countCommands(file: string): number {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^\((module|assert_)/.test(l)).length
}

function wat2wasm(name: string, wat: string): string {
  const src = path.join(tmp, `${name}.wat`)
  const out = path.join(tmp, `${name}.wasm`)
  writeFileSync(src, wat)
  execFileSync('wat2wasm', [src, '-o', out])
  return out
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-wasm-unit-'))
  kosWasm = path.join(tmp, 'kos-wasm')
  // Build the current sources the way `kos build` does (host profile), warnings as errors.
  hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: kosWasm, extraFlags: ['-Werror']})
}, 300_000) // compiling under load can take a while

afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
})

describe('wasm spec scripts (test-suites/wasm)', () => {
  const wast2json = findWast2json()
  for (const name of ['decoder.wast', 'validator.wast', 'exec.wast', 'text.wast']) {
    it(`${name}: every command passes`, async () => {
      const file = path.join(suiteDir, name)
      const r = await runSpecFile(file, kosWasm, wast2json, 120_000)
      expect(r.failures).toEqual([])
      expect(r.failed).toBe(0)
      expect(r.skipped).toBe(0)
      expect(r.passed).toBe(countCommands(file))
    })
  }

  it('reports wrong expectations as failures with their lines', async () => {
    const r = await runSpecFile(path.join(suiteDir, 'selfcheck/wrong.wast'), kosWasm, wast2json, 120_000)
    expect(r.failures.map((f) => f.line)).toEqual([7, 8, 9, 10, 12])
    expect(r.failures[0].message).toContain('expected i32:0x2')
    expect(r.failures[1].message).toContain('expected trap')
    expect(r.failures[3].message).toContain('module was accepted')
    expect(r.failures[4].message).toContain('text module was accepted')
    expect(r.failed).toBe(5)
    expect(r.passed).toBe(2) // the module and the last assertion
  })
})

describe('build', () => {
  it('has no warning at -O3 either (gcc\'s deeper flow analysis: -Wmaybe-uninitialized, -Wuse-after-free)', () => {
    const o3 = path.join(tmp, 'kos-wasm-o3')
    // Throws with the compiler's output on the first warning.
    expect(hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: o3, extraFlags: ['-O3', '-Werror']})).toBe(o3)
    // And it runs: a function with parameters and two runs of locals (the decoder's second pass over them).
    const wasm = wat2wasm('o3', '(module (func (export "f") (param i32) (result i32) (local i64 i64) (local i32) (local.set 3 (i32.const 5)) (i32.add (local.get 0) (local.get 3))))')
    const r = spawnSync(o3, ['run', wasm, 'f', '37'], {encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe('i32:42')
  }, 300_000)
})

describe('robustness', () => {
  it('never crashes on mutated binary and text modules (AddressSanitizer + UBSan build, kos-wasm fuzz)', () => {
    const asan = path.join(tmp, 'kos-wasm-asan')
    hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: asan, extraFlags: SANITIZE_FLAGS})
    // Seed corpus: every module of the project's own scripts.
    const corpus = path.join(tmp, 'corpus')
    execFileSync('mkdir', ['-p', corpus])
    for (const name of ['decoder', 'validator', 'exec', 'text']) {
      execFileSync(findWast2json(), [path.join(suiteDir, `${name}.wast`), '-o', path.join(corpus, `${name}.json`)])
    }
    const wasms = readdirSync(corpus).filter((f) => f.endsWith('.wasm')).map((f) => path.join(corpus, f))
    expect(wasms.length).toBe(54) // the binary modules wast2json writes for the four scripts
    // Text inputs for the WAT compiler: the kos programs, the benchmarks, the malformed quotes.
    const wats = [
      ...readdirSync(corpus).filter((f) => f.endsWith('.wat')).map((f) => path.join(corpus, f)),
      ...readdirSync(path.join(repoRoot, 'bench/wasm')).filter((f) => f.endsWith('.wat')).map((f) => path.join(repoRoot, 'bench/wasm', f)),
      path.join(repoRoot, 'user/wasm/hello.wat'),
    ]
    expect(wats.length).toBe(17) // 12 text modules of the scripts, 4 benchmarks, hello.wat
    const r = spawnSync(asan, ['fuzz', '1', '300', ...wasms, ...wats], {encoding: 'utf8', env: {...process.env, ASAN_OPTIONS: 'detect_leaks=1'}, timeout: 300_000})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const m = /^FUZZ parsed (\d+) instantiated (\d+) calls (\d+) traps (\d+)$/m.exec(r.stdout)
    expect(m).not.toBeNull()
    // The mutator is seeded (seed 1, 300 rounds), so the counts are exact: a
    // change in what the decoder accepts, what instantiates or what traps
    // shows here (a new corpus file changes them too: measure and update).
    expect(m!.slice(1).map(Number)).toEqual([2870, 2197, 3192, 826])
  })
})

describe('fuzz harness ownership', () => {
  it('gives each run its own imported table: no call into an instance an earlier run freed', () => {
    const asan = path.join(tmp, 'kos-wasm-asan-own')
    hostBuild(repoRoot, {sources: kosWasmSources(repoRoot), out: asan, extraFlags: SANITIZE_FLAGS})
    // The first module writes its function into the imported table and is
    // freed; the second calls slot 0 of an imported table. With one table
    // shared across runs that call used the freed instance (ASan: heap-use-after-free).
    const writer = wat2wasm('writer', '(module (import "spectest" "table" (table 10 funcref)) (func $f) (elem (i32.const 0) $f))')
    const caller = wat2wasm('caller', '(module (import "spectest" "table" (table 10 funcref)) (type (func)) (func (export "call") (call_indirect (type 0) (i32.const 0))))')
    const r = spawnSync(asan, ['fuzz', '1', '20', writer, caller], {encoding: 'utf8', env: {...process.env, ASAN_OPTIONS: 'detect_leaks=1'}, timeout: 300_000})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const m = /^FUZZ parsed (\d+) instantiated (\d+) calls (\d+) traps (\d+)$/m.exec(r.stdout)
    expect(m).not.toBeNull()
    // The unmutated caller ran and trapped on the empty slot of its own table
    // (seed 1, 20 rounds: exact counts).
    expect(m!.slice(1).map(Number)).toEqual([13, 13, 7, 7])
  }, 300_000)
})

describe('text format (host/wat.c)', () => {
  it('compiles the text modules of the project scripts to the bytes wast2json writes', () => {
    let compared = 0
    for (const name of ['decoder', 'validator', 'exec', 'text']) {
      const json = path.join(tmp, `watcheck-${name}.json`)
      execFileSync(findWast2json(), [...MVP_FLAGS, path.join(suiteDir, `${name}.wast`), '-o', json])
      const out = execFileSync(kosWasm, ['watcheck', path.join(suiteDir, `${name}.wast`), json], {encoding: 'utf8'})
      const m = /^WATCHECK compared (\d+) mismatched (\d+)$/m.exec(out)
      expect(m, out).not.toBeNull()
      expect(Number(m![2]), out).toBe(0)
      compared += Number(m![1])
    }
    // validator.wast and exec.wast are mostly text modules inside assertions
    expect(compared).toBe(38)
  })

  it('notices when its output differs from wast2json', () => {
    // A script whose JSON points the module at another module's binary.
    const dir = path.join(tmp, 'watmismatch')
    execFileSync('mkdir', ['-p', dir])
    writeFileSync(path.join(dir, 'a.wast'), '(module (func (export "f") (result i32) (i32.const 1)))\n')
    writeFileSync(path.join(dir, 'b.wast'), '(module (func (export "f") (result i32) (i32.const 2)))\n')
    execFileSync(findWast2json(), [path.join(dir, 'a.wast'), '-o', path.join(dir, 'a.json')])
    execFileSync(findWast2json(), [path.join(dir, 'b.wast'), '-o', path.join(dir, 'b.json')])
    const r = spawnSync(kosWasm, ['watcheck', path.join(dir, 'a.wast'), path.join(dir, 'b.json')], {encoding: 'utf8'})
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('a.wast:1: bytes differ from wast2json')
    expect(r.stdout).toContain('WATCHECK compared 1 mismatched 1')
  })
})

describe('parseKosWasmOutput', () => {
  it('reads failure lines and the RESULT line', () => {
    const p = parseKosWasmOutput('i32.wast:12: result i32:0x1, expected i32:0x2\nRESULT passed 10 failed 1 skipped 3\n')
    expect(p).toEqual({passed: 10, failed: 1, skipped: 3, complete: true, failures: [{line: 12, message: 'result i32:0x1, expected i32:0x2'}]})
  })
  it('marks output without a RESULT line as incomplete', () => {
    const p = parseKosWasmOutput('a.wast:3: result count mismatch\n')
    expect(p.complete).toBe(false)
    expect(p.failures).toHaveLength(1)
  })
})

describe('kos-wasm run', () => {
  it('calls an export with typed arguments', () => {
    const wasm = wat2wasm('add', '(module (func (export "add") (param i64 f64) (result f64) (f64.add (f64.convert_i64_s (local.get 0)) (local.get 1))))')
    const r = spawnSync(kosWasm, ['run', wasm, 'add', '-3', '0.5'], {encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe('f64:-2.5')
  })

  it('provides env.print_i32 and env.log to kos programs', () => {
    const wasm = wat2wasm(
      'env',
      `(module (import "env" "log" (func $log (param i32 i32))) (import "env" "print_i32" (func $p (param i32)))
        (memory 1) (data (i32.const 8) "hello kos\\n")
        (func (export "main") (call $log (i32.const 8) (i32.const 10)) (call $p (i32.const -42))))`,
    )
    const r = spawnSync(kosWasm, ['run', wasm, 'main'], {encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('hello kos\n-42\n')
  })

  it('runs the kos programs in user/wasm (.wat and C built for wasm32 MVP)', () => {
    const hello = path.join(tmp, 'hello.wasm')
    execFileSync('wat2wasm', [path.join(repoRoot, 'user/wasm/hello.wat'), '-o', hello])
    let r = spawnSync(kosWasm, ['run', hello, 'main'], {encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('i32:0\n')
    expect(r.stderr).toBe('Hello from WebAssembly!\n')
    const primes = path.join(tmp, 'primes.wasm')
    execFileSync('clang-19', ['--target=wasm32', '-mcpu=mvp', '-nostdlib', '-O2', '-Wl,--no-entry', '-Wl,--export-all', '-Wl,--allow-undefined', path.join(repoRoot, 'user/wasm/primes.c'), '-o', primes])
    r = spawnSync(kosWasm, ['run', primes, 'main'], {encoding: 'utf8'})
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('i32:0\n')
    expect(r.stderr).toBe('1229\n')
  })

  it('traps when env.log is handed a buffer outside memory', () => {
    const wasm = wat2wasm('badlog', '(module (import "env" "log" (func $log (param i32 i32))) (memory 1) (func (export "main") (call $log (i32.const 65530) (i32.const 10))))')
    const r = spawnSync(kosWasm, ['run', wasm, 'main'], {encoding: 'utf8'})
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('trap: out of bounds memory access')
  })

  it('refuses a module with an unknown import, naming it', () => {
    const wasm = wat2wasm('unknown', '(module (import "env" "open_door" (func)))')
    const r = spawnSync(kosWasm, ['run', wasm, 'main'], {encoding: 'utf8'})
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('unknown import env.open_door')
  })

  it('refuses an invalid module with the reason', () => {
    const bad = path.join(tmp, 'bad.wasm')
    writeFileSync(bad, Buffer.from('0061736d01000000010501600001 7f030201000a0601040042000b'.replace(/ /g, ''), 'hex'))
    const r = spawnSync(kosWasm, ['run', bad, 'f'], {encoding: 'utf8'})
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('invalid module: func 0: type mismatch')
  })

  it('names a bad argument', () => {
    const wasm = wat2wasm('id', '(module (func (export "id") (param i32) (result i32) (local.get 0)))')
    const r = spawnSync(kosWasm, ['run', wasm, 'id', 'twelve'], {encoding: 'utf8'})
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('argument 1 ("twelve") is not a valid number')
  })

  it('stops an endless loop at the fuel limit instead of hanging', () => {
    const wasm = wat2wasm('spin', '(module (func (export "spin") (loop (br 0))))')
    const r = spawnSync(kosWasm, ['run', '--fuel', '100000', wasm, 'spin'], {encoding: 'utf8', timeout: 60_000})
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('trap: out of fuel')
  })
})
