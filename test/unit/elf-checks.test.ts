import {describe, expect, it} from 'vitest'
import {checkKernelImages, checkUserImage, findMultibootHeader} from '../../src/elf/checks.js'
import {ElfFormatError, PT_DYNAMIC, PT_INTERP, parseElf} from '../../src/elf/parse.js'
import {goodUserElf, synthElf, withMultiboot} from '../fixtures/elf/synth.js'

describe('parseElf', () => {
  it('keeps 64-bit addresses exact', () => {
    const buf = synthElf({entry: 0xffffffff80100123n, segments: [{flags: 5, vaddr: 0xffffffff80100000n, paddr: 0x100000n, filesz: 0x200}]})
    const img = parseElf(buf)
    expect(img.class).toBe(64)
    expect(img.entry).toBe(0xffffffff80100123n)
    expect(img.phdrs[0].vaddr).toBe(0xffffffff80100000n)
    expect(img.phdrs[0].paddr).toBe(0x100000n)
    expect(img.phdrs[0].filesz).toBe(0x200n)
  })

  it('parses ELF32 program headers', () => {
    const img = parseElf(synthElf({class: 32, entry: 0x100010n, segments: [{flags: 5, vaddr: 0x100000n, filesz: 0x40}]}))
    expect(img.class).toBe(32)
    expect(img.machine).toBe(3)
    expect(img.phdrs[0]).toMatchObject({type: 1, flags: 5, vaddr: 0x100000n, filesz: 0x40n})
  })

  it('refuses malformed files with a reason', () => {
    expect(() => parseElf(Buffer.from('hello'))).toThrow(ElfFormatError)
    const bad = goodUserElf()
    bad[0] = 0
    expect(() => parseElf(bad)).toThrow(/magic/)
    expect(() => parseElf(goodUserElf().subarray(0, 80))).toThrow(/past end of file/)
    const cls = goodUserElf()
    cls[4] = 7
    expect(() => parseElf(cls)).toThrow(/EI_CLASS/)
  })
})

describe('checkUserImage', () => {
  it('accepts a static ELF64 program in user space', () => {
    expect(checkUserImage(goodUserElf(), 'hello')).toEqual({ok: true, problems: []})
  })

  const cases: Array<[string, Buffer, RegExp]> = [
    ['W+X segment', synthElf({entry: 0x401000n, segments: [{flags: 7, vaddr: 0x401000n, filesz: 0x80}]}), /writable and executable/],
    ['segment below 0x400000', synthElf({entry: 0x1000n, segments: [{flags: 5, vaddr: 0x1000n, filesz: 0x80}]}), /outside user space/],
    ['segment in the kernel half', synthElf({entry: 0xffff800000001000n, segments: [{flags: 5, vaddr: 0xffff800000001000n, filesz: 0x80}]}), /outside user space/],
    ['segment crossing the top of user space', synthElf({entry: 0x7ffffffff000n, segments: [{flags: 5, vaddr: 0x7ffffffff000n, filesz: 0x80, memsz: 0x2000n}]}), /outside user space/],
    ['ET_REL', synthElf({type: 1, entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}]}), /ET_EXEC/],
    ['EM_386', synthElf({machine: 3, entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}]}), /x86-64/],
    ['PT_INTERP', synthElf({entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {type: PT_INTERP, flags: 4, vaddr: 0x402000n, filesz: 0x10}]}), /PT_INTERP/],
    ['PT_DYNAMIC', synthElf({entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {type: PT_DYNAMIC, flags: 6, vaddr: 0x402000n, filesz: 0x10}]}), /PT_DYNAMIC/],
    ['entry in a data segment', synthElf({entry: 0x402000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {flags: 6, vaddr: 0x402000n, filesz: 0x80}]}), /entry point/],
    ['overlapping segments', synthElf({entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {flags: 6, vaddr: 0x401040n, filesz: 0x80}]}), /segments 0 and 1 overlap at 0x401040/],
    ['a segment wrapping past 2^64', synthElf({entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {flags: 6, vaddr: 0x402000n, filesz: 0x10, memsz: (1n << 64n) - 0x1000n}]}), /wraps past 2\^64/],
    ['ELF32', synthElf({class: 32, entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}]}), /not ELF64/],
    ['no PT_LOAD', synthElf({entry: 0x401000n, segments: []}), /no PT_LOAD/],
  ]
  for (const [what, buf, message] of cases) {
    it(`refuses ${what}`, () => {
      const r = checkUserImage(buf, 'prog')
      expect(r.ok).toBe(false)
      expect(r.problems.join('\n')).toMatch(message)
      expect(r.problems.every((p) => p.startsWith('prog: '))).toBe(true)
    })
  }
})

