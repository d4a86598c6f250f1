import {Command, Flags} from '@oclif/core'

import {computeSetupPlan} from '../builder/setup.js'
import {findRepoRoot} from '../util/root.js'
import {runTool, shellQuote} from '../util/spawn.js'
import {execa} from 'execa'

export default class Setup extends Command {
  static override description = 'Install the Debian packages kos needs (toolchain/packages.json); skips what is installed'

  static override examples = ['<%= config.bin %> setup', '<%= config.bin %> setup --dry-run']

  static override flags = {
    'dry-run': Flags.boolean({description: 'print the plan, install nothing', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Setup)
    const root = findRepoRoot()
    const dpkg = await runTool('dpkg-query', ['--version'])
    if (dpkg.code !== 0) this.error('dpkg-query not found: kos setup supports Debian/Ubuntu only', {exit: 2})
    const plan = await computeSetupPlan(root)
    if (plan.installed.length > 0) this.log(`already installed: ${plan.installed.join(' ')}`)
    if (plan.missing.length === 0) {
      this.log('nothing to install')
      return
    }
    this.log(`to install: ${plan.missing.join(' ')}`)
    for (const cmd of plan.commands) {
      this.log(`${flags['dry-run'] ? 'would run' : 'running'}: ${shellQuote(cmd)}`)
      if (flags['dry-run']) continue
      // Inherit stdio: apt's own progress is what the user wants to see here.
      const r = await execa(cmd[0], cmd.slice(1), {stdio: 'inherit', reject: false})
      if (r.exitCode !== 0) this.error(`${shellQuote(cmd)} failed with exit ${r.exitCode}`, {exit: 1})
    }
  }
}
