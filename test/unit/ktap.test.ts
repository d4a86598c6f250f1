import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {collectKtapErrors, parseKtap} from '../../src/ktap/parse.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/ktap/${name}`, import.meta.url), 'latin1')

describe('parseKtap', () => {
  it('parses kunit-style output with 4-space subtests', () => {
    const doc = parseKtap(fixture('kunit-style.ktap'))
    expect(doc.truncated).toBe(false)
    expect(doc.missingVersion).toBe(false)
    expect(doc.root.version).toBe(1)
    expect(doc.root.plan).toBe(2)
    const [pmm, heap] = doc.root.subtests
    expect(doc.root.subtests).toHaveLength(2)
    expect(pmm).toMatchObject({name: 'pmm', number: 1, ok: true, plan: 3, version: 1})
    expect(pmm.subtests.map((t) => t.name)).toEqual(['pmm_alloc_returns_page', 'pmm_no_double_alloc', 'pmm_free_count_restored'])
    expect(pmm.diagnostics).toContain('module: pmm_test')
    expect(doc.root.diagnostics).toContain('pmm: pass:3 fail:0 skip:0 total:3')
    expect(heap).toMatchObject({name: 'heap', ok: false})
    expect(heap.subtests[1]).toMatchObject({name: 'heap_kfree_coalesces', ok: false, number: 2})
    expect(heap.diagnostics[0]).toMatch(/EXPECTATION FAILED/)
    expect(collectKtapErrors(doc.root)).toEqual([])
  })

  it('parses two nesting levels indented by 2 spaces each', () => {
    const doc = parseKtap(fixture('nested-two-levels.ktap'))
    expect(collectKtapErrors(doc.root)).toEqual([])
    const syscalls = doc.root.subtests[0]
    expect(syscalls).toMatchObject({name: 'syscalls', ok: true, plan: 2})
    const write = syscalls.subtests[0]
    expect(write).toMatchObject({name: 'write', ok: true, plan: 2})
    expect(write.subtests.map((t) => [t.number, t.name, t.ok])).toEqual([[1, 'write_bad_fd', true], [2, 'write_bad_pointer', true]])
    expect(syscalls.subtests[1]).toMatchObject({name: 'getpid', ok: true, subtests: []})
    expect(doc.root.subtests[1]).toMatchObject({name: 'hello', number: 2, ok: true})
  })

  it('keeps interleaved non-KTAP lines in the running test log', () => {
    const doc = parseKtap(fixture('interleaved-log.ktap'))
    expect(collectKtapErrors(doc.root)).toEqual([])
    expect(doc.truncated).toBe(false)
    expect(doc.root.log).toContain('kos: booting (multiboot, 256 MiB)')
    expect(doc.root.log).toContain('[user] Hello from ring-3!')
    expect(doc.root.log).toContain('kos: all tests done, exiting')
    const [pmm, hello, syscalls] = doc.root.subtests
    expect(pmm.log).toEqual(['pmm: freed 12 pages'])
    expect(pmm.subtests).toHaveLength(2)
    expect(hello).toMatchObject({name: 'hello', ok: true})
    expect(syscalls.log).toEqual(['sched: switching to pid 3'])
    expect(syscalls.diagnostics).toContain('metric null_syscall_cycles 812 cycles')
  })

  it('records malformed result lines and bad numbering as errors', () => {
    const doc = parseKtap(fixture('malformed.ktap'))
    const errors = collectKtapErrors(doc.root)
    expect(errors.some((e) => e.includes('malformed result line: ok two second'))).toBe(true)
    expect(errors.some((e) => e.includes('bad numbering: expected 3, got 5'))).toBe(true)
    expect(errors.some((e) => e.includes('plan 1..3 but 4 results'))).toBe(false)
    expect(doc.root.log).toContain('okay this is log text')
    expect(doc.root.subtests.map((t) => t.number)).toEqual([1, 3, 5])
  })

  it('reports cut-off output as truncated with unfinished tests', () => {
    const doc = parseKtap(fixture('truncated.ktap'))
    expect(doc.truncated).toBe(true)
    expect(doc.root.subtests).toHaveLength(2)
    const fork = doc.root.subtests[1]
    expect(fork).toMatchObject({name: 'fork_test', ok: null, plan: 4})
    expect(fork.subtests).toHaveLength(2)
    expect(fork.log).toEqual(['sched: pid 4 running'])
    expect(fork.errors.join('\n')).toMatch(/truncated/)
    expect(fork.errors.join('\n')).toMatch(/plan 1\.\.4 but only 2/)
    expect(doc.root.errors.join('\n')).toMatch(/plan 1\.\.3 but only 1/)
  })

  it('flags a missing plan', () => {
    const doc = parseKtap(fixture('missing-plan.ktap'))
    expect(doc.root.plan).toBeNull()
    expect(doc.root.subtests).toHaveLength(2)
    expect(doc.root.errors).toContain('no plan line (1..N)')
  })

  it('strips a timestamp prefix from every line', () => {
    const doc = parseKtap(fixture('prefix-timestamps.ktap'))
    expect(collectKtapErrors(doc.root)).toEqual([])
    expect(doc.root.log).toEqual(['[    0.000000] kos version 0.1'])
    expect(doc.root.subtests[0]).toMatchObject({name: 'pmm', ok: true, plan: 1})
    expect(doc.root.subtests[0].subtests[0]).toMatchObject({name: 'pmm_no_double_alloc', ok: true})
    expect(doc.root.subtests[1]).toMatchObject({name: 'heap', ok: true, directive: 'SKIP', directiveReason: 'heap disabled in this build'})
  })

  it('strips junk before the version line on the same line', () => {
    const doc = parseKtap(fixture('prefix-junk.ktap'))
    expect(doc.missingVersion).toBe(false)
    expect(collectKtapErrors(doc.root)).toEqual([])
    expect(doc.root.subtests.map((t) => t.name)).toEqual(['boot', 'serial'])
  })

  it('reads SKIP and TODO directives and TAP 14 "ok N - name"', () => {
    const doc = parseKtap(fixture('skip-todo.ktap'))
    expect(doc.root.version).toBe(14)
    const [link, mdns, p2p, exec] = doc.root.subtests
    expect(link).toMatchObject({name: 'e1000_link', ok: true, directive: 'SKIP', directiveReason: 'no e1000 device'})
    expect(mdns).toMatchObject({name: 'mdns_announce', directive: 'SKIP', directiveReason: 'needs multicast'})
    expect(p2p).toMatchObject({name: 'p2p_overlay', ok: false, directive: 'TODO', directiveReason: 'not written yet'})
    expect(exec).toMatchObject({name: 'exec_bad_elf', ok: false})
    expect(exec.directive).toBeUndefined()
    expect(exec.diagnostics).toEqual(['exit=3'])
  })

  it('handles an empty log and a garbage log', () => {
    for (const name of ['empty.ktap', 'garbage.ktap']) {
      const doc = parseKtap(fixture(name))
      expect(doc.missingVersion).toBe(true)
      expect(doc.root.subtests).toEqual([])
      expect(doc.root.errors[0]).toMatch(/no "KTAP version" line/)
    }
    expect(parseKtap(fixture('garbage.ktap')).root.log).toContain('random text')
  })

  it('handles CRLF line ends and output that stops at a panic', () => {
    const doc = parseKtap(fixture('crlf-panic.ktap'))
    expect(doc.truncated).toBe(true)
    expect(doc.root.subtests[0]).toMatchObject({name: 'pmm', ok: true})
    expect(doc.root.log[0]).toBe('KERNEL PANIC: page fault at 0x0000000000000008 (rip=0xffffffff80102a3c)')
  })

  it('closes a block that never printed its result when a sibling starts', () => {
    const doc = parseKtap(['KTAP version 1', '1..2', '    KTAP version 1', '    # Subtest: a', '    1..1', '    ok 1 x',
      '    KTAP version 1', '    # Subtest: b', '    1..1', '    ok 1 y', 'ok 2 b'].join('\n'))
    expect(doc.root.subtests.map((t) => [t.name, t.ok])).toEqual([['a', null], ['b', true]])
    expect(doc.root.subtests[0].errors[0]).toMatch(/no result line/)
  })
})
