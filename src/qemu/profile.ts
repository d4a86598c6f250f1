// Machine profiles: qemu/NAME.json -> a validated MachineProfile.
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'

/**
 * One machine profile. `args` are extra QEMU arguments appended as they are;
 * `{name}` placeholders in them are filled from the vars passed to qemuArgv
 * (e.g. `hostfwd=udp:127.0.0.1:{hostPort}-10.0.2.15:7`, `mac={mac}`), so a
 * profile never hard-codes per-run ports or device names.
 */
export interface MachineProfile {
  name: string
  file: string
  description: string
  machine: string
  memory: string
  cpu: string
  smp: number
  args: string[]
}

export class ProfileError extends Error {}

const FIELDS: Record<string, (v: unknown) => string | null> = {
  description: (v) => (typeof v === 'string' ? null : 'must be a string'),
  machine: (v) => (typeof v === 'string' && /^[\w.-]+$/.test(v) ? null : 'must be a machine type such as "pc" or "q35"'),
  memory: (v) => (typeof v === 'string' && /^\d+[MG]$/.test(v) ? null : 'must look like "256M" or "1G"'),
  cpu: (v) => (typeof v === 'string' && /^[\w.,+=-]+$/.test(v) ? null : 'must be a CPU model such as "max"'),
  smp: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 64 ? null : 'must be an integer 1..64'),
  args: (v) => (Array.isArray(v) && v.every((a) => typeof a === 'string') ? null : 'must be an array of strings'),
}

export function profileDir(repoRoot: string): string {
  return path.join(repoRoot, 'qemu')
}

export function listProfiles(repoRoot: string): string[] {
  const dir = profileDir(repoRoot)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort()
}

/** Validates parsed JSON as a profile; errors name the file and the field. */
export function validateProfile(name: string, file: string, value: unknown): MachineProfile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProfileError(`${file}: must be a JSON object`)
  const obj = value as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!(key in FIELDS)) throw new ProfileError(`${file}: unknown field "${key}" (known: ${Object.keys(FIELDS).join(', ')})`)
    const problem = FIELDS[key](obj[key])
    if (problem) throw new ProfileError(`${file}: field "${key}" ${problem}`)
  }
  return {
    name,
    file,
    description: (obj.description as string | undefined) ?? '',
    machine: (obj.machine as string | undefined) ?? 'pc',
    memory: (obj.memory as string | undefined) ?? '256M',
    cpu: (obj.cpu as string | undefined) ?? 'max',
    smp: (obj.smp as number | undefined) ?? 1,
    args: (obj.args as string[] | undefined) ?? [],
  }
}

export function loadProfile(repoRoot: string, name: string): MachineProfile {
  if (!/^[\w.-]+$/.test(name)) throw new ProfileError(`bad profile name "${name}"`)
  const file = path.join('qemu', `${name}.json`)
  const abs = path.join(repoRoot, file)
  if (!existsSync(abs)) {
    throw new ProfileError(`unknown machine profile "${name}": ${file} does not exist (have: ${listProfiles(repoRoot).join(', ') || 'none'})`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(abs, 'utf8'))
  } catch (error) {
    throw new ProfileError(`${file}: not valid JSON: ${(error as Error).message}`)
  }
  return validateProfile(name, file, parsed)
}
