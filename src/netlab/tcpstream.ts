// Host peers of the guest's TCP clients over TAP, Node `net` servers in the
// case's namespace (198.51.100.1):
//   tcp-stream-tap: user/p2p/cmd/tcp_stream.c moves a stream each way at once;
//     SHA-256 over both directions, checked by the guest (from the report
//     port) and here (from the guest's serial lines).
//   tcp-errors-tap: user/tcp_tap_errors.c walks the error paths against a real
//     peer: half-close both ways, a reset in mid-stream, SO_REUSEADDR while in
//     TIME_WAIT, bad pointers on a live connection, and last a black hole (a
//     blackhole qdisc on the namespace's side of the TAP) for ETIMEDOUT. This
//     side also connects to a closed guest port and expects ECONNREFUSED.
import type {Netns} from '../qemu/netns.js'
import type {PeerVerdict} from '../suites/types.js'
import {runJsonAgent} from './agent.js'
import {waitForSerial} from './serial.js'
import {parseTcpTotals} from './tcp.js'

/** The stream server (plain JS for runJsonAgent): data on job.port, the report on job.port + 1. */
export const TCP_STREAM_AGENT = String.raw`
const net = require('node:net');
const crypto = require('node:crypto');
const job = JSON.parse(process.argv[1]);
const r = {ok: false, connections: 0};
let doneData;
const dataDone = new Promise((res) => { doneData = res; });
const data = net.createServer({allowHalfOpen: true}, (s) => {
  r.connections++;
  if (r.connections > 1) { s.destroy(); return; }
  const rx = crypto.createHash('sha256'), tx = crypto.createHash('sha256');
  let got = 0, sent = 0, ended = false, finished = false;
  const check = () => { if (ended && finished) {
    r.received = got; r.receivedSha = rx.digest('hex'); r.sent = sent; r.sentSha = tx.digest('hex'); doneData(); } };
  s.on('data', (d) => { rx.update(d); got += d.length; });
  s.on('end', () => { ended = true; check(); });
  s.on('error', (e) => { r.error = 'data: ' + e.message; doneData(); });
  (function pump() {
    while (sent < job.bytes) {
      const b = crypto.randomBytes(Math.min(65536, job.bytes - sent));
      tx.update(b); sent += b.length;
      if (!s.write(b)) { s.once('drain', pump); return; }
    }
    s.end(() => { finished = true; check(); });
  })();
});
const report = net.createServer((s) => {
  dataDone.then(() => s.end('received ' + r.received + ' ' + r.receivedSha + '\nsent ' + r.sent + ' ' + r.sentSha + '\n'));
  s.on('error', () => {});
  s.on('close', finish);
});
const timer = setTimeout(() => { r.error = 'timeout'; finish(); }, job.timeoutMs);
function finish() {
  clearTimeout(timer);
  r.ok = !r.error && r.received === job.bytes && r.sent === job.bytes;
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}
data.listen(job.port, job.host);
report.listen(job.port + 1, job.host);
`

interface StreamReport {ok: boolean; error?: string; connections: number; received?: number; receivedSha?: string; sent?: number; sentSha?: string}

/** Tcp RetransSegs of the namespace's own /proc/net/snmp. */
async function hostRetransmits(ns: Netns): Promise<number> {
  const {stdout} = await ns.run('cat', ['/proc/net/snmp'])
  const lines = stdout.split('\n').filter((l) => l.startsWith('Tcp:'))
  if (lines.length < 2) return -1
  const names = lines[0].split(/\s+/), values = lines[1].split(/\s+/)
  const i = names.indexOf('RetransSegs')
  return i > 0 ? Number(values[i]) : -1
}

/** Frames the root qdisc of the namespace's side of the TAP dropped. */
async function qdiscDropped(ns: Netns): Promise<number> {
  const {stdout} = await ns.run('tc', ['-s', 'qdisc', 'show', 'dev', ns.tap])
  const m = /dropped (\d+)/.exec(stdout)
  return m ? Number(m[1]) : -1
}

