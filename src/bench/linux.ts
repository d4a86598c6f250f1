// `kos bench --vs linux`: the same benchmark programs on kos and on a real
// Linux kernel (Debian's linux-image-amd64, booted with a busybox-static
// initramfs) in the same QEMU command line (qemu/base.json, the profile the
// kos cases run in), rounds alternating kos and Linux. The programs are the
// kos cases' own sources (user/NAME.c), built for Linux with the shim in
// bench/linux/ in place of user/lib/sys.c; the Linux guest runs each with
// the arguments its kos case gives it (init=/bin/NAME:ARG). Every figure is
// the median of the rounds; the ratio is kos / Linux. Figures are recorded,
// never judged.
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {CaseDef, RunResults} from '../suites/types.js'
import {loadPackageList, loadProfile, resolveTool} from '../builder/toolchain.js'
import {parseKtap} from '../ktap/parse.js'
import {chooseAccel} from '../qemu/accel.js'
import {qemuArgv} from '../qemu/argv.js'
import {startQemu} from '../qemu/process.js'
import {loadProfile as loadMachineProfile} from '../qemu/profile.js'
import {runTool, which} from '../util/spawn.js'
import {cpioNewc, type CpioEntry} from './cpio.js'
import {type BenchEntry, benchEntriesFromResults, DEFAULT_BENCH_PATH, mergeBench, metricsFromKtap, VS_LINUX_ID, VS_LINUX_LINUX_ID} from './file.js'
import {type BenchDeps, BenchError} from './run.js'
import {median} from './wasm.js'

/** The kos benchmark cases that have a Linux counterpart (same program, same arguments). */
export const VS_LINUX_CASES = ['bench_null_syscall', 'bench_context_switch', 'bench_fork_exit_wait', 'bench_pipe_throughput', 'bench_signal_roundtrip']
/** Where the Linux programs, the initramfs and the serial logs go. */
export const LINUX_BENCH_DIR = 'build/linux-bench'
/** The kernel command line: serial console, no boot chatter, power off on panic. */
export const LINUX_APPEND = 'console=ttyS0 quiet panic=-1'

export interface LinuxProgram {
  /** The case it mirrors. */
  caseId: string
  /** user/NAME.c */
  name: string
  args: string[]
}

/** A case's program and arguments from its init=/bin/NAME[:ARG...] (the kernel splits argv on ':'). */
export function programOfCase(c: CaseDef): LinuxProgram {
  const m = /(?:^|\s)init=\/bin\/([\w-]+)((?::[^\s:]+)*)(?:\s|$)/.exec(c.append ?? '')
  if (!m) throw new BenchError(`${c.id}: no init=/bin/NAME in its command line, so there is no program to run on Linux`)
  return {caseId: c.id, name: m[1], args: m[2] ? m[2].slice(1).split(':') : []}
}

/** The newest /boot/vmlinuz-* (linux-image-amd64 installs one). */
export function findLinuxKernel(bootDir = '/boot'): string {
  const images = existsSync(bootDir) ? readdirSync(bootDir).filter((f) => /^vmlinuz-\d/.test(f)) : []
  if (images.length === 0) throw new BenchError(`no Linux kernel in ${bootDir} (vmlinuz-*): \`kos setup\` installs linux-image-amd64`)
  images.sort((a, b) => a.localeCompare(b, 'en', {numeric: true}))
  return path.join(bootDir, images.at(-1)!)
}

/** True when an ELF64 file has no PT_INTERP: it runs without a dynamic loader (busybox-static). */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false
  const phoff = Number(buf.readBigUInt64LE(32))
  const phentsize = buf.readUInt16LE(54)
  const phnum = buf.readUInt16LE(56)
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize
    if (off + 4 > buf.length) return false
    if (buf.readUInt32LE(off) === 3) return false
  }
  return true
}

/** /init for the Linux guest: a KTAP plan, one top-level result per program, then power off. */
export function initScript(programs: readonly LinuxProgram[]): string {
  const lines = ['#!/bin/busybox sh', '/bin/busybox mount -t proc proc /proc', 'echo "KTAP version 1"', `echo "1..${programs.length}"`]
  programs.forEach((p, i) => {
    const cmd = [`/bin/${p.name}`, ...p.args].join(' ')
    lines.push(`if ${cmd}; then echo "ok ${i + 1} ${p.caseId}"; else echo "not ok ${i + 1} ${p.caseId} # exit=$?"; fi`)
  })
  lines.push('/bin/busybox poweroff -f', '')
  return lines.join('\n')
}

