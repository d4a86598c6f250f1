// `kos image`: a bootable hybrid ISO (BIOS and UEFI, CD or USB stick) with GRUB,
// loading build/kernel32.elf by multiboot2 with build/initrd.tar as its module,
// and a menu of what kos can run. The ISO cases boot variants of the same image
// whose default entry is the case's and whose menu does not wait.
import {copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runTool, which} from '../util/spawn.js'

export const DEFAULT_ISO = 'build/kos.iso'
/** Where the ISO cases' variants go (one per default entry). */
export const TEST_ISO_DIR = 'build/iso'
/** GRUB's platform directories grub-mkrescue takes: both must exist for a BIOS+UEFI image. */
export const GRUB_PLATFORMS = [
  {dir: '/usr/lib/grub/i386-pc', package: 'grub-pc-bin', firmware: 'BIOS'},
  {dir: '/usr/lib/grub/x86_64-efi', package: 'grub-efi-amd64-bin', firmware: 'UEFI'},
]
/** What grub-mkrescue runs: xorriso writes the ISO, mformat (mtools) the EFI system partition. */
export const IMAGE_TOOLS = [
  {name: 'grub-mkrescue', package: 'grub-common'},
  {name: 'xorriso', package: 'xorriso'},
  {name: 'mformat', package: 'mtools'},
]

export interface IsoEntry {
  /** GRUB menu entry id (`set default=ID`) and the name the ISO cases use. */
  id: string
  title: string
  /** The kernel command line, as `-append` gives it under `-kernel`. */
  append: string
}

/** The boot menu, first entry the default. */
export const ISO_ENTRIES: readonly IsoEntry[] = [
  // hold=key: the screen stays until a key is pressed (the screen cases send one through QMP).
  {id: 'hello', title: 'kos: hello from ring 3 (the default init), then wait for a key', append: 'init=/bin/hello hold=key'},
  {id: 'tests', title: 'kos: in-kernel tests, then the user test programs',
    append: 'ktest=all init=/bin/syscalls,/bin/fork_test,/bin/exec_test,/bin/wait_test,/bin/pipe_test,/bin/cow_test,/bin/wasm_test:basic'},
  {id: 'net', title: 'kos: network node (e1000; UDP echo on port 7, mDNS name kos.local)', append: 'init=/bin/net_echo mdns=1 hostname=kos'},
]

export class ImageError extends Error {}

export function isoEntry(id: string): IsoEntry {
  const e = ISO_ENTRIES.find((x) => x.id === id)
  if (!e) throw new ImageError(`unknown boot menu entry "${id}" (have: ${ISO_ENTRIES.map((x) => x.id).join(', ')})`)
  return e
}

export interface GrubConfigOptions {
  defaultEntry?: string
  /** Seconds the menu waits; 0 boots the default at once without showing it. */
  timeoutSec?: number
}

