// Driving the js-libp2p reference peer (libp2p-peer.mjs) from TypeScript: one
// child process, its JSON-line events, and commands on its stdin. Used by the
// host interop test (test/host/p2p-libp2p.test.ts); `prefix` runs it inside a
// network namespace (`ip netns exec NS`).
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const LIBP2P_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/netlab/libp2p-peer.mjs')

export interface Libp2pEvent {
  event: string
  [key: string]: unknown
}

export interface Libp2pPeer {
  child: ChildProcess
  events: Libp2pEvent[]
  /** Resolves with the first event (from the start) that matches, or rejects after ms. */
  waitFor(match: (e: Libp2pEvent) => boolean, ms: number): Promise<Libp2pEvent>
  send(cmd: Record<string, unknown>): void
  stop(): Promise<void>
  stderr(): string
}

/** The options every JSON-line peer takes: opts.timeScale (PeerContext.timeScale) scales js-libp2p's own timeouts (peer-common.mjs). */
export interface PeerStartOptions {
  prefix?: string[]
  cwd?: string
  timeScale?: number
}

/** Starts a JSON-line peer script: libp2p-peer.mjs, or another (opts.script, e.g. helia-peer.mjs, kad-peer.mjs) speaking the same way. */
export function startLibp2pPeer(job: Record<string, unknown>, opts: PeerStartOptions & {script?: string} = {}): Libp2pPeer {
  const argv = [...(opts.prefix ?? []), process.execPath, opts.script ?? LIBP2P_PEER_SCRIPT, JSON.stringify({...job, timeScale: opts.timeScale ?? 1})]
  const child = spawn(argv[0], argv.slice(1), {cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe']})
  const events: Libp2pEvent[] = []
  const waiters: Array<() => void> = []
  let err = ''
  let partial = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk
    let i
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i)
      partial = partial.slice(i + 1)
      try {
        events.push(JSON.parse(line) as Libp2pEvent)
      } catch {
        err += `(not json) ${line}\n`
      }
      for (const w of waiters.splice(0)) w()
    }
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (c: string) => { err = (err + c).slice(-20000) })
  child.on('exit', () => { for (const w of waiters.splice(0)) w() })
  return {
    child,
    events,
    waitFor(match, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`js-libp2p peer: no matching event in ${ms} ms; events ${JSON.stringify(events).slice(0, 2000)}; stderr ${err.slice(-2000)}`)), ms)
        const check = () => {
          const e = events.find(match)
          if (e) {
            clearTimeout(timer)
            resolve(e)
          } else if (child.exitCode !== null) {
            clearTimeout(timer)
            reject(new Error(`js-libp2p peer exited (${child.exitCode}); stderr ${err.slice(-2000)}`))
          } else waiters.push(check)
        }
        check()
      })
    },
    send(cmd) {
      child.stdin!.write(JSON.stringify(cmd) + '\n')
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((res) => child.once('exit', () => res()))
      child.stdin!.end()
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    },
    stderr: () => err,
  }
}

/** The guest's p2pd announces itself on serial with this line (user/p2p/cmd/p2pd.c). */
export const P2PD_READY = /p2pd: ready peer (12D3KooW\w+) port (\d+) ctl (\d+)/

export interface P2pTapJob {
  /** The guest's address in the namespace, its PeerId and ports (from P2PD_READY). */
  guestIp: string
  hostIp: string
  peerId: string
  port: number
  ctl: number
  /** argv prefix that runs a command inside the namespace. */
  prefix: string[]
  /** The host build of the p2p client (build/host/p2p). */
  p2pCli: string
  pings: number
  echoStreams: number
  echoSize: number
  /** Figures measured before p2pd started (e.g. plain TCP echo on the same link), printed with the others. */
  extraMetrics?: Array<[string, number, string]>
  /** PeerContext.timeScale: how much slower the guest's build runs. */
  timeScale?: number
}

/** Runs the host build of the p2p client against the guest's control port (ctl=IP:PORT), inside the namespace. */
export function runCli(job: Pick<P2pTapJob, 'prefix' | 'p2pCli' | 'guestIp' | 'ctl'>, args: string[], timeoutMs: number): Promise<{status: number | null; lines: string[]}> {
  return new Promise((resolve) => {
    const argv = [...job.prefix, job.p2pCli, `ctl=${job.guestIp}:${job.ctl}`, ...args]
    const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout!.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr!.on('data', (c: Buffer) => { out += c.toString() })
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    // 'close', not 'exit': only then has every byte of its output been read.
    child.on('close', (code) => {
      clearTimeout(t)
      resolve({status: code, lines: out.split('\n').filter(Boolean)})
    })
  })
}

