// Running cases in QEMU: scheduling (--jobs), peers, logs and one verdict per run.
import {appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {chooseAccel} from '../qemu/accel.js'
import {buildTestIso, testIsoPath} from '../image/index.js'
import {OVMF_FIRMWARE, qemuArgv} from '../qemu/argv.js'
import {installExitHandlers, type QemuProcess, startQemu} from '../qemu/process.js'
import {netemAvailable} from '../qemu/netns.js'
import {loadProfile, type MachineProfile} from '../qemu/profile.js'
import {headCommit} from '../util/git.js'
import {hasNetAdmin, processAlive} from '../util/host.js'
import {classifyRun, type RunOutcome, type Verdict} from './classify.js'
import {collectBacktraceAddresses, crashLocation, formatBacktraceBlock, symbolizeAddresses} from './symbolize.js'
import {summarize, worstOf} from './status.js'
import {buildOverlay} from '../report/overlay.js'
import type {BacktraceFrame, CaseDef, CaseResult, GuestControl, Peer, PeerVerdict, RunResults, StartPeer} from './types.js'

export const DEFAULT_KERNEL = 'build/kernel32.elf'
export const DEFAULT_INITRD = 'build/initrd.tar'
export const DEFAULT_LOG_DIR = 'build/reports/logs'
export const NET_ADMIN_SKIP_REASON = 'needs root/CAP_NET_ADMIN for TAP'
export const NETEM_SKIP_REASON = 'needs tc netem (the sch_netem qdisc) in the host kernel'
/** How long a peer may take to report after the guest has finished. */
const PEER_RESULT_GRACE_MS = 15_000

export interface RunCasesOptions {
  repoRoot: string
  /** Parallel QEMUs; default: number of CPUs. */
  jobs?: number
  /** Overrides every case's timeoutSec (taken as it is, not scaled). */
  timeoutSec?: number
  /**
   * How much slower the booted build runs than the normal one (timeScaleOf, src/builder/plan.ts):
   * each case's timeoutSec, the peer's grace and the peer's own timeouts (PeerContext.timeScale) scale by it. Default 1.
   */
  timeScale?: number
  /** Run every case this many times. */
  repeat?: number
  kernel?: string
  initrd?: string
  /** ELF with the kernel's symbols for backtraces; default: kernel.elf beside a kernel32.elf, else the kernel itself. */
  symbols?: string
  /** Serial logs go here (relative to repoRoot). */
  logDir?: string
  /** A coverage build: each guest's raw profile (its debug console, port 0xe9) goes to DIR/CASE[.guestN].profraw (relative to repoRoot). */
  profileDir?: string
  accel?: 'tcg' | 'kvm'
  /** Peer starter; default: startPeer from src/netlab/index.ts. */
  startPeer?: StartPeer
  /** QEMU binary to run instead of qemu-system-x86_64 (tests use a fake). */
  qemuBinary?: string
  /** Overrides the root/CAP_NET_ADMIN check (tests). */
  netAdmin?: boolean
  /** Overrides the tc netem probe (tests). */
  netem?: boolean
  onCaseStart?: (c: CaseDef, attempt: number) => void
  onCaseDone?: (r: CaseResult) => void
}

export class RunError extends Error {}

async function defaultStartPeer(): Promise<StartPeer> {
  // Loaded only when a case has a peer: runs without networking never load the peer code.
  try {
    const mod = (await import('../netlab/index.js')) as {startPeer?: StartPeer}
    if (typeof mod.startPeer !== 'function') throw new Error('src/netlab/index.ts does not export startPeer')
    return mod.startPeer
  } catch (error) {
    throw new RunError(`cannot load host peers: ${(error as Error).message.split('\n')[0]}`)
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'latin1')
  } catch {
    return ''
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let t: NodeJS.Timeout | undefined
  return Promise.race([p, new Promise<T>((resolve) => { t = setTimeout(() => resolve(onTimeout()), ms) })]).finally(() => clearTimeout(t))
}

interface GuestRun {
  verdict: Verdict
  argv: string[]
  exitCode: number | null
  signal: string | null
  log: string
  backtrace?: BacktraceFrame[]
  backtraceNote?: string
}

/**
 * A run's serial and QEMU logs are written under unique temporary names and renamed
 * to their final names when the case is over, so two kos processes running the same
 * case never write into (or read) each other's log. Pending renames are finished on
 * exit too (Ctrl-C), so an interrupted run still leaves its partial log.
 */
const pendingLogs = new Map<string, string>()
let tempSeq = 0
let exitRenameInstalled = false

function finishLog(tmp: string, final: string): void {
  pendingLogs.delete(tmp)
  try {
    renameSync(tmp, final)
  } catch {
    // QEMU never created it (did not start): nothing to keep.
  }
}

function installExitRename(): void {
  if (exitRenameInstalled) return
  exitRenameInstalled = true
  process.on('exit', () => {
    for (const [tmp, final] of [...pendingLogs]) finishLog(tmp, final)
  })
}

/** Removes temporary logs left by kos processes that died without renaming them (SIGKILL); never another live run's. */
export function removeStaleTempLogs(absLogDir: string): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(absLogDir)
  } catch {
    return removed
  }
  for (const name of names) {
    const m = /\.tmp-(\d+)-\d+\./.exec(name)
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue
    rmSync(path.join(absLogDir, name), {force: true})
    removed.push(name)
  }
  return removed
}

