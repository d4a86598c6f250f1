// The kos libp2p stack against unmodified js-libp2p 3.3 on 127.0.0.1: the
// host build of p2pd (user/p2p: the same portable code as /bin/p2pd, over
// POSIX) and the reference peer (src/netlab/libp2p-peer.mjs) dial each other
// with TCP + Noise + yamux, run identify, ping and 100 concurrent 64 KiB echo
// streams; then bad input on each layer closes only its own connection with
// the reason counted (p2p stats), and the daemon keeps serving.
import net from 'node:net'
import {afterAll, describe, expect, it} from 'vitest'

import {type P2pd, useP2pHost} from '../helpers/p2pd.js'
import {type Libp2pEvent, type Libp2pPeer, startLibp2pPeer} from '../../src/netlab/libp2p.js'

const PROTOCOLS = ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/kos/echo/1.0.0', '/kos/rpc/1.0.0', '/kos/wasm/1.0.0', '/ipfs/bitswap/1.2.0', '/ipfs/kad/1.0.0']
const host = useP2pHost('libp2p')
const peers: Libp2pPeer[] = []
const startDaemon = (args: string[]) => host.start([...args])

function stats(d: P2pd): Record<string, number> {
  const r = host.cli(d, 'stats')
  expect(r.status).toBe(0)
  const out: Record<string, number> = {}
  for (const kv of r.lines[0].split(' ').slice(1)) {
    const [k, v] = kv.split('=')
    out[k] = Number(v)
  }
  return out
}

/** Sends raw bytes to the daemon's libp2p port and resolves when the daemon closes the socket. */
function rawSession(port: number, steps: (sock: net.Socket, received: () => Buffer) => Promise<void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    let got = Buffer.alloc(0)
    const t = setTimeout(() => { sock.destroy(); reject(new Error(`daemon kept the connection open; got ${got.toString('hex')}`)) }, 30000)
    sock.on('data', (c) => { got = Buffer.concat([got, c]) })
    sock.on('close', () => { clearTimeout(t); resolve(got) })
    sock.on('error', () => {})
    sock.on('connect', () => { steps(sock, () => got).catch(reject) })
  })
}
const mssLine = (s: string) => Buffer.concat([Buffer.from([s.length + 1]), Buffer.from(s + '\n')])
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// Runs before the host's own afterAll (vitest runs after-hooks last-registered first).
afterAll(async () => {
  for (const p of peers) await p.stop()
})

