// Link and IP conformance checks over TAP (the `link-check` peer): each one
// reproduces a defect real clients found, from the case's namespace, with a
// stock tool (arping, ping) or hand-built frames sent by the raw-link agent.
//   arp-probe   RFC 5227 probes for the guest's address are answered (arping -0)
//   bad-source  datagrams from the subnet broadcast or class E get no answer
//               at all (RFC 1122 3.2.1.3) while the same from a real host do
//   arp-flood   neighbours that never answer ARP do not push the real host out
//               of the guest's ARP cache: its pings keep being answered
//   fragments   ping -s 2000/8000 and 8 KiB UDP echo both ways (reassembly and
//               fragmentation on send), overlapping fragments drop the datagram,
//               a datagram past the 16 KiB reassembly limit is dropped and counted,
//               a flood of never-completed datagrams leaves memory as it was
// Every check captures the TAP and has tshark judge the guest's frames.
import type {Netns} from '../qemu/netns.js'
import {runAgent, summarizeReport} from './agent.js'
import {ETH_P_IPV4, ethernet, icmpEcho, inetChecksum, ipFromString, ipToString, ipv4Packet, macFromString, macToString, parseFrame, udpDatagram} from './frames.js'
import {runRawLink, type RawSend} from './rawlink.js'
import {judgeCapture, startCapture} from './capture.js'

export interface Outcome {
  ok: boolean
  detail: string
}

export const LINK_CHECKS = ['arp-probe', 'bad-source', 'arp-flood', 'fragments'] as const
export type LinkCheck = (typeof LINK_CHECKS)[number]

interface Link {
  ns: Netns
  guestMac: Buffer
  hostMac: Buffer
  guestIp: number
  hostIp: number
}

/** Waits for the guest's echo service, then reads both MACs from the namespace. */
async function discover(ns: Netns, signal: AbortSignal): Promise<Link | string> {
  const warm = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'warmup', timeoutMs: 60_000}]}, ns.prefix, signal)
  if (!warm.ok) return summarizeReport(warm)
  const {stdout: neigh} = await ns.run('ip', ['neigh', 'show', ns.guestIp])
  const {stdout: link} = await ns.run('ip', ['link', 'show', ns.tap])
  const g = /lladdr ([0-9a-f:]{17})/i.exec(neigh), h = /link\/ether ([0-9a-f:]{17})/i.exec(link)
  if (!g || !h) return `MACs not found (neighbour: ${neigh.trim()}; link: ${link.trim()})`
  return {ns, guestMac: macFromString(g[1]), hostMac: macFromString(h[1]), guestIp: ipFromString(ns.guestIp), hostIp: ipFromString(ns.hostIp)}
}

/** Sends one command to the guest's netecho service and returns its reply. */
async function command(ns: Netns, text: string, expect: string, signal: AbortSignal): Promise<{ok: boolean; reply: string}> {
  const r = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'cmd', text, expect}]}, ns.prefix, signal)
  const detail = r.results[0]?.detail ?? ''
  return {ok: r.ok, reply: detail.slice(detail.indexOf('-> ') + 3)}
}

async function dropCount(ns: Netns, reason: string, signal: AbortSignal): Promise<number> {
  const r = await command(ns, 'kos:stats', 'kos:stats', signal)
  if (!r.ok) return -1
  const m = new RegExp(`drop_${reason}=(\\d+)`).exec(r.reply)
  return m ? Number(m[1]) : 0
}

/** An mDNS legacy query (from a port other than 5353): PTR _kos._udp.local. */
export function legacyPtrQuery(id: number): Buffer {
  const name = Buffer.concat([..._labels('_kos._udp.local'), Buffer.from([0])])
  const h = Buffer.alloc(12)
  h.writeUInt16BE(id, 0)
  h.writeUInt16BE(1, 4)
  const tail = Buffer.alloc(4)
  tail.writeUInt16BE(12, 0)
  tail.writeUInt16BE(1, 2)
  return Buffer.concat([h, name, tail])
}

function _labels(dotted: string): Buffer[] {
  return dotted.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]))
}