describe('kernel checks', () => {
  // Boot code identity-mapped at 1 MiB, the rest in the higher half loaded right after it.
  const kernel64 = () =>
    synthElf({
      entry: 0x100000n,
      segments: [
        {flags: 5, vaddr: 0x100000n, filesz: 0x100},
        {flags: 5, vaddr: 0xffffffff80101000n, paddr: 0x101000n, filesz: 0x400},
        {flags: 6, vaddr: 0xffffffff80102000n, paddr: 0x102000n, filesz: 0x100, memsz: 0x4000n},
      ],
    })
  const kernel32 = (mbOffset = 0x1000) =>
    withMultiboot(synthElf({class: 32, entry: 0x100000n, segments: [{flags: 5, vaddr: 0x100000n, filesz: 0x3000}]}), mbOffset)

  it('accepts a kernel with a multiboot header and entry in code', () => {
    expect(checkKernelImages(kernel64(), kernel32())).toEqual({ok: true, problems: []})
  })

  it('finds the multiboot header only when aligned, checksummed and within 8 KiB', () => {
    expect(findMultibootHeader(kernel32(0x1000))).toEqual({offset: 0x1000, flags: 3})
    expect(findMultibootHeader(kernel32(0x1ff0))).toEqual({offset: 0x1ff0, flags: 3})
    expect(findMultibootHeader(kernel32(0x2000))).toBeUndefined()
    expect(findMultibootHeader(kernel32(0x1002))).toBeUndefined()
    const badSum = withMultiboot(synthElf({class: 32, entry: 0x100000n, segments: [{flags: 5, vaddr: 0x100000n, filesz: 0x3000}]}), 0x1000, 3, 1)
    expect(findMultibootHeader(badSum)).toBeUndefined()
    const r = checkKernelImages(kernel64(), badSum)
    expect(r.ok).toBe(false)
    expect(r.problems.join()).toMatch(/multiboot/)
  })

  it('refuses an entry outside executable segments', () => {
    const k = synthElf({entry: 0xffffffff80102010n, segments: [
      {flags: 5, vaddr: 0xffffffff80101000n, paddr: 0x101000n, filesz: 0x400},
      {flags: 6, vaddr: 0xffffffff80102000n, paddr: 0x102000n, filesz: 0x100},
    ]})
    const r = checkKernelImages(k, kernel32())
    expect(r.ok).toBe(false)
    expect(r.problems.join()).toMatch(/entry point 0xffffffff80102010/)
  })

  it('accepts a higher-half virtual entry', () => {
    const k = synthElf({entry: 0xffffffff80101010n, segments: [{flags: 5, vaddr: 0xffffffff80101000n, paddr: 0x101000n, filesz: 0x400}]})
    expect(checkKernelImages(k, kernel32()).ok).toBe(true)
  })

  it('refuses a W+X kernel segment', () => {
    const k = synthElf({entry: 0x100000n, segments: [{flags: 7, vaddr: 0x100000n, filesz: 0x100}]})
    const r = checkKernelImages(k, kernel32())
    expect(r.problems.join()).toMatch(/writable and executable/)
  })

  it('requires kernel32.elf to be ELF32 i386', () => {
    const r = checkKernelImages(kernel64(), withMultiboot(kernel64(), 0x1000))
    expect(r.ok).toBe(false)
    expect(r.problems.join()).toMatch(/ELF32 i386/)
  })
})
