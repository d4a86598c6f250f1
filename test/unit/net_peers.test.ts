// Host peers without QEMU: the LAN hub against fake guests speaking QEMU's
// socket framing, and the UDP agent against a fake netecho service.
import dgram from 'node:dgram'
import net from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {runAgent} from '../../src/netlab/agent.js'
import {
  arpPacket, ETH_P_ARP, ETH_P_IPV4, ethernet, icmpEcho, ipFromString, ipv4Packet, macFromString, macToString, parseFrame, udpDatagram,
} from '../../src/netlab/frames.js'
import {LanHub} from '../../src/netlab/hub.js'
import {parseKosMem} from '../../src/netlab/linkchecks.js'

/** A fake guest: connects to the hub, answers ARP for its IP, echoes UDP port 7 and pings. */
class FakeGuest {
  frames: Buffer[] = []
  private sock!: net.Socket
  constructor(readonly mac: Buffer, readonly ip: number) {}
  async connect(port: number): Promise<void> {
    this.sock = net.connect(port, '127.0.0.1')
    await new Promise((r) => this.sock.once('connect', r))
    let pending = Buffer.alloc(0)
    this.sock.on('data', (d) => {
      pending = Buffer.concat([pending, d])
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
        const f = pending.subarray(4, 4 + pending.readUInt32BE(0))
        pending = pending.subarray(4 + f.length)
        this.frames.push(Buffer.from(f))
        this.answer(Buffer.from(f))
      }
    })
  }
  send(frame: Buffer): void {
    const h = Buffer.alloc(4)
    h.writeUInt32BE(frame.length)
    this.sock.write(Buffer.concat([h, frame]))
  }
  private answer(frame: Buffer): void {
    const p = parseFrame(frame)
    if (!p) return
    if (p.arp?.op === 1 && p.arp.targetIp === this.ip) {
      this.send(ethernet(p.arp.senderMac, this.mac, ETH_P_ARP, arpPacket(2, this.mac, this.ip, p.arp.senderMac, p.arp.senderIp)))
    } else if (p.udp && p.ip?.dst === this.ip && p.udp.dport === 7) {
      this.send(ethernet(p.src, this.mac, ETH_P_IPV4, ipv4Packet(this.ip, p.ip.src, 17, udpDatagram(this.ip, 7, p.ip.src, p.udp.sport, p.udp.data))))
    } else if (p.icmp?.type === 8 && p.ip?.dst === this.ip) {
      this.send(ethernet(p.src, this.mac, ETH_P_IPV4, ipv4Packet(this.ip, p.ip.src, 1, icmpEcho(0, p.icmp.id, p.icmp.seq, p.icmp.data))))
    }
  }
  close(): void { this.sock.destroy() }
}

const cleanups: Array<() => unknown> = []
afterEach(async () => { for (const c of cleanups.splice(0)) await c() })

describe('kos:mem reply', () => {
  it('reads each field as a whole word (ms is not the tail of dgrams)', () => {
    expect(parseKosMem('kos:mem free_pages=59049 reasm=4 dgrams=0 ms=123456')).toEqual({free: 59049, reasm: 4, ms: 123456})
    expect(parseKosMem('kos:mem free_pages=7 reasm=0 dgrams=3')).toEqual({free: 7, reasm: 0, ms: -1})
  })
})

describe('LanHub', () => {
  it('forwards frames between guests, answers ARP for its station, and talks UDP and ICMP', async () => {
    const hub = new LanHub({hostMac: macFromString('02:00:00:00:00:fe'), hostIp: ipFromString('10.0.3.254')})
    await hub.start()
    cleanups.push(() => hub.close())
    const a = new FakeGuest(macFromString('52:54:00:12:34:56'), ipFromString('10.0.3.86'))
    const b = new FakeGuest(macFromString('52:54:00:12:34:57'), ipFromString('10.0.3.87'))
    await a.connect(hub.port)
    await b.connect(hub.port)
    cleanups.push(() => a.close(), () => b.close())
    while (hub.guests < 2) await new Promise((r) => setTimeout(r, 10))

    // a asks who has the hub's address: the hub answers, and b sees the broadcast but not its own frames
    a.send(ethernet(Buffer.alloc(6, 0xff), a.mac, ETH_P_ARP, arpPacket(1, a.mac, a.ip, Buffer.alloc(6), hub.hostIp)))
    for (let i = 0; i < 100 && !a.frames.some((f) => parseFrame(f)?.arp?.op === 2); i++) await new Promise((r) => setTimeout(r, 10))
    const reply = a.frames.map(parseFrame).find((f) => f?.arp?.op === 2)
    expect(reply?.arp?.senderIp).toBe(hub.hostIp)
    expect(macToString(reply!.arp!.senderMac)).toBe('02:00:00:00:00:fe')
    expect(b.frames.some((f) => parseFrame(f)?.arp?.op === 1)).toBe(true)
    expect(a.frames.some((f) => parseFrame(f)?.arp?.op === 1)).toBe(false)

    expect(macToString(await hub.resolve(b.ip, 2000))).toBe('52:54:00:12:34:57')
    expect((await hub.udpRequest(b.ip, 7, Buffer.from('over the hub'), 2000))?.toString()).toBe('over the hub')
    expect(await hub.ping(a.ip, 1, 2000)).toBe(true)
    // nobody has this address: resolution fails within its timeout
    await expect(hub.resolve(ipFromString('10.0.3.99'), 600)).rejects.toThrow(/no ARP reply/)
  })
})

