// Host-side peers of the network cases: startPeer(spec, ctx) is what the case
// runner calls (src/suites/run.ts). Each peer prepares what QEMU needs
// (ports, a namespace with a TAP device, a LAN hub), then waits for the guest's
// "netecho: ready" line and drives the guest's netecho service
// (kernel/test/test_net.c) with "kos:" commands, finally sending "kos:quit".
import dgram from 'node:dgram'
import net from 'node:net'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {Peer, PeerContext, PeerSpec, PeerVerdict, StartPeer} from '../suites/types.js'
import {createLanNetns, createNetns, type LanNetns, type Netns} from '../qemu/netns.js'
import {type AgentOp, runAgent, summarizeReport} from './agent.js'
import {expectTerms, ipFromString, macFromString, malformedFrames} from './frames.js'
import {LanHub} from './hub.js'
import {waitForSerial} from './serial.js'
import {runMdnsAgent, summarizeMdns} from './mdns.js'
import {P2PD_READY, p2pTapInterop, runCli} from './libp2p.js'
import {kadInterop} from './kad.js'
import {type Capture, startCapture} from './capture.js'
import {p2pMdnsInterop} from './libp2pmdns.js'
import {AVAHI_CHECKS, type Avahi, avahiCheck, startAvahi} from './avahi.js'
import {clockUnderLoad, startHogs} from './clock.js'
import {heliaTapFiles} from './helia.js'
import {benchTcp, curlHttpd, curlInNetns, curlOnHost, echoClients, HTTPD_FILES} from './tcp.js'
import {errorsTap, streamTap} from './tcpstream.js'
import {floodTap} from './tcpflood.js'
import {readScreen} from '../screen/index.js'
import {QmpClient} from '../screen/qmp.js'
import {linkCheck} from './linkchecks.js'
import {mdnsCheck} from './mdnscheck.js'
import {p2pLan} from './p2plan.js'

export const READY_LINE = /netecho: ready ip (\d+\.\d+\.\d+\.\d+)/
/** The kernel's line when hold=key keeps the screen until a key comes. */
export const HOLD_LINE = /kos: holding for a key/
/** How long a guest may take to boot and bring its NIC up under TCG. */
const READY_TIMEOUT_MS = 240_000
/** The hub LAN's host station (lan-2 profile; guests use ip=10.0.3.mac). */
export const LAN_HOST_IP = '10.0.3.254'
export const LAN_HOST_MAC = '02:00:00:00:00:fe'

type Outcome = PeerVerdict

function waitReady(file: string, signal: AbortSignal, since: number): Promise<RegExpMatchArray> {
  return waitForSerial(file, READY_LINE, READY_TIMEOUT_MS, signal, since)
}

interface PeerSetup {
  vars?: Record<string, string | number>
  qemuPrefix?: string[]
  cleanup?: () => Promise<void>
}

/** Builds a Peer from a setup step and a body that runs once the guest is booting (no body: it checks nothing). */
function makePeer(setup: () => Promise<PeerSetup>, body?: (signal: AbortSignal, since: number) => Promise<Outcome>): Peer {
  const abort = new AbortController()
  let prepared: PeerSetup = {}
  const ready = setup().then((s) => { prepared = s })
  // Serial logs last written before this peer started belong to earlier runs.
  const since = Date.now()
  const result = body && ready.then(() => body(abort.signal, since)).catch((error: Error) => ({ok: false, detail: error.message}))
  const peer: Peer = {
    ready,
    result,
    async stop() {
      abort.abort()
      await ready.catch(() => undefined)
      await prepared.cleanup?.()
    },
  }
  Object.defineProperty(peer, 'vars', {get: () => prepared.vars, enumerable: true})
  Object.defineProperty(peer, 'qemuPrefix', {get: () => prepared.qemuPrefix, enumerable: true})
  return peer
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4')
    s.once('error', reject)
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port
      s.close(() => resolve(port))
    })
  })
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function guestLog(ctx: PeerContext, guest: number): string {
  return guest === 1 ? ctx.serialPath : ctx.serialPath.replace(/guest1\.log$/, `guest${guest}.log`)
}

/** A file of the build the guest boots (build/, or build/sanitize/ under kos test --sanitize), absolute. */
const guestBuildFile = (ctx: PeerContext, rel: string): string => path.resolve(ctx.repoRoot, ctx.buildDir ?? 'build', rel)

