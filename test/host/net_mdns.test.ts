// Builds the mDNS responder and the DNS message parser/builder with the
// portable stack for the host (host profile, AddressSanitizer/UBSan so an
// out-of-bounds read of a crafted message fails) and runs the host test
// driver tools/net/mdns_host_test.c.
import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {SANITIZE_FLAGS, hostBuild} from '../../src/builder/hostcc.js'

const root = path.resolve(import.meta.dirname, '../..')
const sources = ['netif', 'eth', 'arp', 'ipv4', 'icmp', 'udp', 'socket', 'mdns'].map((f) => `kernel/net/${f}.c`)

describe('mDNS on the host', () => {
  it('parses, builds and answers DNS messages; refuses loops, overruns and bad labels', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'kos-mdns-')), 'mdns_host_test')
    hostBuild(root, {sources: [...sources, 'tools/net/mdns_host_test.c'], out, extraFlags: ['-Werror', ...SANITIZE_FLAGS]})
    const run = spawnSync(out, {encoding: 'utf8'})
    const text = `${run.stdout}\n${run.stderr}`
    expect(run.status, text).toBe(0)
    const plan = /^1\.\.(\d+)$/m.exec(run.stdout)
    expect(plan).not.toBeNull()
    const oks = run.stdout.split('\n').filter((l) => /^ok \d+ /.test(l))
    expect(oks.length, text).toBe(Number(plan![1]))
    expect(run.stdout).not.toMatch(/^not ok/m)
    expect(run.stdout).toContain('# fuzz passed')
  }, 120_000)
})
