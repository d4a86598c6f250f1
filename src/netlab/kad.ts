// Driving the js-libp2p Kademlia peer (kad-peer.mjs) against a kos p2pd:
// values and provider records both ways, then malformed DHT messages, an
// oversized record and a PUT_VALUE flood from the js node, each of which the
// daemon must refuse (no answer, the stream closed) and count (p2p kadstats)
// without storing anything. Used by the host test (test/host/p2p-kad.test.ts,
// p2pd built for the host on 127.0.0.1) and by the phase-4 case kad_js_tap
// (the guest's p2pd over TAP, js in the case's namespace).
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {type Libp2pEvent, type Libp2pPeer, type PeerStartOptions, runCli, startLibp2pPeer} from './libp2p.js'

export const KAD_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/netlab/kad-peer.mjs')
/** The private protocol id the tests run the DHT on (p2pd kad_protocol=). */
export const KAD_TEST_PROTOCOL = '/kos/kad/1.0.0'
/** kos's quota of records stored on behalf of one peer (KAD_PEER_RECORDS, user/p2p/core/kad_int.h). */
export const KAD_PEER_RECORDS = 32

export interface KadPeer extends Libp2pPeer {
  /** Sends one command and resolves with its answer. */
  request(cmd: Record<string, unknown>, ms: number): Promise<Libp2pEvent>
}

let nextId = 1
export function startKadPeer(job: Record<string, unknown>, opts: PeerStartOptions = {}): KadPeer {
  const peer = startLibp2pPeer({protocol: KAD_TEST_PROTOCOL, ...job}, {...opts, script: KAD_PEER_SCRIPT}) as KadPeer
  peer.request = (cmd, ms) => {
    const id = nextId++
    peer.send({...cmd, id})
    return peer.waitFor((e) => e.id === id, ms)
  }
  return peer
}

// ---- kad-dht messages, encoded by hand (libp2p/specs kad-dht), for bad input ----

function varint(n: number): Buffer {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return Buffer.from(out)
}
const bytesField = (field: number, data: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(data.length), data])
const varintField = (field: number, v: number) => Buffer.concat([varint(field << 3), varint(v)])
/** A length-prefixed message body. */
export const framed = (body: Buffer) => Buffer.concat([varint(body.length), body])

export function putValue(key: string, value: string | Buffer, recordKey = key): Buffer {
  const record = Buffer.concat([bytesField(1, Buffer.from(recordKey)), bytesField(2, Buffer.isBuffer(value) ? value : Buffer.from(value))])
  return framed(Buffer.concat([varintField(1, 0), bytesField(2, Buffer.from(key)), bytesField(3, record)]))
}

/** ADD_PROVIDER of a SHA-256 multihash naming provider (a 38-byte Ed25519 PeerId) at 198.51.100.9:4001. */
export function addProvider(multihash: Buffer, provider: Buffer): Buffer {
  const addr = Buffer.from([0x04, 198, 51, 100, 9, 0x06, 0x0f, 0xa1])
  const peer = Buffer.concat([bytesField(1, provider), bytesField(2, addr)])
  return framed(Buffer.concat([varintField(1, 2), bytesField(2, multihash), bytesField(9, peer)]))
}

interface BadCase {
  tag: string
  hex: string
  /** kadstats counters that must grow by exactly these amounts. */
  counts: Record<string, number>
}

export function badInputCases(): BadCase[] {
  const someone = Buffer.concat([Buffer.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]), Buffer.alloc(32, 0x42)])
  const mh = Buffer.concat([Buffer.from([0x12, 0x20]), Buffer.alloc(32, 0x17)])
  return [
    {tag: 'truncated_protobuf', hex: framed(Buffer.from([0x08, 0x01, 0x12, 0x09, 0x61])).toString('hex'), counts: {bad_message: 1}},
    {tag: 'length_prefix_over_16k', hex: Buffer.concat([varint(20000), Buffer.alloc(64, 0x55)]).toString('hex'), counts: {msg_too_big: 1}},
    {tag: 'unknown_message_type', hex: framed(Buffer.from([0x08, 0x07])).toString('hex'), counts: {bad_type: 1}},
    {tag: 'oversized_record', hex: putValue('/kos/big', '1:' + 'a'.repeat(1100)).toString('hex'), counts: {record_too_big: 1}},
    {tag: 'record_key_mismatch', hex: putValue('/kos/a', '1:x', '/kos/b').toString('hex'), counts: {record_key_mismatch: 1}},
    {tag: 'record_not_seq_payload', hex: putValue('/kos/bad', 'no sequence number').toString('hex'), counts: {record_invalid: 1}},
    {tag: 'record_outside_kos_namespace', hex: putValue('/pk/x', '1:x').toString('hex'), counts: {record_invalid: 1}},
    {tag: 'add_provider_for_another_peer', hex: addProvider(mh, someone).toString('hex'), counts: {provider_not_sender: 1}},
  ]
}