/** A fake netecho service on 127.0.0.1: echoes, answers kos:client and kos:quit; can corrupt echoes. */
async function fakeNetecho(opts: {corruptEvery?: number} = {}): Promise<{port: number; close: () => void; quit: Promise<void>}> {
  const s = dgram.createSocket('udp4')
  let n = 0
  let quitResolve!: () => void
  const quit = new Promise<void>((r) => { quitResolve = r })
  s.on('message', (msg, rinfo) => {
    const text = msg.toString()
    if (text === 'kos:quit') { s.send('kos:bye', rinfo.port, rinfo.address); quitResolve(); return }
    if (text.startsWith('kos:client ')) {
      const c = dgram.createSocket('udp4')
      c.on('message', (m) => { s.send(m.toString() === 'kos-client-ack' ? 'kos:client ok' : 'kos:client fail', rinfo.port, rinfo.address); c.close() })
      c.send('kos-client-hello', Number(text.slice(11)), '127.0.0.1')
      return
    }
    n++
    const out = Buffer.from(msg)
    if (opts.corruptEvery && n % opts.corruptEvery === 0 && out.length > 0) out[out.length - 1] ^= 0xff
    s.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
  return {port: s.address().port, close: () => s.close(), quit}
}

describe('UDP agent', () => {
  it('runs echo, sizes, client and quit against a correct service', async () => {
    const svc = await fakeNetecho()
    cleanups.push(svc.close)
    const report = await runAgent({host: '127.0.0.1', port: svc.port, bind: '127.0.0.1', ops: [
      {op: 'warmup', timeoutMs: 5000},
      {op: 'echo', count: 50, minSize: 1, maxSize: 1472, seed: 1},
      {op: 'sizes', from: 1, to: 64},
      {op: 'client'},
      {op: 'rtt', count: 20, size: 64},
      {op: 'cmd', text: 'kos:quit', expect: 'kos:bye'},
    ]})
    expect(report.ok, JSON.stringify(report)).toBe(true)
    expect(report.results.map((r) => r.op)).toEqual(['warmup', 'echo', 'sizes', 'client', 'rtt', 'cmd'])
    expect(report.results[1].values).toEqual({intact: 50, lost: 0, corrupted: 0, retries: 0})
    expect(report.results[2].values).toEqual({failed: 0, retries: 0})
    // Round-trip times are the machine's; what is known: every echo came back, p99 >= median,
    // both whole microseconds below the 2 s request timeout.
    const rtt = report.results[4].values!
    expect(rtt.lost).toBe(0)
    expect(Number.isInteger(rtt.median) && Number.isInteger(rtt.p99)).toBe(true)
    expect(rtt.p99).toBeGreaterThanOrEqual(rtt.median)
    expect(rtt.p99).toBeLessThan(2_000_000)
    await svc.quit
  })

  it('fails when echoes come back corrupted', async () => {
    // The service corrupts its 10th and 20th datagrams: echoes 10 and 19 come back wrong once
    // each (the agent waits out its 2 s timeout, resends, and gets an intact copy).
    const svc = await fakeNetecho({corruptEvery: 10})
    cleanups.push(svc.close)
    const report = await runAgent({host: '127.0.0.1', port: svc.port, bind: '127.0.0.1', ops: [{op: 'echo', count: 20, minSize: 10, maxSize: 20, seed: 2}]})
    expect(report.ok).toBe(false)
    expect(report.results[0].values).toEqual({intact: 20, lost: 0, corrupted: 2, retries: 2})
    expect(report.results[0].detail).toBe('20/20 intact, 0 lost, 2 corrupted, 2 retries')
  })

  it('fails the warm-up when nothing answers', async () => {
    const s = dgram.createSocket('udp4')
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
    cleanups.push(() => s.close())
    const report = await runAgent({host: '127.0.0.1', port: s.address().port, bind: '127.0.0.1', ops: [{op: 'warmup', timeoutMs: 1200}, {op: 'echo', count: 1, minSize: 1, maxSize: 1, seed: 1}]})
    expect(report.ok).toBe(false)
    expect(report.results).toHaveLength(1) // stops after a failed warm-up
    expect(report.results[0].detail).toMatch(/never answered/)
  })
})
