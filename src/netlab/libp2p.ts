// Driving the js-libp2p reference peer (libp2p-peer.mjs) from TypeScript: one
// child process, its JSON-line events, and commands on its stdin. Used by the
// host interop test (test/host/p2p-libp2p.test.ts); `prefix` runs it inside a
// network namespace (`ip netns exec NS`).
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const LIBP2P_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/netlab/libp2p-peer.mjs')

export interface Libp2pEvent {
  event: string
  [key: string]: unknown
}

export interface Libp2pPeer {
  child: ChildProcess
  events: Libp2pEvent[]
  /** Resolves with the first event (from the start) that matches, or rejects after ms. */
  waitFor(match: (e: Libp2pEvent) => boolean, ms: number): Promise<Libp2pEvent>
  send(cmd: Record<string, unknown>): void
  stop(): Promise<void>
  stderr(): string
}

export function startLibp2pPeer(job: Record<string, unknown>, opts: {prefix?: string[]; cwd?: string} = {}): Libp2pPeer {
  const argv = [...(opts.prefix ?? []), process.execPath, LIBP2P_PEER_SCRIPT, JSON.stringify(job)]
  const child = spawn(argv[0], argv.slice(1), {cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe']})
  const events: Libp2pEvent[] = []
  const waiters: Array<() => void> = []
  let err = ''
  let partial = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk
    let i
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i)
      partial = partial.slice(i + 1)
      try {
        events.push(JSON.parse(line) as Libp2pEvent)
      } catch {
        err += `(not json) ${line}\n`
      }
      for (const w of waiters.splice(0)) w()
    }
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (c: string) => { err = (err + c).slice(-20000) })
  child.on('exit', () => { for (const w of waiters.splice(0)) w() })
  return {
    child,
    events,
    waitFor(match, ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`js-libp2p peer: no matching event in ${ms} ms; events ${JSON.stringify(events).slice(0, 2000)}; stderr ${err.slice(-2000)}`)), ms)
        const check = () => {
          const e = events.find(match)
          if (e) {
            clearTimeout(timer)
            resolve(e)
          } else if (child.exitCode !== null) {
            clearTimeout(timer)
            reject(new Error(`js-libp2p peer exited (${child.exitCode}); stderr ${err.slice(-2000)}`))
          } else waiters.push(check)
        }
        check()
      })
    },
    send(cmd) {
      child.stdin!.write(JSON.stringify(cmd) + '\n')
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((res) => child.once('exit', () => res()))
      child.stdin!.end()
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(t)
    },
    stderr: () => err,
  }
}
