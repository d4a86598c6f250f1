// Toolchain profiles (toolchain/*.json) and resolution of the programs they name.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {runTool, which} from '../util/spawn.js'

export type ProfileName = 'kernel' | 'user' | 'wasm' | 'host'

export interface ToolchainProfile {
  description?: string
  /** role (cc, ld, objcopy) -> candidate program names, preferred first. */
  tools: Record<string, string[]>
  cflags: string[]
  asflags?: string[]
  ldflags?: string[]
  noFpuFlags?: string[]
  fpuDirs?: string[]
  fpuFlags?: string[]
  objcopy32?: string[]
  watFeatures?: Record<string, boolean>
  /** Extra C flags of a build variant (sanitize, coverage), after cflags. */
  variants?: Record<string, string[]>
}

export interface PackageList {
  packages: string[]
  tools: Record<string, string>
}

export class ToolMissingError extends Error {}

export function loadProfile(root: string, name: ProfileName): ToolchainProfile {
  const file = path.join(root, 'toolchain', `${name}.json`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`toolchain profile ${file}: ${(error as Error).message}`)
  }
  const p = data as ToolchainProfile
  if (!p || typeof p !== 'object' || !p.tools || !Array.isArray(p.cflags)) {
    throw new Error(`toolchain profile ${file}: needs "tools" and "cflags"`)
  }
  return p
}

export function loadPackageList(root: string): PackageList {
  const file = path.join(root, 'toolchain', 'packages.json')
  const p = JSON.parse(readFileSync(file, 'utf8')) as PackageList
  if (!Array.isArray(p.packages)) throw new Error(`${file}: needs a "packages" array`)
  return p
}

/** Picks the first candidate found on PATH; the error names the package to install. */
export function resolveTool(candidates: string[], packages: PackageList, lookup: (n: string) => string | undefined = which): string {
  for (const c of candidates) {
    const found = lookup(c)
    if (found) return found
  }
  const pkg = packages.tools[candidates[0]] ?? candidates[0]
  throw new ToolMissingError(
    `${candidates[0]} not found (tried ${candidates.join(', ')}): install the Debian package ${pkg} (run: kos setup)`,
  )
}

export interface ResolvedToolchain {
  profile: ToolchainProfile
  tools: Record<string, string>
}

export function resolveProfile(root: string, name: ProfileName, packages = loadPackageList(root)): ResolvedToolchain {
  const profile = loadProfile(root, name)
  const tools: Record<string, string> = {}
  for (const [role, candidates] of Object.entries(profile.tools)) tools[role] = resolveTool(candidates, packages)
  return {profile, tools}
}

export interface ToolReport {
  name: string
  required: boolean
  path?: string
  version?: string
  package: string
  purpose: string
}

/** What `kos doctor` checks: each program, whether the build or the runner needs it. */
export const DOCTOR_TOOLS: Array<{candidates: string[]; required: boolean; purpose: string; versionArgs?: string[]}> = [
  {candidates: ['clang-19', 'clang'], required: true, purpose: 'compile kernel, user programs, wasm'},
  {candidates: ['ld.lld-19', 'ld.lld'], required: true, purpose: 'link kernel and user programs'},
  {candidates: ['llvm-objcopy-19', 'llvm-objcopy'], required: true, purpose: 'kernel.elf -> kernel32.elf'},
  {candidates: ['cc', 'gcc'], required: true, purpose: 'host build of the wasm interpreter'},
  {candidates: ['qemu-system-x86_64'], required: true, purpose: 'boot the kernel'},
  {candidates: ['llvm-symbolizer-19', 'llvm-symbolizer'], required: false, purpose: 'symbolize crash addresses'},
  {candidates: ['wast2json'], required: false, purpose: 'wasm spec tests'},
  {candidates: ['wasm-interp'], required: false, purpose: 'reference wasm interpreter'},
  {candidates: ['ip'], required: false, purpose: 'network namespaces / TAP cases', versionArgs: ['-V']},
  {candidates: ['ping'], required: false, purpose: 'network cases', versionArgs: ['-V']},
  {candidates: ['grub-mkrescue'], required: false, purpose: 'kos image and the ISO boot cases'},
  {candidates: ['xorriso'], required: false, purpose: 'kos image (grub-mkrescue writes the ISO with it)', versionArgs: ['-version']},
]

export async function inspectTools(root: string): Promise<ToolReport[]> {
  const packages = loadPackageList(root)
  const out: ToolReport[] = []
  for (const t of DOCTOR_TOOLS) {
    const name = t.candidates[0]
    const pkg = packages.tools[name] ?? name
    const found = t.candidates.map((c) => which(c)).find(Boolean)
    const report: ToolReport = {name, required: t.required, package: pkg, purpose: t.purpose, path: found}
    if (found) {
      const r = await runTool(found, t.versionArgs ?? ['--version'], {timeoutMs: 10_000})
      const line = (r.stdout + r.stderr).split('\n').map((l) => l.trim()).find((l) => /\d/.test(l))
      report.version = line ? extractVersion(line) : 'unknown'
    }
    out.push(report)
  }
  return out
}

export function extractVersion(line: string): string {
  const m = /(\d+\.\d+(?:\.\d+)?(?:[-~.+\w]*)?)/.exec(line) ?? /(\d{2,})/.exec(line)
  return m ? m[1] : line
}
