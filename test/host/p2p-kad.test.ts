// The kos Kademlia DHT (user/p2p/core/kad*.c) on 127.0.0.1: the host build
// of p2pd against unmodified js-libp2p 3.3 with @libp2p/kad-dht 16.4
// (src/netlab/kad-peer.mjs, private protocol /kos/kad/1.0.0): js puts and
// kos gets, kos puts and js gets, kos provides and js finds it with
// GET_PROVIDERS, and the reverse; then malformed messages, an oversized
// record and a PUT_VALUE flood from js are refused and counted with nothing
// stored (src/netlab/kad.ts, shared with the QEMU case kad_js_tap). Then
// four kos daemons that only know their neighbour in a chain find each
// other through lookups, replicate a value, and still read it after the
// daemon that put it is killed, and a daemon that held an older value is
// sent the newer one by the lookup that saw both (entry correction). Last, on a clock the test sets (the host
// platform's KOS_P2P_CLOCK_FILE) with the default periods: stale buckets
// are refreshed by random lookups after 10 min, holders pass a
// value on after an hour so it outlives its putter and two holders, the
// originator republishes its record and provider record at 22 h, and what
// nobody republished expires at 48 h (records) and 24 h (provider records).
import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {KAD_TEST_PROTOCOL, kadInterop, parseKadstats} from '../../src/netlab/kad.js'
import {type P2pd, useP2pHost, p2pdAddr as addr} from '../helpers/p2pd.js'

const host = useP2pHost('kad')
const startDaemon = (args: string[], env: Record<string, string> = {}) =>
  host.start(['listen=127.0.0.1', `kad_protocol=${KAD_TEST_PROTOCOL}`, ...args], env)