const mss = (line: string): string => Buffer.concat([Buffer.from([line.length + 1]), Buffer.from(line + '\n')]).toString('hex')

/** Malformed input on each layer, each on its own TCP connection: the guest must close every one of them. */
async function badInput(js: Libp2pPeer, job: P2pTapJob): Promise<{ok: boolean; detail: string; findings: unknown[]}> {
  const header = mss('/multistream/1.0.0') + mss('/noise')
  const base = '09' + '00'.repeat(31) // X25519's base point: a valid ephemeral key
  const cases = [
    {tag: 'http_instead_of_multistream', steps: [{hex: Buffer.from('GET / HTTP/1.1\r\nHost: kos\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n').toString('hex')}]},
    {tag: 'oversized_varint', steps: [{hex: 'ff'.repeat(12)}]},
    {tag: 'wrong_multistream_header', steps: [{hex: mss('/multistream/0.9.9')}]},
    {tag: 'noise_message_too_short', steps: [{hex: header + '0005' + '0102030405'}]},
    {tag: 'noise_message_does_not_decrypt', steps: [{hex: header + '0020' + base}, {after: 40 + 96, hex: '0078' + '5a'.repeat(120)}]},
  ]
  const findings: unknown[] = []
  let ok = true
  for (const c of cases) {
    js.send({op: 'raw', host: job.guestIp, port: job.port, timeoutMs: 60_000, ...c})
    const r = await js.waitFor((e) => e.event === 'raw' && e.tag === c.tag, 90_000)
    findings.push(r)
    if (!r.closed) ok = false
  }
  return {ok, detail: `${findings.filter((f) => (f as {closed: boolean}).closed).length}/${cases.length} malformed connections closed by the guest`, findings}
}

