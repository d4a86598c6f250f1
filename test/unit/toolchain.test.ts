import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {DOCTOR_TOOLS, ToolMissingError, extractVersion, loadPackageList, loadProfile, resolveTool} from '../../src/builder/toolchain.js'
import {planSetup} from '../../src/builder/setup.js'
import {kvmProbeBios} from '../../src/util/host.js'

const root = path.resolve(import.meta.dirname, '../..')

/** The text of the first `code span` after `label` in docs/ARCHITECTURE.md, split into words. */
function docFlags(label: string): string[] {
  const doc = readFileSync(path.join(root, 'docs/ARCHITECTURE.md'), 'utf8')
  const at = doc.indexOf(label)
  expect(at, `docs/ARCHITECTURE.md has no "${label}"`).toBeGreaterThanOrEqual(0)
  const m = /`([^`]+)`/.exec(doc.slice(at))
  return m![1].split(/\s+/).filter(Boolean)
}

describe('toolchain profiles', () => {
  it('every program a profile can use maps to a package kos setup installs', () => {
    const packages = loadPackageList(root)
    for (const name of ['kernel', 'user', 'wasm', 'host'] as const) {
      for (const [role, candidates] of Object.entries(loadProfile(root, name).tools)) {
        for (const c of candidates) expect(packages.packages, `${name}.${role}: ${c}`).toContain(packages.tools[c])
      }
    }
  })

  it('the kernel and user flags are the ones docs/ARCHITECTURE.md states', () => {
    const k = loadProfile(root, 'kernel')
    expect(k.cflags).toEqual(docFlags('Kernel flags:'))
    expect(k.noFpuFlags).toEqual(docFlags('all kernel code is built with'))
    expect(['ld.lld', ...k.ldflags!]).toEqual(docFlags('Kernel link:'))
    expect(loadProfile(root, 'user').ldflags).toEqual(expect.arrayContaining(['-T', 'user/user.ld']))
    expect(loadProfile(root, 'wasm').cflags).toEqual(expect.arrayContaining(['--target=wasm32', '-nostdlib']))
    // clang's default WebAssembly CPU: the interpreter implements 2.0, nothing pins the MVP
    expect(loadProfile(root, 'wasm').cflags.some((f: string) => f.startsWith('-mcpu'))).toBe(false)
  })

  it('every program kos doctor checks maps to a package kos setup installs', () => {
    const p = loadPackageList(root)
    for (const t of DOCTOR_TOOLS) expect(p.packages, t.candidates[0]).toContain(p.tools[t.candidates[0]])
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
