// The mDNS peer (phase 4): a querier and responder run inside the case's
// network namespace, on the TAP side (198.51.100.1), against the guest's
// responder (kernel/net/mdns.c). It proves that discovery leads to a working
// service: browse _kos._udp.local, check PTR/SRV/TXT/A, resolve the host
// name (QU and legacy unicast), then echo a datagram at the discovered
// address and port. It also announces an instance of its own and waits for
// the guest's browser to report it on the serial console.
import {runJsonAgent} from './agent.js'

export interface MdnsJob {
  guestIp: string
  hostIp: string
  /** Guest serial log: the guest's browser prints "mdns: found ..." there. */
  serialPath: string
  /** Instance label the peer announces (browsed by the guest). */
  peerLabel: string
  /** UDP port the peer's own service (an echo) listens on. */
  peerPort: number
  /** How many malformed messages to send; the guest must count each. */
  malformed: boolean
  timeoutMs: number
}

export interface MdnsStep {
  step: string
  ok: boolean
  detail: string
}

export interface MdnsReport {
  ok: boolean
  steps: MdnsStep[]
}

// Plain JavaScript on purpose: handed to `node -e` inside the namespace.
export const MDNS_AGENT_SOURCE = String.raw`
const dgram = require('node:dgram');
const fs = require('node:fs');
const {execFileSync} = require('node:child_process');
const job = JSON.parse(process.argv[1]);
const GROUP = '224.0.0.251', PORT = 5353, SERVICE = '_kos._udp.local';
const T = {A: 1, PTR: 12, TXT: 16, SRV: 33};
const steps = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function step(name, ok, detail) { steps.push({step: name, ok: !!ok, detail}); return ok; }

// ---- DNS wire format (RFC 1035), written here for the test ----
function encName(name) {
  const parts = name.split('.').filter((x) => x.length);
  const bufs = parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)]));
  return Buffer.concat([...bufs, Buffer.from([0])]);
}
function u16(v) { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; }
function u32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; }
function message(id, flags, qs, answers) {
  const parts = [u16(id), u16(flags), u16(qs.length), u16(answers.length), u16(0), u16(0)];
  for (const q of qs) parts.push(encName(q.name), u16(q.type), u16(q.klass));
  for (const a of answers) parts.push(encName(a.name), u16(a.type), u16(a.klass), u32(a.ttl), u16(a.data.length), a.data);
  return Buffer.concat(parts);
}
function readName(msg, off) {
  const labels = [];
  let end = -1, jumps = 0;
  for (;;) {
    if (off >= msg.length) throw new Error('name runs past the end');
    const l = msg[off];
    if ((l & 0xc0) === 0xc0) {
      if (end < 0) end = off + 2;
      const target = ((l & 0x3f) << 8) | msg[off + 1];
      if (target >= off || ++jumps > 32) throw new Error('bad pointer');
      off = target;
      continue;
    }
    if (l === 0) { if (end < 0) end = off + 1; return [labels.join('.'), end]; }
    if (l > 63) throw new Error('bad label');
    labels.push(msg.subarray(off + 1, off + 1 + l).toString('latin1'));
    off += 1 + l;
  }
}
function parse(msg) {
  if (msg.length < 12) throw new Error('short message');
  const h = {id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2)};
  const counts = [2, 3, 4, 5].map((i) => msg.readUInt16BE(2 * i));
  let off = 12;
  h.questions = [];
  for (let i = 0; i < counts[0]; i++) {
    const [name, next] = readName(msg, off);
    h.questions.push({name, type: msg.readUInt16BE(next), klass: msg.readUInt16BE(next + 2)});
    off = next + 4;
  }
  h.records = [];
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const [name, next] = readName(msg, off);
    const r = {name, type: msg.readUInt16BE(next), klass: msg.readUInt16BE(next + 2), ttl: msg.readUInt32BE(next + 4)};
    const len = msg.readUInt16BE(next + 8), data = next + 10;
    if (data + len > msg.length) throw new Error('rdata runs past the end');
    if (r.type === T.A) r.ip = [...msg.subarray(data, data + 4)].join('.');
    if (r.type === T.PTR) r.target = readName(msg, data)[0];
    if (r.type === T.SRV) { r.port = msg.readUInt16BE(data + 4); r.target = readName(msg, data + 6)[0]; }
    if (r.type === T.TXT) {
      r.strings = [];
      let p = data;
      for (; p < data + len; p += 1 + msg[p]) r.strings.push(msg.subarray(p + 1, p + 1 + msg[p]).toString());
      r.exact = p === data + len;   // the strings' lengths add up to RDLENGTH
    }
    h.records.push(r);
    off = data + len;
  }
  return h;
}
const lc = (s) => s.toLowerCase();

// ---- sockets ----
const inbox = [];
let wake = null;
function queue(sock, tag) {
  sock.on('message', (msg, rinfo) => { inbox.push({msg, rinfo, tag}); if (wake) { const w = wake; wake = null; w(); } });
}
async function waitFor(match, ms) {
  const until = Date.now() + ms;
  for (;;) {
    for (let i = 0; i < inbox.length; i++) {
      const r = match(inbox[i]);
      if (r) { inbox.splice(i, 1); return r; }
    }
    inbox.length = 0;
    const left = until - Date.now();
    if (left <= 0) return null;
    await new Promise((res) => { const t = setTimeout(() => { wake = null; res(); }, Math.min(left, 250)); wake = () => { clearTimeout(t); res(); }; });
  }
}
function bindSock(port, tag) {
  const s = dgram.createSocket({type: 'udp4', reuseAddr: true});
  queue(s, tag);
  return new Promise((res, rej) => { s.once('error', rej); s.bind(port, '0.0.0.0', () => res(s)); });
}
const send = (s, buf, port, host) => new Promise((res, rej) => s.send(buf, port, host, (e) => e ? rej(e) : res()));

// The guest's answers, parsed; messages that are ours or not parseable are skipped.
function fromGuest(m) {
  if (m.rinfo.address !== job.guestIp) return null;
  try { const p = parse(m.msg); p.rinfo = m.rinfo; p.tag = m.tag; return p; } catch (e) { return {error: String(e.message), tag: m.tag}; }
}

(async () => {
  const mdns = await bindSock(PORT, 'mdns');
  mdns.addMembership(GROUP, job.hostIp);
  mdns.setMulticastInterface(job.hostIp);
  mdns.setMulticastTTL(255);
  const uni = await bindSock(0, 'unicast');
  const deadline = Date.now() + job.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());

  // Our own instance, for the guest's browser.
  const peerHost = job.peerLabel + '.local', peerInstance = job.peerLabel + '.' + SERVICE;
  const echo = await bindSock(job.peerPort, 'echo');
  echo.removeAllListeners('message');
  echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
  const ipBytes = Buffer.from(job.hostIp.split('.').map(Number));
  const ourAnswer = message(0, 0x8400, [], [
    {name: SERVICE, type: T.PTR, klass: 1, ttl: 4500, data: encName(peerInstance)},
    {name: peerInstance, type: T.SRV, klass: 0x8001, ttl: 120, data: Buffer.concat([u16(0), u16(0), u16(job.peerPort), encName(peerHost)])},
    {name: peerInstance, type: T.TXT, klass: 0x8001, ttl: 4500, data: Buffer.from('\x03v=1')},
    {name: peerHost, type: T.A, klass: 0x8001, ttl: 120, data: ipBytes},
  ]);
  let guestQueries = 0;
  mdns.on('message', (msg, rinfo) => {
    if (rinfo.address !== job.guestIp) return;
    try {
      const p = parse(msg);
      if (!(p.flags & 0x8000) && p.questions.some((q) => lc(q.name) === SERVICE && q.type === T.PTR)) {
        guestQueries++;
        mdns.send(ourAnswer, PORT, GROUP);
      }
    } catch { /* the guest sent something we cannot parse: the browse step fails */ }
  });

  // 1. The guest's MAC from the namespace's neighbour table: the expected name.
  let mac = '';
  for (let i = 0; i < 60 && !mac; i++) {
    await send(uni, Buffer.from('kos-warmup'), 7, job.guestIp);
    if (await waitFor((m) => m.tag === 'unicast' && m.msg.toString() === 'kos-warmup', 1000)) {
      const neigh = execFileSync('ip', ['neigh', 'show', job.guestIp]).toString();
      mac = (/lladdr ([0-9a-f:]{17})/i.exec(neigh) || [])[1] || '';
    }
  }
  if (!step('guest_mac', mac, mac ? 'guest MAC ' + mac : 'the guest never answered on port 7')) return finish();
  // The guest's default name: kos- and the NIC's half of its MAC.
  const label = 'kos-' + mac.split(':').slice(3).join('').toLowerCase();
  const host = label + '.local', instance = label + '.' + SERVICE;

  // 2. Browse: multicast PTR query (QM), every second until the guest answers.
  let browse = null;
  for (let i = 0; i < 30 && !browse; i++) {
    await send(mdns, message(0, 0, [{name: SERVICE, type: T.PTR, klass: 1}], []), PORT, GROUP);
    browse = await waitFor((m) => {
      const p = m.tag === 'mdns' && fromGuest(m);
      return p && !p.error && (p.flags & 0x8000) && p.records.some((r) => r.type === T.PTR && lc(r.name) === SERVICE) ? p : null;
    }, 1000);
  }
  if (!step('browse_answered', browse, browse ? 'guest answered the PTR query with ' + browse.records.length + ' records' : 'no answer to PTR ' + SERVICE)) return finish();
  const rec = (type, name) => browse.records.find((r) => r.type === type && lc(r.name) === lc(name));
  const ptr = rec(T.PTR, SERVICE), srv = rec(T.SRV, instance), txt = rec(T.TXT, instance), a = rec(T.A, host);
  step('ptr', ptr && lc(ptr.target) === instance, 'PTR ' + SERVICE + ' -> ' + (ptr && ptr.target) + ' (want ' + instance + ')');
  step('srv', srv && srv.port === 7 && lc(srv.target) === host, 'SRV ' + (srv ? srv.target + ':' + srv.port : 'missing') + ' (want ' + host + ':7)');
  step('txt', txt && txt.exact && txt.strings.includes('v=1'), 'TXT ' + (txt ? JSON.stringify(txt.strings) : 'missing'));
  step('a', a && a.ip === job.guestIp, 'A ' + host + ' -> ' + (a && a.ip));
  step('response_header', browse.id === 0 && (browse.flags & 0x8400) === 0x8400 && browse.rinfo.port === PORT,
    'id ' + browse.id + ' flags 0x' + browse.flags.toString(16) + ' from port ' + browse.rinfo.port);

  // 3. Resolve the host name with a QU question: answered by unicast to port 5353.
  let qu = null;
  for (let i = 0; i < 5 && !qu; i++) {
    await send(mdns, message(0, 0, [{name: host, type: T.A, klass: 0x8001}], []), PORT, GROUP);
    qu = await waitFor((m) => { const p = m.tag === 'mdns' && fromGuest(m); return p && !p.error && p.records.some((r) => r.type === T.A && lc(r.name) === host) ? p : null; }, 2000);
  }
  const quA = qu && qu.records.find((r) => r.type === T.A);
  step('resolve_qu', quA && quA.ip === job.guestIp, 'A ' + host + ' (QU) -> ' + (quA ? quA.ip : 'no answer'));

  // 4. Legacy unicast (RFC 6762 6.7): from a port other than 5353, the
  // answer comes back to that port with our ID, our question and TTL <= 10.
  let legacy = null;
  const id = 0x4b53;
  for (let i = 0; i < 5 && !legacy; i++) {
    await send(uni, message(id, 0, [{name: host, type: T.A, klass: 1}], []), PORT, job.guestIp);
    legacy = await waitFor((m) => { const p = m.tag === 'unicast' && fromGuest(m); return p && !p.error && (p.flags & 0x8000) ? p : null; }, 2000);
  }
  const la = legacy && legacy.records.find((r) => r.type === T.A);
  step('legacy_unicast', legacy && legacy.id === id && legacy.questions.length === 1 && lc(legacy.questions[0].name) === host &&
    la && la.ip === job.guestIp && la.ttl <= 10 && !(la.klass & 0x8000),
    legacy ? 'id 0x' + legacy.id.toString(16) + ', ' + legacy.questions.length + ' question(s), A ' + (la && la.ip) + ' ttl ' + (la && la.ttl) : 'no answer');

  // 5. Discovery leads to a working service: echo at the discovered address/port.
  const target = a ? a.ip : job.guestIp, port = srv ? srv.port : 7;
  const probe = Buffer.from('mdns-discovered-echo');
  let echoed = null;
  for (let i = 0; i < 5 && !echoed; i++) {
    await send(uni, probe, port, target);
    echoed = await waitFor((m) => m.tag === 'unicast' && m.msg.equals(probe) ? m : null, 2000);
  }
  step('service_echo', echoed, 'datagram to ' + target + ':' + port + (echoed ? ' echoed' : ' not echoed'));

  // 6. Malformed messages to 5353 are dropped and counted, one each.
  if (job.malformed) {
    const bad = [
      Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),          // pointer to itself
      Buffer.from([0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),                                 // question missing
      Buffer.concat([Buffer.from([0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64]), Buffer.alloc(64, 97), Buffer.from([0, 0, 1, 0, 1])]), // label of 64
      Buffer.from([0, 4, 0, 0]),                                                         // shorter than a header
    ];
    // Other traffic of the namespace (IPv6 and such) may be dropped meanwhile:
    // only the mDNS counter is compared.
    const counted = async () => {
      const r = await command('kos:stats', 'kos:stats');
      const m = /drop_mdns_malformed=(\d+)/.exec(r.reply);
      return r.ok ? (m ? Number(m[1]) : 0) : -1;
    };
    const before = await counted();
    for (const b of bad) await send(uni, b, PORT, job.guestIp);
    await sleep(1000);
    const after = await counted();
    step('malformed_counted', before >= 0 && after - before === bad.length,
      bad.length + ' malformed messages sent, drop_mdns_malformed ' + before + ' -> ' + after);
  }

  // 7. The guest's own browser found our instance (it prints it on serial).
  const want = new RegExp('mdns: found ' + peerInstance.replace(/\./g, '\\.') + ' at ' + job.hostIp.replace(/\./g, '\\.') + ' port ' + job.peerPort);
  let seen = false;
  while (!seen && Date.now() < deadline) {
    seen = want.test(fs.readFileSync(job.serialPath, 'utf8'));
    if (!seen) { mdns.send(ourAnswer, PORT, GROUP); await sleep(1000); }
  }
  step('guest_browse', seen, seen ? 'guest reported ' + peerInstance + ' at ' + job.hostIp + ':' + job.peerPort + ' (' + guestQueries + ' guest queries seen)'
    : 'guest never reported ' + peerInstance + ' (' + guestQueries + ' guest queries seen)');
  finish();

  async function command(text, expect) {
    for (let i = 0; i < 4; i++) {
      await send(uni, Buffer.from(text), 7, job.guestIp);
      const m = await waitFor((x) => x.tag === 'unicast' && x.msg.toString().startsWith('kos:') ? x : null, 3000);
      if (m) return {ok: m.msg.toString().startsWith(expect), reply: m.msg.toString()};
    }
    return {ok: false, reply: '(no reply)'};
  }
  async function finish() {
    const bye = await command('kos:quit', 'kos:bye');
    step('quit', bye.ok, 'kos:quit -> ' + bye.reply);
    process.stdout.write(JSON.stringify({ok: steps.every((s) => s.ok), steps}) + '\n');
    process.exit(0);
  }
})().catch((e) => { process.stdout.write(JSON.stringify({ok: false, steps: [...steps, {step: 'agent', ok: false, detail: String(e && e.stack || e)}]}) + '\n'); process.exit(0); });
`

/** Runs the mDNS agent inside the namespace (prefix) and returns its report. */
export function runMdnsAgent(job: MdnsJob, prefix: string[], signal?: AbortSignal): Promise<MdnsReport> {
  return runJsonAgent<MdnsReport>('mDNS agent', MDNS_AGENT_SOURCE, job, prefix, signal)
}

export function summarizeMdns(r: MdnsReport): string {
  return r.steps.map((s) => `${s.step}: ${s.ok ? '' : 'FAILED '}${s.detail}`).join('; ')
}
