// The Helia reference peer: unmodified Helia 7 (helia's light core with
// @helia/libp2p and @helia/bitswap) and @helia/unixfs over js-libp2p with
// TCP, Noise and yamux only: no bootstrap list, no HTTP gateways or
// delegated routing, no DHT, so it reaches nothing but the peers a test
// tells it to dial (loopback or the run's namespace). Plain ESM run as a
// child process (`node src/netlab/helia-peer.mjs JOB`), also under
// `ip netns exec`. One JSON job in argv; JSON lines on stdout, one per
// event; commands as JSON lines on stdin:
//   {"op":"dial","addr":MADDR}           -> {"event":"dialed","peerId"...}
//   {"op":"add","path":FILE}             -> {"event":"added","cid","size"}
//   {"op":"cat","cid":CID,"timeoutMs":N} -> {"event":"cat","cid","size","sha256","ms"}
//   {"op":"stats"} {"op":"quit"}
// Node 20 lacks Promise.withResolvers, which libp2p 3 uses.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return {promise, resolve, reject}
  }
}
const {createHeliaLight} = await import('helia')
const {withLibp2pLight} = await import('@helia/libp2p')
const {withBitswap} = await import('@helia/bitswap')
const {unixfs} = await import('@helia/unixfs')
const {tcp} = await import('@libp2p/tcp')
const {noise} = await import('@chainsafe/libp2p-noise')
const {yamux} = await import('@chainsafe/libp2p-yamux')
const {identify} = await import('@libp2p/identify')
const {ping} = await import('@libp2p/ping')
const {multiaddr} = await import('@multiformats/multiaddr')
const {CID} = await import('multiformats/cid')
const {createHash} = await import('node:crypto')
const {readFile} = await import('node:fs/promises')
const readline = await import('node:readline')

const job = JSON.parse(process.argv[2] ?? '{}')
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')

const helia = withBitswap(withLibp2pLight(createHeliaLight(), {
  addresses: {listen: [job.listen ?? '/ip4/127.0.0.1/tcp/0']},
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {identify: identify(), ping: ping()},
  connectionManager: {maxConnections: 64},
}))
await helia.start()
const fs = unixfs(helia)
const libp2p = helia.libp2p

async function dial(addr) {
  const t0 = Date.now()
  const conn = await libp2p.dial(multiaddr(addr))
  return {event: 'dialed', addr, peerId: conn.remotePeer.toString(), ms: Date.now() - t0}
}

async function add(path) {
  const bytes = await readFile(path)
  const cid = await fs.addBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  return {event: 'added', path, cid: cid.toString(), size: bytes.byteLength}
}

async function cat(cid, timeoutMs) {
  const t0 = Date.now()
  const h = createHash('sha256')
  let size = 0
  for await (const chunk of fs.cat(CID.parse(cid), {signal: AbortSignal.timeout(timeoutMs ?? 600_000)})) {
    h.update(chunk)
    size += chunk.byteLength
  }
  return {event: 'cat', cid, size, sha256: h.digest('hex'), ms: Date.now() - t0}
}

out({event: 'listening', peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String)})

// Commands run one at a time, in order, so the events answer them in order.
let queue = Promise.resolve()
const rl = readline.createInterface({input: process.stdin})
rl.on('line', (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { return }
  queue = queue.then(async () => {
    try {
      if (cmd.op === 'dial') out(await dial(cmd.addr))
      else if (cmd.op === 'add') out(await add(cmd.path))
      else if (cmd.op === 'cat') out(await cat(cmd.cid, cmd.timeoutMs))
      else if (cmd.op === 'stats') {
        out({event: 'stats', connections: libp2p.getConnections().map((c) => ({peer: c.remotePeer.toString(), addr: String(c.remoteAddr), status: c.status}))})
      } else if (cmd.op === 'quit') {
        await helia.stop()
        out({event: 'stopped'})
        process.exit(0)
      }
    } catch (e) {
      out({event: cmd.op === 'dial' ? 'dialed' : cmd.op === 'add' ? 'added' : cmd.op, error: String(e?.stack ?? e), ...cmd})
    }
  })
})
rl.on('close', async () => { await helia.stop(); process.exit(0) })
