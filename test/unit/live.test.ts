// The live view's text and its estimate of the time left (src/suites/live.ts).
import {describe, expect, it} from 'vitest'

import {etaSeconds, type LiveState, liveText} from '../../src/suites/live.js'
import type {CaseDef, CaseResult} from '../../src/suites/types.js'

const def = (id: string, phase = 1): CaseDef => ({id, phase, title: id, components: [], syscalls: [], profile: 'base', append: '', timeoutSec: 60})
const res = (id: string, status: CaseResult['status']): CaseResult => ({id, phase: 1, title: id, components: [], syscalls: [], status, durationMs: 1, log: '', qemu: {argv: [], exitCode: 1}, ktap: null})

describe('live view', () => {
  const state = (): LiveState => ({
    total: 5, jobs: 2,
    running: new Map([['a', {phase: 1, since: 0}], ['b', {phase: 3, since: 4000}]]),
    done: [res('x', 'pass'), res('y', 'crash')],
    last: new Map([['a', 10_000], ['b', 2000], ['c', 6000], ['x', 1000]]),
    waiting: [def('c'), def('new')],
  })

  it('estimates the time left from the last durations, spread over the jobs', () => {
    // Waiting: c 6 s + new (median of 1, 2, 6, 10 s: 6 s); running at t=5 s: a needs 5 s more, b is past its 2 s.
    expect(etaSeconds(state(), 5000)).toBe(Math.ceil((6 + 6 + 5 + 0) / 2))
    expect(etaSeconds({...state(), last: new Map()}, 5000)).toBeNull()
  })

  it('shows each running case with phase and elapsed time, then the counts', () => {
    expect(liveText(state(), 5000).split('\n')).toEqual([
      'phase 1  a  5.0 s',
      'phase 3  b  1.0 s',
      '1 passed or skipped, 1 failed, 2 of 5 done, about 9.0 s left',
    ])
  })
})