const num = (spec: PeerSpec, key: string, dflt: number): number => {
  const v = spec.options?.[key]
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`peer ${spec.name}: option "${key}" must be a number`)
  return v
}

/** Agent ops over hostfwd (QEMU user networking). */
function userPeer(spec: PeerSpec, ctx: PeerContext, ops: AgentOp[]): Peer {
  let port = 0
  return makePeer(async () => {
    port = await freeUdpPort()
    return {vars: {hostPort: port}}
  }, async (signal, since) => {
    await waitReady(ctx.serialPath, signal, since)
    const report = await runAgent({host: '127.0.0.1', port, bind: '127.0.0.1', ops: [{op: 'warmup', timeoutMs: 60_000}, ...ops, {op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, [], signal)
    return {ok: report.ok, detail: summarizeReport(report), findings: {ops: report.results}}
  })
}

/** A namespace with a TAP device; QEMU runs inside it. The body starts once
 * the guest prints `ready` (netecho's line unless the case runs something else). */
function tapPeer(spec: PeerSpec, ctx: PeerContext, body: (ns: Netns, signal: AbortSignal, ready: RegExpMatchArray) => Promise<Outcome>,
  ready: RegExp = READY_LINE): Peer {
  let ns: Netns | undefined
  return makePeer(async () => {
    ns = await createNetns(ctx.caseId)
    return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
  }, async (signal, since) => {
    const m = await waitForSerial(ctx.serialPath, ready, READY_TIMEOUT_MS, signal, since)
    return body(ns!, signal, m)
  })
}

async function tapAgent(ns: Netns, ops: AgentOp[], signal: AbortSignal): Promise<Outcome> {
  const report = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'warmup', timeoutMs: 60_000}, ...ops, {op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, ns.prefix, signal)
  return {ok: report.ok, detail: summarizeReport(report), findings: {ops: report.results}}
}

async function pingTap(spec: PeerSpec, ns: Netns, signal: AbortSignal): Promise<Outcome> {
  const count = num(spec, 'count', 50)
  const details: string[] = []
  const findings: Record<string, unknown> = {count}
  let ok = true
  // Warm up: the guest's receiver may still be settling after boot.
  const warm = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'warmup', timeoutMs: 60_000}]}, ns.prefix, signal)
  if (!warm.ok) return {ok: false, detail: summarizeReport(warm)}
  try {
    const {stdout} = await ns.run('ping', ['-c', String(count), '-i', '0.05', '-W', '2', ns.guestIp], 120_000)
    const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout)
    const rx = m ? Number(m[2]) : -1
    findings.transmitted = m ? Number(m[1]) : null
    findings.received = m ? rx : null
    if (!m || Number(m[1]) !== count || rx !== count) ok = false
    details.push(`ping: ${m ? m[0] : 'no summary'}`)
  } catch (error) {
    ok = false
    details.push(`ping failed: ${(error as Error).message} ${((error as {stdout?: string}).stdout ?? '').split('\n').filter((l) => l.includes('packet')).join(' ')}`)
  }
  // ARP both ways: the namespace learned the guest's MAC, the guest learned ours.
  const {stdout: neigh} = await ns.run('ip', ['neigh', 'show', ns.guestIp])
  const hostKnowsGuest = /lladdr 52:54:00/i.test(neigh)
  findings.hostKnowsGuest = hostKnowsGuest
  details.push(`host neighbour entry: ${neigh.trim() || 'none'}`)
  if (!hostKnowsGuest) ok = false
  const rest = await runAgent({host: ns.guestIp, port: 7, ops: [
    {op: 'cmd', text: `kos:arp ${ns.hostIp}`, expect: 'kos:arp resolved'},
    {op: 'cmd', text: 'kos:quit', expect: 'kos:bye'},
  ]}, ns.prefix, signal)
  if (!rest.ok) ok = false
  details.push(summarizeReport(rest))
  findings.ops = rest.results
  return {ok, detail: details.join('; '), findings}
}

