// A "newc" cpio archive (the format Linux unpacks as its initramfs,
// Documentation/driver-api/early-userspace/buffer-format.rst): each entry is
// a 110-byte ASCII header of 13 eight-digit hex fields, the NUL-terminated
// name, padding to 4 bytes, the data, padding to 4 bytes; "TRAILER!!!" ends it.

export type CpioEntry =
  | {kind: 'dir'; path: string}
  | {kind: 'file'; path: string; data: Uint8Array; mode?: number}
  | {kind: 'chardev'; path: string; major: number; minor: number}

const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFCHR = 0o020000

function pad4(n: number): number {
  return (4 - (n % 4)) % 4
}

function header(ino: number, mode: number, size: number, nameSize: number, rdev: [number, number]): string {
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, rdev[0], rdev[1], nameSize, 0]
  return '070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('')
}

/** The archive's bytes; paths are relative to the root ("init", "bin/busybox"). */
export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const push = (name: string, mode: number, data: Uint8Array, rdev: [number, number], ino: number) => {
    const nameBytes = Buffer.from(name + '\0', 'utf8')
    const head = Buffer.from(header(ino, mode, data.length, nameBytes.length, rdev), 'ascii')
    parts.push(head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length)))
    parts.push(Buffer.from(data), Buffer.alloc(pad4(data.length)))
  }
  entries.forEach((e, i) => {
    if (e.path.startsWith('/') || e.path === '') throw new Error(`cpio: "${e.path}" must be a relative path`)
    if (e.kind === 'dir') push(e.path, S_IFDIR | 0o755, new Uint8Array(0), [0, 0], i + 1)
    else if (e.kind === 'file') push(e.path, S_IFREG | (e.mode ?? 0o644), e.data, [0, 0], i + 1)
    else push(e.path, S_IFCHR | 0o600, new Uint8Array(0), [e.major, e.minor], i + 1)
  })
  push('TRAILER!!!', 0, new Uint8Array(0), [0, 0], 0)
  return Buffer.concat(parts)
}
