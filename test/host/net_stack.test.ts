// Builds the portable network stack for the host (host profile, with
// AddressSanitizer/UBSan so any out-of-bounds read of a crafted frame fails)
// and runs the host test driver tools/net/net_host_test.c.
import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {SANITIZE_FLAGS, hostBuild} from '../../src/builder/hostcc.js'

const root = path.resolve(import.meta.dirname, '../..')
const sources = ['netif', 'eth', 'arp', 'ipv4', 'icmp', 'udp', 'socket'].map((f) => `kernel/net/${f}.c`)

describe('network stack on the host', () => {
  it('passes every host test case, including 20000 mutated frames', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'kos-net-')), 'net_host_test')
    hostBuild(root, {sources: [...sources, 'tools/net/net_host_test.c'], out, extraFlags: ['-Werror', ...SANITIZE_FLAGS]})
    const run = spawnSync(out, {encoding: 'utf8'})
    const text = `${run.stdout}\n${run.stderr}`
    expect(run.status, text).toBe(0)
    const plan = /^1\.\.(\d+)$/m.exec(run.stdout)
    expect(plan).not.toBeNull()
    const oks = run.stdout.split('\n').filter((l) => /^ok \d+ /.test(l))
    expect(oks.length).toBe(Number(plan![1]))
    expect(run.stdout).not.toMatch(/^not ok/m)
    expect(run.stdout).toContain('# fuzz passed')
  }, 120_000)
})
