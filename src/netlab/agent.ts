// The UDP agent: a small self-contained Node program that talks to a guest's
// netecho service. It runs as a child process, either directly (QEMU user
// networking + hostfwd on 127.0.0.1) or inside a case's network namespace
// (`ip netns exec NS node -e ...`), which a Node process cannot enter itself.
// It reads one JSON job from argv and prints one JSON report on stdout.
import {spawn} from 'node:child_process'

export type AgentOp =
  | {op: 'warmup'; timeoutMs: number}
  | {op: 'echo'; count: number; minSize: number; maxSize: number; seed: number}
  | {op: 'sizes'; from: number; to: number}
  | {op: 'cmd'; text: string; expect: string}
  | {op: 'client'}
  | {op: 'guest-send'; to: string; count: number; size: number}
  | {op: 'rtt'; count: number; size: number; metric?: string}
  | {op: 'throughput'; count: number; size: number; window: number; metric?: string}

export interface AgentJob {
  host: string
  port: number
  /** Address the agent's socket binds to (127.0.0.1 for hostfwd). */
  bind?: string
  ops: AgentOp[]
}

export interface AgentOpResult {
  op: string
  ok: boolean
  detail: string
  values?: Record<string, number>
}

export interface AgentReport {
  ok: boolean
  results: AgentOpResult[]
}

// Plain JavaScript on purpose: it is handed to `node -e` verbatim.
export const AGENT_SOURCE = String.raw`
const dgram = require('node:dgram');
const job = JSON.parse(process.argv[1]);
const sock = dgram.createSocket('udp4');
const inbox = [];
let wake = null;
sock.on('message', (msg) => { inbox.push(msg); if (wake) { const w = wake; wake = null; w(); } });
function send(buf) { return new Promise((res, rej) => sock.send(buf, job.port, job.host, (e) => e ? rej(e) : res())); }
function nextMessage(ms) {
  if (inbox.length) return Promise.resolve(inbox.shift());
  return new Promise((res) => {
    const t = setTimeout(() => { wake = null; res(null); }, ms);
    wake = () => { clearTimeout(t); res(inbox.shift()); };
  });
}
// Sends buf, waits for a reply accepted by match; retries; returns [reply, retries].
async function request(buf, match, timeoutMs, tries) {
  for (let i = 0; i < tries; i++) {
    await send(buf);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) break;
      const m = await nextMessage(left);
      if (!m) break;
      if (match(m)) return [m, i];
    }
  }
  return [null, tries];
}
function payload(i, size, seed) {
  const b = Buffer.alloc(size);
  let s = (seed * 2654435761 + i * 40503) >>> 0;
  for (let k = 0; k < size; k++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; b[k] = s >>> 24; }
  if (size >= 4) b.writeUInt32BE(i, 0);
  return b;
}
async function echoOne(buf) {
  let corrupted = 0;
  const [m, retries] = await request(buf, (r) => { if (r.equals(buf)) return true; if (r.length === buf.length) corrupted++; return false; }, 2000, 4);
  return {ok: !!m, retries, corrupted};
}
async function command(text, expect) {
  const [m] = await request(Buffer.from(text), (r) => r.toString().startsWith('kos:'), 5000, 4);
  const reply = m ? m.toString() : '(no reply)';
  return {ok: !!m && reply.startsWith(expect), reply};
}
function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]; }
const ops = {
  async warmup(o) {
    const until = Date.now() + o.timeoutMs;
    let tries = 0;
    while (Date.now() < until) {
      tries++;
      const [m] = await request(Buffer.from('kos-warmup'), (r) => r.toString() === 'kos-warmup', 500, 1);
      if (m) return {ok: true, detail: 'guest answered after ' + tries + ' tries'};
    }
    return {ok: false, detail: 'guest never answered (' + tries + ' tries)'};
  },
  async echo(o) {
    let intact = 0, lost = 0, corrupted = 0, retries = 0;
    for (let i = 0; i < o.count; i++) {
      const size = o.minSize + ((i * 7919) % (o.maxSize - o.minSize + 1));
      const r = await echoOne(payload(i, size, o.seed));
      retries += r.retries; corrupted += r.corrupted;
      if (r.ok) intact++; else lost++;
    }
    return {ok: intact === o.count && corrupted === 0, detail: intact + '/' + o.count + ' intact, ' + lost + ' lost, ' + corrupted + ' corrupted, ' + retries + ' retries', values: {intact, lost, corrupted, retries}};
  },
  async sizes(o) {
    const bad = [];
    let retries = 0;
    for (let size = o.from; size <= o.to; size++) {
      const r = await echoOne(payload(size, size, 99));
      retries += r.retries;
      if (!r.ok || r.corrupted) bad.push(size);
    }
    const n = o.to - o.from + 1;
    return {ok: bad.length === 0, detail: (n - bad.length) + '/' + n + ' sizes intact' + (bad.length ? ', failed sizes ' + bad.slice(0, 10).join(',') : '') + ', ' + retries + ' retries', values: {failed: bad.length, retries}};
  },
  async cmd(o) {
    const r = await command(o.text, o.expect);
    return {ok: r.ok, detail: o.text + ' -> ' + r.reply};
  },
  async client() {
    const server = dgram.createSocket('udp4');
    let hellos = 0;
    server.on('message', (msg, rinfo) => {
      if (msg.toString() === 'kos-client-hello') { hellos++; server.send('kos-client-ack', rinfo.port, rinfo.address); }
    });
    await new Promise((res) => server.bind(0, job.bind || '0.0.0.0', res));
    const port = server.address().port;
    const r = await command('kos:client ' + port, 'kos:client ok');
    server.close();
    return {ok: r.ok && hellos > 0, detail: 'host server on port ' + port + ' got ' + hellos + ' hello(s); guest says ' + r.reply};
  },
  // The guest's echo test against us: an echo server here, "kos:send" there.
  async 'guest-send'(o) {
    const server = dgram.createSocket('udp4');
    let echoed = 0;
    server.on('message', (msg, rinfo) => { echoed++; server.send(msg, rinfo.port, rinfo.address); });
    await new Promise((res) => server.bind(0, job.bind || '0.0.0.0', res));
    const port = server.address().port;
    const [m] = await request(Buffer.from('kos:send ' + o.to + ' ' + port + ' ' + o.count + ' ' + o.size), (r) => r.toString().startsWith('kos:send'), 120000, 1);
    server.close();
    const reply = m ? m.toString() : '(no reply)';
    return {ok: reply.startsWith('kos:send ok'), detail: 'guest sent ' + o.count + ' x ' + o.size + ' bytes to ' + o.to + ':' + port + ', ' + echoed + ' echoed here; guest says ' + reply};
  },
  async rtt(o) {
    const times = [];
    let lost = 0;
    for (let i = 0; i < o.count; i++) {
      const buf = payload(i, o.size, 7);
      const t0 = process.hrtime.bigint();
      const [m] = await request(buf, (r) => r.equals(buf), 2000, 1);
      if (!m) { lost++; continue; }
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    if (!times.length) return {ok: false, detail: 'no echo came back'};
    const median = Math.round(percentile(times, 0.5)), p99 = Math.round(percentile(times, 0.99));
    if (o.metric) {
      await command('kos:metric ' + o.metric + '_median ' + median + ' us', 'kos:metric ok');
      await command('kos:metric ' + o.metric + '_p99 ' + p99 + ' us', 'kos:metric ok');
    }
    return {ok: lost === 0, detail: 'rtt median ' + median + ' us, p99 ' + p99 + ' us, ' + lost + ' lost', values: {median, p99, lost}};
  },
  async throughput(o) {
    let next = 0, done = 0, lost = 0;
    const t0 = process.hrtime.bigint();
    const outstanding = new Map();
    while (done + lost < o.count) {
      while (next < o.count && outstanding.size < o.window) {
        const buf = payload(next, o.size, 3);
        outstanding.set(buf.readUInt32BE(0), buf);
        await send(buf);
        next++;
      }
      const m = await nextMessage(2000);
      if (!m) { lost += outstanding.size; outstanding.clear(); continue; }
      if (m.length < 4) continue;
      const want = outstanding.get(m.readUInt32BE(0));
      if (want && want.equals(m)) { outstanding.delete(m.readUInt32BE(0)); done++; }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const kbps = Math.round((done * o.size * 8) / 1000 / secs);
    if (o.metric) await command('kos:metric ' + o.metric + ' ' + kbps + ' kbit/s', 'kos:metric ok');
    return {ok: done > 0, detail: done + '/' + o.count + ' echoed in ' + secs.toFixed(2) + ' s: ' + kbps + ' kbit/s (' + lost + ' lost)', values: {kbps, lost}};
  },
};
(async () => {
  await new Promise((res) => sock.bind(0, job.bind || '0.0.0.0', res));
  const results = [];
  let ok = true;
  for (const o of job.ops) {
    let r;
    try { r = await ops[o.op](o); } catch (e) { r = {ok: false, detail: String(e && e.message || e)}; }
    r.op = o.op;
    results.push(r);
    if (!r.ok) { ok = false; if (o.op === 'warmup') break; }
  }
  process.stdout.write(JSON.stringify({ok, results}) + '\n');
  sock.close();
})();
`

