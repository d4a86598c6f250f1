// The host side of the TCP cases over TAP: curl (a real client nobody here
// wrote) fetches files from the guest's httpd (user/httpd.c) inside the
// case's namespace, optionally under tc netem on the namespace's side of the
// TAP; every body is checked by SHA-256 against what httpd generated.
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import type {Netns} from '../qemu/netns.js'
import type {PeerVerdict} from '../suites/types.js'
import {runJsonAgent} from './agent.js'
import {waitForSerial} from './serial.js'

/** httpd_byte(i) of user/httpd.c: the contents of /www/0, /www/1, /www/1m, /www/16m. */
export function httpdPattern(size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 131 + Math.floor(i / 512) + 7) & 0xff
  return b
}

export const HTTPD_FILES: Record<string, number> = {'/www/0': 0, '/www/1': 1, '/www/1m': 1 << 20, '/www/16m': 16 << 20}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

export interface CurlOptions {
  /** Paths of HTTPD_FILES to fetch, in order, on one keep-alive connection. */
  files: string[]
  /** tc netem arguments for the namespace's side of the TAP (none: a clean link). */
  netem?: string[]
  /** A file of the initrd to fetch too, compared with this build output (absolute, or relative to repoRoot). */
  initrdFile?: {url: string; local: string}
  repoRoot: string
  serialPath: string
  since: number
}

interface Transfer {
  url: string
  code: number
  size: number
  connects: number
  sha256?: string
  ok: boolean
}

/** The guest's TCP counters printed by httpd at exit (from /proc/net/tcp). */
export function parseTcpTotals(log: string, marker = 'httpd: /proc/net/tcp'): {retransmits: number; ooo: number; conns: Array<Record<string, number>>} {
  const at = log.lastIndexOf(marker)
  const text = at >= 0 ? log.slice(at) : ''
  const totals = /^totals .*retransmits (\d+)/m.exec(text)
  const conns = [...text.matchAll(/^conn (\S+) (\S+) (\S+) (.*)$/gm)].map((m) => {
    const kv: Record<string, number> = {}
    const words = m[4].trim().split(/\s+/)
    for (let i = 0; i + 1 < words.length; i += 2) kv[words[i]] = Number(words[i + 1])
    return kv
  })
  const ooo = conns.reduce((s, c) => s + (c.ooo ?? 0), 0)
  return {retransmits: totals ? Number(totals[1]) : -1, ooo, conns}
}

/** Where curl runs and what it fetches from: a namespace (its TAP for netem), or the host through hostfwd. */
export interface CurlAt {
  run: Netns['run']
  /** http://HOST[:PORT] of the guest's httpd. */
  base: string
  /** The namespace's side of the TAP (netem needs it). */
  tap?: string
}

const execFileP = promisify(execFile)

/** curl on the host against QEMU user networking's hostfwd on 127.0.0.1:port (no namespace, no netem). */
export function curlOnHost(port: number): CurlAt {
  return {
    base: `http://127.0.0.1:${port}`,
    async run(cmd, args, timeoutMs = 120_000) {
      try {
        return await execFileP(cmd, args, {timeout: timeoutMs, maxBuffer: 16 << 20})
      } catch (error) {
        const e = error as {stderr?: string; message: string}
        throw new Error(`${cmd}: ${(e.stderr || e.message).trim().split('\n').slice(-1)[0]}`)
      }
    },
  }
}

/** The guest's httpd in a case namespace. */
export function curlInNetns(ns: Netns): CurlAt {
  return {run: ns.run, base: `http://${ns.guestIp}`, tap: ns.tap}
}

