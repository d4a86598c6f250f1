import {mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import tar from 'tar-stream'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {memberName, packInitrd, validateEntries} from '../../src/builder/initrd.js'

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
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      out.push({name: h.name, mode: h.mode ?? 0, size: h.size ?? 0, data: Buffer.concat(chunks).toString(), mtime: h.mtime?.getTime() ?? -1})
      next()
    })
  })
  const done = new Promise((resolve, reject) => {
    ex.on('finish', resolve)
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
    await packInitrd(root, entries, 'out/initrd.tar')
    const got = await readTar(path.join(root, 'out/initrd.tar'))
    expect(got.map((e) => e.name)).toEqual(['bin/hello', long.slice(1), 'wasm/add.wasm'])
    expect(got[0]).toMatchObject({mode: 0o755, size: 4, data: 'ELF!', mtime: 0})
    expect(got[2]).toMatchObject({mode: 0o644, data: 'WASM'})
    const first = readFileSync(path.join(root, 'out/initrd.tar'))
    expect(first.length % 512).toBe(0)
    // Same inputs in another order: byte-identical archive.
    await packInitrd(root, [...entries].reverse(), 'out/again.tar')
    expect(readFileSync(path.join(root, 'out/again.tar')).equals(first)).toBe(true)
  })

  it('refuses two sources for one archive path and over-long names', () => {
    expect(() => validateEntries([
      {archivePath: '/bin/x', source: 'a', mode: 0o755},
      {archivePath: 'bin/x', source: 'b', mode: 0o755},
    ])).toThrow(/bin\/x comes from both a and b/)
    expect(() => validateEntries([{archivePath: '/' + 'x'.repeat(300), source: 'a', mode: 0o644}])).toThrow(/too long/)
  })

  it('strips leading slashes for member names', () => {
    expect(memberName('/bin/hello')).toBe('bin/hello')
    expect(memberName('etc/motd')).toBe('etc/motd')
  })
})
