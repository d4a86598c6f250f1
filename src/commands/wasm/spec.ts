import {Args, Command, Flags} from '@oclif/core'

import {EXIT_BAD_INPUT, EXIT_FAILED, exitWith, exitWithError} from '../../util/errors.js'
import {findRepoRoot} from '../../util/root.js'
import {type SpecSummary, WasmSpecError, type WasmVersion, formatSpecTable, runSpecSuite} from '../../wasm/spec.js'

export default class WasmSpec extends Command {
  static override description =
    'Run WebAssembly .wast scripts (through wast2json) on the host build of the kernel interpreter (build/host/kos-wasm) and report passed/failed assertions per file; a directory holding the 2.0 proposals\' scripts (bulk.wast, ref_func.wast, ...) is judged as WebAssembly 2.0, any other as 1.0 (MVP), unless --wasm says'

  static override examples = [
    '<%= config.bin %> wasm spec ../shared/wasm-spec',
    '<%= config.bin %> wasm spec ../shared/wasm-spec-2.0',
    '<%= config.bin %> wasm spec test-suites/wasm --json',
  ]

  static override args = {
    dir: Args.string({description: 'directory of .wast files (or one .wast file)', required: true}),
  }

  static override flags = {
    jobs: Flags.integer({char: 'j', description: 'files run in parallel', min: 1}),
    'kos-wasm': Flags.string({description: 'the runner binary (default: build/host/kos-wasm from `kos build`)'}),
    wasm: Flags.string({description: 'the WebAssembly version the scripts test (default: detected from the directory)', options: ['1.0', '2.0']}),
  }

  // --json (oclif's): stdout carries only {"files":[...],"passed":N,"failed":N,"skipped":N}, which run() returns.
  static override enableJsonFlag = true

  async run(): Promise<SpecSummary | void> {
    const {args, flags} = await this.parse(WasmSpec)
    let summary
    try {
      summary = await runSpecSuite({
        dir: args.dir,
        root: findRepoRoot(),
        jobs: flags.jobs,
        kosWasm: flags['kos-wasm'],
        version: flags.wasm as WasmVersion | undefined,
      })
    } catch (error) {
      // Not this.error: it prints a stack in development mode.
      if (error instanceof WasmSpecError) {
        exitWithError(this, 'wasm spec', error.message, EXIT_BAD_INPUT)
        return
      }
      throw error
    }
    if (!this.jsonEnabled()) process.stdout.write(formatSpecTable(summary))
    if (summary.failed > 0) exitWith(this, EXIT_FAILED)
    return summary
  }
}
