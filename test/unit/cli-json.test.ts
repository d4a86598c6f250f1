// --json is oclif's (enableJsonFlag) on every command that prints results: the
// command returns its result and oclif prints it, nothing else on stdout; an
// error keeps its exit code (2 for bad input) instead of oclif's error object.
import {format} from 'node:util'
import {afterEach, describe, expect, it, vi} from 'vitest'

import Bench from '../../src/commands/bench/index.js'
import BenchWasm from '../../src/commands/bench/wasm.js'
import Fuzz from '../../src/commands/fuzz.js'
import Test from '../../src/commands/test.js'
import WasmSpec from '../../src/commands/wasm/spec.js'
import {exitWithError} from '../../src/util/errors.js'

const ROOT = process.cwd()

describe('--json', () => {
  afterEach(() => {
    process.exitCode = undefined
    vi.restoreAllMocks()
  })

  it.each([['bench', Bench], ['bench wasm', BenchWasm], ['wasm spec', WasmSpec], ['test', Test], ['fuzz', Fuzz]])('%s enables oclif\'s --json and has no flag of its own by that name', (_id, cls) => {
    expect(cls.enableJsonFlag).toBe(true)
    expect(Object.keys(cls.flags ?? {})).not.toContain('json')
  })

  it('bad input under --json: stdout stays empty, one line on stderr, exit code 2', async () => {
    let stdout = ''
    let stderr = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true))
    // oclif prints a --json result through console.log.
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += format(...a) + '\n'))
    const r1 = await WasmSpec.run(['/nonexistent-kos-spec-dir', '--json'], ROOT)
    expect(r1).toBeUndefined()
    expect(process.exitCode).toBe(2)
    expect(stderr).toBe('kos wasm spec: /nonexistent-kos-spec-dir: no such file or directory\n')
    process.exitCode = undefined
    stderr = ''
    await BenchWasm.run(['--workload', 'nope', '--json', '--no-record'], ROOT)
    expect(process.exitCode).toBe(2)
    expect(stderr).toMatch(/^kos bench wasm: unknown workload "nope" \(have: .*fib/)
    process.exitCode = undefined
    stderr = ''
    await Bench.run(['--case', 'nope', '--no-build', '--json'], ROOT)
    expect(process.exitCode).toBe(2)
    expect(stderr).toMatch(/^kos bench: unknown benchmark case "nope" \(have: bench_null_syscall, /)
    expect(stdout).toBe('')
  })

  it('exitWithError writes "kos COMMAND: " and the message\'s first line, then exits (without --json) or sets the code (with it)', () => {
    let stderr = ''
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true))
    const exits: number[] = []
    const plain = {jsonEnabled: () => false, exit: (code: number): never => { exits.push(code); throw new Error(`exit ${code}`) }}
    expect(() => exitWithError(plain, 'bench wasm', 'fib: clang failed\nsecond line', 1)).toThrow('exit 1')
    expect(exits).toEqual([1])
    expect(stderr).toBe('kos bench wasm: fib: clang failed\n')
    stderr = ''
    exitWithError({...plain, jsonEnabled: () => true}, 'test', 'no such case "x"', 2)
    expect(exits).toEqual([1])
    expect(process.exitCode).toBe(2)
    expect(stderr).toBe('kos test: no such case "x"\n')
  })
})
