// Global setup of every vitest project (vitest.config.ts). The config gives the
// run a temporary directory of its own (runTmpdir: TMPDIR of the workers and of
// every program they start); this removes it when the run ends, so tests and
// the kos runs they spawn leave nothing behind in the system's temporary
// directory, also when a test fails.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/** Makes the run's directory and points TMPDIR at it (called by vitest.config.ts, before any worker starts). */
export function runTmpdir(): string {
  // vitest may evaluate its config more than once in a run: one directory.
  const made = process.env.KOS_VITEST_TMPDIR
  if (made && existsSync(made)) return made
  const dir = mkdtempSync(path.join(tmpdir(), 'kos-vitest-'))
  process.env.KOS_VITEST_TMPDIR = dir
  process.env.TMPDIR = dir
  return dir
}

export default function setup(): () => void {
  return () => {
    const dir = process.env.KOS_VITEST_TMPDIR
    if (dir) rmSync(dir, {recursive: true, force: true})
  }
}