/** A hub LAN (lan-2 profile): guests connect to it, the hub's host station drives them. */
function hubPeer(spec: PeerSpec, ctx: PeerContext, guests: number, body: (hub: LanHub, ips: number[], signal: AbortSignal, since: number) => Promise<Outcome>): Peer {
  const hub = new LanHub({hostMac: macFromString(LAN_HOST_MAC), hostIp: ipFromString(LAN_HOST_IP)})
  return makePeer(async () => {
    await hub.start()
    return {vars: {hubPort: hub.port}, cleanup: () => hub.close()}
  }, async (signal, since) => {
    const ips: number[] = []
    for (let g = 1; g <= guests; g++) {
      const m = await waitReady(guestLog(ctx, g), signal, since)
      ips.push(ipFromString(m[1]))
    }
    const out = await body(hub, ips, signal, since)
    // Always let the guests finish, whatever happened.
    for (const ip of ips) await hub.command(ip, 'kos:quit', 2000, 3).catch(() => null)
    return out
  })
}

const ipText = (a: number): string => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.')

async function lanEcho(spec: PeerSpec, hub: LanHub, ips: number[]): Promise<Outcome> {
  const count = num(spec, 'count', 200)
  const size = num(spec, 'size', 1000)
  if (ips.length < 2) return {ok: false, detail: 'needs two guests'}
  const details: string[] = []
  let ok = true
  for (const [a, b] of [[ips[0], ips[1]], [ips[1], ips[0]]]) {
    const target = ipText(b)
    const r = await hub.command(a, `kos:send ${target} 7 ${count} ${size}`, 120_000, 1)
    details.push(`${ipText(a)} -> ${target}: ${r ?? 'no reply'}`)
    if (!r?.startsWith('kos:send ok')) ok = false
  }
  return {ok, detail: details.join('; '), findings: {count, size, replies: details}}
}

/** Guest-to-guest discovery: each guest's browser (mdns=1) must report the
 * other's instance on its serial console, with the other's address and port
 * 7; then each guest echoes datagrams at what it discovered (kos:send). */
async function lanMdns(spec: PeerSpec, ctx: PeerContext, hub: LanHub, ips: number[], signal: AbortSignal, since: number): Promise<Outcome> {
  if (ips.length < 2) return {ok: false, detail: 'needs two guests'}
  const timeoutMs = num(spec, 'timeoutSec', 120) * 1000
  const details: string[] = []
  let ok = true
  for (let g = 0; g < 2; g++) {
    const other = ips[1 - g]
    // The other guest's name comes from its MAC (52:54:00:12:34:XX, see
    // src/suites/run.ts): kos-1234XX; guests use ip=10.0.3.mac.
    const label = `kos-1234${(other & 255).toString(16).padStart(2, '0')}`
    const pattern = new RegExp(String.raw`mdns: found ${label}\._kos\._udp\.local at (\d+\.\d+\.\d+\.\d+) port (\d+)`)
    let found: RegExpMatchArray | null = null
    try {
      found = await waitForSerial(guestLog(ctx, g + 1), pattern, timeoutMs, signal, since)
    } catch (error) {
      details.push(`guest ${ipText(ips[g])}: ${(error as Error).message}`)
      ok = false
      continue
    }
    const [, addr, port] = found
    if (addr !== ipText(other) || port !== '7') ok = false
    const r = await hub.command(ips[g], `kos:send ${addr} ${port} 20 200`, 60_000, 1)
    details.push(`guest ${ipText(ips[g])} found ${label} at ${addr}:${port}, echo there: ${r ?? 'no reply'}`)
    if (!r?.startsWith('kos:send ok')) ok = false
  }
  return {ok, detail: details.join('; ')}
}