/** The four things that get an answer from a guest: UDP echo, ICMP echo, a closed port, an mDNS legacy query. */
function provoking(l: Link, src: number, seq: number): Buffer[] {
  const g = l.guestIp
  const ip = (proto: number, payload: Buffer) => ethernet(l.guestMac, l.hostMac, ETH_P_IPV4, ipv4Packet(src, g, proto, payload))
  return [
    ip(17, udpDatagram(src, 40_000 + seq, g, 7, Buffer.from(`bad-source-echo-${seq}`))),
    ip(1, icmpEcho(8, 0x4b4f, seq, Buffer.alloc(32, seq))),
    ip(17, udpDatagram(src, 40_100 + seq, g, 9, Buffer.from('closed-port'))),
    ip(17, udpDatagram(src, 40_200 + seq, g, 5353, legacyPtrQuery(0x4b00 + seq))),
  ]
}

async function arpProbe(l: Link): Promise<Outcome> {
  const details: string[] = []
  // arping -0: ARP requests from 0.0.0.0, i.e. RFC 5227 probes (arping exits
  // non-zero when nothing answered: the output is what counts).
  const probe = async (target: string) => {
    let out = ''
    try {
      out = (await l.ns.run('arping', ['-0', '-c', '3', '-w', '6', '-i', l.ns.tap, target], 30_000)).stdout
    } catch (error) {
      out = (error as {stdout?: string}).stdout ?? (error as Error).message
    }
    const m = /(\d+) packets transmitted, (\d+) packets received/.exec(out)
    return {received: m ? Number(m[2]) : -1, summary: m ? m[0] : out.trim().split('\n').pop() ?? ''}
  }
  const ours = await probe(l.ns.guestIp)
  details.push(`probe for ${l.ns.guestIp}: ${ours.summary}`)
  const other = await probe('198.51.100.77')
  details.push(`probe for 198.51.100.77 (nobody's): ${other.summary}`)
  return {ok: ours.received === 3 && other.received === 0, detail: details.join('; ')}
}

async function badSource(l: Link, signal: AbortSignal): Promise<Outcome> {
  const bad = [ipFromString('198.51.100.255'), ipFromString('240.0.0.1')]
  const before = await dropCount(l.ns, 'ip_bad_src', signal)
  const send: RawSend[] = []
  let at = 100
  for (const src of bad) for (const f of provoking(l, src, send.length)) send.push({hex: f.toString('hex'), atMs: (at += 50)})
  // The same datagrams from the namespace's own address: these are answered,
  // which proves the capture would have seen answers to the bad ones.
  for (const f of provoking(l, l.hostIp, 99)) send.push({hex: f.toString('hex'), atMs: (at += 50)})
  const report = await runRawLink({iface: l.ns.tap, send, listenMs: at + 3000, fromMac: macToString(l.guestMac)}, l.ns.prefix, signal)
  if (!report.ok) return {ok: false, detail: `raw-link agent: ${report.error}`}
  const after = await dropCount(l.ns, 'ip_bad_src', signal)
  const frames = report.frames.map((f) => parseFrame(Buffer.from(f.hex, 'hex'))).filter((f) => f?.ip)
  const answersToBad = frames.filter((f) => bad.includes(f!.ip!.dst) || (f!.dst.equals(Buffer.alloc(6, 0xff)) && f!.ip))
  const toHost = frames.filter((f) => f!.ip!.dst === l.hostIp && f!.ip!.src === l.guestIp)
  const kinds = new Set(toHost.map((f) => f!.udp ? `udp:${f!.udp.sport}` : f!.icmp ? `icmp:${f!.icmp.type}` : 'other'))
  const controlOk = kinds.has('udp:7') && kinds.has('icmp:0') && kinds.has('icmp:3') && kinds.has('udp:5353')
  const counted = before >= 0 && after - before === 8
  return {
    ok: answersToBad.length === 0 && controlOk && counted,
    detail: `${report.sent} frames sent (8 from ${bad.map(ipToString).join(' and ')}, 4 from ${l.ns.hostIp}); ` +
      `${answersToBad.length} answer(s) to the bad sources${answersToBad.length ? ' (' + answersToBad.map((f) => ipToString(f!.ip!.dst) + ' proto ' + f!.ip!.proto).join(', ') + ')' : ''}; ` +
      `answers to ${l.ns.hostIp}: ${[...kinds].sort().join(' ') || 'none'} (want icmp:0 icmp:3 udp:5353 udp:7); ` +
      `drop_ip_bad_src ${before} -> ${after} (want +8)`,
  }
}

