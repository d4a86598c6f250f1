// Ethernet / ARP / IPv4 / ICMP / UDP frames for host peers that speak raw
// Ethernet to a guest (QEMU socket backend): builders, parsers and the
// malformed-frame generator. Pure functions; unit-tested in test/unit/net_frames.test.ts.

export type Mac = Buffer // 6 bytes

export const ETH_P_IPV4 = 0x0800
export const ETH_P_ARP = 0x0806
export const BROADCAST_MAC = Buffer.from('ffffffffffff', 'hex')

export function macFromString(s: string): Mac {
  const parts = s.split(':')
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`bad MAC address "${s}"`)
  return Buffer.from(parts.join(''), 'hex')
}

export function macToString(m: Buffer): string {
  return [...m.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':')
}

export function ipFromString(s: string): number {
  const parts = s.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`bad IPv4 address "${s}"`)
  return parts.reduce((a, p) => ((a << 8) | Number(p)) >>> 0, 0)
}

export function ipToString(a: number): string {
  return [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')
}

/** RFC 1071 one's-complement sum, folded and inverted. */
export function inetChecksum(data: Buffer, initial = 0): number {
  let sum = initial
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i)
  if (data.length % 2) sum += data[data.length - 1] << 8
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000)
  return ~sum & 0xffff
}

export function ethernet(dst: Mac, src: Mac, type: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(14 + payload.length)
  dst.copy(f, 0)
  src.copy(f, 6)
  f.writeUInt16BE(type, 12)
  payload.copy(f, 14)
  return f
}

export function arpPacket(op: 1 | 2, senderMac: Mac, senderIp: number, targetMac: Mac, targetIp: number): Buffer {
  const p = Buffer.alloc(28)
  p.writeUInt16BE(1, 0)
  p.writeUInt16BE(ETH_P_IPV4, 2)
  p[4] = 6
  p[5] = 4
  p.writeUInt16BE(op, 6)
  senderMac.copy(p, 8)
  p.writeUInt32BE(senderIp >>> 0, 14)
  targetMac.copy(p, 18)
  p.writeUInt32BE(targetIp >>> 0, 24)
  return p
}

let ipId = 1

export function ipv4Packet(src: number, dst: number, proto: number, payload: Buffer, ttl = 64, id = ipId++): Buffer {
  const p = Buffer.alloc(20 + payload.length)
  p[0] = 0x45
  p.writeUInt16BE(20 + payload.length, 2)
  p.writeUInt16BE(id & 0xffff, 4)
  p[8] = ttl
  p[9] = proto
  p.writeUInt32BE(src >>> 0, 12)
  p.writeUInt32BE(dst >>> 0, 16)
  p.writeUInt16BE(inetChecksum(p.subarray(0, 20)), 10)
  payload.copy(p, 20)
  return p
}

function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len
}

export function udpDatagram(src: number, sport: number, dst: number, dport: number, data: Buffer): Buffer {
  const u = Buffer.alloc(8 + data.length)
  u.writeUInt16BE(sport, 0)
  u.writeUInt16BE(dport, 2)
  u.writeUInt16BE(8 + data.length, 4)
  data.copy(u, 8)
  const c = inetChecksum(u, pseudoSum(src, dst, 17, u.length))
  u.writeUInt16BE(c === 0 ? 0xffff : c, 6)
  return u
}

export function icmpEcho(type: 0 | 8, id: number, seq: number, data: Buffer): Buffer {
  const m = Buffer.alloc(8 + data.length)
  m[0] = type
  m.writeUInt16BE(id, 4)
  m.writeUInt16BE(seq, 6)
  data.copy(m, 8)
  m.writeUInt16BE(inetChecksum(m), 2)
  return m
}

export interface ParsedFrame {
  dst: Mac
  src: Mac
  type: number
  arp?: {op: number; senderMac: Mac; senderIp: number; targetIp: number}
  ip?: {src: number; dst: number; proto: number; ttl: number; headerOk: boolean; payload: Buffer}
  udp?: {sport: number; dport: number; data: Buffer; checksumOk: boolean}
  icmp?: {type: number; code: number; id: number; seq: number; data: Buffer; checksumOk: boolean}
}