export interface KadInteropJob {
  /** p2pd's address as seen from js (the guest's in the namespace, or 127.0.0.1), its ports and PeerId. */
  kosIp: string
  kosPort: number
  kosCtl: number
  kosPeerId: string
  /** js's listen address (the namespace's host side, or 127.0.0.1). */
  jsListen: string
  /** argv prefix that runs a program inside the namespace ([] on the host). */
  prefix: string[]
  p2pCli: string
  /** A PUT_VALUE flood of this many records from the js node. */
  flood: number
  /** Per-operation time limit (TCG guests are slow). */
  opMs: number
  /** PeerContext.timeScale: how much slower the guest's build runs. */
  timeScale?: number
  /** Progress lines (each command and its last answer line). */
  log?: (line: string) => void
}

export interface KadInteropResult {
  ok: boolean
  detail: string
  failures: string[]
  findings: Record<string, unknown>
}

const CID_KOS = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq' // raw, sha2-256("hello")
const CID_JS = 'bafkreicin2sgejgrxnh3nahtj56jvwlkr4sozcf6opvi4wtmmuta5hfyu4' // raw, sha2-256("world")

interface JsResponse {
  from: string
  type: string
  record: string | null
  providers: Array<{id: string; addrs: string[]}>
  closer: string[]
}
const responses = (e: Libp2pEvent): JsResponse[] => (e.responses as JsResponse[] | undefined) ?? []

export function parseKadstats(line: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const kv of (line ?? '').split(' ').slice(1)) {
    const [k, v] = kv.split('=')
    if (v !== undefined && /^\d+$/.test(v)) out[k] = Number(v)
  }
  return out
}

