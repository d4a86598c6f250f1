import {Command, Flags} from '@oclif/core'

import {runCheck} from '../check/index.js'

export default class Check extends Command {
  static override description =
    'Run everything the project proves: unit and integration tests (vitest), the build, and the whole QEMU matrix; ends with "N passed, N failed"'

  static override examples = ['<%= config.bin %> check', '<%= config.bin %> check --phase 1 --skip-vitest']

  static override flags = {
    phase: Flags.integer({description: 'only these phases of the QEMU matrix (default: all)', multiple: true}),
    'skip-vitest': Flags.boolean({description: 'do not run the vitest suites', default: false}),
    jobs: Flags.integer({description: 'parallel QEMU guests (default: cores)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Check)
    const total = await runCheck({phases: flags.phase, skipVitest: flags['skip-vitest'], jobs: flags.jobs})
    if (total.failed > 0) this.exit(1)
  }
}
