import {Command, Flags} from '@oclif/core'
import path from 'node:path'

import {type BenchEntry, BenchFileError, DEFAULT_BENCH_PATH, mergeBench} from '../../bench/file.js'
import {EXIT_BAD_INPUT, EXIT_FAILED, exitWithError, InputError} from '../../util/errors.js'
import {findRepoRoot} from '../../util/root.js'
import {WasmBenchError, type WorkloadResult, benchEntries, formatBenchTable, runWasmBench} from '../../bench/wasm.js'

export default class BenchWasm extends Command {
  static override description =
    'Run the WebAssembly workloads of bench/wasm on build/host/kos-wasm, wabt\'s wasm-interp and Node\'s V8; print times and ratios (kos-wasm time / other engine time) and record them in build/reports/bench.json'

  static override examples = ['<%= config.bin %> bench wasm', '<%= config.bin %> bench wasm --workload fib --repeat 5 --json']

  static override flags = {
    workload: Flags.string({description: 'only this workload (file name in bench/wasm without .wat or .c; repeatable)', multiple: true}),
    repeat: Flags.integer({description: 'runs per engine and workload; the median is kept', default: 3, min: 1}),
    'no-record': Flags.boolean({description: 'do not write build/reports/bench.json', default: false}),
  }

  // --json (oclif's): stdout carries only {results, entries, missing}, which run() returns.
  static override enableJsonFlag = true

  async run(): Promise<{results: WorkloadResult[]; entries: BenchEntry[]; missing: string[]} | void> {
    const {flags} = await this.parse(BenchWasm)
    const root = findRepoRoot()
    let outcome
    try {
      outcome = await runWasmBench({root, repeat: flags.repeat, only: flags.workload, log: (l) => process.stderr.write(l + '\n')})
    } catch (error) {
      if (error instanceof WasmBenchError || error instanceof InputError) {
        exitWithError(this, 'bench wasm', error.message, error instanceof InputError ? EXIT_BAD_INPUT : EXIT_FAILED)
        return
      }
      throw error
    }
    const entries = benchEntries(outcome.results)
    let recorded: string | undefined
    if (!flags['no-record']) {
      const file = path.join(root, DEFAULT_BENCH_PATH)
      try {
        mergeBench(entries, {path: file, root})
      } catch (error) {
        if (error instanceof BenchFileError) {
          exitWithError(this, 'bench wasm', error.message, EXIT_BAD_INPUT)
          return
        }
        throw error
      }
      recorded = file
    }
    if (!this.jsonEnabled()) {
      process.stdout.write(formatBenchTable(outcome.results))
      if (recorded) this.log(`recorded in ${path.relative(root, recorded)}`)
    }
    for (const m of outcome.missing) process.stderr.write(`kos bench wasm: engine not run: ${m}\n`)
    return {results: outcome.results, entries, missing: outcome.missing}
  }
}