/** Builds each program for Linux: its own source, user/lib's libc.c and ktap.c, the shim and its crt0. */
export async function buildLinuxPrograms(root: string, programs: readonly LinuxProgram[], outDir: string): Promise<Map<string, string>> {
  const packages = loadPackageList(root)
  const profile = loadProfile(root, 'user')
  const cc = resolveTool(profile.tools.cc, packages)
  const ld = resolveTool(profile.tools.ld ?? ['ld.lld'], packages)
  const flags = ['--target=x86_64-linux-gnu', '-ffreestanding', '-nostdlib', '-fno-pic', '-static', '-fno-stack-protector', '-O2',
    '-Wall', '-Wextra', '-Werror', '-std=c11', '-I', 'user/lib', '-I', 'kernel/include', `--ld-path=${ld}`, '-Wl,--gc-sections']
  const common = ['bench/linux/crt0.S', 'bench/linux/shim.c', 'user/lib/libc.c', 'user/lib/ktap.c']
  const built = new Map<string, string>()
  for (const name of new Set(programs.map((p) => p.name))) {
    const out = path.join(outDir, name)
    const r = await runTool(cc, [...flags, ...common, `user/${name}.c`, '-o', out], {cwd: root})
    if (r.code !== 0) throw new BenchError(`building ${name} for Linux failed: ${r.all.trim().split('\n').slice(0, 3).join(' | ')}`)
    built.set(name, out)
  }
  return built
}

export function linuxInitramfs(busybox: Buffer, programs: ReadonlyMap<string, string>, init: string): Buffer {
  const entries: CpioEntry[] = [
    {kind: 'dir', path: 'bin'}, {kind: 'dir', path: 'dev'}, {kind: 'dir', path: 'proc'},
    // The kernel opens /dev/console for init's stdin, stdout and stderr.
    {kind: 'chardev', path: 'dev/console', major: 5, minor: 1},
    {kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755},
    {kind: 'file', path: 'init', data: Buffer.from(init), mode: 0o755},
  ]
  for (const [name, file] of programs) entries.push({kind: 'file', path: `bin/${name}`, data: readFileSync(file), mode: 0o755})
  return cpioNewc(entries)
}

export interface LinuxRound {
  metrics: Map<string, {value: number; unit: string}>
  /** Programs that did not report ok. */
  problems: string[]
}

/** The Linux guest's serial output: every program's result and metrics. */
export function parseLinuxRun(serial: string, programs: readonly LinuxProgram[]): LinuxRound {
  const doc = parseKtap(serial)
  const problems: string[] = []
  const metrics = new Map<string, {value: number; unit: string}>()
  programs.forEach((p, i) => {
    // Result i + 1 of /init's plan (a subtest is named by its "# Subtest:" line, the program's name).
    const node = doc.root.subtests.find((s) => s.number === i + 1)
    if (!node) problems.push(`${p.caseId}: no result from the Linux guest`)
    else if (node.ok !== true) problems.push(`${p.caseId}: failed on Linux`)
    else for (const [k, v] of metricsFromKtap(node)) metrics.set(k, v)
  })
  return {metrics, problems}
}

export interface VsLinuxOptions {
  root: string
  rounds?: number
  timeoutSec?: number
  log?: (line: string) => void
}

export interface VsLinuxRow {
  metric: string
  unit: string
  kos: number
  linux: number
  /** kos / Linux */
  ratio: number
  kosRounds: number[]
  linuxRounds: number[]
}

export interface VsLinuxOutcome {
  kernel: string
  rows: VsLinuxRow[]
  benchPath: string
}

async function bootLinux(root: string, kernel: string, initrd: string, serialPath: string, timeoutSec: number): Promise<string> {
  const profile = loadMachineProfile(root, 'base')
  const argv = qemuArgv(profile, {kernel, initrd, append: LINUX_APPEND, serialPath, accel: await chooseAccel(profile.cpu)})
  const q = startQemu(argv, {timeoutMs: timeoutSec * 1000})
  const exit = await q.done
  const serial = existsSync(serialPath) ? readFileSync(serialPath, 'utf8') : ''
  if (exit.spawnError) throw new BenchError(`QEMU did not start: ${exit.spawnError}`)
  if (exit.timedOut) throw new BenchError(`the Linux guest did not power off within ${timeoutSec} s (serial log ${serialPath})`)
  return serial
}

