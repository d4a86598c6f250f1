// The avahi peer: the guest's mDNS responder and browser (kernel/net/mdns.c)
// against avahi, the responder of most Linux systems, run inside the case's
// namespace. avahi-daemon needs a system D-Bus and a runtime directory; it
// gets its own of both, never the host's: a private dbus-daemon listening on a
// socket in a temporary directory (DBUS_SYSTEM_BUS_ADDRESS points avahi and
// its clients there), and a mount namespace (unshare -m) in which /run and
// /etc/avahi/services are empty tmpfs mounts, so no host pid file, socket or
// static service is seen. Its configuration is written here, with
// check-response-ttl=yes (it drops every mDNS packet whose IP TTL is not 255)
// and only kostap0. Everything runs in the case namespace and dies with it.
//   find      avahi-browse resolves the guest's _kos._udp service (host, address,
//             port 7), avahi-resolve maps kos-123456.local to 198.51.100.2 and
//             back (the reverse PTR), the guest's browser finds the service
//             avahi-publish announces, and avahi sees the guest's goodbye when
//             netecho quits
//   conflict  avahi holds kos-123456.local (avahi-publish -a, address .3) before
//             the guest boots: the guest must detect the conflict (RFC 6762 8,
//             9) and take kos-123456-2.local, which avahi then resolves to the
//             guest while the original name still resolves to avahi's record
// Both capture the TAP from before the guest boots (its probes included):
// every guest mDNS packet has IP TTL 255 and tshark finds no malformed guest
// frame.
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Netns} from '../qemu/netns.js'
import {runAgent} from './agent.js'
import {type Capture, judgeCaptureInto} from './capture.js'
import type {Outcome} from './linkchecks.js'
import {waitForSerial} from './serial.js'
import {warmGuest} from './mdnscheck.js'

export const AVAHI_CHECKS = ['find', 'conflict'] as const

export interface Avahi {
  /** Runs an avahi client (avahi-browse, avahi-resolve, ...) against this daemon. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<string>
  /** Starts a long-running client (killed with the namespace). */
  spawn(cmd: string, args: string[]): {child: ChildProcess; output: () => string}
  /** What avahi-daemon wrote so far. */
  log(): string
  stop(): Promise<void>
}

const DBUS_CONF = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`

const AVAHI_CONF = `[server]
host-name=avahi-ns
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=kostap0
check-response-ttl=yes
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000

[wide-area]
enable-wide-area=no

