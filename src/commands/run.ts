import {Command, Flags} from '@oclif/core'
import {spawnSync} from 'node:child_process'
import dgram from 'node:dgram'
import {existsSync, mkdirSync, renameSync, rmSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {build} from '../builder/index.js'
import {chooseAccel} from '../qemu/accel.js'
import {fillFreePorts, profilePlaceholders, qemuArgv} from '../qemu/argv.js'
import {createNetns, type Netns, TAP_GUEST_IP, TAP_HOST_IP} from '../qemu/netns.js'
import {installExitHandlers, startQemu} from '../qemu/process.js'
import {loadProfile} from '../qemu/profile.js'
import {loadSuites} from '../suites/load.js'
import {DEFAULT_INITRD, DEFAULT_KERNEL, DEFAULT_LOG_DIR, NET_ADMIN_SKIP_REASON} from '../suites/run.js'
import {selectCases} from '../suites/select.js'
import type {CaseDef, Peer} from '../suites/types.js'
import {hasNetAdmin} from '../util/host.js'
import {findRepoRoot} from '../util/root.js'
import {shellQuote} from '../util/spawn.js'

/** A TCP port nobody listens on right now on 127.0.0.1 (for the gdb stub). */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.once('error', () => resolve(false))
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

/** A port free for both TCP and UDP on 127.0.0.1: profiles forward either (hostfwd=udp:... or tcp:...). */
async function freeForwardPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort()
    if (await udpPortFree(port)) return port
  }
  throw new Error('no free host port for the forwarded port (tried 20)')
}

export default class Run extends Command {
  static override description = 'Boot kos in QEMU with the serial console on this terminal (Ctrl-C quits and stops QEMU)'

  static override examples = [
    '<%= config.bin %> run --append "ktest=all"',
    '<%= config.bin %> run --case fork',
    '<%= config.bin %> run --gdb --append "init=/bin/hello"',
    '<%= config.bin %> run --profile e1000-user-p2p --append "init=/bin/p2pd:port=4001:seed=me:ctl_listen=0.0.0.0"',
    '<%= config.bin %> run --profile e1000-tap --append "ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0 mdns=1 init=/bin/httpd"',
  ]