/** The ELF whose symbols belong to the booted kernel (QEMU boots the 32-bit copy of build/kernel.elf). */
export function symbolsElfFor(kernel: string): string {
  return path.basename(kernel) === 'kernel32.elf' ? path.join(path.dirname(kernel), 'kernel.elf') : kernel
}

const qemuLogOf = (serialLog: string) => serialLog.replace(/\.log$/, '.qemu.txt')
/** Where a guest's coverage profile goes: named as its serial log, in profileDir. */
export const profilePathOf = (profileDir: string, serialLog: string) => path.join(profileDir, path.basename(serialLog).replace(/\.log$/, '.profraw'))

/** Runs one case once (all its guests) and returns its result. */
export async function runCase(
  def: CaseDef, attempt: number, opts: RunCasesOptions & {accel: 'tcg' | 'kvm'; bootProblem?: string},
): Promise<CaseResult> {
  const started = Date.now()
  const timeScale = opts.timeScale ?? 1
  const timeoutSec = opts.timeoutSec ?? Math.ceil(def.timeoutSec * timeScale)
  const logDir = opts.logDir ?? DEFAULT_LOG_DIR
  const base = attempt > 1 ? `${def.id}.run${attempt}` : def.id
  const guests = def.guests ?? 1
  // Life 2, 3, ... of a guest booted again after a kill (churn) logs to CASE.guestG.restartN.log.
  const logName = (stem: string, g: number, life: number) =>
    guests > 1 ? `${stem}.guest${g}${life > 1 ? `.restart${life - 1}` : ''}.log` : `${stem}${life > 1 ? `.restart${life - 1}` : ''}.log`
  const logFor = (g: number, life = 1) => path.join(logDir, logName(base, g, life))
  // Same directory, unique per process and run; keeps the ".guestN.log" ending peers derive other guests' logs from.
  const tempTag = `${base}.tmp-${process.pid}-${++tempSeq}`
  const tempFor = (g: number, life = 1) => path.join(logDir, logName(tempTag, g, life))
  const result = (v: Verdict, extra: Partial<CaseResult>): CaseResult => {
    const r: CaseResult = {
      id: def.id, phase: def.phase, title: def.title, components: def.components, syscalls: def.syscalls,
      status: v.status, durationMs: Date.now() - started, log: logFor(1),
      qemu: {argv: [], exitCode: null, signal: null}, ktap: v.ktap, profile: def.profile,
      ...extra,
    }
    if (v.reason !== undefined) r.reason = v.reason
    if (v.tail !== undefined && v.status !== 'pass') r.tail = v.tail
    if (v.metrics !== undefined) r.metrics = v.metrics
    if (attempt > 1 || (opts.repeat ?? 1) > 1) r.attempt = attempt
    const want = def.expect?.status
    if (want !== undefined && want !== 'pass') r.expected = {status: want, met: r.status === want && (def.expect?.crashReason === undefined || (r.reason ?? '').includes(def.expect.crashReason))}
    return r
  }

  // An ISO case whose image could not be built is an error of the run, never a skip.
  if (opts.bootProblem !== undefined) return result({status: 'error', reason: opts.bootProblem, ktap: null}, {})
  const netAdmin = opts.netAdmin ?? hasNetAdmin()
  if (def.needsNetAdmin && !netAdmin) return result(classifyRun(def, {harnessSkip: NET_ADMIN_SKIP_REASON} as RunOutcome), {})
  if (def.needsNetem && !(opts.netem ?? netemAvailable())) return result(classifyRun(def, {harnessSkip: NETEM_SKIP_REASON} as RunOutcome), {})

  let profile: MachineProfile
  try {
    profile = loadProfile(opts.repoRoot, def.profile)
  } catch (error) {
    return result({status: 'error', reason: (error as Error).message, ktap: null}, {})
  }

  let peer: Peer | undefined
  const abs = (rel: string) => path.resolve(opts.repoRoot, rel)
  mkdirSync(abs(logDir), {recursive: true})
  installExitRename()
  const lives = new Array<number>(guests + 1).fill(1)
  const registerLogs = (g: number, life: number) => {
    pendingLogs.set(abs(tempFor(g, life)), abs(logFor(g, life)))
    pendingLogs.set(abs(qemuLogOf(tempFor(g, life))), abs(qemuLogOf(logFor(g, life))))
  }
  for (let g = 1; g <= guests; g++) registerLogs(g, 1)
  const deadline = started + timeoutSec * 1000
  const control = new GuestLives(guests, (g) => abs(tempFor(g, lives[g])))
  try {
    if (def.peer) {
      const start = opts.startPeer ?? (await defaultStartPeer())
      // The peer watches the log QEMU is writing: the temporary one.
      peer = await start(def.peer, {caseId: def.id, repoRoot: opts.repoRoot, serialPath: abs(tempFor(1)), buildDir: path.dirname(opts.kernel ?? DEFAULT_KERNEL), guests: control.api, timeScale})
      let readyError: string | undefined
      await withTimeout(peer.ready.catch((error: Error) => { readyError = error.message }), timeoutSec * 1000, () => { readyError = 'not ready in time' })
      if (readyError !== undefined) return result({status: 'error', reason: `peer ${def.peer.name} did not start: ${readyError}`, ktap: null}, {})
    }

    // A guest's lives one after another: a life the peer killed is over, and the
    // guest waits (until the peer is done) for the peer to boot it again.
    const peerDone = peer?.result ? peer.result.then(() => undefined, () => undefined) : Promise.resolve()
    const killed: {guest: number; life: number; log: string}[] = []
    const guestLives = async (g: number): Promise<GuestRun | null> => {
      for (;;) {
        const life = lives[g]
        const remaining = Math.max(1, Math.ceil((deadline - Date.now()) / 1000))
        const run = await runGuest(def, profile, g, guests, tempFor(g, life), logFor(g, life), remaining, peer, opts, (p) => control.started(g, p))
        if (!control.wasKilled(g)) return run
        killed.push({guest: g, life, log: logFor(g, life)})
        if (!(await control.waitRestart(g, peerDone))) return null
        lives[g] = life + 1
        registerLogs(g, life + 1)
        control.restarted(g)
      }
    }
    const all = await Promise.all(Array.from({length: guests}, (_, i) => guestLives(i + 1)))
    const runs = all.filter((r): r is GuestRun => r !== null)
    if (runs.length === 0) return result({status: 'error', reason: 'the peer killed every guest and booted none again', ktap: null}, {killed})

    let peerResult: PeerVerdict | undefined
    if (peer?.result) {
      peerResult = await withTimeout(
        peer.result.catch((error: Error) => ({ok: false, detail: error.message})),
        PEER_RESULT_GRACE_MS * timeScale,
        () => ({ok: false, detail: 'peer gave no result'}),
      )
    }
    // The worst guest decides; a failed peer turns an otherwise passing run into a fail.
    const worst = worstOf(runs, (r) => r.verdict.status)
    let verdict = worst.verdict
    if (peerResult && !peerResult.ok) {
      const peerReason = `peer ${def.peer!.name}: ${peerResult.detail}`
      // A failed peer fails a passing run; for a run that already failed it explains what the host saw.
      if (verdict.status === 'pass' || verdict.status === 'skip') verdict = {...verdict, status: 'fail', reason: peerReason}
      else verdict = {...verdict, reason: `${verdict.reason ?? verdict.status}; ${peerReason}`}
    }
    const extra: Partial<CaseResult> = {log: worst.log, qemu: {argv: worst.argv, exitCode: worst.exitCode, signal: worst.signal}}
    if (worst.backtrace) extra.backtrace = worst.backtrace
    if (worst.backtraceNote) extra.backtraceNote = worst.backtraceNote
    if (peerResult) extra.peer = {name: def.peer!.name, ...peerResult}
    const allLogs: string[] = []
    for (let g = 1; g <= guests; g++) for (let life = 1; life <= lives[g]; life++) allLogs.push(logFor(g, life))
    if (allLogs.length > 1) extra.guestLogs = allLogs
    if (killed.length > 0) extra.killed = killed
    // The health monitors' view (p2p-health: lines), read from the logs being written.
    const overlay = buildOverlay(Array.from({length: guests}, (_, i) => i + 1).flatMap((g) =>
      Array.from({length: lives[g]}, (_, l) => ({
        text: readText(abs(tempFor(g, l + 1))),
        killed: killed.some((k) => k.guest === g && k.life === l + 1),
      }))))
    if (overlay) extra.overlay = overlay
    return result(verdict, extra)
  } catch (error) {
    return result({status: 'error', reason: (error as Error).message.split('\n')[0], ktap: null}, {})
  } finally {
    if (peer) await peer.stop().catch(() => undefined)
    // Only now: the peer read the temporary log until it stopped.
    control.killAll()
    for (let g = 1; g <= guests; g++) {
      for (let life = 1; life <= lives[g]; life++) {
        finishLog(abs(tempFor(g, life)), abs(logFor(g, life)))
        finishLog(abs(qemuLogOf(tempFor(g, life))), abs(qemuLogOf(logFor(g, life))))
      }
    }
  }
}

