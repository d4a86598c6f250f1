// The whole phase-3 matrix in QEMU: every case passes as root; without
// CAP_NET_ADMIN the TAP cases are skipped with the reason and the rest pass;
// on a host kernel without sch_netem the netem cases are skipped with that reason.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {cases} from '../../test-suites/phase3.js'
import {listLeftovers, netemAvailable} from '../../src/qemu/netns.js'
import {NETEM_SKIP_REASON} from '../../src/suites/run.js'

const root = path.resolve(import.meta.dirname, '../..')
const kos = path.join(root, 'bin', 'dev.js')
const isRoot = process.getuid?.() === 0

describe('phase 3 in QEMU', () => {
  it('passes every case (TAP cases skipped with the reason when not root)', () => {
    execFileSync(process.execPath, ['--import', 'tsx', kos, 'build'], {cwd: root, stdio: 'pipe'})
    const run = spawnSync(process.execPath, ['--import', 'tsx', kos, 'test', '--phase', '3', '--no-build', '--out', mkdtempSync(path.join(os.tmpdir(), 'kos-net-'))], {cwd: root, encoding: 'utf8', timeout: 1_800_000})
    const out = `${run.stdout}\n${run.stderr}`
    for (const c of cases) {
      const line = new RegExp(`^${c.id}\\s+(\\w+)\\s+\\S+ \\S+\\s*(.*)$`, 'm').exec(run.stdout)
      expect(line, `${c.id} missing from the summary:\n${out}`).not.toBeNull()
      const [, status, reason] = line!
      if (c.needsNetAdmin && !isRoot) {
        expect(status, `${c.id}: ${reason}`).toBe('skip')
        expect(reason).toMatch(/CAP_NET_ADMIN/)
      } else if (c.needsNetem && !netemAvailable()) {
        // A host kernel without sch_netem cannot inject faults: skipped with that reason, never passed.
        expect(status, `${c.id}: ${reason}`).toBe('skip')
        expect(reason).toContain(NETEM_SKIP_REASON)
      } else {
        expect(status, `${c.id}: ${reason}`).toBe('pass')
      }
    }
    expect(run.status, out).toBe(0)
    expect(listLeftovers(run.pid)).toEqual({namespaces: [], pids: []})
  }, 1_900_000)
})
