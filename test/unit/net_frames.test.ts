// Frame builders/parsers and the malformed-frame generator used by the host peers.
import {describe, expect, it} from 'vitest'
import {
  arpPacket, ETH_P_ARP, ETH_P_IPV4, ethernet, expectTerms, icmpEcho, inetChecksum, ipFromString, ipToString,
  ipv4Packet, macFromString, macToString, malformedFrames, parseFrame, udpDatagram,
} from '../../src/netlab/frames.js'

const guestMac = macFromString('52:54:00:12:34:56')
const peerMac = macFromString('02:00:00:00:00:fe')
const guestIp = ipFromString('10.0.3.86')
const peerIp = ipFromString('10.0.3.254')

describe('addresses', () => {
  it('round-trips MAC and IPv4 text and rejects malformed input', () => {
    expect(macToString(guestMac)).toBe('52:54:00:12:34:56')
    expect(ipToString(ipFromString('198.51.100.2'))).toBe('198.51.100.2')
    expect(ipFromString('255.255.255.255')).toBe(0xffffffff)
    expect(() => ipFromString('1.2.3.256')).toThrow(/bad IPv4/)
    expect(() => ipFromString('1.2.3')).toThrow(/bad IPv4/)
    expect(() => macFromString('52:54:00:12:34')).toThrow(/bad MAC/)
  })
})

describe('checksums', () => {
  it('matches the RFC 1071 example', () => {
    // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2 (before inversion).
    expect(inetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'))).toBe(~0xddf2 & 0xffff)
  })
  it('IPv4 headers and UDP datagrams verify, and a flipped bit is caught', () => {
    const udp = udpDatagram(peerIp, 4000, guestIp, 7, Buffer.from('hello'))
    const frame = ethernet(guestMac, peerMac, ETH_P_IPV4, ipv4Packet(peerIp, guestIp, 17, udp))
    const p = parseFrame(frame)!
    expect(p.ip?.headerOk).toBe(true)
    expect(p.udp).toMatchObject({sport: 4000, dport: 7, checksumOk: true})
    expect(p.udp?.data.toString()).toBe('hello')
    frame[frame.length - 1] ^= 1
    expect(parseFrame(frame)!.udp?.checksumOk).toBe(false)
  })
  it('ICMP echo verifies', () => {
    const m = icmpEcho(8, 7, 9, Buffer.from('abcdefgh'))
    const p = parseFrame(ethernet(guestMac, peerMac, ETH_P_IPV4, ipv4Packet(peerIp, guestIp, 1, m)))!
    expect(p.icmp).toMatchObject({type: 8, id: 7, seq: 9, checksumOk: true})
  })
})

describe('ARP', () => {
  it('builds and parses requests', () => {
    const p = parseFrame(ethernet(Buffer.alloc(6, 0xff), peerMac, ETH_P_ARP, arpPacket(1, peerMac, peerIp, Buffer.alloc(6), guestIp)))!
    expect(p.arp).toMatchObject({op: 1, senderIp: peerIp, targetIp: guestIp})
    expect(macToString(p.arp!.senderMac)).toBe('02:00:00:00:00:fe')
  })
  it('returns null for frames shorter than an Ethernet header', () => {
    expect(parseFrame(Buffer.alloc(13))).toBeNull()
  })
})

describe('malformed frames', () => {
  const frames = malformedFrames({guestMac, guestIp, peerMac, peerIp}, 340, 42)
  it('are deterministic and cover every kind evenly', () => {
    expect(malformedFrames({guestMac, guestIp, peerMac, peerIp}, 340, 42).map((f) => f.frame.toString('hex'))).toEqual(frames.map((f) => f.frame.toString('hex')))
    const counts = new Map<string, number>()
    for (const f of frames) counts.set(f.reason, (counts.get(f.reason) ?? 0) + 1)
    expect(counts.size).toBe(17)
    for (const n of counts.values()) expect(n).toBe(20)
  })
  it('each is really defective in the way its reason says', () => {
    for (const {reason, frame} of frames) {
      expect(frame.length).toBeGreaterThanOrEqual(14)
      const p = parseFrame(frame)
      switch (reason) {
        case 'ip_bad_csum': expect(p?.ip?.headerOk).toBe(false); break
        case 'udp_bad_csum': expect(p?.udp?.checksumOk).toBe(false); break
        case 'icmp_bad_csum': expect(p?.icmp?.checksumOk).toBe(false); break
        case 'eth_own_src': expect(macToString(frame.subarray(6, 12))).toBe(macToString(guestMac)); break
        case 'eth_bad_src': expect(frame[6] & 1).toBe(1); break
        case 'ip_bad_version': expect(frame[14] >> 4).toBe(6); break
        case 'ip_bad_ihl': expect(frame[14] & 15).toBeLessThan(5); break
        case 'ip_bad_len': expect(frame.readUInt16BE(16)).toBeGreaterThan(frame.length - 14); break
        case 'ip_fragment': expect(frame.readUInt16BE(20) & 0x2000).toBe(0x2000); break
        case 'udp_bad_len': expect(p?.udp).toBeUndefined(); break
        default: break
      }
      // addressed to the guest (so the NIC does not filter it) unless it is the guest's own
      expect(macToString(frame.subarray(0, 6))).toBe(macToString(guestMac))
    }
  })
  it('summarises counts as kos:expect terms', () => {
    const terms = expectTerms(frames).split(' ')
    expect(terms).toHaveLength(17)
    expect(terms).toContain('ip_bad_csum=20')
  })
})
