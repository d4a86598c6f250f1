// mDNS conformance checks over TAP (the `mdns-check` peer), each a defect
// real clients found, reproduced from the case's namespace:
//   dotted     an answer bundling instances, one with dots in its label
//              ("svc v1.2"), shows the guest every instance (RFC 6763 4.3)
//   rate       50 queries for the guest's A record in 0.5 s get at most two
//              multicast answers (RFC 6762 6, the one-second rule)
//   goodbye    8 instances announced then withdrawn (TTL 0): a ninth is still
//              found (the browser's cache ages and honours goodbyes)
// Every check captures the TAP; every mDNS packet the guest sends must have
// IP TTL 255 (RFC 6762 11) and tshark must find no malformed guest frame.
import type {Netns} from '../qemu/netns.js'
import {runJsonAgent, runAgent} from './agent.js'
import {MDNS_AGENT_SOURCE} from './mdns.js'
import {judgeCapture, startCapture} from './capture.js'
import type {Outcome} from './linkchecks.js'

export const MDNS_CHECKS = ['dotted', 'rate', 'goodbye'] as const

// The DNS encoder and parser of the mDNS agent, shared.
const wire = MDNS_AGENT_SOURCE.slice(MDNS_AGENT_SOURCE.indexOf('// ---- DNS wire format'), MDNS_AGENT_SOURCE.indexOf('// ---- sockets ----'))

const CHECK_SOURCE = String.raw`
const dgram = require('node:dgram');
const fs = require('node:fs');
const job = JSON.parse(process.argv[1]);
const GROUP = '224.0.0.251', PORT = 5353, SERVICE = '_kos._udp.local';
const T = {A: 1, PTR: 12, TXT: 16, SRV: 33};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
` + wire + String.raw`
const seenGuest = [];
function serial() { return fs.readFileSync(job.serialPath, 'utf8'); }
async function waitSerial(re, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) { if (re.test(serial())) return true; await sleep(250); }
  return false;
}
function instance(label, port, ipText, ttl) {
  const inst = label + '.' + SERVICE, host = label.replace(/[^a-z0-9-]/gi, '-') + '.local';
  const ip = Buffer.from(ipText.split('.').map(Number));
  return [
    {name: SERVICE, type: T.PTR, klass: 1, ttl, data: Buffer.concat([Buffer.from([label.length]), Buffer.from(label), encName(SERVICE)])},
    {name: inst, type: T.SRV, klass: 0x8001, ttl: ttl ? 120 : 0, data: Buffer.concat([u16(0), u16(0), u16(port), encName(host)]), rawName: [label, SERVICE]},
    {name: host, type: T.A, klass: 0x8001, ttl: ttl ? 120 : 0, data: ip},
  ];
}
// message() encodes names by splitting at dots: a label holding a dot needs its own encoding.
function encodeRecords(records) {
  const parts = [u16(0), u16(0x8400), u16(0), u16(records.length), u16(0), u16(0)];
  for (const a of records) {
    const name = a.rawName ? Buffer.concat([Buffer.from([a.rawName[0].length]), Buffer.from(a.rawName[0]), encName(a.rawName[1])]) : encName(a.name);
    parts.push(name, u16(a.type), u16(a.klass), u32(a.ttl), u16(a.data.length), a.data);
  }
  return Buffer.concat(parts);
}
(async () => {
  const s = dgram.createSocket({type: 'udp4', reuseAddr: true});
  s.on('message', (msg, rinfo) => { if (rinfo.address === job.guestIp) { try { seenGuest.push({t: Date.now(), p: parse(msg)}); } catch (e) { seenGuest.push({t: Date.now(), error: String(e)}); } } });
  await new Promise((res) => s.bind(PORT, '0.0.0.0', res));
  s.addMembership(GROUP, job.hostIp);
  s.setMulticastInterface(job.hostIp);
  s.setMulticastTTL(255);
  const send = (buf) => new Promise((res) => s.send(buf, PORT, GROUP, () => res()));
  const steps = [];
  const ready = await waitSerial(/mdns: responding as /, 60000);
  steps.push({step: 'guest_responding', ok: ready, detail: ready ? 'guest finished probing' : 'guest never said it is responding'});
  if (job.check === 'dotted') {
    const msg = encodeRecords([...instance('svc v1.2', 7101, job.hostIp, 4500), ...instance('plain-a', 7102, job.hostIp, 4500), ...instance('plain-b', 7103, job.hostIp, 4500)]);
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      await send(msg);
      found = await waitSerial(/mdns: found plain-b\._kos\._udp\.local at/, 2000);
    }
    const text = serial();
    const all = ['svc v1\\\\.2', 'plain-a', 'plain-b'].map((l) => new RegExp('mdns: found ' + l + '\\._kos\\._udp\\.local at ' + job.hostIp.replace(/\./g, '\\.')).test(text));
    steps.push({step: 'dotted_bundle', ok: all.every(Boolean), detail: 'instances reported by the guest: svc v1.2 ' + all[0] + ', plain-a ' + all[1] + ', plain-b ' + all[2]});
  } else if (job.check === 'rate') {
    await sleep(1500);
    const host = job.guestHost;
    const q = message(0, 0, [{name: host, type: T.A, klass: 1}], []);
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) { await send(q); await sleep(10); }
    await sleep(1500);
    const isA = (x) => x.p && (x.p.flags & 0x8000) && x.p.records.some((r) => r.type === T.A && r.name.toLowerCase() === host);
    const answers = seenGuest.filter((x) => x.t >= t0 && isA(x)).length;
    // The guest still answers at all: a query after a quiet spell (its own
    // announcements may hold the record back a second, by its clock).
    let later = false;
    for (let i = 0; i < 10 && !later; i++) {
      const t1 = Date.now();
      await sleep(1500);
      await send(q);
      await sleep(500);
      later = seenGuest.some((x) => x.t >= t1 && isA(x));
    }
    steps.push({step: 'one_second_rule', ok: answers <= 2 && later, detail: '50 queries for ' + host + ' A in half a second: ' + answers + ' multicast answers (want at most 2); a query after a quiet spell answered: ' + later});
  } else if (job.check === 'goodbye') {
    for (let i = 0; i < 8; i++) await send(encodeRecords(instance('gone-' + i, 7200 + i, job.hostIp, 4500)));
    const eight = await waitSerial(/mdns: found gone-7\._kos\._udp\.local/, 20000);
    for (let i = 0; i < 8; i++) await send(encodeRecords(instance('gone-' + i, 7200 + i, job.hostIp, 0)));
    const lost = await waitSerial(/mdns: lost gone-7\._kos\._udp\.local/, 20000);
    let ninth = false;
    for (let i = 0; i < 10 && !ninth; i++) {
      await send(encodeRecords(instance('ninth', 7300, job.hostIp, 4500)));
      ninth = await waitSerial(/mdns: found ninth\._kos\._udp\.local at/, 2000);
    }
    steps.push({step: 'goodbyes_honoured', ok: eight && lost && ninth, detail: '8 announced: ' + eight + ', withdrawn and reported lost: ' + lost + ', a ninth found: ' + ninth});
  }
  process.stdout.write(JSON.stringify({ok: steps.every((x) => x.ok), steps}) + '\n');
  s.close();
  process.exit(0);
})().catch((e) => { process.stdout.write(JSON.stringify({ok: false, steps: [{step: 'agent', ok: false, detail: String(e && e.stack || e)}]}) + '\n'); process.exit(0); });
`

