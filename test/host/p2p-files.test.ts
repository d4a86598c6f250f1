// File sharing on 127.0.0.1: the host build of p2pd (user/p2p/core/files.c,
// the same code as the guest's /bin/p2pd) against unmodified Helia 7.1.15
// with @helia/unixfs 8.0.5 and @helia/bitswap 4.0.19 (src/netlab/helia-peer.mjs),
// through the very flow of the phase-4 case (heliaTapFiles: kos adds, Helia
// fetches; Helia adds, kos fetches; corrupt blocks and malformed Bitswap
// messages refused and counted), then kos among kos: one file from three
// providers at once, a provider that exits mid-transfer, one that stalls,
// and one that sends corrupt blocks next to good ones.
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {addgenBytes, filesCounters, heliaTapFiles, importerCid, sha256Hex} from '../../src/netlab/helia.js'
import {type P2pd, useP2pHost, p2pdAddr as addr} from '../helpers/p2pd.js'

const host = useP2pHost('files')
const startDaemon = (args: string[]) => host.start(args)
const cli = (d: P2pd, ...args: string[]) => host.cliAsync(d, ...args)

/** Polls read until ok holds (at most ~20 s); returns the last value. */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read()
  for (let i = 0; i < 100 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 200))
    v = await read()
  }
  return v
}

const exited = (d: P2pd) => new Promise<number | null>((r) => { if (d.child.exitCode !== null) r(d.child.exitCode); else d.child.once('exit', (c) => r(c)) })

/** Providers that each added the addgen file, all dialled by a fresh getter. */
async function swarm(size: number, seed: number, providerArgs: string[][], getterArgs: string[] = []): Promise<{getter: P2pd; providers: P2pd[]; cid: string}> {
  const providers: P2pd[] = []
  let cid = ''
  for (const args of providerArgs) {
    const p = await startDaemon(args)
    const r = await cli(p, 'addgen', String(size), String(seed))
    expect(r.status).toBe(0)
    cid = r.lines.at(-1)!.split(' ')[1]
    providers.push(p)
  }
  const getter = await startDaemon(getterArgs)
  for (const p of providers) expect((await cli(getter, 'dial', addr(p))).status).toBe(0)
  return {getter, providers, cid}
}

describe('kos p2pd and Helia on 127.0.0.1 (the phase-4 flow)', () => {
  it('Helia fetches 5 MiB kos added (same CID as the importer); kos fetches what Helia added; bad input refused and counted', async () => {
    const kos = await startDaemon(['seed=files-vitest'])
    const r = await heliaTapFiles({
      guestIp: '127.0.0.1', hostIp: '127.0.0.1', peerId: kos.peerId, port: kos.port, ctl: kos.ctl, prefix: [], p2pCli: host.p2p,
      p2pd: host.p2pd, kosSize: 5 << 20, heliaSize: 3 * 1048576 + 12345, initrdFile: {guest: host.p2p, local: host.p2p},
      outPath: path.join(host.tmp, 'helia.bin'), corruptGetMs: 5000,
    })
    expect(r.detail).not.toMatch(/^$/)
    expect(r.ok, r.detail).toBe(true)
    // heliaTapFiles ends with `p2p quit`.
    expect(await exited(kos)).toBe(0)
    // kos wrote the fetched file there, checked it by adding it again, then removed it (p2p rm).
    expect(existsSync(path.join(host.tmp, 'helia.bin'))).toBe(false)
  }, 600_000)
})

