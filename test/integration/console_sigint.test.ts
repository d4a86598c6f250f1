// Ctrl-C on the real console path: QEMU's stdio serial with signal=off passes
// the 0x03 byte to the guest's UART, whose receive interrupt makes it SIGINT
// for the foreground program (kernel/drivers/serial.c, kernel/proc/signal.c).
// The verdict is the guest's KTAP: the handler variant exits 0 ("ok"), the
// default variant is killed by signal 2.
import {spawn} from 'node:child_process'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseKtap} from '../../src/ktap/parse.js'
import {qemuArgv} from '../../src/qemu/argv.js'
import {loadProfile} from '../../src/qemu/profile.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')

/** Boot init=/bin/signal_test:MODE; once `ready` is on the console, type Ctrl-C every 500 ms until QEMU exits. */
function bootAndInterrupt(mode: string, ready: string): Promise<{code: number | null; out: string}> {
  const argv = qemuArgv(loadProfile(repoRoot, 'base'), {
    kernel: path.join(repoRoot, 'build/kernel32.elf'),
    initrd: path.join(repoRoot, 'build/initrd.tar'),
    append: `init=/bin/signal_test:${mode}`,
    accel: 'tcg',
    consoleInput: true,
  })
  return new Promise((resolve, reject) => {
    const q = spawn(argv[0], argv.slice(1), {cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let timer: NodeJS.Timeout | undefined
    const killer = setTimeout(() => q.kill('SIGKILL'), 240_000)
    q.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!timer && out.includes(ready)) timer = setInterval(() => q.stdin.write('\x03'), 500)
    })
    q.stdin.on('error', () => {})
    q.on('error', reject)
    q.on('close', (code) => {
      clearTimeout(killer)
      if (timer) clearInterval(timer)
      resolve({code, out})
    })
  })
}

describe('Ctrl-C on the console', () => {
  it('runs the foreground program\'s SIGINT handler', async () => {
    const {code, out} = await bootAndInterrupt('sigint', '[signal_test] waiting for SIGINT')
    const top = parseKtap(out).root.subtests
    expect(top.map((t) => [t.name, t.ok])).toEqual([['signal_test_sigint', true], ['no_page_leak', true]])
    expect(code).toBe(1)        // isa-debug-exit 0: every result passed
  }, 300_000)

  it('ends a program without a handler by SIGINT', async () => {
    const {code, out} = await bootAndInterrupt('wait', 'kos: ')
    expect(out).toContain('[kernel] signal_test (pid 1) killed: signal 2 (SIGINT)')
    const top = parseKtap(out).root.subtests
    expect(top[0]).toMatchObject({name: 'signal_test_wait', ok: false})
    expect(top[1]).toMatchObject({name: 'no_page_leak', ok: true})
    expect(code).toBe(3)        // isa-debug-exit 1: a result failed (the killed program)
  }, 300_000)
})
