// `kos bench --vs linux`: the pure parts (program of a case, /init, the
// initramfs archive, the Linux guest's output, the kernel lookup).
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {cpioNewc} from '../../src/bench/cpio.js'
import {vsLinuxPairs} from '../../src/bench/file.js'
import {
  findLinuxKernel, initScript, isStaticElf, linuxInitramfs, parseLinuxRun, programOfCase, VS_LINUX_CASES, vsLinuxTable,
} from '../../src/bench/linux.js'
import {BenchError, loadBenchCases} from '../../src/bench/run.js'
import type {CaseDef} from '../../src/suites/types.js'

const tmps: string[] = []
afterEach(() => {
  for (const d of tmps.splice(0)) rmSync(d, {recursive: true, force: true})
})

function caseWith(id: string, append: string): CaseDef {
  return {id, phase: 1, title: id, components: [], syscalls: [], profile: 'base', append, timeoutSec: 10} as unknown as CaseDef
}

/** Reads a newc archive back: name, mode, size, rdev and data of every entry. */
function readCpio(buf: Buffer): {name: string; mode: number; rdev: [number, number]; data: Buffer}[] {
  const out = []
  let off = 0
  for (;;) {
    expect(buf.toString('ascii', off, off + 6)).toBe('070701')
    const field = (i: number) => Number.parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16)
    const mode = field(1), size = field(6), rdev: [number, number] = [field(9), field(10)], nameSize = field(11)
    const name = buf.toString('utf8', off + 110, off + 110 + nameSize - 1)
    expect(buf[off + 110 + nameSize - 1]).toBe(0)
    let p = off + 110 + nameSize
    p += (4 - (p % 4)) % 4
    const data = buf.subarray(p, p + size)
    p += size
    p += (4 - (p % 4)) % 4
    if (name === 'TRAILER!!!') {
      expect(p).toBe(buf.length)
      return out
    }
    out.push({name, mode, rdev, data})
    off = p
  }
}

describe('programOfCase', () => {
  it('takes the program and its colon-separated arguments from init=', () => {
    expect(programOfCase(caseWith('bench_fork_exit_wait', 'init=/bin/proc_bench:fork'))).toEqual({caseId: 'bench_fork_exit_wait', name: 'proc_bench', args: ['fork']})
    expect(programOfCase(caseWith('a', 'hz=250 init=/bin/syscall_bench'))).toEqual({caseId: 'a', name: 'syscall_bench', args: []})
  })
  it('refuses a case without a program', () => {
    expect(() => programOfCase(caseWith('netecho', 'ktest=netecho'))).toThrow(BenchError)
  })
  it('finds every vs-linux case in test-suites/bench.ts with a program', async () => {
    const all = await loadBenchCases(process.cwd())
    const programs = VS_LINUX_CASES.map((id) => programOfCase(all.find((c) => c.id === id)!))
    expect(programs.map((p) => [p.name, ...p.args].join(' '))).toEqual([
      'syscall_bench', 'proc_bench ctxswitch', 'proc_bench fork', 'proc_bench pipe', 'proc_bench signal',
    ])
  })
})

describe('initScript', () => {
  it('prints a KTAP plan and one result per program, then powers off', () => {
    const s = initScript([{caseId: 'x', name: 'proc_bench', args: ['fork']}, {caseId: 'y', name: 'syscall_bench', args: []}])
    expect(s.split('\n')).toEqual([
      '#!/bin/busybox sh',
      '/bin/busybox mount -t proc proc /proc',
      'echo "KTAP version 1"',
      'echo "1..2"',
      'if /bin/proc_bench fork; then echo "ok 1 x"; else echo "not ok 1 x # exit=$?"; fi',
      'if /bin/syscall_bench; then echo "ok 2 y"; else echo "not ok 2 y # exit=$?"; fi',
      '/bin/busybox poweroff -f',
      '',
    ])
  })
})

describe('cpioNewc', () => {
  it('writes directories, files with their modes and a character device, then the trailer', () => {
    const buf = cpioNewc([
      {kind: 'dir', path: 'dev'},
      {kind: 'chardev', path: 'dev/console', major: 5, minor: 1},
      {kind: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755},
    ])
    expect(buf.length % 4).toBe(0)
    const entries = readCpio(buf)
    expect(entries.map((e) => [e.name, e.mode.toString(8), e.rdev, e.data.toString()])).toEqual([
      ['dev', '40755', [0, 0], ''],
      ['dev/console', '20600', [5, 1], ''],
      ['init', '100755', [0, 0], '#!/bin/sh\n'],
    ])
  })
  it('refuses absolute paths', () => {
    expect(() => cpioNewc([{kind: 'dir', path: '/bin'}])).toThrow(/relative/)
  })
  it('packs the initramfs with busybox, /init and the programs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kos-lx-'))
    tmps.push(dir)
    writeFileSync(join(dir, 'proc_bench'), 'ELF')
    const entries = readCpio(linuxInitramfs(Buffer.from('BB'), new Map([['proc_bench', join(dir, 'proc_bench')]]), 'INIT'))
    expect(entries.map((e) => e.name)).toEqual(['bin', 'dev', 'proc', 'dev/console', 'bin/busybox', 'init', 'bin/proc_bench'])
    expect(entries.find((e) => e.name === 'init')!.data.toString()).toBe('INIT')
    expect(entries.find((e) => e.name === 'bin/proc_bench')!.data.toString()).toBe('ELF')
  })
})

