import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {fillFreePorts, profilePlaceholders, qemuArgv} from '../../src/qemu/argv.js'
import {shellQuote} from '../../src/util/spawn.js'
import {liveQemuCount, startQemu} from '../../src/qemu/process.js'
import {loadProfile, ProfileError, validateProfile} from '../../src/qemu/profile.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')

function tempRepo(profiles: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-qemu-test-'))
  mkdirSync(path.join(dir, 'qemu'))
  for (const [name, text] of Object.entries(profiles)) writeFileSync(path.join(dir, 'qemu', `${name}.json`), text)
  return dir
}

describe('machine profiles', () => {
  it('loads qemu/base.json', () => {
    const p = loadProfile(repoRoot, 'base')
    expect(p).toMatchObject({name: 'base', machine: 'pc', memory: '256M', cpu: 'max', smp: 1, args: ['-nic', 'none']})
  })

  it('names the file for an unknown profile and lists the known ones', () => {
    const dir = tempRepo({base: '{}'})
    expect(() => loadProfile(dir, 'nope')).toThrow(/unknown machine profile "nope": qemu\/nope.json does not exist \(have: base\)/)
  })

  it('names the file and field of a bad value', () => {
    const dir = tempRepo({bad: '{"memory": "lots"}', extra: '{"memroy": "256M"}', broken: '{'})
    expect(() => loadProfile(dir, 'bad')).toThrow(ProfileError)
    expect(() => loadProfile(dir, 'bad')).toThrow(/qemu\/bad.json: field "memory"/)
    expect(() => loadProfile(dir, 'extra')).toThrow(/qemu\/extra.json: unknown field "memroy"/)
    expect(() => loadProfile(dir, 'broken')).toThrow(/qemu\/broken.json: not valid JSON/)
    expect(() => validateProfile('x', 'qemu/x.json', {args: [1]})).toThrow(/field "args" must be an array of strings/)
  })
})

describe('qemuArgv', () => {
  const base = validateProfile('base', 'qemu/base.json', {machine: 'pc', memory: '256M', cpu: 'max'})
  const opts = {kernel: 'build/kernel32.elf', initrd: 'build/initrd.tar', append: 'ktest=all init=/bin/hello', accel: 'tcg' as const}

  it('builds the test command line with serial to a file and the reset log', () => {
    const argv = qemuArgv(base, {...opts, serialPath: 'build/reports/logs/a.log', qemuLogPath: 'build/reports/logs/a.qemu.txt'})
    expect(argv).toEqual([
      'qemu-system-x86_64', '-M', 'pc', '-m', '256M', '-cpu', 'max', '-accel', 'tcg', '-display', 'none', '-monitor', 'none',
      '-no-reboot', '-d', 'cpu_reset', '-D', 'build/reports/logs/a.qemu.txt', '-serial', 'file:build/reports/logs/a.log',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', 'build/kernel32.elf', '-initrd', 'build/initrd.tar',
      '-append', 'ktest=all init=/bin/hello',
    ])
  })

  it('uses stdio serial, gdb, kvm and smp when asked', () => {
    const smp = validateProfile('two', 'qemu/two.json', {smp: 2})
    const argv = qemuArgv(smp, {...opts, accel: 'kvm', gdbPort: 4321, extra: ['-s']})
    expect(argv).toContain('-smp')
    expect(argv.slice(argv.indexOf('-accel'), argv.indexOf('-accel') + 2)).toEqual(['-accel', 'kvm'])
    expect(argv.join(' ')).toContain('-chardev stdio,id=serial0,signal=on -serial chardev:serial0')
    expect(argv.join(' ')).toContain('-S -gdb tcp:127.0.0.1:4321')
    expect(argv).not.toContain('-d')
    const logged = qemuArgv(smp, {...opts, serialLogPath: 'build/reports/logs/x.run.log'})
    expect(logged).toContain('stdio,id=serial0,signal=on,logfile=build/reports/logs/x.run.log')
    // Typing on the console (test/integration/console_sigint.test.ts): Ctrl-C goes to the guest.
    expect(qemuArgv(smp, {...opts, consoleInput: true})).toContain('stdio,id=serial0,signal=off')
    expect(argv.at(-1)).toBe('-s')
  })

  it('fills placeholders in profile args and refuses missing ones', () => {
    const net = validateProfile('e1000-user', 'qemu/e1000-user.json', {
      args: ['-netdev', 'user,id=n0,hostfwd=udp:127.0.0.1:{hostPort}-10.0.2.15:7', '-device', 'e1000,netdev=n0,mac={mac}'],
    })
    const argv = qemuArgv(net, {...opts, vars: {hostPort: 40001, mac: '52:54:00:12:34:57'}})
    expect(argv).toContain('user,id=n0,hostfwd=udp:127.0.0.1:40001-10.0.2.15:7')
    expect(argv).toContain('e1000,netdev=n0,mac=52:54:00:12:34:57')
    expect(() => qemuArgv(net, {...opts, vars: {mac: 'x'}})).toThrow(/qemu\/e1000-user.json: .*\{hostPort\}/)
    expect(profilePlaceholders(net)).toEqual(['hostPort', 'mac'])
  })

  it('omits -append for an empty command line and quotes for the shell', () => {
    expect(qemuArgv(base, {...opts, append: ''})).not.toContain('-append')
    expect(shellQuote(['qemu', '-append', "a b'c"])).toBe(`qemu -append 'a b'\\''c'`)
  })
})

