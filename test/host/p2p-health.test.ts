// The health monitor (user/p2p/core/health.c) in the host build of p2pd, two
// daemons on 127.0.0.1 with short periods: a peer that stops answering (the
// process is stopped with SIGSTOP, so its kernel keeps the TCP connection
// open and only the pings tell) is suspected, then marked down after
// health_down of silence and its connection closed; once it runs again the
// monitor's redial brings it back up. Bad health options stop p2pd.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SANITIZE_FLAGS, hostBuild, p2pHostSources} from '../../src/builder/hostcc.js'
import {parseHealthLines} from '../../src/report/overlay.js'
import {parseHealthTable} from '../../src/netlab/p2plan.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const FAST = ['health_period=200', 'health_timeout=400', 'health_suspect=700', 'health_down=1500', 'health_redial=300', 'health_report=600000']
let tmp: string
let bin: {p2pd: string; p2p: string}
const children: ChildProcess[] = []

interface Node { child: ChildProcess; id: string; ctl: number; port: number; out: () => string }

function daemon(args: string[]): Promise<Node> {
  const child = spawn(bin.p2pd, ['port=0', ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20000)
    const take = (b: Buffer) => {
      out += b.toString()
      const m = /p2pd: ready peer (\S+) port (\d+) ctl (\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      resolve({child, id: m[1], port: Number(m[2]), ctl: Number(m[3]), out: () => out})
    }
    child.stdout!.on('data', take)
    child.stderr!.on('data', take)
  })
}

const p2p = (n: Node, ...args: string[]) => {
  const r = spawnSync(bin.p2p, [`ctl=${n.ctl}`, ...args], {encoding: 'utf8', timeout: 30_000})
  return {status: r.status, lines: (r.stdout + r.stderr).split('\n').filter(Boolean)}
}
const stateOf = (n: Node, peer: Node) => parseHealthTable(p2p(n, 'health').lines).find((r) => r.peer === peer.id)
async function eventually(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (ok()) return
  throw new Error(`never: ${what}`)
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-p2p-health-'))
  const lib = p2pHostSources(repoRoot)
  const flags = ['-Werror', '-I', 'user/p2p', '-I', 'user/lib', ...SANITIZE_FLAGS]
  const build = (name: string) => hostBuild(repoRoot, {sources: [...lib, `user/p2p/cmd/${name}.c`], out: path.join(tmp, name), extraFlags: flags})
  bin = {p2pd: build('p2pd'), p2p: build('p2p')}
})
afterAll(() => {
  for (const c of children) c.kill('SIGKILL')
  rmSync(tmp, {recursive: true, force: true})
})

describe('p2pd health monitor', () => {
  it('suspects, then marks down a silent peer after health_down of silence, and marks it up again after redialling it', async () => {
    const a = await daemon(['seed=health-a', ...FAST])
    const b = await daemon(['seed=health-b', ...FAST])
    expect(p2p(a, 'dial', `/ip4/127.0.0.1/tcp/${b.port}/p2p/${b.id}`).lines.at(-1)).toBe(`ok connected ${b.id} agent=kos/0.1.0`)
    await eventually('both monitors see each other up with an RTT', () => stateOf(a, b)?.rttUs != null && stateOf(b, a)?.rttUs != null)
    expect(stateOf(a, b)).toMatchObject({state: 'up', lossPct: 0})
    expect(p2p(a, 'health').lines.at(-1)).toBe('ok 1 peers up 1 suspect 0 down 0')

    b.child.kill('SIGSTOP')
    await eventually('a marks b down', () => stateOf(a, b)?.state === 'down')
    await eventually('a\'s down line has been read', () => a.out().includes(`peer=${b.id} state=down`))
    const changes = parseHealthLines(a.out()).filter((h) => h.event === 'change' && h.to === b.id)
    expect(changes.map((h) => h.state)).toEqual(['up', 'suspect', 'down'])
    expect(changes.every((h) => h.from === a.id && h.addr === `/ip4/127.0.0.1/tcp/${b.port}`)).toBe(true)
    // The down mark comes at the first loop turn after 1500 ms without an answer.
    const silent = Number(/state=down .* silent_ms=(\d+)/.exec(a.out())![1])
    expect(silent).toBeGreaterThan(1500)
    expect(silent).toBeLessThan(2500)
    expect(a.out()).toContain(`(${b.id}) closed: local_close`)
    expect(stateOf(a, b)!.lossPct).toBeGreaterThan(0)

    b.child.kill('SIGCONT')
    await eventually('a redials b and marks it up', () => stateOf(a, b)?.state === 'up')
    await eventually('a\'s table line has been read', () => /p2p-health: table self=\S+ peer=\S+ state=up rtt_us=\d+ /.test(a.out()))
    expect(parseHealthLines(a.out()).filter((h) => h.event === 'change' && h.to === b.id).map((h) => h.state)).toEqual(['up', 'suspect', 'down', 'up'])
    expect(a.out()).toMatch(/p2p-health: table self=\S+ peer=\S+ state=up rtt_us=\d+ /)
    p2p(a, 'quit')
    p2p(b, 'quit')
  })

  it('refuses bad health options and answers that an off monitor is off', async () => {
    const run = (...args: string[]) => spawnSync(bin.p2pd, ['port=0', ...args], {encoding: 'utf8', timeout: 20_000})
    expect(run('health_period=soon').status).toBe(2)
    expect(run('health=maybe').status).toBe(2)
    expect(run('health_timeout=5').status).toBe(2)
    const order = run('health_suspect=900', 'health_down=800')
    expect(order.status).toBe(1)
    expect(order.stdout + order.stderr).toContain('health_suspect (900 ms) must be below health_down (800 ms)')
    const off = await daemon(['health=off'])
    expect(p2p(off, 'health').lines.at(-1)).toBe('error the health monitor is off (health=off)')
    p2p(off, 'quit')
  })
})
