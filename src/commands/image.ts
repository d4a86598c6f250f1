import {Command, Flags} from '@oclif/core'
import path from 'node:path'

import {build} from '../builder/index.js'
import {DEFAULT_ISO, ISO_ENTRIES, ImageError, buildIso} from '../image/index.js'
import {findRepoRoot} from '../util/root.js'

export default class Image extends Command {
  static override description =
    'Build a bootable hybrid ISO (GRUB for BIOS and UEFI; CD or USB stick) of the kernel and initrd, with a boot menu: ' +
    ISO_ENTRIES.map((e) => e.id).join(', ')

  static override examples = [
    '<%= config.bin %> image',
    '<%= config.bin %> image --default net --timeout 0 --out build/kos-net.iso',
    'sudo dd if=build/kos.iso of=/dev/sdX bs=4M conv=fsync   # a USB stick (all its data is lost)',
  ]

  static override flags = {
    out: Flags.string({description: `where to write the image (default ${DEFAULT_ISO})`}),
    default: Flags.string({description: 'boot menu entry chosen when nobody picks one', options: ISO_ENTRIES.map((e) => e.id)}),
    timeout: Flags.integer({description: 'seconds the menu waits (0: boot the default at once)', min: 0, default: 5}),
    'no-build': Flags.boolean({description: 'use build/ as it is instead of running `kos build` first', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Image)
    const root = findRepoRoot()
    if (!flags['no-build']) {
      const b = await build({})
      if (b.failed) this.exit(1)
    }
    try {
      const out = flags.out === undefined ? undefined : path.relative(root, path.resolve(flags.out))
      const iso = await buildIso({root, out, defaultEntry: flags.default, timeoutSec: flags.timeout})
      this.log(`${iso.built ? 'wrote' : 'up to date:'} ${path.relative(process.cwd(), iso.path)} (${(iso.bytes / 1048576).toFixed(1)} MiB; BIOS and UEFI; menu: ${ISO_ENTRIES.map((e) => e.id).join(', ')})`)
    } catch (error) {
      if (error instanceof ImageError) {
        process.stderr.write(`kos image: ${error.message}\n`)
        return this.exit(2)
      }
      throw error
    }
  }
}
