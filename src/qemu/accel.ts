// Which accelerator to use: KVM only when a probe guest really ran under it with
// the CPU model our profiles use (some hosts run a plain guest under KVM but fail
// `-cpu max`, e.g. "failed to set MSR 0x10a").
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {kvmProbeBios, kvmUsable} from '../util/host.js'
import {runTool} from '../util/spawn.js'
import {DEBUG_EXIT_DEVICE, QEMU_BINARY} from './argv.js'

const cache = new Map<string, Promise<boolean>>()

async function probeCpu(cpu: string): Promise<boolean> {
  if (!(await kvmUsable())) return false
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-accel-'))
  try {
    const bios = path.join(dir, 'probe.bin')
    writeFileSync(bios, kvmProbeBios())
    const r = await runTool(QEMU_BINARY, ['-accel', 'kvm', '-M', 'pc', '-cpu', cpu, '-display', 'none', '-nodefaults',
      '-no-reboot', '-bios', bios, '-device', DEBUG_EXIT_DEVICE], {timeoutMs: 20_000})
    return r.code === 1
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** "kvm" only when a guest with this CPU model really runs under KVM; KOS_ACCEL=tcg forces TCG. Cached per model. */
export function chooseAccel(cpu = 'max'): Promise<'kvm' | 'tcg'> {
  if (!cache.has(cpu)) cache.set(cpu, probeCpu(cpu))
  return cache.get(cpu)!.then((ok) => (ok ? 'kvm' : 'tcg'))
}
