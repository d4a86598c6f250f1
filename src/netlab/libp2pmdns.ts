// The libp2p-mdns peer: libp2p mDNS discovery (libp2p/specs discovery/mdns.md)
// between p2pd in the guest (p2pd mdns=1, user/p2p/core/mdns.c) and unmodified
// js-libp2p with @libp2p/mdns (libp2p-peer.mjs) in the case's namespace, both
// ways, with no address handed over:
// - js A (mDNS querier only, broadcast off, so the guest cannot find it)
//   must discover the guest's PeerId and dial the address it discovered:
//   identify checked from js (agent, protocols, the discovered listen address,
//   key = PeerId), then pings;
// - js B (mDNS responder; js-libp2p never dials a discovered peer itself)
//   must be dialled by the guest at the address the guest discovered: `p2p
//   peers` shows B outbound at B's address, `p2p ping B` answers, B's own
//   connection list shows the guest, and `p2p mdns` lists B as connected with
//   no malformed message counted;
// - tshark over the case's own capture: the guest's _p2p._udp.local queries
//   and answers leave with IP TTL 255 and no guest frame is malformed.
// The kernel's own responder (mdns=1) shares port 5353 with p2pd meanwhile.
import type {Netns} from '../qemu/netns.js'
import type {PeerVerdict} from '../suites/types.js'
import {judgeCaptureInto, startCapture} from './capture.js'
import {type Libp2pEvent, runCli, startLibp2pPeer} from './libp2p.js'
import {waitForSerial} from './serial.js'

export interface P2pMdnsJob {
  ns: Netns
  peerId: string
  port: number
  ctl: number
  p2pCli: string
  pings: number
  serialPath: string
  since: number
  /** PeerContext.timeScale: how much slower the guest's build runs. */
  timeScale?: number
}

const DISCOVERY_MS = 240_000

