// Where the official WebAssembly core test suites are: one setting for every user
// (the spec tests, `kos wasm spec` examples, CI). KOS_WASM_SPEC names the 1.0 suite's
// directory, KOS_WASM_SPEC_2 the 2.0 one; without them, ../shared/wasm-spec and
// ../shared/wasm-spec-2.0 beside the clone when they exist. CI on GitHub checks out
// WebAssembly/testsuite at the pinned commits and sets them.
import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

export type SpecSuiteName = '1.0' | '2.0'

const SUITES: Record<SpecSuiteName, {env: string; shared: string; commit: string}> = {
  '1.0': {env: 'KOS_WASM_SPEC', shared: 'wasm-spec', commit: 'c70c3c8'},
  '2.0': {env: 'KOS_WASM_SPEC_2', shared: 'wasm-spec-2.0', commit: '3a04b2c'},
}

export type SpecSuiteLocation = {dir: string; from: string} | {dir: null; reason: string}

/** The suite's directory and where the setting came from, or why there is none. */
export function locateSpecSuite(repoRoot: string, name: SpecSuiteName, env: NodeJS.ProcessEnv = process.env): SpecSuiteLocation {
  const s = SUITES[name]
  const hasWast = (dir: string) => existsSync(dir) && statSync(dir).isDirectory() && readdirSync(dir).some((f) => f.endsWith('.wast'))
  const fromEnv = env[s.env]
  if (fromEnv !== undefined && fromEnv !== '') {
    const dir = path.resolve(repoRoot, fromEnv)
    // A setting that points nowhere is a mistake to name, not a reason to skip quietly.
    if (!hasWast(dir)) return {dir: null, reason: `${s.env}=${fromEnv}: no .wast files there`}
    return {dir, from: s.env}
  }
  const shared = path.resolve(repoRoot, '..', 'shared', s.shared)
  if (hasWast(shared)) return {dir: shared, from: `../shared/${s.shared}`}
  return {
    dir: null,
    reason: `WebAssembly ${name} spec suite not found: set ${s.env} to a checkout of WebAssembly/testsuite at ${s.commit} or provide ../shared/${s.shared}`,
  }
}
