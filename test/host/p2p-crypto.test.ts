// The p2p crypto library (user/p2p/crypto) on the host: the program that is
// /bin/p2p_crypto in the guest, built with the host compiler, run, and its
// KTAP read with the project's parser. Every vector is checked by the C code
// against the published value; this test asserts that all 62 ran and passed.
// The program prints its results as a subtest (user/lib/ktap.c); the top
// level around it is what the kernel adds in the guest: ok when it exits 0.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SANITIZE_FLAGS, cFiles, hostBuild} from '../../src/builder/hostcc.js'
import {collectKtapErrors, parseKtap} from '../../src/ktap/parse.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
let tmp: string
let output: string
let status: number | null

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-p2p-crypto-'))
  const exe = path.join(tmp, 'p2p_crypto')
  // The host profile with sanitizers: any out-of-bounds access or UB fails the run.
  hostBuild(repoRoot, {
    sources: [...cFiles(repoRoot, 'user/p2p/crypto'), 'user/lib/ktap.c', 'user/p2p/cmd/p2p_crypto.c'],
    out: exe,
    extraFlags: ['-Werror', '-I', 'user/p2p', '-I', 'user/lib', ...SANITIZE_FLAGS],
  })
  const r = spawnSync(exe, [], {encoding: 'utf8'})
  status = r.status
  output = `KTAP version 1\n1..1\n${r.stdout}${status === 0 ? 'ok' : 'not ok'} 1 p2p_crypto\n`
}, 120_000)
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('p2p crypto vectors (host build)', () => {
  it('runs every planned vector and all pass', () => {
    const doc = parseKtap(output)
    expect(collectKtapErrors(doc.root)).toEqual([])
    const suite = doc.root.subtests[0]
    expect(suite.name).toBe('p2p_crypto')
    expect(suite.plan).toBe(62)
    const results = suite.subtests
    expect(results).toHaveLength(62)
    const failed = results.filter((t) => !t.ok).map((t) => t.name)
    expect(failed).toEqual([])
    expect(status).toBe(0)
  })

  it('covers each primitive with its published vectors', () => {
    const names = parseKtap(output).root.subtests[0].subtests.map((t) => t.name)
    for (const n of ['sha256_million_a', 'sha512_896_bits', 'hmac_sha256_rfc4231_7', 'hmac_sha512_rfc4231_5', 'hkdf_sha256_rfc5869_2',
      'x25519_rfc7748_iterated_1000', 'x25519_rfc7748_shared_bob', 'ed25519_rfc8032_test_sha_abc_sign', 'ed25519_rejects_s_plus_l',
      'chachapoly_rfc8439_seal', 'chachapoly_rejects_bad_tag'])
      expect(names).toContain(n)
  })
})