interface CheckReport {
  ok: boolean
  steps: Array<{step: string; ok: boolean; detail: string}>
}

/** Waits until the guest's netecho answers on port 7; its MAC from the namespace's neighbour table, or null. */
export async function warmGuest(ns: Netns, signal: AbortSignal): Promise<string | null> {
  const warm = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'warmup', timeoutMs: 60_000}]}, ns.prefix, signal)
  if (!warm.ok) return null
  const {stdout: neigh} = await ns.run('ip', ['neigh', 'show', ns.guestIp])
  return (/lladdr ([0-9a-f:]{17})/i.exec(neigh) ?? [])[1] ?? ''
}

export async function mdnsCheck(check: string, ns: Netns, serialPath: string, signal: AbortSignal): Promise<Outcome> {
  if (!(MDNS_CHECKS as readonly string[]).includes(check)) return {ok: false, detail: `unknown mDNS check "${check}" (known: ${MDNS_CHECKS.join(', ')})`}
  const capture = await startCapture(ns)
  let quit = false
  try {
    const mac = await warmGuest(ns, signal)
    if (mac === null) return {ok: false, detail: 'guest never answered on port 7'}
    const guestHost = `kos-${mac.split(':').slice(3).join('')}.local`
    const report = await runJsonAgent<CheckReport>('mDNS check agent', CHECK_SOURCE, {check, guestIp: ns.guestIp, hostIp: ns.hostIp, serialPath, guestHost}, ns.prefix, signal)
    const bye = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, ns.prefix, signal)
    quit = true
    await new Promise((r) => setTimeout(r, 1000))   // the goodbye leaves after kos:bye
    await capture.stop()
    // RFC 6762 11: every mDNS packet with IP TTL 255 (avahi's check-response-ttl drops others).
    const {stdout} = await ns.run('tshark', ['-r', capture.file, '-Y', `eth.src == ${mac} && udp.srcport == 5353`, '-T', 'fields', '-e', 'ip.ttl'], 120_000)
    const ttls = stdout.split('\n').filter((l) => l.trim())
    const bad = ttls.filter((t) => t.trim() !== '255')
    const verdict = await judgeCapture(ns, capture.file, mac)
    const ttlOk = ttls.length > 0 && bad.length === 0
    const detail = report.steps.map((x) => `${x.step}: ${x.ok ? '' : 'FAILED '}${x.detail}`).join('; ') +
      `; ${ttls.length} mDNS packets from the guest, ${bad.length} without IP TTL 255${bad.length ? ' (' + [...new Set(bad)].join(',') + ')' : ''}; quit: ${bye.ok ? 'kos:bye' : 'no'}; ${verdict.detail}`
    return {ok: report.ok && ttlOk && bye.ok && verdict.ok, detail}
  } finally {
    if (!quit && !signal.aborted) await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, ns.prefix, signal).catch(() => null)
    await capture.stop()
    capture.remove()
  }
}