export async function runVsLinux(opts: VsLinuxOptions, deps: BenchDeps): Promise<VsLinuxOutcome> {
  const log = opts.log ?? (() => {})
  const rounds = Math.max(1, opts.rounds ?? 3)
  const kernel = findLinuxKernel()
  const busyboxPath = which('busybox')
  if (!busyboxPath) throw new BenchError('busybox missing: `kos setup` installs busybox-static')
  const busybox = readFileSync(busyboxPath)
  if (!isStaticElf(busybox)) throw new BenchError(`${busyboxPath} is dynamically linked: \`kos setup\` installs busybox-static`)

  const all = await deps.loadCases(opts.root)
  const cases = VS_LINUX_CASES.map((id) => {
    const c = all.find((x) => x.id === id)
    if (!c) throw new BenchError(`benchmark case ${id} is missing from test-suites/bench.ts`)
    return c
  })
  const programs = cases.map(programOfCase)
  const dir = path.join(opts.root, LINUX_BENCH_DIR)
  mkdirSync(dir, {recursive: true})
  const built = await buildLinuxPrograms(opts.root, programs, dir)
  const initrd = path.join(dir, 'initramfs.cpio')
  writeFileSync(initrd, linuxInitramfs(busybox, built, initScript(programs)))

  const kosRuns: Map<string, {value: number; unit: string}>[] = []
  const linuxRuns: Map<string, {value: number; unit: string}>[] = []
  for (let r = 1; r <= rounds; r++) {
    log(`round ${r}/${rounds}: kos`)
    const results: RunResults = await deps.runCases(cases, {repoRoot: opts.root, jobs: 1, timeoutSec: opts.timeoutSec})
    const kos = benchEntriesFromResults(results)
    if (kos.problems.length > 0 || kos.skipped.length > 0) throw new BenchError(`kos round ${r}: ${[...kos.problems, ...kos.skipped][0]}`)
    kosRuns.push(new Map(kos.entries.map((e) => [e.metric, {value: e.value, unit: e.unit}])))
    log(`round ${r}/${rounds}: Linux (${path.basename(kernel)})`)
    const serialPath = path.join(dir, `linux-round${r}.log`)
    const serial = await bootLinux(opts.root, kernel, initrd, serialPath, opts.timeoutSec ?? 600)
    const lx = parseLinuxRun(serial, programs)
    if (lx.problems.length > 0) throw new BenchError(`Linux round ${r}: ${lx.problems[0]} (serial log ${serialPath})`)
    linuxRuns.push(lx.metrics)
  }

  const rows: VsLinuxRow[] = []
  for (const [metric, {unit}] of kosRuns[0]) {
    if (!linuxRuns.every((m) => m.has(metric))) continue
    const kosRounds = kosRuns.map((m) => m.get(metric)!.value)
    const linuxRounds = linuxRuns.map((m) => m.get(metric)!.value)
    const k = median(kosRounds)
    const l = median(linuxRounds)
    rows.push({metric, unit, kos: k, linux: l, ratio: l > 0 ? k / l : Number.NaN, kosRounds, linuxRounds})
  }
  if (rows.length === 0) throw new BenchError('no metric was measured on both kos and Linux')

  const kernelName = path.basename(kernel).replace(/^vmlinuz-/, '')
  const entries: BenchEntry[] = []
  for (const row of rows) {
    entries.push({id: VS_LINUX_ID, metric: row.metric, value: row.kos, unit: row.unit, case: `kos (median of ${rounds})`, ...(Number.isFinite(row.ratio) ? {ratios: {linux: row.ratio}} : {})})
    entries.push({id: VS_LINUX_LINUX_ID, metric: row.metric, value: row.linux, unit: row.unit, case: `Linux ${kernelName} (median of ${rounds})`})
  }
  const benchPath = path.join(opts.root, DEFAULT_BENCH_PATH)
  mergeBench(entries, {path: benchPath, root: opts.root, replaceIds: [VS_LINUX_ID, VS_LINUX_LINUX_ID]})
  return {kernel, rows, benchPath}
}

export function vsLinuxTable(rows: readonly VsLinuxRow[]): string {
  const out = [['metric', 'kos', 'linux', 'kos/linux', 'unit', 'kos rounds', 'linux rounds']]
  for (const r of rows) {
    out.push([r.metric, String(r.kos), String(r.linux), Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}x` : '-', r.unit, r.kosRounds.join(' '), r.linuxRounds.join(' ')])
  }
  const widths = out[0].map((_, i) => Math.max(...out.map((row) => row[i].length)))
  return out.map((row) => row.map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n'
}
