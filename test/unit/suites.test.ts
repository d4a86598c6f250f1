import {mkdtempSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {classifyRun, extractMetrics, type RunOutcome} from '../../src/suites/classify.js'
import {loadSuites, validateCase} from '../../src/suites/load.js'
import {closeIds, parseShard, selectCases} from '../../src/suites/select.js'
import type {CaseDef} from '../../src/suites/types.js'
import {parseKtap} from '../../src/ktap/parse.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')
const ktap = (name: string) => readFileSync(path.join(repoRoot, 'test/fixtures/ktap', name), 'latin1')
const STARTUP_LOG = 'CPU Reset (CPU 0)\nEAX=0\nCPU Reset (CPU 0)\nEAX=0\n'
const BOOT = "kos: booting, command line ''\n"

/** A run whose serial starts with the kernel's boot line (as every real boot's does). */
const run = (over: Partial<RunOutcome>): RunOutcome => ({
  exitCode: 1, signal: null, timedOut: false, timeoutSec: 30, qemuLog: STARTUP_LOG, stderr: '', ...over,
  serial: over.serial === undefined || over.serial === '' ? (over.serial ?? '') : BOOT + over.serial,
})
const PASSING = 'KTAP version 1\n1..2\nok 1 pmm\nok 2 heap\n'

describe('classifyRun', () => {
  it('passes only a complete, all-ok run with exit code 1', () => {
    expect(classifyRun({}, run({serial: PASSING}))).toMatchObject({status: 'pass'})
    expect(classifyRun({}, run({serial: PASSING})).tail).toBeUndefined()
  })

  it('a fired timer is a timeout even when QEMU exits 0', () => {
    const v = classifyRun({}, run({serial: 'KTAP version 1\n1..1\n', exitCode: 0, timedOut: true, timeoutSec: 20}))
    expect(v).toMatchObject({status: 'timeout', reason: 'timed out after 20 s'})
    expect(v.tail).toEqual([BOOT.trim(), 'KTAP version 1', '1..1'])
    // Even complete, passing output is not a pass when our timer had to kill QEMU.
    expect(classifyRun({}, run({serial: PASSING, timedOut: true, exitCode: 0})).status).toBe('timeout')
  })

  it('a KERNEL PANIC line is a crash with that line as the reason', () => {
    const v = classifyRun({}, run({serial: ktap('crlf-panic.ktap'), exitCode: 5}))
    expect(v.status).toBe('crash')
    expect(v.reason).toBe('KERNEL PANIC: page fault at 0x0000000000000008 (rip=0xffffffff80102a3c)')
    expect(v.tail?.at(-1)).toMatch(/^KERNEL PANIC/)
  })

  it('exit 0 without isa-debug-exit is a crash; the number of CPU resets QEMU logs is not looked at', () => {
    expect(classifyRun({}, run({serial: 'kos: hello\n', exitCode: 0}))).toMatchObject({
      status: 'crash', reason: 'the guest reset or powered off without writing isa-debug-exit (a triple fault under -no-reboot?)'})
    // QEMU releases log one, two or three resets while the machine starts: the verdict stays the same.
    for (const resets of [0, 1, 2, 3, 5]) {
      const qemuLog = 'CPU Reset (CPU 0)\nEAX=0\n'.repeat(resets)
      expect(classifyRun({}, run({serial: PASSING, qemuLog})).status, `${resets} resets`).toBe('pass')
    }
  })

  it('truncated KTAP is a crash', () => {
    expect(classifyRun({}, run({serial: ktap('truncated.ktap'), exitCode: 3}))).toMatchObject({status: 'crash'})
  })

  it('QEMU that cannot start is an error', () => {
    expect(classifyRun({}, run({spawnError: 'spawn qemu ENOENT', exitCode: null}))).toMatchObject({status: 'error'})
    const v = classifyRun({}, run({exitCode: 1, stderr: 'qemu-system-x86_64: could not load kernel \'x\'\n'}))
    expect(v).toMatchObject({status: 'error', reason: "QEMU failed: qemu-system-x86_64: could not load kernel 'x'"})
  })

  it('not ok, guest exit 1 and missing expected lines are failures', () => {
    const nested = classifyRun({}, run({serial: ktap('kunit-style.ktap'), exitCode: 3}))
    expect(nested).toMatchObject({status: 'fail', reason: 'not ok: heap.heap_kfree_coalesces'})
    expect(nested.tail?.length).toBeGreaterThan(0)
    expect(classifyRun({}, run({serial: PASSING, exitCode: 3})).status).toBe('fail')
    const missing = classifyRun({expect: {log: ['Hello from ring-3!']}}, run({serial: PASSING}))
    expect(missing).toMatchObject({status: 'fail', reason: 'expected log line not seen: "Hello from ring-3!"'})
    expect(classifyRun({expect: {log: ['kos: boot']}}, run({serial: PASSING})).status).toBe('pass')
    expect(classifyRun({}, run({serial: 'no ktap here\n'})).status).toBe('fail')
    expect(classifyRun({}, run({serial: ktap('missing-plan.ktap')})).status).toBe('fail')
  })

  it('all top-level SKIP is a skip with the reason; a harness skip keeps its reason', () => {
    expect(classifyRun({}, run({serial: ktap('all-skip.ktap')}))).toMatchObject({status: 'skip', reason: 'no NIC'})
    expect(classifyRun({}, run({harnessSkip: 'needs root/CAP_NET_ADMIN for TAP'}))).toMatchObject({status: 'skip', reason: 'needs root/CAP_NET_ADMIN for TAP'})
  })

  it('keeps at most 20 tail lines and reads metrics', () => {
    const lines = Array.from({length: 50}, (_, i) => `line ${i}`).join('\n')
    const v = classifyRun({}, run({serial: lines + '\n# metric boot_ms 12.5 ms\n', timedOut: true, exitCode: 0}))
    expect(v.tail).toHaveLength(20)
    expect(v.metrics).toEqual({boot_ms: 12.5})
    expect(extractMetrics(parseKtap(ktap('interleaved-log.ktap')).root)).toEqual({null_syscall_cycles: 812})
  })
})

