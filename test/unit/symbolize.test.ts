// Backtrace symbolization: collecting addresses from serial logs and parsing the
// output of llvm-symbolizer and addr2line (recorded outputs; pure functions).
import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  collectBacktraceAddresses, crashLocation, findSymbolizer, formatBacktraceBlock, normalizeAddress,
  parseSymbolizerOutput, symbolizeAddresses, symbolizerArgs,
} from '../../src/suites/symbolize.js'
import {junitXml} from '../../src/report/results.js'
import type {CaseResult} from '../../src/suites/types.js'

const EXCEPTION_LOG = `kos: booting, command line 'build/kernel32.elf harness=pagefault'
# kernel exception 14 (page fault), error 0x2
#   rip 0xffffffff8010ce18 cs 0x8 rflags 0x246 rsp 0xffffffff801329e0 cr2 0xffff9fffdeadb000 cr3 0x2a7000
#   rax 0xffff9fffdeadb000 rbx 0x2d rcx 0x0 rdx 0x1 rsi 0xffffffff80128be9 rdi 0xffffffff80132d5a rbp 0xffffffff80133030
#   bt: 0xffffffff8010ce18
KERNEL PANIC: page fault in kernel at rip 0xffffffff8010ce18 (vector 14, error 0x2, cr2 0xffff9fffdeadb000)
#   bt: 0xffffffff8010b4c3\r
    #   bt: 0xFFFFFFFF8010C25E
[kernel] fault_null (pid 3) killed: page fault: read at 0x0 (null pointer), rip 0x4000c6
`

// llvm-symbolizer-19 -a --obj=build/kernel.elf (recorded); the first address is inlined into kmain.
const LLVM_OUTPUT = `0xffffffff8010ce18
harness_misbehave
/repo/kernel/main.c:44:19
kmain
/repo/kernel/main.c:209:9

0xffffffff8010b4c3
panic
/repo/kernel/lib/panic.c:75:5

0xffffffff8010c25e
trap_dispatch
/repo/kernel/arch/x86_64/trap.c:100:13 (discriminator 2)

0x1234
??
??:0:0

`

// addr2line -a -f -i -C -e ... (recorded): zero-padded addresses, no columns, no blank lines.
const ADDR2LINE_OUTPUT = `0xffffffff8010ce18
kmain
/repo/kernel/main.c:44
0x0000000000001234
??
??:0
`

describe('collectBacktraceAddresses', () => {
  it('takes the exception RIP and every bt line once, in order, and ignores user-space rips', () => {
    expect(collectBacktraceAddresses(EXCEPTION_LOG)).toEqual(['0xffffffff8010ce18', '0xffffffff8010b4c3', '0xffffffff8010c25e'])
  })

  it('finds nothing in a log without a crash', () => {
    expect(collectBacktraceAddresses('KTAP version 1\n1..1\nok 1 x\n# rip is not a report line\n')).toEqual([])
  })
})

describe('parseSymbolizerOutput', () => {
  it('parses llvm-symbolizer: innermost function, inlining, relative paths, discriminators, unknowns', () => {
    const frames = parseSymbolizerOutput(LLVM_OUTPUT, '/repo')
    expect(frames.get('0xffffffff8010ce18')).toEqual({addr: '0xffffffff8010ce18', func: 'harness_misbehave', file: 'kernel/main.c', line: 44, inlinedInto: ['kmain']})
    expect(frames.get('0xffffffff8010b4c3')).toEqual({addr: '0xffffffff8010b4c3', func: 'panic', file: 'kernel/lib/panic.c', line: 75})
    expect(frames.get('0xffffffff8010c25e')).toMatchObject({func: 'trap_dispatch', file: 'kernel/arch/x86_64/trap.c', line: 100})
    expect(frames.get('0x1234')).toEqual({addr: '0x1234', func: '??', file: '??', line: 0})
    expect(frames.size).toBe(4)
  })

  it('parses addr2line output and normalizes its zero-padded addresses', () => {
    const frames = parseSymbolizerOutput(ADDR2LINE_OUTPUT)
    expect(frames.get('0xffffffff8010ce18')).toEqual({addr: '0xffffffff8010ce18', func: 'kmain', file: '/repo/kernel/main.c', line: 44})
    expect(frames.get('0x1234')).toMatchObject({func: '??', line: 0})
  })

  it('keeps paths outside the repository absolute and skips garbage', () => {
    const frames = parseSymbolizerOutput('garbage before\n0x10\nmemcpy\n/usr/src/x.c:3:1\n', '/repo')
    expect([...frames.values()]).toEqual([{addr: '0x10', func: 'memcpy', file: '/usr/src/x.c', line: 3}])
  })
})

