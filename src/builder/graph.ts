// The build graph: steps with declared inputs/outputs, run in dependency order
// with bounded parallelism, each skipped when decideRebuild says it is up to date.
import {existsSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {type BuildState, decideRebuild, hashCommand, parseDepfile, stamp} from './incremental.js'

export interface StepOutcome {
  ok: boolean
  /** Tool output (warnings, errors) to show the user. */
  output: string
}

export interface Step {
  /** Unique and stable across builds: the key of the recorded command hash. */
  id: string
  /** Short display text, e.g. "CC kernel/mm/pmm.c". */
  label: string
  inputs: string[]
  outputs: string[]
  /** make-style depfile written by the step, listing more inputs (headers). */
  depfile?: string
  /** Everything that decides the result besides input contents (argv, flags, tool path). */
  signature: unknown
  /** The command line, when the step is one external command (verbose mode). */
  argv?: string[]
  run(): Promise<StepOutcome>
}

export type StepEvent =
  | {kind: 'start'; step: Step; reason: string; index: number; total: number}
  | {kind: 'done'; step: Step; outcome: StepOutcome; index: number; total: number}
  | {kind: 'skipped-upstream-failed'; step: Step}

export interface GraphResult {
  ran: number
  total: number
  failed: boolean
  failures: Array<{step: Step; output: string}>
}

/** Maps each step to the steps producing its inputs; throws on duplicate outputs or cycles. */
export function linkSteps(steps: Step[]): Map<string, string[]> {
  const producer = new Map<string, string>()
  for (const s of steps) {
    for (const o of s.outputs) {
      const prev = producer.get(o)
      if (prev) throw new Error(`build graph: ${o} is produced by both ${prev} and ${s.id}`)
      producer.set(o, s.id)
    }
  }
  const deps = new Map<string, string[]>()
  for (const s of steps) {
    const d = new Set<string>()
    for (const i of s.inputs) {
      const p = producer.get(i)
      if (p && p !== s.id) d.add(p)
    }
    deps.set(s.id, [...d])
  }
  // Cycle check (depth-first, iterative colouring).
  const colour = new Map<string, number>()
  const visit = (id: string, trail: string[]): void => {
    const c = colour.get(id)
    if (c === 2) return
    if (c === 1) throw new Error(`build graph: cycle ${[...trail, id].join(' -> ')}`)
    colour.set(id, 1)
    for (const d of deps.get(id) ?? []) visit(d, [...trail, id])
    colour.set(id, 2)
  }
  for (const s of steps) visit(s.id, [])
  return deps
}

/** Step paths are relative to the repository root (and so are depfile entries: tools run there). */
export function depfileInputs(root: string, depfile: string | undefined): {files: string[]; missing: boolean} {
  if (!depfile) return {files: [], missing: false}
  const abs = path.resolve(root, depfile)
  if (!existsSync(abs)) return {files: [], missing: true}
  return {files: parseDepfile(readFileSync(abs, 'utf8')), missing: false}
}

export async function runGraph(
  steps: Step[],
  opts: {root: string; jobs: number; state: BuildState; persist?: () => void; onEvent?: (e: StepEvent) => void; force?: boolean},
): Promise<GraphResult> {
  const deps = linkSteps(steps)
  const byId = new Map(steps.map((s) => [s.id, s]))
  const status = new Map<string, 'pending' | 'running' | 'ran' | 'fresh' | 'failed'>()
  for (const s of steps) status.set(s.id, 'pending')
  const result: GraphResult = {ran: 0, total: steps.length, failed: false, failures: []}
  let index = 0

  const decide = (s: Step) => {
    const upstream = deps.get(s.id) ?? []
    const dep = depfileInputs(opts.root, s.depfile)
    const at = (p: string) => {
      const st = stamp(path.resolve(opts.root, p))
      return {path: p, mtimeMs: st.mtimeMs}
    }
    return decideRebuild({
      outputs: s.outputs.map(at),
      inputs: [...s.inputs, ...dep.files].map(at),
      cmdHash: hashCommand(s.signature),
      prevCmdHash: opts.force ? undefined : opts.state.steps[s.id]?.cmdHash,
      upstreamRan: upstream.some((u) => status.get(u) === 'ran'),
      depfileMissing: dep.missing,
    })
  }

  const execute = async (s: Step): Promise<void> => {
    const decision = decide(s)
    if (!decision.rebuild) {
      status.set(s.id, 'fresh')
      return
    }
    status.set(s.id, 'running')
    index++
    opts.onEvent?.({kind: 'start', step: s, reason: decision.reason, index, total: steps.length})
    // Forget the step's record before it runs: if the build is interrupted now, a
    // partly written output must not look up to date next time.
    delete opts.state.steps[s.id]
    opts.persist?.()
    let outcome: StepOutcome
    try {
      outcome = await s.run()
    } catch (error) {
      outcome = {ok: false, output: (error as Error).message}
    }
    result.ran++
    if (outcome.ok) {
      status.set(s.id, 'ran')
      opts.state.steps[s.id] = {cmdHash: hashCommand(s.signature)}
    } else {
      status.set(s.id, 'failed')
      result.failed = true
      result.failures.push({step: s, output: outcome.output})
      delete opts.state.steps[s.id]
      // A half-written output must not look up to date next time.
      for (const o of s.outputs) rmSync(path.resolve(opts.root, o), {force: true})
    }
    opts.onEvent?.({kind: 'done', step: s, outcome, index, total: steps.length})
  }

  const running = new Set<Promise<void>>()
  for (;;) {
    let startedAny = false
    for (const s of steps) {
      if (status.get(s.id) !== 'pending') continue
      const ds = deps.get(s.id) ?? []
      if (ds.some((d) => status.get(d) === 'failed')) {
        // Keep going with independent steps (like make -k), but never on broken inputs.
        status.set(s.id, 'failed')
        opts.onEvent?.({kind: 'skipped-upstream-failed', step: s})
        startedAny = true
        continue
      }
      if (!ds.every((d) => status.get(d) === 'ran' || status.get(d) === 'fresh')) continue
      if (running.size >= opts.jobs) break
      const p: Promise<void> = execute(s).finally(() => running.delete(p))
      running.add(p)
      startedAny = true
    }
    if (running.size === 0 && !startedAny) break
    if (running.size > 0) await Promise.race(running)
  }
  for (const s of steps) if (status.get(s.id) === 'pending') throw new Error(`build graph: ${byId.get(s.id)?.id} never became ready`)
  return result
}
