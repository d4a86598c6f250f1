// RPC (/kos/rpc/1.0.0), remote WebAssembly (/kos/wasm/1.0.0) and the
// distributed primes job between host builds of p2pd on 127.0.0.1 (the same
// portable code as /bin/p2pd; on the host the WASM runs in the kernel's
// interpreter linked in, under the receiver's own limits). Four daemons: A
// calls; B serves with wasm_fuel=5000000 wasm_pages=3; C and D take WASM
// requests and never answer (wasm_hang=1), so A's deadlines and retries
// are exercised without depending on speed; D is killed mid-call.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildP2pProgram} from '../helpers/p2pd.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const wasmFile = (name: string) => path.join(repoRoot, 'build/wasm', `${name}.wasm`)
let tmp: string
let daemonExe: string
let clientExe: string

interface Node { proc: ChildProcess; id: string; port: number; ctl: number; output: string[] }
const nodes: Node[] = []

function launch(...words: string[]): Promise<Node> {
  const proc = spawn(daemonExe, ['port=0', `job_wasm=${wasmFile('primes')}`, ...words], {stdio: ['ignore', 'pipe', 'pipe']})
  const node: Node = {proc, id: '', port: 0, ctl: 0, output: []}
  nodes.push(node)
  return new Promise((resolve, reject) => {
    const give = setTimeout(() => reject(new Error(`no ready line: ${node.output.join('\n')}`)), 20_000)
    const take = (chunk: Buffer) => {
      node.output.push(...chunk.toString().split('\n').filter(Boolean))
      const ready = node.output.map((l) => /p2pd: ready peer (\S+) port (\d+) ctl (\d+)/.exec(l)).find(Boolean)
      if (ready && !node.id) {
        clearTimeout(give)
        Object.assign(node, {id: ready[1], port: Number(ready[2]), ctl: Number(ready[3])})
        resolve(node)
      }
    }
    proc.stdout!.on('data', take)
    proc.stderr!.on('data', take)
  })
}

/** `p2p ctl=PORT WORDS...`: exit status and every line of the answer. */
function p2p(node: Node, ...words: string[]): Promise<{code: number | null; lines: string[]; last: string}> {
  return new Promise((resolve) => {
    const proc = spawn(clientExe, [`ctl=${node.ctl}`, ...words], {stdio: ['ignore', 'pipe', 'pipe']})
    let text = ''
    proc.stdout.on('data', (c: Buffer) => { text += c.toString() })
    proc.stderr.on('data', (c: Buffer) => { text += c.toString() })
    proc.on('close', (code) => {
      const lines = text.split('\n').filter(Boolean)
      resolve({code, lines, last: lines.at(-1) ?? ''})
    })
  })
}

async function counters(node: Node): Promise<Record<string, number>> {
  const r = await p2p(node, 'rpcstats')
  return Object.fromEntries(r.lines[0].replace(/^rpc /, '').split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]))
}

/** Waits for a line matching pattern among those printed after line `since`. */
async function waitForLine(node: Node, pattern: RegExp, since: number, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (node.output.slice(since).some((l) => pattern.test(l))) return
  throw new Error(`no line ${pattern} in: ${node.output.slice(-5).join(' | ')}`)
}

let a: Node, b: Node, c: Node, d: Node

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kos-p2p-rpc-'))
  daemonExe = buildP2pProgram(tmp, 'p2pd')
  clientExe = buildP2pProgram(tmp, 'p2p')
  a = await launch('seed=rpc-a')
  b = await launch('seed=rpc-b', 'wasm_fuel=5000000', 'wasm_pages=3')
  c = await launch('seed=rpc-c', 'wasm_hang=1')
  d = await launch('seed=rpc-d', 'wasm_hang=1')
  for (const peer of [b, c, d]) expect((await p2p(a, 'dial', `/ip4/127.0.0.1/tcp/${peer.port}`)).last).toBe(`ok connected ${peer.id} agent=kos/0.1.0`)
}, 900_000) // two sanitizer builds; minutes when the machine is busy