describe('parseLinuxRun', () => {
  const programs = [{caseId: 'bench_null_syscall', name: 'syscall_bench', args: []}, {caseId: 'bench_fork_exit_wait', name: 'proc_bench', args: ['fork']}]
  const ok = [
    '[    0.9] Run /init as init process',
    'KTAP version 1', '1..2',
    '    KTAP version 1', '    # Subtest: syscall_bench', '    1..1', '    # metric null_syscall_cycles 1658 cycles', '    ok 1 null_syscall_round_trip',
    'ok 1 bench_null_syscall',
    '    KTAP version 1', '    # Subtest: proc_bench', '    1..1', '    # metric fork_exit_wait_cycles 7046362 cycles', '    ok 1 fork_exit_wait_rounds',
    'ok 2 bench_fork_exit_wait',
    '[    5.0] reboot: Power down', '',
  ]
  it('collects every program\'s metrics', () => {
    const r = parseLinuxRun(ok.join('\r\n'), programs)
    expect(r.problems).toEqual([])
    expect([...r.metrics]).toEqual([
      ['null_syscall_cycles', {value: 1658, unit: 'cycles'}],
      ['fork_exit_wait_cycles', {value: 7046362, unit: 'cycles'}],
    ])
  })
  it('names a program that failed or never reported', () => {
    const failed = ok.map((l) => (l === 'ok 2 bench_fork_exit_wait' ? 'not ok 2 bench_fork_exit_wait # exit=1' : l))
    expect(parseLinuxRun(failed.join('\n'), programs).problems).toEqual(['bench_fork_exit_wait: failed on Linux'])
    expect(parseLinuxRun(ok.slice(0, 9).join('\n'), programs).problems).toEqual(['bench_fork_exit_wait: no result from the Linux guest'])
  })
})

describe('findLinuxKernel and isStaticElf', () => {
  it('picks the newest vmlinuz by version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kos-boot-'))
    tmps.push(dir)
    for (const f of ['vmlinuz-6.1.0-9-amd64', 'vmlinuz-6.1.0-57-amd64', 'config-6.1.0-99-amd64']) writeFileSync(join(dir, f), '')
    expect(findLinuxKernel(dir)).toBe(join(dir, 'vmlinuz-6.1.0-57-amd64'))
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    expect(() => findLinuxKernel(empty)).toThrow(/linux-image-amd64/)
  })
  it('tells a static ELF from one with an interpreter', () => {
    const elf = (types: number[]) => {
      const b = Buffer.alloc(64 + types.length * 56)
      b.writeUInt32BE(0x7f454c46, 0)
      b[4] = 2
      b.writeBigUInt64LE(64n, 32)
      b.writeUInt16LE(56, 54)
      b.writeUInt16LE(types.length, 56)
      types.forEach((t, i) => b.writeUInt32LE(t, 64 + i * 56))
      return b
    }
    expect(isStaticElf(elf([1, 1, 4]))).toBe(true)
    expect(isStaticElf(elf([6, 3, 1]))).toBe(false)
    expect(isStaticElf(Buffer.from('#!/bin/sh\n'))).toBe(false)
  })
})

describe('vsLinuxTable', () => {
  it('shows kos, Linux and the ratio per metric', () => {
    const t = vsLinuxTable([{metric: 'null_syscall_cycles', unit: 'cycles', kos: 777, linux: 1658, ratio: 777 / 1658, kosRounds: [777, 780], linuxRounds: [1658, 1600]}])
    expect(t.split('\n')[1]).toMatch(/^null_syscall_cycles\s+777\s+1658\s+0\.47x\s+cycles\s+777 780\s+1658 1600$/)
  })
})

describe('vsLinuxPairs', () => {
  it('pairs kos\'s and Linux\'s medians by metric, with the recorded ratio', () => {
    const pairs = vsLinuxPairs([
      {id: 'vs_linux', metric: 'null_syscall_cycles', value: 800, unit: 'cycles', case: 'kos', ratios: {linux: 0.5}},
      {id: 'vs_linux_linux', metric: 'null_syscall_cycles', value: 1600, unit: 'cycles', case: 'linux'},
      {id: 'vs_linux', metric: 'only_on_kos', value: 1, unit: 'cycles', case: 'kos'},
      {id: 'bench_null_syscall', metric: 'null_syscall_cycles', value: 790, unit: 'cycles', case: 'bench_null_syscall'},
    ])
    expect(pairs).toEqual([{metric: 'null_syscall_cycles', unit: 'cycles', kos: 800, linux: 1600, ratio: 0.5}])
  })
})
