// The tcp-flood-tap peer: a SYN flood (distinct random source ports) and
// malformed TCP segments (bad data offsets, bad checksums, options whose
// lengths lie, nonsense flags) written raw onto the case's TAP from the
// namespace (the raw-link agent), in batches each followed by a ping the
// guest must answer; then curl is served as usual (tcp.ts) and the guest's
// /proc/net/tcp, printed by httpd at exit, must count every malformed
// segment under its reason and every SYN as a passive open. The guest's own
// leak check (free pages at the end of init) covers memory.
import type {Netns} from '../qemu/netns.js'
import type {PeerVerdict} from '../suites/types.js'
import {ETH_P_IPV4, ethernet, inetChecksum, ipFromString, ipv4Packet, lcg, macFromString, macToString} from './frames.js'
import {runRawLink} from './rawlink.js'
import {waitForSerial} from './serial.js'
import {curlHttpd, curlInNetns} from './tcp.js'

const PROTO_TCP = 6
const SYN = 0x02
const HTTP_PORT = 80

export type BadKind = 'tcp_bad_offset' | 'tcp_bad_csum' | 'tcp_bad_option' | 'tcp_bad_flags'
export const BAD_KINDS: BadKind[] = ['tcp_bad_offset', 'tcp_bad_csum', 'tcp_bad_option', 'tcp_bad_flags']

/** Options areas (4 or 8 bytes) in which one option lies about its length. */
const LYING_OPTIONS = [
  [2, 8, 5, 0xb4], [3, 1, 0, 0], [8, 10, 0, 0], [1, 1, 1, 2], [2, 3, 0, 0], [3, 4, 7, 0], [8, 6, 0, 0, 0, 0, 0, 0], [30, 0, 0, 0],
]
/** Flag sets the guest must refuse: SYN+FIN, SYN+RST, none, FIN alone, SYN+FIN+RST, URG alone, PSH alone. */
const BAD_FLAGS = [0x03, 0x06, 0x00, 0x01, 0x07, 0x20, 0x08]

export interface TcpSegment {
  src: number
  dst: number
  sport: number
  dport: number
  seq: number
  flags: number
  options?: number[]
  /** Data offset in 32-bit words written as it is (default: the real header length). */
  offsetWords?: number
  /** XORed into the correct checksum (0: correct). */
  csumXor?: number
}

/** A TCP segment with its pseudo-header checksum (RFC 9293 3.1), optionally spoiled. */
export function tcpSegment(t: TcpSegment): Buffer {
  const opts = Buffer.from(t.options ?? [])
  const s = Buffer.alloc(20 + opts.length)
  s.writeUInt16BE(t.sport, 0)
  s.writeUInt16BE(t.dport, 2)
  s.writeUInt32BE(t.seq >>> 0, 4)
  s[12] = ((t.offsetWords ?? s.length / 4) & 15) << 4
  s[13] = t.flags
  s.writeUInt16BE(65535, 14)
  opts.copy(s, 20)
  const pseudo = (t.src >>> 16) + (t.src & 0xffff) + (t.dst >>> 16) + (t.dst & 0xffff) + PROTO_TCP + s.length
  s.writeUInt16BE(inetChecksum(s, pseudo) ^ (t.csumXor ?? 0), 16)
  return s
}

export interface FloodPlan {
  /** Segments in the order they go out, each with what the guest must count it as. */
  segments: Array<{seg: Buffer; kind: BadKind | 'syn'}>
  expect: Record<BadKind | 'syn', number>
}

/** syns SYNs from distinct random ports and bad malformed segments (a quarter of each kind), interleaved. */
export function floodPlan(src: number, dst: number, syns: number, bad: number, seed = 7): FloodPlan {
  const next = lcg(seed)
  const rnd = () => next() / 0x1000000   // [0, 1): lcg gives 24 bits
  const ports = Array.from({length: 64512}, (_, i) => 1024 + i)
  for (let i = ports.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [ports[i], ports[j]] = [ports[j], ports[i]]
  }
  const seq = () => Math.floor(rnd() * 0x100000000)
  const synSegs = Array.from({length: syns}, (_, i) =>
    ({seg: tcpSegment({src, dst, sport: ports[i], dport: HTTP_PORT, seq: seq(), flags: SYN, options: [2, 4, 5, 0xb4]}), kind: 'syn' as const}))
  const badSegs: FloodPlan['segments'] = []
  for (let i = 0; i < bad; i++) {
    const kind = BAD_KINDS[i % 4]
    const sport = 1024 + Math.floor(rnd() * 64000)
    const base = {src, dst, sport, dport: HTTP_PORT, seq: seq(), flags: SYN}
    let seg: Buffer
    const v = (i >> 2) % 15
    if (kind === 'tcp_bad_offset') seg = tcpSegment({...base, offsetWords: v < 5 ? v : v + 1})  // below 5 words, or past the 20-byte end
    else if (kind === 'tcp_bad_csum') seg = tcpSegment({...base, csumXor: 1 + Math.floor(rnd() * 0xfffe)})
    else if (kind === 'tcp_bad_option') seg = tcpSegment({...base, options: LYING_OPTIONS[(i >> 2) % LYING_OPTIONS.length]})
    else seg = tcpSegment({...base, flags: BAD_FLAGS[(i >> 2) % BAD_FLAGS.length]})
    badSegs.push({seg, kind})
  }
  const segments: FloodPlan['segments'] = []
  const every = Math.max(1, Math.floor(syns / Math.max(1, bad)))
  let b = 0
  synSegs.forEach((s, i) => {
    segments.push(s)
    if (i % every === every - 1 && b < badSegs.length) segments.push(badSegs[b++])
  })
  while (b < badSegs.length) segments.push(badSegs[b++])
  const expect = {syn: syns, tcp_bad_offset: 0, tcp_bad_csum: 0, tcp_bad_option: 0, tcp_bad_flags: 0}
  for (const s of badSegs) expect[s.kind as BadKind]++
  return {segments, expect}
}