  static override flags = {
    append: Flags.string({description: 'kernel command line (default: the case\'s, or empty)'}),
    profile: Flags.string({description: 'machine profile from qemu/ (default: the case\'s, or base)'}),
    gdb: Flags.boolean({description: 'start halted with a gdb stub and print the gdb command', default: false}),
    case: Flags.string({description: 'boot exactly like this test case (its profile, command line and host peer)'}),
    suites: Flags.string({description: 'directory of suite files (for --case)', default: 'test-suites'}),
    build: Flags.boolean({description: 'build first (--no-build to boot the existing build/)', default: true, allowNo: true}),
    'dry-run': Flags.boolean({description: 'print the QEMU command line and exit', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Run)
    const repoRoot = findRepoRoot()
    installExitHandlers()
    let argv: string[]
    let peer: Peer | undefined
    let def: CaseDef | undefined
    let ns: Netns | undefined
    try {
      let profileName = flags.profile ?? 'base'
      let append = flags.append ?? ''
      if (flags.case !== undefined) {
        ;[def] = selectCases(await loadSuites(repoRoot, flags.suites), {caseIds: [flags.case]})
        profileName = flags.profile ?? def.profile
        append = flags.append ?? def.append
        if (def.needsNetAdmin && !hasNetAdmin()) throw new Error(`case ${def.id} ${NET_ADMIN_SKIP_REASON}`)
        if ((def.guests ?? 1) > 1) process.stderr.write(`note: case ${def.id} boots ${def.guests} guests; kos run boots guest 1 only\n`)
      }
      const profile = loadProfile(repoRoot, profileName)
      if (flags.build && !flags['dry-run']) {
        const b = await build({root: repoRoot, plain: true, log: (l) => process.stderr.write(l + '\n')})
        if (b.failed) throw new Error(`build failed (${b.summary})`)
      }
      for (const f of [DEFAULT_KERNEL, DEFAULT_INITRD]) {
        if (!existsSync(path.join(repoRoot, f))) throw new Error(`${f} is missing: run "kos build" first`)
      }

      const id = def?.id ?? 'run'
      const vars: Record<string, string | number> = {caseId: id, guest: 1, guests: def?.guests ?? 1, mac: '52:54:00:12:34:56'}
      // The serial output is also copied to a file so a host peer can watch it, as in kos test.
      // Written under a name of this process and moved to ID.run.log when QEMU is gone (also on Ctrl-C),
      // so two kos run at once never write into each other's copy.
      const finalLog = path.join(repoRoot, DEFAULT_LOG_DIR, `${id}.run.log`)
      const serialLog = path.join(DEFAULT_LOG_DIR, flags['dry-run'] ? `${id}.run.log` : `${id}.run.tmp-${process.pid}-1.log`)
      mkdirSync(path.join(repoRoot, DEFAULT_LOG_DIR), {recursive: true})
      rmSync(path.join(repoRoot, serialLog), {force: true})
      if (!flags['dry-run']) {
        process.once('exit', () => {
          try {
            renameSync(path.join(repoRoot, serialLog), finalLog)
          } catch {
            // QEMU never wrote it.
          }
        })
      }
      let prefix: string[] = []
      if (def?.peer && !flags['dry-run']) {
        const {startPeer} = await import('../netlab/index.js')
        peer = await startPeer(def.peer, {caseId: def.id, repoRoot, serialPath: path.join(repoRoot, serialLog)})
        await peer.ready
        Object.assign(vars, peer.vars ?? {})
        prefix = peer.qemuPrefix ?? []
        process.stderr.write(`host peer "${def.peer.name}" is ready\n`)
      }
      const missing = profilePlaceholders(profile).filter((name) => !(name in vars) && !/port$/i.test(name))
      const lan = profile.args.some((a) => a.includes('{tap}{guest}'))
      if (flags['dry-run'] && def?.peer) {
        // Printed as they are: the case's host peer fills them when it starts.
        for (const name of missing) vars[name] = `{${name}}`
        if (missing.length > 0) process.stderr.write(`note: the host peer "${def.peer.name}" fills ${missing.map((n) => `{${n}}`).join(', ')} when it starts (not with --dry-run)\n`)
      } else if (!peer && missing.includes('tap')) {
        // Without a peer, a profile's TAP device is made here, in a network namespace of this run
        // (removed when it ends, also on Ctrl-C), so host programs reach the guest from inside it.
        if (lan) throw new Error(`${profile.file} is a LAN of several guests: boot it with kos test --case`)
        if (flags['dry-run']) {
          vars.tap = '{tap}'
          process.stderr.write('note: kos run makes {tap} in a network namespace of its own when it boots (not with --dry-run)\n')
        } else {
          if (!hasNetAdmin()) throw new Error(`${profile.file} ${NET_ADMIN_SKIP_REASON}`)
          ns = await createNetns(def?.id ?? 'run')
          vars.tap = ns.tap
          prefix = ns.prefix
          process.stderr.write(`network namespace ${ns.name}: ${ns.tap} is ${TAP_HOST_IP}/24 there (the guest: ip=${TAP_GUEST_IP} gw=${TAP_HOST_IP} mask=255.255.255.0); from another terminal: ip netns exec ${ns.name} ping ${TAP_GUEST_IP}; removed when QEMU exits\n`)
        }
      }
      // Without a peer nobody fills a forwarded port: pick a free one and say which, so a host program can use it.
      const chosen = await fillFreePorts(profile, vars, freeForwardPort)
      for (const [name, port] of Object.entries(chosen)) {
        process.stderr.write(`{${name}} = ${port}: ${profile.name} forwards host 127.0.0.1:${port} to the guest\n`)
      }
      const gdbPort = flags.gdb ? await freeTcpPort() : undefined
      argv = [...prefix, ...qemuArgv(profile, {
        kernel: DEFAULT_KERNEL, initrd: DEFAULT_INITRD, append, accel: await chooseAccel(profile.cpu), gdbPort, vars, serialLogPath: serialLog,
      })]
      if (gdbPort !== undefined) {
        process.stderr.write(`QEMU waits for gdb; in another terminal:\n  gdb build/kernel.elf -ex 'target remote :${gdbPort}'\n`)
      }
    } catch (error) {
      if (peer) await peer.stop().catch(() => undefined)
      if (ns) await ns.destroy().catch(() => undefined)
      process.stderr.write(`kos run: ${(error as Error).message.split('\n')[0]}\n`)
      return this.exit(2)
    }
    if (flags['dry-run']) {
      process.stdout.write(shellQuote(argv) + '\n')
      return
    }
    process.stderr.write(`${shellQuote(argv)}\n`)
    const proc = startQemu(argv, {interactive: true, cwd: repoRoot})
    const exit = await proc.done
    // QEMU restores the terminal itself unless it was killed hard.
    if (exit.signal === 'SIGKILL' && process.stdin.isTTY) spawnSync('stty', ['sane'], {stdio: 'inherit'})
    if (peer?.result) {
      const verdict = await Promise.race([
        peer.result.catch((error: Error) => ({ok: false, detail: error.message})),
        new Promise<{ok: boolean; detail: string}>((resolve) => { setTimeout(() => resolve({ok: false, detail: 'peer gave no result'}), 15_000).unref() }),
      ])
      process.stderr.write(`host peer: ${verdict.ok ? 'ok' : 'FAILED'}: ${verdict.detail}\n`)
    }
    if (peer) await peer.stop().catch(() => undefined)
    if (ns) await ns.destroy().catch(() => undefined)
    if (exit.spawnError) {
      process.stderr.write(`kos run: QEMU did not start: ${exit.spawnError}\n`)
      return this.exit(2)
    }
    const guest = exit.exitCode !== null && exit.exitCode % 2 === 1 ? ` (guest exit value ${(exit.exitCode - 1) >> 1})` : ''
    process.stderr.write(`QEMU exited with ${exit.exitCode ?? exit.signal}${guest}\n`)
    this.exit(exit.exitCode === 1 ? 0 : 1)
  }
}
