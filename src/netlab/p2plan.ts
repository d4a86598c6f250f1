// The p2p-lan peer: N kos guests running p2pd on one bridged LAN inside the
// case's namespace (profile lan-tap, createLanNetns). The host build of the
// p2p client, run in the namespace, drives every guest's control port
// (ctl_listen=0.0.0.0); the guests talk to each other only over the LAN.
// Steps (option `steps`, in this order):
//   mesh      every guest dials every other one (seeded by address: libp2p
//             mDNS is not in p2pd yet); each lists all others in `p2p peers`
//   discover  the guests find each other by libp2p mDNS (p2pd mdns=1) and dial
//             what they find: each lists all others in `p2p mdns` and `p2p peers`
//   identify  each guest's identify of each other: agent, protocols, listen address
//   ping      `p2p ping` every ordered pair, every RTT line present
//   echo      `p2p echo` every ordered pair, every byte verified by the dialler
//   health    every health monitor shows every other guest up with an RTT
//   mem       guest 1's memory per connection: free memory (p2p mem) when all
//             were ready minus now, over the connections made since (kos bench)
//   dht       a /kos/ value put (p2p put) on the last guest `kill` names (of
//             two victims the one that stays dead) is read (p2p getvalue) on
//             every other guest; lookup ms and hops are kos bench figures
//             (dht_lookup_ms, dht_lookup_hops: medians over the readers)
//   churn     two guests' QEMUs are SIGKILLed: every survivor's monitor marks
//             them suspect, then down, within the stated bound of silence
//             (health_down + 2 s); the first is booted again with the same
//             seed (same PeerId) and every monitor, its own included, shows
//             everyone it should as up again
//   rpc       p2p call between 3 x N random pairs: add (the sum checked) and id (the callee's PeerId)
//   files     guest 2 adds a file (p2p addgen), four others fetch it at once (p2p get): same size and SHA-256
//   fetchbench guest 1 fetches a file held by guest 2 alone, then one held by guests 2-4: kos bench figures
//   jobchurn  churn while guest 1 runs the distributed primes job (p2p job
//             primes, WASM slices on the peers; option churnJob: false leaves
//             it out) and guest 3 fetches a file (option churnFileSize, 0
//             leaves it out) whose providers are the first victim and guest 2:
//             the fetch must complete with the right bytes. With the job the
//             victims are told to hold the WASM requests they get (p2p
//             wasm_hang 1) and are killed once each has logged one, so the
//             kill lands mid-job on any host: the job must give pi(200000) =
//             17984, every slice a victim held retried elsewhere (peer gone,
//             once guest 1's monitor marks it down), none answered by a victim
//   dhtread   after the churn every live guest (the restarted one too) reads
//             that value again: with the putter dead, from the replicas
// Then every live guest prints its health table (the overlay kos draws) and quits.
import path from 'node:path'
import {readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import type {GuestControl, PeerContext, PeerSpec, PeerVerdict} from '../suites/types.js'
import type {LanNetns} from '../qemu/netns.js'
import {P2PD_READY, runCli} from './libp2p.js'
import {waitForSerial} from './serial.js'
import {filesCounters} from './helia.js'

export const P2P_LAN_STEPS = ['mesh', 'discover', 'identify', 'ping', 'echo', 'health', 'mem', 'dht', 'rpc', 'files', 'fetchbench', 'churn', 'jobchurn', 'dhtread'] as const
type Step = (typeof P2P_LAN_STEPS)[number]

/** How long a guest may take to boot and start p2pd under TCG (many guests share two cores). */
const READY_TIMEOUT_MS = 300_000
/** p2pd's defaults (user/p2p/core/health.h); the case may pass others on its command line. */
const HEALTH_DOWN_MS = 6000
/** Slack over health_down for a monitor's loop turn on a loaded host. */
const DOWN_SLACK_MS = 2000

export interface LanGuest {
  guest: number
  ip: string
  id: string
  port: number
  ctl: number
  alive: boolean
}

/** The address guest g has on the LAN: ip=198.51.100.mac with the MAC 52:54:00:12:34:(0x56+g-1) the runner gives it. */
export const lanGuestIp = (g: number): string => `198.51.100.${0x56 + g - 1}`

export interface HealthRow {
  peer: string
  state: string
  rttUs: number | null
  lossPct: number
  silentMs: number
}

export function parseHealthTable(lines: string[]): HealthRow[] {
  const rows: HealthRow[] = []
  for (const l of lines) {
    const m = /^peer (\w+) state (\w+) rtt_us (-|\d+) loss_pct (\d+) sent \d+ lost \d+ silent_ms (\d+)/.exec(l)
    if (m) rows.push({peer: m[1], state: m[2], rttUs: m[3] === '-' ? null : Number(m[3]), lossPct: Number(m[4]), silentMs: Number(m[5])})
  }
  return rows
}

interface Ctx {
  /** Figures for kos bench, printed on guest 1's console (p2p metric) at the end. */
  metrics: [string, number, string][]
  /** The DHT value the dht step put, as p2p get prints it (SEQ:VALUE). */
  dhtValue?: string
  /** Guest 1's `p2p mem` line when p2pd was ready. */
  memBase?: Record<string, number>
  ns: LanNetns
  cli: string
  guests: LanGuest[]
  control: GuestControl
  signal: AbortSignal
  since: number
  details: string[]
  findings: Record<string, unknown>
  fail: (why: string) => void
}

function cli(c: Ctx, g: LanGuest, args: string[], timeoutMs = 300_000) {
  return runCli({prefix: c.ns.prefix, p2pCli: c.cli, guestIp: g.ip, ctl: g.ctl}, args, timeoutMs)
}

/** Runs fn over items, at most `limit` at once (the guests share two host cores). */
async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, async () => {
    while (next < items.length) await fn(items[next++])
  }))
}

