import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {discoverSources, makePlan, type Toolchains} from '../../src/builder/plan.js'
import {loadProfile} from '../../src/builder/toolchain.js'

const repo = path.resolve(import.meta.dirname, '../..')
let root: string
const files = [
  'kernel/main.c', 'kernel/arch/x86_64/boot.S', 'kernel/mm/pmm.c', 'kernel/wasm/interp.c',
  'tools/wasm/main.c', 'tools/net/driver_test.c', 'kernel/lib/string.h',
  'user/hello.c', 'user/cat.c', 'user/lib/crt0.S', 'user/lib/libc.c', 'user/lib/libc.h',
  'user/wasm/add.wat', 'user/wasm/mul.c', 'user/rootfs/etc/motd', 'user/rootfs/share/a/b.txt', 'kernel/README.md',
]

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kos-plan-'))
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
    writeFileSync(path.join(root, f), '')
  }
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

const fakeTc = (): Toolchains => ({
  kernel: {profile: loadProfile(repo, 'kernel'), tools: {cc: '/x/clang', ld: '/x/ld.lld', objcopy: '/x/objcopy'}},
  user: {profile: loadProfile(repo, 'user'), tools: {cc: '/x/clang', ld: '/x/ld.lld'}},
  wasm: {profile: loadProfile(repo, 'wasm'), tools: {cc: '/x/clang'}},
  host: {profile: loadProfile(repo, 'host'), tools: {cc: '/x/cc'}},
})

describe('discoverSources', () => {
  it('follows the architecture rules', () => {
    const s = discoverSources(root)
    expect(s.kernel).toEqual(['kernel/arch/x86_64/boot.S', 'kernel/main.c', 'kernel/mm/pmm.c', 'kernel/wasm/interp.c'])
    expect(s.userPrograms).toEqual(['user/cat.c', 'user/hello.c'])
    expect(s.userLib).toEqual(['user/lib/crt0.S', 'user/lib/libc.c'])
    expect(s.wat).toEqual(['user/wasm/add.wat'])
    expect(s.wasmC).toEqual(['user/wasm/mul.c'])
    expect(s.rootfs).toEqual(['user/rootfs/etc/motd', 'user/rootfs/share/a/b.txt'])
    expect(s.host).toEqual(['kernel/wasm/interp.c', 'tools/wasm/main.c'])
  })
})

