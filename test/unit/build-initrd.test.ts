import {mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import tar from 'tar-stream'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {memberName, packInitrd, readInitrdLimits, validateEntries} from '../../src/builder/initrd.js'

const LIMITS = readInitrdLimits(path.resolve(import.meta.dirname, '../..'))

let root: string
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kos-initrd-'))
})
afterEach(() => rmSync(root, {recursive: true, force: true}))

async function readTar(file: string): Promise<Array<{name: string; mode: number; size: number; data: string; mtime: number}>> {
  const ex = tar.extract()
  const out: Array<{name: string; mode: number; size: number; data: string; mtime: number}> = []
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: unknown) => chunks.push(c as Buffer))
    stream.on('end', () => {
      out.push({name: h.name, mode: h.mode ?? 0, size: h.size ?? 0, data: Buffer.concat(chunks).toString(), mtime: h.mtime?.getTime() ?? -1})
      next()
    })
  })
  const done = new Promise((resolve, reject) => {
    ex.on('finish', () => resolve(undefined))
    ex.on('error', reject)
  })
  Readable.from(readFileSync(file)).pipe(ex)
  await done
  return out
}

describe('packInitrd', () => {
  it('packs files under their archive paths, sorted, reproducibly', async () => {
    mkdirSync(path.join(root, 'b'), {recursive: true})
    writeFileSync(path.join(root, 'b/hello.elf'), 'ELF!')
    writeFileSync(path.join(root, 'b/add.wasm'), 'WASM')
    const long = '/data/' + 'd'.repeat(90) + '/' + 'f'.repeat(40)
    writeFileSync(path.join(root, 'b/long'), 'L')
    const entries = [
      {archivePath: '/wasm/add.wasm', source: 'b/add.wasm', mode: 0o644},
      {archivePath: '/bin/hello', source: 'b/hello.elf', mode: 0o755},
      {archivePath: long, source: 'b/long', mode: 0o644},
    ]
    await packInitrd(root, entries, 'out/initrd.tar', LIMITS)
    const got = await readTar(path.join(root, 'out/initrd.tar'))
    expect(got.map((e) => e.name)).toEqual(['bin/hello', long.slice(1), 'wasm/add.wasm'])
    expect(got[0]).toMatchObject({mode: 0o755, size: 4, data: 'ELF!', mtime: 0})
    expect(got[2]).toMatchObject({mode: 0o644, data: 'WASM'})
    const first = readFileSync(path.join(root, 'out/initrd.tar'))
    expect(first.length % 512).toBe(0)
    // Same inputs in another order: byte-identical archive.
    await packInitrd(root, [...entries].reverse(), 'out/again.tar', LIMITS)
    expect(readFileSync(path.join(root, 'out/again.tar')).equals(first)).toBe(true)
  })

  it('refuses two sources for one archive path and over-long names', () => {
    expect(() => validateEntries([
      {archivePath: '/bin/x', source: 'a', mode: 0o755},
      {archivePath: 'bin/x', source: 'b', mode: 0o755},
    ], LIMITS)).toThrow(/bin\/x comes from both a and b/)
    expect(() => validateEntries([{archivePath: '/' + 'x'.repeat(300), source: 'a', mode: 0o644}], LIMITS)).toThrow(
      'initrd: path too long for ustar (over 255 bytes): /' + 'x'.repeat(300),
    )
  })

  it('reads the kernel\'s index limits from its ABI header', () => {
    expect(LIMITS).toEqual({maxEntries: 65536, nameMax: 255})
  })

  it('refuses an initrd with more entries than the kernel indexes, naming the limit', () => {
    const many = (n: number) => Array.from({length: n}, (_, i) => ({archivePath: `/f/${i}`, source: `s${i}`, mode: 0o644}))
    expect(() => validateEntries(many(3), {maxEntries: 3, nameMax: 255})).not.toThrow()
    expect(() => validateEntries(many(4), {maxEntries: 3, nameMax: 255})).toThrow(
      'initrd: 4 entries, more than the 3 the kernel indexes (KOS_INITRD_MAX_ENTRIES in kernel/include/kos/initrd.h)',
    )
  })

  it('refuses a kernel header without the limits instead of guessing', () => {
    mkdirSync(path.join(root, 'kernel/include/kos'), {recursive: true})
    writeFileSync(path.join(root, 'kernel/include/kos/initrd.h'), '#define KOS_INITRD_NAME_MAX 255\n')
    expect(() => readInitrdLimits(root)).toThrow('initrd: kernel/include/kos/initrd.h does not define KOS_INITRD_MAX_ENTRIES')
  })

  it('strips leading slashes for member names', () => {
    expect(memberName('/bin/hello')).toBe('bin/hello')
    expect(memberName('etc/motd')).toBe('etc/motd')
  })
})
