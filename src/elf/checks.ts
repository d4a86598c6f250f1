// Image checks run after linking: a bad kernel or user program fails the build
// with a message naming what is wrong, instead of failing mysteriously in QEMU.
import {readFileSync} from 'node:fs'
import {
  EM_386, EM_X86_64, ET_EXEC, PF_W, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD,
  type ElfImage, ElfFormatError, flagString, hex, parseElf,
} from './parse.js'

export const MULTIBOOT_MAGIC = 0x1badb002
export const MULTIBOOT_SEARCH_BYTES = 8192
export const USER_MIN_VADDR = 0x400000n
/** Exclusive end of the lower canonical half. */
export const USER_END_VADDR = 0x0000_8000_0000_0000n

export interface CheckResult {
  ok: boolean
  problems: string[]
}

/** Finds a multiboot (v1) header: 4-byte aligned, in the first 8 KiB, magic+flags+checksum == 0 (mod 2^32). */
export function findMultibootHeader(buf: Buffer): {offset: number; flags: number} | undefined {
  const limit = Math.min(buf.length, MULTIBOOT_SEARCH_BYTES) - 12
  for (let off = 0; off <= limit; off += 4) {
    if (buf.readUInt32LE(off) !== MULTIBOOT_MAGIC) continue
    const flags = buf.readUInt32LE(off + 4)
    const checksum = buf.readUInt32LE(off + 8)
    if (((MULTIBOOT_MAGIC + flags + checksum) >>> 0) === 0) return {offset: off, flags}
  }
  return undefined
}

function loadSegments(img: ElfImage) {
  return img.phdrs.filter((p) => p.type === PT_LOAD)
}

function wxProblems(img: ElfImage, what: string): string[] {
  return loadSegments(img)
    .filter((p) => (p.flags & PF_W) !== 0 && (p.flags & PF_X) !== 0)
    .map((p) => `${what}: PT_LOAD segment ${p.index} at ${hex(p.vaddr)} is writable and executable (${flagString(p.flags)})`)
}

function entryInExecSegment(img: ElfImage, alsoPhysical: boolean): boolean {
  return loadSegments(img).some((p) => {
    if ((p.flags & PF_X) === 0 || p.memsz === 0n) return false
    const inV = img.entry >= p.vaddr && img.entry < p.vaddr + p.memsz
    const inP = alsoPhysical && img.entry >= p.paddr && img.entry < p.paddr + p.memsz
    return inV || inP
  })
}

function parseOrProblem(buf: Buffer, what: string): ElfImage | string {
  try {
    return parseElf(buf)
  } catch (error) {
    if (error instanceof ElfFormatError) return `${what}: ${error.message}`
    throw error
  }
}

/**
 * Kernel: kernel.elf is ELF64 x86-64 with its entry in an executable PT_LOAD (by
 * virtual or physical address: the multiboot entry runs before paging), no W+X
 * PT_LOAD; kernel32.elf (what QEMU boots) is ELF32 i386 with a valid multiboot header.
 */
export function checkKernelImages(elf64: Buffer, elf32: Buffer, names = {elf64: 'kernel.elf', elf32: 'kernel32.elf'}): CheckResult {
  const problems: string[] = []
  const k = parseOrProblem(elf64, names.elf64)
  if (typeof k === 'string') problems.push(k)
  else {
    if (k.class !== 64 || k.machine !== EM_X86_64) problems.push(`${names.elf64}: not an ELF64 x86-64 image`)
    if (loadSegments(k).length === 0) problems.push(`${names.elf64}: no PT_LOAD segment`)
    if (!entryInExecSegment(k, true)) problems.push(`${names.elf64}: entry point ${hex(k.entry)} is not inside a loaded executable segment`)
    problems.push(...wxProblems(k, names.elf64))
  }
  const k32 = parseOrProblem(elf32, names.elf32)
  if (typeof k32 === 'string') problems.push(k32)
  else if (k32.class !== 32 || k32.machine !== EM_386) problems.push(`${names.elf32}: not an ELF32 i386 image (QEMU's multiboot loader needs one)`)
  if (!findMultibootHeader(elf32)) {
    problems.push(`${names.elf32}: no multiboot header (magic 0x1BADB002 with valid checksum, 4-byte aligned) in the first ${MULTIBOOT_SEARCH_BYTES} bytes`)
  }
  return {ok: problems.length === 0, problems}
}

/** User program: static ELF64 x86-64 ET_EXEC, segments in 0x400000..0x7fffffffffff, no W+X, entry in code. */
export function checkUserImage(buf: Buffer, name: string): CheckResult {
  const img = parseOrProblem(buf, name)
  if (typeof img === 'string') return {ok: false, problems: [img]}
  const problems: string[] = []
  if (img.class !== 64) problems.push(`${name}: not ELF64`)
  if (img.machine !== EM_X86_64) problems.push(`${name}: e_machine ${img.machine} is not x86-64 (${EM_X86_64})`)
  if (img.type !== ET_EXEC) problems.push(`${name}: e_type ${img.type} is not ET_EXEC (${ET_EXEC})`)
  if (img.phdrs.some((p) => p.type === PT_INTERP)) problems.push(`${name}: has PT_INTERP (must be static)`)
  if (img.phdrs.some((p) => p.type === PT_DYNAMIC)) problems.push(`${name}: has PT_DYNAMIC (must be static)`)
  const loads = loadSegments(img)
  if (loads.length === 0) problems.push(`${name}: no PT_LOAD segment`)
  for (const p of loads) {
    const end = p.vaddr + p.memsz
    if (p.vaddr < USER_MIN_VADDR || end > USER_END_VADDR || end < p.vaddr) {
      const wraps = end >= 1n << 64n ? ' (wraps past 2^64)' : ''
      problems.push(`${name}: segment ${p.index} ${hex(p.vaddr)}..${hex(end)}${wraps} is outside user space ${hex(USER_MIN_VADDR)}..${hex(USER_END_VADDR)}`)
    }
    if (p.offset + p.filesz > BigInt(img.size)) problems.push(`${name}: segment ${p.index} file range extends past end of file`)
  }
  // Overlapping segments would map one address twice with different contents or rights.
  for (let i = 0; i < loads.length; i++) {
    for (let j = i + 1; j < loads.length; j++) {
      const a = loads[i]
      const b = loads[j]
      if (a.memsz > 0n && b.memsz > 0n && a.vaddr < b.vaddr + b.memsz && b.vaddr < a.vaddr + a.memsz) {
        problems.push(`${name}: segments ${a.index} and ${b.index} overlap at ${hex(a.vaddr > b.vaddr ? a.vaddr : b.vaddr)}`)
      }
    }
  }
  problems.push(...wxProblems(img, name))
  if (loads.length > 0 && !entryInExecSegment(img, false)) problems.push(`${name}: entry point ${hex(img.entry)} is not inside an executable segment`)
  return {ok: problems.length === 0, problems}
}

export function checkUserFile(file: string, name = file): CheckResult {
  return checkUserImage(readFileSync(file), name)
}

export function checkKernelFiles(elf64: string, elf32: string): CheckResult {
  return checkKernelImages(readFileSync(elf64), readFileSync(elf32), {elf64, elf32})
}