/** js-libp2p's kad-dht and p2pd: values and providers in both directions, then bad input. */
export async function kadInterop(job: KadInteropJob): Promise<KadInteropResult> {
  const failures: string[] = []
  const details: string[] = []
  const findings: Record<string, unknown> = {}
  const fail = (why: string) => failures.push(why)
  const kos = {prefix: job.prefix, p2pCli: job.p2pCli, guestIp: job.kosIp, ctl: job.kosCtl}
  const log = job.log ?? (() => {})
  const cli = async (...args: string[]) => {
    const r = await runCli(kos, args, job.opMs)
    log(`p2p ${args.join(' ')} -> ${r.lines.at(-1) ?? `(exit ${r.status})`}`)
    return r
  }
  const kadstats = async () => parseKadstats((await cli('kadstats')).lines.find((l) => l.startsWith('kadstats ')))
  const js = startKadPeer({listen: job.jsListen}, {prefix: job.prefix, timeScale: job.timeScale})
  const request = js.request
  js.request = async (cmd, ms) => {
    const r = await request(cmd, ms)
    log(`js ${String(cmd.op)} ${String(cmd.key ?? cmd.cid ?? cmd.tag ?? '')} -> ${JSON.stringify(r).slice(0, 300)}`)
    return r
  }
  try {
    const listening = await js.waitFor((e) => e.event === 'listening', job.opMs)
    const jsId = listening.peerId as string
    const jsAddr = (listening.addrs as string[])[0]
    findings.js = {peerId: jsId, addr: jsAddr}
    // kos dials js: identify lists the protocol on both sides, so each adds the other to its table.
    const dial = await cli('dial', jsAddr)
    if (dial.lines.at(-1)?.startsWith(`ok connected ${jsId}`) !== true) throw new Error(`kos dial: ${dial.lines.join(' | ')}`)
    let routing = await cli('routing')
    let jsRt = await js.request({op: 'routing'}, job.opMs)
    for (let i = 0; i < 60 && (!routing.lines.some((l) => l.startsWith(`peer ${jsId} `)) || (jsRt.size as number) < 1); i++) {
      await new Promise((r) => setTimeout(r, 500))
      routing = await cli('routing')
      jsRt = await js.request({op: 'routing'}, job.opMs)
    }
    findings.kosRouting = routing.lines
    findings.jsRoutingSize = jsRt.size
    if (!routing.lines.some((l) => l.startsWith(`peer ${jsId} `))) fail(`js never joined kos's routing table: ${routing.lines.join(' | ')}`)
    if ((jsRt.size as number) !== 1) fail(`js's routing table holds ${String(jsRt.size)} peers, expected kos alone`)

    // js puts, kos gets: kos stored it (js's PUT_VALUE) and js answers kos's GET_VALUE.
    const jsPut = await js.request({op: 'put', key: '/kos/from-js', value: '7:put by js-libp2p'}, job.opMs)
    findings.jsPut = jsPut
    const putAcks = responses(jsPut).filter((r) => r.type === 'PUT_VALUE' && r.from === job.kosPeerId)
    if (putAcks.length !== 1 || putAcks[0].record !== '7:put by js-libp2p') fail(`js put: kos answered ${JSON.stringify(jsPut.responses)}, errors ${JSON.stringify(jsPut.errors)}`)
    const kosGet = await cli('getvalue', '/kos/from-js')
    findings.kosGet = kosGet.lines
    if (!kosGet.lines.includes('value 7:put by js-libp2p') || !/^ok get \/kos\/from-js from=\S+ values=2 hops=0 queried=1 failed=0 ms=\d+$/.test(kosGet.lines.at(-1) ?? ''))
      fail(`kos get of js's value: ${kosGet.lines.join(' | ')}`)
    details.push(`js put /kos/from-js (kos acked), kos got it: ${kosGet.lines.at(-1)}`)

    // kos puts, js gets: js's own store has it (kos's PUT_VALUE) and kos answers js's GET_VALUE.
    const kosPut = await cli('put', '/kos/from-kos', 'put-by-kos')
    findings.kosPut = kosPut.lines
    if (!/^ok put \/kos\/from-kos stored=1 of 1 hops=1 queried=1 failed=0 ms=\d+$/.test(kosPut.lines.at(-1) ?? '')) fail(`kos put: ${kosPut.lines.join(' | ')}`)
    const jsGet = await js.request({op: 'get', key: '/kos/from-kos'}, job.opMs)
    findings.jsGet = jsGet
    // get() yields the best value once (js's own copy comes first); kos's GET_VALUE answer is a response event.
    const vals = (jsGet.values as Array<{from: string; value: string}> | undefined) ?? []
    const fromJs = vals.filter((v) => v.from === jsId && v.value === '1:put-by-kos').length
    const fromKos = responses(jsGet).filter((r) => r.type === 'GET_VALUE' && r.from === job.kosPeerId && r.record === '1:put-by-kos').length
    if (jsGet.error || fromJs !== 1 || fromKos !== 1) fail(`js get of kos's value: ${JSON.stringify(jsGet)}`)
    details.push(`kos put /kos/from-kos (${kosPut.lines.at(-1)}), js got it from its store and from kos`)

    // kos provides, js finds it with GET_PROVIDERS.
    const kosProv = await cli('provide', CID_KOS)
    findings.kosProvide = kosProv.lines
    if (!new RegExp(`^ok provide ${CID_KOS} stored=1 of 1 hops=1 `).test(kosProv.lines.at(-1) ?? '')) fail(`kos provide: ${kosProv.lines.join(' | ')}`)
    const jsFind = await js.request({op: 'findProviders', cid: CID_KOS}, job.opMs)
    findings.jsFindProviders = jsFind
    // js reports each provider once (its own store, filled by kos's ADD_PROVIDER, comes first); kos's answer is a response event.
    const provs = (jsFind.providers as Array<{from: string; id: string; addrs: string[]}>).filter((p) => p.id === job.kosPeerId)
    const kosAddr = `/ip4/${job.kosIp}/tcp/${job.kosPort}`
    if (provs.length !== 1 || !provs[0].addrs.includes(kosAddr)) fail(`js findProviders: ${JSON.stringify(jsFind.providers)} (wanted ${job.kosPeerId} at ${kosAddr})`)
    const kosAnswer = responses(jsFind).find((r) => r.type === 'GET_PROVIDERS' && r.from === job.kosPeerId)
    if (!kosAnswer?.providers.some((p) => p.id === job.kosPeerId && p.addrs.includes(kosAddr))) fail(`kos's GET_PROVIDERS answer to js: ${JSON.stringify(kosAnswer)}`)
    details.push(`kos provided ${CID_KOS}; js found kos at ${kosAddr}`)

    // js provides, kos finds it.
    const jsProv = await js.request({op: 'provide', cid: CID_JS}, job.opMs)
    findings.jsProvide = jsProv
    const kosFind = await cli('providers', CID_JS)
    findings.kosProviders = kosFind.lines
    if (!kosFind.lines.some((l) => l.startsWith(`provider ${jsId} /ip4/`)) || !new RegExp(`^ok providers ${CID_JS} 1 hops=(0|1) `).test(kosFind.lines.at(-1) ?? ''))
      fail(`kos providers of js's CID: ${kosFind.lines.join(' | ')}`)
    details.push(`js provided ${CID_JS}; kos found it: ${kosFind.lines.at(-1)}`)
    const findPeer = await cli('findpeer', jsId)
    findings.kosFindpeer = findPeer.lines
    if (!new RegExp(`^ok findpeer ${jsId} addr=/ip4/`).test(findPeer.lines.at(-1) ?? '')) fail(`kos findpeer js: ${findPeer.lines.join(' | ')}`)

    // Bad input from the js node on its own kad streams: each refused (closed, no answer) and counted.
    const before = await kadstats()
    findings.kadstatsBefore = before
    const raws: Libp2pEvent[] = []
    const want: Record<string, number> = {}
    for (const c of badInputCases()) {
      const r = await js.request({op: 'raw', peer: job.kosPeerId, tag: c.tag, hex: c.hex, waitMs: job.opMs / 4}, job.opMs)
      raws.push(r)
      if (r.ended !== 'closed' || r.received !== '') fail(`${c.tag}: stream ${String(r.ended)}, answer ${String(r.received)}`)
      for (const [k, v] of Object.entries(c.counts)) want[k] = (want[k] ?? 0) + v
    }
    // A PUT_VALUE flood: js already holds one record on kos (/kos/from-js), so KAD_PEER_RECORDS - 1 more fit.
    const fit = KAD_PEER_RECORDS - 1
    let answered = 0
    for (let i = 0; i < job.flood; i++) {
      const r = await js.request({op: 'raw', peer: job.kosPeerId, tag: `flood-${i}`, hex: putValue(`/kos/flood-${i}`, '1:x').toString('hex'), waitMs: job.opMs / 4}, job.opMs)
      if (r.received !== '') answered++
    }
    want.put_quota = Math.max(0, job.flood - fit)
    want.records_stored = Math.min(job.flood, fit)
    findings.raw = raws
    const after = await kadstats()
    findings.kadstatsAfter = after
    for (const [k, v] of Object.entries(want)) if ((after[k] ?? 0) - (before[k] ?? 0) !== v) fail(`kadstats ${k} grew by ${(after[k] ?? 0) - (before[k] ?? 0)}, expected ${v}`)
    if (answered !== Math.min(job.flood, fit)) fail(`flood: kos acknowledged ${answered} PUT_VALUEs, expected ${Math.min(job.flood, fit)}`)
    const recordsWant = (before.records ?? 0) + Math.min(job.flood, fit)
    if (after.records !== recordsWant) fail(`kos holds ${after.records} records after the flood, expected ${recordsWant}`)
    // Nothing refused was stored: the big record and a flooded key past the quota are nowhere.
    for (const key of ['/kos/big', `/kos/flood-${job.flood - 1}`, '/kos/a', '/kos/b']) {
      const g = await cli('getvalue', key)
      if (!g.lines.at(-1)?.startsWith(`error get ${key}: not found`)) fail(`${key} should not be stored: ${g.lines.join(' | ')}`)
    }
    details.push(`bad input: ${raws.length} malformed/refused messages closed unanswered; flood of ${job.flood}: ${want.records_stored} stored, ${want.put_quota} refused (put_quota)`)
    // The daemon still serves js.
    const again = await js.request({op: 'get', key: '/kos/from-kos'}, job.opMs)
    if (!responses(again).some((r) => r.type === 'GET_VALUE' && r.from === job.kosPeerId && r.record === '1:put-by-kos')) fail(`js get after bad input: ${JSON.stringify(again)}`)
  } catch (error) {
    fail((error as Error).message.slice(0, 2000))
  } finally {
    await js.stop()
  }
  return {ok: failures.length === 0, detail: [...details, ...failures.map((f) => `FAIL ${f}`)].join('; '), failures, findings}
}
