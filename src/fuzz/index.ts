// `kos fuzz`: the libFuzzer harnesses of tools/fuzz, built for the host with
// clang's -fsanitize=fuzzer,address,undefined, each run for a bounded time on
// its corpus (tools/fuzz/corpus/NAME, seeds kept in the repository; what a run
// discovers goes to build/fuzz/NAME-corpus). A crash ends the run with the
// input saved as build/fuzz/NAME-crash-*, to become a regression seed.
import {existsSync, mkdirSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {NET_STACK_SOURCES, cFiles} from '../builder/hostcc.js'
import {resolveProfile} from '../builder/toolchain.js'
import {runTool, which} from '../util/spawn.js'

export const FUZZ_DIR = 'build/fuzz'
export const FUZZ_FLAGS = ['-O1', '-g', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined']
/** libFuzzer needs clang and its runtime (Debian: libclang-rt-19-dev). */
export const FUZZ_COMPILERS = ['clang-19', 'clang']

export interface FuzzTarget {
  name: string
  what: string
  sources: (root: string) => string[]
  /** Include directories the sources need besides the host profile's. */
  includes?: string[]
}

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  {name: 'net_input', what: 'Ethernet frames into the stack (ARP, IPv4, ICMP, UDP, TCP, mDNS)',
    sources: () => ['tools/fuzz/net_input_fuzz.c', 'tools/fuzz/platform.c', ...NET_STACK_SOURCES, 'kernel/net/mdns.c']},
  {name: 'tcp', what: 'TCP segments (checksums made right) into a listener: handshake, options, data, FIN and RST',
    sources: () => ['tools/fuzz/tcp_fuzz.c', 'tools/fuzz/platform.c', ...NET_STACK_SOURCES]},
  {name: 'dns', what: 'DNS messages through the mDNS readers',
    sources: () => ['tools/fuzz/dns_fuzz.c', 'tools/fuzz/platform.c', ...NET_STACK_SOURCES, 'kernel/net/mdns.c']},
  {name: 'wasm_decode', what: 'binary WebAssembly modules through the decoder and validator',
    sources: (root) => ['tools/fuzz/wasm_decode_fuzz.c', ...cFiles(root, 'kernel/wasm')]},
  {name: 'bitswap', what: 'Bitswap 1.2.0 messages through the decoder, the per-peer ledger and the encoder',
    sources: () => ['tools/fuzz/bitswap_fuzz.c', ...['bitswap', 'bitswap_ledger', 'cid', 'multiformats', 'buf'].map((f) => `user/p2p/core/${f}.c`), 'user/p2p/crypto/sha2.c'],
    includes: ['user/p2p']},
  {name: 'elf_validate', what: 'files handed to exec through the ELF loader\'s checks',
    sources: () => ['tools/fuzz/elf_validate_fuzz.c', 'kernel/proc/elf.c', 'kernel/lib/printf.c']},
]

export class FuzzError extends Error {}

export interface FuzzResult {
  name: string
  /** Executions libFuzzer reported ("Done N runs"). */
  runs: number
  seconds: number
  /** Seeds in the repository corpus. */
  seeds: number
  ok: boolean
  /** The crash input libFuzzer saved, when it found one. */
  crash?: string
  detail: string
}

/** "Done 400550 runs in 11 second(s)": executions and seconds, or null. */
export function parseFuzzerSummary(stderr: string): {runs: number; seconds: number} | null {
  const m = /^Done (\d+) runs in (\d+) second/m.exec(stderr)
  return m ? {runs: Number(m[1]), seconds: Number(m[2])} : null
}

export function selectTargets(names: string[] | undefined): FuzzTarget[] {
  if (!names || names.length === 0) return [...FUZZ_TARGETS]
  return names.map((n) => {
    const t = FUZZ_TARGETS.find((x) => x.name === n)
    if (!t) throw new FuzzError(`unknown fuzz harness "${n}" (have: ${FUZZ_TARGETS.map((x) => x.name).join(', ')})`)
    return t
  })
}

export async function buildFuzzer(root: string, t: FuzzTarget): Promise<string> {
  const cc = FUZZ_COMPILERS.map((c) => which(c)).find(Boolean)
  if (!cc) throw new FuzzError('clang not found (Debian packages clang-19 and libclang-rt-19-dev; `kos setup` installs them)')
  const host = resolveProfile(root, 'host').profile
  mkdirSync(path.join(root, FUZZ_DIR), {recursive: true})
  const out = path.join(FUZZ_DIR, t.name)
  const r = await runTool(cc, [...host.cflags, ...(t.includes ?? []).flatMap((d) => ['-I', d]), ...FUZZ_FLAGS, '-o', out, ...t.sources(root), ...(host.ldflags ?? [])], {cwd: root, timeoutMs: 600_000})
  if (r.code !== 0) {
    const hint = /cannot find|libclang_rt\.fuzzer|No such file/.test(r.all) ? ' (is libclang-rt-19-dev installed? `kos setup` installs it)' : ''
    throw new FuzzError(`building ${t.name} failed${hint}: ${r.all.trim().split('\n').slice(-3).join(' / ')}`)
  }
  return out
}

/** Runs one harness for `seconds` on its corpus; never throws for a finding (ok: false). */
export async function runFuzzer(root: string, t: FuzzTarget, binary: string, seconds: number): Promise<FuzzResult> {
  const seedDir = path.join('tools/fuzz/corpus', t.name)
  const workDir = path.join(FUZZ_DIR, `${t.name}-corpus`)
  mkdirSync(path.join(root, workDir), {recursive: true})
  const seeds = existsSync(path.join(root, seedDir)) ? readdirSync(path.join(root, seedDir)).length : 0
  const prefix = path.join(FUZZ_DIR, `${t.name}-`)
  const r = await runTool(path.resolve(root, binary), [`-max_total_time=${seconds}`, `-artifact_prefix=${prefix}`, '-print_final_stats=0', workDir, seedDir],
    {cwd: root, timeoutMs: (seconds + 120) * 1000})
  const summary = parseFuzzerSummary(r.stderr)
  const crash = /Test unit written to (\S+)/.exec(r.stderr)?.[1]
  if (r.code === 0 && summary) {
    return {name: t.name, runs: summary.runs, seconds: summary.seconds, seeds, ok: true, detail: `${summary.runs} runs in ${summary.seconds} s, nothing found`}
  }
  const why = r.stderr.split('\n').find((l) => /ERROR: |SUMMARY: |runtime error/.test(l))?.trim() ?? `exit ${r.code}`
  return {name: t.name, runs: summary?.runs ?? 0, seconds: summary?.seconds ?? 0, seeds, ok: false, crash, detail: `${why}${crash ? ` (input: ${crash})` : ''}`}
}