describe('fillFreePorts (kos run without a peer)', () => {
  const profile = validateProfile('fwd', 'qemu/fwd.json', {args: ['hostfwd=udp:127.0.0.1:{hostPort}-:7,hostfwd=tcp:127.0.0.1:{sshPort}-:22', 'mac={mac}']})

  it('picks a distinct port for each port placeholder nobody filled and leaves given values alone', async () => {
    const picks = [5000, 5000, 5001]
    const vars: Record<string, string | number> = {mac: '52:54:00:12:34:56'}
    const chosen = await fillFreePorts(profile, vars, async () => picks.shift()!)
    expect(chosen).toEqual({hostPort: 5000, sshPort: 5001})
    expect(vars).toEqual({mac: '52:54:00:12:34:56', hostPort: 5000, sshPort: 5001})
    const argv = qemuArgv(profile, {kernel: 'k', initrd: 'i', append: '', accel: 'tcg', vars})
    expect(argv).toContain('hostfwd=udp:127.0.0.1:5000-:7,hostfwd=tcp:127.0.0.1:5001-:22')
  })

  it('keeps a port a peer supplied', async () => {
    const vars: Record<string, string | number> = {mac: 'm', hostPort: 40123, sshPort: 40124}
    expect(await fillFreePorts(profile, vars, async () => { throw new Error('must not pick') })).toEqual({})
    expect(vars.hostPort).toBe(40123)
  })

  it('refuses a placeholder only a peer can fill (a TAP name), naming the file', async () => {
    const tap = validateProfile('tap', 'qemu/e1000-tap.json', {args: ['tap,ifname={tap}']})
    await expect(fillFreePorts(tap, {}, async () => 1)).rejects.toThrow('qemu/e1000-tap.json needs {tap}, which only a case\'s host peer provides')
  })
})

describe('startQemu process control', () => {
  it('kills the whole process group when the timer fires', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-proc-'))
    const pidFile = path.join(dir, 'grandchild.pid')
    // The shell starts a grandchild and waits: killing only the shell would leave it running.
    const p = startQemu(['sh', '-c', `sleep 300 & echo $! > ${pidFile}; wait`], {timeoutMs: 500})
    const exit = await p.done
    expect(exit.timedOut).toBe(true)
    const {readFileSync} = await import('node:fs')
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim())
    expect(grandchild).toBeGreaterThan(0)
    // Gone, or a zombie waiting for its new parent to reap it: either way no longer running.
    const state = () => {
      try {
        return readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(') ')[1][0]
      } catch {
        return 'gone'
      }
    }
    for (let i = 0; i < 50 && !['gone', 'Z'].includes(state()); i++) await new Promise((r) => setTimeout(r, 100))
    expect(['gone', 'Z']).toContain(state())
    expect(liveQemuCount()).toBe(0)
  })

  it('reports a binary that does not exist as a spawn error', async () => {
    const exit = await startQemu(['/nonexistent/qemu-system-x86_64']).done
    expect(exit.spawnError).toMatch(/ENOENT/)
    expect(exit.timedOut).toBe(false)
  })

  it('returns the exit code and stderr of a normal exit', async () => {
    const exit = await startQemu(['sh', '-c', 'echo oops >&2; exit 3'], {timeoutMs: 60_000}).done
    expect(exit).toMatchObject({exitCode: 3, timedOut: false})
    expect(exit.stderr).toBe('oops\n')
  })
})
