// The syscall table the report shows, read from the kernel's sources: the
// numbers (kos/syscall.h) and the handlers of the dispatch table (sys/syscall.c).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export const SYSCALL_HEADER = 'kernel/include/kos/syscall.h'
export const SYSCALL_TABLE = 'kernel/sys/syscall.c'

/** What the kernel's sources say about its syscalls. */
export interface SyscallSource {
  /** SYS_NAME -> number. */
  numbers: Map<string, number>
  /** SYS_NAME -> kernel handler, for the numbers that have one. */
  handlers: Map<string, string>
  /** Which source files were there to read. */
  header: boolean
  table: boolean
}

function stripComments(c: string): string {
  return c.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

/** Table-size constants that share the SYS_ prefix but are not syscalls. */
const SENTINEL = /^SYS_(MAX|COUNT|NR|NUM|LAST|TOTAL|LIMIT)$/

/** `#define SYS_NAME N` lines of the syscall number header. */
export function parseSyscallHeader(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of stripComments(text).matchAll(/^[ \t]*#[ \t]*define[ \t]+(SYS_[A-Z0-9_]+)[ \t]+\(?[ \t]*(0x[0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?[ \t]*$/gm)) {
    if (!SENTINEL.test(m[1])) out.set(m[1], Number(m[2]))
  }
  return out
}

/** `[SYS_NAME] = handler,` entries of the dispatch table. */
export function parseSyscallTable(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of stripComments(text).matchAll(/\[[ \t]*(SYS_[A-Z0-9_]+)[ \t]*\][ \t]*=[ \t]*\(?[^,;\n]*?([A-Za-z_]\w*)[ \t]*(?:,|$)/gm)) {
    // A NULL slot is no handler: the number still returns -ENOSYS.
    if (!SENTINEL.test(m[1]) && m[2] !== 'NULL') out.set(m[1], m[2])
  }
  return out
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

export function readSyscalls(root: string): SyscallSource {
  const headerText = readOptional(join(root, SYSCALL_HEADER))
  const tableText = readOptional(join(root, SYSCALL_TABLE))
  return {
    numbers: headerText === null ? new Map() : parseSyscallHeader(headerText),
    handlers: tableText === null ? new Map() : parseSyscallTable(tableText),
    header: headerText !== null,
    table: tableText !== null,
  }
}