export async function streamTap(ns: Netns, o: {port: number; bytes: number; serialPath: string; since: number; tbf?: string[]},
  signal: AbortSignal): Promise<PeerVerdict> {
  // A token bucket with a short queue on the way to the guest: what overflows it is lost, a real loss
  // pattern without sch_netem (tbf is in every kernel that has traffic control).
  if (o.tbf) await ns.run('tc', ['qdisc', 'add', 'dev', ns.tap, 'root', 'tbf', ...o.tbf])
  const retrans0 = o.tbf ? await hostRetransmits(ns) : 0
  const r = await runJsonAgent<StreamReport>('TCP stream agent', TCP_STREAM_AGENT,
    {host: ns.hostIp, port: o.port, bytes: o.bytes, timeoutMs: 600_000}, ns.prefix, signal)
  const faults = o.tbf ? {dropped: await qdiscDropped(ns), hostRetransmits: (await hostRetransmits(ns)) - retrans0} : undefined
  const m = await waitForSerial(o.serialPath, /tcp_stream: sent (\d+) bytes sha256 ([0-9a-f]{64})\s*\ntcp_stream: received (\d+) bytes sha256 ([0-9a-f]{64})/,
    120_000, signal, o.since)
  const guest = {sent: Number(m[1]), sentSha: m[2], received: Number(m[3]), receivedSha: m[4]}
  const counters = parseTcpTotals(m.input ?? '', 'tcp_stream: /proc/net/tcp')
  // The guest's digests against this side's: what it sent is what arrived here, and the other way.
  const upOk = guest.sent === o.bytes && guest.sent === r.received && guest.sentSha === r.receivedSha
  const downOk = guest.received === o.bytes && guest.received === r.sent && guest.receivedSha === r.sentSha
  const faultsMet = !faults || (faults.dropped > 0 && faults.hostRetransmits > 0 && counters.ooo > 0)
  const ok = r.ok && upOk && downOk && r.connections === 1 && faultsMet
  return {ok, detail: `guest->host ${r.received ?? 0} B ${upOk ? 'SHA-256 equal' : 'WRONG'}, host->guest ${r.sent ?? 0} B ` +
    `${downOk ? 'SHA-256 equal' : 'WRONG'}${r.error ? `; ${r.error}` : ''}` +
    `; guest retransmits ${counters.retransmits}, out-of-order segments ${counters.ooo}` +
    (faults ? `; tbf ${o.tbf!.join(' ')} dropped ${faults.dropped} frames towards the guest, the host retransmitted ${faults.hostRetransmits} segments` +
      (faultsMet ? '' : ' (the faults left no trace)') : ''),
  findings: {host: r, guest, guestCounters: counters, faults: faults ?? null}}
}

