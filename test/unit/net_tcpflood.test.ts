// The SYN flood and malformed TCP segments of the tcp_flood_tap case: each
// segment is what the guest must count it as (checked here against an
// independent reading of the header, in the order kernel/net/tcp.c checks).
import {describe, expect, it} from 'vitest'
import {inetChecksum, ipFromString} from '../../src/netlab/frames.js'
import {floodPlan, parseTcpProc, tcpSegment} from '../../src/netlab/tcpflood.js'

const src = ipFromString('198.51.100.1'), dst = ipFromString('198.51.100.2')
const pseudo = (len: number) => (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + len

/** What the guest does with seg: its drop reason, or 'syn' for a well-formed SYN. */
function classify(seg: Buffer): string {
  const hlen = (seg[12] >> 4) * 4
  if (hlen < 20 || hlen > seg.length) return 'tcp_bad_offset'
  if (inetChecksum(seg, pseudo(seg.length)) !== 0) return 'tcp_bad_csum'
  const f = seg[13]
  if (((f & 2) && (f & 5)) || (f & 0x17) === 0 || ((f & 1) && !(f & 0x10))) return 'tcp_bad_flags'
  for (let i = 20; i < hlen;) {
    const kind = seg[i]
    if (kind === 0) break
    if (kind === 1) { i++; continue }
    if (i + 1 >= hlen) return 'tcp_bad_option'
    const len = seg[i + 1]
    if (len < 2 || i + len > hlen || (kind === 2 && len !== 4) || (kind === 3 && len !== 3) || (kind === 8 && len !== 10)) return 'tcp_bad_option'
    i += len
  }
  return f === 2 ? 'syn' : 'other'
}

describe('tcp flood plan', () => {
  it('builds a SYN whose checksum verifies and one spoiled on request', () => {
    const good = tcpSegment({src, dst, sport: 1234, dport: 80, seq: 1, flags: 2, options: [2, 4, 5, 0xb4]})
    expect(good.length).toBe(24)
    expect(inetChecksum(good, pseudo(24))).toBe(0)
    expect(classify(good)).toBe('syn')
    expect(classify(tcpSegment({src, dst, sport: 1234, dport: 80, seq: 1, flags: 2, csumXor: 1}))).toBe('tcp_bad_csum')
  })

  it('holds 10,000 SYNs from distinct ports and 5,000 bad segments, each of the kind it is counted as', () => {
    const plan = floodPlan(src, dst, 10_000, 5000)
    expect(plan.segments.length).toBe(15_000)
    expect(plan.expect).toEqual({syn: 10_000, tcp_bad_offset: 1250, tcp_bad_csum: 1250, tcp_bad_option: 1250, tcp_bad_flags: 1250})
    const seen: Record<string, number> = {}
    for (const s of plan.segments) {
      const k = classify(s.seg)
      expect(k).toBe(s.kind)
      seen[k] = (seen[k] ?? 0) + 1
    }
    expect(seen).toEqual(plan.expect)
    const synPorts = new Set(plan.segments.filter((s) => s.kind === 'syn').map((s) => s.seg.readUInt16BE(0)))
    expect(synPorts.size).toBe(10_000)
    expect([...synPorts].every((p) => p >= 1024)).toBe(true)
  })

  it('reads drop lines and totals of /proc/net/tcp', () => {
    const r = parseTcpProc('totals active_opens 0 passive_opens 10003 syn_evicted 9624\nconn 1.2.3.4:80 5.6.7.8:9 LISTEN segs_in 1\ndrop tcp_bad_csum 1250\ndrop tcp_no_port 7\n')
    expect(r.totals).toEqual({active_opens: 0, passive_opens: 10003, syn_evicted: 9624})
    expect(r.drops).toEqual({tcp_bad_csum: 1250, tcp_no_port: 7})
  })
})
