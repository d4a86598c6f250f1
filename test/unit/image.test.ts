// kos image: the GRUB menu it writes, the ISO cases' validation and command lines.
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ISO_ENTRIES, ImageError, buildIso, grubConfig, isoEntry, missingImageTools, testIsoPath} from '../../src/image/index.js'
import {OVMF_FIRMWARE, qemuArgv} from '../../src/qemu/argv.js'
import {validateProfile} from '../../src/qemu/profile.js'
import {validateCase} from '../../src/suites/load.js'

describe('grubConfig', () => {
  it('writes one multiboot2 entry per menu item with the initrd module, the first the default', () => {
    const cfg = grubConfig()
    expect(cfg).toContain('insmod all_video\nset default=hello\nset timeout=5\n')
    expect(cfg).not.toContain('timeout_style')
    for (const e of ISO_ENTRIES) {
      expect(cfg).toContain(`menuentry "${e.title}" --id ${e.id} {\n  multiboot2 /boot/kernel32.elf ${e.append}\n  module2 /boot/initrd.tar initrd\n}\n`)
    }
    expect(ISO_ENTRIES.map((e) => e.id)).toEqual(['hello', 'tests', 'net'])
  })

  it('a test variant boots its entry at once without showing the menu', () => {
    expect(grubConfig(ISO_ENTRIES, {defaultEntry: 'net', timeoutSec: 0})).toContain('set default=net\nset timeout=0\nset timeout_style=hidden\n')
    expect(testIsoPath('net')).toBe('build/iso/kos-net.iso')
    // A build variant boots its own kernel and initrd.
    expect(testIsoPath('net', 'build/sanitize')).toBe('build/sanitize/iso/kos-net.iso')
  })

  it('refuses an unknown entry, a bad timeout and text GRUB would misread', () => {
    expect(() => grubConfig(ISO_ENTRIES, {defaultEntry: 'shell'})).toThrow('unknown boot menu entry "shell" (have: hello, tests, net)')
    expect(() => isoEntry('shell')).toThrow(ImageError)
    expect(() => grubConfig(ISO_ENTRIES, {timeoutSec: -1})).toThrow('menu timeout must be a whole number of seconds >= 0, got -1')
    expect(() => grubConfig([{id: 'x', title: 'a "quoted" title', append: ''}])).toThrow('may not contain quotes')
  })
})

describe('buildIso', () => {
  it('names what is missing instead of running grub-mkrescue on nothing', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'kos-image-'))
    await expect(buildIso({root})).rejects.toThrow('build/kernel32.elf missing: run `kos build` first')
  })

  it('names each missing tool with its Debian package', () => {
    const lines = missingImageTools('/nonexistent')
    expect(lines).toContain('grub-mkrescue not found (Debian package grub-common; `kos setup` installs it)')
    expect(lines).toContain('mformat not found (Debian package mtools; `kos setup` installs it)')
  })
})

describe('ISO cases', () => {
  const base = {id: 'iso_x', phase: 1, title: 't', components: [], syscalls: [], profile: 'base', timeoutSec: 60}
  it('must name a menu entry and carry its command line', () => {
    const ok = validateCase({...base, boot: {firmware: 'uefi', entry: 'hello'}, append: 'init=/bin/hello hold=key'}, 'f.ts', ['base'])
    expect(ok.boot).toEqual({firmware: 'uefi', entry: 'hello'})
    expect(() => validateCase({...base, boot: {firmware: 'uefi', entry: 'hello'}, append: 'init=/bin/args'}, 'f.ts', ['base']))
      .toThrow('f.ts: field "append" must be the command line of boot menu entry "hello" ("init=/bin/hello hold=key"): GRUB passes that one')
    expect(() => validateCase({...base, boot: {firmware: 'coreboot', entry: 'hello'}, append: ''}, 'f.ts', ['base'])).toThrow('field "boot" must be')
    expect(() => validateCase({...base, boot: {firmware: 'bios', entry: 'nope'}, append: ''}, 'f.ts', ['base'])).toThrow('unknown boot menu entry "nope"')
  })

  it('boot the ISO by -cdrom, under OVMF with -bios, without -kernel/-initrd/-append', () => {
    const profile = validateProfile('base', 'qemu/base.json', {args: ['-nic', 'none']})
    const common = {kernel: 'build/kernel32.elf', initrd: 'build/initrd.tar', append: 'init=/bin/hello', accel: 'tcg' as const}
    const bios = qemuArgv(profile, {...common, cdrom: 'build/iso/kos-hello.iso'})
    expect(bios.slice(-2)).toEqual(['-cdrom', 'build/iso/kos-hello.iso'])
    for (const flag of ['-kernel', '-initrd', '-append', '-bios']) expect(bios).not.toContain(flag)
    const uefi = qemuArgv(profile, {...common, cdrom: 'build/iso/kos-hello.iso', bios: OVMF_FIRMWARE})
    expect(uefi.slice(-4)).toEqual(['-bios', '/usr/share/ovmf/OVMF.fd', '-cdrom', 'build/iso/kos-hello.iso'])
    expect(uefi).toContain('-no-reboot')
  })
})

it('an up-to-date image is not rebuilt', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'kos-image-fresh-'))
  mkdirSync(path.join(root, 'build'))
  writeFileSync(path.join(root, 'build/kernel32.elf'), 'k')
  writeFileSync(path.join(root, 'build/initrd.tar'), 'i')
  writeFileSync(path.join(root, 'build/kos.iso'), 'iso')
  writeFileSync(path.join(root, 'build/kos.iso.grub.cfg'), grubConfig())
  const r = await buildIso({root})
  expect(r).toEqual({path: path.join(root, 'build/kos.iso'), bytes: 3, built: false})
})
