// Host C programs outside `kos build` (test drivers, sanitizer builds of
// kos-wasm): compiled with the host profile (toolchain/host.json), so tests and
// the build share one set of flags and one compiler choice.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {resolveProfile} from './toolchain.js'

/** The C files directly in dir (repository-relative), sorted. */
export function cFiles(root: string, dir: string): string[] {
  if (!existsSync(path.join(root, dir))) return []
  return readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.c')).sort().map((f) => `${dir}/${f}`)
}

/** The sources of kos-wasm: the portable interpreter and its host driver. */
export const kosWasmSources = (root: string): string[] => [...cFiles(root, 'kernel/wasm'), ...cFiles(root, 'tools/wasm')]

/** The host build of the libp2p programs without their main: the portable p2p
 * code, its POSIX platform layer and the WASM interpreter it runs others' modules
 * with (plain linear memory under the sanitizers, so no guard pages). */
export const p2pHostSources = (root: string): string[] => [
  ...cFiles(root, 'user/p2p/crypto'), ...cFiles(root, 'user/p2p/core'), ...cFiles(root, 'user/p2p/host'), ...cFiles(root, 'tools/p2p'),
  ...cFiles(root, 'kernel/wasm'),
]

export interface HostBuild {
  /** Repository-relative C sources. */
  sources: string[]
  /** Output executable (absolute). */
  out: string
  /** Flags after the profile's (a later -O wins), e.g. sanitizers or -Werror. */
  extraFlags?: string[]
}

/** The compile-and-link command line of a host build, cwd = root. */
export function hostBuildArgv(root: string, b: HostBuild): string[] {
  const tc = resolveProfile(root, 'host')
  return [tc.tools.cc, ...tc.profile.cflags, ...(b.extraFlags ?? []), '-o', b.out, ...b.sources, ...(tc.profile.ldflags ?? [])]
}

/** Compiles and links a host build; throws with the compiler's output on failure. */
export function hostBuild(root: string, b: HostBuild): string {
  const [cc, ...args] = hostBuildArgv(root, b)
  execFileSync(cc, args, {cwd: root, stdio: 'pipe'})
  return b.out
}

/** The portable network stack the host test drivers (tools/net) link: every
 * kernel/net file that needs no kernel (platform hooks come from the driver). */
export const NET_STACK_SOURCES = ['netif', 'eth', 'arp', 'ipv4', 'icmp', 'udp', 'socket', 'tcp', 'loopback'].map(
  (f) => `kernel/net/${f}.c`,
)

/** Flags of the sanitizer builds the host tests use: any memory error fails the run. */
export const SANITIZE_FLAGS = ['-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined']
