// The verdict on recorded real runs (test/fixtures/runs): one per kind of ending, and
// the same verdict whatever number of start-up CPU resets a QEMU release logs.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {TAIL_LINES, classifyRun, type RunOutcome} from '../../src/suites/classify.js'

const dir = path.resolve(import.meta.dirname, '../fixtures/runs')
const recorded = (name: string, over: Partial<RunOutcome>): RunOutcome => ({
  exitCode: null, signal: null, timedOut: false, timeoutSec: 30, stderr: '',
  serial: readFileSync(path.join(dir, `${name}.serial`), 'latin1'),
  qemuLog: readFileSync(path.join(dir, `${name}.qemu.txt`), 'latin1'),
  ...over,
})

const RUNS: Array<[string, Partial<RunOutcome>, {status: string; reason?: string}]> = [
  ['pass', {exitCode: 1}, {status: 'pass'}],
  ['fail', {exitCode: 3}, {status: 'fail', reason: 'not ok: nope'}],
  ['panic', {exitCode: 5}, {status: 'crash', reason: 'KERNEL PANIC: deliberate panic requested on the command line'}],
  ['pagefault', {exitCode: 5}, {status: 'crash', reason: 'KERNEL PANIC: page fault in kernel at rip 0xffffffff8010ce18 (vector 14, error 0x2, cr2 0xffff9fffdeadb000)'}],
  ['triple', {exitCode: 0}, {status: 'crash', reason: 'triple fault (QEMU logged "Triple fault" and reset the machine)'}],
  ['hang', {exitCode: null, signal: 'SIGTERM', timedOut: true, timeoutSec: 8}, {status: 'timeout', reason: 'timed out after 8 s'}],
  ['reboot', {exitCode: null, signal: 'SIGTERM', timedOut: true, timeoutSec: 6},
    {status: 'crash', reason: 'the guest rebooted: the kernel\'s boot line "kos: booting" came 3 times'}],
]

/** The log with its start-up "CPU Reset" blocks (header line + register dump) cut down or repeated to n. */
function withStartupResets(qemuLog: string, n: number): string {
  const blocks = qemuLog.split(/^(?=CPU Reset|Triple fault)/m)
  const resets = blocks.filter((b) => b.startsWith('CPU Reset'))
  const rest = blocks.filter((b) => !b.startsWith('CPU Reset'))
  const first = resets[0] ?? 'CPU Reset (CPU 0)\n'
  return first.repeat(n) + rest.join('')
}

describe('classifyRun on recorded runs', () => {
  for (const [name, over, want] of RUNS) {
    it(`${name}: ${want.status}${want.reason ? ` (${want.reason})` : ''}`, () => {
      const v = classifyRun({}, recorded(name, over))
      expect(v.status).toBe(want.status)
      if (want.reason) expect(v.reason).toBe(want.reason)
      if (want.status !== 'pass') {
        // The tail is the serial log's last TAIL_LINES lines, as written (CRLF folded).
        const lines = readFileSync(path.join(dir, `${name}.serial`), 'latin1').replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')
        expect(v.tail).toEqual(lines.slice(-TAIL_LINES))
      }
    })
  }

  it('each recording gets the same verdict with 1, 2 or 3 start-up CPU resets in the log (QEMU releases differ)', () => {
    for (const [name, over] of RUNS.filter(([n]) => n !== 'reboot')) {
      const base = classifyRun({}, recorded(name, over))
      for (const n of [1, 2, 3]) {
        const r = recorded(name, over)
        const v = classifyRun({}, {...r, qemuLog: withStartupResets(r.qemuLog, n)})
        expect({status: v.status, reason: v.reason}, `${name} with ${n} resets`).toEqual({status: base.status, reason: base.reason})
      }
    }
  })

  it('a triple fault is a crash from QEMU exit 0 alone when the log is missing (KVM logs no "Triple fault")', () => {
    const v = classifyRun({}, recorded('triple', {exitCode: 0, qemuLog: ''}))
    expect(v).toMatchObject({status: 'crash', reason: 'the guest reset or powered off without writing isa-debug-exit (a triple fault under -no-reboot?)'})
  })

  it('a passing KTAP stream without the kernel\'s boot line is not a pass', () => {
    const r = recorded('pass', {exitCode: 1})
    const v = classifyRun({}, {...r, serial: r.serial.split('\n').filter((l) => !l.startsWith('kos: booting')).join('\n')})
    expect(v.status).toBe('fail')
    expect(v.reason).toMatch(/^the kernel's boot line "kos: booting" never came \(QEMU exit 1\)/)
  })

  it('firmware or a boot loader that stops before the kernel: no boot line', () => {
    expect(classifyRun({}, {...recorded('pass', {}), serial: 'BdsDxe: failed to load Boot0001\n', exitCode: 0})).toMatchObject({
      status: 'crash', reason: 'QEMU exited 0 before the kernel started (firmware or boot loader reset or powered off the machine)'})
    expect(classifyRun({}, {...recorded('pass', {}), serial: 'GRUB loading.\n', timedOut: true, timeoutSec: 60})).toMatchObject({
      status: 'timeout', reason: 'timed out after 60 s (the kernel never started: no boot line)'})
  })
})
