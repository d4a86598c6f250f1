// kos's UnixFS builder (user/p2p/core/unixfs.c, cid.c) against the real
// ipfs-unixfs-importer 17.1.1 (pinned in package.json) with the settings kos
// uses: 256 KiB fixed chunks, raw leaves, CIDv1, SHA-256, the balanced
// layout with the importer's default of 174 links a node. Both sides build
// the same deterministic content (the addgen generator: xorshift32 words,
// little-endian) and must print the same root CID, file size and tree size.
// Sizes: the chunk boundaries, 5 MiB (the QEMU cases' file), 174 chunks and 175,
// which needs a second level of dag-pb nodes. Also the KTAP suite
// p2p_unixfs under the sanitizers (the guest runs it in phase 4).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {importer} from 'ipfs-unixfs-importer'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SANITIZE_FLAGS, hostBuild, p2pHostSources} from '../../src/builder/hostcc.js'
import {collectKtapErrors, parseKtap} from '../../src/ktap/parse.js'
import {addgenBytes} from '../../src/netlab/helia.js'
import {P2P_HOST_FLAGS} from '../helpers/p2pd.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CHUNK = 262144
let tmp: string
let fast: string
let sanitized: string

async function importerCid(size: number, seed: number): Promise<{cid: string; size: bigint; blocks: number}> {
  let blocks = 0
  // The importer only needs put; the blocks themselves are not kept (256 MiB).
  const store = {put: async (cid: unknown) => { blocks++; return cid }}
  let root: {cid: {toString(): string}; size: bigint} | undefined
  for await (const entry of importer([{content: addgenBytes(size, seed)}], store as never, {cidVersion: 1, rawLeaves: true}))
    root = entry as never
  return {cid: root!.cid.toString(), size: root!.size, blocks}
}

function kosCid(size: number, seed: number): {cid: string; size: number; tsize: number; blocks: number; dagpb: number} {
  const r = spawnSync(fast, ['cid', String(size), String(seed)], {encoding: 'utf8', timeout: 300_000})
  const m = /^cid (\S+) size (\d+) tsize (\d+) blocks (\d+) dagpb (\d+)$/m.exec(r.stdout)
  if (r.status !== 0 || !m) throw new Error(`p2p_unixfs cid ${size}: ${r.status} ${r.stdout}${r.stderr}`)
  return {cid: m[1], size: Number(m[2]), tsize: Number(m[3]), blocks: Number(m[4]), dagpb: Number(m[5])}
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-p2p-unixfs-'))
  // The WASM interpreter's guard pages (tools/wasm/guard.c) serve the unsanitized build; under ASan it compiles to nothing.
  const sources = [...p2pHostSources(repoRoot), 'tools/wasm/guard.c',
    'user/lib/ktap.c', 'user/p2p/cmd/p2p_unixfs.c']
  const flags = P2P_HOST_FLAGS
  fast = hostBuild(repoRoot, {sources, out: path.join(tmp, 'p2p_unixfs'), extraFlags: flags})
  sanitized = hostBuild(repoRoot, {sources, out: path.join(tmp, 'p2p_unixfs_san'), extraFlags: [...flags, ...SANITIZE_FLAGS]})
})
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

describe('UnixFS CIDs: kos against ipfs-unixfs-importer 17.1.1', () => {
  const cases: Array<[string, number, number, number]> = [
    // name, size, blocks, dag-pb nodes
    ['empty file', 0, 1, 0],
    ['one byte', 1, 1, 0],
    ['exactly one chunk', CHUNK, 1, 0],
    ['one chunk and one byte', CHUNK + 1, 3, 1],
    ['5 MiB (the QEMU file)', 5 << 20, 21, 1],
  ]
  for (const [name, size, blocks, dagpb] of cases) {
    it(`${name}: ${size} bytes`, async () => {
      const ref = await importerCid(size, 1)
      const kos = kosCid(size, 1)
      expect(kos.cid).toBe(ref.cid)
      expect(kos.cid.startsWith(dagpb ? 'bafybei' : 'bafkrei')).toBe(true)
      expect(BigInt(kos.tsize)).toBe(ref.size)
      expect(kos.size).toBe(size)
      expect(kos.blocks).toBe(ref.blocks)
      expect(kos.blocks).toBe(blocks)
      expect(kos.dagpb).toBe(dagpb)
    }, 120_000)
  }

  it('174 chunks: one full dag-pb node', async () => {
    const size = 174 * CHUNK
    const ref = await importerCid(size, 3)
    const kos = kosCid(size, 3)
    expect(kos.cid).toBe(ref.cid)
    expect(BigInt(kos.tsize)).toBe(ref.size)
    expect(kos.blocks).toBe(174 + 1)
    expect(kos.dagpb).toBe(1)
  }, 300_000)

  it('175 chunks (174 x 256 KiB + 1 byte): two levels of dag-pb nodes', async () => {
    const size = 174 * CHUNK + 1
    const ref = await importerCid(size, 3)
    const kos = kosCid(size, 3)
    expect(kos.cid).toBe(ref.cid)
    expect(BigInt(kos.tsize)).toBe(ref.size)
    // 175 leaves, a node of 174 and one of 1, and the root over those two.
    expect(kos.blocks).toBe(175 + 3)
    expect(ref.blocks).toBe(175 + 3)
    expect(kos.dagpb).toBe(3)
  }, 300_000)

  it('a different seed gives a different CID (the content is what is hashed)', async () => {
    expect(kosCid(CHUNK + 1, 2).cid).toBe((await importerCid(CHUNK + 1, 2)).cid)
    expect(kosCid(CHUNK + 1, 2).cid).not.toBe(kosCid(CHUNK + 1, 1).cid)
  }, 120_000)
})

describe('p2p_unixfs KTAP suite (host build, sanitizers)', () => {
  it('all 14 results pass', () => {
    const r = spawnSync(sanitized, [], {encoding: 'utf8', timeout: 300_000})
    const doc = parseKtap(`KTAP version 1\n1..1\n${r.stdout}${r.status === 0 ? 'ok' : 'not ok'} 1 p2p_unixfs\n`)
    const suite = doc.root.subtests[0]
    expect(collectKtapErrors(doc.root)).toEqual([])
    expect(suite.plan).toBe(14)
    expect(suite.subtests.filter((t) => !t.ok).map((t) => t.name)).toEqual([])
    expect(r.status).toBe(0)
  }, 300_000)
})