async function arpFlood(l: Link, signal: AbortSignal): Promise<Outcome> {
  // Made-up neighbours 198.51.100.100-.227 ping the guest and never answer
  // its ARP requests: 16 at once (the size of the guest's cache), then 8 a
  // second for 15 s, while the real host pings every second.
  const send: RawSend[] = []
  for (let i = 0; i < 136; i++) {
    const src = ipFromString('198.51.100.100') + (i % 128)
    const mac = Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x00, i])
    const f = ethernet(l.guestMac, mac, ETH_P_IPV4, ipv4Packet(src, l.guestIp, 1, icmpEcho(8, 0x6e65, i, Buffer.alloc(16, i))))
    send.push({hex: f.toString('hex'), atMs: i < 16 ? 200 + i : 200 + (i - 15) * 125})
  }
  const raw = runRawLink({iface: l.ns.tap, send, listenMs: 18_000, fromMac: macToString(l.guestMac)}, l.ns.prefix, signal)
  await new Promise((r) => setTimeout(r, 1500))
  let ping = ''
  try {
    ping = (await l.ns.run('ping', ['-c', '12', '-i', '1', '-W', '2', l.ns.guestIp], 60_000)).stdout
  } catch (error) {
    ping = (error as {stdout?: string}).stdout ?? (error as Error).message
  }
  const report = await raw
  if (!report.ok) return {ok: false, detail: `raw-link agent: ${report.error}`}
  const m = /(\d+) packets transmitted, (\d+) received/.exec(ping)
  const requests = report.frames.map((f) => parseFrame(Buffer.from(f.hex, 'hex'))).filter((f) => f?.arp?.op === 1 && f.arp.targetIp >= ipFromString('198.51.100.100')).length
  const arp = await command(l.ns, `kos:arp ${l.ns.hostIp}`, 'kos:arp resolved', signal)
  const ok = m !== null && Number(m[2]) === 12 && requests >= 16 && arp.ok
  return {ok, detail: `${report.sent} pings from 128 made-up neighbours, ${requests} guest ARP requests for them; real host's ping: ${m ? m[0] : 'no summary'}; guest cache: ${arp.reply}`}
}

/** One fragment (payload bytes [off, off + len) of whole) from src to the guest. */
function fragment(l: Link, src: number, id: number, whole: Buffer, off: number, len: number, more: boolean): Buffer {
  const p = ipv4Packet(src, l.guestIp, 17, whole.subarray(off, off + len), 64, id)
  p.writeUInt16BE((more ? 0x2000 : 0) | (off / 8), 6)
  p.writeUInt16BE(0, 10)
  p.writeUInt16BE(inetChecksum(p.subarray(0, 20)), 10)
  return ethernet(l.guestMac, l.hostMac, ETH_P_IPV4, p)
}

/** The fields of netecho's `kos:mem free_pages=N reasm=N dgrams=N ms=N` reply (-1 for one that is missing). */
export function parseKosMem(reply: string): {free: number; reasm: number; ms: number} {
  // Whole words: "ms=" alone would match inside "dgrams=".
  const field = (k: string) => { const m = new RegExp(`(?:^| )${k}=(\\d+)`).exec(reply); return m ? Number(m[1]) : -1 }
  return {free: field('free_pages'), reasm: field('reasm'), ms: field('ms')}
}

async function memory(ns: Netns, signal: AbortSignal): Promise<{free: number; reasm: number; ms: number; hostMs: number}> {
  const r = await command(ns, 'kos:mem', 'kos:mem', signal)
  return {...parseKosMem(r.reply), hostMs: Date.now()}
}

