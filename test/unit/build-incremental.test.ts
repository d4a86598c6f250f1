import {describe, expect, it} from 'vitest'
import {type RebuildQuery, decideRebuild, hashCommand, parseDepfile} from '../../src/builder/incremental.js'

const q = (over: Partial<RebuildQuery> = {}): RebuildQuery => ({
  outputs: [{path: 'a.o', mtimeMs: 100}],
  inputs: [{path: 'a.c', mtimeMs: 50}, {path: 'a.h', mtimeMs: 60}],
  cmdHash: 'h1',
  prevCmdHash: 'h1',
  upstreamRan: false,
  ...over,
})

describe('decideRebuild', () => {
  it('skips an up-to-date step', () => {
    expect(decideRebuild(q())).toEqual({rebuild: false, reason: 'up to date'})
  })
  it('rebuilds when an output is missing', () => {
    expect(decideRebuild(q({outputs: [{path: 'a.o', mtimeMs: undefined}]}))).toMatchObject({rebuild: true, reason: expect.stringMatching(/a\.o missing/)})
  })
  it('rebuilds when a header from the depfile is newer', () => {
    const r = decideRebuild(q({inputs: [{path: 'a.c', mtimeMs: 50}, {path: 'a.h', mtimeMs: 101}]}))
    expect(r).toMatchObject({rebuild: true, reason: expect.stringMatching(/a\.h is newer/)})
  })
  it('does not rebuild for an input exactly as old as the output', () => {
    expect(decideRebuild(q({inputs: [{path: 'a.c', mtimeMs: 100}]})).rebuild).toBe(false)
  })
  it('rebuilds when the command line changed', () => {
    expect(decideRebuild(q({cmdHash: 'h2'}))).toMatchObject({rebuild: true, reason: 'command line changed'})
  })
  it('rebuilds when never recorded', () => {
    expect(decideRebuild(q({prevCmdHash: undefined})).rebuild).toBe(true)
  })
  it('rebuilds when an upstream step ran', () => {
    expect(decideRebuild(q({upstreamRan: true})).rebuild).toBe(true)
  })
  it('rebuilds when an input vanished (e.g. a deleted header)', () => {
    expect(decideRebuild(q({inputs: [{path: 'gone.h', mtimeMs: undefined}]})).rebuild).toBe(true)
  })
  it('compares against the oldest of several outputs', () => {
    const r = decideRebuild(q({outputs: [{path: 'x', mtimeMs: 200}, {path: 'y', mtimeMs: 80}], inputs: [{path: 'i', mtimeMs: 90}]}))
    expect(r.rebuild).toBe(true)
  })
  it('rebuilds when the depfile is missing', () => {
    expect(decideRebuild(q({depfileMissing: true})).rebuild).toBe(true)
  })
})

describe('parseDepfile', () => {
  it('reads clang -MMD output with continuations', () => {
    const text = 'build/obj/kernel/main.c.o: kernel/main.c kernel/lib/printf.h \\\n  kernel/include/kos/syscall.h \\\n  kernel/lib/ktap.h\n'
    expect(parseDepfile(text)).toEqual(['kernel/main.c', 'kernel/lib/printf.h', 'kernel/include/kos/syscall.h', 'kernel/lib/ktap.h'])
  })
  it('handles escaped spaces, phony rules and duplicates', () => {
    const text = 'a.o: a.c dir\\ with\\ space/x.h b.h\nb.h:\na.c:\n\nother.o: b.h\n'
    expect(parseDepfile(text)).toEqual(['a.c', 'dir with space/x.h', 'b.h'])
  })
  it('returns nothing for an empty file', () => {
    expect(parseDepfile('')).toEqual([])
  })
})

describe('hashCommand', () => {
  it('is stable and sensitive to every argument', () => {
    expect(hashCommand(['cc', '-O2'])).toBe(hashCommand(['cc', '-O2']))
    expect(hashCommand(['cc', '-O2'])).not.toBe(hashCommand(['cc', '-O1']))
    expect(hashCommand(['cc', '-O2', 'x'])).not.toBe(hashCommand(['cc', '-O2x']))
  })
})
