// The syscall table the report shows, read from the kernel's one syscall
// list (kos/syscalls.h): numbers and handlers both come from it.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export const SYSCALL_HEADER = 'kernel/include/kos/syscalls.h'

/** What the kernel's sources say about its syscalls. */
export interface SyscallSource {
  /** SYS_NAME -> number. */
  numbers: Map<string, number>
  /** SYS_NAME -> kernel handler, for the numbers that have one. */
  handlers: Map<string, string>
  /** Whether the list was there to read. */
  found: boolean
}

function stripComments(c: string): string {
  return c.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

/** One `X(NUMBER, name, SYS|NOSYS, user_wrapper)` entry of the syscall list (format in its header comment). */
const SYSCALL_ENTRY = /^[ \t]*X\([ \t]*(\d+)[ \t]*,[ \t]*([a-z][a-z0-9_]*)[ \t]*,[ \t]*(SYS|NOSYS)[ \t]*,[ \t]*[A-Za-z_]\w*[ \t]*\)/gm

/** Numbers of the syscall list, by constant name (`SYS_EXIT` for the entry `exit`), reserved ones included. */
export function parseSyscallHeader(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const m of stripComments(text).matchAll(SYSCALL_ENTRY)) out.set(`SYS_${m[2].toUpperCase()}`, Number(m[1]))
  return out
}

/** Handlers of the syscall list: `sys_NAME` for each entry of kind SYS; a NOSYS entry has none (-ENOSYS). */
export function parseSyscallTable(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of stripComments(text).matchAll(SYSCALL_ENTRY)) if (m[3] === 'SYS') out.set(`SYS_${m[2].toUpperCase()}`, `sys_${m[2]}`)
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
  const text = readOptional(join(root, SYSCALL_HEADER))
  if (text === null) return {numbers: new Map(), handlers: new Map(), found: false}
  return {numbers: parseSyscallHeader(text), handlers: parseSyscallTable(text), found: true}
}
