// The health monitor (user/p2p/core/health.c) in the host build of p2pd, two
// daemons on 127.0.0.1 with short periods: a peer that stops answering (the
// process is stopped with SIGSTOP, so its kernel keeps the TCP connection
// open and only the pings tell) is suspected, then marked down after
// health_down of silence and its connection closed; once it runs again the
// monitor's redial brings it back up. Bad health options stop p2pd.
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {type P2pd, useP2pHost} from '../helpers/p2pd.js'
import {parseHealthLines} from '../../src/report/overlay.js'
import {parseHealthTable} from '../../src/netlab/p2plan.js'

const FAST = ['health_period=200', 'health_timeout=900', 'health_suspect=700', 'health_down=1500', 'health_redial=300', 'health_report=600000']
const host = useP2pHost('health')
const daemon = (args: string[]) => host.start(args)
const p2p = (n: P2pd, ...args: string[]) => host.cli(n, ...args)
const stateOf = (n: P2pd, peer: P2pd) => parseHealthTable(p2p(n, 'health').lines).find((r) => r.peer === peer.peerId)
async function eventually(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (ok()) return
  throw new Error(`never: ${what}`)
}

describe('p2pd health monitor', () => {
  it('suspects, then marks down a silent peer after health_down of silence, and marks it up again after redialling it', async () => {
    const a = await daemon(['seed=health-a', ...FAST])
    const b = await daemon(['seed=health-b', ...FAST])
    expect(p2p(a, 'dial', `/ip4/127.0.0.1/tcp/${b.port}/p2p/${b.peerId}`).lines.at(-1)).toBe(`ok connected ${b.peerId} agent=kos/0.1.0`)
    await eventually('both monitors see each other up with an RTT', () => stateOf(a, b)?.rttUs != null && stateOf(b, a)?.rttUs != null)
    expect(stateOf(a, b)).toMatchObject({state: 'up', lossPct: 0})
    expect(p2p(a, 'health').lines.at(-1)).toBe('ok 1 peers up 1 suspect 0 down 0')

    b.child.kill('SIGSTOP')
    await eventually('a marks b down', () => stateOf(a, b)?.state === 'down')
    await eventually('a\'s down line has been read', () => a.log().includes(`peer=${b.peerId} state=down`))
    const changes = parseHealthLines(a.log()).filter((h) => h.event === 'change' && h.to === b.peerId)
    expect(changes.map((h) => h.state)).toEqual(['up', 'suspect', 'down'])
    expect(changes.every((h) => h.from === a.peerId && h.addr === `/ip4/127.0.0.1/tcp/${b.port}`)).toBe(true)
    // The down mark comes at the first loop turn after 1500 ms without an answer.
    const silent = Number(/state=down .* silent_ms=(\d+)/.exec(a.log())![1])
    expect(silent).toBeGreaterThan(1500)
    // The upper bound is the loop's business, not the host's: a turn of the loop is at most one health_period
    // (200 ms) late on an idle machine, but a loaded host may hold the process back; allow seconds for that.
    expect(silent).toBeLessThan(1500 + 8000)
    expect(a.log()).toContain(`(${b.peerId}) closed: local_close`)
    // Exactly one ping is lost: it times out 900 ms after it went out, and the next one waits until that
    // unanswered stream is forgotten (2 x health_timeout later, past the down mark, which closes the
    // connection). Every other ping was answered, so the window holds `sent` pings, one of them lost.
    const row = p2p(a, 'health').lines.find((l) => l.startsWith(`peer ${b.peerId} `))!
    const [, lossPct, sent, lost] = /loss_pct (\d+) sent (\d+) lost (\d+) /.exec(row)!.map(Number)
    expect(lost).toBe(1)
    expect(lossPct).toBe(Math.floor(100 / Math.min(sent, 32)))
    expect(stateOf(a, b)!.lossPct).toBe(lossPct)

    b.child.kill('SIGCONT')
    await eventually('a redials b and marks it up', () => stateOf(a, b)?.state === 'up')
    // The table answers before the log line of the change is read from the daemon's output: wait for that line.
    const upAgain = () => parseHealthLines(a.log()).filter((h) => h.event === 'change' && h.to === b.peerId).map((h) => h.state)
    await eventually('a\'s second up line has been read', () => upAgain().length >= 4)
    expect(upAgain()).toEqual(['up', 'suspect', 'down', 'up'])
    await eventually('a\'s table line has been read', () => /p2p-health: table self=\S+ peer=\S+ state=up rtt_us=\d+ /.test(a.log()))
    expect(a.log()).toMatch(/p2p-health: table self=\S+ peer=\S+ state=up rtt_us=\d+ /)
    p2p(a, 'quit')
    p2p(b, 'quit')
  })

  it('refuses bad health options and answers that an off monitor is off', async () => {
    const run = (...args: string[]) => spawnSync(host.p2pd, ['port=0', ...args], {encoding: 'utf8', timeout: 20_000})
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
