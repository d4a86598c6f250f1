// ELF header and program-header parsing with Buffer + BigInt: 64-bit addresses
// must survive exactly (0xffffffff80000000 is not a safe JS number).

// Values from the System V ABI's ELF chapter: segment types, segment flags,
// file types, machines, classes.
export const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3
export const PF_X = 1, PF_W = 2, PF_R = 4
export const ET_REL = 1, ET_EXEC = 2, ET_DYN = 3
export const EM_386 = 3, EM_X86_64 = 62
export const ELFCLASS32 = 1, ELFCLASS64 = 2

export interface ElfProgramHeader {
  index: number
  type: number
  flags: number
  offset: bigint
  vaddr: bigint
  paddr: bigint
  filesz: bigint
  memsz: bigint
  align: bigint
}

export interface ElfImage {
  class: 32 | 64
  littleEndian: boolean
  type: number
  machine: number
  entry: bigint
  phoff: bigint
  phentsize: number
  phnum: number
  phdrs: ElfProgramHeader[]
  size: number
}

export class ElfFormatError extends Error {}

/** Parses the ELF header and program headers; throws ElfFormatError on anything malformed. */
export function parseElf(buf: Buffer): ElfImage {
  if (buf.length < 16) throw new ElfFormatError(`file too short for an ELF identification (${buf.length} bytes)`)
  if (buf[0] !== 0x7f || buf[1] !== 0x45 || buf[2] !== 0x4c || buf[3] !== 0x46) throw new ElfFormatError('bad ELF magic')
  const cls = buf[4]
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) throw new ElfFormatError(`bad EI_CLASS ${cls}`)
  if (buf[5] !== 1) throw new ElfFormatError(`not little-endian (EI_DATA ${buf[5]})`)
  const is64 = cls === ELFCLASS64
  const ehsize = is64 ? 64 : 52
  if (buf.length < ehsize) throw new ElfFormatError(`file too short for the ELF header (${buf.length} < ${ehsize} bytes)`)
  const u16 = (o: number) => buf.readUInt16LE(o)
  const u32 = (o: number) => buf.readUInt32LE(o)
  const addr = (o: number) => (is64 ? buf.readBigUInt64LE(o) : BigInt(buf.readUInt32LE(o)))
  const type = u16(16)
  const machine = u16(18)
  const entry = addr(24)
  const phoff = addr(is64 ? 32 : 28)
  const phentsize = u16(is64 ? 54 : 42)
  const phnum = u16(is64 ? 56 : 44)
  const wantEnt = is64 ? 56 : 32
  if (phnum > 0 && phentsize < wantEnt) throw new ElfFormatError(`e_phentsize ${phentsize} smaller than ${wantEnt}`)
  const tableEnd = phoff + BigInt(phnum) * BigInt(phentsize)
  if (tableEnd > BigInt(buf.length)) {
    throw new ElfFormatError(`program header table (offset ${phoff}, ${phnum} entries) extends past end of file (${buf.length} bytes)`)
  }
  const phdrs: ElfProgramHeader[] = []
  for (let i = 0; i < phnum; i++) {
    const o = Number(phoff) + i * phentsize
    phdrs.push(
      is64
        ? {index: i, type: u32(o), flags: u32(o + 4), offset: buf.readBigUInt64LE(o + 8), vaddr: buf.readBigUInt64LE(o + 16),
            paddr: buf.readBigUInt64LE(o + 24), filesz: buf.readBigUInt64LE(o + 32), memsz: buf.readBigUInt64LE(o + 40),
            align: buf.readBigUInt64LE(o + 48)}
        : {index: i, type: u32(o), offset: BigInt(u32(o + 4)), vaddr: BigInt(u32(o + 8)), paddr: BigInt(u32(o + 12)),
            filesz: BigInt(u32(o + 16)), memsz: BigInt(u32(o + 20)), flags: u32(o + 24), align: BigInt(u32(o + 28))},
    )
  }
  return {class: is64 ? 64 : 32, littleEndian: true, type, machine, entry, phoff, phentsize, phnum, phdrs, size: buf.length}
}

export function hex(v: bigint | number): string {
  return '0x' + v.toString(16)
}

export function flagString(flags: number): string {
  return (flags & PF_R ? 'R' : '-') + (flags & PF_W ? 'W' : '-') + (flags & PF_X ? 'X' : '-')
}