export async function curlHttpd(at: CurlAt, o: CurlOptions, signal: AbortSignal): Promise<PeerVerdict> {
  await waitForSerial(o.serialPath, /httpd: listening on port 80/, 240_000, signal, o.since)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-curl-'))
  const details: string[] = []
  let ok = true
  try {
    if (o.netem && !at.tap) throw new Error('netem needs a TAP device')
    if (o.netem) await at.run('tc', ['qdisc', 'add', 'dev', at.tap!, 'root', 'netem', ...o.netem])
    // One curl, many URLs: it keeps the connection (num_connects 0 after the first).
    const base = at.base
    const urls = [...o.files.map((f) => base + f), ...(o.initrdFile ? [base + o.initrdFile.url] : []), `${base}/missing`]
    const args = ['-s', '--max-time', '900', '-w', '%{http_code} %{size_download} %{num_connects}\\n']
    urls.forEach((u, i) => args.push('-o', path.join(dir, `f${i}`), u))
    const {stdout} = await at.run('curl', args, 1_000_000)
    const lines = stdout.trim().split('\n')
    const transfers: Transfer[] = urls.map((url, i) => {
      const [code, size, connects] = (lines[i] ?? '0 0 0').split(' ').map(Number)
      return {url, code, size, connects, ok: false}
    })
    transfers.forEach((t, i) => {
      const body = (() => { try { return readFileSync(path.join(dir, `f${i}`)) } catch { return Buffer.alloc(0) } })()
      t.sha256 = sha256(body)
      if (i < o.files.length) {
        const want = httpdPattern(HTTPD_FILES[o.files[i]])
        t.ok = t.code === 200 && t.size === want.length && t.sha256 === sha256(want)
      } else if (o.initrdFile && i === o.files.length) {
        const want = readFileSync(path.resolve(o.repoRoot, o.initrdFile.local))
        t.ok = t.code === 200 && t.sha256 === sha256(want)
      } else {
        t.ok = t.code === 404
      }
      if (!t.ok) ok = false
      details.push(`${t.url.slice(base.length)} ${t.code} ${t.size} B${t.ok ? '' : ' WRONG'}`)
    })
    const reused = transfers.slice(1).every((t) => t.connects === 0)
    details.push(reused ? `one keep-alive connection for ${transfers.length} requests` : `connections per request: ${transfers.map((t) => t.connects).join(',')}`)
    if (!reused || transfers[0].connects !== 1) ok = false
    // HEAD: headers only, the length of the 1 MiB file.
    const head = await at.run('curl', ['-s', '-I', `${base}/www/1m`], 120_000)
    const headOk = /^HTTP\/1\.1 200/m.test(head.stdout) && /Content-Length: 1048576/i.test(head.stdout)
    details.push(`HEAD /www/1m ${headOk ? 'ok' : 'WRONG'}`)
    if (!headOk) ok = false
    if (o.netem) await at.run('tc', ['qdisc', 'del', 'dev', at.tap!, 'root'])
    const quit = await at.run('curl', ['-s', `${base}/quit`], 60_000)
    if (quit.stdout !== 'bye\n') ok = false
    const log = await waitForSerial(o.serialPath, /httpd: served \d+ connections[\s\S]*?\n(?:drop .*\n)*ok \d+ httpd/, 120_000, signal, o.since)
    const counters = parseTcpTotals(log.input ?? '')
    details.push(`guest retransmits ${counters.retransmits}, out-of-order segments ${counters.ooo}`)
    if (o.netem && (counters.retransmits <= 0 || counters.ooo <= 0)) {
      ok = false
      details.push('the faults left no trace in the guest counters')
    }
    return {ok, detail: details.join('; '), findings: {transfers, headOk, netem: o.netem ?? null, guest: counters}}
  } catch (error) {
    // Let the guest finish anyway: the case then fails on this verdict, not a timeout.
    if (o.netem) await at.run('tc', ['qdisc', 'del', 'dev', at.tap!, 'root'], 10_000).catch(() => undefined)
    await at.run('curl', ['-s', '--max-time', '20', `${at.base}/quit`], 30_000).catch(() => undefined)
    return {ok: false, detail: [...details, (error as Error).message].join('; ')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Many Node `net` clients at once against the guest's tcp_echo (plain JS for runJsonAgent). */
export const TCP_ECHO_AGENT = String.raw`
const net = require('node:net');
const crypto = require('node:crypto');
const job = JSON.parse(process.argv[1]);
function client(i) {
  return new Promise((resolve) => {
    const data = crypto.randomBytes(job.bytes);
    const chunks = [];
    let got = 0;
    const s = net.connect(job.port, job.host);
    const timer = setTimeout(() => { s.destroy(); resolve({i, ok: false, got, why: 'timeout'}); }, job.timeoutMs);
    s.on('connect', () => s.write(data));
    s.on('data', (d) => {
      chunks.push(d); got += d.length;
      if (got >= data.length) {
        clearTimeout(timer);
        s.end();
        resolve({i, ok: Buffer.concat(chunks).equals(data), got});
      }
    });
    s.on('error', (e) => { clearTimeout(timer); resolve({i, ok: false, got, why: e.message}); });
  });
}
(async () => {
  // All connected and exchanging at once, not one after the other.
  const results = await Promise.all(Array.from({length: job.clients}, (_, i) => client(i)));
  const bad = results.filter((r) => !r.ok);
  await new Promise((resolve) => {
    const q = net.connect(job.port, job.host, () => q.end('kos:quit'));
    q.on('close', resolve); q.on('error', resolve);
  });
  process.stdout.write(JSON.stringify({ok: bad.length === 0, clients: results.length, bytes: job.bytes, bad: bad.slice(0, 5)}) + '\n');
})();
`

export async function echoClients(ns: Netns, o: {clients: number; bytes: number; serialPath: string; since: number},
  signal: AbortSignal): Promise<PeerVerdict> {
  await waitForSerial(o.serialPath, /tcp_echo: listening on port 7/, 240_000, signal, o.since)
  const t0 = Date.now()
  const r = await runJsonAgent<{ok: boolean; clients: number; bytes: number; bad: unknown[]}>('TCP echo agent', TCP_ECHO_AGENT,
    {host: ns.guestIp, port: 7, clients: o.clients, bytes: o.bytes, timeoutMs: 600_000}, ns.prefix, signal)
  const ms = Date.now() - t0
  const done = await waitForSerial(o.serialPath, /tcp_echo: done, at most (\d+) clients at once, (\d+) bytes echoed/, 60_000, signal, o.since)
  const most = Number(done[1]), echoed = Number(done[2])
  const ok = r.ok && most >= o.clients && echoed === o.clients * o.bytes  // the quit message ends the loop unechoed
  return {ok, detail: `${r.clients} clients x ${o.bytes} B echoed ${r.ok ? 'intact' : 'WRONG'}; guest held ${most} at once, echoed ${echoed} B`,
    findings: {clients: r.clients, bytes: o.bytes, bad: r.bad, guestMostAtOnce: most, guestEchoed: echoed, ms}}
}

/** kos bench's TCP figures, measured from the namespace against user/tcp_bench.c (plain JS for runJsonAgent). */
export const TCP_BENCH_AGENT = String.raw`
const net = require('node:net');
const job = JSON.parse(process.argv[1]);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const conn = () => new Promise((res, rej) => { const s = net.connect(job.port, job.host, () => res(s)); s.once('error', rej); });
const ended = (s) => new Promise((res) => { const bufs = []; s.on('data', (d) => bufs.push(d)); s.on('close', () => res(Buffer.concat(bufs))); });
async function sink() {
  const s = await conn();
  const done = ended(s);
  const chunk = Buffer.alloc(65536, 0x33);
  const t0 = now();
  s.write('S');
  let sent = 0;
  await new Promise((r) => {
    (function go() {
      while (sent < job.bytes) {
        const n = Math.min(chunk.length, job.bytes - sent);
        sent += n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { s.once('drain', go); return; }
      }
      s.end(); r();
    })();
  });
  const reply = await done;
  const secs = now() - t0;
  const count = reply.length >= 8 ? Number(reply.readBigUInt64LE(0)) : -1;
  return {ok: count === job.bytes, kbps: Math.round(job.bytes * 8 / secs / 1000), count};
}
async function source() {
  const s = await conn();
  const b = Buffer.alloc(9); b[0] = 0x47; b.writeBigUInt64LE(BigInt(job.bytes), 1);
  let got = 0, bad = 0;
  s.on('data', (d) => { got += d.length; for (const x of d) if (x !== 0x5a) bad++; });
  const t0 = now();
  await new Promise((r) => { s.on('close', r); s.write(b); });
  const secs = now() - t0;
  return {ok: got === job.bytes && bad === 0, kbps: Math.round(job.bytes * 8 / secs / 1000), got};
}
async function rr() {
  const s = await conn();
  s.setNoDelay(true);
  s.write('E');
  let pending = null;
  s.on('data', (d) => { const p = pending; pending = null; if (p) p(d.length); });
  const t0 = now();
  let ok = true;
  for (let i = 0; i < job.rr; i++) {
    const n = await new Promise((r) => { pending = r; s.write('x'); });
    if (n !== 1) { ok = false; break; }
  }
  const secs = now() - t0;
  s.end();
  return {ok, rate: Math.round(job.rr / secs)};
}
async function conns() {
  const t0 = now();
  for (let i = 0; i < job.conns; i++) { const s = await conn(); const c = ended(s); s.end('C'); await c; }
  return {ok: true, rate: Math.round(job.conns / (now() - t0))};
}
async function say(text) { const s = await conn(); const c = ended(s); s.end(text); await c; }
(async () => {
  const r = {};
  try {
    r.toGuest = await sink();
    r.fromGuest = await source();
    r.rr = await rr();
    r.conns = await conns();
    await say('Mtcp_throughput_host_to_guest ' + r.toGuest.kbps + ' kbit/s\n');
    await say('Mtcp_throughput_guest_to_host ' + r.fromGuest.kbps + ' kbit/s\n');
    await say('Mtcp_rr_1byte ' + r.rr.rate + ' req/s\n');
    await say('Mtcp_connections ' + r.conns.rate + ' conn/s\n');
  } catch (e) { r.error = e.message; }
  await say('Q').catch(() => {});
  const ok = !r.error && r.toGuest.ok && r.fromGuest.ok && r.rr.ok && r.conns.ok;
  process.stdout.write(JSON.stringify({ok, ...r}) + '\n');
})();
`

export async function benchTcp(ns: Netns, o: {bytes: number; rr: number; conns: number; serialPath: string; since: number},
  signal: AbortSignal): Promise<PeerVerdict> {
  await waitForSerial(o.serialPath, /tcp_bench: listening on port 5001/, 240_000, signal, o.since)
  type Fig = {ok: boolean; kbps?: number; rate?: number}
  const r = await runJsonAgent<{ok: boolean; error?: string; toGuest?: Fig; fromGuest?: Fig; rr?: Fig; conns?: Fig}>('TCP bench agent', TCP_BENCH_AGENT,
    {host: ns.guestIp, port: 5001, bytes: o.bytes, rr: o.rr, conns: o.conns}, ns.prefix, signal)
  await waitForSerial(o.serialPath, /tcp_bench: done/, 60_000, signal, o.since)
  return {ok: r.ok, detail: r.error ?? `host->guest ${r.toGuest?.kbps} kbit/s, guest->host ${r.fromGuest?.kbps} kbit/s, ` +
    `1-byte request/response ${r.rr?.rate}/s, ${r.conns?.rate} connections/s`, findings: r}
}
