import {Args, Command, Flags} from '@oclif/core'

import {findRepoRoot} from '../../util/root.js'
import {WasmSpecError, formatSpecTable, runSpecSuite} from '../../wasm/spec.js'

export default class WasmSpec extends Command {
  static override description =
    'Run WebAssembly .wast scripts (wast2json, MVP features) on the host build of the kernel interpreter (build/host/kos-wasm) and report passed/failed assertions per file'

  static override examples = ['<%= config.bin %> wasm spec ../shared/wasm-spec', '<%= config.bin %> wasm spec test-suites/wasm --json']

  static override args = {
    dir: Args.string({description: 'directory of .wast files (or one .wast file)', required: true}),
  }

  static override flags = {
    json: Flags.boolean({description: 'print {"files":[...],"passed":N,"failed":N,"skipped":N} on stdout', default: false}),
    jobs: Flags.integer({char: 'j', description: 'files run in parallel', min: 1}),
    'kos-wasm': Flags.string({description: 'the runner binary (default: build/host/kos-wasm from `kos build`)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WasmSpec)
    let summary
    try {
      summary = await runSpecSuite({dir: args.dir, root: findRepoRoot(), jobs: flags.jobs, kosWasm: flags['kos-wasm']})
    } catch (error) {
      // One line, in development mode too (this.error prints a stack there).
      if (error instanceof WasmSpecError) {
        process.stderr.write(`kos wasm spec: ${error.message}\n`)
        this.exit(2)
      }
      throw error
    }
    if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    else process.stdout.write(formatSpecTable(summary))
    if (summary.failed > 0) this.exit(1)
  }
}