[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
publish-a-on-ipv6=no

[reflector]
enable-reflector=no
`

/** Starts dbus-daemon and avahi-daemon in the namespace; resolves once avahi answers on D-Bus. */
export async function startAvahi(ns: Netns): Promise<Avahi> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kos-avahi-'))
  const socket = path.join(dir, 'system_bus_socket')
  writeFileSync(path.join(dir, 'dbus.conf'), DBUS_CONF(socket))
  writeFileSync(path.join(dir, 'avahi-daemon.conf'), AVAHI_CONF)
  const bus = `unix:path=${socket}`
  const script = [
    'set -e',
    'mount -t tmpfs kos-avahi-run /run',
    'mount -t tmpfs kos-avahi-services /etc/avahi/services',
    'mkdir -p /run/avahi-daemon /run/dbus',
    `dbus-daemon --config-file=${dir}/dbus.conf --nofork --nopidfile &`,
    `for i in $(seq 100); do [ -S ${socket} ] && break; sleep 0.1; done`,
    `export DBUS_SYSTEM_BUS_ADDRESS=${bus}`,
    `exec avahi-daemon -f ${dir}/avahi-daemon.conf --no-drop-root --no-chroot --no-rlimits --no-proc-title`,
  ].join('\n')
  const daemon = ns.spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script])
  let log = ''
  daemon.stdout?.on('data', (d) => { log += d })
  daemon.stderr?.on('data', (d) => { log += d })
  const env = ['env', `DBUS_SYSTEM_BUS_ADDRESS=${bus}`]
  const avahi: Avahi = {
    async run(cmd, args, timeoutMs = 30_000) {
      try {
        return (await ns.run(env[0], [...env.slice(1), cmd, ...args], timeoutMs)).stdout
      } catch (error) {
        return (error as {stdout?: string}).stdout ?? ''
      }
    },
    spawn(cmd, args) {
      const child = ns.spawn(env[0], [...env.slice(1), cmd, ...args])
      let out = ''
      child.stdout?.on('data', (d) => { out += d })
      child.stderr?.on('data', (d) => { out += d })
      return {child, output: () => out}
    },
    log: () => log,
    async stop() {
      daemon.kill('SIGTERM')
      rmSync(dir, {recursive: true, force: true})
    },
  }
  // Ready once it has registered on D-Bus and started its server.
  for (let i = 0; i < 150 && daemon.exitCode === null; i++) {
    if (/Server startup complete/.test(log)) return avahi
    await new Promise((r) => setTimeout(r, 200))
  }
  await avahi.stop()
  throw new Error(`avahi-daemon did not start in the namespace: ${log.trim().split('\n').slice(-3).join(' | ')}`)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls fn until it returns a truthy value or ms pass. */
async function until<T>(ms: number, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v || Date.now() > end) return v
    await sleep(1000)
  }
}

async function quitGuest(ns: Netns, signal: AbortSignal): Promise<boolean> {
  const r = await runAgent({host: ns.guestIp, port: 7, ops: [{op: 'cmd', text: 'kos:quit', expect: 'kos:bye'}]}, ns.prefix, signal)
  return r.ok
}

/** The avahi checks; avahi was started before the guest booted (and, for conflict, holds the name). */
export async function avahiCheck(check: string, ns: Netns, avahi: Avahi, held: {output: () => string} | undefined,
  capture: Capture, serialPath: string, since: number, signal: AbortSignal): Promise<Outcome> {
  const details: string[] = []
  let ok = true
  const fail = (why: string) => { ok = false; details.push(`FAILED ${why}`) }
  let quit = false
  try {
    const mac = await warmGuest(ns, signal)
    if (mac === null) return {ok: false, detail: 'guest never answered on port 7'}
    const label = `kos-${mac.split(':').slice(3).join('')}`
    let name = label
    if (check === 'conflict') {
      const m = await waitForSerial(serialPath, /mdns: name conflict on (\S+) \(([^)]*)\), now (\S+)/, 60_000, signal, since)
      details.push(`guest: ${m[0]}`)
      if (m[1] !== `${label}.local` || m[3] !== `${label}-2.local`) fail(`renamed ${m[1]} to ${m[3]}, expected ${label}.local to ${label}-2.local`)
      name = `${label}-2`
      const r = await waitForSerial(serialPath, /mdns: responding as (\S+),/, 60_000, signal, since)
      if (r[1] !== `${name}.local`) fail(`guest responds as ${r[1]}`)
      const mine = (await avahi.run('avahi-resolve', ['-4', '-n', `${label}.local`], 20_000)).trim()
      details.push(`avahi resolves the held name: ${mine || 'nothing'}`)
      if (mine !== `${label}.local\t198.51.100.3`) fail(`${label}.local no longer resolves to avahi's 198.51.100.3`)
      if (/collision|failed/i.test(held?.output() ?? '')) fail(`avahi-publish lost its name: ${held?.output().trim()}`)
    }
    // avahi finds and resolves the guest's service.
    const want = `=;kostap0;IPv4;${name};_kos._udp;local;${name}.local;${ns.guestIp};7;`
    const browsed = await until(60_000, async () => (await avahi.run('avahi-browse', ['-r', '-t', '-p', '_kos._udp'], 20_000)).split('\n').find((l) => l.startsWith(want)))
    if (!browsed) fail(`avahi-browse did not resolve ${name}._kos._udp`)
    else details.push(`avahi-browse: ${browsed}`)
    const fwd = (await avahi.run('avahi-resolve', ['-4', '-n', `${name}.local`], 20_000)).trim()
    if (fwd !== `${name}.local\t${ns.guestIp}`) fail(`avahi-resolve -n ${name}.local: ${JSON.stringify(fwd)}`)
    else details.push(`avahi-resolve -n: ${fwd.replace('\t', ' ')}`)
    const rev = (await avahi.run('avahi-resolve', ['-a', ns.guestIp], 20_000)).trim()
    if (rev !== `${ns.guestIp}\t${name}.local`) fail(`avahi-resolve -a ${ns.guestIp}: ${JSON.stringify(rev)}`)
    else details.push(`avahi-resolve -a: ${rev.replace('\t', ' ')}`)
    if (check === 'find') {
      // The guest's browser finds what avahi publishes.
      const pub = avahi.spawn('avahi-publish', ['-s', 'ns-avahi', '_kos._udp', '7007', 'from=avahi'])
      const found = await waitForSerial(serialPath, /mdns: found ns-avahi\._kos\._udp\.local at (\S+) port (\d+) host (\S+)/, 120_000, signal, since)
      details.push(`guest: ${found[0]}`)
      if (found[1] !== ns.hostIp || found[2] !== '7007' || found[3] !== 'avahi-ns.local') fail(`guest found ${found[0]}`)
      // Goodbyes: avahi's browser sees the guest's service leave when netecho quits.
      const watch = avahi.spawn('avahi-browse', ['-p', '-k', '_kos._udp'])
      await until(20_000, async () => watch.output().includes(`+;kostap0;IPv4;${name};`) || undefined)
      quit = await quitGuest(ns, signal)
      const gone = await until(15_000, async () => watch.output().includes(`-;kostap0;IPv4;${name};_kos._udp;local`) || undefined)
      if (!gone) fail(`avahi-browse saw no goodbye: ${watch.output().trim().split('\n').slice(-3).join(' | ')}`)
      else details.push('avahi saw the goodbye')
      watch.child.kill('SIGTERM')
      pub.child.kill('SIGTERM')
    }
    if (!quit) quit = await quitGuest(ns, signal)
    if (!quit) fail('kos:quit got no kos:bye')
    await sleep(1000)
    await capture.stop()
    const {stdout} = await ns.run('tshark', ['-r', capture.file, '-Y', `eth.src == ${mac} && udp.srcport == 5353`, '-T', 'fields', '-e', 'ip.ttl'], 120_000)
    const ttls = stdout.split('\n').filter((l) => l.trim())
    const bad = ttls.filter((t) => t.trim() !== '255')
    if (ttls.length === 0 || bad.length > 0) fail(`${ttls.length} guest mDNS packets, ${bad.length} without IP TTL 255`)
    details.push(`${ttls.length} guest mDNS packets, all IP TTL 255: ${bad.length === 0}`)
    await judgeCaptureInto(ns, capture.file, mac, details, fail)
  } catch (error) {
    fail((error as Error).message.slice(0, 1000))
  } finally {
    if (!quit && !signal.aborted) await quitGuest(ns, signal).catch(() => false)
    await capture.stop()
  }
  const rejected = avahi.log().split('\n').filter((l) => /invalid|TTL/i.test(l))
  if (rejected.length > 0) details.push(`avahi log: ${rejected.slice(0, 3).join(' | ')}`)
  return {ok, detail: details.join('; ')}
}
