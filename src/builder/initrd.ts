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

export function validateEntries(entries: InitrdEntry[]): void {
  const seen = new Map<string, string>()
  for (const e of entries) {
    const name = memberName(e.archivePath)
    // ustar: name up to 100 bytes, or prefix (155) + name (100) split at a '/'.
    if (Buffer.byteLength(name) > 255) throw new Error(`initrd: path too long for ustar: ${e.archivePath}`)
    const prev = seen.get(name)
    if (prev) throw new Error(`initrd: ${e.archivePath} comes from both ${prev} and ${e.source}`)
    seen.set(name, e.source)
  }
}

export async function packInitrd(root: string, entries: InitrdEntry[], outFile: string): Promise<void> {
  validateEntries(entries)
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