async function waitGuest(c: Ctx, g: number, since: number): Promise<LanGuest> {
  const m = await waitForSerial(c.control.serialPath(g), P2PD_READY, READY_TIMEOUT_MS, c.signal, since)
  return {guest: g, ip: lanGuestIp(g), id: m[1], port: Number(m[2]), ctl: Number(m[3]), alive: true}
}

const pairs = (gs: LanGuest[]): [LanGuest, LanGuest][] => gs.flatMap((a) => gs.filter((b) => b !== a).map((b): [LanGuest, LanGuest] => [a, b]))

async function mesh(c: Ctx): Promise<void> {
  const t0 = Date.now()
  const dialPairs = c.guests.flatMap((a, i) => c.guests.slice(i + 1).map((b): [LanGuest, LanGuest] => [a, b]))
  let ok = 0
  await pool(dialPairs, 4, async ([a, b]) => {
    const r = await cli(c, a, ['dial', `/ip4/${b.ip}/tcp/${b.port}/p2p/${b.id}`])
    if (r.status === 0 && r.lines.at(-1) === `ok connected ${b.id} agent=kos/0.1.0`) ok++
    else c.fail(`guest ${a.guest} dial guest ${b.guest}: ${r.lines.join(' | ')}`)
  })
  const listed: Record<string, number> = {}
  for (const g of c.guests) {
    const r = await cli(c, g, ['peers'])
    const others = c.guests.filter((o) => o !== g)
    const seen = others.filter((o) => r.lines.some((l) => l.startsWith(`peer ${o.id} /ip4/${o.ip}/tcp/`)))
    listed[g.guest] = seen.length
    if (seen.length !== others.length) c.fail(`guest ${g.guest} lists ${seen.length}/${others.length} peers: ${r.lines.join(' | ')}`)
  }
  c.findings.mesh = {dials: dialPairs.length, connected: ok, listed, ms: Date.now() - t0}
  c.details.push(`mesh: ${ok}/${dialPairs.length} dials, every guest lists ${Object.values(listed).join(',')} peers`)
}

/** Every guest's `p2p peers` names every other guest at its LAN address (how they got connected is the step's business). */
async function listsAll(c: Ctx, g: LanGuest, cmd: string, line: (o: LanGuest) => string): Promise<number> {
  const r = await cli(c, g, [cmd])
  return c.guests.filter((o) => o !== g && r.lines.some((l) => l.startsWith(line(o)))).length
}

