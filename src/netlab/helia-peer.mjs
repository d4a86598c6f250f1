// The Helia reference peer: unmodified Helia 7 (helia's light core with
// @helia/libp2p and @helia/bitswap) and @helia/unixfs over js-libp2p with
// TCP, Noise and yamux only: no bootstrap list, no HTTP gateways or
// delegated routing, no DHT, so it reaches nothing but the peers a test
// tells it to dial (loopback or the run's namespace). Plain ESM run as a
// child process (`node src/netlab/helia-peer.mjs JOB`), also under
// `ip netns exec`. One JSON job in argv; JSON lines on stdout, one per
// event; commands as JSON lines on stdin (peer-common.mjs):
//   {"op":"dial","addr":MADDR}           -> {"event":"dialed","peerId"...}
//   {"op":"add","path":FILE}             -> {"event":"added","cid","size"}
//   {"op":"cat","cid":CID,"timeoutMs":N} -> {"event":"cat","cid","size","sha256","ms"}
//   {"op":"stats"} {"op":"quit"}
import {connectionsOf, libp2pOptions, multiaddr, out, readCommands} from './peer-common.mjs'

const {createHeliaLight} = await import('helia')
const {withLibp2pLight} = await import('@helia/libp2p')
const {withBitswap} = await import('@helia/bitswap')
const {unixfs} = await import('@helia/unixfs')
const {CID} = await import('multiformats/cid')
const {createHash} = await import('node:crypto')
const {readFile} = await import('node:fs/promises')

const helia = withBitswap(withLibp2pLight(createHeliaLight(), libp2pOptions({})))
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
readCommands((cmd) => {
  queue = queue.then(async () => {
    try {
      if (cmd.op === 'dial') out(await dial(cmd.addr))
      else if (cmd.op === 'add') out(await add(cmd.path))
      else if (cmd.op === 'cat') out(await cat(cmd.cid, cmd.timeoutMs))
      else if (cmd.op === 'stats') {
        out({event: 'stats', connections: connectionsOf(libp2p)})
      } else if (cmd.op === 'quit') {
        await helia.stop()
        out({event: 'stopped'})
        process.exit(0)
      }
    } catch (e) {
      out({event: cmd.op === 'dial' ? 'dialed' : cmd.op === 'add' ? 'added' : cmd.op, error: String(e?.stack ?? e), ...cmd})
    }
  })
}, async () => { await helia.stop(); process.exit(0) })