/** The error-path servers (plain JS for runJsonAgent); ports from job.base. */
export const TCP_ERRORS_AGENT = String.raw`
const net = require('node:net');
const {execFileSync} = require('node:child_process');
const job = JSON.parse(process.argv[1]);
const B = job.base;
const r = {probe: null, halfCloseGuestFirst: null, halfCloseHostFirst: null, resets: 0, reuse: [], echoed: 0, blackhole: null};
const servers = [];
function serve(port, opts, fn) {
  const srv = net.createServer(opts, (s) => { s.on('error', () => {}); probeOnce(); fn(s); });
  srv.listen(port, job.host);
  servers.push(srv);
}
// The guest answers a SYN to its closed port with RST: ECONNREFUSED here.
let probed = false;
function probeOnce() {
  if (probed) return;
  probed = true;
  const c = net.connect(job.closedGuestPort, job.guest);
  c.on('connect', () => { r.probe = 'connected'; c.destroy(); });
  c.on('error', (e) => { r.probe = e.code; });
}
function collect(s, done) {
  const bufs = [];
  s.on('data', (d) => bufs.push(d));
  s.on('end', () => done(Buffer.concat(bufs)));
}
// B+0: the guest half-closes first; after its FIN this side still answers, then ends.
serve(B, {allowHalfOpen: true}, (s) => collect(s, (d) => { r.halfCloseGuestFirst = d.toString(); s.end('got ' + d.length + ' bytes after your FIN'); }));
// B+1: this side half-closes first and still reads what the guest sends afterwards.
serve(B + 1, {allowHalfOpen: true}, (s) => { s.end('host closes first'); collect(s, (d) => { r.halfCloseHostFirst = d.toString(); s.destroy(); }); });
// B+2: a reset in mid-stream: 20000 bytes, then RST.
serve(B + 2, {}, (s) => { s.write(Buffer.alloc(20000, 0x61), () => setTimeout(() => { r.resets++; s.resetAndDestroy(); }, 200)); });
// B+3: the guest closes first (its side goes to TIME_WAIT), twice from the same port.
serve(B + 3, {allowHalfOpen: true}, (s) => collect(s, (d) => { r.reuse.push({port: s.remotePort, text: d.toString()}); s.end(); }));
// B+4: echo.
serve(B + 4, {}, (s) => s.on('data', (d) => { r.echoed += d.length; s.write(d); }));
// B+5: the guest asks for the black hole: answer, then drop everything towards it.
serve(B + 5, {}, (s) => {
  s.end('black hole\n');
  s.on('close', () => {
    try {
      execFileSync('tc', ['qdisc', 'add', 'dev', job.tap, 'root', 'blackhole']);
      r.blackhole = 'on';
    } catch (e) { r.blackhole = 'tc failed: ' + e.message; }
    finish();
  });
});
const timer = setTimeout(() => { r.error = 'timeout'; finish(); }, job.timeoutMs);
function finish() {
  clearTimeout(timer);
  for (const s of servers) s.close();
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}
`

interface ErrorsReport {
  error?: string
  probe: string | null
  halfCloseGuestFirst: string | null
  halfCloseHostFirst: string | null
  resets: number
  reuse: Array<{port: number; text: string}>
  echoed: number
  blackhole: string | null
}

export const TCP_ERRORS_BASE = 5300
/** A guest port nothing listens on (the guest must answer with RST). */
export const TCP_ERRORS_CLOSED_GUEST_PORT = 9

export async function errorsTap(ns: Netns, o: {serialPath: string; since: number}, signal: AbortSignal): Promise<PeerVerdict> {
  const r = await runJsonAgent<ErrorsReport>('TCP errors agent', TCP_ERRORS_AGENT, {
    host: ns.hostIp, guest: ns.guestIp, tap: ns.tap, base: TCP_ERRORS_BASE, closedGuestPort: TCP_ERRORS_CLOSED_GUEST_PORT, timeoutMs: 600_000,
  }, ns.prefix, signal)
  try {
    // The guest reports the black hole's ETIMEDOUT on its serial line (nothing reaches this side any more).
    await waitForSerial(o.serialPath, /tcp_tap_errors: done/, 240_000, signal, o.since)
  } finally {
    await ns.run('tc', ['qdisc', 'del', 'dev', ns.tap, 'root'], 10_000).catch(() => undefined)
  }
  const checks: Array<[string, boolean]> = [
    ['closed guest port refused', r.probe === 'ECONNREFUSED'],
    ['guest half-closed first, its bytes arrived', r.halfCloseGuestFirst === 'guest closes first'],
    ['host half-closed first, the guest still sent', r.halfCloseHostFirst === 'guest writes after your FIN'],
    ['one reset sent mid-stream', r.resets === 1],
    ['two connections from one port (TIME_WAIT reused)', r.reuse.length === 2 && r.reuse[0].port === r.reuse[1].port &&
      r.reuse[0].text === 'first' && r.reuse[1].text === 'again'],
    ['echo after bad pointers', r.echoed === 6],
    ['black hole put in place', r.blackhole === 'on'],
  ]
  const bad = checks.filter(([, ok]) => !ok).map(([name]) => name)
  return {ok: !r.error && bad.length === 0,
    detail: bad.length === 0 && !r.error ? `${checks.length} host-side checks passed (${checks.map(([n]) => n).join('; ')})`
      : `failed: ${[...bad, ...(r.error ? [r.error] : [])].join('; ')}`,
    findings: {...r}}
}
