// `kos build`: discover sources, plan steps, run what is out of date, report.
import os from 'node:os'
import path from 'node:path'
import {Listr} from 'listr2'
import {findRepoRoot} from '../util/root.js'
import {isGitHubActions, isTTY} from '../util/log.js'
import {shellQuote} from '../util/spawn.js'
import {type Diagnostic, annotations, parseDiagnostics} from './diagnostics.js'
import {type GraphResult, type StepEvent, runGraph} from './graph.js'
import {loadState, saveState} from './incremental.js'
import {acquireBuildLock} from './lock.js'
import {BUILD_DIR, type BuildVariant, buildDirOf, discoverSources, makePlan, type Toolchains, writeCompileCommands} from './plan.js'
import {loadPackageList, resolveProfile} from './toolchain.js'

export interface BuildOptions {
  jobs?: number
  verbose?: boolean
  root?: string
  /** Where progress and errors go (default: stdout/stderr). */
  log?: (line: string) => void
  /** Force the plain line renderer even on a TTY (e.g. when called by `kos test`). */
  plain?: boolean
  /** Build this variant (build/VARIANT/) instead of the normal build. */
  variant?: BuildVariant
}

export interface BuildResult {
  ran: number
  total: number
  failed: boolean
  /** One-line summary, e.g. "nothing to do: 0 of 37 steps ran". */
  summary: string
}

export const STATE_FILE = `${BUILD_DIR}/.kos-build-state.json`
const stateFileOf = (variant?: BuildVariant) => `${buildDirOf(variant)}/.kos-build-state.json`
export const LOCK_FILE = `${BUILD_DIR}/.kos-build.lock`

export async function build(opts: BuildOptions = {}): Promise<BuildResult> {
  const root = opts.root ? path.resolve(opts.root) : findRepoRoot()
  const jobs = opts.jobs ?? os.cpus().length
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive integer, got ${jobs}`)
  const out = opts.log ?? ((l: string) => process.stdout.write(l + '\n'))
  const err = opts.log ?? ((l: string) => process.stderr.write(l + '\n'))

  // Builds in this process queue up; the lock file orders them against other processes.
  const mine = queue.then(async () => {
    const release = await acquireBuildLock(path.join(root, LOCK_FILE), {
      onWait: (pid) => out(`waiting for another kos build (pid ${pid}) to finish`),
    })
    try {
      return await buildLocked(root, jobs, opts, out, err)
    } finally {
      release()
    }
  })
  queue = mine.catch(() => undefined)
  return mine
}

let queue: Promise<unknown> = Promise.resolve()

async function buildLocked(
  root: string, jobs: number, opts: BuildOptions, out: (l: string) => void, err: (l: string) => void,
): Promise<BuildResult> {
  const sources = discoverSources(root)
  const packages = loadPackageList(root)
  const tc: Toolchains = {
    kernel: resolveProfile(root, 'kernel', packages),
    user: resolveProfile(root, 'user', packages),
    wasm: resolveProfile(root, 'wasm', packages),
    host: sources.host.length > 0 || sources.p2p.programs.length > 0 ? resolveProfile(root, 'host', packages) : undefined,
  }
  const plan = makePlan(root, sources, tc, opts.variant)
  // clangd follows the normal build.
  if (!opts.variant) writeCompileCommands(root, plan.compileCommands)

  const stateFile = path.join(root, stateFileOf(opts.variant))
  const state = loadState(stateFile)
  const describe = (e: StepEvent): string | undefined => {
    if (e.kind === 'start') return `[${e.index}] ${e.step.label}${opts.verbose ? `  (${e.reason})` : ''}`
    if (e.kind === 'skipped-upstream-failed') return `skipped ${e.step.label}: an input failed to build`
    return undefined
  }
  const verboseLines = (e: StepEvent): string[] => {
    if (!opts.verbose || e.kind !== 'start' || !e.step.argv) return []
    return ['    ' + shellQuote(e.step.argv)]
  }
  // Warnings from steps that succeeded are worth seeing too.
  const warnings: string[] = []
  const onDone = (e: StepEvent) => {
    if (e.kind === 'done' && e.outcome.ok && e.outcome.output) warnings.push(`--- ${e.step.label}:\n${e.outcome.output}`)
  }

  let result: GraphResult
  try {
    // Verbose output (command lines) reads better as a plain scrolling log.
    if (isTTY && !opts.plain && !opts.log && !opts.verbose) {
      let r: GraphResult | undefined
      await new Listr(
        [{
          title: `kos build (${plan.steps.length} steps, ${jobs} jobs)`,
          task: async (_ctx, task) => {
            r = await runGraph(plan.steps, {root, jobs, state, persist: () => saveState(stateFile, state), onEvent: (e) => {
              onDone(e)
              const line = describe(e)
              if (line) task.output = line
            }})
            task.title = summarize(r)
            // A failing task gets listr's failure mark; the details are printed after the renderer stops.
            if (r.failed) throw new Error(task.title)
          },
          rendererOptions: {bottomBar: 1},
        }],
        {renderer: 'default', exitOnError: false, rendererOptions: {collapseErrors: true, showErrorMessage: false}},
      ).run().catch(() => undefined)
      if (!r) throw new Error('build graph did not run')
      result = r
    } else {
      result = await runGraph(plan.steps, {root, jobs, state, persist: () => saveState(stateFile, state), onEvent: (e) => {
        onDone(e)
        const line = describe(e)
        if (line) out(line)
        for (const v of verboseLines(e)) out(v)
      }})
    }
  } finally {
    saveState(stateFile, state)
  }

  for (const w of warnings) {
    err(w)
    if (isGitHubActions) for (const a of annotations(relativize(root, parseDiagnostics(w)))) out(a)
  }
  for (const f of result.failures) {
    err(`--- ${f.step.label} failed${f.step.argv ? `: ${shellQuote(f.step.argv)}` : ''}`)
    err(f.output.trimEnd())
    if (isGitHubActions) {
      // Annotations need repository-relative paths (lld prints absolute ones).
      const diags = relativize(root, parseDiagnostics(f.output).filter((d) => d.severity === 'error'))
      const lines = diags.length > 0 ? annotations(diags) : annotations([{severity: 'error', message: `${f.step.label}: ${f.output.split('\n')[0]}`}])
      for (const a of lines) out(a)
    }
  }
  const summary = summarize(result)
  if (!isTTY || opts.plain || opts.log || opts.verbose || result.failed) out(summary)
  return {ran: result.ran, total: result.total, failed: result.failed, summary}
}

function relativize(root: string, diags: Diagnostic[]): Diagnostic[] {
  return diags.map((d) => (d.file && path.isAbsolute(d.file) ? {...d, file: path.relative(root, d.file)} : d))
}

export function summarize(r: GraphResult): string {
  if (r.failed) {
    const names = r.failures.map((f) => f.step.label).slice(0, 3).join(', ')
    return `build failed: ${r.failures.length} step(s) failed (${names}${r.failures.length > 3 ? ', ...' : ''}); ${r.ran} of ${r.total} steps ran`
  }
  if (r.ran === 0) return `nothing to do: 0 of ${r.total} steps ran`
  return `built: ${r.ran} of ${r.total} steps ran`
}