/** The state behind a case's GuestControl: each guest's QEMU of its current life, kills and restarts. */
class GuestLives {
  private procs: (QemuProcess | undefined)[]
  private killedFlag: boolean[]
  private restartWaiters: ((boot: boolean) => void)[] = []
  private startWaiters: ((log: string) => void)[] = []
  readonly api: GuestControl

  constructor(private readonly count: number, private readonly logOf: (g: number) => string) {
    this.procs = new Array(count + 1)
    this.killedFlag = new Array(count + 1).fill(false)
    const check = (g: number) => {
      if (!Number.isInteger(g) || g < 1 || g > count) throw new Error(`no guest ${g} (the case has ${count})`)
    }
    this.api = {
      count,
      serialPath: (g) => { check(g); return this.logOf(g) },
      kill: async (g) => {
        check(g)
        const p = this.procs[g]
        if (!p || this.killedFlag[g]) throw new Error(`guest ${g} is not running`)
        this.killedFlag[g] = true
        p.kill()
        await p.done
      },
      restart: (g) => {
        check(g)
        const wake = this.restartWaiters[g]
        if (!this.killedFlag[g] || !wake) return Promise.reject(new Error(`guest ${g} was not killed`))
        return new Promise<string>((resolve) => {
          this.startWaiters[g] = resolve
          wake(true)
        })
      },
    }
  }