/** grub.cfg for the image: a pure function of the entries and options. */
export function grubConfig(entries: readonly IsoEntry[] = ISO_ENTRIES, opts: GrubConfigOptions = {}): string {
  const def = opts.defaultEntry ?? entries[0].id
  if (!entries.some((e) => e.id === def)) throw new ImageError(`unknown boot menu entry "${def}" (have: ${entries.map((x) => x.id).join(', ')})`)
  const timeout = opts.timeoutSec ?? 5
  if (!Number.isInteger(timeout) || timeout < 0) throw new ImageError(`menu timeout must be a whole number of seconds >= 0, got ${timeout}`)
  const lines = [
    '# kos boot menu, written by `kos image`.',
    '# The kernel asks (multiboot2 header) for a 1024x768x32 linear framebuffer and draws',
    '# its console there as well as on COM1; the video drivers let GRUB set that mode.',
    'insmod all_video',
    `set default=${def}`,
    `set timeout=${timeout}`,
  ]
  if (timeout === 0) lines.push('set timeout_style=hidden')
  for (const e of entries) {
    if (!/^[\w-]+$/.test(e.id)) throw new ImageError(`menu entry id "${e.id}" must be letters, digits, - or _`)
    if (/["\n\\$]/.test(e.title + e.append)) throw new ImageError(`menu entry "${e.id}": title and command line may not contain quotes, $, \\ or newlines`)
    lines.push(
      '',
      `menuentry "${e.title}" --id ${e.id} {`,
      `  multiboot2 /boot/kernel32.elf ${e.append}`,
      '  module2 /boot/initrd.tar initrd',
      '}',
    )
  }
  return lines.join('\n') + '\n'
}

/** What is missing to build an image, as lines naming the package (empty: all there). */
export function missingImageTools(envPath = process.env.PATH ?? ''): string[] {
  const out: string[] = []
  for (const t of IMAGE_TOOLS) if (!which(t.name, envPath)) out.push(`${t.name} not found (Debian package ${t.package}; \`kos setup\` installs it)`)
  for (const p of GRUB_PLATFORMS) {
    if (!existsSync(path.join(p.dir, 'moddep.lst'))) out.push(`${p.dir} missing: no ${p.firmware} boot (Debian package ${p.package}; \`kos setup\` installs it)`)
  }
  return out
}

export interface BuildIsoOptions {
  root: string
  /** Output path, relative to root (default build/kos.iso). */
  out?: string
  kernel?: string
  initrd?: string
  defaultEntry?: string
  timeoutSec?: number
}

export interface BuiltIso {
  path: string
  bytes: number
  /** false when an up-to-date image was already there. */
  built: boolean
}

const mtime = (f: string) => statSync(f).mtimeMs

/**
 * Stages boot/{kernel32.elf,initrd.tar,grub/grub.cfg} and runs grub-mkrescue
 * (hybrid: El Torito for BIOS and UEFI, and an MBR/GPT so `dd` to a USB stick
 * boots). Skips the work when the image is newer than its inputs and menu.
 */
export async function buildIso(opts: BuildIsoOptions): Promise<BuiltIso> {
  const abs = (p: string) => path.resolve(opts.root, p)
  const out = abs(opts.out ?? DEFAULT_ISO)
  const kernel = abs(opts.kernel ?? 'build/kernel32.elf')
  const initrd = abs(opts.initrd ?? 'build/initrd.tar')
  for (const f of [kernel, initrd]) if (!existsSync(f)) throw new ImageError(`${path.relative(opts.root, f)} missing: run \`kos build\` first`)
  const cfg = grubConfig(ISO_ENTRIES, {defaultEntry: opts.defaultEntry, timeoutSec: opts.timeoutSec})
  const cfgStamp = `${out}.grub.cfg`
  const same = existsSync(out) && existsSync(cfgStamp) && readText(cfgStamp) === cfg
  if (same && mtime(out) >= Math.max(mtime(kernel), mtime(initrd))) return {path: out, bytes: statSync(out).size, built: false}

  const missing = missingImageTools()
  if (missing.length > 0) throw new ImageError(missing.join('; '))
  const stage = `${out}.stage`
  rmSync(stage, {recursive: true, force: true})
  mkdirSync(path.join(stage, 'boot', 'grub'), {recursive: true})
  copyFileSync(kernel, path.join(stage, 'boot', 'kernel32.elf'))
  copyFileSync(initrd, path.join(stage, 'boot', 'initrd.tar'))
  writeFileSync(path.join(stage, 'boot', 'grub', 'grub.cfg'), cfg)
  const tmp = `${out}.tmp-${process.pid}`
  try {
    const r = await runTool('grub-mkrescue', ['-o', tmp, stage], {cwd: opts.root, timeoutMs: 300_000})
    if (r.code !== 0 || !existsSync(tmp)) throw new ImageError(`grub-mkrescue failed (exit ${r.code}): ${r.all.trim().split('\n').slice(-3).join(' / ')}`)
    renameSync(tmp, out)
    writeFileSync(cfgStamp, cfg)
  } finally {
    rmSync(tmp, {force: true})
    rmSync(stage, {recursive: true, force: true})
  }
  return {path: out, bytes: statSync(out).size, built: true}
}

/** The ISO variant an ISO case boots: its entry is the default and the menu does not wait. */
/** The ISO a case boots: from the build it runs (build/, or build/sanitize/ and build/coverage/ for a variant). */
export function testIsoPath(entry: string, buildDir = 'build'): string {
  return buildDir === 'build' ? `${TEST_ISO_DIR}/kos-${entry}.iso` : `${buildDir}/iso/kos-${entry}.iso`
}

export async function buildTestIso(root: string, entry: string, buildDir = 'build'): Promise<BuiltIso> {
  isoEntry(entry)
  const out = testIsoPath(entry, buildDir)
  mkdirSync(path.dirname(path.resolve(root, out)), {recursive: true})
  return buildIso({root, out, kernel: `${buildDir}/kernel32.elf`, initrd: `${buildDir}/initrd.tar`, defaultEntry: entry, timeoutSec: 0})
}

function readText(f: string): string {
  try {
    return readFileSync(f, 'utf8')
  } catch {
    return ''
  }
}