const cli = (d: P2pd, ...args: string[]) => host.cli(d, ...args)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('kos Kademlia DHT on 127.0.0.1', () => {
  it('js-libp2p kad-dht and kos: values and provider records both ways; bad DHT input refused and counted, nothing stored', async () => {
    const kos = await startDaemon(['seed=vitest-kad-js'])
    const r = await kadInterop({
      kosIp: '127.0.0.1', kosPort: kos.port, kosCtl: kos.ctl, kosPeerId: kos.peerId, jsListen: '/ip4/127.0.0.1/tcp/0',
      prefix: [], p2pCli: host.p2p, flood: 40, opMs: 20_000,
    })
    if (!r.ok) console.log(kos.log().slice(-4000))
    expect(r.failures).toEqual([])
    expect(r.ok).toBe(true)
    const after = r.findings.kadstatsAfter as Record<string, number>
    expect(after).toMatchObject({put_quota: 9, record_too_big: 1, bad_message: 1, msg_too_big: 1, bad_type: 1, record_invalid: 2,
      record_key_mismatch: 1, provider_not_sender: 1})
    // js's own record, kos's record, and the 31 flood records that fit js's quota.
    expect(after.records).toBe(33)
    // The daemon's console carries the lookups' figures for kos bench.
    expect(kos.log()).toMatch(/# metric kad_get_ms \d+ ms\n# metric kad_get_hops 0 hops/)
    expect(kos.log()).toMatch(/# metric kad_providers_ms \d+ ms/)
    cli(kos, 'quit')
  }, 300_000)

  it('four kos daemons in a chain find each other, replicate a value to the k closest, keep it readable when its writer dies, and correct a holder of an older value', async () => {
    const ds: P2pd[] = []
    for (let i = 0; i < 4; i++) ds.push(await startDaemon([`seed=vitest-kad-chain-${i}`, 'kad_timeout=2000']))
    // Each knows only the one before it; the self lookup on the first peer fills the tables.
    for (let i = 1; i < 4; i++) expect(cli(ds[i], 'dial', addr(ds[i - 1])).lines.at(-1)).toMatch(/^ok connected /)
    const tableOf = (d: P2pd) => cli(d, 'routing').lines.filter((l) => l.startsWith('peer ')).map((l) => l.split(' ')[1]).sort()
    for (let round = 0; round < 50 && ds.some((d) => tableOf(d).length < 3); round++) await sleep(200)
    for (const d of ds) expect(tableOf(d)).toEqual(ds.filter((x) => x !== d).map((x) => x.peerId).sort())
    // The last finds the first by lookup.
    const fp = cli(ds[3], 'findpeer', ds[0].peerId)
    expect(fp.lines.at(-1)).toMatch(new RegExp(`^ok findpeer ${ds[0].peerId} addr=/ip4/127\\.0\\.0\\.1/tcp/${ds[0].port} hops=1 queried=\\d+ failed=0 ms=\\d+$`))
    // A value put on the first is stored on all three others.
    const put = cli(ds[0], 'put', '/kos/chain', 'replicated')
    expect(put.lines).toContain('seq 1')
    expect(put.lines.at(-1)).toMatch(/^ok put \/kos\/chain stored=3 of 3 hops=1 queried=3 failed=0 ms=\d+$/)
    for (const d of ds.slice(1)) expect(parseKadstats(cli(d, 'kadstats').lines[0])).toMatchObject({records: 1, records_stored: 1})
    // Provider records: the second provides, the last finds it.
    const cid = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
    expect(cli(ds[1], 'provide', cid).lines.at(-1)).toMatch(new RegExp(`^ok provide ${cid} stored=3 of 3 `))
    const pr = cli(ds[3], 'providers', cid)
    expect(pr.lines).toContain(`provider ${ds[1].peerId} /ip4/127.0.0.1/tcp/${ds[1].port}`)
    expect(pr.lines.at(-1)).toMatch(new RegExp(`^ok providers ${cid} 1 hops=0 `))
    // A newer value replaces it everywhere; an older one is refused as stale.
    expect(cli(ds[2], 'put', '/kos/chain', 'second', '5').lines.at(-1)).toMatch(/^ok put \/kos\/chain stored=3 of 3 /)
    const stale = cli(ds[3], 'put', '/kos/chain', 'older', '2')
    expect(stale.status).toBe(1)
    expect(stale.lines.at(-1)).toBe('error put /kos/chain: record_stale')
    // The writer of the first value dies: the others still read the newest value.
    ds[0].child.kill('SIGKILL')
    await sleep(300)
    const get = cli(ds[3], 'getvalue', '/kos/chain')
    expect(get.lines).toContain('value 5:second')
    expect(get.lines.at(-1)).toMatch(/^ok get \/kos\/chain from=\S+ values=\d+ hops=0 queried=2 failed=\d+ ms=\d+$/)
    const cl = cli(ds[1], 'closest', ds[3].peerId)
    expect(cl.lines.filter((l) => l.startsWith('peer ')).map((l) => l.split(' ')[1]).sort()).toEqual([ds[2].peerId, ds[3].peerId].sort())
    // Entry correction: x put seq 1 while alone, the others seq 2; x joins, and a lookup
    // that gets seq 1 from x sends x seq 2 (x stores it: one record stored from the network).
    const x = await startDaemon(['seed=vitest-kad-chain-x', 'kad_timeout=2000'])
    expect(cli(x, 'put', '/kos/fix', 'old', '1').lines.at(-1)).toMatch(/^ok put \/kos\/fix stored=0 of 0 /)
    expect(cli(ds[1], 'put', '/kos/fix', 'new', '2').lines.at(-1)).toMatch(/^ok put \/kos\/fix stored=2 of 2 /)
    expect(cli(x, 'dial', addr(ds[3])).lines.at(-1)).toMatch(/^ok connected /)
    for (let round = 0; round < 50 && !tableOf(ds[3]).includes(x.peerId); round++) await sleep(200)
    expect(parseKadstats(cli(x, 'kadstats').lines[0])).toMatchObject({records: 1, records_stored: 0})
    const fix = cli(ds[1], 'getvalue', '/kos/fix')
    expect(fix.lines).toContain('value 2:new')
    expect(parseKadstats(cli(ds[1], 'kadstats').lines[0])).toMatchObject({corrected: 1})
    for (let round = 0; round < 50 && parseKadstats(cli(x, 'kadstats').lines[0]).records_stored !== 1; round++) await sleep(100)
    expect(parseKadstats(cli(x, 'kadstats').lines[0])).toMatchObject({records: 1, records_stored: 1})
    expect(cli(x, 'getvalue', '/kos/fix').lines).toContain('value 2:new')
    for (const d of [...ds.slice(1), x]) cli(d, 'quit')
  }, 300_000)

  it('on a set clock: stale buckets refreshed, holders re-replicate after 1 h, the originator republishes at 22 h, records expire at 48 h and provider records at 24 h', async () => {
    const clockFile = path.join(host.tmp, 'clock-ms')
    writeFileSync(clockFile, '0')
    const H = 3600_000
    const jump = async (ms: number) => {
      writeFileSync(clockFile, String(ms))
      await sleep(100) // every daemon reads the file within 10 ms of its next turn
    }
    // health=off: its failure detector would take the jump for silence and drop the connections.
    const start = (name: string) => startDaemon([`seed=vitest-kad-clock-${name}`, 'kad_timeout=2000', 'health=off'], {KOS_P2P_CLOCK_FILE: clockFile})
    const stats = (d: P2pd) => parseKadstats(cli(d, 'kadstats').lines[0])
    const tableOf = (d: P2pd) => cli(d, 'routing').lines.filter((l) => l.startsWith('peer ')).map((l) => l.split(' ')[1])
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await sleep(100)
      expect({what, ok: ok()}).toEqual({what, ok: true})
    }
    const [a, b, c, d] = [await start('a'), await start('b'), await start('c'), await start('d')]
    for (const [x, y] of [[b, a], [c, b], [d, c]]) expect(cli(x, 'dial', addr(y)).lines.at(-1)).toMatch(/^ok connected /)
    await until('four full tables', () => [a, b, c, d].every((x) => tableOf(x).length === 3))
    // The defaults: records 48 h, provider records 24 h, republish 22 h, re-replication 1 h.
    expect(stats(a)).toMatchObject({ttl_s: 172800, provider_ttl_s: 86400, republish_s: 79200, replicate_s: 3600, refresh_s: 600, timeout_ms: 2000})
    expect(cli(a, 'put', '/kos/life', 'outlives-its-putter').lines.at(-1)).toMatch(/^ok put \/kos\/life stored=3 of 3 /)
    expect(cli(d, 'put', '/kos/own', 'republished').lines.at(-1)).toMatch(/^ok put \/kos\/own stored=3 of 3 /)
    const cidD = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
    const cidB = 'bafkreiezpfzetl2ytlqz64stm3g56ghwfr3lnww4ol6bstuiwprxzoypzy'
    expect(cli(d, 'provide', cidD).lines.at(-1)).toMatch(new RegExp(`^ok provide ${cidD} stored=3 of 3 `))
    expect(cli(b, 'provide', cidB).lines.at(-1)).toMatch(new RegExp(`^ok provide ${cidB} stored=3 of 3 `))

    // The putter dies; a newcomer joins. After an hour the holders pass both records on to it.
    a.child.kill('SIGKILL')
    const e = await start('e')
    expect(cli(e, 'dial', addr(c)).lines.at(-1)).toMatch(/^ok connected /)
    await until('e knows b, c and d', () => tableOf(e).length >= 3)
    expect(stats(e)).toMatchObject({records: 0, providers: 0, refreshes: 0})
    // Bucket refresh: after 10 min without lookups every bucket up to e's farthest-filled one
    // (at most common prefix 8) is stale: one self lookup and one random lookup per bucket.
    const top = Math.max(...cli(e, 'routing').lines.filter((l) => l.startsWith('peer ')).map((l) => Number(/bucket=(\d+)/.exec(l)![1])))
    await jump(H + 100_000)
    await until('e holds both records', () => stats(e).records === 2)
    expect({top, refreshes: stats(e).refreshes}).toEqual({top, refreshes: 2 + Math.min(top, 8)})
    const replicated = [b, c, d].map((x) => stats(x).replicated)
    expect(replicated.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2)
    expect(stats(d)).toMatchObject({republished: 0})
    // Two of the three holders die too: the value is still read, from the holder left or the newcomer.
    b.child.kill('SIGKILL')
    c.child.kill('SIGKILL')
    const f = await start('f')
    expect(cli(f, 'dial', addr(e)).lines.at(-1)).toMatch(/^ok connected /)
    await until('f knows d and e', () => tableOf(f).length >= 2)
    const got = cli(f, 'getvalue', '/kos/life')
    expect(got.lines).toContain('value 1:outlives-its-putter')
    expect(got.lines.at(-1)).toMatch(/^ok get \/kos\/life from=\S+ /)

    // 22 h: d republishes its record and its provider record (one each); f, which joined
    // after d's provide and hears of provider records only from their provider, now holds d's.
    await jump(22 * H + 600_000)
    await until('d republished both', () => stats(d).republished === 2)
    await until('f stores d as provider', () => stats(f).providers_stored === 1)
    expect(stats(d).republished).toBe(2)
    const pr = cli(f, 'providers', cidD)
    expect(pr.lines).toContain(`provider ${d.peerId} /ip4/127.0.0.1/tcp/${d.port}`)
    expect(pr.lines.at(-1)).toMatch(new RegExp(`^ok providers ${cidD} 1 hops=0 `))

    // 48 h: nobody republished /kos/life since its putter died: gone everywhere; /kos/own lives on
    // from its republish at 22 h. b's provider record (24 h, not republished) is gone too.
    await jump(48 * H + 600_000)
    await until('/kos/life expired on d, e and f', () => [d, e, f].every((x) => stats(x).records_expired >= 1))
    for (const x of [d, e, f]) expect(stats(x)).toMatchObject({records: 1})
    const gone = cli(f, 'getvalue', '/kos/life')
    expect(gone.status).toBe(1)
    expect(gone.lines.at(-1)).toMatch(/^error get \/kos\/life: not found /)
    expect(cli(f, 'getvalue', '/kos/own').lines).toContain('value 1:republished')
    expect(cli(f, 'providers', cidB).lines.at(-1)).toMatch(new RegExp(`^ok providers ${cidB} 0 `))
    expect(stats(d).providers_expired).toBeGreaterThanOrEqual(1)
    for (const x of [d, e, f]) cli(x, 'quit')
  }, 300_000)

  it('bad options name the problem', () => {
    for (const [arg, msg] of [['kad_protocol=nope', 'kad_protocol must be /NAME'], ['kad_ttl=0', 'kad_ttl needs a positive number'],
      ['kad_timeout=x', 'kad_timeout needs a positive number'], ['kad_replicate=-1', 'kad_replicate needs a positive number'],
      ['kad_provider_ttl=9999999999', 'kad_provider_ttl needs a positive number']]) {
      const r = spawnSync(host.p2pd, ['port=0', arg], {encoding: 'utf8', timeout: 20_000})
      expect({arg, status: r.status}).toEqual({arg, status: 2})
      expect(r.stdout + r.stderr).toContain(msg)
    }
  })
})