/**
 * Runs a self-contained script (Node by default, or the given interpreter and
 * its "run this text" flag; inside a namespace when prefix is given) with one
 * JSON job in argv (or on stdin), and resolves with the JSON report it prints as its last stdout line.
 */
export function runJsonAgent<T>(what: string, source: string, job: unknown, prefix: string[] = [], signal?: AbortSignal, interpreter: string[] = [process.execPath, '-e'], jobOnStdin = false): Promise<T> {
  return new Promise((resolve, reject) => {
    // A large job (thousands of frames) does not fit one argv string: stdin then.
    const argv = [...prefix, ...interpreter, source, ...(jobOnStdin ? [] : [JSON.stringify(job)])]
    const child = spawn(argv[0], argv.slice(1), {stdio: [jobOnStdin ? 'pipe' : 'ignore', 'pipe', 'pipe']})
    if (jobOnStdin) child.stdin?.end(JSON.stringify(job))
    let out = ''
    let err = ''
    child.stdout!.on('data', (d) => { out += d })
    child.stderr!.on('data', (d) => { err += d })
    const abort = () => child.kill('SIGKILL')
    signal?.addEventListener('abort', abort)
    child.on('error', reject)
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort)
      const line = out.trim().split('\n').pop() ?? ''
      try {
        resolve(JSON.parse(line) as T)
      } catch {
        reject(new Error(`${what} exited ${code}: ${(err || out).trim().split('\n').slice(-1)[0] ?? ''}`))
      }
    })
  })
}

/** Runs the UDP agent (inside a namespace when prefix is given) and returns its report. */
export function runAgent(job: AgentJob, prefix: string[] = [], signal?: AbortSignal): Promise<AgentReport> {
  return runJsonAgent<AgentReport>('UDP agent', AGENT_SOURCE, job, prefix, signal)
}

export function summarizeReport(r: AgentReport): string {
  return r.results.map((x) => `${x.op}: ${x.ok ? '' : 'FAILED '}${x.detail}`).join('; ')
}
