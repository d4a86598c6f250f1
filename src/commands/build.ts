import {Command, Flags} from '@oclif/core'

import {build} from '../builder/index.js'

export default class Build extends Command {
  static override description =
    'Build the kernel, user programs, WASM modules, initrd and host tools into build/ (incremental, parallel)'

  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --jobs 4 --verbose']

  static override flags = {
    jobs: Flags.integer({char: 'j', description: 'parallel steps (default: number of CPUs)', min: 1}),
    verbose: Flags.boolean({char: 'v', description: 'print each command and why it ran', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Build)
    let result
    try {
      result = await build({jobs: flags.jobs, verbose: flags.verbose})
    } catch (error) {
      this.error((error as Error).message, {exit: 2})
    }
    // build() has already printed the one-line summary and the tool output.
    if (result.failed) this.exit(1)
  }
}
