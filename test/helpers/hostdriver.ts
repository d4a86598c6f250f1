// Builds a tools/net host test driver with the portable network stack
// (sanitizers on, warnings are errors), runs it and checks its KTAP: exit 0,
// a plan, one "ok" per planned case, no "not ok". Returns its stdout for
// the caller's own checks.
import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {expect} from 'vitest'
import {NET_STACK_SOURCES, SANITIZE_FLAGS, hostBuild} from '../../src/builder/hostcc.js'

const root = path.resolve(import.meta.dirname, '../..')

export function runNetHostDriver(driver: string, extraSources: string[] = []): string {
  const name = path.basename(driver, '.c')
  const out = path.join(mkdtempSync(path.join(tmpdir(), `kos-${name}-`)), name)
  hostBuild(root, {sources: [...NET_STACK_SOURCES, ...extraSources, driver], out, extraFlags: ['-Werror', ...SANITIZE_FLAGS]})
  const run = spawnSync(out, {encoding: 'utf8'})
  const text = `${run.stdout}\n${run.stderr}`
  expect(run.status, text).toBe(0)
  const plan = /^1\.\.(\d+)$/m.exec(run.stdout)
  expect(plan, text).not.toBeNull()
  const oks = run.stdout.split('\n').filter((l) => /^ok \d+ /.test(l))
  expect(oks.length, text).toBe(Number(plan![1]))
  expect(run.stdout).not.toMatch(/^not ok/m)
  return run.stdout
}
