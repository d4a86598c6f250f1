// The harness against the real kernel: a hang, a triple fault and a panic must come
// out as timeout, crash and crash (never pass), a good run as pass, a bad id as a
// one-line error, and an interrupted `kos test` must leave no QEMU behind.
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {startLibp2pPeer} from '../../src/netlab/libp2p.js'
import type {RunResults} from '../../src/suites/types.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')
const kos = (args: string[]) => execa('./bin/dev.js', args, {cwd: repoRoot, reject: false, timeout: 900_000})
// Every kos test here writes into its own directory, never over build/reports of a real run.
const OUT = mkdtempSync(path.join(os.tmpdir(), 'kos-harness-test-'))
const SUITES = ['--suites', 'test/fixtures/suites', '--no-build', '--out', OUT]

/** Children of pid whose command line contains every one of `words`. */
function childrenWith(pid: number, words: string[]): number[] {
  const out: number[] = []
  try {
    for (const line of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      const child = Number(line)
      try {
        const cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0')
        if (words.every((w) => cmdline.includes(w))) out.push(child)
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // parent gone
  }
  return out
}

function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z'
  } catch {
    return false
  }
}

describe('kos test against the real kernel', () => {
  beforeAll(async () => {
    // bin/dev.js runs the TypeScript sources; the guest needs build/.
    // KOS_PREBUILT=1: boot the build/ that is already there (e.g. CI ran `kos build` just before).
    if (process.env.KOS_PREBUILT !== '1') {
      const b = await kos(['build'])
      expect(b.exitCode, b.stderr + b.stdout).toBe(0)
    }
  }, 900_000)

  it('reports hang, triple fault and panic as timeout, crash, crash with tail lines', async () => {
    const r = await kos(['test', ...SUITES, '--json', '--case', 'harness_hang', '--case', 'harness_triple', '--case', 'harness_panic'])
    expect(r.exitCode).not.toBe(0)
    const results = JSON.parse(r.stdout) as RunResults
    const byId = Object.fromEntries(results.cases.map((c) => [c.id, c]))
    expect(byId.harness_hang.status).toBe('timeout')
    expect(byId.harness_triple.status).toBe('crash')
    expect(byId.harness_panic.status).toBe('crash')
    expect(byId.harness_panic.reason).toMatch(/^KERNEL PANIC:/)
    for (const c of results.cases) {
      expect(c.tail?.length, c.id).toBeGreaterThan(0)
      expect(c.qemu.argv[0]).toBe('qemu-system-x86_64')
      expect(c.qemu.argv.join(' ')).toContain('-no-reboot')
      expect(c.log.startsWith(path.join(OUT, 'logs'))).toBe(true)
      expect(readFileSync(path.resolve(repoRoot, c.log), 'utf8')).toContain('kos:')
      expect(c.expected).toBeUndefined()
    }
    expect(byId.harness_panic.tail!.some((l) => l.startsWith('KERNEL PANIC:'))).toBe(true)
    const onDisk = JSON.parse(readFileSync(path.join(OUT, 'results.json'), 'utf8')) as RunResults
    expect(onDisk.cases.map((c) => c.status).sort()).toEqual(['crash', 'crash', 'timeout'])
  })

  it('an expected crash succeeds, an expected crash that does not happen fails', async () => {
    const good = await kos(['test', ...SUITES, '--json', '--case', 'harness_panic_expected'])
    const goodCase = (JSON.parse(good.stdout) as RunResults).cases[0]
    expect(goodCase).toMatchObject({status: 'crash', expected: {status: 'crash', met: true}})
    expect(good.exitCode).toBe(0)
    const bad = await kos(['test', ...SUITES, '--json', '--case', 'harness_wrong_expectation'])
    const badCase = (JSON.parse(bad.stdout) as RunResults).cases[0]
    expect(badCase).toMatchObject({status: 'pass', expected: {status: 'crash', met: false}})
    expect(bad.exitCode).not.toBe(0)
  })

  it('passes a normal run of the in-kernel tests', async () => {
    const r = await kos(['test', ...SUITES, '--json', '--case', 'ktest_all'])
    const results = JSON.parse(r.stdout) as RunResults
    expect(results.cases[0].status, results.cases[0].reason).toBe('pass')
    // One top-level result per suite: as many as the plan announced, each ok (or a
    // reasoned SKIP, e.g. pci on a machine without the NIC), no suite twice, and the
    // phase-1 suites among them. The full list grows with the kernel, so it is not pinned.
    const top = results.cases[0].ktap!
    expect(top.subtests).toHaveLength(top.plan!)
    expect(top.subtests.filter((t) => t.ok !== true)).toEqual([])
    expect(new Set(top.subtests.map((t) => t.name)).size).toBe(top.subtests.length)
    expect(top.subtests.map((t) => t.name)).toEqual(expect.arrayContaining(['lib', 'cpu', 'pmm', 'paging', 'heap', 'tarfs', 'ramfs', 'elf', 'proc']))
    expect(r.exitCode).toBe(0)
  })

  it('hardening: a stack smash, an executed user page and a touched user page are each caught with the rule\'s name', async () => {
    const ids = ['kernel_stack_smash', 'kernel_smep', 'kernel_smap']
    const r = await kos(['test', ...SUITES, '--json', ...ids.flatMap((id) => ['--case', id])])
    expect(r.exitCode, r.stderr).toBe(0)
    const {loadSuites} = await import('../../src/suites/load.js')
    const defs = await loadSuites(repoRoot, 'test/fixtures/suites')
    for (const c of (JSON.parse(r.stdout) as RunResults).cases) {
      const def = defs.find((d) => d.id === c.id)!
      expect(c, c.id).toMatchObject({status: 'crash', expected: {status: 'crash', met: true}})
      expect(c.reason!.startsWith(def.expect!.crashReason!), `${c.id}: ${c.reason}`).toBe(true)
      // classify stops at the panic; the lines that show how it got there are checked here.
      const log = readFileSync(path.resolve(repoRoot, c.log), 'utf8')
      for (const line of def.expect!.log!) expect(log, `${c.id}: ${line}`).toContain(line)
    }
  })

  it('symbolizes the backtrace of a kernel exception (kernel_exception) in the result, the log and the reason', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'kos-harness-bt-'))
    const r = await kos(['test', '--suites', 'test/fixtures/suites', '--case', 'kernel_exception', '--no-build', '--json', '--out', out])
    expect(r.exitCode, r.stderr).toBe(0)
    const c = (JSON.parse(r.stdout) as RunResults).cases[0]
    expect(c).toMatchObject({status: 'crash', expected: {status: 'crash', met: true}})
    expect(c.backtraceNote).toBeUndefined()
    // The faulting RIP is in the function that writes to the unmapped address (kernel/main.c).
    const first = c.backtrace![0]
    expect(first.func).toBe('harness_misbehave')
    expect(first.file).toBe('kernel/main.c')
    expect(first.line).toBeGreaterThan(0)
    const source = readFileSync(path.join(repoRoot, first.file), 'utf8').split('\n')
    expect(source[first.line - 1]).toContain('unmapped')
    // The panic's own backtrace is symbolized too.
    expect(c.backtrace!.some((f) => f.func === 'panic')).toBe(true)
    expect(c.reason).toContain(`(at harness_misbehave kernel/main.c:${first.line})`)
    const log = readFileSync(path.resolve(repoRoot, c.log), 'utf8')
    expect(log).toContain(`--- backtrace (symbolized) ---\n${first.addr} harness_misbehave kernel/main.c:${first.line}`)
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain(`${first.addr} harness_misbehave kernel/main.c:${first.line}`)
    expect(readdirSync(path.join(out, 'logs')).filter((f) => f.includes('.tmp-'))).toEqual([])
    expect(existsSync(path.join(out, 'results.json'))).toBe(true)
  })

  it('rejects an unknown case id with one line and a non-zero exit', async () => {
    const r = await kos(['test', ...SUITES, '--case', 'harness_hnag'])
    expect(r.exitCode).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('unknown case "harness_hnag"; did you mean: harness_hang')
  })

  it('leaves no QEMU behind when kos test is interrupted', async () => {
    const proc = execa('./bin/dev.js', ['test', ...SUITES, '--case', 'harness_hang'], {cwd: repoRoot, reject: false})
    let qemus: number[] = []
    for (let i = 0; i < 300 && qemus.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      qemus = childrenWith(proc.pid!, ['qemu-system-x86_64', '-append', 'harness=hang'])
    }
    expect(qemus.length).toBe(1)
    proc.kill('SIGINT')
    const r = await proc
    expect(r.exitCode).toBe(130)
    for (let i = 0; i < 50 && qemus.some(running); i++) await new Promise((r2) => setTimeout(r2, 100))
    expect(qemus.filter(running)).toEqual([])
  })

  it('kos run --profile e1000-user without a peer picks a free forwarded port and prints it', async () => {
    const r = await execa('./bin/dev.js', ['run', '--no-build', '--profile', 'e1000-user', '--append', 'ktest=pci'], {cwd: repoRoot, reject: false, stdin: 'ignore', timeout: 600_000})
    const m = /^\{hostPort\} = (\d+): e1000-user forwards host 127\.0\.0\.1:(\d+) to the guest$/m.exec(r.stderr)
    expect(m, r.stderr).not.toBeNull()
    expect(m![1]).toBe(m![2])
    expect(Number(m![1])).toBeGreaterThan(0)
    expect(r.stderr).toContain(`hostfwd=udp:127.0.0.1:${m![1]}-:7`)
    // The guest booted with the NIC and its PCI suite passed (guest exit value 0).
    expect(r.stdout).toMatch(/^ok \d+ pci$/m)
    expect(r.exitCode, r.stderr).toBe(0)
  })

  it('kos run --profile e1000-user-p2p: js-libp2p on the host dials p2pd through the forwarded port, p2p drives its control port', async () => {
    const proc = execa('./bin/dev.js', ['run', '--no-build', '--profile', 'e1000-user-p2p', '--append', 'init=/bin/p2pd:port=4001:seed=run-test:ctl_listen=0.0.0.0'],
      {cwd: repoRoot, reject: false, stdin: 'ignore', timeout: 600_000})
    let out = '', err = ''
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString() })
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    for (let i = 0; i < 3000 && !/p2pd: ready peer \S+ port 4001 ctl 4002/.test(out) && proc.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100))
    const ready = /p2pd: ready peer (\S+) port 4001 ctl 4002/.exec(out)
    expect(ready, out + err).not.toBeNull()
    const port = (name: string) => Number(new RegExp(String.raw`^\{${name}\} = (\d+): e1000-user-p2p forwards host 127\.0\.0\.1:\1 to the guest$`, 'm').exec(err)?.[1])
    const [p2pPort, ctlPort] = [port('p2pPort'), port('ctlPort')]
    // Free ports the kernel handed out (listen on port 0): inside its ephemeral range.
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    for (const p of [p2pPort, ctlPort]) {
      expect(Number.isInteger(p)).toBe(true)
      expect(p).toBeGreaterThanOrEqual(lo)
      expect(p).toBeLessThanOrEqual(hi)
    }
    expect(p2pPort).not.toBe(ctlPort)
    const js = startLibp2pPeer({dial: `/ip4/127.0.0.1/tcp/${p2pPort}/p2p/${ready![1]}`, pings: 3})
    try {
      const dialed = await js.waitFor((e) => e.event === 'dialed', 300_000)
      expect(dialed.error, js.stderr()).toBeUndefined()
      const id = dialed.identify as {agentVersion: string; keyMatches: boolean; listenAddrs: string[]}
      expect(id.agentVersion).toBe('kos/0.1.0')
      expect(id.keyMatches).toBe(true)
      expect(id.listenAddrs).toContain('/ip4/10.0.2.15/tcp/4001')
      expect((dialed.rtts as number[]).length).toBe(3)
    } finally {
      await js.stop()
    }
    const cli = path.join(repoRoot, 'build/host/p2p')
    const id = await execa(cli, [`ctl=127.0.0.1:${ctlPort}`, 'id'], {reject: false, timeout: 120_000})
    expect(id.stdout.split('\n')[0]).toBe(`id ${ready![1]}`)
    await execa(cli, [`ctl=127.0.0.1:${ctlPort}`, 'quit'], {reject: false, timeout: 120_000})
    const r = await proc
    expect(out, err).toMatch(/^ok 1 p2pd_port=4001_seed=run-test_ctl_listen=0.0.0.0$/m)
    expect(r.exitCode, err).toBe(0)
  })

  it('kos run boots with the serial console on stdout and leaves no QEMU behind on SIGINT', async () => {
    const proc = execa('./bin/dev.js', ['run', '--no-build', '--append', 'harness=hang'], {cwd: repoRoot, reject: false, stdin: 'ignore'})
    let seen = ''
    proc.stdout!.on('data', (d: Buffer) => {
      seen += d.toString()
    })
    let qemus: number[] = []
    for (let i = 0; i < 300 && qemus.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      qemus = childrenWith(proc.pid!, ['qemu-system-x86_64', '-append', 'harness=hang'])
    }
    expect(qemus.length).toBe(1)
    // Let the guest print its boot line on the terminal before interrupting.
    for (let i = 0; i < 300 && !seen.includes('kos:'); i++) await new Promise((r) => setTimeout(r, 100))
    expect(existsSync(path.join(repoRoot, `build/reports/logs/run.run.tmp-${proc.pid}-1.log`))).toBe(true)
    proc.kill('SIGINT')
    const r = await proc
    expect(r.stdout).toContain('kos: booting')
    expect(r.exitCode).toBe(130)
    for (let i = 0; i < 50 && qemus.some(running); i++) await new Promise((r2) => setTimeout(r2, 100))
    expect(qemus.filter(running)).toEqual([])
    // The serial copy was written under this process's temporary name and moved to run.run.log on exit.
    expect(readdirSync(path.join(repoRoot, 'build/reports/logs')).filter((f) => f.includes(`.tmp-${proc.pid}-`))).toEqual([])
  })
})
