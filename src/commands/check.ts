import {Command, Flags} from '@oclif/core'

import {runCheck} from '../check/index.js'
import {parseShard} from '../suites/select.js'

export default class Check extends Command {
  static override description =
    'Run everything the project proves: unit and integration tests (vitest), the build, and the whole QEMU matrix; ends with "N passed, N failed"'

  static override examples = ['<%= config.bin %> check', '<%= config.bin %> check --phase 1 --skip-vitest', '<%= config.bin %> check --shard 2/3']

  static override flags = {
    phase: Flags.integer({description: 'only these phases of the QEMU matrix (default: all)', multiple: true}),
    'skip-vitest': Flags.boolean({description: 'do not run the vitest suites', default: false}),
    jobs: Flags.integer({description: 'parallel QEMU guests (default: cores)'}),
    shard: Flags.string({description: 'QEMU shard i of n (1-based, e.g. 2/3); vitest runs in shard 1 only'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Check)
    if (flags.shard !== undefined) {
      try {
        parseShard(flags.shard)
      } catch (error) {
        process.stderr.write(`kos check: ${(error as Error).message}\n`)
        return this.exit(2)
      }
    }
    const total = await runCheck({phases: flags.phase, skipVitest: flags['skip-vitest'], jobs: flags.jobs, shard: flags.shard})
    if (total.failed > 0) this.exit(1)
  }
}
