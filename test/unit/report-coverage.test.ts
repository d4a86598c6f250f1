// The coverage report's arithmetic: files summed per component by their paths,
// and a case that declares a component whose instrumented code it never ran.
import {describe, expect, it} from 'vitest'

import {componentCoverage, declarationWarnings, type FileCoverage} from '../../src/report/coverage.js'
import type {ComponentDef} from '../../src/report/components.js'

const comps: ComponentDef[] = [
  {id: 'icmp', name: 'ICMP', phase: 3, paths: ['kernel/net/icmp*']},
  {id: 'udp', name: 'UDP', phase: 3, paths: ['kernel/net/udp*']},
  {id: 'ring3', name: 'user space', phase: 1, paths: ['user/lib/**']},
]
const f = (file: string, count: number, covered: number): FileCoverage => ({file, lines: {count, covered}, functions: {count: 2, covered: covered ? 1 : 0}})
const files = [f('kernel/net/icmp.c', 40, 0), f('kernel/net/icmp.h', 2, 0), f('kernel/net/udp.c', 80, 60), f('kernel/lib/string.c', 10, 10)]

describe('componentCoverage', () => {
  it('sums the instrumented files at each component\'s paths; nothing instrumented is null, not 0', () => {
    expect(componentCoverage(files, comps)).toEqual([
      {id: 'icmp', files: ['kernel/net/icmp.c', 'kernel/net/icmp.h'], lines: {count: 42, covered: 0}, functions: {count: 4, covered: 0}, linePct: 0},
      {id: 'udp', files: ['kernel/net/udp.c'], lines: {count: 80, covered: 60}, functions: {count: 2, covered: 1}, linePct: 75},
      {id: 'ring3', files: [], lines: {count: 0, covered: 0}, functions: {count: 0, covered: 0}, linePct: null},
    ])
  })
})

describe('declarationWarnings', () => {
  it('names a case that declares icmp but ran none of its lines; not a component it ran, nor one without instrumented code', () => {
    const measured = componentCoverage(files, comps)
    expect(declarationWarnings([{id: 'udp_user', declared: ['udp', 'icmp', 'ring3', 'nonsense'], components: measured}], comps))
      .toEqual([{case: 'udp_user', component: 'icmp', lines: 42}])
    const ranIcmp = componentCoverage([f('kernel/net/icmp.c', 40, 3)], comps)
    expect(declarationWarnings([{id: 'ping', declared: ['icmp'], components: ranIcmp}], comps)).toEqual([])
  })
})
