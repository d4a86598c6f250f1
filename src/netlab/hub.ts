// A virtual Ethernet hub for QEMU's socket backend (-netdev socket,connect=
// 127.0.0.1:PORT: each frame is a 4-byte big-endian length and the frame).
// Every guest's frames go to every other guest; the hub also has a host
// station of its own (a MAC and an IPv4 address) that answers ARP, sends
// UDP/ICMP and injects arbitrary frames, e.g. malformed ones.
import net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {
  arpPacket, BROADCAST_MAC, ETH_P_ARP, ETH_P_IPV4, ethernet, icmpEcho, ipv4Packet, ipToString, type Mac,
  macToString, parseFrame, type ParsedFrame, udpDatagram,
} from './frames.js'

interface Waiter {
  match: (f: ParsedFrame) => boolean
  resolve: (f: ParsedFrame) => void
}

export interface HubOptions {
  hostMac: Mac
  hostIp: number
}

export class LanHub {
  port = 0
  readonly hostMac: Mac
  readonly hostIp: number
  private server: net.Server
  private sockets = new Set<net.Socket>()
  private arp = new Map<number, Mac>()
  private waiters = new Set<Waiter>()
  private nextPort = 40000
  framesFromGuests = 0

  constructor(opts: HubOptions) {
    this.hostMac = opts.hostMac
    this.hostIp = opts.hostIp
    this.server = net.createServer((s) => this.attach(s))
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    this.port = (this.server.address() as net.AddressInfo).port
  }

  get guests(): number {
    return this.sockets.size
  }

  private attach(s: net.Socket): void {
    this.sockets.add(s)
    s.setNoDelay(true)
    let pending = Buffer.alloc(0)
    s.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk])
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0)
        if (pending.length < 4 + len) break
        const frame = pending.subarray(4, 4 + len)
        pending = pending.subarray(4 + len)
        this.framesFromGuests++
        for (const other of this.sockets) if (other !== s) writeFrame(other, frame)
        this.receive(Buffer.from(frame))
      }
    })
    const drop = () => this.sockets.delete(s)
    s.on('close', drop)
    s.on('error', drop)
  }

  /** Sends a frame to every guest. */
  sendFrame(frame: Buffer): void {
    for (const s of this.sockets) writeFrame(s, frame)
  }

  /** Resolves once every socket has taken its queued bytes (pacing for floods). */
  async drain(): Promise<void> {
    await Promise.all([...this.sockets].map((s) => (s.writableNeedDrain ? new Promise((r) => s.once('drain', r)) : undefined)))
  }

  private receive(frame: Buffer): void {
    const f = parseFrame(frame)
    if (!f) return
    if (f.arp) {
      this.arp.set(f.arp.senderIp, f.arp.senderMac)
      if (f.arp.op === 1 && f.arp.targetIp === this.hostIp) {
        this.sendFrame(ethernet(f.arp.senderMac, this.hostMac, ETH_P_ARP, arpPacket(2, this.hostMac, this.hostIp, f.arp.senderMac, f.arp.senderIp)))
      }
    }
    for (const w of [...this.waiters]) {
      if (w.match(f)) {
        this.waiters.delete(w)
        w.resolve(f)
      }
    }
  }

  private waitFor(match: (f: ParsedFrame) => boolean, timeoutMs: number): Promise<ParsedFrame | null> {
    return new Promise((resolve) => {
      const w: Waiter = {match, resolve: (f) => { clearTimeout(timer); resolve(f) }}
      const timer = setTimeout(() => { this.waiters.delete(w); resolve(null) }, timeoutMs)
      this.waiters.add(w)
    })
  }

  /** The guest's MAC for ip, asking with ARP requests until it answers. */
  async resolve(ip: number, timeoutMs: number): Promise<Mac> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const known = this.arp.get(ip)
      if (known) return known
      const reply = this.waitFor((f) => f.arp?.op === 2 && f.arp.senderIp === ip, 500)
      this.sendFrame(ethernet(BROADCAST_MAC, this.hostMac, ETH_P_ARP, arpPacket(1, this.hostMac, this.hostIp, Buffer.alloc(6), ip)))
      const f = await reply
      if (f?.arp) return f.arp.senderMac
    }
    throw new Error(`no ARP reply from ${ipToString(ip)} within ${Math.round(timeoutMs / 1000)} s`)
  }

  knownMac(ip: number): Mac | undefined {
    return this.arp.get(ip)
  }

  /** Sends a UDP datagram from a fresh host port and waits for the answer to it. */
  async udpRequest(ip: number, port: number, data: Buffer, timeoutMs: number, tries = 1): Promise<Buffer | null> {
    const mac = await this.resolve(ip, timeoutMs)
    const sport = this.nextPort++
    if (this.nextPort > 60000) this.nextPort = 40000
    for (let i = 0; i < tries; i++) {
      const reply = this.waitFor((f) => f.udp?.dport === sport && f.ip?.src === ip && f.udp.sport === port, timeoutMs)
      this.sendFrame(ethernet(mac, this.hostMac, ETH_P_IPV4, ipv4Packet(this.hostIp, ip, 17, udpDatagram(this.hostIp, sport, ip, port, data))))
      const f = await reply
      if (f?.udp) {
        if (!f.udp.checksumOk || !f.ip!.headerOk) throw new Error(`guest ${ipToString(ip)} sent a UDP reply with a bad checksum`)
        return f.udp.data
      }
    }
    return null
  }

  /** One guest command ("kos:..."), retried; the text of the reply or null. */
  async command(ip: number, text: string, timeoutMs = 3000, tries = 5): Promise<string | null> {
    const r = await this.udpRequest(ip, 7, Buffer.from(text), timeoutMs, tries)
    return r ? r.toString() : null
  }

  /** ICMP echo; true when the matching reply came back intact. */
  async ping(ip: number, seq: number, timeoutMs: number): Promise<boolean> {
    const mac = await this.resolve(ip, timeoutMs)
    const data = Buffer.from(`kos-ping-${seq}-`.padEnd(48, '.'))
    const reply = this.waitFor((f) => f.icmp?.type === 0 && f.icmp.id === 0x4b4f && f.icmp.seq === seq && f.ip?.src === ip, timeoutMs)
    this.sendFrame(ethernet(mac, this.hostMac, ETH_P_IPV4, ipv4Packet(this.hostIp, ip, 1, icmpEcho(8, 0x4b4f, seq, data))))
    const f = await reply
    return !!f?.icmp && f.icmp.checksumOk && f.icmp.data.equals(data)
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  describe(): string {
    return `hub 127.0.0.1:${this.port} host ${macToString(this.hostMac)} ${ipToString(this.hostIp)}`
  }
}

function writeFrame(s: net.Socket, frame: Buffer): void {
  const hdr = Buffer.alloc(4)
  hdr.writeUInt32BE(frame.length, 0)
  s.write(Buffer.concat([hdr, frame]))
}

export {sleep}