describe('makePlan', () => {
  const plan = () => makePlan(root, discoverSources(root), fakeTc())
  const step = (id: string) => {
    const s = plan().steps.find((x) => x.id === id)
    if (!s) throw new Error(`no step ${id}`)
    return s
  }

  it('builds kernel/wasm with SSE2 and the rest of the kernel without the FPU', () => {
    const wasm = step('cc:build/obj/kernel/wasm/interp.c.o').argv!
    expect(wasm).toContain('-msse2')
    expect(wasm).not.toContain('-mno-sse')
    const pmm = step('cc:build/obj/kernel/mm/pmm.c.o').argv!
    expect(pmm).toEqual(expect.arrayContaining(['-mno-sse', '-mno-mmx', '-mno-80387', '-mcmodel=kernel', '-MMD', '-MF', 'build/obj/kernel/mm/pmm.c.d']))
  })

  it('links the kernel with boot code first and makes kernel32.elf from it', () => {
    const ld = step('ld:kernel')
    const objs = ld.argv!.filter((a) => a.endsWith('.o'))
    expect(objs[0]).toBe('build/obj/kernel/arch/x86_64/boot.S.o')
    expect(objs).toHaveLength(4)
    expect(ld.inputs).toContain('kernel/kernel.ld')
    expect(step('objcopy:kernel32').argv).toEqual(['/x/objcopy', '-O', 'elf32-i386', 'build/kernel.elf', 'build/kernel32.elf'])
  })

  it('a variant builds kernel and user programs in build/VARIANT with the profiles\' extra flags, and no host programs', () => {
    const v = makePlan(root, discoverSources(root), fakeTc(), 'sanitize')
    const get = (id: string) => v.steps.find((x) => x.id === id)
    expect(get('cc:build/sanitize/obj/kernel/mm/pmm.c.o')!.argv).toEqual(expect.arrayContaining(['-fsanitize=undefined', '-DKOS_UBSAN=1', '-mno-sse']))
    expect(get('cc:build/sanitize/obj/user/hello.c.o')!.argv).toEqual(expect.arrayContaining(['-fsanitize=undefined', '-DKOS_UBSAN=1']))
    // Assembly gets no C sanitizer flags.
    expect(get('cc:build/sanitize/obj/kernel/arch/x86_64/boot.S.o')!.argv).not.toContain('-fsanitize=undefined')
    expect(get('objcopy:kernel32')!.outputs).toEqual(['build/sanitize/kernel32.elf'])
    expect(get('initrd')!.outputs).toEqual(['build/sanitize/initrd.tar'])
    expect(v.steps.filter((x) => x.id.startsWith('ld:host/'))).toEqual([])
    expect(v.steps.every((x) => x.outputs.every((o) => o.startsWith('build/sanitize/')))).toBe(true)
    const cov = makePlan(root, discoverSources(root), fakeTc(), 'coverage')
    expect(cov.steps.find((x) => x.id === 'cc:build/coverage/obj/kernel/main.c.o')!.argv).toEqual(expect.arrayContaining(['-fprofile-instr-generate', '-fcoverage-mapping']))
    // Coverage measures the user programs too.
    expect(cov.steps.find((x) => x.id === 'cc:build/coverage/obj/user/hello.c.o')!.argv).toEqual(expect.arrayContaining(['-fprofile-instr-generate', '-fcoverage-mapping', '-DKOS_COVERAGE=1']))
    // The normal build has none of it.
    expect(step('cc:build/obj/kernel/main.c.o').argv).not.toContain('-fsanitize=undefined')
  })

  it('links each user program with all of user/lib', () => {
    const ld = step('ld:user/hello')
    expect(ld.outputs).toEqual(['build/user/hello.elf'])
    expect(ld.inputs).toEqual(expect.arrayContaining(['build/obj/user/lib/crt0.S.o', 'build/obj/user/lib/libc.c.o', 'build/obj/user/hello.c.o', 'user/user.ld']))
    expect(ld.inputs).not.toContain('build/obj/user/cat.c.o')
  })

  it('packs programs, wasm, rootfs and the bad ELF images into the initrd', () => {
    const sig = step('initrd').signature as [string, Array<[string, string, number]>]
    const paths = sig[1].map((e) => e[0])
    expect(paths).toEqual(expect.arrayContaining(['/bin/hello', '/bin/cat', '/wasm/add.wasm', '/wasm/mul.wasm', '/etc/motd', '/share/a/b.txt', '/badelf/good.elf', '/badelf/truncated.elf']))
    expect(sig[1].find((e) => e[0] === '/bin/hello')![2]).toBe(0o755)
    expect(step('testimages').inputs).toEqual(['build/user/hello.elf'])
  })

  it('builds the host tool from kernel/wasm and tools/wasm', () => {
    const ld = step('ld:host/kos-wasm')
    expect(ld.outputs).toEqual(['build/host/kos-wasm'])
    expect(ld.inputs).toEqual(['build/host/obj/kernel/wasm/interp.c.o', 'build/host/obj/tools/wasm/main.c.o'])
  })

  it('lists every C compile in compile_commands', () => {
    const files = plan().compileCommands.map((c) => path.relative(root, c.file))
    expect(files).toEqual(expect.arrayContaining(['kernel/main.c', 'user/hello.c', 'user/lib/libc.c']))
    expect(files).toContain('user/wasm/mul.c')
    expect(plan().compileCommands.every((c) => c.directory === root && (c.arguments.includes('-c') || c.arguments.includes('--target=wasm32')))).toBe(true)
  })
})
