import {mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {type Step, linkSteps, runGraph} from '../../src/builder/graph.js'
import type {BuildState} from '../../src/builder/incremental.js'

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kos-graph-'))
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

const p = (f: string) => path.join(root, f)
/** Sets a file's mtime explicitly: tests never depend on the clock's resolution. */
const setTime = (f: string, t: number) => utimesSync(p(f), t, t)

/** A "compile": out = concatenation of inputs; records each run. */
function concatStep(id: string, inputs: string[], out: string, log: string[], extra: {depfile?: string; sig?: unknown; fail?: boolean} = {}): Step {
  return {
    id, label: id, inputs, outputs: [out], depfile: extra.depfile, signature: extra.sig ?? ['concat', inputs],
    run: async () => {
      log.push(id)
      if (extra.fail) {
        writeFileSync(p(out), 'partial')
        return {ok: false, output: `${id}: error: broken`}
      }
      const deps = extra.depfile ? readFileSync(p(extra.depfile), 'utf8').split(/\s+/).slice(1).filter((d) => d && !inputs.includes(d)) : []
      writeFileSync(p(out), [...inputs, ...deps].map((i) => readFileSync(p(i), 'utf8')).join(''))
      return {ok: true, output: ''}
    },
  }
}

describe('runGraph', () => {
  function setup(log: string[]) {
    writeFileSync(p('a.c'), 'A')
    writeFileSync(p('b.c'), 'B')
    writeFileSync(p('common.h'), 'H')
    writeFileSync(p('a.d'), 'a.o: a.c common.h\n')
    writeFileSync(p('b.d'), 'b.o: b.c\n')
    for (const f of ['a.c', 'b.c', 'common.h', 'a.d', 'b.d']) setTime(f, 1000)
    return [
      concatStep('link', ['a.o', 'b.o'], 'prog', log),
      concatStep('cc-a', ['a.c'], 'a.o', log, {depfile: 'a.d'}),
      concatStep('cc-b', ['b.c'], 'b.o', log, {depfile: 'b.d'}),
      concatStep('pack', ['prog'], 'image', log),
    ]
  }
  // Outputs get a later time than the sources, as a real build would give them.
  const ageOutputs = () => {
    for (const f of ['a.o', 'b.o', 'prog', 'image']) if (existsSync(p(f))) setTime(f, 2000)
  }
  /** The four steps built once with `jobs`, their outputs aged, the log emptied. */
  async function builtOnce(jobs: number): Promise<{log: string[]; steps: ReturnType<typeof setup>; state: BuildState}> {
    const log: string[] = []
    const steps = setup(log)
    const state: BuildState = {version: 1, steps: {}}
    await runGraph(steps, {root, jobs, state})
    ageOutputs()
    log.length = 0
    return {log, steps, state}
  }

  it('runs in dependency order, then has nothing to do', async () => {
    const log: string[] = []
    const steps = setup(log)
    const state: BuildState = {version: 1, steps: {}}
    const r1 = await runGraph(steps, {root, jobs: 2, state})
    expect(r1).toMatchObject({ran: 4, total: 4, failed: false})
    expect(log.indexOf('link')).toBeGreaterThan(Math.max(log.indexOf('cc-a'), log.indexOf('cc-b')))
    expect(log.at(-1)).toBe('pack')
    expect(readFileSync(p('image'), 'utf8')).toBe('AHB')
    ageOutputs()
    log.length = 0
    const r2 = await runGraph(steps, {root, jobs: 2, state})
    expect(r2.ran).toBe(0)
    expect(log).toEqual([])
  })

  it('touching a header rebuilds only the objects listing it, plus what depends on them', async () => {
    const {log, steps, state} = await builtOnce(2)
    writeFileSync(p('common.h'), 'X')
    setTime('common.h', 3000)
    const r = await runGraph(steps, {root, jobs: 2, state})
    expect(log.sort()).toEqual(['cc-a', 'link', 'pack'])
    expect(r.ran).toBe(3)
    expect(readFileSync(p('image'), 'utf8')).toBe('AXB')
  })

  it('a changed command line reruns that step', async () => {
    const {log, steps, state} = await builtOnce(1)
    const changed = steps.map((s) => (s.id === 'cc-b' ? {...s, signature: ['concat', 'b.c', '-O3']} : s))
    await runGraph(changed, {root, jobs: 1, state})
    expect(log.sort()).toEqual(['cc-b', 'link', 'pack'])
  })

  it('a failure removes the partial output, skips dependents, keeps independent steps going', async () => {
    const log: string[] = []
    writeFileSync(p('a.c'), 'A')
    writeFileSync(p('b.c'), 'B')
    const state: BuildState = {version: 1, steps: {}}
    const steps = [
      concatStep('cc-a', ['a.c'], 'a.o', log, {fail: true}),
      concatStep('cc-b', ['b.c'], 'b.o', log),
      concatStep('link', ['a.o', 'b.o'], 'prog', log),
    ]
    const events: string[] = []
    const r = await runGraph(steps, {root, jobs: 1, state, onEvent: (e) => events.push(`${e.kind}:${e.step.id}`)})
    expect(r.failed).toBe(true)
    expect(r.failures.map((f) => f.step.id)).toEqual(['cc-a'])
    expect(log.sort()).toEqual(['cc-a', 'cc-b'])
    expect(existsSync(p('a.o'))).toBe(false)
    expect(events).toContain('skipped-upstream-failed:link')
    expect(state.steps['cc-a']).toBeUndefined()
    expect(state.steps['cc-b']).toBeDefined()
  })

  it('forgets a step record while it runs, so an interrupted step reruns next time', async () => {
    const {steps, state} = await builtOnce(1)
    writeFileSync(p('b.c'), 'C')
    setTime('b.c', 3000)
    const persisted: string[][] = []
    await runGraph(steps, {root, jobs: 1, state, persist: () => persisted.push(Object.keys(state.steps).sort())})
    // Persisted before cc-b ran: cc-b's record is gone, the others are kept.
    expect(persisted[0]).toEqual(['cc-a', 'link', 'pack'])
    expect(Object.keys(state.steps).sort()).toEqual(['cc-a', 'cc-b', 'link', 'pack'])
  })

  it('never runs more than `jobs` steps at once', async () => {
    let running = 0
    let peak = 0
    const steps: Step[] = Array.from({length: 8}, (_, i) => ({
      id: `s${i}`, label: `s${i}`, inputs: [], outputs: [`o${i}`], signature: i,
      run: async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setImmediate(r))
        writeFileSync(p(`o${i}`), '')
        running--
        return {ok: true, output: ''}
      },
    }))
    const r = await runGraph(steps, {root, jobs: 3, state: {version: 1, steps: {}}})
    expect(r.ran).toBe(8)
    expect(peak).toBe(3)
  })
})

describe('linkSteps', () => {
  const s = (id: string, inputs: string[], outputs: string[]): Step => ({id, label: id, inputs, outputs, signature: id, run: async () => ({ok: true, output: ''})})
  it('finds producers of inputs', () => {
    expect(linkSteps([s('a', ['x'], ['y']), s('b', ['y'], ['z'])]).get('b')).toEqual(['a'])
  })
  it('refuses two producers of one file', () => {
    expect(() => linkSteps([s('a', [], ['y']), s('b', [], ['y'])])).toThrow(/produced by both a and b/)
  })
  it('refuses cycles', () => {
    expect(() => linkSteps([s('a', ['z'], ['y']), s('b', ['y'], ['z'])])).toThrow(/cycle/)
  })
})
