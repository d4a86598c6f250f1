// Host capabilities the runner and `kos doctor` ask about.
import {constants, accessSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {runTool, which} from './spawn.js'

export interface KvmStatus {
  usable: boolean
  reason: string
}

let kvmCache: Promise<KvmStatus> | undefined

/**
 * KVM is usable only if a guest really runs under it: some hosts have a /dev/kvm
 * node that opens but cannot run guests. The probe boots a 64 KiB "BIOS" whose
 * reset vector writes 0 to isa-debug-exit, so QEMU exits with 1 when guest code
 * ran. KOS_ACCEL=tcg forces TCG.
 */
export function kvmUsable(): Promise<boolean> {
  return kvmStatus().then((s) => s.usable)
}

export function kvmStatus(): Promise<KvmStatus> {
  kvmCache ??= probeKvm()
  return kvmCache
}

async function probeKvm(): Promise<KvmStatus> {
  if (process.env.KOS_ACCEL === 'tcg') return {usable: false, reason: 'KOS_ACCEL=tcg'}
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK)
  } catch {
    return {usable: false, reason: '/dev/kvm missing or not read-write'}
  }
  const qemu = which('qemu-system-x86_64')
  if (!qemu) return {usable: false, reason: 'qemu-system-x86_64 not installed'}
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-kvm-'))
  try {
    const bios = path.join(dir, 'probe.bin')
    writeFileSync(bios, kvmProbeBios())
    const r = await runTool(
      qemu,
      ['-accel', 'kvm', '-M', 'pc', '-display', 'none', '-nodefaults', '-no-reboot', '-bios', bios,
        '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
      {timeoutMs: 20_000},
    )
    if (r.code === 1) return {usable: true, reason: 'probe guest ran under KVM'}
    const why = r.stderr.split('\n').find((l) => l.trim() && !l.includes('warning:')) ?? `exit ${r.code}`
    return {usable: false, reason: `probe guest did not run under KVM: ${why.trim()}`}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Real-mode code at the reset vector (0xFFFF0): mov al,0; out 0xf4,al; hlt; jmp $-1. */
export function kvmProbeBios(): Buffer {
  const bios = Buffer.alloc(65536, 0xf4)
  Buffer.from([0xb0, 0x00, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]).copy(bios, 0xfff0)
  return bios
}

export function tunPresent(): boolean {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** Root or CAP_NET_ADMIN (bit 12 of the effective set): TAP/netns cases can run. */
export function hasNetAdmin(): boolean {
  if (process.getuid?.() === 0) return true
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status)
    return m ? (BigInt('0x' + m[1]) & (1n << 12n)) !== 0n : false
  } catch {
    return false
  }
}

/** Is a process with this pid alive (ours or another user's)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