const def = (id: string, phase: number, title = id): CaseDef => ({
  id, phase, title, components: [], syscalls: [], profile: 'base', append: '', timeoutSec: 10,
})

describe('selectCases', () => {
  const cases = [def('pmm', 1), def('heap', 1), def('fork_test', 2, 'fork and wait'), def('udp_echo', 3), def('mdns', 4)]

  it('selects by phase, case and grep, in a stable order', () => {
    expect(selectCases(cases, {phases: [1]}).map((c) => c.id)).toEqual(['heap', 'pmm'])
    expect(selectCases(cases, {phases: [1], caseIds: ['mdns']}).map((c) => c.id)).toEqual(['heap', 'pmm', 'mdns'])
    expect(selectCases(cases, {grep: 'wait'}).map((c) => c.id)).toEqual(['fork_test'])
    expect(selectCases(cases, {all: true})).toHaveLength(5)
    expect(selectCases(cases, {})).toHaveLength(5)
  })

  it('shards deterministically and covers every case exactly once', () => {
    const shards = [1, 2, 3].map((i) => selectCases(cases, {all: true, shard: `${i}/3`}).map((c) => c.id))
    expect(shards.flat().sort()).toEqual(cases.map((c) => c.id).sort())
    expect(selectCases([...cases].reverse(), {all: true, shard: '2/3'}).map((c) => c.id)).toEqual(shards[1])
    expect(() => parseShard('0/3')).toThrow(/between 1 and n/)
    expect(() => parseShard('a/b')).toThrow(/i\/n/)
  })

  it('an unknown case id names close ids', () => {
    expect(() => selectCases(cases, {caseIds: ['fork_tset']})).toThrow('unknown case "fork_tset"; did you mean: fork_test')
    expect(() => selectCases(cases, {caseIds: ['zzzzzzzz']})).toThrow(/^unknown case "zzzzzzzz"$/)
    expect(closeIds('pm', ['pmm', 'heap'])).toEqual(['pmm'])
    expect(() => selectCases(cases, {phases: [9]})).toThrow(/no cases in phase 9/)
    expect(() => selectCases(cases, {grep: '('})).toThrow(/not a valid pattern/)
  })
})

describe('suite loading', () => {
  it('loads the harness self-test suites', async () => {
    const cases = await loadSuites(repoRoot, 'test/fixtures/suites')
    expect(cases.map((c) => c.id)).toContain('harness_hang')
    expect(cases.find((c) => c.id === 'harness_hang')).toMatchObject({file: 'test/fixtures/suites/harness.ts', timeoutSec: 20})
  })

  it('names the file and field of a bad case', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-suites-'))
    mkdirSync(path.join(dir, 'qemu'))
    writeFileSync(path.join(dir, 'qemu', 'base.json'), '{}')
    mkdirSync(path.join(dir, 'suites'))
    const good = JSON.stringify(def('a', 1))
    writeFileSync(path.join(dir, 'suites', 'one.ts'), `export const cases = [${good}, {...${good}, timeoutSec: 0, id: 'b'}]\n`)
    await expect(loadSuites(dir, 'suites')).rejects.toThrow('suites/one.ts: case b: field "timeoutSec" must be a number of seconds > 0')
    mkdirSync(path.join(dir, 'dup'))
    writeFileSync(path.join(dir, 'dup', 'one.ts'), `export const cases = [${good}]\n`)
    writeFileSync(path.join(dir, 'dup', 'two.ts'), `export const cases = [${good}]\n`)
    await expect(loadSuites(dir, 'dup')).rejects.toThrow('dup/two.ts: case a: field "id" is not unique (also in dup/one.ts)')
    expect(() => validateCase({...def('x', 1), profile: 'lan-9'}, 'f.ts: case x', ['base'])).toThrow('f.ts: case x: field "profile" names unknown profile "lan-9" (have: base)')
    expect(() => validateCase({...def('x', 1), phase: 'one'}, 'f.ts: case x', ['base'])).toThrow(/field "phase"/)
  })
})
