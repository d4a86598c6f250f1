// The js-libp2p Kademlia reference peer: unmodified js-libp2p 3.3 with
// @libp2p/kad-dht 16.4 in server mode on a private protocol id, with a
// validator and selector for the /kos/ namespace (the same rules as kos:
// user/p2p/core/kad_store.c) and an address filter that keeps only the
// test addresses (127.0.0.0/8 and the namespace's 198.51.100.0/24; the
// default filter drops private ranges, which these are). Plain ESM run as
// a child process (`node src/netlab/kad-peer.mjs JOB`), also under
// `ip netns exec`; driven by src/netlab/kad.ts: one JSON job in argv, JSON
// lines out (one per event), commands as JSON lines on stdin (peer-common.mjs).
import {job, libp2pOptions, multiaddr, out, readCommands} from './peer-common.mjs'

const {createLibp2p} = await import('libp2p')
const {kadDHT} = await import('@libp2p/kad-dht')
const {CID} = await import('multiformats/cid')

const enc = new TextEncoder()
const dec = new TextDecoder()
const VALUE_MAX = 1024

// /kos/NAME -> "SEQ:PAYLOAD": SEQ decimal without leading zeros (up to 18
// digits), PAYLOAD printable ASCII, at most 1024 bytes in all.
function parseKos(value) {
  if (value.byteLength > VALUE_MAX) throw new Error('record too big')
  const m = /^(0|[1-9][0-9]{0,17}):([\x20-\x7e]*)$/.exec(dec.decode(value))
  if (!m) throw new Error('not SEQ:PAYLOAD')
  return {seq: BigInt(m[1]), text: m[0]}
}
async function validateKos(key, value) {
  if (!/^\/kos\/[\x21-\x7e]+$/.test(dec.decode(key)) || key.byteLength > 256) throw new Error('bad /kos/ key')
  parseKos(value)
}
function selectKos(key, records) {
  let best = 0
  for (let i = 1; i < records.length; i++) {
    const a = parseKos(records[i]), b = parseKos(records[best])
    if (a.seq > b.seq || (a.seq === b.seq && Buffer.compare(Buffer.from(records[i]), Buffer.from(records[best])) > 0)) best = i
  }
  return best
}
const TEST_NET = /^\/ip4\/(127\.\d+\.\d+\.\d+|198\.51\.100\.\d+)\/tcp\/\d+/
const keepTestAddrs = (peer) => ({...peer, multiaddrs: peer.multiaddrs.filter((ma) => TEST_NET.test(ma.toString()))})

const node = await createLibp2p(libp2pOptions({
  dht: kadDHT({
    protocol: job.protocol ?? '/kos/kad/1.0.0',
    clientMode: false,
    validators: {kos: validateKos},
    selectors: {kos: selectKos},
    peerInfoMapper: keepTestAddrs,
    allowQueryWithZeroPeers: true,
    initialQuerySelfInterval: 500,
  }),
}))
const dht = node.services.dht
const protocol = job.protocol ?? '/kos/kad/1.0.0'

// Runs one DHT operation, collecting what its query events say.
async function collect(iter) {
  const ev = {responses: [], values: [], providers: [], errors: [], finalPeers: []}
  for await (const e of iter) {
    if (e.name === 'PEER_RESPONSE') {
      ev.responses.push({from: e.from.toString(), type: e.messageName, record: e.record ? dec.decode(e.record.value) : null,
        providers: e.providers.map((p) => ({id: p.id.toString(), addrs: p.multiaddrs.map(String)})), closer: e.closer.map((p) => p.id.toString())})
    }
    else if (e.name === 'VALUE') ev.values.push({from: e.from.toString(), value: dec.decode(e.value)})
    else if (e.name === 'PROVIDER') for (const p of e.providers) ev.providers.push({from: e.from.toString(), id: p.id.toString(), addrs: p.multiaddrs.map(String)})
    else if (e.name === 'QUERY_ERROR') ev.errors.push({from: e.from?.toString(), error: String(e.error?.message ?? e.error)})
    else if (e.name === 'FINAL_PEER') ev.finalPeers.push(e.peer.id.toString())
  }
  return ev
}

