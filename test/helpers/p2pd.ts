// The host build of the libp2p programs (user/p2p/cmd/*.c over p2pHostSources,
// sanitizers on, warnings are errors) and the daemons the host p2p tests run
// on 127.0.0.1: start p2pd, wait for its ready line, talk to it with the p2p
// client, and kill whatever is still running when the file's tests end.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll} from 'vitest'

import {SANITIZE_FLAGS, hostBuild, p2pHostSources} from '../../src/builder/hostcc.js'

export const repoRoot = path.resolve(import.meta.dirname, '../..')

/** The flags of the p2p programs' host builds (add SANITIZE_FLAGS for the checked ones). */
export const P2P_HOST_FLAGS = ['-Werror', '-I', 'user/p2p', '-I', 'user/lib']

/** Builds user/p2p/cmd/NAME.c with the host p2p library (and `extra` sources) into dir/NAME. */
export function buildP2pProgram(dir: string, name: string, extra: string[] = []): string {
  return hostBuild(repoRoot, {
    sources: [...p2pHostSources(repoRoot), ...extra, `user/p2p/cmd/${name}.c`],
    out: path.join(dir, name),
    extraFlags: [...P2P_HOST_FLAGS, ...SANITIZE_FLAGS],
  })
}

export interface P2pd {
  child: ChildProcess
  peerId: string
  port: number
  ctl: number
  /** Everything the daemon printed so far (stdout and stderr). */
  log: () => string
}

export interface P2pReply {
  status: number | null
  lines: string[]
}

/** A temporary folder with p2pd and the p2p client built in it (by build), and the daemons started from them. */
export class P2pHost {
  readonly tmp: string
  p2pd = ''
  p2p = ''
  private readonly children: ChildProcess[] = []

  constructor(tag: string) {
    this.tmp = mkdtempSync(path.join(os.tmpdir(), `kos-p2p-${tag}-`))
  }

  build(): void {
    this.p2pd = buildP2pProgram(this.tmp, 'p2pd')
    this.p2p = buildP2pProgram(this.tmp, 'p2p')
  }

  /** `p2pd port=0 ARGS...` (env added to this process's), resolved at its ready line; rejected when it exits or prints none within 20 s. */
  start(args: string[], env: Record<string, string> = {}): Promise<P2pd> {
    const child = spawn(this.p2pd, ['port=0', ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...env}})
    this.children.push(child)
    let log = ''
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`p2pd did not start: ${log}`)), 20000)
      const onData = (c: Buffer) => {
        log += c.toString()
        const m = /p2pd: ready peer (\S+) port (\d+) ctl (\d+)/.exec(log)
        if (!m) return
        clearTimeout(t)
        resolve({child, peerId: m[1], port: Number(m[2]), ctl: Number(m[3]), log: () => log})
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.on('exit', (code) => reject(new Error(`p2pd exited ${code}: ${log}`)))
    })
  }

  /** `p2p ctl=PORT ARGS...` against d, waited for: its exit status and output lines. */
  cli(d: P2pd, ...args: string[]): P2pReply {
    const r = spawnSync(this.p2p, [`ctl=${d.ctl}`, ...args], {encoding: 'utf8', timeout: 120_000})
    return {status: r.status, lines: (r.stdout + r.stderr).split('\n').filter(Boolean)}
  }

  /** The same without blocking the event loop (for commands that wait on a peer in this process). */
  cliAsync(d: P2pd, ...args: string[]): Promise<P2pReply> {
    return new Promise((resolve) => {
      const c = spawn(this.p2p, [`ctl=${d.ctl}`, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
      let out = ''
      c.stdout!.on('data', (b: Buffer) => { out += b.toString() })
      c.stderr!.on('data', (b: Buffer) => { out += b.toString() })
      c.on('close', (status) => resolve({status, lines: out.split('\n').filter(Boolean)}))
    })
  }

  /** Kills every daemon still running and removes the folder. */
  close(): void {
    for (const c of this.children) c.kill('SIGKILL')
    rmSync(this.tmp, {recursive: true, force: true})
  }
}

/** d's libp2p address on 127.0.0.1. */
export const p2pdAddr = (d: P2pd) => `/ip4/127.0.0.1/tcp/${d.port}/p2p/${d.peerId}`

/** The P2pHost of a test file: built before the file's tests; its daemons killed and its folder removed after them. */
export function useP2pHost(tag: string): P2pHost {
  const host = new P2pHost(tag)
  beforeAll(() => host.build())
  afterAll(() => host.close())
  return host
}
