// Network namespaces for TAP test cases. Each case gets its own namespace
// (named after the run's pid), a TAP device inside it with the host side's
// address, and runs QEMU and the host peer inside it. Nothing is ever added
// to the root namespace. Namespaces (and the TAP devices and processes in
// them) are removed when the case ends, on failure, and on Ctrl-C/SIGTERM.
import {execFile, execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {promisify} from 'node:util'

const execFileP = promisify(execFile)

export const NETNS_PREFIX = 'kos-'
export const TAP_NAME = 'kostap0'
export const TAP_HOST_IP = '198.51.100.1'
export const TAP_GUEST_IP = '198.51.100.2'
export const TAP_PREFIX_LEN = 24

export class NetnsError extends Error {}

export interface Netns {
  name: string
  tap: string
  hostIp: string
  guestIp: string
  /** argv prefix that runs a command inside the namespace. */
  prefix: string[]
  /** Runs a command inside the namespace and returns its output (throws on non-zero exit). */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<{stdout: string; stderr: string}>
  /** Starts a long-running command inside the namespace (killed by destroy()). */
  spawn(cmd: string, args: string[]): ChildProcess
  destroy(): Promise<void>
}

const live = new Map<string, Set<ChildProcess>>()
let counter = 0
let hooksInstalled = false

/** Synchronous cleanup: what an exiting process can still do. */
function destroySync(name: string): void {
  const children = live.get(name)
  for (const c of children ?? []) {
    try { c.kill('SIGKILL') } catch { /* already gone */ }
  }
  killNamespacePidsSync(name)
  try { execFileSync('ip', ['netns', 'del', name], {stdio: 'ignore'}) } catch { /* already gone */ }
  live.delete(name)
}

function killNamespacePidsSync(name: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', name], {encoding: 'utf8'}).split(/\s+/).filter(Boolean)
    for (const p of pids) {
      try { process.kill(Number(p), 'SIGKILL') } catch { /* gone */ }
    }
  } catch { /* namespace gone */ }
}

function installHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', () => { for (const n of [...live.keys()]) destroySync(n) })
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      for (const n of [...live.keys()]) destroySync(n)
      // Only this handler: keep the default behaviour of dying on the signal.
      if (process.listenerCount(sig) === 1) process.exit(code)
    })
  }
}

async function ip(args: string[]): Promise<void> {
  try {
    await execFileP('ip', args, {timeout: 15_000})
  } catch (error) {
    const e = error as {stderr?: string; message: string}
    throw new NetnsError(`ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim().split('\n')[0]}`)
  }
}