describe('kos p2pd and js-libp2p on 127.0.0.1', () => {
  let kos: P2pd
  let js: Libp2pPeer
  let jsAddr: string
  let jsId: string

  it('js dials kos: Noise, yamux, identify (agent, protocols, listen address, key = PeerId), 20 pings, 100 x 64 KiB echo', async () => {
    kos = await startDaemon(['seed=vitest-kos'])
    expect(kos.peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    js = startLibp2pPeer({dial: `/ip4/127.0.0.1/tcp/${kos.port}/p2p/${kos.peerId}`, pings: 20, echoStreams: 100, echoSize: 65536})
    peers.push(js)
    const listening = await js.waitFor((e) => e.event === 'listening', 60000)
    jsAddr = (listening.addrs as string[])[0]
    jsId = listening.peerId as string
    const dialed = await js.waitFor((e) => e.event === 'dialed', 300000)
    expect(dialed.error).toBeUndefined()
    expect(dialed.peerId).toBe(kos.peerId)
    const id = dialed.identify as Libp2pEvent
    expect(id).toMatchObject({peerId: kos.peerId, agentVersion: 'kos/0.1.0', protocolVersion: 'ipfs/0.1.0', keyMatches: true})
    expect([...(id.protocols as string[])].sort()).toEqual([...PROTOCOLS].sort())
    expect(id.listenAddrs).toContain(`/ip4/127.0.0.1/tcp/${kos.port}`)
    expect(String(id.observedAddr)).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    const rtts = dialed.rtts as number[]
    expect(rtts).toHaveLength(20)
    for (const r of rtts) expect(r).toBeGreaterThanOrEqual(0)
    expect(dialed.echo).toMatchObject({streams: 100, size: 65536, ok: 100, failed: 0})
    // The daemon saw the js node identify itself.
    const peersOut = host.cli(kos, 'peers')
    expect(peersOut.status).toBe(0)
    expect(peersOut.lines.join('\n')).toMatch(new RegExp(`peer ${jsId} /ip4/127\\.0\\.0\\.1/tcp/\\d+ in agent=js-libp2p/3\\.3\\.11`))
  })

  it('kos dials js (p2p dial): identify of js, 20 pings, 100 x 64 KiB echo checked by kos, served by js', async () => {
    // A second js node that nobody has dialled yet: the connection is kos's own.
    const js2 = startLibp2pPeer({})
    peers.push(js2)
    const listening = await js2.waitFor((e) => e.event === 'listening', 60000)
    jsAddr = (listening.addrs as string[])[0]
    jsId = listening.peerId as string
    js = js2
    const dial = host.cli(kos, 'dial', jsAddr)
    expect(dial.status).toBe(0)
    expect(dial.lines.at(-1)).toMatch(new RegExp(`^ok connected ${jsId} agent=js-libp2p/3\\.3\\.11`))
    const ident = host.cli(kos, 'identify', jsId)
    expect(ident.status).toBe(0)
    expect(ident.lines).toContain('agent js-libp2p/3.3.11?node/' + process.versions.node)
    expect(ident.lines.find((l) => l.startsWith('protocols '))).toContain('/kos/echo/1.0.0')
    const ping = host.cli(kos, 'ping', jsId, '20')
    expect(ping.status).toBe(0)
    expect(ping.lines.filter((l) => /^rtt_us \d+$/.test(l))).toHaveLength(20)
    expect(ping.lines.at(-1)).toMatch(/^ok 20 pings rtt_us min \d+ avg \d+ max \d+$/)
    js.send({op: 'stats'})
    const served0 = (await js.waitFor((e) => e.event === 'stats', 10000)).echoServed as number
    expect(served0).toBe(0)
    const echo = host.cli(kos, 'echo', jsId, '100', '65536')
    expect(echo.status).toBe(0)
    expect(echo.lines.at(-1)).toBe('ok echo 6553600 bytes verified')
    js.send({op: 'stats'})
    const n = js.events.filter((e) => e.event === 'stats').length
    const st = await js.waitFor((e) => e.event === 'stats' && js.events.filter((x) => x.event === 'stats').indexOf(e) >= n, 10000)
    expect((st.echoServed as number) - served0).toBe(100)
    expect(st.echoBytes).toBe(6553600)
    const s = stats(kos)
    expect(s.conns_in).toBe(1)
    expect(s.conns_out).toBe(1)
    expect(s.handshakes).toBe(2)
  })

  it('bad input on each layer closes only that connection and is counted; the daemon keeps serving', async () => {
    const base = stats(kos)
    // Garbage instead of a multistream line.
    await rawSession(kos.port, async (sock) => { sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: kos\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n')) })
    // An oversized varint (12 continuation bytes).
    await rawSession(kos.port, async (sock) => { sock.write(Buffer.alloc(12, 0xff)) })
    // A wrong multistream header.
    await rawSession(kos.port, async (sock) => { sock.write(mssLine('/multistream/0.9.9')) })
    // /noise agreed, then a first Noise message too short to hold an ephemeral key.
    await rawSession(kos.port, async (sock) => {
      sock.write(Buffer.concat([mssLine('/multistream/1.0.0'), mssLine('/noise'), Buffer.from([0, 5, 1, 2, 3, 4, 5])]))
    })
    // A well-formed first message, then a third message that does not decrypt.
    await rawSession(kos.port, async (sock, received) => {
      const e = Buffer.alloc(32, 0)
      e[0] = 9 // a valid X25519 public key (the base point)
      sock.write(Buffer.concat([mssLine('/multistream/1.0.0'), mssLine('/noise'), Buffer.from([0, 32]), e]))
      for (let i = 0; i < 100 && received().length < 40 + 96; i++) await sleep(50)
      sock.write(Buffer.concat([Buffer.from([0, 120]), Buffer.alloc(120, 0x5a)]))
    })
    const s = stats(kos)
    const grew = (k: string) => (s[k] ?? 0) - (base[k] ?? 0)
    expect(grew('mss_bad_line')).toBe(2)
    expect(grew('mss_bad_header')).toBe(1)
    expect(grew('noise_bad_length')).toBe(1)
    expect(grew('noise_decrypt')).toBe(1)
    expect(grew('timeout')).toBe(0)
    // The js connection is still up and answers.
    const ping = host.cli(kos, 'ping', jsId, '3')
    expect(ping.status).toBe(0)
  })

  it('a PeerId that does not match the dialled one, a bad identity signature and yamux violations are refused and counted', async () => {
    // kos dials js but names kos's own PeerId: Noise's payload proves it is someone else.
    const wrong = host.cli(kos, 'dial', jsAddr.replace(jsId, kos.peerId))
    expect(wrong.status).toBe(1)
    expect(wrong.lines.at(-1)).toBe('error dial failed: noise_peer_mismatch')
    const base = stats(kos)
    const target = `/ip4/127.0.0.1/tcp/${kos.port}/p2p/${kos.peerId}`
    const expected: Record<string, string> = {sig: 'noise_bad_signature', yamux_version: 'yamux_bad_version', yamux_type: 'yamux_bad_type', yamux_window: 'yamux_window', yamux_stream: 'yamux_bad_stream'}
    for (const [fault, reason] of Object.entries(expected)) {
      const bad = await startDaemon([`seed=vitest-bad-${fault}`, `fault=${fault}`])
      host.cli(bad, 'dial', target)
      for (let i = 0; i < 100 && ((stats(kos)[reason] ?? 0) - (base[reason] ?? 0)) < 1; i++) await sleep(100)
      expect({fault, count: (stats(kos)[reason] ?? 0) - (base[reason] ?? 0)}).toEqual({fault, count: 1})
      host.cli(bad, 'quit')
    }
    const ping = host.cli(kos, 'ping', jsId, '3')
    expect(ping.status).toBe(0)
    expect(host.cli(kos, 'peers').lines.at(-1)).toBe('ok 2 peers')
  })
})
