// Loading test-suites/*.ts and checking every case definition.
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {listProfiles} from '../qemu/profile.js'
import type {CaseDef} from './types.js'
import {ISO_ENTRIES} from '../image/index.js'

export class SuiteError extends Error {}

export interface LoadedCase extends CaseDef {
  /** Suite file the case came from, relative to the repository root. */
  file: string
}

let tsxRegistered = false

/**
 * Suite files are TypeScript. Under tsx (bin/dev.js) and vitest they import as they are;
 * from the compiled dist/ (bin/run.js) tsx's ESM loader is registered first.
 */
async function ensureTypeScriptImports(): Promise<void> {
  if (tsxRegistered) return
  tsxRegistered = true
  if (import.meta.url.endsWith('.ts')) return
  const {register} = await import('tsx/esm/api')
  register()
}

const ID_RE = /^[a-z0-9][a-z0-9_.-]*$/i

/** Checks one case; problems name the file, the case and the field. */
export function validateCase(value: unknown, where: string, profiles: readonly string[]): CaseDef {
  const fail = (field: string, problem: string): never => {
    throw new SuiteError(`${where}: field "${field}" ${problem}`)
  }
  if (typeof value !== 'object' || value === null) throw new SuiteError(`${where}: a case must be an object`)
  const c = value as Record<string, unknown>
  if (typeof c.id !== 'string' || !ID_RE.test(c.id)) fail('id', 'must be a string of letters, digits, "_", "-", "."')
  if (!Number.isInteger(c.phase) || (c.phase as number) < 0) fail('phase', 'must be a non-negative integer')
  if (typeof c.title !== 'string' || c.title.trim() === '') fail('title', 'must be a non-empty string')
  for (const key of ['components', 'syscalls'] as const) {
    if (!Array.isArray(c[key]) || !(c[key] as unknown[]).every((x) => typeof x === 'string')) fail(key, 'must be an array of strings')
  }
  if (typeof c.profile !== 'string') fail('profile', 'must be a profile name')
  if (!profiles.includes(c.profile as string)) fail('profile', `names unknown profile "${c.profile}" (have: ${profiles.join(', ') || 'none'})`)
  if (typeof c.append !== 'string') fail('append', 'must be a string (the kernel command line)')
  if (typeof c.timeoutSec !== 'number' || !Number.isFinite(c.timeoutSec) || c.timeoutSec <= 0) fail('timeoutSec', 'must be a number of seconds > 0')
  if (c.guests !== undefined && (!Number.isInteger(c.guests) || (c.guests as number) < 1 || (c.guests as number) > 16)) fail('guests', 'must be an integer 1..16')
  if (c.needsNetAdmin !== undefined && typeof c.needsNetAdmin !== 'boolean') fail('needsNetAdmin', 'must be a boolean')
  if (c.needsNetem !== undefined && typeof c.needsNetem !== 'boolean') fail('needsNetem', 'must be a boolean')
  if (c.boot !== undefined) {
    const b = c.boot as Record<string, unknown>
    if (typeof b !== 'object' || b === null || !['bios', 'uefi'].includes(b.firmware as string)) fail('boot', 'must be {firmware: "bios" | "uefi", entry: string}')
    const entry = ISO_ENTRIES.find((e) => e.id === b.entry)
    if (!entry) fail('boot.entry', `names unknown boot menu entry "${String(b.entry)}" (have: ${ISO_ENTRIES.map((e) => e.id).join(', ')})`)
    if (entry!.append !== c.append) fail('append', `must be the command line of boot menu entry "${entry!.id}" ("${entry!.append}"): GRUB passes that one`)
  }
  if (c.peer !== undefined) {
    const p = c.peer as Record<string, unknown>
    if (typeof p !== 'object' || p === null || typeof p.name !== 'string' || p.name === '') fail('peer', 'must be {name: string, options?: object}')
  }
  if (c.expect !== undefined) {
    const e = c.expect as Record<string, unknown>
    if (typeof e !== 'object' || e === null) fail('expect', 'must be an object')
    if (e.log !== undefined && (!Array.isArray(e.log) || !e.log.every((x) => typeof x === 'string' && x !== ''))) fail('expect.log', 'must be an array of non-empty strings')
    if (e.status !== undefined && !['pass', 'fail', 'skip', 'timeout', 'crash', 'error'].includes(e.status as string)) fail('expect.status', 'must be a case status')
    if (e.crashReason !== undefined && typeof e.crashReason !== 'string') fail('expect.crashReason', 'must be a string')
  }
  return c as unknown as CaseDef
}

/** Loads every `*.ts` suite in `dir` (relative to repoRoot or absolute). */
export async function loadSuites(repoRoot: string, dir = 'test-suites', opts: {exclude?: string[]} = {}): Promise<LoadedCase[]> {
  const absDir = path.resolve(repoRoot, dir)
  if (!existsSync(absDir)) throw new SuiteError(`suite directory ${dir} does not exist`)
  const files = readdirSync(absDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !(opts.exclude ?? []).includes(f))
    .sort()
  const profiles = listProfiles(repoRoot)
  await ensureTypeScriptImports()
  const out: LoadedCase[] = []
  const seen = new Map<string, string>()
  for (const f of files) {
    const abs = path.join(absDir, f)
    const rel = path.relative(repoRoot, abs)
    let mod: Record<string, unknown>
    try {
      mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>
    } catch (error) {
      throw new SuiteError(`${rel}: cannot load: ${(error as Error).message.split('\n')[0]}`)
    }
    if (!Array.isArray(mod.cases)) throw new SuiteError(`${rel}: must export "cases" (an array of CaseDef)`)
    mod.cases.forEach((value, i) => {
      const id = typeof (value as {id?: unknown})?.id === 'string' ? (value as {id: string}).id : `#${i}`
      const def = validateCase(value, `${rel}: case ${id}`, profiles)
      const prev = seen.get(def.id)
      if (prev) throw new SuiteError(`${rel}: case ${def.id}: field "id" is not unique (also in ${prev})`)
      seen.set(def.id, rel)
      out.push({...def, file: rel})
    })
  }
  return out
}
