import {Command} from '@oclif/core'

import {inspectTools} from '../builder/toolchain.js'
import {chooseAccel} from '../qemu/accel.js'
import {hasNetAdmin, kvmStatus, tunPresent} from '../util/host.js'
import {findRepoRoot} from '../util/root.js'

export default class Doctor extends Command {
  static override description =
    'Check the host: required tools (version, path, package), KVM, /dev/net/tun, network privileges'

  static override examples = ['<%= config.bin %> doctor']

  async run(): Promise<void> {
    await this.parse(Doctor)
    const root = findRepoRoot()
    const tools = await inspectTools(root)
    const rows = tools.map((t) => [
      t.path ? 'ok' : t.required ? 'MISSING' : 'missing',
      t.name,
      t.version ?? '-',
      t.path ?? `apt-get install ${t.package}`,
      t.required ? 'required' : 'optional',
    ])
    const kvm = await kvmStatus()
    // The runner also needs its CPU model (-cpu max) to work under KVM.
    const accel = kvm.usable ? await chooseAccel() : 'tcg'
    const tun = tunPresent()
    const netAdmin = hasNetAdmin()
    rows.push(
      [kvm.usable ? 'ok' : 'no', 'kvm', kvm.usable ? 'usable' : 'unusable', kvm.reason, 'optional'],
      [accel === 'kvm' ? 'ok' : 'no', 'accelerator', accel, accel === 'kvm' ? 'tests boot under KVM' : 'tests boot under TCG (slower)', 'optional'],
      [tun ? 'ok' : 'no', '/dev/net/tun', tun ? 'present' : 'absent', tun ? '' : 'TAP cases will be skipped', 'optional'],
      [netAdmin ? 'ok' : 'no', 'CAP_NET_ADMIN', netAdmin ? 'yes' : 'no', netAdmin ? '' : 'netns/TAP cases will be skipped', 'optional'],
    )
    const header = ['status', 'check', 'version', 'path / fix', 'need']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
    const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()
    this.log(fmt(header))
    for (const r of rows) this.log(fmt(r))
    const missing = tools.filter((t) => t.required && !t.path)
    if (missing.length > 0) {
      this.error(`missing required tools: ${missing.map((t) => `${t.name} (package ${t.package})`).join(', ')}; run: kos setup`, {exit: 1})
    }
  }
}
