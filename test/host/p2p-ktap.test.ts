// The p2p programs that are KTAP suites in the guest, built for the host with
// the host profile and sanitizers, run, and read with the project's KTAP
// parser: /bin/p2p_crypto (every crypto primitive against its published
// vectors), /bin/p2p_selftest (two nodes linked in memory: the whole
// upgrade, identify, ping, echo, and bad input on every layer) and
// /bin/p2p_mdns_codec (the libp2p mDNS messages). The C code
// checks each value; this test asserts that every planned result ran and
// passed. The programs print their results as a subtest (user/lib/ktap.c);
// the top level around it is what the kernel adds in the guest: ok when the
// program exits 0.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SANITIZE_FLAGS, cFiles, hostBuild, p2pHostSources} from '../../src/builder/hostcc.js'
import {type KtapNode} from '../../src/ktap/types.js'
import {collectKtapErrors, parseKtap} from '../../src/ktap/parse.js'
import {P2P_HOST_FLAGS} from '../helpers/p2pd.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
let tmp: string

function runProgram(name: string, sources: string[]): {suite: KtapNode; errors: string[]; status: number | null} {
  const exe = path.join(tmp, name)
  hostBuild(repoRoot, {
    sources: [...sources, 'user/lib/ktap.c', `user/p2p/cmd/${name}.c`],
    out: exe,
    extraFlags: [...P2P_HOST_FLAGS, ...SANITIZE_FLAGS],
  })
  const r = spawnSync(exe, [], {encoding: 'utf8', timeout: 300_000})
  const doc = parseKtap(`KTAP version 1\n1..1\n${r.stdout}${r.status === 0 ? 'ok' : 'not ok'} 1 ${name}\n`)
  return {suite: doc.root.subtests[0], errors: collectKtapErrors(doc.root), status: r.status}
}

/** Runs program `name`: its suite must carry that name and exactly `plan` results, every one ok, and exit 0. */
function allPass(name: string, sources: string[], plan: number): KtapNode {
  const {suite, errors, status} = runProgram(name, sources)
  expect(errors).toEqual([])
  expect(suite.name).toBe(name)
  expect(suite.plan).toBe(plan)
  expect(suite.subtests).toHaveLength(plan)
  expect(suite.subtests.filter((t) => !t.ok).map((t) => t.name)).toEqual([])
  expect(status).toBe(0)
  return suite
}

beforeAll(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-p2p-ktap-')) })
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('p2p KTAP programs (host build)', () => {
  it('p2p_crypto: all 62 vectors and forgeries pass', () => {
    const suite = allPass('p2p_crypto', cFiles(repoRoot, 'user/p2p/crypto'), 62)
    const names = suite.subtests.map((t) => t.name)
    for (const n of ['sha256_million_a', 'sha512_896_bits', 'hmac_sha256_rfc4231_7', 'hmac_sha512_rfc4231_5', 'hkdf_sha256_rfc5869_2',
      'x25519_rfc7748_iterated_1000', 'x25519_rfc7748_shared_bob', 'ed25519_rfc8032_test_sha_abc_sign', 'ed25519_rejects_s_plus_l',
      'chachapoly_rfc8439_seal', 'chachapoly_rejects_bad_tag'])
      expect(names).toContain(n)
  })

  it('p2p_selftest: two nodes in memory, every layer and every bad input, a plugged-in module, 32 results', () => {
    const suite = allPass('p2p_selftest', p2pHostSources(repoRoot), 32)
    expect(suite.subtests.map((t) => t.name)).toEqual(expect.arrayContaining([
      'noise_yamux_upgrade_and_identify_both_ways', 'echo_16_streams_of_64k_verified', 'yamux_window_violation_closes_connection',
      'bad_identity_signature_closes_with_noise_bad_signature', 'peer_id_mismatch_refused_by_the_dialler', 'mss_waits_on_an_empty_buffer']))
  })

  it('p2p_mdns_codec: the libp2p mDNS query and answer, a js-style answer, malformed messages refused, 12 results', () => {
    allPass('p2p_mdns_codec', p2pHostSources(repoRoot), 12)
  })

  it('p2p_kadtest: the DHT codec, k-buckets, /kos/ validator and selector, bounded stores, republish, re-replication and expiry on a set clock, 28 results', () => {
    const suite = allPass('p2p_kadtest', p2pHostSources(repoRoot), 28)
    expect(suite.subtests.map((t) => t.name)).toEqual(expect.arrayContaining([
      'encode_put_value_known_bytes', 'decode_refuses_malformed_messages', 'closest_k_matches_brute_force',
      'stale_peer_replaced_and_failing_peer_removed', 'put_flood_stops_at_the_peer_quota', 'providers_bounded_refreshed_and_expiring',
      'originator_republishes_with_a_fresh_lifetime', 'holder_re_replicates_without_lengthening_the_lifetime',
      'copies_keep_the_lifetime_they_came_with', 'records_expire_when_nobody_republishes', 'provider_ttl_apart_from_the_record_ttl',
      'record_ttl_field_777']))
  })
})