/** Creates kos-<pid>-<n>[-tag] with kostap0 at 198.51.100.1/24 inside it. */
export async function createNetns(tag = ''): Promise<Netns> {
  installHooks()
  const safeTag = tag.replace(/[^\w-]/g, '').slice(0, 16)
  const name = `${NETNS_PREFIX}${process.pid}-${counter++}${safeTag ? '-' + safeTag : ''}`
  live.set(name, new Set())
  try {
    await ip(['netns', 'add', name])
    await ip(['-n', name, 'link', 'set', 'lo', 'up'])
    await ip(['-n', name, 'tuntap', 'add', 'dev', TAP_NAME, 'mode', 'tap'])
    await ip(['-n', name, 'addr', 'add', `${TAP_HOST_IP}/${TAP_PREFIX_LEN}`, 'dev', TAP_NAME])
    await ip(['-n', name, 'link', 'set', TAP_NAME, 'up'])
  } catch (error) {
    destroySync(name)
    throw error
  }
  const prefix = ['ip', 'netns', 'exec', name]
  const children = live.get(name)!
  return {
    name,
    tap: TAP_NAME,
    hostIp: TAP_HOST_IP,
    guestIp: TAP_GUEST_IP,
    prefix,
    async run(cmd, args, timeoutMs = 120_000) {
      try {
        return await execFileP(prefix[0], [...prefix.slice(1), cmd, ...args], {timeout: timeoutMs, maxBuffer: 16 << 20})
      } catch (error) {
        const e = error as {stdout?: string; stderr?: string; message: string}
        const err = new NetnsError(`${cmd} in ${name}: ${(e.stderr || e.message).trim().split('\n').slice(-1)[0]}`) as NetnsError & {stdout?: string}
        err.stdout = e.stdout
        throw err
      }
    },
    spawn(cmd, args) {
      const child = spawn(prefix[0], [...prefix.slice(1), cmd, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
      children.add(child)
      child.on('exit', () => children.delete(child))
      return child
    },
    async destroy() {
      if (!live.has(name)) return
      for (const c of children) c.kill('SIGKILL')
      destroySync(name)
    },
  }
}

/** The bridge of a LAN namespace (createLanNetns): the host side's address sits on it. */
export const LAN_BRIDGE = 'kosbr0'
/** TAP devices of a LAN namespace are kostap1..kostapN, one per guest (profile lan-tap: ifname={tap}{guest}). */
export const LAN_TAP_PREFIX = 'kostap'

export interface LanNetns extends Netns {
  /** The TAP device of each guest, index 0 = guest 1. */
  taps: string[]
}

/**
 * A namespace holding one virtual LAN for `guests` QEMUs: a bridge at
 * 198.51.100.1/24 with one persistent TAP device per guest enslaved to it.
 * The TAP devices outlive a QEMU that is killed, so a guest restarted on the
 * same device rejoins the same LAN. Removed like createNetns's namespaces.
 */
export async function createLanNetns(tag: string, guests: number): Promise<LanNetns> {
  if (!Number.isInteger(guests) || guests < 1 || guests > 32) throw new NetnsError(`a LAN namespace takes 1..32 guests, not ${guests}`)
  const ns = await createNetns(tag)
  const taps = Array.from({length: guests}, (_, i) => `${LAN_TAP_PREFIX}${i + 1}`)
  try {
    // The single-guest TAP createNetns made gives way to a bridge that carries its address.
    await ip(['-n', ns.name, 'link', 'del', TAP_NAME])
    await ip(['-n', ns.name, 'link', 'add', LAN_BRIDGE, 'type', 'bridge', 'mcast_snooping', '0', 'forward_delay', '0'])
    await ip(['-n', ns.name, 'addr', 'add', `${TAP_HOST_IP}/${TAP_PREFIX_LEN}`, 'dev', LAN_BRIDGE])
    await ip(['-n', ns.name, 'link', 'set', LAN_BRIDGE, 'up'])
    for (const t of taps) {
      await ip(['-n', ns.name, 'tuntap', 'add', 'dev', t, 'mode', 'tap'])
      await ip(['-n', ns.name, 'link', 'set', t, 'master', LAN_BRIDGE])
      await ip(['-n', ns.name, 'link', 'set', t, 'up'])
    }
  } catch (error) {
    await ns.destroy()
    throw error
  }
  return {...ns, tap: LAN_TAP_PREFIX, guestIp: '', taps}
}

export interface Leftovers {
  /** kos-* namespaces that still exist (optionally only those of one pid). */
  namespaces: string[]
  /** pids still running inside those namespaces. */
  pids: number[]
}

/** What a run left behind: kos namespaces and the processes in them. */
export function listLeftovers(ownerPid?: number): Leftovers {
  let names: string[] = []
  try {
    names = execFileSync('ip', ['netns', 'list'], {encoding: 'utf8'})
      .split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((n) => n && n.startsWith(NETNS_PREFIX))
  } catch {
    names = []
  }
  if (ownerPid !== undefined) names = names.filter((n) => n.startsWith(`${NETNS_PREFIX}${ownerPid}-`))
  const pids: number[] = []
  for (const n of names) {
    try {
      pids.push(...execFileSync('ip', ['netns', 'pids', n], {encoding: 'utf8'}).split(/\s+/).filter(Boolean).map(Number))
    } catch { /* vanished meanwhile */ }
  }
  return {namespaces: names, pids}
}

/** Namespaces this process created and has not removed yet. */
export function liveNamespaces(): string[] {
  return [...live.keys()]
}

let netemProbe: boolean | undefined

/**
 * Can this host's kernel run tc netem (sch_netem)? Probed once in a throwaway
 * namespace (never the root namespace), which is removed again.
 */
export function netemAvailable(): boolean {
  if (netemProbe !== undefined) return netemProbe
  const name = `${NETNS_PREFIX}${process.pid}-netem-probe`
  try {
    execFileSync('ip', ['netns', 'add', name], {stdio: 'ignore'})
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], {stdio: 'ignore'})
    execFileSync('ip', ['netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], {stdio: 'ignore'})
    netemProbe = true
  } catch {
    netemProbe = false
  } finally {
    try { execFileSync('ip', ['netns', 'del', name], {stdio: 'ignore'}) } catch { /* never created */ }
  }
  return netemProbe
}
