import {describe, expect, it} from 'vitest'
import {checkUserImage} from '../../src/elf/checks.js'
import {PT_LOAD, parseElf} from '../../src/elf/parse.js'
import {KERNEL_HALF_BASE, TEST_IMAGE_NAMES, generateTestImages} from '../../src/builder/testimages.js'
import {goodUserElf, synthElf} from '../fixtures/elf/synth.js'

const U64 = 1n << 64n
const src = goodUserElf()
const images = generateTestImages(src)
const loads = (b: Buffer) => parseElf(b).phdrs.filter((p) => p.type === PT_LOAD)

/** Every field of the headers, to show each mutation changes only what its name says. */
function headerDiff(a: Buffer, b: Buffer): number[] {
  const diff: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) diff.push(i)
  return diff
}

describe('generateTestImages', () => {
  it('makes a distinct image for every name, each but good differing from the source', () => {
    const distinct = new Set(TEST_IMAGE_NAMES.map((n) => images[n].toString('hex')))
    expect(distinct.size).toBe(TEST_IMAGE_NAMES.length)
    for (const n of TEST_IMAGE_NAMES) expect(images[n].equals(src), n).toBe(n === 'good')
  })

  it('good is the unmodified control and passes the user checks', () => {
    expect(images.good.equals(src)).toBe(true)
    expect(checkUserImage(images.good, 'good').ok).toBe(true)
  })

  it('truncated ends in the middle of the program header table', () => {
    const img = parseElf(src)
    // Half of the program header table survives.
    expect(images.truncated.length).toBe(Number(img.phoff) + Math.floor((img.phnum * img.phentsize) / 2))
    expect(images.truncated.equals(src.subarray(0, images.truncated.length))).toBe(true)
    expect(() => parseElf(images.truncated)).toThrow(/past end of file/)
  })

  it('bad_magic, wrong_class, wrong_machine, wrong_type change one header field each', () => {
    expect(images.bad_magic.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))).toBe(false)
    expect(headerDiff(src, images.bad_magic)).toEqual([3])
    expect(images.wrong_class[4]).toBe(1)
    expect(headerDiff(src, images.wrong_class)).toEqual([4])
    expect(parseElf(images.wrong_machine).machine).toBe(3)
    expect(headerDiff(src, images.wrong_machine)).toEqual([18, 19].filter((i) => src[i] !== images.wrong_machine[i]))
    expect(parseElf(images.wrong_type).type).toBe(1)
  })

  it('seg_outside_file has a PT_LOAD whose file range passes EOF but keeps page congruence', () => {
    const bad = loads(images.seg_outside_file).filter((p) => p.offset + p.filesz > BigInt(images.seg_outside_file.length))
    expect(bad).toHaveLength(1)
    // The first segment with file bytes, moved to the first page boundary past EOF (plus its page offset).
    const orig = loads(src).find((p) => p.filesz > 0n)!
    expect({vaddr: bad[0].vaddr, filesz: bad[0].filesz}).toEqual({vaddr: orig.vaddr, filesz: orig.filesz})
    expect(bad[0].offset).toBe(((BigInt(src.length) + 0xfffn) & ~0xfffn) + (orig.vaddr & 0xfffn))
    expect(images.seg_outside_file.length).toBe(src.length)
  })

  it('seg_kernel_half maps a segment at or above 0xffff800000000000 and nothing else is wrong', () => {
    const l = loads(images.seg_kernel_half)
    expect(l.filter((p) => p.vaddr >= KERNEL_HALF_BASE)).toHaveLength(1)
    const img = parseElf(images.seg_kernel_half)
    // The entry moved with the code, so the only defect is the address.
    expect(l.some((p) => (p.flags & 1) !== 0 && img.entry >= p.vaddr && img.entry < p.vaddr + p.memsz)).toBe(true)
    expect(checkUserImage(images.seg_kernel_half, 'x').problems.join()).toMatch(/outside user space/)
  })

  it('seg_overlap has two PT_LOAD segments sharing addresses', () => {
    const l = loads(images.seg_overlap)
    const overlapping = l.some((a, i) => l.some((b, j) => i < j && a.vaddr < b.vaddr + b.memsz && b.vaddr < a.vaddr + a.memsz))
    expect(overlapping).toBe(true)
    expect(loads(src).some((a, i) => loads(src).some((b, j) => i < j && a.vaddr < b.vaddr + b.memsz && b.vaddr < a.vaddr + a.memsz))).toBe(false)
    for (const p of l) expect(p.offset + p.filesz).toBeLessThanOrEqual(BigInt(images.seg_overlap.length))
  })

  it('seg_overlap works from a single-PT_LOAD program by converting another header', () => {
    const one = synthElf({entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 0x80}, {type: 0x6474e551, flags: 6, vaddr: 0n, filesz: 0}]})
    const l = loads(generateTestImages(one).seg_overlap)
    expect(l).toHaveLength(2)
    expect(l[1].vaddr).toBe(l[0].vaddr)
  })

  it('huge_memsz has p_memsz 2^62', () => {
    expect(loads(images.huge_memsz).some((p) => p.memsz === 1n << 62n)).toBe(true)
  })

  it('wrapping_vaddr has p_vaddr + p_memsz past 2^64', () => {
    const w = loads(images.wrapping_vaddr).filter((p) => p.vaddr + p.memsz >= U64)
    expect(w).toHaveLength(1)
    expect((w[0].vaddr + w[0].memsz) % U64).toBe(0x1000n)
  })

  it('phnum_huge claims far more program headers than the file holds', () => {
    // 0xfff0: below PN_XNUM (0xffff), which means "the count is elsewhere".
    expect(images.phnum_huge.readUInt16LE(56)).toBe(0xfff0)
    expect(headerDiff(src, images.phnum_huge)).toEqual([56, 57].filter((i) => src[i] !== images.phnum_huge[i]))
    expect(() => parseElf(images.phnum_huge)).toThrow(/past end of file/)
  })

  it('entry_outside has e_entry in no segment, in user space', () => {
    const img = parseElf(images.entry_outside)
    expect(img.phdrs.some((p) => p.type === PT_LOAD && img.entry >= p.vaddr && img.entry < p.vaddr + p.memsz)).toBe(false)
    const maxEnd = loads(src).reduce((m, p) => (p.vaddr + p.memsz > m ? p.vaddr + p.memsz : m), 0n)
    expect(img.entry).toBe(((maxEnd + 0xfffn) & ~0xfffn) + 0x10000n)
    expect(checkUserImage(images.entry_outside, 'x').problems).toEqual([expect.stringMatching(/entry point/)])
  })

  it('every image but good is refused by the user-program checks', () => {
    for (const n of TEST_IMAGE_NAMES) expect(checkUserImage(images[n], n).ok, n).toBe(n === 'good')
  })

  it('refuses a source that is not ELF64', () => {
    expect(() => generateTestImages(synthElf({class: 32, entry: 0x401000n, segments: [{flags: 5, vaddr: 0x401000n, filesz: 4}]}))).toThrow(/ELF64/)
  })
})