afterAll(() => {
  for (const n of nodes) n.proc.kill('SIGKILL')
  rmSync(tmp, {recursive: true, force: true})
})

describe('p2pd RPC, remote WASM and the primes job on 127.0.0.1', () => {
  it('built-in methods answer; errors come back as errors', async () => {
    expect((await p2p(a, 'call', b.id, 'echo', 'hello', 'kos')).last).toBe('ok hello kos')
    expect((await p2p(a, 'call', b.id, 'add', '2', '40', '-7')).last).toBe('ok 35')
    expect((await p2p(a, 'call', b.id, 'id')).last).toBe(`ok ${b.id}`)
    // B's connected peers include A (the DHT and health modules may have connected it to others A knows).
    expect((await p2p(a, 'call', b.id, 'peers')).last.split(' ')).toEqual(expect.arrayContaining(['ok', a.id]))
    expect((await p2p(a, 'call', b.id, 'time')).last).toMatch(/^ok time_ms \d+$/)
    expect((await p2p(a, 'call', b.id, 'sleep', '50')).last).toBe('ok slept 50')
    const unknown = await p2p(a, 'call', b.id, 'frobnicate', 'x')
    expect([unknown.code, unknown.last]).toEqual([1, 'error unknown method frobnicate'])
    expect((await p2p(a, 'call', b.id, 'add', '2', 'three')).last).toBe('error bad args: not a 64-bit integer: three')
    expect((await p2p(a, 'call', b.id, 'add', '9223372036854775807', '1')).last).toBe('error bad args: the sum overflows 64 bits')
    expect((await p2p(a, 'call', 'deadline=300', b.id, 'sleep', '20000')).last).toBe('error timeout after 300 ms')
    expect((await p2p(a, 'call', '12D3KooWGSrXQQXYp31AUbZ64eJMb3hGywN4dmzpaZW3rWW22EfF', 'echo')).last).toBe('error not connected')
  })

  it('six calls in flight at once on one connection (gather answers only when all six are pending)', async () => {
    const calls = await Promise.all(Array.from({length: 6}, () => p2p(a, 'call', b.id, 'gather', '6')))
    expect(calls.map((r) => r.last)).toEqual(Array(6).fill('ok gathered 6'))
  })

  it('remote WASM: values, a trap, fuel exhaustion, the memory limit, refusals; the receiver lives on', async () => {
    expect((await p2p(a, 'wasm', b.id, wasmFile('primes'), 'count_range', '0', '10000')).last).toBe('ok 1229')
    expect((await p2p(a, 'wasm', b.id, wasmFile('test'), 'add64', '-3000000000', '7')).last).toBe('ok -2999999993')
    expect((await p2p(a, 'wasm', b.id, wasmFile('traps'), 'unreachable')).last).toBe('error trap unreachable')
    expect((await p2p(a, 'wasm', b.id, wasmFile('traps'), 'spin')).last).toBe('error trap out of fuel')
    expect((await p2p(a, 'wasm', b.id, wasmFile('test'), 'nothing')).last).toBe('ok')
    // remote.wasm declares 4 pages; B allows 3. A allows 16 and runs it itself.
    expect((await p2p(a, 'wasm', b.id, wasmFile('remote'), 'add', '2', '3')).last).toMatch(/^error memory limit: /)
    expect((await p2p(a, 'wasm', 'self', wasmFile('remote'), 'add', '2', '3')).last).toBe('ok 5')
    expect((await p2p(a, 'wasm', 'self', wasmFile('remote'), 'grow', '12')).last).toBe('ok 4')
    expect((await p2p(a, 'wasm', 'self', wasmFile('remote'), 'grow', '13')).last).toBe('ok -1')
    const junk = path.join(tmp, 'junk.wasm')
    writeFileSync(junk, 'not a module at all')
    expect((await p2p(a, 'wasm', b.id, junk, 'main')).last).toMatch(/^error invalid module: /)
    expect((await p2p(a, 'wasm', b.id, wasmFile('test'), 'missing')).last).toBe('error no export missing')
    expect((await p2p(a, 'wasm', b.id, wasmFile('test'), 'add', '1')).last).toMatch(/^error bad args: /)
    expect((await p2p(a, 'wasm', b.id, wasmFile('primes'), 'count_range', '0', '100')).last).toBe('ok 25')
    const served = await counters(b)
    expect(served).toMatchObject({wasm_served: 10, wasm_ok: 4, wasm_trap: 2, wasm_memory_limit: 1, wasm_bad_module: 1})
  })

  it('malformed and oversized RPC and WASM messages are refused and counted', async () => {
    const before = await counters(b)
    const kinds = ['rpc_varint', 'rpc_pb', 'rpc_oversize', 'rpc_truncated', 'rpc_nul', 'wasm_pb', 'wasm_oversize', 'wasm_module']
    const answers = []
    for (const k of kinds) answers.push((await p2p(a, 'badcall', b.id, k)).last)
    expect(answers).toEqual([
      'ok rpc_varint refused: malformed request', 'ok rpc_pb refused: malformed request', 'ok rpc_oversize refused: request too large',
      'ok rpc_truncated refused: malformed request', 'ok rpc_nul refused: malformed request', 'ok wasm_pb refused: malformed request',
      'ok wasm_oversize refused: request too large', 'ok wasm_module refused: invalid module',
    ])
    const after = await counters(b)
    const grew = (k: string) => after[k] - before[k]
    expect(['malformed', 'oversized', 'wasm_malformed', 'wasm_oversized', 'wasm_bad_module', 'served'].map(grew)).toEqual([4, 1, 1, 1, 1, 0])
    expect((await p2p(a, 'call', b.id, 'echo', 'still', 'here')).last).toBe('ok still here')
  })

  it('the primes job: slices whose peer never answers time out and are retried elsewhere; the sum matches the local run', async () => {
    const job = await p2p(a, 'job', 'primes', '200000', 'slices=8', 'slice_ms=2000')
    expect(job.lines[0]).toBe('job primes 200000: 8 slices over 3 peers and self')
    // Slices go round B, C, D, self: C and D hold theirs (two each) until the deadline.
    expect(job.lines.filter((l) => l.startsWith('retry ') && l.endsWith(': timeout'))).toHaveLength(4)
    expect(job.lines.filter((l) => l.startsWith('slice '))).toHaveLength(8)
    expect(job.last).toBe('ok primes below 200000 = 17984 (local 17984) slices 8 retries 4 peers 3')
  })

  it('peers killed in the middle: the call reports peer gone, the job sends their slices elsewhere', async () => {
    const seen = [c.output.length, d.output.length]
    const pending = p2p(a, 'call', 'deadline=60000', d.id, 'sleep', '50000')
    const job = p2p(a, 'job', 'primes', '50000', 'slices=4', 'slice_ms=60000')
    // C and D each hold one slice (round B, C, D, self) when they are killed.
    for (const [i, victim] of [c, d].entries()) await waitForLine(victim, /wasm request for count_range held/, seen[i])
    // ... and D has taken the sleep call (the only RPC it serves).
    for (const end = Date.now() + 20_000; (await counters(d)).served < 1 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50))
    for (const victim of [c, d]) victim.proc.kill('SIGKILL')
    expect((await pending).last).toBe('error peer gone')
    const done = await job
    for (const victim of [c, d])
      expect(done.lines.filter((l) => new RegExp(`^retry \\d+ \\d+ peer ${victim.id}: peer gone$`).test(l))).toHaveLength(1)
    expect(done.last).toBe('ok primes below 50000 = 5133 (local 5133) slices 4 retries 2 peers 3')
    expect((await counters(a)).peer_gone).toBeGreaterThanOrEqual(3)
  }, 120_000)
})
