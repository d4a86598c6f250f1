// runCases with a fake QEMU (a shell script): scheduling, repeat, peers, skips, errors.
import {existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {timeScaleOf} from '../../src/builder/plan.js'
import {removeStaleTempLogs, runCases} from '../../src/suites/run.js'
import {resultFailed} from '../../src/suites/status.js'
import type {CaseResult} from '../../src/suites/types.js'
import type {CaseDef, Peer, PeerContext, PeerSpec} from '../../src/suites/types.js'

const fakeQemu = path.resolve(import.meta.dirname, '../fixtures/suites/fake-qemu.sh')

function tempRepo(): {root: string; fakeDir: string} {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kos-run-test-'))
  mkdirSync(path.join(root, 'qemu'))
  mkdirSync(path.join(root, 'build'))
  writeFileSync(path.join(root, 'qemu', 'base.json'), '{}')
  writeFileSync(path.join(root, 'qemu', 'net.json'), JSON.stringify({args: ['-netdev', 'user,id=n0,hostfwd=udp:127.0.0.1:{hostPort}-:7']}))
  writeFileSync(path.join(root, 'build', 'kernel32.elf'), '')
  writeFileSync(path.join(root, 'build', 'initrd.tar'), '')
  const fakeDir = path.join(root, 'fake')
  mkdirSync(fakeDir)
  process.env.FAKE_QEMU_DIR = fakeDir
  return {root, fakeDir}
}

const def = (id: string, append: string, over: Partial<CaseDef> = {}): CaseDef => ({
  id, phase: 1, title: id, components: ['x'], syscalls: [], profile: 'base', append, timeoutSec: 60, ...over,
})

describe('runCases', () => {
  it('runs every case, keeps input order, argv and logs, never more than --jobs at once', async () => {
    const {root, fakeDir} = tempRepo()
    const cases = [def('a', 'fake=pass'), def('b', 'fake=fail'), def('c', 'fake=pass'), def('d', 'fake=pass'), def('e', 'fake=badarg')]
    const done: string[] = []
    const r = await runCases(cases, {repoRoot: root, jobs: 2, accel: 'tcg', qemuBinary: fakeQemu, onCaseDone: (c) => done.push(c.id)})
    expect(r.cases.map((c) => [c.id, c.status])).toEqual([['a', 'pass'], ['b', 'fail'], ['c', 'pass'], ['d', 'pass'], ['e', 'error']])
    expect(done.sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(r.summary).toMatchObject({pass: 3, fail: 1, error: 1})
    const a = r.cases[0]
    expect(a.log).toBe('build/reports/logs/a.log')
    expect(readFileSync(path.join(root, a.log), 'utf8')).toContain('ok 1 fake')
    expect(a.qemu.argv).toContain('fake=pass')
    expect(a.qemu.argv.join(' ')).toContain('-serial file:build/reports/logs/a.log')
    expect(a.qemu.exitCode).toBe(1)
    expect(r.cases[4].reason).toBe('QEMU failed: qemu-system-x86_64: -kernel: bad argument')
    const concurrency = readFileSync(path.join(fakeDir, 'concurrency'), 'utf8').trim().split('\n').map(Number)
    expect(concurrency).toHaveLength(5)
    expect(Math.max(...concurrency)).toBeLessThanOrEqual(2)
  })

  it('repeats cases with their own logs and marks attempts', async () => {
    const {root} = tempRepo()
    const r = await runCases([def('a', 'fake=pass')], {repoRoot: root, jobs: 1, repeat: 3, accel: 'tcg', qemuBinary: fakeQemu})
    expect(r.cases.map((c) => [c.id, c.attempt, c.log])).toEqual([
      ['a', 1, 'build/reports/logs/a.log'], ['a', 2, 'build/reports/logs/a.run2.log'], ['a', 3, 'build/reports/logs/a.run3.log'],
    ])
  })

  it('times out a hung guest with --timeout overriding the case', async () => {
    const {root} = tempRepo()
    const r = await runCases([def('h', 'fake=hang', {timeoutSec: 600})], {repoRoot: root, timeoutSec: 1, accel: 'tcg', qemuBinary: fakeQemu})
    expect(r.cases[0]).toMatchObject({status: 'timeout', reason: 'timed out after 1 s', tail: ['kos: booting', 'KTAP version 1', '1..1']})
  })

  it('skips needsNetAdmin cases without privileges, with the reason', async () => {
    const {root, fakeDir} = tempRepo()
    const r = await runCases([def('t', 'fake=pass', {needsNetAdmin: true})], {repoRoot: root, netAdmin: false, accel: 'tcg', qemuBinary: fakeQemu})
    expect(r.cases[0]).toMatchObject({status: 'skip', reason: 'needs root/CAP_NET_ADMIN for TAP'})
    expect(() => readFileSync(path.join(fakeDir, 'appends'))).toThrow()
  })

  it('gives the peer context, fills its vars into the profile, and fails the case on a failed peer', async () => {
    const {root} = tempRepo()
    const seen: {spec: PeerSpec; ctx: PeerContext}[] = []
    let stopped = 0
    const seenAtStop: string[] = []
    const startPeer = (spec: PeerSpec, ctx: PeerContext): Peer => {
      seen.push({spec, ctx})
      return {
        ready: Promise.resolve(),
        vars: {hostPort: 40123},
        result: Promise.resolve(spec.name === 'good' ? {ok: true, detail: 'fine', findings: {echoes: 10, lost: 0}} : {ok: false, detail: '3 of 10 echoes lost'}),
        stop: async () => {
          stopped++
          seenAtStop.push(existsSync(ctx.serialPath) ? readFileSync(ctx.serialPath, 'utf8') : '')
        },
      }
    }
    const cases = [def('p1', 'fake=pass', {profile: 'net', peer: {name: 'good'}}), def('p2', 'fake=pass', {profile: 'net', peer: {name: 'bad'}})]
    const r = await runCases(cases, {repoRoot: root, jobs: 1, accel: 'tcg', qemuBinary: fakeQemu, startPeer})
    expect(r.cases[0].status).toBe('pass')
    expect(r.cases[0].qemu.argv).toContain('user,id=n0,hostfwd=udp:127.0.0.1:40123-:7')
    expect(r.cases[1]).toMatchObject({status: 'fail', reason: 'peer bad: 3 of 10 echoes lost'})
    // The peer's verdict and findings are kept in the result, on a pass too.
    expect(r.cases[0].peer).toEqual({name: 'good', ok: true, detail: 'fine', findings: {echoes: 10, lost: 0}})
    expect(r.cases[1].peer).toEqual({name: 'bad', ok: false, detail: '3 of 10 echoes lost'})
    // A helper without a verdict (user-port only reserves a port) leaves the verdict to the guest and records no peer.
    const helper = (): Peer => ({ready: Promise.resolve(), vars: {hostPort: 40124}, stop: async () => undefined})
    const h = await runCases([def('p4', 'fake=pass', {profile: 'net', peer: {name: 'port'}})], {repoRoot: root, accel: 'tcg', qemuBinary: fakeQemu, startPeer: helper})
    expect(h.cases[0].status).toBe('pass')
    expect(h.cases[0]).not.toHaveProperty('peer')
    // The peer watches the log QEMU writes: a temporary name in the logs dir, moved to p1.log after the peer stopped.
    expect(seen[0].ctx).toMatchObject({caseId: 'p1', repoRoot: root})
    expect(path.dirname(seen[0].ctx.serialPath)).toBe(path.join(root, 'build/reports/logs'))
    expect(path.basename(seen[0].ctx.serialPath)).toMatch(/^p1\.tmp-\d+-\d+\.log$/)
    expect(seenAtStop[0]).toContain('ok 1 fake')
    expect(existsSync(seen[0].ctx.serialPath)).toBe(false)
    expect(readFileSync(path.join(root, r.cases[0].log), 'utf8')).toContain('ok 1 fake')
    expect(stopped).toBe(2)
    const hung = await runCases([def('p3', 'fake=hang', {profile: 'net', peer: {name: 'bad'}})], {repoRoot: root, timeoutSec: 1, accel: 'tcg', qemuBinary: fakeQemu, startPeer})
    expect(hung.cases[0]).toMatchObject({status: 'timeout', reason: 'timed out after 1 s; peer bad: 3 of 10 echoes lost'})
  })

  it('scales each case timeout and tells the peer by the build variant\'s factor; an explicit --timeout is taken as it is', async () => {
    const {root} = tempRepo()
    const scales: Array<number | undefined> = []
    const startPeer = (_spec: PeerSpec, ctx: PeerContext): Peer => {
      scales.push(ctx.timeScale)
      return {ready: Promise.resolve(), vars: {hostPort: 40125}, result: Promise.resolve({ok: true, detail: 'fine'}), stop: async () => undefined}
    }
    const hang = def('slow', 'fake=hang', {profile: 'net', timeoutSec: 1, peer: {name: 'good'}})
    const opts = {repoRoot: root, jobs: 1, accel: 'tcg' as const, qemuBinary: fakeQemu, startPeer}
    const scaled = await runCases([hang], {...opts, timeScale: timeScaleOf('sanitize')})
    expect(timeScaleOf('sanitize')).toBe(5)
    expect(scaled.cases[0]).toMatchObject({status: 'timeout', reason: 'timed out after 5 s'})
    const explicit = await runCases([hang], {...opts, timeScale: 5, timeoutSec: 1})
    expect(explicit.cases[0]).toMatchObject({status: 'timeout', reason: 'timed out after 1 s'})
    const normal = await runCases([hang], opts)
    expect(normal.cases[0]).toMatchObject({status: 'timeout', reason: 'timed out after 1 s'})
    expect(scales).toEqual([5, 5, 1])
    expect(timeScaleOf()).toBe(1)
  })

  it('two runs of the same case at once keep their own logs (temporary log, renamed at the end)', async () => {
    const {root} = tempRepo()
    const opts = {repoRoot: root, jobs: 1, accel: 'tcg' as const, qemuBinary: fakeQemu}
    const first = runCases([def('same', 'fake=slow')], opts)
    // The second starts while the first guest is between its two writes.
    await new Promise((r) => setTimeout(r, 400))
    const second = runCases([def('same', 'fake=slow')], opts)
    const [a, b] = await Promise.all([first, second])
    expect(a.cases[0].status, a.cases[0].reason).toBe('pass')
    expect(b.cases[0].status, b.cases[0].reason).toBe('pass')
    expect(a.cases[0].qemu.argv.join(' ')).toContain('-serial file:build/reports/logs/same.log')
    expect(readFileSync(path.join(root, 'build/reports/logs/same.log'), 'utf8')).toBe('kos: booting\nKTAP version 1\n1..1\nok 1 fake\n')
    expect(readdirSync(path.join(root, 'build/reports/logs')).filter((f) => f.includes('.tmp-'))).toEqual([])
  })

  it('removes temporary logs of dead kos processes, never those of live ones', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-run-stale-'))
    // pid 2^22 + 1 is above Linux's pid_max limit: no process has it.
    const dead = `x.tmp-${4194305}-1.log`
    const mine = `x.tmp-${process.pid}-7.log`
    const parent = `y.tmp-${process.ppid}-1.guest1.log`
    for (const f of [dead, mine, parent, 'x.log', 'x.qemu.txt']) writeFileSync(path.join(dir, f), '')
    expect(removeStaleTempLogs(dir)).toEqual([dead])
    expect(readdirSync(dir).sort()).toEqual([mine, 'x.log', 'x.qemu.txt', parent].sort())
  })

  it('symbolizes a kernel backtrace into the result and the log; without symbols the note says why', async () => {
    const {root} = tempRepo()
    const r = await runCases([def('k', 'fake=panicbt', {expect: {status: 'crash'}})], {repoRoot: root, accel: 'tcg', qemuBinary: fakeQemu})
    const c = r.cases[0]
    expect(c.status).toBe('crash')
    expect(c.backtrace?.map((f) => f.addr)).toEqual(['0xffffffff8010ce18', '0xffffffff8010b4c3'])
    expect(c.backtraceNote).toBe('addresses not symbolized: build/kernel.elf does not exist')
    const log = readFileSync(path.join(root, c.log), 'utf8')
    expect(log).toContain('#   bt: 0xffffffff8010b4c3\n--- backtrace (symbolized) ---\nnote: addresses not symbolized')
    expect(log).toContain('0xffffffff8010ce18 ?? ??:0')
  })

  it('lets the peer kill guests and boot one again: killed lives do not count, each life has its own log, {guest} is filled', async () => {
    const {root, fakeDir} = tempRepo()
    const events: string[] = []
    const startPeer = (_spec: PeerSpec, ctx: PeerContext): Peer => {
      const g = ctx.guests!
      const booted = async (log: string) => {
        for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('1..1')); i++) await new Promise((r) => setTimeout(r, 50))
      }
      const result = (async () => {
        for (let i = 1; i <= 3; i++) await booted(g.serialPath(i))
        await expect(g.restart(2)).rejects.toThrow('guest 2 was not killed')
        await g.kill(2)
        await g.kill(3)
        await expect(g.kill(3)).rejects.toThrow('guest 3 is not running')
        const log = await g.restart(2)
        events.push(path.basename(log).replace(/tmp-\d+-\d+/, 'TMP'))
        await booted(log)
        writeFileSync(path.join(fakeDir, 'release'), '')
        return {ok: true, detail: 'churned'}
      })()
      return {ready: Promise.resolve(), result, stop: async () => undefined}
    }
    const r = await runCases([def('lan', 'fake=wait g={guest}', {guests: 3, peer: {name: 'churn'}})], {repoRoot: root, accel: 'tcg', qemuBinary: fakeQemu, startPeer})
    const c = r.cases[0]
    expect(c.status).toBe('pass')
    expect(events).toEqual(['lan.TMP.guest2.restart1.log'])
    expect(c.killed).toEqual([
      {guest: 2, life: 1, log: 'build/reports/logs/lan.guest2.log'},
      {guest: 3, life: 1, log: 'build/reports/logs/lan.guest3.log'},
    ])
    expect(c.guestLogs).toEqual(['lan.guest1.log', 'lan.guest2.log', 'lan.guest2.restart1.log', 'lan.guest3.log'].map((f) => `build/reports/logs/${f}`))
    expect(readFileSync(path.join(root, 'build/reports/logs/lan.guest2.restart1.log'), 'utf8')).toContain('ok 1 fake')
    expect(readFileSync(path.join(root, 'build/reports/logs/lan.guest3.log'), 'utf8')).not.toContain('ok 1 fake')
    expect(readFileSync(path.join(fakeDir, 'appends'), 'utf8').trim().split('\n').sort()).toEqual(['fake=wait g=1', 'fake=wait g=2', 'fake=wait g=2', 'fake=wait g=3'])
  })

  it('refuses to run without a kernel', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'kos-run-test-'))
    await expect(runCases([def('a', '')], {repoRoot: root, accel: 'tcg'})).rejects.toThrow('build/kernel32.elf is missing: run "kos build" first')
  })
})

describe('resultFailed', () => {
  const r = (over: Partial<CaseResult>): CaseResult => ({
    id: 'x', phase: 1, title: 'x', components: [], syscalls: [], status: 'pass', durationMs: 1, log: 'l', qemu: {argv: [], exitCode: 1}, ktap: null, ...over,
  })
  it('fails on fail/timeout/crash/error, not on pass/skip', () => {
    expect(['pass', 'skip', 'fail', 'timeout', 'crash', 'error'].map((status) => resultFailed(r({status: status as CaseResult['status']}))))
      .toEqual([false, false, true, true, true, true])
  })
  it('follows a declared expectation instead of the raw status', () => {
    expect(resultFailed(r({status: 'crash', expected: {status: 'crash', met: true}}))).toBe(false)
    expect(resultFailed(r({status: 'pass', expected: {status: 'crash', met: false}}))).toBe(true)
  })
})