async function badPackets(spec: PeerSpec, hub: LanHub, ips: number[], signal: AbortSignal): Promise<Outcome> {
  const count = num(spec, 'count', 3400)
  const ip = ips[0]
  const details: string[] = []
  const warm = await hub.command(ip, 'kos:stats', 3000, 20)
  if (!warm) return {ok: false, detail: 'guest never answered a command'}
  const guestMac = await hub.resolve(ip, 10_000)
  if ((await hub.command(ip, 'kos:mark')) !== 'kos:marked') return {ok: false, detail: 'kos:mark not acknowledged'}
  const frames = malformedFrames({guestMac, guestIp: ip, peerMac: hub.hostMac, peerIp: hub.hostIp}, count, 42)
  let pingsOk = 0, pings = 0
  // Batches smaller than the guest's 32-descriptor ring, each followed by a
  // ping: proves the guest still answers while being flooded.
  for (let i = 0; i < frames.length; i += 24) {
    if (signal.aborted) throw new Error('stopped')
    for (const f of frames.slice(i, i + 24)) hub.sendFrame(f.frame)
    await hub.drain()
    pings++
    if (await hub.ping(ip, pings & 0xffff, 5000)) pingsOk++
  }
  details.push(`${frames.length} malformed frames sent, ${pingsOk}/${pings} pings answered in between`)
  const verdict = await hub.command(ip, `kos:expect ${expectTerms(frames)}`, 5000, 3)
  details.push(`guest counters: ${verdict ?? 'no reply'}`)
  let udpOk = 0
  for (let i = 0; i < 20; i++) {
    const data = Buffer.from(`after-the-flood-${i}`)
    const r = await hub.udpRequest(ip, 7, data, 2000, 3)
    if (r?.equals(data)) udpOk++
  }
  details.push(`${udpOk}/20 UDP echoes after the flood`)
  const ok = pingsOk === pings && verdict === 'kos:expect ok' && udpOk === 20
  return {ok, detail: details.join('; '), findings: {frames: frames.length, pings, pingsAnswered: pingsOk, guestCounters: verdict, udpEchoesAfter: udpOk}}
}