export async function p2pMdnsInterop(job: P2pMdnsJob, signal: AbortSignal): Promise<PeerVerdict> {
  const {ns} = job
  const cli = {prefix: ns.prefix, p2pCli: job.p2pCli, guestIp: ns.guestIp, ctl: job.ctl}
  const details: string[] = []
  const findings: Record<string, unknown> = {}
  let ok = true
  const fail = (why: string) => { ok = false; details.push(why) }
  // multicast-dns sends through the route to 224.0.0.251 (it sets the
  // interface 0.0.0.0): the namespace's own table needs one, as a LAN host has.
  await ns.run('ip', ['route', 'add', '224.0.0.0/4', 'dev', ns.tap])
  const capture = await startCapture(ns)
  const listen = `/ip4/${ns.hostIp}/tcp/0`
  const jsA = startLibp2pPeer({listen, mdns: true, mdnsIntervalMs: 1000, mdnsBroadcast: false}, {prefix: ns.prefix, timeScale: job.timeScale})
  const jsB = startLibp2pPeer({listen, mdns: true, mdnsIntervalMs: 1000}, {prefix: ns.prefix, timeScale: job.timeScale})
  let quitSent = false
  try {
    const bListening = await jsB.waitFor((e) => e.event === 'listening', 120_000)
    const bId = bListening.peerId as string
    const bAddr = (bListening.addrs as string[])[0] ?? ''
    const bTcp = bAddr.replace(/\/p2p\/.*$/, '')
    // js A discovers the guest and dials what it discovered.
    const found = await jsA.waitFor((e) => e.event === 'discovery' && e.peerId === job.peerId, DISCOVERY_MS)
    findings.jsDiscovered = found
    const want = `/ip4/${ns.guestIp}/tcp/${job.port}`
    const addrs = found.multiaddrs as string[]
    const addr = addrs.find((a) => a === want)
    if (!addr) fail(`js discovered the guest at ${JSON.stringify(addrs)}, not ${want}`)
    else details.push(`js discovered ${job.peerId} at ${addr} by mDNS`)
    const target = `${addr ?? addrs[0]}/p2p/${job.peerId}`
    jsA.send({op: 'dial', addr: target, pings: job.pings})
    const dialed = await jsA.waitFor((e) => e.event === 'dialed' && e.addr === target, 300_000)
    findings.jsDialsKos = dialed
    const id = dialed.identify as Libp2pEvent | null
    if (dialed.error) fail(`js dial of the discovered address: ${String(dialed.error).split('\n')[0]}`)
    else {
      const protos = ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/kos/echo/1.0.0']
      if (!id || id.agentVersion !== 'kos/0.1.0' || !id.keyMatches || dialed.peerId !== job.peerId ||
        protos.some((p) => !(id.protocols as string[]).includes(p)) || !(id.listenAddrs as string[]).includes(want)) fail(`identify from js: ${JSON.stringify(id)}`)
      const rtts = dialed.rtts as number[]
      if (rtts.length !== job.pings) fail(`js pings: ${rtts.length}/${job.pings}`)
      details.push(`js dialled the discovered address: identify ok (agent ${id?.agentVersion}), ${rtts.length} pings (ms ${rtts.join(',')})`)
    }
    // The guest discovers js B and dials it on its own.
    const foundLine = await waitForSerial(job.serialPath, new RegExp(`p2pd: mdns found (/ip4/[\\d.]+/tcp/\\d+/p2p/${bId})`), DISCOVERY_MS, signal, job.since)
    details.push(`guest: mdns found ${foundLine[1]}`)
    if (foundLine[1] !== `${bTcp}/p2p/${bId}`) fail(`the guest found js B at ${foundLine[1]}, B listens on ${bAddr}`)
    let peers: string[] = []
    for (let i = 0; i < 60 && !peers.some((l) => l.startsWith(`peer ${bId} ${bTcp} out `)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 2000))
      peers = (await runCli(cli, ['peers'], 60_000)).lines
    }
    findings.kosPeers = peers
    const outLine = peers.find((l) => l.startsWith(`peer ${bId} ${bTcp} out `))
    if (!outLine || !outLine.includes('agent=js-libp2p/')) fail(`the guest did not dial js B: ${peers.join(' | ')}`)
    else details.push(`guest dialled js B: ${outLine}`)
    const ping = await runCli(cli, ['ping', bId, String(job.pings)], 300_000)
    findings.kosPings = ping.lines
    if (ping.status !== 0 || ping.lines.filter((l) => /^rtt_us \d+$/.test(l)).length !== job.pings) fail(`kos ping of js B: ${ping.lines.slice(-2).join(' | ')}`)
    else details.push(`guest pinged js B: ${ping.lines.at(-1)}`)
    jsB.send({op: 'stats'})
    const bStats = await jsB.waitFor((e) => e.event === 'stats', 30_000)
    const bConns = bStats.connections as Array<{peer: string; addr: string}>
    if (!bConns.some((c) => c.peer === job.peerId && c.addr.startsWith(`/ip4/${ns.guestIp}/tcp/`))) fail(`js B has no connection from the guest: ${JSON.stringify(bConns)}`)
    const md = await runCli(cli, ['mdns'], 60_000)
    findings.kosMdns = md.lines
    const last = md.lines.at(-1) ?? ''
    const num = (k: string): number => Number((new RegExp(`${k}=(\\d+)`).exec(last) ?? [])[1] ?? -1)
    if (md.status !== 0 || !md.lines.includes(`mdns_peer ${bTcp}/p2p/${bId} connected`) || num('malformed') !== 0 ||
      num('queries_sent') < 1 || num('answers_sent') < 1 || num('queries_seen') < 1) fail(`p2p mdns: ${md.lines.join(' | ')}`)
    details.push(last)
    const {stdout: neigh} = await ns.run('ip', ['neigh', 'show', ns.guestIp])
    const mac = (/lladdr ([0-9a-f:]{17})/i.exec(neigh) ?? [])[1] ?? ''
    const quit = await runCli(cli, ['quit'], 60_000)
    quitSent = true
    if (quit.lines.at(-1) !== 'ok bye') fail(`quit: ${quit.lines.join(' | ')}`)
    await capture.stop()
    // The guest's libp2p mDNS packets, as Wireshark's DNS dissector reads them.
    const fields = async (filter: string): Promise<string[]> => (await ns.run('tshark', ['-r', capture.file, '-Y', filter, '-T', 'fields', '-e', 'ip.ttl'], 120_000))
      .stdout.split('\n').filter((l) => l.trim())
    const from = `eth.src == ${mac} && udp.srcport == 5353`
    const queries = await fields(`${from} && dns.flags.response == 0 && dns.qry.name == "_p2p._udp.local"`)
    const answers = await fields(`${from} && dns.flags.response == 1 && dns.resp.name == "_p2p._udp.local" && dns.txt contains "dnsaddr=/ip4/${ns.guestIp}/tcp/${job.port}/p2p/${job.peerId}"`)
    const ttls = await fields(from)
    const badTtl = ttls.filter((t) => t.trim() !== '255')
    if (queries.length === 0 || answers.length === 0 || badTtl.length > 0) fail(`capture: ${queries.length} guest _p2p queries, ${answers.length} answers with the guest's dnsaddr, ${badTtl.length} mDNS packets without TTL 255`)
    details.push(`capture: ${queries.length} _p2p._udp.local queries and ${answers.length} answers from the guest, ${ttls.length} guest mDNS packets all TTL 255: ${badTtl.length === 0}`)
    await judgeCaptureInto(ns, capture.file, mac, details, fail)
  } catch (error) {
    fail((error as Error).message.slice(0, 2000))
  } finally {
    if (!quitSent) await runCli(cli, ['quit'], 60_000).catch(() => null)
    await jsA.stop()
    await jsB.stop()
    await capture.stop()
    capture.remove()
  }
  return {ok, detail: details.join('; '), findings}
}