// Raw bytes on a kad stream to a peer (bad input for the tests): what came
// back and whether the peer closed or reset the stream.
async function raw(cmd) {
  const conn = node.getConnections().find((c) => c.remotePeer.toString() === cmd.peer)
  if (!conn) return {event: 'raw', tag: cmd.tag, error: 'not connected'}
  const stream = await conn.newStream(protocol)
  const got = []
  let ended = 'open'
  // Resolves once a whole length-prefixed answer is in (the peer closes only after we do).
  let answered
  const whole = new Promise((res) => { answered = res })
  const complete = () => {
    const b = Buffer.concat(got)
    let len = 0, shift = 0, i = 0
    for (; i < b.length && i < 9; i++) {
      len += (b[i] & 0x7f) * 2 ** shift
      shift += 7
      if (!(b[i] & 0x80)) return b.length >= i + 1 + len
    }
    return false
  }
  const reader = (async () => {
    try {
      for await (const chunk of stream) {
        got.push(Buffer.from(chunk.subarray()))
        if (complete()) answered()
      }
      ended = 'closed'
    } catch (e) { ended = `reset: ${String(e?.message ?? e)}` }
  })()
  stream.send(Buffer.from(cmd.hex, 'hex'))
  const timer = new Promise((res) => setTimeout(res, cmd.waitMs ?? 5000))
  await Promise.race([reader, whole, timer])
  if (ended === 'open') {
    // Answered (or neither answered nor closed): close our side; the peer closes after us.
    try { await stream.close() } catch {}
    await Promise.race([reader, new Promise((res) => setTimeout(res, 2000))])
  }
  try { stream.abort(new Error('done')) } catch {}
  return {event: 'raw', tag: cmd.tag, ended, received: Buffer.concat(got).toString('hex')}
}

async function run(cmd) {
  const t0 = Date.now()
  switch (cmd.op) {
    case 'dial': {
      const conn = await node.dial(multiaddr(cmd.addr))
      return {event: 'dialed', peerId: conn.remotePeer.toString()}
    }
    case 'routing':
      return {event: 'routing', size: dht.routingTable.size, peers: [...(await node.peerStore.all())].map((p) => p.id.toString()),
        connections: node.getConnections().map((c) => c.remotePeer.toString())}
    case 'put': {
      const ev = await collect(dht.put(enc.encode(cmd.key), enc.encode(cmd.value)))
      return {event: 'put', key: cmd.key, ms: Date.now() - t0, ...ev}
    }
    case 'get': {
      let ev, error
      try { ev = await collect(dht.get(enc.encode(cmd.key))) } catch (e) { error = String(e?.message ?? e) }
      return {event: 'get', key: cmd.key, ms: Date.now() - t0, error, ...ev}
    }
    case 'provide': {
      const ev = await collect(dht.provide(CID.parse(cmd.cid)))
      return {event: 'provide', cid: cmd.cid, ms: Date.now() - t0, ...ev}
    }
    case 'findProviders': {
      const ev = await collect(dht.findProviders(CID.parse(cmd.cid)))
      return {event: 'findProviders', cid: cmd.cid, ms: Date.now() - t0, ...ev}
    }
    case 'findPeer': {
      try {
        const found = await node.peerRouting.findPeer((await import('@libp2p/peer-id')).peerIdFromString(cmd.peer))
        return {event: 'findPeer', peer: cmd.peer, addrs: found.multiaddrs.map(String), ms: Date.now() - t0}
      } catch (e) { return {event: 'findPeer', peer: cmd.peer, error: String(e?.message ?? e)} }
    }
    case 'raw':
      return raw(cmd)
    default:
      return {event: 'error', error: `unknown op ${cmd.op}`}
  }
}

out({event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), protocol})
for (const addr of job.dial ?? []) {
  try { out(await run({op: 'dial', addr})) } catch (e) { out({event: 'dialed', addr, error: String(e?.stack ?? e)}) }
}

// Commands run one at a time, in order; each answer carries the command's id.
let chain = Promise.resolve()
readCommands((cmd) => {
  if (cmd.op === 'quit') {
    chain = chain.then(async () => { await node.stop(); out({event: 'stopped'}); process.exit(0) })
    return
  }
  chain = chain.then(async () => {
    try { out({id: cmd.id, ...(await run(cmd))}) } catch (e) { out({id: cmd.id, event: 'error', op: cmd.op, error: String(e?.stack ?? e)}) }
  })
}, () => { chain.then(async () => { await node.stop(); process.exit(0) }) })
