// The clock-load peer: does the guest's clock hold when the host is loaded?
// Two CPU hogs (busy shell loops) start in the case namespace before QEMU
// boots and run beside it until the case ends (killed by this peer, and with
// the namespace in any case). Once the guest is up, an agent in the namespace
// asks netecho for its clock (`kos:mem` ... `ms=N`) twice, 10 s of host time
// apart, each time at the midpoint of the request's round trip. The guest's
// 10 s must agree with the host's within 3 % plus the round trips'
// uncertainty; the hogs must still be running and have used the CPU.
import type {ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import type {Netns} from '../qemu/netns.js'
import {runAgent, runJsonAgent} from './agent.js'
import type {Outcome} from './linkchecks.js'

export const CLOCK_WINDOW_MS = 10_000
export const CLOCK_TOLERANCE = 0.03

const CLOCK_SOURCE = String.raw`
const dgram = require('node:dgram');
const job = JSON.parse(process.argv[1]);
const sock = dgram.createSocket('udp4');
const now = () => Number(process.hrtime.bigint()) / 1e6;
function ask() {
  return new Promise((resolve) => {
    const t0 = now();
    const timer = setTimeout(() => { sock.removeAllListeners('message'); resolve(null); }, 5000);
    sock.once('message', (msg) => {
      const t1 = now();
      clearTimeout(timer);
      const m = / ms=(\d+)/.exec(msg.toString());
      resolve(m ? {hostMs: (t0 + t1) / 2, guestMs: Number(m[1]), rttMs: t1 - t0} : null);
    });
    sock.send('kos:mem', 7, job.guestIp);
  });
}
sock.bind(0, async () => {
  const a = await ask();
  await new Promise((r) => setTimeout(r, job.windowMs));
  const b = await ask();
  process.stdout.write(JSON.stringify({a, b}) + '\n');
  process.exit(0);
});
`

interface Sample { hostMs: number; guestMs: number; rttMs: number }

/** Starts the hogs (before the guest boots). */
export function startHogs(ns: Netns, count = 2): ChildProcess[] {
  return Array.from({length: count}, () => ns.spawn('sh', ['-c', 'while :; do :; done']))
}

/** CPU seconds a process has used (utime + stime of /proc/PID/stat), -1 when gone. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return -1
  }
}

export async function clockUnderLoad(ns: Netns, hogs: ChildProcess[], signal: AbortSignal): Promise<Outcome> {
  const warm = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'warmup', timeoutMs: 60_000}]}, ns.prefix, signal)
  if (!warm.ok) return {ok: false, detail: 'guest never answered on port 7'}
  const before = hogs.map((h) => cpuSeconds(h.pid))
  const r = await runJsonAgent<{a: Sample | null; b: Sample | null}>('clock agent', CLOCK_SOURCE, {guestIp: ns.guestIp, windowMs: CLOCK_WINDOW_MS}, ns.prefix, signal)
  const used = hogs.map((h, i) => cpuSeconds(h.pid) - before[i])
  const alive = hogs.every((h) => h.exitCode === null && h.signalCode === null)
  const bye = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, ns.prefix, signal)
  const hogNote = `hogs ${alive ? 'running' : 'GONE'}, CPU used in the window ${used.map((u) => u.toFixed(1)).join(' s, ')} s`
  if (!r.a || !r.b) return {ok: false, detail: `kos:mem went unanswered (${JSON.stringify(r)}); ${hogNote}`}
  const host = r.b.hostMs - r.a.hostMs
  const guest = r.b.guestMs - r.a.guestMs
  const slack = CLOCK_TOLERANCE * host + (r.a.rttMs + r.b.rttMs) / 2
  const clockOk = Math.abs(guest - host) <= slack
  const hogsOk = alive && used.every((u) => u >= 0.5)
  const detail = `host ${host.toFixed(0)} ms, guest ${guest} ms (${((guest / host - 1) * 100).toFixed(2)} %, allowed ±${slack.toFixed(0)} ms: 3 % + round trips ${r.a.rttMs.toFixed(1)}/${r.b.rttMs.toFixed(1)} ms); ${hogNote}; quit: ${bye.ok ? 'kos:bye' : 'no'}`
  return {ok: clockOk && hogsOk && bye.ok, detail}
}
