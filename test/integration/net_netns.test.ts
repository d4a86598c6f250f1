// Network namespaces and TAP devices: created per case, removed after a
// passing run, a failing run and Ctrl-C, never touching the root namespace.
// Needs root (CAP_NET_ADMIN): without it these tests are reported as skipped.
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {createNetns, listLeftovers, TAP_HOST_IP} from '../../src/qemu/netns.js'

const root = path.resolve(import.meta.dirname, '../..')
const isRoot = process.getuid?.() === 0
const kos = path.join(root, 'bin', 'dev.js')

function rootNamespaceAddresses(): string {
  return execFileSync('ip', ['-4', 'addr', 'show'], {encoding: 'utf8'})
}

/** Processes whose command line mentions text (e.g. a namespace name). */
function processesMentioning(text: string): number[] {
  const pids: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.includes(text))) pids.push(Number(d))
    } catch { /* exited */ }
  }
  return pids
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (cond()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return cond()
}

describe.skipIf(!isRoot)('netns (root)', () => {
  it('creates a namespace with the TAP device and removes it with its processes', async () => {
    const ns = await createNetns('unit')
    expect(ns.name).toMatch(new RegExp(`^kos-${process.pid}-\\d+-unit$`))
    const {stdout} = await ns.run('ip', ['-4', 'addr', 'show', 'dev', ns.tap])
    expect(stdout).toContain(`${TAP_HOST_IP}/24`)
    expect(rootNamespaceAddresses()).not.toContain(TAP_HOST_IP)
    const sleeper = ns.spawn('sleep', ['300'])
    await waitFor(() => listLeftovers(process.pid).pids.length > 0, 5000)
    expect(listLeftovers(process.pid).namespaces).toContain(ns.name)
    await ns.destroy()
    expect(listLeftovers(process.pid)).toEqual({namespaces: [], pids: []})
    expect(await waitFor(() => sleeper.exitCode !== null || sleeper.signalCode !== null, 5000)).toBe(true)
  })

  it('removes the namespace when the owning process gets SIGINT', async () => {
    const script = `import {createNetns} from ${JSON.stringify(path.join(root, 'src/qemu/netns.ts'))};
      const ns = await createNetns('sigint'); ns.spawn('sleep', ['300']); console.log('READY ' + ns.name); setInterval(() => {}, 1000);`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    expect(await waitFor(() => out.includes('READY'), 30_000)).toBe(true)
    const name = /READY (\S+)/.exec(out)![1]
    expect(listLeftovers(child.pid).namespaces).toEqual([name])
    child.kill('SIGINT')
    await new Promise((r) => child.once('exit', r))
    expect(child.exitCode ?? 130).toBe(130)
    expect(listLeftovers(child.pid)).toEqual({namespaces: [], pids: []})
  })
})

describe.skipIf(!isRoot)('TAP cases leave nothing behind (root, boots QEMU)', () => {
  const kernelBuilt = () => existsSync(path.join(root, 'build/kernel32.elf')) && existsSync(path.join(root, 'build/initrd.tar'))

  it('after a run that times out (a failed run)', async () => {
    execFileSync(process.execPath, ['--import', 'tsx', kos, 'build'], {cwd: root, stdio: 'pipe'})
    expect(kernelBuilt()).toBe(true)
    const child = spawn(process.execPath, ['--import', 'tsx', kos, 'test', '--case', 'ping_tap', '--no-build', '--out', mkdtempSync(path.join(os.tmpdir(), 'kos-net-')), '--timeout', '2', '--jobs', '1'], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    await new Promise((r) => child.once('exit', r))
    expect(out).toMatch(/ping_tap\s+(timeout|fail|error)/)
    expect(listLeftovers(child.pid)).toEqual({namespaces: [], pids: []})
    expect(processesMentioning(`kos-${child.pid}-`)).toEqual([])
  }, 300_000)

  it('after Ctrl-C in the middle of a TAP case', async () => {
    expect(kernelBuilt()).toBe(true)
    const child = spawn(process.execPath, ['--import', 'tsx', kos, 'test', '--case', 'udp_tap', '--no-build', '--out', mkdtempSync(path.join(os.tmpdir(), 'kos-net-')), '--jobs', '1'], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    // wait until its namespace and the QEMU inside it exist (ip netns exec replaces itself with
    // QEMU: on a loaded machine the namespace's first process may still be `ip` for a moment)
    const isQemu = (pid: number) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system') } catch { return false } }
    expect(await waitFor(() => listLeftovers(child.pid).pids.some(isQemu), 60_000)).toBe(true)
    const inside = listLeftovers(child.pid).pids
    child.kill('SIGINT')
    await new Promise((r) => child.once('exit', r))
    const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }
    expect(await waitFor(() => !inside.some(alive), 10_000)).toBe(true)
    expect(listLeftovers(child.pid)).toEqual({namespaces: [], pids: []})
  }, 300_000)

  it('after a passing run', async () => {
    expect(kernelBuilt()).toBe(true)
    const child = spawn(process.execPath, ['--import', 'tsx', kos, 'test', '--case', 'ping_tap', '--no-build', '--out', mkdtempSync(path.join(os.tmpdir(), 'kos-net-')), '--jobs', '1'], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { out += d })
    await new Promise((r) => child.once('exit', r))
    expect(out).toMatch(/ping_tap\s+pass/)
    expect(listLeftovers(child.pid)).toEqual({namespaces: [], pids: []})
    expect(processesMentioning(`kos-${child.pid}-`)).toEqual([])
  }, 300_000)
})

describe.skipIf(!isRoot)('kos run on e1000-tap without a case (root, boots QEMU)', () => {
  it('makes a namespace of its own, where ping and curl reach the guest, and removes it when QEMU exits', async () => {
    const append = 'ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0 init=/bin/httpd'
    const child = spawn(process.execPath, ['--import', 'tsx', kos, 'run', '--no-build', '--profile', 'e1000-tap', '--append', append], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    let out = '', err = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err += d })
    const exited = new Promise((r) => child.once('exit', r))
    expect(await waitFor(() => out.includes('httpd: listening on port 80'), 240_000), err).toBe(true)
    const m = /^network namespace (kos-(\d+)-\d+-run): kostap0 is 198\.51\.100\.1\/24 there/m.exec(err)
    expect(m, err).not.toBeNull()
    const [, name, owner] = m!
    expect(rootNamespaceAddresses()).not.toContain(TAP_HOST_IP)
    const inNs = (cmd: string, args: string[]) => execFileSync('ip', ['netns', 'exec', name, cmd, ...args], {encoding: 'utf8', timeout: 120_000})
    expect(inNs('ping', ['-c', '3', '-i', '0.2', '-W', '5', '198.51.100.2'])).toMatch(/3 packets transmitted, 3 received/)
    expect(inNs('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://198.51.100.2/www/1m'])).toBe('200 1048576')
    // A closed port is refused at once (RST): curl's exit 7, not a timeout's 28.
    let refused = 0
    try { inNs('curl', ['-s', '-m', '20', 'http://198.51.100.2:81/']) } catch (error) { refused = (error as {status: number}).status }
    expect(refused).toBe(7)
    expect(inNs('curl', ['-s', 'http://198.51.100.2/quit'])).toBe('bye\n')
    await exited
    expect(child.exitCode, err).toBe(0)
    expect(out).toMatch(/^ok 1 httpd$/m)
    expect(listLeftovers(Number(owner))).toEqual({namespaces: [], pids: []})
  }, 300_000)
})