/** "drop REASON N" lines and the totals of a /proc/net/tcp text. */
export function parseTcpProc(text: string): {drops: Record<string, number>; totals: Record<string, number>} {
  const drops: Record<string, number> = {}
  for (const m of text.matchAll(/^drop (\S+) (\d+)$/gm)) drops[m[1]] = Number(m[2])
  const totals: Record<string, number> = {}
  const t = /^totals (.*)$/m.exec(text)
  const words = t ? t[1].trim().split(/\s+/) : []
  for (let i = 0; i + 1 < words.length; i += 2) totals[words[i]] = Number(words[i + 1])
  return {drops, totals}
}

async function tapTxDropped(ns: Netns): Promise<number> {
  const {stdout} = await ns.run('ip', ['-s', 'link', 'show', ns.tap])
  const m = /TX:[^\n]*\n\s*\d+\s+\d+\s+\d+\s+(\d+)/.exec(stdout)
  return m ? Number(m[1]) : -1
}

export async function floodTap(ns: Netns, o: {syns: number; bad: number; batch: number; repoRoot: string; serialPath: string; since: number},
  signal: AbortSignal): Promise<PeerVerdict> {
  await waitForSerial(o.serialPath, /httpd: listening on port 80/, 240_000, signal, o.since)
  // Both MACs: a ping fills the namespace's neighbour table.
  await ns.run('ping', ['-c', '3', '-i', '0.2', '-W', '5', ns.guestIp], 60_000)
  const {stdout: neigh} = await ns.run('ip', ['neigh', 'show', ns.guestIp])
  const {stdout: link} = await ns.run('ip', ['link', 'show', ns.tap])
  const g = /lladdr ([0-9a-f:]{17})/i.exec(neigh), h = /link\/ether ([0-9a-f:]{17})/i.exec(link)
  if (!g || !h) return {ok: false, detail: `MACs not found (neighbour: ${neigh.trim()}; link: ${link.trim()})`}
  const guestMac = macFromString(g[1]), hostMac = macFromString(h[1])
  // Room for a batch and the host's RSTs to the guest's SYN-ACKs in the TAP's queue.
  await ns.run('ip', ['link', 'set', 'dev', ns.tap, 'txqueuelen', String(4 * o.batch)])
  const plan = floodPlan(ipFromString(ns.hostIp), ipFromString(ns.guestIp), o.syns, o.bad)
  const frames = plan.segments.map((s) => ethernet(guestMac, hostMac, ETH_P_IPV4, ipv4Packet(ipFromString(ns.hostIp), ipFromString(ns.guestIp), PROTO_TCP, s.seg)))
  const dropped0 = await tapTxDropped(ns)
  let pings = 0, answered = 0
  for (let i = 0; i < frames.length; i += o.batch) {
    if (signal.aborted) throw new Error('stopped')
    const send = frames.slice(i, i + o.batch).map((f) => ({hex: f.toString('hex'), atMs: 0}))
    const r = await runRawLink({iface: ns.tap, send, listenMs: 0, fromMac: macToString(guestMac)}, ns.prefix, signal)
    if (!r.ok || r.sent !== send.length) return {ok: false, detail: `raw-link agent: ${r.error ?? `sent ${r.sent} of ${send.length}`}`}
    // The guest takes frames in order: its answer to this ping means the batch was handled.
    pings++
    const p = await ns.run('ping', ['-c', '1', '-W', '30', ns.guestIp], 60_000).catch(() => undefined)
    if (p && / 0% packet loss/.test(p.stdout)) answered++
  }
  const lost = (await tapTxDropped(ns)) - dropped0
  const served = await curlHttpd(curlInNetns(ns), {files: ['/www/1m', '/www/0'], repoRoot: o.repoRoot, serialPath: o.serialPath, since: o.since}, signal)
  const m = await waitForSerial(o.serialPath, /httpd: served (\d+) connections\s*\nhttpd: \/proc\/net\/tcp\n([\s\S]*?)\nok \d+ httpd/, 60_000, signal, o.since)
  const conns = Number(m[1])
  const {drops, totals} = parseTcpProc(m[2])
  const checks: Array<[string, boolean]> = [
    [`${pings}/${pings} pings answered between the batches (${answered})`, answered === pings],
    [`no frame lost on the host side of the TAP (${lost})`, lost === 0],
    ...BAD_KINDS.map((k): [string, boolean] => [`${k} ${drops[k] ?? 0} of ${plan.expect[k]}`, (drops[k] ?? 0) === plan.expect[k]]),
    [`passive opens ${totals.passive_opens} = ${o.syns} SYNs + ${conns} served`, totals.passive_opens === o.syns + conns],
    [`curl served afterwards: ${served.detail}`, served.ok],
  ]
  const bad = checks.filter(([, ok]) => !ok).map(([n]) => n)
  return {ok: bad.length === 0,
    detail: `${o.syns} SYNs and ${o.bad} malformed segments in batches of ${o.batch}; syn_evicted ${totals.syn_evicted}, ` +
      `the host's RSTs: ${totals.resets_received} reset an embryonic connection, ${drops.tcp_no_port ?? 0} came after its eviction; ` +
      (bad.length ? `FAILED: ${bad.join('; ')}` : checks.map(([n]) => n).join('; ')),
    findings: {expect: plan.expect, drops, totals, pings, answered, tapTxLost: lost, servedConnections: conns, curl: served.findings ?? null}}
}
