// File sharing against Helia: the addgen content (the bytes `p2p addgen
// SIZE SEED` adds in kos), its CID as ipfs-unixfs-importer 17.1.1 computes
// it, the Helia reference peer (helia-peer.mjs, driven like libp2p-peer.mjs)
// and the phase-4 TAP case: Helia in the namespace fetches a file the guest
// added, Helia asks the guest for a file before the guest has it and gets it
// once the guest adds it (the want waited in the guest's ledger), the guest
// fetches a file Helia added, then bad Bitswap input from a host p2pd in
// the namespace is refused and counted by the guest.
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {importer} from 'ipfs-unixfs-importer'

import {type Libp2pPeer, type P2pTapJob, type PeerStartOptions, runCli, startLibp2pPeer} from './libp2p.js'

export const HELIA_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/netlab/helia-peer.mjs')

/** The addgen content (user/p2p/core/unixfs.c gen_fill): xorshift32 words from seed + 0x9e3779b9, little-endian. */
export function addgenBytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size)
  let x = (seed + 0x9e3779b9) >>> 0
  if (x === 0) x = 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    for (let k = 0; k < 4 && i + k < size; k++) b[i + k] = (x >>> (8 * k)) & 0xff
  }
  return b
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** The root CID ipfs-unixfs-importer gives bytes with kos's settings (256 KiB chunks, raw leaves, CIDv1, 174 links: its defaults). */
export async function importerCid(bytes: Uint8Array): Promise<string> {
  const store = {put: async (cid: unknown) => cid}
  let root: {cid: {toString(): string}} | undefined
  for await (const entry of importer([{content: bytes}], store as never, {cidVersion: 1, rawLeaves: true})) root = entry as never
  return root!.cid.toString()
}

export function startHeliaPeer(job: Record<string, unknown>, opts: PeerStartOptions = {}): Libp2pPeer {
  return startLibp2pPeer(job, {...opts, script: HELIA_PEER_SCRIPT})
}

/** Sends one command and waits for its answer (the peer runs commands in order). */
async function ask(peer: Libp2pPeer, cmd: Record<string, unknown>, event: string, ms: number) {
  const before = peer.events.filter((e) => e.event === event).length
  peer.send(cmd)
  return peer.waitFor((e) => e.event === event && peer.events.filter((x) => x.event === event).indexOf(e) >= before, ms)
}

/** `p2p files` counters of a daemon (its first answer line, key=value words). */
export function filesCounters(lines: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  const line = lines.find((l) => l.startsWith('files ')) ?? ''
  for (const kv of line.split(' ').slice(1)) {
    const [k, v] = kv.split('=')
    out[k] = Number(v)
  }
  return out
}

export interface HeliaTapJob extends Pick<P2pTapJob, 'guestIp' | 'hostIp' | 'peerId' | 'port' | 'ctl' | 'prefix' | 'p2pCli' | 'timeScale'> {
  /** The host build of p2pd (build/host/p2pd), the namespace's misbehaving peer. */
  p2pd: string
  /** Bytes of the file kos adds (addgen, seed 1) and of the file Helia adds (seed 2). */
  kosSize: number
  heliaSize: number
  /** Bytes of the file Helia asks for before kos adds it (addgen, seed 5; default 600000). */
  lateSize?: number
  /** A file of the guest's initrd and its local copy: `p2p add` in the guest must give the importer's CID of it. */
  initrdFile?: {guest: string; local: string}
  /** Where kos writes the file it fetches from Helia (guest path; default /tmp/helia.bin in the ramfs). */
  outPath?: string
  /** How long the guest's get from the corrupt provider may run (default 20 s). */
  corruptGetMs?: number
}

/** Starts a host p2pd (inside the namespace); resolves with its PeerId, ports and a stop function. */
function startHostDaemon(prefix: string[], exe: string, args: string[]): Promise<{child: ChildProcess; peerId: string; port: number; ctl: number; log: () => string}> {
  const argv = [...prefix, exe, ...args]
  const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
  let log = ''
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`host p2pd did not start: ${log}`)), 30_000)
    const onData = (c: Buffer) => {
      log = (log + c.toString()).slice(-20000)
      const m = /p2pd: ready peer (\S+) port (\d+) ctl (\d+)/.exec(log)
      if (m) {
        clearTimeout(t)
        resolve({child, peerId: m[1], port: Number(m[2]), ctl: Number(m[3]), log: () => log})
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => { clearTimeout(t); reject(new Error(`host p2pd exited ${code}: ${log}`)) })
  })
}