async function discover(c: Ctx, timeoutMs: number): Promise<void> {
  const t0 = Date.now()
  const others = c.guests.length - 1
  const pending = new Set(c.guests)
  while (pending.size > 0 && Date.now() - t0 < timeoutMs) {
    if (c.signal.aborted) throw new Error('stopped')
    for (const g of [...pending]) {
      const found = await listsAll(c, g, 'mdns', (o) => `mdns_peer /ip4/${o.ip}/tcp/${o.port}/p2p/${o.id} `)
      const connected = await listsAll(c, g, 'peers', (o) => `peer ${o.id} /ip4/${o.ip}/tcp/`)
      if (found === others && connected === others) pending.delete(g)
    }
    if (pending.size > 0) await sleep(1000)
  }
  if (pending.size > 0) {
    c.fail(`discover: guests ${[...pending].map((g) => g.guest).join(',')} did not find and connect to all ${others} others by mDNS within ${timeoutMs / 1000} s`)
    return
  }
  c.findings.discoverMs = Date.now() - t0
  c.metrics.push(['p2p_discover_all_wall', Date.now() - t0, 'ms'])
  c.details.push(`discover: every guest found all ${others} others by libp2p mDNS and is connected to them (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

async function identify(c: Ctx): Promise<void> {
  const want = ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/kos/echo/1.0.0']
  let ok = 0
  for (const [a, b] of pairs(c.guests)) {
    const r = await cli(c, a, ['identify', b.id])
    const field = (k: string) => r.lines.find((l) => l.startsWith(k + ' '))?.slice(k.length + 1) ?? ''
    const protos = field('protocols').split(',')
    const good = r.status === 0 && field('agent') === 'kos/0.1.0' && field('protocol_version') === 'ipfs/0.1.0' &&
      want.every((p) => protos.includes(p)) && field('listen').split(',').includes(`/ip4/${b.ip}/tcp/${b.port}`) &&
      field('observed').startsWith(`/ip4/${a.ip}/tcp/`)
    if (good) ok++
    else c.fail(`guest ${a.guest} identify of guest ${b.guest}: ${r.lines.join(' | ')}`)
  }
  c.details.push(`identify: ${ok}/${pairs(c.guests).length} (agent kos/0.1.0, 4 protocols, listen and observed addresses)`)
}

async function ping(c: Ctx, count: number): Promise<void> {
  const medians: number[] = []
  for (const [a, b] of pairs(c.guests)) {
    const r = await cli(c, a, ['ping', b.id, String(count)])
    const rtts = r.lines.filter((l) => /^rtt_us \d+$/.test(l)).map((l) => Number(l.slice(7)))
    if (r.status !== 0 || rtts.length !== count || !r.lines.at(-1)?.startsWith(`ok ${count} pings`)) c.fail(`guest ${a.guest} ping guest ${b.guest}: ${r.lines.slice(-2).join(' | ')}`)
    else medians.push([...rtts].sort((x, y) => x - y)[Math.floor(count / 2)])
  }
  c.findings.pingMediansUs = medians
  c.details.push(`ping: ${medians.length}/${pairs(c.guests).length} pairs x ${count}, median RTTs ${medians.map((m) => (m / 1000).toFixed(1)).join(',')} ms`)
}

async function echo(c: Ctx, streams: number, size: number): Promise<void> {
  let ok = 0
  const ms: number[] = []
  for (const [a, b] of pairs(c.guests)) {
    const t0 = Date.now()
    const r = await cli(c, a, ['echo', b.id, String(streams), String(size)], 600_000)
    if (r.status === 0 && r.lines.at(-1) === `ok echo ${streams * size} bytes verified`) {
      ok++
      ms.push(Date.now() - t0)
    } else c.fail(`guest ${a.guest} echo to guest ${b.guest}: ${r.lines.join(' | ')}`)
  }
  c.findings.echoMs = ms
  c.details.push(`echo: ${ok}/${pairs(c.guests).length} pairs x ${streams} streams x ${size} B verified`)
}

async function healthOf(c: Ctx, g: LanGuest): Promise<HealthRow[] | null> {
  const r = await cli(c, g, ['health'], 60_000)
  return r.status === 0 ? parseHealthTable(r.lines) : null
}

/** Polls every live monitor until `want(monitor, row of peer)` holds for every listed peer; the ms it took per monitor, or null at the deadline. */
async function until(c: Ctx, monitors: LanGuest[], peers: (m: LanGuest) => LanGuest[], want: (row: HealthRow | undefined) => boolean, timeoutMs: number):
  Promise<Map<number, number> | null> {
  const t0 = Date.now()
  const done = new Map<number, number>()
  while (Date.now() - t0 < timeoutMs) {
    if (c.signal.aborted) throw new Error('stopped')
    for (const m of monitors) {
      if (done.has(m.guest)) continue
      const rows = await healthOf(c, m)
      if (rows && peers(m).every((p) => want(rows.find((r) => r.peer === p.id)))) done.set(m.guest, Date.now() - t0)
    }
    if (done.size === monitors.length) return done
    await sleep(1000)
  }
  return null
}

async function memOf(c: Ctx, g: LanGuest): Promise<Record<string, number>> {
  const r = await cli(c, g, ['mem'], 60_000)
  const line = r.lines.find((l) => l.startsWith('mem '))
  if (r.status !== 0 || !line) throw new Error(`guest ${g.guest} mem: ${r.lines.join(' | ')}`)
  return Object.fromEntries(line.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]))
}

async function mem(c: Ctx): Promise<void> {
  const g = c.guests[0]
  const now = await memOf(c, g)
  const base = c.memBase!
  // mDNS may have connected some guests before the first figure: count only the connections made since.
  const added = now.conns - base.conns
  if (added < 1 || base.free_bytes < 0) { c.fail(`mem: guest 1 went from ${base.conns} to ${now.conns} connections, free memory ${base.free_bytes}`); return }
  const perConn = Math.round((base.free_bytes - now.free_bytes) / added)
  c.findings.mem = {base, now, perConn}
  c.metrics.push(['p2p_conn_memory', perConn, 'bytes'], ['p2p_conn_slot', now.conn_slot_bytes, 'bytes'])
  c.details.push(`mem: guest 1 went from ${base.conns} to ${now.conns} connections (${now.streams} streams) and ${Math.round((base.free_bytes - now.free_bytes) / 1024)} KiB more in use: ${Math.round(perConn / 1024)} KiB per connection, plus a ${now.conn_slot_bytes}-byte static slot`)
}

const DHT_KEY = '/kos/lan-value'

/**
 * `p2p getvalue` of the DHT value on every guest in `readers`: the hops and ms of each lookup. The
 * lookup asks the closest peers even when the reader holds a copy (hop 0): values counts the valid
 * records it got, its own included, so at least 2 means a copy came over the network.
 */
async function dhtReadAll(c: Ctx, readers: LanGuest[], want: string, tag: string): Promise<{hops: number[]; ms: number[]; values: number[]}> {
  const hops: number[] = [], ms: number[] = [], values: number[] = []
  await pool(readers, 4, async (g) => {
    const r = await cli(c, g, ['getvalue', DHT_KEY], 120_000)
    const ok = r.lines.at(-1) ?? ''
    const m = /^ok get \S+ from=\w+ values=(\d+) hops=(\d+) queried=\d+ failed=\d+ ms=(\d+)/.exec(ok)
    if (r.status !== 0 || !m || !r.lines.includes(`value ${want}`) || Number(m[1]) < 2) c.fail(`${tag}: guest ${g.guest} get ${DHT_KEY}: ${r.lines.join(' | ')}`)
    else { values.push(Number(m[1])); hops.push(Number(m[2])); ms.push(Number(m[3])) }
  })
  return {hops, ms, values}
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

async function dht(c: Ctx, putter: LanGuest): Promise<void> {
  const value = `from-guest-${putter.guest}`
  const put = await cli(c, putter, ['put', DHT_KEY, value], 120_000)
  const m = /^ok put \S+ stored=(\d+) of (\d+)/.exec(put.lines.at(-1) ?? '')
  if (put.status !== 0 || !m || Number(m[1]) < 1) { c.fail(`dht: guest ${putter.guest} put: ${put.lines.join(' | ')}`); return }
  c.dhtValue = put.lines.find((l) => l.startsWith('seq '))?.slice(4) + ':' + value
  const readers = c.guests.filter((g) => g.alive && g !== putter)
  const {hops, ms, values} = await dhtReadAll(c, readers, c.dhtValue, 'dht')
  c.findings.dht = {putter: putter.guest, stored: Number(m[1]), of: Number(m[2]), hops, ms, values}
  if (ms.length === readers.length) {
    c.metrics.push(['dht_lookup_ms', median(ms), 'ms'], ['dht_lookup_hops', median(hops), 'hops'])
    c.details.push(`dht: guest ${putter.guest} put ${DHT_KEY} (stored on ${m[1]} of ${m[2]}), all ${readers.length} others read it: median ${median(ms)} ms, ${median(hops)} hops`)
  }
}

async function dhtRead(c: Ctx): Promise<void> {
  if (!c.dhtValue) { c.fail('dhtread: no value was put (step dht)'); return }
  const live = c.guests.filter((g) => g.alive)
  const {ms, hops, values} = await dhtReadAll(c, live, c.dhtValue, 'dhtread')
  c.findings.dhtread = {readers: live.map((g) => g.guest), hops, ms, values}
  if (ms.length === live.length) c.details.push(`dhtread: after the churn all ${live.length} live guests still read ${DHT_KEY} (${Math.min(...values)}-${Math.max(...values)} valid copies each, hops ${Math.min(...hops)}-${Math.max(...hops)})`)
}

/** A reproducible sequence of guest pairs (xorshift: the same pairs every run). */
function randomPairs(gs: LanGuest[], count: number, seed = 0x2545f491): [LanGuest, LanGuest][] {
  let x = seed
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % gs.length }
  return Array.from({length: count}, () => {
    const a = next()
    let b = next()
    if (b === a) b = (a + 1) % gs.length
    return [gs[a], gs[b]]
  })
}

async function rpc(c: Ctx): Promise<void> {
  const live = c.guests.filter((g) => g.alive)
  const calls = randomPairs(live, 3 * live.length)
  let ok = 0
  await pool(calls.map((p, i) => [p, i] as const), 4, async ([[a, b], i]) => {
    const sum = await cli(c, a, ['call', b.id, 'add', String(i * 1000 + a.guest), String(-b.guest)], 60_000)
    const who = await cli(c, a, ['call', b.id, 'id'], 60_000)
    if (sum.lines.at(-1) === `ok ${i * 1000 + a.guest - b.guest}` && who.lines.at(-1) === `ok ${b.id}`) ok++
    else c.fail(`rpc: guest ${a.guest} -> guest ${b.guest}: ${[...sum.lines, ...who.lines].join(' | ')}`)
  })
  c.details.push(`rpc: ${ok}/${calls.length} random pairs answered add and id right`)
}

interface Added { cid: string; size: number }

async function addgen(c: Ctx, g: LanGuest, size: number, seed: number): Promise<Added | null> {
  const r = await cli(c, g, ['addgen', String(size), String(seed)], 300_000)
  const m = /^ok (\w+) size (\d+) chunks \d+/.exec(r.lines.at(-1) ?? '')
  if (r.status !== 0 || !m || Number(m[2]) !== size) { c.fail(`guest ${g.guest} addgen ${size} ${seed}: ${r.lines.join(' | ')}`); return null }
  return {cid: m[1], size}
}

interface Got { sha: string; providers: number; ms: number; endedAt: number; servedBy: Record<string, number> }

async function fetchFile(c: Ctx, g: LanGuest, f: Added, tag: string): Promise<Got | null> {
  const out = `/tmp/lan-${f.cid.slice(-8)}`
  const r = await cli(c, g, ['get', f.cid, out, 'timeout_ms=600000'], 700_000)
  const m = /^ok got (\w+) size (\d+) blocks \d+ providers (\d+) ms (\d+)/.exec(r.lines.at(-1) ?? '')
  const sha = r.lines.find((l) => l.startsWith('sha256 '))?.slice(7) ?? ''
  if (r.status !== 0 || !m || m[1] !== f.cid || Number(m[2]) !== f.size || !sha) { c.fail(`${tag}: guest ${g.guest} get ${f.cid}: ${r.lines.slice(-3).join(' | ')}`); return null }
  const endedAt = Date.now()
  await cli(c, g, ['rm', out], 60_000)
  const servedBy = Object.fromEntries(r.lines.flatMap((l) => { const p = /^provider (\w+) blocks (\d+)/.exec(l); return p ? [[p[1], Number(p[2])]] : [] }))
  return {sha, providers: Number(m[3]), ms: Number(m[4]), endedAt, servedBy}
}

async function files(c: Ctx, size: number): Promise<void> {
  const [adder, ...rest] = c.guests.slice(1).filter((g) => g.alive)
  const fetchers = rest.slice(0, 4)
  const f = adder && fetchers.length === 4 ? await addgen(c, adder, size, 7) : null
  if (!f) { if (fetchers.length < 4) c.fail('files: needs six guests'); return }
  const got = await Promise.all(fetchers.map((g) => fetchFile(c, g, f, 'files')))
  const shas = new Set(got.map((x) => x?.sha))
  if (got.some((x) => !x) || shas.size !== 1) { c.fail(`files: the fetches disagree (${[...shas].join(', ')})`); return }
  c.details.push(`files: guest ${adder.guest} added ${size} B as ${f.cid}; guests ${fetchers.map((g) => g.guest).join(',')} fetched it at once, same SHA-256`)
}

async function fetchBench(c: Ctx, size: number): Promise<void> {
  const [me, a, b, d] = c.guests
  if (!d) { c.fail('fetchbench: needs four guests'); return }
  const one = await addgen(c, a, size, 11)
  const three = (await Promise.all([a, b, d].map((g) => addgen(c, g, size, 13))))[0]
  if (!one || !three) return
  const g1 = await fetchFile(c, me, one, 'fetchbench')
  const g3 = await fetchFile(c, me, three, 'fetchbench')
  if (!g1 || !g3) return
  if (g1.providers !== 1 || g3.providers !== 3) c.fail(`fetchbench: served by ${g1.providers} and ${g3.providers} providers, not 1 and 3`)
  const kbps = (g: Got) => Math.round(size * 8 / Math.max(1, g.ms))
  c.metrics.push(['files_fetch_1_provider', kbps(g1), 'kbit/s'], ['files_fetch_3_providers', kbps(g3), 'kbit/s'])
  c.details.push(`fetchbench: ${size} B from 1 provider in ${g1.ms} ms, from 3 in ${g3.ms} ms`)
}

/** pi(200000), the count the distributed job must find. */
const PRIMES_BELOW_200000 = 17984

/** The victims' own log line for each WASM request they took and, told to (p2p wasm_hang 1), never answered. */
const HELD = /p2pd: wasm request for count_range held \(wasm_hang\)/g

/**
 * Waits until the victim has sent at least one block (its `p2p files` blocks_out grew), and at least
 * `minMs`: the kill must interrupt a fetch the victim takes part in, on any host speed.
 */
async function servedOne(c: Ctx, victim: LanGuest, minMs: number): Promise<void> {
  const served = async () => filesCounters((await cli(c, victim, ['files'], 60_000)).lines).blocks_out ?? 0
  const base = await served()
  const t0 = Date.now()
  for (const end = t0 + 300_000; Date.now() < end && !c.signal.aborted; await sleep(100)) {
    if (Date.now() - t0 >= minMs && (await served()) > base) return
  }
  c.fail(`fetch during churn: guest ${victim.guest} served no block within 300 s`)
}

async function jobChurn(c: Ctx, kill: number[], downBoundMs: number, killAfterMs: number, fileSize: number, withJob: boolean): Promise<void> {
  const runner = c.guests[0]
  // The fetch's providers: the first victim and guest 2 (same bytes, same CID); guest 3 fetches.
  const victim = c.guests.find((g) => g.guest === kill[0])
  const victims = c.guests.filter((g) => kill.includes(g.guest))
  const both = fileSize > 0 && victim ? await Promise.all([victim, c.guests[1]].map((g) => addgen(c, g, fileSize, 17))) : []
  // With the job the victims hold the slices they are dealt (wasm_hang), so the kill lands mid-job on any
  // host speed: the job cannot end until guest 1 finds them gone. slice_ms is far above that, so every
  // retry is a peer-gone one, never a timeout.
  if (withJob) {
    for (const v of victims) {
      const r = await cli(c, v, ['wasm_hang', '1'], 60_000)
      if (r.lines.at(-1) !== 'ok') { c.fail(`job: guest ${v.guest} wasm_hang 1: ${r.lines.join(' | ')}`); return }
    }
  }
  const job = withJob ? cli(c, runner, ['job', 'primes', '200000', `slices=${2 * c.guests.length}`, 'slice_ms=400000'], 900_000) : null
  const fetch = both[0] && both[1] ? fetchFile(c, c.guests[2], both[0], 'fetch during churn') : Promise.resolve(null)
  if (withJob) await Promise.all(victims.map((v) => waitForSerial(c.control.serialPath(v.guest), HELD, 300_000, c.signal, c.since)))
  else if (victim && both[0]) await servedOne(c, victim, killAfterMs)
  else await sleep(killAfterMs)
  const killedAt = Date.now()
  // What each victim held when it died (its log is complete once its QEMU is gone).
  const held = new Map<string, number>()
  await churn(c, kill, downBoundMs, () => {
    for (const v of victims) held.set(v.id, readFileSync(c.control.serialPath(v.guest), 'utf8').match(HELD)?.length ?? 0)
  })
  const got = await fetch
  if (got && victim) {
    const fromVictim = got.servedBy[victim.id] ?? 0, fromOther = got.servedBy[c.guests[1].id] ?? 0
    // The proof needs a fetch that the kill interrupted: blocks from both, finished after the kill.
    if (got.endedAt < killedAt) c.fail(`fetch during churn: it ended before the kill (${got.ms} ms): churnFileSize is too small to prove anything`)
    else if (fromVictim < 1 || fromOther < 1) c.fail(`fetch during churn: blocks from the victim ${fromVictim}, from guest 2 ${fromOther}: not both providers served`)
    else c.details.push(`fetch during churn: guest 3 got ${fileSize} B, ${fromVictim} blocks from guest ${kill[0]} before it was killed and ${fromOther} from guest 2, in ${got.ms} ms`)
  }
  if (!job) return
  const r = await job
  c.findings.job = {lines: r.lines, held: Object.fromEntries(held)}
  const m = /^ok primes below 200000 = (\d+) \(local (\d+)\) slices (\d+) retries (\d+) peers (\d+)/.exec(r.lines.at(-1) ?? '')
  if (r.status !== 0 || !m || Number(m[1]) !== PRIMES_BELOW_200000 || Number(m[2]) !== PRIMES_BELOW_200000) {
    c.fail(`job: ${r.lines.slice(-3).join(' | ')}`)
    return
  }
  // Every slice a victim held is dealt again, each retry names a victim and says why: it went away.
  const retries = r.lines.flatMap((l) => { const x = /^retry \d+ \d+ peer (\w+): (.*)$/.exec(l); return x ? [{peer: x[1], why: x[2]}] : [] })
  const answeredByVictim = r.lines.filter((l) => victims.some((v) => l.startsWith('slice ') && l.includes(` peer ${v.id} `)))
  const bad = retries.filter((x) => !victims.some((v) => v.id === x.peer) || x.why !== 'peer gone')
  if (retries.length !== Number(m[4]) || bad.length > 0) c.fail(`job: ${m[4]} retries counted, ${retries.length} retry lines, not from a killed peer or not peer gone: ${bad.map((x) => `${x.peer}: ${x.why}`).join(', ')}`)
  if (answeredByVictim.length > 0) c.fail(`job: a victim answered a slice it should hold: ${answeredByVictim.join(' | ')}`)
  if (Number(m[5]) !== c.guests.length - 1) c.fail(`job: dealt over ${m[5]} peers, not the ${c.guests.length - 1} others`)
  for (const v of victims) {
    const h = held.get(v.id) ?? 0, again = retries.filter((x) => x.peer === v.id).length
    if (h < 1 || again < h) c.fail(`job: guest ${v.guest} held ${h} slices when it was killed, ${again} retried elsewhere`)
  }
  c.details.push(`job: primes below 200000 = ${m[1]} (the known count, checked by a local run) over ${m[3]} slices on ${m[5]} peers; guests ${kill.join(',')} were killed holding ${victims.map((v) => held.get(v.id)).join('+')} slices, ${m[4]} retried elsewhere (peer gone)`)
}

async function health(c: Ctx): Promise<void> {
  const live = c.guests.filter((g) => g.alive)
  const t = await until(c, live, (m) => live.filter((g) => g !== m), (r) => r?.state === 'up' && r.rttUs !== null, 120_000)
  if (!t) c.fail('health: not every monitor shows every other guest up with an RTT within 120 s')
  else c.details.push(`health: all ${live.length} monitors show ${live.length - 1} peers up with an RTT`)
}

/** The survivors' own log lines for killed peer k: a suspect then a down change, with the silence at the down mark. */
function downLines(log: string, self: string, peer: string): {suspect: boolean; silentMs: number | null} {
  let suspect = false
  let silentMs: number | null = null
  for (const l of log.split('\n')) {
    const m = /p2p-health: change self=(\w+) peer=(\w+) state=(\w+) .* silent_ms=(\d+)/.exec(l)
    if (!m || m[1] !== self || m[2] !== peer) continue
    if (m[3] === 'suspect') suspect = true
    if (m[3] === 'down' && silentMs === null) silentMs = Number(m[4])
    if (m[3] === 'up') { suspect = false; silentMs = null }
  }
  return {suspect, silentMs}
}

async function churn(c: Ctx, kill: number[], downBoundMs: number, afterKill?: () => void): Promise<void> {
  const victims = kill.map((k) => c.guests.find((g) => g.guest === k))
  if (victims.some((v) => !v) || kill.length < 1) { c.fail(`churn: no guests ${kill.join(',')} to kill`); return }
  const dead = victims as LanGuest[]
  const t0 = Date.now()
  await Promise.all(dead.map(async (v) => { await c.control.kill(v.guest); v.alive = false }))
  afterKill?.()
  const survivors = c.guests.filter((g) => g.alive)
  const down = await until(c, survivors, () => dead, (r) => r?.state === 'down', 120_000)
  const detectMs = Date.now() - t0
  if (!down) { c.fail(`churn: the survivors did not all mark guests ${kill.join(',')} down within 120 s`); return }
  // The bound is the detector's, on each monitor's own clock: down after health_down of silence, one loop turn late at most (+ slack).
  const silences: number[] = []
  for (const s of survivors) {
    const log = readFileSync(c.control.serialPath(s.guest), 'utf8')
    for (const v of dead) {
      const d = downLines(log, s.id, v.id)
      if (!d.suspect) c.fail(`churn: guest ${s.guest} marked guest ${v.guest} down without suspecting it first`)
      if (d.silentMs === null) c.fail(`churn: guest ${s.guest} printed no down line for guest ${v.guest}`)
      else {
        silences.push(d.silentMs)
        if (d.silentMs > downBoundMs) c.fail(`churn: guest ${s.guest} marked guest ${v.guest} down after ${d.silentMs} ms of silence (bound ${downBoundMs} ms)`)
      }
    }
  }
  c.findings.churnDown = {killed: kill, wallMsToAllDown: detectMs, perMonitorMs: Object.fromEntries(down), silenceAtDownMs: silences}
  c.metrics.push(['p2p_detect_down', Math.max(...silences), 'ms'], ['p2p_detect_down_wall', detectMs, 'ms'])
  c.details.push(`churn: guests ${kill.join(',')} killed; ${survivors.length} monitors marked them suspect then down after ${Math.min(...silences)}-${Math.max(...silences)} ms of silence (bound ${downBoundMs} ms), all within ${(detectMs / 1000).toFixed(1)} s wall`)

  // The first victim comes back with the same command line: the same seed, so the same PeerId.
  const back = dead[0]
  const since = Date.now()
  await c.control.restart(back.guest)
  const again = await waitGuest(c, back.guest, since)
  if (again.id !== back.id) c.fail(`churn: guest ${back.guest} came back as ${again.id}, not ${back.id}`)
  Object.assign(back, again, {alive: true})
  const live = c.guests.filter((g) => g.alive)
  const t1 = Date.now()
  const up = await until(c, live, (m) => (m === back ? live.filter((g) => g !== back) : [back]), (r) => r?.state === 'up' && r.rttUs !== null, 180_000)
  if (!up) { c.fail(`churn: guest ${back.guest} was not marked up again by every monitor within 180 s`); return }
  // The one that stays dead is still down everywhere.
  for (const v of dead.slice(1)) {
    for (const s of survivors) {
      const rows = await healthOf(c, s)
      const row = rows?.find((r) => r.peer === v.id)
      if (row?.state !== 'down') c.fail(`churn: guest ${s.guest} shows killed guest ${v.guest} as ${row?.state ?? 'unknown'}`)
    }
  }
  c.findings.churnRejoin = {guest: back.guest, wallMsToAllUp: Date.now() - t1}
  c.metrics.push(['p2p_rejoin_wall', Date.now() - t1, 'ms'])
  c.details.push(`churn: guest ${back.guest} restarted with the same seed (same PeerId), redialled and marked up by all ${live.length} monitors in ${((Date.now() - t1) / 1000).toFixed(1)} s`)
}

export async function p2pLan(spec: PeerSpec, ctx: PeerContext, ns: LanNetns, signal: AbortSignal, since: number): Promise<PeerVerdict> {
  const opt = spec.options ?? {}
  const steps = (opt.steps as Step[] | undefined) ?? ['mesh', 'identify', 'ping', 'echo']
  const num = (k: string, d: number) => (typeof opt[k] === 'number' ? (opt[k] as number) : d)
  const details: string[] = []
  const findings: Record<string, unknown> = {}
  let ok = true
  const control = ctx.guests!
  const c: Ctx = {ns, cli: path.join(ctx.repoRoot, 'build/host/p2p'), guests: [], control, signal, since, details, findings, metrics: [],
    fail: (why) => { ok = false; details.push(why) }}
  try {
    const t0 = Date.now()
    for (let g = 1; g <= control.count; g++) c.guests.push(await waitGuest(c, g, since))
    findings.bootMs = Date.now() - t0
    if (steps.includes('mem')) c.memBase = await memOf(c, c.guests[0])
    const ids = new Set(c.guests.map((g) => g.id))
    if (ids.size !== c.guests.length) c.fail(`the guests share PeerIds (${ids.size} distinct of ${c.guests.length}): give each its own seed ({guest})`)
    for (const step of steps) {
      if (!ok) break
      if (step === 'mesh') await mesh(c)
      else if (step === 'discover') await discover(c, num('discoverSec', 180) * 1000)
      else if (step === 'identify') await identify(c)
      else if (step === 'ping') await ping(c, num('pings', 10))
      else if (step === 'echo') await echo(c, num('echoStreams', 16), num('echoSize', 65536))
      else if (step === 'health') await health(c)
      else if (step === 'mem') await mem(c)
      else if (step === 'dht') await dht(c, c.guests.find((g) => g.guest === ((opt.kill as number[] | undefined)?.at(-1) ?? control.count)) ?? c.guests[0])
      else if (step === 'dhtread') await dhtRead(c)
      else if (step === 'rpc') await rpc(c)
      else if (step === 'jobchurn') await jobChurn(c, (opt.kill as number[] | undefined) ?? [control.count - 1, control.count], num('healthDownMs', HEALTH_DOWN_MS) + DOWN_SLACK_MS, num('jobKillAfterMs', 1500), num('churnFileSize', 8 << 20), opt.churnJob !== false)
      else if (step === 'files') await files(c, num('fileSize', 2 << 20))
      else if (step === 'fetchbench') await fetchBench(c, num('fileSize', 4 << 20))
      else if (step === 'churn') await churn(c, (opt.kill as number[] | undefined) ?? [control.count - 1, control.count], num('healthDownMs', HEALTH_DOWN_MS) + DOWN_SLACK_MS)
    }
    findings.metrics = c.metrics
    for (const [name, value, unit] of c.metrics) await cli(c, c.guests[0], ['metric', name, String(value), unit], 60_000)
  } catch (error) {
    c.fail((error as Error).message.slice(0, 2000))
  } finally {
    // Each live guest's last health table goes to its console (the overlay), then it quits.
    await Promise.all(c.guests.filter((g) => g.alive).map(async (g) => {
      if (steps.includes('health')) await cli(c, g, ['health'], 60_000)
      const q = await cli(c, g, ['quit'], 60_000)
      if (q.lines.at(-1) !== 'ok bye') c.fail(`guest ${g.guest} quit: ${q.lines.join(' | ')}`)
    }))
  }
  return {ok, detail: details.join('; '), findings}
}
