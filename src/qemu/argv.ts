// The QEMU command line for one boot: a pure function of the profile and the run's options.
import type {MachineProfile} from './profile.js'

export const QEMU_BINARY = 'qemu-system-x86_64'
/** isa-debug-exit: the guest writes v to port 0xf4, QEMU exits with (v << 1) | 1. */
export const DEBUG_EXIT_DEVICE = 'isa-debug-exit,iobase=0xf4,iosize=0x04'

/** Debian's (and Ubuntu's) OVMF build: UEFI firmware in one image (package ovmf). */
export const OVMF_FIRMWARE = '/usr/share/ovmf/OVMF.fd'

export interface QemuArgvOptions {
  kernel: string
  initrd: string
  append: string
  /** Boot this ISO (-cdrom) instead of -kernel/-initrd/-append: the boot loader on it picks the command line. */
  cdrom?: string
  /** Firmware image (-bios), e.g. OVMF for UEFI; default SeaBIOS. */
  bios?: string
  /** Serial to this file (test runs). Without it the serial goes to stdio (kos run). */
  serialPath?: string
  /** With stdio serial: also copy the serial output to this file (peers read it). */
  serialLogPath?: string
  /** With stdio serial: a Ctrl-C byte written to QEMU's stdin goes to the guest (signal=off) instead of stopping QEMU. */
  consoleInput?: boolean
  /** Where `-d cpu_reset` writes (its "Triple fault" line names a triple fault). */
  qemuLogPath?: string
  /** gdb stub port: the guest waits (-S) until gdb attaches. */
  gdbPort?: number
  accel: 'tcg' | 'kvm'
  /** Values for `{name}` placeholders in the profile's args. */
  vars?: Record<string, string | number>
  /** Extra arguments appended last. */
  extra?: string[]
}

export function fillPlaceholders(arg: string, vars: Record<string, string | number>, profileFile: string): string {
  return arg.replace(/\{(\w+)\}/g, (_, key: string) => {
    if (!(key in vars)) throw new Error(`${profileFile}: argument "${arg}" needs a value for {${key}} which this run does not provide`)
    return String(vars[key])
  })
}

/** The `{name}` placeholders a profile's args need. */
export function profilePlaceholders(profile: MachineProfile): string[] {
  return [...new Set(profile.args.flatMap((a) => [...a.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))]
}

/**
 * Fills a profile's placeholders that no peer provided. Forwarded ports (`{...Port}`) can be
 * any free host port, chosen by pickPort; anything else (a TAP name) only a peer knows.
 * Returns the ports it chose, by placeholder name; vars is filled in place.
 */
export async function fillFreePorts(
  profile: MachineProfile, vars: Record<string, string | number>, pickPort: () => Promise<number>,
): Promise<Record<string, number>> {
  const chosen: Record<string, number> = {}
  for (const name of profilePlaceholders(profile)) {
    if (name in vars) continue
    if (!/port$/i.test(name)) {
      throw new Error(`${profile.file} needs {${name}}, which only a case's host peer provides: use --case with a case that has one`)
    }
    // Two placeholders must not get the same port.
    let port = await pickPort()
    for (let i = 0; i < 20 && Object.values(chosen).includes(port); i++) port = await pickPort()
    vars[name] = port
    chosen[name] = port
  }
  return chosen
}

export function qemuArgv(profile: MachineProfile, opts: QemuArgvOptions): string[] {
  const argv = [
    QEMU_BINARY,
    '-M', profile.machine,
    '-m', profile.memory,
    '-cpu', profile.cpu,
  ]
  if (profile.smp !== 1) argv.push('-smp', String(profile.smp))
  argv.push(
    '-accel', opts.accel,
    '-display', 'none',
    '-monitor', 'none',
    '-no-reboot',
  )
  if (opts.qemuLogPath) argv.push('-d', 'cpu_reset', '-D', opts.qemuLogPath)
  if (opts.serialPath) {
    argv.push('-serial', `file:${opts.serialPath}`)
  } else {
    // signal=on: Ctrl-C stops QEMU (and kos run) instead of going to the guest.
    const logfile = opts.serialLogPath ? `,logfile=${opts.serialLogPath}` : ''
    const signal = opts.consoleInput ? 'off' : 'on'
    argv.push('-chardev', `stdio,id=serial0,signal=${signal}${logfile}`, '-serial', 'chardev:serial0')
  }
  argv.push('-device', DEBUG_EXIT_DEVICE)
  const vars = opts.vars ?? {}
  for (const a of profile.args) argv.push(fillPlaceholders(a, vars, profile.file))
  if (opts.gdbPort !== undefined) argv.push('-S', '-gdb', `tcp:127.0.0.1:${opts.gdbPort}`)
  if (opts.bios !== undefined) argv.push('-bios', opts.bios)
  if (opts.cdrom !== undefined) {
    argv.push('-cdrom', opts.cdrom)
  } else {
    argv.push('-kernel', opts.kernel, '-initrd', opts.initrd)
    if (opts.append !== '') argv.push('-append', opts.append)
  }
  argv.push(...(opts.extra ?? []))
  return argv
}