/** Parses what a guest sent; null for anything too short to be Ethernet. */
export function parseFrame(f: Buffer): ParsedFrame | null {
  if (f.length < 14) return null
  const out: ParsedFrame = {dst: f.subarray(0, 6), src: f.subarray(6, 12), type: f.readUInt16BE(12)}
  const p = f.subarray(14)
  if (out.type === ETH_P_ARP && p.length >= 28) {
    out.arp = {op: p.readUInt16BE(6), senderMac: Buffer.from(p.subarray(8, 14)), senderIp: p.readUInt32BE(14), targetIp: p.readUInt32BE(24)}
  } else if (out.type === ETH_P_IPV4 && p.length >= 20) {
    const ihl = (p[0] & 15) * 4
    const total = p.readUInt16BE(2)
    if (ihl < 20 || total < ihl || total > p.length) return out
    const payload = p.subarray(ihl, total)
    const src = p.readUInt32BE(12), dst = p.readUInt32BE(16)
    out.ip = {src, dst, proto: p[9], ttl: p[8], headerOk: inetChecksum(p.subarray(0, ihl)) === 0, payload}
    if (p[9] === 17 && payload.length >= 8) {
      const ulen = payload.readUInt16BE(4)
      if (ulen >= 8 && ulen <= payload.length) {
        const u = payload.subarray(0, ulen)
        const ok = u.readUInt16BE(6) === 0 || inetChecksum(u, pseudoSum(src, dst, 17, ulen)) === 0
        out.udp = {sport: u.readUInt16BE(0), dport: u.readUInt16BE(2), data: Buffer.from(u.subarray(8)), checksumOk: ok}
      }
    } else if (p[9] === 1 && payload.length >= 8) {
      out.icmp = {type: payload[0], code: payload[1], id: payload.readUInt16BE(4), seq: payload.readUInt16BE(6), data: Buffer.from(payload.subarray(8)), checksumOk: inetChecksum(payload) === 0}
    }
  }
  return out
}

const ipv4PacketWithId = ipv4Packet

/** One malformed frame and the guest drop counter it must land in (kernel/net/netif.h names). */
export interface BadFrame {
  reason: string
  frame: Buffer
}

export interface BadFrameTarget {
  guestMac: Mac
  guestIp: number
  peerMac: Mac
  peerIp: number
}

/** Deterministic pseudo-random generator (tests must be reproducible). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s >>> 8
  }
}

/**
 * `count` malformed frames, cycling through kinds the guest must drop and
 * count by reason. Every frame is addressed to the guest's MAC (or
 * broadcast) so the NIC's own filter does not hide it.
 */
