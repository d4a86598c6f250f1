// The coverage report's arithmetic: the debug-console stream split into the
// kernel's and the user programs' profiles, LCOV of several ELFs united per
// line, files summed per component by their paths, and a case that declares
// a component whose instrumented code it never ran.
import {describe, expect, it} from 'vitest'

import {addLcov, componentCoverage, declarationWarnings, fileCoverage, type FileCoverage, splitProfileStream} from '../../src/report/coverage.js'
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

/** One frame of kos/profile.h: magic, kind, name length, size, name, raw profile. */
const frame = (kind: number, name: string, body: Buffer, size = body.length): Buffer => {
  const h = Buffer.alloc(24)
  h.write('KOSPROF1', 0, 'latin1')
  h.writeUInt32LE(kind, 8)
  h.writeUInt32LE(name.length, 12)
  h.writeBigUInt64LE(BigInt(size), 16)
  return Buffer.concat([h, Buffer.from(name, 'latin1'), body])
}

describe('splitProfileStream', () => {
  const user = Buffer.from('user profile')
  const kernel = Buffer.from('kernel profile bytes')

  it('splits user programs\' frames and the kernel\'s, in the order written', () => {
    const {frames, cut} = splitProfileStream(Buffer.concat([frame(1, 'p2pd', user), frame(1, 'p2p', Buffer.alloc(0)), frame(0, 'kernel', kernel)]))
    expect(cut).toBe(0)
    expect(frames.map((f) => [f.kind, f.name, f.data.toString()])).toEqual([['user', 'p2pd', 'user profile'], ['user', 'p2p', ''], ['kernel', 'kernel', 'kernel profile bytes']])
  })

  it('keeps the frames before one cut short (the guest killed while writing) and counts it', () => {
    const whole = Buffer.concat([frame(1, 'p2pd', user), frame(0, 'kernel', kernel)])
    for (const keep of [whole.length - 1, user.length + 28 + 24 + 3, user.length + 28 + 10]) {
      const r = splitProfileStream(whole.subarray(0, keep))
      expect([r.frames.map((f) => f.name), r.cut]).toEqual([['p2pd'], 1])
    }
    expect(splitProfileStream(Buffer.alloc(0))).toEqual({frames: [], cut: 0})
  })

  it('stops at bytes that are not a frame: bad magic, kind, empty name', () => {
    const bad = (b: Buffer) => splitProfileStream(Buffer.concat([frame(1, 'hello', user), b])).cut
    expect(bad(Buffer.from('not a frame at all, longer than a header'))).toBe(1)
    expect(bad(frame(7, 'hello', user))).toBe(1)
    expect(bad(frame(1, '', user))).toBe(1)
    expect(bad(frame(1, 'hello', user, 1e6))).toBe(1)
  })
})

describe('addLcov and fileCoverage', () => {
  // Two programs linking user/lib/sys.c: a line or function counts once, covered when either ran it.
  const a = ['SF:/repo/user/lib/sys.c', 'FN:3,exit', 'FN:9,write', 'FNDA:1,exit', 'FNDA:0,write', 'DA:3,1', 'DA:4,1', 'DA:9,0', 'DA:10,0', 'end_of_record',
    'SF:/repo/user/hello.c', 'FN:1,main', 'FNDA:1,main', 'DA:1,1', 'DA:2,0', 'end_of_record'].join('\n')
  const b = ['SF:/repo/user/lib/sys.c', 'FN:3,exit', 'FN:9,write', 'FNDA:0,exit', 'FNDA:4,write', 'DA:3,0', 'DA:4,0', 'DA:9,4', 'DA:10,0', 'end_of_record',
    'SF:kernel/net/udp.c', 'FN:5,udp_input', 'FNDA:0,udp_input', 'DA:5,0', 'DA:6,0', 'DA:7,0', 'end_of_record'].join('\n')

  it('unites the ELFs per line and per function, paths relative to the root', () => {
    const acc = new Map()
    addLcov(acc, a, '/repo')
    addLcov(acc, b, '/repo')
    expect(fileCoverage(acc)).toEqual({
      files: [
        {file: 'kernel/net/udp.c', lines: {count: 3, covered: 0}, functions: {count: 1, covered: 0}},
        {file: 'user/hello.c', lines: {count: 2, covered: 1}, functions: {count: 1, covered: 1}},
        {file: 'user/lib/sys.c', lines: {count: 4, covered: 3}, functions: {count: 2, covered: 2}},
      ],
      totals: {lines: {count: 9, covered: 4}, functions: {count: 4, covered: 3}},
    })
  })

  it('one ELF alone measures only what it ran', () => {
    const acc = new Map()
    addLcov(acc, b, '/repo')
    expect(fileCoverage(acc).files.find((f) => f.file === 'user/lib/sys.c')).toEqual({file: 'user/lib/sys.c', lines: {count: 4, covered: 1}, functions: {count: 2, covered: 1}})
  })
})
