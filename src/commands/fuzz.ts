import {Command, Flags} from '@oclif/core'

import {FUZZ_TARGETS, FuzzError, buildFuzzer, runFuzzer, selectTargets, type FuzzResult} from '../fuzz/index.js'
import {EXIT_BAD_INPUT, EXIT_FAILED, exitWith, exitWithError} from '../util/errors.js'
import {findRepoRoot} from '../util/root.js'

export default class Fuzz extends Command {
  static override description =
    'Build the libFuzzer harnesses of tools/fuzz for the host (ASan, UBSan) and run each for a bounded time on its corpus: ' +
    FUZZ_TARGETS.map((t) => t.name).join(', ')

  static override examples = ['<%= config.bin %> fuzz --time 60', '<%= config.bin %> fuzz --target dns --time 30']

  static override flags = {
    time: Flags.integer({description: 'seconds in all, shared equally by the harnesses', default: 60, min: 1}),
    target: Flags.string({description: 'only this harness (repeatable)', multiple: true}),
  }

  // --json (oclif's): the results, which run() returns, and nothing else on stdout.
  static override enableJsonFlag = true

  async run(): Promise<FuzzResult[] | void> {
    const {flags} = await this.parse(Fuzz)
    const root = findRepoRoot()
    const results: FuzzResult[] = []
    try {
      const targets = selectTargets(flags.target)
      const each = Math.max(1, Math.floor(flags.time / targets.length))
      for (const t of targets) {
        const bin = await buildFuzzer(root, t)
        const r = await runFuzzer(root, t, bin, each)
        results.push(r)
        this.log(`${t.name.padEnd(12)} ${r.ok ? 'ok  ' : 'FAIL'} ${r.detail} (${r.seeds} seeds)`)
      }
    } catch (error) {
      if (error instanceof FuzzError) {
        exitWithError(this, 'fuzz', error.message, EXIT_BAD_INPUT)
        return
      }
      throw error
    }
    if (results.some((r) => !r.ok)) exitWith(this, EXIT_FAILED)
    return results
  }
}
