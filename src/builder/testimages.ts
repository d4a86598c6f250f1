// Malformed ELF images for the kernel ELF loader's tests, made by mutating one
// known-good user program (build/user/hello.elf). Each image has exactly the
// defect its name says; good.elf is the unmodified control case.
import {ELFCLASS32, EM_386, ET_REL, PF_R, PF_W, PT_LOAD, parseElf} from '../elf/parse.js'

export const TEST_IMAGE_NAMES = [
  'good', 'truncated', 'bad_magic', 'wrong_class', 'wrong_machine', 'wrong_type', 'seg_outside_file',
  'seg_kernel_half', 'seg_overlap', 'huge_memsz', 'wrapping_vaddr', 'phnum_huge', 'entry_outside',
] as const
export type TestImageName = (typeof TEST_IMAGE_NAMES)[number]

export const KERNEL_HALF_BASE = 0xffff_8000_0000_0000n
const U64 = (1n << 64n) - 1n

// ELF64 offsets (System V gABI).
const E_TYPE = 16
const E_MACHINE = 18
const E_ENTRY = 24
const E_PHNUM = 56
const P_FLAGS = 4
const P_OFFSET = 8
const P_VADDR = 16
const P_PADDR = 24
const P_FILESZ = 32
const P_MEMSZ = 40
const P_ALIGN = 48

/** Builds every test image from a valid static ELF64 user program with at least two PT_LOAD segments. */
export function generateTestImages(good: Buffer): Record<TestImageName, Buffer> {
  const img = parseElf(good)
  if (img.class !== 64) throw new Error('test images: the source program must be ELF64')
  const loads = img.phdrs.filter((p) => p.type === PT_LOAD)
  if (loads.length === 0) throw new Error('test images: the source program has no PT_LOAD segment')
  const phOff = (i: number) => Number(img.phoff) + i * img.phentsize
  const first = loads[0]
  const last = loads[loads.length - 1]
  const withFile = loads.find((p) => p.filesz > 0n) ?? first
  const copy = () => Buffer.from(good)

  const truncated = good.subarray(0, Number(img.phoff) + Math.floor((img.phnum * img.phentsize) / 2))

  const badMagic = copy()
  badMagic[3] = 0x58 // "\x7fELX"

  const wrongClass = copy()
  wrongClass[4] = ELFCLASS32

  const wrongMachine = copy()
  wrongMachine.writeUInt16LE(EM_386, E_MACHINE)

  const wrongType = copy()
  wrongType.writeUInt16LE(ET_REL, E_TYPE)

  // Past EOF but still congruent with p_vaddr modulo the page size, so only the file range is wrong.
  const outside = copy()
  const pastEof = ((BigInt(good.length) + 0xfffn) & ~0xfffn) + (withFile.vaddr & 0xfffn)
  outside.writeBigUInt64LE(pastEof, phOff(withFile.index) + P_OFFSET)

  // Move the code segment (and the entry with it) into the kernel half.
  const kernelHalf = copy()
  const khVaddr = KERNEL_HALF_BASE + (first.vaddr & 0xfffn)
  kernelHalf.writeBigUInt64LE(khVaddr, phOff(first.index) + P_VADDR)
  kernelHalf.writeBigUInt64LE(khVaddr, phOff(first.index) + P_PADDR)
  if (img.entry >= first.vaddr && img.entry < first.vaddr + first.memsz) {
    kernelHalf.writeBigUInt64LE(img.entry - first.vaddr + khVaddr, E_ENTRY)
  }

  // A second PT_LOAD mapped onto exactly the bytes of the first. With a single
  // PT_LOAD, another header (e.g. PT_GNU_STACK) is turned into that second one.
  const overlap = copy()
  const second = loads[1] ?? img.phdrs.find((p) => p.type !== PT_LOAD)
  if (!second) throw new Error('test images: the source program needs a second program header to make seg_overlap')
  const o2 = phOff(second.index)
  if (second.type !== PT_LOAD) {
    overlap.writeUInt32LE(PT_LOAD, o2)
    overlap.writeUInt32LE(PF_R | PF_W, o2 + P_FLAGS)
    overlap.writeBigUInt64LE(0x1000n, o2 + P_ALIGN)
  }
  const ovFilesz = second.type === PT_LOAD && second.filesz < first.filesz ? second.filesz : first.filesz
  overlap.writeBigUInt64LE(first.vaddr, o2 + P_VADDR)
  overlap.writeBigUInt64LE(first.paddr, o2 + P_PADDR)
  overlap.writeBigUInt64LE(first.offset, o2 + P_OFFSET)
  overlap.writeBigUInt64LE(ovFilesz, o2 + P_FILESZ)
  overlap.writeBigUInt64LE(second.type === PT_LOAD && second.memsz > ovFilesz ? second.memsz : ovFilesz, o2 + P_MEMSZ)

  const hugeMemsz = copy()
  hugeMemsz.writeBigUInt64LE(1n << 62n, phOff(last.index) + P_MEMSZ)

  // p_vaddr + p_memsz wraps past 2^64 and lands at 0x1000.
  const wrapping = copy()
  wrapping.writeBigUInt64LE((U64 - last.vaddr + 0x1001n) & U64, phOff(last.index) + P_MEMSZ)

  const phnumHuge = copy()
  phnumHuge.writeUInt16LE(0xfff0, E_PHNUM) // below PN_XNUM (0xffff), which has its own meaning

  const entryOutside = copy()
  const maxEnd = loads.reduce((m, p) => (p.vaddr + p.memsz > m ? p.vaddr + p.memsz : m), 0n)
  entryOutside.writeBigUInt64LE(((maxEnd + 0xfffn) & ~0xfffn) + 0x10000n, E_ENTRY)

  return {
    good: copy(),
    truncated: Buffer.from(truncated),
    bad_magic: badMagic,
    wrong_class: wrongClass,
    wrong_machine: wrongMachine,
    wrong_type: wrongType,
    seg_outside_file: outside,
    seg_kernel_half: kernelHalf,
    seg_overlap: overlap,
    huge_memsz: hugeMemsz,
    wrapping_vaddr: wrapping,
    phnum_huge: phnumHuge,
    entry_outside: entryOutside,
  }
}
