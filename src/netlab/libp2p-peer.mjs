// The js-libp2p reference peer: unmodified js-libp2p (TCP, Noise, yamux,
// identify, ping, optional mDNS) that dials and serves a kos node. Plain ESM
// run as a child process (`node src/netlab/libp2p-peer.mjs JOB`), also under
// `ip netns exec`. One JSON job in argv; JSON lines on stdout, one per event;
// commands as JSON lines on stdin ({"op":"dial","addr":...}, {"op":"stats"},
// {"op":"quit"}; peer-common.mjs).
import {connectionsOf, job, libp2pOptions, multiaddr, out, readCommands, scaled} from './peer-common.mjs'

const {createLibp2p} = await import('libp2p')
const {peerIdFromPublicKey} = await import('@libp2p/peer-id')
const {publicKeyFromProtobuf} = await import('@libp2p/crypto/keys')

const ECHO = '/kos/echo/1.0.0'

const services = {}
if (job.mdns) {
  const {mdns} = await import('@libp2p/mdns')
  services.mdns = mdns({interval: job.mdnsIntervalMs ?? 1000, broadcast: job.mdnsBroadcast ?? true})
}
const node = await createLibp2p(libp2pOptions(services))

const identified = new Map()
node.addEventListener('peer:identify', (evt) => {
  const d = evt.detail
  let keyMatches = false
  try {
    const key = d.publicKey instanceof Uint8Array ? publicKeyFromProtobuf(d.publicKey) : d.publicKey
    keyMatches = key != null && peerIdFromPublicKey(key).equals(d.peerId)
  } catch { keyMatches = false }
  const info = {
    event: 'identify',
    peerId: d.peerId.toString(),
    agentVersion: d.agentVersion,
    protocolVersion: d.protocolVersion,
    protocols: d.protocols,
    listenAddrs: (d.listenAddrs ?? []).map(String),
    observedAddr: d.observedAddr ? String(d.observedAddr) : null,
    keyMatches,
  }
  identified.set(info.peerId, info)
  for (const w of waiters.splice(0)) w()
  out(info)
})
const waiters = []
async function waitIdentify(id, ms) {
  const until = Date.now() + ms
  while (!identified.has(id)) {
    if (Date.now() > until) return null
    await new Promise((res) => { waiters.push(res); setTimeout(res, 200) })
  }
  return identified.get(id)
}

if (job.mdns) {
  node.addEventListener('peer:discovery', (evt) => {
    out({event: 'discovery', peerId: evt.detail.id.toString(), multiaddrs: evt.detail.multiaddrs.map(String)})
  })
}

let echoServed = 0, echoBytes = 0
await node.handle(ECHO, async (stream) => {
  let n = 0
  for await (const chunk of stream) {
    n += chunk.byteLength
    if (!stream.send(chunk)) await stream.onDrain()
  }
  await stream.close()
  echoServed++
  echoBytes += n
}, {maxInboundStreams: 256, maxOutboundStreams: 256})

const pattern = (i, size) => {
  const b = new Uint8Array(size)
  for (let k = 0; k < size; k++) b[k] = (k * 7 + i * 13 + (k >> 9)) & 0xff
  return b
}

async function echoOnce(peer, i, size) {
  const stream = await node.dialProtocol(peer, ECHO, {maxOutboundStreams: 256})
  const data = pattern(i, size)
  const reader = (async () => {
    const got = new Uint8Array(size)
    let off = 0, bad = false
    for await (const chunk of stream) {
      const c = chunk.subarray()
      if (off + c.byteLength > size) { bad = true; break }
      got.set(c, off)
      off += c.byteLength
    }
    if (bad || off !== size) return false
    for (let k = 0; k < size; k++) if (got[k] !== data[k]) return false
    return true
  })()
  for (let off = 0; off < size; off += 16384) {
    if (!stream.send(data.subarray(off, Math.min(size, off + 16384)))) await stream.onDrain()
  }
  await stream.close()
  return reader
}

async function dial(addr, opts) {
  const ma = multiaddr(addr)
  const t0 = Date.now()
  const conn = await node.dial(ma)
  const peerId = conn.remotePeer.toString()
  const info = await waitIdentify(peerId, scaled(20_000))
  const rtts = []
  for (let i = 0; i < (opts.pings ?? 20); i++) rtts.push(await node.services.ping.ping(conn.remotePeer))
  const echo = {streams: opts.echoStreams ?? 0, size: opts.echoSize ?? 0, ok: 0, failed: 0, ms: 0}
  if (echo.streams > 0) {
    const e0 = Date.now()
    const results = await Promise.allSettled(Array.from({length: echo.streams}, (_, i) => echoOnce(conn.remotePeer, i, echo.size)))
    echo.ms = Date.now() - e0
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value) echo.ok++
      else { echo.failed++; if (r.status === 'rejected' && !echo.error) echo.error = String(r.reason) }
    }
  }
  return {event: 'dialed', addr, peerId, connectMs: Date.now() - t0, identify: info, rtts, echo}
}

async function rawSession(cmd) {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const sock = net.connect(cmd.port, cmd.host)
    let got = Buffer.alloc(0)
    let done = false
    const finish = (closed) => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve({event: 'raw', tag: cmd.tag, closed, received: got.length})
    }
    const timer = setTimeout(() => finish(false), cmd.timeoutMs ?? 30000)
    sock.on('data', (c) => { got = Buffer.concat([got, c]) })
    sock.on('close', () => finish(true))
    sock.on('error', () => {})
    sock.on('connect', async () => {
      for (const step of cmd.steps) {
        // Each step: bytes to send once the node has sent at least `after` bytes.
        for (let i = 0; i < 200 && got.length < (step.after ?? 0); i++) await new Promise((r) => setTimeout(r, 50))
        sock.write(Buffer.from(step.hex, 'hex'))
      }
    })
  })
}

out({event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String)})

if (job.dial) {
  try { out(await dial(job.dial, job)) } catch (e) { out({event: 'dialed', addr: job.dial, error: String(e?.stack ?? e)}) }
}

readCommands(async (cmd) => {
  if (cmd.op === 'dial') {
    try { out(await dial(cmd.addr, cmd)) } catch (e) { out({event: 'dialed', addr: cmd.addr, error: String(e?.stack ?? e)}) }
  } else if (cmd.op === 'stats') {
    out({event: 'stats', echoServed, echoBytes, connections: connectionsOf(node)})
  } else if (cmd.op === 'raw') {
    // Bad input for the tests: bytes straight onto a TCP connection to the
    // node; reports whether the node closed it and what it sent back.
    out(await rawSession(cmd))
  } else if (cmd.op === 'quit') {
    await node.stop()
    out({event: 'stopped'})
    process.exit(0)
  }
}, async () => { await node.stop(); process.exit(0) })
