// What the js reference peers (libp2p-peer.mjs, kad-peer.mjs, helia-peer.mjs)
// share: each is plain ESM run as a child process (`node src/netlab/NAME.mjs
// JOB`, also under `ip netns exec`) with one JSON job in argv, JSON lines out
// on stdout (one per event) and commands as JSON lines on stdin, over the same
// js-libp2p stack: TCP, Noise, yamux, identify and ping.
// Node 20 lacks Promise.withResolvers, which libp2p 3 uses: it is filled in
// here, before any libp2p module loads (they are imported below, after it).
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return {promise, resolve, reject}
  }
}
const {tcp} = await import('@libp2p/tcp')
const {noise} = await import('@chainsafe/libp2p-noise')
const {yamux} = await import('@chainsafe/libp2p-yamux')
const {identify} = await import('@libp2p/identify')
const {ping} = await import('@libp2p/ping')
const readline = await import('node:readline')
export const {multiaddr} = await import('@multiformats/multiaddr')

/** The job (argv[2]) and one event out as a JSON line. */
export const job = JSON.parse(process.argv[2] ?? '{}')
export const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')

/**
 * How much slower the guest's build runs than the normal one (job.timeScale,
 * from kos test's variant: PeerContext.timeScale); js-libp2p's own timeouts
 * scale by it. Each is js-libp2p 3.3's default times the factor: at 1 they
 * are the defaults. Under the sanitize build a connection-monitor ping stuck
 * behind 100 x 64 KiB of echo data overran the 5 s floor of its timeout (or
 * was still waiting when the next one started, 10 s later), and js aborted
 * the connection with its echo streams.
 */
export const timeScale = job.timeScale ?? 1
export const scaled = (ms) => Math.round(ms * timeScale)

/** The libp2p options every peer starts from: listen on job.listen (loopback by default), the stack's transport and muxers. */
export function libp2pOptions(services) {
  return {
    addresses: {listen: [job.listen ?? '/ip4/127.0.0.1/tcp/0']},
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {identify: identify({timeout: scaled(5000)}), ping: ping({timeout: scaled(10_000)}), ...services},
    connectionManager: {
      maxConnections: 64,
      dialTimeout: scaled(10_000),
      addressDialTimeout: scaled(6000),
      inboundUpgradeTimeout: scaled(10_000),
      inboundStreamProtocolNegotiationTimeout: scaled(10_000),
      outboundStreamProtocolNegotiationTimeout: scaled(10_000),
    },
    // The interval too: a ping still waiting when the next one starts exceeds the ping protocol's one outbound stream and aborts the connection.
    connectionMonitor: {pingInterval: scaled(10_000), pingTimeout: {minTimeout: scaled(5000), maxTimeout: scaled(60_000)}},
  }
}

/** The `stats` event's list of connections. */
export const connectionsOf = (libp2p) =>
  libp2p.getConnections().map((c) => ({peer: c.remotePeer.toString(), addr: String(c.remoteAddr), status: c.status}))

/** Calls onCommand with each JSON line on stdin (other lines are ignored) and onClose when stdin ends. */
export function readCommands(onCommand, onClose) {
  const rl = readline.createInterface({input: process.stdin})
  rl.on('line', (line) => {
    let cmd
    try { cmd = JSON.parse(line) } catch { return }
    onCommand(cmd)
  })
  rl.on('close', onClose)
}