/** Helia and the guest's p2pd exchange files both ways; bad Bitswap input is refused and counted; then `p2p quit`. */
export async function heliaTapFiles(job: HeliaTapJob): Promise<{ok: boolean; detail: string; findings: Record<string, unknown>}> {
  const details: string[] = []
  const findings: Record<string, unknown> = {}
  let ok = true
  const fail = (why: string) => { ok = false; details.push(why) }
  const kos = (args: string[], ms = 600_000) => runCli(job, args, ms)
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-helia-'))
  const helia = startHeliaPeer({listen: `/ip4/${job.hostIp}/tcp/0`}, {prefix: job.prefix, timeScale: job.timeScale})
  let bad: Awaited<ReturnType<typeof startHostDaemon>> | undefined
  try {
    const listening = await helia.waitFor((e) => e.event === 'listening', 120_000)
    const heliaAddr = (listening.addrs as string[])[0]
    // 1. kos adds the addgen file; its CID must be the importer's; Helia fetches it.
    const kosBytes = addgenBytes(job.kosSize, 1)
    const kosCid = await importerCid(kosBytes)
    const added = await kos(['addgen', String(job.kosSize), '1'])
    findings.kosAdd = added.lines
    const addedCid = /^ok (\S+) size (\d+)/.exec(added.lines.at(-1) ?? '')
    if (added.status !== 0 || !addedCid) fail(`kos addgen: ${added.lines.join(' | ')}`)
    else if (addedCid[1] !== kosCid) fail(`kos CID ${addedCid[1]} != importer ${kosCid}`)
    else details.push(`kos added ${job.kosSize} B as ${kosCid} (= ipfs-unixfs-importer)`)
    const dialed = await ask(helia, {op: 'dial', addr: `/ip4/${job.guestIp}/tcp/${job.port}/p2p/${job.peerId}`}, 'dialed', 300_000)
    if (dialed.error) fail(`helia dial: ${String(dialed.error).split('\n')[0]}`)
    const cat = await ask(helia, {op: 'cat', cid: kosCid, timeoutMs: 900_000}, 'cat', 960_000)
    findings.heliaCat = cat
    if (cat.error || cat.size !== job.kosSize || cat.sha256 !== sha256Hex(kosBytes)) fail(`helia cat: ${JSON.stringify(cat).slice(0, 600)}`)
    else details.push(`Helia fetched it from the guest: ${cat.size} B, sha256 equal, ${cat.ms} ms`)

    // 1b. Helia wants a file the guest does not hold yet: its WANT_BLOCK for the root
    // waits in the guest's ledger (DONT_HAVE answered); once the guest adds the file the
    // root goes out as a late block (exactly one: Helia asks the children afterwards,
    // when the guest holds them) and Helia's cat completes.
    const lateSize = job.lateSize ?? 600_000
    const lateBytes = addgenBytes(lateSize, 5)
    const lateCid = await importerCid(lateBytes)
    const heliaId = listening.peerId as string
    const lateBefore = filesCounters((await kos(['files'])).lines)
    const lateCat = ask(helia, {op: 'cat', cid: lateCid, timeoutMs: 600_000}, 'cat', 660_000)
    let waiting: string[] = []
    for (let i = 0; i < 240 && !waiting.some((l) => l.startsWith(`want ${lateCid} block `)); i++) {
      waiting = (await kos(['wantlist', heliaId])).lines
      if (!waiting.some((l) => l.startsWith(`want ${lateCid} block `))) await new Promise((r) => setTimeout(r, 500))
    }
    findings.lateWantlist = waiting
    if (!waiting.some((l) => l.startsWith(`want ${lateCid} block `))) fail(`Helia's want for ${lateCid} never reached the guest's ledger: ${waiting.join(' | ')}`)
    const lateAdd = await kos(['addgen', String(lateSize), '5'])
    if (lateAdd.lines.at(-1)?.split(' ')[1] !== lateCid) fail(`kos addgen ${lateSize} 5: ${lateAdd.lines.join(' | ')} (importer: ${lateCid})`)
    const late = await lateCat
    findings.heliaLateCat = late
    const lateAfter = filesCounters((await kos(['files'])).lines)
    const lateLeft = (await kos(['wantlist', heliaId])).lines.at(-1)
    if (late.error || late.size !== lateSize || late.sha256 !== sha256Hex(lateBytes)) fail(`helia cat before add: ${JSON.stringify(late).slice(0, 600)}`)
    else if (lateAfter.late_blocks_out - lateBefore.late_blocks_out !== 1) fail(`late_blocks_out +${lateAfter.late_blocks_out - lateBefore.late_blocks_out}, not 1`)
    else if (lateLeft !== 'ok 0 wants from 0 peers') fail(`Helia's wants left in the guest's ledger: ${lateLeft}`)
    else details.push(`Helia asked for ${lateCid} before the guest had it and got it once added (${late.ms} ms, 1 late block, ledger empty after)`)

    // 2. Helia adds a file with its own defaults (@helia/unixfs 8: 1 MiB chunks, raw
    // leaves, CIDv1): kos fetches that DAG into its ramfs; the copy, added by kos
    // (256 KiB chunks), has the importer's CID for kos's settings.
    const heliaBytes = addgenBytes(job.heliaSize, 2)
    const heliaFile = path.join(tmp, 'helia.bin')
    writeFileSync(heliaFile, heliaBytes)
    const hadd = await ask(helia, {op: 'add', path: heliaFile}, 'added', 120_000)
    const heliaCid = hadd.cid as string
    if (hadd.error || !/^bafybei/.test(heliaCid ?? '')) fail(`helia add: ${JSON.stringify(hadd).slice(0, 400)}`)
    const dial = await kos(['dial', heliaAddr], 300_000)
    if (dial.status !== 0) fail(`kos dial helia: ${dial.lines.join(' | ')}`)
    const outPath = job.outPath ?? '/tmp/helia.bin'
    const get = await kos(['get', heliaCid, outPath], 900_000)
    findings.kosGet = get.lines
    const shaLine = get.lines.find((l) => l.startsWith('sha256 '))
    if (get.status !== 0 || shaLine !== `sha256 ${sha256Hex(heliaBytes)}` || !get.lines.at(-1)?.startsWith(`ok got ${heliaCid} size ${job.heliaSize} `))
      fail(`kos get: ${get.lines.join(' | ')}`)
    else details.push(`kos fetched Helia's ${heliaCid}: ${get.lines.at(-1)}`)
    const again = await kos(['add', outPath])
    const copyCid = await importerCid(heliaBytes)
    if (again.lines.at(-1)?.split(' ')[1] !== copyCid) fail(`kos add of the fetched copy: ${again.lines.join(' | ')} (importer: ${copyCid})`)
    else details.push(`the copy kos wrote to ${outPath} adds to the importer's ${copyCid}`)
    const rm = await kos(['rm', outPath])
    if (rm.lines.at(-1) !== `ok removed ${outPath}`) fail(`kos rm: ${rm.lines.join(' | ')}`)
    const rm2 = await kos(['rm', outPath])
    if (!rm2.lines.at(-1)?.startsWith(`error cannot remove ${outPath} (error -`)) fail(`kos rm twice: ${rm2.lines.join(' | ')}`)

    // 3. A file of the initrd, added by path.
    if (job.initrdFile) {
      const want = await importerCid(new Uint8Array(readFileSync(job.initrdFile.local)))
      const r = await kos(['add', job.initrdFile.guest])
      if (r.lines.at(-1)?.split(' ')[1] !== want) fail(`kos add ${job.initrdFile.guest}: ${r.lines.join(' | ')} (importer: ${want})`)
      else details.push(`kos add ${job.initrdFile.guest} = importer ${want}`)
    }

    // 4. Bad input from a host p2pd in the namespace: corrupt blocks, malformed messages.
    const before = filesCounters((await kos(['files'])).lines)
    bad = await startHostDaemon(job.prefix, job.p2pd, ['port=0', 'ctl=0', `listen=${job.hostIp}`, 'seed=bad-provider', 'files_fault=corrupt'])
    const badAdd = await runCli({...job, guestIp: '127.0.0.1', ctl: bad.ctl}, ['addgen', '600000', '3'], 60_000)
    const badCid = badAdd.lines.at(-1)?.split(' ')[1] ?? ''
    const bdial = await runCli({...job, guestIp: '127.0.0.1', ctl: bad.ctl}, ['dial', `/ip4/${job.guestIp}/tcp/${job.port}/p2p/${job.peerId}`], 300_000)
    if (bdial.status !== 0) fail(`bad peer dial: ${bdial.lines.join(' | ')}`)
    const bget = await kos(['get', badCid, `timeout_ms=${job.corruptGetMs ?? 20_000}`], 300_000)
    findings.corruptGet = bget.lines
    if (bget.status === 0) fail(`kos took a file of corrupt blocks: ${bget.lines.join(' | ')}`)
    for (const kind of ['garbage', 'wanttype', 'badcid', 'oversized']) {
      const r = await runCli({...job, guestIp: '127.0.0.1', ctl: bad.ctl}, ['bitswap_bad', job.peerId, kind], 60_000)
      if (r.status !== 0) fail(`bitswap_bad ${kind}: ${r.lines.join(' | ')}`)
    }
    // The guest reads them on its own time: poll its counters (no fixed sleep decides the verdict).
    let after: Record<string, number> = {}
    for (let i = 0; i < 60; i++) {
      after = filesCounters((await kos(['files'])).lines)
      if (after.malformed - before.malformed >= 2 && after.oversized - before.oversized >= 1 && after.bad_cid - before.bad_cid >= 1) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    findings.counters = {before, after}
    const delta = (k: string) => (after[k] ?? NaN) - (before[k] ?? NaN)
    // The corrupt provider answered HAVE, then every block it sent hashed to nothing asked of it.
    // Exactly one: the root, after which that provider is never asked again.
    if (delta('block_mismatch') !== 1) fail(`block_mismatch ${delta('block_mismatch')}, not 1`)
    if (delta('malformed') !== 2 || delta('oversized') !== 1 || delta('bad_cid') !== 1) fail(`malformed ${delta('malformed')}/2 oversized ${delta('oversized')}/1 bad_cid ${delta('bad_cid')}/1`)
    if (delta('blocks') !== 0 || delta('blocks_in') !== 0) fail(`blocks stored from bad input: ${delta('blocks')} (blocks_in ${delta('blocks_in')})`)
    details.push(`bad input refused: ${delta('block_mismatch')} corrupt blocks, malformed +${delta('malformed')}, oversized +${delta('oversized')}, bad_cid +${delta('bad_cid')}, nothing stored; get ended "${bget.lines.at(-1)}"`)
    // The guest still serves after all that.
    const small = await kos(['addgen', '1000', '4'])
    const smallCid = small.lines.at(-1)?.split(' ')[1] ?? ''
    const cat2 = await ask(helia, {op: 'cat', cid: smallCid, timeoutMs: 300_000}, 'cat', 360_000)
    if (cat2.error || cat2.sha256 !== sha256Hex(addgenBytes(1000, 4))) fail(`helia after bad input: ${JSON.stringify(cat2).slice(0, 300)}`)
    else details.push('and Helia still fetches from it')
  } catch (e) {
    fail(String((e as Error)?.stack ?? e).split('\n').slice(0, 3).join(' '))
  } finally {
    bad?.child.kill('SIGKILL')
    await helia.stop()
    rmSync(tmp, {recursive: true, force: true})
    const quit = await runCli(job, ['quit'], 60_000)
    if (quit.status !== 0) fail(`p2p quit: ${quit.lines.join(' | ')}`)
  }
  return {ok, detail: details.join('; '), findings}
}