export const startPeer: StartPeer = (spec: PeerSpec, ctx: PeerContext): Peer => {
  switch (spec.name) {
    case 'user-port': {
      // Only reserves the forwarded port an e1000-user machine needs and checks
      // nothing: no verdict, so results.json claims no host-side check.
      return makePeer(async () => ({vars: {hostPort: await freeUdpPort()}}))
    }
    case 'udp-echo-user':
      return userPeer(spec, ctx, [
        {op: 'echo', count: num(spec, 'count', 1000), minSize: 1, maxSize: num(spec, 'maxSize', 1472), seed: 1},
        {op: 'client'},
      ])
    case 'screen': {
      // The guest holds its screen (hold=key) once its programs ran: read it through
      // QMP, check the expected line, then press a key so the guest exits with its verdict.
      const want = String(spec.options?.line ?? '')
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-qmp-'))
      const qmpSocket = path.join(dir, 'qmp.sock')
      return makePeer(async () => ({vars: {qmpSocket}, cleanup: async () => rmSync(dir, {recursive: true, force: true})}), async (signal, since) => {
        await waitForSerial(ctx.serialPath, HOLD_LINE, READY_TIMEOUT_MS, signal, since)
        const qmp = await QmpClient.connect(qmpSocket, 30_000, signal)
        try {
          const lines = await readScreen(qmp, ctx.repoRoot)
          await qmp.execute('send-key', {keys: [{type: 'qcode', data: 'ret'}]})
          const shown = lines.filter((l) => l !== '')
          const row = lines.indexOf(want)
          const findings = {expected: want, row, screen: shown}
          if (row < 0) return {ok: false, detail: `the screen shows no line "${want}" (last lines: ${shown.slice(-3).map((l) => JSON.stringify(l)).join(', ') || 'none'})`, findings}
          return {ok: true, detail: `screen row ${row} reads "${want}" (${shown.length} lines of text decoded)`, findings}
        } finally {
          qmp.close()
        }
      })
    }
    case 'ping-tap':
      return tapPeer(spec, ctx, (ns, signal) => pingTap(spec, ns, signal))
    case 'udp-sizes-tap':
      return tapPeer(spec, ctx, (ns, signal) => tapAgent(ns, [{op: 'sizes', from: num(spec, 'from', 1), to: num(spec, 'to', 1472)}, {op: 'client'}], signal))
    case 'udp-bench-tap':
      return tapPeer(spec, ctx, (ns, signal) => tapAgent(ns, [
        {op: 'rtt', count: num(spec, 'count', 500), size: 64, metric: 'udp_echo_rtt'},
        {op: 'throughput', count: num(spec, 'count', 500) * 2, size: 1472, window: 16, metric: 'udp_echo_throughput'},
      ], signal))
    case 'libp2p-tap': {
      // js-libp2p in the namespace dials the guest's p2pd, then p2pd dials it (p2p over ctl_listen).
      // Option plainTcpEcho: the guest runs tcp_echo before p2pd, and the same streams x size
      // are first echoed over plain TCP on the same link (kos bench puts the two side by side).
      const streams = num(spec, 'echoStreams', 100), size = num(spec, 'echoSize', 65536)
      const interop = (ns: Netns, m: RegExpMatchArray, extraMetrics?: Array<[string, number, string]>) => p2pTapInterop({
        guestIp: ns.guestIp, hostIp: ns.hostIp, peerId: m[1], port: Number(m[2]), ctl: Number(m[3]), prefix: ns.prefix,
        p2pCli: path.join(ctx.repoRoot, 'build/host/p2p'), pings: num(spec, 'pings', 20), echoStreams: streams, echoSize: size, extraMetrics,
        timeScale: ctx.timeScale,
      })
      if (spec.options?.plainTcpEcho !== true) return tapPeer(spec, ctx, (ns, _signal, m) => interop(ns, m), P2PD_READY)
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, async (signal, since) => {
        // The same bytes as the libp2p echo, over half as many connections (tcp_echo holds about 70 at once).
        const plain = await echoClients(ns!, {clients: streams / 2, bytes: 2 * size, serialPath: ctx.serialPath, since}, signal)
        const m = await waitForSerial(ctx.serialPath, P2PD_READY, READY_TIMEOUT_MS, signal, since)
        if (!plain.ok) {
          await runCli({prefix: ns!.prefix, p2pCli: path.join(ctx.repoRoot, 'build/host/p2p'), guestIp: ns!.guestIp, ctl: Number(m[3])}, ['quit'], 60_000)
          return {ok: false, detail: `plain TCP echo: ${plain.detail}`}
        }
        const kbps = Math.round(2 * streams * size * 8 / Math.max(1, plain.findings!.ms as number))
        const r = await interop(ns!, m, [['tcp_echo_plain', kbps, 'kbit/s']])
        return {...r, detail: `plain TCP: ${plain.detail} in ${plain.findings!.ms} ms; ${r.detail}`, findings: {...r.findings, plainTcp: plain.findings}}
      })
    }
    case 'libp2p-mdns': {
      // No address handed over: js-libp2p and p2pd (mdns=1) find each other by mDNS.
      const since = Date.now()
      return tapPeer(spec, ctx, (ns, signal, m) => p2pMdnsInterop({
        ns, peerId: m[1], port: Number(m[2]), ctl: Number(m[3]), p2pCli: path.join(ctx.repoRoot, 'build/host/p2p'),
        pings: num(spec, 'pings', 10), serialPath: ctx.serialPath, since, timeScale: ctx.timeScale,
      }, signal), P2PD_READY)
    }
    case 'avahi': {
      // avahi-daemon runs in the namespace before QEMU starts (for `conflict`
      // it already holds the guest's default name when the guest probes).
      const check = spec.options?.check
      if (typeof check !== 'string' || !(AVAHI_CHECKS as readonly string[]).includes(check)) throw new Error(`peer avahi: option "check" must be one of ${AVAHI_CHECKS.join(', ')}`)
      let ns: Netns | undefined
      let avahi: Avahi | undefined
      let held: ReturnType<Avahi['spawn']> | undefined
      let capture: Capture | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        const cleanup = async () => { await capture?.stop(); capture?.remove(); await avahi?.stop(); await ns?.destroy() }
        try {
          capture = await startCapture(ns)
          avahi = await startAvahi(ns)
          if (check === 'conflict') {
            held = avahi.spawn('avahi-publish', ['-a', '-R', 'kos-123456.local', '198.51.100.3'])
            for (let i = 0; i < 100 && !/Established/.test(held.output()); i++) await new Promise((r) => setTimeout(r, 100))
            if (!/Established/.test(held.output())) throw new Error(`avahi-publish -a did not establish kos-123456.local: ${held.output().trim()}`)
          }
        } catch (error) {
          await cleanup()
          throw error
        }
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup}
      }, async (signal, since) => {
        await waitReady(ctx.serialPath, signal, since)
        return avahiCheck(check, ns!, avahi!, held, capture!, ctx.serialPath, since, signal)
      })
    }
    case 'clock-load': {
      // The hogs start before QEMU, so the guest boots (and calibrates) under load.
      let ns: Netns | undefined
      let hogs: ReturnType<typeof startHogs> = []
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        hogs = startHogs(ns, num(spec, 'hogs', 2))
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { for (const h of hogs) h.kill('SIGKILL'); await ns?.destroy() }}
      }, async (signal, since) => {
        await waitReady(ctx.serialPath, signal, since)
        return clockUnderLoad(ns!, hogs, signal)
      })
    }
    case 'helia-tap':
      // Helia in the namespace and the guest's p2pd exchange files both ways (src/netlab/helia.ts).
      return tapPeer(spec, ctx, (ns, _signal, m) => heliaTapFiles({
        guestIp: ns.guestIp, hostIp: ns.hostIp, peerId: m[1], port: Number(m[2]), ctl: Number(m[3]), prefix: ns.prefix,
        p2pCli: path.join(ctx.repoRoot, 'build/host/p2p'), p2pd: path.join(ctx.repoRoot, 'build/host/p2pd'),
        kosSize: num(spec, 'kosSize', 5 << 20), heliaSize: num(spec, 'heliaSize', 3 << 20),
        initrdFile: {guest: '/bin/p2p', local: guestBuildFile(ctx, 'user/p2p.elf')}, timeScale: ctx.timeScale,
      }), P2PD_READY)
    case 'kad-tap':
      // js-libp2p's kad-dht in the namespace against the guest's p2pd (src/netlab/kad.ts); then `p2p quit` ends the guest's program.
      return tapPeer(spec, ctx, async (ns, _signal, m) => {
        const kos = {prefix: ns.prefix, p2pCli: path.join(ctx.repoRoot, 'build/host/p2p'), guestIp: ns.guestIp, ctl: Number(m[3])}
        const r = await kadInterop({kosIp: ns.guestIp, kosPort: Number(m[2]), kosCtl: kos.ctl, kosPeerId: m[1], jsListen: `/ip4/${ns.hostIp}/tcp/0`,
          prefix: ns.prefix, p2pCli: kos.p2pCli, flood: num(spec, 'flood', 40), opMs: num(spec, 'opMs', 300_000), timeScale: ctx.timeScale})
        const quit = await runCli(kos, ['quit'], 60_000)
        const ok = r.ok && quit.lines.at(-1) === 'ok bye'
        return {ok, detail: quit.lines.at(-1) === 'ok bye' ? r.detail : `${r.detail}; quit: ${quit.lines.join(' | ')}`, findings: r.findings}
      }, P2PD_READY)
    case 'mdns-tap':
      return tapPeer(spec, ctx, async (ns, signal) => {
        const report = await runMdnsAgent({
          guestIp: ns.guestIp, hostIp: ns.hostIp, serialPath: ctx.serialPath, peerLabel: 'peer-ns',
          peerPort: num(spec, 'peerPort', 7007), malformed: true, timeoutMs: num(spec, 'timeoutSec', 180) * 1000,
        }, ns.prefix, signal)
        return {ok: report.ok, detail: summarizeMdns(report), findings: {steps: report.steps}}
      })
    case 'curl-tap': {
      // The guest runs httpd, not netecho: this peer waits for httpd's own line.
      const files = (spec.options?.files as string[] | undefined) ?? Object.keys(HTTPD_FILES)
      const bad = files.filter((f) => !(f in HTTPD_FILES))
      if (bad.length > 0) throw new Error(`peer curl-tap: unknown files ${bad.join(', ')} (known: ${Object.keys(HTTPD_FILES).join(', ')})`)
      const netem = spec.options?.netem as string[] | undefined
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => curlHttpd(curlInNetns(ns!), {files, netem, initrdFile: {url: '/bin/hello', local: guestBuildFile(ctx, 'user/hello.elf')},
        repoRoot: ctx.repoRoot, serialPath: ctx.serialPath, since}, signal))
    }
    case 'curl-user': {
      // The same fetches from the host over QEMU user networking (hostfwd=tcp, profile e1000-user-http).
      let port = 0
      return makePeer(async () => ({vars: {httpPort: (port = await freeTcpPort())}}), (signal, since) =>
        curlHttpd(curlOnHost(port), {files: Object.keys(HTTPD_FILES), initrdFile: {url: '/bin/hello', local: guestBuildFile(ctx, 'user/hello.elf')},
          repoRoot: ctx.repoRoot, serialPath: ctx.serialPath, since}, signal))
    }
    case 'tcp-bench-tap': {
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => benchTcp(ns!, {bytes: num(spec, 'bytes', 16 << 20), rr: num(spec, 'rr', 2000), conns: num(spec, 'conns', 200),
        serialPath: ctx.serialPath, since}, signal))
    }
    case 'tcp-echo-tap': {
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => echoClients(ns!, {clients: num(spec, 'clients', 64), bytes: num(spec, 'bytes', 65536), serialPath: ctx.serialPath, since}, signal))
    }
    case 'tcp-stream-tap':
    case 'tcp-errors-tap': {
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => spec.name === 'tcp-stream-tap'
        ? streamTap(ns!, {port: num(spec, 'port', 5201), bytes: num(spec, 'bytes', 16 << 20), tbf: spec.options?.tbf as string[] | undefined,
          serialPath: ctx.serialPath, since}, signal)
        : errorsTap(ns!, {serialPath: ctx.serialPath, since}, signal))
    }
    case 'tcp-flood-tap': {
      let ns: Netns | undefined
      return makePeer(async () => {
        ns = await createNetns(ctx.caseId)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => floodTap(ns!, {syns: num(spec, 'syns', 10_000), bad: num(spec, 'bad', 5000), batch: num(spec, 'batch', 750),
        repoRoot: ctx.repoRoot, serialPath: ctx.serialPath, since}, signal))
    }
    case 'link-check': {
      const check = spec.options?.check
      if (typeof check !== 'string') throw new Error('peer link-check: option "check" must name a check')
      return tapPeer(spec, ctx, (ns, signal) => linkCheck(check, ns, signal))
    }
    case 'mdns-check': {
      const check = spec.options?.check
      if (typeof check !== 'string') throw new Error('peer mdns-check: option "check" must name a check')
      return tapPeer(spec, ctx, (ns, signal) => mdnsCheck(check, ns, ctx.serialPath, signal))
    }
    case 'p2p-lan': {
      // N guests on a bridge in one namespace (profile lan-tap), p2pd in each, driven over its control port.
      let ns: LanNetns | undefined
      return makePeer(async () => {
        ns = await createLanNetns(ctx.caseId, ctx.guests?.count ?? 1)
        return {vars: {tap: ns.tap}, qemuPrefix: ns.prefix, cleanup: async () => { await ns?.destroy() }}
      }, (signal, since) => p2pLan(spec, ctx, ns!, signal, since))
    }
    case 'lan-echo':
      return hubPeer(spec, ctx, 2, (hub, ips) => lanEcho(spec, hub, ips))
    case 'mdns-lan':
      return hubPeer(spec, ctx, 2, (hub, ips, signal, since) => lanMdns(spec, ctx, hub, ips, signal, since))
    case 'lan-hub': {
      // Only the LAN: the guests test each other and report in their own KTAP; no verdict here.
      const hub = new LanHub({hostMac: macFromString(LAN_HOST_MAC), hostIp: ipFromString(LAN_HOST_IP)})
      return makePeer(async () => {
        await hub.start()
        return {vars: {hubPort: hub.port}, cleanup: () => hub.close()}
      })
    }
    case 'bad-packets':
      return hubPeer(spec, ctx, 1, (hub, ips, signal) => badPackets(spec, hub, ips, signal))
    default:
      throw new Error(`unknown peer "${spec.name}" (known: ${PEER_NAMES.join(', ')})`)
  }
}

export const PEER_NAMES = ['user-port', 'udp-echo-user', 'screen', 'ping-tap', 'udp-sizes-tap', 'udp-bench-tap', 'mdns-tap', 'libp2p-tap', 'kad-tap', 'helia-tap', 'libp2p-mdns', 'avahi', 'clock-load', 'curl-tap', 'curl-user', 'tcp-echo-tap', 'tcp-bench-tap', 'tcp-stream-tap', 'tcp-errors-tap', 'tcp-flood-tap', 'link-check', 'mdns-check', 'p2p-lan', 'lan-echo', 'mdns-lan', 'lan-hub', 'bad-packets']