describe('formatting', () => {
  const frames = [...parseSymbolizerOutput(LLVM_OUTPUT, '/repo').values()]

  it('the log block has the header and one line per address', () => {
    const block = formatBacktraceBlock({frames})
    expect(block.split('\n')[0]).toBe('--- backtrace (symbolized) ---')
    expect(block).toContain('0xffffffff8010ce18 harness_misbehave kernel/main.c:44 (inlined into kmain)\n')
    expect(block).toContain('0x1234 ?? ??:0\n')
  })

  it('the crash location skips the panic frame', () => {
    expect(crashLocation(frames)).toBe('harness_misbehave kernel/main.c:44')
    expect(crashLocation(frames.filter((f) => f.func !== 'harness_misbehave'))).toBe('trap_dispatch kernel/arch/x86_64/trap.c:100')
    expect(crashLocation(frames.filter((f) => f.func === 'panic'))).toBe('panic kernel/lib/panic.c:75')
    expect(crashLocation([{addr: '0x1', func: '??', file: '??', line: 0}])).toBeUndefined()
  })

  it('JUnit failure text carries the frames', () => {
    const c: CaseResult = {
      id: 'k', phase: 1, title: 'k', components: [], syscalls: [], status: 'crash', reason: 'KERNEL PANIC: x', durationMs: 1,
      log: 'build/reports/logs/k.log', qemu: {argv: [], exitCode: 5}, ktap: null, backtrace: frames,
    }
    const xml = junitXml({date: 'd', commit: null, summary: {pass: 0, fail: 0, skip: 0, timeout: 0, crash: 1, error: 0}, cases: [c]})
    expect(xml).toContain('--- backtrace (symbolized) ---\n0xffffffff8010ce18 harness_misbehave kernel/main.c:44')
  })
})

describe('symbolizeAddresses', () => {
  it('normalizes addresses', () => {
    expect(normalizeAddress('0x0000FFFF')).toBe('0xffff')
    expect(normalizeAddress('ABC')).toBe('0xabc')
  })

  it('prefers llvm-symbolizer-19, falls back to llvm-symbolizer, then addr2line', () => {
    const have = (names: string[]) => (n: string) => (names.includes(n) ? `/usr/bin/${n}` : undefined)
    expect(findSymbolizer(have(['addr2line', 'llvm-symbolizer-19']))).toEqual({path: '/usr/bin/llvm-symbolizer-19', kind: 'llvm'})
    expect(findSymbolizer(have(['addr2line', 'llvm-symbolizer']))).toEqual({path: '/usr/bin/llvm-symbolizer', kind: 'llvm'})
    expect(findSymbolizer(have(['addr2line']))).toEqual({path: '/usr/bin/addr2line', kind: 'addr2line'})
    expect(findSymbolizer(have([]))).toBeUndefined()
    expect(symbolizerArgs({path: 'a', kind: 'addr2line'}, 'k.elf', ['0x1'])).toEqual(['-a', '-f', '-i', '-C', '-e', 'k.elf', '0x1'])
    expect(symbolizerArgs({path: 'l', kind: 'llvm'}, 'k.elf', ['0x1'])).toEqual(['-a', '--obj=k.elf', '0x1'])
  })

  it('without a symbolizer the addresses stay raw with a note, not an error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-sym-'))
    writeFileSync(path.join(dir, 'k.elf'), '')
    const r = await symbolizeAddresses(['0xFFFFFFFF8010CE18'], 'k.elf', {repoRoot: dir, lookup: () => undefined})
    expect(r.frames).toEqual([{addr: '0xffffffff8010ce18', func: '??', file: '??', line: 0}])
    expect(r.note).toMatch(/none of llvm-symbolizer-19, llvm-symbolizer, addr2line is installed/)
  })

  it('without the kernel ELF the addresses stay raw with a note', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-sym-'))
    const r = await symbolizeAddresses(['0x10'], 'build/kernel.elf', {repoRoot: dir})
    expect(r.frames).toEqual([{addr: '0x10', func: '??', file: '??', line: 0}])
    expect(r.note).toBe('addresses not symbolized: build/kernel.elf does not exist')
  })
})