  started(g: number, p: QemuProcess): void {
    this.procs[g] = p
    const w = this.startWaiters[g]
    delete this.startWaiters[g]
    w?.(this.logOf(g))
  }

  wasKilled(g: number): boolean {
    return this.killedFlag[g]
  }

  /** Resolves true when the peer boots guest g again, false once the peer is done without doing so. */
  waitRestart(g: number, peerDone: Promise<void>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.restartWaiters[g] = resolve
      void peerDone.then(() => resolve(false))
    })
  }

  restarted(g: number): void {
    this.killedFlag[g] = false
    delete this.restartWaiters[g]
  }

  /** SIGKILLs every guest still running (the case is over). */
  killAll(): void {
    for (let g = 1; g <= this.count; g++) this.procs[g]?.kill()
  }
}

/** Boots one guest writing its logs to tempLog (relative); results name finalLog, where runCase moves them. */
async function runGuest(
  def: CaseDef, profile: MachineProfile, guest: number, guests: number, tempLog: string, finalLog: string,
  timeoutSec: number, peer: Peer | undefined, opts: RunCasesOptions & {accel: 'tcg' | 'kvm'},
  onStart?: (p: QemuProcess) => void,
): Promise<GuestRun> {
  const absLog = path.resolve(opts.repoRoot, tempLog)
  const qemuLog = qemuLogOf(absLog)
  rmSync(absLog, {force: true})
  rmSync(qemuLog, {force: true})
  const vars: Record<string, string | number> = {
    caseId: def.id,
    guest,
    guests,
    // A distinct MAC per guest of a LAN (QEMU's default is ...:56 for every guest).
    mac: `52:54:00:12:34:${(0x56 + guest - 1).toString(16).padStart(2, '0')}`,
    ...(peer?.vars ?? {}),
  }
  const argv = qemuArgv(profile, {
    kernel: opts.kernel ?? DEFAULT_KERNEL,
    initrd: opts.initrd ?? DEFAULT_INITRD,
    // {guest} in a LAN case's command line gives each guest its own words (a p2pd seed: its key).
    append: def.append.replace(/\{guest\}/g, String(guest)),
    ...(def.boot ? {cdrom: testIsoPath(def.boot.entry, path.dirname(opts.kernel ?? DEFAULT_KERNEL)), ...(def.boot.firmware === 'uefi' ? {bios: OVMF_FIRMWARE} : {})} : {}),
    serialPath: tempLog,
    qemuLogPath: qemuLogOf(tempLog),
    accel: opts.accel,
    vars,
  })
  if (opts.qemuBinary) argv[0] = opts.qemuBinary
  if (opts.profileDir) {
    const profile = profilePathOf(opts.profileDir, finalLog)
    mkdirSync(path.resolve(opts.repoRoot, opts.profileDir), {recursive: true})
    rmSync(path.resolve(opts.repoRoot, profile), {force: true})
    argv.push('-debugcon', `file:${profile}`)
  }
  const full = [...(peer?.qemuPrefix ?? []), ...argv]
  const proc = startQemu(full, {timeoutMs: timeoutSec * 1000, cwd: opts.repoRoot})
  onStart?.(proc)
  const exit = await proc.done
  const outcome: RunOutcome = {
    spawnError: exit.spawnError,
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: exit.timedOut,
    timeoutSec,
    serial: readText(absLog),
    qemuLog: readText(qemuLog),
    stderr: exit.stderr,
  }
  let verdict = classifyRun(def, outcome)
  // The command line to reproduce the run names the logs where they end up.
  const shownArgv = full.map((a) => a.replace(tempLog, finalLog).replace(qemuLogOf(tempLog), qemuLogOf(finalLog)))
  const run: GuestRun = {verdict, argv: shownArgv, exitCode: exit.exitCode, signal: exit.signal, log: finalLog}

  const addrs = collectBacktraceAddresses(outcome.serial)
  if (addrs.length > 0) {
    const kernel = opts.kernel ?? DEFAULT_KERNEL
    const bt = await symbolizeAddresses(addrs, opts.symbols ?? symbolsElfFor(kernel), {repoRoot: opts.repoRoot})
    appendFileSync(absLog, (outcome.serial.endsWith('\n') || outcome.serial === '' ? '' : '\n') + formatBacktraceBlock(bt))
    run.backtrace = bt.frames
    if (bt.note) run.backtraceNote = bt.note
    const where = crashLocation(bt.frames)
    if (where && verdict.status !== 'pass' && verdict.status !== 'skip') {
      verdict = {...verdict, reason: `${verdict.reason ?? verdict.status} (at ${where})`}
      run.verdict = verdict
    }
  }
  return run
}

