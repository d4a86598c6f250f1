// Starting and stopping QEMU. Every QEMU runs in its own process group and is
// registered here, so a timeout, Ctrl-C or an exit of kos kills it with its group.
import {spawn, type ChildProcess, type StdioOptions} from 'node:child_process'

const live = new Set<ChildProcess>()
let handlersInstalled = false

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    // Negative pid: the whole process group (the child is its leader when detached).
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** Kills every QEMU still running (SIGKILL: used when kos itself is exiting). */
export function killAllQemu(): void {
  for (const child of live) killGroup(child, 'SIGKILL')
  live.clear()
}

/** Makes SIGINT/SIGTERM/SIGHUP and exit kill every QEMU we started; call it before any QEMU can start. */
export function installExitHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', killAllQemu)
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      killAllQemu()
      process.exit(code)
    })
  }
}

export interface QemuExit {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** True when our timer fired and we killed QEMU. */
  timedOut: boolean
  /** Set when the process could not be started at all. */
  spawnError?: string
  stderr: string
  durationMs: number
}

export interface QemuProcess {
  pid: number | undefined
  done: Promise<QemuExit>
  /** SIGTERM the group, SIGKILL after graceMs if it is still there. */
  stop(graceMs?: number): void
  /** SIGKILL the group at once (a guest dying without a word: churn tests); nothing once it has exited. */
  kill(): void
}

export interface StartQemuOptions {
  timeoutMs?: number
  /** true: stdio inherited and QEMU stays in our process group (kos run: it needs the terminal). */
  interactive?: boolean
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** Starts argv (argv[0] is the binary). Never rejects: failures come back in QemuExit. */
export function startQemu(argv: string[], opts: StartQemuOptions = {}): QemuProcess {
  installExitHandlers()
  const started = Date.now()
  const stdio: StdioOptions = opts.interactive ? 'inherit' : ['ignore', 'ignore', 'pipe']
  let child: ChildProcess
  try {
    child = spawn(argv[0], argv.slice(1), {stdio, detached: !opts.interactive, cwd: opts.cwd, env: opts.env})
  } catch (error) {
    const msg = (error as Error).message
    return {pid: undefined, stop() {}, kill() {}, done: Promise.resolve({exitCode: null, signal: null, timedOut: false, spawnError: msg, stderr: '', durationMs: 0})}
  }
  live.add(child)
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 64 * 1024) stderr += d
  })

  let timedOut = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = (graceMs = 3000) => {
    killGroup(child, 'SIGTERM')
    killTimer ??= setTimeout(() => killGroup(child, 'SIGKILL'), graceMs)
  }
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true
    stop()
  }, opts.timeoutMs)

  const done = new Promise<QemuExit>((resolve) => {
    let spawnError: string | undefined
    let settled = false
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return
      settled = true
      live.delete(child)
      if (timer) clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      resolve({exitCode: code, signal, timedOut, spawnError, stderr, durationMs: Date.now() - started})
    }
    child.on('error', (error) => {
      spawnError = error.message
      // No pid: it never started, so no 'close' may follow.
      if (child.pid === undefined) finish(null, null)
    })
    child.on('close', finish)
  })
  const kill = () => {
    if (live.has(child)) killGroup(child, 'SIGKILL')
  }
  return {pid: child.pid, done, stop, kill}
}

/** Number of QEMU processes this kos process is tracking (for tests). */
export function liveQemuCount(): number {
  return live.size
}