async function fragments(l: Link, signal: AbortSignal): Promise<Outcome> {
  const details: string[] = []
  let ok = true
  // The guest reassembles each request and fragments its reply.
  for (const size of [2000, 8000]) {
    let out = ''
    try {
      out = (await l.ns.run('ping', ['-c', '5', '-i', '0.3', '-W', '3', '-s', String(size), l.ns.guestIp], 60_000)).stdout
    } catch (error) {
      out = (error as {stdout?: string}).stdout ?? (error as Error).message
    }
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out)
    if (!m || Number(m[2]) !== 5) ok = false
    details.push(`ping -s ${size}: ${m ? m[0] : 'no summary'}`)
  }
  const udp = await runAgent({host: l.ns.guestIp, port: 7, ops: [
    {op: 'echo', count: 20, minSize: 8192, maxSize: 8192, seed: 5},
    {op: 'guest-send', to: l.ns.hostIp, count: 10, size: 8192},
  ]}, l.ns.prefix, signal)
  if (!udp.ok) ok = false
  details.push(summarizeReport(udp))
  // Overlapping fragments (bytes 1472-1479 twice) drop the datagram; the
  // same datagram in clean fragments afterwards is echoed.
  const data = Buffer.alloc(2000, 0x6b)
  const whole = udpDatagram(l.hostIp, 40_500, l.guestIp, 7, data)
  const overlapBefore = await dropCount(l.ns, 'ip_frag_overlap', signal)
  const send: RawSend[] = [
    {hex: fragment(l, l.hostIp, 0x7001, whole, 0, 1480, true).toString('hex'), atMs: 100},
    {hex: fragment(l, l.hostIp, 0x7001, whole, 1472, whole.length - 1472, false).toString('hex'), atMs: 150},
    {hex: fragment(l, l.hostIp, 0x7002, whole, 0, 1480, true).toString('hex'), atMs: 2500},
    {hex: fragment(l, l.hostIp, 0x7002, whole, 1480, whole.length - 1480, false).toString('hex'), atMs: 2550},
  ]
  const raw = await runRawLink({iface: l.ns.tap, send, listenMs: 5000, fromMac: macToString(l.guestMac)}, l.ns.prefix, signal)
  const echoes = raw.frames.map((f) => ({t: f.t, p: parseFrame(Buffer.from(f.hex, 'hex'))}))
    .filter((f) => f.p?.ip?.proto === 17 && f.p.ip.dst === l.hostIp)
  const early = echoes.filter((f) => f.t < 2500).length, late = echoes.filter((f) => f.t >= 2500).length
  const overlapAfter = await dropCount(l.ns, 'ip_frag_overlap', signal)
  const overlapOk = raw.ok && early === 0 && late === 2 && overlapAfter - overlapBefore === 1
  if (!overlapOk) ok = false
  details.push(`overlapping fragments: ${early} echo frames (want 0), ip_frag_overlap ${overlapBefore} -> ${overlapAfter} (want +1); clean fragments: ${late} echo frames (want 2)${raw.ok ? '' : ' raw-link agent: ' + raw.error}`)
  // A datagram past the reassembly limit (20000 bytes of UDP payload; the guest
  // takes 16384 bytes of IP payload, IPV4_REASM_MAX): no echo, each fragment
  // reaching past the limit counted as ip_fragment (3 of the 14 in 1480-byte
  // pieces: offsets 16280, 17760, 19240), and its slot freed at once.
  const big = udpDatagram(l.hostIp, 40_501, l.guestIp, 7, Buffer.alloc(20_000, 0x4f))
  const bigSend: RawSend[] = []
  for (let off = 0; off < big.length; off += 1480) {
    bigSend.push({hex: fragment(l, l.hostIp, 0x7003, big, off, Math.min(1480, big.length - off), off + 1480 < big.length).toString('hex'), atMs: 100 + bigSend.length * 5})
  }
  const bigBefore = await dropCount(l.ns, 'ip_fragment', signal)
  const bigRaw = await runRawLink({iface: l.ns.tap, send: bigSend, listenMs: 3000, fromMac: macToString(l.guestMac)}, l.ns.prefix, signal)
  const bigEchoes = bigRaw.frames.map((f) => parseFrame(Buffer.from(f.hex, 'hex'))).filter((f) => f?.ip?.proto === 17 && f.ip.dst === l.hostIp).length
  const bigAfter = await dropCount(l.ns, 'ip_fragment', signal)
  const bigMem = await memory(l.ns, signal)
  const bigOk = bigRaw.ok && bigRaw.sent === 14 && bigEchoes === 0 && bigAfter - bigBefore === 3 && bigMem.reasm === 0
  if (!bigOk) ok = false
  details.push(`20000-byte datagram in ${bigRaw.sent} fragments: ${bigEchoes} echo frames (want 0), ip_fragment ${bigBefore} -> ${bigAfter} (want +3), datagrams in reassembly ${bigMem.reasm} (want 0)${bigRaw.ok ? '' : ' raw-link agent: ' + bigRaw.error}`)
  // A flood of first fragments that never complete.
  const before = await memory(l.ns, signal)
  const noMemBefore = await dropCount(l.ns, 'ip_frag_no_mem', signal)
  const flood: RawSend[] = []
  const piece = udpDatagram(ipFromString('198.51.100.50'), 1, l.guestIp, 7, Buffer.alloc(3000, 1))
  for (let i = 0; i < 400; i++) flood.push({hex: fragment(l, ipFromString('198.51.100.50'), 0x8000 + i, piece, 0, 1480, true).toString('hex'), atMs: 50 + i * 5})
  const fr = await runRawLink({iface: l.ns.tap, send: flood, listenMs: 2500}, l.ns.prefix, signal)
  const during = await memory(l.ns, signal)
  const noMemAfter = await dropCount(l.ns, 'ip_frag_no_mem', signal)
  // Past the guest's 15 s reassembly timeout, by the guest's own clock.
  let after = await memory(l.ns, signal)
  for (let i = 0; i < 40 && after.ms >= 0 && after.ms - during.ms < 16_000; i++) {
    await new Promise((r) => setTimeout(r, 1000))
    after = await memory(l.ns, signal)
  }
  const floodOk = fr.ok && fr.sent === 400 && before.free > 0 && during.free === before.free && after.free === before.free &&
    during.reasm === 4 && after.reasm === 0 && noMemAfter - noMemBefore === 396
  if (!floodOk) ok = false
  details.push(`fragment flood (400 never-completed datagrams): free pages ${before.free} -> ${during.free} -> ${after.free} after the timeout, datagrams in reassembly ${before.reasm} -> ${during.reasm} -> ${after.reasm}, ip_frag_no_mem +${noMemAfter - noMemBefore} (want +396); guest clock ${after.ms - during.ms} ms over ${after.hostMs - during.hostMs} host ms`)
  return {ok, detail: details.join('; ')}
}

