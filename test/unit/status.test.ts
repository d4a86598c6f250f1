// The one set of status rules (src/suites/status.ts) that runner, results,
// report and check share.
import {describe, expect, it} from 'vitest'

import {CASE_STATUSES, type CaseStatus, SEVERITY, failedCount, isFailing, resultFailed, worstOf} from '../../src/suites/status.js'
import type {CaseResult} from '../../src/suites/types.js'

const r = (over: Partial<CaseResult>): CaseResult => ({
  id: 'x', phase: 1, title: 'x', components: [], syscalls: [], status: 'pass', durationMs: 1, log: 'l', qemu: {argv: [], exitCode: 1}, ktap: null, ...over,
})

describe('case statuses', () => {
  it('orders every status exactly once, worst first', () => {
    expect([...SEVERITY]).toEqual(['crash', 'timeout', 'error', 'fail', 'skip', 'pass'])
    expect([...SEVERITY].sort()).toEqual([...CASE_STATUSES].sort())
  })

  it('picks the worst item, the first of equals', () => {
    const items: Array<[string, CaseStatus]> = [['a', 'fail'], ['b', 'error'], ['c', 'timeout'], ['d', 'timeout'], ['e', 'pass']]
    expect(worstOf(items, (i) => i[1])[0]).toBe('c')
    expect(worstOf([['a', 'pass'], ['b', 'skip']] as Array<[string, CaseStatus]>, (i) => i[1])[0]).toBe('b')
    expect(() => worstOf([], () => 'pass')).toThrow('no items')
  })

  it('counts fail, timeout, crash and error as failing; pass and skip not', () => {
    expect(CASE_STATUSES.filter(isFailing)).toEqual(['fail', 'timeout', 'crash', 'error'])
    expect(failedCount({pass: 10, fail: 1, skip: 7, timeout: 2, crash: 3, error: 4})).toBe(10)
  })

  it('judges a declared outcome on its effective status; a skip never fails the run', () => {
    expect(resultFailed(r({status: 'crash', expected: {status: 'crash', met: true}}))).toBe(false)
    expect(resultFailed(r({status: 'pass', expected: {status: 'crash', met: false}}))).toBe(true)
    expect(resultFailed(r({status: 'skip', expected: {status: 'crash', met: false}}))).toBe(false)
    expect(resultFailed(r({status: 'error', expected: {status: 'crash', met: false}}))).toBe(true)
  })
})