/** Runs the cases (each `repeat` times) with at most `jobs` QEMUs at once; results keep the input order. */
export async function runCases(cases: readonly CaseDef[], opts: RunCasesOptions): Promise<RunResults> {
  const kernel = opts.kernel ?? DEFAULT_KERNEL
  const initrd = opts.initrd ?? DEFAULT_INITRD
  for (const f of [kernel, initrd]) {
    if (!existsSync(path.resolve(opts.repoRoot, f))) throw new RunError(`${f} is missing: run "kos build" first`)
  }
  const repeat = opts.repeat ?? 1
  if (!Number.isInteger(repeat) || repeat < 1) throw new RunError(`repeat must be an integer >= 1, got ${repeat}`)
  const jobs = Math.max(1, opts.jobs ?? os.cpus().length)
  installExitHandlers()
  removeStaleTempLogs(path.resolve(opts.repoRoot, opts.logDir ?? DEFAULT_LOG_DIR))
  const accel = opts.accel ?? (await chooseAccel())
  const date = new Date().toISOString()

  // The ISO variants the selected ISO cases boot, built (or found up to date) once each.
  const isoProblems = new Map<string, string>()
  for (const entry of new Set(cases.flatMap((c) => (c.boot ? [c.boot.entry] : [])))) {
    try {
      await buildTestIso(opts.repoRoot, entry, path.dirname(kernel))
    } catch (error) {
      isoProblems.set(entry, `cannot build ${testIsoPath(entry, path.dirname(kernel))}: ${(error as Error).message}`)
    }
  }
  if (cases.some((c) => c.boot?.firmware === 'uefi') && !existsSync(OVMF_FIRMWARE)) {
    for (const c of cases) if (c.boot?.firmware === 'uefi') isoProblems.set(c.boot.entry + ':uefi', `${OVMF_FIRMWARE} missing (Debian package ovmf; \`kos setup\` installs it)`)
  }
  const bootProblem = (def: CaseDef) => (def.boot ? isoProblems.get(def.boot.entry) ?? isoProblems.get(`${def.boot.entry}:${def.boot.firmware}`) : undefined)

  const work: {def: CaseDef; attempt: number}[] = []
  for (const def of cases) for (let a = 1; a <= repeat; a++) work.push({def, attempt: a})
  const results: CaseResult[] = new Array(work.length)
  let next = 0
  const worker = async () => {
    while (next < work.length) {
      const i = next++
      const {def, attempt} = work[i]
      opts.onCaseStart?.(def, attempt)
      results[i] = await runCase(def, attempt, {...opts, kernel, initrd, accel, bootProblem: bootProblem(def)})
      opts.onCaseDone?.(results[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(jobs, work.length)}, worker))
  return {date, commit: headCommit(opts.repoRoot), summary: summarize(results), cases: results}
}