export async function linkCheck(check: string, ns: Netns, signal: AbortSignal): Promise<Outcome> {
  if (!(LINK_CHECKS as readonly string[]).includes(check)) return {ok: false, detail: `unknown link check "${check}" (known: ${LINK_CHECKS.join(', ')})`}
  const capture = await startCapture(ns)
  let quit: {ok: boolean; reply: string} | null = null
  try {
    const l = await discover(ns, signal)
    if (typeof l === 'string') return {ok: false, detail: l}
    const out = check === 'arp-probe' ? await arpProbe(l)
      : check === 'bad-source' ? await badSource(l, signal)
        : check === 'arp-flood' ? await arpFlood(l, signal) : await fragments(l, signal)
    quit = await command(ns, 'kos:quit', 'kos:bye', signal)
    await capture.stop()
    const verdict = await judgeCapture(ns, capture.file, macToString(l.guestMac))
    return {ok: out.ok && quit.ok && verdict.ok, detail: `${out.detail}; quit: ${quit.reply}; ${verdict.detail}`}
  } finally {
    // Whatever failed, let the guest finish instead of running into the timeout.
    if (!quit && !signal.aborted) await command(ns, 'kos:quit', 'kos:bye', signal).catch(() => null)
    await capture.stop()
    capture.remove()
  }
}
