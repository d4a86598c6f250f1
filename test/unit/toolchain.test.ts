import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ToolMissingError, extractVersion, loadPackageList, loadProfile, resolveTool} from '../../src/builder/toolchain.js'
import {planSetup} from '../../src/builder/setup.js'
import {kvmProbeBios} from '../../src/util/host.js'

const root = path.resolve(import.meta.dirname, '../..')

describe('toolchain profiles', () => {
  it('each profile loads and names its tools, preferring the versioned LLVM 19 names', () => {
    for (const name of ['kernel', 'user', 'wasm', 'host'] as const) {
      const p = loadProfile(root, name)
      expect(p.tools.cc.length).toBeGreaterThan(0)
      expect(p.cflags.length).toBeGreaterThan(0)
    }
    expect(loadProfile(root, 'kernel').tools.cc).toEqual(['clang-19', 'clang'])
    expect(loadProfile(root, 'kernel').tools.ld).toEqual(['ld.lld-19', 'ld.lld'])
  })

  it('kernel flags follow the architecture document', () => {
    const k = loadProfile(root, 'kernel')
    for (const f of ['--target=x86_64-unknown-none-elf', '-ffreestanding', '-fno-builtin', '-nostdlib', '-fno-stack-protector', '-fno-pic', '-mcmodel=kernel', '-mno-red-zone', '-O2', '-g', '-std=c11']) {
      expect(k.cflags).toContain(f)
    }
    expect(k.noFpuFlags).toEqual(['-mno-sse', '-mno-mmx', '-mno-80387'])
    expect(k.fpuDirs).toEqual(['kernel/wasm'])
    expect(loadProfile(root, 'wasm').cflags).toEqual(expect.arrayContaining(['--target=wasm32', '-mcpu=mvp', '-nostdlib']))
  })

  it('the package list holds what the build and runner need', () => {
    const p = loadPackageList(root)
    for (const pkg of ['qemu-system-x86', 'clang-19', 'lld-19', 'llvm-19', 'wabt', 'iproute2', 'iputils-ping']) expect(p.packages).toContain(pkg)
    // Every package a missing tool points at must be one setup installs.
    for (const pkg of Object.values(p.tools)) expect(p.packages).toContain(pkg)
  })
})

describe('resolveTool', () => {
  const packages = {packages: ['lld-19'], tools: {'ld.lld-19': 'lld-19'}}
  it('prefers the first candidate found', () => {
    const found = resolveTool(['ld.lld-19', 'ld.lld'], packages, (n) => (n === 'ld.lld' ? '/usr/bin/ld.lld' : undefined))
    expect(found).toBe('/usr/bin/ld.lld')
    expect(resolveTool(['ld.lld-19', 'ld.lld'], packages, (n) => `/opt/${n}`)).toBe('/opt/ld.lld-19')
  })
  it('names the package to install when nothing is found, on one line', () => {
    let err: unknown
    try {
      resolveTool(['ld.lld-19', 'ld.lld'], packages, () => undefined)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ToolMissingError)
    expect((err as Error).message).toMatch(/^ld\.lld-19 not found \(tried ld\.lld-19, ld\.lld\): install the Debian package lld-19/)
    expect((err as Error).message).not.toContain('\n')
  })
})

describe('helpers', () => {
  it('extracts versions from --version lines', () => {
    expect(extractVersion('Debian clang version 19.1.7 (3)')).toBe('19.1.7')
    expect(extractVersion('ping from iputils 20221126')).toBe('20221126')
    expect(extractVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)')).toBe('7.2.22')
  })

  it('setup plans apt only for what is missing', () => {
    expect(planSetup(['a', 'b'], new Set(['a', 'b']), true)).toEqual({installed: ['a', 'b'], missing: [], commands: []})
    const p = planSetup(['a', 'b', 'c'], new Set(['b']), false)
    expect(p.missing).toEqual(['a', 'c'])
    expect(p.commands[0]).toEqual(['sudo', 'apt-get', 'update'])
    expect(p.commands[1].slice(-2)).toEqual(['a', 'c'])
    expect(planSetup(['a'], new Set(), true).commands[0][0]).toBe('apt-get')
  })

  it('the KVM probe BIOS writes 0 to isa-debug-exit at the reset vector', () => {
    const bios = kvmProbeBios()
    expect(bios.length).toBe(65536)
    // mov al,0 ; out 0xf4,al at physical 0xFFFF0 (offset 0xFFF0 of a 64 KiB BIOS)
    expect([...bios.subarray(0xfff0, 0xfff4)]).toEqual([0xb0, 0x00, 0xe6, 0xf4])
  })
})
