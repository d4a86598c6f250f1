// The whole `build()` on a tiny generated tree with the real clang/lld: outputs,
// incremental behaviour, header tracking, failures and the ELF checks.
import {cpSync, existsSync, readdirSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {build} from '../../src/builder/index.js'
import {checkKernelFiles, checkUserFile} from '../../src/elf/checks.js'
import {parseElf} from '../../src/elf/parse.js'
import {TEST_IMAGE_NAMES} from '../../src/builder/testimages.js'

const repo = path.resolve(import.meta.dirname, '../..')
let root: string
const lines: string[] = []
const run = () => build({root, jobs: 2, log: (l) => lines.push(l)})
const w = (f: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, f)), {recursive: true})
  writeFileSync(path.join(root, f), text)
}
/** Make one file newer than every output without waiting on the clock: age the whole tree, then touch it. */
const touchFuture = (f: string) => {
  const past = new Date(Date.now() - 3600_000)
  const age = (dir: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) age(p)
      else utimesSync(p, past, past)
    }
  }
  age(root)
  const now = new Date()
  utimesSync(path.join(root, f), now, now)
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kos-e2e-'))
  cpSync(path.join(repo, 'toolchain'), path.join(root, 'toolchain'), {recursive: true})
  cpSync(path.join(repo, 'kernel/include/kos/initrd.h'), path.join(root, 'kernel/include/kos/initrd.h'))
  w('kernel/arch/x86_64/boot.S', [
    '.section .multiboot, "a"', '.align 4', '.long 0x1BADB002', '.long 0x3', '.long -(0x1BADB002 + 0x3)',
    '.section .boot, "ax"', '.code32', '.global _start', '_start:', '  mov $0, %al', '  out %al, $0xf4', '1: hlt', '  jmp 1b', '',
  ].join('\n'))
  w('kernel/lib/util.h', 'int twice(int x);\n')
  w('kernel/lib/util.c', '#include "lib/util.h"\nint twice(int x) { return x * 2; }\n')
  w('kernel/main.c', '#include "lib/util.h"\nint kmain(void) { return twice(21); }\n')
  w('kernel/other.c', 'int other(void) { return 1; }\n')
  w('kernel/kernel.ld', [
    'ENTRY(_start)', 'SECTIONS {', '  . = 0x100000;', '  .boot : { KEEP(*(.multiboot)) *(.boot) }',
    '  . = 0xffffffff80000000 + ALIGN(0x1000);', '  .text : AT(ADDR(.text) - 0xffffffff80000000) { *(.text*) *(.rodata*) }',
    '  . = ALIGN(0x1000);', '  .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data*) *(.bss*) }', '}', '',
  ].join('\n'))
  w('user/lib/crt0.S', '.text\n.global _start\n_start:\n  call main\n1: jmp 1b\n')
  w('user/lib/ulib.h', 'extern int counter;\n')
  w('user/lib/ulib.c', '#include "ulib.h"\nint counter = 5;\n')
  w('user/hello.c', '#include "ulib.h"\nint main(void) { return counter; }\n')
  w('user/user.ld', [
    'ENTRY(_start)', 'PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }', 'SECTIONS {', '  . = 0x400000;',
    '  .text : { *(.text*) *(.rodata*) } :text', '  . = ALIGN(0x1000);', '  .data : { *(.data*) *(.bss*) } :data', '}', '',
  ].join('\n'))
  w('user/wasm/add.wat', '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))\n')
  w('user/rootfs/etc/motd', 'hi\n')
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('build() end to end', () => {
  it('builds every output, and the images pass their checks', async () => {
    const r = await run()
    expect(r.failed).toBe(false)
    expect(r.ran).toBe(r.total)
    for (const f of ['kernel.elf', 'kernel32.elf', 'user/hello.elf', 'wasm/add.wasm', 'initrd.tar', 'compile_commands.json', '.kos-build-state.json', 'badelf/good.elf', 'badelf/phnum_huge.elf']) {
      expect(existsSync(path.join(root, 'build', f)), f).toBe(true)
    }
    expect(parseElf(readFileSync(path.join(root, 'build/kernel32.elf'))).class).toBe(32)
    expect(checkKernelFiles(path.join(root, 'build/kernel.elf'), path.join(root, 'build/kernel32.elf')).ok).toBe(true)
    expect(checkUserFile(path.join(root, 'build/user/hello.elf')).ok).toBe(true)
    expect([...readFileSync(path.join(root, 'build/wasm/add.wasm')).subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d])
    expect(readFileSync(path.join(root, 'build/initrd.tar')).includes(Buffer.from('bin/hello'))).toBe(true)
    for (const n of TEST_IMAGE_NAMES) {
      expect(checkUserFile(path.join(root, `build/badelf/${n}.elf`)).ok, n).toBe(n === 'good')
      expect(readFileSync(path.join(root, 'build/initrd.tar')).includes(Buffer.from(`badelf/${n}.elf`)), n).toBe(true)
    }
  })

  it('a second build does nothing and says so', async () => {
    lines.length = 0
    const r = await run()
    expect(r.ran).toBe(0)
    expect(r.summary).toBe(`nothing to do: 0 of ${r.total} steps ran`)
    expect(lines).toContain(r.summary)
  })

  it('touching a header rebuilds only the objects that include it, and what depends on them', async () => {
    const otherObj = path.join(root, 'build/obj/kernel/other.c.o')
    touchFuture('kernel/lib/util.h')
    const before = statSync(otherObj).mtimeMs
    lines.length = 0
    const r = await run()
    const ran = lines.filter((l) => /^\[\d+\]/.test(l)).map((l) => l.replace(/^\[\d+\] /, ''))
    expect(ran.sort()).toEqual(['CC kernel/lib/util.c', 'CC kernel/main.c', 'LD build/kernel.elf', 'OBJCOPY build/kernel32.elf + check'])
    expect(r.ran).toBe(4)
    expect(statSync(otherObj).mtimeMs).toBe(before)
  })

  it('a user header reaches programs, test images and the initrd but not the kernel', async () => {
    touchFuture('user/lib/ulib.h')
    lines.length = 0
    await run()
    const ran = lines.filter((l) => /^\[\d+\]/.test(l)).map((l) => l.replace(/^\[\d+\] /, '').split(' ')[0])
    expect(ran.sort()).toEqual(['CC', 'CC', 'GEN', 'LD', 'TAR'])
  })

  it('a compile error fails the build with file:line, then a fix rebuilds', async () => {
    w('kernel/other.c', 'int other(void) { return missing; }\n')
    touchFuture('kernel/other.c')
    lines.length = 0
    const r = await run()
    expect(r.failed).toBe(true)
    expect(r.summary).toMatch(/^build failed: 1 step\(s\) failed \(CC kernel\/other\.c\)/)
    expect(lines.join('\n')).toMatch(/kernel\/other\.c:1:\d+: error: use of undeclared identifier 'missing'/)
    expect(existsSync(path.join(root, 'build/obj/kernel/other.c.o'))).toBe(false)
    w('kernel/other.c', 'int other(void) { return 2; }\n')
    touchFuture('kernel/other.c')
    const again = await run()
    expect(again.failed).toBe(false)
  })

  it('a W+X user program fails the ELF check and leaves no output behind', async () => {
    w('user/user.ld', readFileSync(path.join(root, 'user/user.ld'), 'utf8').replace('FLAGS(5)', 'FLAGS(7)'))
    touchFuture('user/user.ld')
    lines.length = 0
    const r = await run()
    expect(r.failed).toBe(true)
    expect(lines.join('\n')).toMatch(/elf check: build\/user\/hello\.elf: PT_LOAD segment 0 at 0x400000 is writable and executable/)
    expect(existsSync(path.join(root, 'build/user/hello.elf'))).toBe(false)
    // Next build tries again rather than trusting a stale file.
    lines.length = 0
    expect((await run()).failed).toBe(true)
  })
})