describe('kos among kos: several providers, dying and lying ones', () => {
  const SIZE = 8 << 20 // 32 leaves and a root
  it('one file from three providers at once: each serves a share, bytes and CID check out', async () => {
    const {getter, providers, cid} = await swarm(SIZE, 5, [[], [], []])
    expect(cid).toBe(await importerCid(addgenBytes(SIZE, 5)))
    const g = await cli(getter, 'get', cid, path.join(host.tmp, 'three.bin'))
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(SIZE, 5))}`)
    expect(g.lines.at(-1)).toMatch(new RegExp(`^ok got ${cid} size ${SIZE} blocks 33 providers 3 ms \\d+$`))
    const served = new Map(g.lines.filter((l) => l.startsWith('provider ')).map((l) => [l.split(' ')[1], Number(l.split(' ')[3])]))
    expect(served.size).toBe(3)
    expect([...served.values()].reduce((a, b) => a + b, 0)).toBe(33)
    // Each provider sent exactly the blocks the getter took from it (none twice, none lost). The split
    // depends on who answers first; each has at least the 4 leaves (FILES_PER_PEER in flight) the
    // first round hands every provider once the root names the 32 leaves.
    for (const p of providers) {
      expect(served.get(p.peerId)).toBeGreaterThanOrEqual(4)
      expect(filesCounters((await cli(p, 'files')).lines).blocks_out).toBe(served.get(p.peerId))
    }
    expect(filesCounters((await cli(getter, 'files')).lines)).toMatchObject({blocks_in: 33, block_dup: 0, block_mismatch: 0})
    expect(readFileSync(path.join(host.tmp, 'three.bin')).length).toBe(SIZE)
  }, 300_000)

  it('a provider that exits after 3 blocks costs time, not the file', async () => {
    const {getter, providers, cid} = await swarm(SIZE, 6, [['files_fault=exit_after:3'], [], []])
    const g = await cli(getter, 'get', cid)
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(SIZE, 6))}`)
    expect(await exited(providers[0])).toBe(3)
    expect(providers[0].log()).toContain('files_fault exit_after:3: exiting')
  }, 300_000)

  it('a provider that goes silent after 2 blocks: its wants time out (files_want_ms) and go to the others', async () => {
    const {getter, providers, cid} = await swarm(SIZE, 7, [['files_fault=stall_after:2'], []], ['files_want_ms=2000'])
    const g = await cli(getter, 'get', cid)
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(SIZE, 7))}`)
    expect(filesCounters((await cli(providers[0], 'files')).lines).blocks_out).toBe(2)
    // Its unanswered wants were cancelled once the other provider served them: its ledger empties.
    // It went silent holding FILES_PER_PEER (4) wants, each cancelled once; more only when the getter
    // tries it again for want of another provider (the other one slow past files_want_ms).
    const left = await until(async () => filesCounters((await cli(providers[0], 'files')).lines), (c) => c.wants === 0)
    expect(left.wants).toBe(0)
    expect(left.cancels_in).toBeGreaterThanOrEqual(4)
  }, 300_000)

  it('corrupt blocks next to good ones: each refused and counted, the file still whole; alone they store nothing', async () => {
    const {getter, cid} = await swarm(SIZE, 8, [['files_fault=corrupt'], []])
    const g = await cli(getter, 'get', cid)
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(SIZE, 8))}`)
    const c = filesCounters((await cli(getter, 'files')).lines)
    // The first corrupt block marks its sender bad and takes back its other wants: exactly one mismatch
    // (what it still sends hashes to nothing asked of it: block_unwanted).
    expect(c.block_mismatch).toBe(1)
    expect(c.blocks).toBe(33)
    expect(c.blocks_in).toBe(33)

    const lone = await swarm(300000, 9, [['files_fault=corrupt']])
    const bad = await cli(lone.getter, 'get', lone.cid, 'timeout_ms=3000')
    expect(bad.status).toBe(1)
    expect(bad.lines.at(-1)).toMatch(/^error timed out with 0 of 1 blocks/)
    const lc = filesCounters((await cli(lone.getter, 'files')).lines)
    expect(lc.block_mismatch).toBe(1)
    expect(lc.blocks).toBe(0)
  }, 300_000)

  it('a provider found through the DHT (kad): the getter knows only a third node, finds the provider and dials it', async () => {
    const middle = await startDaemon(['listen=127.0.0.1'])
    const provider = await startDaemon(['listen=127.0.0.1'])
    expect((await cli(provider, 'dial', addr(middle))).status).toBe(0)
    const added = await cli(provider, 'addgen', '3000000', '11')
    const cid = added.lines.at(-1)!.split(' ')[1]
    expect(provider.log()).toContain(`p2pd: added ${cid} size 3000000, provided in the DHT`)
    // The provider record is on the middle node before the getter joins.
    let providers: string[] = []
    for (let i = 0; i < 50 && !providers.some((l) => l.includes(provider.peerId)); i++) {
      providers = (await cli(middle, 'providers', cid)).lines
      if (!providers.some((l) => l.includes(provider.peerId))) await new Promise((r) => setTimeout(r, 200))
    }
    expect(providers.join('\n')).toContain(provider.peerId)
    const getter = await startDaemon(['listen=127.0.0.1'])
    expect((await cli(getter, 'dial', addr(middle))).status).toBe(0)
    const g = await cli(getter, 'get', cid)
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`provider ${provider.peerId} blocks 13`)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(3000000, 11))}`)
    // Connected now (the getter dialled what the DHT returned, or the provider's kad reached it first).
    expect((await cli(getter, 'peers')).lines.join('\n')).toContain(`peer ${provider.peerId} `)
  }, 120_000)

  it('a get started before any peer holds the file: the want waits in the provider\'s ledger, HAVE comes once it adds the file', async () => {
    const size = 1000000
    const cid = await importerCid(addgenBytes(size, 12))
    const provider = await startDaemon([])
    const getter = await startDaemon([])
    expect((await cli(getter, 'dial', addr(provider))).status).toBe(0)
    const get = cli(getter, 'get', cid, 'timeout_ms=120000')
    const waiting = await until(async () => (await cli(provider, 'wantlist', getter.peerId)).lines, (l) => l.includes(`want ${cid} have prio 1 sdh`))
    expect(waiting).toEqual([`want ${cid} have prio 1 sdh`, 'ok 1 wants from 1 peers'])
    expect(filesCounters((await cli(provider, 'files')).lines)).toMatchObject({wants: 1, dont_haves_out: 1, haves_out: 0})
    expect((await cli(provider, 'addgen', String(size), '12')).lines.at(-1)).toBe(`ok ${cid} size ${size} chunks 4`)
    const g = await get
    expect(g.status, g.lines.join('\n')).toBe(0)
    expect(g.lines).toContain(`sha256 ${sha256Hex(addgenBytes(size, 12))}`)
    expect(g.lines).toContain(`provider ${provider.peerId} blocks 5`)
    // One late HAVE (the root), then 5 blocks asked and sent; nothing left wanted.
    expect(filesCounters((await cli(provider, 'files')).lines)).toMatchObject({wants: 0, late_haves_out: 1, haves_out: 1, dont_haves_out: 1, blocks_out: 5, late_blocks_out: 0})
    expect(filesCounters((await cli(getter, 'files')).lines)).toMatchObject({haves_in: 1, dont_haves_in: 1, blocks_in: 5, cancels_out: 0})
  }, 120_000)

  it('the ledger: want-have and want-block with priority, cancel, full wantlist, late HAVE and block, bounds per peer and in total', async () => {
    const server = await startDaemon(['files_wants=6:10'])
    const a = await startDaemon([])
    const b = await startDaemon([])
    for (const d of [a, b]) expect((await cli(d, 'dial', addr(server))).status).toBe(0)
    const held = (await cli(server, 'addgen', '300000', '13')).lines.at(-1)!.split(' ')[1] // a root and 2 leaves
    const later = await importerCid(addgenBytes(1000, 14)) // one raw block the server adds later
    const want = async (d: P2pd, flags: string, ...targets: string[]) => expect((await cli(d, 'bitswap_want', server.peerId, flags, ...targets)).lines.at(-1)).toMatch(/^ok sent /)
    const ledger = async (d: P2pd) => (await cli(server, 'wantlist', d.peerId)).lines
    const counts = async (d: P2pd) => filesCounters((await cli(d, 'files')).lines)

    // HAVE for the held root at once (nothing kept); DONT_HAVE for the one asked with sdh; both unknown wants kept.
    await want(a, 'have,sdh', held, later)
    await want(a, 'block,prio=9', 'gen:1:1')
    expect(await until(() => ledger(a), (l) => l.length === 3)).toEqual([
      expect.stringMatching(/^want bafkrei[a-z2-7]{52} block prio 9$/),
      `want ${later} have prio 1 sdh`,
      'ok 2 wants from 1 peers',
    ])
    expect(await until(() => counts(a), (c) => c.haves_in === 1 && c.dont_haves_in === 1)).toMatchObject({haves_in: 1, dont_haves_in: 1})
    expect(await counts(server)).toMatchObject({wants: 2, wants_in: 3, haves_out: 1, dont_haves_out: 1})

    // A cancel drops one; a full wantlist replaces the rest.
    await want(a, 'cancel', 'gen:1:1')
    expect(await until(() => ledger(a), (l) => l.length === 2)).toEqual([`want ${later} have prio 1 sdh`, 'ok 1 wants from 1 peers'])
    await want(a, 'full,block,prio=2', 'gen:2:2', later)
    expect(await until(() => ledger(a), (l) => l.at(-1) === 'ok 3 wants from 1 peers' && l.some((x) => x.startsWith(`want ${later} block`)))).toHaveLength(4)
    expect(await counts(server)).toMatchObject({wants: 3, cancels_in: 1, wants_in: 7})

    // b wants `later` as a HAVE; the server adds it: a late block to a, a late HAVE to b, both wants gone.
    await want(b, 'have', later)
    await until(() => counts(server), (c) => c.wants === 4)
    expect((await cli(server, 'addgen', '1000', '14')).lines.at(-1)).toBe(`ok ${later} size 1000 chunks 1`)
    expect(await until(() => counts(server), (c) => c.late_blocks_out === 1)).toMatchObject({wants: 2, late_blocks_out: 1, late_haves_out: 1, blocks_out: 1})
    expect(await until(() => counts(b), (c) => c.haves_in === 1)).toMatchObject({haves_in: 1})
    expect(await until(() => counts(a), (c) => c.block_unwanted === 1)).toMatchObject({block_unwanted: 1, blocks: 0})

    // Bounds: 6 per peer, 10 over all; excess refused and counted, nothing else changed.
    await want(a, 'block', 'gen:7:3') // a holds 2: 4 more kept, 3 refused
    expect(await until(() => counts(server), (c) => c.wants_refused === 3)).toMatchObject({wants: 6, wants_refused: 3})
    await want(b, 'have', 'gen:6:4') // 4 more reach the total of 10, 2 refused
    expect(await until(() => counts(server), (c) => c.wants_refused === 5)).toMatchObject({wants: 10, wants_refused: 5})
    expect((await cli(server, 'wantlist')).lines).toEqual([
      expect.stringMatching(/^peer \S+ wants [64] ready 0$/), expect.stringMatching(/^peer \S+ wants [64] ready 0$/), 'ok 10 wants from 2 peers',
    ])
    // A peer that leaves frees its share.
    b.child.kill('SIGKILL')
    expect(await until(() => counts(server), (c) => c.wants === 6)).toMatchObject({wants: 6})
  }, 120_000)

  it('bad arguments name the problem', async () => {
    const d = await startDaemon([])
    expect((await cli(d, 'get', 'QmNotACidV1')).lines.at(-1)).toBe('error bad CID QmNotACidV1 (CIDv1, base32, sha2-256, raw or dag-pb)')
    expect((await cli(d, 'add', '/nonexistent/file')).lines.at(-1)).toMatch(/^error cannot open \/nonexistent\/file \(error -2\)$/)
    expect((await cli(d, 'addgen', 'x', '1')).lines.at(-1)).toMatch(/^error bad size x/)
    const r = spawnSync(host.p2pd, ['port=0', 'files_fault=sometimes'], {encoding: 'utf8', timeout: 20000})
    expect(r.status).toBe(2)
    expect(r.stdout + r.stderr).toContain('files_fault is corrupt, stall_after:N or exit_after:N, not sometimes')
    const w = spawnSync(host.p2pd, ['port=0', 'files_wants=10:5'], {encoding: 'utf8', timeout: 20000})
    expect(w.status).toBe(2)
    expect(w.stdout + w.stderr).toContain('files_wants is PER_PEER:TOTAL with 1 <= PER_PEER <= TOTAL, PER_PEER <= 1024, TOTAL <= 4096, not 10:5')
    const peer = await startDaemon([])
    expect((await cli(peer, 'dial', addr(d))).status).toBe(0)
    expect((await cli(peer, 'bitswap_want', d.peerId, 'block,soon', 'gen:1:1')).lines.at(-1)).toBe('error bad flag in block,soon (block, have, cancel, sdh, full, prio=N)')
    expect((await cli(peer, 'bitswap_want', d.peerId, '-', 'QmNope')).lines.at(-1)).toBe('error bad CID QmNope')
    expect((await cli(d, 'wantlist', 'nobody')).lines.at(-1)).toBe('error bad peer id nobody')
  }, 60_000)
})
