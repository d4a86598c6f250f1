// The initrd: a ustar archive (tar-stream) the kernel receives as a multiboot module.
import {createWriteStream, mkdirSync, readFileSync, renameSync} from 'node:fs'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import tar from 'tar-stream'

export interface InitrdEntry {
  /** Path inside the archive, absolute as the kernel sees it ("/bin/hello"). */
  archivePath: string
  /** File on the host, relative to the repository root. */
  source: string
  mode: number
}

/** Fixed timestamp: the same inputs give a byte-identical archive. */
const INITRD_MTIME = new Date(0)

/** Archive member name: ustar names carry no leading "/" (tar convention). */
export function memberName(archivePath: string): string {
  return archivePath.replace(/^\/+/, '')
}

/** What the kernel's initrd index accepts (kernel/include/kos/initrd.h). */
export interface InitrdLimits {
  maxEntries: number
  nameMax: number
}

export const INITRD_LIMITS_HEADER = 'kernel/include/kos/initrd.h'

/** The limits as the kernel defines them; a header without them is an error, not a default. */
export function readInitrdLimits(root: string): InitrdLimits {
  const file = path.resolve(root, INITRD_LIMITS_HEADER)
  const text = readFileSync(file, 'utf8')
  const num = (name: string): number => {
    const m = new RegExp(`^#define\\s+${name}\\s+(\\d+)\\b`, 'm').exec(text)
    if (!m) throw new Error(`initrd: ${INITRD_LIMITS_HEADER} does not define ${name}`)
    return Number(m[1])
  }
  return {maxEntries: num('KOS_INITRD_MAX_ENTRIES'), nameMax: num('KOS_INITRD_NAME_MAX')}
}

export function validateEntries(entries: InitrdEntry[], limits: InitrdLimits): void {
  if (entries.length > limits.maxEntries)
    throw new Error(
      `initrd: ${entries.length} entries, more than the ${limits.maxEntries} the kernel indexes (KOS_INITRD_MAX_ENTRIES in ${INITRD_LIMITS_HEADER})`,
    )
  const seen = new Map<string, string>()
  for (const e of entries) {
    const name = memberName(e.archivePath)
    // ustar: name up to 100 bytes, or prefix (155) + name (100) split at a '/'.
    if (Buffer.byteLength(name) > limits.nameMax)
      throw new Error(`initrd: path too long for ustar (over ${limits.nameMax} bytes): ${e.archivePath}`)
    const prev = seen.get(name)
    if (prev) throw new Error(`initrd: ${e.archivePath} comes from both ${prev} and ${e.source}`)
    seen.set(name, e.source)
  }
}

export async function packInitrd(root: string, entries: InitrdEntry[], outFile: string, limits: InitrdLimits): Promise<void> {
  validateEntries(entries, limits)
  const sorted = [...entries].sort((a, b) => (a.archivePath < b.archivePath ? -1 : a.archivePath > b.archivePath ? 1 : 0))
  const out = path.resolve(root, outFile)
  mkdirSync(path.dirname(out), {recursive: true})
  const tmp = out + '.tmp'
  const pack = tar.pack()
  const done = pipeline(pack, createWriteStream(tmp))
  for (const e of sorted) {
    const data = readFileSync(path.resolve(root, e.source))
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {name: memberName(e.archivePath), size: data.length, mode: e.mode, mtime: INITRD_MTIME, type: 'file', uid: 0, gid: 0, uname: 'root', gname: 'root'},
        data,
        (err) => (err ? reject(err) : resolve()),
      )
    })
  }
  pack.finalize()
  await done
  renameSync(tmp, out)
}