/** js-libp2p in the namespace against p2pd in the guest, both directions; then `p2p quit` ends the guest's program. */
export async function p2pTapInterop(job: P2pTapJob): Promise<{ok: boolean; detail: string; findings: Record<string, unknown>}> {
  const details: string[] = []
  const findings: Record<string, unknown> = {}
  let ok = true
  const fail = (why: string) => { ok = false; details.push(why) }
  const target = `/ip4/${job.guestIp}/tcp/${job.port}/p2p/${job.peerId}`
  const js = startLibp2pPeer({listen: `/ip4/${job.hostIp}/tcp/0`, dial: target, pings: job.pings, echoStreams: job.echoStreams, echoSize: job.echoSize}, {prefix: job.prefix, timeScale: job.timeScale})
  // A second js node that only listens: the connection kos dials is its own.
  const js2 = startLibp2pPeer({listen: `/ip4/${job.hostIp}/tcp/0`}, {prefix: job.prefix, timeScale: job.timeScale})
  try {
    const listening = await js2.waitFor((e) => e.event === 'listening', 120_000)
    const jsAddr = (listening.addrs as string[])[0]
    const jsId = listening.peerId as string
    const dialed = await js.waitFor((e) => e.event === 'dialed', 600_000)
    findings.jsDialsKos = dialed
    const id = dialed.identify as Libp2pEvent | null
    const want = ['/ipfs/id/1.0.0', '/ipfs/id/push/1.0.0', '/ipfs/ping/1.0.0', '/kos/echo/1.0.0']
    if (dialed.error) fail(`js dial: ${String(dialed.error).split('\n')[0]}`)
    else {
      if (!id || id.agentVersion !== 'kos/0.1.0' || !id.keyMatches || want.some((p) => !(id.protocols as string[]).includes(p)) ||
        !(id.listenAddrs as string[]).includes(`/ip4/${job.guestIp}/tcp/${job.port}`)) fail(`identify from js: ${JSON.stringify(id)}`)
      const rtts = dialed.rtts as number[]
      if (rtts.length !== job.pings) fail(`js pings: ${rtts.length}/${job.pings}`)
      const echo = dialed.echo as {ok: number; failed: number}
      if (echo.ok !== job.echoStreams || echo.failed !== 0) fail(`js echo: ${JSON.stringify(echo)}`)
      details.push(`js dialled kos: identify ok (agent ${id?.agentVersion}), ${rtts.length} pings (ms ${rtts.join(',')}), echo ${echo.ok}/${job.echoStreams} x ${job.echoSize} B in ${(dialed.echo as {ms: number}).ms} ms`)
    }
    js2.send({op: 'stats'})
    const before = (await js2.waitFor((e) => e.event === 'stats', 30_000)).echoServed as number
    const dial = await runCli(job, ['dial', jsAddr], 300_000)
    findings.kosDialsJs = dial.lines
    if (dial.status !== 0 || !dial.lines.at(-1)?.startsWith(`ok connected ${jsId} agent=js-libp2p/`)) fail(`kos dial: ${dial.lines.join(' | ')}`)
    const ping = await runCli(job, ['ping', jsId, String(job.pings)], 300_000)
    findings.kosPings = ping.lines
    if (ping.status !== 0 || ping.lines.filter((l) => /^rtt_us \d+$/.test(l)).length !== job.pings) fail(`kos ping: ${ping.lines.slice(-2).join(' | ')}`)
    const e0 = Date.now()
    const echo = await runCli(job, ['echo', jsId, String(job.echoStreams), String(job.echoSize)], 600_000)
    const kosEchoMs = Date.now() - e0
    findings.kosEcho = echo.lines
    const bytes = job.echoStreams * job.echoSize
    if (echo.status !== 0 || echo.lines.at(-1) !== `ok echo ${bytes} bytes verified`) fail(`kos echo: ${echo.lines.join(' | ')}`)
    js2.send({op: 'stats'})
    const n = js2.events.filter((e) => e.event === 'stats').length
    const after = await js2.waitFor((e) => e.event === 'stats' && js2.events.filter((x) => x.event === 'stats').indexOf(e) >= n, 30_000)
    if ((after.echoServed as number) - before !== job.echoStreams) fail(`js served ${(after.echoServed as number) - before} echo streams`)
    details.push(`kos dialled js: ${dial.lines.at(-1)}; ${ping.lines.at(-1)}; ${echo.lines.at(-1)}; js served ${(after.echoServed as number) - before} streams`)
    const stats = await runCli(job, ['stats'], 60_000)
    findings.kosStats = stats.lines
    if (!/conns_in=1 conns_out=1 handshakes=2 /.test(stats.lines[0] ?? '')) fail(`kos stats: ${stats.lines[0]}`)
    details.push(stats.lines[0] ?? 'no stats')
    // Bad input from the namespace, each on its own connection; the js connection must survive it.
    const bad = await badInput(js, job)
    details.push(bad.detail)
    findings.badInput = bad.findings
    if (!bad.ok) fail(`bad input: ${bad.detail}`)
    const wrong = await runCli(job, ['dial', jsAddr.replace(jsId, job.peerId)], 120_000)
    if (wrong.lines.at(-1) !== 'error dial failed: noise_peer_mismatch') fail(`dial with a wrong PeerId: ${wrong.lines.join(' | ')}`)
    const again = await runCli(job, ['ping', jsId, '3'], 120_000)
    if (again.status !== 0) fail(`ping after bad input: ${again.lines.join(' | ')}`)
    const stats2 = await runCli(job, ['stats'], 60_000)
    findings.kosStatsAfter = stats2.lines
    const counts = Object.fromEntries((stats2.lines[0] ?? '').split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]))
    const wantCounts: Record<string, number> = {mss_bad_line: 2, mss_bad_header: 1, noise_bad_length: 1, noise_decrypt: 1, noise_peer_mismatch: 1}
    for (const [k, v] of Object.entries(wantCounts)) if (counts[k] !== v) fail(`kos counted ${k}=${counts[k] ?? 0}, expected ${v}`)
    details.push(`after bad input: ${stats2.lines[0]}`)
    // Figures for kos bench, written to the guest's console by p2pd: echo throughput
    // (bytes both ways over the wall-clock time of the 100 concurrent streams) and ping RTTs.
    const jsEcho = dialed.echo as {ms: number}
    const bothWays = 2 * job.echoStreams * job.echoSize
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const kosRtts = ping.lines.filter((l) => /^rtt_us \d+$/.test(l)).map((l) => Number(l.split(' ')[1]))
    const metrics: Array<[string, number, string]> = [
      ['p2p_echo_js_to_kos', Math.round(bothWays * 8 / Math.max(1, jsEcho.ms)), 'kbit/s'],
      ['p2p_echo_kos_to_js', Math.round(bothWays * 8 / Math.max(1, kosEchoMs)), 'kbit/s'],
      ['p2p_ping_js_to_kos_median', Math.round(median(dialed.rtts as number[]) * 1000), 'us'],
      ['p2p_ping_kos_to_js_median', median(kosRtts), 'us'],
      ...(job.extraMetrics ?? []),
    ]
    findings.metrics = metrics
    for (const [name, value, unit] of metrics) await runCli(job, ['metric', name, String(value), unit], 60_000)
  } catch (error) {
    fail((error as Error).message.slice(0, 2000))
  } finally {
    const quit = await runCli(job, ['quit'], 60_000)
    if (quit.lines.at(-1) !== 'ok bye') fail(`quit: ${quit.lines.join(' | ')}`)
    await js.stop()
    await js2.stop()
  }
  return {ok, detail: details.join('; '), findings}
}