export function malformedFrames(t: BadFrameTarget, count: number, seed = 1): BadFrame[] {
  const rnd = lcg(seed)
  let id = seed
  const ipv4Packet = (src: number, dst: number, proto: number, payload: Buffer) => ipv4PacketWithId(src, dst, proto, payload, 64, id++)
  const goodUdp = (len: number) => ipv4Packet(t.peerIp, t.guestIp, 17, udpDatagram(t.peerIp, 4000, t.guestIp, 7, Buffer.alloc(len, 0x5a)))
  const toGuest = (type: number, payload: Buffer) => ethernet(t.guestMac, t.peerMac, type, payload)
  const kinds: Array<() => BadFrame> = [
    // Truncated ARP/IP headers are not here: the NIC pads every frame to 60
    // bytes, so they arrive as other defects (the host test covers them).
    () => ({reason: 'eth_unknown_type', frame: toGuest(0x86dd, Buffer.alloc(40 + (rnd() % 40)))}),
    () => {
      const a = arpPacket(1, t.peerMac, t.peerIp, Buffer.alloc(6), t.guestIp)
      a[4] = 8 // hardware length 8 is not Ethernet
      return {reason: 'arp_bad_format', frame: toGuest(ETH_P_ARP, a)}
    },
    () => {
      const p = goodUdp(16)
      p[0] = 0x65
      return {reason: 'ip_bad_version', frame: toGuest(ETH_P_IPV4, p)}
    },
    () => {
      const p = goodUdp(16)
      p[0] = 0x40 | (rnd() % 5) // IHL below 5
      return {reason: 'ip_bad_ihl', frame: toGuest(ETH_P_IPV4, p)}
    },
    () => {
      const p = goodUdp(16)
      p.writeUInt16BE(p.length + 1 + (rnd() % 1000), 2) // claims more than the frame holds
      return {reason: 'ip_bad_len', frame: toGuest(ETH_P_IPV4, p)}
    },
    () => {
      const p = goodUdp(16 + (rnd() % 100))
      p[10] ^= 1 + (rnd() % 255)
      return {reason: 'ip_bad_csum', frame: toGuest(ETH_P_IPV4, p)}
    },
    () => {
      // More fragments with 25 bytes: not a multiple of 8, so not a fragment
      // the guest may hold for reassembly (RFC 791).
      const p = goodUdp(17)
      p.writeUInt16BE(0x2000 | (rnd() % 100), 6)
      p.writeUInt16BE(0, 10)
      p.writeUInt16BE(inetChecksum(p.subarray(0, 20)), 10)
      return {reason: 'ip_fragment', frame: toGuest(ETH_P_IPV4, p)}
    },
    () => {
      const u = udpDatagram(t.peerIp, 4000, t.guestIp, 7, Buffer.alloc(24, 1))
      u[8 + (rnd() % 24)] ^= 0x40 // payload changed after the checksum
      return {reason: 'udp_bad_csum', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 17, u))}
    },
    () => {
      const u = udpDatagram(t.peerIp, 4000, t.guestIp, 7, Buffer.alloc(24, 1))
      u.writeUInt16BE(40 + (rnd() % 1000), 4) // UDP length beyond the IP payload
      return {reason: 'udp_bad_len', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 17, u))}
    },
    () => ({reason: 'udp_short', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 17, Buffer.alloc(rnd() % 8)))}),
    () => {
      const m = icmpEcho(8, 1, rnd() & 0xffff, Buffer.alloc(32, 7))
      m[9] ^= 0x10
      return {reason: 'icmp_bad_csum', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 1, m))}
    },
    () => ({reason: 'icmp_short', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 1, Buffer.alloc(rnd() % 8)))}),
    () => ({reason: 'ip_unknown_proto', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, t.guestIp, 132, Buffer.alloc(20)))}),
    () => ({reason: 'ip_not_for_us', frame: toGuest(ETH_P_IPV4, ipv4Packet(t.peerIp, (t.guestIp & 0xffffff00) | 0xfe, 17, udpDatagram(t.peerIp, 1, t.guestIp, 7, Buffer.alloc(4))))}),
    () => ({reason: 'ip_bad_src', frame: toGuest(ETH_P_IPV4, ipv4Packet(0xe0000001, t.guestIp, 17, udpDatagram(0xe0000001, 1, t.guestIp, 7, Buffer.alloc(4))))}),
    () => {
      // Our own MAC as the source: a guest must drop its echoed frames.
      const f = toGuest(ETH_P_IPV4, goodUdp(8))
      t.guestMac.copy(f, 6)
      return {reason: 'eth_own_src', frame: f}
    },
    () => {
      const f = toGuest(ETH_P_IPV4, goodUdp(8))
      f[6] |= 1 // multicast source MAC
      return {reason: 'eth_bad_src', frame: f}
    },
  ]
  const out: BadFrame[] = []
  for (let i = 0; i < count; i++) out.push(kinds[i % kinds.length]())
  return out
}

/** Counts by reason, in the "name=N" form the guest's kos:expect command takes. */
export function expectTerms(frames: BadFrame[]): string {
  const counts = new Map<string, number>()
  for (const f of frames) counts.set(f.reason, (counts.get(f.reason) ?? 0) + 1)
  return [...counts].map(([k, v]) => `${k}=${v}`).join(' ')
}
